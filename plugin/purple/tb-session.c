/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-session.h"
#include "core/tb-delay.h"
#include "core/tb-tag.h"
#include "tb-auth.h"
#include "tb-blist.h"
#include "tb-build-config.h"
#include "tb-confirm.h"
#include "tb-conv.h"
#include "tb-fetch.h"
#include "tb-limits.h"
#include "tb-plugin.h"
#include "tb-proxy.h"
#include "tb-send.h"
#include "tb-stats.h"
#include "tb-timeline.h"
#include "tb-stream.h"
#include "tb-worktime.h"

#include <glib/gi18n-lib.h>

#define TB_LOGIN_MAX_ATTEMPTS 6
#define TB_BACKOFF_CAP_S 60
#define TB_SESSION_SLOT_LOGIN "session-login"

struct _TbSession {
  guint login_attempts;
};

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
  if (conn->session->login_attempts >= TB_LOGIN_MAX_ATTEMPTS) {
    g_autofree char *msg = g_strdup_printf(_("Could not reach X after %u tries: %s"),
                                           conn->session->login_attempts, error->message);
    purple_connection_error_reason(conn->gc, PURPLE_CONNECTION_ERROR_NETWORK_ERROR, msg);
    return;
  }

  TbXapiRateLimit rl = {0};
  if (resp != NULL)
    tb_xapi_rate_limit_read(resp, &rl);
  gboolean limited = g_error_matches(error, TB_XAPI_ERROR, TB_XAPI_ERROR_RATE_LIMITED) && rl.known;
  guint delay = tb_delay_login_backoff_s(conn->session->login_attempts, TB_BACKOFF_CAP_S, limited,
                                         rl.reset, g_get_real_time() / G_USEC_PER_SEC);
  g_autofree char *msg = g_strdup_printf(_("%s; trying again in %u s"), error->message, delay);
  purple_debug_warning("twinbird", "@%s: sign-in: %s\n", conn->handle, msg);
  purple_connection_update_progress(conn->gc, msg, 1, 3);
  tb_conn_timeout_set(conn, TB_SESSION_SLOT_LOGIN, delay * 1000, login_retry, conn);
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
    if (g_error_matches(error, TB_XAPI_ERROR, TB_XAPI_ERROR_UNAUTHORIZED)) {
      g_autofree char *refused = g_steal_pointer(&msg);
      msg = g_strdup_printf("%s %s", refused, _(tb_config_sign_in_again(conn->cfg.auth)));
    }
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
  tb_worktime_start(conn);
  tb_stats_start(conn);
  tb_fetch_start(conn);
  tb_timeline_start(conn);
  tb_stream_start(conn); /* after the pollers: it paces them */
}

static void
login_verify(TbConn *conn)
{
  conn->session->login_attempts++;
  purple_connection_update_progress(conn->gc, _("Checking the account with X"), 1, 3);
  tb_conn_send(conn, tb_xapi_users_me_request(&conn->auth, conn->cfg.api_base), login_me_done,
               NULL);
}

/* A sign-in or a renewal produced a token (tb-auth.c's have_token): check it with X. */
static void
session_verify(TbConn *conn)
{
  conn->session->login_attempts = 0;
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
    return tb_auth_setup(conn, session_verify, error);
  }
}

static void
session_login(TbConn *conn)
{
  g_autoptr(GError) error = NULL;

  if (!tb_config_load(&conn->cfg, &account_source, conn->account, &error) ||
      !login_setup_auth(conn, &error)) {
    purple_connection_error_reason(conn->gc, PURPLE_CONNECTION_ERROR_INVALID_SETTINGS,
                                   error->message);
    return;
  }
  /* X counts some limits per app: both accounts of one app share them. */
  conn->app_budget =
      tb_plugin_app_budget(conn->cfg.auth == TB_AUTH_OAUTH2   ? conn->cfg.client_id
                           : conn->cfg.auth == TB_AUTH_OAUTH1 ? conn->cfg.consumer_key
                                                              : NULL);

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
    tb_auth_start(conn); /* ends in session_verify() once there is a token */
  else
    login_verify(conn);
}

/* The connection asks for a renewal after a 401 (OAuth 2.0 only). */
static gboolean
session_renew(TbConn *conn, TbConnRenewed done, gpointer data, GDestroyNotify destroy)
{
  return conn->cfg.auth == TB_AUTH_OAUTH2 && conn->oauth != NULL &&
         tb_auth_renew_then(conn, done, data, destroy);
}

/* Opening: the runtime, then each module's state, then the sign-in. */
void
tb_session_open(PurpleConnection *gc)
{
  TbConn *conn = tb_conn_new(gc);

  conn->session = g_new0(TbSession, 1);
  conn->hooks.answered = tb_limits_record;
  conn->hooks.renew = session_renew;
  tb_conv_init(conn);
  tb_limits_init(conn);
  tb_send_init(conn);
  tb_confirm_init(conn);
  tb_worktime_init(conn);
  session_login(conn);
}

/* Closing, the opening in reverse: whoever waits for a send hears it will not come, polls stop,
 * the runtime saves and drops its timers and requests (no callback runs after this), then each
 * module frees its state, and the runtime goes last. */
void
tb_session_close(PurpleConnection *gc)
{
  TbConn *conn = tb_conn_from_gc(gc);

  if (conn == NULL)
    return;
  tb_send_close(conn);
  tb_stream_stop(conn); /* the app's stream moves to another account first */
  tb_fetch_stop(conn);
  tb_timeline_stop(conn);
  tb_conn_shutdown(conn);
  g_clear_pointer(&conn->oauth, tb_auth_free); /* closes a sign-in prompt and the listener */
  tb_stream_cleanup(conn);
  tb_confirm_cleanup(conn);
  tb_stats_cleanup(conn);
  tb_worktime_cleanup(conn);
  tb_send_cleanup(conn);
  tb_limits_cleanup(conn);
  tb_conv_cleanup(conn);
  g_clear_pointer(&conn->session, g_free);
  tb_conn_free(conn);
}
