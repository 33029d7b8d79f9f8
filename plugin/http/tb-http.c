/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The pattern follows libcurl's multi_socket API: curl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION) and when to wake it (CURLMOPT_TIMERFUNCTION, one timer that each new
 * value replaces); we turn both into purple_input_add/purple_timeout_add and call
 * curl_multi_socket_action back. libcurl is never called from inside those two callbacks.
 */
#include "tb-http.h"
#include "tb-trace.h"
#include "core/tb-bounds.h"
#include "core/tb-config.h"

#include <curl/curl.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <eventloop.h>
#include <string.h>

#define TB_HTTP_DEFAULT_MAX_BODY TB_BOUND_BODY_BYTES
#define TB_HTTP_DEFAULT_STREAM_STALL_S 60

typedef struct {
  TbHttp *http;
  guint id;
  CURL *easy;
  TbHttpRequest *req;
  struct curl_slist *req_headers;
  GByteArray *body;
  TbHttpResponse *resp;
  gboolean too_large;
  TbHttpDone done;
  gpointer user_data;
  GDestroyNotify destroy; /* frees user_data when the job ends without calling done */
  gboolean via_proxy;
  gboolean tunnel; /* an https request through an HTTP proxy: CONNECT first */
  char errbuf[CURL_ERROR_SIZE];
  /* streams only (tb_http_stream) */
  gboolean stream;
  TbHttpStreamOps ops;
  GByteArray *pending; /* 2xx body bytes that came in curl's callback, handed over after it */
  gboolean head_ready; /* the final headers are in */
  gboolean head_sent;  /* ops.head has run */
  gint64 last_byte;    /* monotonic time of the last byte, header or body */
  guint stall_timer;   /* purple timeout that checks last_byte */
} TbHttpJob;

typedef struct {
  curl_socket_t fd;
  guint watch;
} TbHttpSock;

struct _TbHttp {
  CURLM *multi;
  guint timer;
  GHashTable *jobs;  /* id -> TbHttpJob */
  GHashTable *socks; /* TbHttpSock set, so teardown can remove stray watches */
  guint next_id;
  GQueue *answers;    /* ids of finished jobs whose done has not run yet, oldest first */
  guint answer_timer; /* hands one of them over per loop turn */
  int dispatching;    /* >0 while user callbacks run */
  gboolean doomed;    /* tb_http_free() was called during a callback */
  char *ca_file, *user_agent;
  TbProxyUrl *proxy; /* NULL: none */
  char *proxy_curl;  /* the proxy's URL for curl, without the credentials */
  char *proxy_shown; /* host:port, for messages */
  gsize max_body;
  long connect_timeout_s, stall_timeout_s, total_timeout_s;
};

static int global_users;

static void job_free(TbHttpJob *job);
static void drain(TbHttp *http);
static gboolean answer_next(gpointer data);

static void
sock_event(gpointer data, gint fd, PurpleInputCondition cond)
{
  TbHttp *http = data;
  int running = 0;
  int flags = ((cond & PURPLE_INPUT_READ) ? CURL_CSELECT_IN : 0) |
              ((cond & PURPLE_INPUT_WRITE) ? CURL_CSELECT_OUT : 0);
  gint64 trace = tb_trace_begin();

  curl_multi_socket_action(http->multi, fd, flags, &running);
  drain(http); /* answers are handed over here: their handling counts too */
  tb_trace_end(trace, "HTTP socket");
}

static int
on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
  TbHttp *http = userp;
  TbHttpSock *sock = socketp;
  (void)easy;

  if (what == CURL_POLL_REMOVE) {
    /* curl may report REMOVE for a socket it never announced: tolerate a NULL socketp. */
    if (sock != NULL) {
      if (sock->watch)
        purple_input_remove(sock->watch);
      g_hash_table_remove(http->socks, sock);
      curl_multi_assign(http->multi, fd, NULL);
    }
    return 0;
  }
  if (sock == NULL) {
    sock = g_new0(TbHttpSock, 1);
    sock->fd = fd;
    g_hash_table_add(http->socks, sock);
    curl_multi_assign(http->multi, fd, sock);
  }
  /* Always replace the watch with exactly what curl asks for: a stale write watch on an
   * always-writable socket would spin the loop. */
  if (sock->watch)
    purple_input_remove(sock->watch);
  PurpleInputCondition cond = ((what & CURL_POLL_IN) ? PURPLE_INPUT_READ : 0) |
                              ((what & CURL_POLL_OUT) ? PURPLE_INPUT_WRITE : 0);
  sock->watch = purple_input_add(fd, cond, sock_event, http);
  return 0;
}

