/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-conn.h"
#include "core/tb-bounds.h"
#include "core/tb-delay.h"
#include "core/tb-tag.h"
#include "tb-auth.h"
#include "tb-blist.h"
#include "tb-build-config.h"
#include "tb-conv.h"
#include "tb-fetch.h"
#include "tb-limits.h"
#include "tb-proxy.h"
#include "tb-send.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#define TB_LOGIN_MAX_ATTEMPTS 6
#define TB_BACKOFF_CAP_S 60
#define TB_STORE_SAVE_DELAY_MS 1000

typedef struct {
  TbConn *conn;
  guint id;
  GSourceFunc fn;
  gpointer data;
} TbConnTimer;

typedef struct {
  TbConn *conn;
  TbConnDone done;
  gpointer user_data;
  char *endpoint; /* "GET /2/dm_events": for rate limits and the cost estimate */
  TbCostKind cost_kind;
  TbHttpRequest *again;   /* OAuth 2.0: a copy to send once more after a 401 renewed the token */
  GDestroyNotify destroy; /* frees user_data when the connection closes before done runs */
} TbConnCall;

static const char *
account_string(const char *key, const char *def, gpointer user)
{
  return purple_account_get_string(user, key, def);
}

static int
account_int(const char *key, int def, gpointer user)
{
  return purple_account_get_int(user, key, def);
}

static const TbConfigSource account_source = {account_string, account_int};

TbConn *
tb_conn_from_gc(PurpleConnection *gc)
{
  return purple_connection_get_protocol_data(gc);
}

static gboolean
timer_trampoline(gpointer data)
{
  TbConnTimer *t = data;

  if (t->fn(t->data))
    return TRUE;
  g_hash_table_remove(t->conn->timers, GUINT_TO_POINTER(t->id));
  return FALSE;
}

guint
tb_conn_timeout_add(TbConn *conn, guint ms, GSourceFunc fn, gpointer data)
{
  TbConnTimer *t = g_new0(TbConnTimer, 1);

  t->conn = conn;
  t->fn = fn;
  t->data = data;
  /* Whole seconds let the UI batch wake-ups; shorter waits need millisecond precision. */
  t->id = (ms >= 1000 && ms % 1000 == 0)
              ? purple_timeout_add_seconds(ms / 1000, timer_trampoline, t)
              : purple_timeout_add(ms, timer_trampoline, t);
  g_hash_table_insert(conn->timers, GUINT_TO_POINTER(t->id), t);
  return t->id;
}

void
tb_conn_timeout_remove(TbConn *conn, guint id)
{
  if (id != 0 && g_hash_table_remove(conn->timers, GUINT_TO_POINTER(id)))
    purple_timeout_remove(id);
}

static void
call_free(gpointer data)
{
  TbConnCall *call = data;
  g_free(call->endpoint);
  tb_http_request_free(call->again);
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

static guint call_send(TbConnCall *call, TbHttpRequest *req);

static void
call_renewed(TbConn *conn, const GError *error, gpointer data)
{
  TbConnCall *call = data;
  TbHttpRequest *req = g_steal_pointer(&call->again);

  if (error != NULL || conn->auth.token == NULL) {
    g_autoptr(GError) e =
        g_error_new(TB_XAPI_ERROR, TB_XAPI_ERROR_UNAUTHORIZED,
                    _("X no longer accepts the sign-in, and renewing it failed: %s"),
                    error ? error->message : "no token");
    tb_http_request_free(req);
    call->done(conn, NULL, NULL, e, call->user_data);
    call_free(call);
    return;
  }
  request_reauthorize(conn, req);
  call_send(call, req);
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
    if (tb_auth_renew_then(conn, call_renewed, call, call_free)) {
      purple_debug_info("twinbird", "@%s: 401: renewing the access token, then again\n",
                        conn->handle);
      return;
    }
  }

  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = tb_xapi_response_parse(resp, &error);

  if (error != NULL)
    purple_debug_info("twinbird", "@%s: request failed: %s\n", conn->handle, error->message);
  tb_limits_record(conn, call->endpoint, call->cost_kind, resp, root);
  call->done(conn, root, resp, error, call->user_data);
  call_free(call);
}

static guint
call_send(TbConnCall *call, TbHttpRequest *req)
{
  TbConn *conn = call->conn;
  g_autoptr(GError) error = NULL;

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
  }
  return id;
}

