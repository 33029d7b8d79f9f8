/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-cmds.h"
#include "core/tb-cmdline.h"
#include "core/tb-ids.h"
#include "core/tb-route.h"
#include "tb-conv.h"
#include "tb-limits.h"
#include "tb-plugin.h"
#include "tb-send.h"
#include "tb-stats.h"
#include "tb-worktime.h"
#include "twinbird.h"

#include <glib/gi18n-lib.h>
#include <string.h>

typedef struct {
  TbConn *conn;
  PurpleConversation *conv;
} TbCmdCtx;

/* args[0] is the first word (or NULL), args[1] the rest of the line (or NULL). Returns NULL
 * on success, or an error message for the user. */
typedef char *(*TbCmdFunc)(TbCmdCtx *ctx, const char *word, const char *rest);

typedef struct {
  const char *name;
  TbCmdArgs args; /* how the line splits (core/tb-cmdline.h) */
  TbCmdFunc fn;
  const char *usage; /* untranslated; shown through _() */
} TbCmd;

static const TbCmd *cmd_find(const char *name);

/* A post the command acts on: a short id shown in front of a post, or a full X id
 * (core/tb-route.h tells which). Commands act from the conversation's account. */
static char *
resolve_post(TbCmdCtx *ctx, const char *key, char **error)
{
  const TbShortEntry *e =
      tb_route_is_short_key(key) ? tb_shortids_lookup(tb_plugin_shortids(), key) : NULL;

  switch (tb_route_post_key(key, e, ctx->conn->handle)) {
  case TB_POST_KEY_FULL_ID:
    return g_strdup(key);
  case TB_POST_KEY_SHORT_ID:
    return g_strdup(e->tweet_id);
  case TB_POST_KEY_OTHER_ACCOUNT:
    *error = g_strdup_printf(_("%s was shown to @%s, not to @%s: type the command in @%s's "
                               "conversation, or give the full post id"),
                             key, e->account, ctx->conn->handle, e->account);
    return NULL;
  case TB_POST_KEY_UNKNOWN:
  default:
    *error = g_strdup_printf(_("%s is not a post id (use the short id shown in front of a post, "
                               "like 3f, or the full id)"),
                             key);
    return NULL;
  }
}

static char *
send_text(TbCmdCtx *ctx, TbOutboxKind kind, const char *target, const char *text)
{
  g_autoptr(GError) error = NULL;
  if (!tb_send_new(ctx->conn, kind, target, purple_conversation_get_name(ctx->conv), text, &error))
    return g_strdup_printf(_("Not sent from @%s: %s"), ctx->conn->handle, error->message);
  return NULL;
}

static char *
cmd_post(TbCmdCtx *ctx, const char *word, const char *rest)
{
  (void)word;
  return send_text(ctx, TB_OUTBOX_POST, NULL, rest);
}

static char *
cmd_reply(TbCmdCtx *ctx, const char *word, const char *rest)
{
  char *error = NULL;
  g_autofree char *id = resolve_post(ctx, word, &error);
  return id ? send_text(ctx, TB_OUTBOX_REPLY, id, rest) : error;
}

static char *
cmd_dm(TbCmdCtx *ctx, const char *word, const char *rest)
{
  const char *who = word[0] == '@' ? word + 1 : word;
  if (g_ascii_strcasecmp(who, ctx->conn->handle) == 0)
    return g_strdup(_("dm: that is this account itself"));
  return send_text(ctx, TB_OUTBOX_DM, who, rest);
}

/* Repost, undo a repost, delete: one request, then a tagged line saying what was done. */
typedef struct {
  TbConn *conn;
  char *conv;
  char *kind;
  char *id;
  char *done_text;
} TbAction;

static void
action_free(gpointer data)
{
  TbAction *a = data;
  g_free(a->conv);
  g_free(a->kind);
  g_free(a->id);
  g_free(a->done_text);
  g_free(a);
}

/* "@%s could not delete %s: %s", one whole sentence per action, for translators. */
static const char *
action_failed(const char *kind)
{
  static const struct {
    const char *kind, *text;
  } texts[] = {
      {"delete", N_("@%s could not delete %s: %s")},
      {"repost", N_("@%s could not repost %s: %s")},
      {"unrepost", N_("@%s could not undo the repost of %s: %s")},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
    if (g_str_equal(texts[i].kind, kind))
      return _(texts[i].text);
  }
  return _("@%s could not act on %s: %s");
}

