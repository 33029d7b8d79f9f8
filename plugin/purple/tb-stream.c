/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-stream.h"
#include "api/tb-activity.h"
#include "api/tb-oauth.h"
#include "core/tb-bounds.h"
#include "core/tb-ids.h"
#include "core/tb-ndjson.h"
#include "tb-build-config.h"
#include "tb-fetch.h"
#include "tb-limits.h"
#include "tb-plugin.h"
#include "tb-proxy.h"

#include <glib/gi18n-lib.h>

#define TB_STREAM_BACKOFF_CAP_S 60u
#define TB_STREAM_BACKFILL_MAX_MIN 5 /* X's most */
#define TB_STREAM_UUIDS_KEPT 2048    /* event_uuids remembered to drop a delivery seen twice */
#define TB_STREAM_SLICE_US 2000
#define TB_STREAM_QUEUE_MAX 4096 /* lines waiting to be parsed and shown */
#define TB_STREAM_QUEUE_BYTES (16u * 1024u * 1024u)
#define TB_STREAM_STALL_S 60    /* X sends a keep-alive every 20 s */
#define TB_STREAM_LIST_PAGES 5  /* X's cap of 1,500 subscriptions is two pages of 1,000 */
#define TB_STREAM_TIDY_MAX_S 15 /* a sign-out's deletions get this long, then they are let go */
#define TB_STREAM_ENDPOINT "GET /2/activity/stream" /* its connects are limited per app */
#define SLOT_RECONNECT "stream-reconnect"
#define SLOT_DELIVER "stream-deliver"
/* set while this account may have subscriptions on X: a sign-in with stream=off deletes them */
#define TB_STORE_STREAM_SUBS "stream_subscribed"

static const TbActivityType wanted[] = {TB_ACTIVITY_DM_RECEIVED, TB_ACTIVITY_DM_SENT,
                                        TB_ACTIVITY_POST_MENTION};

/* What each delivered event is billed as (the sim and X: dm.sent is free). */
static const struct {
  TbActivityType type;
  TbCostKind kind;
} billed[] = {
    {TB_ACTIVITY_DM_RECEIVED, TB_COST_READ_DM_EVENT},
    {TB_ACTIVITY_POST_MENTION, TB_COST_READ_POST},
};

/* One app's stream, shared by its accounts of this client. */
typedef struct {
  char *key; /* api_base " " consumer_key */
  char *api_base, *consumer_key, *consumer_secret;
  char *bearer;    /* the app's token: a secret, in memory only */
  TbConn *asking;  /* whose connection asks for the token now, or NULL */
  GList *conns;    /* TbConn of this app, signed in with stream=on */
  TbConn *owner;   /* whose connection holds the stream request and its timers */
  guint stream_id; /* on owner->http, 0 when none */
  TbNdjson *nd;
  GQueue *queue; /* GBytes: lines received, waiting to be parsed and shown */
  gsize queued_bytes;
  TbIdSet *uuids; /* event_uuids seen, bounded: a backfill repeats what was delivered */
  gboolean up;
  gint64 connected_since, down_since; /* Unix seconds; down_since 0: never dropped */
  guint events, reconnects, attempts;
} TbStreamApp;

struct _TbStream {
  TbStreamApp *app;
  gboolean joined;    /* subscribed: its events are routed to it */
  gboolean said_cap;  /* the cap was said once */
  gboolean said_keys; /* the app's keys refused was said once */
  guint creating;     /* subscriptions being created */
  gboolean have_some; /* at least one subscription of ours exists */
  GPtrArray *ours;    /* ids of this account's subscriptions (found or made): gone at sign-out */
  guint pages;        /* pages of the app's subscriptions read so far */
  gboolean dropped;   /* closing after a connection error, not signed out */
  /* stream=off: deleting what an earlier stream=on left (no app, no stream) */
  char *tidy_bearer;
  guint tidy_pending;
  gboolean tidy_failed;
};

static void app_connect(TbStreamApp *app);

static void
say(TbConn *conn, const char *msg)
{
  g_autofree char *title = g_strdup_printf(_("Twinbird: @%s (%s)"), conn->handle, conn->cfg.role);
  purple_debug_warning("twinbird", "@%s: %s\n", conn->handle, msg);
  purple_notify_warning(conn->gc, title, title, msg);
}