guint
tb_conn_send(TbConn *conn, TbHttpRequest *req, TbConnDone done, gpointer user_data)
{
  return tb_conn_send_full(conn, req, done, user_data, NULL);
}

guint
tb_conn_send_full(TbConn *conn, TbHttpRequest *req, TbConnDone done, gpointer user_data,
                  GDestroyNotify destroy)
{
  TbConnCall *call = g_new0(TbConnCall, 1);

  call->conn = conn;
  call->done = done;
  call->user_data = user_data;
  call->destroy = destroy;
  call->endpoint = tb_limits_endpoint(req, conn->cfg.api_base, &call->cost_kind);
  if (conn->cfg.auth == TB_AUTH_OAUTH2 && conn->oauth != NULL &&
      conn->auth.kind == TB_XAPI_AUTH_BEARER)
    call->again = request_copy(req);
  return call_send(call, req);
}

static void
free_timer(gpointer data)
{
  g_free(data);
}

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
  TbConn *conn = data;
  conn->store_timer = 0;
  store_save_now(conn);
  return FALSE;
}

void
tb_conn_store_changed(TbConn *conn)
{
  /* Coalesce bursts (a page of mentions moves the cursor many times) into one write. */
  if (conn->store_timer == 0)
    conn->store_timer = tb_conn_timeout_add(conn, TB_STORE_SAVE_DELAY_MS, store_save_cb, conn);
}

static char *
store_path(const char *handle)
{
  g_autofree char *lower = g_ascii_strdown(handle, -1);
  g_autofree char *file = g_strconcat(lower, ".state", NULL);
  return g_build_filename(purple_user_dir(), "twinbird", file, NULL);
}

/* A damaged state file was set aside: say what is lost and what to do, and count what came
 * after its last write as new. */
static void
store_report_damage(TbConn *conn)
{
  const TbStoreDamage *d = tb_store_damage(conn->store);
  if (d == NULL)
    return;
  gint64 since = d->written > 0 ? d->written : g_get_real_time() / G_USEC_PER_SEC;
  g_autoptr(GDateTime) at = g_date_time_new_from_unix_local(since);
  g_autofree char *when = at ? g_date_time_format(at, "%Y-%m-%d %H:%M") : g_strdup("?");
  g_autofree char *where = d->set_aside ? g_strdup_printf(_("It was moved to %s"), d->set_aside)
                                        : g_strdup_printf(_("It could not be moved aside (%s)"),
                                                          tb_store_path(conn->store));
  g_autofree char *msg = g_strdup_printf(
      _("The saved state of @%s was damaged: %s. %s and Twinbird started afresh. DMs and "
        "mentions since %s, when it was last saved, are shown as new; older ones are taken as "
        "seen. Messages that were waiting to be sent were not sent: their text is still in that "
        "file (lines starting with text=)."),
      conn->handle, d->reason, where, when);
  g_autofree char *title = g_strdup_printf(_("Twinbird: @%s"), conn->handle);
  purple_debug_warning("twinbird", "@%s: %s\n", conn->handle, msg);
  purple_notify_warning(conn->gc, title, title, msg);
  tb_fetch_resume_from(conn, since);
}

TbConn *
tb_conn_new(PurpleConnection *gc)
{
  TbConn *conn = g_new0(TbConn, 1);
  const char *username = purple_account_get_username(purple_connection_get_account(gc));

  conn->gc = gc;
  conn->account = purple_connection_get_account(gc);
  conn->timers = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, free_timer);
  conn->handle = g_strdup(username[0] == '@' ? username + 1 : username);
  conn->users_by_id =
      g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)tb_xapi_user_free);
  conn->users_by_handle = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  conn->sending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  conn->looking = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  conn->calls = g_hash_table_new(g_direct_hash, g_direct_equal);
  tb_conv_init(conn);
  tb_limits_init(conn);
  purple_connection_set_protocol_data(gc, conn);
  return conn;
}

