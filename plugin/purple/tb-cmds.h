/* One command table, run two ways: as libpurple /commands (Pidgin, Finch) and as words typed in
 * a conversation (BitlBee never runs slash commands; D-Bus scripts send plain text too).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_CMDS_H
#define TB_CMDS_H

#include "tb-conn.h"

G_BEGIN_DECLS

void tb_cmds_register(void);
void tb_cmds_unregister(void);
/* TRUE when text was a command (run, or refused with an error shown in conv). */
gboolean tb_cmds_try_inband(TbConn *conn, PurpleConversation *conv, const char *text);

G_END_DECLS

#endif