static TbXapiAuth
app_auth(TbStreamApp *app)
{
  TbXapiAuth a = {.kind = TB_XAPI_AUTH_BEARER, .token = app->bearer};
  return a;
}

static void
app_free(TbStreamApp *app)
{
  g_hash_table_remove(tb_plugin_stream_apps(), app->key);
  g_free(app->key);
  g_free(app->api_base);
  g_free(app->consumer_key);
  tb_oauth_secret_free(app->consumer_secret);
  tb_oauth_secret_free(app->bearer);
  g_queue_free_full(app->queue, (GDestroyNotify)g_bytes_unref);
  tb_id_set_free(app->uuids);
  if (app->nd)
    tb_ndjson_free(app->nd);
  g_free(app);
}

static TbStreamApp *
app_get(TbConn *conn)
{
  g_autofree char *key = g_strconcat(conn->cfg.api_base, " ", conn->cfg.consumer_key, NULL);
  TbStreamApp *app = g_hash_table_lookup(tb_plugin_stream_apps(), key);

  if (app != NULL)
    return app;
  app = g_new0(TbStreamApp, 1);
  app->key = g_steal_pointer(&key);
  app->api_base = g_strdup(conn->cfg.api_base);
  app->consumer_key = g_strdup(conn->cfg.consumer_key);
  app->consumer_secret = g_strdup(conn->cfg.consumer_secret);
  app->queue = g_queue_new();
  app->uuids = tb_id_set_new(TB_STREAM_UUIDS_KEPT);
  g_hash_table_insert(tb_plugin_stream_apps(), app->key, app);
  return app;
}

static void
app_set_up(TbStreamApp *app, gboolean up)
{
  app->up = up;
  for (GList *l = app->conns; l; l = l->next)
    tb_fetch_stream_set_up(l->data, up && ((TbConn *)l->data)->stream->joined);
}

/* ---- events ---- */

static TbConn *
app_member_for(TbStreamApp *app, const char *user_id)
{
  for (GList *l = app->conns; l; l = l->next) {
    TbConn *c = l->data;
    if (c->stream->joined && c->me && g_strcmp0(c->me->id, user_id) == 0)
      return c;
  }
  return NULL;
}

static void
event_deliver(TbStreamApp *app, TbActivityEvent *ev)
{
  TbConn *conn = app_member_for(app, ev->filter_user_id);

  if (conn == NULL)
    return; /* another client's, or an account signed out meanwhile */
  app->events++;
  for (gsize i = 0; i < G_N_ELEMENTS(billed); i++) {
    if (billed[i].type != ev->type)
      continue;
    if (ev->type == TB_ACTIVITY_POST_MENTION && ev->post)
      tb_limits_count(conn, billed[i].kind, ev->post->id);
    for (guint k = 0; ev->type != TB_ACTIVITY_POST_MENTION && ev->dms && k < ev->dms->len; k++)
      tb_limits_count(conn, billed[i].kind, ((TbXapiDmEvent *)ev->dms->pdata[k])->id);
  }
  if (ev->type == TB_ACTIVITY_POST_MENTION)
    tb_fetch_stream_mention(conn, ev->post, ev->users);
  else if (ev->type == TB_ACTIVITY_DM_RECEIVED || ev->type == TB_ACTIVITY_DM_SENT)
    tb_fetch_stream_dms(conn, ev->dms, ev->users);
}

/* One line of the stream: parsed, de-duplicated and shown, here rather than where it arrived,
 * so that a burst (a backfill) is cut in slices like every other delivery. */
static void
line_deliver(TbStreamApp *app, GBytes *line)
{
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const char *text = g_bytes_get_data(line, &len);
  g_autoptr(TbActivityEvent) ev = tb_activity_event_parse(text, len, &error);

  if (ev == NULL) {
    purple_debug_warning("twinbird", "activity stream: %s\n", error->message);
    return;
  }
  if (tb_id_set_add(app->uuids, ev->event_uuid)) /* FALSE: delivered before (a backfill) */
    event_deliver(app, ev);
}

