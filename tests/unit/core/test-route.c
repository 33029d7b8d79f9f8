/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/tb-route.h"

static void
test_own_buddy_posts(void)
{
  TbRoute r = tb_route_im("pat_home", "pat_home", NULL);
  g_assert_cmpint(r.action, ==, TB_ROUTE_SEND);
  g_assert_cmpint(r.kind, ==, TB_OUTBOX_POST);
  g_assert_null(r.target);
  g_assert_true(r.bare_words);
  /* X handles are case-insensitive, and the account name may carry its '@' */
  r = tb_route_im("Pat_Home", "@pat_home", NULL);
  g_assert_cmpint(r.kind, ==, TB_OUTBOX_POST);
}

static void
test_anyone_else_gets_a_dm(void)
{
  TbRoute r = tb_route_im("alice", "pat_home", NULL);
  g_assert_cmpint(r.action, ==, TB_ROUTE_SEND);
  g_assert_cmpint(r.kind, ==, TB_OUTBOX_DM);
  g_assert_cmpstr(r.target, ==, "alice");
  g_assert_false(r.bare_words); /* "post this" to a person is a DM that says so */
  /* a thread is only what the caller found: a plain name never replies */
  r = tb_route_im("alice", "pat_home", "1790000000000000042");
  g_assert_cmpint(r.kind, ==, TB_OUTBOX_DM);
}

static void
test_author_thread_replies(void)
{
  TbRoute r = tb_route_im("@alice", "pat_home", "1790000000000000042");
  g_assert_cmpint(r.kind, ==, TB_OUTBOX_REPLY);
  g_assert_cmpstr(r.target, ==, "1790000000000000042");
  g_assert_true(r.bare_words);
  /* an "@author" IM without a thread (closed, or none yet) is a DM to that author */
  r = tb_route_im("@alice", "pat_home", NULL);
  g_assert_cmpint(r.kind, ==, TB_OUTBOX_DM);
  g_assert_cmpstr(r.target, ==, "alice");
  g_assert_true(r.bare_words);
  /* "@" + own handle with a thread: the reply wins over posting */
  r = tb_route_im("@pat_home", "pat_home", "1790000000000000007");
  g_assert_cmpint(r.kind, ==, TB_OUTBOX_REPLY);
}

static void
test_chat(void)
{
  TbRoute r = tb_route_chat("1790000000000000042");
  g_assert_cmpint(r.action, ==, TB_ROUTE_SEND);
  g_assert_cmpint(r.kind, ==, TB_OUTBOX_REPLY);
  g_assert_cmpstr(r.target, ==, "1790000000000000042");
  g_assert_true(r.bare_words);
  r = tb_route_chat(NULL);
  g_assert_cmpint(r.action, ==, TB_ROUTE_NOTHING);
}

static void
test_post_keys(void)
{
  TbShortEntry mine = {.tweet_id = "1790000000000000042", .account = "pat_home"};

  /* short ids: at most three characters, looked up in the ring by the caller */
  g_assert_true(tb_route_is_short_key("3f"));
  g_assert_true(tb_route_is_short_key("07"));
  g_assert_false(tb_route_is_short_key("1790000000000000042"));
  g_assert_cmpint(tb_route_post_key("3f", &mine, "pat_home"), ==, TB_POST_KEY_SHORT_ID);
  g_assert_cmpint(tb_route_post_key("3f", &mine, "@Pat_Home"), ==, TB_POST_KEY_SHORT_ID);
  g_assert_cmpint(tb_route_post_key("3f", &mine, "pat_acme"), ==, TB_POST_KEY_OTHER_ACCOUNT);
  g_assert_cmpint(tb_route_post_key("07", NULL, "pat_home"), ==, TB_POST_KEY_UNKNOWN);
  /* full ids: X's decimal ids of up to 19 digits, whatever the ring holds */
  g_assert_cmpint(tb_route_post_key("1790000000000000042", NULL, "pat_home"), ==,
                  TB_POST_KEY_FULL_ID);
  g_assert_cmpint(tb_route_post_key("12345678901234567890", NULL, "pat_home"), ==,
                  TB_POST_KEY_UNKNOWN); /* 20 digits */
  g_assert_cmpint(tb_route_post_key("17900abc", NULL, "pat_home"), ==, TB_POST_KEY_UNKNOWN);
  g_assert_cmpint(tb_route_post_key("", NULL, "pat_home"), ==, TB_POST_KEY_UNKNOWN);
  g_assert_true(tb_ids_is_x_id("1"));
  g_assert_false(tb_ids_is_x_id(NULL));
  g_assert_false(tb_ids_is_x_id("-1"));
}

static void
test_ask_first(void)
{
  static const struct {
    TbConfirmPublic mode;
    TbOutboxKind kind;
    TbPublicFrom from;
    TbLineShape shape;
    TbAsk want;
  } cases[] = {
      /* the default asks about implicit replies and reposts, not posts typed on purpose */
      {TB_CONFIRM_REPLIES, TB_OUTBOX_REPLY, TB_FROM_THREAD, TB_LINE_TEXT, TB_ASK_PUBLIC},
      {TB_CONFIRM_REPLIES, TB_OUTBOX_POST, TB_FROM_REPOST, TB_LINE_TEXT, TB_ASK_PUBLIC},
      {TB_CONFIRM_REPLIES, TB_OUTBOX_POST, TB_FROM_TYPED, TB_LINE_TEXT, TB_ASK_NO},
      {TB_CONFIRM_REPLIES, TB_OUTBOX_REPLY, TB_FROM_COMMAND, TB_LINE_TEXT, TB_ASK_NO},
      {TB_CONFIRM_ALL, TB_OUTBOX_POST, TB_FROM_TYPED, TB_LINE_TEXT, TB_ASK_PUBLIC},
      {TB_CONFIRM_ALL, TB_OUTBOX_REPLY, TB_FROM_COMMAND, TB_LINE_TEXT, TB_ASK_PUBLIC},
      {TB_CONFIRM_OFF, TB_OUTBOX_REPLY, TB_FROM_THREAD, TB_LINE_TEXT, TB_ASK_NO},
      /* garbage and a lone command word ask even when confirm_public is off */
      {TB_CONFIRM_OFF, TB_OUTBOX_REPLY, TB_FROM_THREAD, TB_LINE_ESCAPES, TB_ASK_ESCAPES},
      {TB_CONFIRM_OFF, TB_OUTBOX_POST, TB_FROM_COMMAND, TB_LINE_LONE_COMMAND, TB_ASK_LONE_WORD},
      /* DMs are not public */
      {TB_CONFIRM_ALL, TB_OUTBOX_DM, TB_FROM_COMMAND, TB_LINE_TEXT, TB_ASK_NO},
      {TB_CONFIRM_ALL, TB_OUTBOX_DM, TB_FROM_COMMAND, TB_LINE_ESCAPES, TB_ASK_NO},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    g_assert_cmpint(tb_route_ask_first(cases[i].mode, cases[i].kind, cases[i].from, cases[i].shape),
                    ==, cases[i].want);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/route/own-buddy-posts", test_own_buddy_posts);
  g_test_add_func("/route/anyone-else-gets-a-dm", test_anyone_else_gets_a_dm);
  g_test_add_func("/route/author-thread-replies", test_author_thread_replies);
  g_test_add_func("/route/chat", test_chat);
  g_test_add_func("/route/post-keys", test_post_keys);
  g_test_add_func("/route/ask-first", test_ask_first);
  return g_test_run();
}
