/* tb-host: a headless libpurple host for end-to-end tests, driven by JSON lines.
 *
 *   tb-host --user-dir DIR --plugin-dir DIR --accounts FILE.json [--debug-log FILE]
 *           [--localedir DIR]
 *
 * Everything a UI would show is printed on stdout, one JSON object per line ("event" names the
 * kind); commands arrive on stdin, one JSON object per line, and each gets an "ack" event.
 * The host is allowed to use GLib's main loop; it is libpurple's event loop here (nullclient
 * style, e2e-howto.md §1). The plugin under test never sees GLib's loop directly.
 *
 * Copyright (C) 2026 The Twinbird developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "tb-host"
#define _GNU_SOURCE /* RTLD_NEXT */

#include <dlfcn.h>
#include <errno.h>
#include <libintl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include <purple.h> /* defines PURPLE_PLUGINS before plugin.h (e2e-howto §1 pitfall 1) */

#define UI_ID "tb-host"
#define DEFAULT_PROTOCOL "prpl-twinbird"
#define SIGNAL_PLUGIN_DEFAULT "prpl-twinbird"
#define PLUGIN_TEXT_DOMAIN "twinbird" /* the plugin's GETTEXT_PACKAGE */

/* ---------------------------------------------------------------------------------------------
 * Locale. The host runs in the locale of its environment (setlocale in main, like Pidgin and
 * Finch). The plugin binds its own text domain in its init, to the localedir it was built for
 * (bindtextdomain("twinbird", TB_LOCALEDIR)); a build tree has its catalogs elsewhere, in
 * build/po/<lang>/LC_MESSAGES/twinbird.mo. With --localedir DIR the host defines
 * bindtextdomain so that the plugin's own call for its domain, at the moment the plugin makes it,
 * binds DIR instead: everything the plugin translates, during its init or later, comes from DIR.
 * Every other domain, and every call without the option, goes to libc unchanged, and a plugin
 * that never binds its domain stays untranslated, as it would when installed.
 */
static gchar *opt_localedir;

char *
bindtextdomain(const char *domainname, const char *dirname)
{
  static char *(*libc_bindtextdomain)(const char *, const char *);

  if (libc_bindtextdomain == NULL)
    *(void **)(&libc_bindtextdomain) = dlsym(RTLD_NEXT, "bindtextdomain");
  if (opt_localedir != NULL && dirname != NULL && g_strcmp0(domainname, PLUGIN_TEXT_DOMAIN) == 0)
    dirname = opt_localedir;
  return libc_bindtextdomain(domainname, dirname);
}

/* ---------------------------------------------------------------------------------------------
 * Options and state
 */
static gchar *opt_user_dir;
static gchar *opt_plugin_dir;
static gchar *opt_accounts;
static gchar *opt_debug_log;
static gchar *opt_signal_plugin;
static gchar **opt_signals;
static gint opt_reconnect_ms = 1000;
static gint opt_reconnect_max_ms = 60000;
static gboolean opt_no_reconnect;

static GMainLoop *main_loop;
static FILE *out;       /* the protocol stream: the real stdout; fd 1 itself points at stderr */
static FILE *debug_out; /* --debug-log */
static int exit_code;
static gboolean quitting;

typedef struct {
  PurpleAccount *account;
  guint timer;
  int attempt;
} TbReconnect;
static GHashTable *reconnects; /* PurpleAccount* -> TbReconnect* */
static GHashTable *blist_seen; /* "account\nbuddy" -> last JSON printed (dedupe updates) */
static GHashTable *requests;   /* id -> TbRequest* */
static int next_request_id = 1;
static GHashTable *connected_signals; /* signal name -> GINT_TO_POINTER(1) once connected */

/* ---------------------------------------------------------------------------------------------
 * JSON output
 */
static JsonBuilder *
ev_begin(const char *event)
{
  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "event");
  json_builder_add_string_value(b, event);
  return b;
}

static void
ev_str(JsonBuilder *b, const char *key, const char *val)
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

static void
ev_int(JsonBuilder *b, const char *key, gint64 val)
{
  json_builder_set_member_name(b, key);
  json_builder_add_int_value(b, val);
}

static void
ev_bool(JsonBuilder *b, const char *key, gboolean val)
{
  json_builder_set_member_name(b, key);
  json_builder_add_boolean_value(b, val);
}

static void
add_str_value(JsonBuilder *b, const char *val)
{
  if (val == NULL) {
    json_builder_add_null_value(b);
  } else {
    gchar *fixed = g_utf8_make_valid(val, -1);
    json_builder_add_string_value(b, fixed);
    g_free(fixed);
  }
}

static gchar *
ev_to_string(JsonBuilder *b)
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

static void
emit_line(const char *line)
{
  fputs(line, out);
  fputc('\n', out);
  fflush(out);
}

static void
ev_end(JsonBuilder *b)
{
  gchar *s = ev_to_string(b);
  emit_line(s);
  g_free(s);
}

static const char *
account_name(PurpleAccount *account)
{
  return account ? purple_account_get_username(account) : NULL;
}

