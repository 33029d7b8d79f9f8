/* The connection runtime of one X account: its settings, its HTTP driver, the registry of every
 * timer and request it owns (so closing it leaves nothing behind), the 401 retry, the cache of
 * users seen, and the state file's coalesced save. It names no module above it: what they need
 * from it comes in through TbConnHooks, and each module keeps its own state in its own member,
 * private to it. purple/tb-session.c opens, signs in and closes connections.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_CONN_H
#define TB_CONN_H

#include <purple.h>

#include "api/tb-xapi.h"
#include "core/tb-budget.h"
#include "core/tb-config.h"
#include "core/tb-cost.h"
#include "core/tb-store.h"
#include "http/tb-http.h"

G_BEGIN_DECLS

typedef struct _TbConn TbConn;

/* Called with the parsed response, or NULL and an error. Never called after tb_conn_free(). */
typedef void (*TbConnDone)(TbConn *conn, JsonNode *root, const TbHttpResponse *resp,
                           const GError *error, gpointer user_data);

/* A token renewal ended: conn->auth holds the new token unless error is set. */
typedef void (*TbConnRenewed)(TbConn *conn, const GError *error, gpointer data);

/* What the modules above plug into the runtime (set by tb-session.c; NULL: not wanted). */
typedef struct {
  /* OAuth 2.0: renew the access token after a 401, then call done (FALSE: it cannot; destroy
   * frees data if the connection closes first). Set, a Bearer request is sent again once. */
  gboolean (*renew)(TbConn *conn, TbConnRenewed done, gpointer data, GDestroyNotify destroy);
  /* Every answer, before its callback: rate-limit headers and billing (tb-limits.c). */
  void (*answered)(TbConn *conn, const char *endpoint, TbCostKind kind, const TbHttpResponse *resp,
                   JsonNode *root);
  /* A new send typed by the user, queued and about to go (tb-send.c): TRUE when it is kept back
   * (work hours, the guard: tb-worktime.c), to go later through tb_send_due() or stay held. */
  gboolean (*gate)(TbConn *conn, TbOutboxItem *item);
} TbConnHooks;

struct _TbConn {
  PurpleConnection *gc;
  PurpleAccount *account;
  TbConfig cfg;
  TbXapiAuth auth;
  TbHttp *http;
  char *handle;   /* the account's X username, without '@' */
  TbXapiUser *me; /* who X says the token belongs to, once signed in */
  char *tag;      /* "[work @pat_at_acme]": printed on every outgoing message */
  TbStore *store; /* cursors and outbox, persisted per account */
  TbConnHooks hooks;

  /* the runtime's own (tb-conn.c) */
  GHashTable *timers;   /* purple timeout id -> TbConnTimer */
  GHashTable *slots;    /* slot name -> TbConnTimer (same objects) */
  GHashTable *calls;    /* TbConnCall under way or held back: freed at close, no callback runs */
  GQueue *waiting;      /* TbConnCall held back for X's limits, oldest first (also in calls) */
  GQueue *answers;      /* TbConnCall parsed, to be handled one per loop turn (also in calls) */
  TbBudget *budget;     /* what X still allows this account, per endpoint (the scheduler's) */
  TbBudget *app_budget; /* the app's own limits, shared by its accounts (tb-plugin.c's) or NULL */
  GHashTable *users_by_id;     /* id -> TbXapiUser, everyone seen */
  GHashTable *users_by_handle; /* lower-case handle -> TbXapiUser (same objects) */

  /* each module's own state, private to it: NULL until that module starts */
  struct _TbSession *session;  /* tb-session.c: sign-in attempts */
  struct _TbAuth *oauth;       /* tb-auth.c: OAuth sign-in, renewal, sign-out */
  struct _TbConvState *conv;   /* tb-conv.c: threads and chats */
  struct _TbSendState *send;   /* tb-send.c: sends under way, looks on X, who waits */
  struct _TbFetchState *fetch; /* tb-fetch.c: the pollers */
  struct _TbLimits *limits;    /* tb-limits.c: rate limits seen, the cost meter */
  struct _TbConfirm *confirm;  /* tb-confirm.c: questions before public sends */

  /* tb-worktime.c: work hours, presence, scheduled and held sends */
  struct _TbWorktime *worktime;
  /* tb-stats.c: the account's own numbers (counted into the state file) */
  struct _TbStats *stats;
  /* tb-timeline.c: the home timeline chat (timeline=on) */
  struct _TbTimeline *timeline;
  /* tb-stream.c: this account's part of its app's Activity stream */
  struct _TbStream *stream;
};

TbConn *tb_conn_new(PurpleConnection *gc);
/* Saves what is pending, removes every timer, drops every request (their destroy runs, their
 * callback never does) and the HTTP driver. Modules free their state after this. */
void tb_conn_shutdown(TbConn *conn);
/* The rest, and conn itself; modules' members must be NULL by now. */
void tb_conn_free(TbConn *conn);
TbConn *tb_conn_from_gc(PurpleConnection *gc);
/* Every signed-in Twinbird account of this client, in the client's order (from the connections,
 * not the accounts: BitlBee lists another account late). The list is the caller's. */
GList *tb_conn_list_signed_in(void);

/* Named timer slots: setting a slot replaces the timer it held. The slot is empty again once fn
 * returns FALSE, when cleared, and at shutdown. Whole seconds use purple_timeout_add_seconds. */
void tb_conn_timeout_set(TbConn *conn, const char *slot, guint ms, GSourceFunc fn, gpointer data);
void tb_conn_timeout_clear(TbConn *conn, const char *slot);
gboolean tb_conn_timeout_is_set(TbConn *conn, const char *slot);

/* Sends an X API request (takes ownership) through the account's scheduler: it goes while X's
 * limits for its endpoint allow, a read waits for the window to turn (a 429 too: sent again after
 * the reset), a write over the limit fails at once. done runs from the event loop. FALSE when
 * refused at once (then done has already run with the error). */
gboolean tb_conn_send(TbConn *conn, TbHttpRequest *req, TbConnDone done, gpointer user_data);

/* The same, with destroy freeing user_data if the connection closes before done has run. */
gboolean tb_conn_send_full(TbConn *conn, TbHttpRequest *req, TbConnDone done, gpointer user_data,
                           GDestroyNotify destroy);

/* The pause before the next poll of endpoint ("GET /2/dm_events"): at least floor_s, and as
 * long as the window's requests left, less reserve, need to last until its reset. */
guint tb_conn_pace_s(TbConn *conn, const char *endpoint, guint floor_s, guint reserve);

/* Schedules a store save soon (coalesced); tb_conn_shutdown() saves anything pending. */
void tb_conn_store_changed(TbConn *conn);

/* Remembers a user seen in a response (includes.users, lookups); returns the kept copy. */
TbXapiUser *tb_conn_remember_user(TbConn *conn, const TbXapiUser *user);
TbXapiUser *tb_conn_user_by_handle(TbConn *conn, const char *handle);
TbXapiUser *tb_conn_user_by_id(TbConn *conn, const char *id);

G_END_DECLS

#endif
