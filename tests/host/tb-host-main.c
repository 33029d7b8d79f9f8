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
#define _GNU_SOURCE /* RTLD_NEXT */

#include <dlfcn.h>
#include <libintl.h>
#include <locale.h>
#include <unistd.h>

#include <glib-unix.h>

#include "tb-host.h"

#define SIGNAL_PLUGIN_DEFAULT "prpl-twinbird"
#define PLUGIN_TEXT_DOMAIN "twinbird" /* the plugin's GETTEXT_PACKAGE */

/* ---------------------------------------------------------------------------------------------
 * Options and state
 */
TbHostOptions tb_host_options = {
    .reconnect_ms = 1000,
    .reconnect_max_ms = 60000,
};

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
char *
bindtextdomain(const char *domainname, const char *dirname)
{
  static char *(*libc_bindtextdomain)(const char *, const char *);

  if (libc_bindtextdomain == NULL)
    *(void **)(&libc_bindtextdomain) = dlsym(RTLD_NEXT, "bindtextdomain");
  if (tb_host_options.localedir != NULL && dirname != NULL &&
      g_strcmp0(domainname, PLUGIN_TEXT_DOMAIN) == 0)
    dirname = tb_host_options.localedir;
  return libc_bindtextdomain(domainname, dirname);
}

static GMainLoop *main_loop;
static int exit_code;
static gboolean quitting;

gboolean
tb_host_is_quitting(void)
{
  return quitting;
}

gboolean
tb_host_quit(gpointer data G_GNUC_UNUSED)
{
  if (!quitting) {
    quitting = TRUE;
    tb_host_cancel_reconnects();
    purple_core_quit();
    g_main_loop_quit(main_loop);
  }
  return FALSE;
}

static gboolean
on_unix_signal(gpointer data G_GNUC_UNUSED)
{
  tb_host_quit(NULL);
  return G_SOURCE_REMOVE;
}

/* ---------------------------------------------------------------------------------------------
 * Start-up
 */
static void
add_option(JsonBuilder *b, gpointer item)
{
  PurpleAccountOption *opt = item;
  PurplePrefType t = purple_account_option_get_type(opt);

  json_builder_begin_object(b);
  tb_host_set_str(b, "key", purple_account_option_get_setting(opt));
  tb_host_set_str(b, "text", purple_account_option_get_text(opt));
  if (t == PURPLE_PREF_BOOLEAN) {
    tb_host_set_str(b, "type", "bool");
    tb_host_set_bool(b, "default", purple_account_option_get_default_bool(opt));
  } else if (t == PURPLE_PREF_INT) {
    tb_host_set_str(b, "type", "int");
    tb_host_set_int(b, "default", purple_account_option_get_default_int(opt));
  } else if (t == PURPLE_PREF_STRING) {
    tb_host_set_str(b, "type", "string");
    tb_host_set_str(b, "default", purple_account_option_get_default_string(opt));
  } else if (t == PURPLE_PREF_STRING_LIST) {
    tb_host_set_str(b, "type", "list");
    tb_host_set_str(b, "default", purple_account_option_get_default_list_value(opt));
  } else {
    tb_host_set_str(b, "type", "other");
  }
  json_builder_end_object(b);
}

static void
emit_prpls(void)
{
  for (GList *l = purple_plugins_get_protocols(); l; l = l->next) {
    PurplePlugin *p = l->data;
    PurplePluginProtocolInfo *prpl = PURPLE_PLUGIN_PROTOCOL_INFO(p);
    const char *path = p->path;
    JsonBuilder *b;

    /* only the plugins under test, not libpurple's stock protocols */
    if (path == NULL || tb_host_options.plugin_dir == NULL ||
        !g_str_has_prefix(path, tb_host_options.plugin_dir))
      continue;
    b = tb_host_begin_event("prpl");
    tb_host_set_str(b, "id", purple_plugin_get_id(p));
    tb_host_set_str(b, "name", purple_plugin_get_name(p));
    tb_host_set_str(b, "version", purple_plugin_get_version(p));
    tb_host_set_str(b, "path", path);
    tb_host_set_bool(b, "loaded", purple_plugin_is_loaded(p));
    tb_host_add_list(b, "options", prpl->protocol_options, add_option);
    tb_host_emit_event(b);
  }
}

static void
add_username(JsonBuilder *b, gpointer item)
{
  tb_host_add_str(b, purple_account_get_username(item));
}

static void
add_plugin_id(JsonBuilder *b, gpointer item)
{
  tb_host_add_str(b, purple_plugin_get_id(item));
}

static void
emit_ready(void)
{
  JsonBuilder *b = tb_host_begin_event("ready");
  tb_host_set_str(b, "libpurple", purple_core_get_version());
  tb_host_set_str(b, "user_dir", purple_user_dir());
  tb_host_set_str(b, "ui", TB_HOST_UI_ID);
  tb_host_set_int(b, "pid", getpid());
  tb_host_add_list(b, "accounts", tb_host_get_managed_accounts(), add_username);
  tb_host_add_list(b, "protocols", purple_plugins_get_protocols(), add_plugin_id);
  tb_host_emit_event(b);
}