static gboolean
timer_fired(gpointer data)
{
  TbHttp *http = data;
  int running = 0;
  gint64 trace = tb_trace_begin();

  http->timer = 0;
  curl_multi_socket_action(http->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  drain(http);
  tb_trace_end(trace, "HTTP timer");
  return FALSE;
}

static int
on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
  TbHttp *http = userp;
  (void)multi;

  if (http->timer) {
    purple_timeout_remove(http->timer);
    http->timer = 0;
  }
  if (timeout_ms >= 0)
    http->timer = purple_timeout_add((guint)timeout_ms, timer_fired, http);
  return 0;
}

/* The final status is in once a 2xx or later status line's headers end (1xx are interim; a
 * proxy's CONNECT answer is kept from us by CURLOPT_SUPPRESS_CONNECT_HEADERS). */
static long
job_status(TbHttpJob *job)
{
  long status = 0;
  curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
  TbHttpJob *job = userdata;
  size_t n = size * nmemb;

  if (job->stream) {
    job->last_byte = g_get_monotonic_time();
    job->head_ready = TRUE;
    if (job_status(job) / 100 == 2) {
      /* handed over from the loop right after curl returns: bounded all the same */
      if (job->pending->len + n > job->http->max_body) {
        job->too_large = TRUE;
        return 0;
      }
      g_byte_array_append(job->pending, (const guint8 *)ptr, (guint)n);
      return n;
    }
  }
  if (job->body->len + n > job->http->max_body) {
    job->too_large = TRUE;
    return 0; /* makes curl fail the transfer with CURLE_WRITE_ERROR */
  }
  g_byte_array_append(job->body, (const guint8 *)ptr, (guint)n);
  return n;
}

static size_t
on_header(char *buffer, size_t size, size_t nitems, void *userdata)
{
  TbHttpJob *job = userdata;
  size_t n = size * nitems;
  const char *colon = memchr(buffer, ':', n);

  /* A new status line (redirect, 100-continue) starts a fresh header set. */
  if (n >= 5 && strncmp(buffer, "HTTP/", 5) == 0)
    g_hash_table_remove_all(job->resp->headers);
  if (job->stream) {
    job->last_byte = g_get_monotonic_time();
    if ((n == 2 && buffer[0] == '\r') || (n == 1 && buffer[0] == '\n'))
      job->head_ready = job->head_ready || job_status(job) >= 200;
  }
  if (colon != NULL) {
    char *name = g_ascii_strdown(buffer, colon - buffer);
    char *value = g_strstrip(g_strndup(colon + 1, n - (colon + 1 - buffer)));
    g_hash_table_replace(job->resp->headers, name, value);
  }
  return n;
}

static TbHttpOutcome
outcome_for(CURLcode code, gboolean too_large)
{
  static const struct {
    CURLcode code;
    TbHttpOutcome outcome;
  } map[] = {
      {CURLE_COULDNT_RESOLVE_HOST, TB_HTTP_FAIL_CONNECT},
      {CURLE_COULDNT_RESOLVE_PROXY, TB_HTTP_FAIL_CONNECT},
      {CURLE_COULDNT_CONNECT, TB_HTTP_FAIL_CONNECT},
      {CURLE_OPERATION_TIMEDOUT, TB_HTTP_FAIL_TIMEOUT},
      {CURLE_SSL_CONNECT_ERROR, TB_HTTP_FAIL_TLS},
      {CURLE_PEER_FAILED_VERIFICATION, TB_HTTP_FAIL_TLS},
      {CURLE_SSL_CACERT_BADFILE, TB_HTTP_FAIL_TLS},
      {CURLE_SSL_CERTPROBLEM, TB_HTTP_FAIL_TLS},
      {CURLE_UNSUPPORTED_PROTOCOL, TB_HTTP_FAIL_POLICY},
  };

  if (too_large)
    return TB_HTTP_FAIL_TOO_LARGE;
  if (code == CURLE_OK)
    return TB_HTTP_OK;
  for (gsize i = 0; i < G_N_ELEMENTS(map); i++) {
    if (map[i].code == code)
      return map[i].outcome;
  }
  return TB_HTTP_FAIL_PROTOCOL;
}

