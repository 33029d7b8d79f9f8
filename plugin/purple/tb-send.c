/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-send.h"
#include "core/tb-bounds.h"
#include "core/tb-delay.h"
#include "core/tb-render.h"
#include "core/tb-text.h"
#include "tb-conv.h"
#include "tb-reconcile.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#define TB_DM_MAX_CHARS 10000
/* A thread part waits for the part before it: its target names that outbox item. */
#define TB_AFTER_PREFIX "after:"
/* X could not be asked whether a send in doubt went out: ask again after this long. */
#define TB_RECHECK_DELAY_MS (60 * 1000)
#define TB_SEND_SLOT_RECHECK "send-recheck"

static void send_item(TbConn *conn, TbOutboxItem *item);

/* Who waits for the outcome of an outbox item (D-Bus methods answer once X confirms). Kept here,
 * per connection, so the rest of the send path stays as it was. */
typedef struct {
  TbSendDone done;
  gpointer data;
  char *first_id; /* a long post: the first part's X id, reported once the last part is sent */
} TbSendWaiter;

struct _TbSendState {
  GHashTable *sending; /* outbox ids under way: a second retry must not post twice */
  GHashTable *looking; /* outbox id -> its look on X under way (not owned) */
  GHashTable *waiters; /* outbox id -> TbSendWaiter */
};

/* The quark's name is a string: its hyphens are not subtractions. */
/* clang-format off */
G_DEFINE_QUARK(tb-send-error-quark, tb_send_error)
/* clang-format on */

static void
waiter_free(gpointer data)
{
  TbSendWaiter *w = data;
  g_free(w->first_id);
  g_free(w);
}

void
tb_send_init(TbConn *conn)
{
  TbSendState *s = g_new0(TbSendState, 1);
  s->sending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  s->looking = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  s->waiters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, waiter_free);
  conn->send = s;
}

void
tb_send_cleanup(TbConn *conn)
{
  TbSendState *s = g_steal_pointer(&conn->send);
  if (s == NULL)
    return;
  g_hash_table_destroy(s->sending);
  g_hash_table_destroy(s->looking);
  g_hash_table_destroy(s->waiters);
  g_free(s);
}

static TbSendWaiter *
waiter_take(TbConn *conn, const char *outbox_id)
{
  gpointer key = NULL, w = NULL;
  if (!g_hash_table_steal_extended(conn->send->waiters, outbox_id, &key, &w))
    return NULL;
  g_free(key);
  return w;
}

/* The outcome of outbox_id, to whoever waits for it (once: the waiter is gone afterwards). */
static void
waiter_settle(TbConn *conn, const char *outbox_id, const char *new_id, const GError *error)
{
  TbSendWaiter *w = waiter_take(conn, outbox_id);
  if (w == NULL)
    return;
  w->done(conn, outbox_id, w->first_id ? w->first_id : new_id, error, w->data);
  waiter_free(w);
}

/* The item left the outbox while its request was under way: it is no longer anyone's to send. */
static void
waiter_settle_removed(TbConn *conn, const char *outbox_id)
{
  g_autoptr(GError) gone =
      g_error_new(TB_SEND_ERROR, TB_SEND_ERROR_REMOVED,
                  _("%s was removed from the outbox before X confirmed it"), outbox_id);
  waiter_settle(conn, outbox_id, NULL, gone);
}

/* A long post is done only when its last part is: the waiter moves on to the next part. */
static void
waiter_pass(TbConn *conn, const char *done_id, const char *next_id, const char *new_id)
{
  TbSendWaiter *w = waiter_take(conn, done_id);
  if (w == NULL)
    return;
  if (w->first_id == NULL)
    w->first_id = g_strdup(new_id);
  g_hash_table_insert(conn->send->waiters, g_strdup(next_id), w);
}