static void
ev_account(JsonBuilder *b, PurpleAccount *account)
{
  ev_str(b, "account", account_name(account));
  ev_str(b, "protocol", account ? purple_account_get_protocol_id(account) : NULL);
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

static void
ev_flags(JsonBuilder *b, PurpleMessageFlags flags)
{
  json_builder_set_member_name(b, "flags");
  json_builder_begin_array(b);
  for (gsize i = 0; i < G_N_ELEMENTS(message_flag_names); i++)
    if (flags & message_flag_names[i].flag)
      json_builder_add_string_value(b, message_flag_names[i].name);
  json_builder_end_array(b);
  ev_int(b, "flags_int", flags);
}

static void
ev_text(JsonBuilder *b, const char *message)
{
  gchar *plain = message ? purple_markup_strip_html(message) : NULL;
  gchar *unescaped = plain ? purple_unescape_html(plain) : NULL;
  ev_str(b, "text", message);
  /* What a plain-text UI (Finch, BitlBee) would show: tags removed, entities decoded. */
  ev_str(b, "plain", unescaped ? unescaped : plain);
  g_free(unescaped);
  g_free(plain);
}

static void
ev_conv(JsonBuilder *b, PurpleConversation *conv)
{
  ev_account(b, purple_conversation_get_account(conv));
  ev_str(b, "conv", purple_conversation_get_name(conv));
  ev_str(b, "title", purple_conversation_get_title(conv));
  ev_str(b, "type", conv_type_name(purple_conversation_get_type(conv)));
}

static const char *const connection_error_names[] = {
    "NETWORK_ERROR",
    "INVALID_USERNAME",
    "AUTHENTICATION_FAILED",
    "AUTHENTICATION_IMPOSSIBLE",
    "NO_SSL_SUPPORT",
    "ENCRYPTION_ERROR",
    "NAME_IN_USE",
    "INVALID_SETTINGS",
    "CERT_NOT_PROVIDED",
    "CERT_UNTRUSTED",
    "CERT_EXPIRED",
    "CERT_NOT_ACTIVATED",
    "CERT_HOSTNAME_MISMATCH",
    "CERT_FINGERPRINT_MISMATCH",
    "CERT_SELF_SIGNED",
    "CERT_OTHER_ERROR",
    "OTHER_ERROR",
};

static void
ev_simple(const char *event, PurpleAccount *account)
{
  JsonBuilder *b = ev_begin(event);
  ev_account(b, account);
  ev_end(b);
}

/* ---------------------------------------------------------------------------------------------
 * Event loop (nullclient's GLib implementation)
 */
#define TB_READ_COND (G_IO_IN | G_IO_HUP | G_IO_ERR)
#define TB_WRITE_COND (G_IO_OUT | G_IO_HUP | G_IO_ERR | G_IO_NVAL)

typedef struct {
  PurpleInputFunction function;
  guint result;
  gpointer data;
} TbIoClosure;

static void
io_destroy(gpointer data)
{
  g_free(data);
}

static gboolean
io_invoke(GIOChannel *source, GIOCondition condition, gpointer data)
{
  TbIoClosure *closure = data;
  PurpleInputCondition cond = 0;

  if (condition & TB_READ_COND)
    cond |= PURPLE_INPUT_READ;
  if (condition & TB_WRITE_COND)
    cond |= PURPLE_INPUT_WRITE;
  closure->function(closure->data, g_io_channel_unix_get_fd(source), cond);
  return TRUE;
}

static guint
input_add(gint fd, PurpleInputCondition condition, PurpleInputFunction function, gpointer data)
{
  TbIoClosure *closure = g_new0(TbIoClosure, 1);
  GIOChannel *channel;
  GIOCondition cond = 0;

  closure->function = function;
  closure->data = data;
  if (condition & PURPLE_INPUT_READ)
    cond |= TB_READ_COND;
  if (condition & PURPLE_INPUT_WRITE)
    cond |= TB_WRITE_COND;
  channel = g_io_channel_unix_new(fd);
  closure->result =
      g_io_add_watch_full(channel, G_PRIORITY_DEFAULT, cond, io_invoke, closure, io_destroy);
  g_io_channel_unref(channel);
  return closure->result;
}

static PurpleEventLoopUiOps eventloop_ops = {
    .timeout_add = g_timeout_add,
    .timeout_remove = g_source_remove,
    .input_add = input_add,
    .input_remove = g_source_remove,
    .input_get_error = NULL,
    .timeout_add_seconds = g_timeout_add_seconds,
};

/* ---------------------------------------------------------------------------------------------
 * Debug log
 */
static const char *const debug_level_names[] = {"all", "misc", "info", "warning", "error", "fatal"};

static void
debug_print(PurpleDebugLevel level, const char *category, const char *arg_s)
{
  GDateTime *now;
  gchar *ts;

  if (debug_out == NULL)
    return;
  now = g_date_time_new_now_local();
  ts = g_date_time_format(now, "%H:%M:%S.%f");
  fprintf(debug_out, "%s %s %s: %s\n", ts,
          (guint)level < G_N_ELEMENTS(debug_level_names) ? debug_level_names[level] : "?",
          category ? category : "-", arg_s ? arg_s : "");
  fflush(debug_out);
  g_free(ts);
  g_date_time_unref(now);
}

static gboolean
debug_is_enabled(PurpleDebugLevel level G_GNUC_UNUSED, const char *category G_GNUC_UNUSED)
{
  return debug_out != NULL;
}

static PurpleDebugUiOps debug_ops = {
    .print = debug_print,
    .is_enabled = debug_is_enabled,
};

/* With purple_debug_set_enabled(TRUE) libpurple also g_print()s every line; those copies would
 * corrupt nothing (fd 1 is stderr) but are duplicates of the log file, so drop them. */
static void
print_to_nowhere(const gchar *string G_GNUC_UNUSED)
{
}

/* GLib warnings and criticals (from the plugin or libpurple) go to stderr and the debug log. */
static void
log_handler(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
  if (debug_out != NULL) {
    fprintf(debug_out, "glib %s[%d]: %s\n", domain ? domain : "-", (int)(level & G_LOG_LEVEL_MASK),
            message);
    fflush(debug_out);
  }
  g_log_default_handler(domain, level, message, data);
}

/* ---------------------------------------------------------------------------------------------
 * Conversations
 */
static void
conv_write_conv(PurpleConversation *conv, const char *name, const char *alias, const char *message,
                PurpleMessageFlags flags, time_t mtime)
{
  JsonBuilder *b = ev_begin("write-conv");
  ev_conv(b, conv);
  ev_str(b, "who", name);
  ev_str(b, "alias", alias);
  ev_flags(b, flags);
  ev_text(b, message);
  ev_int(b, "time", (gint64)mtime);
  ev_end(b);
}

static void
conv_create(PurpleConversation *conv)
{
  JsonBuilder *b = ev_begin("conv-created");
  ev_conv(b, conv);
  ev_end(b);
}

static void
conv_destroy(PurpleConversation *conv)
{
  JsonBuilder *b = ev_begin("conv-destroyed");
  ev_conv(b, conv);
  ev_end(b);
}

static void
conv_chat_add_users(PurpleConversation *conv, GList *cbuddies, gboolean new_arrivals)
{
  JsonBuilder *b = ev_begin("chat-add-users");
  ev_conv(b, conv);
  ev_bool(b, "new_arrivals", new_arrivals);
  json_builder_set_member_name(b, "users");
  json_builder_begin_array(b);
  for (GList *l = cbuddies; l; l = l->next) {
    PurpleConvChatBuddy *cb = l->data;
    json_builder_begin_object(b);
    ev_str(b, "name", purple_conv_chat_cb_get_name(cb));
    ev_str(b, "alias", cb->alias);
    ev_int(b, "flags", cb->flags);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  ev_end(b);
}

static void
conv_chat_remove_users(PurpleConversation *conv, GList *users)
{
  JsonBuilder *b = ev_begin("chat-remove-users");
  ev_conv(b, conv);
  json_builder_set_member_name(b, "users");
  json_builder_begin_array(b);
  for (GList *l = users; l; l = l->next)
    add_str_value(b, l->data);
  json_builder_end_array(b);
  ev_end(b);
}

static PurpleConversationUiOps conv_ops = {
    .create_conversation = conv_create,
    .destroy_conversation = conv_destroy,
    .write_conv = conv_write_conv,
    .chat_add_users = conv_chat_add_users,
    .chat_remove_users = conv_chat_remove_users,
};

/* ---------------------------------------------------------------------------------------------
 * Buddy list
 */
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

  ev_account(b, purple_buddy_get_account(buddy));
  ev_str(b, "buddy", purple_buddy_get_name(buddy));
  ev_str(b, "alias", purple_buddy_get_alias(buddy));
  ev_str(b, "server_alias", purple_buddy_get_server_alias(buddy));
  ev_str(b, "group", group ? purple_group_get_name(group) : NULL);
  ev_bool(b, "online", presence ? purple_presence_is_online(presence) : FALSE);
  ev_str(b, "status", buddy_status_id(buddy));
  ev_str(b, "status_message", status ? purple_status_get_attr_string(status, "message") : NULL);
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
  b = ev_begin("blist-update");
  buddy_to_json(b, (PurpleBuddy *)node);
  line = ev_to_string(b);
  key = buddy_key((PurpleBuddy *)node);
  seen = g_hash_table_lookup(blist_seen, key);
  if (seen == NULL || strcmp(seen, line) != 0) {
    emit_line(line);
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
  b = ev_begin("blist-remove");
  ev_account(b, purple_buddy_get_account((PurpleBuddy *)node));
  ev_str(b, "buddy", purple_buddy_get_name((PurpleBuddy *)node));
  ev_end(b);
}

/* Any PurpleBlistUiOps makes libpurple install its blist.xml save hooks (pitfall 8). */
static PurpleBlistUiOps blist_ops = {
    .update = blist_update,
    .remove = blist_remove,
};

/* ---------------------------------------------------------------------------------------------
 * Requests: each gets a host id; tests answer them by id.
 */
typedef struct {
  int id;
  PurpleRequestType type;
  const char *kind; /* "input", "action", "choice", "fields", "file", "folder" */
  void *user_data;
  GCallback ok_cb;
  GCallback cancel_cb;
  GCallback *action_cbs;
  gsize action_count;
  PurpleRequestFields *fields;
} TbRequest;

static void
request_free(gpointer data)
{
  TbRequest *req = data;
  g_free(req->action_cbs);
  g_free(req);
}

static TbRequest *
request_new(PurpleRequestType type, const char *kind, void *user_data)
{
  TbRequest *req = g_new0(TbRequest, 1);
  req->id = next_request_id++;
  req->type = type;
  req->kind = kind;
  req->user_data = user_data;
  g_hash_table_insert(requests, GINT_TO_POINTER(req->id), req);
  return req;
}

static JsonBuilder *
request_begin(const char *event, TbRequest *req, const char *title, const char *primary,
              const char *secondary, PurpleAccount *account, const char *who,
              PurpleConversation *conv)
{
  JsonBuilder *b = ev_begin(event);
  ev_int(b, "id", req->id);
  ev_account(b, account);
  ev_str(b, "who", who);
  ev_str(b, "conv", conv ? purple_conversation_get_name(conv) : NULL);
  ev_str(b, "title", title);
  ev_str(b, "primary", primary);
  ev_str(b, "secondary", secondary);
  return b;
}

static void *
req_input(const char *title, const char *primary, const char *secondary, const char *default_value,
          gboolean multiline, gboolean masked, gchar *hint, const char *ok_text, GCallback ok_cb,
          const char *cancel_text, GCallback cancel_cb, PurpleAccount *account, const char *who,
          PurpleConversation *conv, void *user_data)
{
  TbRequest *req = request_new(PURPLE_REQUEST_INPUT, "input", user_data);
  JsonBuilder *b;

  req->ok_cb = ok_cb;
  req->cancel_cb = cancel_cb;
  b = request_begin("request-input", req, title, primary, secondary, account, who, conv);
  ev_str(b, "default", default_value);
  ev_bool(b, "multiline", multiline);
  ev_bool(b, "masked", masked);
  ev_str(b, "hint", hint);
  ev_str(b, "ok_text", ok_text);
  ev_str(b, "cancel_text", cancel_text);
  ev_end(b);
  return req;
}

static void *
req_choice(const char *title, const char *primary, const char *secondary, int default_value,
           const char *ok_text, GCallback ok_cb, const char *cancel_text, GCallback cancel_cb,
           PurpleAccount *account, const char *who, PurpleConversation *conv, void *user_data,
           va_list choices)
{
  TbRequest *req = request_new(PURPLE_REQUEST_CHOICE, "choice", user_data);
  JsonBuilder *b;
  const char *label;

  req->ok_cb = ok_cb;
  req->cancel_cb = cancel_cb;
  b = request_begin("request-choice", req, title, primary, secondary, account, who, conv);
  ev_int(b, "default", default_value);
  ev_str(b, "ok_text", ok_text);
  ev_str(b, "cancel_text", cancel_text);
  json_builder_set_member_name(b, "choices");
  json_builder_begin_array(b);
  while ((label = va_arg(choices, const char *)) != NULL) {
    int value = va_arg(choices, int);
    json_builder_begin_object(b);
    ev_str(b, "label", label);
    ev_int(b, "value", value);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  ev_end(b);
  return req;
}

static void *
req_action(const char *title, const char *primary, const char *secondary, int default_action,
           PurpleAccount *account, const char *who, PurpleConversation *conv, void *user_data,
           size_t action_count, va_list actions)
{
  TbRequest *req = request_new(PURPLE_REQUEST_ACTION, "action", user_data);
  JsonBuilder *b;

  req->action_count = action_count;
  req->action_cbs = g_new0(GCallback, action_count + 1);
  b = request_begin("request-action", req, title, primary, secondary, account, who, conv);
  ev_int(b, "default", default_action);
  json_builder_set_member_name(b, "actions");
  json_builder_begin_array(b);
  for (size_t i = 0; i < action_count; i++) {
    const char *label = va_arg(actions, const char *);
    req->action_cbs[i] = va_arg(actions, GCallback);
    add_str_value(b, label);
  }
  json_builder_end_array(b);
  ev_end(b);
  return req;
}

static const char *
field_type_name(PurpleRequestFieldType t)
{
  static const char *const names[] = {"none", "string", "integer", "boolean", "choice",
                                      "list", "label",  "image",   "account"};
  return (guint)t < G_N_ELEMENTS(names) ? names[t] : "unknown";
}

static void *
req_fields(const char *title, const char *primary, const char *secondary,
           PurpleRequestFields *fields, const char *ok_text, GCallback ok_cb,
           const char *cancel_text, GCallback cancel_cb, PurpleAccount *account, const char *who,
           PurpleConversation *conv, void *user_data)
{
  TbRequest *req = request_new(PURPLE_REQUEST_FIELDS, "fields", user_data);
  JsonBuilder *b;

  req->ok_cb = ok_cb;
  req->cancel_cb = cancel_cb;
  req->fields = fields;
  b = request_begin("request-fields", req, title, primary, secondary, account, who, conv);
  ev_str(b, "ok_text", ok_text);
  ev_str(b, "cancel_text", cancel_text);
  json_builder_set_member_name(b, "fields");
  json_builder_begin_array(b);
  for (GList *g = purple_request_fields_get_groups(fields); g; g = g->next) {
    for (GList *f = purple_request_field_group_get_fields(g->data); f; f = f->next) {
      PurpleRequestField *field = f->data;
      PurpleRequestFieldType t = purple_request_field_get_type(field);
      json_builder_begin_object(b);
      ev_str(b, "group", purple_request_field_group_get_title(g->data));
      ev_str(b, "id", purple_request_field_get_id(field));
      ev_str(b, "label", purple_request_field_get_label(field));
      ev_str(b, "type", field_type_name(t));
      ev_bool(b, "required", purple_request_field_is_required(field));
      if (t == PURPLE_REQUEST_FIELD_STRING) {
        ev_str(b, "value", purple_request_field_string_get_value(field));
        ev_bool(b, "masked", purple_request_field_string_is_masked(field));
        ev_bool(b, "multiline", purple_request_field_string_is_multiline(field));
      } else if (t == PURPLE_REQUEST_FIELD_INTEGER) {
        ev_int(b, "value", purple_request_field_int_get_value(field));
      } else if (t == PURPLE_REQUEST_FIELD_BOOLEAN) {
        ev_bool(b, "value", purple_request_field_bool_get_value(field));
      } else if (t == PURPLE_REQUEST_FIELD_CHOICE) {
        ev_int(b, "value", purple_request_field_choice_get_value(field));
        json_builder_set_member_name(b, "labels");
        json_builder_begin_array(b);
        for (GList *l = purple_request_field_choice_get_labels(field); l; l = l->next)
          add_str_value(b, l->data);
        json_builder_end_array(b);
      }
      json_builder_end_object(b);
    }
  }
  json_builder_end_array(b);
  ev_end(b);
  return req;
}

static void *
req_file(const char *title, const char *filename, gboolean savedialog, GCallback ok_cb,
         GCallback cancel_cb, PurpleAccount *account, const char *who, PurpleConversation *conv,
         void *user_data)
{
  TbRequest *req = request_new(PURPLE_REQUEST_FILE, "file", user_data);
  JsonBuilder *b;

  req->ok_cb = ok_cb;
  req->cancel_cb = cancel_cb;
  b = request_begin("request-file", req, title, NULL, NULL, account, who, conv);
  ev_str(b, "filename", filename);
  ev_bool(b, "save", savedialog);
  ev_end(b);
  return req;
}

static void *
req_folder(const char *title, const char *dirname, GCallback ok_cb, GCallback cancel_cb,
           PurpleAccount *account, const char *who, PurpleConversation *conv, void *user_data)
{
  TbRequest *req = request_new(PURPLE_REQUEST_FOLDER, "folder", user_data);
  JsonBuilder *b;

  req->ok_cb = ok_cb;
  req->cancel_cb = cancel_cb;
  b = request_begin("request-folder", req, title, NULL, NULL, account, who, conv);
  ev_str(b, "dirname", dirname);
  ev_end(b);
  return req;
}

static void
req_close(PurpleRequestType type G_GNUC_UNUSED, void *ui_handle)
{
  TbRequest *req = ui_handle;
  JsonBuilder *b = ev_begin("request-closed");
  ev_int(b, "id", req->id);
  ev_str(b, "kind", req->kind);
  ev_end(b);
  g_hash_table_remove(requests, GINT_TO_POINTER(req->id)); /* frees req */
}

static PurpleRequestUiOps request_ops = {
    .request_input = req_input,
    .request_choice = req_choice,
    .request_action = req_action,
    .request_fields = req_fields,
    .request_file = req_file,
    .close_request = req_close,
    .request_folder = req_folder,
};

/* After a callback ran, close the request unless the callback already did. */
static void
request_finish(int id)
{
  TbRequest *req = g_hash_table_lookup(requests, GINT_TO_POINTER(id));
  if (req != NULL)
    purple_request_close(req->type, req);
}

/* ---------------------------------------------------------------------------------------------
 * Notifications
 */
static const char *
notify_msg_type_name(PurpleNotifyMsgType t)
{
  switch (t) {
  case PURPLE_NOTIFY_MSG_ERROR:
    return "error";
  case PURPLE_NOTIFY_MSG_WARNING:
    return "warning";
  case PURPLE_NOTIFY_MSG_INFO:
    return "info";
  default:
    return "unknown";
  }
}

/* Returning NULL tells libpurple the notice is already gone (its close callback runs at once). */
static void *
notify_message(PurpleNotifyMsgType type, const char *title, const char *primary,
               const char *secondary)
{
  JsonBuilder *b = ev_begin("notify");
  ev_str(b, "title", title);
  ev_str(b, "primary", primary);
  ev_str(b, "secondary", secondary);
  ev_str(b, "type", notify_msg_type_name(type));
  ev_end(b);
  return NULL;
}

static void *
notify_formatted(const char *title, const char *primary, const char *secondary, const char *text)
{
  JsonBuilder *b = ev_begin("notify");
  ev_str(b, "title", title);
  ev_str(b, "primary", primary);
  ev_str(b, "secondary", secondary);
  ev_str(b, "type", "formatted");
  ev_text(b, text);
  ev_end(b);
  return NULL;
}

static void *
notify_email(PurpleConnection *gc, const char *subject, const char *from, const char *to,
             const char *url)
{
  JsonBuilder *b = ev_begin("notify-email");
  ev_account(b, purple_connection_get_account(gc));
  ev_str(b, "subject", subject);
  ev_str(b, "from", from);
  ev_str(b, "to", to);
  ev_str(b, "url", url);
  ev_end(b);
  return NULL;
}

static void *
notify_searchresults(PurpleConnection *gc, const char *title, const char *primary,
                     const char *secondary, PurpleNotifySearchResults *results,
                     gpointer user_data G_GNUC_UNUSED)
{
  JsonBuilder *b = ev_begin("notify-searchresults");
  ev_account(b, purple_connection_get_account(gc));
  ev_str(b, "title", title);
  ev_str(b, "primary", primary);
  ev_str(b, "secondary", secondary);
  json_builder_set_member_name(b, "columns");
  json_builder_begin_array(b);
  for (GList *l = results->columns; l; l = l->next)
    add_str_value(b, ((PurpleNotifySearchColumn *)l->data)->title);
  json_builder_end_array(b);
  json_builder_set_member_name(b, "rows");
  json_builder_begin_array(b);
  for (GList *r = results->rows; r; r = r->next) {
    json_builder_begin_array(b);
    for (GList *c = r->data; c; c = c->next)
      add_str_value(b, c->data);
    json_builder_end_array(b);
  }
  json_builder_end_array(b);
  ev_end(b);
  return NULL;
}

static void *
notify_userinfo(PurpleConnection *gc, const char *who, PurpleNotifyUserInfo *user_info)
{
  JsonBuilder *b = ev_begin("userinfo");
  gchar *text = purple_notify_user_info_get_text_with_newline(user_info, "\n");
  ev_account(b, gc ? purple_connection_get_account(gc) : NULL);
  ev_str(b, "who", who);
  ev_text(b, text);
  json_builder_set_member_name(b, "entries");
  json_builder_begin_array(b);
  for (GList *l = purple_notify_user_info_get_entries(user_info); l; l = l->next) {
    PurpleNotifyUserInfoEntry *e = l->data;
    json_builder_begin_object(b);
    ev_str(b, "label", purple_notify_user_info_entry_get_label(e));
    ev_str(b, "value", purple_notify_user_info_entry_get_value(e));
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  ev_end(b);
  g_free(text);
  return NULL;
}

static void *
notify_uri(const char *uri)
{
  JsonBuilder *b = ev_begin("notify-uri");
  ev_str(b, "uri", uri);
  ev_end(b);
  return NULL;
}

static PurpleNotifyUiOps notify_ops = {
    .notify_message = notify_message,
    .notify_email = notify_email,
    .notify_formatted = notify_formatted,
    .notify_searchresults = notify_searchresults,
    .notify_userinfo = notify_userinfo,
    .notify_uri = notify_uri,
};

/* ---------------------------------------------------------------------------------------------
 * Connections, with Pidgin-like reconnection of non-fatal errors (a UI's job in libpurple 2).
 */
static void
reconnect_cancel(PurpleAccount *account)
{
  TbReconnect *rc = g_hash_table_lookup(reconnects, account);
  if (rc != NULL && rc->timer != 0) {
    g_source_remove(rc->timer);
    rc->timer = 0;
  }
}

static gboolean
reconnect_fire(gpointer data)
{
  TbReconnect *rc = data;
  JsonBuilder *b;

  rc->timer = 0;
  if (quitting || !purple_account_get_enabled(rc->account, UI_ID) ||
      !purple_account_is_disconnected(rc->account))
    return FALSE;
  b = ev_begin("reconnecting");
  ev_account(b, rc->account);
  ev_int(b, "attempt", rc->attempt);
  ev_end(b);
  purple_account_connect(rc->account);
  return FALSE;
}

static void
reconnect_schedule(PurpleAccount *account)
{
  TbReconnect *rc = g_hash_table_lookup(reconnects, account);
  JsonBuilder *b;
  gint64 delay;

  if (rc == NULL) {
    rc = g_new0(TbReconnect, 1);
    rc->account = account;
    g_hash_table_insert(reconnects, account, rc);
  }
  reconnect_cancel(account);
  delay = (gint64)opt_reconnect_ms << MIN(rc->attempt, 16);
  if (delay > opt_reconnect_max_ms)
    delay = opt_reconnect_max_ms;
  rc->attempt++;
  rc->timer = g_timeout_add((guint)delay, reconnect_fire, rc);
  b = ev_begin("reconnect-scheduled");
  ev_account(b, account);
  ev_int(b, "attempt", rc->attempt);
  ev_int(b, "delay_ms", delay);
  ev_end(b);
}

static void
conn_progress(PurpleConnection *gc, const char *text, size_t step, size_t step_count)
{
  JsonBuilder *b = ev_begin("connection-progress");
  ev_account(b, purple_connection_get_account(gc));
  ev_str(b, "text", text);
  ev_int(b, "step", (gint64)step);
  ev_int(b, "step_count", (gint64)step_count);
  ev_end(b);
}

static void
conn_notice(PurpleConnection *gc, const char *text)
{
  JsonBuilder *b = ev_begin("connection-notice");
  ev_account(b, purple_connection_get_account(gc));
  ev_str(b, "text", text);
  ev_end(b);
}

static void
conn_report_disconnect_reason(PurpleConnection *gc, PurpleConnectionError reason, const char *text)
{
  PurpleAccount *account = purple_connection_get_account(gc);
  gboolean fatal = purple_connection_error_is_fatal(reason);
  JsonBuilder *b = ev_begin("connection-error");

  ev_account(b, account);
  ev_int(b, "reason", reason);
  ev_str(b, "reason_name",
         (guint)reason < G_N_ELEMENTS(connection_error_names) ? connection_error_names[reason]
                                                              : "UNKNOWN");
  ev_bool(b, "fatal", fatal);
  ev_str(b, "description", text);
  ev_end(b);
  if (!fatal && !opt_no_reconnect && !quitting)
    reconnect_schedule(account);
}

static PurpleConnectionUiOps connection_ops = {
    .connect_progress = conn_progress,
    .notice = conn_notice,
    .report_disconnect_reason = conn_report_disconnect_reason,
};

/* ---------------------------------------------------------------------------------------------
 * Accounts
 */
static void
account_status_changed(PurpleAccount *account, PurpleStatus *status)
{
  JsonBuilder *b = ev_begin("account-status");
  ev_account(b, account);
  ev_str(b, "status", purple_status_get_id(status));
  ev_end(b);
}

static void
account_request_add(PurpleAccount *account, const char *remote_user, const char *id,
                    const char *alias, const char *message)
{
  JsonBuilder *b = ev_begin("account-request-add");
  ev_account(b, account);
  ev_str(b, "remote_user", remote_user);
  ev_str(b, "id", id);
  ev_str(b, "alias", alias);
  ev_str(b, "message", message);
  ev_end(b);
}

static PurpleAccountUiOps account_ops = {
    .status_changed = account_status_changed,
    .request_add = account_request_add,
};

/* ---------------------------------------------------------------------------------------------
 * Signals
 */
static void on_signed_on(PurpleConnection *gc, gpointer data G_GNUC_UNUSED);

static void
on_signed_off(PurpleConnection *gc, gpointer data G_GNUC_UNUSED)
{
  ev_simple("signed-off", purple_connection_get_account(gc));
}

static void
on_received_im(PurpleAccount *account, char *sender, char *message, PurpleConversation *conv,
               PurpleMessageFlags flags)
{
  JsonBuilder *b = ev_begin("received-im");
  ev_account(b, account);
  ev_str(b, "who", sender);
  ev_str(b, "conv", conv ? purple_conversation_get_name(conv) : NULL);
  ev_flags(b, flags);
  ev_text(b, message);
  ev_end(b);
}

static void
on_received_chat(PurpleAccount *account, char *sender, char *message, PurpleConversation *conv,
                 PurpleMessageFlags flags)
{
  JsonBuilder *b = ev_begin("received-chat");
  ev_account(b, account);
  ev_str(b, "who", sender);
  ev_str(b, "conv", conv ? purple_conversation_get_name(conv) : NULL);
  ev_str(b, "title", conv ? purple_conversation_get_title(conv) : NULL);
  ev_flags(b, flags);
  ev_text(b, message);
  ev_end(b);
}

static void
on_sent_im(PurpleAccount *account, const char *receiver, const char *message)
{
  JsonBuilder *b = ev_begin("sent-im");
  ev_account(b, account);
  ev_str(b, "to", receiver);
  ev_text(b, message);
  ev_end(b);
}

static void
on_sent_chat(PurpleAccount *account, const char *message, int id)
{
  PurpleConnection *gc = purple_account_get_connection(account);
  PurpleConversation *conv = gc ? purple_find_chat(gc, id) : NULL;
  JsonBuilder *b = ev_begin("sent-chat");
  ev_account(b, account);
  ev_str(b, "conv", conv ? purple_conversation_get_name(conv) : NULL);
  ev_text(b, message);
  ev_end(b);
}

static void
on_chat_joined(PurpleConversation *conv)
{
  JsonBuilder *b = ev_begin("chat-joined");
  ev_conv(b, conv);
  ev_end(b);
}

static void
on_chat_left(PurpleConversation *conv)
{
  JsonBuilder *b = ev_begin("chat-left");
  ev_conv(b, conv);
  ev_end(b);
}

static void
on_conv_updated(PurpleConversation *conv, PurpleConvUpdateType type)
{
  JsonBuilder *b;
  if (type != PURPLE_CONV_UPDATE_TITLE && type != PURPLE_CONV_UPDATE_TOPIC)
    return;
  b = ev_begin("conv-updated");
  ev_conv(b, conv);
  ev_str(b, "what", type == PURPLE_CONV_UPDATE_TITLE ? "title" : "topic");
  if (purple_conversation_get_type(conv) == PURPLE_CONV_TYPE_CHAT)
    ev_str(b, "topic", purple_conv_chat_get_topic(PURPLE_CONV_CHAT(conv)));
  ev_end(b);
}

/* The plugin's own signals, printed generically from their registered value lists. */
typedef struct {
  gchar *name;
  int num_values;
  PurpleValue **values;
} TbSignal;

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
    add_str_value(b, va_arg(*args, const char *));
    break;
  case PURPLE_TYPE_SUBTYPE: {
    void *p = va_arg(*args, void *);
    switch (purple_value_get_subtype(value)) {
    case PURPLE_SUBTYPE_ACCOUNT:
      add_str_value(b, p ? account_name(p) : NULL);
      break;
    case PURPLE_SUBTYPE_CONNECTION:
      add_str_value(b, p ? account_name(purple_connection_get_account(p)) : NULL);
      break;
    case PURPLE_SUBTYPE_CONVERSATION:
      add_str_value(b, p ? purple_conversation_get_name(p) : NULL);
      break;
    case PURPLE_SUBTYPE_BLIST_BUDDY:
      add_str_value(b, p ? purple_buddy_get_name(p) : NULL);
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
  TbSignal *sig = data;
  JsonBuilder *b = ev_begin(sig->name);
  va_list copy;

  ev_str(b, "signal", sig->name);
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
    ev_account(b, va_arg(again, PurpleAccount *));
    va_end(again);
  }
  ev_end(b);
}

static void
plugin_signals_connect(void)
{
  PurplePlugin *plugin = purple_plugins_find_with_id(opt_signal_plugin);
  static int handle;

  if (plugin == NULL)
    return;
  for (gchar **s = opt_signals; s && *s; s++) {
    TbSignal *sig;
    PurpleValue *ret = NULL;

    if (g_hash_table_contains(connected_signals, *s))
      continue;
    sig = g_new0(TbSignal, 1);
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
      JsonBuilder *b = ev_begin("signal-connected");
      ev_str(b, "signal", *s);
      ev_int(b, "num_values", sig->num_values);
      ev_end(b);
    }
  }
}

static void
on_signed_on(PurpleConnection *gc, gpointer data G_GNUC_UNUSED)
{
  PurpleAccount *account = purple_connection_get_account(gc);
  TbReconnect *rc = g_hash_table_lookup(reconnects, account);
  if (rc != NULL)
    rc->attempt = 0;
  plugin_signals_connect(); /* in case the plugin registers them late */
  ev_simple("signed-on", account);
}

static void
on_account_connecting(PurpleAccount *account)
{
  ev_simple("account-connecting", account);
}

static void
on_account_disabled(PurpleAccount *account)
{
  reconnect_cancel(account);
  ev_simple("account-disabled", account);
}

static void
on_account_enabled(PurpleAccount *account)
{
  ev_simple("account-enabled", account);
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

/* ---------------------------------------------------------------------------------------------
 * Core
 */
static GHashTable *ui_info;

static GHashTable *
core_get_ui_info(void)
{
  if (ui_info == NULL) {
    ui_info = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(ui_info, "name", "tb-host");
    g_hash_table_insert(ui_info, "version", "1");
    g_hash_table_insert(ui_info, "website", "https://example.invalid/twinbird");
    g_hash_table_insert(ui_info, "client_type", "bot");
  }
  return ui_info;
}

static void
core_ui_init(void)
{
  purple_conversations_set_ui_ops(&conv_ops);
  purple_blist_set_ui_ops(&blist_ops);
  purple_request_set_ui_ops(&request_ops);
  purple_notify_set_ui_ops(&notify_ops);
  purple_connections_set_ui_ops(&connection_ops);
  purple_accounts_set_ui_ops(&account_ops);
}

static void
core_debug_ui_init(void)
{
  if (debug_out != NULL) {
    purple_debug_set_ui_ops(&debug_ops);
    /* Plugins may gate logging on purple_debug_is_enabled(): a debug log must see it all. */
    purple_debug_set_enabled(TRUE);
    g_set_print_handler(print_to_nowhere);
  }
}

static void
core_quit(void)
{
  JsonBuilder *b = ev_begin("core-quit");
  ev_end(b);
}

static PurpleCoreUiOps core_ops = {
    .debug_ui_init = core_debug_ui_init,
    .ui_init = core_ui_init,
    .quit = core_quit,
    .get_ui_info = core_get_ui_info,
};

/* ---------------------------------------------------------------------------------------------
 * Accounts file
 */
static gboolean
apply_setting(PurpleAccount *account, const char *key, JsonNode *value, GError **error)
{
  if (strcmp(key, "password") == 0 || strcmp(key, "alias") == 0) {
    if (!JSON_NODE_HOLDS_VALUE(value) || json_node_get_value_type(value) != G_TYPE_STRING) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s must be a string", key);
      return FALSE;
    }
    if (key[0] == 'p')
      purple_account_set_password(account, json_node_get_string(value));
    else
      purple_account_set_alias(account, json_node_get_string(value));
    return TRUE;
  }
  if (JSON_NODE_HOLDS_NULL(value)) {
    purple_account_remove_setting(account, key);
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE(value)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "setting %s: value must be a string, an int or a bool", key);
    return FALSE;
  }
  switch (json_node_get_value_type(value)) {
  case G_TYPE_STRING:
    purple_account_set_string(account, key, json_node_get_string(value));
    return TRUE;
  case G_TYPE_INT64:
    purple_account_set_int(account, key, (int)json_node_get_int(value));
    return TRUE;
  case G_TYPE_BOOLEAN:
    purple_account_set_bool(account, key, json_node_get_boolean(value));
    return TRUE;
  default:
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "setting %s: value must be a string, an int or a bool", key);
    return FALSE;
  }
}

static const char *
obj_str(JsonObject *o, const char *key, const char *dflt)
{
  JsonNode *n = json_object_get_member(o, key);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return dflt;
  return json_node_get_string(n);
}

static gboolean
obj_bool(JsonObject *o, const char *key, gboolean dflt)
{
  JsonNode *n = json_object_get_member(o, key);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
    return dflt;
  return json_node_get_boolean(n);
}

static GPtrArray *managed_accounts; /* PurpleAccount*, in file order */
static GPtrArray *accounts_to_enable;

static gboolean
load_accounts(const char *path, GError **error)
{
  JsonParser *parser = json_parser_new();
  JsonNode *root;
  JsonArray *list;
  JsonObject *top;

  if (!json_parser_load_from_file(parser, path, error)) {
    g_object_unref(parser);
    return FALSE;
  }
  root = json_parser_get_root(parser);
  if (!JSON_NODE_HOLDS_OBJECT(root) ||
      !json_object_has_member(top = json_node_get_object(root), "accounts") ||
      !JSON_NODE_HOLDS_ARRAY(json_object_get_member(top, "accounts"))) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: expected {\"accounts\": [...]}",
                path);
    g_object_unref(parser);
    return FALSE;
  }
  list = json_object_get_array_member(top, "accounts");
  for (guint i = 0; i < json_array_get_length(list); i++) {
    JsonObject *a = json_array_get_object_element(list, i);
    const char *protocol, *username, *password, *alias;
    PurpleAccount *account;

    if (a == NULL || (username = obj_str(a, "username", NULL)) == NULL) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: account %u has no username",
                  path, i);
      g_object_unref(parser);
      return FALSE;
    }
    protocol = obj_str(a, "protocol", DEFAULT_PROTOCOL);
    password = obj_str(a, "password", NULL);
    alias = obj_str(a, "alias", NULL);
    account = purple_accounts_find(username, protocol);
    if (account == NULL) {
      account = purple_account_new(username, protocol);
      purple_accounts_add(account);
    }
    purple_account_set_remember_password(account, TRUE);
    if (password != NULL)
      purple_account_set_password(account, password);
    if (alias != NULL)
      purple_account_set_alias(account, alias);
    if (json_object_has_member(a, "settings")) {
      JsonObject *settings = json_object_get_object_member(a, "settings");
      GList *members = settings ? json_object_get_members(settings) : NULL;
      for (GList *m = members; m; m = m->next) {
        if (!apply_setting(account, m->data, json_object_get_member(settings, m->data), error)) {
          g_list_free(members);
          g_object_unref(parser);
          return FALSE;
        }
      }
      g_list_free(members);
    }
    g_ptr_array_add(managed_accounts, account);
    if (obj_bool(a, "enabled", TRUE))
      g_ptr_array_add(accounts_to_enable, account);
    else
      purple_account_set_enabled(account, UI_ID, FALSE);
  }
  g_object_unref(parser);
  return TRUE;
}

