/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The flows of tb-auth.h. Secrets (tokens, codes, verifiers, PINs, consumer secrets) never reach
 * a debug line: the lines here name the step and the account, nothing else.
 */
#include "tb-auth.h"
#include "api/tb-oauth.h"
#include "http/tb-loopback.h"
#include "tb-proxy.h"

#include <glib/gi18n-lib.h>

/* the connection's timer slots this module uses */
#define TB_AUTH_SLOT_RENEW "auth-renew"
#define TB_AUTH_SLOT_SIGNOUT "auth-signout"
#define TB_AUTH_RENEW_MARGIN_S 60 /* renew this long before the access token expires */
#define TB_AUTH_RETRY_MAX_S 300   /* longest wait between renewals that could not reach X */
#define TB_AUTH_SIGNOUT_WAIT_MS 10000

typedef struct {
  TbConnRenewed cb;
  gpointer data;
  GDestroyNotify destroy;
} TbWaiter;

struct _TbAuth {
  TbConn *conn;
  TbAuthKind kind;
  char *saved;      /* the account password at login, until tb_auth_start() takes it */
  gboolean trusted; /* the tokens in use may be saved: from the password, or users/me agreed */
  gboolean signed_in;
  TbAuthHaveToken have_token; /* the session's: check the new token with X */
  /* OAuth 2.0 */
  char *refresh_token;
  guint renew_req;
  guint renew_failures;
  GPtrArray *waiters; /* TbWaiter*: requests that got a 401 and wait for a new token */
  /* the interactive sign-in under way */
  void *prompt; /* purple_request_input handle */
  char *state, *verifier, *redirect_uri, *url;
  guint code_req;
  TbLoopback *loop;            /* the listener the browser comes back to */
  guint loop_waiter;           /* this sign-in's state there */
  char *listen_error;          /* why the loopback listener is not there, for the prompt */
  gboolean verify_after_renew; /* login with a saved refresh token: users/me once it is renewed */
  char *notice;                /* OAuth 1.0a: shown with the next PIN prompt */
  /* OAuth 1.0a */
  char *req_token, *req_secret;
  guint oauth1_req;
  /* Sign out */
  gboolean signing_out;
  guint revokes_pending;
  char *signout_problem;
};

static void ask_oauth2(TbAuth *a, const char *notice, gboolean fresh);
static void oauth1_begin(TbAuth *a, const char *notice);
static void oauth1_send_pin(TbAuth *a, char *pin);
static void exchange_code(TbAuth *a, char *code);
static void loop_unregister(TbAuth *a);
static gboolean renew_cb(gpointer data);
static void signout_finish(TbAuth *a);

static const char *
handle_of(TbAuth *a)
{
  return a->conn->handle;
}

/* --- saved secrets ------------------------------------------------------------------------ */

static gboolean
ui_is_bitlbee(void)
{
  return g_strcmp0(purple_core_get_ui(), "BitlBee") == 0;
}

/* libpurple's password storage (a keyring plugin keeps it there), and BitlBee's own, which only
 * hears of a new password through its signal (bitlbee-behaviour.md). */
static void
store_password(PurpleAccount *account, const char *secret)
{
  purple_account_set_remember_password(account, TRUE);
  purple_account_set_password(account, secret);
  if (ui_is_bitlbee())
    purple_signal_emit(purple_accounts_get_handle(), "bitlbee-set-account-password", account,
                       secret ? secret : "");
}

static void
save_secret(TbAuth *a)
{
  g_autofree char *secret = NULL;

  if (a->kind == TB_AUTH_OAUTH2)
    secret = g_strdup(a->refresh_token);
  else if (a->conn->auth.token && a->conn->auth.token_secret)
    secret = tb_oauth1_password_join(a->conn->auth.token, a->conn->auth.token_secret);
  if (secret == NULL)
    return;
  store_password(a->conn->account, secret);
  purple_debug_info("twinbird", "@%s: sign-in saved\n", handle_of(a));
  tb_oauth_secret_free(g_steal_pointer(&secret));
}

static void
forget_secret(PurpleAccount *account)
{
  store_password(account, NULL);
}

static void
use_bearer(TbConn *conn, const char *access)
{
  tb_xapi_auth_clear(&conn->auth);
  conn->auth.kind = TB_XAPI_AUTH_BEARER;
  conn->auth.token = g_strdup(access);
}

static void
use_oauth1(TbConn *conn, const char *token, const char *secret)
{
  tb_xapi_auth_clear(&conn->auth);
  conn->auth.kind = TB_XAPI_AUTH_OAUTH1;
  conn->auth.token = g_strdup(token);
  conn->auth.token_secret = g_strdup(secret);
  conn->auth.consumer_key = g_strdup(conn->cfg.consumer_key);
  conn->auth.consumer_secret = g_strdup(conn->cfg.consumer_secret);
}

