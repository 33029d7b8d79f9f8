/* A canned X answer for unit tests of the API layer: status and body, as the driver would hand
 * them over.
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

#endif
