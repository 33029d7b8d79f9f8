/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/tb-endpoint.h"

static void
check_name(const char *method, const char *path, const char *want)
{
  g_autofree char *got = tb_endpoint_name(method, path);
  g_assert_cmpstr(got, ==, want);
}

static void
test_names(void)
{
  check_name("GET", "/2/users/me", "GET /2/users/me");
  check_name("GET", "/2/users/1790000000000000001/mentions?max_results=5&since_id=1",
             "GET /2/users/:id/mentions");
  check_name("GET", "/2/users/1790000000000000001/timelines/reverse_chronological?since_id=1",
             "GET /2/users/:id/timelines/reverse_chronological");
  check_name("GET", "/2/users/by/username/alice?user.fields=id",
             "GET /2/users/by/username/:username");
  /* a handle made of digits is still a handle */
  check_name("GET", "/2/users/by/username/12345", "GET /2/users/by/username/:username");
  check_name("GET", "/2/dm_events?dm_event.fields=text", "GET /2/dm_events");
  check_name("POST", "/2/dm_conversations/with/42/messages",
             "POST /2/dm_conversations/with/:id/messages");
  check_name("GET", "/2/dm_conversations/1790000000000000001-1790000000000000002/dm_events",
             "GET /2/dm_conversations/:id/dm_events");
  check_name("DELETE", "/2/users/1/retweets/2", "DELETE /2/users/:id/retweets/:id");
  /* "2" (the version) is never an id; empty segments are kept as they are */
  check_name("GET", "/2", "GET /2");
  check_name("GET", "", "GET ");
  check_name("GET", "/2/tweets//x", "GET /2/tweets//x");
}

static void
test_costs(void)
{
  g_assert_cmpint(tb_endpoint_cost_kind("GET /2/dm_events"), ==, TB_COST_READ_DM_EVENT);
  g_assert_cmpint(tb_endpoint_cost_kind("GET /2/users/:id/mentions"), ==, TB_COST_READ_POST);
  g_assert_cmpint(tb_endpoint_cost_kind("GET /2/users/:id/timelines/reverse_chronological"), ==,
                  TB_COST_READ_POST);
  g_assert_cmpint(tb_endpoint_cost_kind("POST /2/tweets"), ==, TB_COST_WRITE_POST);
  /* the reads that find a send in doubt and the senders of new DMs are billed too */
  g_assert_cmpint(tb_endpoint_cost_kind("GET /2/dm_conversations/with/:id/dm_events"), ==,
                  TB_COST_READ_DM_EVENT);
  g_assert_cmpint(tb_endpoint_cost_kind("GET /2/users/:id/tweets"), ==, TB_COST_READ_POST);
  g_assert_cmpint(tb_endpoint_cost_kind("GET /2/users"), ==, TB_COST_READ_USER);
  g_assert_cmpint(tb_endpoint_cost_kind("POST /2/oauth2/token"), ==, TB_COST_NONE);
  g_assert_cmpint(tb_endpoint_cost_kind(NULL), ==, TB_COST_NONE);
}

static void
test_post_kinds(void)
{
  g_assert_cmpint(tb_endpoint_post_kind(TRUE, "with https://example.com"), ==, TB_COST_WRITE_REPLY);
  g_assert_cmpint(tb_endpoint_post_kind(FALSE, "see https://example.com"), ==,
                  TB_COST_WRITE_POST_URL);
  g_assert_cmpint(tb_endpoint_post_kind(FALSE, "see example.com"), ==, TB_COST_WRITE_POST_URL);
  g_assert_cmpint(tb_endpoint_post_kind(FALSE, "just words"), ==, TB_COST_WRITE_POST);
  g_assert_cmpint(tb_endpoint_post_kind(FALSE, NULL), ==, TB_COST_WRITE_POST);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/endpoint/names", test_names);
  g_test_add_func("/endpoint/costs", test_costs);
  g_test_add_func("/endpoint/post-kinds", test_post_kinds);
  return g_test_run();
}