/* ---------------------------------------------------------------------------------------------
 * Commands
 */
static PurpleAccount *
find_account(JsonObject *cmd, GError **error)
{
  const char *name = obj_str(cmd, "account", NULL);
  const char *protocol = obj_str(cmd, "protocol", NULL);

  if (name == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "missing \"account\"");
    return NULL;
  }
  for (GList *l = purple_accounts_get_all(); l; l = l->next) {
    PurpleAccount *a = l->data;
    if (strcmp(purple_account_get_username(a), name) == 0 &&
        (protocol == NULL || strcmp(purple_account_get_protocol_id(a), protocol) == 0))
      return a;
  }
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no account %s", name);
  return NULL;
}

static const char *
need_str(JsonObject *cmd, const char *key, GError **error)
{
  const char *s = obj_str(cmd, key, NULL);
  if (s == NULL)
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "missing \"%s\"", key);
  return s;
}

/* Typed text is plain; a UI hands the prpl markup, so escape it as Pidgin, Finch and BitlBee do.
 * "raw": true sends the text as markup unchanged. */
static gchar *
typed_text(JsonObject *cmd, const char *text)
{
  return obj_bool(cmd, "raw", FALSE) ? g_strdup(text) : purple_markup_escape_text(text, -1);
}

static gboolean
cmd_send_im(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = find_account(cmd, error);
  const char *to, *text;
  PurpleConversation *conv;
  gchar *msg;

  if (account == NULL || (to = need_str(cmd, "to", error)) == NULL ||
      (text = need_str(cmd, "text", error)) == NULL)
    return FALSE;
  conv = purple_find_conversation_with_account(PURPLE_CONV_TYPE_IM, to, account);
  if (conv == NULL)
    conv = purple_conversation_new(PURPLE_CONV_TYPE_IM, account, to);
  msg = typed_text(cmd, text);
  purple_conv_im_send(PURPLE_CONV_IM(conv), msg);
  g_free(msg);
  return TRUE;
}

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

