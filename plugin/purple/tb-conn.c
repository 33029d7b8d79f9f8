/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-conn.h"
#include "core/tb-bounds.h"
#include "http/tb-trace.h"
#include "twinbird.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#define TB_STORE_SAVE_DELAY_MS 1000
#define TB_SLOT_STORE "store-save"

typedef struct {
  TbConn *conn;
  guint id;
  char *slot;
  GSourceFunc fn;
  gpointer data;
  gboolean firing;    /* fn is running: a clear from inside it must not free the timer */
  gboolean cancelled; /* cleared while firing: forget it once fn returns */
} TbConnTimer;

typedef struct {
  TbConn *conn;
  TbConnDone done;
  gpointer user_data;
  char *endpoint; /* "GET /2/dm_events": for rate limits and the cost estimate */
  TbCostKind cost_kind;
  TbHttpRequest *again;   /* OAuth 2.0: a copy to send once more after a 401 renewed the token */
  GDestroyNotify destroy; /* frees user_data when the connection closes before done runs */
  TbHttpRequest *waiting; /* held back until X's limit allows it (a read), or NULL */
  TbHttpRequest *copy;    /* a read: sent again after X's reset if X answers 429 */
  guint limited;          /* 429s this read met: a server that never lets it through ends it */
  /* parsed, waiting for its turn in conn->answers */
  TbHttpResponse *answer;
  JsonNode *root;
  GError *error;
} TbConnCall;

#define TB_SLOT_SCHED "sched-wake"
#define TB_SLOT_ANSWERS "http-answer-handle"
/* An answer this large is parsed in one loop callback and handled in the next: a page of 100
 * posts with their includes is parsed in about as long as it takes to handle. */
#define TB_CONN_SPLIT_BYTES 4096
#define TB_SCHED_MAX_429 3

TbConn *
tb_conn_from_gc(PurpleConnection *gc)
{
  return purple_connection_get_protocol_data(gc);
}

GList *
tb_conn_list_signed_in(void)
{
  GList *out = NULL;
  for (GList *l = purple_connections_get_all(); l; l = l->next) {
    PurpleConnection *gc = l->data;
    PurpleAccount *account = purple_connection_get_account(gc);
    if (purple_connection_get_state(gc) == PURPLE_CONNECTED &&
        g_strcmp0(purple_account_get_protocol_id(account), TWINBIRD_PLUGIN_ID) == 0 &&
        tb_conn_from_gc(gc) != NULL)
      out = g_list_append(out, tb_conn_from_gc(gc));
  }
  return out;
}

/* --- named timer slots -------------------------------------------------------------------- */

static void
timer_free(gpointer data)
{
  TbConnTimer *t = data;
  g_free(t->slot);
  g_free(t);
}

/* Forgets t (its source is gone or about to be removed by the caller). */
static void
timer_forget(TbConn *conn, TbConnTimer *t)
{
  if (g_hash_table_lookup(conn->slots, t->slot) == t)
    g_hash_table_remove(conn->slots, t->slot);
  g_hash_table_remove(conn->timers, GUINT_TO_POINTER(t->id));
}

static gboolean
timer_trampoline(gpointer data)
{
  TbConnTimer *t = data;

  gint64 trace = tb_trace_begin();
  t->firing = TRUE;
  gboolean again = t->fn(t->data);
  t->firing = FALSE;
  tb_trace_end(trace, t->slot);
  if (again && !t->cancelled)
    return TRUE;
  timer_forget(t->conn, t);
  return FALSE;
}

void
tb_conn_timeout_clear(TbConn *conn, const char *slot)
{
  TbConnTimer *t = g_hash_table_lookup(conn->slots, slot);

  if (t == NULL)
    return;
  g_hash_table_remove(conn->slots, slot);
  if (t->firing) {
    t->cancelled = TRUE; /* its trampoline forgets it and removes the source by returning FALSE */
    return;
  }
  purple_timeout_remove(t->id);
  g_hash_table_remove(conn->timers, GUINT_TO_POINTER(t->id));
}

