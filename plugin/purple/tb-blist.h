/* The buddy list: one group per account, the account's own buddy first (message it to post).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_BLIST_H
#define TB_BLIST_H

#include "tb-conn.h"

G_BEGIN_DECLS

#define TB_STATUS_AVAILABLE "available"
#define TB_STATUS_OFFLINE "offline"
#define TB_STATUS_AWAY "away"

char *tb_blist_group_name(TbConn *conn);
PurpleGroup *tb_blist_group(TbConn *conn);
void tb_blist_add_self(TbConn *conn);
/* The own buddy away with message (outside work hours), or available again (NULL). */
void tb_blist_self_away(TbConn *conn, const char *message);
/* Someone who DMs or mentions the account: a buddy in its group, display name as alias. */
void tb_blist_add_person(TbConn *conn, const TbXapiUser *user);

G_END_DECLS

#endif
