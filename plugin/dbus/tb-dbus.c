/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-dbus.h"

/* libpurple's D-Bus headers key on HAVE_DBUS (meson defines it for this folder only). Debian's
 * libpurple-dev has no dbus-analyze-functions.py, so the binding table is written by hand. */
#define DBUS_API_SUBJECT_TO_CHANGE
#include <dbus-maybe.h>

#include <glib/gi18n-lib.h>
#include <string.h>

#include "api/tb-xapi.h"
#include "core/tb-route.h"
#include "twinbird.h"

/* A method call waiting for X: answered from send_done, exactly once. */
typedef struct {
  DBusMessage *message; /* NULL once answered at unload; the struct waits for send_done */
} TbDbusCall;

static GList *calls_in_flight;
static TbDbusOps ops;       /* the purple adapter's, from tb_dbus_register */
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

  static const char *const route_names[] = {
      [TB_ROUTE_ERROR_NO_SUCH_ACCOUNT] = TWINBIRD_DBUS_ERROR_NO_SUCH_ACCOUNT,
      [TB_ROUTE_ERROR_NOT_SIGNED_IN] = TWINBIRD_DBUS_ERROR_NOT_SIGNED_IN,
      [TB_ROUTE_ERROR_UNKNOWN_ID] = TWINBIRD_DBUS_ERROR_UNKNOWN_ID,
      [TB_ROUTE_ERROR_WRONG_ACCOUNT] = TWINBIRD_DBUS_ERROR_WRONG_ACCOUNT,
      [TB_ROUTE_ERROR_REFUSED] = TWINBIRD_DBUS_ERROR_REFUSED,
      [TB_ROUTE_ERROR_CLOSED] = TWINBIRD_DBUS_ERROR_CLOSED,
      [TB_ROUTE_ERROR_REMOVED] = TWINBIRD_DBUS_ERROR_REMOVED,
      [TB_ROUTE_ERROR_GUARDED] = TWINBIRD_DBUS_ERROR_GUARDED,
      [TB_ROUTE_ERROR_OFF_HOURS] = TWINBIRD_DBUS_ERROR_OFF_HOURS,
  };

  if (error->domain == TB_ROUTE_ERROR && error->code >= 0 &&
      (gsize)error->code < G_N_ELEMENTS(route_names))
    return g_strdup(route_names[error->code]);
  if (error->domain == TB_XAPI_ERROR && error->code >= 0 &&
      (gsize)error->code < G_N_ELEMENTS(x_kinds) && x_kinds[error->code] != NULL)
    return g_strconcat(TWINBIRD_DBUS_ERROR_X_PREFIX, x_kinds[error->code], NULL);
  return g_strconcat(TWINBIRD_DBUS_ERROR_X_PREFIX, "Other", NULL);
}

static void
send_done(const char *handle, const char *outbox_id, const char *new_id, const GError *error,
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
          error->domain == TB_ROUTE_ERROR
              ? g_strdup(error->message)
              : g_strdup_printf(_("Not sent from @%s (%s is kept in its outbox): %s"), handle,
                                outbox_id, error->message);
      reply = error_reply(call->message, name, text);
    }
    answer(reply);
    dbus_message_unref(call->message);
  }
  g_free(call);
}

/* The Twinbird account behind a libpurple D-Bus account id. */
static PurpleAccount *
account_for(dbus_int32_t account_id, DBusError *error)
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
  return account;
}

/* Checks, queues, and leaves the call unanswered: libpurple sends no reply for a NULL without an
 * error (dbus-server.c, purple_dbus_dispatch_cb); send_done answers once X has spoken. */