static void
action_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
            gpointer data)
{
  TbAction *a = data;
  PurpleConversation *conv = tb_conv_find(conn, a->conv);
  (void)root;
  (void)resp;

  if (conv == NULL)
    conv = purple_conversation_new(PURPLE_CONV_TYPE_IM, conn->account, a->conv);
  if (error != NULL) {
    g_autofree char *msg =
        g_strdup_printf(action_failed(a->kind), conn->handle, a->id, error->message);
    tb_conv_notice(conn, conv, msg);
  } else {
    /* A post deleted by hand is no longer what "undo" would delete. */
    if (g_str_equal(a->kind, "delete") &&
        g_strcmp0(tb_store_get(conn->store, TB_STORE_LAST_POST), a->id) == 0) {
      tb_store_set(conn->store, TB_STORE_LAST_POST, NULL);
      tb_conn_store_changed(conn);
    }
    tb_conv_echo_action(conn, conv, a->kind, a->id, a->done_text);
  }
  action_free(a);
}

static void
start_action(TbCmdCtx *ctx, TbHttpRequest *req, const char *kind, const char *id, char *done_text)
{
  TbAction *a = g_new0(TbAction, 1);
  a->conn = ctx->conn;
  a->conv = g_strdup(purple_conversation_get_name(ctx->conv));
  a->kind = g_strdup(kind);
  a->id = g_strdup(id);
  a->done_text = done_text;
  tb_conn_send_full(ctx->conn, req, action_done, a, action_free);
}

static char *
link_for(const char *id)
{
  return g_strdup_printf("https://x.com/i/status/%s", id);
}

static char *
cmd_repost(TbCmdCtx *ctx, const char *word, const char *rest, gboolean undo)
{
  char *error = NULL;
  g_autofree char *id = resolve_post(ctx, word, &error);
  (void)rest;
  if (id == NULL)
    return error;
  g_autofree char *link = link_for(id);
  TbConn *c = ctx->conn;
  start_action(ctx, tb_xapi_retweet_request(&c->auth, c->cfg.api_base, c->me->id, id, undo),
               undo ? "unrepost" : "repost", id,
               g_strdup_printf(undo ? _("took back the repost of %s") : _("reposted %s"), link));
  return NULL;
}

static char *
cmd_rt(TbCmdCtx *ctx, const char *word, const char *rest)
{
  return cmd_repost(ctx, word, rest, FALSE);
}

static char *
cmd_unrt(TbCmdCtx *ctx, const char *word, const char *rest)
{
  return cmd_repost(ctx, word, rest, TRUE);
}

static char *
delete_post(TbCmdCtx *ctx, const char *id)
{
  g_autofree char *link = link_for(id);
  start_action(ctx, tb_xapi_delete_tweet_request(&ctx->conn->auth, ctx->conn->cfg.api_base, id),
               "delete", id, g_strdup_printf(_("deleted %s"), link));
  return NULL;
}

static char *
cmd_delete(TbCmdCtx *ctx, const char *word, const char *rest)
{
  char *error = NULL;
  g_autofree char *id = resolve_post(ctx, word, &error);
  (void)rest;
  return id ? delete_post(ctx, id) : error;
}

static char *
cmd_undo(TbCmdCtx *ctx, const char *word, const char *rest)
{
  const char *last = tb_store_get(ctx->conn->store, TB_STORE_LAST_POST);
  (void)word;
  (void)rest;
  if (last == NULL)
    return g_strdup_printf(_("undo: nothing to undo on @%s (its last post sent through "
                             "Twinbird is deleted already, or there is none)"),
                           ctx->conn->handle);
  g_autofree char *id = g_strdup(last);
  tb_store_set(ctx->conn->store, TB_STORE_LAST_POST, NULL); /* undo twice never deletes more */
  tb_conn_store_changed(ctx->conn);
  return delete_post(ctx, id);
}

static char *
cmd_open(TbCmdCtx *ctx, const char *word, const char *rest)
{
  char *error = NULL;
  g_autofree char *id = resolve_post(ctx, word, &error);
  (void)rest;
  if (id == NULL)
    return error;
  g_autofree char *link = link_for(id);
  tb_conv_notice(ctx->conn, ctx->conv, link);
  purple_notify_uri(ctx->conn->gc, link); /* Pidgin opens it; BitlBee shows the line above */
  return NULL;
}

