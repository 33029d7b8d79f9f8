/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-fetch.h"
#include "core/tb-bounds.h"
#include "core/tb-ids.h"
#include "tb-blist.h"
#include "tb-conv.h"
#include "tb-poll.h"
#include "tb-send.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#define TB_FIRST_RUN_ITEMS 5 /* a first sign-in shows a few recent items, not a bill */
#define TB_MENTIONS_PAGE 100
#define TB_MENTIONS_WINDOW 800 /* X serves only the newest 800 mentions */
/* 8 full pages reach X's window; a server sending thin pages with fresh tokens is cut here. */
#define TB_MENTIONS_MAX_PAGES 10
/* DM events have no since_id, so every poll returns events already seen, and X bills each event
 * returned (once per UTC day) and each user an answer includes. The check is the newest two
 * events without expansions: one new DM in a conversation costs one request, and an idle day
 * costs two events. Only when all of a page is new does the walk go on, from that page's own
 * token, with growing pages; senders are looked up only when new and not already known. */
#define TB_DMS_CHECK 2 /* idle: a day's first check bills its old events again */
/* In a conversation two DMs between checks would cost a walk's extra read of X's 15 a window,
 * and slow every later check: the check reads more, but only as many as the checks before it
 * have read since the conversation began (X bills an event once a UTC day: those are free). */
#define TB_DMS_ACTIVE_CHECK_MAX 5
#define TB_DMS_GROW 5 /* each page of a walk this many times the one before, up to X's 100 */
#define TB_DMS_PAGE_MAX 100
#define TB_DMS_MAX_PAGES 60 /* 6,000 events: more than 30 days of X's DMs for most people */

/* One item to show: a post or a DM event, with the page whose includes it needs. */
typedef struct _TbDelivery {
  const char *id;     /* where the cursor moves once it is shown */
  gconstpointer item; /* TbXapiTweet or TbXapiDmEvent; NULL: an unreadable item, cursor only */
  gconstpointer page;
  gboolean gathered; /* a mention of a backlog's older conversations: the account's mention chat */
} TbDelivery;

typedef struct _TbFetchRun {
  TbPoller *poller;
  char *since;      /* cursor when the fetch began; NULL on a first run */
  char *start_time; /* mentions without a cursor yet: all since this time is new */
  GPtrArray *pages; /* newest page first */
  int total;
  GHashTable *tokens; /* pagination tokens followed: one seen twice is a loop, and ends the walk */
  GHashTable *shown;  /* ids handled in this run: an id sent twice (one page or two) counts once */
  gint64 started;     /* when the run asked X (Unix seconds) */
  gint64 began_us;    /* the same, monotonic µs */
  gboolean gap;       /* DMs: the walk ended before the last DM seen; mentions: X kept no more */
  /* delivery, in slices (see "delivery" below) */
  GArray *queue; /* TbDelivery, oldest first */
  guint next;    /* the next one to deliver */
  char *newest;  /* the cursor as delivered so far */
  gboolean (*deliver_one)(struct _TbFetchRun *run, const struct _TbDelivery *d);
  void (*delivered)(struct _TbFetchRun *run); /* all of it shown: the run's last words */
  GDestroyNotify page_free;
  TbXapiRateLimit rl; /* the last answer's window, for the poller's next pause */
  guint lookups;      /* DMs: GET /2/users asked in this run (each answers up to 100 people) */
  int check_size;     /* DMs: the first page's size */
  gboolean active;    /* DMs: the run began in a conversation */
  gboolean waited;    /* DMs: stopped before an event of ours whose send is under way */
} TbFetchRun;

/* A conversation is active for this long after its last DM: checks go at the budget's pace. */
#define TB_DMS_ACTIVE_S (5 * 60)
/* X allows 15 DM reads a window: one every 60 s is the most a check may go while active. */
#define TB_DMS_ACTIVE_FLOOR_S 60
/* No read kept back: checks spread what is left over the window (span / left), so a walk still
 * finds one until the window's end, and a conversation is checked every 60 s or so. */
#define TB_DMS_RESERVE 0
#define TB_MENTIONS_RESERVE 10 /* 800 mentions are 8 pages of 100 */

/* A slice of delivery holds the loop this long and the item that crosses it: a UI must not
 * stall 5 ms, and a loaded machine stretches the wall time. */
#define TB_SLICE_US 2000
/* A backlog opens chats for its newest conversations only; the older ones are gathered. */
#define TB_MENTIONS_OWN_CHATS 20

struct _TbFetchState {
  TbPoller *mentions, *dms;
  gint64 dms_active_until;   /* Unix seconds: checks go faster until then */
  guint dms_top_read;        /* the newest events this many in a row were read by checks ... */
  gint64 dms_top_day;        /* ... on this UTC day (Unix days): X has billed them already */
  TbFetchRun *delivering[2]; /* a run being shown, [0] mentions, [1] DMs; freed at stop */
  gboolean stream_up;        /* tb-stream delivers: polls are only a rare safety check */
  /* Per lane ([0] mentions, [1] DMs). The cursor is one high-water mark for both paths, so the
   * stream moves it only while polling has caught up: no run under way, and the last one began
   * after the stream came up (what came before it was polled). Otherwise what the stream shows
   * is remembered here, and the poll run skips it without losing what lies below it. */
  gboolean caught_up[2];
  TbIdSet *streamed[2];
  gint64 stream_up_at; /* monotonic µs the stream last came up */
};
#define TB_STREAMED_KEPT 4096

/* While the Activity stream is up, a poll only checks that nothing slipped past it. */
#define TB_STREAM_SAFETY_S (15 * 60)

