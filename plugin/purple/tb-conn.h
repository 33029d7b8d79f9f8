/* One signed-in X account: its settings, its HTTP driver and the registry of every timer and
 * request it owns, so tb_conn_free() (the prpl's close) leaves nothing behind.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_CONN_H
#define TB_CONN_H

#include <purple.h>

#include "api/tb-xapi.h"
#include "core/tb-config.h"
#include "core/tb-store.h"
#include "http/tb-http.h"

G_BEGIN_DECLS

typedef struct _TbConn TbConn;

/* Called with the parsed response, or NULL and an error. Never called after tb_conn_free(). */
typedef void (*TbConnDone)(TbConn *conn, JsonNode *root, const TbHttpResponse *resp,
                           const GError *error, gpointer user_data);

struct _TbConn {
  PurpleConnection *gc;
  PurpleAccount *account;
  TbConfig cfg;
  TbXapiAuth auth;
  TbHttp *http;
  GHashTable *timers; /* purple timeout id -> TbConnTimer */
  char *handle;       /* the account's X username, without '@' */
  TbXapiUser *me;     /* who X says the token belongs to, once signed in */
  guint login_attempts;
  char *tag;      /* "[work @pat_at_acme]": printed on every outgoing message */
  TbStore *store; /* cursors and outbox, persisted per account */
  guint store_timer;
  GHashTable *users_by_id;     /* id -> TbXapiUser, everyone seen */
  GHashTable *users_by_handle; /* lower-case handle -> TbXapiUser (same objects) */
  GHashTable *threads;         /* conversation key -> TbThread */
  GHashTable *chats;           /* chat id -> TbThread (same objects) */
  int next_chat_id;
  GHashTable *calls;   /* TbConnCall under way: freed at close, as their callbacks won't run */
  GHashTable *sending; /* outbox ids under way: a second retry must not post twice */
  guint recheck_timer; /* sends in doubt are looked for on X again (tb-send.c) */
  GHashTable *looking; /* outbox id -> its look on X under way (tb-send.c; not owned) */
  struct _TbPoller *mentions, *dms;
  GHashTable *rate_limits;   /* endpoint key -> TbXapiRateLimit, from the latest answer */
  struct _TbCostMeter *cost; /* estimated spend today (pay-per-use prices) */
  struct _TbAuth *oauth;     /* auth=oauth2|oauth1: sign-in, renewal, sign-out (tb-auth.h) */
};

/* Schedules a store save soon (coalesced) ; tb_conn_free() saves anything pending. */
void tb_conn_store_changed(TbConn *conn);
/* Remembers a user seen in a response (includes.users, lookups); returns the kept copy. */
TbXapiUser *tb_conn_remember_user(TbConn *conn, const TbXapiUser *user);
TbXapiUser *tb_conn_user_by_handle(TbConn *conn, const char *handle);
TbXapiUser *tb_conn_user_by_id(TbConn *conn, const char *id);

TbConn *tb_conn_new(PurpleConnection *gc);
void tb_conn_free(TbConn *conn);
TbConn *tb_conn_from_gc(PurpleConnection *gc);

/* Timers owned by the connection: removed automatically when fn returns FALSE or at close. */
guint tb_conn_timeout_add(TbConn *conn, guint ms, GSourceFunc fn, gpointer data);
void tb_conn_timeout_remove(TbConn *conn, guint id);

/* Sends an X API request (takes ownership); done runs from the event loop. Returns the request
 * id, or 0 when refused (then done has already run with the error). */
guint tb_conn_send(TbConn *conn, TbHttpRequest *req, TbConnDone done, gpointer user_data);

/* The same, with destroy freeing user_data if the connection closes before done has run. */
guint tb_conn_send_full(TbConn *conn, TbHttpRequest *req, TbConnDone done, gpointer user_data,
                        GDestroyNotify destroy);

void tb_conn_login(TbConn *conn);
/* Checks with GET /2/users/me that conn->auth is this account's, then goes online (tb-auth.c
 * calls it once a sign-in or a renewal produced a token). */
void tb_conn_login_verify(TbConn *conn);

G_END_DECLS

#endif
