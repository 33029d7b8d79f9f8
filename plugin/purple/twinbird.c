/* Twinbird: two X accounts, one person, every message tagged with the account that sent it.
 * This file is only the libpurple boilerplate: plugin info, prpl callbacks, account options.
 *
 * Copyright (C) 2026 The Twinbird developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <purple.h>

#include <glib/gi18n-lib.h>
#include <errno.h>
#include <string.h>

#include "core/tb-bounds.h"
#include "dbus/tb-dbus.h"
#include "tb-auth.h"
#include "tb-blist.h"
#include "tb-build-config.h"
#include "tb-cmds.h"
#include "tb-conn.h"
#include "tb-conv.h"
#include "tb-plugin.h"
#include "tb-send.h"
#include "tb-signals.h"
#include "twinbird.h"

#define TB_SHORTIDS_CAPACITY TB_BOUND_SHORT_IDS

static TbShortIds *shortids;

TbShortIds *
tb_plugin_shortids(void)
{
  return shortids;
}

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
  tb_conn_login(tb_conn_new(gc));
}

static void
tb_close(PurpleConnection *gc)
{
  tb_conn_free(tb_conn_from_gc(gc));
}

/* What the user typed, as plain text for X: Pidgin sends HTML and BitlBee escapes &, < and >. */
static char *
typed_text(const char *message)
{
  g_autofree char *plain = purple_markup_strip_html(message);
  return g_strstrip(g_steal_pointer(&plain));
}

static void
report_refusal(TbConn *conn, PurpleConversation *conv, const GError *error)
{
  g_autofree char *msg = g_strdup_printf(_("Not sent from @%s: %s"), conn->handle, error->message);
  tb_conv_notice(conn, conv, msg);
}

/* IM to the account's own buddy posts; to anyone else it is a DM; "@author" IMs (mention_mode
 * author) reply to that author's newest mention. Returns 0: the echo is ours, written only once
 * X confirms, and carries the tag. */
static int
tb_send_im(PurpleConnection *gc, const char *who, const char *message, PurpleMessageFlags flags)
{
  TbConn *conn = tb_conn_from_gc(gc);
  g_autofree char *text = typed_text(message);
  g_autoptr(GError) error = NULL;
  PurpleConversation *conv =
      purple_find_conversation_with_account(PURPLE_CONV_TYPE_IM, who, conn->account);
  (void)flags;

  if (conv == NULL)
    conv = purple_conversation_new(PURPLE_CONV_TYPE_IM, conn->account, who);
  const char *peer = who[0] == '@' ? who + 1 : who;
  gboolean own = g_ascii_strcasecmp(peer, conn->handle) == 0;
  if (tb_cmds_try_inband(conn, conv, text, own || who[0] == '@'))
    return 0;

  TbThread *thread = who[0] == '@' ? tb_conv_thread_by_name(conn, who) : NULL;
  gboolean ok;
  if (thread != NULL && thread->reply_to != NULL)
    ok = tb_send_new(conn, TB_OUTBOX_REPLY, thread->reply_to, who, text, &error);
  else if (own)
    ok = tb_send_new(conn, TB_OUTBOX_POST, NULL, who, text, &error);
  else
    ok = tb_send_new(conn, TB_OUTBOX_DM, peer, who, text, &error);
  if (!ok)
    report_refusal(conn, conv, error);
  return 0;
}

/* Text typed in a mentions chat replies, from this account, to the newest post in it. */
static int
tb_chat_send(PurpleConnection *gc, int id, const char *message, PurpleMessageFlags flags)
{
  TbConn *conn = tb_conn_from_gc(gc);
  TbThread *thread = tb_conv_thread_by_chat(conn, id);
  PurpleConversation *conv = purple_find_chat(gc, id);
  g_autofree char *text = typed_text(message);
  g_autoptr(GError) error = NULL;
  (void)flags;

  if (thread == NULL || conv == NULL)
    return -EINVAL;
  if (tb_cmds_try_inband(conn, conv, text, TRUE))
    return 0;
  if (thread->reply_to == NULL) {
    tb_conv_notice(conn, conv, _("Nothing to reply to in this conversation yet."));
    return 0;
  }
  if (!tb_send_new(conn, TB_OUTBOX_REPLY, thread->reply_to, thread->name, text, &error))
    report_refusal(conn, conv, error);
  return 0;
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
      GList *items = NULL;
      for (int c = 0; s->choices[c]; c++) {
        PurpleKeyValuePair *kv = g_new0(PurpleKeyValuePair, 1);
        kv->key = g_strdup(s->choices[c]);
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
    .send_im = tb_send_im,
    .chat_send = tb_chat_send,
    .chat_leave = tb_chat_leave,
    .get_info = tb_get_info,
    .normalize = tb_normalize,
};

static gboolean
tb_plugin_load(PurplePlugin *plugin)
{
  shortids = tb_shortids_new(TB_SHORTIDS_CAPACITY);
  tb_signals_register(plugin);
  tb_cmds_register();
  tb_dbus_register(plugin); /* only when libpurple's bus is up: no bus is no error */
  return TRUE;
}

static gboolean
tb_plugin_unload(PurplePlugin *plugin)
{
  tb_dbus_unregister(plugin);
  tb_cmds_unregister();
  tb_signals_unregister(plugin);
  g_clear_pointer(&shortids, tb_shortids_free);
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
    .actions = tb_auth_actions, /* "Sign out" */
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
