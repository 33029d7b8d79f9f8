/* A canned X answer for unit tests of the API layer: status and body, as the driver would hand
 * them over; and a request's header, as the driver would send it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_TEST_RESPONSE_H
#define TB_TEST_RESPONSE_H

#include <string.h>

#include "http/tb-http-message.h"

static inline TbHttpResponse *
response_new(int status, const char *body)
{
  TbHttpResponse *resp = tb_http_response_new();

  resp->outcome = TB_HTTP_OK;
  resp->status = status;
  if (body != NULL) {
    g_bytes_unref(resp->body);
    resp->body = g_bytes_new(body, strlen(body));
  }
  return resp;
}

/* The value of a request's header (case-insensitive name), or NULL. */
static inline const char *
request_header(const TbHttpRequest *req, const char *name)
{
  gsize n = strlen(name);
  for (guint i = 0; i < req->headers->len; i++) {
    const char *h = req->headers->pdata[i];
    if (g_ascii_strncasecmp(h, name, n) == 0 && h[n] == ':')
      return h + n + 2;
  }
  return NULL;
}

#endif
