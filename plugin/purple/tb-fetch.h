/* Fetching mentions (since_id, paged back to it) and DM events (newest first, no since_id:
 * paged only while everything on a page is new), with the cursors kept in the account's store.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_FETCH_H
#define TB_FETCH_H

#include "api/tb-xapi-data.h"
#include "tb-conn.h"

G_BEGIN_DECLS

#define TB_CURSOR_MENTIONS "mention_since_id"
#define TB_CURSOR_DMS "dm_last_id"
#define TB_MENTIONS_START "mention_start_time" /* set when a first fetch found no mention */

typedef struct _TbFetchState TbFetchState;

void tb_fetch_start(TbConn *conn);
/* The saved cursors are lost (a damaged state file): what happened after unix_s is new, what
 * came before counts as seen, so nothing old is shown again as if it had just arrived. */
void tb_fetch_resume_from(TbConn *conn, gint64 unix_s);
void tb_fetch_stop(TbConn *conn);
/* A DM was typed or arrived: DMs are checked at the pace of a conversation for a while. */
void tb_fetch_note_activity(TbConn *conn);

/* The Activity stream (tb-stream.c) is up: DM and mention polls slow to a rare safety check;
 * down: back to their pace. */
void tb_fetch_stream_set_up(TbConn *conn, gboolean up);
/* Events the stream brought (TbXapiDmEvent; users TbXapiUser, may be NULL), shown through the
 * pollers' own checks and cursors, so whichever path sees one first shows it, once. */
void tb_fetch_stream_dms(TbConn *conn, GPtrArray *dms, GPtrArray *users);
void tb_fetch_stream_mention(TbConn *conn, const TbXapiTweet *post, GPtrArray *users);

G_END_DECLS

#endif