static void
whois_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
           gpointer data)
{
  TbAction *w = data; /* id is the user asked about */
  PurpleConversation *conv = w->conv ? tb_conv_find(conn, w->conv) : NULL;
  g_autofree char *text = NULL;
  (void)resp;

  JsonObject *u = root ? tb_xapi_json_object(json_node_get_object(root), "data") : NULL;
  if (u == NULL) {
    text = g_strdup_printf(_("whois %s: %s"), w->id, error ? error->message : _("no such user"));
  } else {
    JsonObject *m = tb_xapi_json_object(u, "public_metrics");
    GString *out = g_string_new(NULL);
    g_string_append_printf(out, "@%s (%s)", tb_xapi_json_string(u, "username"),
                           tb_xapi_json_string(u, "name"));
    if (tb_xapi_json_bool(u, "protected", FALSE))
      g_string_append(out, _(" [protected]"));
    /* Only what the profile has: absent fields are left out, not shown empty. */
    static const char *const optional[] = {"description", "location", "url"};
    for (gsize i = 0; i < G_N_ELEMENTS(optional); i++) {
      const char *v = tb_xapi_json_string(u, optional[i]);
      if (v && *v)
        g_string_append_printf(out, " · %s", v);
    }
    if (m)
      g_string_append_printf(out,
                             /* %lld, not G_GINT64_FORMAT: xgettext must see the whole text */
                             _(" · followers %lld, following %lld, posts %lld"),
                             (long long)tb_xapi_json_int(m, "followers_count", 0),
                             (long long)tb_xapi_json_int(m, "following_count", 0),
                             (long long)tb_xapi_json_int(m, "tweet_count", 0));
    if (tb_xapi_json_string(u, "created_at"))
      g_string_append_printf(out, _(" · on X since %.10s"), tb_xapi_json_string(u, "created_at"));
    g_string_append_printf(out, " · https://x.com/%s", tb_xapi_json_string(u, "username"));
    text = g_string_free(out, FALSE);
  }
  if (w->conv == NULL) {
    /* Get Info in Pidgin and Finch: libpurple's user-info window */
    PurpleNotifyUserInfo *info = purple_notify_user_info_new();
    purple_notify_user_info_add_pair_plaintext(info, _("X profile"), text);
    purple_notify_userinfo(conn->gc, w->id, info, NULL, NULL);
    purple_notify_user_info_destroy(info);
  } else if (conv) {
    tb_conv_notice(conn, conv, text);
  }
  action_free(w);
}

void
tb_cmds_whois(TbConn *conn, const char *who, PurpleConversation *conv)
{
  TbAction *w = g_new0(TbAction, 1);
  w->conv = conv ? g_strdup(purple_conversation_get_name(conv)) : NULL;
  w->id = g_strdup(who[0] == '@' ? who + 1 : who);
  tb_conn_send_full(conn, tb_xapi_whois_request(&conn->auth, conn->cfg.api_base, w->id), whois_done,
                    w, action_free);
}

static char *
cmd_whois(TbCmdCtx *ctx, const char *word, const char *rest)
{
  (void)rest;
  tb_cmds_whois(ctx->conn, word, ctx->conv);
  return NULL;
}

static char *
cmd_limits(TbCmdCtx *ctx, const char *word, const char *rest)
{
  g_autofree char *report = tb_limits_report(ctx->conn);
  (void)word;
  (void)rest;
  tb_conv_notice(ctx->conn, ctx->conv, report);
  return NULL;
}

static char *
cmd_retry(TbCmdCtx *ctx, const char *word, const char *rest)
{
  GList *items = tb_store_outbox_list(ctx->conn->store);
  guint n = 0, busy = 0;
  (void)rest;

  for (GList *l = items; l; l = l->next) {
    TbOutboxItem *item = l->data;
    if (item->due > 0)
      continue; /* scheduled or held: "now" sends it */
    /* Without an id: everything unsent that was typed in this conversation. */
    if (!(word ? g_strcmp0(item->id, word) == 0
               : purple_utf8_strcasecmp(item->conv ? item->conv : "",
                                        purple_conversation_get_name(ctx->conv)) == 0))
      continue;
    if (tb_send_retry(ctx->conn, item->id))
      n++;
    else
      busy++; /* under way, or being looked for on X: never sent twice */
  }
  g_list_free(items);
  if (n == 0 && busy > 0)
    return g_strdup(_("retry: that message is on its way or being checked with X, which will "
                      "be said here; it is not sent twice"));
  if (n == 0)
    return word ? g_strdup_printf(_("retry: nothing unsent is called %s"), word)
                : g_strdup(_("retry: nothing unsent in this conversation"));
  g_autofree char *msg = g_strdup_printf(
      g_dngettext(GETTEXT_PACKAGE, "retrying %u message", "retrying %u messages", n), n);
  tb_conv_notice(ctx->conn, ctx->conv, msg);
  return NULL;
}

