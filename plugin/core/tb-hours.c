/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-hours.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* The quark's name is a string: its hyphens are not subtractions. */
/* clang-format off */
G_DEFINE_QUARK(tb-hours-error-quark, tb_hours_error)
/* clang-format on */

#define TB_MINUTES_A_DAY (24 * 60)
#define TB_ALL_DAYS 0x7f
/* A week and a day and a half covers any period boundary, wherever the week starts. */
#define TB_CHANGE_HORIZON_DAYS 9
#define TB_WHEN_MAX_DAYS 366

typedef struct {
  guint8 days; /* bit 0 Monday ... bit 6 Sunday: the days a period starts on */
  int start;   /* minutes after midnight */
  int end;     /* end <= start: the period ends the next day */
} TbHoursRange;

struct _TbHours {
  GArray *ranges; /* TbHoursRange */
};

static const char *const day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

const char *
tb_hours_expected(void)
{
  return _("expected e.g. \"Mon-Fri 09:00-17:30\" or \"Mon-Thu 08:30-17:00, Fri 08:30-13:00\": "
           "days Mon to Sun as ranges (Mon-Fri), lists (Mon,Wed) or daily, then HH:MM-HH:MM; "
           "a period may cross midnight (Sun-Thu 22:00-06:00)");
}

const char *
tb_hours_when_forms(void)
{
  return _("HH:MM, YYYY-MM-DD HH:MM, +30m, +2h, +1d or next");
}

void
tb_hours_free(TbHours *hours)
{
  if (hours == NULL)
    return;
  g_array_unref(hours->ranges);
  g_free(hours);
}

/* "9:05" or "09:05" at p: minutes after midnight, and how many bytes it took (0: not a time). */
static gsize
read_hhmm(const char *p, int *minutes)
{
  gsize n = 0;
  int h = 0, m = 0;

  while (n < 2 && g_ascii_isdigit(p[n]))
    h = h * 10 + (p[n++] - '0');
  if (n == 0 || p[n] != ':' || !g_ascii_isdigit(p[n + 1]) || !g_ascii_isdigit(p[n + 2]) ||
      g_ascii_isdigit(p[n + 3]))
    return 0;
  m = (p[n + 1] - '0') * 10 + (p[n + 2] - '0');
  if (h > 23 || m > 59)
    return 0;
  *minutes = h * 60 + m;
  return n + 3;
}

static int
day_index(const char *word)
{
  for (int i = 0; i < 7; i++) {
    if (g_ascii_strcasecmp(word, day_names[i]) == 0)
      return i;
  }
  return -1;
}

/* "Mon", "Mon-Fri" (may wrap: "Fri-Mon") or "daily" into a day mask; 0 if it is none of them. */
static guint8
read_days(const char *token)
{
  if (g_ascii_strcasecmp(token, "daily") == 0)
    return TB_ALL_DAYS;
  g_auto(GStrv) ends = g_strsplit(token, "-", 3);
  int from = ends[0] ? day_index(ends[0]) : -1;
  int to = ends[0] && ends[1] ? day_index(ends[1]) : from;
  if (from < 0 || to < 0 || (ends[0] && ends[1] && ends[2]))
    return 0;
  guint8 mask = 0;
  for (int d = from;; d = (d + 1) % 7) {
    mask |= 1u << d;
    if (d == to)
      return mask;
  }
}

/* "09:00-17:30" into a period; FALSE if it is not one. */
static gboolean
read_period(const char *token, TbHoursRange *r)
{
  gsize a = read_hhmm(token, &r->start);
  if (a == 0 || token[a] != '-')
    return FALSE;
  gsize b = read_hhmm(token + a + 1, &r->end);
  return b != 0 && token[a + 1 + b] == '\0' && r->start != r->end;
}

static void
set_invalid(GError **error, const char *text, const char *token)
{
  g_set_error(error, TB_HOURS_ERROR, TB_HOURS_ERROR_INVALID, _("'%s': cannot read \"%s\" (%s)"),
              text, token, tb_hours_expected());
}

/* Days, then one or more periods for them: days accumulate until a period closes them, and a
 * period right after another repeats its days ("Mon-Fri 09:00-12:00 13:00-17:00"). */
TbHours *
tb_hours_parse(const char *text, GError **error)
{
  g_auto(GStrv) tokens = g_strsplit_set(text ? text : "", " \t,;", -1);
  g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(TbHoursRange));
  guint8 pending = 0, last = 0;

  for (char **t = tokens; *t; t++) {
    TbHoursRange r = {0};
    if (**t == '\0')
      continue;
    guint8 days = read_days(*t);
    if (days != 0) {
      pending |= days;
      continue;
    }
    if (!read_period(*t, &r) || (pending == 0 && last == 0)) {
      set_invalid(error, text, *t);
      return NULL;
    }
    r.days = pending ? pending : last;
    last = r.days;
    pending = 0;
    g_array_append_val(ranges, r);
  }
  if (pending != 0) {
    g_set_error(error, TB_HOURS_ERROR, TB_HOURS_ERROR_INVALID,
                _("'%s': days without hours after them (%s)"), text, tb_hours_expected());
    return NULL;
  }
  if (ranges->len == 0)
    return NULL; /* empty: no policy */
  TbHours *hours = g_new0(TbHours, 1);
  hours->ranges = g_steal_pointer(&ranges);
  return hours;
}

