/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-worktime.h"
#include "core/tb-bounds.h"
#include "core/tb-hours.h"
#include "core/tb-route.h"
#include "core/tb-textmatch.h"
#include "tb-blist.h"
#include "tb-confirm.h"
#include "tb-conv.h"
#include "tb-send.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#define TB_WORKTIME_SLOT_CHANGE "worktime-change"
#define TB_WORKTIME_SLOT_DUE "worktime-due"
/* Timers are checked at least this often: a changed clock or a machine waking from sleep. */
#define TB_WORKTIME_RECHECK_MS (5 * 60 * 1000)
/* Fired a little after the minute, so the new period has begun when it is looked at. */
#define TB_WORKTIME_MARGIN_MS 300
#define TB_WHEN_FORMAT "%a %Y-%m-%d %H:%M"
/* The guard: the same text from the other identity within this long is asked about. */
#define TB_GUARD_WINDOW_S (15 * 60)
/* People this account has exchanged DMs with, kept in the state file for the guard. */
#define TB_STORE_DM_PEERS "dm_peers"
#define TB_DM_PEERS_KEPT 2000

struct _TbWorktime {
  TbHours *hours;   /* NULL: no work hours, no policy */
  GTimeZone *tz;    /* time_zone, or the machine's */
  GHashTable *asks; /* outbox id -> tb-confirm's question id: questions still open */
  GQueue *recent;   /* TbRecentSend: what this account sent in the guard's window, oldest first */
};

typedef struct {
  char *text;
  gint64 at;
} TbRecentSend;

/* A question about one outbox item: off_hours=ask, or the guard. */
typedef enum { TB_ASK_HOURS, TB_ASK_GUARD } TbAskKind;

typedef struct {
  char *id;
  TbAskKind kind;
  char *why; /* the guard's reason, kept with the item if the answer is no */
} TbWorktimeAsk;

static void
recent_free(gpointer data)
{
  TbRecentSend *r = data;
  g_free(r->text);
  g_free(r);
}

static void
ask_free(gpointer data)
{
  TbWorktimeAsk *a = data;
  g_free(a->id);
  g_free(a->why);
  g_free(a);
}

static gboolean is_work(TbConn *conn);

/* ---- time ---- */

static GDateTime *
now_here(TbConn *conn)
{
  return g_date_time_new_now(conn->worktime->tz);
}

static char *
format_unix(TbConn *conn, gint64 t)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(t);
  g_autoptr(GDateTime) here = utc ? g_date_time_to_timezone(utc, conn->worktime->tz) : NULL;
  return here ? g_date_time_format(here, TB_WHEN_FORMAT) : g_strdup("?");
}

/* "1 h 5 min" */
static char *
format_span(gint64 seconds)
{
  long long minutes = (ABS(seconds) + 59) / 60; /* %lld: xgettext cannot read G_GINT64_FORMAT */
  if (minutes < 60)
    return g_strdup_printf(_("%lld min"), minutes);
  return g_strdup_printf(_("%lld h %lld min"), minutes / 60, minutes % 60);
}

/* The wrong time is outside work hours for a work account, inside them for any other. */
static gboolean
right_time(TbConn *conn, GDateTime *at)
{
  TbWorktime *w = conn->worktime;
  return w->hours == NULL || tb_hours_contains(w->hours, at) == is_work(conn);
}

static gboolean
is_work(TbConn *conn)
{
  return g_ascii_strcasecmp(conn->cfg.role, "work") == 0;
}

/* ms until t (Unix seconds), a little after it, and never longer than a recheck. */
static guint
ms_until(gint64 t)
{
  gint64 ms = t * 1000 - g_get_real_time() / 1000 + TB_WORKTIME_MARGIN_MS;
  return (guint)CLAMP(ms, TB_WORKTIME_MARGIN_MS, TB_WORKTIME_RECHECK_MS);
}

