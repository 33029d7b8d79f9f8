/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-dbus.h"

/* libpurple's D-Bus headers key on HAVE_DBUS (meson defines it for this folder only). Debian's
 * libpurple-dev has no dbus-analyze-functions.py, so the binding table is written by hand. */
#define DBUS_API_SUBJECT_TO_CHANGE
#include <dbus-maybe.h>

#include <glib/gi18n-lib.h>
#include <string.h>

#include "purple/tb-conn.h"
#include "purple/tb-conv.h"
#include "purple/tb-plugin.h"
#include "purple/tb-send.h"
#include "twinbird.h"

/* A method call waiting for X: answered from send_done, exactly once. */
typedef struct {
  DBusMessage *message; /* NULL once answered at unload; the struct waits for send_done */
} TbDbusCall;

static GList *calls_in_flight;
static int bindings_handle; /* our own handle: unregister disconnects exactly the bindings */
static gboolean registered;

/* D-Bus strings must be UTF-8; X's error texts normally are, a bug must not break the bus. */
static char *
valid_utf8(const char *s)
{
  return g_utf8_make_valid(s ? s : "", -1);
}

static void
answer(DBusMessage *reply)
{
  DBusConnection *bus = purple_dbus_get_connection();
  if (reply == NULL)
    return;
  if (bus != NULL)
    dbus_connection_send(bus, reply, NULL);
  dbus_message_unref(reply);
}

static DBusMessage *
error_reply(DBusMessage *call, const char *name, const char *message)
{
  g_autofree char *text = valid_utf8(message);
  return dbus_message_new_error(call, name, text);
}

/* The D-Bus error name for a failed send: ours, or X's refusal by kind. */
static char *
error_name_for(const GError *error)
{
  static const char *const x_kinds[] = {
      [TB_XAPI_ERROR_NETWORK] = "Network",
      [TB_XAPI_ERROR_SERVER] = "Server",
      [TB_XAPI_ERROR_UNAUTHORIZED] = "Unauthorized",
      [TB_XAPI_ERROR_FORBIDDEN] = "Forbidden",
      [TB_XAPI_ERROR_NOT_FOUND] = "NotFound",
      [TB_XAPI_ERROR_RATE_LIMITED] = "RateLimited",
      [TB_XAPI_ERROR_USAGE_CAPPED] = "UsageCapped",
      [TB_XAPI_ERROR_PAYMENT] = "Payment",
      [TB_XAPI_ERROR_INVALID] = "Invalid",
      [TB_XAPI_ERROR_MALFORMED] = "Malformed",
      [TB_XAPI_ERROR_OTHER] = "Other",
  };

  if (g_error_matches(error, TB_SEND_ERROR, TB_SEND_ERROR_CLOSED))
    return g_strdup(TWINBIRD_DBUS_ERROR_CLOSED);
  if (g_error_matches(error, TB_SEND_ERROR, TB_SEND_ERROR_REMOVED))
    return g_strdup(TWINBIRD_DBUS_ERROR_REMOVED);
  if (error->domain == TB_XAPI_ERROR && error->code >= 0 &&
      (gsize)error->code < G_N_ELEMENTS(x_kinds) && x_kinds[error->code] != NULL)
    return g_strconcat(TWINBIRD_DBUS_ERROR_X_PREFIX, x_kinds[error->code], NULL);
  return g_strconcat(TWINBIRD_DBUS_ERROR_X_PREFIX, "Other", NULL);
}

static void
send_done(TbConn *conn, const char *outbox_id, const char *new_id, const GError *error,
          gpointer data)
{
  TbDbusCall *call = data;

  calls_in_flight = g_list_remove(calls_in_flight, call);
  if (call->message != NULL) {
    DBusMessage *reply;
    if (error == NULL) {
      reply = dbus_message_new_method_return(call->message);
      dbus_message_append_args(reply, DBUS_TYPE_STRING, &new_id, DBUS_TYPE_INVALID);
    } else {
      g_autofree char *name = error_name_for(error);
      /* X's refusals leave the text in the outbox ("retry"); ours say what happened. */
      g_autofree char *text =
          error->domain == TB_SEND_ERROR
              ? g_strdup(error->message)
              : g_strdup_printf(_("Not sent from @%s (%s is kept in its outbox): %s"), conn->handle,
                                outbox_id, error->message);
      reply = error_reply(call->message, name, text);
    }
    answer(reply);
    dbus_message_unref(call->message);
  }
  g_free(call);
}

