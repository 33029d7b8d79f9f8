/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-stream.h"
#include "api/tb-activity.h"
#include "api/tb-oauth.h"
#include "core/tb-bounds.h"
#include "core/tb-ids.h"
#include "core/tb-ndjson.h"
#include "tb-fetch.h"
#include "tb-limits.h"
#include "tb-plugin.h"

#include <glib/gi18n-lib.h>

#define TB_STREAM_BACKOFF_CAP_S 60
#define TB_STREAM_BACKFILL_MAX_MIN 5 /* X's most */
#define TB_STREAM_UUIDS_KEPT 2048    /* event_uuids remembered to drop a delivery seen twice */
#define TB_STREAM_SLICE_US 3000
#define TB_STREAM_QUEUE_MAX 4096 /* events parsed and waiting to be shown */
#define TB_STREAM_STALL_S 60     /* X sends a keep-alive every 20 s */
#define SLOT_RECONNECT "stream-reconnect"
#define SLOT_DELIVER "stream-deliver"

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
  GQueue *queue;  /* TbActivityEvent parsed, waiting to be shown */
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
  g_queue_free_full(app->queue, (GDestroyNotify)tb_activity_event_free);
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

static gboolean
deliver_slice(gpointer data)
{
  TbStreamApp *app = data;
  gint64 start = g_get_monotonic_time();

  while (!g_queue_is_empty(app->queue)) {
    g_autoptr(TbActivityEvent) ev = g_queue_pop_head(app->queue);
    event_deliver(app, ev);
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
  g_autoptr(GError) error = NULL;

  if (kind != TB_NDJSON_LINE)
    return TRUE; /* keep-alives; an over-long line is dropped */
  TbActivityEvent *ev = tb_activity_event_parse(line, len, &error);
  if (ev == NULL) {
    purple_debug_warning("twinbird", "activity stream: %s\n", error->message);
    return TRUE;
  }
  if (!tb_id_set_add(app->uuids, ev->event_uuid) ||
      g_queue_get_length(app->queue) >= TB_STREAM_QUEUE_MAX) {
    tb_activity_event_free(ev);
    return TRUE;
  }
  g_queue_push_tail(app->queue, ev);
  if (!tb_conn_timeout_is_set(app->owner, SLOT_DELIVER))
    tb_conn_timeout_set(app->owner, SLOT_DELIVER, 0, deliver_slice, app);
  return TRUE;
}

/* ---- the stream ---- */

static void
stream_head(const TbHttpResponse *resp, gpointer data)
{
  TbStreamApp *app = data;

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

/* Dropped, stalled, refused or ended: polling takes over, and the stream comes back later. */
static void
stream_end(const TbHttpResponse *resp, gpointer data)
{
  TbStreamApp *app = data;
  g_autoptr(GError) error = NULL;

  app->stream_id = 0;
  if (app->up || app->down_since == 0)
    app->down_since = g_get_real_time() / G_USEC_PER_SEC;
  app_set_up(app, FALSE);
  if (resp->outcome == TB_HTTP_OK && resp->status / 100 != 2) {
    g_autoptr(JsonNode) root = tb_activity_response_parse(resp, &error); /* for error's words */
    (void)root;
    if (resp->status == 401) {
      /* the app's token was refused: ask for a new one, then connect */
      g_clear_pointer(&app->bearer, tb_oauth_secret_free);
      app_fetch_token(app, app->owner);
      return;
    }
  }
  purple_debug_warning("twinbird", "activity stream ended (outcome %d, status %ld)%s%s\n",
                       (int)resp->outcome, (long)resp->status, error ? ": " : "",
                       error ? error->message : "");
  guint delay = MIN(1u << MIN(app->attempts, 6u), (guint)TB_STREAM_BACKOFF_CAP_S);
  app->attempts++;
  app->reconnects++;
  tb_conn_timeout_set(app->owner, SLOT_RECONNECT, delay * 1000, reconnect_fire, app);
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
sub_created(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
            gpointer data)
{
  TbStream *st = conn->stream;
  g_autoptr(GError) why = NULL;
  g_autoptr(TbActivitySub) sub = resp ? tb_activity_sub_create_parse(resp, &why) : NULL;
  (void)root;
  (void)data;

  st->creating--;
  if (sub != NULL || g_error_matches(why, TB_XAPI_ERROR, TB_XAPI_ERROR_SUB_DUPLICATE))
    st->have_some = TRUE;
  else if (g_error_matches(why, TB_XAPI_ERROR, TB_XAPI_ERROR_SUB_CAP) && !st->said_cap) {
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
  st->joined = TRUE;
  tb_fetch_stream_set_up(conn, st->app->up);
  app_connect(st->app);
}

static void
subs_listed(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
            gpointer data)
{
  TbStream *st = conn->stream;
  g_autoptr(GError) why = NULL;
  g_autofree char *next = NULL;
  g_autoptr(GPtrArray) subs = resp ? tb_activity_sub_list_parse(resp, &next, &why) : NULL;
  gboolean have[G_N_ELEMENTS(wanted)] = {FALSE};
  (void)root;
  (void)data;

  if (subs == NULL) {
    g_autofree char *msg = g_strdup_printf(
        _("The Activity stream could not start (%s): Twinbird keeps checking for DMs and "
          "mentions as before."),
        (why ? why : error)->message);
    say(conn, msg);
    return;
  }
  for (guint i = 0; i < subs->len; i++) {
    TbActivitySub *s = subs->pdata[i];
    g_autofree char *uid = NULL;
    TbActivityType type;
    if (!tb_activity_tag_parse(s->tag, &uid, &type) || g_strcmp0(uid, conn->me->id) != 0)
      continue;
    for (gsize k = 0; k < G_N_ELEMENTS(wanted); k++)
      have[k] = have[k] || wanted[k] == type; /* ours from before: reused */
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
  if (st->creating == 0) {
    st->joined = TRUE;
    tb_fetch_stream_set_up(conn, st->app->up);
    app_connect(st->app);
  }
}

static void
subs_start(TbConn *conn)
{
  tb_conn_send(conn, tb_activity_sub_list_request(&conn->auth, conn->cfg.api_base, NULL),
               subs_listed, NULL);
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

/* ---- the account's part ---- */

void
tb_stream_start(TbConn *conn)
{
  gboolean keys = conn->cfg.consumer_key && *conn->cfg.consumer_key && conn->cfg.consumer_secret &&
                  *conn->cfg.consumer_secret;

  if (conn->cfg.stream != TB_STREAM_ON)
    return;
  if (!keys) {
    say(conn, _("The option stream is on, but the account has no consumer key and secret (the X "
                "app's, which the Activity stream needs): Twinbird keeps checking for DMs and "
                "mentions as before."));
    return;
  }
  conn->stream = g_new0(TbStream, 1);
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
  g_clear_pointer(&conn->stream, g_free);
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
