/* One command table, run two ways: as libpurple /commands (Pidgin, Finch) and as words typed in
 * a conversation (BitlBee never runs slash commands; D-Bus scripts send plain text too).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_CMDS_H
#define TB_CMDS_H

#include "core/tb-route.h"
#include "tb-conn.h"

G_BEGIN_DECLS

void tb_cmds_register(void);
void tb_cmds_unregister(void);
/* TRUE when text was a command (run, or refused with an error shown in conv). "!word" is a
 * command everywhere; a bare command word only where bare_words is TRUE (the account's own buddy
 * and mention threads): in a DM with a person, "post office is shut" is just a DM. */
gboolean tb_cmds_try_inband(TbConn *conn, PurpleConversation *conv, const char *text,
                            gboolean bare_words);

/* What the user typed to go out (conv_name: where): sent, or first asked about when
 * confirm_public or the line's look says so (held in the outbox meanwhile); a refusal is kept. */
void tb_cmds_send(TbConn *conn, TbOutboxKind kind, const char *target, const char *conv_name,
                  const char *text, TbPublicFrom from);

/* The account's actions in Pidgin's and Finch's Accounts menu: Post…, Limits and spending, Open
 * my profile (Sign out is tb-auth's). */
GList *tb_cmds_actions(PurplePlugin *plugin, gpointer context);

/* A profile: into conv as a notice, or (conv NULL: Get Info) libpurple's user-info window. */
void tb_cmds_whois(TbConn *conn, const char *who, PurpleConversation *conv);

G_END_DECLS

#endif
