/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/tb-textmatch.h"

static void
test_key(void)
{
  g_autofree char *k1 = tb_textmatch_key("  see   https://example.com/a?b=1 \n now ", FALSE);
  g_autofree char *k2 = tb_textmatch_key("Caf\xc3\xa9  OK", TRUE);
  g_autofree char *k3 = tb_textmatch_key("\xef\xbc\xa1", TRUE); /* fullwidth A */

  g_assert_cmpstr(k1, ==, "see now");
  g_assert_cmpstr(k2, ==, "caf\xc3\xa9 ok");
  g_assert_cmpstr(k3, ==, "a");
  g_assert_null(tb_textmatch_key(NULL, FALSE));
}

static void
test_same(void)
{
  /* X serves links as t.co, and may break lines differently */
  g_assert_true(tb_textmatch_same("read this: https://example.com/long/path ok",
                                  "read this: https://t.co/abc123XYZ ok"));
  g_assert_true(tb_textmatch_same("two\nlines", "two lines"));
  g_assert_true(tb_textmatch_same("\xf0\x9f\x90\xa6 bird", "\xf0\x9f\x90\xa6  bird"));
  g_assert_false(tb_textmatch_same("ok", "OK"));
  g_assert_false(tb_textmatch_same("one", "one more"));
  g_assert_false(tb_textmatch_same(NULL, "x"));
}

static void
test_same_reply(void)
{
  g_assert_true(tb_textmatch_same_reply("sounds good", "@alice @bob sounds good"));
  g_assert_true(tb_textmatch_same_reply("@alice sounds good", "@alice sounds good"));
  g_assert_true(tb_textmatch_same_reply("\xef\xbc\xa0"
                                        "carol yes",
                                        "yes"));
  g_assert_false(tb_textmatch_same_reply("sounds good", "@alice sounds bad"));
  /* an @ that is not a handle stays part of the text */
  g_assert_false(tb_textmatch_same_reply("@ home", "home"));
  g_assert_false(tb_textmatch_same_reply("@this_handle_is_too_long yes", "yes"));
}

static void
test_near(void)
{
  /* the guard: the same words from both accounts, whatever the case, spacing or links */
  g_assert_true(
      tb_textmatch_near("Launch day! https://acme.com/launch", "launch  DAY! https://t.co/q"));
  g_assert_true(tb_textmatch_near("two\nlines", "Two Lines"));
  g_assert_false(tb_textmatch_near("launch day", "launch night"));
  g_assert_false(tb_textmatch_near(NULL, "x"));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/textmatch/key", test_key);
  g_test_add_func("/textmatch/same", test_same);
  g_test_add_func("/textmatch/same-reply", test_same_reply);
  g_test_add_func("/textmatch/near", test_near);
  return g_test_run();
}
