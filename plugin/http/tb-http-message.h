/* HTTP requests and responses as plain data: the API layer builds and reads these without
 * knowing how they travel (libcurl on libpurple's loop in the plugin, anything in a test).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_HTTP_MESSAGE_H
#define TB_HTTP_MESSAGE_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *method; /* "GET", "POST", "DELETE" */
  char *url;
  GPtrArray *headers; /* "Name: value" strings */
  GBytes *body;       /* NULL for none */
} TbHttpRequest;

typedef enum {
  TB_HTTP_OK, /* a response arrived (any status) */
  TB_HTTP_FAIL_CONNECT,
  TB_HTTP_FAIL_TIMEOUT,
  TB_HTTP_FAIL_TLS,
  TB_HTTP_FAIL_TOO_LARGE,
  TB_HTTP_FAIL_PROTOCOL,   /* connection dropped or garbled mid-response */
  TB_HTTP_FAIL_POLICY,     /* refused before sending (e.g. plain http to a remote host) */
  TB_HTTP_FAIL_PROXY_AUTH, /* the proxy refused its user name or password: nothing reached X */
  TB_HTTP_FAIL_PROXY,      /* the proxy cannot be reached or refused to connect: nor did this */
  TB_HTTP_FAIL_STALL,      /* a stream (tb_http_stream) sent no byte for its stall timeout */
} TbHttpOutcome;

typedef struct {
  TbHttpOutcome outcome;
  int status;          /* HTTP status when outcome is TB_HTTP_OK */
  char *error;         /* human readable, for failures */
  GBytes *body;        /* never NULL */
  GHashTable *headers; /* lower-case name -> value */
} TbHttpResponse;

/* A request that failed at the proxy, before X: the proxy's fault, never X's verdict. */
#define TB_HTTP_PROXY_ERROR (tb_http_proxy_error_quark())
GQuark tb_http_proxy_error_quark(void);
typedef enum {
  TB_HTTP_PROXY_ERROR_AUTH,        /* lasting: the proxy user or password must be fixed */
  TB_HTTP_PROXY_ERROR_UNREACHABLE, /* the proxy is down, refuses or is not a proxy */
} TbHttpProxyError;

/* TRUE, with error set in TB_HTTP_PROXY_ERROR from resp->error, for a proxy failure. */
gboolean tb_http_response_proxy_error(const TbHttpResponse *resp, GError **error);

TbHttpRequest *tb_http_request_new(const char *method, const char *url);
void tb_http_request_add_header(TbHttpRequest *req, const char *name, const char *value);
void tb_http_request_set_body(TbHttpRequest *req, const char *content_type, const char *data,
                              gsize len);
void tb_http_request_free(TbHttpRequest *req);

TbHttpResponse *tb_http_response_new(void);
/* Shares the body and headers (they are never changed once the answer is in). */
TbHttpResponse *tb_http_response_copy(const TbHttpResponse *resp);
const char *tb_http_response_header(const TbHttpResponse *resp, const char *name);
void tb_http_response_free(TbHttpResponse *resp);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(TbHttpRequest, tb_http_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TbHttpResponse, tb_http_response_free)

G_END_DECLS

#endif