static void
item_notice(TbConn *conn, const TbOutboxItem *item, const char *text)
{
  tb_conv_notice(conn, tb_conv_of_item(conn, item), text);
}

/* ---- scheduled and held items: the earliest one's timer ---- */

static gboolean due_cb(gpointer data);

static void
arm_due(TbConn *conn)
{
  gint64 first = 0;
  GList *items = tb_store_outbox_list(conn->store);
  for (GList *l = items; l; l = l->next) {
    TbOutboxItem *item = l->data;
    if (item->due > 0 && (first == 0 || item->due < first))
      first = item->due;
  }
  g_list_free(items);
  if (first == 0)
    tb_conn_timeout_clear(conn, TB_WORKTIME_SLOT_DUE);
  else
    tb_conn_timeout_set(conn, TB_WORKTIME_SLOT_DUE, ms_until(first), due_cb, conn);
}

static void
ask_close(TbConn *conn, const char *id)
{
  guint question = GPOINTER_TO_UINT(g_hash_table_lookup(conn->worktime->asks, id));
  if (question == 0)
    return;
  g_hash_table_remove(conn->worktime->asks, id);
  tb_confirm_close(conn, question);
}

static gboolean
due_cb(gpointer data)
{
  TbConn *conn = data;
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  GList *items = tb_store_outbox_list(conn->store);
  GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);

  for (GList *l = items; l; l = l->next) {
    TbOutboxItem *item = l->data;
    if (item->due > 0 && item->due <= now)
      g_ptr_array_add(ids, g_strdup(item->id));
  }
  g_list_free(items);
  for (guint i = 0; i < ids->len; i++) {
    ask_close(conn, ids->pdata[i]);
    tb_send_due(conn, ids->pdata[i], FALSE);
  }
  g_ptr_array_unref(ids);
  arm_due(conn);
  return FALSE; /* arm_due set the slot again if anything is left */
}

/* ---- presence ---- */

static gboolean change_cb(gpointer data);

/* The work account's own buddy is away outside its hours, saying when work resumes. */
static void
presence_update(TbConn *conn)
{
  TbWorktime *w = conn->worktime;
  g_autoptr(GDateTime) now = now_here(conn);
  g_autoptr(GDateTime) change = w->hours ? tb_hours_next_change(w->hours, now) : NULL;

  if (w->hours == NULL)
    return;
  if (is_work(conn) && !tb_hours_contains(w->hours, now)) {
    g_autofree char *back = change ? g_date_time_format(change, TB_WHEN_FORMAT) : NULL;
    g_autofree char *msg =
        back ? g_strdup_printf(_("Outside work hours (%s): back at %s"), conn->cfg.work_hours, back)
             : g_strdup_printf(_("Outside work hours (%s)"), conn->cfg.work_hours);
    tb_blist_self_away(conn, msg);
  } else if (is_work(conn)) {
    tb_blist_self_away(conn, NULL);
  }
  if (change != NULL)
    tb_conn_timeout_set(conn, TB_WORKTIME_SLOT_CHANGE, ms_until(g_date_time_to_unix(change)),
                        change_cb, conn);
  else
    tb_conn_timeout_set(conn, TB_WORKTIME_SLOT_CHANGE, TB_WORKTIME_RECHECK_MS, change_cb, conn);
}

static gboolean
change_cb(gpointer data)
{
  presence_update(data);
  return FALSE; /* presence_update set the slot again */
}

/* ---- off_hours: a send typed at the wrong time ---- */

static char *
wrong_time_reason(TbConn *conn)
{
  return is_work(conn) ? g_strdup_printf(_("it is outside the work hours of @%s (%s)"),
                                         conn->handle, conn->cfg.work_hours)
                       : g_strdup_printf(_("it is inside work hours (%s), and @%s is %s"),
                                         conn->cfg.work_hours, conn->handle, conn->cfg.role);
}