/* --- the loopback listener ---------------------------------------------------------------
 * http/tb-loopback.h: one per port for the whole process, so two accounts signing in at once
 * share it and each redirect finds its sign-in by state. It exists while some sign-in waits on
 * it.
 */

static void flow_redirected(TbAuth *a, char *code, const char *denied);

static void
loop_redirected(char *code, const char *denied, gpointer data)
{
  flow_redirected(data, code, denied);
}

static void
loop_register(TbAuth *a)
{
  int port = a->conn->cfg.oauth_port;
  g_autoptr(GError) error = NULL;

  if (a->loop != NULL)
    return;
  g_clear_pointer(&a->listen_error, g_free);
  a->loop = tb_loopback_listen(port, &error);
  if (a->loop == NULL) {
    purple_debug_warning("twinbird", "@%s: no sign-in listener on 127.0.0.1:%d: %s\n", handle_of(a),
                         port, error->message);
    a->listen_error = g_strdup_printf(_("Nothing here can receive it (port %d: %s): paste that "
                                        "whole address here (or just its code)."),
                                      port, error->message);
    return;
  }
  g_autofree char *who = g_strdup_printf("@%s", handle_of(a));
  a->loop_waiter = tb_loopback_expect(a->loop, a->state, who, loop_redirected, a);
}

static void
loop_unregister(TbAuth *a)
{
  if (a->loop == NULL)
    return;
  tb_loopback_forget(a->loop, a->loop_waiter);
  a->loop_waiter = 0;
  g_clear_pointer(&a->loop, tb_loopback_unref);
}

/* --- prompts -------------------------------------------------------------------------------- */

static void
close_prompt(TbAuth *a)
{
  if (a->prompt != NULL)
    purple_request_close(PURPLE_REQUEST_INPUT, g_steal_pointer(&a->prompt));
}

static void
flow_clear(TbAuth *a)
{
  close_prompt(a);
  loop_unregister(a);
  tb_oauth_secret_free(g_steal_pointer(&a->state));
  tb_oauth_secret_free(g_steal_pointer(&a->verifier));
  g_clear_pointer(&a->redirect_uri, g_free);
  g_clear_pointer(&a->url, g_free);
  tb_oauth_secret_free(g_steal_pointer(&a->req_token));
  tb_oauth_secret_free(g_steal_pointer(&a->req_secret));
}

static void
open_url(TbAuth *a)
{
  /* Pidgin opens the browser; BitlBee has no notify_uri, so the prompt carries the URL too. */
  PurpleNotifyUiOps *ops = purple_notify_get_ui_ops();
  if (ops != NULL && ops->notify_uri != NULL)
    purple_notify_uri(a->conn->gc, a->url);
}

static void prompt_ok(TbAuth *a, const char *text);
static void prompt_cancel(TbAuth *a, const char *text);

static void
show_prompt(TbAuth *a, const char *primary, const char *ok)
{
  g_autofree char *title = g_strdup_printf(_("Sign in to X as @%s"), handle_of(a));

  close_prompt(a);
  purple_connection_update_progress(a->conn->gc, _("Waiting for you to sign in to X"), 1, 3);
  /* The URL alone in the secondary text: BitlBee sends it as a line of its own, which IRC
   * clients make clickable (bitlbee-behaviour.md). */
  a->prompt = purple_request_input(a->conn->gc, title, primary, a->url, NULL, FALSE, FALSE, NULL,
                                   ok, G_CALLBACK(prompt_ok), _("Cancel"),
                                   G_CALLBACK(prompt_cancel), a->conn->account, NULL, NULL, a);
}

/* fresh: a new state and verifier (and a new browser tab); otherwise the same link again, for a
 * paste that was not right. */
