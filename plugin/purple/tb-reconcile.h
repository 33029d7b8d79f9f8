/* Finding a send of ours on X when its answer was lost (a timeout, a dropped connection, a 5xx,
 * a crash with the request in flight): the smallest reads that can tell, a DM among the
 * conversation's newest events, a post or reply among the account's own posts since the try,
 * matched by text (links aside) and, for a reply, by the post it answers. Growing pages, at most
 * three, stopping at the first match or at events older than the try.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_RECONCILE_H
#define TB_RECONCILE_H

#include "tb-conn.h"

G_BEGIN_DECLS

/* x_id: found on X (the post's or DM event's id); NULL with error NULL: X has no such send, so
 * it is safe to send again; error: X could not be asked, nothing is known yet. Never called
 * after the connection closed. */
typedef void (*TbReconcileDone)(TbConn *conn, const char *outbox_id, const char *x_id,
                                const GError *error, gpointer data);

/* Looks on X for item (sent at or after since, Unix seconds). destroy frees data if the
 * connection closes first (done is then never called). */
void tb_reconcile_start(TbConn *conn, const TbOutboxItem *item, gint64 since, TbReconcileDone done,
                        gpointer data, GDestroyNotify destroy);

G_END_DECLS

#endif