static gboolean
cmd_chat_send(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = find_account(cmd, error);
  const char *name, *text;
  PurpleConversation *conv;
  gchar *msg;

  if (account == NULL || (name = need_str(cmd, "conv", error)) == NULL ||
      (text = need_str(cmd, "text", error)) == NULL)
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

static gboolean
cmd_join_chat(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = find_account(cmd, error);
  PurpleConnection *gc;
  PurplePluginProtocolInfo *prpl;
  GHashTable *components;
  const char *name;

  if (account == NULL || (name = need_str(cmd, "name", error)) == NULL)
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

static TbRequest *
find_request(JsonObject *cmd, const char *kind, GError **error)
{
  JsonNode *n = json_object_get_member(cmd, "id");
  TbRequest *req;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "missing integer \"id\"");
    return NULL;
  }
  req = g_hash_table_lookup(requests, GINT_TO_POINTER((int)json_node_get_int(n)));
  if (req == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no open request %d",
                (int)json_node_get_int(n));
    return NULL;
  }
  if (kind != NULL && strcmp(req->kind, kind) != 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "request %d is a %s request",
                req->id, req->kind);
    return NULL;
  }
  return req;
}

static gboolean
cmd_request_answer(JsonObject *cmd, GError **error)
{
  TbRequest *req = find_request(cmd, NULL, error);
  const char *text;
  int id;

  if (req == NULL || (text = need_str(cmd, "text", error)) == NULL)
    return FALSE;
  id = req->id;
  if (strcmp(req->kind, "input") == 0 || strcmp(req->kind, "file") == 0 ||
      strcmp(req->kind, "folder") == 0) {
    if (req->ok_cb != NULL)
      ((PurpleRequestInputCb)req->ok_cb)(req->user_data, text);
  } else {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "request %d is a %s request",
                req->id, req->kind);
    return FALSE;
  }
  request_finish(id);
  return TRUE;
}