static void
say_held(TbConn *conn, const TbOutboxItem *item)
{
  g_autofree char *why = wrong_time_reason(conn);
  g_autofree char *when = format_unix(conn, item->due);
  g_autofree char *msg = g_strdup_printf(
      _("HELD (%s): %s. It goes out by itself at %s; type \"now %s\" to send it now, or "
        "\"unschedule %s\" to drop it. Text: %s"),
      item->id, why, when, item->id, item->id, item->text);
  item_notice(conn, item, msg);
}

static gboolean gate_hours(TbConn *conn, TbOutboxItem *item);

static void
ask_answered(TbConn *conn, gboolean send, gpointer data)
{
  TbWorktimeAsk *a = data; /* tb-confirm frees it afterwards */
  const char *id = a->id, *why = a->why;
  TbAskKind kind = a->kind;
  TbOutboxItem *item = tb_store_outbox_find(conn->store, id);

  if (conn->worktime != NULL)
    g_hash_table_remove(conn->worktime->asks, id);
  if (item == NULL)
    return;
  if (kind == TB_ASK_GUARD && !send) {
    /* kept like a failed send: "retry" sends it, "unschedule" drops it */
    g_autofree char *kept = g_strdup_printf(_("kept by the guard: %s"), why);
    tb_store_outbox_set_error(conn->store, item, kept);
    tb_conn_store_changed(conn);
    tb_conv_show_send_error(conn, item, kept);
  } else if (kind == TB_ASK_GUARD) {
    if (!gate_hours(conn, item))
      tb_send_due(conn, id, FALSE);
  } else if (send) {
    tb_send_due(conn, id, FALSE);
  } else {
    say_held(conn, item);
  }
}

/* Asked through tb-confirm, like confirm_public's questions (OK/Cancel, as BitlBee needs). */
static void
ask(TbConn *conn, TbOutboxItem *item, TbAskKind kind, const char *primary, const char *why)
{
  TbWorktimeAsk *a = g_new0(TbWorktimeAsk, 1);
  g_autofree char *title = g_strdup_printf(_("Twinbird: @%s"), conn->handle);

  a->id = g_strdup(item->id);
  a->kind = kind;
  a->why = g_strdup(why);
  ask_close(conn, item->id); /* one open question per item */
  guint question = tb_confirm_ask(conn, title, primary, item->text, ask_answered, a, ask_free);
  g_hash_table_insert(conn->worktime->asks, g_strdup(item->id), GUINT_TO_POINTER(question));
}

static void
ask_hours(TbConn *conn, TbOutboxItem *item)
{
  g_autofree char *why = wrong_time_reason(conn);
  g_autofree char *when = format_unix(conn, item->due);
  g_autofree char *primary = g_strdup_printf(
      _("Send now from @%s? %s. Yes (OK) sends it now; no (Cancel) holds it until %s (%s)."),
      conn->handle, why, when, item->id);
  ask(conn, item, TB_ASK_HOURS, primary, why);
}

/* A send typed at the wrong time is held (and asked about) unless off_hours is send; it is due
 * at the start of the next right time either way, so a question never answered still ends in
 * a held send, not a lost one. */
static gboolean
gate_hours(TbConn *conn, TbOutboxItem *item)
{
  TbWorktime *w = conn->worktime;
  if (w->hours == NULL || conn->cfg.off_hours == TB_OFF_HOURS_SEND)
    return FALSE;
  g_autoptr(GDateTime) now = now_here(conn);
  if (right_time(conn, now))
    return FALSE;
  g_autoptr(GDateTime) start = tb_hours_next_change(w->hours, now);
  if (start == NULL)
    return FALSE; /* no right time ahead at all: holding would be forever */
  tb_store_outbox_set_due(conn->store, item, g_date_time_to_unix(start), TRUE);
  tb_conn_store_changed(conn);
  arm_due(conn);
  if (conn->cfg.off_hours == TB_OFF_HOURS_ASK)
    ask_hours(conn, item);
  else
    say_held(conn, item);
  return TRUE;
}