/* Whose fault a failure through the proxy is: the proxy's own (its credentials, or it cannot be
 * reached), or X's as seen from the proxy (then the outcome stays as curl's code says). */
typedef struct {
  long connect_code; /* the proxy's answer to CONNECT; 0 when none came */
  long socks_error;  /* CURLINFO_PROXY_ERROR */
  long new_connects;
  gboolean tunnel;
} TbHttpProxyFacts;

static TbHttpOutcome
proxy_outcome(CURLcode code, const TbHttpProxyFacts *f, TbHttpOutcome plain)
{
  /* SOCKS replies: refused credentials, or X unreachable from the proxy; else the proxy's. */
  static const struct {
    long socks_error;
    TbHttpOutcome outcome;
  } socks[] = {
      {CURLPX_USER_REJECTED, TB_HTTP_FAIL_PROXY_AUTH},
      {CURLPX_NO_AUTH, TB_HTTP_FAIL_PROXY_AUTH},
      {CURLPX_IDENTD, TB_HTTP_FAIL_PROXY_AUTH},
      {CURLPX_IDENTD_DIFFER, TB_HTTP_FAIL_PROXY_AUTH},
      {CURLPX_LONG_USER, TB_HTTP_FAIL_PROXY_AUTH},
      {CURLPX_LONG_PASSWD, TB_HTTP_FAIL_PROXY_AUTH},
      {CURLPX_REPLY_CONNECTION_REFUSED, TB_HTTP_FAIL_CONNECT},
      {CURLPX_REPLY_HOST_UNREACHABLE, TB_HTTP_FAIL_CONNECT},
      {CURLPX_REPLY_NETWORK_UNREACHABLE, TB_HTTP_FAIL_CONNECT},
      {CURLPX_REPLY_TTL_EXPIRED, TB_HTTP_FAIL_CONNECT},
      {CURLPX_REPLY_GENERAL_SERVER_FAILURE, TB_HTTP_FAIL_CONNECT},
      {CURLPX_RESOLVE_HOST, TB_HTTP_FAIL_CONNECT},
  };
  /* CONNECT answers, first match: tinyproxy says 401 to a wrong password, 500 when it cannot
   * reach X; a 4xx is the proxy's rules refusing. */
  static const struct {
    long lo, hi;
    TbHttpOutcome outcome;
  } connect[] = {
      {401, 401, TB_HTTP_FAIL_PROXY_AUTH},
      {407, 407, TB_HTTP_FAIL_PROXY_AUTH},
      {500, 599, TB_HTTP_FAIL_CONNECT},
      {300, 499, TB_HTTP_FAIL_PROXY},
  };

  if (code == CURLE_PROXY) {
    for (gsize i = 0; i < G_N_ELEMENTS(socks); i++) {
      if (socks[i].socks_error == f->socks_error)
        return socks[i].outcome;
    }
    return TB_HTTP_FAIL_PROXY;
  }
  for (gsize i = 0; f->connect_code >= 300 && i < G_N_ELEMENTS(connect); i++) {
    if (f->connect_code >= connect[i].lo && f->connect_code <= connect[i].hi)
      return connect[i].outcome;
  }
  /* The only host curl connects to is the proxy; a tunnel never answered is the proxy's. */
  if (code == CURLE_COULDNT_RESOLVE_PROXY || code == CURLE_COULDNT_CONNECT ||
      (f->tunnel && f->new_connects > 0 && f->connect_code == 0))
    return TB_HTTP_FAIL_PROXY;
  return plain;
}

/* Names the proxy by host:port only: never its user name or password. */
static char *
proxy_message(const TbHttpJob *job, CURLcode code, TbHttpOutcome outcome, const char *detail)
{
  const char *shown = job->http->proxy_shown;

  if (outcome == TB_HTTP_FAIL_PROXY_AUTH)
    return g_strdup_printf(job->http->proxy->username
                               ? _("the proxy %s refused the proxy user name or password (%s)")
                               : _("the proxy %s asks for a user name and password (%s)"),
                           shown, detail);
  if (outcome != TB_HTTP_FAIL_PROXY)
    return g_strdup_printf(_("through the proxy %s: %s"), shown, detail);
  if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_PROXY ||
      code == CURLE_OPERATION_TIMEDOUT)
    return g_strdup_printf(_("the proxy %s cannot be reached (%s)"), shown, detail);
  return g_strdup_printf(_("the proxy %s refused the connection (%s)"), shown, detail);
}