void
tb_send_close(TbConn *conn)
{
  g_autoptr(GError) closed =
      g_error_new(TB_SEND_ERROR, TB_SEND_ERROR_CLOSED,
                  _("the account @%s was closed before X confirmed it"), conn->handle);
  if (conn->send == NULL)
    return;
  /* Stolen first: a callback that sends again must not find these waiters. */
  g_autoptr(GHashTable) table = g_steal_pointer(&conn->send->waiters);
  conn->send->waiters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, waiter_free);
  GHashTableIter iter;
  gpointer key, value;
  g_hash_table_iter_init(&iter, table);
  while (g_hash_table_iter_next(&iter, &key, &value)) {
    TbSendWaiter *w = value;
    w->done(conn, key, NULL, closed, w->data);
  }
}

/* The next part of a long post, now that the part before it has an id on X to reply to. */
static void
continue_thread(TbConn *conn, const char *done_id, const char *new_id)
{
  g_autofree char *waiting = g_strconcat(TB_AFTER_PREFIX, done_id, NULL);
  GList *items = tb_store_outbox_list(conn->store);

  for (GList *l = items; l; l = l->next) {
    TbOutboxItem *item = l->data;
    if (g_strcmp0(item->target, waiting) != 0)
      continue;
    g_free(item->target);
    item->target = g_strdup(new_id);
    tb_conn_store_changed(conn);
    waiter_pass(conn, done_id, item->id, new_id);
    send_item(conn, item);
    break;
  }
  g_list_free(items);
}

static guint
count_waiting(TbConn *conn, const char *id)
{
  guint n = 0;
  g_autofree char *waiting = g_strconcat(TB_AFTER_PREFIX, id, NULL);
  GList *items = tb_store_outbox_list(conn->store);
  for (GList *l = items; l; l = l->next) {
    TbOutboxItem *item = l->data;
    if (g_strcmp0(item->target, waiting) == 0) {
      n += 1 + count_waiting(conn, item->id);
      break;
    }
  }
  g_list_free(items);
  return n;
}

/* X's 403 on a write means several things; each is explained by what X said, never guessed
 * from the kind of send. Matched on X's detail text (xapi.md §0 item 2, the sim's bodies). */
static const struct {
  const char *x_says;
  const char *explain; /* %s: the account's handle */
} refusals_403[] = {
    {"not been mentioned or otherwise engaged",
     N_("X refused the reply: it allows replies only to posts whose author mentioned @%s")},
    {"duplicate content", N_("X refused the post: @%s already posted the same text")},
    {"deleted or not visible", N_("X refused the reply from @%s: that post is deleted or hidden")},
};

static char *
refusal_reason(TbConn *conn, const GError *error)
{
  if (!g_error_matches(error, TB_XAPI_ERROR, TB_XAPI_ERROR_FORBIDDEN))
    return g_strdup(error->message);
  for (gsize i = 0; i < G_N_ELEMENTS(refusals_403); i++) {
    if (strstr(error->message, refusals_403[i].x_says) == NULL)
      continue;
    g_autofree char *explained = g_strdup_printf(_(refusals_403[i].explain), conn->handle);
    return g_strdup_printf("%s (%s)", explained, error->message);
  }
  return g_strdup(error->message);
}

static void
send_failed(TbConn *conn, const char *outbox_id, const GError *error)
{
  TbOutboxItem *item = tb_store_outbox_find(conn->store, outbox_id);

  g_hash_table_remove(conn->send->sending, outbox_id);
  waiter_settle(conn, outbox_id, NULL, error);
  if (item == NULL)
    return;
  g_autofree char *reason = refusal_reason(conn, error);
  tb_store_outbox_set_attempted(conn->store, item, 0); /* X does not have it: safe to resend */
  tb_store_outbox_set_error(conn->store, item, reason);
  tb_conn_store_changed(conn);
  guint later = count_waiting(conn, outbox_id);
  g_autofree char *why =
      later ? g_strdup_printf(
                  g_dngettext(GETTEXT_PACKAGE,
                              "%s (the %u part after it is kept and follows once this one "
                              "is sent)",
                              "%s (the %u parts after it are kept and follow once this "
                              "one is sent)",
                              later),
                  reason, later)
            : g_strdup(reason);
  tb_conv_show_send_error(conn, item, why);
  if (g_error_matches(error, TB_XAPI_ERROR, TB_XAPI_ERROR_UNAUTHORIZED)) {
    g_autofree char *again =
        g_strdup_printf("%s %s", error->message, _(tb_config_sign_in_again(conn->cfg.auth)));
    purple_connection_error_reason(conn->gc, PURPLE_CONNECTION_ERROR_AUTHENTICATION_FAILED, again);
  }
}