static void
ask_oauth2(TbAuth *a, const char *notice, gboolean fresh)
{
  TbConn *conn = a->conn;

  if (fresh || a->state == NULL) {
    flow_clear(a);
    a->state = tb_oauth_random_string(16); /* 128 bits; short for IRC */
    a->verifier = tb_oauth2_pkce_verifier();
    if (a->state == NULL || a->verifier == NULL) {
      purple_connection_error_reason(conn->gc, PURPLE_CONNECTION_ERROR_OTHER_ERROR,
                                     _("No random numbers to be had for the sign-in"));
      return;
    }
    g_autofree char *challenge = tb_oauth2_pkce_challenge(a->verifier);
    a->redirect_uri = tb_oauth2_redirect_uri(conn->cfg.oauth_port);
    TbOAuth2Authorize az = {.client_id = conn->cfg.client_id,
                            .redirect_uri = a->redirect_uri,
                            .state = a->state,
                            .challenge = challenge,
                            .force_login = TRUE};
    a->url = tb_oauth2_authorize_url(conn->cfg.api_base, &az);
    loop_register(a);
  }
  purple_debug_info("twinbird", "@%s: OAuth 2.0 sign-in: waiting for the browser%s\n", handle_of(a),
                    a->loop ? " (listener up)" : "");

  GString *primary = g_string_new(NULL);
  if (notice != NULL)
    g_string_append_printf(primary, "%s ", notice);
  g_string_append_printf(primary,
                         _("Open the link below and sign in to X as @%s (not your other "
                           "account). Your browser then goes to %s?..."),
                         handle_of(a), a->redirect_uri);
  if (a->loop != NULL)
    g_string_append(primary, _(" If that page says Twinbird received the sign-in, you are done; "
                               "if not, paste that address here (or just its code)."));
  else
    g_string_append_printf(
        primary, " %s",
        a->listen_error ? a->listen_error : _("Paste that whole address here (or just its code)."));
  show_prompt(a, primary->str, _("Sign in"));
  g_string_free(primary, TRUE);
  if (fresh)
    open_url(a);
}

static void
ask_pin(TbAuth *a, const char *notice)
{
  g_autofree char *primary = g_strdup_printf(
      _("%s%sOpen the link below, sign in to X as @%s (not your other account), authorize the "
        "app and type here the PIN X shows."),
      notice ? notice : "", notice ? " " : "", handle_of(a));
  show_prompt(a, primary, _("Sign in"));
}

static void
prompt_cancel(TbAuth *a, const char *text)
{
  (void)text;
  a->prompt = NULL; /* the UI closes it */
  g_autofree char *msg = g_strdup_printf(_("Sign-in to X cancelled for @%s"), handle_of(a));
  purple_connection_error_reason(a->conn->gc, PURPLE_CONNECTION_ERROR_AUTHENTICATION_FAILED, msg);
}

/* Called by the UI, which closes the request itself afterwards: never close it here (BitlBee
 * would then close a freshly opened one that reused its address). */
static void
prompt_ok(TbAuth *a, const char *text)
{
  g_autoptr(GError) error = NULL;

  a->prompt = NULL;
  if (a->kind == TB_AUTH_OAUTH1) {
    char *pin = tb_oauth1_parse_pin(text);
    if (pin == NULL) {
      ask_pin(a, _("That is not a PIN: type the digits X shows after you authorize the app."));
      return;
    }
    oauth1_send_pin(a, pin);
    return;
  }

  char *code = tb_oauth2_parse_redirect(text, a->state, &error);
  if (code == NULL) {
    g_autofree char *notice = g_strdup_printf(_("Not signed in: %s."), error->message);
    purple_debug_info("twinbird", "@%s: pasted sign-in refused: %s\n", handle_of(a),
                      error->message);
    ask_oauth2(a, notice, g_error_matches(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_DENIED));
    return;
  }
  exchange_code(a, code);
}

/* --- OAuth 2.0: code, tokens, renewal ---------------------------------------------------- */

static void
flow_redirected(TbAuth *a, char *code, const char *denied)
{
  close_prompt(a);
  if (denied != NULL) {
    g_autofree char *notice = g_strdup_printf(_("X did not authorize the app (%s)."), denied);
    ask_oauth2(a, notice, TRUE);
    return;
  }
  purple_debug_info("twinbird", "@%s: OAuth 2.0 sign-in: the browser came back\n", handle_of(a));
  exchange_code(a, code);
}

static void
fail_flow(TbAuth *a, PurpleConnectionError reason, const char *what, const GError *error)
{
  g_autofree char *msg = g_strdup_printf("%s: %s", what, error->message);
  flow_clear(a);
  purple_connection_error_reason(a->conn->gc, reason, msg);
}

static void
arm_renewal(TbAuth *a, gint64 expires_in)
{
  gint64 delay = expires_in >= 2 * TB_AUTH_RENEW_MARGIN_S ? expires_in - TB_AUTH_RENEW_MARGIN_S
                                                          : MAX(expires_in / 2, 1);

  tb_conn_timeout_set(a->conn, TB_AUTH_SLOT_RENEW, (guint)MIN(delay, G_MAXUINT / 1000) * 1000,
                      renew_cb, a);
}

static void
install_tokens(TbAuth *a, TbOAuth2Token *t)
{
  use_bearer(a->conn, t->access_token);
  if (t->refresh_token != NULL) {
    tb_oauth_secret_free(a->refresh_token);
    a->refresh_token = g_steal_pointer(&t->refresh_token);
  } else {
    /* without offline.access there is nothing to renew with; the spent token is useless */
    tb_oauth_secret_free(g_steal_pointer(&a->refresh_token));
    purple_debug_warning("twinbird", "@%s: X sent no refresh token (offline.access missing)\n",
                         handle_of(a));
  }
  if (a->refresh_token != NULL)
    arm_renewal(a, t->expires_in);
}

