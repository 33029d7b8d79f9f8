/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-cmds.h"
#include "core/tb-cmdline.h"
#include "core/tb-ids.h"
#include "core/tb-route.h"
#include "tb-confirm.h"
#include "tb-conv.h"
#include "tb-limits.h"
#include "tb-plugin.h"
#include "tb-send.h"
#include "tb-stream.h"
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
static const char *const *cmd_words(void);

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

/* Why a send asks first, by TbAsk; %s: the account's handle. */
static const char *const ask_reasons[] = {
    [TB_ASK_PUBLIC] = N_("This goes out publicly from @%s."),
    [TB_ASK_ESCAPES] = N_("This looks like terminal key codes, not text, and would go out "
                          "publicly from @%s."),
    [TB_ASK_LONE_WORD] = N_("This is a lone command word, and would go out publicly from @%s."),
};

static void
held_answered(TbConn *conn, gboolean ok, gpointer data)
{
  tb_send_release(conn, data, ok ? NULL : _("you answered no (Cancel)"));
}

void
tb_cmds_send(TbConn *conn, TbOutboxKind kind, const char *target, const char *conv_name,
             const char *text, TbPublicFrom from)
{
  TbAsk ask =
      tb_route_ask_first(conn->cfg.confirm_public, kind, from, tb_cmdline_shape(text, cmd_words()));
  if (ask == TB_ASK_NO) {
    g_free(tb_send_typed(conn, kind, target, conv_name, text, NULL));
    return;
  }
  /* Held in the outbox while the question is open: a crash or a Cancel loses nothing. */
  char *id =
      tb_send_typed(conn, kind, target, conv_name, text, _("waiting for your answer (OK/Cancel)"));
  if (id == NULL)
    return; /* refused and kept: said already */
  g_autofree char *reason = g_strdup_printf(_(ask_reasons[ask]), conn->handle);
  g_autofree char *primary = g_strdup_printf(
      _("%s yes (OK) sends it as %s; no (Cancel) keeps it unsent as %s (\"!retry %s\" sends it "
        "later, \"!drop %s\" forgets it)."),
      reason, conn->tag, id, id, id);
  tb_confirm_ask(conn, _("Post publicly?"), primary, text, held_answered, id, g_free);
}