static gboolean
cmd_request_action_answer(JsonObject *cmd, GError **error)
{
  TbRequest *req = find_request(cmd, "action", error);
  JsonNode *n = json_object_get_member(cmd, "index");
  gint64 index;
  int id;

  if (req == NULL)
    return FALSE;
  if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
      (index = json_node_get_int(n)) < 0 || (guint64)index >= req->action_count) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "\"index\" must be 0..%zu",
                req->action_count ? req->action_count - 1 : 0);
    return FALSE;
  }
  id = req->id;
  if (req->action_cbs[index] != NULL)
    ((PurpleRequestActionCb)req->action_cbs[index])(req->user_data, (int)index);
  request_finish(id);
  return TRUE;
}

static gboolean
cmd_request_choice_answer(JsonObject *cmd, GError **error)
{
  TbRequest *req = find_request(cmd, "choice", error);
  JsonNode *n = json_object_get_member(cmd, "value");
  int id;

  if (req == NULL)
    return FALSE;
  if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "missing integer \"value\"");
    return FALSE;
  }
  id = req->id;
  if (req->ok_cb != NULL)
    ((PurpleRequestChoiceCb)req->ok_cb)(req->user_data, (int)json_node_get_int(n));
  request_finish(id);
  return TRUE;
}

static gboolean
cmd_request_fields_answer(JsonObject *cmd, GError **error)
{
  TbRequest *req = find_request(cmd, "fields", error);
  JsonObject *values;
  GList *members;
  int id;

  if (req == NULL)
    return FALSE;
  values =
      json_object_has_member(cmd, "values") ? json_object_get_object_member(cmd, "values") : NULL;
  members = values ? json_object_get_members(values) : NULL;
  for (GList *m = members; m; m = m->next) {
    PurpleRequestField *field = purple_request_fields_get_field(req->fields, m->data);
    JsonNode *v = json_object_get_member(values, m->data);
    if (field == NULL || !JSON_NODE_HOLDS_VALUE(v)) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad field %s", (char *)m->data);
      g_list_free(members);
      return FALSE;
    }
    switch (purple_request_field_get_type(field)) {
    case PURPLE_REQUEST_FIELD_STRING:
      purple_request_field_string_set_value(field, json_node_get_string(v));
      break;
    case PURPLE_REQUEST_FIELD_INTEGER:
      purple_request_field_int_set_value(field, (int)json_node_get_int(v));
      break;
    case PURPLE_REQUEST_FIELD_BOOLEAN:
      purple_request_field_bool_set_value(field, json_node_get_boolean(v));
      break;
    case PURPLE_REQUEST_FIELD_CHOICE:
      purple_request_field_choice_set_value(field, (int)json_node_get_int(v));
      break;
    default:
      break;
    }
  }
  g_list_free(members);
  id = req->id;
  if (req->ok_cb != NULL)
    ((PurpleRequestFieldsCb)req->ok_cb)(req->user_data, req->fields);
  request_finish(id);
  return TRUE;
}