void
tb_conn_free(TbConn *conn)
{
  GHashTableIter iter;
  gpointer key;

  if (conn == NULL)
    return;
  tb_send_close(conn); /* whoever waits for a send (D-Bus) hears it will not come */
  tb_fetch_stop(conn);
  store_save_now(conn); /* nothing typed or seen is lost on close */
  tb_store_free(conn->store);
  g_hash_table_iter_init(&iter, conn->timers);
  while (g_hash_table_iter_next(&iter, &key, NULL))
    purple_timeout_remove(GPOINTER_TO_UINT(key));
  g_hash_table_destroy(conn->timers);
  /* Requests still under way never call back: free what their callbacks would have. */
  g_hash_table_iter_init(&iter, conn->calls);
  while (g_hash_table_iter_next(&iter, &key, NULL)) {
    TbConnCall *call = key;
    if (call->destroy != NULL)
      call->destroy(call->user_data);
    call_free(call);
  }
  g_hash_table_destroy(conn->calls);
  tb_http_free(conn->http);  /* cancels every request; no callback runs */
  tb_auth_free(conn->oauth); /* closes a sign-in prompt and the loopback listener */
  tb_config_clear(&conn->cfg);
  tb_xapi_auth_clear(&conn->auth);
  tb_xapi_user_free(conn->me);
  g_free(conn->tag);
  tb_conv_cleanup(conn);
  tb_limits_cleanup(conn);
  g_hash_table_destroy(conn->sending);
  g_hash_table_destroy(conn->looking);
  g_hash_table_destroy(conn->users_by_handle);
  g_hash_table_destroy(conn->users_by_id);
  g_free(conn->handle);
  purple_connection_set_protocol_data(conn->gc, NULL);
  g_free(conn);
}

static void login_verify(TbConn *conn);

static gboolean
login_retry(gpointer data)
{
  login_verify(data);
  return FALSE;
}

/* Transient failures while signing in: try again with exponential backoff before handing the
 * reconnect over to the UI with a (non-fatal) network error. */
static void
login_backoff(TbConn *conn, const GError *error, const TbHttpResponse *resp)
{
  if (conn->login_attempts >= TB_LOGIN_MAX_ATTEMPTS) {
    g_autofree char *msg = g_strdup_printf(_("Could not reach X after %u tries: %s"),
                                           conn->login_attempts, error->message);
    purple_connection_error_reason(conn->gc, PURPLE_CONNECTION_ERROR_NETWORK_ERROR, msg);
    return;
  }

  TbXapiRateLimit rl = {0};
  if (resp != NULL)
    tb_xapi_rate_limit_read(resp, &rl);
  gboolean limited = g_error_matches(error, TB_XAPI_ERROR, TB_XAPI_ERROR_RATE_LIMITED) && rl.known;
  guint delay = tb_delay_login_backoff_s(conn->login_attempts, TB_BACKOFF_CAP_S, limited, rl.reset,
                                         g_get_real_time() / G_USEC_PER_SEC);
  g_autofree char *msg = g_strdup_printf(_("%s; trying again in %u s"), error->message, delay);
  purple_debug_warning("twinbird", "@%s: sign-in: %s\n", conn->handle, msg);
  purple_connection_update_progress(conn->gc, msg, 1, 3);
  tb_conn_timeout_add(conn, delay * 1000, login_retry, conn);
}

static PurpleConnectionError
fatal_reason_for(const GError *error)
{
  if (g_error_matches(error, TB_XAPI_ERROR, TB_XAPI_ERROR_UNAUTHORIZED) ||
      g_error_matches(error, TB_XAPI_ERROR, TB_XAPI_ERROR_FORBIDDEN))
    return PURPLE_CONNECTION_ERROR_AUTHENTICATION_FAILED;
  if (g_error_matches(error, TB_XAPI_ERROR, TB_XAPI_ERROR_TLS))
    return PURPLE_CONNECTION_ERROR_CERT_OTHER_ERROR;
  return PURPLE_CONNECTION_ERROR_OTHER_ERROR;
}