static gboolean
deliver_slice(gpointer data)
{
  TbStreamApp *app = data;
  gint64 start = g_get_monotonic_time();

  while (!g_queue_is_empty(app->queue)) {
    g_autoptr(GBytes) line = g_queue_pop_head(app->queue);
    app->queued_bytes -= g_bytes_get_size(line);
    line_deliver(app, line);
    if (!g_queue_is_empty(app->queue) && g_get_monotonic_time() - start > TB_STREAM_SLICE_US) {
      tb_conn_timeout_set(app->owner, SLOT_DELIVER, 0, deliver_slice, app);
      return FALSE;
    }
  }
  return FALSE;
}

static gboolean
on_line(TbNdjsonKind kind, const char *line, gsize len, gpointer data)
{
  TbStreamApp *app = data;

  if (kind != TB_NDJSON_LINE)
    return TRUE; /* keep-alives; an over-long line is dropped */
  if (g_queue_get_length(app->queue) >= TB_STREAM_QUEUE_MAX ||
      app->queued_bytes + len > TB_STREAM_QUEUE_BYTES) {
    /* a flood: what is dropped here comes back with a poll (the stream only brings it sooner) */
    purple_debug_warning("twinbird", "activity stream: %u lines waiting, one dropped\n",
                         g_queue_get_length(app->queue));
    return TRUE;
  }
  g_queue_push_tail(app->queue, g_bytes_new(line, len));
  app->queued_bytes += len;
  if (!tb_conn_timeout_is_set(app->owner, SLOT_DELIVER))
    tb_conn_timeout_set(app->owner, SLOT_DELIVER, 0, deliver_slice, app);
  return TRUE;
}

/* ---- the stream ---- */

/* X limits the stream's connects per app (450 a 15-minute window): they go through the app's
 * budget like every other request, learnt from the answers' headers. */
static TbBudget *
app_budget(TbStreamApp *app)
{
  return tb_plugin_app_budget(app->consumer_key);
}

static void
app_learn(TbStreamApp *app, const TbHttpResponse *resp)
{
  TbXapiRateLimit rl = {0};
  TbBudget *b = app_budget(app);
  if (b == NULL || resp->outcome != TB_HTTP_OK)
    return;
  tb_xapi_rate_limit_read(resp, &rl);
  if (resp->status == 429) {
    tb_budget_exhausted(b, TB_STREAM_ENDPOINT, rl.known ? rl.reset : 0,
                        g_get_real_time() / G_USEC_PER_SEC);
    return;
  }
  TbWindow w = {.known = rl.known, .limit = rl.limit, .remaining = rl.remaining, .reset = rl.reset};
  tb_budget_update(b, TB_STREAM_ENDPOINT, TB_WINDOW_15MIN, &w);
}

static void
stream_head(const TbHttpResponse *resp, gpointer data)
{
  TbStreamApp *app = data;

  app_learn(app, resp);
  if (resp->status / 100 != 2)
    return;
  app->connected_since = g_get_real_time() / G_USEC_PER_SEC;
  app->attempts = 0;
  purple_debug_info("twinbird", "activity stream up for @%s's app\n", app->owner->handle);
  app_set_up(app, TRUE);
}

static void
stream_data(const char *data, gsize len, gpointer user_data)
{
  TbStreamApp *app = user_data;
  tb_ndjson_feed(app->nd, data, len);
}

static gboolean
reconnect_fire(gpointer data)
{
  app_connect(data);
  return FALSE;
}

static void app_fetch_token(TbStreamApp *app, TbConn *conn);

static gboolean
token_again_fire(gpointer data)
{
  TbStreamApp *app = data;
  app_fetch_token(app, app->owner);
  return FALSE;
}

