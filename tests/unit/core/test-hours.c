/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/tb-hours.h"

/* 2026-03-02 is a Monday. */
static GDateTime *
at(const char *zone, int y, int mo, int d, int h, int mi)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier(zone);
  g_assert_nonnull(tz);
  return g_date_time_new(tz, y, mo, d, h, mi, 0);
}

static char *
shown(GDateTime *t)
{
  g_assert_nonnull(t);
  return g_date_time_format(t, "%a %Y-%m-%d %H:%M %z");
}

static void
test_parse(void)
{
  static const char *const good[] = {
      "Mon-Fri 09:00-17:30", "Mon-Thu 08:30-17:00, Fri 08:30-13:00",
      "Mon,Wed 9:00-12:00",  "daily 07:00-08:00",
      "Sun-Thu 22:00-06:00", "mon-fri 09:00-12:00 13:00-17:00",
      "Fri-Mon 10:00-11:00",
  };
  static const char *const bad[] = {
      "Mon-Fri",
      "09:00-17:00",
      "Mon-Fri 9-17",
      "Funday 09:00-10:00",
      "Mon-Fri 25:00-26:00",
      "Mon 09:00-09:00",
      "Mon-Tue-Wed 09:00-10:00",
      "Mon 09:00-10:00 Tue",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(TbHours) h = tb_hours_parse(good[i], &error);
    g_assert_no_error(error);
    g_assert_nonnull(h);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(TbHours) h = tb_hours_parse(bad[i], &error);
    g_assert_null(h);
    g_assert_error(error, TB_HOURS_ERROR, TB_HOURS_ERROR_INVALID);
    g_assert_nonnull(g_strstr_len(error->message, -1, "Mon-Fri 09:00-17:30"));
  }
  g_autoptr(GError) error = NULL;
  g_assert_null(tb_hours_parse("  ", &error));
  g_assert_no_error(error); /* empty: no policy */
}

static void
test_contains(void)
{
  g_autoptr(TbHours) h = tb_hours_parse("Mon-Thu 08:30-17:00, Fri 08:30-13:00", NULL);
  static const struct {
    int d, h, m;
    gboolean in;
  } cases[] = {
      {2, 8, 29, FALSE}, {2, 8, 30, TRUE},  {2, 16, 59, TRUE}, {2, 17, 0, FALSE},
      {6, 12, 59, TRUE}, {6, 13, 0, FALSE}, {7, 10, 0, FALSE}, {8, 10, 0, FALSE},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GDateTime) t = at("UTC", 2026, 3, cases[i].d, cases[i].h, cases[i].m);
    g_assert_cmpint(tb_hours_contains(h, t), ==, cases[i].in);
  }
}

static void
test_midnight(void)
{
  g_autoptr(TbHours) h = tb_hours_parse("Sun-Thu 22:00-06:00", NULL);
  g_autoptr(GDateTime) fri_early = at("UTC", 2026, 3, 6, 5, 59); /* Thursday's night */
  g_autoptr(GDateTime) fri_late = at("UTC", 2026, 3, 6, 22, 0);
  g_autoptr(GDateTime) sat_early = at("UTC", 2026, 3, 7, 1, 0);
  g_autoptr(GDateTime) mon_early = at("UTC", 2026, 3, 2, 3, 0); /* Sunday's night */
  g_assert_true(tb_hours_contains(h, fri_early));
  g_assert_false(tb_hours_contains(h, fri_late));
  g_assert_false(tb_hours_contains(h, sat_early));
  g_assert_true(tb_hours_contains(h, mon_early));

  /* Friday evening: nothing until Sunday 22:00 */
  g_autoptr(GDateTime) next = tb_hours_next_change(h, fri_late);
  g_autofree char *s = shown(next);
  g_assert_cmpstr(s, ==, "Sun 2026-03-08 22:00 +0000");
  g_autoptr(GDateTime) end = tb_hours_next_change(h, next);
  g_autofree char *e = shown(end);
  g_assert_cmpstr(e, ==, "Mon 2026-03-09 06:00 +0000");
}

static void
test_next_start(void)
{
  g_autoptr(TbHours) h = tb_hours_parse("Mon-Fri 09:00-17:30", NULL);
  g_autoptr(GDateTime) fri_eve = at("UTC", 2026, 3, 6, 18, 0);
  g_autoptr(GDateTime) tue_noon = at("UTC", 2026, 3, 3, 12, 0);

  g_autoptr(GDateTime) a = tb_hours_next_start(h, fri_eve, TRUE);
  g_autofree char *sa = shown(a);
  g_assert_cmpstr(sa, ==, "Mon 2026-03-09 09:00 +0000");
  /* inside already: the next period, not this one */
  g_autoptr(GDateTime) b = tb_hours_next_start(h, tue_noon, TRUE);
  g_autofree char *sb = shown(b);
  g_assert_cmpstr(sb, ==, "Wed 2026-03-04 09:00 +0000");
  /* the personal account's right time starts when work ends */
  g_autoptr(GDateTime) c = tb_hours_next_start(h, tue_noon, FALSE);
  g_autofree char *sc = shown(c);
  g_assert_cmpstr(sc, ==, "Tue 2026-03-03 17:30 +0000");

  g_autoptr(TbHours) always = tb_hours_parse("daily 00:00-23:59", NULL);
  g_assert_nonnull(always);
  g_assert_null(tb_hours_next_change(NULL, tue_noon));
}

