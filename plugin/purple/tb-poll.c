/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-poll.h"

#include <glib/gi18n-lib.h>

#define TB_BACKOFF_MAX_S (15 * 60)

TbPoller *
tb_poller_new(TbConn *conn, const char *name, guint interval_s, TbPollRun run)
{
  TbPoller *p = g_new0(TbPoller, 1);
  p->conn = conn;
  p->name = name;
  p->interval_s = MAX(interval_s, 1u);
  p->run = run;
  return p;
}

void
tb_poller_free(TbPoller *p)
{
  if (p == NULL)
    return;
  tb_conn_timeout_remove(p->conn, p->timer);
  g_free(p);
}

static gboolean
poll_fire(gpointer data)
{
  TbPoller *p = data;

  p->timer = 0;
  p->busy = TRUE;
  p->run(p);
  return FALSE;
}

void
tb_poller_schedule(TbPoller *p, guint delay_ms)
{
  tb_conn_timeout_remove(p->conn, p->timer);
  p->timer = tb_conn_timeout_add(p->conn, delay_ms, poll_fire, p);
}

void
tb_poller_poke(TbPoller *p)
{
  if (!p->busy)
    tb_poller_schedule(p, 0);
}

guint
tb_poller_rate_delay_ms(const TbXapiRateLimit *rl, gint64 now_s)
{
  if (!rl->known || rl->remaining > 0)
    return 0;
  /* Window used up: wait for its reset (plus a second for clock skew), at most 15 minutes. */
  gint64 wait = CLAMP(rl->reset - now_s + 1, 1, (gint64)TB_BACKOFF_MAX_S);
  return (guint)wait * 1000;
}

void
tb_poller_done(TbPoller *p, const TbHttpResponse *resp, const GError *error)
{
  TbXapiRateLimit rl = {0};
  guint delay_ms = p->interval_s * 1000;

  p->busy = FALSE;
  if (resp != NULL)
    tb_xapi_rate_limit_read(resp, &rl);
  if (error == NULL) {
    p->failures = 0;
  } else {
    p->failures++;
    /* Exponential backoff on repeated failures; the interval is the floor. */
    guint backoff = MIN(p->interval_s << MIN(p->failures, 10u), (guint)TB_BACKOFF_MAX_S);
    delay_ms = MAX(delay_ms, backoff * 1000);
    purple_debug_warning("twinbird", "@%s: %s fetch failed (%u in a row): %s\n", p->conn->handle,
                         p->name, p->failures, error->message);
  }
  delay_ms = MAX(delay_ms, tb_poller_rate_delay_ms(&rl, g_get_real_time() / G_USEC_PER_SEC));
  tb_poller_schedule(p, delay_ms);
}
