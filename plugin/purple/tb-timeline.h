/* The home timeline as an optional chat per account (the option timeline): read with since_id
 * on its own poller, paced by X's budget for the endpoint, shown oldest first with short ids in
 * slices, the user's own posts and those of their other Twinbird account marked, the cursor
 * kept in the account's store. Commands work there as in a mention thread (tb-cmds.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_TIMELINE_H
#define TB_TIMELINE_H

#include "tb-conn.h"

G_BEGIN_DECLS

#define TB_CURSOR_TIMELINE "timeline_since_id"

typedef struct _TbTimeline TbTimeline;

/* Once signed in: with timeline=on, opens the chat (its price said once after switching on) and
 * starts reading; with off, forgets the cursor, so switching on again is a small first read. */
void tb_timeline_start(TbConn *conn);
/* Stops the poller and any delivery under way; nothing of it runs afterwards. */
void tb_timeline_stop(TbConn *conn);

G_END_DECLS

#endif