/* ---- the guard between the identities ---- */

static void
recent_trim(TbWorktime *w, gint64 now)
{
  while (!g_queue_is_empty(w->recent) &&
         ((TbRecentSend *)g_queue_peek_head(w->recent))->at < now - TB_GUARD_WINDOW_S)
    recent_free(g_queue_pop_head(w->recent));
}

/* Why text would cross from one identity to the other, or NULL. */
static char *
guard_reason(TbConn *conn, TbOutboxKind kind, const char *target, const char *text)
{
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  g_autofree char *peer = kind == TB_OUTBOX_DM && target ? g_ascii_strdown(target, -1) : NULL;
  GList *others = tb_conn_list_signed_in();
  char *why = NULL;

  for (GList *l = others; l && why == NULL; l = l->next) {
    TbConn *other = l->data;
    if (other == conn || other->worktime == NULL || other->store == NULL)
      continue;
    recent_trim(other->worktime, now);
    for (GList *r = other->worktime->recent->head; r && why == NULL; r = r->next) {
      TbRecentSend *sent = r->data;
      if (tb_textmatch_near(sent->text, text))
        why = g_strdup_printf(_("@%s sent the same text %lld min ago"), other->handle,
                              (long long)((now - sent->at) / 60));
    }
    /* typed a moment ago and still on its way to X: not in `recent` until X confirms it */
    GList *items = tb_store_outbox_list(other->store);
    for (GList *o = items; o && why == NULL; o = o->next) {
      TbOutboxItem *item = o->data;
      if (item->attempted != 0 && tb_textmatch_near(item->text, text))
        why = g_strdup_printf(_("@%s sent the same text just now (X has not confirmed it yet)"),
                              other->handle);
    }
    g_list_free(items);
    if (why == NULL && peer != NULL &&
        !tb_store_idlist_contains(conn->store, TB_STORE_DM_PEERS, peer) &&
        tb_store_idlist_contains(other->store, TB_STORE_DM_PEERS, peer))
      why = g_strdup_printf(_("@%s has only ever exchanged DMs with @%s, not with @%s"), peer,
                            other->handle, conn->handle);
  }
  g_list_free(others);
  return why;
}

static gboolean
gate_guard(TbConn *conn, TbOutboxItem *item)
{
  g_autofree char *why = conn->cfg.guard == TB_GUARD_ON
                             ? guard_reason(conn, item->kind, item->target, item->text)
                             : NULL;
  if (why == NULL)
    return FALSE;
  g_autofree char *to = item->kind == TB_OUTBOX_DM ? g_strdup_printf(_("a DM to @%s"), item->target)
                        : item->kind == TB_OUTBOX_REPLY ? g_strdup(_("a reply"))
                                                        : g_strdup(_("a post"));
  g_autofree char *primary = g_strdup_printf(
      _("Send %s from @%s (%s)? %s. Yes (OK) sends it from @%s; no (Cancel) keeps it unsent "
        "(%s: retry sends it later)."),
      to, conn->handle, conn->cfg.role, why, conn->handle, item->id);
  ask(conn, item, TB_ASK_GUARD, primary, why);
  return TRUE;
}

/* tb-send's gate: the guard first, then the work hours. */
static gboolean
gate(TbConn *conn, TbOutboxItem *item)
{
  return conn->worktime != NULL && (gate_guard(conn, item) || gate_hours(conn, item));
}

static void
note_peer(TbConn *conn, const char *handle)
{
  g_autofree char *peer = g_ascii_strdown(handle, -1);
  if (tb_store_idlist_contains(conn->store, TB_STORE_DM_PEERS, peer))
    return;
  tb_store_idlist_add(conn->store, TB_STORE_DM_PEERS, peer, TB_DM_PEERS_KEPT);
  tb_conn_store_changed(conn);
}