/* Dropped, stalled, refused or ended: polling takes over, and the stream comes back later. */
static void
stream_end(const TbHttpResponse *resp, gpointer data)
{
  TbStreamApp *app = data;
  g_autoptr(GError) error = NULL;

  app->stream_id = 0;
  if (resp->outcome == TB_HTTP_OK && resp->status / 100 != 2)
    app_learn(app, resp); /* a refusal's headers (a 2xx's came with its head) */
  if (app->up || app->down_since == 0)
    app->down_since = g_get_real_time() / G_USEC_PER_SEC;
  app_set_up(app, FALSE);
  if (resp->outcome == TB_HTTP_OK && resp->status / 100 != 2) {
    g_autoptr(JsonNode) root = tb_activity_response_parse(resp, &error); /* for error's words */
    (void)root;
    if (resp->status == 401) {
      /* the app's token was refused: ask for a new one, then connect; a new one refused too
       * is asked for again only after the usual backoff */
      g_clear_pointer(&app->bearer, tb_oauth_secret_free);
      guint wait =
          app->attempts == 0 ? 0 : MIN(1u << MIN(app->attempts, 6u), TB_STREAM_BACKOFF_CAP_S);
      app->attempts++;
      if (wait == 0)
        app_fetch_token(app, app->owner);
      else
        tb_conn_timeout_set(app->owner, SLOT_RECONNECT, wait * 1000, token_again_fire, app);
      return;
    }
  }
  purple_debug_warning("twinbird", "activity stream ended (outcome %d, status %ld)%s%s\n",
                       (int)resp->outcome, (long)resp->status, error ? ": " : "",
                       error ? error->message : "");
  guint delay = MIN(1u << MIN(app->attempts, 6u), TB_STREAM_BACKOFF_CAP_S);
  app->attempts++;
  app->reconnects++;
  tb_conn_timeout_set(app->owner, SLOT_RECONNECT, delay * 1000, reconnect_fire, app);
  /* app_connect waits longer if the app's budget of connects says so */
}

/* What was missed since the drop, in whole minutes (X's 0..5). */
static int
app_backfill(TbStreamApp *app)
{
  if (app->down_since == 0)
    return 0;
  gint64 gone = g_get_real_time() / G_USEC_PER_SEC - app->down_since;
  return (int)CLAMP((gone + 59) / 60 + 1, 1, TB_STREAM_BACKFILL_MAX_MIN);
}

static TbConn *
app_pick_owner(TbStreamApp *app)
{
  for (GList *l = app->conns; l; l = l->next) {
    TbConn *c = l->data;
    if (c->stream->joined)
      return c;
  }
  return NULL;
}

static void
app_connect(TbStreamApp *app)
{
  g_autoptr(GError) error = NULL;

  if (app->stream_id != 0 || app->bearer == NULL || (app->owner = app_pick_owner(app)) == NULL)
    return;
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  TbBudget *budget = app_budget(app);
  gint64 wait = budget ? tb_budget_wait_s(budget, TB_STREAM_ENDPOINT, now) : 0;
  if (wait > 0) {
    purple_debug_info("twinbird",
                      "activity stream: X's connects for this app are spent, "
                      "again in %" G_GINT64_FORMAT " s\n",
                      wait);
    tb_conn_timeout_set(app->owner, SLOT_RECONNECT, (guint)MIN(wait, 3600) * 1000, reconnect_fire,
                        app);
    return;
  }
  if (budget != NULL)
    tb_budget_spend(budget, TB_STREAM_ENDPOINT, now);
  TbXapiAuth auth = app_auth(app);
  TbHttpStreamOps ops = {stream_head, stream_data, stream_end, TB_STREAM_STALL_S};
  if (app->nd == NULL)
    app->nd = tb_ndjson_new(TB_BOUND_ACTIVITY_LINE_BYTES, on_line, app);
  tb_ndjson_reset(app->nd);
  app->stream_id = tb_http_stream(
      app->owner->http, tb_activity_stream_request(&auth, app->api_base, app_backfill(app)), &ops,
      app, NULL, &error);
  if (app->stream_id == 0)
    purple_debug_warning("twinbird", "activity stream not started: %s\n", error->message);
}

/* ---- subscriptions ---- */

static void
note_ours(TbConn *conn, const char *subscription_id)
{
  TbStream *st = conn->stream;
  if (subscription_id == NULL ||
      g_ptr_array_find_with_equal_func(st->ours, subscription_id, g_str_equal, NULL))
    return;
  g_ptr_array_add(st->ours, g_strdup(subscription_id));
  tb_store_set(conn->store, TB_STORE_STREAM_SUBS, "1");
  tb_conn_store_changed(conn);
}

static void
joined(TbConn *conn)
{
  TbStream *st = conn->stream;
  st->joined = TRUE;
  tb_fetch_stream_set_up(conn, st->app->up);
  app_connect(st->app);
}

