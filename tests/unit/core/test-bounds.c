/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/tb-bounds.h"

#include <string.h>

static void
test_dup(void)
{
  gboolean cut = TRUE;
  g_autofree char *same = tb_bounds_dup("short", 10, &cut);
  g_assert_cmpstr(same, ==, "short");
  g_assert_false(cut);
  g_assert_null(tb_bounds_dup(NULL, 10, &cut));

  /* counted in characters, never cut inside one: 4 bytes each */
  g_autofree char *birds =
      tb_bounds_dup("\xf0\x9f\x90\xa6\xf0\x9f\x90\xa6\xf0\x9f\x90\xa6", 2, &cut);
  g_assert_true(cut);
  g_assert_cmpstr(birds, ==, "\xf0\x9f\x90\xa6\xf0\x9f\x90\xa6");
  g_assert_true(g_utf8_validate(birds, -1, NULL));
  /* more bytes than the bound but not more characters: kept whole */
  g_autofree char *cafe = tb_bounds_dup("caf\xc3\xa9", 4, &cut);
  g_assert_false(cut);
  g_assert_cmpstr(cafe, ==, "caf\xc3\xa9");
}

static void
test_huge(void)
{
  /* the 3 MiB post of the hostile tests */
  gsize n = 3 * 1024 * 1024;
  g_autofree char *big = g_malloc(n + 1);
  memset(big, 'a', n);
  big[n] = '\0';
  gboolean cut = FALSE;
  g_autofree char *kept = tb_bounds_dup(big, TB_BOUND_POST_CHARS, &cut);
  g_assert_true(cut);
  g_assert_cmpuint(strlen(kept), ==, TB_BOUND_POST_CHARS);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/bounds/dup", test_dup);
  g_test_add_func("/bounds/huge", test_huge);
  return g_test_run();
}
