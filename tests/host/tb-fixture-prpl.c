/* A tiny protocol plugin (prpl-tbfixture) that exercises every path of tb-host, so the host and
 * the Python harness are tested on their own, whatever state the real plugin is in.
 *
 * Password "bad" fails sign-in with AUTHENTICATION_FAILED, "net" with NETWORK_ERROR (only on
 * the first attempt). An IM to "ask" opens an input request, to "choose" an action request;
 * anything else is echoed back as "echo: TEXT". join-chat opens a chat; chat text is echoed.
 * Every echo also emits the plugin signal "tbfixture-echo" (account, who, text).
 *
 * Copyright (C) 2026 The Twinbird developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <glib.h>
#include <purple.h>

#define FIXTURE_ID "prpl-tbfixture"

static PurplePlugin *fixture_plugin;
static int net_failures;

typedef struct {
  PurpleConnection *gc;
  gchar *who;
  gchar *text;
  int chat_id;
} FxEcho;

static gboolean
fx_connection_alive(PurpleConnection *gc)
{
  return g_list_find(purple_connections_get_all(), gc) != NULL;
}

static gboolean
fx_echo_cb(gpointer data)
{
  FxEcho *e = data;
  if (fx_connection_alive(e->gc)) {
    gchar *msg = g_strdup_printf("echo: %s", e->text);
    if (e->chat_id > 0)
      serv_got_chat_in(e->gc, e->chat_id, e->who, PURPLE_MESSAGE_RECV, msg, time(NULL));
    else
      serv_got_im(e->gc, e->who, msg, PURPLE_MESSAGE_RECV, time(NULL));
    purple_signal_emit(fixture_plugin, "tbfixture-echo", purple_connection_get_account(e->gc),
                       e->who, e->text);
    g_free(msg);
  }
  g_free(e->who);
  g_free(e->text);
  g_free(e);
  return FALSE;
}

static void
fx_echo_later(PurpleConnection *gc, const char *who, const char *text, int chat_id)
{
  FxEcho *e = g_new0(FxEcho, 1);
  e->gc = gc;
  e->who = g_strdup(who);
  e->text = g_strdup(text);
  e->chat_id = chat_id;
  purple_timeout_add(50, fx_echo_cb, e);
}

static const char *
fx_list_icon(PurpleAccount *account G_GNUC_UNUSED, PurpleBuddy *buddy G_GNUC_UNUSED)
{
  return "tbfixture";
}

static GList *
fx_status_types(PurpleAccount *account G_GNUC_UNUSED)
{
  GList *types = NULL;
  types = g_list_append(types, purple_status_type_new(PURPLE_STATUS_AVAILABLE, NULL, NULL, TRUE));
  types = g_list_append(types, purple_status_type_new(PURPLE_STATUS_OFFLINE, NULL, NULL, TRUE));
  return types;
}

static void
fx_login(PurpleAccount *account)
{
  PurpleConnection *gc = purple_account_get_connection(account);
  const char *password = purple_account_get_password(account);
  const char *role = purple_account_get_string(account, "role", "personal");
  const char *me = purple_account_get_username(account);
  gchar *group_name, *alias;
  PurpleGroup *group;
  PurpleBuddy *buddy;

  purple_connection_update_progress(gc, "Connecting", 0, 2);
  purple_debug_info("tbfixture", "login %s\n", me);
  if (g_strcmp0(password, "bad") == 0) {
    purple_connection_error_reason(gc, PURPLE_CONNECTION_ERROR_AUTHENTICATION_FAILED,
                                   "fixture: bad password");
    return;
  }
  if (g_strcmp0(password, "net") == 0 && net_failures++ == 0) {
    purple_connection_error_reason(gc, PURPLE_CONNECTION_ERROR_NETWORK_ERROR,
                                   "fixture: network down");
    return;
  }
  purple_connection_set_state(gc, PURPLE_CONNECTED);
  group_name = g_strdup_printf("Fixture %s", me);
  alias = g_strdup_printf("%s (%s)", me, role);
  group = purple_find_group(group_name);
  if (group == NULL) {
    group = purple_group_new(group_name);
    purple_blist_add_group(group, NULL);
  }
  buddy = purple_find_buddy(account, me);
  if (buddy == NULL) {
    buddy = purple_buddy_new(account, me, NULL);
    purple_blist_add_buddy(buddy, NULL, group, NULL);
  }
  purple_blist_server_alias_buddy(buddy, alias);
  purple_prpl_got_user_status(account, me, "available", NULL);
  g_free(alias);
  g_free(group_name);
}

static void
fx_close(PurpleConnection *gc G_GNUC_UNUSED)
{
}

static void
fx_input_ok(gpointer data, const char *text)
{
  PurpleConnection *gc = data;
  if (fx_connection_alive(gc))
    serv_got_im(gc, "ask", text, PURPLE_MESSAGE_RECV, time(NULL));
}

static void
fx_action(gpointer data, int index)
{
  PurpleConnection *gc = data;
  gchar *msg = g_strdup_printf("chose %d", index);
  if (fx_connection_alive(gc))
    serv_got_im(gc, "choose", msg, PURPLE_MESSAGE_RECV, time(NULL));
  g_free(msg);
}

static int
fx_send_im(PurpleConnection *gc, const char *who, const char *message,
           PurpleMessageFlags flags G_GNUC_UNUSED)
{
  PurpleAccount *account = purple_connection_get_account(gc);
  if (strcmp(who, "ask") == 0) {
    purple_request_input(gc, "Fixture question", "Say something", "secondary text", "dflt", FALSE,
                         FALSE, NULL, "OK", G_CALLBACK(fx_input_ok), "Cancel", NULL, account, who,
                         NULL, gc);
    return 1;
  }
  if (strcmp(who, "choose") == 0) {
    purple_request_action(gc, "Fixture choice", "Pick one", NULL, 0, account, who, NULL, gc, 2,
                          "Yes", G_CALLBACK(fx_action), "No", G_CALLBACK(fx_action));
    return 1;
  }
  if (strcmp(who, "notify") == 0) {
    purple_notify_error(gc, "Fixture title", "Fixture primary", message);
    return 1;
  }
  fx_echo_later(gc, who, message, 0);
  return 1;
}

static GList *
fx_chat_info(PurpleConnection *gc G_GNUC_UNUSED)
{
  struct proto_chat_entry *pce = g_new0(struct proto_chat_entry, 1);
  pce->label = "Room";
  pce->identifier = "room";
  pce->required = TRUE;
  return g_list_append(NULL, pce);
}

static GHashTable *
fx_chat_info_defaults(PurpleConnection *gc G_GNUC_UNUSED, const char *name)
{
  GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
  g_hash_table_insert(h, "room", g_strdup(name));
  return h;
}

static int next_chat_id = 1;

static void
fx_join_chat(PurpleConnection *gc, GHashTable *components)
{
  const char *room = g_hash_table_lookup(components, "room");
  PurpleConversation *conv = serv_got_joined_chat(gc, next_chat_id++, room);
  gchar *title = g_strdup_printf("Room %s", room);
  purple_conversation_set_title(conv, title);
  g_free(title);
}

static int
fx_chat_send(PurpleConnection *gc, int id, const char *message, PurpleMessageFlags flags)
{
  PurpleConversation *conv = purple_find_chat(gc, id);
  const char *me = purple_account_get_username(purple_connection_get_account(gc));
  if (conv == NULL)
    return -1;
  serv_got_chat_in(gc, id, me, flags | PURPLE_MESSAGE_SEND, message, time(NULL));
  fx_echo_later(gc, "roomie", message, id);
  return 0;
}

static gboolean
fx_load(PurplePlugin *plugin)
{
  purple_signal_register(plugin, "tbfixture-echo", purple_marshal_VOID__POINTER_POINTER_POINTER,
                         NULL, 3, purple_value_new(PURPLE_TYPE_SUBTYPE, PURPLE_SUBTYPE_ACCOUNT),
                         purple_value_new(PURPLE_TYPE_STRING),
                         purple_value_new(PURPLE_TYPE_STRING));
  return TRUE;
}

static gboolean
fx_unload(PurplePlugin *plugin)
{
  purple_signals_unregister_by_instance(plugin);
  return TRUE;
}

static PurplePluginProtocolInfo prpl_info = {
    .options = OPT_PROTO_NO_PASSWORD,
    .icon_spec = NO_BUDDY_ICONS,
    .list_icon = fx_list_icon,
    .status_types = fx_status_types,
    .chat_info = fx_chat_info,
    .chat_info_defaults = fx_chat_info_defaults,
    .login = fx_login,
    .close = fx_close,
    .send_im = fx_send_im,
    .join_chat = fx_join_chat,
    .chat_send = fx_chat_send,
    .struct_size = sizeof(PurplePluginProtocolInfo),
};

static PurplePluginInfo info = {
    .magic = PURPLE_PLUGIN_MAGIC,
    .major_version = PURPLE_MAJOR_VERSION,
    .minor_version = PURPLE_MINOR_VERSION,
    .type = PURPLE_PLUGIN_PROTOCOL,
    .priority = PURPLE_PRIORITY_DEFAULT,
    .id = FIXTURE_ID,
    .name = "TB Fixture",
    .version = "1",
    .summary = "tb-host self-test protocol",
    .description = "tb-host self-test protocol",
    .author = "Twinbird developers",
    .homepage = "https://example.invalid",
    .load = fx_load,
    .unload = fx_unload,
    .extra_info = &prpl_info,
};

static void
fx_init(PurplePlugin *plugin)
{
  PurpleAccountOption *opt = purple_account_option_string_new("Role", "role", "personal");
  prpl_info.protocol_options = g_list_append(prpl_info.protocol_options, opt);
  opt = purple_account_option_int_new("Interval", "interval", 5);
  prpl_info.protocol_options = g_list_append(prpl_info.protocol_options, opt);
  fixture_plugin = plugin;
}

PURPLE_INIT_PLUGIN(tbfixture, fx_init, info)