static gboolean
cmd_request_cancel(JsonObject *cmd, GError **error)
{
  TbRequest *req = find_request(cmd, NULL, error);
  int id;

  if (req == NULL)
    return FALSE;
  id = req->id;
  if (req->cancel_cb != NULL) {
    if (strcmp(req->kind, "fields") == 0)
      ((PurpleRequestFieldsCb)req->cancel_cb)(req->user_data, req->fields);
    else if (strcmp(req->kind, "choice") == 0)
      ((PurpleRequestChoiceCb)req->cancel_cb)(req->user_data, 0);
    else
      ((PurpleRequestInputCb)req->cancel_cb)(req->user_data, NULL);
  }
  request_finish(id);
  return TRUE;
}

static gboolean
cmd_set_setting(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = find_account(cmd, error);
  const char *key;

  if (account == NULL || (key = need_str(cmd, "key", error)) == NULL)
    return FALSE;
  if (!json_object_has_member(cmd, "value")) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "missing \"value\"");
    return FALSE;
  }
  return apply_setting(account, key, json_object_get_member(cmd, "value"), error);
}

static gboolean
cmd_enable(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = find_account(cmd, error);
  if (account == NULL)
    return FALSE;
  if (!purple_account_get_enabled(account, UI_ID))
    purple_account_set_enabled(account, UI_ID, TRUE);
  else if (purple_account_is_disconnected(account)) /* enabled but down (e.g. a fatal error) */
    purple_account_connect(account);
  return TRUE;
}

static gboolean
cmd_disable(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = find_account(cmd, error);
  if (account == NULL)
    return FALSE;
  reconnect_cancel(account);
  purple_account_set_enabled(account, UI_ID, FALSE);
  if (!purple_account_is_disconnected(account))
    purple_account_disconnect(account);
  return TRUE;
}

