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

/* Signed in (after tb_fetch_start): subscribe and join the app's stream (subscriptions of this
 * account's left from before are reused); with stream=off, delete what an earlier stream=on
 * left on X. */
void tb_stream_start(TbConn *conn);
/* Before the runtime's shutdown: the stream moves to another account of the app. A sign-out
 * deletes the account's subscriptions; the client quitting, or a connection error, keeps them. */
void tb_stream_stop(TbConn *conn);
void tb_stream_cleanup(TbConn *conn);
/* At the plugin's load and unload: tells a sign-out from quitting and from a dropped
 * connection; unload lets go of deletions still under way. */
void tb_stream_register(PurplePlugin *plugin);
void tb_stream_unregister(PurplePlugin *plugin);
/* A line for `limits`, or NULL when this account does not use the stream. */
char *tb_stream_report(TbConn *conn);

G_END_DECLS

#endif