/* The cursor as stored now: the stream may have moved it past a run's start. */
static gboolean
seen_by_cursor(TbConn *conn, const char *key, const char *id)
{
  const char *live = tb_store_get(conn->store, key);
  return live != NULL && tb_id_compare(id, live) <= 0;
}

static const char *const deliver_slots[2] = {"fetch-deliver-mentions", "fetch-deliver-dms"};

static TbFetchRun *
run_new(TbPoller *poller, const char *since)
{
  TbFetchRun *run = g_new0(TbFetchRun, 1);
  run->poller = poller;
  run->since = g_strdup(since);
  run->started = g_get_real_time() / G_USEC_PER_SEC;
  run->began_us = g_get_monotonic_time();
  run->tokens = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  run->shown = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  return run;
}

static void
run_free(TbFetchRun *run, GDestroyNotify page_free)
{
  if (run->pages) {
    for (guint i = 0; i < run->pages->len; i++)
      page_free(run->pages->pdata[i]);
    g_ptr_array_free(run->pages, TRUE);
  }
  g_hash_table_destroy(run->tokens);
  g_hash_table_destroy(run->shown);
  if (run->queue)
    g_array_free(run->queue, TRUE);
  g_free(run->newest);
  g_free(run->since);
  g_free(run->start_time);
  g_free(run);
}

static void
mentions_run_free(gpointer run)
{
  run_free(run, (GDestroyNotify)tb_xapi_tweet_page_free);
}

static void
dms_run_free(gpointer run)
{
  run_free(run, (GDestroyNotify)tb_xapi_dm_page_free);
}

/* TRUE the first time this run sees id. */
static gboolean
run_first_sight(TbFetchRun *run, const char *id)
{
  return g_hash_table_add(run->shown, g_strdup(id));
}

/* TRUE if token is new to this run and may be followed; a token seen before is a loop. */
static gboolean
run_may_follow(TbFetchRun *run, const char *token)
{
  if (token == NULL)
    return FALSE;
  if (g_hash_table_add(run->tokens, g_strdup(token)))
    return TRUE;
  purple_debug_warning("twinbird", "@%s: %s: X sent a pagination token twice; walk ended\n",
                       run->poller->conn->handle, run->poller->name);
  return FALSE;
}

static void
remember_users(TbConn *conn, GHashTable *users)
{
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, users);
  while (g_hash_table_iter_next(&iter, NULL, &value))
    tb_conn_remember_user(conn, value);
}

static void
notify_gap(TbConn *conn, const char *what)
{
  g_autofree char *title = g_strdup_printf(_("Twinbird: @%s (%s)"), conn->handle, conn->cfg.role);
  purple_notify_warning(conn->gc, title, title, what);
}

/* ---- delivery, in slices ---- */

static int
run_lane(TbFetchRun *run)
{
  return run->poller == run->poller->conn->fetch->dms ? 1 : 0;
}

static void
run_queue(TbFetchRun *run, const char *id, gconstpointer item, gconstpointer page,
          gboolean gathered)
{
  TbDelivery d = {id, item, page, gathered};
  if (run->queue == NULL)
    run->queue = g_array_new(FALSE, FALSE, sizeof(TbDelivery));
  g_array_append_val(run->queue, d);
}

/* The cursor moves with what is shown, so a client killed halfway fetches the rest again. */
static void
run_advance(TbFetchRun *run, const char *key, const char *id)
{
  TbConn *conn = run->poller->conn;
  if (tb_id_compare(id, run->newest) <= 0)
    return;
  g_free(run->newest);
  run->newest = g_strdup(id);
  tb_store_set(conn->store, key, id);
  tb_conn_store_changed(conn);
}

static void
run_end(TbFetchRun *run)
{
  TbConn *conn = run->poller->conn;
  TbPoller *poller = run->poller;
  TbXapiRateLimit rl = run->rl;

  TbFetchState *f = conn->fetch;
  int lane = run_lane(run);
  f->delivering[lane] = NULL;
  /* all shown (not stopped before a send of ours), and nothing older left to the stream */
  f->caught_up[lane] = !run->waited && run->began_us >= f->stream_up_at;
  run->delivered(run);
  gboolean again = f->stream_up && !f->caught_up[lane] && !run->waited;
  run_free(run, run->page_free);
  tb_poller_finished(poller, &rl, NULL);
  if (again)
    tb_poller_poke(poller); /* began before the stream came up: once more, after it */
}

/* Shows what is queued for up to TB_SLICE_US, then yields to the loop and goes on. */
static gboolean
deliver_slice(gpointer data)
{
  TbFetchRun *run = data;
  gint64 start = g_get_monotonic_time();

  while (run->queue != NULL && run->next < run->queue->len) {
    const TbDelivery *d = &g_array_index(run->queue, TbDelivery, run->next++);
    if (!run->deliver_one(run, d))
      break; /* the rest waits for the next fetch */
    if (run->next < run->queue->len && g_get_monotonic_time() - start > TB_SLICE_US) {
      tb_conn_timeout_set(run->poller->conn, deliver_slots[run_lane(run)], 0, deliver_slice, run);
      return FALSE;
    }
  }
  run_end(run);
  return FALSE;
}

/* The walk is over: show what it found, in slices, then let the poller go on. */
static void
run_deliver(TbFetchRun *run, const TbHttpResponse *resp)
{
  TbConn *conn = run->poller->conn;

  if (resp != NULL)
    tb_xapi_rate_limit_read(resp, &run->rl);
  run->newest = g_strdup(run->since);
  conn->fetch->delivering[run_lane(run)] = run;
  tb_conn_timeout_set(conn, deliver_slots[run_lane(run)], 0, deliver_slice, run);
}

