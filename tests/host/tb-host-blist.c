/* tb-host: the buddy list, printed when a buddy changes, and the list-buddies command.
 *
 * Copyright (C) 2026 The Twinbird developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include "tb-host.h"

/* ---------------------------------------------------------------------------------------------
 * Buddy list
 */
static GHashTable *blist_seen; /* "protocol\naccount\nbuddy" -> last JSON printed (dedupe) */

void
tb_host_init_blist(void)
{
  blist_seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static const char *
buddy_status_id(PurpleBuddy *buddy)
{
  PurplePresence *presence = purple_buddy_get_presence(buddy);
  PurpleStatus *status = presence ? purple_presence_get_active_status(presence) : NULL;
  return status ? purple_status_get_id(status) : NULL;
}

static void
buddy_to_json(JsonBuilder *b, PurpleBuddy *buddy)
{
  PurpleGroup *group = purple_buddy_get_group(buddy);
  PurplePresence *presence = purple_buddy_get_presence(buddy);
  PurpleStatus *status = presence ? purple_presence_get_active_status(presence) : NULL;

  tb_host_set_account(b, purple_buddy_get_account(buddy));
  tb_host_set_str(b, "buddy", purple_buddy_get_name(buddy));
  tb_host_set_str(b, "alias", purple_buddy_get_alias(buddy));
  tb_host_set_str(b, "server_alias", purple_buddy_get_server_alias(buddy));
  tb_host_set_str(b, "group", group ? purple_group_get_name(group) : NULL);
  tb_host_set_bool(b, "online", presence ? purple_presence_is_online(presence) : FALSE);
  tb_host_set_str(b, "status", buddy_status_id(buddy));
  tb_host_set_str(b, "status_message",
                  status ? purple_status_get_attr_string(status, "message") : NULL);
}

static gchar *
buddy_key(PurpleBuddy *buddy)
{
  PurpleAccount *account = purple_buddy_get_account(buddy);
  return g_strdup_printf("%s\n%s\n%s", purple_account_get_protocol_id(account),
                         purple_account_get_username(account), purple_buddy_get_name(buddy));
}

static void
blist_update(PurpleBuddyList *list G_GNUC_UNUSED, PurpleBlistNode *node)
{
  JsonBuilder *b;
  gchar *line, *key;
  const gchar *seen;

  if (node == NULL || !PURPLE_BLIST_NODE_IS_BUDDY(node))
    return;
  b = tb_host_begin_event("blist-update");
  buddy_to_json(b, (PurpleBuddy *)node);
  line = tb_host_finish_event(b);
  key = buddy_key((PurpleBuddy *)node);
  seen = g_hash_table_lookup(blist_seen, key);
  if (seen == NULL || strcmp(seen, line) != 0) {
    tb_host_emit_line(line);
    g_hash_table_replace(blist_seen, key, line); /* takes both */
  } else {
    g_free(key);
    g_free(line);
  }
}

static void
blist_remove(PurpleBuddyList *list G_GNUC_UNUSED, PurpleBlistNode *node)
{
  JsonBuilder *b;
  gchar *key;

  if (node == NULL || !PURPLE_BLIST_NODE_IS_BUDDY(node))
    return;
  key = buddy_key((PurpleBuddy *)node);
  g_hash_table_remove(blist_seen, key);
  g_free(key);
  b = tb_host_begin_event("blist-remove");
  tb_host_set_account(b, purple_buddy_get_account((PurpleBuddy *)node));
  tb_host_set_str(b, "buddy", purple_buddy_get_name((PurpleBuddy *)node));
  tb_host_emit_event(b);
}

/* Any PurpleBlistUiOps makes libpurple install its blist.xml save hooks (pitfall 8). */
PurpleBlistUiOps tb_host_blist_ops = {
    .update = blist_update,
    .remove = blist_remove,
};

/* ---------------------------------------------------------------------------------------------
 * Commands: list-buddies
 */
static void
add_buddy(JsonBuilder *b, gpointer item)
{
  json_builder_begin_object(b);
  buddy_to_json(b, item);
  json_builder_end_object(b);
}

gboolean
tb_host_cmd_list_buddies(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = NULL;
  JsonBuilder *b;
  GSList *found;
  GList *buddies = NULL;

  if (json_object_has_member(cmd, "account") &&
      (account = tb_host_find_account(cmd, error)) == NULL)
    return FALSE;
  found = account ? purple_find_buddies(account, NULL) : NULL;
  if (account == NULL)
    for (GList *l = purple_accounts_get_all(); l; l = l->next)
      found = g_slist_concat(found, purple_find_buddies(l->data, NULL));
  /* libpurple hands out a GSList; the same buddies in the same order, as a GList */
  for (GSList *l = found; l; l = l->next)
    buddies = g_list_prepend(buddies, l->data);
  buddies = g_list_reverse(buddies);
  g_slist_free(found);
  b = tb_host_begin_event("buddies");
  tb_host_set_str(b, "account", tb_host_get_account_name(account));
  tb_host_add_list(b, "list", buddies, add_buddy);
  tb_host_emit_event(b);
  g_list_free(buddies);
  return TRUE;
}
