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
/* DM events have no since_id, so every poll returns events already seen, and X bills each
 * returned event (once per UTC day). The first page of a poll is a small probe; only when all of
 * it is new do the following pages grow. */
#define TB_DMS_PROBE 3
#define TB_DMS_PAGE 50
#define TB_DMS_MAX_PAGES 50

typedef struct {
  TbPoller *poller;
  char *since;      /* cursor when the fetch began; NULL on a first run */
  char *start_time; /* mentions without a cursor yet: all since this time is new */
  gboolean grown;   /* DMs: the probe was all new, pages are now full size */
  GPtrArray *pages; /* newest page first */
  int total;
  GHashTable *tokens; /* pagination tokens followed: one seen twice is a loop, and ends the walk */
  GHashTable *shown;  /* ids handled in this run: an id sent twice (one page or two) counts once */
  gint64 started;     /* when the run asked X (Unix seconds) */
} TbFetchRun;

struct _TbFetchState {
  TbPoller *mentions, *dms;
};

static TbFetchRun *
run_new(TbPoller *poller, const char *since)
{
  TbFetchRun *run = g_new0(TbFetchRun, 1);
  run->poller = poller;
  run->since = g_strdup(since);
  run->started = g_get_real_time() / G_USEC_PER_SEC;
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

static void
mentions_finish(TbFetchRun *run, gboolean capped)
{
  TbConn *conn = run->poller->conn;
  g_autofree char *newest = g_strdup(run->since);

  /* Oldest first: pages run newest to oldest, and each page is newest first. */
  for (guint p = run->pages->len; p > 0; p--) {
    TbXapiTweetPage *page = run->pages->pdata[p - 1];
    remember_users(conn, page->users);
    for (guint i = 0; i < page->skipped_ids->len; i++) {
      const char *id = page->skipped_ids->pdata[i];
      if (tb_id_compare(id, newest) > 0) {
        g_free(newest);
        newest = g_strdup(id);
      }
    }
    for (guint i = page->tweets->len; i > 0; i--) {
      const TbXapiTweet *t = page->tweets->pdata[i - 1];
      if (run->since && tb_id_compare(t->id, run->since) <= 0)
        continue; /* never show a post twice, whatever the server sends */
      if (!run_first_sight(run, t->id))
        continue;
      /* The account's own posts (a repost of a mention, a self-mention) were echoed, tagged,
       * when they were sent: they are not something received. The cursor still moves past. */
      if (g_strcmp0(t->author_id, conn->me->id) != 0)
        tb_conv_show_mention(conn, t, page);
      if (tb_id_compare(t->id, newest) > 0) {
        g_free(newest);
        newest = g_strdup(t->id);
      }
    }
  }
  if (newest && g_strcmp0(newest, run->since) != 0) {
    tb_store_set(conn->store, TB_CURSOR_MENTIONS, newest);
    tb_conn_store_changed(conn);
  } else if (newest == NULL && run->start_time == NULL) {
    /* No mention yet, so no since_id: remember when we started looking, so a burst arriving
     * later is fetched whole rather than as a first run's few recent ones. From when this run
     * asked (less a minute of clock skew), not from now: a mention made while the answer was on
     * its way is after that, and is fetched next time. */
    g_autoptr(GDateTime) asked = g_date_time_new_from_unix_utc(run->started - 60);
    g_autofree char *iso = g_date_time_format(asked, "%Y-%m-%dT%H:%M:%SZ");
    tb_store_set(conn->store, TB_MENTIONS_START, iso);
    tb_conn_store_changed(conn);
  }
  if (capped)
    notify_gap(conn, _("More mentions arrived while offline than X keeps (its newest 800); older "
                       "ones could not be fetched."));
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
  mentions_finish(run, more || run->total >= TB_MENTIONS_WINDOW);
  run_free(run, (GDestroyNotify)tb_xapi_tweet_page_free);
  tb_poller_done(poller, resp, NULL);
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
  run->start_time = g_strdup(tb_store_get(conn->store, TB_MENTIONS_START));
  mentions_request(run, NULL);
}

/* ---- DMs ---- */

static void dms_page_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp,
                          const GError *error, gpointer data);