void
tb_conn_timeout_set(TbConn *conn, const char *slot, guint ms, GSourceFunc fn, gpointer data)
{
  TbConnTimer *t = g_new0(TbConnTimer, 1);

  tb_conn_timeout_clear(conn, slot);
  t->conn = conn;
  t->slot = g_strdup(slot);
  t->fn = fn;
  t->data = data;
  /* Whole seconds let the UI batch wake-ups; shorter waits need millisecond precision. */
  t->id = (ms >= 1000 && ms % 1000 == 0)
              ? purple_timeout_add_seconds(ms / 1000, timer_trampoline, t)
              : purple_timeout_add(ms, timer_trampoline, t);
  g_hash_table_insert(conn->timers, GUINT_TO_POINTER(t->id), t);
  g_hash_table_insert(conn->slots, t->slot, t);
}

gboolean
tb_conn_timeout_is_set(TbConn *conn, const char *slot)
{
  return g_hash_table_contains(conn->slots, slot);
}

/* --- requests, and the 401 retry ---------------------------------------------------------- */

static void
call_free(gpointer data)
{
  TbConnCall *call = data;
  g_free(call->endpoint);
  tb_http_request_free(call->again);
  tb_http_request_free(call->waiting);
  tb_http_request_free(call->copy);
  tb_http_response_free(call->answer);
  if (call->root != NULL)
    json_node_unref(call->root);
  g_clear_error(&call->error);
  g_free(call);
}

static TbHttpRequest *
request_copy(const TbHttpRequest *req)
{
  TbHttpRequest *copy = tb_http_request_new(req->method, req->url);

  for (guint i = 0; i < req->headers->len; i++)
    g_ptr_array_add(copy->headers, g_strdup(req->headers->pdata[i]));
  copy->body = req->body ? g_bytes_ref(req->body) : NULL;
  return copy;
}

/* TRUE if req now carries the connection's current access token (FALSE: it already did). */
static gboolean
request_reauthorize(TbConn *conn, TbHttpRequest *req)
{
  g_autofree char *line = g_strconcat("Authorization: Bearer ", conn->auth.token, NULL);

  for (guint i = 0; i < req->headers->len; i++) {
    if (g_ascii_strncasecmp(req->headers->pdata[i], "Authorization:", 14) != 0)
      continue;
    if (strcmp(req->headers->pdata[i], line) == 0)
      return FALSE;
    g_free(req->headers->pdata[i]);
    req->headers->pdata[i] = g_steal_pointer(&line);
    return TRUE;
  }
  return FALSE;
}

static gboolean call_send(TbConnCall *call, TbHttpRequest *req);
static void sched_learn(TbConn *conn, const char *endpoint, const TbHttpResponse *resp);

static void
call_renewed(TbConn *conn, const GError *error, gpointer data)
{
  TbConnCall *call = data;
  TbHttpRequest *req = g_steal_pointer(&call->again);

  if (error != NULL || conn->auth.token == NULL) {
    g_autoptr(GError) e =
        g_error_new(TB_XAPI_ERROR, TB_XAPI_ERROR_UNAUTHORIZED,
                    _("X no longer accepts the sign-in, and renewing it failed: %s"),
                    error ? error->message : _("no token"));
    tb_http_request_free(req);
    call->done(conn, NULL, NULL, e, call->user_data);
    call_free(call);
    return;
  }
  request_reauthorize(conn, req);
  call_send(call, req);
}

/* The caller's callback, with the cost meter first. Frees call. */
static void
call_handle(TbConn *conn, TbConnCall *call, const TbHttpResponse *resp, JsonNode *root,
            const GError *error)
{
  if (conn->hooks.answered != NULL)
    conn->hooks.answered(conn, call->endpoint, call->cost_kind, resp, root);
  call->done(conn, root, resp, error, call->user_data);
  call_free(call);
}

