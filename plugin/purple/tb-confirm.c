/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-confirm.h"

#include <glib/gi18n-lib.h>

typedef struct {
  TbConn *conn;
  guint id;
  void *ui_handle; /* libpurple's request, NULL without a request UI */
  TbConfirmAnswer answer;
  gpointer data;
  GDestroyNotify destroy;
} TbQuestion;

struct _TbConfirm {
  GList *open; /* TbQuestion, asked and not yet answered */
  guint last_id;
};

void
tb_confirm_init(TbConn *conn)
{
  conn->confirm = g_new0(TbConfirm, 1);
}

static void
question_free(TbQuestion *q)
{
  if (q->destroy != NULL)
    q->destroy(q->data);
  g_free(q);
}

void
tb_confirm_cleanup(TbConn *conn)
{
  TbConfirm *s = g_steal_pointer(&conn->confirm);
  if (s == NULL)
    return;
  for (GList *l = s->open; l; l = l->next) {
    TbQuestion *q = l->data;
    /* libpurple ignores a handle it no longer knows (a window closed without an answer) */
    if (q->ui_handle != NULL)
      purple_request_close(PURPLE_REQUEST_ACTION, q->ui_handle);
    question_free(q);
  }
  g_list_free(s->open);
  g_free(s);
}

static void
answered(TbQuestion *q, gboolean ok)
{
  TbConn *conn = q->conn;
  if (conn->confirm == NULL || g_list_find(conn->confirm->open, q) == NULL)
    return;
  conn->confirm->open = g_list_remove(conn->confirm->open, q);
  q->answer(conn, ok, q->data);
  question_free(q);
}

static void
ok_cb(gpointer data, int action)
{
  (void)action;
  answered(data, TRUE);
}

static void
cancel_cb(gpointer data, int action)
{
  (void)action;
  answered(data, FALSE);
}

guint
tb_confirm_ask(TbConn *conn, const char *title, const char *primary, const char *secondary,
               TbConfirmAnswer answer, gpointer data, GDestroyNotify destroy)
{
  TbQuestion *q = g_new0(TbQuestion, 1);
  q->conn = conn;
  q->id = ++conn->confirm->last_id;
  q->answer = answer;
  q->data = data;
  q->destroy = destroy;
  conn->confirm->open = g_list_prepend(conn->confirm->open, q);
  /* Cancel is the default: Enter on a stray line never posts it. BitlBee answers captions that
   * contain OK and Cancel; it never translates messages (bitlbee-behaviour.md "Language"), so
   * the translated captions reach only the clients that show buttons. */
  q->ui_handle =
      purple_request_action(conn->gc, title, primary, secondary, 1, conn->account, NULL, NULL, q, 2,
                            _("OK"), G_CALLBACK(ok_cb), _("Cancel"), G_CALLBACK(cancel_cb));
  return q->id;
}

void
tb_confirm_close(TbConn *conn, guint id)
{
  for (GList *l = conn->confirm ? conn->confirm->open : NULL; l; l = l->next) {
    TbQuestion *q = l->data;
    if (q->id != id)
      continue;
    conn->confirm->open = g_list_delete_link(conn->confirm->open, l);
    if (q->ui_handle != NULL)
      purple_request_close(PURPLE_REQUEST_ACTION, q->ui_handle);
    question_free(q);
    return;
  }
}
