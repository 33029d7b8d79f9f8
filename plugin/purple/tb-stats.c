/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-stats.h"
#include "core/tb-hours.h"
#include "tb-conv.h"
#include "tb-worktime.h"
#include "twinbird.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#define TB_STATS_PREFIX "stats "
/* Days kept in the state file: this week's and last week's, whatever today is. */
#define TB_STATS_DAYS_KEPT 15
#define TB_STATS_PRUNED "stats_pruned" /* the day the old days were last dropped */

struct _TbStats {
  GTimeZone *tz;
};

typedef enum {
  TB_STAT_POSTS,
  TB_STAT_REPLIES,
  TB_STAT_DMS_SENT,
  TB_STAT_DMS_RECEIVED,
  TB_STAT_MENTIONS,
} TbStat;

static const struct {
  const char *key;   /* in the state file */
  const char *label; /* shown */
  const char *sent;  /* the message-sent signal's kind counted here, or NULL */
  int kind;          /* ...as an outbox kind */
} stats[] = {
    [TB_STAT_POSTS] = {"posts", N_("posts"), "post", TB_OUTBOX_POST},
    [TB_STAT_REPLIES] = {"replies", N_("replies"), "reply", TB_OUTBOX_REPLY},
    [TB_STAT_DMS_SENT] = {"dms_sent", N_("DMs sent"), "dm", TB_OUTBOX_DM},
    [TB_STAT_DMS_RECEIVED] = {"dms_received", N_("DMs received"), NULL, -1},
    [TB_STAT_MENTIONS] = {"mentions", N_("mentions"), NULL, -1},
};

static char *
day_name(GDateTime *day)
{
  return g_date_time_format(day, "%Y-%m-%d");
}

static char *
stat_key(const char *day, TbStat stat)
{
  return g_strconcat(TB_STATS_PREFIX, day, " ", stats[stat].key, NULL);
}

/* Days older than a fortnight leave the state file, once a day. */
static void
prune(TbConn *conn, GDateTime *now, const char *today)
{
  if (g_strcmp0(tb_store_get(conn->store, TB_STATS_PRUNED), today) == 0)
    return;
  g_autoptr(GDateTime) cut = g_date_time_add_days(now, -TB_STATS_DAYS_KEPT);
  g_autofree char *oldest = day_name(cut);
  GList *keys = tb_store_keys(conn->store, TB_STATS_PREFIX);
  GPtrArray *old = g_ptr_array_new_with_free_func(g_free);
  for (GList *l = keys; l; l = l->next) {
    const char *day = (const char *)l->data + strlen(TB_STATS_PREFIX);
    if (strncmp(day, oldest, strlen(oldest)) < 0)
      g_ptr_array_add(old, g_strdup(l->data));
  }
  g_list_free(keys);
  for (guint i = 0; i < old->len; i++)
    tb_store_set(conn->store, old->pdata[i], NULL);
  g_ptr_array_unref(old);
  tb_store_set(conn->store, TB_STATS_PRUNED, today);
}

static void
count(TbConn *conn, TbStat stat)
{
  g_autoptr(GDateTime) now = g_date_time_new_now(conn->stats->tz);
  g_autofree char *today = day_name(now);
  g_autofree char *key = stat_key(today, stat);

  tb_store_set_int(conn->store, key, tb_store_get_int(conn->store, key, 0) + 1);
  prune(conn, now, today);
  tb_conn_store_changed(conn);
}

/* Also the guard's record (tb-worktime.c): one listener for what this account sent. */
static void
on_sent(PurpleAccount *account, const char *role, const char *tag, const char *kind, const char *id,
        const char *target, const char *text, gpointer data)
{
  TbConn *conn = data;
  (void)role;
  (void)tag;
  (void)id;
  for (gsize i = 0; account == conn->account && i < G_N_ELEMENTS(stats); i++) {
    if (g_strcmp0(stats[i].sent, kind) != 0)
      continue;
    count(conn, (TbStat)i);
    tb_worktime_note_sent(conn, (TbOutboxKind)stats[i].kind, target, text);
  }
}