/* One parsed answer's turn. */
static gboolean
answers_next(gpointer data)
{
  TbConn *conn = data;
  TbConnCall *call = g_queue_pop_head(conn->answers);

  if (call == NULL)
    return FALSE;
  g_hash_table_remove(conn->calls, call);
  g_autoptr(TbHttpResponse) resp = g_steal_pointer(&call->answer);
  g_autoptr(JsonNode) root = g_steal_pointer(&call->root);
  g_autoptr(GError) error = g_steal_pointer(&call->error);
  call_handle(conn, call, resp, root, error);
  return !g_queue_is_empty(conn->answers);
}

static void
call_done(const TbHttpResponse *resp, gpointer user_data)
{
  TbConnCall *call = user_data;
  TbConn *conn = call->conn;

  g_hash_table_remove(conn->calls, call);
  /* OAuth 2.0 and a 401: the access token expired or was revoked. Send the same request once
   * more with a renewed one, so a post or a DM is not lost. */
  if (call->again != NULL && resp->outcome == TB_HTTP_OK && resp->status == 401) {
    if (request_reauthorize(conn, call->again)) {
      /* renewed meanwhile: no need to renew again */
      call_send(call, g_steal_pointer(&call->again));
      return;
    }
    if (conn->hooks.renew != NULL && conn->hooks.renew(conn, call_renewed, call, call_free)) {
      purple_debug_info("twinbird", "@%s: 401: renewing the access token, then again\n",
                        conn->handle);
      return;
    }
  }

  sched_learn(conn, call->endpoint, resp);
  if (resp->outcome == TB_HTTP_OK && resp->status == 429 && call->copy != NULL &&
      call->limited < TB_SCHED_MAX_429) {
    /* A read that X refused for its limit waits for the reset, then goes again: a walk keeps
     * what it fetched and goes on where it stopped. */
    TbXapiRateLimit rl = {0};
    tb_xapi_rate_limit_read(resp, &rl);
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    tb_budget_exhausted(conn->budget, call->endpoint, rl.known ? rl.reset : 0, now);
    if (conn->hooks.answered != NULL)
      conn->hooks.answered(conn, call->endpoint, call->cost_kind, resp, NULL);
    call->limited++;
    call_send(call, request_copy(call->copy));
    return;
  }

  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = tb_xapi_response_parse(resp, &error);

  if (error != NULL)
    purple_debug_info("twinbird", "@%s: request failed: %s\n", conn->handle, error->message);
  if (g_bytes_get_size(resp->body) >= TB_CONN_SPLIT_BYTES || !g_queue_is_empty(conn->answers)) {
    /* handled in a callback of its own, after those before it */
    call->answer = tb_http_response_copy(resp);
    call->root = g_steal_pointer(&root);
    call->error = g_steal_pointer(&error);
    g_hash_table_add(conn->calls, call); /* freed at close, no callback runs */
    g_queue_push_tail(conn->answers, call);
    if (!tb_conn_timeout_is_set(conn, TB_SLOT_ANSWERS))
      tb_conn_timeout_set(conn, TB_SLOT_ANSWERS, 0, answers_next, conn);
    return;
  }
  call_handle(conn, call, resp, root, error);
}

/* Seconds a request to endpoint must wait for X's limits: the account's, and the app's shared
 * by both accounts of one app. */
static gint64
sched_wait_s(TbConn *conn, const char *endpoint, gint64 now)
{
  gint64 wait = tb_budget_wait_s(conn->budget, endpoint, now);
  if (conn->app_budget != NULL)
    wait = MAX(wait, tb_budget_wait_s(conn->app_budget, endpoint, now));
  return wait;
}