static void
sub_created(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
            gpointer data)
{
  TbStream *st = conn->stream;
  g_autoptr(GError) why = NULL;
  g_autoptr(TbActivitySub) sub = resp ? tb_activity_sub_create_parse(resp, &why) : NULL;
  (void)root;
  (void)data;

  st->creating--;
  if (sub != NULL) {
    st->have_some = TRUE;
    note_ours(conn, sub->subscription_id);
  } else if (g_error_matches(why, TB_XAPI_ERROR, TB_XAPI_ERROR_SUB_DUPLICATE)) {
    st->have_some = TRUE; /* made meanwhile (another client of the account): ours all the same */
  } else if (g_error_matches(why, TB_XAPI_ERROR, TB_XAPI_ERROR_SUB_CAP) && !st->said_cap) {
    st->said_cap = TRUE;
    say(conn, _("X's limit of subscriptions for this app is reached, so DMs and mentions are not "
                "streamed for this account: Twinbird keeps checking for them as before."));
  } else if (sub == NULL && !st->said_cap) {
    st->said_cap = TRUE; /* one clear message, whatever the refusal */
    g_autofree char *msg = g_strdup_printf(
        _("X refused the Activity stream's subscription (%s): Twinbird keeps checking for DMs "
          "and mentions as before."),
        (why ? why : error)->message);
    say(conn, msg);
  }
  if (st->creating > 0 || !st->have_some)
    return;
  joined(conn);
}

typedef void (*TbSubsWalked)(TbConn *conn, GPtrArray *mine, const GError *error);

typedef struct {
  TbSubsWalked then;
  GPtrArray *mine; /* TbActivitySub of this account's, found so far */
} TbSubsWalk;

static void
subs_walk_free(TbSubsWalk *w)
{
  g_ptr_array_unref(w->mine);
  g_free(w);
}

/* One page of the app's subscriptions: this account's (by their tag) kept, the next page asked
 * for (a bounded number of them), then `then` with all of them. */
static void
subs_page_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
               gpointer data)
{
  TbSubsWalk *w = data;
  g_autoptr(GError) why = NULL;
  g_autofree char *next = NULL;
  g_autoptr(GPtrArray) subs = resp ? tb_activity_sub_list_parse(resp, &next, &why) : NULL;
  (void)root;

  if (subs == NULL) {
    w->then(conn, NULL, why ? why : error);
    subs_walk_free(w);
    return;
  }
  for (guint i = 0; i < subs->len; i++) {
    TbActivitySub *s = subs->pdata[i];
    g_autofree char *uid = NULL;
    TbActivityType type;
    if (tb_activity_tag_parse(s->tag, &uid, &type) && g_strcmp0(uid, conn->me->id) == 0)
      g_ptr_array_add(w->mine, g_steal_pointer(&subs->pdata[i]));
  }
  if (next != NULL && ++conn->stream->pages < TB_STREAM_LIST_PAGES) {
    tb_conn_send(conn, tb_activity_sub_list_request(&conn->auth, conn->cfg.api_base, next),
                 subs_page_done, w);
    return;
  }
  w->then(conn, w->mine, NULL);
  subs_walk_free(w);
}

static void
subs_walk(TbConn *conn, TbSubsWalked then)
{
  TbSubsWalk *w = g_new0(TbSubsWalk, 1);
  w->then = then;
  w->mine = g_ptr_array_new_with_free_func((GDestroyNotify)tb_activity_sub_free);
  conn->stream->pages = 0;
  tb_conn_send(conn, tb_activity_sub_list_request(&conn->auth, conn->cfg.api_base, NULL),
               subs_page_done, w);
}

/* stream=on: ours from before are reused, the missing ones made. */
static void
subs_listed(TbConn *conn, GPtrArray *mine, const GError *error)
{
  TbStream *st = conn->stream;
  gboolean have[G_N_ELEMENTS(wanted)] = {FALSE};

  if (mine == NULL) {
    g_autofree char *msg = g_strdup_printf(
        _("The Activity stream could not start (%s): Twinbird keeps checking for DMs and "
          "mentions as before."),
        error->message);
    say(conn, msg);
    return;
  }
  for (guint i = 0; i < mine->len; i++) {
    TbActivitySub *s = mine->pdata[i];
    for (gsize k = 0; k < G_N_ELEMENTS(wanted); k++)
      if (wanted[k] == s->type && !have[k]) {
        have[k] = TRUE;
        note_ours(conn, s->subscription_id);
      }
  }
  for (gsize k = 0; k < G_N_ELEMENTS(wanted); k++) {
    if (have[k]) {
      st->have_some = TRUE;
      continue;
    }
    st->creating++;
    tb_conn_send(
        conn,
        tb_activity_sub_create_request(&conn->auth, conn->cfg.api_base, conn->me->id, wanted[k]),
        sub_created, NULL);
  }
  if (st->creating == 0)
    joined(conn);
}

