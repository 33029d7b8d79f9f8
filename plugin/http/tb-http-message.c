/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-http-message.h"

/* The quark's name is a string: its hyphens are not subtractions. */
/* clang-format off */
G_DEFINE_QUARK(tb-http-proxy-error-quark, tb_http_proxy_error)
/* clang-format on */

gboolean
tb_http_response_proxy_error(const TbHttpResponse *resp, GError **error)
{
  if (resp == NULL ||
      (resp->outcome != TB_HTTP_FAIL_PROXY_AUTH && resp->outcome != TB_HTTP_FAIL_PROXY))
    return FALSE;
  g_set_error_literal(error, TB_HTTP_PROXY_ERROR,
                      resp->outcome == TB_HTTP_FAIL_PROXY_AUTH ? TB_HTTP_PROXY_ERROR_AUTH
                                                               : TB_HTTP_PROXY_ERROR_UNREACHABLE,
                      resp->error ? resp->error : "the proxy failed");
  return TRUE;
}

TbHttpRequest *
tb_http_request_new(const char *method, const char *url)
{
  TbHttpRequest *req = g_new0(TbHttpRequest, 1);
  req->method = g_strdup(method);
  req->url = g_strdup(url);
  req->headers = g_ptr_array_new_with_free_func(g_free);
  return req;
}

void
tb_http_request_add_header(TbHttpRequest *req, const char *name, const char *value)
{
  g_ptr_array_add(req->headers, g_strdup_printf("%s: %s", name, value));
}

void
tb_http_request_set_body(TbHttpRequest *req, const char *content_type, const char *data, gsize len)
{
  g_clear_pointer(&req->body, g_bytes_unref);
  req->body = g_bytes_new(data, len);
  tb_http_request_add_header(req, "Content-Type", content_type);
}

void
tb_http_request_free(TbHttpRequest *req)
{
  if (req == NULL)
    return;
  g_free(req->method);
  g_free(req->url);
  g_ptr_array_unref(req->headers);
  g_clear_pointer(&req->body, g_bytes_unref);
  g_free(req);
}

TbHttpResponse *
tb_http_response_new(void)
{
  TbHttpResponse *resp = g_new0(TbHttpResponse, 1);
  resp->headers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  resp->body = g_bytes_new(NULL, 0);
  return resp;
}

TbHttpResponse *
tb_http_response_copy(const TbHttpResponse *resp)
{
  TbHttpResponse *copy = g_new0(TbHttpResponse, 1);
  copy->outcome = resp->outcome;
  copy->status = resp->status;
  copy->error = g_strdup(resp->error);
  copy->body = g_bytes_ref(resp->body);
  copy->headers = g_hash_table_ref(resp->headers);
  return copy;
}

const char *
tb_http_response_header(const TbHttpResponse *resp, const char *name)
{
  g_autofree char *lower = g_ascii_strdown(name, -1);
  return g_hash_table_lookup(resp->headers, lower);
}

void
tb_http_response_free(TbHttpResponse *resp)
{
  if (resp == NULL)
    return;
  g_free(resp->error);
  g_bytes_unref(resp->body);
  g_hash_table_unref(resp->headers);
  g_free(resp);
}
