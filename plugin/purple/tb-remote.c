/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-remote.h"
#include "core/tb-route.h"
#include "tb-conv.h"
#include "tb-plugin.h"
#include "tb-send.h"
#include "tb-worktime.h"
#include "twinbird.h"

#include <glib/gi18n-lib.h>

typedef struct {
  TbRemoteDone done;
  gpointer data;
} TbRemoteCall;

/* The signed-in Twinbird connection of account. */
static TbConn *
conn_of(PurpleAccount *account, GError **error)
{
  if (account == NULL ||
      g_strcmp0(purple_account_get_protocol_id(account), TWINBIRD_PLUGIN_ID) != 0) {
    g_set_error(error, TB_ROUTE_ERROR, TB_ROUTE_ERROR_NO_SUCH_ACCOUNT, _("not a Twinbird account"));
    return NULL;
  }
  PurpleConnection *gc = purple_account_get_connection(account);
  TbConn *conn = gc ? tb_conn_from_gc(gc) : NULL;
  if (conn == NULL || purple_connection_get_state(gc) != PURPLE_CONNECTED) {
    g_set_error(error, TB_ROUTE_ERROR, TB_ROUTE_ERROR_NOT_SIGNED_IN, _("@%s is not signed in"),
                purple_account_get_username(account));
    return NULL;
  }
  return conn;
}

/* The post a reply answers, and the conversation its echo belongs in. */
static char *
reply_target(TbConn *conn, const char *key, const char **conv, GError **error)
{
  const TbShortEntry *e =
      tb_route_is_short_key(key) ? tb_shortids_lookup(tb_plugin_shortids(), key) : NULL;

  switch (tb_route_post_key(key, e, conn->handle)) {
  case TB_POST_KEY_SHORT_ID:
    *conv = tb_conv_reply_conv(conn, e->tweet_id, e->conversation_id);
    return g_strdup(e->tweet_id);
  case TB_POST_KEY_FULL_ID:
    *conv = tb_conv_reply_conv(conn, key, NULL);
    return g_strdup(key);
  case TB_POST_KEY_OTHER_ACCOUNT:
    g_set_error(error, TB_ROUTE_ERROR, TB_ROUTE_ERROR_WRONG_ACCOUNT,
                _("%s was shown to @%s, not to @%s: reply from @%s's account, or give the full "
                  "post id"),
                key, e->account, conn->handle, e->account);
    return NULL;
  case TB_POST_KEY_UNKNOWN:
  default:
    g_set_error(error, TB_ROUTE_ERROR, TB_ROUTE_ERROR_UNKNOWN_ID,
                _("%s is not a post id Twinbird knows (use the short id shown in front of a "
                  "post in this session, like 3f, or the full id)"),
                key);
    return NULL;
  }
}

/* tb-send's own outcomes become TB_ROUTE_ERROR, so the caller needs no purple header. */
static void
remote_done(TbConn *conn, const char *outbox_id, const char *new_id, const GError *error,
            gpointer data)
{
  TbRemoteCall *call = data;
  g_autoptr(GError) mapped = NULL;

  if (g_error_matches(error, TB_SEND_ERROR, TB_SEND_ERROR_CLOSED))
    error = mapped = g_error_new_literal(TB_ROUTE_ERROR, TB_ROUTE_ERROR_CLOSED, error->message);
  else if (g_error_matches(error, TB_SEND_ERROR, TB_SEND_ERROR_REMOVED))
    error = mapped = g_error_new_literal(TB_ROUTE_ERROR, TB_ROUTE_ERROR_REMOVED, error->message);
  call->done(conn->handle, outbox_id, new_id, error, call->data);
  g_free(call);
}

gboolean
tb_remote_send(PurpleAccount *account, TbOutboxKind kind, const char *arg, const char *text,
               gboolean anyway, TbRemoteDone done, gpointer data, GError **error)
{
  TbConn *conn = conn_of(account, error);
  g_autofree char *target = NULL;
  g_autoptr(GError) refused = NULL;

  if (conn == NULL)
    return FALSE;
  const char *conv = conn->handle; /* posts echo in the account's own conversation */
  if (kind == TB_OUTBOX_REPLY) {
    target = reply_target(conn, arg, &conv, error);
    if (target == NULL)
      return FALSE;
  } else if (kind == TB_OUTBOX_DM) {
    target = g_strdup(arg[0] == '@' ? arg + 1 : arg);
    if (*target == '\0' || g_ascii_strcasecmp(target, conn->handle) == 0) {
      g_set_error(error, TB_ROUTE_ERROR, TB_ROUTE_ERROR_REFUSED,
                  _("Not sent from @%s: a DM needs another X user's handle"), conn->handle);
      return FALSE;
    }
    conv = target;
  }

  if (!anyway && !tb_worktime_may_send(conn, kind, target, text, error))
    return FALSE;
  TbRemoteCall *call = g_new0(TbRemoteCall, 1);
  call->done = done;
  call->data = data;
  if (!tb_send_new_with_callback(conn, kind, target, conv, text, remote_done, call, &refused)) {
    g_free(call);
    g_set_error(error, TB_ROUTE_ERROR, TB_ROUTE_ERROR_REFUSED, _("Not sent from @%s: %s"),
                conn->handle, refused->message);
    return FALSE;
  }
  return TRUE;
}
