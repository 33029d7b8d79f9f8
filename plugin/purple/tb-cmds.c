/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-cmds.h"
#include "tb-conv.h"
#include "tb-send.h"
#include "twinbird.h"

#include <glib/gi18n-lib.h>
#include <string.h>

typedef struct {
  TbConn *conn;
  PurpleConversation *conv;
} TbCmdCtx;

/* Returns NULL on success, or an error message for the user. */
typedef char *(*TbCmdFunc)(TbCmdCtx *ctx, char **args);

typedef struct {
  const char *name;
  const char *purple_args; /* purple_cmd_register's spec: "" none, "w" one word, "s" the rest */
  TbCmdFunc fn;
  const char *help;
} TbCmd;

static char *cmd_help(TbCmdCtx *ctx, char **args);

static char *
cmd_retry(TbCmdCtx *ctx, char **args)
{
  const char *id = args && args[0] && *args[0] ? args[0] : NULL;
  GList *items = tb_store_outbox_list(ctx->conn->store);
  guint n = 0;

  for (GList *l = items; l; l = l->next) {
    TbOutboxItem *item = l->data;
    /* Without an id: everything unsent that was typed in this conversation. */
    if (id ? g_strcmp0(item->id, id) == 0
           : purple_utf8_strcasecmp(item->conv ? item->conv : "",
                                    purple_conversation_get_name(ctx->conv)) == 0)
      n += tb_send_retry(ctx->conn, item->id);
  }
  g_list_free(items);
  if (n == 0)
    return id ? g_strdup_printf(_("retry: nothing unsent is called %s"), id)
              : g_strdup(_("retry: nothing unsent in this conversation"));
  g_autofree char *msg = g_strdup_printf(ngettext("retrying %u message", "retrying %u messages", n),
                                         n);
  tb_conv_notice(ctx->conn, ctx->conv, msg);
  return NULL;
}

static const TbCmd cmd_table[] = {
    {"retry", "s", cmd_retry, N_("retry [oN]: send again what X did not accept")},
    {"help", "", cmd_help, N_("help: list Twinbird's commands")},
};

static char *
cmd_help(TbCmdCtx *ctx, char **args)
{
  (void)args;
  GString *out = g_string_new(_("Twinbird commands (type them here; in Pidgin and Finch also as "
                                "/command):"));
  for (gsize i = 0; i < G_N_ELEMENTS(cmd_table); i++)
    g_string_append_printf(out, " · %s", _(cmd_table[i].help));
  tb_conv_notice(ctx->conn, ctx->conv, out->str);
  g_string_free(out, TRUE);
  return NULL;
}

static const TbCmd *
cmd_find(const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS(cmd_table); i++) {
    if (g_ascii_strcasecmp(cmd_table[i].name, name) == 0)
      return &cmd_table[i];
  }
  return NULL;
}

static void
cmd_run(const TbCmd *cmd, TbConn *conn, PurpleConversation *conv, char **args)
{
  TbCmdCtx ctx = {conn, conv};
  g_autofree char *error = cmd->fn(&ctx, args);
  if (error)
    tb_conv_notice(conn, conv, error);
}

gboolean
tb_cmds_try_inband(TbConn *conn, PurpleConversation *conv, const char *text)
{
  /* "!word" is always a command; a bare word only when it names one. */
  const char *p = text[0] == '!' ? text + 1 : text;
  gsize n = strcspn(p, " \t");
  g_autofree char *word = g_strndup(p, n);
  const TbCmd *cmd = cmd_find(word);

  if (cmd == NULL) {
    if (text[0] != '!')
      return FALSE;
    g_autofree char *msg = g_strdup_printf(_("%s is not a command; type help"), word);
    tb_conv_notice(conn, conv, msg);
    return TRUE; /* never post a mistyped command */
  }
  g_autofree char *rest = g_strstrip(g_strdup(p + n));
  char *args[] = {rest, NULL};
  cmd_run(cmd, conn, conv, args);
  return TRUE;
}

static GSList *cmd_ids;

static PurpleCmdRet
purple_cmd_cb(PurpleConversation *conv, const gchar *cmd_name, gchar **args, gchar **error,
              void *data)
{
  const TbCmd *cmd = data;
  PurpleConnection *gc = purple_conversation_get_gc(conv);
  (void)cmd_name;

  if (gc == NULL || tb_conn_from_gc(gc) == NULL) {
    *error = g_strdup(_("this account is not signed in"));
    return PURPLE_CMD_RET_FAILED;
  }
  cmd_run(cmd, tb_conn_from_gc(gc), conv, args);
  return PURPLE_CMD_RET_OK;
}

void
tb_cmds_register(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(cmd_table); i++) {
    const TbCmd *c = &cmd_table[i];
    PurpleCmdId id = purple_cmd_register(
        c->name, c->purple_args, PURPLE_CMD_P_PRPL,
        PURPLE_CMD_FLAG_IM | PURPLE_CMD_FLAG_CHAT | PURPLE_CMD_FLAG_PRPL_ONLY |
            PURPLE_CMD_FLAG_ALLOW_WRONG_ARGS,
        TWINBIRD_PLUGIN_ID, purple_cmd_cb, _(c->help), (void *)c);
    cmd_ids = g_slist_prepend(cmd_ids, GUINT_TO_POINTER(id));
  }
}

void
tb_cmds_unregister(void)
{
  for (GSList *l = cmd_ids; l; l = l->next)
    purple_cmd_unregister(GPOINTER_TO_UINT(l->data));
  g_slist_free(cmd_ids);
  cmd_ids = NULL;
}