/* X has it (its answer, or a look at X, said so): the tagged echo, once, and the item leaves the
 * outbox; a long post goes on with its next part. */
static void
send_confirmed(TbConn *conn, TbOutboxItem *item, const char *new_id)
{
  g_autofree char *outbox_id = g_strdup(item->id);

  if (item->kind == TB_OUTBOX_DM)
    tb_send_note_own_dm(conn, new_id);
  else
    tb_store_set(conn->store, TB_STORE_LAST_POST, new_id); /* what "undo" deletes */
  tb_conv_echo_sent(conn, item, new_id);
  g_hash_table_remove(conn->send->sending, outbox_id);
  tb_store_outbox_remove(conn->store, outbox_id);
  tb_conn_store_changed(conn);
  continue_thread(conn, outbox_id, new_id);
  waiter_settle(conn, outbox_id, new_id, NULL); /* unless passed on to the next part */
}

static void look_on_x(TbConn *conn, TbOutboxItem *item, gboolean then_send, const GError *first,
                      gboolean refused);

static void
create_done(TbConn *conn, JsonNode *root, const TbHttpResponse *resp, const GError *error,
            gpointer data)
{
  g_autofree char *outbox_id = data;
  g_autoptr(GError) local = NULL;

  TbOutboxItem *item = tb_store_outbox_find(conn->store, outbox_id);
  if (item == NULL) {
    g_hash_table_remove(conn->send->sending, outbox_id);
    waiter_settle_removed(conn, outbox_id);
    return;
  }
  const char *member = item->kind == TB_OUTBOX_DM ? "dm_event_id" : "id";
  g_autofree char *new_id = error ? NULL : tb_xapi_created_id(root, member, &local);
  if (new_id != NULL) {
    send_confirmed(conn, item, new_id);
    return;
  }
  const GError *why = error ? error : local;
  /* X refusing the same text again: an earlier try of this very item may be on X after all. */
  gboolean duplicate = g_error_matches(why, TB_XAPI_ERROR, TB_XAPI_ERROR_FORBIDDEN) &&
                       strstr(why->message, "duplicate content") != NULL;
  if (tb_xapi_send_fate(resp) == TB_XAPI_SEND_UNKNOWN || duplicate) {
    if (!duplicate)
      tb_conv_show_send_unknown(conn, item, why->message);
    look_on_x(conn, item, FALSE, why, duplicate);
    return;
  }
  send_failed(conn, outbox_id, why);
}

/* ---- sends in doubt: found on X, or not there (then safe to send again) ---- */

typedef struct {
  gboolean then_send; /* a retry asked for it: send if X does not have it */
  GError *first;      /* what went wrong with the send itself */
  gboolean refused;   /* ...and X refused it: if X has no earlier copy, that refusal stands */
} TbLookFor;

static void
look_for_free(TbLookFor *l)
{
  g_clear_error(&l->first);
  g_free(l);
}

static gboolean recheck_cb(gpointer data);