static void
fatal_event(const char *message)
{
  JsonBuilder *b = tb_host_begin_event("fatal");
  tb_host_set_str(b, "error", message);
  tb_host_emit_event(b);
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
      {"user-dir", 0, 0, G_OPTION_ARG_FILENAME, &tb_host_options.user_dir, "libpurple user dir",
       "DIR"},
      {"plugin-dir", 0, 0, G_OPTION_ARG_FILENAME, &tb_host_options.plugin_dir,
       "directory searched first for plugins", "DIR"},
      {"accounts", 0, 0, G_OPTION_ARG_FILENAME, &tb_host_options.accounts, "accounts JSON file",
       "FILE"},
      {"debug-log", 0, 0, G_OPTION_ARG_FILENAME, &tb_host_options.debug_log,
       "write every libpurple debug line here", "FILE"},
      {"signal-plugin", 0, 0, G_OPTION_ARG_STRING, &tb_host_options.signal_plugin,
       "plugin id whose signals are printed (default prpl-twinbird)", "ID"},
      {"signal", 0, 0, G_OPTION_ARG_STRING_ARRAY, &tb_host_options.signals,
       "plugin signal to print (repeatable; default: the twinbird-* signals)", "NAME"},
      {"reconnect-ms", 0, 0, G_OPTION_ARG_INT, &tb_host_options.reconnect_ms,
       "first reconnect delay after a non-fatal error (doubles each time)", "MS"},
      {"reconnect-max-ms", 0, 0, G_OPTION_ARG_INT, &tb_host_options.reconnect_max_ms,
       "longest reconnect delay", "MS"},
      {"no-reconnect", 0, 0, G_OPTION_ARG_NONE, &tb_host_options.no_reconnect,
       "never reconnect by itself", NULL},
      {"localedir", 0, 0, G_OPTION_ARG_FILENAME, &tb_host_options.localedir,
       "where the plugin's text domain is bound (a build tree's po/ directory)", "DIR"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("- headless libpurple host for Twinbird tests");
  GError *error = NULL;
  GIOChannel *in;
  FILE *out;
  int out_fd;

  setlocale(LC_ALL, ""); /* as a UI does; gettext then also honours LANGUAGE */
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "tb-host: %s\n", error->message);
    return 2;
  }
  g_option_context_free(ctx);
  if (tb_host_options.user_dir == NULL || tb_host_options.plugin_dir == NULL) {
    fprintf(stderr, "usage: tb-host --user-dir DIR --plugin-dir DIR [--accounts FILE.json] "
                    "[--debug-log FILE]\n");
    return 2;
  }
  if (tb_host_options.signal_plugin == NULL)
    tb_host_options.signal_plugin = g_strdup(SIGNAL_PLUGIN_DEFAULT);
  if (tb_host_options.signals == NULL)
    tb_host_options.signals = g_strdupv((gchar **)default_signals);

  /* Keep the protocol stream clean: our events go to the real stdout, anything else that
   * writes to fd 1 (a stray printf in a library) lands on stderr. */
  out_fd = dup(STDOUT_FILENO);
  out = fdopen(out_fd, "w");
  if (out == NULL || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    perror("tb-host: stdout");
    return 2;
  }
  tb_host_set_output(out);
  if (!tb_host_setup_logging(tb_host_options.debug_log))
    return 2;

  tb_host_init_reconnects();
  tb_host_init_blist();
  tb_host_init_requests();
  main_loop = g_main_loop_new(NULL, FALSE);

  /* Order matters (e2e-howto §1 pitfall 5): all of this before purple_core_init(). */
  g_mkdir_with_parents(tb_host_options.user_dir, 0700);
  purple_util_set_user_dir(tb_host_options.user_dir);
  tb_host_set_ui_ops();
  purple_plugins_add_search_path(tb_host_options.plugin_dir);
  keep_plugins_mapped(tb_host_options.plugin_dir);

  if (!purple_core_init(TB_HOST_UI_ID)) {
    fatal_event("libpurple initialisation failed");
    return 1;
  }
  /* what nullclient does after core init (pitfall 7) */
  purple_set_blist(purple_blist_new());
  purple_blist_load();
  purple_prefs_load();
  purple_plugins_load_saved("/purple/tb-host/plugins/loaded");
  purple_pounces_load();

  tb_host_connect_signals();
  emit_prpls();

  if (tb_host_options.accounts != NULL &&
      !tb_host_load_accounts(tb_host_options.accounts, &error)) {
    fatal_event(error->message);
    g_error_free(error);
    purple_core_quit();
    return 1;
  }
  emit_ready();

  in = g_io_channel_unix_new(STDIN_FILENO);
  g_io_channel_set_encoding(in, NULL, NULL);
  g_io_add_watch(in, G_IO_IN | G_IO_HUP | G_IO_ERR, tb_host_read_commands, NULL);
  g_unix_signal_add(SIGTERM, on_unix_signal, NULL);
  g_unix_signal_add(SIGINT, on_unix_signal, NULL);

  tb_host_connect_accounts();

  g_main_loop_run(main_loop);

  g_io_channel_unref(in);
  tb_host_close_debug_log();
  fflush(out);
  return exit_code;
}