/* ---- mentions ---- */

static void mentions_page_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp,
                               const GError *error, gpointer data);

static void
mentions_request(TbFetchRun *run, const char *token)
{
  TbConn *conn = run->poller->conn;
  gboolean known = run->since || run->start_time;
  int max = known ? TB_MENTIONS_PAGE : TB_FIRST_RUN_ITEMS;
  tb_conn_send_full(conn,
                    tb_xapi_mentions_request(&conn->auth, conn->cfg.api_base, conn->me->id,
                                             run->since, run->start_time, token, max),
                    mentions_page_done, run, mentions_run_free);
}

static gboolean
mention_deliver(TbFetchRun *run, const TbDelivery *d)
{
  TbConn *conn = run->poller->conn;
  const TbXapiTweet *t = d->item;

  if (t != NULL && (run->since == NULL || tb_id_compare(t->id, run->since) > 0) &&
      !tb_id_set_contains(conn->fetch->streamed[0], t->id) && /* the stream showed it */
      run_first_sight(run, t->id) &&
      /* The account's own posts (a repost of a mention, a self-mention) were echoed, tagged,
       * when they were sent: they are not something received. The cursor still moves past. */
      g_strcmp0(t->author_id, conn->me->id) != 0)
    tb_conv_show_mention(conn, t, d->page, d->gathered);
  run_advance(run, TB_CURSOR_MENTIONS, d->id);
  return TRUE;
}

static void
mentions_delivered(TbFetchRun *run)
{
  TbConn *conn = run->poller->conn;

  if (run->newest == NULL && run->start_time == NULL) {
    /* No mention yet, so no since_id: remember when we started looking, so a burst arriving
     * later is fetched whole rather than as a first run's few recent ones. From when this run
     * asked (less a minute of clock skew), not from now: a mention made while the answer was on
     * its way is after that, and is fetched next time. */
    g_autoptr(GDateTime) asked = g_date_time_new_from_unix_utc(run->started - 60);
    g_autofree char *iso = g_date_time_format(asked, "%Y-%m-%dT%H:%M:%SZ");
    tb_store_set(conn->store, TB_MENTIONS_START, iso);
    tb_conn_store_changed(conn);
  }
  if (run->gap)
    notify_gap(conn, _("More mentions arrived while offline than X keeps (its newest 800); older "
                       "ones could not be fetched."));
}

/* The conversations a backlog's mentions open, newest first: past the first
 * TB_MENTIONS_OWN_CHATS they are gathered in the account's mention chat. */
static GHashTable *
mentions_gathered(TbFetchRun *run, guint *shown, guint *kept)
{
  TbConn *conn = run->poller->conn;
  GHashTable *own = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  GHashTable *gathered = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

  *shown = 0;
  for (guint p = 0; p < run->pages->len; p++) {
    TbXapiTweetPage *page = run->pages->pdata[p];
    for (guint i = 0; i < page->tweets->len; i++) {
      const TbXapiTweet *t = page->tweets->pdata[i];
      if ((run->since && tb_id_compare(t->id, run->since) <= 0) ||
          g_strcmp0(t->author_id, conn->me->id) == 0)
        continue;
      g_autofree char *key = g_ascii_strdown(tb_conv_mention_key(conn, t, page), -1);
      (*shown)++;
      if (g_hash_table_contains(own, key) || g_hash_table_contains(gathered, key))
        continue;
      g_hash_table_add(g_hash_table_size(own) < TB_MENTIONS_OWN_CHATS ? own : gathered,
                       g_steal_pointer(&key));
    }
  }
  *kept = g_hash_table_size(own);
  g_hash_table_destroy(own);
  return gathered;
}

static void
mentions_finish(TbFetchRun *run, const TbHttpResponse *resp, gboolean capped)
{
  TbConn *conn = run->poller->conn;
  guint shown = 0, kept = 0;
  g_autoptr(GHashTable) gathered = conn->cfg.mention_mode == TB_MENTIONS_SINGLE
                                       ? g_hash_table_new(g_str_hash, g_str_equal)
                                       : mentions_gathered(run, &shown, &kept);

  run->gap = capped;
  run->deliver_one = mention_deliver;
  run->delivered = mentions_delivered;
  run->page_free = (GDestroyNotify)tb_xapi_tweet_page_free;
  if (g_hash_table_size(gathered) > 0) {
    guint others = g_hash_table_size(gathered);
    g_autofree char *notice = g_strdup_printf(
        g_dngettext(GETTEXT_PACKAGE,
                    "%u mentions arrived at once: the newest %u conversations have a chat each, "
                    "the %u other is gathered here.",
                    "%u mentions arrived at once: the newest %u conversations have a chat each, "
                    "the %u others are gathered here.",
                    others),
        shown, kept, others);
    tb_conv_notice_gathered(conn, notice);
  }
  /* Oldest first: pages run newest to oldest, and each page is newest first. */
  for (guint p = run->pages->len; p > 0; p--) {
    TbXapiTweetPage *page = run->pages->pdata[p - 1];
    remember_users(conn, page->users);
    for (guint i = 0; i < page->skipped_ids->len; i++)
      run_queue(run, page->skipped_ids->pdata[i], NULL, page, FALSE);
    for (guint i = page->tweets->len; i > 0; i--) {
      const TbXapiTweet *t = page->tweets->pdata[i - 1];
      g_autofree char *key = g_ascii_strdown(tb_conv_mention_key(conn, t, page), -1);
      run_queue(run, t->id, t, page, g_hash_table_contains(gathered, key));
    }
  }
  run_deliver(run, resp);
}

