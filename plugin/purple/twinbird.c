/* Twinbird: two X accounts, one person, every message tagged with the account that sent it.
 * This file is only the libpurple boilerplate: plugin info, prpl callbacks, account options.
 *
 * Copyright (C) 2026 The Twinbird developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <purple.h>

#include <glib/gi18n-lib.h>

#include "dbus/tb-dbus.h"
#include "tb-auth.h"
#include "tb-blist.h"
#include "tb-build-config.h"
#include "tb-cmds.h"
#include "tb-conn.h"
#include "tb-conv.h"
#include "tb-input.h"
#include "tb-plugin.h"
#include "tb-remote.h"
#include "tb-session.h"
#include "tb-signals.h"
#include "tb-stream.h"
#include "twinbird.h"

static const char *
tb_list_icon(PurpleAccount *account, PurpleBuddy *buddy)
{
  (void)account;
  (void)buddy;
  return "twinbird"; /* also the log directory name */
}

static GList *
tb_status_types(PurpleAccount *account)
{
  GList *types = NULL;
  (void)account;

  types = g_list_append(
      types, purple_status_type_new_with_attrs(PURPLE_STATUS_AVAILABLE, TB_STATUS_AVAILABLE, NULL,
                                               TRUE, TRUE, FALSE, "message", _("Message"),
                                               purple_value_new(PURPLE_TYPE_STRING), NULL));
  /* Not the user's to choose: the work account's own buddy outside its work hours. */
  types = g_list_append(
      types, purple_status_type_new_with_attrs(PURPLE_STATUS_AWAY, TB_STATUS_AWAY, NULL, FALSE,
                                               FALSE, FALSE, "message", _("Message"),
                                               purple_value_new(PURPLE_TYPE_STRING), NULL));
  types = g_list_append(
      types, purple_status_type_new(PURPLE_STATUS_OFFLINE, TB_STATUS_OFFLINE, NULL, TRUE));
  return types;
}

static void
tb_login(PurpleAccount *account)
{
  PurpleConnection *gc = purple_account_get_connection(account);

  /* Pidgin may send HTML; we turn it into plain text for X ourselves. */
  gc->flags |= PURPLE_CONNECTION_NO_BGCOLOR | PURPLE_CONNECTION_NO_FONTSIZE;
  tb_session_open(gc);
}

static void
tb_close(PurpleConnection *gc)
{
  tb_session_close(gc);
}

static void
tb_get_info(PurpleConnection *gc, const char *who)
{
  tb_cmds_whois(tb_conn_from_gc(gc), who, NULL);
}

/* X handles are case-insensitive: "Alice" and "alice" are one buddy and one conversation
 * (libpurple's fallback keeps case; the e2e test info-host shows two conversations without this).
 */
static const char *
tb_normalize(const PurpleAccount *account, const char *who)
{
  static char buf[256];
  (void)account;
  g_strlcpy(buf, who ? who : "", sizeof buf);
  for (char *p = buf; *p; p++)
    *p = g_ascii_tolower(*p);
  return buf;
}

static void
tb_chat_leave(PurpleConnection *gc, int id)
{
  tb_conv_chat_left(tb_conn_from_gc(gc), id);
}

static GList *
tb_account_options(void)
{
  gsize n = 0;
  const TbOptionSpec *specs = tb_config_get_specs(&n);
  GList *opts = NULL;

  for (gsize i = 0; i < n; i++) {
    const TbOptionSpec *s = &specs[i];
    const char *label = _(s->label);
    PurpleAccountOption *opt = NULL;

    if (s->kind == TB_OPT_INT) {
      opt = purple_account_option_int_new(label, s->key, (int)g_ascii_strtoll(s->def, NULL, 10));
    } else if (s->kind == TB_OPT_CHOICE) {
      const char *const *shown = tb_config_choice_labels(s);
      GList *items = NULL;
      for (int c = 0; s->choices[c]; c++) {
        PurpleKeyValuePair *kv = g_new0(PurpleKeyValuePair, 1);
        /* the key is what the list shows, the value what is stored */
        kv->key = g_strdup(shown ? _(shown[c]) : s->choices[c]);
        kv->value = g_strdup(s->choices[c]);
        /* libpurple takes a list option's first item as its default */
        items = g_str_equal(s->choices[c], s->def) ? g_list_prepend(items, kv)
                                                   : g_list_append(items, kv);
      }
      opt = purple_account_option_list_new(label, s->key, items);
    } else {
      opt = purple_account_option_string_new(label, s->key, s->def);
    }
    opts = g_list_append(opts, opt);
  }
  return opts;
}

static PurplePluginProtocolInfo prpl_info = {
    .struct_size = sizeof(PurplePluginProtocolInfo),
    .options = OPT_PROTO_PASSWORD_OPTIONAL,
    .icon_spec = {"png", 16, 16, 48, 48, 0, PURPLE_ICON_SCALE_DISPLAY},
    .list_icon = tb_list_icon,
    .status_types = tb_status_types,
    .login = tb_login,
    .close = tb_close,
    .send_im = tb_input_im,
    .chat_send = tb_input_chat,
    .chat_leave = tb_chat_leave,
    .get_info = tb_get_info,
    .normalize = tb_normalize,
};

static GList *
tb_plugin_actions(PurplePlugin *plugin, gpointer context)
{
  return g_list_concat(tb_cmds_actions(plugin, context), tb_auth_actions(plugin, context));
}

static gboolean
tb_plugin_load(PurplePlugin *plugin)
{
  tb_plugin_state_init();
  tb_signals_register(plugin);
  tb_stream_register(plugin);
  tb_cmds_register();
  /* only when libpurple's bus is up: no bus is no error */
  tb_dbus_register(plugin, &(TbDbusOps){.send = tb_remote_send});
  return TRUE;
}

static gboolean
tb_plugin_unload(PurplePlugin *plugin)
{
  tb_dbus_unregister(plugin);
  tb_cmds_unregister();
  tb_stream_unregister(plugin);
  tb_signals_unregister(plugin);
  tb_plugin_state_cleanup();
  return TRUE;
}

static PurplePluginInfo info = {
    .magic = PURPLE_PLUGIN_MAGIC,
    .major_version = PURPLE_MAJOR_VERSION,
    .minor_version = PURPLE_MINOR_VERSION,
    .type = PURPLE_PLUGIN_PROTOCOL,
    .priority = PURPLE_PRIORITY_DEFAULT,
    .id = TWINBIRD_PLUGIN_ID,
    .name = TWINBIRD_DISPLAY_NAME,
    .version = TB_VERSION,
    .summary = N_("X (Twitter) API v2: personal and work accounts side by side"),
    .description = N_("DMs and mentions of two X accounts as conversations; every outgoing message "
                      "is tagged with the account that sent it."),
    .author = "The Twinbird developers",
    .homepage = "https://github.com/twinbird-im/twinbird",
    .load = tb_plugin_load,
    .unload = tb_plugin_unload,
    .actions = tb_plugin_actions, /* Post…, Limits and spending, Open my profile, Sign out */
    .extra_info = &prpl_info,
};

static void
tb_plugin_init(PurplePlugin *plugin)
{
  (void)plugin;
  bindtextdomain(GETTEXT_PACKAGE, TB_LOCALEDIR);
  bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
  /* the plugin list shows these: in the user's language, now that the domain is bound */
  info.summary = (char *)_(info.summary);
  info.description = (char *)_(info.description);
  prpl_info.protocol_options = tb_account_options();
}

PURPLE_INIT_PLUGIN(twinbird, tb_plugin_init, info)