static void
looked(TbConn *conn, const char *outbox_id, const char *x_id, const GError *error, gpointer data)
{
  TbLookFor *l = data;
  TbOutboxItem *item = tb_store_outbox_find(conn->store, outbox_id);

  g_hash_table_remove(conn->send->looking, outbox_id);

  if (item == NULL) { /* confirmed meanwhile (a DM poll saw it), or removed */
    look_for_free(l);
    return;
  }
  if (x_id != NULL) {
    send_confirmed(conn, item, x_id);
  } else if (error != NULL) {
    /* Nothing known yet: it stays in doubt, never offered for a second send. */
    gboolean limited = g_error_matches(error, TB_XAPI_ERROR, TB_XAPI_ERROR_RATE_LIMITED);
    g_hash_table_remove(conn->send->sending, outbox_id);
    g_autofree char *why =
        limited ? g_strdup_printf(_("X allows no more checks for now (%s); Twinbird asks again "
                                    "in %d minutes"),
                                  error->message, TB_DELAY_MAX_S / 60)
                : g_strdup_printf(_("could not check with X (%s); Twinbird asks again in a minute"),
                                  error->message);
    tb_conv_show_send_unknown(conn, item, why);
    if (!tb_conn_timeout_is_set(conn, TB_SEND_SLOT_RECHECK))
      tb_conn_timeout_set(conn, TB_SEND_SLOT_RECHECK,
                          limited ? TB_DELAY_MAX_S * 1000 : TB_RECHECK_DELAY_MS, recheck_cb, conn);
  } else if (l->then_send) {
    tb_store_outbox_set_attempted(conn->store, item, 0);
    g_hash_table_remove(conn->send->sending, outbox_id);
    send_item(conn, item);
  } else if (l->refused) {
    send_failed(conn, outbox_id, l->first);
  } else {
    g_autoptr(GError) absent = g_error_new(TB_XAPI_ERROR, TB_XAPI_ERROR_OTHER,
                                           _("X has no trace of it, so it did not go out (%s)"),
                                           l->first ? l->first->message : _("no answer"));
    send_failed(conn, outbox_id, absent);
  }
  look_for_free(l);
}

static void
look_on_x(TbConn *conn, TbOutboxItem *item, gboolean then_send, const GError *first,
          gboolean refused)
{
  TbLookFor *l = g_new0(TbLookFor, 1);
  gint64 since = item->attempted ? MIN(item->attempted, item->created) : item->created;

  l->then_send = then_send;
  l->first = first ? g_error_copy(first) : NULL;
  l->refused = refused;
  g_hash_table_add(conn->send->sending, g_strdup(item->id)); /* no second send while looking */
  g_hash_table_insert(conn->send->looking, g_strdup(item->id), l);
  tb_reconcile_start(conn, item, since, looked, l, (GDestroyNotify)look_for_free);
}

/* In doubt: a request that may have reached X was sent and never settled. */
static gboolean
in_doubt(const TbOutboxItem *item)
{
  return item->attempted != 0 ||
         (item->last_error == NULL && item->due == 0 &&
          !g_str_has_prefix(item->target ? item->target : "", TB_AFTER_PREFIX));
}

static gboolean
recheck_cb(gpointer data)
{
  TbConn *conn = data;
  GList *items = tb_store_outbox_list(conn->store);

  for (GList *l = items; l; l = l->next) {
    TbOutboxItem *item = l->data;
    if (item->attempted != 0 && !g_hash_table_contains(conn->send->sending, item->id))
      look_on_x(conn, item, FALSE, NULL, FALSE);
  }
  g_list_free(items);
  return FALSE;
}

/* From here the request may reach X: a crash or a lost answer leaves the item in doubt. */
static void
mark_attempted(TbConn *conn, TbOutboxItem *item)
{
  tb_store_outbox_set_attempted(conn->store, item, g_get_real_time() / G_USEC_PER_SEC);
  tb_conn_store_changed(conn);
}

static void
send_dm_to(TbConn *conn, TbOutboxItem *item, const TbXapiUser *peer)
{
  mark_attempted(conn, item);
  tb_conn_send_full(conn,
                    tb_xapi_dm_send_request(&conn->auth, conn->cfg.api_base, peer->id, item->text),
                    create_done, g_strdup(item->id), g_free);
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
    g_hash_table_remove(conn->send->sending, outbox_id);
    waiter_settle_removed(conn, outbox_id);
    return;
  }
  if (user == NULL) {
    g_autoptr(GError) why =
        g_error_new(TB_XAPI_ERROR, TB_XAPI_ERROR_NOT_FOUND, _("no X user @%s: %s"), item->target,
                    (error ? error : local)->message);
    send_failed(conn, outbox_id, why);
    return;
  }
  send_dm_to(conn, item, tb_conn_remember_user(conn, user));
}

static void refuse_markup(TbConn *conn, TbOutboxItem *item);

