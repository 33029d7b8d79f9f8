/* tb-host: connections (with Pidgin-like reconnection), accounts, the accounts file and the
 * commands that work on accounts.
 *
 * Copyright (C) 2026 The Twinbird developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include "tb-host.h"

#define DEFAULT_PROTOCOL "prpl-twinbird"

/* ---------------------------------------------------------------------------------------------
 * Connections, with Pidgin-like reconnection of non-fatal errors (a UI's job in libpurple 2).
 */
typedef struct {
  PurpleAccount *account;
  guint timer;
  int attempt;
} TbHostReconnect;

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

static GHashTable *reconnects; /* PurpleAccount* -> TbHostReconnect* */

void
tb_host_init_reconnects(void)
{
  reconnects = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
}

void
tb_host_cancel_reconnect(PurpleAccount *account)
{
  TbHostReconnect *rc = g_hash_table_lookup(reconnects, account);
  if (rc != NULL && rc->timer != 0) {
    g_source_remove(rc->timer);
    rc->timer = 0;
  }
}

void
tb_host_cancel_reconnects(void)
{
  GHashTableIter it;
  gpointer account;

  g_hash_table_iter_init(&it, reconnects);
  while (g_hash_table_iter_next(&it, &account, NULL))
    tb_host_cancel_reconnect(account);
}

/* Signed on: the next error starts again from the first delay. */
void
tb_host_reset_reconnect(PurpleAccount *account)
{
  TbHostReconnect *rc = g_hash_table_lookup(reconnects, account);
  if (rc != NULL)
    rc->attempt = 0;
}

static gboolean
reconnect_fire(gpointer data)
{
  TbHostReconnect *rc = data;
  JsonBuilder *b;

  rc->timer = 0;
  if (tb_host_is_quitting() || !purple_account_get_enabled(rc->account, TB_HOST_UI_ID) ||
      !purple_account_is_disconnected(rc->account))
    return FALSE;
  b = tb_host_begin_event("reconnecting");
  tb_host_set_account(b, rc->account);
  tb_host_set_int(b, "attempt", rc->attempt);
  tb_host_emit_event(b);
  purple_account_connect(rc->account);
  return FALSE;
}

static void
reconnect_schedule(PurpleAccount *account)
{
  TbHostReconnect *rc = g_hash_table_lookup(reconnects, account);
  JsonBuilder *b;
  gint64 delay;

  if (rc == NULL) {
    rc = g_new0(TbHostReconnect, 1);
    rc->account = account;
    g_hash_table_insert(reconnects, account, rc);
  }
  tb_host_cancel_reconnect(account);
  delay = (gint64)tb_host_options.reconnect_ms << MIN(rc->attempt, 16);
  if (delay > tb_host_options.reconnect_max_ms)
    delay = tb_host_options.reconnect_max_ms;
  rc->attempt++;
  rc->timer = g_timeout_add((guint)delay, reconnect_fire, rc);
  b = tb_host_begin_event("reconnect-scheduled");
  tb_host_set_account(b, account);
  tb_host_set_int(b, "attempt", rc->attempt);
  tb_host_set_int(b, "delay_ms", delay);
  tb_host_emit_event(b);
}

static void
conn_progress(PurpleConnection *gc, const char *text, size_t step, size_t step_count)
{
  JsonBuilder *b = tb_host_begin_event("connection-progress");
  tb_host_set_account(b, purple_connection_get_account(gc));
  tb_host_set_str(b, "text", text);
  tb_host_set_int(b, "step", (gint64)step);
  tb_host_set_int(b, "step_count", (gint64)step_count);
  tb_host_emit_event(b);
}

static void
conn_notice(PurpleConnection *gc, const char *text)
{
  JsonBuilder *b = tb_host_begin_event("connection-notice");
  tb_host_set_account(b, purple_connection_get_account(gc));
  tb_host_set_str(b, "text", text);
  tb_host_emit_event(b);
}

static void
conn_report_disconnect_reason(PurpleConnection *gc, PurpleConnectionError reason, const char *text)
{
  PurpleAccount *account = purple_connection_get_account(gc);
  gboolean fatal = purple_connection_error_is_fatal(reason);
  JsonBuilder *b = tb_host_begin_event("connection-error");

  tb_host_set_account(b, account);
  tb_host_set_int(b, "reason", reason);
  tb_host_set_str(b, "reason_name",
                  (guint)reason < G_N_ELEMENTS(connection_error_names)
                      ? connection_error_names[reason]
                      : "UNKNOWN");
  tb_host_set_bool(b, "fatal", fatal);
  tb_host_set_str(b, "description", text);
  tb_host_emit_event(b);
  if (!fatal && !tb_host_options.no_reconnect && !tb_host_is_quitting())
    reconnect_schedule(account);
}

