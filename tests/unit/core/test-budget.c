/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/tb-budget.h"

#define NOW G_GINT64_CONSTANT(1700000000)
#define DMS "GET /2/dm_events"

static void
set15(TbBudget *b, const char *endpoint, gint64 limit, gint64 remaining, gint64 reset)
{
  TbWindow w = {TRUE, limit, remaining, reset};
  tb_budget_update(b, endpoint, TB_WINDOW_15MIN, &w);
}

static void
test_unknown_goes(void)
{
  TbBudget *b = tb_budget_new();
  g_assert_cmpint(tb_budget_wait_s(b, DMS, NOW), ==, 0);
  tb_budget_spend(b, DMS, NOW); /* nothing known: nothing to spend, and no crash */
  g_assert_cmpint(tb_budget_left(b, DMS, NOW, NULL), ==, -1);
  g_assert_cmpuint(tb_budget_pace_s(b, DMS, 60, 1, NOW), ==, 60);
  tb_budget_free(b);
}

static void
test_spending_to_the_end_waits_for_the_reset(void)
{
  TbBudget *b = tb_budget_new();
  set15(b, DMS, 15, 2, NOW + 300);
  g_assert_cmpint(tb_budget_wait_s(b, DMS, NOW), ==, 0);
  tb_budget_spend(b, DMS, NOW);
  g_assert_cmpint(tb_budget_wait_s(b, DMS, NOW), ==, 0);
  tb_budget_spend(b, DMS, NOW);
  g_assert_cmpint(tb_budget_left(b, DMS, NOW, NULL), ==, 0);
  g_assert_cmpint(tb_budget_wait_s(b, DMS, NOW), ==, 301); /* until the reset, and a second */
  g_assert_cmpint(tb_budget_wait_s(b, DMS, NOW + 200), ==, 101);
  /* not yet in the reset's own second (X rounds it down; clocks differ) ... */
  g_assert_cmpint(tb_budget_wait_s(b, DMS, NOW + 300), ==, 1);
  g_assert_cmpint(tb_budget_left(b, DMS, NOW + 300, NULL), ==, 0);
  /* ... then the window has turned: its whole limit again */
  g_assert_cmpint(tb_budget_wait_s(b, DMS, NOW + 301), ==, 0);
  g_assert_cmpint(tb_budget_left(b, DMS, NOW + 301, NULL), ==, 15);
  /* other endpoints keep their own windows */
  g_assert_cmpint(tb_budget_wait_s(b, "GET /2/users/:id/mentions", NOW), ==, 0);
  tb_budget_free(b);
}

static void
test_429_empties_the_window(void)
{
  TbBudget *b = tb_budget_new();
  set15(b, DMS, 15, 9, NOW + 600);
  tb_budget_exhausted(b, DMS, NOW + 120, NOW);
  g_assert_cmpint(tb_budget_wait_s(b, DMS, NOW), ==, 121);
  /* no reset given, or a hostile one: one window from now */
  tb_budget_exhausted(b, DMS, 0, NOW);
  g_assert_cmpint(tb_budget_wait_s(b, DMS, NOW), ==, 15 * 60 + 1);
  tb_budget_exhausted(b, DMS, G_MAXINT64, NOW);
  g_assert_cmpint(tb_budget_wait_s(b, DMS, NOW), ==, 15 * 60 + 1);
  /* a 429 on an endpoint never seen before still waits */
  tb_budget_exhausted(b, "POST /2/tweets", NOW + 60, NOW);
  g_assert_cmpint(tb_budget_wait_s(b, "POST /2/tweets", NOW), ==, 61);
  g_assert_cmpint(tb_budget_wait_s(b, "POST /2/tweets", NOW + 60), ==, 1);
  g_assert_cmpint(tb_budget_wait_s(b, "POST /2/tweets", NOW + 61), ==, 0);
  tb_budget_free(b);
}

static void
test_daily_window_counts_too(void)
{
  TbBudget *b = tb_budget_new();
  TbWindow day = {TRUE, 1440, 0, NOW + 7200};
  set15(b, "POST /2/dm_conversations/with/:id/messages", 15, 15, NOW + 900);
  tb_budget_update(b, "POST /2/dm_conversations/with/:id/messages", TB_WINDOW_24H, &day);
  g_assert_cmpint(tb_budget_wait_s(b, "POST /2/dm_conversations/with/:id/messages", NOW), ==, 7201);
  tb_budget_free(b);
}

static void
test_hostile_headers_are_clamped(void)
{
  TbBudget *b = tb_budget_new();
  set15(b, DMS, -5, 1000, NOW + 900); /* negative limit, more left than the limit */
  g_assert_cmpint(tb_budget_left(b, DMS, NOW, NULL), ==, 0);
  /* a reset a year away waits one window, not a year */
  set15(b, DMS, 15, 0, NOW + 365 * 86400);
  g_assert_cmpint(tb_budget_wait_s(b, DMS, NOW), ==, 15 * 60 + 1);
  /* endpoints are bounded */
  for (int i = 0; i < 10 * TB_BUDGET_MAX_ENDPOINTS; i++) {
    g_autofree char *name = g_strdup_printf("GET /x/%d", i);
    set15(b, name, 1, 1, NOW + 1);
  }
  tb_budget_free(b);
}

static void
test_pace_spreads_the_window(void)
{
  TbBudget *b = tb_budget_new();
  /* 15 a window, one kept for a walk: 14 polls over 900 s is one every 64 s */
  set15(b, DMS, 15, 15, NOW + 900);
  g_assert_cmpuint(tb_budget_pace_s(b, DMS, 60, 1, NOW), ==, 64);
  /* plenty left near the end of the window: the floor */
  g_assert_cmpuint(tb_budget_pace_s(b, DMS, 60, 1, NOW + 850), ==, 60);
  /* only the reserve left: wait for the window to turn */
  set15(b, DMS, 15, 1, NOW + 300);
  g_assert_cmpuint(tb_budget_pace_s(b, DMS, 60, 1, NOW), ==, 301);
  /* an idle floor above the budget's pace wins */
  set15(b, DMS, 15, 15, NOW + 900);
  g_assert_cmpuint(tb_budget_pace_s(b, DMS, 120, 1, NOW), ==, 120);
  tb_budget_free(b);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/budget/unknown-goes", test_unknown_goes);
  g_test_add_func("/budget/spending-to-the-end-waits",
                  test_spending_to_the_end_waits_for_the_reset);
  g_test_add_func("/budget/429-empties-the-window", test_429_empties_the_window);
  g_test_add_func("/budget/daily-window-counts-too", test_daily_window_counts_too);
  g_test_add_func("/budget/hostile-headers-are-clamped", test_hostile_headers_are_clamped);
  g_test_add_func("/budget/pace-spreads-the-window", test_pace_spreads_the_window);
  return g_test_run();
}