static void
on_dm(PurpleAccount *account, const char *role, const char *id, const char *sender,
      const char *text, gpointer data)
{
  (void)role;
  (void)id;
  (void)text;
  if (account != ((TbConn *)data)->account)
    return;
  count(data, TB_STAT_DMS_RECEIVED);
  tb_worktime_note_dm(data, sender);
}

static void
on_mention(PurpleAccount *account, const char *role, const char *id, const char *short_id,
           const char *author, const char *conversation_id, const char *text, gpointer data)
{
  (void)role;
  (void)id;
  (void)short_id;
  (void)author;
  (void)conversation_id;
  (void)text;
  if (account == ((TbConn *)data)->account)
    count(data, TB_STAT_MENTIONS);
}

void
tb_stats_start(TbConn *conn)
{
  TbStats *s = g_new0(TbStats, 1);
  PurplePlugin *prpl = purple_connection_get_prpl(conn->gc);

  s->tz = tb_hours_zone(conn->cfg.time_zone, NULL); /* checked at sign-in */
  if (s->tz == NULL)
    s->tz = g_time_zone_new_utc();
  conn->stats = s;
  purple_signal_connect(prpl, TWINBIRD_SIGNAL_MESSAGE_SENT, s, PURPLE_CALLBACK(on_sent), conn);
  purple_signal_connect(prpl, TWINBIRD_SIGNAL_DM_RECEIVED, s, PURPLE_CALLBACK(on_dm), conn);
  purple_signal_connect(prpl, TWINBIRD_SIGNAL_MENTION_RECEIVED, s, PURPLE_CALLBACK(on_mention),
                        conn);
}

void
tb_stats_cleanup(TbConn *conn)
{
  TbStats *s = g_steal_pointer(&conn->stats);
  if (s == NULL)
    return;
  purple_signals_disconnect_by_handle(s);
  g_time_zone_unref(s->tz);
  g_free(s);
}

/* "posts 2, replies 1, ..." summed over the days from first to last (inclusive). */
static void
append_counts(GString *out, TbConn *conn, GDateTime *first, GDateTime *last)
{
  g_autofree char *end = day_name(last);
  for (gsize i = 0; i < G_N_ELEMENTS(stats); i++) {
    gint64 n = 0;
    for (int d = 0; d < 7; d++) {
      g_autoptr(GDateTime) day = g_date_time_add_days(first, d);
      g_autofree char *name = day_name(day);
      if (strcmp(name, end) > 0)
        break;
      g_autofree char *key = stat_key(name, (TbStat)i);
      n += tb_store_get_int(conn->store, key, 0);
    }
    g_string_append_printf(out, "%s%s %" G_GINT64_FORMAT, i ? ", " : "", _(stats[i].label), n);
  }
}

static char *
stats_line(TbConn *conn)
{
  g_autoptr(GDateTime) now = g_date_time_new_now(conn->stats->tz);
  g_autoptr(GDateTime) today = tb_hours_day_start(now);
  g_autoptr(GDateTime) monday = tb_hours_week_start(now);
  g_autofree char *since = g_date_time_format(monday, "%a %Y-%m-%d");
  guint scheduled = 0, held = 0;
  GList *items = tb_store_outbox_list(conn->store);
  GString *out = g_string_new(NULL);

  for (GList *l = items; l; l = l->next) {
    const TbOutboxItem *item = l->data;
    if (item->due > 0 && item->held)
      held++;
    else if (item->due > 0)
      scheduled++;
  }
  g_list_free(items);
  g_string_printf(out, _("@%s (%s) today: "), conn->handle, conn->cfg.role);
  append_counts(out, conn, today, today);
  g_string_append_printf(out, _(" · this week (since %s): "), since);
  append_counts(out, conn, monday, today);
  g_string_append_printf(out, _(" · scheduled %u, held %u"), scheduled, held);
  return g_string_free(out, FALSE);
}

void
tb_stats_report(TbConn *conn, PurpleConversation *conv, gboolean all)
{
  GList *conns = all ? tb_conn_list_signed_in() : g_list_prepend(NULL, conn);
  for (GList *l = conns; l; l = l->next) {
    TbConn *c = l->data;
    if (c->stats == NULL)
      continue;
    g_autofree char *line = stats_line(c);
    tb_conv_notice(conn, conv, line);
  }
  g_list_free(conns);
}