void
tb_worktime_note_sent(TbConn *conn, TbOutboxKind kind, const char *target, const char *text)
{
  if (conn->worktime == NULL)
    return;
  TbRecentSend *r = g_new0(TbRecentSend, 1);
  r->text = g_strdup(text);
  r->at = g_get_real_time() / G_USEC_PER_SEC;
  g_queue_push_tail(conn->worktime->recent, r);
  recent_trim(conn->worktime, r->at);
  if (kind == TB_OUTBOX_DM && target != NULL && *target != '\0')
    note_peer(conn, target);
}

void
tb_worktime_note_dm(TbConn *conn, const char *sender)
{
  if (conn->worktime != NULL && sender != NULL)
    note_peer(conn, sender);
}

gboolean
tb_worktime_may_send(TbConn *conn, TbOutboxKind kind, const char *target, const char *text,
                     GError **error)
{
  TbWorktime *w = conn->worktime;
  g_autoptr(GDateTime) now = w ? now_here(conn) : NULL;
  g_autofree char *why =
      w && conn->cfg.guard == TB_GUARD_ON ? guard_reason(conn, kind, target, text) : NULL;

  if (why != NULL) {
    g_set_error(error, TB_ROUTE_ERROR, TB_ROUTE_ERROR_GUARDED,
                _("Not sent from @%s: %s (the guard between the identities; the ...Anyway "
                  "method sends it all the same)"),
                conn->handle, why);
    return FALSE;
  }
  if (w != NULL && w->hours != NULL && conn->cfg.off_hours != TB_OFF_HOURS_SEND &&
      !right_time(conn, now)) {
    g_autofree char *wrong = wrong_time_reason(conn);
    g_set_error(error, TB_ROUTE_ERROR, TB_ROUTE_ERROR_OFF_HOURS,
                _("Not sent from @%s: %s (the ...Anyway method sends it all the same)"),
                conn->handle, wrong);
    return FALSE;
  }
  return TRUE;
}

/* ---- life ---- */

void
tb_worktime_init(TbConn *conn)
{
  TbWorktime *w = g_new0(TbWorktime, 1);
  w->asks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  w->recent = g_queue_new();
  conn->worktime = w;
  conn->hooks.gate = gate;
}

/* Items whose time passed while Twinbird was closed: sent late (X is asked first: a crash may
 * have come between sending and saving), or kept as unsent, per missed_schedule. */
static void
missed_report(TbConn *conn)
{
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  GList *items = tb_store_outbox_list(conn->store);
  GPtrArray *late = g_ptr_array_new_with_free_func(g_free);

  for (GList *l = items; l; l = l->next) {
    TbOutboxItem *item = l->data;
    if (item->due <= 0 || item->due > now)
      continue;
    g_autofree char *when = format_unix(conn, item->due);
    g_autofree char *span = format_span(now - item->due);
    if (conn->cfg.missed_schedule == TB_MISSED_SEND) {
      g_autofree char *msg = g_strdup_printf(
          _("LATE (%s): it was due at %s while Twinbird was closed; sending it now, "
            "%s late. Text: %s"),
          item->id, when, span, item->text);
      item_notice(conn, item, msg);
      g_ptr_array_add(late, g_strdup(item->id));
      continue;
    }
    g_autofree char *why = g_strdup_printf(
        _("it was due at %s (%s ago) while Twinbird was closed, and missed_schedule is hold"), when,
        span);
    tb_store_outbox_set_due(conn->store, item, 0, FALSE);
    tb_store_outbox_set_error(conn->store, item, why);
    tb_conn_store_changed(conn);
    tb_conv_show_send_error(conn, item, why);
  }
  g_list_free(items);
  for (guint i = 0; i < late->len; i++)
    tb_send_due(conn, late->pdata[i], TRUE);
  g_ptr_array_unref(late);
}