/* What an answer's headers say of the windows (absent headers change nothing). */
static void
sched_learn(TbConn *conn, const char *endpoint, const TbHttpResponse *resp)
{
  static const struct {
    const char *prefix;
    TbWindowKind kind;
    gboolean app;
  } windows[] = {
      {"x-rate-limit", TB_WINDOW_15MIN, FALSE},
      {"x-user-limit-24hour", TB_WINDOW_24H, FALSE},
      {"x-app-limit-24hour", TB_WINDOW_24H, TRUE},
  };

  for (gsize i = 0; resp->outcome == TB_HTTP_OK && i < G_N_ELEMENTS(windows); i++) {
    TbWindow w = {0};
    TbXapiRateLimit rl = {0};
    tb_xapi_limit_read(resp, windows[i].prefix, &rl);
    w.known = rl.known;
    w.limit = rl.limit;
    w.remaining = rl.remaining;
    w.reset = rl.reset;
    TbBudget *b = windows[i].app ? conn->app_budget : conn->budget;
    if (b != NULL)
      tb_budget_update(b, endpoint, windows[i].kind, &w);
  }
}

static void sched_arm(TbConn *conn);

/* The reads held back whose time has come go, oldest first. */
static gboolean
sched_wake(gpointer data)
{
  TbConn *conn = data;
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  GList *due = NULL;

  for (GList *l = conn->waiting->head; l; l = l->next) {
    TbConnCall *call = l->data;
    if (sched_wait_s(conn, call->endpoint, now) == 0)
      due = g_list_prepend(due, call);
  }
  due = g_list_reverse(due);
  for (GList *l = due; l; l = l->next) {
    TbConnCall *call = l->data;
    g_queue_remove(conn->waiting, call);
    g_hash_table_remove(conn->calls, call);
    call_send(call, g_steal_pointer(&call->waiting));
  }
  g_list_free(due);
  sched_arm(conn);
  return FALSE;
}

static void
sched_arm(TbConn *conn)
{
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  gint64 soonest = G_MAXINT64;

  for (GList *l = conn->waiting->head; l; l = l->next)
    soonest = MIN(soonest, sched_wait_s(conn, ((TbConnCall *)l->data)->endpoint, now));
  if (soonest == G_MAXINT64)
    tb_conn_timeout_clear(conn, TB_SLOT_SCHED);
  else
    tb_conn_timeout_set(conn, TB_SLOT_SCHED, (guint)MAX(soonest, 0) * 1000, sched_wake, conn);
}

/* Held back until X's limit allows it: a read waits (nothing is lost, the caller's callback runs
 * later); a write fails at once as a refusal before X, so the user may send it again later. */
static gboolean
sched_hold(TbConn *conn, TbConnCall *call, TbHttpRequest *req, gint64 wait)
{
  if (g_strcmp0(req->method, "GET") == 0) {
    purple_debug_info("twinbird", "@%s: %s waits %" G_GINT64_FORMAT " s for X's limit\n",
                      conn->handle, call->endpoint, wait);
    call->waiting = req;
    g_hash_table_add(conn->calls, call); /* freed at close like a call under way */
    g_queue_push_tail(conn->waiting, call);
    sched_arm(conn);
    return TRUE;
  }
  g_autoptr(GDateTime) at =
      g_date_time_new_from_unix_local(g_get_real_time() / G_USEC_PER_SEC + wait);
  g_autofree char *when = at ? g_date_time_format(at, "%H:%M") : g_strdup("?");
  g_autoptr(GError) error =
      g_error_new(TB_XAPI_ERROR, TB_XAPI_ERROR_RATE_LIMITED,
                  _("X's limit for this is used up until %s; nothing was sent"), when);
  tb_http_request_free(req);
  call->done(conn, NULL, NULL, error, call->user_data);
  call_free(call);
  return FALSE;
}