static void
subs_start(TbConn *conn)
{
  subs_walk(conn, subs_listed);
}

/* ---- the app's token ---- */

static void
token_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
           gpointer data)
{
  TbStreamApp *app = conn->stream->app;
  g_autoptr(GError) why = NULL;
  (void)root;
  (void)data;

  app->asking = NULL;
  app->bearer = resp ? tb_oauth2_app_token_parse(resp, &why) : NULL;
  if (app->bearer == NULL) {
    g_autofree char *msg = g_strdup_printf(
        _("X refused this app's consumer key and secret for the Activity stream (%s): Twinbird "
          "keeps checking for DMs and mentions as before."),
        (why ? why : error)->message);
    for (GList *l = app->conns; l; l = l->next) {
      TbConn *c = l->data;
      if (!c->stream->said_keys) /* an account signed in later asks again: told once each */
        say(c, msg);
      c->stream->said_keys = TRUE;
    }
    return;
  }
  if (app->owner != NULL && app_pick_owner(app) != NULL) {
    app_connect(app); /* a token renewed after a 401 */
    return;
  }
  for (GList *l = app->conns; l; l = l->next)
    subs_start(l->data);
}

static void
app_fetch_token(TbStreamApp *app, TbConn *conn)
{
  if (app->asking != NULL || conn == NULL)
    return;
  app->asking = conn;
  tb_conn_send(conn,
               tb_oauth2_app_token_request(app->api_base, app->consumer_key, app->consumer_secret),
               token_done, NULL);
}

/* ---- subscriptions no longer wanted ---- */

/* A sign-out's deletions: carried by a driver of their own, through the account's proxy, since
 * the account's connection is gone before X answers; let go after TB_STREAM_TIDY_MAX_S. What
 * fails stays on X, and the store's mark makes the next sign-in with stream=off look again. */
typedef struct {
  TbHttp *http;
  guint pending;
  guint timer;
} TbStreamTidy;

static GList *tidies; /* TbStreamTidy under way; freed at unload at the latest */
static gboolean quitting;
static int signals_handle; /* its address: what this file's signal callbacks are connected by */

static void
tidy_free(TbStreamTidy *t)
{
  tidies = g_list_remove(tidies, t);
  if (t->timer != 0)
    purple_timeout_remove(t->timer);
  tb_http_free(t->http);
  g_free(t);
}

static gboolean
tidy_give_up(gpointer data)
{
  TbStreamTidy *t = data;
  t->timer = 0;
  purple_debug_warning("twinbird", "activity subscriptions: %u deletions unanswered, let go\n",
                       t->pending);
  tidy_free(t);
  return FALSE;
}

static void
tidy_deleted(const TbHttpResponse *resp, gpointer data)
{
  TbStreamTidy *t = data;
  g_autoptr(GError) error = NULL;

  if (!tb_activity_sub_delete_parse(resp, &error))
    purple_debug_warning("twinbird", "activity subscription not deleted: %s\n", error->message);
  if (--t->pending == 0)
    tidy_free(t);
}

static void
signout_delete(TbConn *conn, char *bearer)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TbProxyUrl) proxy = tb_proxy_setup(conn->account, conn->cfg.proxy, &error);
  TbXapiAuth app = {.kind = TB_XAPI_AUTH_BEARER, .token = bearer};

  if (proxy == NULL) {
    purple_debug_warning("twinbird", "activity subscriptions kept: %s\n", error->message);
    return;
  }
  TbHttpConfig cfg = {
      .ca_file = conn->cfg.ca_file, .proxy = proxy, .user_agent = "Twinbird/" TB_VERSION};
  TbStreamTidy *t = g_new0(TbStreamTidy, 1);
  t->http = tb_http_new(&cfg);
  tidies = g_list_prepend(tidies, t);
  for (guint i = 0; i < conn->stream->ours->len; i++) {
    const char *id = conn->stream->ours->pdata[i];
    g_autoptr(GError) refused = NULL;
    if (tb_http_send(t->http, tb_activity_sub_delete_request(&app, conn->cfg.api_base, id),
                     tidy_deleted, t, &refused) != 0)
      t->pending++;
  }
  purple_debug_info("twinbird", "@%s signed out: deleting its %u activity subscriptions\n",
                    conn->handle, t->pending);
  if (t->pending == 0)
    tidy_free(t);
  else
    t->timer = purple_timeout_add_seconds(TB_STREAM_TIDY_MAX_S, tidy_give_up, t);
}