/* Work hours and scheduled sends: tb-worktime.c. */
static char *
cmd_schedule(TbCmdCtx *ctx, const char *word, const char *rest)
{
  (void)word;
  return tb_worktime_schedule(ctx->conn, ctx->conv, rest);
}

static char *
cmd_scheduled(TbCmdCtx *ctx, const char *word, const char *rest)
{
  (void)word;
  (void)rest;
  return tb_worktime_list(ctx->conn, ctx->conv);
}

static char *
cmd_unschedule(TbCmdCtx *ctx, const char *word, const char *rest)
{
  (void)rest;
  return tb_worktime_unschedule(ctx->conn, ctx->conv, word);
}

static char *
cmd_now(TbCmdCtx *ctx, const char *word, const char *rest)
{
  (void)rest;
  return tb_worktime_now(ctx->conn, ctx->conv, word);
}

static char *
cmd_stats(TbCmdCtx *ctx, const char *word, const char *rest)
{
  (void)rest;
  if (word != NULL && g_ascii_strcasecmp(word, "all") != 0)
    return g_strdup(_("usage: stats [all]"));
  tb_stats_report(ctx->conn, ctx->conv, word != NULL);
  return NULL;
}

static char *cmd_help(TbCmdCtx *ctx, const char *word, const char *rest);

static const TbCmd cmd_table[] = {
    {"post", TB_ARGS_TEXT, cmd_post, N_("post <text>: post from this account")},
    {"reply", TB_ARGS_WORD_TEXT, cmd_reply, N_("reply <id> <text>: reply to a post")},
    {"dm", TB_ARGS_WORD_TEXT, cmd_dm, N_("dm <user> <text>: send a DM from this account")},
    {"rt", TB_ARGS_WORD, cmd_rt, N_("rt <id>: repost a post")},
    {"unrt", TB_ARGS_WORD, cmd_unrt, N_("unrt <id>: take a repost back")},
    {"delete", TB_ARGS_WORD, cmd_delete, N_("delete <id>: delete a post of this account")},
    {"undo", TB_ARGS_NONE, cmd_undo, N_("undo: delete this account's last post")},
    {"whois", TB_ARGS_WORD, cmd_whois, N_("whois <user>: show a profile")},
    {"open", TB_ARGS_WORD, cmd_open, N_("open <id>: the link to a post")},
    {"limits", TB_ARGS_NONE, cmd_limits,
     N_("limits: X rate limits left and money spent today by this account")},
    {"retry", TB_ARGS_OPT_WORD, cmd_retry, N_("retry [oN]: send again what X did not accept")},
    {"schedule", TB_ARGS_TEXT, cmd_schedule,
     N_("schedule <when> <text>: send it later from this conversation (when: HH:MM, "
        "YYYY-MM-DD HH:MM, +30m, +2h, +1d or next)")},
    {"scheduled", TB_ARGS_NONE, cmd_scheduled,
     N_("scheduled: this account's scheduled and held sends")},
    {"unschedule", TB_ARGS_WORD, cmd_unschedule,
     N_("unschedule <oN>: drop a scheduled or held send")},
    {"now", TB_ARGS_WORD, cmd_now, N_("now <oN>: send a scheduled or held send at once")},
    {"stats", TB_ARGS_OPT_WORD, cmd_stats,
     N_("stats [all]: posts, replies, DMs and mentions today and this week (all: every account)")},
    {"help", TB_ARGS_OPT_WORD, cmd_help, N_("help [command]: this list")},
};