static void
mentions_page_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
                   gpointer data)
{
  TbFetchRun *run = data;
  TbPoller *poller = run->poller;
  TbXapiTweetPage *page = error ? NULL : tb_xapi_tweet_page_parse(root);
  (void)conn;

  if (page == NULL) {
    /* Nothing is shown from a partial run: the cursor stays, the next run fetches it all. */
    run_free(run, (GDestroyNotify)tb_xapi_tweet_page_free);
    tb_poller_done(poller, resp, error);
    return;
  }
  if (run->pages == NULL)
    run->pages = g_ptr_array_new();
  g_ptr_array_add(run->pages, page);
  run->total += (int)page->tweets->len;

  gboolean more = (run->since || run->start_time) && page->tweets->len > 0 &&
                  run_may_follow(run, page->next_token);
  if (more && run->total < TB_MENTIONS_WINDOW && run->pages->len < TB_MENTIONS_MAX_PAGES) {
    mentions_request(run, page->next_token);
    return;
  }
  /* Capped only when X had more to give: exactly its 800 is the whole backlog. */
  mentions_finish(run, resp, more);
}

void
tb_fetch_resume_from(TbConn *conn, gint64 unix_s)
{
  g_autoptr(GDateTime) at = g_date_time_new_from_unix_utc(unix_s);
  g_autofree char *iso = at ? g_date_time_format(at, "%Y-%m-%dT%H:%M:%SZ") : NULL;
  g_autofree char *dm_cursor = tb_id_from_time(unix_s * 1000);

  if (iso != NULL)
    tb_store_set(conn->store, TB_MENTIONS_START, iso);
  tb_store_set(conn->store, TB_CURSOR_DMS, dm_cursor);
  tb_conn_store_changed(conn);
}

static void
mentions_run(TbPoller *poller)
{
  TbConn *conn = poller->conn;
  TbFetchRun *run = run_new(poller, tb_store_get(conn->store, TB_CURSOR_MENTIONS));
  conn->fetch->caught_up[0] = FALSE;
  run->start_time = g_strdup(tb_store_get(conn->store, TB_MENTIONS_START));
  mentions_request(run, NULL);
}

/* ---- DMs ---- */

static void dms_page_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp,
                          const GError *error, gpointer data);
static void dms_lookup_senders(TbFetchRun *run, const TbHttpResponse *resp);

static gboolean
dms_active(TbConn *conn)
{
  return g_get_real_time() / G_USEC_PER_SEC < conn->fetch->dms_active_until;
}

/* The newest events read today in a row: what a check may read again without a new bill. */
static guint
dms_top_read_today(TbFetchState *f)
{
  return f->dms_top_day == g_get_real_time() / G_USEC_PER_SEC / 86400 ? f->dms_top_read : 0;
}

/* The check's size: idle, TB_DMS_CHECK; in a conversation, what is free to read again. */
static int
dms_check_size(TbConn *conn)
{
  if (!dms_active(conn))
    return TB_DMS_CHECK;
  return (int)CLAMP(dms_top_read_today(conn->fetch), TB_DMS_CHECK, TB_DMS_ACTIVE_CHECK_MAX);
}

/* A walk ended: the newest events in a row it read, counted for the next checks. An idle check
 * counts from what every idle check reads, so what an old run read is not counted on: near the
 * day's turn it may have been read the day before. */
static void
dms_note_read(TbFetchRun *run, gboolean reached_seen)
{
  TbFetchState *f = run->poller->conn->fetch;
  guint returned = 0, fresh = 0;
  guint before = dms_top_read_today(f);

  for (guint p = 0; p < run->pages->len; p++) {
    TbXapiDmPage *page = run->pages->pdata[p];
    returned += page->events->len;
    for (guint i = 0; run->since && i < page->events->len; i++)
      fresh += tb_id_compare(((const TbXapiDmEvent *)page->events->pdata[i])->id, run->since) > 0;
  }
  if (!run->active)
    before = MIN(before, TB_DMS_CHECK);
  f->dms_top_read = MIN(reached_seen ? MAX(returned, fresh + before) : returned, 10000u);
  f->dms_top_day = g_get_real_time() / G_USEC_PER_SEC / 86400;
}

/* The size of the next page: a first run's few, the check, then growing pages. */
static int
dms_page_size(TbFetchRun *run)
{
  guint pages = run->pages ? run->pages->len : 0;
  int size = run->check_size;

  if (run->since == NULL)
    return TB_FIRST_RUN_ITEMS;
  for (guint i = 0; i < pages && size < TB_DMS_PAGE_MAX; i++)
    size *= TB_DMS_GROW;
  return MIN(size, TB_DMS_PAGE_MAX);
}

static void
dms_request(TbFetchRun *run, const char *token)
{
  TbConn *conn = run->poller->conn;
  tb_conn_send_full(
      conn,
      tb_xapi_dm_events_request(&conn->auth, conn->cfg.api_base, token, dms_page_size(run), FALSE),
      dms_page_done, run, dms_run_free);
}

static gboolean
sent_by_us(TbConn *conn, const char *id)
{
  return tb_store_idlist_contains(conn->store, TB_STORE_SENT_DMS, id);
}