void
tb_worktime_start(TbConn *conn)
{
  TbWorktime *w = conn->worktime;

  /* Both were checked at sign-in (core/tb-config), so these cannot fail here. */
  w->hours = tb_hours_parse(conn->cfg.work_hours, NULL);
  w->tz = tb_hours_zone(conn->cfg.time_zone, NULL);
  if (w->tz == NULL)
    w->tz = g_time_zone_new_utc();
  presence_update(conn);
  missed_report(conn);
  arm_due(conn);
}

void
tb_worktime_cleanup(TbConn *conn)
{
  TbWorktime *w = g_steal_pointer(&conn->worktime);
  if (w == NULL)
    return;
  conn->hooks.gate = NULL;
  g_queue_free_full(w->recent, recent_free);
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, w->asks);
  while (g_hash_table_iter_next(&iter, NULL, &value))
    tb_confirm_close(conn, GPOINTER_TO_UINT(value));
  g_hash_table_destroy(w->asks);
  g_clear_pointer(&w->hours, tb_hours_free);
  g_clear_pointer(&w->tz, g_time_zone_unref);
  g_free(w);
}

/* ---- commands ---- */

char *
tb_worktime_schedule(TbConn *conn, PurpleConversation *conv, const char *line)
{
  TbWorktime *w = conn->worktime;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = now_here(conn);
  g_autoptr(GDateTime) next = w->hours ? tb_hours_next_start(w->hours, now, is_work(conn)) : NULL;
  const char *text = NULL;
  g_autoptr(GDateTime) at = tb_hours_parse_when(line, now, next, &text, &error);

  if (at == NULL)
    return g_strdup_printf(_("Not scheduled: %s. Usage: schedule <when> <text>"), error->message);
  TbRoute route = tb_conv_route(conn, conv);
  if (route.action == TB_ROUTE_NOTHING)
    return g_strdup(_("Not scheduled: nothing to reply to in this conversation yet."));
  g_autofree char *id =
      tb_send_schedule(conn, route.kind, route.target, purple_conversation_get_name(conv), text,
                       g_date_time_to_unix(at), &error);
  if (id == NULL)
    return g_strdup_printf(_("Not scheduled from @%s: %s"), conn->handle, error->message);
  arm_due(conn);
  g_autofree char *when = g_date_time_format(at, TB_WHEN_FORMAT);
  g_autofree char *span = format_span(g_date_time_difference(at, now) / G_TIME_SPAN_SECOND);
  g_autofree char *msg = g_strdup_printf(
      _("SCHEDULED (%s) from @%s for %s (in %s): %s. \"scheduled\" lists them, \"now %s\" sends "
        "it now, \"unschedule %s\" drops it."),
      id, conn->handle, when, span, text, id, id);
  tb_conv_notice(conn, conv, msg);
  return NULL;
}

static char *
describe(TbConn *conn, const TbOutboxItem *item)
{
  g_autofree char *when = format_unix(conn, item->due);
  g_autofree char *to = item->kind == TB_OUTBOX_DM ? g_strdup_printf(_("DM to @%s"), item->target)
                        : item->kind == TB_OUTBOX_REPLY ? g_strdup(_("reply"))
                                                        : g_strdup(_("post"));
  return g_strdup_printf("%s%s %s, %s: %s", item->id, item->held ? _(" (held)") : "", when, to,
                         item->text);
}

/* Kept unsent after a refusal or a failure, and not in doubt: what "retry" and "drop" act on. */
static gboolean
kept_unsent(const TbOutboxItem *item)
{
  return item->due == 0 && item->last_error != NULL && item->attempted == 0;
}

#define TB_LISTED_TEXT_CHARS 300

