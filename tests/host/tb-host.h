/* tb-host: what the host's files share (private to tests/host; README.md has the layout).
 *
 * Copyright (C) 2026 The Twinbird developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_HOST_H
#define TB_HOST_H

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "tb-host"

#include <stdio.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include <purple.h> /* defines PURPLE_PLUGINS before plugin.h (e2e-howto §1 pitfall 1) */

#define TB_HOST_UI_ID "tb-host" /* the UI accounts are enabled for */

/* The command line; set once by main() before libpurple starts. */
typedef struct {
  gchar *user_dir;
  gchar *plugin_dir;
  gchar *accounts;
  gchar *debug_log;
  gchar *signal_plugin;
  gchar **signals;
  gint reconnect_ms;
  gint reconnect_max_ms;
  gboolean no_reconnect;
  gchar *localedir; /* --localedir: where the plugin's text domain is bound (tb-host-main.c) */
} TbHostOptions;

extern TbHostOptions tb_host_options;

/* tb-host-main.c: shutting down (SIGTERM, EOF on stdin, the quit command) */
gboolean tb_host_quit(gpointer data); /* a GSourceFunc */
gboolean tb_host_is_quitting(void);

/* tb-host-json.c: events out (one JSON object a line on the real stdout), commands in */
void tb_host_set_output(FILE *stream);
JsonBuilder *tb_host_begin_event(const char *event);
gchar *tb_host_finish_event(JsonBuilder *b); /* closes and frees b */
void tb_host_emit_line(const char *line);
void tb_host_emit_event(JsonBuilder *b); /* finishes and prints it */
void tb_host_emit_simple(const char *event, PurpleAccount *account);
void tb_host_set_str(JsonBuilder *b, const char *key, const char *val);
void tb_host_set_int(JsonBuilder *b, const char *key, gint64 val);
void tb_host_set_bool(JsonBuilder *b, const char *key, gboolean val);
void tb_host_add_str(JsonBuilder *b, const char *val);
void tb_host_set_account(JsonBuilder *b, PurpleAccount *account);
void tb_host_set_conv(JsonBuilder *b, PurpleConversation *conv);
void tb_host_set_flags(JsonBuilder *b, PurpleMessageFlags flags);
void tb_host_set_text(JsonBuilder *b, const char *message);
const char *tb_host_get_account_name(PurpleAccount *account);

/* Adds one JSON value to b for item (an object, a string, an array...). */
typedef void (*TbHostItemFunc)(JsonBuilder *b, gpointer item);
/* Sets member key (no member when NULL: b is in an array) to an array with one value per item,
 * in list order, added by add_item; with add_item NULL the items are strings. */
void tb_host_add_list(JsonBuilder *b, const char *key, GList *items, TbHostItemFunc add_item);

const char *tb_host_get_member_str(JsonObject *o, const char *key, const char *dflt);
gboolean tb_host_get_member_bool(JsonObject *o, const char *key, gboolean dflt);

/* tb-host-core.c: what libpurple asks of any UI (event loop, debug, core) */
gboolean tb_host_setup_logging(const char *debug_log);
void tb_host_close_debug_log(void);
void tb_host_set_ui_ops(void);

/* The UI ops of the other files, installed by the core's ui_init. */
extern PurpleConversationUiOps tb_host_conv_ops;     /* tb-host-conv.c */
extern PurpleBlistUiOps tb_host_blist_ops;           /* tb-host-blist.c */
extern PurpleRequestUiOps tb_host_request_ops;       /* tb-host-request.c */
extern PurpleNotifyUiOps tb_host_notify_ops;         /* tb-host-notify.c */
extern PurpleConnectionUiOps tb_host_connection_ops; /* tb-host-account.c */
extern PurpleAccountUiOps tb_host_account_ops;       /* tb-host-account.c */

/* The state behind those ops, created by main() before libpurple starts. */
void tb_host_init_blist(void);
void tb_host_init_requests(void);
void tb_host_init_reconnects(void);

/* tb-host-signals.c: core signals and the plugin's own, printed as events */
void tb_host_connect_signals(void);

/* tb-host-account.c: connections, reconnection, accounts and the accounts file */
void tb_host_cancel_reconnect(PurpleAccount *account);
void tb_host_cancel_reconnects(void);
void tb_host_reset_reconnect(PurpleAccount *account);
gboolean tb_host_load_accounts(const char *path, GError **error);
GList *tb_host_get_managed_accounts(void); /* in file order */
void tb_host_connect_accounts(void);

/* tb-host-cmd.c: the command protocol on stdin */
gboolean tb_host_read_commands(GIOChannel *channel, GIOCondition condition, gpointer data);
PurpleAccount *tb_host_find_account(JsonObject *cmd, GError **error);
const char *tb_host_need_str(JsonObject *cmd, const char *key, GError **error);

/* The commands, each in the file of what it works on; FALSE with error set on failure. */
typedef gboolean (*TbHostCommandFunc)(JsonObject *cmd, GError **error);
gboolean tb_host_cmd_send_im(JsonObject *cmd, GError **error);
gboolean tb_host_cmd_chat_send(JsonObject *cmd, GError **error);
gboolean tb_host_cmd_join_chat(JsonObject *cmd, GError **error);
gboolean tb_host_cmd_list_convs(JsonObject *cmd, GError **error);
gboolean tb_host_cmd_history(JsonObject *cmd, GError **error);
gboolean tb_host_cmd_close_conv(JsonObject *cmd, GError **error);
gboolean tb_host_cmd_list_buddies(JsonObject *cmd, GError **error);
gboolean tb_host_cmd_request_answer(JsonObject *cmd, GError **error);
gboolean tb_host_cmd_request_action_answer(JsonObject *cmd, GError **error);
gboolean tb_host_cmd_request_choice_answer(JsonObject *cmd, GError **error);
gboolean tb_host_cmd_request_fields_answer(JsonObject *cmd, GError **error);
gboolean tb_host_cmd_request_cancel(JsonObject *cmd, GError **error);
gboolean tb_host_cmd_set_setting(JsonObject *cmd, GError **error);
gboolean tb_host_cmd_enable(JsonObject *cmd, GError **error);
gboolean tb_host_cmd_disable(JsonObject *cmd, GError **error);
gboolean tb_host_cmd_list_accounts(JsonObject *cmd, GError **error);
gboolean tb_host_cmd_get_info(JsonObject *cmd, GError **error);
gboolean tb_host_cmd_account_action(JsonObject *cmd, GError **error);

#endif
