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
/* --- streams (GET /2/activity/stream) ----------------------------------------------------------
 * A request whose body never ends: its bytes are handed over as they arrive, nothing is
 * accumulated, and there is no total timeout. What ends it:
 *  - the server closing cleanly: end with outcome TB_HTTP_OK;
 *  - no byte at all (keep-alives included, headers too) for stall_timeout_s: end with
 *    TB_HTTP_FAIL_STALL and an error saying so;
 *  - any other failure, as tb_http_send reports it (proxies honoured the same way);
 *  - tb_http_cancel or tb_http_free: no callback, only destroy.
 * Every callback runs from the event loop, never inside libcurl: each may cancel this stream or
 * any other request, or free the driver. */

/* Once, when the final status line and headers are in (resp->status, resp->headers; resp->body
 * is empty), before any data. */
typedef void (*TbHttpStreamHead)(const TbHttpResponse *resp, gpointer user_data);
/* Body bytes of a 2xx answer, in chunks of any size and split anywhere (core/tb-ndjson joins
 * the lines again). A non-2xx answer's body is never handed here: it is collected whole (up to
 * max_body) and given to end in resp->body, so X's problem+json can be read. */
typedef void (*TbHttpStreamData)(const char *data, gsize len, gpointer user_data);

typedef struct {
  TbHttpStreamHead head; /* may be NULL */
  TbHttpStreamData data;
  TbHttpDone end;       /* exactly once, unless cancelled */
  long stall_timeout_s; /* 0 = 60 s; X sends a keep-alive well within that */
} TbHttpStreamOps;

/* Takes ownership of req; ops is copied. Returns the request id (> 0, for tb_http_cancel), or 0
 * with error set when refused (user_data stays the caller's). */
guint tb_http_stream(TbHttp *http, TbHttpRequest *req, const TbHttpStreamOps *ops,
                     gpointer user_data, GDestroyNotify destroy, GError **error);

/* Cancels one request; its callback is never called. Unknown ids are ignored. */
void tb_http_cancel(TbHttp *http, guint id);
guint tb_http_pending(TbHttp *http);
/* Cancels everything and frees; safe to call from inside a TbHttpDone callback. */
void tb_http_free(TbHttp *http);

G_END_DECLS

#endif
