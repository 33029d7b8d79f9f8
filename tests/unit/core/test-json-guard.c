/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/tb-json-guard.h"

#include <string.h>

static gboolean
check(const char *text, guint max_depth, GError **error)
{
  return tb_json_guard_check(text, strlen(text), max_depth, error);
}

static void
test_depth(void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true(check("{\"data\":[{\"id\":\"1\",\"entities\":{\"urls\":[{}]}}]}", 6, NULL));
  g_assert_false(check("{\"data\":[{\"id\":\"1\",\"entities\":{\"urls\":[{}]}}]}", 5, &error));
  g_assert_error(error, TB_JSON_GUARD_ERROR, TB_JSON_GUARD_ERROR_DEPTH);
  /* brackets inside strings, escaped quotes included, are text, not nesting */
  g_assert_true(check("{\"text\":\"[[[[[[ \\\" {{{{{{ \\\\\"}", 1, NULL));
  g_assert_true(check("[]]]]][", 1, NULL)); /* closers never go below zero */
  g_assert_true(check("", 1, NULL));
}

static void
test_deep_body(void)
{
  /* the 400 KB body that used to overflow json-glib's stack */
  gsize n = 200 * 1024;
  g_autofree char *body = g_malloc(2 * n);
  memset(body, '[', n);
  memset(body + n, ']', n);
  g_autoptr(GError) error = NULL;

  g_assert_false(tb_json_guard_check(body, 2 * n, TB_JSON_GUARD_MAX_DEPTH, &error));
  g_assert_error(error, TB_JSON_GUARD_ERROR, TB_JSON_GUARD_ERROR_DEPTH);
  g_assert_true(tb_json_guard_check(body + n - TB_JSON_GUARD_MAX_DEPTH, 2 * TB_JSON_GUARD_MAX_DEPTH,
                                    TB_JSON_GUARD_MAX_DEPTH, NULL));
}

static void
test_encoding(void)
{
  g_autoptr(GError) e1 = NULL;
  g_autoptr(GError) e2 = NULL;
  static const char nul[] = "{\"text\":\"a\0b\"}";

  g_assert_false(tb_json_guard_check(nul, sizeof nul - 1, 8, &e1));
  g_assert_error(e1, TB_JSON_GUARD_ERROR, TB_JSON_GUARD_ERROR_ENCODING);
  g_assert_false(check("{\"text\":\"\xff\xfe\"}", 8, &e2));
  g_assert_error(e2, TB_JSON_GUARD_ERROR, TB_JSON_GUARD_ERROR_ENCODING);
  g_assert_true(check("{\"text\":\"caf\xc3\xa9 \xf0\x9f\x90\xa6\"}", 8, NULL));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/json-guard/depth", test_depth);
  g_test_add_func("/json-guard/deep-body", test_deep_body);
  g_test_add_func("/json-guard/encoding", test_encoding);
  return g_test_run();
}