/* The other person of a one-to-one conversation "smaller-larger". */
static const char *
dm_peer_id(TbConn *conn, const TbXapiDmEvent *e, char *buf, gsize len)
{
  if (g_strcmp0(e->sender_id, conn->me->id) != 0)
    return e->sender_id;
  const char *conv = e->dm_conversation_id ? e->dm_conversation_id : "";
  const char *dash = strchr(conv, '-');
  if (dash == NULL)
    return NULL; /* a group conversation: not shown yet */
  if (strncmp(conv, conn->me->id, dash - conv) == 0 && conn->me->id[dash - conv] == '\0')
    return dash + 1;
  g_strlcpy(buf, conv, MIN(len, (gsize)(dash - conv) + 1));
  return buf;
}

/* After the cursor moved past it: shown unless not a message, sent from here, without text or
 * from someone unknown. */
static void
dm_show(TbConn *conn, const TbXapiDmEvent *e)
{
  char buf[24];

  if (g_strcmp0(e->event_type, "MessageCreate") != 0 || sent_by_us(conn, e->id))
    return;
  if (e->text == NULL) {
    purple_debug_warning("twinbird", "@%s: DM %s has no text, skipped\n", conn->handle, e->id);
    return;
  }
  const char *peer_id = dm_peer_id(conn, e, buf, sizeof buf);
  TbXapiUser *peer = peer_id ? tb_conn_user_by_id(conn, peer_id) : NULL;
  if (peer == NULL) {
    purple_debug_warning("twinbird", "@%s: DM %s from an unknown user, skipped\n", conn->handle,
                         e->id);
    return;
  }
  gboolean from_me = g_strcmp0(e->sender_id, conn->me->id) == 0;
  /* A DM of ours whose send was reported failed (the answer was lost) but reached X: it is that
   * outbox item, confirmed late, not a message from another app. */
  if (!(from_me && tb_send_reconcile_dm(conn, peer->username, e->text, e->id)))
    tb_conv_show_dm(conn, e, peer->username, from_me);
}

/* One event: shown, or skipped (not a message, sent from here, no text, unknown sender). FALSE
 * stops the run before an event of ours whose send may still be answered. */
static gboolean
dm_deliver(TbFetchRun *run, const TbDelivery *d)
{
  TbConn *conn = run->poller->conn;
  const TbXapiDmEvent *e = d->item;

  if ((run->since && tb_id_compare(e->id, run->since) <= 0) || !run_first_sight(run, e->id))
    return TRUE;
  if (tb_id_set_contains(conn->fetch->streamed[1], e->id)) {
    run_advance(run, TB_CURSOR_DMS, e->id); /* the stream showed it meanwhile */
    return TRUE;
  }
  /* Ours but not known as sent: if a send is still awaiting X's answer it may be that one,
   * shown by the echo, not as "sent from another app". Stop here; the next fetch decides. */
  if (g_strcmp0(e->sender_id, conn->me->id) == 0 && !sent_by_us(conn, e->id) &&
      tb_send_dm_under_way(conn)) {
    run->waited = TRUE;
    return FALSE;
  }
  run_advance(run, TB_CURSOR_DMS, e->id);
  dm_show(conn, e);
  return TRUE;
}

static void
dms_delivered(TbFetchRun *run)
{
  TbConn *conn = run->poller->conn;

  /* An empty first fetch still sets a cursor ("0" sorts before every id): from then on every
   * event is new and is paged for, instead of a first run's few recent ones. */
  if (run->newest == NULL && !run->waited && /* a first fetch that waited stays a first one */
      tb_store_get(conn->store, TB_CURSOR_DMS) == NULL) { /* nor one the stream moved */
    tb_store_set(conn->store, TB_CURSOR_DMS, "0");
    tb_conn_store_changed(conn);
  }
  if (g_strcmp0(run->newest, run->since) != 0 && run->since != NULL)
    tb_fetch_note_activity(conn);
  /* Said once per lost cursor: until a new DM moves the cursor every fetch would repeat it. */
  if (run->gap && g_strcmp0(tb_store_get(conn->store, "dm_gap_reported"), run->since) != 0) {
    tb_store_set(conn->store, "dm_gap_reported", run->since);
    tb_conn_store_changed(conn);
    notify_gap(conn, _("The last DM seen before is no longer on X (it keeps 30 days of DMs); "
                       "messages older than that may be missing."));
  }
}

static void
dms_finish(TbFetchRun *run, const TbHttpResponse *resp)
{
  run->deliver_one = dm_deliver;
  run->delivered = dms_delivered;
  run->page_free = (GDestroyNotify)tb_xapi_dm_page_free;
  for (guint p = run->pages->len; p > 0; p--) {
    TbXapiDmPage *page = run->pages->pdata[p - 1];
    remember_users(run->poller->conn, page->users);
    for (guint i = page->events->len; i > 0; i--) {
      const TbXapiDmEvent *e = page->events->pdata[i - 1];
      run_queue(run, e->id, e, page, FALSE);
    }
  }
  run_deliver(run, resp);
}

/* The people of the run's new events that this account does not know yet, at most max. */
static GPtrArray *
dms_unknown_people(TbFetchRun *run, guint max)
{
  TbConn *conn = run->poller->conn;
  GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

  for (guint p = 0; p < run->pages->len && ids->len < max; p++) {
    TbXapiDmPage *page = run->pages->pdata[p];
    for (guint i = 0; i < page->events->len && ids->len < max; i++) {
      const TbXapiDmEvent *e = page->events->pdata[i];
      char buf[24];
      if (run->since && tb_id_compare(e->id, run->since) <= 0)
        continue;
      const char *peer = dm_peer_id(conn, e, buf, sizeof buf);
      if (peer == NULL || !tb_xapi_id_is_valid(peer) || tb_conn_user_by_id(conn, peer) ||
          !g_hash_table_add(seen, g_strdup(peer)))
        continue;
      g_ptr_array_add(ids, g_strdup(peer));
    }
  }
  g_ptr_array_add(ids, NULL);
  return ids;
}

