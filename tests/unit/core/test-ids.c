/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/tb-bounds.h"
#include "core/tb-ids.h"

#include <string.h>

static void
test_compare(void)
{
  static const struct {
    const char *a, *b;
    int want;
  } cases[] = {
      {"1", "2", -1},
      {"10", "9", 1},
      {"1790000000000000001", "1790000000000000002", -1}, /* above 2^53: doubles would say 0 */
      {"9007199254740993", "9007199254740992", 1},
      {"0042", "42", 0},
      {"123", "123", 0},
      {NULL, "1", -1},
      {"1", NULL, 1},
      {NULL, NULL, 0},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    g_assert_cmpint(tb_id_compare(cases[i].a, cases[i].b), ==, cases[i].want);
}

static void
test_shortids_ring(void)
{
  TbShortIds *ids = tb_shortids_new(256);
  const char *first = tb_shortids_add(ids, "1790000000000000001", "pat_home", "alice", "17");

  g_assert_cmpstr(first, ==, "00");
  /* the same post for the same account keeps its short id */
  g_assert_cmpstr(tb_shortids_add(ids, "1790000000000000001", "pat_home", "alice", "17"), ==, "00");
  /* the same post seen by the other account gets its own: commands act per account */
  g_assert_cmpstr(tb_shortids_add(ids, "1790000000000000001", "pat_at_acme", "alice", "17"), ==,
                  "01");

  const TbShortEntry *e = tb_shortids_lookup(ids, "00");
  g_assert_nonnull(e);
  g_assert_cmpstr(e->tweet_id, ==, "1790000000000000001");
  g_assert_cmpstr(e->account, ==, "pat_home");
  g_assert_cmpstr(e->author, ==, "alice");
  g_assert_nonnull(tb_shortids_lookup(ids, "1790000000000000001"));
  g_assert_null(tb_shortids_lookup(ids, "ff")); /* never assigned */
  g_assert_null(tb_shortids_lookup(ids, "zz")); /* not hex */
  g_assert_null(tb_shortids_lookup(ids, ""));
  g_assert_null(tb_shortids_lookup(ids, "123456789012"));

  /* wrap around: slot 00 is reused after 256 more */
  for (int i = 0; i < 256; i++) {
    char id[32];
    g_snprintf(id, sizeof id, "%d", 5000 + i);
    tb_shortids_add(ids, id, "pat_home", "bob", id);
  }
  g_assert_null(tb_shortids_lookup(ids, "1790000000000000001"));
  g_assert_cmpstr(tb_shortids_lookup(ids, "00")->tweet_id, ==, "5254");
  tb_shortids_free(ids);
}

/* X's documented example: post 1050118621198921728 was created 2018-10-10T20:19:24.211Z. */
static void
test_from_time(void)
{
  g_autofree char *at = tb_id_from_time(G_GINT64_CONSTANT(1539202764000));
  g_autofree char *exact = tb_id_from_time(G_GINT64_CONSTANT(1539202764211));
  g_autofree char *zero = tb_id_from_time(0);
  g_autofree char *far = tb_id_from_time(G_MAXINT64);

  g_assert_cmpstr(at, ==, "1050118620312502272");
  g_assert_cmpint(tb_id_compare(at, "1050118621198921728"), <, 0); /* made after that time */
  g_assert_cmpint(tb_id_compare(exact, "1050118621198921728"), <=, 0);
  g_assert_cmpstr(zero, ==, "0");
  g_assert_cmpint(strlen(far), <=, 19); /* still an X id, not a wrapped number */
}

static void
test_set_bounded(void)
{
  TbIdSet *s = tb_id_set_new(3);
  g_assert_true(tb_id_set_add(s, "1"));
  g_assert_false(tb_id_set_add(s, "1")); /* shown once */
  g_assert_true(tb_id_set_add(s, "2"));
  g_assert_true(tb_id_set_add(s, "3"));
  g_assert_true(tb_id_set_add(s, "4")); /* "1" is forgotten: the set stays at its cap */
  g_assert_cmpuint(tb_id_set_size(s), ==, 3);
  g_assert_false(tb_id_set_contains(s, "1"));
  g_assert_true(tb_id_set_contains(s, "4"));
  g_assert_false(tb_id_set_contains(s, NULL));
  g_assert_false(tb_id_set_add(s, "4"));
  g_assert_false(tb_id_set_add(s, "2"));
  g_assert_true(tb_id_set_add(s, "1"));
  g_assert_false(tb_id_set_add(s, NULL));
  tb_id_set_free(s);
  tb_id_set_free(NULL);

  char id[24];
  s = tb_id_set_new(TB_BOUND_TIMELINE_SEEN);
  for (int i = 0; i < TB_BOUND_TIMELINE_SEEN * 2; i++) {
    g_snprintf(id, sizeof id, "%d", i);
    g_assert_true(tb_id_set_add(s, id));
  }
  g_assert_cmpuint(tb_id_set_size(s), ==, TB_BOUND_TIMELINE_SEEN);
  tb_id_set_free(s);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/ids/compare", test_compare);
  g_test_add_func("/ids/from-time", test_from_time);
  g_test_add_func("/ids/shortids-ring", test_shortids_ring);
  g_test_add_func("/ids/set-bounded", test_set_bounded);
  return g_test_run();
}