static void
job_finish(TbHttpJob *job, CURLcode code)
{
  TbHttpResponse *resp = job->resp;
  long status = 0;

  curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
  resp->outcome = outcome_for(code, job->too_large);
  resp->status = (int)status;
  g_bytes_unref(resp->body);
  resp->body = g_bytes_new(job->body->data, job->body->len);
  g_autofree char *detail = g_strdup(job->errbuf[0] ? job->errbuf : curl_easy_strerror(code));
  gsize n = strlen(detail);
  while (n > 0 && (detail[n - 1] == '.' || detail[n - 1] == '\n'))
    detail[--n] = '\0'; /* the message goes on after it */
  if (resp->outcome == TB_HTTP_FAIL_TOO_LARGE) {
    resp->error =
        g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "response larger than %zu byte",
                                    "response larger than %zu bytes", job->http->max_body),
                        job->http->max_body);
  } else if (resp->outcome != TB_HTTP_OK && job->via_proxy) {
    TbHttpProxyFacts f = {.tunnel = job->tunnel};
    curl_easy_getinfo(job->easy, CURLINFO_HTTP_CONNECTCODE, &f.connect_code);
    curl_easy_getinfo(job->easy, CURLINFO_PROXY_ERROR, &f.socks_error);
    curl_easy_getinfo(job->easy, CURLINFO_NUM_CONNECTS, &f.new_connects);
    resp->outcome = proxy_outcome(code, &f, resp->outcome);
    resp->error = proxy_message(job, code, resp->outcome, detail);
  } else if (resp->outcome != TB_HTTP_OK) {
    resp->error = g_strdup(detail);
  }
}

/* Hands each stream's head and the body bytes that came since over to its callbacks. Runs
 * right after curl returns, never inside it; a callback may cancel any job or free the driver,
 * so every job is looked up again by id after each call. */
static void
flush_streams(TbHttp *http)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init(&iter, http->jobs);
  while (g_hash_table_iter_next(&iter, &key, &value)) {
    TbHttpJob *job = value;
    if (job->stream && ((job->head_ready && !job->head_sent) || job->pending->len > 0))
      g_ptr_array_add(ids, key);
  }
  http->dispatching++;
  for (guint i = 0; i < ids->len && !http->doomed; i++) {
    TbHttpJob *job = g_hash_table_lookup(http->jobs, ids->pdata[i]);
    if (job != NULL && job->head_ready && !job->head_sent) {
      job->head_sent = TRUE;
      job->resp->status = (int)job_status(job);
      if (job->ops.head != NULL)
        job->ops.head(job->resp, job->user_data);
      job = http->doomed ? NULL : g_hash_table_lookup(http->jobs, ids->pdata[i]);
    }
    if (job != NULL && job->pending->len > 0) {
      g_autoptr(GByteArray) chunk = g_steal_pointer(&job->pending);
      job->pending = g_byte_array_new();
      job->ops.data((const char *)chunk->data, chunk->len, job->user_data);
    }
  }
  http->dispatching--;
}

/* Collects finished transfers; their answers are handed over later, one per loop turn (see
 * answer_next), so curl's socket work and each answer's handling are separate callbacks, none of
 * them holding the loop for all the answers that came in at once. */
static void
drain(TbHttp *http)
{
  CURLMsg *msg;
  int left;

  flush_streams(http); /* a stream's last bytes go before its end */
  while (!http->doomed && (msg = curl_multi_info_read(http->multi, &left)) != NULL) {
    if (msg->msg != CURLMSG_DONE)
      continue;
    TbHttpJob *job = NULL;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&job);
    job_finish(job, msg->data.result);
    g_queue_push_tail(http->answers, GUINT_TO_POINTER(job->id));
  }
  if (!http->doomed && http->answer_timer == 0 && !g_queue_is_empty(http->answers))
    http->answer_timer = purple_timeout_add(0, answer_next, http);
  if (http->doomed && http->dispatching == 0)
    tb_http_free(http);
}