static void
dms_request(TbFetchRun *run, const char *token)
{
  TbConn *conn = run->poller->conn;
  int max = run->since == NULL ? TB_FIRST_RUN_ITEMS : run->grown ? TB_DMS_PAGE : TB_DMS_PROBE;
  tb_conn_send_full(conn, tb_xapi_dm_events_request(&conn->auth, conn->cfg.api_base, token, max),
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

static void
dms_finish(TbFetchRun *run, gboolean gap)
{
  TbConn *conn = run->poller->conn;
  g_autofree char *newest = g_strdup(run->since);

  gboolean wait = FALSE;
  for (guint p = run->pages->len; p > 0 && !wait; p--) {
    TbXapiDmPage *page = run->pages->pdata[p - 1];
    remember_users(conn, page->users);
    for (guint i = page->events->len; i > 0; i--) {
      const TbXapiDmEvent *e = page->events->pdata[i - 1];
      char buf[24];
      if (run->since && tb_id_compare(e->id, run->since) <= 0)
        continue;
      if (!run_first_sight(run, e->id))
        continue;
      /* Ours but not known as sent: if a send is still awaiting X's answer it may be that one,
       * shown by the echo, not as "sent from another app". Stop here; the next fetch decides. */
      if (g_strcmp0(e->sender_id, conn->me->id) == 0 && !sent_by_us(conn, e->id) &&
          tb_send_dm_under_way(conn)) {
        wait = TRUE;
        break;
      }
      if (tb_id_compare(e->id, newest) > 0) {
        g_free(newest);
        newest = g_strdup(e->id);
      }
      if (g_strcmp0(e->event_type, "MessageCreate") != 0 || sent_by_us(conn, e->id))
        continue;
      if (e->text == NULL) {
        purple_debug_warning("twinbird", "@%s: DM %s has no text, skipped\n", conn->handle, e->id);
        continue;
      }
      const char *peer_id = dm_peer_id(conn, e, buf, sizeof buf);
      TbXapiUser *peer = peer_id ? tb_conn_user_by_id(conn, peer_id) : NULL;
      if (peer == NULL) {
        purple_debug_warning("twinbird", "@%s: DM %s from an unknown user, skipped\n", conn->handle,
                             e->id);
        continue;
      }
      gboolean from_me = g_strcmp0(e->sender_id, conn->me->id) == 0;
      /* A DM of ours whose send was reported failed (the answer was lost) but reached X: it
       * is that outbox item, confirmed late, not a message from another app. */
      if (from_me && tb_send_reconcile_dm(conn, peer->username, e->text, e->id))
        continue;
      tb_conv_show_dm(conn, e, peer->username, from_me);
    }
  }
  /* An empty first fetch still sets a cursor ("0" sorts before every id): from then on every
   * event is new and is paged for, instead of a first run's few recent ones. */
  if (newest == NULL && !wait) /* a first fetch that waited stays a first fetch */
    newest = g_strdup("0");
  if (g_strcmp0(newest, run->since) != 0) {
    tb_store_set(conn->store, TB_CURSOR_DMS, newest);
    tb_conn_store_changed(conn);
  }
  /* Said once per lost cursor: until a new DM moves the cursor every fetch would repeat it. */
  if (gap && g_strcmp0(tb_store_get(conn->store, "dm_gap_reported"), run->since) != 0) {
    tb_store_set(conn->store, "dm_gap_reported", run->since);
    tb_conn_store_changed(conn);
    notify_gap(conn, _("The last DM seen before is no longer on X (it keeps 30 days of DMs); "
                       "messages older than that may be missing."));
  }
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
    if (!run->grown) {
      /* The probe was all new: start again from the top with full pages, so one page size is
       * used with each pagination token. Reading the probe's events again the same UTC day
       * costs nothing (X bills a resource once a day). */
      g_ptr_array_remove_index(run->pages, run->pages->len - 1);
      tb_xapi_dm_page_free(page);
      run->grown = TRUE;
      dms_request(run, NULL);
      return;
    }
    if (run_may_follow(run, page->next_token)) {
      dms_request(run, page->next_token);
      return;
    }
    reached_seen = TRUE; /* a looping server: what was fetched is shown, and no gap is claimed */
  }
  /* "0" (no DM before) cannot be reached: that is not a gap. */
  dms_finish(run, run->since && g_strcmp0(run->since, "0") != 0 && !reached_seen);
  run_free(run, (GDestroyNotify)tb_xapi_dm_page_free);
  tb_poller_done(poller, resp, NULL);
}

static void
dms_run(TbPoller *poller)
{
  TbConn *conn = poller->conn;
  dms_request(run_new(poller, tb_store_get(conn->store, TB_CURSOR_DMS)), NULL);
}

/* ---- mutuals ---- */

#define TB_MUTUALS_KEY "mutuals"
#define TB_MUTUALS_AT "mutuals_at"
#define TB_MUTUALS_MAX_AGE_S (7 * 24 * 3600) /* every user returned is billed: once a week */

typedef struct {
  TbConn *conn;
  GPtrArray *following; /* TbXapiUser */
} TbMutualsRun;

static void
mutuals_run_free(gpointer data)
{
  TbMutualsRun *run = data;
  g_ptr_array_unref(run->following);
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
mutuals_followers_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp,
                       const GError *error, gpointer data)
{
  TbMutualsRun *run = data;
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) followers = error ? NULL : tb_xapi_user_list_parse(root, &local);
  (void)resp;

  if (followers != NULL) {
    GString *handles = g_string_new(NULL);
    guint n = 0;
    /* Mutual = in both lists; keep X's order (most recent first), up to the cap. */
    for (guint i = 0; i < run->following->len && n < (guint)conn->cfg.mutuals_cap; i++) {
      TbXapiUser *f = run->following->pdata[i];
      for (guint j = 0; j < followers->len; j++) {
        if (g_strcmp0(f->id, ((TbXapiUser *)followers->pdata[j])->id) == 0) {
          tb_conn_remember_user(conn, f);
          g_string_append_printf(handles, "%s%s", n++ ? "," : "", f->username);
          break;
        }
      }
    }
    tb_store_set(conn->store, TB_MUTUALS_KEY, handles->str);
    tb_store_set_int(conn->store, TB_MUTUALS_AT, g_get_real_time() / G_USEC_PER_SEC);
    tb_conn_store_changed(conn);
    show_mutuals(conn, handles->str);
    g_string_free(handles, TRUE);
  } else {
    purple_debug_warning("twinbird", "@%s: mutuals not fetched: %s\n", conn->handle,
                         (error ? error : local)->message);
  }
  mutuals_run_free(run);
}