static void
code_done(const TbHttpResponse *resp, gpointer data)
{
  TbAuth *a = data;
  TbOAuth2Token t;
  g_autoptr(GError) error = NULL;

  a->code_req = 0;
  if (!tb_oauth2_token_parse(resp, &t, &error)) {
    purple_debug_info("twinbird", "@%s: code exchange failed: %s\n", handle_of(a), error->message);
    if (tb_proxy_error_report(a->conn->gc, handle_of(a), error))
      return;
    if (g_error_matches(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_CLIENT)) {
      g_autofree char *what = g_strdup_printf(
          _("X refused the app (check client_id, and that the app is a Native App whose "
            "callback is %s)"),
          a->redirect_uri);
      fail_flow(a, PURPLE_CONNECTION_ERROR_INVALID_SETTINGS, what, error);
      return;
    }
    g_autofree char *notice = g_strdup_printf(
        _("Not signed in: X did not accept the code (%s); a code lives 30 seconds."),
        error->message);
    ask_oauth2(a, notice, TRUE);
    return;
  }
  purple_debug_info("twinbird", "@%s: OAuth 2.0 sign-in: tokens received, checking the account\n",
                    handle_of(a));
  flow_clear(a);
  a->trusted = FALSE; /* saved only once /2/users/me says it is this account */
  install_tokens(a, &t);
  tb_oauth2_token_clear(&t);
  a->have_token(a->conn);
}

static void
exchange_code(TbAuth *a, char *code)
{
  TbConn *conn = a->conn;
  g_autoptr(GError) error = NULL;

  /* the state is spent: a second redirect with it is not ours any more */
  loop_unregister(a);
  purple_connection_update_progress(conn->gc, _("Getting the keys from X"), 2, 3);
  TbHttpRequest *req = tb_oauth2_code_request(conn->cfg.api_base, conn->cfg.client_id,
                                              a->redirect_uri, code, a->verifier);
  tb_oauth_secret_free(code);
  purple_debug_misc("twinbird", "@%s: POST /2/oauth2/token (authorization code)\n", handle_of(a));
  a->code_req = tb_http_send(conn->http, req, code_done, a, &error);
  if (a->code_req == 0)
    fail_flow(a, PURPLE_CONNECTION_ERROR_NETWORK_ERROR, _("Could not reach X"), error);
}

static void
run_waiters(TbAuth *a, const GError *error)
{
  GPtrArray *waiters = g_steal_pointer(&a->waiters);

  a->waiters = g_ptr_array_new();
  for (guint i = 0; waiters && i < waiters->len; i++) {
    TbWaiter *w = waiters->pdata[i];
    w->cb(a->conn, error, w->data);
    g_free(w);
  }
  if (waiters)
    g_ptr_array_free(waiters, TRUE);
}

static void renew(TbAuth *a);

static gboolean
renew_cb(gpointer data)
{
  TbAuth *a = data;
  renew(a);
  return FALSE;
}

static void
renew_failed(TbAuth *a, const GError *error)
{
  TbConn *conn = a->conn;
  g_autofree char *msg = NULL;

  purple_debug_warning("twinbird", "@%s: renewing the access token failed: %s\n", handle_of(a),
                       error->message);
  a->verify_after_renew = FALSE; /* whatever comes next, it is not that users/me */
  /* said first: what the waiters make of the failure comes after it and is not shown */
  gboolean proxy_failed = tb_proxy_error_report(conn->gc, handle_of(a), error);
  run_waiters(a, error);
  if (proxy_failed)
    return;
  if (tb_oauth_error_is_transient(error) ||
      g_error_matches(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_MALFORMED)) {
    if (a->signed_in) {
      /* keep going on the current access token; try again, less and less often */
      a->renew_failures++;
      guint wait = MIN(15u << MIN(a->renew_failures - 1, 5u), TB_AUTH_RETRY_MAX_S);
      tb_conn_timeout_set(conn, TB_AUTH_SLOT_RENEW, wait * 1000, renew_cb, a);
      return;
    }
    msg = g_strdup_printf(_("Could not reach X to renew the sign-in of @%s: %s"), handle_of(a),
                          error->message);
    purple_connection_error_reason(conn->gc, PURPLE_CONNECTION_ERROR_NETWORK_ERROR, msg);
    return;
  }
  if (g_error_matches(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_CLIENT)) {
    msg = g_strdup_printf(_("X refused the app while renewing the sign-in of @%s (check "
                            "client_id): %s"),
                          handle_of(a), error->message);
    purple_connection_error_reason(conn->gc, PURPLE_CONNECTION_ERROR_INVALID_SETTINGS, msg);
    return;
  }
  /* The refresh token is spent, revoked or not this app's: forget it and sign in again. */
  tb_oauth_secret_free(g_steal_pointer(&a->refresh_token));
  if (a->trusted)
    forget_secret(conn->account);
  if (!a->signed_in) {
    g_autofree char *notice = g_strdup_printf(
        _("X no longer accepts the saved sign-in (%s): sign in again."), error->message);
    ask_oauth2(a, notice, TRUE);
    return;
  }
  /* A network error is not fatal, so the UI reconnects, and the new login asks to sign in. */
  msg = g_strdup_printf(_("The sign-in of @%s ended at X (%s); reconnecting to sign in again."),
                        handle_of(a), error->message);
  purple_connection_error_reason(conn->gc, PURPLE_CONNECTION_ERROR_NETWORK_ERROR, msg);
}

