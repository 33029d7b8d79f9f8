/* libcurl's multi interface driven only by libpurple's event loop (purple_input_add,
 * purple_timeout_add), so it runs unchanged under Pidgin, Finch, BitlBee and Adium.
 * One TbHttp per connection: freeing it cancels every request without calling back.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_HTTP_H
#define TB_HTTP_H

#include "tb-http-message.h"
#include "core/tb-proxy-url.h"

G_BEGIN_DECLS

typedef struct _TbHttp TbHttp;

typedef struct {
  const char *ca_file;     /* extra CA (test servers); the system store stays trusted */
  const TbProxyUrl *proxy; /* copied; NULL or TB_PROXY_NONE: straight to X. The environment's
                              proxy variables are never read here (tb-proxy.c decides) */
  const char *user_agent;
  gsize max_body;         /* bytes; 0 = 8 MiB */
  long connect_timeout_s; /* 0 = 15 s */
  long stall_timeout_s;   /* under 1 byte/s for this long = failure (curl averages over a few
                             seconds, so it fires a little later); 0 = 30 s */
  long total_timeout_s;   /* 0 = 120 s */
} TbHttpConfig;

/* The response is owned by the driver and freed after the callback returns. */
typedef void (*TbHttpDone)(const TbHttpResponse *resp, gpointer user_data);

TbHttp *tb_http_new(const TbHttpConfig *cfg);
/* Takes ownership of req. Returns a request id (> 0), or 0 with error set when refused
 * (plain http:// to a host that is not loopback, or a URL curl cannot use). */
guint tb_http_send(TbHttp *http, TbHttpRequest *req, TbHttpDone done, gpointer user_data,
                   GError **error);
/* The same; destroy (may be NULL) frees user_data if the request ends without calling done
 * (cancelled, or the driver freed). When refused (0), user_data stays the caller's. */
guint tb_http_send_full(TbHttp *http, TbHttpRequest *req, TbHttpDone done, gpointer user_data,
                        GDestroyNotify destroy, GError **error);
/* Cancels one request; its callback is never called. Unknown ids are ignored. */
void tb_http_cancel(TbHttp *http, guint id);
guint tb_http_pending(TbHttp *http);
/* Cancels everything and frees; safe to call from inside a TbHttpDone callback. */
void tb_http_free(TbHttp *http);

G_END_DECLS

#endif