static void
test_dst(void)
{
  /* London springs forward on Sunday 2026-03-29 at 01:00 UTC: Monday 09:00 is 08:00 UTC */
  g_autoptr(TbHours) h = tb_hours_parse("Mon-Fri 09:00-17:30", NULL);
  g_autoptr(GDateTime) fri = at("Europe/London", 2026, 3, 27, 18, 0);
  g_autoptr(GDateTime) mon = tb_hours_next_change(h, fri);
  g_autofree char *s = shown(mon);
  g_assert_cmpstr(s, ==, "Mon 2026-03-30 09:00 +0100");
  g_assert_cmpint(g_date_time_difference(mon, fri) / G_TIME_SPAN_HOUR, ==, 62);

  /* a period starting in the skipped hour still starts (GLib moves it) */
  g_autoptr(TbHours) night = tb_hours_parse("Sun 01:30-03:00", NULL);
  g_autoptr(GDateTime) sat = at("Europe/London", 2026, 3, 28, 12, 0);
  g_autoptr(GDateTime) start = tb_hours_next_change(night, sat);
  g_assert_nonnull(start);
  g_assert_true(tb_hours_contains(night, start));
}

static void
test_weeks(void)
{
  g_autoptr(GDateTime) sun = at("Europe/London", 2026, 3, 29, 23, 30);
  g_autoptr(GDateTime) week = tb_hours_week_start(sun);
  g_autofree char *w = shown(week);
  g_assert_cmpstr(w, ==, "Mon 2026-03-23 00:00 +0000");
  g_autoptr(GDateTime) mon = at("Europe/London", 2026, 3, 30, 0, 0);
  g_autoptr(GDateTime) week2 = tb_hours_week_start(mon);
  g_autofree char *w2 = shown(week2);
  g_assert_cmpstr(w2, ==, "Mon 2026-03-30 00:00 +0100");
  g_autoptr(GDateTime) day = tb_hours_day_start(sun);
  g_autofree char *d = shown(day);
  g_assert_cmpstr(d, ==, "Sun 2026-03-29 00:00 +0000");
}

static void
test_when(void)
{
  g_autoptr(GDateTime) now = at("UTC", 2026, 3, 3, 12, 0);
  g_autoptr(GDateTime) next = at("UTC", 2026, 3, 4, 9, 0);
  static const struct {
    const char *line, *when, *rest;
  } good[] = {
      {"+30m hello", "Tue 2026-03-03 12:30 +0000", "hello"},
      {"+2h  hi there", "Tue 2026-03-03 14:00 +0000", "hi there"},
      {"+1d x", "Wed 2026-03-04 12:00 +0000", "x"},
      {"13:15 later", "Tue 2026-03-03 13:15 +0000", "later"},
      {"11:00 tomorrow", "Wed 2026-03-04 11:00 +0000", "tomorrow"},
      {"2026-03-10 08:05 on the day", "Tue 2026-03-10 08:05 +0000", "on the day"},
      {"next go", "Wed 2026-03-04 09:00 +0000", "go"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
    g_autoptr(GError) error = NULL;
    const char *rest = NULL;
    g_autoptr(GDateTime) t = tb_hours_parse_when(good[i].line, now, next, &rest, &error);
    g_assert_no_error(error);
    g_autofree char *s = shown(t);
    g_assert_cmpstr(s, ==, good[i].when);
    g_assert_cmpstr(rest, ==, good[i].rest);
  }
  static const struct {
    const char *line;
    int code;
  } bad[] = {
      {"2026-03-01 10:00 gone", TB_HOURS_ERROR_PAST},
      {"soon text", TB_HOURS_ERROR_INVALID},
      {"+0m text", TB_HOURS_ERROR_INVALID},
      {"+5x text", TB_HOURS_ERROR_INVALID},
      {"25:00 text", TB_HOURS_ERROR_INVALID},
      {"2026-02-30 10:00 text", TB_HOURS_ERROR_INVALID},
      {"12:00x", TB_HOURS_ERROR_INVALID},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_assert_null(tb_hours_parse_when(bad[i].line, now, next, NULL, &error));
    g_assert_error(error, TB_HOURS_ERROR, bad[i].code);
    g_assert_nonnull(g_strstr_len(error->message, -1, "+30m"));
  }
  g_autoptr(GError) error = NULL;
  g_assert_null(tb_hours_parse_when("next x", now, NULL, NULL, &error));
  g_assert_nonnull(g_strstr_len(error->message, -1, "work_hours"));
}

static void
test_zone(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTimeZone) utc = tb_hours_zone("UTC", &error);
  g_assert_nonnull(utc);
  g_autoptr(GTimeZone) local = tb_hours_zone("", &error);
  g_assert_nonnull(local);
  g_assert_null(tb_hours_zone("Mars/Olympus", &error));
  g_assert_error(error, TB_HOURS_ERROR, TB_HOURS_ERROR_INVALID);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/hours/parse", test_parse);
  g_test_add_func("/hours/contains", test_contains);
  g_test_add_func("/hours/midnight", test_midnight);
  g_test_add_func("/hours/next-start", test_next_start);
  g_test_add_func("/hours/dst", test_dst);
  g_test_add_func("/hours/weeks", test_weeks);
  g_test_add_func("/hours/when", test_when);
  g_test_add_func("/hours/zone", test_zone);
  return g_test_run();
}
