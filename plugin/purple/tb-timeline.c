/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-timeline.h"
#include "core/tb-bounds.h"
#include "core/tb-home.h"
#include "core/tb-ids.h"
#include "tb-conv.h"
#include "tb-poll.h"

#include <glib/gi18n-lib.h>

#define TB_TIMELINE_ENDPOINT "GET /2/users/:id/timelines/reverse_chronological"
#define TB_TIMELINE_PRICE_SAID "timeline_price_said" /* since it was last switched on */
#define TB_TIMELINE_SLOT "timeline-deliver"
/* A slice of delivery holds the loop this long and the item that crosses it: a UI must not
 * stall 5 ms, and a loaded machine stretches the wall time. */
#define TB_TIMELINE_SLICE_US 2000

/* One read being shown: its page, the posts oldest first, and who the user's other accounts are
 * (for the marks), as they were when the answer came. */
typedef struct {
  TbConn *conn;
  TbXapiTweetPage *page;
  GPtrArray *queue; /* const TbXapiTweet * of page, oldest first */
  guint next;
  char *since;            /* the cursor when the read began, NULL on the first */
  GPtrArray *other_ids;   /* char *, NULL-terminated: X ids of the user's other accounts */
  GPtrArray *other_roles; /* char *, the same order */
  TbXapiRateLimit rl;     /* the answer's window, for the poller's next pause */
} TbTimelineRun;

struct _TbTimeline {
  TbPoller *poller;
  TbIdSet *seen;             /* ids shown in the chat this session, bounded */
  TbTimelineRun *delivering; /* freed at stop */
};

static void
run_free(TbTimelineRun *run)
{
  tb_xapi_tweet_page_free(run->page);
  if (run->queue)
    g_ptr_array_free(run->queue, TRUE);
  g_ptr_array_free(run->other_ids, TRUE);
  g_ptr_array_free(run->other_roles, TRUE);
  g_free(run->since);
  g_free(run);
}

static gint
oldest_first(gconstpointer a, gconstpointer b)
{
  const TbXapiTweet *x = *(const TbXapiTweet *const *)a, *y = *(const TbXapiTweet *const *)b;
  return tb_id_compare(x->id, y->id);
}

/* The cursor moves with what is shown, so a client closed halfway reads the rest again. */
static void
run_advance(TbTimelineRun *run, const char *id)
{
  TbConn *conn = run->conn;
  if (id == NULL || !tb_xapi_id_is_valid(id) ||
      !tb_home_is_new(id, tb_store_get(conn->store, TB_CURSOR_TIMELINE)))
    return;
  tb_store_set(conn->store, TB_CURSOR_TIMELINE, id);
  tb_conn_store_changed(conn);
}

static void
deliver_one(TbTimelineRun *run, const TbXapiTweet *t)
{
  TbConn *conn = run->conn;
  guint which = 0;

  if (tb_home_is_new(t->id, run->since) && tb_id_set_add(conn->timeline->seen, t->id)) {
    TbHomeMark mark = tb_home_mark(t->author_id, conn->me->id,
                                   (const char *const *)run->other_ids->pdata, &which);
    g_autofree char *text =
        tb_home_mark_text(mark, mark == TB_HOME_MARK_OTHER ? run->other_roles->pdata[which] : NULL);
    tb_conv_show_timeline(conn, t, run->page, text, mark == TB_HOME_MARK_OWN);
  }
  run_advance(run, t->id);
}

static void
run_end(TbTimelineRun *run)
{
  TbConn *conn = run->conn;
  TbPoller *poller = conn->timeline->poller;
  TbXapiRateLimit rl = run->rl;

  conn->timeline->delivering = NULL;
  for (guint i = 0; i < run->page->skipped_ids->len; i++)
    run_advance(run, run->page->skipped_ids->pdata[i]); /* unreadable: never asked for again */
  run_advance(run, run->page->newest_id);               /* the next read: since meta.newest_id */
  if (tb_home_is_gap(run->since, run->page->next_token != NULL)) {
    g_autofree char *msg = g_strdup_printf(
        _("More posts arrived since the last read than one read takes (%d): the older ones are "
          "not shown here (they are on x.com)."),
        TB_HOME_PAGE);
    tb_conv_notice(conn, tb_conv_timeline(conn), msg);
  }
  run_free(run);
  tb_poller_finished(poller, &rl, NULL);
}

/* Shows what is queued for up to TB_TIMELINE_SLICE_US, then yields to the loop and goes on. */
static gboolean
deliver_slice(gpointer data)
{
  TbTimelineRun *run = data;
  gint64 start = g_get_monotonic_time();

  while (run->next < run->queue->len) {
    deliver_one(run, run->queue->pdata[run->next++]);
    if (run->next < run->queue->len && g_get_monotonic_time() - start > TB_TIMELINE_SLICE_US) {
      tb_conn_timeout_set(run->conn, TB_TIMELINE_SLOT, 0, deliver_slice, run);
      return FALSE;
    }
  }
  run_end(run);
  return FALSE;
}