/* The signed-in Twinbird connection behind a libpurple D-Bus account id. */
static TbConn *
conn_for(dbus_int32_t account_id, DBusError *error)
{
  PurpleAccount *account = purple_dbus_id_to_pointer(account_id, PURPLE_DBUS_TYPE(PurpleAccount));

  if (account == NULL ||
      g_strcmp0(purple_account_get_protocol_id(account), TWINBIRD_PLUGIN_ID) != 0) {
    dbus_set_error(error, TWINBIRD_DBUS_ERROR_NO_SUCH_ACCOUNT,
                   _("%d is not a Twinbird account; find yours with "
                     "PurpleAccountsFind(\"username\", \"%s\")"),
                   (int)account_id, TWINBIRD_PLUGIN_ID);
    return NULL;
  }
  PurpleConnection *gc = purple_account_get_connection(account);
  TbConn *conn = gc ? tb_conn_from_gc(gc) : NULL;
  if (conn == NULL || purple_connection_get_state(gc) != PURPLE_CONNECTED) {
    dbus_set_error(error, TWINBIRD_DBUS_ERROR_NOT_SIGNED_IN, _("@%s is not signed in"),
                   purple_account_get_username(account));
    return NULL;
  }
  return conn;
}

/* The conversation a reply's echo belongs in: the thread the post was shown in, if any. */
static const char *
reply_conv(TbConn *conn, const char *tweet_id, const char *conversation_id)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init(&iter, conn->threads);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    TbThread *t = value;
    if (g_strcmp0(t->key, conversation_id) == 0 || g_strcmp0(t->reply_to, tweet_id) == 0)
      return t->name;
  }
  return conn->handle;
}

/* A short id (shown in front of a post) or a full X id, as the reply/rt commands accept them. A
 * short id shown to the other account is refused: a reply goes out from the mentioned account. */
static char *
resolve_post(TbConn *conn, const char *key, const char **conv, DBusError *error)
{
  const TbShortEntry *e = tb_shortids_lookup(tb_plugin_shortids(), key);
  /* Short ids are two hex digits, often all decimal ("07"): length tells them from X ids. */
  gboolean full_id = tb_xapi_id_is_valid(key) && strlen(key) > 3;

  if (e != NULL && !full_id && g_ascii_strcasecmp(e->account, conn->handle) != 0) {
    dbus_set_error(error, TWINBIRD_DBUS_ERROR_WRONG_ACCOUNT,
                   _("%s was shown to @%s, not to @%s: reply from @%s's account, or give the full "
                     "post id"),
                   key, e->account, conn->handle, e->account);
    return NULL;
  }
  if (e != NULL) {
    *conv = reply_conv(conn, e->tweet_id, e->conversation_id);
    return g_strdup(e->tweet_id);
  }
  if (full_id) {
    *conv = reply_conv(conn, key, NULL);
    return g_strdup(key);
  }
  dbus_set_error(error, TWINBIRD_DBUS_ERROR_UNKNOWN_ID,
                 _("%s is not a post id Twinbird knows (use the short id shown in front of a "
                   "post in this session, like 3f, or the full id)"),
                 key);
  return NULL;
}

/* Checks, queues, and leaves the call unanswered: libpurple sends no reply for a NULL without an
 * error (dbus-server.c, purple_dbus_dispatch_cb); send_done answers once X has spoken. */
