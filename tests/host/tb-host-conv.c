/* tb-host: conversations, what is written to them and the commands that talk in them.
 *
 * Copyright (C) 2026 The Twinbird developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include "tb-host.h"

/* ---------------------------------------------------------------------------------------------
 * Conversations
 */
static void
conv_write_conv(PurpleConversation *conv, const char *name, const char *alias, const char *message,
                PurpleMessageFlags flags, time_t mtime)
{
  JsonBuilder *b = tb_host_begin_event("write-conv");
  tb_host_set_conv(b, conv);
  tb_host_set_str(b, "who", name);
  tb_host_set_str(b, "alias", alias);
  tb_host_set_flags(b, flags);
  tb_host_set_text(b, message);
  tb_host_set_int(b, "time", (gint64)mtime);
  tb_host_emit_event(b);
}

static void
conv_create(PurpleConversation *conv)
{
  JsonBuilder *b = tb_host_begin_event("conv-created");
  tb_host_set_conv(b, conv);
  tb_host_emit_event(b);
}

static void
conv_destroy(PurpleConversation *conv)
{
  JsonBuilder *b = tb_host_begin_event("conv-destroyed");
  tb_host_set_conv(b, conv);
  tb_host_emit_event(b);
}

static void
add_chat_buddy(JsonBuilder *b, gpointer item)
{
  PurpleConvChatBuddy *cb = item;
  json_builder_begin_object(b);
  tb_host_set_str(b, "name", purple_conv_chat_cb_get_name(cb));
  tb_host_set_str(b, "alias", cb->alias);
  tb_host_set_int(b, "flags", cb->flags);
  json_builder_end_object(b);
}

static void
conv_chat_add_users(PurpleConversation *conv, GList *cbuddies, gboolean new_arrivals)
{
  JsonBuilder *b = tb_host_begin_event("chat-add-users");
  tb_host_set_conv(b, conv);
  tb_host_set_bool(b, "new_arrivals", new_arrivals);
  tb_host_add_list(b, "users", cbuddies, add_chat_buddy);
  tb_host_emit_event(b);
}

static void
conv_chat_remove_users(PurpleConversation *conv, GList *users)
{
  JsonBuilder *b = tb_host_begin_event("chat-remove-users");
  tb_host_set_conv(b, conv);
  tb_host_add_list(b, "users", users, NULL);
  tb_host_emit_event(b);
}

PurpleConversationUiOps tb_host_conv_ops = {
    .create_conversation = conv_create,
    .destroy_conversation = conv_destroy,
    .write_conv = conv_write_conv,
    .chat_add_users = conv_chat_add_users,
    .chat_remove_users = conv_chat_remove_users,
};

/* ---------------------------------------------------------------------------------------------
 * Commands: send-im, chat-send, join-chat, list-convs, history, close-conv
 */

/* Typed text is plain; a UI hands the prpl markup, so escape it as Pidgin, Finch and BitlBee do.
 * "raw": true sends the text as markup unchanged. */
static gchar *
typed_text(JsonObject *cmd, const char *text)
{
  return tb_host_get_member_bool(cmd, "raw", FALSE) ? g_strdup(text)
                                                    : purple_markup_escape_text(text, -1);
}

gboolean
tb_host_cmd_send_im(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = tb_host_find_account(cmd, error);
  const char *to, *text;
  PurpleConversation *conv;
  gchar *msg;

  if (account == NULL || (to = tb_host_need_str(cmd, "to", error)) == NULL ||
      (text = tb_host_need_str(cmd, "text", error)) == NULL)
    return FALSE;
  conv = purple_find_conversation_with_account(PURPLE_CONV_TYPE_IM, to, account);
  if (conv == NULL)
    conv = purple_conversation_new(PURPLE_CONV_TYPE_IM, account, to);
  msg = typed_text(cmd, text);
  purple_conv_im_send(PURPLE_CONV_IM(conv), msg);
  g_free(msg);
  return TRUE;
}

/* A chat by its name or, failing that, by its title. */
static PurpleConversation *
find_chat(PurpleAccount *account, const char *name)
{
  PurpleConversation *conv =
      purple_find_conversation_with_account(PURPLE_CONV_TYPE_CHAT, name, account);
  if (conv != NULL)
    return conv;
  for (GList *l = purple_get_chats(); l; l = l->next) {
    PurpleConversation *c = l->data;
    if (purple_conversation_get_account(c) == account &&
        g_strcmp0(purple_conversation_get_title(c), name) == 0)
      return c;
  }
  return NULL;
}