static DBusMessage *
start_send(DBusMessage *message, DBusError *error, TbOutboxKind kind, gboolean anyway)
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
  PurpleAccount *account = account_for(account_id, error);
  if (account == NULL)
    return NULL;

  TbDbusCall *call = g_new0(TbDbusCall, 1);
  g_autoptr(GError) refused = NULL;
  call->message = dbus_message_ref(message);
  calls_in_flight = g_list_prepend(calls_in_flight, call);
  if (ops.send == NULL || !ops.send(account, kind, arg, text, anyway, send_done, call, &refused)) {
    calls_in_flight = g_list_remove(calls_in_flight, call);
    dbus_message_unref(call->message);
    g_free(call);
    g_autofree char *name =
        refused ? error_name_for(refused) : g_strdup(TWINBIRD_DBUS_ERROR_REFUSED);
    g_autofree char *why = valid_utf8(refused ? refused->message : "");
    dbus_set_error(error, name, "%s", why);
    return NULL;
  }
  return NULL; /* answered by send_done (perhaps already: a request that failed at once) */
}

/* Refusals are answered here, not through libpurple's DBusError: its dispatcher turns that into
 * a reply but never frees it (a leak per refused call, seen by LeakSanitizer). */
static DBusMessage *
start_send_answered(DBusMessage *message, TbOutboxKind kind, gboolean anyway)
{
  DBusError refused;
  dbus_error_init(&refused);
  DBusMessage *reply = start_send(message, &refused, kind, anyway);
  if (dbus_error_is_set(&refused)) {
    reply = dbus_message_new_error(message, refused.name, refused.message);
    dbus_error_free(&refused);
  }
  return reply;
}

/* Each method: the kind it sends, and whether the caller overrides the guard and work hours. */
static const struct {
  const char *name;
  TbOutboxKind kind;
  gboolean anyway;
} methods[] = {
    {TWINBIRD_DBUS_METHOD_POST, TB_OUTBOX_POST, FALSE},
    {TWINBIRD_DBUS_METHOD_REPLY, TB_OUTBOX_REPLY, FALSE},
    {TWINBIRD_DBUS_METHOD_DM, TB_OUTBOX_DM, FALSE},
    {TWINBIRD_DBUS_METHOD_POST_ANYWAY, TB_OUTBOX_POST, TRUE},
    {TWINBIRD_DBUS_METHOD_REPLY_ANYWAY, TB_OUTBOX_REPLY, TRUE},
    {TWINBIRD_DBUS_METHOD_DM_ANYWAY, TB_OUTBOX_DM, TRUE},
};

static DBusMessage *
method_send(DBusMessage *message, DBusError *error)
{
  (void)error;
  for (gsize i = 0; i < G_N_ELEMENTS(methods); i++) {
    if (dbus_message_has_member(message, methods[i].name))
      return start_send_answered(message, methods[i].kind, methods[i].anyway);
  }
  return dbus_message_new_error(message, DBUS_ERROR_UNKNOWN_METHOD, "no such method");
}

/* "direction\0type\0name\0" per argument, as dbus-analyze-functions.py writes them; the names
 * show in Introspect. */
static PurpleDBusBinding bindings[] = {
    {TWINBIRD_DBUS_METHOD_POST, "in\0i\0account\0in\0s\0text\0out\0s\0id\0", method_send},
    {TWINBIRD_DBUS_METHOD_REPLY, "in\0i\0account\0in\0s\0post_id\0in\0s\0text\0out\0s\0id\0",
     method_send},
    {TWINBIRD_DBUS_METHOD_DM, "in\0i\0account\0in\0s\0handle\0in\0s\0text\0out\0s\0event_id\0",
     method_send},
    {TWINBIRD_DBUS_METHOD_POST_ANYWAY, "in\0i\0account\0in\0s\0text\0out\0s\0id\0", method_send},
    {TWINBIRD_DBUS_METHOD_REPLY_ANYWAY, "in\0i\0account\0in\0s\0post_id\0in\0s\0text\0out\0s\0id\0",
     method_send},
    {TWINBIRD_DBUS_METHOD_DM_ANYWAY,
     "in\0i\0account\0in\0s\0handle\0in\0s\0text\0out\0s\0event_id\0", method_send},
    {NULL, NULL, NULL},
};

void
tb_dbus_register(PurplePlugin *plugin, const TbDbusOps *adapter)
{
  const char *why = purple_dbus_get_init_error();
  (void)plugin;

  ops = *adapter;
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