static gboolean
call_send(TbConnCall *call, TbHttpRequest *req)
{
  TbConn *conn = call->conn;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  gint64 wait = sched_wait_s(conn, call->endpoint, now);

  if (wait > 0)
    return sched_hold(conn, call, req, wait);
  tb_budget_spend(conn->budget, call->endpoint, now);
  if (conn->app_budget != NULL)
    tb_budget_spend(conn->app_budget, call->endpoint, now);
  /* Method and path only: the query can be long and carries nothing a bug report needs. */
  const char *path = req->url + strlen(conn->cfg.api_base);
  purple_debug_misc("twinbird", "@%s: %s %.*s\n", conn->handle, req->method,
                    (int)strcspn(path, "?"), path);
  g_hash_table_add(conn->calls, call);
  guint id = tb_http_send(conn->http, req, call_done, call, &error);
  if (id == 0) {
    g_hash_table_remove(conn->calls, call);
    call->done(conn, NULL, NULL, error, call->user_data);
    call_free(call);
    return FALSE;
  }
  return TRUE;
}

gboolean
tb_conn_send(TbConn *conn, TbHttpRequest *req, TbConnDone done, gpointer user_data)
{
  return tb_conn_send_full(conn, req, done, user_data, NULL);
}

gboolean
tb_conn_send_full(TbConn *conn, TbHttpRequest *req, TbConnDone done, gpointer user_data,
                  GDestroyNotify destroy)
{
  TbConnCall *call = g_new0(TbConnCall, 1);

  call->conn = conn;
  call->done = done;
  call->user_data = user_data;
  call->destroy = destroy;
  call->endpoint = tb_xapi_request_endpoint(req, conn->cfg.api_base, &call->cost_kind);
  if (conn->hooks.renew != NULL && conn->auth.kind == TB_XAPI_AUTH_BEARER)
    call->again = request_copy(req);
  if (g_strcmp0(req->method, "GET") == 0)
    call->copy = request_copy(req);
  return call_send(call, req);
}

/* --- users seen, and the state file ------------------------------------------------------ */

TbXapiUser *
tb_conn_remember_user(TbConn *conn, const TbXapiUser *user)
{
  TbXapiUser *kept = g_hash_table_lookup(conn->users_by_id, user->id);

  if (kept == user)
    return kept;
  if (kept == NULL && g_hash_table_size(conn->users_by_id) >= TB_BOUND_USERS_KNOWN) {
    /* Bounded: start again rather than grow (a page brings back whom it names). */
    g_hash_table_remove_all(conn->users_by_handle);
    g_hash_table_remove_all(conn->users_by_id);
    if (conn->me != NULL && g_strcmp0(user->id, conn->me->id) != 0)
      tb_conn_remember_user(conn, conn->me);
  }
  if (kept != NULL) {
    /* Same person, maybe renamed: drop the old handle key before replacing. */
    g_autofree char *old_key = g_ascii_strdown(kept->username, -1);
    g_hash_table_remove(conn->users_by_handle, old_key);
  }
  kept = g_new0(TbXapiUser, 1);
  kept->id = g_strdup(user->id);
  kept->username = g_strdup(user->username);
  kept->name = g_strdup(user->name);
  kept->profile_image_url = g_strdup(user->profile_image_url);
  kept->protected_account = user->protected_account;
  g_hash_table_replace(conn->users_by_id, kept->id, kept);
  g_hash_table_replace(conn->users_by_handle, g_ascii_strdown(kept->username, -1), kept);
  return kept;
}

TbXapiUser *
tb_conn_user_by_handle(TbConn *conn, const char *handle)
{
  if (handle == NULL)
    return NULL;
  g_autofree char *key = g_ascii_strdown(handle[0] == '@' ? handle + 1 : handle, -1);
  return g_hash_table_lookup(conn->users_by_handle, key);
}

TbXapiUser *
tb_conn_user_by_id(TbConn *conn, const char *id)
{
  return id ? g_hash_table_lookup(conn->users_by_id, id) : NULL;
}

static void
store_save_now(TbConn *conn)
{
  g_autoptr(GError) error = NULL;

  if (conn->store == NULL || !tb_store_is_dirty(conn->store))
    return;
  if (!tb_store_save(conn->store, &error))
    purple_debug_error("twinbird", "@%s: %s\n", conn->handle, error->message);
}