PurpleConnectionUiOps tb_host_connection_ops = {
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
  JsonBuilder *b = tb_host_begin_event("account-status");
  tb_host_set_account(b, account);
  tb_host_set_str(b, "status", purple_status_get_id(status));
  tb_host_emit_event(b);
}

static void
account_request_add(PurpleAccount *account, const char *remote_user, const char *id,
                    const char *alias, const char *message)
{
  JsonBuilder *b = tb_host_begin_event("account-request-add");
  tb_host_set_account(b, account);
  tb_host_set_str(b, "remote_user", remote_user);
  tb_host_set_str(b, "id", id);
  tb_host_set_str(b, "alias", alias);
  tb_host_set_str(b, "message", message);
  tb_host_emit_event(b);
}

PurpleAccountUiOps tb_host_account_ops = {
    .status_changed = account_status_changed,
    .request_add = account_request_add,
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

/* libpurple's proxy kinds by the names its prefs use (/purple/proxy/type). */
static const struct {
  const char *name;
  PurpleProxyType type;
} proxy_types[] = {
    {"none", PURPLE_PROXY_NONE},         {"http", PURPLE_PROXY_HTTP},
    {"socks4", PURPLE_PROXY_SOCKS4},     {"socks5", PURPLE_PROXY_SOCKS5},
    {"tor", PURPLE_PROXY_TOR},           {"envvar", PURPLE_PROXY_USE_ENVVAR},
    {"global", PURPLE_PROXY_USE_GLOBAL},
};

static gboolean
proxy_type_of(const char *name, PurpleProxyType *type, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS(proxy_types); i++) {
    if (g_strcmp0(name, proxy_types[i].name) == 0) {
      *type = proxy_types[i].type;
      return TRUE;
    }
  }
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "unknown proxy type '%s'",
              name ? name : "");
  return FALSE;
}

static int
member_int(JsonObject *o, const char *key, int dflt)
{
  JsonNode *n = json_object_get_member(o, key);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
    return dflt;
  return (int)json_node_get_int(n);
}

/* {"type", "host", "port", "username", "password"}: an account's own proxy, as Pidgin's account
 * dialog sets it. */
static gboolean
apply_account_proxy(PurpleAccount *account, JsonObject *p, GError **error)
{
  PurpleProxyType type;
  if (!proxy_type_of(tb_host_get_member_str(p, "type", NULL), &type, error))
    return FALSE;
  PurpleProxyInfo *info = purple_proxy_info_new();
  purple_proxy_info_set_type(info, type);
  purple_proxy_info_set_host(info, tb_host_get_member_str(p, "host", NULL));
  purple_proxy_info_set_port(info, member_int(p, "port", 0));
  purple_proxy_info_set_username(info, tb_host_get_member_str(p, "username", NULL));
  purple_proxy_info_set_password(info, tb_host_get_member_str(p, "password", NULL));
  purple_account_set_proxy_info(account, info); /* takes it */
  return TRUE;
}

/* The same at top level: the global proxy, through the prefs that Pidgin's and Finch's network
 * preferences write (libpurple's proxy code follows them). */
static gboolean
apply_global_proxy(JsonObject *p, GError **error)
{
  PurpleProxyType type;
  if (!proxy_type_of(tb_host_get_member_str(p, "type", NULL), &type, error))
    return FALSE;
  purple_prefs_set_string("/purple/proxy/type", tb_host_get_member_str(p, "type", NULL));
  purple_prefs_set_string("/purple/proxy/host", tb_host_get_member_str(p, "host", ""));
  purple_prefs_set_int("/purple/proxy/port", member_int(p, "port", 0));
  purple_prefs_set_string("/purple/proxy/username", tb_host_get_member_str(p, "username", ""));
  purple_prefs_set_string("/purple/proxy/password", tb_host_get_member_str(p, "password", ""));
  if (json_object_has_member(p, "socks4_remotedns"))
    purple_prefs_set_bool("/purple/proxy/socks4_remotedns",
                          tb_host_get_member_bool(p, "socks4_remotedns", FALSE));
  return TRUE;
}

static GList *managed_accounts; /* PurpleAccount*, in file order */
static GList *accounts_to_enable;