/* stream=off at sign-in, with subscriptions left from when it was on: deleted, with the app's
 * token (X deletes with it), and the store's mark goes once all of them are. */
static void
unmark(TbConn *conn)
{
  tb_store_set(conn->store, TB_STORE_STREAM_SUBS, NULL);
  tb_conn_store_changed(conn);
}

static void
tidy_one_deleted(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
                 gpointer data)
{
  TbStream *st = conn->stream;
  g_autoptr(GError) why = NULL;
  (void)root;
  (void)data;

  if (resp == NULL || !tb_activity_sub_delete_parse(resp, &why)) {
    purple_debug_warning("twinbird", "activity subscription not deleted: %s\n",
                         (why ? why : error)->message);
    st->tidy_failed = TRUE;
  }
  if (--st->tidy_pending > 0)
    return;
  g_clear_pointer(&st->tidy_bearer, tb_oauth_secret_free);
  if (!st->tidy_failed)
    unmark(conn);
}

static void
tidy_listed(TbConn *conn, GPtrArray *mine, const GError *error)
{
  TbStream *st = conn->stream;
  TbXapiAuth app = {.kind = TB_XAPI_AUTH_BEARER, .token = st->tidy_bearer};

  if (mine == NULL) {
    purple_debug_warning("twinbird", "activity subscriptions not listed: %s\n", error->message);
    return; /* the mark stays: looked for again at the next sign-in */
  }
  for (guint i = 0; i < mine->len; i++) {
    TbActivitySub *sub = mine->pdata[i];
    st->tidy_pending++;
    tb_conn_send(conn,
                 tb_activity_sub_delete_request(&app, conn->cfg.api_base, sub->subscription_id),
                 tidy_one_deleted, NULL);
  }
  purple_debug_info("twinbird", "@%s: stream is off, deleting %u activity subscriptions\n",
                    conn->handle, st->tidy_pending);
  if (st->tidy_pending == 0)
    unmark(conn);
}

static void
tidy_token_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
                gpointer data)
{
  TbStream *st = conn->stream;
  g_autoptr(GError) why = NULL;
  (void)root;
  (void)data;

  st->tidy_bearer = resp ? tb_oauth2_app_token_parse(resp, &why) : NULL;
  if (st->tidy_bearer == NULL) {
    purple_debug_warning("twinbird", "activity subscriptions kept (no app token): %s\n",
                         (why ? why : error)->message);
    return;
  }
  subs_walk(conn, tidy_listed);
}

/* ---- the account's part ---- */

static gboolean
has_keys(TbConn *conn)
{
  return conn->cfg.consumer_key && *conn->cfg.consumer_key && conn->cfg.consumer_secret &&
         *conn->cfg.consumer_secret;
}

void
tb_stream_start(TbConn *conn)
{
  if (conn->cfg.stream != TB_STREAM_ON) {
    if (has_keys(conn) && tb_store_get(conn->store, TB_STORE_STREAM_SUBS) != NULL) {
      conn->stream = g_new0(TbStream, 1);
      conn->stream->ours = g_ptr_array_new_with_free_func(g_free);
      tb_conn_send(conn,
                   tb_oauth2_app_token_request(conn->cfg.api_base, conn->cfg.consumer_key,
                                               conn->cfg.consumer_secret),
                   tidy_token_done, NULL);
    }
    return;
  }
  if (!has_keys(conn)) {
    say(conn, _("The option stream is on, but the account has no consumer key and secret (the X "
                "app's, which the Activity stream needs): Twinbird keeps checking for DMs and "
                "mentions as before."));
    return;
  }
  conn->stream = g_new0(TbStream, 1);
  conn->stream->ours = g_ptr_array_new_with_free_func(g_free);
  conn->stream->app = app_get(conn);
  TbStreamApp *app = conn->stream->app;
  app->conns = g_list_append(app->conns, conn);
  if (app->bearer != NULL)
    subs_start(conn);
  else
    app_fetch_token(app, conn);
}

