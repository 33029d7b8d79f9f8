/* How long to wait before asking X again: pure arithmetic over X's rate-limit window and the
 * count of failures so far, shared by the pollers and the sign-in, unit-tested in core.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_DELAY_H
#define TB_DELAY_H

#include <glib.h>

G_BEGIN_DECLS

#define TB_DELAY_MAX_S (15 * 60) /* X's windows are 15 minutes: never wait longer than one */

/* The wait (ms, 0 = none) X's x-rate-limit-* headers impose: none while requests remain (or the
 * headers were absent), else until the window's reset plus a second for clock skew, at least a
 * second and at most TB_DELAY_MAX_S. */
guint tb_delay_rate_limit_ms(gboolean known, gint64 remaining, gint64 reset_s, gint64 now_s);

/* A poll that failed `failures` times in a row (0 = it worked): interval_s doubled per failure
 * (at most 2^10), never more than TB_DELAY_MAX_S, never less than interval_s. In seconds. */
guint tb_delay_poll_backoff_s(guint interval_s, guint failures);

/* The sign-in's attempt number `attempt` (1 = the first) failed: 1, 2, 4 ... seconds, capped at
 * cap_s. A 429 with a known reset waits for the reset instead, within [that, TB_DELAY_MAX_S]. */
guint tb_delay_login_backoff_s(guint attempt, guint cap_s, gboolean rate_limited, gint64 reset_s,
                               gint64 now_s);

G_END_DECLS

#endif