static char *
cmd_help(TbCmdCtx *ctx, const char *word, const char *rest)
{
  (void)rest;
  if (word != NULL) {
    const TbCmd *c = cmd_find(word[0] == '!' ? word + 1 : word);
    if (c == NULL)
      return g_strdup_printf(_("help: no command %s"), word);
    tb_conv_notice(ctx->conn, ctx->conv, _(c->usage));
    return NULL;
  }
  GString *out = g_string_new(NULL);
  g_string_printf(out,
                  _("Twinbird commands for @%s (%s) — type them in any of its conversations "
                    "(prefix ! to be explicit; in Pidgin and Finch also /command). Text typed in a "
                    "mention thread replies; \"nick: text\" replies to that person's last post."),
                  ctx->conn->handle, ctx->conn->cfg.role);
  for (gsize i = 0; i < G_N_ELEMENTS(cmd_table); i++)
    g_string_append_printf(out, " · %s", _(cmd_table[i].usage));
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

/* Splits "rest of line" per the command's argument shape; NULL error when it fits. */
static char *
split_args(const TbCmd *cmd, const char *line, char **word, char **rest)
{
  if (tb_cmdline_split(cmd->args, line, word, rest))
    return NULL;
  return g_strdup_printf(_("usage: %s"), _(cmd->usage));
}

static void
cmd_run(const TbCmd *cmd, TbConn *conn, PurpleConversation *conv, const char *line)
{
  TbCmdCtx ctx = {conn, conv};
  g_autofree char *word = NULL;
  g_autofree char *rest = NULL;
  g_autofree char *error = split_args(cmd, line, &word, &rest);

  if (error == NULL)
    error = cmd->fn(&ctx, word, rest);
  if (error)
    tb_conv_notice(conn, conv, error);
}

/* "alice: text" in a mention thread replies to alice's newest post in it. */
static gboolean
try_nick_reply(TbConn *conn, PurpleConversation *conv, const char *text)
{
  const char *reply_text = NULL;
  g_autofree char *nick = tb_cmdline_nick_reply(text, &reply_text);
  if (nick == NULL)
    return FALSE;
  TbThread *thread = NULL;
  if (purple_conversation_get_type(conv) == PURPLE_CONV_TYPE_CHAT)
    thread = tb_conv_thread_by_chat(conn, purple_conv_chat_get_id(PURPLE_CONV_CHAT(conv)));
  else
    thread = tb_conv_thread_by_name(conn, purple_conversation_get_name(conv));
  if (thread == NULL)
    return FALSE;
  const char *id = g_hash_table_lookup(thread->last_by_author, nick);
  if (id == NULL)
    return FALSE; /* an ordinary sentence with a colon */
  g_autoptr(GError) error = NULL;
  if (!tb_send_new(conn, TB_OUTBOX_REPLY, id, purple_conversation_get_name(conv), reply_text,
                   &error)) {
    g_autofree char *msg =
        g_strdup_printf(_("Not sent from @%s: %s"), conn->handle, error->message);
    tb_conv_notice(conn, conv, msg);
  }
  return TRUE;
}

gboolean
tb_cmds_try_inband(TbConn *conn, PurpleConversation *conv, const char *text, gboolean bare_words)
{
  gboolean explicit = FALSE;
  const char *args = NULL;
  g_autofree char *word = tb_cmdline_word(text, &explicit, &args);
  const TbCmd *cmd = cmd_find(word);

  if (!explicit && !bare_words)
    return FALSE;
  if (cmd == NULL) {
    if (!explicit)
      return try_nick_reply(conn, conv, text);
    g_autofree char *msg = g_strdup_printf(_("%s is not a command; type help"), word);
    tb_conv_notice(conn, conv, msg);
    return TRUE; /* a mistyped command is never posted */
  }
  if (!explicit && conn->cfg.commands == TB_COMMANDS_STRICT) {
    /* Strict: a sentence starting with a command word is neither run nor posted by accident. */
    g_autofree char *msg =
        g_strdup_printf(_("Not sent: this starts with the command word \"%s\". Type !%s to run "
                          "the command, or !post ... to post the text as it is."),
                        word, text);
    tb_conv_notice(conn, conv, msg);
    return TRUE;
  }
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
  /* Registered with "s": args[0] is the whole rest of the line, split like in-band words. */
  cmd_run(cmd, tb_conn_from_gc(gc), conv, args && args[0] ? args[0] : "");
  return PURPLE_CMD_RET_OK;
}

void
tb_cmds_register(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(cmd_table); i++) {
    const TbCmd *c = &cmd_table[i];
    PurpleCmdId id =
        purple_cmd_register(c->name, "s", PURPLE_CMD_P_PRPL,
                            PURPLE_CMD_FLAG_IM | PURPLE_CMD_FLAG_CHAT | PURPLE_CMD_FLAG_PRPL_ONLY |
                                PURPLE_CMD_FLAG_ALLOW_WRONG_ARGS,
                            TWINBIRD_PLUGIN_ID, purple_cmd_cb, _(c->usage), (void *)c);
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