/* One finished job's done. A callback may cancel other jobs or free the whole driver. */
static gboolean
answer_next(gpointer data)
{
  TbHttp *http = data;
  gint64 trace = tb_trace_begin();
  TbHttpJob *job = NULL;

  while (job == NULL && !g_queue_is_empty(http->answers)) {
    gpointer id = g_queue_pop_head(http->answers);
    job = g_hash_table_lookup(http->jobs, id); /* NULL: cancelled meanwhile */
    if (job != NULL)
      g_hash_table_steal(http->jobs, id);
  }
  if (job != NULL) {
    http->dispatching++;
    job->done(job->resp, job->user_data);
    job->destroy = NULL; /* done owned user_data */
    job_free(job);
    http->dispatching--;
  }
  tb_trace_end(trace, "HTTP answer");
  if (http->doomed) {
    http->answer_timer = 0;
    if (http->dispatching == 0)
      tb_http_free(http);
    return FALSE;
  }
  if (!g_queue_is_empty(http->answers))
    return TRUE;
  http->answer_timer = 0;
  return FALSE;
}

static void
job_free(TbHttpJob *job)
{
  if (job->easy) {
    curl_multi_remove_handle(job->http->multi, job->easy);
    curl_easy_cleanup(job->easy);
  }
  if (job->stall_timer)
    purple_timeout_remove(job->stall_timer);
  if (job->pending)
    g_byte_array_unref(job->pending);
  curl_slist_free_all(job->req_headers);
  tb_http_request_free(job->req);
  g_byte_array_unref(job->body);
  tb_http_response_free(job->resp);
  if (job->destroy != NULL)
    job->destroy(job->user_data); /* cancelled, or the driver freed, before done ran */
  g_free(job);
}

TbHttp *
tb_http_new(const TbHttpConfig *cfg)
{
  if (global_users++ == 0)
    curl_global_init(CURL_GLOBAL_DEFAULT);

  TbHttp *http = g_new0(TbHttp, 1);
  http->multi = curl_multi_init();
  http->jobs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)job_free);
  http->socks = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  http->answers = g_queue_new();
  http->ca_file = g_strdup(cfg->ca_file);
  if (cfg->proxy != NULL && cfg->proxy->kind != TB_PROXY_NONE) {
    http->proxy = tb_proxy_url_copy(cfg->proxy);
    http->proxy_curl = tb_proxy_url_for_curl(http->proxy);
    http->proxy_shown = tb_proxy_url_display(http->proxy);
  }
  http->user_agent = g_strdup(cfg->user_agent ? cfg->user_agent : "Twinbird");
  http->max_body = cfg->max_body ? cfg->max_body : TB_HTTP_DEFAULT_MAX_BODY;
  http->connect_timeout_s = cfg->connect_timeout_s ? cfg->connect_timeout_s : 15;
  http->stall_timeout_s = cfg->stall_timeout_s ? cfg->stall_timeout_s : 30;
  http->total_timeout_s = cfg->total_timeout_s ? cfg->total_timeout_s : 120;

  curl_multi_setopt(http->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
  curl_multi_setopt(http->multi, CURLMOPT_SOCKETDATA, http);
  curl_multi_setopt(http->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
  curl_multi_setopt(http->multi, CURLMOPT_TIMERDATA, http);
  return http;
}

static gboolean
url_allowed(const char *url, GError **error)
{
  g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri ? g_uri_get_scheme(uri) : NULL;

  if (g_strcmp0(scheme, "https") == 0)
    return TRUE;
  if (g_strcmp0(scheme, "http") == 0 && tb_config_host_is_loopback(g_uri_get_host(uri)))
    return TRUE;
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
              _("refusing %s: only https://, or http:// to a loopback test server"), url);
  return FALSE;
}

/* Always explicit, so curl never reads the environment's proxy variables by itself: the proxy,
 * or "" for none. The credentials go apart from the URL (no %-escaping, never in a message). */