GTimeZone *
tb_hours_zone(const char *name, GError **error)
{
  if (name == NULL || *name == '\0')
    return g_time_zone_new_local();
  GTimeZone *tz = g_time_zone_new_identifier(name);
  if (tz == NULL)
    g_set_error(error, TB_HOURS_ERROR, TB_HOURS_ERROR_INVALID,
                _("'%s' is not a time zone (an IANA name such as Europe/London, or UTC)"), name);
  return tz;
}

gboolean
tb_hours_contains(const TbHours *hours, GDateTime *at)
{
  int d = g_date_time_get_day_of_week(at) - 1;
  int yesterday = (d + 6) % 7;
  int m = g_date_time_get_hour(at) * 60 + g_date_time_get_minute(at);

  for (guint i = 0; hours && i < hours->ranges->len; i++) {
    const TbHoursRange *r = &g_array_index(hours->ranges, TbHoursRange, i);
    gboolean today = (r->days >> d) & 1;
    if (r->start < r->end
            ? today && m >= r->start && m < r->end
            : (today && m >= r->start) || (((r->days >> yesterday) & 1) && m < r->end))
      return TRUE;
  }
  return FALSE;
}

/* minutes after midnight of the day `days` after at's, in at's zone (GLib moves a time that a
 * daylight-saving change skips). */
static GDateTime *
wall_clock(GDateTime *at, int days, int minutes)
{
  g_autoptr(GDateTime) noon =
      g_date_time_new(g_date_time_get_timezone(at), g_date_time_get_year(at),
                      g_date_time_get_month(at), g_date_time_get_day_of_month(at), 12, 0, 0);
  g_autoptr(GDateTime) day = g_date_time_add_days(noon, days);
  return g_date_time_new(g_date_time_get_timezone(at), g_date_time_get_year(day),
                         g_date_time_get_month(day), g_date_time_get_day_of_month(day),
                         minutes / 60, minutes % 60, 0);
}

static gint
datetime_cmp(gconstpointer a, gconstpointer b)
{
  return g_date_time_compare(*(GDateTime *const *)a, *(GDateTime *const *)b);
}

/* Every period starts or ends at one of its wall-clock minutes: the first of those after at
 * where the answer differs is the change. */
GDateTime *
tb_hours_next_change(const TbHours *hours, GDateTime *at)
{
  if (hours == NULL)
    return NULL;
  g_autoptr(GPtrArray) candidates =
      g_ptr_array_new_with_free_func((GDestroyNotify)g_date_time_unref);
  gboolean now = tb_hours_contains(hours, at);

  for (int k = 0; k <= TB_CHANGE_HORIZON_DAYS; k++) {
    for (guint i = 0; i < hours->ranges->len; i++) {
      const TbHoursRange *r = &g_array_index(hours->ranges, TbHoursRange, i);
      const int edges[] = {r->start, r->end};
      for (gsize e = 0; e < G_N_ELEMENTS(edges); e++) {
        GDateTime *c = wall_clock(at, k, edges[e]);
        if (c != NULL && g_date_time_compare(c, at) > 0)
          g_ptr_array_add(candidates, c);
        else if (c != NULL)
          g_date_time_unref(c);
      }
    }
  }
  g_ptr_array_sort(candidates, datetime_cmp);
  for (guint i = 0; i < candidates->len; i++) {
    if (tb_hours_contains(hours, candidates->pdata[i]) != now)
      return g_date_time_ref(candidates->pdata[i]);
  }
  return NULL;
}

GDateTime *
tb_hours_next_start(const TbHours *hours, GDateTime *at, gboolean inside)
{
  GDateTime *change = tb_hours_next_change(hours, at);
  if (change == NULL || tb_hours_contains(hours, at) != inside)
    return change;
  GDateTime *after = tb_hours_next_change(hours, change);
  g_date_time_unref(change);
  return after;
}

typedef GDateTime *(*TbWhenAdd)(GDateTime *at, int n);

static GDateTime *
add_minutes(GDateTime *at, int n)
{
  return g_date_time_add_minutes(at, n);
}

static GDateTime *
add_hours(GDateTime *at, int n)
{
  return g_date_time_add_hours(at, n);
}

static GDateTime *
add_days(GDateTime *at, int n)
{
  return g_date_time_add_days(at, n);
}