static void
dms_senders_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
                 gpointer data)
{
  TbFetchRun *run = data;
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) users = error ? NULL : tb_xapi_user_list_parse(root, &local);

  if (users == NULL) {
    /* Not shown without knowing who wrote: the cursor stays and the next check asks again
     * (the same events cost nothing more the same UTC day). */
    TbPoller *poller = run->poller;
    g_autoptr(GError) why = error ? g_error_copy(error) : g_error_copy(local);
    run_free(run, (GDestroyNotify)tb_xapi_dm_page_free);
    tb_poller_done(poller, resp, why);
    return;
  }
  for (guint i = 0; i < users->len; i++)
    tb_conn_remember_user(conn, users->pdata[i]);
  dms_lookup_senders(run, resp);
}

/* New events from people not known yet: ask X who they are (what X bills once), then show. */
static void
dms_lookup_senders(TbFetchRun *run, const TbHttpResponse *resp)
{
  TbConn *conn = run->poller->conn;
  g_autoptr(GPtrArray) ids = dms_unknown_people(run, TB_XAPI_USERS_BY_IDS_MAX);

  if (ids->len <= 1 || run->lookups >= TB_DMS_MAX_PAGES) {
    dms_finish(run, resp);
    return;
  }
  run->lookups++;
  tb_conn_send_full(conn,
                    tb_xapi_users_by_ids_request(&conn->auth, conn->cfg.api_base,
                                                 (const char *const *)ids->pdata),
                    dms_senders_done, run, dms_run_free);
}

static void
dms_page_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
              gpointer data)
{
  TbFetchRun *run = data;
  TbPoller *poller = run->poller;
  TbXapiDmPage *page = error ? NULL : tb_xapi_dm_page_parse(root);
  (void)conn;

  if (page == NULL) {
    run_free(run, (GDestroyNotify)tb_xapi_dm_page_free);
    tb_poller_done(poller, resp, error);
    return;
  }
  if (run->pages == NULL)
    run->pages = g_ptr_array_new();
  g_ptr_array_add(run->pages, page);

  gboolean reached_seen = FALSE;
  for (guint i = 0; i < page->events->len && run->since; i++) {
    const TbXapiDmEvent *e = page->events->pdata[i];
    if (tb_id_compare(e->id, run->since) <= 0)
      reached_seen = TRUE;
  }
  /* No since_id on this endpoint: follow the next page only while everything is new. */
  if (run->since && !reached_seen && page->next_token && run->pages->len < TB_DMS_MAX_PAGES) {
    if (run_may_follow(run, page->next_token)) {
      dms_request(run, page->next_token);
      return;
    }
    reached_seen = TRUE; /* a looping server: what was fetched is shown, and no gap is claimed */
  }
  /* "0" (no DM before) cannot be reached: that is not a gap. */
  run->gap = run->since && g_strcmp0(run->since, "0") != 0 && !reached_seen;
  dms_note_read(run, reached_seen);
  dms_lookup_senders(run, resp);
}

static void
dms_run(TbPoller *poller)
{
  TbConn *conn = poller->conn;
  TbFetchRun *run = run_new(poller, tb_store_get(conn->store, TB_CURSOR_DMS));
  conn->fetch->caught_up[1] = FALSE;
  run->active = dms_active(conn);
  run->check_size = dms_check_size(conn);
  dms_request(run, NULL);
}

/* ---- mutuals ---- */

#define TB_MUTUALS_KEY "mutuals"
#define TB_MUTUALS_AT "mutuals_at"
#define TB_MUTUALS_MAX_AGE_S (7 * 24 * 3600) /* every user returned is billed: once a week */

/* Mutuals are the people in both follow lists. X bills every user a list returns, so the smaller
 * list is read whole (it bounds the answer), then the other only page by page until mutuals_cap
 * of them are found; both in X's order, the most recent first. */
#define TB_MUTUALS_SMALL_MAX_PAGES 5 /* 5,000 people: beyond that the list is cut there */
#define TB_MUTUALS_OTHER_MAX_PAGES 20

typedef struct {
  TbConn *conn;
  const char *small, *other; /* "following" / "followers": which is read whole, which in part */
  gint64 other_size;         /* how many the other list holds, -1 if X did not say */
  GHashTable *small_ids;     /* ids of the smaller list */
  GPtrArray *found;          /* TbXapiUser of both lists, the other list's order */
  guint pages;
} TbMutualsRun;

static void
mutuals_run_free(gpointer data)
{
  TbMutualsRun *run = data;
  g_hash_table_destroy(run->small_ids);
  g_ptr_array_unref(run->found);
  g_free(run);
}

static void
show_mutuals(TbConn *conn, const char *handles)
{
  g_auto(GStrv) list = g_strsplit(handles ? handles : "", ",", -1);
  for (guint i = 0; list[i]; i++) {
    if (*list[i] == '\0')
      continue;
    TbXapiUser *u = tb_conn_user_by_handle(conn, list[i]);
    TbXapiUser stub = {.id = "", .username = list[i], .name = list[i]};
    tb_blist_add_person(conn, u ? u : &stub);
  }
}

static void
mutuals_save(TbMutualsRun *run)
{
  TbConn *conn = run->conn;
  GString *handles = g_string_new(NULL);

  for (guint i = 0; i < run->found->len; i++) {
    TbXapiUser *u = run->found->pdata[i];
    tb_conn_remember_user(conn, u);
    g_string_append_printf(handles, "%s%s", i ? "," : "", u->username);
  }
  tb_store_set(conn->store, TB_MUTUALS_KEY, handles->str);
  tb_store_set_int(conn->store, TB_MUTUALS_AT, g_get_real_time() / G_USEC_PER_SEC);
  tb_conn_store_changed(conn);
  show_mutuals(conn, handles->str);
  g_string_free(handles, TRUE);
}