static gboolean
cmd_list_buddies(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = NULL;
  JsonBuilder *b;
  GSList *buddies;

  if (json_object_has_member(cmd, "account") && (account = find_account(cmd, error)) == NULL)
    return FALSE;
  buddies = account ? purple_find_buddies(account, NULL) : NULL;
  if (account == NULL)
    for (GList *l = purple_accounts_get_all(); l; l = l->next)
      buddies = g_slist_concat(buddies, purple_find_buddies(l->data, NULL));
  b = ev_begin("buddies");
  ev_str(b, "account", account_name(account));
  json_builder_set_member_name(b, "list");
  json_builder_begin_array(b);
  for (GSList *l = buddies; l; l = l->next) {
    json_builder_begin_object(b);
    buddy_to_json(b, l->data);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  ev_end(b);
  g_slist_free(buddies);
  return TRUE;
}

static gboolean
cmd_list_convs(JsonObject *cmd G_GNUC_UNUSED, GError **error G_GNUC_UNUSED)
{
  JsonBuilder *b = ev_begin("convs");
  json_builder_set_member_name(b, "list");
  json_builder_begin_array(b);
  for (GList *l = purple_get_conversations(); l; l = l->next) {
    PurpleConversation *conv = l->data;
    json_builder_begin_object(b);
    ev_conv(b, conv);
    if (purple_conversation_get_type(conv) == PURPLE_CONV_TYPE_CHAT) {
      PurpleConvChat *chat = PURPLE_CONV_CHAT(conv);
      ev_str(b, "topic", purple_conv_chat_get_topic(chat));
      ev_bool(b, "left", purple_conv_chat_has_left(chat));
    }
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  ev_end(b);
  return TRUE;
}

static gboolean
cmd_history(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = find_account(cmd, error);
  const char *name;
  const char *type = obj_str(cmd, "type", NULL);
  PurpleConversation *conv = NULL;
  JsonBuilder *b;
  GList *history;

  if (account == NULL || (name = need_str(cmd, "conv", error)) == NULL)
    return FALSE;
  if (type == NULL || strcmp(type, "im") == 0)
    conv = purple_find_conversation_with_account(PURPLE_CONV_TYPE_IM, name, account);
  if (conv == NULL && (type == NULL || strcmp(type, "chat") == 0))
    conv = find_chat(account, name);
  if (conv == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no conversation %s", name);
    return FALSE;
  }
  b = ev_begin("history");
  ev_conv(b, conv);
  json_builder_set_member_name(b, "list");
  json_builder_begin_array(b);
  /* libpurple keeps it newest first */
  history = g_list_reverse(g_list_copy(purple_conversation_get_message_history(conv)));
  for (GList *l = history; l; l = l->next) {
    PurpleConvMessage *m = l->data;
    json_builder_begin_object(b);
    ev_str(b, "who", purple_conversation_message_get_sender(m));
    ev_str(b, "alias", m->alias);
    ev_flags(b, purple_conversation_message_get_flags(m));
    ev_text(b, purple_conversation_message_get_message(m));
    ev_int(b, "time", (gint64)purple_conversation_message_get_timestamp(m));
    json_builder_end_object(b);
  }
  g_list_free(history);
  json_builder_end_array(b);
  ev_end(b);
  return TRUE;
}

static gboolean
cmd_list_accounts(JsonObject *cmd G_GNUC_UNUSED, GError **error G_GNUC_UNUSED)
{
  JsonBuilder *b = ev_begin("accounts");
  json_builder_set_member_name(b, "list");
  json_builder_begin_array(b);
  for (GList *l = purple_accounts_get_all(); l; l = l->next) {
    PurpleAccount *a = l->data;
    json_builder_begin_object(b);
    ev_account(b, a);
    ev_str(b, "alias", purple_account_get_alias(a));
    ev_bool(b, "enabled", purple_account_get_enabled(a, UI_ID));
    ev_bool(b, "connected", purple_account_is_connected(a));
    ev_bool(b, "connecting", purple_account_is_connecting(a));
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  ev_end(b);
  return TRUE;
}

static gboolean
cmd_close_conv(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = find_account(cmd, error);
  const char *name;
  PurpleConversation *conv;

  if (account == NULL || (name = need_str(cmd, "conv", error)) == NULL)
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

static gboolean
cmd_get_info(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = find_account(cmd, error);
  const char *who;
  PurpleConnection *gc;

  if (account == NULL || (who = need_str(cmd, "who", error)) == NULL)
    return FALSE;
  gc = purple_account_get_connection(account);
  if (gc == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "account not connected");
    return FALSE;
  }
  serv_get_info(gc, who);
  return TRUE;
}

/* Runs one of the prpl's account actions (Pidgin's Accounts menu) by the start of its label. */
static gboolean
cmd_account_action(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = find_account(cmd, error);
  const char *label;
  PurpleConnection *gc;
  PurplePlugin *prpl;
  GList *actions, *l;
  gboolean found = FALSE;

  if (account == NULL || (label = need_str(cmd, "label", error)) == NULL)
    return FALSE;
  gc = purple_account_get_connection(account);
  if (gc == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "account not connected");
    return FALSE;
  }
  prpl = purple_connection_get_prpl(gc);
  if (!PURPLE_PLUGIN_HAS_ACTIONS(prpl)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "the protocol has no actions");
    return FALSE;
  }
  actions = PURPLE_PLUGIN_ACTIONS(prpl, gc);
  for (l = actions; l != NULL; l = l->next) {
    PurplePluginAction *action = l->data;
    if (action != NULL && !found && g_str_has_prefix(action->label, label)) {
      action->plugin = prpl;
      action->context = gc;
      action->callback(action);
      found = TRUE;
    }
    if (action != NULL)
      purple_plugin_action_free(action);
  }
  g_list_free(actions);
  if (!found)
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no action starting with \"%s\"", label);
  return found;
}

static gboolean
cmd_ping(JsonObject *cmd G_GNUC_UNUSED, GError **error G_GNUC_UNUSED)
{
  return TRUE;
}

static gboolean
idle_quit(gpointer data G_GNUC_UNUSED)
{
  if (!quitting) {
    GHashTableIter it;
    gpointer account;

    quitting = TRUE;
    g_hash_table_iter_init(&it, reconnects);
    while (g_hash_table_iter_next(&it, &account, NULL))
      reconnect_cancel(account);
    purple_core_quit();
    g_main_loop_quit(main_loop);
  }
  return FALSE;
}

static gboolean
cmd_quit(JsonObject *cmd G_GNUC_UNUSED, GError **error G_GNUC_UNUSED)
{
  g_idle_add(idle_quit, NULL); /* after the ack is printed */
  return TRUE;
}

static const struct {
  const char *name;
  gboolean (*run)(JsonObject *cmd, GError **error);
} commands[] = {
    {"send-im", cmd_send_im},
    {"chat-send", cmd_chat_send},
    {"join-chat", cmd_join_chat},
    {"request-answer", cmd_request_answer},
    {"request-action-answer", cmd_request_action_answer},
    {"request-choice-answer", cmd_request_choice_answer},
    {"request-fields-answer", cmd_request_fields_answer},
    {"request-cancel", cmd_request_cancel},
    {"set-setting", cmd_set_setting},
    {"enable", cmd_enable},
    {"connect", cmd_enable},
    {"disable", cmd_disable},
    {"list-buddies", cmd_list_buddies},
    {"list-convs", cmd_list_convs},
    {"list-accounts", cmd_list_accounts},
    {"history", cmd_history},
    {"close-conv", cmd_close_conv},
    {"get-info", cmd_get_info},
    {"ping", cmd_ping},
    {"account-action", cmd_account_action},
    {"quit", cmd_quit},
};

static void
run_command_line(const char *line)
{
  JsonParser *parser = json_parser_new();
  GError *error = NULL;
  JsonObject *cmd = NULL;
  const char *name = NULL;
  gboolean ok = FALSE;
  JsonBuilder *b;
  JsonNode *seq = NULL;

  if (!json_parser_load_from_data(parser, line, -1, &error)) {
    /* error set */
  } else if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
    g_set_error(&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "a command is a JSON object");
  } else {
    cmd = json_node_get_object(json_parser_get_root(parser));
    name = obj_str(cmd, "cmd", NULL);
    seq = json_object_get_member(cmd, "seq");
    if (name == NULL) {
      g_set_error(&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "missing \"cmd\"");
    } else {
      gsize i;
      for (i = 0; i < G_N_ELEMENTS(commands); i++)
        if (strcmp(commands[i].name, name) == 0)
          break;
      if (i == G_N_ELEMENTS(commands))
        g_set_error(&error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "unknown command %s", name);
      else
        ok = commands[i].run(cmd, &error);
    }
  }
  b = ev_begin("ack");
  ev_str(b, "cmd", name);
  ev_bool(b, "ok", ok && error == NULL);
  if (seq != NULL) {
    json_builder_set_member_name(b, "seq");
    json_builder_add_value(b, json_node_copy(seq));
  }
  if (error != NULL) {
    ev_str(b, "error", error->message);
    g_error_free(error);
  }
  ev_end(b);
  g_object_unref(parser);
}

static gboolean
stdin_readable(GIOChannel *channel, GIOCondition condition G_GNUC_UNUSED,
               gpointer data G_GNUC_UNUSED)
{
  for (;;) {
    gchar *line = NULL;
    gsize len = 0;
    GError *error = NULL;
    GIOStatus st = g_io_channel_read_line(channel, &line, &len, NULL, &error);

    if (st == G_IO_STATUS_NORMAL) {
      g_strstrip(line);
      if (*line != '\0')
        run_command_line(line);
      g_free(line);
      if (!(g_io_channel_get_buffer_condition(channel) & G_IO_IN))
        return TRUE;
      continue;
    }
    g_free(line);
    if (st == G_IO_STATUS_AGAIN)
      return TRUE;
    if (error != NULL)
      g_error_free(error);
    /* EOF (or a broken stdin) means quit */
    g_idle_add(idle_quit, NULL);
    return FALSE;
  }
}

static gboolean
on_unix_signal(gpointer data G_GNUC_UNUSED)
{
  idle_quit(NULL);
  return G_SOURCE_REMOVE;
}

/* ---------------------------------------------------------------------------------------------
 * Start-up
 */
