/* Work hours as pure decisions: the grammar of the work_hours option ("Mon-Fri 09:00-17:30",
 * "Mon-Thu 08:30-17:00, Fri 08:30-13:00", "Sun-Thu 22:00-06:00"), whether an instant falls inside
 * them, when that next changes, the times a scheduled send may name, and the day and week
 * (Monday to Sunday) an instant belongs to. Wall-clock times are read in the account's
 * GTimeZone, so daylight-saving changes are GLib's, never computed here.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_HOURS_H
#define TB_HOURS_H

#include <glib.h>

G_BEGIN_DECLS

#define TB_HOURS_ERROR (tb_hours_error_quark())
GQuark tb_hours_error_quark(void);
typedef enum { TB_HOURS_ERROR_INVALID, TB_HOURS_ERROR_PAST } TbHoursError;

typedef struct _TbHours TbHours;

/* NULL with error for a bad value; NULL without error for an empty one (no policy). */
TbHours *tb_hours_parse(const char *text, GError **error);
void tb_hours_free(TbHours *hours);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TbHours, tb_hours_free)

/* The forms work_hours accepts, for error messages. */
const char *tb_hours_expected(void);

/* The zone named by the time_zone option: an IANA name or UTC; "" is the machine's own. NULL
 * with error for a name GLib does not know. */
GTimeZone *tb_hours_zone(const char *name, GError **error);

/* Whether at (in the zone the hours are read in) is inside work hours. */
gboolean tb_hours_contains(const TbHours *hours, GDateTime *at);

/* The first instant after at where tb_hours_contains() changes, in at's zone; NULL when it never
 * does (every minute of the week inside, or none). */
GDateTime *tb_hours_next_change(const TbHours *hours, GDateTime *at);

/* The start of the next period where tb_hours_contains() == inside, after at (if at already is
 * in one, the one after it). NULL when there is none. */
GDateTime *tb_hours_next_start(const TbHours *hours, GDateTime *at, gboolean inside);

/* A scheduled send's time at the start of line: "HH:MM" (its next occurrence), "YYYY-MM-DD
 * HH:MM", "+30m", "+2h", "+1d" or "next" (next_start, which the caller computed; may be NULL).
 * *rest points past it and the spaces after it. NULL with error for an unreadable time
 * (TB_HOURS_ERROR_INVALID) or one not after now (TB_HOURS_ERROR_PAST). */
GDateTime *tb_hours_parse_when(const char *line, GDateTime *now, GDateTime *next_start,
                               const char **rest, GError **error);

/* The forms a scheduled send's time may take, for error messages. */
const char *tb_hours_when_forms(void);

/* Midnight starting at's day, and Monday's midnight starting at's week, in at's zone. */
GDateTime *tb_hours_day_start(GDateTime *at);
GDateTime *tb_hours_week_start(GDateTime *at);

G_END_DECLS

#endif
