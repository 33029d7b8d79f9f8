/* Sends asked for from outside a conversation (D-Bus methods): which signed-in account, which
 * post a reply answers, where the echo goes; refusals as TB_ROUTE_ERROR (core/tb-route.h), X's
 * as TB_XAPI_ERROR. twinbird.c hands tb_remote_send to the D-Bus adapter, which names nothing in
 * purple/.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_REMOTE_H
#define TB_REMOTE_H

#include <purple.h>

#include "core/tb-store.h"

G_BEGIN_DECLS

/* The outcome, told once: new_id when X confirmed it, else error. handle is the account's. */
typedef void (*TbRemoteDone)(const char *handle, const char *outbox_id, const char *new_id,
                             const GError *error, gpointer data);

/* Queues text from account as kind: arg is the reply's post (short or full id) or the DM's
 * handle, NULL for a post. No one can answer a question here: where the guard or the work hours
 * would ask, it is refused (TB_ROUTE_ERROR_GUARDED, _OFF_HOURS) unless anyway. FALSE with error
 * when refused; else done runs later (or already). */
gboolean tb_remote_send(PurpleAccount *account, TbOutboxKind kind, const char *arg,
                        const char *text, gboolean anyway, TbRemoteDone done, gpointer data,
                        GError **error);

G_END_DECLS

#endif