static void
renew_done(const TbHttpResponse *resp, gpointer data)
{
  TbAuth *a = data;
  TbOAuth2Token t;
  g_autoptr(GError) error = NULL;

  a->renew_req = 0;
  if (!tb_oauth2_token_parse(resp, &t, &error)) {
    renew_failed(a, error);
    return;
  }
  purple_debug_info("twinbird", "@%s: access token renewed, valid %" G_GINT64_FORMAT " s\n",
                    handle_of(a), t.expires_in);
  a->renew_failures = 0;
  install_tokens(a, &t);
  tb_oauth2_token_clear(&t);
  /* X rotates the refresh token: the old one is spent, so the new one is saved at once */
  if (a->trusted)
    save_secret(a);
  if (a->verify_after_renew) {
    a->verify_after_renew = FALSE;
    a->have_token(a->conn);
  }
  run_waiters(a, NULL);
}

static void
renew(TbAuth *a)
{
  TbConn *conn = a->conn;
  g_autoptr(GError) error = NULL;

  if (a->renew_req != 0 || a->refresh_token == NULL)
    return;
  tb_conn_timeout_clear(conn, TB_AUTH_SLOT_RENEW);
  purple_debug_misc("twinbird", "@%s: POST /2/oauth2/token (refresh)\n", handle_of(a));
  TbHttpRequest *req =
      tb_oauth2_refresh_request(conn->cfg.api_base, conn->cfg.client_id, a->refresh_token);
  a->renew_req = tb_http_send(conn->http, req, renew_done, a, &error);
  if (a->renew_req == 0) {
    g_autoptr(GError) e = g_error_new(TB_OAUTH_ERROR, TB_OAUTH_ERROR_NETWORK, "%s",
                                      error ? error->message : _("refused"));
    renew_failed(a, e);
  }
}

gboolean
tb_auth_signing_out(TbConn *conn)
{
  return conn->oauth != NULL && conn->oauth->signing_out;
}

gboolean
tb_auth_renew_then(TbConn *conn, TbConnRenewed cb, gpointer data, GDestroyNotify destroy)
{
  TbAuth *a = conn->oauth;

  if (a == NULL || a->kind != TB_AUTH_OAUTH2 || a->refresh_token == NULL || a->signing_out ||
      a->prompt != NULL || a->code_req != 0)
    return FALSE;
  TbWaiter *w = g_new0(TbWaiter, 1);
  w->cb = cb;
  w->data = data;
  w->destroy = destroy;
  g_ptr_array_add(a->waiters, w);
  renew(a);
  return TRUE;
}

/* Fire and forget: a token that must not stay valid (another account's, or on sign-out). */
static void
revoke_done(const TbHttpResponse *resp, gpointer data)
{
  TbAuth *a = data;
  gboolean ok = resp->outcome == TB_HTTP_OK && resp->status >= 200 && resp->status < 300;

  purple_debug_info("twinbird", "@%s: token revoked at X: %s\n", handle_of(a), ok ? "yes" : "no");
  if (!a->signing_out)
    return;
  if (!ok && a->signout_problem == NULL)
    a->signout_problem = resp->outcome == TB_HTTP_OK
                             ? g_strdup_printf(_("HTTP %d"), resp->status)
                             : g_strdup(resp->error ? resp->error : _("no answer"));
  if (a->revokes_pending > 0 && --a->revokes_pending == 0)
    signout_finish(a);
}

