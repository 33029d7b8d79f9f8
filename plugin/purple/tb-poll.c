/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-poll.h"
#include "core/tb-delay.h"
#include "tb-auth.h"
#include "tb-proxy.h"

#include <glib/gi18n-lib.h>

/* Failures that waiting will not mend: the user must act. Said once, then polled rarely. */
static const struct {
  TbXapiError code;
  gboolean fatal; /* end the connection (the sign-in itself is gone) */
  const char *advice;
} lasting_errors[] = {
    {TB_XAPI_ERROR_UNAUTHORIZED, TRUE, N_("X no longer accepts this account's sign-in")},
    {TB_XAPI_ERROR_PAYMENT, FALSE,
     N_("the X developer account that owns the app is out of credits: buy credits in X's "
        "developer console. Twinbird tries again every 15 minutes")},
    {TB_XAPI_ERROR_USAGE_CAPPED, FALSE,
     N_("the X app reached its usage cap. Twinbird tries again every 15 minutes")},
    {TB_XAPI_ERROR_FORBIDDEN, FALSE,
     N_("X does not let this app read this: check the app's access level and its permissions "
        "(Read, write and Direct messages). Twinbird tries again every 15 minutes")},
    {TB_XAPI_ERROR_TLS, FALSE,
     N_("the connection to X is not trusted. Twinbird tries again every 15 minutes")},
};

/* One whole sentence per poller, for translators. */
static const char *
checking_failed(const char *poller)
{
  static const struct {
    const char *name, *text;
  } texts[] = {
      {"DMs", N_("Checking DMs of @%s (%s) failed: %s. X said: %s")},
      {"timeline", N_("Checking the home timeline of @%s (%s) failed: %s. X said: %s")},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
    if (g_str_equal(poller, texts[i].name))
      return _(texts[i].text);
  }
  return _("Checking mentions of @%s (%s) failed: %s. X said: %s");
}

typedef enum { TB_POLL_TRANSIENT, TB_POLL_LASTING, TB_POLL_FATAL } TbPollFailure;

static TbPollFailure
poll_lasting_error(TbPoller *p, const GError *error)
{
  for (gsize i = 0; i < G_N_ELEMENTS(lasting_errors); i++) {
    if (!g_error_matches(error, TB_XAPI_ERROR, lasting_errors[i].code))
      continue;
    g_autofree char *msg =
        g_strdup_printf(checking_failed(p->name), p->conn->handle, p->conn->cfg.role,
                        _(lasting_errors[i].advice), error->message);
    if (lasting_errors[i].fatal) {
      g_autofree char *again =
          g_strdup_printf("%s %s", msg, _(tb_config_sign_in_again(p->conn->cfg.auth)));
      purple_connection_error_reason(p->conn->gc, PURPLE_CONNECTION_ERROR_AUTHENTICATION_FAILED,
                                     again);
      return TB_POLL_FATAL;
    }
    if (p->last_notice == 0) {
      g_autofree char *title = g_strdup_printf(_("Twinbird: @%s"), p->conn->handle);
      p->last_notice = g_get_real_time() / G_USEC_PER_SEC;
      purple_notify_error(p->conn->gc, title, title, msg);
    }
    return TB_POLL_LASTING;
  }
  return TB_POLL_TRANSIENT;
}

TbPoller *
tb_poller_new(TbConn *conn, const char *name, guint interval_s, TbPollRun run)
{
  TbPoller *p = g_new0(TbPoller, 1);
  p->conn = conn;
  p->name = name;
  p->interval_s = MAX(interval_s, 1u);
  p->run = run;
  p->slot = g_strconcat("poll-", name, NULL);
  return p;
}

void
tb_poller_set_pace(TbPoller *p, const char *endpoint, guint reserve, TbPollFloor floor)
{
  p->endpoint = endpoint;
  p->reserve = reserve;
  p->floor = floor;
}

void
tb_poller_free(TbPoller *p)
{
  if (p == NULL)
    return;
  tb_conn_timeout_clear(p->conn, p->slot);
  g_free(p->slot);
  g_free(p);
}

static gboolean
poll_fire(gpointer data)
{
  TbPoller *p = data;

  p->busy = TRUE;
  p->ran = TRUE;
  p->run(p);
  return FALSE;
}

void
tb_poller_schedule(TbPoller *p, guint delay_ms)
{
  tb_conn_timeout_set(p->conn, p->slot, delay_ms, poll_fire, p);
}

void
tb_poller_poke(TbPoller *p)
{
  if (!p->busy)
    tb_poller_schedule(p, 0);
}

void
tb_poller_done(TbPoller *p, const TbHttpResponse *resp, const GError *error)
{
  TbXapiRateLimit rl = {0};

  if (resp != NULL)
    tb_xapi_rate_limit_read(resp, &rl);
  tb_poller_finished(p, &rl, error);
}

void
tb_poller_finished(TbPoller *p, const TbXapiRateLimit *limit, const GError *error)
{
  TbXapiRateLimit rl = *limit;
  guint floor_s = p->floor ? MAX(p->floor(p), 1u) : p->interval_s;
  guint delay_ms = floor_s * 1000;
  TbPollFailure failure;

  p->busy = FALSE;
  if (error == NULL) {
    p->failures = 0;
    p->last_notice = 0; /* mended: a new lasting failure is worth saying again */
  } else if (tb_proxy_error_report(p->conn->gc, p->conn->handle, error)) {
    return; /* the connection closes, and its timers with it */
  } else if (tb_auth_signing_out(p->conn)) {
    return; /* the sign-out revoked the token under this read; it ends the connection itself */
  } else if ((failure = poll_lasting_error(p, error)) != TB_POLL_TRANSIENT) {
    if (failure == TB_POLL_FATAL)
      return; /* the connection closes, and its timers with it */
    p->failures++;
    delay_ms = MAX(delay_ms, (guint)TB_DELAY_MAX_S * 1000);
  } else {
    p->failures++;
    delay_ms = tb_delay_poll_backoff_s(p->interval_s, p->failures) * 1000;
    purple_debug_warning("twinbird", "@%s: %s fetch failed (%u in a row): %s\n", p->conn->handle,
                         p->name, p->failures, error->message);
  }
  delay_ms = MAX(delay_ms, tb_delay_rate_limit_ms(rl.known, rl.remaining, rl.reset,
                                                  g_get_real_time() / G_USEC_PER_SEC));
  if (p->endpoint != NULL)
    delay_ms = MAX(delay_ms, tb_conn_pace_s(p->conn, p->endpoint, floor_s, p->reserve) * 1000);
  tb_poller_schedule(p, delay_ms);
}
