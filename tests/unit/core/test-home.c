/* The home timeline's pure parts (issue 17 item 2): the size of a read, the cursor, the marks of
 * the user's own posts, the bounded ids shown, and the price said when it is switched on.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "core/tb-bounds.h"
#include "core/tb-cost.h"
#include "core/tb-home.h"

#include <string.h>

static void
test_page_size(void)
{
  /* switching on reads a small page; with a cursor, what is new, up to X's 100 */
  g_assert_cmpint(tb_home_page_size(NULL), ==, 20);
  g_assert_cmpint(tb_home_page_size("1790000000000000001"), ==, 100);
  g_assert_cmpint(TB_HOME_PAGE, <=, 100); /* X's max_results is 1..100 */
  g_assert_cmpint(TB_HOME_FIRST_READ, >=, 1);
}

static void
test_cursor(void)
{
  g_assert_true(tb_home_is_new("5", NULL));
  g_assert_true(tb_home_is_new("1790000000000000002", "1790000000000000001"));
  g_assert_false(tb_home_is_new("1790000000000000001", "1790000000000000001"));
  g_assert_false(tb_home_is_new("1790000000000000000", "1790000000000000001"));
  /* numeric, not text: 10 is after 9 */
  g_assert_true(tb_home_is_new("10", "9"));
  g_assert_false(tb_home_is_new(NULL, "9"));

  /* more than one read takes: a gap, said; a first read takes only the newest on purpose */
  g_assert_true(tb_home_is_gap("9", TRUE));
  g_assert_false(tb_home_is_gap("9", FALSE));
  g_assert_false(tb_home_is_gap(NULL, TRUE));
}

static void
test_marks(void)
{
  const char *const others[] = {"300", "200", NULL};
  guint which = 99;

  g_assert_cmpint(tb_home_mark("100", "100", others, &which), ==, TB_HOME_MARK_OWN);
  g_assert_cmpint(tb_home_mark("200", "100", others, &which), ==, TB_HOME_MARK_OTHER);
  g_assert_cmpuint(which, ==, 1);
  g_assert_cmpint(tb_home_mark("400", "100", others, NULL), ==, TB_HOME_MARK_NONE);
  g_assert_cmpint(tb_home_mark("200", "100", NULL, NULL), ==, TB_HOME_MARK_NONE);
  g_assert_cmpint(tb_home_mark(NULL, "100", others, NULL), ==, TB_HOME_MARK_NONE);
  /* an id is not a prefix match */
  g_assert_cmpint(tb_home_mark("20", "100", others, NULL), ==, TB_HOME_MARK_NONE);

  g_autofree char *own = tb_home_mark_text(TB_HOME_MARK_OWN, NULL);
  g_autofree char *other = tb_home_mark_text(TB_HOME_MARK_OTHER, "work");
  g_assert_cmpstr(own, ==, "(your post)");
  g_assert_cmpstr(other, ==, "(your work account)");
  g_assert_null(tb_home_mark_text(TB_HOME_MARK_NONE, "work"));
}

static void
test_price_notice(void)
{
  g_autofree char *text = tb_home_price_notice("pat_home", "personal", 300);
  g_autofree char *post =
      g_strdup_printf("$%.3f per new post", tb_cost_price_micros(TB_COST_READ_POST) / 1e6);
  g_autofree char *user =
      g_strdup_printf("$%.3f per author", tb_cost_price_micros(TB_COST_READ_USER) / 1e6);

  g_assert_nonnull(strstr(text, "@pat_home (personal)"));
  g_assert_nonnull(strstr(text, "every 300 s"));
  /* from the cost meter's own table, so the two can never disagree */
  g_assert_nonnull(strstr(text, post));
  g_assert_nonnull(strstr(text, "$0.005 per new post"));
  g_assert_nonnull(strstr(text, "up to 100 per read ($0.50 at most)"));
  g_assert_nonnull(strstr(text, user));
  g_assert_nonnull(strstr(text, "newest 20"));
  g_assert_nonnull(strstr(text, "timeline to off"));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/home/page-size", test_page_size);
  g_test_add_func("/home/cursor", test_cursor);
  g_test_add_func("/home/marks", test_marks);
  g_test_add_func("/home/price-notice", test_price_notice);
  return g_test_run();
}