static void mutuals_request(TbMutualsRun *run, const char *which, const char *token);

/* A page of the list being read: keep what matters, then the next page, the other list, or done. */
static void
mutuals_page_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
                  gpointer data)
{
  TbMutualsRun *run = data;
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) users = error ? NULL : tb_xapi_user_list_parse(root, &local);
  g_autofree char *next = users ? tb_xapi_next_token(root) : NULL;
  gboolean reading_small = run->found == NULL;
  guint cap = (guint)conn->cfg.mutuals_cap;
  (void)resp;

  if (users == NULL) {
    purple_debug_warning("twinbird", "@%s: mutuals not fetched: %s\n", conn->handle,
                         (error ? error : local)->message);
    mutuals_run_free(run);
    return;
  }
  run->pages++;
  for (guint i = 0; i < users->len; i++) {
    TbXapiUser *u = users->pdata[i];
    if (reading_small)
      g_hash_table_add(run->small_ids, g_strdup(u->id));
    else if (run->found->len < cap && g_hash_table_contains(run->small_ids, u->id))
      g_ptr_array_add(run->found, g_steal_pointer(&users->pdata[i]));
  }
  if (reading_small && next && run->pages < TB_MUTUALS_SMALL_MAX_PAGES) {
    mutuals_request(run, run->small, next);
    return;
  }
  if (reading_small) {
    run->found = g_ptr_array_new_with_free_func((GDestroyNotify)tb_xapi_user_free);
    run->pages = 0;
    if (g_hash_table_size(run->small_ids) > 0) {
      mutuals_request(run, run->other, NULL);
      return;
    }
  } else if (next && run->found->len < cap && run->pages < TB_MUTUALS_OTHER_MAX_PAGES) {
    mutuals_request(run, run->other, next);
    return;
  }
  mutuals_save(run);
  mutuals_run_free(run);
}

static void
mutuals_request(TbMutualsRun *run, const char *which, const char *token)
{
  TbConn *conn = run->conn;
  gboolean small = run->found == NULL;
  /* the smaller list in pages as large as X gives; the other in pages the size of what is still
   * wanted, so little is read (and billed) past the last mutual needed */
  int max = small ? TB_BOUND_PAGE_USERS : MAX(conn->cfg.mutuals_cap - (int)run->found->len, 20);
  if (!small && run->other_size >= 0)
    max = (int)MIN((gint64)max, MAX(run->other_size, 1));
  tb_conn_send_full(
      conn,
      tb_xapi_follows_request(&conn->auth, conn->cfg.api_base, conn->me->id, which, token, max),
      mutuals_page_done, run, mutuals_run_free);
}

static void
mutuals_start(TbConn *conn)
{
  gint64 at = tb_store_get_int(conn->store, TB_MUTUALS_AT, 0);
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  gint64 following = conn->me->following_count, followers = conn->me->followers_count;

  if (conn->cfg.mutuals_cap <= 0)
    return;
  show_mutuals(conn, tb_store_get(conn->store, TB_MUTUALS_KEY));
  if (now - at < TB_MUTUALS_MAX_AGE_S)
    return;
  TbMutualsRun *run = g_new0(TbMutualsRun, 1);
  run->conn = conn;
  run->small_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  /* Without X's counts, following is the usual smaller one. */
  gboolean followers_smaller = followers >= 0 && following >= 0 && followers < following;
  run->small = followers_smaller ? "followers" : "following";
  run->other = followers_smaller ? "following" : "followers";
  run->other_size = followers_smaller ? following : followers;
  if (following == 0 || followers == 0) {
    run->found = g_ptr_array_new_with_free_func((GDestroyNotify)tb_xapi_user_free);
    mutuals_save(run); /* one list is empty: no mutual, and nothing to read */
    mutuals_run_free(run);
    return;
  }
  mutuals_request(run, run->small, NULL);
}

void
tb_fetch_note_activity(TbConn *conn)
{
  if (conn->fetch != NULL)
    conn->fetch->dms_active_until = g_get_real_time() / G_USEC_PER_SEC + TB_DMS_ACTIVE_S;
}

/* Idle, DMs are checked every dm_interval; in a conversation, at the pace X's budget allows. */
static guint
dms_floor(TbPoller *poller)
{
  TbConn *conn = poller->conn;
  gboolean active = dms_active(conn);
  if (conn->fetch->stream_up)
    return MAX(poller->interval_s, TB_STREAM_SAFETY_S);
  return active ? MIN(poller->interval_s, TB_DMS_ACTIVE_FLOOR_S) : poller->interval_s;
}

static guint
mentions_floor(TbPoller *poller)
{
  return poller->conn->fetch->stream_up ? MAX(poller->interval_s, TB_STREAM_SAFETY_S)
                                        : poller->interval_s;
}

/* ---- what the Activity stream brought (tb-stream.c): the pollers' checks and cursors ---- */

