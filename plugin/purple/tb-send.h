/* Sending: every message typed goes into the account's outbox first (persisted), then to X; only
 * X's confirmation removes it and writes the tagged echo. A failure keeps the text for "retry".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_SEND_H
#define TB_SEND_H

#include "tb-conn.h"

G_BEGIN_DECLS

/* Queues and sends. conv is where it was typed (errors and the echo go there). Returns FALSE
 * with error set when refused before anything is queued (e.g. too long). */
gboolean tb_send_new(TbConn *conn, TbOutboxKind kind, const char *target, const char *conv,
                     const char *text, GError **error);
/* Sends an outbox item again; FALSE if no such item or it is already under way. */
gboolean tb_send_retry(TbConn *conn, const char *outbox_id);
/* Tells the user about items left unsent by an earlier session. */
void tb_send_report_pending(TbConn *conn);

G_END_DECLS

#endif
