/* tb-host: libpurple's core signals and the plugin's own, printed as events.
 *
 * Copyright (C) 2026 The Twinbird developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tb-host.h"

/* ---------------------------------------------------------------------------------------------
 * Signals
 */
static void on_signed_on(PurpleConnection *gc, gpointer data G_GNUC_UNUSED);

static void
on_signed_off(PurpleConnection *gc, gpointer data G_GNUC_UNUSED)
{
  tb_host_emit_simple("signed-off", purple_connection_get_account(gc));
}

static void
on_received_im(PurpleAccount *account, char *sender, char *message, PurpleConversation *conv,
               PurpleMessageFlags flags)
{
  JsonBuilder *b = tb_host_begin_event("received-im");
  tb_host_set_account(b, account);
  tb_host_set_str(b, "who", sender);
  tb_host_set_str(b, "conv", conv ? purple_conversation_get_name(conv) : NULL);
  tb_host_set_flags(b, flags);
  tb_host_set_text(b, message);
  tb_host_emit_event(b);
}

static void
on_received_chat(PurpleAccount *account, char *sender, char *message, PurpleConversation *conv,
                 PurpleMessageFlags flags)
{
  JsonBuilder *b = tb_host_begin_event("received-chat");
  tb_host_set_account(b, account);
  tb_host_set_str(b, "who", sender);
  tb_host_set_str(b, "conv", conv ? purple_conversation_get_name(conv) : NULL);
  tb_host_set_str(b, "title", conv ? purple_conversation_get_title(conv) : NULL);
  tb_host_set_flags(b, flags);
  tb_host_set_text(b, message);
  tb_host_emit_event(b);
}

static void
on_sent_im(PurpleAccount *account, const char *receiver, const char *message)
{
  JsonBuilder *b = tb_host_begin_event("sent-im");
  tb_host_set_account(b, account);
  tb_host_set_str(b, "to", receiver);
  tb_host_set_text(b, message);
  tb_host_emit_event(b);
}

static void
on_sent_chat(PurpleAccount *account, const char *message, int id)
{
  PurpleConnection *gc = purple_account_get_connection(account);
  PurpleConversation *conv = gc ? purple_find_chat(gc, id) : NULL;
  JsonBuilder *b = tb_host_begin_event("sent-chat");
  tb_host_set_account(b, account);
  tb_host_set_str(b, "conv", conv ? purple_conversation_get_name(conv) : NULL);
  tb_host_set_text(b, message);
  tb_host_emit_event(b);
}

static void
on_chat_joined(PurpleConversation *conv)
{
  JsonBuilder *b = tb_host_begin_event("chat-joined");
  tb_host_set_conv(b, conv);
  tb_host_emit_event(b);
}

static void
on_chat_left(PurpleConversation *conv)
{
  JsonBuilder *b = tb_host_begin_event("chat-left");
  tb_host_set_conv(b, conv);
  tb_host_emit_event(b);
}

static void
on_conv_updated(PurpleConversation *conv, PurpleConvUpdateType type)
{
  JsonBuilder *b;
  if (type != PURPLE_CONV_UPDATE_TITLE && type != PURPLE_CONV_UPDATE_TOPIC)
    return;
  b = tb_host_begin_event("conv-updated");
  tb_host_set_conv(b, conv);
  tb_host_set_str(b, "what", type == PURPLE_CONV_UPDATE_TITLE ? "title" : "topic");
  if (purple_conversation_get_type(conv) == PURPLE_CONV_TYPE_CHAT)
    tb_host_set_str(b, "topic", purple_conv_chat_get_topic(PURPLE_CONV_CHAT(conv)));
  tb_host_emit_event(b);
}

/* The plugin's own signals, printed generically from their registered value lists. */
typedef struct {
  gchar *name;
  int num_values;
  PurpleValue **values;
} TbHostSignal;

static GHashTable *connected_signals; /* signal name -> TbHostSignal* once connected */

static void
signal_value_to_json(JsonBuilder *b, PurpleValue *value, va_list *args)
{
  PurpleType type = purple_value_get_type(value);

  if (purple_value_is_outgoing(value)) {
    (void)va_arg(*args, void *);
    json_builder_add_null_value(b);
    return;
  }
  switch (type) {
  case PURPLE_TYPE_CHAR:
  case PURPLE_TYPE_UCHAR:
  case PURPLE_TYPE_SHORT:
  case PURPLE_TYPE_USHORT:
  case PURPLE_TYPE_INT:
  case PURPLE_TYPE_ENUM:
    json_builder_add_int_value(b, va_arg(*args, int));
    break;
  case PURPLE_TYPE_UINT:
    json_builder_add_int_value(b, va_arg(*args, unsigned int));
    break;
  case PURPLE_TYPE_BOOLEAN:
    json_builder_add_boolean_value(b, va_arg(*args, int));
    break;
  case PURPLE_TYPE_LONG:
    json_builder_add_int_value(b, va_arg(*args, long));
    break;
  case PURPLE_TYPE_ULONG:
    json_builder_add_int_value(b, (gint64)va_arg(*args, unsigned long));
    break;
  case PURPLE_TYPE_INT64:
    json_builder_add_int_value(b, va_arg(*args, gint64));
    break;
  case PURPLE_TYPE_UINT64:
    json_builder_add_int_value(b, (gint64)va_arg(*args, guint64));
    break;
  case PURPLE_TYPE_STRING:
    tb_host_add_str(b, va_arg(*args, const char *));
    break;
  case PURPLE_TYPE_SUBTYPE: {
    void *p = va_arg(*args, void *);
    switch (purple_value_get_subtype(value)) {
    case PURPLE_SUBTYPE_ACCOUNT:
      tb_host_add_str(b, p ? tb_host_get_account_name(p) : NULL);
      break;
    case PURPLE_SUBTYPE_CONNECTION:
      tb_host_add_str(b, p ? tb_host_get_account_name(purple_connection_get_account(p)) : NULL);
      break;
    case PURPLE_SUBTYPE_CONVERSATION:
      tb_host_add_str(b, p ? purple_conversation_get_name(p) : NULL);
      break;
    case PURPLE_SUBTYPE_BLIST_BUDDY:
      tb_host_add_str(b, p ? purple_buddy_get_name(p) : NULL);
      break;
    default:
      json_builder_add_null_value(b);
    }
    break;
  }
  default:
    (void)va_arg(*args, void *);
    json_builder_add_null_value(b);
  }
}

