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
};

TbConn *tb_conn_new(PurpleConnection *gc);
void tb_conn_free(TbConn *conn);
TbConn *tb_conn_from_gc(PurpleConnection *gc);

/* Timers owned by the connection: removed automatically when fn returns FALSE or at close. */
guint tb_conn_timeout_add(TbConn *conn, guint ms, GSourceFunc fn, gpointer data);
void tb_conn_timeout_remove(TbConn *conn, guint id);

/* Sends an X API request (takes ownership); done runs from the event loop. Returns the request
 * id, or 0 when refused (then done has already run with the error). */
guint tb_conn_send(TbConn *conn, TbHttpRequest *req, TbConnDone done, gpointer user_data);

void tb_conn_login(TbConn *conn);

G_END_DECLS

#endif