void
tb_stream_stop(TbConn *conn)
{
  TbStream *st = conn->stream;

  if (st == NULL || st->app == NULL)
    return;
  TbStreamApp *app = g_steal_pointer(&st->app);
  /* Signed out: the subscriptions go. Quitting or dropped (a reconnect follows): they stay and
   * are reused at the next sign-in. */
  if (!quitting && !st->dropped && st->ours->len > 0 && app->bearer != NULL)
    signout_delete(conn, app->bearer);
  st->joined = FALSE;
  app->conns = g_list_remove(app->conns, conn);
  tb_fetch_stream_set_up(conn, FALSE);
  if (app->asking == conn) {
    app->asking = NULL;
    app_fetch_token(app, app->conns ? app->conns->data : NULL);
  }
  if (app->owner == conn) {
    gboolean had = app->stream_id != 0;
    if (had)
      tb_http_cancel(conn->http, app->stream_id);
    app->stream_id = 0;
    tb_conn_timeout_clear(conn, SLOT_RECONNECT);
    tb_conn_timeout_clear(conn, SLOT_DELIVER);
    app->owner = NULL;
    if (had && app->up) {
      app->down_since = g_get_real_time() / G_USEC_PER_SEC; /* backfill covers the move */
      app->reconnects++;
    }
    app_set_up(app, FALSE);
    app_connect(app); /* on another account of the app, if any */
    if (app->owner != NULL && !g_queue_is_empty(app->queue))
      tb_conn_timeout_set(app->owner, SLOT_DELIVER, 0, deliver_slice, app);
  }
  if (app->conns == NULL)
    app_free(app);
}

void
tb_stream_cleanup(TbConn *conn)
{
  TbStream *st = g_steal_pointer(&conn->stream);
  if (st == NULL)
    return;
  g_ptr_array_unref(st->ours);
  tb_oauth_secret_free(st->tidy_bearer);
  g_free(st);
}

/* A connection error closes the account next, and libpurple may sign it in again: not a
 * sign-out, so its subscriptions stay. */
static void
on_connection_error(PurpleConnection *gc, PurpleConnectionError reason, const char *desc,
                    gpointer plugin)
{
  (void)reason;
  (void)desc;
  TbConn *conn = purple_connection_get_prpl(gc) == plugin ? tb_conn_from_gc(gc) : NULL;
  if (conn != NULL && conn->stream != NULL)
    conn->stream->dropped = TRUE;
}

static void
on_quitting(gpointer data)
{
  (void)data;
  quitting = TRUE; /* the client closes: subscriptions are reused at its next start */
}

void
tb_stream_register(PurplePlugin *plugin)
{
  quitting = FALSE;
  purple_signal_connect(purple_connections_get_handle(), "connection-error", &signals_handle,
                        PURPLE_CALLBACK(on_connection_error), plugin);
  purple_signal_connect(purple_get_core(), "quitting", &signals_handle,
                        PURPLE_CALLBACK(on_quitting), NULL);
}

void
tb_stream_unregister(PurplePlugin *plugin)
{
  (void)plugin;
  purple_signals_disconnect_by_handle(&signals_handle);
  while (tidies != NULL)
    tidy_free(tidies->data);
}

char *
tb_stream_report(TbConn *conn)
{
  TbStream *st = conn->stream;

  if (st == NULL || st->app == NULL)
    return NULL;
  TbStreamApp *app = st->app;
  if (!app->up || !st->joined)
    return g_strdup_printf(_("Activity stream: down (%u reconnects); DMs and mentions are polled"),
                           app->reconnects);
  g_autoptr(GDateTime) at = g_date_time_new_from_unix_local(app->connected_since);
  g_autofree char *hhmm = at ? g_date_time_format(at, "%H:%M") : g_strdup("?");
  return g_strdup_printf(_("Activity stream: connected since %s, %u events received, %u "
                           "reconnects"),
                         hhmm, app->events, app->reconnects);
}
