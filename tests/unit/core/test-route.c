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

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/route/own-buddy-posts", test_own_buddy_posts);
  g_test_add_func("/route/anyone-else-gets-a-dm", test_anyone_else_gets_a_dm);
  g_test_add_func("/route/author-thread-replies", test_author_thread_replies);
  g_test_add_func("/route/chat", test_chat);
  return g_test_run();
}
