/* tb-host: JSON events out (one object a line, flushed) and the readers of JSON commands.
 *
 * Copyright (C) 2026 The Twinbird developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tb-host.h"

/* ---------------------------------------------------------------------------------------------
 * JSON output
 */
static FILE *out; /* the protocol stream: the real stdout; fd 1 itself points at stderr */

void
tb_host_set_output(FILE *stream)
{
  out = stream;
}

JsonBuilder *
tb_host_begin_event(const char *event)
{
  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "event");
  json_builder_add_string_value(b, event);
  return b;
}

void
tb_host_set_str(JsonBuilder *b, const char *key, const char *val)
{
  json_builder_set_member_name(b, key);
  if (val == NULL) {
    json_builder_add_null_value(b);
  } else if (g_utf8_validate(val, -1, NULL)) {
    json_builder_add_string_value(b, val);
  } else {
    gchar *fixed = g_utf8_make_valid(val, -1);
    json_builder_add_string_value(b, fixed);
    g_free(fixed);
  }
}

void
tb_host_set_int(JsonBuilder *b, const char *key, gint64 val)
{
  json_builder_set_member_name(b, key);
  json_builder_add_int_value(b, val);
}

void
tb_host_set_bool(JsonBuilder *b, const char *key, gboolean val)
{
  json_builder_set_member_name(b, key);
  json_builder_add_boolean_value(b, val);
}

void
tb_host_add_str(JsonBuilder *b, const char *val)
{
  if (val == NULL) {
    json_builder_add_null_value(b);
  } else {
    gchar *fixed = g_utf8_make_valid(val, -1);
    json_builder_add_string_value(b, fixed);
    g_free(fixed);
  }
}

void
tb_host_add_list(JsonBuilder *b, const char *key, GList *items, TbHostItemFunc add_item)
{
  if (key != NULL)
    json_builder_set_member_name(b, key);
  json_builder_begin_array(b);
  for (GList *l = items; l; l = l->next) {
    if (add_item != NULL)
      add_item(b, l->data);
    else
      tb_host_add_str(b, l->data);
  }
  json_builder_end_array(b);
}

gchar *
tb_host_finish_event(JsonBuilder *b)
{
  JsonGenerator *gen = json_generator_new();
  JsonNode *root;
  gchar *s;

  json_builder_end_object(b);
  root = json_builder_get_root(b);
  json_generator_set_root(gen, root);
  s = json_generator_to_data(gen, NULL);
  json_node_unref(root);
  g_object_unref(gen);
  g_object_unref(b);
  return s;
}

void
tb_host_emit_line(const char *line)
{
  fputs(line, out);
  fputc('\n', out);
  fflush(out);
}

void
tb_host_emit_event(JsonBuilder *b)
{
  gchar *s = tb_host_finish_event(b);
  tb_host_emit_line(s);
  g_free(s);
}

const char *
tb_host_get_account_name(PurpleAccount *account)
{
  return account ? purple_account_get_username(account) : NULL;
}

void
tb_host_set_account(JsonBuilder *b, PurpleAccount *account)
{
  tb_host_set_str(b, "account", tb_host_get_account_name(account));
  tb_host_set_str(b, "protocol", account ? purple_account_get_protocol_id(account) : NULL);
}

static const char *
conv_type_name(PurpleConversationType t)
{
  switch (t) {
  case PURPLE_CONV_TYPE_IM:
    return "im";
  case PURPLE_CONV_TYPE_CHAT:
    return "chat";
  case PURPLE_CONV_TYPE_MISC:
    return "misc";
  case PURPLE_CONV_TYPE_ANY:
    return "any";
  default:
    return "unknown";
  }
}

static const struct {
  PurpleMessageFlags flag;
  const char *name;
} message_flag_names[] = {
    {PURPLE_MESSAGE_SEND, "send"},
    {PURPLE_MESSAGE_RECV, "recv"},
    {PURPLE_MESSAGE_SYSTEM, "system"},
    {PURPLE_MESSAGE_AUTO_RESP, "auto-resp"},
    {PURPLE_MESSAGE_ACTIVE_ONLY, "active-only"},
    {PURPLE_MESSAGE_NICK, "nick"},
    {PURPLE_MESSAGE_NO_LOG, "no-log"},
    {PURPLE_MESSAGE_WHISPER, "whisper"},
    {PURPLE_MESSAGE_ERROR, "error"},
    {PURPLE_MESSAGE_DELAYED, "delayed"},
    {PURPLE_MESSAGE_RAW, "raw"},
    {PURPLE_MESSAGE_IMAGES, "images"},
    {PURPLE_MESSAGE_NOTIFY, "notify"},
    {PURPLE_MESSAGE_NO_LINKIFY, "no-linkify"},
    {PURPLE_MESSAGE_INVISIBLE, "invisible"},
    {PURPLE_MESSAGE_REMOTE_SEND, "remote-send"},
};

void
tb_host_set_flags(JsonBuilder *b, PurpleMessageFlags flags)
{
  json_builder_set_member_name(b, "flags");
  json_builder_begin_array(b);
  for (gsize i = 0; i < G_N_ELEMENTS(message_flag_names); i++)
    if (flags & message_flag_names[i].flag)
      json_builder_add_string_value(b, message_flag_names[i].name);
  json_builder_end_array(b);
  tb_host_set_int(b, "flags_int", flags);
}

void
tb_host_set_text(JsonBuilder *b, const char *message)
{
  gchar *plain = message ? purple_markup_strip_html(message) : NULL;
  gchar *unescaped = plain ? purple_unescape_html(plain) : NULL;
  tb_host_set_str(b, "text", message);
  /* What a plain-text UI (Finch, BitlBee) would show: tags removed, entities decoded. */
  tb_host_set_str(b, "plain", unescaped ? unescaped : plain);
  g_free(unescaped);
  g_free(plain);
}

void
tb_host_set_conv(JsonBuilder *b, PurpleConversation *conv)
{
  tb_host_set_account(b, purple_conversation_get_account(conv));
  tb_host_set_str(b, "conv", purple_conversation_get_name(conv));
  tb_host_set_str(b, "title", purple_conversation_get_title(conv));
  tb_host_set_str(b, "type", conv_type_name(purple_conversation_get_type(conv)));
}

void
tb_host_emit_simple(const char *event, PurpleAccount *account)
{
  JsonBuilder *b = tb_host_begin_event(event);
  tb_host_set_account(b, account);
  tb_host_emit_event(b);
}

/* ---------------------------------------------------------------------------------------------
 * JSON input: a member of the wrong type reads as missing.
 */
const char *
tb_host_get_member_str(JsonObject *o, const char *key, const char *dflt)
{
  JsonNode *n = json_object_get_member(o, key);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return dflt;
  return json_node_get_string(n);
}

gboolean
tb_host_get_member_bool(JsonObject *o, const char *key, gboolean dflt)
{
  JsonNode *n = json_object_get_member(o, key);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
    return dflt;
  return json_node_get_boolean(n);
}
