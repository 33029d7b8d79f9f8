/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/tb-bounds.h"
#include "core/tb-cost.h"

#define DAY 86400
#define T0 (20000 * (gint64)DAY + 3600) /* 01:00 UTC on some day */

static void
test_prices(void)
{
  /* xapi.md §2.4, pay-per-use */
  g_assert_cmpint(tb_cost_price_micros(TB_COST_READ_POST), ==, 5000);
  g_assert_cmpint(tb_cost_price_micros(TB_COST_READ_DM_EVENT), ==, 10000);
  g_assert_cmpint(tb_cost_price_micros(TB_COST_WRITE_POST), ==, 15000);
  g_assert_cmpint(tb_cost_price_micros(TB_COST_WRITE_POST_URL), ==, 200000);
  g_assert_cmpint(tb_cost_price_micros(TB_COST_WRITE_DM), ==, 15000);
  g_assert_cmpint(tb_cost_price_micros(TB_COST_NONE), ==, 0);
}

static void
test_dedupe_per_utc_day(void)
{
  TbCostMeter *m = tb_cost_meter_new();
  guint items = 0;

  g_assert_cmpint(tb_cost_meter_add(m, TB_COST_READ_DM_EVENT, "1790000000000000001", T0), ==,
                  10000);
  /* the same event again the same UTC day is not billed again */
  g_assert_cmpint(tb_cost_meter_add(m, TB_COST_READ_DM_EVENT, "1790000000000000001", T0 + 60), ==,
                  0);
  /* a post with the same id is another resource */
  g_assert_cmpint(tb_cost_meter_add(m, TB_COST_READ_POST, "1790000000000000001", T0), ==, 5000);
  /* writes are billed every time */
  tb_cost_meter_add(m, TB_COST_WRITE_DM, NULL, T0);
  tb_cost_meter_add(m, TB_COST_WRITE_DM, NULL, T0);
  g_assert_cmpint(tb_cost_meter_today(m, T0 + 120, &items), ==, 10000 + 5000 + 2 * 15000);
  g_assert_cmpuint(items, ==, 4);
  g_assert_cmpuint(tb_cost_meter_count(m, TB_COST_WRITE_DM, T0), ==, 2);

  /* next UTC day: counters start over and the event is billable again */
  gint64 t1 = T0 + DAY;
  g_assert_cmpint(tb_cost_meter_today(m, t1, &items), ==, 0);
  g_assert_cmpuint(items, ==, 0);
  g_assert_cmpint(tb_cost_meter_add(m, TB_COST_READ_DM_EVENT, "1790000000000000001", t1), ==,
                  10000);
  tb_cost_meter_free(m);
}

static void
test_seen_is_bounded(void)
{
  TbCostMeter *m = tb_cost_meter_new();
  const gint64 now = 1700000000;
  char id[24];

  for (int i = 0; i < TB_BOUND_COST_SEEN + 10; i++) {
    g_snprintf(id, sizeof id, "%d", i);
    g_assert_cmpint(tb_cost_meter_add(m, TB_COST_READ_DM_EVENT, id, now), ==, 10000);
  }
  /* known ones are still free the same day; past the cap a resource counts again */
  g_assert_cmpint(tb_cost_meter_add(m, TB_COST_READ_DM_EVENT, "5", now), ==, 0);
  g_snprintf(id, sizeof id, "%d", TB_BOUND_COST_SEEN + 5);
  g_assert_cmpint(tb_cost_meter_add(m, TB_COST_READ_DM_EVENT, id, now), ==, 10000);
  tb_cost_meter_free(m);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cost/prices", test_prices);
  g_test_add_func("/cost/dedupe-per-utc-day", test_dedupe_per_utc_day);
  g_test_add_func("/cost/seen-is-bounded", test_seen_is_bounded);
  return g_test_run();
}