static void
login_me_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
              gpointer user_data)
{
  g_autoptr(GError) parse_error = NULL;
  (void)user_data;

  if (error == NULL) {
    conn->me = tb_xapi_user_parse(root, &parse_error);
    error = parse_error;
  }
  if (error != NULL) {
    if (tb_proxy_error_report(conn->gc, conn->handle, error))
      return; /* the proxy's fault, not X's: said as such, and not retried every second */
    if (tb_xapi_error_is_transient(error)) {
      login_backoff(conn, error, resp);
      return;
    }
    g_autofree char *msg =
        g_strdup_printf(_("X refused the sign-in of @%s: %s"), conn->handle, error->message);
    purple_connection_error_reason(conn->gc, fatal_reason_for(error), msg);
    return;
  }

  /* The token must belong to this very account: a personal token in the work account is how
   * two identities get mixed, so it is refused, never corrected. */
  if (g_ascii_strcasecmp(conn->me->username, conn->handle) != 0 && conn->oauth != NULL) {
    /* a sign-in the user just made: refused unsaved, and a new prompt asks again */
    g_autofree char *other = g_strdup(conn->me->username);
    g_clear_pointer(&conn->me, tb_xapi_user_free);
    tb_auth_identity_refused(conn, other);
    return;
  }
  if (g_ascii_strcasecmp(conn->me->username, conn->handle) != 0) {
    g_autofree char *msg = g_strdup_printf(
        _("This token signs in as @%s, but this account is @%s. Refusing so the two identities "
          "never mix: give this account a token of @%s."),
        conn->me->username, conn->handle, conn->handle);
    purple_connection_error_reason(conn->gc, PURPLE_CONNECTION_ERROR_AUTHENTICATION_FAILED, msg);
    return;
  }

  tb_auth_identity_confirmed(conn); /* only now is a new sign-in saved */
  g_free(conn->handle);
  conn->handle = g_strdup(conn->me->username); /* X's spelling of the handle */
  g_autofree char *display = g_strdup_printf("@%s", conn->handle);
  purple_connection_set_display_name(conn->gc, display);
  purple_connection_set_state(conn->gc, PURPLE_CONNECTED);
  purple_debug_info("twinbird", "@%s (%s) signed in, user id %s\n", conn->handle, conn->cfg.role,
                    conn->me->id);
  conn->tag = tb_tag_expand(conn->cfg.tag_format, conn->cfg.role, conn->handle);
  tb_conn_remember_user(conn, conn->me);
  tb_blist_add_self(conn);
  tb_send_report_pending(conn);
  tb_fetch_start(conn);
}

static void
login_verify(TbConn *conn)
{
  conn->login_attempts++;
  purple_connection_update_progress(conn->gc, _("Checking the account with X"), 1, 3);
  tb_conn_send(conn, tb_xapi_users_me_request(&conn->auth, conn->cfg.api_base), login_me_done,
               NULL);
}

void
tb_conn_login_verify(TbConn *conn)
{
  conn->login_attempts = 0;
  g_clear_pointer(&conn->me, tb_xapi_user_free);
  login_verify(conn);
}

static gboolean
login_setup_auth(TbConn *conn, GError **error)
{
  const char *password = purple_account_get_password(conn->account);

  switch (conn->cfg.auth) {
  case TB_AUTH_BEARER:
    if (password == NULL || *password == '\0') {
      g_set_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
                  _("Account option auth: bearer needs an OAuth 2.0 user access token as the "
                    "account password"));
      return FALSE;
    }
    conn->auth.kind = TB_XAPI_AUTH_BEARER;
    conn->auth.token = g_strdup(password);
    return TRUE;
  case TB_AUTH_OAUTH2:
  case TB_AUTH_OAUTH1:
  default:
    return tb_auth_setup(conn, error);
  }
}

void
tb_conn_login(TbConn *conn)
{
  g_autoptr(GError) error = NULL;

  if (!tb_config_load(&conn->cfg, &account_source, conn->account, &error) ||
      !login_setup_auth(conn, &error)) {
    purple_connection_error_reason(conn->gc, PURPLE_CONNECTION_ERROR_INVALID_SETTINGS,
                                   error->message);
    return;
  }

  g_autofree char *path = store_path(conn->handle);
  conn->store = tb_store_load(path, &error);
  if (conn->store == NULL) {
    /* Refuse rather than start from nothing: that would show old messages again. */
    g_autofree char *msg = g_strdup_printf(
        _("%s. Twinbird keeps what it has seen and not yet sent there: check that the file is "
          "yours and readable, then sign in again."),
        error->message);
    purple_connection_error_reason(conn->gc, PURPLE_CONNECTION_ERROR_OTHER_ERROR, msg);
    return;
  }
  store_report_damage(conn);

  g_autoptr(GError) proxy_error = NULL;
  g_autoptr(TbProxyUrl) proxy = tb_proxy_setup(conn->account, conn->cfg.proxy, &proxy_error);
  if (proxy == NULL) {
    purple_connection_error_reason(conn->gc, PURPLE_CONNECTION_ERROR_INVALID_SETTINGS,
                                   proxy_error->message);
    return;
  }
  TbHttpConfig http_cfg = {
      .ca_file = conn->cfg.ca_file,
      .proxy = proxy,
      .user_agent = "Twinbird/" TB_VERSION,
  };
  conn->http = tb_http_new(&http_cfg);
  if (conn->oauth != NULL)
    tb_auth_start(conn); /* ends in tb_conn_login_verify() once there is a token */
  else
    login_verify(conn);
}
