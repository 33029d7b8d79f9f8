/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-blist.h"

#include <glib/gi18n-lib.h>

char *
tb_blist_group_name(TbConn *conn)
{
  /* Handle and role both: two accounts of one person must never share a group. */
  return g_strdup_printf("@%s (%s)", conn->handle, conn->cfg.role);
}

PurpleGroup *
tb_blist_group(TbConn *conn)
{
  g_autofree char *name = tb_blist_group_name(conn);
  PurpleGroup *group = purple_find_group(name);

  if (group == NULL) {
    group = purple_group_new(name);
    purple_blist_add_group(group, NULL);
  }
  return group;
}

void
tb_blist_add_self(TbConn *conn)
{
  PurpleGroup *group = tb_blist_group(conn);
  PurpleBuddy *self = purple_find_buddy(conn->account, conn->handle);
  g_autofree char *alias = g_strdup_printf(_("@%s (%s): message to post"), conn->handle,
                                           conn->cfg.role);

  if (self == NULL) {
    self = purple_buddy_new(conn->account, conn->handle, NULL);
    purple_blist_add_buddy(self, NULL, group, NULL);
  } else if (purple_buddy_get_group(self) != group) {
    purple_blist_add_buddy(self, NULL, group, NULL); /* the role changed: move it */
  }
  serv_got_alias(conn->gc, conn->handle, alias);
  purple_prpl_got_user_status(conn->account, conn->handle, TB_STATUS_AVAILABLE, NULL);
}