gboolean
tb_host_load_accounts(const char *path, GError **error)
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
  if (json_object_has_member(top, "proxy") &&
      !apply_global_proxy(json_object_get_object_member(top, "proxy"), error)) {
    g_object_unref(parser);
    return FALSE;
  }
  for (guint i = 0; i < json_array_get_length(list); i++) {
    JsonObject *a = json_array_get_object_element(list, i);
    const char *protocol, *username, *password, *alias;
    PurpleAccount *account;

    if (a == NULL || (username = tb_host_get_member_str(a, "username", NULL)) == NULL) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: account %u has no username",
                  path, i);
      g_object_unref(parser);
      return FALSE;
    }
    protocol = tb_host_get_member_str(a, "protocol", DEFAULT_PROTOCOL);
    password = tb_host_get_member_str(a, "password", NULL);
    alias = tb_host_get_member_str(a, "alias", NULL);
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
    if (json_object_has_member(a, "proxy") &&
        !apply_account_proxy(account, json_object_get_object_member(a, "proxy"), error)) {
      g_object_unref(parser);
      return FALSE;
    }
    managed_accounts = g_list_append(managed_accounts, account);
    if (tb_host_get_member_bool(a, "enabled", TRUE))
      accounts_to_enable = g_list_append(accounts_to_enable, account);
    else
      purple_account_set_enabled(account, TB_HOST_UI_ID, FALSE);
  }
  g_object_unref(parser);
  return TRUE;
}

GList *
tb_host_get_managed_accounts(void)
{
  return managed_accounts;
}

/* Enable the accounts, then go available: that connects them (pitfall 9). */
void
tb_host_connect_accounts(void)
{
  PurpleSavedStatus *saved;

  for (GList *l = accounts_to_enable; l; l = l->next)
    purple_account_set_enabled(l->data, TB_HOST_UI_ID, TRUE);
  saved = purple_savedstatus_find_transient_by_type_and_message(PURPLE_STATUS_AVAILABLE, NULL);
  if (saved == NULL)
    saved = purple_savedstatus_new(NULL, PURPLE_STATUS_AVAILABLE);
  purple_savedstatus_activate(saved);
}

/* ---------------------------------------------------------------------------------------------
 * Commands: set-setting, enable (connect), disable, list-accounts, get-info, account-action
 */
gboolean
tb_host_cmd_set_setting(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = tb_host_find_account(cmd, error);
  const char *key;

  if (account == NULL || (key = tb_host_need_str(cmd, "key", error)) == NULL)
    return FALSE;
  if (!json_object_has_member(cmd, "value")) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "missing \"value\"");
    return FALSE;
  }
  return apply_setting(account, key, json_object_get_member(cmd, "value"), error);
}

gboolean
tb_host_cmd_enable(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = tb_host_find_account(cmd, error);
  if (account == NULL)
    return FALSE;
  if (!purple_account_get_enabled(account, TB_HOST_UI_ID))
    purple_account_set_enabled(account, TB_HOST_UI_ID, TRUE);
  else if (purple_account_is_disconnected(account)) /* enabled but down (e.g. a fatal error) */
    purple_account_connect(account);
  return TRUE;
}

gboolean
tb_host_cmd_disable(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = tb_host_find_account(cmd, error);
  if (account == NULL)
    return FALSE;
  tb_host_cancel_reconnect(account);
  purple_account_set_enabled(account, TB_HOST_UI_ID, FALSE);
  if (!purple_account_is_disconnected(account))
    purple_account_disconnect(account);
  return TRUE;
}

static void
add_account(JsonBuilder *b, gpointer item)
{
  PurpleAccount *a = item;
  json_builder_begin_object(b);
  tb_host_set_account(b, a);
  tb_host_set_str(b, "alias", purple_account_get_alias(a));
  tb_host_set_bool(b, "enabled", purple_account_get_enabled(a, TB_HOST_UI_ID));
  tb_host_set_bool(b, "connected", purple_account_is_connected(a));
  tb_host_set_bool(b, "connecting", purple_account_is_connecting(a));
  json_builder_end_object(b);
}

gboolean
tb_host_cmd_list_accounts(JsonObject *cmd G_GNUC_UNUSED, GError **error G_GNUC_UNUSED)
{
  JsonBuilder *b = tb_host_begin_event("accounts");
  tb_host_add_list(b, "list", purple_accounts_get_all(), add_account);
  tb_host_emit_event(b);
  return TRUE;
}

gboolean
tb_host_cmd_get_info(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = tb_host_find_account(cmd, error);
  const char *who;
  PurpleConnection *gc;

  if (account == NULL || (who = tb_host_need_str(cmd, "who", error)) == NULL)
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
gboolean
tb_host_cmd_account_action(JsonObject *cmd, GError **error)
{
  PurpleAccount *account = tb_host_find_account(cmd, error);
  const char *label;
  PurpleConnection *gc;
  PurplePlugin *prpl;
  GList *actions, *l;
  gboolean found = FALSE;

  if (account == NULL || (label = tb_host_need_str(cmd, "label", error)) == NULL)
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
