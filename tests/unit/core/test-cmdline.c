/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/tb-cmdline.h"

static void
test_word(void)
{
  gboolean explicit = TRUE;
  const char *args = NULL;
  g_autofree char *w1 = tb_cmdline_word("rt 3f", &explicit, &args);
  g_assert_cmpstr(w1, ==, "rt");
  g_assert_false(explicit);
  g_assert_cmpstr(args, ==, " 3f");

  g_autofree char *w2 = tb_cmdline_word("!retry", &explicit, &args);
  g_assert_cmpstr(w2, ==, "retry");
  g_assert_true(explicit);
  g_assert_cmpstr(args, ==, "");

  g_autofree char *w3 = tb_cmdline_word("", &explicit, &args);
  g_assert_cmpstr(w3, ==, "");
  g_autofree char *w4 = tb_cmdline_word("post\thello", NULL, NULL);
  g_assert_cmpstr(w4, ==, "post");
}

static void
test_split(void)
{
  static const struct {
    TbCmdArgs shape;
    const char *line, *word, *rest;
    gboolean ok;
  } cases[] = {
      {TB_ARGS_NONE, "", NULL, NULL, TRUE},
      {TB_ARGS_NONE, "  ", NULL, NULL, TRUE},
      {TB_ARGS_NONE, " x", NULL, NULL, FALSE},
      {TB_ARGS_WORD, " 3f ", "3f", NULL, TRUE},
      {TB_ARGS_WORD, "", NULL, NULL, FALSE},
      {TB_ARGS_WORD, "3f more", NULL, NULL, FALSE},
      {TB_ARGS_OPT_WORD, "", NULL, NULL, TRUE},
      {TB_ARGS_OPT_WORD, " o3", "o3", NULL, TRUE},
      {TB_ARGS_OPT_WORD, "o3 o4", NULL, NULL, FALSE},
      {TB_ARGS_TEXT, "  hello  world ", NULL, "hello  world", TRUE},
      {TB_ARGS_TEXT, "   ", NULL, NULL, FALSE},
      {TB_ARGS_WORD_TEXT, " alice  see you\tsoon ", "alice", "see you\tsoon", TRUE},
      {TB_ARGS_WORD_TEXT, " alice ", NULL, NULL, FALSE},
      {TB_ARGS_WORD_TEXT, NULL, NULL, NULL, FALSE},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *word = NULL;
    g_autofree char *rest = NULL;
    gboolean ok = tb_cmdline_split(cases[i].shape, cases[i].line, &word, &rest);
    g_assert_cmpint(ok, ==, cases[i].ok);
    g_assert_cmpstr(word, ==, cases[i].word);
    g_assert_cmpstr(rest, ==, cases[i].rest);
  }
}

static void
test_nick_reply(void)
{
  const char *text = NULL;
  g_autofree char *n1 = tb_cmdline_nick_reply("Alice: see you", &text);
  g_assert_cmpstr(n1, ==, "alice");
  g_assert_cmpstr(text, ==, "see you");
  g_autofree char *n2 = tb_cmdline_nick_reply("@bob_2: ok", &text);
  g_assert_cmpstr(n2, ==, "bob_2");
  g_assert_cmpstr(text, ==, "ok");
  /* an ordinary sentence with a colon is not a nick reply */
  g_assert_null(tb_cmdline_nick_reply("note to self: buy milk", &text));
  g_assert_null(tb_cmdline_nick_reply(": nobody", &text));
  g_assert_null(tb_cmdline_nick_reply("@: nobody", &text));
  g_assert_null(tb_cmdline_nick_reply("alice:no space", &text));
  g_assert_null(tb_cmdline_nick_reply("plain text", &text));
}

static void
test_shape(void)
{
  static const char *const words[] = {"rt", "post", "undo", NULL};

  g_assert_cmpint(tb_cmdline_shape("on it, tonight", words), ==, TB_LINE_TEXT);
  g_assert_cmpint(tb_cmdline_shape("[A]", words), ==, TB_LINE_TEXT);
  g_assert_cmpint(tb_cmdline_shape("OK", words), ==, TB_LINE_TEXT);
  g_assert_cmpint(tb_cmdline_shape("rt this please", words), ==, TB_LINE_TEXT);
  /* arrow keys as terminals send them, raw or as irssi shows them */
  g_assert_cmpint(tb_cmdline_shape("\x1b[A", words), ==, TB_LINE_ESCAPES);
  g_assert_cmpint(tb_cmdline_shape("^[[A^[[B", words), ==, TB_LINE_ESCAPES);
  g_assert_cmpint(tb_cmdline_shape("[A[A [B", words), ==, TB_LINE_ESCAPES);
  g_assert_cmpint(tb_cmdline_shape("^[OA", words), ==, TB_LINE_ESCAPES);
  g_assert_cmpint(tb_cmdline_shape("[1;5C", words), ==, TB_LINE_ESCAPES);
  g_assert_cmpint(tb_cmdline_shape("hello\x1b[0m", words), ==, TB_LINE_ESCAPES);
  g_assert_cmpint(tb_cmdline_shape("bell\a", words), ==, TB_LINE_ESCAPES);
  /* a lone command word, however it was decorated */
  g_assert_cmpint(tb_cmdline_shape("rt", words), ==, TB_LINE_LONE_COMMAND);
  g_assert_cmpint(tb_cmdline_shape(" /Undo. ", words), ==, TB_LINE_LONE_COMMAND);
  g_assert_cmpint(tb_cmdline_shape("!post", words), ==, TB_LINE_LONE_COMMAND);
  g_assert_cmpint(tb_cmdline_shape("retweet", words), ==, TB_LINE_TEXT);
  g_assert_cmpint(tb_cmdline_shape("...", words), ==, TB_LINE_TEXT);
  g_assert_cmpint(tb_cmdline_shape("rt", NULL), ==, TB_LINE_TEXT);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cmdline/word", test_word);
  g_test_add_func("/cmdline/split", test_split);
  g_test_add_func("/cmdline/nick-reply", test_nick_reply);
  g_test_add_func("/cmdline/shape", test_shape);
  return g_test_run();
}