static gboolean
revoke_token(TbAuth *a, const char *token, const char *hint)
{
  TbConn *conn = a->conn;
  g_autoptr(GError) error = NULL;

  if (token == NULL || a->kind != TB_AUTH_OAUTH2)
    return FALSE;
  purple_debug_misc("twinbird", "@%s: POST /2/oauth2/revoke (%s)\n", handle_of(a), hint);
  TbHttpRequest *req =
      tb_oauth2_revoke_request(conn->cfg.api_base, conn->cfg.client_id, token, hint);
  if (tb_http_send(conn->http, req, revoke_done, a, &error) != 0)
    return TRUE;
  if (a->signout_problem == NULL)
    a->signout_problem = g_strdup(error ? error->message : _("no answer"));
  return FALSE;
}

/* --- OAuth 1.0a ----------------------------------------------------------------------------- */

static void
oauth1_access_done(const TbHttpResponse *resp, gpointer data)
{
  TbAuth *a = data;
  TbOAuth1Token t;
  g_autoptr(GError) error = NULL;

  a->oauth1_req = 0;
  if (!tb_oauth1_token_parse(resp, FALSE, &t, &error)) {
    purple_debug_info("twinbird", "@%s: PIN exchange failed: %s\n", handle_of(a), error->message);
    if (tb_proxy_error_report(a->conn->gc, handle_of(a), error))
      return;
    if (g_error_matches(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_CLIENT)) {
      fail_flow(a, PURPLE_CONNECTION_ERROR_INVALID_SETTINGS,
                _("X refused the app (check consumer_key and consumer_secret)"), error);
      return;
    }
    /* PINs are single-use: start over with a new request token */
    g_autofree char *notice = g_strdup_printf(
        _("Not signed in: X did not accept that PIN (%s); here is a new link."), error->message);
    oauth1_begin(a, notice);
    return;
  }
  purple_debug_info("twinbird", "@%s: OAuth 1.0a sign-in: tokens received, checking the account\n",
                    handle_of(a));
  flow_clear(a);
  a->trusted = FALSE; /* saved only once /2/users/me says it is this account */
  use_oauth1(a->conn, t.token, t.secret);
  tb_oauth1_token_clear(&t);
  a->have_token(a->conn);
}

static void
oauth1_send_pin(TbAuth *a, char *pin)
{
  TbConn *conn = a->conn;
  g_autoptr(GError) error = NULL;
  TbHttpRequest *req =
      tb_oauth1_access_token_request(conn->cfg.api_base, conn->cfg.consumer_key,
                                     conn->cfg.consumer_secret, a->req_token, a->req_secret, pin);

  tb_oauth_secret_free(pin);
  purple_connection_update_progress(conn->gc, _("Getting the keys from X"), 2, 3);
  purple_debug_misc("twinbird", "@%s: POST /oauth/access_token\n", handle_of(a));
  a->oauth1_req = req ? tb_http_send(conn->http, req, oauth1_access_done, a, &error) : 0;
  if (a->oauth1_req == 0) {
    if (error == NULL)
      error = g_error_new_literal(TB_OAUTH_ERROR, TB_OAUTH_ERROR_NETWORK, _("no request"));
    fail_flow(a, PURPLE_CONNECTION_ERROR_NETWORK_ERROR, _("Could not reach X"), error);
  }
}

static void
oauth1_request_done(const TbHttpResponse *resp, gpointer data)
{
  TbAuth *a = data;
  TbConn *conn = a->conn;
  TbOAuth1Token t;
  g_autoptr(GError) error = NULL;
  g_autofree char *notice = g_steal_pointer(&a->notice);

  a->oauth1_req = 0;
  if (!tb_oauth1_token_parse(resp, TRUE, &t, &error)) {
    purple_debug_info("twinbird", "@%s: request token refused: %s\n", handle_of(a), error->message);
    if (tb_proxy_error_report(conn->gc, handle_of(a), error))
      return;
    if (g_error_matches(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_CLIENT))
      fail_flow(a, PURPLE_CONNECTION_ERROR_INVALID_SETTINGS,
                _("X refused the app (check consumer_key and consumer_secret)"), error);
    else if (tb_oauth_error_is_transient(error))
      fail_flow(a, PURPLE_CONNECTION_ERROR_NETWORK_ERROR, _("Could not reach X"), error);
    else
      fail_flow(a, PURPLE_CONNECTION_ERROR_AUTHENTICATION_FAILED,
                _("X refused to start the sign-in"), error);
    return;
  }
  flow_clear(a);
  a->req_token = g_steal_pointer(&t.token);
  a->req_secret = g_steal_pointer(&t.secret);
  tb_oauth1_token_clear(&t);
  a->url = tb_oauth1_authorize_url(conn->cfg.api_base, a->req_token, conn->handle);
  purple_debug_info("twinbird", "@%s: OAuth 1.0a sign-in: waiting for the PIN\n", handle_of(a));
  ask_pin(a, notice);
  open_url(a);
}

