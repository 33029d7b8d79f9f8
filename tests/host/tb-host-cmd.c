/* tb-host: the command protocol: one JSON object a line on stdin, each answered by an "ack".
 *
 * Copyright (C) 2026 The Twinbird developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include "tb-host.h"

/* ---------------------------------------------------------------------------------------------
 * Commands
 */
/* "account" (a username), and "protocol" when two protocols have the same username */
PurpleAccount *
tb_host_find_account(JsonObject *cmd, GError **error)
{
  const char *name = tb_host_get_member_str(cmd, "account", NULL);
  const char *protocol = tb_host_get_member_str(cmd, "protocol", NULL);

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

const char *
tb_host_need_str(JsonObject *cmd, const char *key, GError **error)
{
  const char *s = tb_host_get_member_str(cmd, key, NULL);
  if (s == NULL)
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "missing \"%s\"", key);
  return s;
}

static gboolean
cmd_ping(JsonObject *cmd G_GNUC_UNUSED, GError **error G_GNUC_UNUSED)
{
  return TRUE;
}

static gboolean
cmd_quit(JsonObject *cmd G_GNUC_UNUSED, GError **error G_GNUC_UNUSED)
{
  g_idle_add(tb_host_quit, NULL); /* after the ack is printed */
  return TRUE;
}

static const struct {
  const char *name;
  TbHostCommandFunc run;
} commands[] = {
    {"send-im", tb_host_cmd_send_im},
    {"chat-send", tb_host_cmd_chat_send},
    {"join-chat", tb_host_cmd_join_chat},
    {"request-answer", tb_host_cmd_request_answer},
    {"request-action-answer", tb_host_cmd_request_action_answer},
    {"request-choice-answer", tb_host_cmd_request_choice_answer},
    {"request-fields-answer", tb_host_cmd_request_fields_answer},
    {"request-cancel", tb_host_cmd_request_cancel},
    {"set-setting", tb_host_cmd_set_setting},
    {"enable", tb_host_cmd_enable},
    {"connect", tb_host_cmd_enable},
    {"disable", tb_host_cmd_disable},
    {"list-buddies", tb_host_cmd_list_buddies},
    {"list-convs", tb_host_cmd_list_convs},
    {"list-accounts", tb_host_cmd_list_accounts},
    {"history", tb_host_cmd_history},
    {"close-conv", tb_host_cmd_close_conv},
    {"get-info", tb_host_cmd_get_info},
    {"ping", cmd_ping},
    {"account-action", tb_host_cmd_account_action},
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
    name = tb_host_get_member_str(cmd, "cmd", NULL);
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
  b = tb_host_begin_event("ack");
  tb_host_set_str(b, "cmd", name);
  tb_host_set_bool(b, "ok", ok && error == NULL);
  if (seq != NULL) {
    json_builder_set_member_name(b, "seq");
    json_builder_add_value(b, json_node_copy(seq));
  }
  if (error != NULL) {
    tb_host_set_str(b, "error", error->message);
    g_error_free(error);
  }
  tb_host_emit_event(b);
  g_object_unref(parser);
}

/* A GIOFunc for stdin: runs every whole line that has arrived. */
gboolean
tb_host_read_commands(GIOChannel *channel, GIOCondition condition G_GNUC_UNUSED,
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
    g_idle_add(tb_host_quit, NULL);
    return FALSE;
  }
}