static void
send_item(TbConn *conn, TbOutboxItem *item)
{
  if (g_str_has_prefix(item->target ? item->target : "", TB_AFTER_PREFIX))
    return; /* waits for the part before it */
  if (item->markup_only) {
    refuse_markup(conn, item); /* every path ("now", a thread's turn) ends here: never posted */
    return;
  }
  g_hash_table_add(conn->send->sending, g_strdup(item->id));
  switch (item->kind) {
  case TB_OUTBOX_DM: {
    TbXapiUser *peer = tb_conn_user_by_handle(conn, item->target);
    if (peer != NULL) {
      send_dm_to(conn, item, peer);
      return;
    }
    /* The DM endpoint wants the user id: look the handle up first. */
    tb_conn_send_full(
        conn, tb_xapi_user_by_username_request(&conn->auth, conn->cfg.api_base, item->target),
        lookup_done, g_strdup(item->id), g_free);
    return;
  }
  case TB_OUTBOX_REPLY:
  case TB_OUTBOX_POST:
  default:
    mark_attempted(conn, item);
    tb_conn_send_full(
        conn,
        tb_xapi_post_tweet_request(&conn->auth, conn->cfg.api_base, item->text,
                                   item->kind == TB_OUTBOX_REPLY ? item->target : NULL),
        create_done, g_strdup(item->id), g_free);
    return;
  }
}

/* A new item goes now unless it waits: scheduled, or kept back by the gate (work hours, the
 * guard). Not a send someone waits for (D-Bus): no one could answer, so its caller checked. */
static void
send_or_wait(TbConn *conn, TbOutboxItem *item, gboolean gated)
{
  if (item->due != 0 || (gated && conn->hooks.gate != NULL && conn->hooks.gate(conn, item)))
    return;
  send_item(conn, item);
}

/* Queues item and, when someone waits for it, notes the waiter before the first try (a request
 * can fail at once, from inside send_item). */
static TbOutboxItem *
queue_item(TbConn *conn, TbOutboxKind kind, const char *target, const char *conv, const char *text,
           TbSendDone done, gpointer data)
{
  TbOutboxItem *item = tb_store_outbox_add(conn->store, kind, target, conv, text);
  if (done != NULL) {
    TbSendWaiter *w = g_new0(TbSendWaiter, 1);
    w->done = done;
    w->data = data;
    g_hash_table_insert(conn->send->waiters, g_strdup(item->id), w);
  }
  return item;
}

gboolean
tb_send_new(TbConn *conn, TbOutboxKind kind, const char *target, const char *conv, const char *text,
            GError **error)
{
  return tb_send_new_with_callback(conn, kind, target, conv, text, NULL, NULL, error);
}

/* Under way, being looked for on X, or possibly on X already: not the user's to change. */
static gboolean
settled(TbConn *conn, const TbOutboxItem *item)
{
  return !g_hash_table_contains(conn->send->sending, item->id) &&
         !g_hash_table_contains(conn->send->looking, item->id) && item->attempted == 0;
}

/* The parts text goes out as (one when it fits), or NULL with error set when X would refuse it
 * and nothing should be queued. thread: split a long post whatever long_posts says. */
static GPtrArray *
plan_text(TbConn *conn, TbOutboxKind kind, const char *text, gboolean thread, GError **error)
{
  GPtrArray *one = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(one, g_strdup(text));

  if (*text == '\0') {
    g_set_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_INVALID, _("nothing to send"));
    g_ptr_array_unref(one);
    return NULL;
  }
  if (kind == TB_OUTBOX_DM && g_utf8_strlen(text, -1) > TB_DM_MAX_CHARS) {
    g_set_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_INVALID,
                _("a DM holds at most %d characters; this one has %ld"), TB_DM_MAX_CHARS,
                g_utf8_strlen(text, -1));
    g_ptr_array_unref(one);
    return NULL;
  }
  if (kind == TB_OUTBOX_DM)
    return one;

  /* Posts are counted as X counts them (twitter-text v3) before anything goes out. */
  TbTextParse parse;
  tb_text_parse(text, &parse);
  if (!parse.valid && parse.weighted_length <= tb_text_max_length()) {
    g_set_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_INVALID,
                _("X does not accept this text (it contains a character X forbids)"));
    g_ptr_array_unref(one);
    return NULL;
  }
  if (parse.weighted_length <= tb_text_max_length())
    return one;
  g_ptr_array_unref(one);
  if (!thread && conn->cfg.long_posts != TB_LONG_POSTS_THREAD) {
    g_set_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_INVALID,
                _("too long for X: %d/%d characters (set long_posts to thread to post it as a "
                  "numbered thread)"),
                parse.weighted_length, tb_text_max_length());
    return NULL;
  }
  GPtrArray *parts = tb_text_split_thread(text, tb_text_max_length(), TRUE);
  if (parts == NULL || parts->len == 0) {
    g_set_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_INVALID,
                _("too long for X: %d/%d characters, and it cannot be split (one piece alone is "
                  "too long)"),
                parse.weighted_length, tb_text_max_length());
    if (parts != NULL)
      g_ptr_array_unref(parts);
    return NULL;
  }
  return parts;
}