static char *
send_text(TbCmdCtx *ctx, TbOutboxKind kind, const char *target, const char *text)
{
  tb_cmds_send(ctx->conn, kind, target, purple_conversation_get_name(ctx->conv), text,
               TB_FROM_COMMAND);
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
start_action_in(TbConn *conn, const char *conv, TbHttpRequest *req, const char *kind,
                const char *id, char *done_text)
{
  TbAction *a = g_new0(TbAction, 1);
  a->conn = conn;
  a->conv = g_strdup(conv);
  a->kind = g_strdup(kind);
  a->id = g_strdup(id);
  a->done_text = done_text;
  tb_conn_send_full(conn, req, action_done, a, action_free);
}

static void
start_action(TbCmdCtx *ctx, TbHttpRequest *req, const char *kind, const char *id, char *done_text)
{
  start_action_in(ctx->conn, purple_conversation_get_name(ctx->conv), req, kind, id, done_text);
}

static char *
link_for(const char *id)
{
  return g_strdup_printf("https://x.com/i/status/%s", id);
}

static void
repost_start(TbConn *c, const char *conv, const char *id, gboolean undo)
{
  g_autofree char *link = link_for(id);
  start_action_in(c, conv, tb_xapi_retweet_request(&c->auth, c->cfg.api_base, c->me->id, id, undo),
                  undo ? "unrepost" : "repost", id,
                  g_strdup_printf(undo ? _("took back the repost of %s") : _("reposted %s"), link));
}

/* A repost waiting for the user's OK: conv is where rt was typed, id the post. */
static void
repost_answered(TbConn *conn, gboolean ok, gpointer data)
{
  TbAction *a = data;
  PurpleConversation *conv = tb_conv_find(conn, a->conv);
  if (ok) {
    repost_start(conn, a->conv, a->id, FALSE);
    return;
  }
  g_autofree char *msg =
      g_strdup_printf(_("Not reposted from @%s: you answered no (Cancel)"), conn->handle);
  tb_conv_notice(conn, conv, msg);
}

static char *
cmd_repost(TbCmdCtx *ctx, const char *word, const char *rest, gboolean undo)
{
  char *error = NULL;
  g_autofree char *id = resolve_post(ctx, word, &error);
  TbConn *c = ctx->conn;
  (void)rest;
  if (id == NULL)
    return error;
  if (undo || tb_route_ask_first(c->cfg.confirm_public, TB_OUTBOX_POST, TB_FROM_REPOST,
                                 TB_LINE_TEXT) == TB_ASK_NO) {
    repost_start(c, purple_conversation_get_name(ctx->conv), id, undo);
    return NULL;
  }
  TbAction *a = g_new0(TbAction, 1);
  a->conv = g_strdup(purple_conversation_get_name(ctx->conv));
  a->id = g_strdup(id);
  g_autofree char *link = link_for(id);
  g_autofree char *primary = g_strdup_printf(
      _("This reposts %s publicly from @%s. yes (OK) reposts it as %s; no (Cancel) does nothing."),
      link, c->handle, c->tag);
  tb_confirm_ask(c, _("Repost publicly?"), primary, link, repost_answered, a, action_free);
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

/* Get Info's rows: what the profile has, in this order; absent fields are left out. */
static const struct {
  const char *label;
  const char *field; /* a string of the user object */
} info_strings[] = {
    {N_("Name"), "name"},
    {N_("Bio"), "description"},
    {N_("Location"), "location"},
    {N_("Link"), "url"},
};

static const struct {
  const char *label;
  const char *metric; /* a count in public_metrics */
} info_counts[] = {
    {N_("Followers"), "followers_count"},
    {N_("Following"), "following_count"},
    {N_("Posts"), "tweet_count"},
};

static gboolean
user_has_status(JsonObject *u, const char *status)
{
  JsonArray *a = json_object_has_member(u, "connection_status")
                     ? json_object_get_array_member(u, "connection_status")
                     : NULL;
  for (guint i = 0; a && i < json_array_get_length(a); i++) {
    if (g_strcmp0(json_array_get_string_element(a, i), status) == 0)
      return TRUE;
  }
  return FALSE;
}

static void
info_rows(PurpleNotifyUserInfo *info, JsonObject *u)
{
  const char *handle = tb_xapi_json_string(u, "username");
  g_autofree char *at = g_strdup_printf("@%s", handle ? handle : "");
  purple_notify_user_info_add_pair_plaintext(info, _("Handle"), at);
  for (gsize i = 0; i < G_N_ELEMENTS(info_strings); i++) {
    const char *v = tb_xapi_json_string(u, info_strings[i].field);
    if (v && *v)
      purple_notify_user_info_add_pair_plaintext(info, _(info_strings[i].label), v);
  }
  JsonObject *m = tb_xapi_json_object(u, "public_metrics");
  for (gsize i = 0; m && i < G_N_ELEMENTS(info_counts); i++) {
    g_autofree char *n =
        g_strdup_printf("%" G_GINT64_FORMAT, tb_xapi_json_int(m, info_counts[i].metric, 0));
    purple_notify_user_info_add_pair_plaintext(info, _(info_counts[i].label), n);
  }
  const char *created = tb_xapi_json_string(u, "created_at");
  if (created != NULL) {
    g_autofree char *day = g_strndup(created, 10);
    purple_notify_user_info_add_pair_plaintext(info, _("Joined X"), day);
  }
  if (json_object_has_member(u, "connection_status"))
    purple_notify_user_info_add_pair_plaintext(
        info, _("Follows you"), user_has_status(u, "followed_by") ? _("yes") : _("no"));
  if (json_object_has_member(u, "receives_your_dm"))
    purple_notify_user_info_add_pair_plaintext(
        info, _("Takes your DMs"),
        tb_xapi_json_bool(u, "receives_your_dm", FALSE) ? _("yes") : _("no"));
  if (tb_xapi_json_bool(u, "protected", FALSE))
    purple_notify_user_info_add_pair_plaintext(info, _("Protected"), _("yes"));
  g_autofree char *profile = g_strdup_printf("https://x.com/%s", handle ? handle : "");
  purple_notify_user_info_add_pair_plaintext(info, _("Profile"), profile);
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
    /* Get Info in Pidgin and Finch: libpurple's user-info window, one row per field */
    PurpleNotifyUserInfo *info = purple_notify_user_info_new();
    if (u != NULL)
      info_rows(info, u);
    else
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
  g_autofree char *limits = tb_limits_report(ctx->conn);
  g_autofree char *stream = tb_stream_report(ctx->conn);
  g_autofree char *report = stream ? g_strdup_printf("%s · %s", limits, stream) : g_strdup(limits);
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

static char *
cmd_thread(TbCmdCtx *ctx, const char *word, const char *rest)
{
  (void)rest;
  if (!tb_send_thread(ctx->conn, word))
    return g_strdup_printf(_("thread: %s is not an unsent post kept here (or it is on its way)"),
                           word);
  return NULL;
}

static char *
cmd_drop(TbCmdCtx *ctx, const char *word, const char *rest)
{
  guint n = tb_send_drop(ctx->conn, word);
  (void)rest;
  if (n == 0)
    return g_strdup_printf(_("drop: %s is not an unsent message kept here (or it is on its way)"),
                           word);
  g_autofree char *msg =
      g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "dropped %s: %u message left the outbox",
                                  "dropped %s: %u messages left the outbox", n),
                      word, n);
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
    {"thread", TB_ARGS_WORD, cmd_thread, N_("thread <oN>: post a kept long post as a thread")},
    {"drop", TB_ARGS_WORD, cmd_drop, N_("drop <oN>: forget a message kept unsent")},
    {"schedule", TB_ARGS_TEXT, cmd_schedule,
     N_("schedule <when> <text>: send it later from this conversation (when: HH:MM, "
        "YYYY-MM-DD HH:MM, +30m, +2h, +1d or next)")},
    {"scheduled", TB_ARGS_NONE, cmd_scheduled,
     N_("scheduled: this account's scheduled and held sends, and what is kept unsent")},
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
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(lines,
                  g_strdup_printf(_("Twinbird commands for @%s (%s) — type them in any of its "
                                    "conversations (prefix ! to be explicit; in Pidgin and Finch "
                                    "also /command). Text typed in a mention thread replies; "
                                    "\"nick: text\" replies to that person's last post."),
                                  ctx->conn->handle, ctx->conn->cfg.role));
  /* one line per command: a paragraph of them was unreadable */
  for (gsize i = 0; i < G_N_ELEMENTS(cmd_table); i++)
    g_ptr_array_add(lines, g_strdup_printf("· %s", _(cmd_table[i].usage)));
  tb_conv_notice_lines(ctx->conn, ctx->conv, lines);
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

/* The command names, for telling a lone command word from text. */
static const char *const *
cmd_words(void)
{
  static const char *words[G_N_ELEMENTS(cmd_table) + 1];
  for (gsize i = 0; i < G_N_ELEMENTS(cmd_table); i++)
    words[i] = cmd_table[i].name;
  return words;
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
  tb_cmds_send(conn, TB_OUTBOX_REPLY, id, purple_conversation_get_name(conv), reply_text,
               TB_FROM_THREAD);
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

/* ---- the account's actions (Pidgin's and Finch's Accounts menu) ---- */

static void
action_post_ok(gpointer data, const char *text)
{
  TbConn *conn = tb_conn_from_gc(data);
  if (conn == NULL || text == NULL)
    return;
  g_autofree char *plain = g_strstrip(g_strdup(text));
  tb_cmds_send(conn, TB_OUTBOX_POST, NULL, conn->handle, plain, TB_FROM_COMMAND);
}

static void
action_post(PurplePluginAction *action)
{
  PurpleConnection *gc = action->context;
  TbConn *conn = tb_conn_from_gc(gc);
  if (conn == NULL || conn->tag == NULL)
    return; /* not signed in yet: the menu offers it only once online */
  g_autofree char *title = g_strdup_printf(_("Post from @%s"), conn->handle);
  g_autofree char *primary =
      g_strdup_printf(_("What you write here goes out publicly as %s."), conn->tag);
  /* handle gc: the dialog closes with the connection, and nothing is called then */
  purple_request_input(gc, title, primary, NULL, NULL, TRUE, FALSE, NULL, _("Post"),
                       G_CALLBACK(action_post_ok), _("Cancel"), NULL, conn->account, NULL, NULL,
                       gc);
}

static void
action_limits(PurplePluginAction *action)
{
  PurpleConnection *gc = action->context;
  TbConn *conn = tb_conn_from_gc(gc);
  g_autofree char *limits = tb_limits_report(conn);
  g_autofree char *stream = tb_stream_report(conn);
  g_autofree char *report = stream ? g_strdup_printf("%s · %s", limits, stream) : g_strdup(limits);
  g_autofree char *primary = g_strdup_printf(_("Limits and spending of @%s"), conn->handle);
  purple_notify_message(gc, PURPLE_NOTIFY_MSG_INFO, _("Twinbird"), primary, report, NULL, NULL);
}

static void
action_profile(PurplePluginAction *action)
{
  PurpleConnection *gc = action->context;
  g_autofree char *link = g_strdup_printf("https://x.com/%s", tb_conn_from_gc(gc)->handle);
  purple_notify_uri(gc, link);
}

GList *
tb_cmds_actions(PurplePlugin *plugin, gpointer context)
{
  static const struct {
    const char *label;
    void (*callback)(PurplePluginAction *);
  } actions[] = {
      {N_("Post…"), action_post},
      {N_("Limits and spending"), action_limits},
      {N_("Open my profile"), action_profile},
  };
  GList *list = NULL;
  (void)plugin;
  (void)context;
  for (gsize i = 0; i < G_N_ELEMENTS(actions); i++)
    list = g_list_append(list, purple_plugin_action_new(_(actions[i].label), actions[i].callback));
  return list;
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
