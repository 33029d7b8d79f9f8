/* What X still allows, per endpoint: the 15-minute window of x-rate-limit-* and the 24-hour ones
 * of x-user-limit-24hour-* / x-app-limit-24hour-*, as X last reported them, less what was sent
 * since. Pure bookkeeping over Unix seconds, so the scheduler's rules have unit tests: a request
 * goes only while its endpoint has budget left; a 429 empties the window until its reset.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_BUDGET_H
#define TB_BUDGET_H

#include <glib.h>

G_BEGIN_DECLS

/* One window as X reports it. reset is when it starts afresh (Unix seconds). */
typedef struct {
  gboolean known;
  gint64 limit, remaining, reset;
} TbWindow;

typedef enum { TB_WINDOW_15MIN, TB_WINDOW_24H, TB_WINDOW_N } TbWindowKind;

#define TB_BUDGET_WINDOW_15MIN_S (15 * 60)
#define TB_BUDGET_WINDOW_24H_S (24 * 3600)
/* Endpoints remembered at most (hostile paths must not grow it without end). */
#define TB_BUDGET_MAX_ENDPOINTS 64

typedef struct _TbBudget TbBudget;

TbBudget *tb_budget_new(void);
void tb_budget_free(TbBudget *budget);

/* X's headers for endpoint (either window may be unknown). Replaces what was known. */
void tb_budget_update(TbBudget *budget, const char *endpoint, TbWindowKind kind,
                      const TbWindow *window);
/* A 429 on endpoint: nothing left until reset; reset <= now (no header) counts as one 15-minute
 * window from now. */
void tb_budget_exhausted(TbBudget *budget, const char *endpoint, gint64 reset, gint64 now);

/* Seconds a request to endpoint must wait (0: it may go now). */
gint64 tb_budget_wait_s(TbBudget *budget, const char *endpoint, gint64 now);
/* A request goes now: one less left in each known window. */
void tb_budget_spend(TbBudget *budget, const char *endpoint, gint64 now);
/* Requests left in the endpoint's 15-minute window (-1: unknown) and when it resets. */
gint64 tb_budget_left(TbBudget *budget, const char *endpoint, gint64 now, gint64 *reset);

/* The pause before the next poll of endpoint: floor_s at the least, and long enough that the
 * window's remaining requests, less `reserve` kept for walks, last until it resets. */
guint tb_budget_pace_s(TbBudget *budget, const char *endpoint, guint floor_s, guint reserve,
                       gint64 now);

G_END_DECLS

#endif