void
tb_fetch_stream_set_up(TbConn *conn, gboolean up)
{
  TbFetchState *f = conn->fetch;

  if (f == NULL || f->stream_up == up)
    return;
  f->stream_up = up;
  /* down: back to the usual pace from now, not after a safety check's long pause; up: one check
   * now closes any gap before the stream's first event (a run under way checks again when it
   * ends), then the safety check's pace */
  TbPoller *pollers[] = {f->mentions, f->dms};
  for (gsize lane = 0; lane < G_N_ELEMENTS(pollers); lane++) {
    if (up) {
      f->stream_up_at = g_get_monotonic_time();
      f->caught_up[lane] = FALSE;
      tb_poller_poke(pollers[lane]);
    } else if (!pollers[lane]->busy) {
      tb_poller_schedule(pollers[lane], pollers[lane]->floor(pollers[lane]) * 1000);
    }
  }
}

/* FALSE if id was shown before, by a poll (the cursor is past it) or by the stream; else it is
 * noted as shown: the cursor moves if polling has caught up, else it is remembered. */
static gboolean
stream_note(TbConn *conn, int lane, const char *id)
{
  TbFetchState *f = conn->fetch;
  const char *key = lane ? TB_CURSOR_DMS : TB_CURSOR_MENTIONS;

  if (seen_by_cursor(conn, key, id) || !tb_id_set_add(f->streamed[lane], id))
    return FALSE;
  if (f->caught_up[lane]) {
    tb_store_set(conn->store, key, id);
    tb_conn_store_changed(conn);
  }
  return TRUE;
}

void
tb_fetch_stream_dms(TbConn *conn, GPtrArray *dms, GPtrArray *users)
{
  if (conn->fetch == NULL || conn->me == NULL)
    return;
  for (guint i = 0; users && i < users->len; i++)
    tb_conn_remember_user(conn, users->pdata[i]);
  for (guint i = 0; dms && i < dms->len; i++) {
    const TbXapiDmEvent *e = dms->pdata[i];
    char buf[24];
    if (seen_by_cursor(conn, TB_CURSOR_DMS, e->id) ||
        tb_id_set_contains(conn->fetch->streamed[1], e->id))
      continue; /* shown first by a poll, or by the stream itself */
    gboolean ours = g_strcmp0(e->sender_id, conn->me->id) == 0;
    const char *peer = dm_peer_id(conn, e, buf, sizeof buf);
    /* A send of ours still awaiting X's answer, or a sender not known yet: the poller decides,
     * as it would have without the stream (it waits, or looks the sender up); until it has,
     * the stream no longer moves the cursor past this one. */
    if ((ours && !sent_by_us(conn, e->id) && tb_send_dm_under_way(conn)) ||
        (peer != NULL && tb_conn_user_by_id(conn, peer) == NULL)) {
      conn->fetch->caught_up[1] = FALSE;
      tb_poller_poke(conn->fetch->dms);
      continue;
    }
    stream_note(conn, 1, e->id);
    dm_show(conn, e);
    tb_fetch_note_activity(conn);
  }
}

void
tb_fetch_stream_mention(TbConn *conn, const TbXapiTweet *post, GPtrArray *users)
{
  if (conn->fetch == NULL || conn->me == NULL || post == NULL || !stream_note(conn, 0, post->id))
    return;
  if (g_strcmp0(post->author_id, conn->me->id) == 0)
    return; /* echoed, tagged, when it was sent */
  /* a page of one, whose includes are the event's users */
  TbXapiTweetPage page = {
      .tweets = g_ptr_array_new(),
      .users = g_hash_table_new(g_str_hash, g_str_equal),
      .included_tweets = g_hash_table_new(g_str_hash, g_str_equal),
      .media = g_hash_table_new(g_str_hash, g_str_equal),
      .skipped_ids = g_ptr_array_new(),
  };
  g_ptr_array_add(page.tweets, (gpointer)post);
  for (guint i = 0; users && i < users->len; i++) {
    TbXapiUser *u = users->pdata[i];
    tb_conn_remember_user(conn, u);
    g_hash_table_replace(page.users, u->id, u);
  }
  tb_conv_show_mention(conn, post, &page, FALSE);
  g_ptr_array_free(page.tweets, TRUE);
  g_ptr_array_free(page.skipped_ids, TRUE);
  g_hash_table_destroy(page.users);
  g_hash_table_destroy(page.included_tweets);
  g_hash_table_destroy(page.media);
}

void
tb_fetch_start(TbConn *conn)
{
  TbFetchState *f = g_new0(TbFetchState, 1);

  conn->fetch = f;
  for (int lane = 0; lane < 2; lane++)
    f->streamed[lane] = tb_id_set_new(TB_STREAMED_KEPT);
  mutuals_start(conn);
  f->mentions = tb_poller_new(conn, "mentions", (guint)conn->cfg.mention_interval, mentions_run);
  f->dms = tb_poller_new(conn, "DMs", (guint)conn->cfg.dm_interval, dms_run);
  tb_poller_set_pace(f->mentions, "GET /2/users/:id/mentions", TB_MENTIONS_RESERVE, mentions_floor);
  tb_poller_set_pace(f->dms, "GET /2/dm_events", TB_DMS_RESERVE, dms_floor);
  tb_poller_schedule(f->mentions, 0);
  tb_poller_schedule(f->dms, 0);
}

void
tb_fetch_stop(TbConn *conn)
{
  TbFetchState *f = g_steal_pointer(&conn->fetch);

  if (f == NULL)
    return;
  for (int lane = 0; lane < 2; lane++) {
    TbFetchRun *run = f->delivering[lane];
    if (run != NULL) {
      tb_conn_timeout_clear(conn, deliver_slots[lane]);
      run_free(run, run->page_free);
    }
  }
  tb_poller_free(f->mentions);
  tb_poller_free(f->dms);
  for (int lane = 0; lane < 2; lane++)
    tb_id_set_free(f->streamed[lane]);
  g_free(f);
}
