/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-delay.h"

#define TB_DELAY_MAX_DOUBLINGS 10u

guint
tb_delay_rate_limit_ms(gboolean known, gint64 remaining, gint64 reset_s, gint64 now_s)
{
  if (!known || remaining > 0)
    return 0;
  gint64 wait = CLAMP(reset_s - now_s + 1, 1, (gint64)TB_DELAY_MAX_S);
  return (guint)wait * 1000;
}

guint
tb_delay_poll_backoff_s(guint interval_s, guint failures)
{
  if (failures == 0)
    return interval_s;
  guint64 backoff = (guint64)interval_s << MIN(failures, TB_DELAY_MAX_DOUBLINGS);
  return MAX(interval_s, (guint)MIN(backoff, (guint64)TB_DELAY_MAX_S));
}

guint
tb_delay_login_backoff_s(guint attempt, guint cap_s, gboolean rate_limited, gint64 reset_s,
                         gint64 now_s)
{
  guint shift = attempt > 0 ? MIN(attempt - 1, 31u) : 0;
  guint delay = (guint)MIN((guint64)1 << shift, (guint64)cap_s);

  if (rate_limited)
    delay = (guint)CLAMP(reset_s - now_s, (gint64)delay, (gint64)TB_DELAY_MAX_S);
  return delay;
}
