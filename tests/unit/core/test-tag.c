/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/tb-tag.h"

#include <string.h>

static void
test_expand(void)
{
  static const struct {
    const char *format, *want;
  } cases[] = {
      {TB_TAG_DEFAULT_FORMAT, "[work @dave_acme]"},
      {"({handle})", "(dave_acme)"},
      {"{role}/{handle}/{role}", "work/dave_acme/work"},
      {"{{literal}} {handle}", "{literal} dave_acme"},
      {"{unknown} {handle}", "{unknown} dave_acme"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *got = tb_tag_expand(cases[i].format, "work", "dave_acme");
    g_assert_cmpstr(got, ==, cases[i].want);
  }
}

static void
test_valid(void)
{
  g_autoptr(GError) error = NULL;
  g_assert_true(tb_tag_format_is_valid("[{role} @{handle}]", NULL));
  /* a tag that does not name the account would defeat its purpose */
  g_assert_false(tb_tag_format_is_valid("[{role}]", &error));
  g_assert_nonnull(strstr(error->message, "tag_format"));
  g_assert_false(tb_tag_format_is_valid("", NULL));
  g_assert_false(tb_tag_format_is_valid(NULL, NULL));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/tag/expand", test_expand);
  g_test_add_func("/tag/valid", test_valid);
  return g_test_run();
}