static void
oauth1_begin(TbAuth *a, const char *notice)
{
  TbConn *conn = a->conn;
  g_autoptr(GError) error = NULL;

  flow_clear(a);
  g_free(a->notice);
  a->notice = g_strdup(notice);
  purple_connection_update_progress(conn->gc, _("Asking X for a sign-in link"), 1, 3);
  purple_debug_misc("twinbird", "@%s: POST /oauth/request_token\n", handle_of(a));
  TbHttpRequest *req = tb_oauth1_request_token_request(conn->cfg.api_base, conn->cfg.consumer_key,
                                                       conn->cfg.consumer_secret);
  a->oauth1_req = req ? tb_http_send(conn->http, req, oauth1_request_done, a, &error) : 0;
  if (a->oauth1_req == 0) {
    if (error == NULL)
      error = g_error_new_literal(TB_OAUTH_ERROR, TB_OAUTH_ERROR_NETWORK, _("no request"));
    fail_flow(a, PURPLE_CONNECTION_ERROR_NETWORK_ERROR, _("Could not reach X"), error);
  }
}

/* --- the account's identity ------------------------------------------------------------------ */

void
tb_auth_identity_confirmed(TbConn *conn)
{
  TbAuth *a = conn->oauth;

  if (a == NULL)
    return;
  a->signed_in = TRUE;
  a->trusted = TRUE;
  save_secret(a);
}

void
tb_auth_identity_refused(TbConn *conn, const char *x_username)
{
  TbAuth *a = conn->oauth;
  g_autoptr(GError) error = g_error_new(TB_OAUTH_ERROR, TB_OAUTH_ERROR_REJECTED,
                                        _("signed in as @%s, not @%s"), x_username, conn->handle);
  g_autofree char *notice = g_strdup_printf(
      _("Refused: you signed in to X as @%s, but this account is @%s; the two must never mix. "
        "Sign out of @%s on x.com first, or use a private browser window."),
      x_username, conn->handle, x_username);

  purple_debug_warning("twinbird", "@%s: sign-in refused: X says the token is @%s's\n",
                       handle_of(a), x_username);
  /* Neither kept nor saved. Not revoked either: X may revoke per user and app, which would end
   * the other account's own sign-in in this very program. */
  tb_conn_timeout_clear(conn, TB_AUTH_SLOT_RENEW);
  a->verify_after_renew = FALSE;
  tb_oauth_secret_free(g_steal_pointer(&a->refresh_token));
  tb_xapi_auth_clear(&conn->auth);
  run_waiters(a, error);
  if (a->trusted)
    forget_secret(conn->account); /* the saved password was the other account's */
  a->trusted = FALSE;
  if (a->kind == TB_AUTH_OAUTH2)
    ask_oauth2(a, notice, TRUE);
  else
    oauth1_begin(a, notice);
}

/* --- setup, start, free ------------------------------------------------------------------- */

static gboolean
option_is_empty(const char *value)
{
  return value == NULL || *value == '\0';
}

gboolean
tb_auth_setup(TbConn *conn, TbAuthHaveToken have_token, GError **error)
{
  const TbConfig *cfg = &conn->cfg;

  if (cfg->auth == TB_AUTH_OAUTH2 && option_is_empty(cfg->client_id)) {
    g_set_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
                _("Account option client_id: auth oauth2 needs the OAuth 2.0 client ID of your X "
                  "app (developer console: your app, Keys and tokens)"));
    return FALSE;
  }
  if (cfg->auth == TB_AUTH_OAUTH1 &&
      (option_is_empty(cfg->consumer_key) || option_is_empty(cfg->consumer_secret))) {
    g_set_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
                _("Account option %s: auth oauth1 needs the consumer key and the consumer secret "
                  "of your X app"),
                option_is_empty(cfg->consumer_key) ? "consumer_key" : "consumer_secret");
    return FALSE;
  }
  TbAuth *a = g_new0(TbAuth, 1);
  a->conn = conn;
  a->kind = cfg->auth;
  a->have_token = have_token;
  a->waiters = g_ptr_array_new();
  a->saved = g_strdup(purple_account_get_password(conn->account));
  conn->oauth = a;
  return TRUE;
}

void
tb_auth_start(TbConn *conn)
{
  TbAuth *a = conn->oauth;
  char *saved = g_steal_pointer(&a->saved);

  if (a->kind == TB_AUTH_OAUTH2) {
    if (saved != NULL && *saved != '\0') {
      a->refresh_token = saved;
      a->trusted = TRUE;
      a->verify_after_renew = TRUE;
      purple_connection_update_progress(conn->gc, _("Renewing the sign-in with X"), 1, 3);
      renew(a);
      return;
    }
    tb_oauth_secret_free(saved);
    ask_oauth2(a, NULL, TRUE);
    return;
  }

  char *token = NULL, *secret = NULL;
  gboolean have = tb_oauth1_password_split(saved, &token, &secret);
  tb_oauth_secret_free(saved);
  if (have) {
    use_oauth1(conn, token, secret);
    tb_oauth_secret_free(token);
    tb_oauth_secret_free(secret);
    a->trusted = TRUE;
    a->have_token(conn);
    return;
  }
  oauth1_begin(a, NULL);
}