gboolean
tb_host_cmd_chat_send(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = tb_host_find_account(cmd, error);
  const char *name, *text;
  PurpleConversation *conv;
  gchar *msg;

  if (account == NULL || (name = tb_host_need_str(cmd, "conv", error)) == NULL ||
      (text = tb_host_need_str(cmd, "text", error)) == NULL)
    return FALSE;
  conv = find_chat(account, name);
  if (conv == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no chat %s on %s", name,
                purple_account_get_username(account));
    return FALSE;
  }
  msg = typed_text(cmd, text);
  purple_conv_chat_send(PURPLE_CONV_CHAT(conv), msg);
  g_free(msg);
  return TRUE;
}

gboolean
tb_host_cmd_join_chat(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = tb_host_find_account(cmd, error);
  PurpleConnection *gc;
  PurplePluginProtocolInfo *prpl;
  GHashTable *components;
  const char *name;

  if (account == NULL || (name = tb_host_need_str(cmd, "name", error)) == NULL)
    return FALSE;
  gc = purple_account_get_connection(account);
  if (gc == NULL || !PURPLE_CONNECTION_IS_CONNECTED(gc)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "account not connected");
    return FALSE;
  }
  prpl = PURPLE_PLUGIN_PROTOCOL_INFO(purple_connection_get_prpl(gc));
  if (prpl->chat_info_defaults == NULL || prpl->join_chat == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "protocol has no chats");
    return FALSE;
  }
  components = prpl->chat_info_defaults(gc, name);
  serv_join_chat(gc, components);
  g_hash_table_destroy(components);
  return TRUE;
}

static void
add_conv(JsonBuilder *b, gpointer item)
{
  PurpleConversation *conv = item;
  json_builder_begin_object(b);
  tb_host_set_conv(b, conv);
  if (purple_conversation_get_type(conv) == PURPLE_CONV_TYPE_CHAT) {
    PurpleConvChat *chat = PURPLE_CONV_CHAT(conv);
    tb_host_set_str(b, "topic", purple_conv_chat_get_topic(chat));
    tb_host_set_bool(b, "left", purple_conv_chat_has_left(chat));
  }
  json_builder_end_object(b);
}

gboolean
tb_host_cmd_list_convs(JsonObject *cmd G_GNUC_UNUSED, GError **error G_GNUC_UNUSED)
{
  JsonBuilder *b = tb_host_begin_event("convs");
  tb_host_add_list(b, "list", purple_get_conversations(), add_conv);
  tb_host_emit_event(b);
  return TRUE;
}

static void
add_message(JsonBuilder *b, gpointer item)
{
  PurpleConvMessage *m = item;
  json_builder_begin_object(b);
  tb_host_set_str(b, "who", purple_conversation_message_get_sender(m));
  tb_host_set_str(b, "alias", m->alias);
  tb_host_set_flags(b, purple_conversation_message_get_flags(m));
  tb_host_set_text(b, purple_conversation_message_get_message(m));
  tb_host_set_int(b, "time", (gint64)purple_conversation_message_get_timestamp(m));
  json_builder_end_object(b);
}

gboolean
tb_host_cmd_history(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = tb_host_find_account(cmd, error);
  const char *name;
  const char *type = tb_host_get_member_str(cmd, "type", NULL);
  PurpleConversation *conv = NULL;
  JsonBuilder *b;
  GList *history;

  if (account == NULL || (name = tb_host_need_str(cmd, "conv", error)) == NULL)
    return FALSE;
  if (type == NULL || strcmp(type, "im") == 0)
    conv = purple_find_conversation_with_account(PURPLE_CONV_TYPE_IM, name, account);
  if (conv == NULL && (type == NULL || strcmp(type, "chat") == 0))
    conv = find_chat(account, name);
  if (conv == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no conversation %s", name);
    return FALSE;
  }
  b = tb_host_begin_event("history");
  tb_host_set_conv(b, conv);
  /* libpurple keeps it newest first */
  history = g_list_reverse(g_list_copy(purple_conversation_get_message_history(conv)));
  tb_host_add_list(b, "list", history, add_message);
  g_list_free(history);
  tb_host_emit_event(b);
  return TRUE;
}

gboolean
tb_host_cmd_close_conv(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = tb_host_find_account(cmd, error);
  const char *name;
  PurpleConversation *conv;

  if (account == NULL || (name = tb_host_need_str(cmd, "conv", error)) == NULL)
    return FALSE;
  conv = purple_find_conversation_with_account(PURPLE_CONV_TYPE_ANY, name, account);
  if (conv == NULL)
    conv = find_chat(account, name);
  if (conv == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no conversation %s", name);
    return FALSE;
  }
  purple_conversation_destroy(conv);
  return TRUE;
}