/* Each part after first replies to the one before it; all are queued now so none is lost. */
static void
queue_rest(TbConn *conn, TbOutboxItem *first, GPtrArray *parts)
{
  g_autofree char *prev = g_strdup(first->id);
  for (guint i = 1; i < parts->len; i++) {
    g_autofree char *after = g_strconcat(TB_AFTER_PREFIX, prev, NULL);
    TbOutboxItem *part =
        tb_store_outbox_add(conn->store, TB_OUTBOX_REPLY, after, first->conv, parts->pdata[i]);
    g_free(prev);
    prev = g_strdup(part->id);
  }
  tb_conn_store_changed(conn);
}

/* Checks text, queues it (due: 0, or when a scheduled send goes) and sends it unless it waits.
 * The first (or only) item queued, or NULL with error set. */
static TbOutboxItem *
queue_new(TbConn *conn, TbOutboxKind kind, const char *target, const char *conv, const char *text,
          gint64 due, TbSendDone done, gpointer data, GError **error)
{
  g_autoptr(GPtrArray) parts = plan_text(conn, kind, text, FALSE, error);
  if (parts == NULL)
    return NULL;
  TbOutboxItem *first = queue_item(conn, kind, target, conv, parts->pdata[0], done, data);
  if (due != 0)
    tb_store_outbox_set_due(conn->store, first, due, FALSE);
  queue_rest(conn, first, parts);
  send_or_wait(conn, first, done == NULL);
  return first;
}

gboolean
tb_send_new_with_callback(TbConn *conn, TbOutboxKind kind, const char *target, const char *conv,
                          const char *text, TbSendDone done, gpointer data, GError **error)
{
  return queue_new(conn, kind, target, conv, text, 0, done, data, error) != NULL;
}

char *
tb_send_schedule(TbConn *conn, TbOutboxKind kind, const char *target, const char *conv,
                 const char *text, gint64 due, GError **error)
{
  TbOutboxItem *item = queue_new(conn, kind, target, conv, text, due, NULL, NULL, error);
  return item ? g_strdup(item->id) : NULL;
}

char *
tb_send_typed(TbConn *conn, TbOutboxKind kind, const char *target, const char *conv,
              const char *text, const char *hold)
{
  g_autoptr(GError) refused = NULL;
  g_autoptr(GPtrArray) parts = plan_text(conn, kind, text, FALSE, &refused);

  if (parts == NULL && *text == '\0') {
    PurpleConversation *c = tb_conv_find(conn, conv);
    g_autofree char *msg =
        g_strdup_printf(_("Not sent from @%s: %s"), conn->handle, refused->message);
    tb_conv_notice(conn, c, msg);
    return NULL;
  }
  /* Refused before X: kept all the same, with what can be done about it. */
  TbOutboxItem *first =
      tb_store_outbox_add(conn->store, kind, target, conv, parts ? parts->pdata[0] : text);
  if (parts != NULL)
    queue_rest(conn, first, parts);
  if (parts == NULL || hold != NULL) {
    tb_store_outbox_set_error(conn->store, first, parts ? hold : refused->message);
    tb_conn_store_changed(conn);
    if (parts == NULL) {
      tb_conv_show_refused(conn, first, refused->message);
      return NULL;
    }
    return g_strdup(first->id);
  }
  tb_conn_store_changed(conn);
  send_or_wait(conn, first, TRUE);
  return NULL;
}