void
tb_auth_free(TbAuth *a)
{
  if (a == NULL)
    return;
  /* the registry's timers and the HTTP driver's requests are gone with the connection */
  flow_clear(a);
  for (guint i = 0; i < a->waiters->len; i++) {
    TbWaiter *w = a->waiters->pdata[i];
    if (w->destroy)
      w->destroy(w->data);
    g_free(w);
  }
  g_ptr_array_free(a->waiters, TRUE);
  tb_oauth_secret_free(a->saved);
  tb_oauth_secret_free(a->refresh_token);
  g_free(a->listen_error);
  g_free(a->notice);
  g_free(a->signout_problem);
  g_free(a);
}

/* --- Sign out ------------------------------------------------------------------------------- */

static void
sign_out_done(TbConn *conn, const char *problem)
{
  g_autofree char *msg = NULL;

  forget_secret(conn->account);
  if (conn->cfg.auth == TB_AUTH_OAUTH2 && problem == NULL)
    msg = g_strdup_printf(_("Signed out of X: the sign-in of @%s is revoked and forgotten. "
                            "Connect the account again to sign in."),
                          conn->handle);
  else if (conn->cfg.auth == TB_AUTH_OAUTH2)
    msg = g_strdup_printf(_("Signed out of X: the sign-in of @%s is forgotten here, but X could "
                            "not revoke it (%s). To revoke it yourself, remove the app under "
                            "Connected apps in X's settings."),
                          conn->handle, problem);
  else
    msg = g_strdup_printf(_("Signed out of X: the sign-in of @%s is forgotten here. To revoke it "
                            "at X too, remove the app under Connected apps in X's settings."),
                          conn->handle);
  purple_debug_info("twinbird", "@%s: signed out\n", conn->handle);
  /* fatal on purpose: reconnecting by itself would only ask to sign in again */
  purple_connection_error_reason(conn->gc, PURPLE_CONNECTION_ERROR_OTHER_ERROR, msg);
}

static void
signout_finish(TbAuth *a)
{
  tb_conn_timeout_clear(a->conn, TB_AUTH_SLOT_SIGNOUT);
  a->revokes_pending = 0;
  sign_out_done(a->conn, a->signout_problem);
}

static gboolean
signout_timeout(gpointer data)
{
  TbAuth *a = data;

  if (a->signout_problem == NULL)
    a->signout_problem = g_strdup(_("X did not answer"));
  signout_finish(a);
  return FALSE;
}

static void
action_sign_out(PurplePluginAction *action)
{
  PurpleConnection *gc = action->context;
  TbConn *conn = gc ? tb_conn_from_gc(gc) : NULL;

  if (conn == NULL)
    return;
  TbAuth *a = conn->oauth;
  if (a == NULL) {
    sign_out_done(conn, NULL); /* bearer: only the password to forget */
    return;
  }
  if (a->signing_out)
    return;
  a->signing_out = TRUE;
  purple_debug_info("twinbird", "@%s: signing out\n", handle_of(a));
  tb_conn_timeout_clear(conn, TB_AUTH_SLOT_RENEW);
  if (a->renew_req != 0) {
    /* a rotation under way would hand back a token nobody keeps: drop it, revoke what we have */
    tb_http_cancel(conn->http, a->renew_req);
    a->renew_req = 0;
  }
  g_autoptr(GError) error =
      g_error_new_literal(TB_OAUTH_ERROR, TB_OAUTH_ERROR_REJECTED, _("signed out"));
  run_waiters(a, error);
  flow_clear(a);
  if (revoke_token(a, a->refresh_token, "refresh_token"))
    a->revokes_pending++;
  if (conn->auth.kind == TB_XAPI_AUTH_BEARER && revoke_token(a, conn->auth.token, "access_token"))
    a->revokes_pending++;
  if (a->revokes_pending == 0) {
    signout_finish(a);
    return;
  }
  tb_conn_timeout_set(conn, TB_AUTH_SLOT_SIGNOUT, TB_AUTH_SIGNOUT_WAIT_MS, signout_timeout, a);
}

GList *
tb_auth_actions(PurplePlugin *plugin, gpointer context)
{
  (void)plugin;
  (void)context;
  return g_list_append(NULL, purple_plugin_action_new(_("Sign out of X (forget the saved sign-in)"),
                                                      action_sign_out));
}