static void
on_plugin_signal(va_list args, void *data)
{
  TbHostSignal *sig = data;
  JsonBuilder *b = tb_host_begin_event(sig->name);
  va_list copy;

  tb_host_set_str(b, "signal", sig->name);
  va_copy(copy, args);
  json_builder_set_member_name(b, "args");
  json_builder_begin_array(b);
  for (int i = 0; i < sig->num_values; i++)
    signal_value_to_json(b, sig->values[i], &copy);
  json_builder_end_array(b);
  va_end(copy);
  /* A leading account becomes "account", like every other event. */
  if (sig->num_values > 0 && purple_value_get_type(sig->values[0]) == PURPLE_TYPE_SUBTYPE &&
      purple_value_get_subtype(sig->values[0]) == PURPLE_SUBTYPE_ACCOUNT) {
    va_list again;
    va_copy(again, args);
    tb_host_set_account(b, va_arg(again, PurpleAccount *));
    va_end(again);
  }
  tb_host_emit_event(b);
}

static void
plugin_signals_connect(void)
{
  PurplePlugin *plugin = purple_plugins_find_with_id(tb_host_options.signal_plugin);
  static int handle;

  if (plugin == NULL)
    return;
  for (gchar **s = tb_host_options.signals; s && *s; s++) {
    TbHostSignal *sig;
    PurpleValue *ret = NULL;

    if (g_hash_table_contains(connected_signals, *s))
      continue;
    sig = g_new0(TbHostSignal, 1);
    sig->name = g_strdup(*s);
    /* connect first: it fails quietly (a debug line) when the signal is not registered,
     * whereas purple_signal_get_values would g_critical. */
    if (purple_signal_connect_vargs(plugin, *s, &handle, PURPLE_CALLBACK(on_plugin_signal), sig) ==
        0) {
      g_free(sig->name);
      g_free(sig);
      continue;
    }
    sig->num_values = 0;
    purple_signal_get_values(plugin, *s, &ret, &sig->num_values, &sig->values);
    g_hash_table_insert(connected_signals, g_strdup(*s), sig);
    {
      JsonBuilder *b = tb_host_begin_event("signal-connected");
      tb_host_set_str(b, "signal", *s);
      tb_host_set_int(b, "num_values", sig->num_values);
      tb_host_emit_event(b);
    }
  }
}

static void
on_signed_on(PurpleConnection *gc, gpointer data G_GNUC_UNUSED)
{
  PurpleAccount *account = purple_connection_get_account(gc);
  tb_host_reset_reconnect(account);
  plugin_signals_connect(); /* in case the plugin registers them late */
  tb_host_emit_simple("signed-on", account);
}

static void
on_account_connecting(PurpleAccount *account)
{
  tb_host_emit_simple("account-connecting", account);
}

static void
on_account_disabled(PurpleAccount *account)
{
  tb_host_cancel_reconnect(account);
  tb_host_emit_simple("account-disabled", account);
}

static void
on_account_enabled(PurpleAccount *account)
{
  tb_host_emit_simple("account-enabled", account);
}

static void
connect_core_signals(void)
{
  static int handle;
  void *conv = purple_conversations_get_handle();
  void *conn = purple_connections_get_handle();
  void *acct = purple_accounts_get_handle();

  purple_signal_connect(conn, "signed-on", &handle, PURPLE_CALLBACK(on_signed_on), NULL);
  purple_signal_connect(conn, "signed-off", &handle, PURPLE_CALLBACK(on_signed_off), NULL);
  purple_signal_connect(acct, "account-connecting", &handle, PURPLE_CALLBACK(on_account_connecting),
                        NULL);
  purple_signal_connect(acct, "account-disabled", &handle, PURPLE_CALLBACK(on_account_disabled),
                        NULL);
  purple_signal_connect(acct, "account-enabled", &handle, PURPLE_CALLBACK(on_account_enabled),
                        NULL);
  purple_signal_connect(conv, "received-im-msg", &handle, PURPLE_CALLBACK(on_received_im), NULL);
  purple_signal_connect(conv, "received-chat-msg", &handle, PURPLE_CALLBACK(on_received_chat),
                        NULL);
  purple_signal_connect(conv, "sent-im-msg", &handle, PURPLE_CALLBACK(on_sent_im), NULL);
  purple_signal_connect(conv, "sent-chat-msg", &handle, PURPLE_CALLBACK(on_sent_chat), NULL);
  purple_signal_connect(conv, "chat-joined", &handle, PURPLE_CALLBACK(on_chat_joined), NULL);
  purple_signal_connect(conv, "chat-left", &handle, PURPLE_CALLBACK(on_chat_left), NULL);
  purple_signal_connect(conv, "conversation-updated", &handle, PURPLE_CALLBACK(on_conv_updated),
                        NULL);
}

void
tb_host_connect_signals(void)
{
  connected_signals = g_hash_table_new(g_str_hash, g_str_equal);
  connect_core_signals();
  plugin_signals_connect();
}