static gboolean replan(TbConn *conn, TbOutboxItem *item, gboolean thread);

static void
refuse_markup(TbConn *conn, TbOutboxItem *item)
{
  const char *why = _("nothing is left once the formatting is taken out (X takes plain text "
                      "only; images and files are not sent)");
  tb_store_outbox_set_error(conn->store, item, why);
  tb_conn_store_changed(conn);
  tb_conv_show_refused(conn, item, why);
}

void
tb_send_keep_markup(TbConn *conn, TbOutboxKind kind, const char *target, const char *conv,
                    const char *raw)
{
  TbOutboxItem *item = tb_store_outbox_add(conn->store, kind, target, conv, raw);
  tb_store_outbox_set_markup_only(conn->store, item);
  refuse_markup(conn, item);
}

void
tb_send_release(TbConn *conn, const char *outbox_id, const char *refusal)
{
  TbOutboxItem *item = tb_store_outbox_find(conn->store, outbox_id);
  if (item == NULL || !settled(conn, item))
    return; /* dropped or retried meanwhile */
  if (refusal == NULL) {
    /* answered OK: on its way like any typed send, through the gate (work hours, the guard) */
    if (replan(conn, item, FALSE))
      send_or_wait(conn, item, TRUE);
    return;
  }
  tb_store_outbox_set_error(conn->store, item, refusal);
  tb_conn_store_changed(conn);
  tb_conv_show_refused(conn, item, refusal);
}

/* An item not yet tried, planned again (the options may have changed since): split in place
 * when it has become a thread (the item keeps its id: the first part), FALSE and shown with what
 * can be done when it is still refused. */
static gboolean
replan(TbConn *conn, TbOutboxItem *item, gboolean thread)
{
  g_autoptr(GError) refused = NULL;
  if (g_str_has_prefix(item->target ? item->target : "", TB_AFTER_PREFIX))
    return TRUE; /* a later part: split already */
  if (item->markup_only) {
    refuse_markup(conn, item);
    return FALSE;
  }
  g_autoptr(GPtrArray) parts = plan_text(conn, item->kind, item->text, thread, &refused);
  if (parts == NULL) {
    tb_store_outbox_set_error(conn->store, item, refused->message);
    tb_conn_store_changed(conn);
    tb_conv_show_refused(conn, item, refused->message);
    return FALSE;
  }
  if (parts->len > 1) {
    g_free(item->text);
    item->text = g_strdup(parts->pdata[0]);
    queue_rest(conn, item, parts);
  }
  return TRUE;
}

/* Sends an item not yet tried once planned again; TRUE: handled (sent, or kept and said so). */
static gboolean
send_planned(TbConn *conn, TbOutboxItem *item, gboolean thread)
{
  if (replan(conn, item, thread))
    send_item(conn, item);
  return TRUE;
}

gboolean
tb_send_retry(TbConn *conn, const char *outbox_id)
{
  TbOutboxItem *item = tb_store_outbox_find(conn->store, outbox_id);
  TbLookFor *look = g_hash_table_lookup(conn->send->looking, outbox_id);
  if (look != NULL) {
    look->then_send = TRUE; /* sent once the look shows X does not have it */
    return TRUE;
  }
  if (item == NULL || item->due != 0 || g_hash_table_contains(conn->send->sending, outbox_id))
    return FALSE; /* a scheduled or held item goes with "now" */
  if (item->attempted != 0) {
    /* It may be on X already: look first, and send only if it is not. */
    look_on_x(conn, item, TRUE, NULL, FALSE);
    return TRUE;
  }
  return send_planned(conn, item, FALSE);
}

gboolean
tb_send_thread(TbConn *conn, const char *outbox_id)
{
  TbOutboxItem *item = tb_store_outbox_find(conn->store, outbox_id);
  if (item == NULL || item->kind == TB_OUTBOX_DM || !settled(conn, item))
    return FALSE;
  return send_planned(conn, item, TRUE);
}

