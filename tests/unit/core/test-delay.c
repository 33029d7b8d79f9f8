/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/tb-delay.h"

static void
test_rate_limit(void)
{
  const gint64 now = 1700000000;

  g_assert_cmpuint(tb_delay_rate_limit_ms(FALSE, 0, now + 100, now), ==, 0); /* no headers */
  g_assert_cmpuint(tb_delay_rate_limit_ms(TRUE, 1, now + 100, now), ==, 0);  /* one left */
  g_assert_cmpuint(tb_delay_rate_limit_ms(TRUE, 0, now + 100, now), ==, 101 * 1000);
  /* a reset already past (clock skew): a second, not zero and not negative */
  g_assert_cmpuint(tb_delay_rate_limit_ms(TRUE, 0, now - 50, now), ==, 1000);
  /* a reset absurdly far away (hostile header): one window at most */
  g_assert_cmpuint(tb_delay_rate_limit_ms(TRUE, 0, now + 86400, now), ==, TB_DELAY_MAX_S * 1000);
  g_assert_cmpuint(tb_delay_rate_limit_ms(TRUE, -3, G_MAXINT64, now), ==, TB_DELAY_MAX_S * 1000);
}

static void
test_poll_backoff(void)
{
  g_assert_cmpuint(tb_delay_poll_backoff_s(60, 0), ==, 60);
  g_assert_cmpuint(tb_delay_poll_backoff_s(60, 1), ==, 120);
  g_assert_cmpuint(tb_delay_poll_backoff_s(60, 3), ==, 480);
  g_assert_cmpuint(tb_delay_poll_backoff_s(60, 4), ==, TB_DELAY_MAX_S); /* 960 capped */
  g_assert_cmpuint(tb_delay_poll_backoff_s(60, 1000), ==, TB_DELAY_MAX_S);
  /* an interval above the cap stays the floor */
  g_assert_cmpuint(tb_delay_poll_backoff_s(3600, 2), ==, 3600);
  g_assert_cmpuint(tb_delay_poll_backoff_s(1, 9), ==, 512);
  g_assert_cmpuint(tb_delay_poll_backoff_s(1, 10), ==, TB_DELAY_MAX_S);            /* 1024 capped */
  g_assert_cmpuint(tb_delay_poll_backoff_s(G_MAXUINT / 2, 40), ==, G_MAXUINT / 2); /* no overflow */
}

static void
test_login_backoff(void)
{
  const gint64 now = 1700000000;

  g_assert_cmpuint(tb_delay_login_backoff_s(1, 60, FALSE, 0, now), ==, 1);
  g_assert_cmpuint(tb_delay_login_backoff_s(2, 60, FALSE, 0, now), ==, 2);
  g_assert_cmpuint(tb_delay_login_backoff_s(5, 60, FALSE, 0, now), ==, 16);
  g_assert_cmpuint(tb_delay_login_backoff_s(7, 60, FALSE, 0, now), ==, 60);
  g_assert_cmpuint(tb_delay_login_backoff_s(100, 60, FALSE, 0, now), ==, 60);
  g_assert_cmpuint(tb_delay_login_backoff_s(0, 60, FALSE, 0, now), ==, 1);
  /* 429: until the reset, at least the backoff, at most one window */
  g_assert_cmpuint(tb_delay_login_backoff_s(1, 60, TRUE, now + 300, now), ==, 300);
  g_assert_cmpuint(tb_delay_login_backoff_s(4, 60, TRUE, now + 2, now), ==, 8);
  g_assert_cmpuint(tb_delay_login_backoff_s(1, 60, TRUE, now + 99999, now), ==, TB_DELAY_MAX_S);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/delay/rate-limit", test_rate_limit);
  g_test_add_func("/delay/poll-backoff", test_poll_backoff);
  g_test_add_func("/delay/login-backoff", test_login_backoff);
  return g_test_run();
}