static const struct {
  char unit;
  TbWhenAdd add;
  int max; /* a year of them */
} when_units[] = {
    {'m', add_minutes, TB_WHEN_MAX_DAYS *TB_MINUTES_A_DAY},
    {'h', add_hours, TB_WHEN_MAX_DAYS * 24},
    {'d', add_days, TB_WHEN_MAX_DAYS},
};

/* "+30m": the bytes it took, 0 if it is not that form. */
static gsize
read_offset(const char *p, GDateTime *now, GDateTime **out)
{
  gsize n = 1;
  gint64 v = 0;

  if (p[0] != '+')
    return 0;
  while (g_ascii_isdigit(p[n]) && v <= G_MAXINT)
    v = v * 10 + (p[n++] - '0');
  for (gsize i = 0; n > 1 && i < G_N_ELEMENTS(when_units); i++) {
    if (g_ascii_tolower(p[n]) == when_units[i].unit && v >= 1 && v <= when_units[i].max) {
      *out = when_units[i].add(now, (int)v);
      return n + 1;
    }
  }
  return 0;
}

/* "YYYY-MM-DD HH:MM" in now's zone: the bytes it took, 0 if it is not that form. */
static gsize
read_date_time(const char *p, GDateTime *now, GDateTime **out)
{
  static const char shape[] = "dddd-dd-dd ";
  int v[3] = {0}, field = 0, minutes = 0;

  for (gsize i = 0; shape[i]; i++) {
    if (shape[i] == 'd' && !g_ascii_isdigit(p[i]))
      return 0;
    if (shape[i] != 'd' && p[i] != shape[i])
      return 0;
    if (shape[i] == 'd')
      v[field] = v[field] * 10 + (p[i] - '0');
    else
      field++;
  }
  gsize n = read_hhmm(p + strlen(shape), &minutes);
  if (n == 0)
    return 0;
  *out = g_date_time_new(g_date_time_get_timezone(now), v[0], v[1], v[2], minutes / 60,
                         minutes % 60, 0);
  return *out ? strlen(shape) + n : 0;
}

/* "HH:MM": its next occurrence after now. */
static gsize
read_clock(const char *p, GDateTime *now, GDateTime **out)
{
  int minutes = 0;
  gsize n = read_hhmm(p, &minutes);
  if (n == 0)
    return 0;
  *out = wall_clock(now, 0, minutes);
  if (*out != NULL && g_date_time_compare(*out, now) <= 0) {
    g_date_time_unref(*out);
    *out = wall_clock(now, 1, minutes);
  }
  return *out ? n : 0;
}

static gsize
read_next(const char *p, GDateTime *next_start, GDateTime **out)
{
  if (g_ascii_strncasecmp(p, "next", 4) != 0 || next_start == NULL)
    return 0;
  *out = g_date_time_ref(next_start);
  return 4;
}

GDateTime *
tb_hours_parse_when(const char *line, GDateTime *now, GDateTime *next_start, const char **rest,
                    GError **error)
{
  const char *p = line ? line : "";
  GDateTime *at = NULL;
  gsize n = 0;

  while (g_ascii_isspace(*p))
    p++;
  n = read_offset(p, now, &at);
  if (n == 0)
    n = read_date_time(p, now, &at);
  if (n == 0)
    n = read_clock(p, now, &at);
  if (n == 0)
    n = read_next(p, next_start, &at);
  if (n == 0 || (p[n] != '\0' && !g_ascii_isspace(p[n]))) {
    g_clear_pointer(&at, g_date_time_unref);
    g_autofree char *word = g_strndup(p, strcspn(p, " \t"));
    if (g_ascii_strcasecmp(word, "next") == 0)
      g_set_error(error, TB_HOURS_ERROR, TB_HOURS_ERROR_INVALID,
                  _("\"next\" needs work_hours set for this account (the accepted times: %s)"),
                  tb_hours_when_forms());
    else
      g_set_error(error, TB_HOURS_ERROR, TB_HOURS_ERROR_INVALID,
                  _("cannot read the time \"%s\" (the accepted times: %s)"), word,
                  tb_hours_when_forms());
    return NULL;
  }
  if (g_date_time_compare(at, now) <= 0) {
    g_autofree char *shown = g_date_time_format(at, "%Y-%m-%d %H:%M");
    g_set_error(error, TB_HOURS_ERROR, TB_HOURS_ERROR_PAST,
                _("%s is in the past (the accepted times: %s)"), shown, tb_hours_when_forms());
    g_date_time_unref(at);
    return NULL;
  }
  for (p += n; g_ascii_isspace(*p); p++)
    ;
  if (rest != NULL)
    *rest = p;
  return at;
}

GDateTime *
tb_hours_day_start(GDateTime *at)
{
  return wall_clock(at, 0, 0);
}

GDateTime *
tb_hours_week_start(GDateTime *at)
{
  return wall_clock(at, 1 - g_date_time_get_day_of_week(at), 0);
}