guint
tb_send_drop(TbConn *conn, const char *outbox_id)
{
  TbOutboxItem *item = tb_store_outbox_find(conn->store, outbox_id);
  if (item == NULL || !settled(conn, item))
    return 0;
  /* the parts waiting for it go with it: they would wait for ever */
  g_autofree char *next = g_strdup(outbox_id);
  guint n = 0;
  while (next != NULL) {
    g_autofree char *waiting = g_strconcat(TB_AFTER_PREFIX, next, NULL);
    waiter_settle_removed(conn, next);
    tb_store_outbox_remove(conn->store, next);
    n++;
    g_clear_pointer(&next, g_free);
    GList *items = tb_store_outbox_list(conn->store);
    for (GList *l = items; l && next == NULL; l = l->next) {
      TbOutboxItem *part = l->data;
      if (g_strcmp0(part->target, waiting) == 0)
        next = g_strdup(part->id);
    }
    g_list_free(items);
  }
  tb_conn_store_changed(conn);
  return n;
}

gboolean
tb_send_due(TbConn *conn, const char *outbox_id, gboolean look_first)
{
  TbOutboxItem *item = tb_store_outbox_find(conn->store, outbox_id);

  if (item == NULL || g_hash_table_contains(conn->send->sending, outbox_id))
    return FALSE;
  tb_store_outbox_set_due(conn->store, item, 0, FALSE);
  tb_conn_store_changed(conn);
  if (look_first || item->attempted != 0)
    look_on_x(conn, item, TRUE, NULL, FALSE); /* sent only if X does not have it */
  else
    send_item(conn, item);
  return TRUE;
}

gboolean
tb_send_reconcile_dm(TbConn *conn, const char *peer, const char *x_text, const char *event_id)
{
  g_autofree char *text = tb_render_unescape_x(x_text ? x_text : "");
  GList *items = tb_store_outbox_list(conn->store);
  TbOutboxItem *match = NULL;

  for (GList *l = items; l && !match; l = l->next) {
    TbOutboxItem *item = l->data;
    if (item->kind == TB_OUTBOX_DM && !item->markup_only &&
        (item->last_error != NULL || item->attempted != 0) &&
        !g_hash_table_contains(conn->send->sending, item->id) &&
        g_ascii_strcasecmp(item->target, peer) == 0 && g_strcmp0(item->text, text) == 0)
      match = item;
  }
  g_list_free(items);
  if (match == NULL)
    return FALSE;
  g_autofree char *id = g_strdup(match->id);
  tb_send_note_own_dm(conn, event_id);
  tb_conv_echo_sent(conn, match, event_id);
  tb_store_outbox_remove(conn->store, id);
  tb_conn_store_changed(conn);
  return TRUE;
}

void
tb_send_report_pending(TbConn *conn)
{
  GList *items = tb_store_outbox_list(conn->store);

  for (GList *l = items; l; l = l->next) {
    TbOutboxItem *item = l->data;
    if (item->due != 0 && item->attempted == 0)
      continue; /* scheduled or held: tb-hours.c says what became of it */
    if (in_doubt(item)) {
      /* sent, or about to be, when Twinbird stopped: X may have it */
      tb_conv_show_send_unknown(conn, item, _("Twinbird stopped before X answered"));
      look_on_x(conn, item, FALSE, NULL, FALSE);
      continue;
    }
    tb_conv_show_send_error(conn, item,
                            item->last_error ? item->last_error
                                             : _("not confirmed by X before Twinbird stopped"));
  }
  g_list_free(items);
}

void
tb_send_note_own_dm(TbConn *conn, const char *event_id)
{
  tb_store_idlist_add(conn->store, TB_STORE_SENT_DMS, event_id, TB_BOUND_SENT_DMS_KEPT);
  tb_conn_store_changed(conn);
}

gboolean
tb_send_dm_under_way(TbConn *conn)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init(&iter, conn->send->sending);
  while (g_hash_table_iter_next(&iter, &key, NULL)) {
    TbOutboxItem *item = tb_store_outbox_find(conn->store, key);
    if (item != NULL && item->kind == TB_OUTBOX_DM)
      return TRUE;
  }
  return FALSE;
}
