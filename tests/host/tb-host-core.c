/* tb-host: what libpurple asks of any UI: an event loop (GLib's), a debug sink, the core ops.
 *
 * Copyright (C) 2026 The Twinbird developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>

#include "tb-host.h"

/* ---------------------------------------------------------------------------------------------
 * Event loop (nullclient's GLib implementation)
 */
#define TB_READ_COND (G_IO_IN | G_IO_HUP | G_IO_ERR)
#define TB_WRITE_COND (G_IO_OUT | G_IO_HUP | G_IO_ERR | G_IO_NVAL)

typedef struct {
  PurpleInputFunction function;
  guint result;
  gpointer data;
} TbHostIoClosure;

static void
io_destroy(gpointer data)
{
  g_free(data);
}

static gboolean
io_invoke(GIOChannel *source, GIOCondition condition, gpointer data)
{
  TbHostIoClosure *closure = data;
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
  TbHostIoClosure *closure = g_new0(TbHostIoClosure, 1);
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
static FILE *debug_out; /* --debug-log */

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

/* Opens the debug log (when asked for) and routes GLib's messages through log_handler. */
gboolean
tb_host_setup_logging(const char *debug_log)
{
  if (debug_log != NULL && (debug_out = fopen(debug_log, "a")) == NULL) {
    fprintf(stderr, "tb-host: %s: %s\n", debug_log, g_strerror(errno));
    return FALSE;
  }
  g_log_set_default_handler(log_handler, NULL);
  return TRUE;
}

void
tb_host_close_debug_log(void)
{
  if (debug_out != NULL)
    fclose(debug_out);
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
  purple_conversations_set_ui_ops(&tb_host_conv_ops);
  purple_blist_set_ui_ops(&tb_host_blist_ops);
  purple_request_set_ui_ops(&tb_host_request_ops);
  purple_notify_set_ui_ops(&tb_host_notify_ops);
  purple_connections_set_ui_ops(&tb_host_connection_ops);
  purple_accounts_set_ui_ops(&tb_host_account_ops);
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
  JsonBuilder *b = tb_host_begin_event("core-quit");
  tb_host_emit_event(b);
}

static PurpleCoreUiOps core_ops = {
    .debug_ui_init = core_debug_ui_init,
    .ui_init = core_ui_init,
    .quit = core_quit,
    .get_ui_info = core_get_ui_info,
};

/* Before purple_core_init (e2e-howto §1 pitfall 5). */
void
tb_host_set_ui_ops(void)
{
  purple_core_set_ui_ops(&core_ops);
  purple_eventloop_set_ui_ops(&eventloop_ops);
}