/* The user's other Twinbird accounts signed in now: their posts are marked as theirs. */
static void
run_gather_others(TbTimelineRun *run)
{
  GList *conns = tb_conn_list_signed_in();
  for (GList *l = conns; l; l = l->next) {
    TbConn *other = l->data;
    if (other == run->conn || other->me == NULL)
      continue;
    g_ptr_array_add(run->other_ids, g_strdup(other->me->id));
    g_ptr_array_add(run->other_roles, g_strdup(other->cfg.role));
  }
  g_list_free(conns);
  g_ptr_array_add(run->other_ids, NULL);
}

static void
home_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
          gpointer data)
{
  g_autofree char *since = data;
  TbTimeline *tl = conn->timeline;
  TbXapiTweetPage *page = error ? NULL : tb_xapi_tweet_page_parse(root);

  if (page == NULL) {
    tb_poller_done(tl->poller, resp, error); /* the cursor stays: the next read asks again */
    return;
  }
  TbTimelineRun *run = g_new0(TbTimelineRun, 1);
  run->conn = conn;
  run->page = page;
  run->since = g_steal_pointer(&since);
  run->other_ids = g_ptr_array_new_with_free_func(g_free);
  run->other_roles = g_ptr_array_new_with_free_func(g_free);
  run_gather_others(run);
  run->queue = g_ptr_array_sized_new(page->tweets->len);
  for (guint i = 0; i < page->tweets->len; i++)
    g_ptr_array_add(run->queue, page->tweets->pdata[i]);
  g_ptr_array_sort(run->queue, oldest_first); /* X sends newest first; shown oldest first */
  GHashTableIter iter;
  gpointer user;
  g_hash_table_iter_init(&iter, page->users);
  while (g_hash_table_iter_next(&iter, NULL, &user))
    tb_conn_remember_user(conn, user);
  tb_xapi_rate_limit_read(resp, &run->rl);
  tl->delivering = run;
  tb_conn_timeout_set(conn, TB_TIMELINE_SLOT, 0, deliver_slice, run);
}

static void
home_run(TbPoller *poller)
{
  TbConn *conn = poller->conn;
  const char *since = tb_store_get(conn->store, TB_CURSOR_TIMELINE);

  tb_conn_send_full(conn,
                    tb_xapi_home_request(&conn->auth, conn->cfg.api_base, conn->me->id, since,
                                         tb_home_page_size(since)),
                    home_done, g_strdup(since), g_free);
}

void
tb_timeline_start(TbConn *conn)
{
  if (conn->cfg.timeline == TB_TIMELINE_OFF) {
    /* switched on again later, it starts small and says its price again */
    if (tb_store_get(conn->store, TB_CURSOR_TIMELINE) ||
        tb_store_get(conn->store, TB_TIMELINE_PRICE_SAID)) {
      tb_store_set(conn->store, TB_CURSOR_TIMELINE, NULL);
      tb_store_set(conn->store, TB_TIMELINE_PRICE_SAID, NULL);
      tb_conn_store_changed(conn);
    }
    return;
  }
  TbTimeline *tl = g_new0(TbTimeline, 1);
  conn->timeline = tl;
  tl->seen = tb_id_set_new(TB_BOUND_TIMELINE_SEEN);
  tl->poller = tb_poller_new(conn, "timeline", (guint)conn->cfg.timeline_interval, home_run);
  tb_poller_set_pace(tl->poller, TB_TIMELINE_ENDPOINT, 0, NULL);

  PurpleConversation *chat = tb_conv_timeline(conn); /* the chat appears when switched on */
  if (tb_store_get(conn->store, TB_TIMELINE_PRICE_SAID) == NULL) {
    g_autofree char *price =
        tb_home_price_notice(conn->handle, conn->cfg.role, (guint)conn->cfg.timeline_interval);
    tb_conv_notice(conn, chat, price);
    tb_store_set(conn->store, TB_TIMELINE_PRICE_SAID, "1");
    tb_conn_store_changed(conn);
  }
  tb_poller_schedule(tl->poller, 0);
}

void
tb_timeline_stop(TbConn *conn)
{
  TbTimeline *tl = g_steal_pointer(&conn->timeline);

  if (tl == NULL)
    return;
  if (tl->delivering != NULL) {
    tb_conn_timeout_clear(conn, TB_TIMELINE_SLOT);
    run_free(tl->delivering);
  }
  tb_poller_free(tl->poller);
  tb_id_set_free(tl->seen);
  g_free(tl);
}
