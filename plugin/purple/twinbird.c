/* Twinbird: two X accounts, one person, every message tagged with the account that sent it.
 * This file is only the libpurple boilerplate: plugin info, prpl callbacks, account options.
 *
 * Copyright (C) 2026 The Twinbird developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <purple.h>

#include <glib/gi18n-lib.h>
#include <string.h>

#include "tb-blist.h"
#include "tb-build-config.h"
#include "tb-conn.h"
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

  types = g_list_append(types, purple_status_type_new(PURPLE_STATUS_AVAILABLE,
                                                      TB_STATUS_AVAILABLE, NULL, TRUE));
  types = g_list_append(types, purple_status_type_new(PURPLE_STATUS_OFFLINE, TB_STATUS_OFFLINE,
                                                      NULL, TRUE));
  return types;
}

static void
tb_login(PurpleAccount *account)
{
  PurpleConnection *gc = purple_account_get_connection(account);

  /* Pidgin may send HTML; we turn it into plain text for X ourselves. */
  gc->flags |= PURPLE_CONNECTION_NO_BGCOLOR | PURPLE_CONNECTION_NO_FONTSIZE;
  tb_conn_login(tb_conn_new(gc));
}

static void
tb_close(PurpleConnection *gc)
{
  tb_conn_free(tb_conn_from_gc(gc));
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
      GList *items = NULL;
      for (int c = 0; s->choices[c]; c++) {
        PurpleKeyValuePair *kv = g_new0(PurpleKeyValuePair, 1);
        kv->key = g_strdup(s->choices[c]);
        kv->value = g_strdup(s->choices[c]);
        items = g_list_append(items, kv);
      }
      opt = purple_account_option_list_new(label, s->key, items);
      purple_account_option_set_default_string(opt, s->def);
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
};

static gboolean
tb_plugin_load(PurplePlugin *plugin)
{
  (void)plugin;
  return TRUE;
}

static gboolean
tb_plugin_unload(PurplePlugin *plugin)
{
  (void)plugin;
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
    .summary = "X (Twitter) API v2: personal and work accounts side by side",
    .description = "DMs and mentions of two X accounts as conversations; every outgoing message "
                   "is tagged with the account that sent it.",
    .author = "The Twinbird developers",
    .homepage = "https://github.com/twinbird-im/twinbird",
    .load = tb_plugin_load,
    .unload = tb_plugin_unload,
    .extra_info = &prpl_info,
};

static void
tb_plugin_init(PurplePlugin *plugin)
{
  (void)plugin;
  bindtextdomain(GETTEXT_PACKAGE, TB_LOCALEDIR);
  bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
  prpl_info.protocol_options = tb_account_options();
}

PURPLE_INIT_PLUGIN(twinbird, tb_plugin_init, info)
