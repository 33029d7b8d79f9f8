/* X's Activity stream (option stream=on, with the app's consumer key and secret): this account's
 * subscriptions (dm.received, dm.sent, post.mention.create), and ONE stream per app shared by
 * every account of the client on it, its events shown through tb-fetch's own checks, so
 * polling and the stream never show one thing twice.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_STREAM_H
#define TB_STREAM_H

#include "tb-conn.h"

G_BEGIN_DECLS

typedef struct _TbStream TbStream;

/* Signed in (after tb_fetch_start): subscribe and join the app's stream, or tidy up. */
void tb_stream_start(TbConn *conn);
/* Before the runtime's shutdown: the stream moves to another account of the app. */
void tb_stream_stop(TbConn *conn);
void tb_stream_cleanup(TbConn *conn);
/* A line for `limits`, or NULL when this account does not use the stream. */
char *tb_stream_report(TbConn *conn);

G_END_DECLS

#endif