static gboolean
store_save_cb(gpointer data)
{
  store_save_now(data);
  return FALSE;
}

void
tb_conn_store_changed(TbConn *conn)
{
  /* Coalesce bursts (a page of mentions moves the cursor many times) into one write. */
  if (!tb_conn_timeout_is_set(conn, TB_SLOT_STORE))
    tb_conn_timeout_set(conn, TB_SLOT_STORE, TB_STORE_SAVE_DELAY_MS, store_save_cb, conn);
}

/* --- life ------------------------------------------------------------------------------- */

TbConn *
tb_conn_new(PurpleConnection *gc)
{
  TbConn *conn = g_new0(TbConn, 1);
  const char *username = purple_account_get_username(purple_connection_get_account(gc));

  conn->gc = gc;
  conn->account = purple_connection_get_account(gc);
  conn->timers = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, timer_free);
  conn->slots = g_hash_table_new(g_str_hash, g_str_equal);
  conn->handle = g_strdup(username[0] == '@' ? username + 1 : username);
  conn->users_by_id =
      g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)tb_xapi_user_free);
  conn->users_by_handle = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  conn->calls = g_hash_table_new(g_direct_hash, g_direct_equal);
  conn->waiting = g_queue_new();
  conn->answers = g_queue_new();
  conn->budget = tb_budget_new();
  purple_connection_set_protocol_data(gc, conn);
  return conn;
}

void
tb_conn_shutdown(TbConn *conn)
{
  GHashTableIter iter;
  gpointer key;

  store_save_now(conn); /* nothing typed or seen is lost on close */
  g_hash_table_iter_init(&iter, conn->timers);
  while (g_hash_table_iter_next(&iter, &key, NULL))
    purple_timeout_remove(GPOINTER_TO_UINT(key));
  g_hash_table_remove_all(conn->slots);
  g_hash_table_remove_all(conn->timers);
  /* Requests still under way never call back: free what their callbacks would have. */
  g_hash_table_iter_init(&iter, conn->calls);
  while (g_hash_table_iter_next(&iter, &key, NULL)) {
    TbConnCall *call = key;
    if (call->destroy != NULL)
      call->destroy(call->user_data);
    call_free(call);
  }
  g_hash_table_remove_all(conn->calls);
  g_queue_clear(conn->waiting);               /* its calls were in conn->calls, freed above */
  g_queue_clear(conn->answers);               /* so were these */
  g_clear_pointer(&conn->http, tb_http_free); /* cancels every request; no callback runs */
}

void
tb_conn_free(TbConn *conn)
{
  if (conn == NULL)
    return;
  g_warn_if_fail(conn->session == NULL && conn->oauth == NULL && conn->conv == NULL &&
                 conn->send == NULL && conn->fetch == NULL && conn->limits == NULL);
  tb_conn_shutdown(conn); /* a no-op when the session did it already */
  tb_store_free(conn->store);
  g_hash_table_destroy(conn->timers);
  g_hash_table_destroy(conn->slots);
  g_hash_table_destroy(conn->calls);
  g_queue_free(conn->waiting);
  g_queue_free(conn->answers);
  tb_budget_free(conn->budget);
  tb_config_clear(&conn->cfg);
  tb_xapi_auth_clear(&conn->auth);
  tb_xapi_user_free(conn->me);
  g_free(conn->tag);
  g_hash_table_destroy(conn->users_by_handle);
  g_hash_table_destroy(conn->users_by_id);
  g_free(conn->handle);
  purple_connection_set_protocol_data(conn->gc, NULL);
  g_free(conn);
}

guint
tb_conn_pace_s(TbConn *conn, const char *endpoint, guint floor_s, guint reserve)
{
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  guint pace = tb_budget_pace_s(conn->budget, endpoint, floor_s, reserve, now);
  if (conn->app_budget != NULL)
    pace = MAX(pace, tb_budget_pace_s(conn->app_budget, endpoint, floor_s, 0, now));
  return pace;
}