static void
setup_proxy(TbHttp *http, TbHttpJob *job)
{
  CURL *e = job->easy;
  g_autoptr(GUri) uri = g_uri_parse(job->req->url, G_URI_FLAGS_NONE, NULL);
  const char *host = uri ? g_uri_get_host(uri) : NULL;

  job->via_proxy = http->proxy != NULL && !tb_proxy_url_bypass(http->proxy->no_proxy, host);
  job->tunnel = job->via_proxy && http->proxy->kind == TB_PROXY_HTTP &&
                g_strcmp0(g_uri_get_scheme(uri), "https") == 0;
  curl_easy_setopt(e, CURLOPT_NOPROXY, "");
  curl_easy_setopt(e, CURLOPT_PROXY, job->via_proxy ? http->proxy_curl : "");
  if (job->via_proxy && http->proxy->username != NULL) {
    curl_easy_setopt(e, CURLOPT_PROXYUSERNAME, http->proxy->username);
    curl_easy_setopt(e, CURLOPT_PROXYPASSWORD, http->proxy->password ? http->proxy->password : "");
  }
}

static void
setup_easy(TbHttp *http, TbHttpJob *job)
{
  CURL *e = job->easy;
  TbHttpRequest *req = job->req;

  curl_easy_setopt(e, CURLOPT_URL, req->url);
  curl_easy_setopt(e, CURLOPT_PRIVATE, job);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, job->errbuf);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(e, CURLOPT_USERAGENT, http->user_agent);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, http->connect_timeout_s);
  curl_easy_setopt(e, CURLOPT_TIMEOUT, http->total_timeout_s);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, http->stall_timeout_s);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, job);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, job);
  if (http->ca_file)
    curl_easy_setopt(e, CURLOPT_CAINFO, http->ca_file);
  setup_proxy(http, job);

  for (guint i = 0; i < req->headers->len; i++)
    job->req_headers = curl_slist_append(job->req_headers, req->headers->pdata[i]);
  /* curl would otherwise add "Expect: 100-continue" to larger POSTs, costing a round trip. */
  job->req_headers = curl_slist_append(job->req_headers, "Expect:");
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, job->req_headers);

  if (g_strcmp0(req->method, "GET") != 0)
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
  /* curl silently resends a request when a reused connection turns out dead; for a POST that
   * could post twice. A fresh connection is never resent. */
  if (g_strcmp0(req->method, "POST") == 0)
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
  if (req->body != NULL) {
    gsize len = 0;
    const char *data = g_bytes_get_data(req->body, &len);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, data);
  } else if (g_strcmp0(req->method, "POST") == 0) {
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
  }
}

/* The stall check: X's keep-alives are a couple of bytes every few seconds, far below curl's
 * low-speed limit of 1 byte/s averaged, so the stream measures silence itself. One timer a
 * stream, moved on only when it fires (never re-armed for each chunk). */
static gboolean
stall_fired(gpointer data)
{
  TbHttpJob *job = data;
  TbHttp *http = job->http;
  gint64 quiet_ms = (g_get_monotonic_time() - job->last_byte) / 1000;
  gint64 limit_ms = (gint64)job->ops.stall_timeout_s * 1000;

  job->stall_timer = 0;
  if (quiet_ms < limit_ms) {
    job->stall_timer = purple_timeout_add((guint)(limit_ms - quiet_ms), stall_fired, job);
    return FALSE;
  }
  gint64 trace = tb_trace_begin();
  g_hash_table_steal(http->jobs, GUINT_TO_POINTER(job->id));
  TbHttpResponse *resp = job->resp;
  resp->outcome = TB_HTTP_FAIL_STALL;
  resp->status = (int)job_status(job);
  g_bytes_unref(resp->body);
  resp->body = g_bytes_new(job->body->data, job->body->len);
  resp->error = g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "no data for %ld second",
                                            "no data for %ld seconds", job->ops.stall_timeout_s),
                                job->ops.stall_timeout_s);
  http->dispatching++;
  job->done(resp, job->user_data);
  job->destroy = NULL; /* end owned user_data */
  http->dispatching--;
  job_free(job);
  tb_trace_end(trace, "HTTP stream stall");
  if (http->doomed && http->dispatching == 0)
    tb_http_free(http);
  return FALSE;
}

/* A stream has no total timeout and no low-speed limit (its own stall check instead), and never
 * sees a proxy's CONNECT answer as its own head. */
