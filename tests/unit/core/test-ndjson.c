/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/tb-ndjson.h"

#include <string.h>

typedef struct {
  GPtrArray *got; /* "L:<line>", "K", "T:<len>" */
  int stop_after; /* stop when this many items came (0: never) */
} Sink;

static gboolean
on_item(TbNdjsonKind kind, const char *line, gsize len, gpointer user_data)
{
  Sink *s = user_data;

  if (kind == TB_NDJSON_LINE) {
    g_assert_nonnull(line);
    g_assert_cmpint(line[len], ==, '\0');
    g_assert_null(memchr(line, '\n', len));
    GString *item = g_string_new("L:");
    for (gsize i = 0; i < len; i++)
      g_string_append(item, line[i] ? (char[]){line[i], 0} : "\\0"); /* a NUL shown as \0 */
    g_ptr_array_add(s->got, g_string_free(item, FALSE));
  } else if (kind == TB_NDJSON_KEEPALIVE) {
    g_assert_null(line);
    g_ptr_array_add(s->got, g_strdup("K"));
  } else {
    g_assert_null(line);
    g_ptr_array_add(s->got, g_strdup_printf("T:%zu", len));
  }
  return s->stop_after == 0 || (int)s->got->len < s->stop_after;
}

static char *
joined(Sink *s)
{
  g_ptr_array_add(s->got, NULL);
  char *out = g_strjoinv("|", (char **)s->got->pdata);
  g_ptr_array_remove_index(s->got, s->got->len - 1);
  return out;
}

/* Feeds text in chunks of every size from 1 to its length: the result never depends on them. */
static void
check_split(const char *text, gsize max_line, const char *want)
{
  gsize n = strlen(text);
  for (gsize chunk = 1; chunk <= MAX(n, 1); chunk++) {
    Sink s = {g_ptr_array_new_with_free_func(g_free), 0};
    g_autoptr(TbNdjson) nd = tb_ndjson_new(max_line, on_item, &s);
    for (gsize off = 0; off < n; off += chunk) {
      g_assert_true(tb_ndjson_feed(nd, text + off, MIN(chunk, n - off)));
      g_assert_cmpuint(tb_ndjson_pending(nd), <=, max_line + 1);
    }
    g_autofree char *got = joined(&s);
    g_assert_cmpstr(got, ==, want);
    g_ptr_array_unref(s.got);
  }
}

static void
test_lines(void)
{
  check_split("{\"a\":1}\n{\"b\":2}\n", 64, "L:{\"a\":1}|L:{\"b\":2}");
  check_split("{\"a\":1}\r\n{\"b\":2}\r\n", 64, "L:{\"a\":1}|L:{\"b\":2}");
  /* an unfinished last line waits for its newline */
  check_split("one\ntwo", 64, "L:one");
  check_split("", 64, "");
}

static void
test_keepalives(void)
{
  check_split("\r\n\r\n{\"a\":1}\r\n\n \t\r\n", 64, "K|K|L:{\"a\":1}|K|K");
  Sink s = {g_ptr_array_new_with_free_func(g_free), 0};
  g_autoptr(TbNdjson) nd = tb_ndjson_new(64, on_item, &s);
  tb_ndjson_feed(nd, "\r\n\nx\n", 5);
  g_assert_cmpuint(tb_ndjson_keepalives(nd), ==, 2);
  g_assert_cmpuint(tb_ndjson_lines(nd), ==, 1);
  g_ptr_array_unref(s.got);
}

static void
test_too_long(void)
{
  /* 8 bytes fit exactly, with either ending; 9 do not, reported once, then the next line */
  check_split("12345678\n12345678\r\n", 8, "L:12345678|L:12345678");
  check_split("123456789\nok\n", 8, "T:8|L:ok");
  check_split("123456789\r\nok\r\n", 8, "T:8|L:ok");
  check_split("12345678x\r\nok\n", 8, "T:8|L:ok");
  /* a very long line is reported once, however many chunks it spans */
  GString *big = g_string_new(NULL);
  for (int i = 0; i < 1000; i++)
    g_string_append(big, "abcdefghij");
  g_string_append(big, "\nafter\n");
  Sink s = {g_ptr_array_new_with_free_func(g_free), 0};
  g_autoptr(TbNdjson) nd = tb_ndjson_new(100, on_item, &s);
  for (gsize off = 0; off < big->len; off += 7) {
    tb_ndjson_feed(nd, big->str + off, MIN(7, big->len - off));
    g_assert_cmpuint(tb_ndjson_pending(nd), <=, 101);
  }
  g_autofree char *got = joined(&s);
  g_assert_cmpstr(got, ==, "T:100|L:after");
  g_assert_cmpuint(tb_ndjson_too_long(nd), ==, 1);
  g_ptr_array_unref(s.got);
  g_string_free(big, TRUE);
}

static void
test_nul_bytes(void)
{
  /* a NUL inside a line is kept and counted in len (the JSON guard refuses it later) */
  Sink s = {g_ptr_array_new_with_free_func(g_free), 0};
  g_autoptr(TbNdjson) nd = tb_ndjson_new(64, on_item, &s);
  g_assert_true(tb_ndjson_feed(nd, "a\0b\r\n", 5));
  g_autofree char *got = joined(&s);
  g_assert_cmpstr(got, ==, "L:a\\0b");
  g_ptr_array_unref(s.got);
}

static void
test_stop_and_reset(void)
{
  Sink s = {g_ptr_array_new_with_free_func(g_free), 1};
  g_autoptr(TbNdjson) nd = tb_ndjson_new(64, on_item, &s);

  g_assert_false(tb_ndjson_feed(nd, "a\nb\nc", 5)); /* stopped after "a": b and c dropped */
  g_assert_cmpuint(s.got->len, ==, 1);
  s.stop_after = 0;
  tb_ndjson_feed(nd, "partial", 7);
  g_assert_cmpuint(tb_ndjson_pending(nd), ==, 7);
  tb_ndjson_reset(nd); /* a new connection: the old half line is gone */
  g_assert_cmpuint(tb_ndjson_pending(nd), ==, 0);
  tb_ndjson_feed(nd, "new\n", 4);
  g_autofree char *got = joined(&s);
  g_assert_cmpstr(got, ==, "L:a|L:new");
  /* a reset inside an over-long line ends the skipping */
  g_autofree char *xs = g_strnfill(100, 'x');
  tb_ndjson_feed(nd, xs, 100);
  tb_ndjson_reset(nd);
  tb_ndjson_feed(nd, "z\n", 2);
  g_autofree char *got2 = joined(&s);
  g_assert_cmpstr(got2, ==, "L:a|L:new|T:64|L:z");
  g_ptr_array_unref(s.got);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/ndjson/lines", test_lines);
  g_test_add_func("/ndjson/keepalives", test_keepalives);
  g_test_add_func("/ndjson/too-long", test_too_long);
  g_test_add_func("/ndjson/nul-bytes", test_nul_bytes);
  g_test_add_func("/ndjson/stop-and-reset", test_stop_and_reset);
  return g_test_run();
}