static void
mutuals_following_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp,
                       const GError *error, gpointer data)
{
  g_autoptr(GError) local = NULL;
  GPtrArray *following = error ? NULL : tb_xapi_user_list_parse(root, &local);
  (void)resp;
  (void)data;

  if (following == NULL) {
    purple_debug_warning("twinbird", "@%s: mutuals not fetched: %s\n", conn->handle,
                         (error ? error : local)->message);
    return;
  }
  TbMutualsRun *run = g_new0(TbMutualsRun, 1);
  run->conn = conn;
  run->following = following;
  tb_conn_send_full(conn,
                    tb_xapi_follows_request(&conn->auth, conn->cfg.api_base, conn->me->id,
                                            "followers", conn->cfg.mutuals_cap),
                    mutuals_followers_done, run, mutuals_run_free);
}

static void
mutuals_start(TbConn *conn)
{
  gint64 at = tb_store_get_int(conn->store, TB_MUTUALS_AT, 0);
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;

  if (conn->cfg.mutuals_cap <= 0)
    return;
  show_mutuals(conn, tb_store_get(conn->store, TB_MUTUALS_KEY));
  if (now - at < TB_MUTUALS_MAX_AGE_S)
    return;
  tb_conn_send(conn,
               tb_xapi_follows_request(&conn->auth, conn->cfg.api_base, conn->me->id, "following",
                                       conn->cfg.mutuals_cap),
               mutuals_following_done, NULL);
}

void
tb_fetch_start(TbConn *conn)
{
  TbFetchState *f = g_new0(TbFetchState, 1);

  conn->fetch = f;
  mutuals_start(conn);
  f->mentions = tb_poller_new(conn, "mentions", (guint)conn->cfg.mention_interval, mentions_run);
  f->dms = tb_poller_new(conn, "DMs", (guint)conn->cfg.dm_interval, dms_run);
  tb_poller_schedule(f->mentions, 0);
  tb_poller_schedule(f->dms, 0);
}

void
tb_fetch_stop(TbConn *conn)
{
  TbFetchState *f = g_steal_pointer(&conn->fetch);

  if (f == NULL)
    return;
  tb_poller_free(f->mentions);
  tb_poller_free(f->dms);
  g_free(f);
}