static char *
describe_kept(const TbOutboxItem *item)
{
  g_autofree char *to = item->kind == TB_OUTBOX_DM ? g_strdup_printf(_("DM to @%s"), item->target)
                        : item->kind == TB_OUTBOX_REPLY ? g_strdup(_("reply"))
                                                        : g_strdup(_("post"));
  gboolean long_text = FALSE;
  g_autofree char *cut = tb_bounds_dup(item->text, TB_LISTED_TEXT_CHARS, &long_text);
  return g_strdup_printf(_("%s (kept unsent: %s) %s: %s%s"), item->id, item->last_error, to, cut,
                         long_text ? "\u2026" : "");
}

char *
tb_worktime_list(TbConn *conn, PurpleConversation *conv)
{
  GList *items = tb_store_outbox_list(conn->store);
  guint n = 0, kept = 0;

  for (GList *l = items; l; l = l->next) {
    TbOutboxItem *item = l->data;
    if (item->due <= 0)
      continue;
    if (n++ == 0) {
      g_autofree char *zone =
          g_strdup(conn->cfg.time_zone[0] ? conn->cfg.time_zone : _("this machine's time zone"));
      g_autofree char *head =
          g_strdup_printf(_("Scheduled and held sends of @%s (times in %s):"), conn->handle, zone);
      tb_conv_notice(conn, conv, head);
    }
    g_autofree char *line = describe(conn, item);
    tb_conv_notice(conn, conv, line);
  }
  for (GList *l = items; l; l = l->next) {
    TbOutboxItem *item = l->data;
    if (!kept_unsent(item))
      continue;
    if (kept++ == 0) {
      g_autofree char *head = g_strdup_printf(
          _("Kept unsent by @%s (\"!retry oN\" sends one again, \"!drop oN\" forgets it):"),
          conn->handle);
      tb_conv_notice(conn, conv, head);
    }
    g_autofree char *line = describe_kept(item);
    tb_conv_notice(conn, conv, line);
  }
  g_list_free(items);
  if (n == 0 && kept == 0) {
    g_autofree char *msg =
        g_strdup_printf(_("Nothing scheduled, held or kept unsent for @%s."), conn->handle);
    tb_conv_notice(conn, conv, msg);
  }
  return NULL;
}

/* A scheduled, held or missed item of this account that is not on its way. */
static TbOutboxItem *
waiting_item(TbConn *conn, const char *cmd, const char *id, char **error)
{
  TbOutboxItem *item = tb_store_outbox_find(conn->store, id);
  if (item != NULL && (item->due > 0 || (item->last_error != NULL && item->attempted == 0)))
    return item;
  *error = g_strdup_printf(_("%s: nothing scheduled or held is called %s (type \"scheduled\")"),
                           cmd, id);
  return NULL;
}

char *
tb_worktime_unschedule(TbConn *conn, PurpleConversation *conv, const char *id)
{
  char *error = NULL;
  TbOutboxItem *item = waiting_item(conn, "unschedule", id, &error);
  if (item == NULL)
    return error;
  g_autofree char *msg = g_strdup_printf(_("Dropped %s, not sent: %s"), item->id, item->text);
  ask_close(conn, id);
  tb_store_outbox_remove(conn->store, id);
  tb_conn_store_changed(conn);
  arm_due(conn);
  tb_conv_notice(conn, conv, msg);
  return NULL;
}

char *
tb_worktime_now(TbConn *conn, PurpleConversation *conv, const char *id)
{
  char *error = NULL;
  TbOutboxItem *item = waiting_item(conn, "now", id, &error);
  if (item == NULL)
    return error;
  if (item->markup_only)
    return g_strdup_printf(_("now: %s holds formatting alone, with no text X could take (\"!drop "
                             "%s\" forgets it)"),
                           id, id);
  g_autofree char *msg = g_strdup_printf(_("Sending %s now from @%s"), item->id, conn->handle);
  ask_close(conn, id);
  if (!tb_send_due(conn, id, FALSE))
    return g_strdup_printf(_("now: %s is already on its way"), id);
  arm_due(conn);
  tb_conv_notice(conn, conv, msg);
  return NULL;
}
