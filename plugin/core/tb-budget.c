/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-budget.h"

typedef struct {
  TbWindow w[TB_WINDOW_N];
} TbEndpointBudget;

struct _TbBudget {
  GHashTable *endpoints; /* name -> TbEndpointBudget */
};

TbBudget *
tb_budget_new(void)
{
  TbBudget *b = g_new0(TbBudget, 1);
  b->endpoints = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  return b;
}

void
tb_budget_free(TbBudget *b)
{
  if (b == NULL)
    return;
  g_hash_table_destroy(b->endpoints);
  g_free(b);
}

static TbEndpointBudget *
endpoint_get(TbBudget *b, const char *endpoint, gboolean create)
{
  TbEndpointBudget *e = g_hash_table_lookup(b->endpoints, endpoint);

  if (e != NULL || !create)
    return e;
  if (g_hash_table_size(b->endpoints) >= TB_BUDGET_MAX_ENDPOINTS)
    g_hash_table_remove_all(b->endpoints); /* bounded: X's headers soon tell again */
  e = g_new0(TbEndpointBudget, 1);
  g_hash_table_insert(b->endpoints, g_strdup(endpoint), e);
  return e;
}

/* A window whose reset has passed starts afresh with its whole limit. */
static void
window_roll(TbWindow *w, gint64 now)
{
  /* X gives the reset in whole seconds and its clock is not ours: the window is taken to have
   * turned a second after it (a read sent at the reset second itself met a 429) */
  if (w->known && now > w->reset)
    w->remaining = w->limit;
}

void
tb_budget_update(TbBudget *b, const char *endpoint, TbWindowKind kind, const TbWindow *window)
{
  if (!window->known || kind >= TB_WINDOW_N)
    return;
  TbWindow *w = &endpoint_get(b, endpoint, TRUE)->w[kind];
  *w = *window;
  w->limit = MAX(w->limit, 0);
  w->remaining = CLAMP(w->remaining, 0, w->limit);
}

void
tb_budget_exhausted(TbBudget *b, const char *endpoint, gint64 reset, gint64 now)
{
  TbWindow *w = &endpoint_get(b, endpoint, TRUE)->w[TB_WINDOW_15MIN];

  if (!w->known)
    w->limit = 1; /* unknown size: one request is tried when the window turns */
  w->known = TRUE;
  w->remaining = 0;
  /* A reset in the past or absurdly far (hostile header) is one window from now. */
  w->reset =
      reset > now && reset <= now + TB_BUDGET_WINDOW_24H_S ? reset : now + TB_BUDGET_WINDOW_15MIN_S;
}

gint64
tb_budget_wait_s(TbBudget *b, const char *endpoint, gint64 now)
{
  TbEndpointBudget *e = endpoint_get(b, endpoint, FALSE);
  gint64 wait = 0;

  for (int k = 0; e != NULL && k < TB_WINDOW_N; k++) {
    TbWindow *w = &e->w[k];
    window_roll(w, now);
    if (w->known && w->remaining <= 0) {
      gint64 horizon = k == TB_WINDOW_15MIN ? TB_BUDGET_WINDOW_15MIN_S : TB_BUDGET_WINDOW_24H_S;
      wait = MAX(wait, MIN(w->reset - now, horizon) + 1); /* a second for clock skew */
    }
  }
  return wait;
}

void
tb_budget_spend(TbBudget *b, const char *endpoint, gint64 now)
{
  TbEndpointBudget *e = endpoint_get(b, endpoint, FALSE);

  for (int k = 0; e != NULL && k < TB_WINDOW_N; k++) {
    window_roll(&e->w[k], now);
    if (e->w[k].known && e->w[k].remaining > 0)
      e->w[k].remaining--;
  }
}

gint64
tb_budget_left(TbBudget *b, const char *endpoint, gint64 now, gint64 *reset)
{
  TbEndpointBudget *e = endpoint_get(b, endpoint, FALSE);

  if (e == NULL || !e->w[TB_WINDOW_15MIN].known)
    return -1;
  window_roll(&e->w[TB_WINDOW_15MIN], now);
  if (reset != NULL)
    *reset = e->w[TB_WINDOW_15MIN].reset;
  return e->w[TB_WINDOW_15MIN].remaining;
}

guint
tb_budget_pace_s(TbBudget *b, const char *endpoint, guint floor_s, guint reserve, gint64 now)
{
  gint64 reset = 0;
  gint64 left = tb_budget_left(b, endpoint, now, &reset);

  if (left < 0)
    return floor_s;
  gint64 span = MAX(reset - now, 0);
  gint64 usable = left - (gint64)reserve;
  if (usable <= 0)
    return (guint)MAX((gint64)floor_s, MIN(span, (gint64)TB_BUDGET_WINDOW_15MIN_S) + 1);
  return (guint)MAX((gint64)floor_s, MIN(span / usable, (gint64)TB_BUDGET_WINDOW_15MIN_S));
}