static DBusMessage *
start_send(DBusMessage *message, DBusError *error, TbOutboxKind kind)
{
  dbus_int32_t account_id = 0;
  const char *arg = NULL, *text = NULL;
  gboolean ok =
      kind == TB_OUTBOX_POST
          ? dbus_message_get_args(message, error, DBUS_TYPE_INT32, &account_id, DBUS_TYPE_STRING,
                                  &text, DBUS_TYPE_INVALID)
          : dbus_message_get_args(message, error, DBUS_TYPE_INT32, &account_id, DBUS_TYPE_STRING,
                                  &arg, DBUS_TYPE_STRING, &text, DBUS_TYPE_INVALID);
  if (!ok)
    return NULL;
  TbConn *conn = conn_for(account_id, error);
  if (conn == NULL)
    return NULL;

  g_autofree char *target = NULL;
  const char *conv = conn->handle; /* posts echo in the account's own conversation */
  if (kind == TB_OUTBOX_REPLY) {
    target = resolve_post(conn, arg, &conv, error);
    if (target == NULL)
      return NULL;
  } else if (kind == TB_OUTBOX_DM) {
    target = g_strdup(arg[0] == '@' ? arg + 1 : arg);
    if (*target == '\0' || g_ascii_strcasecmp(target, conn->handle) == 0) {
      dbus_set_error(error, TWINBIRD_DBUS_ERROR_REFUSED,
                     _("Not sent from @%s: a DM needs another X user's handle"), conn->handle);
      return NULL;
    }
    conv = target;
  }

  TbDbusCall *call = g_new0(TbDbusCall, 1);
  g_autoptr(GError) refused = NULL;
  call->message = dbus_message_ref(message);
  calls_in_flight = g_list_prepend(calls_in_flight, call);
  if (!tb_send_new_with_callback(conn, kind, target, conv, text, send_done, call, &refused)) {
    calls_in_flight = g_list_remove(calls_in_flight, call);
    dbus_message_unref(call->message);
    g_free(call);
    g_autofree char *why = valid_utf8(refused->message);
    dbus_set_error(error, TWINBIRD_DBUS_ERROR_REFUSED, _("Not sent from @%s: %s"), conn->handle,
                   why);
    return NULL;
  }
  return NULL; /* answered by send_done (perhaps already: a request that failed at once) */
}

/* Refusals are answered here, not through libpurple's DBusError: its dispatcher turns that into
 * a reply but never frees it (a leak per refused call, seen by LeakSanitizer). */
static DBusMessage *
start_send_answered(DBusMessage *message, TbOutboxKind kind)
{
  DBusError refused;
  dbus_error_init(&refused);
  DBusMessage *reply = start_send(message, &refused, kind);
  if (dbus_error_is_set(&refused)) {
    reply = dbus_message_new_error(message, refused.name, refused.message);
    dbus_error_free(&refused);
  }
  return reply;
}

static DBusMessage *
method_post(DBusMessage *message, DBusError *error)
{
  (void)error;
  return start_send_answered(message, TB_OUTBOX_POST);
}

static DBusMessage *
method_reply(DBusMessage *message, DBusError *error)
{
  (void)error;
  return start_send_answered(message, TB_OUTBOX_REPLY);
}

static DBusMessage *
method_dm(DBusMessage *message, DBusError *error)
{
  (void)error;
  return start_send_answered(message, TB_OUTBOX_DM);
}

/* "direction\0type\0name\0" per argument, as dbus-analyze-functions.py writes them; the names
 * show in Introspect. */
static PurpleDBusBinding bindings[] = {
    {TWINBIRD_DBUS_METHOD_POST, "in\0i\0account\0in\0s\0text\0out\0s\0id\0", method_post},
    {TWINBIRD_DBUS_METHOD_REPLY, "in\0i\0account\0in\0s\0post_id\0in\0s\0text\0out\0s\0id\0",
     method_reply},
    {TWINBIRD_DBUS_METHOD_DM, "in\0i\0account\0in\0s\0handle\0in\0s\0text\0out\0s\0event_id\0",
     method_dm},
    {NULL, NULL, NULL},
};

void
tb_dbus_register(PurplePlugin *plugin)
{
  const char *why = purple_dbus_get_init_error();
  (void)plugin;

  if (why != NULL || purple_dbus_get_connection() == NULL) {
    purple_debug_info("twinbird", "no D-Bus methods (%s)\n", why ? why : "no bus");
    return;
  }
  purple_dbus_register_bindings(&bindings_handle, bindings);
  registered = TRUE;
}

void
tb_dbus_unregister(PurplePlugin *plugin)
{
  (void)plugin;
  if (!registered)
    return;
  purple_signals_disconnect_by_handle(&bindings_handle);
  registered = FALSE;
  /* Accounts close before protocols unload, so this is normally empty. The structs stay for
   * send_done, which frees them. */
  for (GList *l = calls_in_flight; l; l = l->next) {
    TbDbusCall *call = l->data;
    answer(error_reply(call->message, TWINBIRD_DBUS_ERROR_CLOSED,
                       _("Twinbird was unloaded before X confirmed it")));
    g_clear_pointer(&call->message, dbus_message_unref);
  }
}
