/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-reconcile.h"
#include "api/tb-xapi-data.h"
#include "core/tb-render.h"
#include "core/tb-textmatch.h"

#include <glib/gi18n-lib.h>

/* X's clock and ours may differ: look a little before the try. */
#define TB_RECONCILE_SKEW_S 300
/* Each page read is billed per item: start small, grow only while everything is newer. */
static const int page_sizes[] = {5, 20, 100};

typedef struct {
  TbConn *conn;
  char *outbox_id;
  TbOutboxKind kind;
  char *text;
  char *target; /* DM: the peer's handle; reply: the post it answers */
  gint64 since;
  guint page;
  TbReconcileDone done;
  gpointer data;
  GDestroyNotify destroy;
} TbLook;

static void
look_free(gpointer data)
{
  TbLook *look = data;
  if (look->data != NULL && look->destroy != NULL)
    look->destroy(look->data); /* the connection closed first */
  g_free(look->outbox_id);
  g_free(look->text);
  g_free(look->target);
  g_free(look);
}

static void
look_end(TbLook *look, const char *x_id, const GError *error)
{
  look->done(look->conn, look->outbox_id, x_id, error, g_steal_pointer(&look->data));
  look_free(look);
}

static gboolean
same_text(const TbLook *look, const char *x_text)
{
  g_autofree char *plain = tb_render_unescape_x(x_text ? x_text : "");
  return look->kind == TB_OUTBOX_REPLY ? tb_textmatch_same_reply(look->text, plain)
                                       : tb_textmatch_same(look->text, plain);
}

/* ---- DMs ---- */

static void dm_request(TbLook *look, const char *peer_id, const char *token);

typedef struct {
  TbLook *look;
  char *peer_id;
} TbDmLook;

static void
dm_look_free(gpointer data)
{
  TbDmLook *d = data;
  look_free(d->look);
  g_free(d->peer_id);
  g_free(d);
}

static void
dm_page_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
             gpointer data)
{
  TbDmLook *d = data;
  TbLook *look = g_steal_pointer(&d->look);
  g_autofree char *peer_id = g_steal_pointer(&d->peer_id);
  (void)resp;
  g_free(d);

  if (error != NULL) {
    look_end(look, NULL, error);
    return;
  }
  g_autoptr(TbXapiDmPage) page = tb_xapi_dm_page_parse(root);
  gboolean older = FALSE;
  for (guint i = 0; i < page->events->len; i++) {
    const TbXapiDmEvent *e = page->events->pdata[i];
    if (tb_xapi_time_parse(e->created_at, G_MAXINT64) < look->since) {
      older = TRUE; /* newest first: the rest is from before the try */
      break;
    }
    if (g_strcmp0(e->sender_id, conn->me->id) == 0 && same_text(look, e->text)) {
      look_end(look, e->id, NULL);
      return;
    }
  }
  if (!older && page->next_token != NULL && ++look->page < G_N_ELEMENTS(page_sizes)) {
    dm_request(look, peer_id, page->next_token);
    return;
  }
  look_end(look, NULL, NULL);
}

static void
dm_request(TbLook *look, const char *peer_id, const char *token)
{
  TbConn *conn = look->conn;
  TbDmLook *d = g_new0(TbDmLook, 1);
  d->look = look;
  d->peer_id = g_strdup(peer_id);
  tb_conn_send_full(conn,
                    tb_xapi_dm_with_request(&conn->auth, conn->cfg.api_base, peer_id, token,
                                            page_sizes[look->page]),
                    dm_page_done, d, dm_look_free);
}

static void
peer_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
          gpointer data)
{
  TbLook *look = data;
  g_autoptr(GError) local = NULL;
  g_autoptr(TbXapiUser) user = error ? NULL : tb_xapi_user_parse(root, &local);
  (void)resp;

  if (user == NULL &&
      g_error_matches(error ? error : local, TB_XAPI_ERROR, TB_XAPI_ERROR_NOT_FOUND)) {
    look_end(look, NULL, NULL); /* no such person: no DM to them can be on X */
    return;
  }
  if (user == NULL) {
    look_end(look, NULL, error ? error : local);
    return;
  }
  dm_request(look, tb_conn_remember_user(conn, user)->id, NULL);
}

/* ---- posts and replies ---- */

static void posts_request(TbLook *look, const char *token);

static gboolean
answers(const TbXapiTweet *t, const char *parent)
{
  for (guint i = 0; i < t->refs->len; i++) {
    const TbXapiRef *r = t->refs->pdata[i];
    if (g_strcmp0(r->type, "replied_to") == 0)
      return g_strcmp0(r->id, parent) == 0;
  }
  return parent == NULL;
}

static void
posts_page_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
                gpointer data)
{
  TbLook *look = data;
  (void)conn;
  (void)resp;

  if (error != NULL) {
    look_end(look, NULL, error);
    return;
  }
  g_autoptr(TbXapiTweetPage) page = tb_xapi_tweet_page_parse(root);
  const char *parent = look->kind == TB_OUTBOX_REPLY ? look->target : NULL;
  for (guint i = 0; i < page->tweets->len; i++) {
    const TbXapiTweet *t = page->tweets->pdata[i];
    if (same_text(look, t->note_text ? t->note_text : t->text) && answers(t, parent)) {
      look_end(look, t->id, NULL);
      return;
    }
  }
  /* start_time already keeps older posts out: follow pages only while they are full */
  if (page->next_token != NULL && ++look->page < G_N_ELEMENTS(page_sizes)) {
    posts_request(look, page->next_token);
    return;
  }
  look_end(look, NULL, NULL);
}

static void
posts_request(TbLook *look, const char *token)
{
  TbConn *conn = look->conn;
  g_autoptr(GDateTime) from = g_date_time_new_from_unix_utc(MAX(look->since, 0));
  g_autofree char *iso = from ? g_date_time_format(from, "%Y-%m-%dT%H:%M:%SZ") : NULL;
  tb_conn_send_full(conn,
                    tb_xapi_user_posts_request(&conn->auth, conn->cfg.api_base, conn->me->id, iso,
                                               token, page_sizes[look->page]),
                    posts_page_done, look, look_free);
}

void
tb_reconcile_start(TbConn *conn, const TbOutboxItem *item, gint64 since, TbReconcileDone done,
                   gpointer data, GDestroyNotify destroy)
{
  TbLook *look = g_new0(TbLook, 1);

  look->conn = conn;
  look->outbox_id = g_strdup(item->id);
  look->kind = item->kind;
  look->text = g_strdup(item->text);
  look->target = g_strdup(item->target);
  look->since = since - TB_RECONCILE_SKEW_S;
  look->done = done;
  look->data = data;
  look->destroy = destroy;
  purple_debug_info("twinbird", "@%s: %s not confirmed: looking for it on X\n", conn->handle,
                    item->id);
  if (item->kind != TB_OUTBOX_DM) {
    posts_request(look, NULL);
    return;
  }
  TbXapiUser *peer = tb_conn_user_by_handle(conn, item->target);
  if (peer != NULL) {
    dm_request(look, peer->id, NULL);
    return;
  }
  tb_conn_send_full(conn,
                    tb_xapi_user_by_username_request(&conn->auth, conn->cfg.api_base, item->target),
                    peer_done, look, look_free);
}
