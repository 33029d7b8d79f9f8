/* Questions asked before a public send (confirm_public, garbage lines): one yes/no request per
 * question, answered OK or Cancel (the captions BitlBee's yes and no choose), closed unanswered
 * when the account closes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_CONFIRM_H
#define TB_CONFIRM_H

#include "tb-conn.h"

G_BEGIN_DECLS

typedef struct _TbConfirm TbConfirm;

void tb_confirm_init(TbConn *conn);
/* Closes the questions still open; their answer is never called, their data is destroyed. */
void tb_confirm_cleanup(TbConn *conn);

/* Called once with the user's answer (TRUE: OK); data is destroyed afterwards. */
typedef void (*TbConfirmAnswer)(TbConn *conn, gboolean ok, gpointer data);

/* Asks in the account's name; primary says what yes and what no do (BitlBee shows only the
 * texts, never the buttons), secondary is what would go out. Returns the question's id (> 0). */
guint tb_confirm_ask(TbConn *conn, const char *title, const char *primary, const char *secondary,
                     TbConfirmAnswer answer, gpointer data, GDestroyNotify destroy);
/* Closes one question unanswered (its answer is never called, its data is destroyed); an id
 * already answered or closed is ignored. */
void tb_confirm_close(TbConn *conn, guint id);

G_END_DECLS

#endif
