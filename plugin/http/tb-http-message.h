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
  TB_HTTP_FAIL_PROTOCOL, /* connection dropped or garbled mid-response */
  TB_HTTP_FAIL_POLICY,   /* refused before sending (e.g. plain http to a remote host) */
} TbHttpOutcome;

typedef struct {
  TbHttpOutcome outcome;
  int status;          /* HTTP status when outcome is TB_HTTP_OK */
  char *error;         /* human readable, for failures */
  GBytes *body;        /* never NULL */
  GHashTable *headers; /* lower-case name -> value */
} TbHttpResponse;

TbHttpRequest *tb_http_request_new(const char *method, const char *url);
void tb_http_request_add_header(TbHttpRequest *req, const char *name, const char *value);
void tb_http_request_set_body(TbHttpRequest *req, const char *content_type, const char *data,
                              gsize len);
void tb_http_request_free(TbHttpRequest *req);

TbHttpResponse *tb_http_response_new(void);
const char *tb_http_response_header(const TbHttpResponse *resp, const char *name);
void tb_http_response_free(TbHttpResponse *resp);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(TbHttpRequest, tb_http_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TbHttpResponse, tb_http_response_free)

G_END_DECLS

#endif
