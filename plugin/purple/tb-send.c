/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-send.h"
#include "tb-conv.h"
#include "tb-fetch.h"

#include <glib/gi18n-lib.h>

#define TB_DM_MAX_CHARS 10000

static void send_item(TbConn *conn, TbOutboxItem *item);

static void
send_failed(TbConn *conn, const char *outbox_id, const GError *error)
{
  TbOutboxItem *item = tb_store_outbox_find(conn->store, outbox_id);

  g_hash_table_remove(conn->sending, outbox_id);
  if (item == NULL)
    return;
  tb_store_outbox_set_error(conn->store, item, error->message);
  tb_conn_store_changed(conn);
  tb_conv_show_send_error(conn, item, error->message);
  if (g_error_matches(error, TB_XAPI_ERROR, TB_XAPI_ERROR_UNAUTHORIZED))
    purple_connection_error_reason(conn->gc, PURPLE_CONNECTION_ERROR_AUTHENTICATION_FAILED,
                                   error->message);
}

static void
create_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
            gpointer data)
{
  g_autofree char *outbox_id = data;
  g_autoptr(GError) local = NULL;
  (void)resp;

  TbOutboxItem *item = tb_store_outbox_find(conn->store, outbox_id);
  if (item == NULL) {
    g_hash_table_remove(conn->sending, outbox_id);
    return;
  }
  const char *member = item->kind == TB_OUTBOX_DM ? "dm_event_id" : "id";
  g_autofree char *new_id = error ? NULL : tb_xapi_created_id(root, member, &local);
  if (new_id == NULL) {
    send_failed(conn, outbox_id, error ? error : local);
    return;
  }
  if (item->kind == TB_OUTBOX_DM)
    tb_fetch_note_sent_dm(conn, new_id);
  tb_conv_echo_sent(conn, item, new_id);
  g_hash_table_remove(conn->sending, outbox_id);
  tb_store_outbox_remove(conn->store, outbox_id);
  tb_conn_store_changed(conn);
}

static void
send_dm_to(TbConn *conn, TbOutboxItem *item, const TbXapiUser *peer)
{
  tb_conn_send(conn, tb_xapi_dm_send_request(&conn->auth, conn->cfg.api_base, peer->id, item->text),
               create_done, g_strdup(item->id));
}

static void
lookup_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
            gpointer data)
{
  g_autofree char *outbox_id = data;
  g_autoptr(GError) local = NULL;
  (void)resp;

  g_autoptr(TbXapiUser) user = error ? NULL : tb_xapi_user_parse(root, &local);
  TbOutboxItem *item = tb_store_outbox_find(conn->store, outbox_id);
  if (item == NULL) {
    g_hash_table_remove(conn->sending, outbox_id);
    return;
  }
  if (user == NULL) {
    g_autoptr(GError) why = g_error_new(TB_XAPI_ERROR, TB_XAPI_ERROR_NOT_FOUND,
                                        _("no X user @%s: %s"), item->target,
                                        (error ? error : local)->message);
    send_failed(conn, outbox_id, why);
    return;
  }
  send_dm_to(conn, item, tb_conn_remember_user(conn, user));
}

static void
send_item(TbConn *conn, TbOutboxItem *item)
{
  g_hash_table_add(conn->sending, g_strdup(item->id));
  switch (item->kind) {
  case TB_OUTBOX_DM: {
    TbXapiUser *peer = tb_conn_user_by_handle(conn, item->target);
    if (peer != NULL) {
      send_dm_to(conn, item, peer);
      return;
    }
    /* The DM endpoint wants the user id: look the handle up first. */
    tb_conn_send(conn,
                 tb_xapi_user_by_username_request(&conn->auth, conn->cfg.api_base, item->target),
                 lookup_done, g_strdup(item->id));
    return;
  }
  case TB_OUTBOX_REPLY:
  case TB_OUTBOX_POST:
  default:
    tb_conn_send(conn,
                 tb_xapi_post_tweet_request(&conn->auth, conn->cfg.api_base, item->text,
                                            item->kind == TB_OUTBOX_REPLY ? item->target : NULL),
                 create_done, g_strdup(item->id));
    return;
  }
}

gboolean
tb_send_new(TbConn *conn, TbOutboxKind kind, const char *target, const char *conv, const char *text,
            GError **error)
{
  if (*text == '\0') {
    g_set_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_INVALID, _("nothing to send"));
    return FALSE;
  }
  if (kind == TB_OUTBOX_DM && g_utf8_strlen(text, -1) > TB_DM_MAX_CHARS) {
    g_set_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_INVALID,
                _("a DM holds at most %d characters; this one has %ld"), TB_DM_MAX_CHARS,
                g_utf8_strlen(text, -1));
    return FALSE;
  }
  TbOutboxItem *item = tb_store_outbox_add(conn->store, kind, target, conv, text);
  tb_conn_store_changed(conn);
  send_item(conn, item);
  return TRUE;
}

gboolean
tb_send_retry(TbConn *conn, const char *outbox_id)
{
  TbOutboxItem *item = tb_store_outbox_find(conn->store, outbox_id);
  if (item == NULL || g_hash_table_contains(conn->sending, outbox_id))
    return FALSE;
  send_item(conn, item);
  return TRUE;
}

void
tb_send_report_pending(TbConn *conn)
{
  GList *items = tb_store_outbox_list(conn->store);

  for (GList *l = items; l; l = l->next) {
    TbOutboxItem *item = l->data;
    tb_conv_show_send_error(conn, item,
                            item->last_error ? item->last_error
                                             : _("not confirmed by X before Twinbird stopped"));
  }
  g_list_free(items);
}