static void
emit_prpls(void)
{
  for (GList *l = purple_plugins_get_protocols(); l; l = l->next) {
    PurplePlugin *p = l->data;
    PurplePluginProtocolInfo *prpl = PURPLE_PLUGIN_PROTOCOL_INFO(p);
    const char *path = p->path;
    JsonBuilder *b;

    /* only the plugins under test, not libpurple's stock protocols */
    if (path == NULL || opt_plugin_dir == NULL || !g_str_has_prefix(path, opt_plugin_dir))
      continue;
    b = ev_begin("prpl");
    ev_str(b, "id", purple_plugin_get_id(p));
    ev_str(b, "name", purple_plugin_get_name(p));
    ev_str(b, "version", purple_plugin_get_version(p));
    ev_str(b, "path", path);
    ev_bool(b, "loaded", purple_plugin_is_loaded(p));
    json_builder_set_member_name(b, "options");
    json_builder_begin_array(b);
    for (GList *o = prpl->protocol_options; o; o = o->next) {
      PurpleAccountOption *opt = o->data;
      PurplePrefType t = purple_account_option_get_type(opt);
      json_builder_begin_object(b);
      ev_str(b, "key", purple_account_option_get_setting(opt));
      ev_str(b, "text", purple_account_option_get_text(opt));
      if (t == PURPLE_PREF_BOOLEAN) {
        ev_str(b, "type", "bool");
        ev_bool(b, "default", purple_account_option_get_default_bool(opt));
      } else if (t == PURPLE_PREF_INT) {
        ev_str(b, "type", "int");
        ev_int(b, "default", purple_account_option_get_default_int(opt));
      } else if (t == PURPLE_PREF_STRING) {
        ev_str(b, "type", "string");
        ev_str(b, "default", purple_account_option_get_default_string(opt));
      } else if (t == PURPLE_PREF_STRING_LIST) {
        ev_str(b, "type", "list");
        ev_str(b, "default", purple_account_option_get_default_list_value(opt));
      } else {
        ev_str(b, "type", "other");
      }
      json_builder_end_object(b);
    }
    json_builder_end_array(b);
    ev_end(b);
  }
}

static void
emit_ready(void)
{
  JsonBuilder *b = ev_begin("ready");
  ev_str(b, "libpurple", purple_core_get_version());
  ev_str(b, "user_dir", purple_user_dir());
  ev_str(b, "ui", UI_ID);
  ev_int(b, "pid", getpid());
  json_builder_set_member_name(b, "accounts");
  json_builder_begin_array(b);
  for (guint i = 0; i < managed_accounts->len; i++)
    add_str_value(b, purple_account_get_username(managed_accounts->pdata[i]));
  json_builder_end_array(b);
  json_builder_set_member_name(b, "protocols");
  json_builder_begin_array(b);
  for (GList *l = purple_plugins_get_protocols(); l; l = l->next)
    add_str_value(b, purple_plugin_get_id(l->data));
  json_builder_end_array(b);
  ev_end(b);
}

static void
fatal_event(const char *message)
{
  JsonBuilder *b = ev_begin("fatal");
  ev_str(b, "error", message);
  ev_end(b);
  fprintf(stderr, "tb-host: %s\n", message);
}

/* libpurple unloads plugins at quit; a sanitizer's leak report printed after that cannot name
 * the plugin's functions. Opening each one once more with RTLD_NODELETE keeps it mapped. */
static void
keep_plugins_mapped(const char *dir)
{
  GDir *d = g_dir_open(dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
    if (g_str_has_suffix(name, "." G_MODULE_SUFFIX)) {
      char *path = g_build_filename(dir, name, NULL);
      if (dlopen(path, RTLD_LAZY | RTLD_NODELETE) == NULL)
        fprintf(stderr, "tb-host: %s\n", dlerror());
      g_free(path);
    }
  }
  if (d != NULL)
    g_dir_close(d);
}

int
main(int argc, char **argv)
{
  static const char *default_signals[] = {"twinbird-mention-received", "twinbird-dm-received",
                                          "twinbird-message-sent", NULL};
  GOptionEntry entries[] = {
      {"user-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_user_dir, "libpurple user dir", "DIR"},
      {"plugin-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_plugin_dir,
       "directory searched first for plugins", "DIR"},
      {"accounts", 0, 0, G_OPTION_ARG_FILENAME, &opt_accounts, "accounts JSON file", "FILE"},
      {"debug-log", 0, 0, G_OPTION_ARG_FILENAME, &opt_debug_log,
       "write every libpurple debug line here", "FILE"},
      {"signal-plugin", 0, 0, G_OPTION_ARG_STRING, &opt_signal_plugin,
       "plugin id whose signals are printed (default prpl-twinbird)", "ID"},
      {"signal", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_signals,
       "plugin signal to print (repeatable; default: the twinbird-* signals)", "NAME"},
      {"reconnect-ms", 0, 0, G_OPTION_ARG_INT, &opt_reconnect_ms,
       "first reconnect delay after a non-fatal error (doubles each time)", "MS"},
      {"reconnect-max-ms", 0, 0, G_OPTION_ARG_INT, &opt_reconnect_max_ms, "longest reconnect delay",
       "MS"},
      {"no-reconnect", 0, 0, G_OPTION_ARG_NONE, &opt_no_reconnect, "never reconnect by itself",
       NULL},
      {"localedir", 0, 0, G_OPTION_ARG_FILENAME, &opt_localedir,
       "where the plugin's text domain is bound (a build tree's po/ directory)", "DIR"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("- headless libpurple host for Twinbird tests");
  GError *error = NULL;
  GIOChannel *in;
  int out_fd;

  setlocale(LC_ALL, ""); /* as a UI does; gettext then also honours LANGUAGE */
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "tb-host: %s\n", error->message);
    return 2;
  }
  g_option_context_free(ctx);
  if (opt_user_dir == NULL || opt_plugin_dir == NULL) {
    fprintf(stderr, "usage: tb-host --user-dir DIR --plugin-dir DIR [--accounts FILE.json] "
                    "[--debug-log FILE]\n");
    return 2;
  }
  if (opt_signal_plugin == NULL)
    opt_signal_plugin = g_strdup(SIGNAL_PLUGIN_DEFAULT);
  if (opt_signals == NULL)
    opt_signals = g_strdupv((gchar **)default_signals);

  /* Keep the protocol stream clean: our events go to the real stdout, anything else that
   * writes to fd 1 (a stray printf in a library) lands on stderr. */
  out_fd = dup(STDOUT_FILENO);
  out = fdopen(out_fd, "w");
  if (out == NULL || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    perror("tb-host: stdout");
    return 2;
  }
  if (opt_debug_log != NULL && (debug_out = fopen(opt_debug_log, "a")) == NULL) {
    fprintf(stderr, "tb-host: %s: %s\n", opt_debug_log, g_strerror(errno));
    return 2;
  }
  g_log_set_default_handler(log_handler, NULL);

  reconnects = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  blist_seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  requests = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, request_free);
  connected_signals = g_hash_table_new(g_str_hash, g_str_equal);
  managed_accounts = g_ptr_array_new();
  accounts_to_enable = g_ptr_array_new();
  main_loop = g_main_loop_new(NULL, FALSE);

  /* Order matters (e2e-howto §1 pitfall 5): all of this before purple_core_init(). */
  g_mkdir_with_parents(opt_user_dir, 0700);
  purple_util_set_user_dir(opt_user_dir);
  purple_core_set_ui_ops(&core_ops);
  purple_eventloop_set_ui_ops(&eventloop_ops);
  purple_plugins_add_search_path(opt_plugin_dir);
  keep_plugins_mapped(opt_plugin_dir);

  if (!purple_core_init(UI_ID)) {
    fatal_event("libpurple initialisation failed");
    return 1;
  }
  /* what nullclient does after core init (pitfall 7) */
  purple_set_blist(purple_blist_new());
  purple_blist_load();
  purple_prefs_load();
  purple_plugins_load_saved("/purple/tb-host/plugins/loaded");
  purple_pounces_load();

  connect_core_signals();
  plugin_signals_connect();
  emit_prpls();

  if (opt_accounts != NULL && !load_accounts(opt_accounts, &error)) {
    fatal_event(error->message);
    g_error_free(error);
    purple_core_quit();
    return 1;
  }
  emit_ready();

  in = g_io_channel_unix_new(STDIN_FILENO);
  g_io_channel_set_encoding(in, NULL, NULL);
  g_io_add_watch(in, G_IO_IN | G_IO_HUP | G_IO_ERR, stdin_readable, NULL);
  g_unix_signal_add(SIGTERM, on_unix_signal, NULL);
  g_unix_signal_add(SIGINT, on_unix_signal, NULL);

  /* Enable the accounts, then go available: that connects them (pitfall 9). */
  for (guint i = 0; i < accounts_to_enable->len; i++)
    purple_account_set_enabled(accounts_to_enable->pdata[i], UI_ID, TRUE);
  {
    PurpleSavedStatus *saved =
        purple_savedstatus_find_transient_by_type_and_message(PURPLE_STATUS_AVAILABLE, NULL);
    if (saved == NULL)
      saved = purple_savedstatus_new(NULL, PURPLE_STATUS_AVAILABLE);
    purple_savedstatus_activate(saved);
  }

  g_main_loop_run(main_loop);

  g_io_channel_unref(in);
  if (debug_out != NULL)
    fclose(debug_out);
  fflush(out);
  return exit_code;
}