static void
setup_stream(TbHttpJob *job)
{
  CURL *e = job->easy;

  curl_easy_setopt(e, CURLOPT_TIMEOUT, 0L);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 0L);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 0L);
  curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  job->last_byte = g_get_monotonic_time();
  job->stall_timer = purple_timeout_add((guint)(job->ops.stall_timeout_s * 1000), stall_fired, job);
}

guint
tb_http_send(TbHttp *http, TbHttpRequest *req, TbHttpDone done, gpointer user_data, GError **error)
{
  return tb_http_send_full(http, req, done, user_data, NULL, error);
}

/* Starts job (its request and callbacks set): 0 with error set, job freed and user_data left
 * to the caller, when refused. */
static guint
job_start(TbHttp *http, TbHttpJob *job, GDestroyNotify destroy, GError **error)
{
  job->http = http;
  job->id = ++http->next_id ? http->next_id : ++http->next_id;
  job->body = g_byte_array_new();
  job->resp = tb_http_response_new();
  job->easy = curl_easy_init();
  setup_easy(http, job);
  if (job->stream)
    setup_stream(job);

  /* Adding the handle arms curl's timer; the transfer starts from the event loop. */
  CURLMcode added = curl_multi_add_handle(http->multi, job->easy);
  if (added != CURLM_OK) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, _("cannot start the request: %s"),
                curl_multi_strerror(added));
    curl_easy_cleanup(job->easy);
    job->easy = NULL;
    job_free(job); /* user_data stays the caller's: destroy is not set yet */
    return 0;
  }
  job->destroy = destroy;
  g_hash_table_insert(http->jobs, GUINT_TO_POINTER(job->id), job);
  return job->id;
}

guint
tb_http_send_full(TbHttp *http, TbHttpRequest *req, TbHttpDone done, gpointer user_data,
                  GDestroyNotify destroy, GError **error)
{
  if (!url_allowed(req->url, error)) {
    tb_http_request_free(req);
    return 0; /* user_data stays the caller's */
  }
  TbHttpJob *job = g_new0(TbHttpJob, 1);
  job->req = req;
  job->done = done;
  job->user_data = user_data;
  return job_start(http, job, destroy, error);
}

guint
tb_http_stream(TbHttp *http, TbHttpRequest *req, const TbHttpStreamOps *ops, gpointer user_data,
               GDestroyNotify destroy, GError **error)
{
  if (!url_allowed(req->url, error)) {
    tb_http_request_free(req);
    return 0;
  }
  TbHttpJob *job = g_new0(TbHttpJob, 1);
  job->req = req;
  job->stream = TRUE;
  job->ops = *ops;
  if (job->ops.stall_timeout_s <= 0)
    job->ops.stall_timeout_s = TB_HTTP_DEFAULT_STREAM_STALL_S;
  job->done = ops->end;
  job->user_data = user_data;
  job->pending = g_byte_array_new();
  return job_start(http, job, destroy, error);
}

void
tb_http_cancel(TbHttp *http, guint id)
{
  g_hash_table_remove(http->jobs, GUINT_TO_POINTER(id));
}

guint
tb_http_pending(TbHttp *http)
{
  return g_hash_table_size(http->jobs);
}

void
tb_http_free(TbHttp *http)
{
  if (http == NULL)
    return;
  if (http->dispatching > 0) {
    http->doomed = TRUE; /* finish the callback loop first; drain() frees us */
    return;
  }
  if (http->answer_timer)
    purple_timeout_remove(http->answer_timer);
  g_queue_free(http->answers);
  g_hash_table_destroy(http->jobs);
  /* cleanup may still call the socket callback for cached connections */
  curl_multi_cleanup(http->multi);
  GHashTableIter iter;
  gpointer key;
  g_hash_table_iter_init(&iter, http->socks);
  while (g_hash_table_iter_next(&iter, &key, NULL)) {
    TbHttpSock *sock = key;
    if (sock->watch)
      purple_input_remove(sock->watch);
  }
  g_hash_table_destroy(http->socks);
  if (http->timer)
    purple_timeout_remove(http->timer);
  g_free(http->ca_file);
  tb_proxy_url_free(http->proxy);
  g_free(http->proxy_curl);
  g_free(http->proxy_shown);
  g_free(http->user_agent);
  g_free(http);
  if (--global_users == 0)
    curl_global_cleanup();
}
