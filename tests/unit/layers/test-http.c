/* The libcurl multi driver on libpurple's event loop, against a loopback Python server.
 *
 * libpurple's loop is a table of UI callbacks (PurpleEventLoopUiOps); this test installs one on
 * GLib (fake-loop.h) that also counts live watches and timers, so the tests can prove the driver
 * leaves none behind and never removes one twice.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "http/tb-http.h"
#include "core/tb-ndjson.h"
#include "fake-loop.h"

#include <eventloop.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- the loopback server -----------------------------------------------------------------------
 */

static GPid fixture_pid;
static int fixture_stdin = -1;
static int fixture_port;

static gboolean
fixture_start(GError **error)
{
  const char *argv[] = {"/usr/bin/python3", TB_HTTP_FIXTURE, NULL};
  int out = -1;
  char line[32] = {0};
  gsize len = 0;

  if (!g_spawn_async_with_pipes(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                &fixture_pid, &fixture_stdin, &out, NULL, error))
    return FALSE;
  /* The port is the first line; a fixture that never prints must not hang the test. */
  while (len < sizeof(line) - 1 && strchr(line, '\n') == NULL) {
    struct pollfd pfd = {out, POLLIN, 0};
    ssize_t n;
    if (poll(&pfd, 1, 10000) <= 0 || (n = read(out, line + len, sizeof(line) - 1 - len)) <= 0)
      break;
    len += (gsize)n;
  }
  close(out);
  fixture_port = (int)g_ascii_strtoll(line, NULL, 10);
  if (fixture_port <= 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "fixture printed no port: '%s'", line);
    return FALSE;
  }
  return TRUE;
}

static void
fixture_stop(void)
{
  if (fixture_stdin >= 0)
    close(fixture_stdin); /* the fixture exits on EOF */
  if (fixture_pid > 0) {
    kill(fixture_pid, SIGTERM);
    waitpid(fixture_pid, NULL, 0);
    g_spawn_close_pid(fixture_pid);
  }
}

static char *
url_for(const char *path)
{
  return g_strdup_printf("http://127.0.0.1:%d%s", fixture_port, path);
}
/* --- requests and what came back ------------------------------------------------------------ */

typedef struct Result Result;
typedef void (*ResultHook)(Result *r);

struct Result {
  int calls;
  gboolean done;
  TbHttpOutcome outcome;
  int status;
  char *error;
  GBytes *body;
  GHashTable *headers;
  JsonNode *json;
  guint callback;  /* fl.callbacks when done ran: in which loop callback */
  ResultHook hook; /* runs inside the callback */
  gpointer hook_data;
};

static void
result_clear(Result *r)
{
  g_clear_pointer(&r->error, g_free);
  g_clear_pointer(&r->body, g_bytes_unref);
  g_clear_pointer(&r->headers, g_hash_table_unref);
  g_clear_pointer(&r->json, json_node_unref);
}

static void
on_done(const TbHttpResponse *resp, gpointer user_data)
{
  Result *r = user_data;
  gsize len = 0;

  r->calls++;
  r->done = TRUE;
  r->callback = fl.callbacks;
  result_clear(r);
  r->outcome = resp->outcome;
  r->status = resp->status;
  r->error = g_strdup(resp->error);
  g_assert_nonnull(resp->body);
  r->body = g_bytes_ref(resp->body);
  r->headers = g_hash_table_ref(resp->headers);
  const char *data = g_bytes_get_data(resp->body, &len);
  g_autoptr(JsonParser) parser = json_parser_new();
  if (len > 0 && json_parser_load_from_data(parser, data, (gssize)len, NULL))
    r->json = json_node_copy(json_parser_get_root(parser));
  if (r->hook)
    r->hook(r);
}

static TbHttp *
http_new(const TbHttpConfig *extra)
{
  TbHttpConfig cfg = {0};
  if (extra)
    cfg = *extra;
  return tb_http_new(&cfg);
}

static guint
send_req(TbHttp *http, TbHttpRequest *req, Result *r)
{
  g_autoptr(GError) error = NULL;
  guint id = tb_http_send(http, req, on_done, r, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(id, >, 0);
  return id;
}

static guint
send_get(TbHttp *http, const char *path, Result *r)
{
  g_autofree char *url = url_for(path);
  return send_req(http, tb_http_request_new("GET", url), r);
}

static JsonObject *
json_obj(const Result *r)
{
  g_assert_nonnull(r->json);
  g_assert_true(JSON_NODE_HOLDS_OBJECT(r->json));
  return json_node_get_object(r->json);
}

static const char *
echo_header(const Result *r, const char *name)
{
  JsonObject *headers = json_object_get_object_member(json_obj(r), "headers");
  return json_object_has_member(headers, name) ? json_object_get_string_member(headers, name)
                                               : NULL;
}

static char *
echo_body(const Result *r)
{
  const char *hex = json_object_get_string_member(json_obj(r), "body_hex");
  gsize n = strlen(hex) / 2;
  char *out = g_malloc0(n + 1);
  for (gsize i = 0; i < n; i++)
    out[i] = (char)((g_ascii_xdigit_value(hex[2 * i]) << 4) | g_ascii_xdigit_value(hex[2 * i + 1]));
  return out;
}

/* --- tests --------------------------------------------------------------------------------------
 */

static void
test_get_headers(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  TbHttpConfig cfg = {.user_agent = "Twinbird-test/1"};
  TbHttp *http = http_new(&cfg);
  Result json = {0}, echo = {0};

  send_get(http, "/json", &json);
  g_autofree char *url = url_for("/echo?a=b%20c");
  TbHttpRequest *req = tb_http_request_new("GET", url);
  tb_http_request_add_header(req, "X-Twinbird-Test", "1");
  tb_http_request_add_header(req, "Authorization", "Bearer t0k");
  send_req(http, req, &echo);
  g_assert_cmpuint(tb_http_pending(http), ==, 2);
  run_until(&json.done, "GET /json");
  run_until(&echo.done, "GET /echo");

  g_assert_cmpint(json.outcome, ==, TB_HTTP_OK);
  g_assert_cmpint(json.status, ==, 200);
  g_assert_null(json.error);
  JsonObject *user = json_object_get_object_member(json_obj(&json), "data");
  g_assert_cmpstr(json_object_get_string_member(user, "id"), ==, "1790000000000000001");
  /* Names are stored lower-case, whatever the server's spelling; lookups ignore case. */
  g_assert_cmpstr(g_hash_table_lookup(json.headers, "x-rate-limit-remaining"), ==, "74");
  g_assert_cmpstr(g_hash_table_lookup(json.headers, "x-mixed-case"), ==, "Value");
  g_assert_cmpstr(g_hash_table_lookup(json.headers, "content-type"), ==, "application/json");
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, json.headers);
  while (g_hash_table_iter_next(&it, &key, NULL)) {
    g_autofree char *lower = g_ascii_strdown(key, -1);
    g_assert_cmpstr(key, ==, lower);
  }

  g_assert_cmpint(echo.status, ==, 200);
  JsonObject *e = json_obj(&echo);
  g_assert_cmpstr(json_object_get_string_member(e, "method"), ==, "GET");
  g_assert_cmpstr(json_object_get_string_member(e, "target"), ==, "/echo?a=b%20c");
  g_assert_cmpstr(echo_header(&echo, "x-twinbird-test"), ==, "1");
  g_assert_cmpstr(echo_header(&echo, "authorization"), ==, "Bearer t0k");
  g_assert_cmpstr(echo_header(&echo, "user-agent"), ==, "Twinbird-test/1");
  g_assert_nonnull(echo_header(&echo, "accept-encoding")); /* compressed answers are welcome */
  g_assert_cmpuint(tb_http_pending(http), ==, 0);
  g_assert_cmpint(json.calls, ==, 1);
  g_assert_cmpint(echo.calls, ==, 1);

  tb_http_free(http);
  result_clear(&json);
  result_clear(&echo);
}

static void
test_methods_and_bodies(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  TbHttp *http = http_new(NULL);
  Result post = {0}, bin = {0}, empty = {0}, del = {0}, put = {0};
  g_autofree char *url = url_for("/echo");
  static const char json[] = "{\"text\":\"h\xc3\xa9llo\"}";
  static const char binary[] = {'a', '\0', 'b', '\n', '\xff'};

  TbHttpRequest *req = tb_http_request_new("POST", url);
  tb_http_request_set_body(req, "application/json", json, strlen(json));
  send_req(http, req, &post);

  req = tb_http_request_new("POST", url);
  tb_http_request_set_body(req, "application/octet-stream", binary, sizeof(binary));
  send_req(http, req, &bin);

  send_req(http, tb_http_request_new("POST", url), &empty);
  send_req(http, tb_http_request_new("DELETE", url), &del);

  req = tb_http_request_new("PUT", url);
  tb_http_request_set_body(req, "text/plain", "put", 3);
  send_req(http, req, &put);

  run_until(&post.done, "POST");
  run_until(&bin.done, "POST binary");
  run_until(&empty.done, "POST empty");
  run_until(&del.done, "DELETE");
  run_until(&put.done, "PUT");

  g_assert_cmpstr(json_object_get_string_member(json_obj(&post), "method"), ==, "POST");
  g_autofree char *got = echo_body(&post);
  g_assert_cmpstr(got, ==, json);
  g_assert_cmpstr(echo_header(&post, "content-type"), ==, "application/json");
  g_assert_null(echo_header(&post, "expect")); /* no 100-continue round trip */

  /* A body is bytes, not a C string: the NUL and what follows it arrive. */
  g_assert_cmpstr(json_object_get_string_member(json_obj(&bin), "body_hex"), ==, "6100620aff");

  g_assert_cmpstr(json_object_get_string_member(json_obj(&empty), "method"), ==, "POST");
  g_assert_cmpstr(echo_header(&empty, "content-length"), ==, "0");

  g_assert_cmpstr(json_object_get_string_member(json_obj(&del), "method"), ==, "DELETE");
  g_assert_cmpstr(json_object_get_string_member(json_obj(&del), "body_hex"), ==, "");

  g_assert_cmpstr(json_object_get_string_member(json_obj(&put), "method"), ==, "PUT");
  g_assert_cmpstr(json_object_get_string_member(json_obj(&put), "body_hex"), ==, "707574");

  tb_http_free(http);
  Result *all[] = {&post, &bin, &empty, &del, &put};
  for (gsize i = 0; i < G_N_ELEMENTS(all); i++)
    result_clear(all[i]);
}

/* The server answers only once both requests are inside it at the same time. */
static void
test_concurrent(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  TbHttp *http = http_new(NULL);
  Result a = {0}, b = {0}, c = {0};

  send_get(http, "/barrier?key=concurrent&n=3", &a);
  send_get(http, "/barrier?key=concurrent&n=3", &b);
  send_get(http, "/barrier?key=concurrent&n=3", &c);
  run_until(&a.done, "first");
  run_until(&b.done, "second");
  run_until(&c.done, "third");
  g_assert_cmpint(a.status, ==, 200);
  g_assert_cmpint(b.status, ==, 200);
  g_assert_cmpint(c.status, ==, 200);
  /* curl's timer, replaced, never piled up, and the one that hands answers over */
  g_assert_cmpuint(fl.max_timers, <=, 2);
  /* answers that came in together are handed over one per loop callback, none in curl's */
  g_assert_cmpuint(a.callback, !=, b.callback);
  g_assert_cmpuint(b.callback, !=, c.callback);
  g_assert_cmpuint(a.callback, !=, c.callback);

  tb_http_free(http);
  result_clear(&a);
  result_clear(&b);
  result_clear(&c);
}

static void
test_cancel(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  TbHttp *http = http_new(NULL);
  Result slow = {0}, early = {0}, fast = {0};

  /* One cancelled before the loop ran at all, one once it is on the wire. */
  guint early_id = send_get(http, "/slow?ms=1000", &early);
  guint slow_id = send_get(http, "/slow?ms=1000", &slow);
  send_get(http, "/json", &fast);
  tb_http_cancel(http, early_id);
  g_assert_cmpuint(tb_http_pending(http), ==, 2);
  run_until(&fast.done, "the request that was not cancelled");
  g_assert_cmpuint(live_watches(), >, 0); /* the slow one is connected */
  tb_http_cancel(http, slow_id);
  tb_http_cancel(http, slow_id); /* twice, and unknown ids, are ignored */
  tb_http_cancel(http, 0);
  tb_http_cancel(http, 424242);
  g_assert_cmpuint(tb_http_pending(http), ==, 0);
  g_assert_cmpuint(live_watches(), ==, 0);
  run_for(1200); /* past the moment the server answers */

  g_assert_cmpint(fast.calls, ==, 1);
  g_assert_cmpint(fast.outcome, ==, TB_HTTP_OK);
  g_assert_cmpint(slow.calls, ==, 0);
  g_assert_cmpint(early.calls, ==, 0);
  tb_http_free(http);
  result_clear(&fast);
}

static void
count_destroy(gpointer data)
{
  (*(int *)data)++;
}

static void
count_done(const TbHttpResponse *resp, gpointer data)
{
  (void)resp;
  (*(int *)data) += 100; /* a done call, told apart from a destroy */
}

/* tb_http_send_full: user data is freed exactly once: by done's owner when done runs, by
 * destroy when the request is cancelled or the driver freed first, never when refused. */
static void
test_destroy_notify(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  TbHttp *http = http_new(NULL);
  int answered = 0, cancelled = 0, freed = 0, refused = 0;
  g_autofree char *json = url_for("/json");
  g_autofree char *slow1 = url_for("/slow?ms=1000");
  g_autofree char *slow2 = url_for("/slow?ms=1000");
  g_autoptr(GError) error = NULL;

  tb_http_send_full(http, tb_http_request_new("GET", json), count_done, &answered, count_destroy,
                    NULL);
  guint id = tb_http_send_full(http, tb_http_request_new("GET", slow1), count_done, &cancelled,
                               count_destroy, NULL);
  tb_http_send_full(http, tb_http_request_new("GET", slow2), count_done, &freed, count_destroy,
                    NULL);
  g_assert_cmpuint(tb_http_send_full(http, tb_http_request_new("GET", "http://192.0.2.1/"),
                                     count_done, &refused, count_destroy, &error),
                   ==, 0);
  g_assert_nonnull(error);
  tb_http_cancel(http, id);
  g_assert_cmpint(cancelled, ==, 1);
  while (answered == 0)
    g_main_context_iteration(NULL, TRUE);
  tb_http_free(http);
  g_assert_cmpint(answered, ==, 100);
  g_assert_cmpint(freed, ==, 1);
  g_assert_cmpint(refused, ==, 0);
}

static void
test_free_in_flight(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  TbHttp *http = http_new(NULL);
  Result r[3] = {{0}};

  for (int i = 0; i < 3; i++)
    send_get(http, "/slow?ms=1000", &r[i]);
  /* Let them connect and send, so there are watches to clean up. */
  while (live_watches() < 3 && !guard.expired)
    run_for(5);
  g_assert_cmpuint(live_watches(), ==, 3);

  tb_http_free(http);
  g_assert_cmpuint(live_watches(), ==, 0);
  g_assert_cmpuint(live_timers(), ==, 0);
  run_for(1200);
  for (int i = 0; i < 3; i++)
    g_assert_cmpint(r[i].calls, ==, 0);
  tb_http_free(NULL);
}

static TbHttp *doomed_http;

static void
free_driver_hook(Result *r)
{
  (void)r;
  tb_http_free(doomed_http);
  /* Freed from inside a callback, the driver must already be off the loop's books. */
}

static void
test_free_in_callback(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  TbHttp *http = doomed_http = http_new(NULL);
  Result first = {.hook = free_driver_hook}, slow1 = {0}, slow2 = {0};

  send_get(http, "/slow?ms=1000", &slow1);
  send_get(http, "/json", &first);
  send_get(http, "/slow?ms=1000", &slow2);
  run_until(&first.done, "the request whose callback frees the driver");
  g_assert_cmpuint(live_watches(), ==, 0);
  g_assert_cmpuint(live_timers(), ==, 0);
  run_for(1200);
  g_assert_cmpint(first.calls, ==, 1);
  g_assert_cmpint(slow1.calls, ==, 0);
  g_assert_cmpint(slow2.calls, ==, 0);
  result_clear(&first);
}

/* Several transfers finish in one go; the first callback frees the driver: no other runs. */
static void
test_free_in_callback_batch(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  TbHttp *http = doomed_http = http_new(NULL);
  Result r[4] = {{0}};
  int calls = 0;

  for (int i = 0; i < 4; i++) {
    r[i].hook = free_driver_hook;
    send_get(http, "/barrier?key=batch&n=4", &r[i]);
  }
  gboolean any = FALSE;
  while (!any && !guard.expired) {
    run_for(20);
    for (int i = 0; i < 4; i++)
      any = any || r[i].done;
  }
  run_for(300);
  for (int i = 0; i < 4; i++) {
    calls += r[i].calls;
    result_clear(&r[i]);
  }
  g_assert_cmpint(calls, ==, 1);
}

/* Transfers started in one timer action share their start time, so their total timeout expires
 * in one action too: all four finish in the same drain. The first callback frees the driver;
 * the other three must not run. */
static void
test_free_in_callback_same_drain(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  TbHttpConfig cfg = {.total_timeout_s = 1};
  TbHttp *http = doomed_http = http_new(&cfg);
  Result r[4] = {{0}};
  int calls = 0;

  for (int i = 0; i < 4; i++) {
    r[i].hook = free_driver_hook;
    send_get(http, "/slow?ms=3000", &r[i]);
  }
  gboolean any = FALSE;
  while (!any && !guard.expired) {
    run_for(20);
    for (int i = 0; i < 4; i++)
      any = any || r[i].done;
  }
  run_for(200);
  for (int i = 0; i < 4; i++) {
    calls += r[i].calls;
    if (r[i].calls)
      g_assert_cmpint(r[i].outcome, ==, TB_HTTP_FAIL_TIMEOUT); /* total_timeout_s */
    result_clear(&r[i]);
  }
  g_assert_cmpint(calls, ==, 1);
}

typedef struct {
  TbHttp *http;
  guint victim;
  Result *chained;
} CancelCtx;

static CancelCtx cancel_ctx;

/* A callback that cancels a sibling and starts a new request, as a sign-in step would. */
static void
cancel_and_send_hook(Result *r)
{
  (void)r;
  tb_http_cancel(cancel_ctx.http, cancel_ctx.victim);
  send_get(cancel_ctx.http, "/json", cancel_ctx.chained);
}

static void
test_cancel_in_callback(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  TbHttp *http = http_new(NULL);
  Result first = {.hook = cancel_and_send_hook}, victim = {0}, chained = {0};

  cancel_ctx.http = http;
  cancel_ctx.chained = &chained;
  cancel_ctx.victim = send_get(http, "/slow?ms=1000", &victim);
  send_get(http, "/json", &first);
  run_until(&chained.done, "the request sent from a callback");
  run_for(1200);
  g_assert_cmpint(first.calls, ==, 1);
  g_assert_cmpint(chained.calls, ==, 1);
  g_assert_cmpint(chained.status, ==, 200);
  g_assert_cmpint(victim.calls, ==, 0);
  g_assert_cmpuint(tb_http_pending(http), ==, 0);
  tb_http_free(http);
  result_clear(&first);
  result_clear(&chained);
}

static void
test_body_cap(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  TbHttpConfig cfg = {.max_body = 1024};
  TbHttp *http = http_new(&cfg);
  Result huge = {0}, exact = {0}, chunked = {0}, bomb = {0}, small_gzip = {0};

  send_get(http, "/huge?bytes=4000000", &huge);
  send_get(http, "/huge?bytes=1024", &exact);
  send_get(http, "/chunked?bytes=200000", &chunked);
  send_get(http, "/gzip?bytes=4000000", &bomb); /* ~4 KB on the wire, 4 MB unpacked */
  send_get(http, "/gzip?bytes=1000", &small_gzip);
  run_until(&huge.done, "huge");
  run_until(&exact.done, "exact");
  run_until(&chunked.done, "chunked");
  run_until(&bomb.done, "gzip bomb");
  run_until(&small_gzip.done, "small gzip");

  g_assert_cmpint(huge.outcome, ==, TB_HTTP_FAIL_TOO_LARGE);
  g_assert_nonnull(strstr(huge.error, "1024"));
  g_assert_cmpuint(g_bytes_get_size(huge.body), <=, 1024);
  g_assert_cmpint(exact.outcome, ==, TB_HTTP_OK);
  g_assert_cmpuint(g_bytes_get_size(exact.body), ==, 1024);
  g_assert_cmpint(chunked.outcome, ==, TB_HTTP_FAIL_TOO_LARGE);
  g_assert_cmpint(bomb.outcome, ==, TB_HTTP_FAIL_TOO_LARGE);
  g_assert_cmpint(small_gzip.outcome, ==, TB_HTTP_OK);
  g_assert_cmpuint(g_bytes_get_size(small_gzip.body), ==, 1000);

  tb_http_free(http);
  Result *all[] = {&huge, &exact, &chunked, &bomb, &small_gzip};
  for (gsize i = 0; i < G_N_ELEMENTS(all); i++)
    result_clear(all[i]);
}

static void
test_stall(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  TbHttpConfig cfg = {.stall_timeout_s = 1};
  TbHttp *http = http_new(&cfg);
  Result r = {0};

  send_get(http, "/stall", &r);
  run_until(&r.done, "the stall timeout");
  g_assert_cmpint(r.outcome, ==, TB_HTTP_FAIL_TIMEOUT);
  g_assert_nonnull(r.error);
  tb_http_free(http);
  result_clear(&r);
}

/* --- streams ----------------------------------------------------------------------------- */

typedef struct {
  TbHttp *http;
  guint id;
  int heads, chunks, ends, destroyed;
  int head_status;
  gboolean data_before_head;
  GString *bytes;
  TbNdjson *nd;
  gint64 started, ended;
  Result end; /* what end was given */
  gboolean cancel_in_data;
} StreamRun;

static gboolean
on_stream_line(TbNdjsonKind kind, const char *line, gsize len, gpointer user_data)
{
  (void)kind;
  (void)line;
  (void)len;
  (void)user_data;
  return TRUE;
}

static void
on_stream_head(const TbHttpResponse *resp, gpointer user_data)
{
  StreamRun *s = user_data;
  s->heads++;
  s->head_status = resp->status;
  g_assert_cmpuint(g_bytes_get_size(resp->body), ==, 0);
  g_assert_nonnull(tb_http_response_header(resp, "content-type"));
}

static void
on_stream_data(const char *data, gsize len, gpointer user_data)
{
  StreamRun *s = user_data;
  if (s->heads == 0)
    s->data_before_head = TRUE;
  s->chunks++;
  g_string_append_len(s->bytes, data, (gssize)len);
  tb_ndjson_feed(s->nd, data, len);
  if (s->cancel_in_data)
    tb_http_cancel(s->http, s->id);
}

static void
on_stream_end(const TbHttpResponse *resp, gpointer user_data)
{
  StreamRun *s = user_data;
  s->ends++;
  s->ended = g_get_monotonic_time();
  on_done(resp, &s->end);
}

static void
on_stream_destroy(gpointer user_data)
{
  StreamRun *s = user_data;
  s->destroyed++;
}

static void
stream_start(StreamRun *s, const char *path, long stall_s)
{
  g_autofree char *url = url_for(path);
  g_autoptr(GError) error = NULL;
  TbHttpStreamOps ops = {on_stream_head, on_stream_data, on_stream_end, stall_s};

  s->bytes = g_string_new(NULL);
  s->nd = tb_ndjson_new(1024, on_stream_line, NULL);
  s->started = g_get_monotonic_time();
  s->id =
      tb_http_stream(s->http, tb_http_request_new("GET", url), &ops, s, on_stream_destroy, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(s->id, >, 0);
}

static void
stream_clear(StreamRun *s)
{
  g_string_free(s->bytes, TRUE);
  tb_ndjson_free(s->nd);
  result_clear(&s->end);
}

#define STREAM_BODY                                                                                \
  "\r\n\r\n\r\n\r\n\r\n\r\n{\"data\":{\"event_uuid\":\"1\",\"event_type\":\"dm.sent\"}}\r\n{"      \
  "\"data\":{}}\r\n"

/* Slow chunks and keep-alives for longer than both the stall and the total timeouts: only the
 * silence after them ends the stream, as a stall. */
static void
test_stream_stall(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  TbHttpConfig cfg = {.total_timeout_s = 1, .stall_timeout_s = 1};
  StreamRun s = {.http = http_new(&cfg)};

  stream_start(&s, "/stream?then=stall", 1);
  run_until(&s.end.done, "the stream's stall");
  g_assert_cmpint(s.heads, ==, 1);
  g_assert_cmpint(s.head_status, ==, 200);
  g_assert_false(s.data_before_head);
  g_assert_cmpint(s.chunks, >=, 7); /* handed over as they came, not at the end */
  g_assert_cmpstr(s.bytes->str, ==, STREAM_BODY);
  g_assert_cmpuint(tb_ndjson_keepalives(s.nd), ==, 6);
  g_assert_cmpuint(tb_ndjson_lines(s.nd), ==, 2);
  g_assert_cmpint(s.ends, ==, 1);
  g_assert_cmpint(s.end.outcome, ==, TB_HTTP_FAIL_STALL);
  g_assert_cmpstr(s.end.error, ==, "no data for 1 second");
  g_assert_cmpuint(g_bytes_get_size(s.end.body), ==, 0); /* nothing accumulated */
  gint64 ms = (s.ended - s.started) / 1000;
  g_assert_cmpint(ms, >=, 2500); /* 2.1 s of data, then 1 s of silence */
  g_assert_cmpint(ms, <, 6000);
  g_assert_cmpint(s.destroyed, ==, 0); /* end owned user_data */
  g_assert_cmpuint(tb_http_pending(s.http), ==, 0);
  tb_http_free(s.http);
  stream_clear(&s);
}

static void
test_stream_close(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  StreamRun s = {.http = http_new(NULL)};

  stream_start(&s, "/stream?then=close", 2);
  run_until(&s.end.done, "the stream's clean end");
  g_assert_cmpint(s.heads, ==, 1);
  g_assert_cmpint(s.end.outcome, ==, TB_HTTP_OK);
  g_assert_cmpint(s.end.status, ==, 200);
  g_assert_cmpstr(s.bytes->str, ==, STREAM_BODY);
  tb_http_free(s.http);
  stream_clear(&s);
}

/* A refused stream's problem+json reaches end whole; data never sees it. */
static void
test_stream_status(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  StreamRun s = {.http = http_new(NULL)};

  stream_start(&s, "/status?code=429", 2);
  run_until(&s.end.done, "the refused stream");
  g_assert_cmpint(s.heads, ==, 1);
  g_assert_cmpint(s.head_status, ==, 429);
  g_assert_cmpint(s.chunks, ==, 0);
  g_assert_cmpint(s.end.outcome, ==, TB_HTTP_OK);
  g_assert_cmpint(s.end.status, ==, 429);
  g_assert_nonnull(s.end.json);
  g_assert_cmpstr(json_object_get_string_member(json_obj(&s.end), "title"), ==, "Status 429");
  tb_http_free(s.http);
  stream_clear(&s);
}

static void
test_stream_cancel(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  StreamRun s = {.http = http_new(NULL), .cancel_in_data = TRUE};

  stream_start(&s, "/stream?then=stall", 2);
  gboolean destroyed = FALSE;
  while (!destroyed && !guard.expired) {
    g_main_context_iteration(NULL, TRUE);
    destroyed = s.destroyed > 0;
  }
  g_assert_cmpint(s.chunks, ==, 1);
  g_assert_cmpint(s.destroyed, ==, 1);
  run_for(1500); /* past the stall timeout: cancelled means no callback at all */
  g_assert_cmpint(s.ends, ==, 0);
  g_assert_cmpuint(tb_http_pending(s.http), ==, 0);
  tb_http_free(s.http);
  stream_clear(&s);
}

static void
test_connect_refused(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  TbHttp *http = http_new(NULL);
  Result r = {0};
  g_autofree char *url = g_strdup_printf("http://127.0.0.1:%d/json", closed_port());

  send_req(http, tb_http_request_new("GET", url), &r);
  run_until(&r.done, "connection refused");
  g_assert_cmpint(r.outcome, ==, TB_HTTP_FAIL_CONNECT);
  g_assert_nonnull(r.error);
  g_assert_cmpstr(r.error, !=, "");
  tb_http_free(http);
  result_clear(&r);
}

static void
test_close_mid_body(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  TbHttp *http = http_new(NULL);
  Result r = {0};

  send_get(http, "/close-mid", &r);
  run_until(&r.done, "a cut response");
  g_assert_cmpint(r.outcome, ==, TB_HTTP_FAIL_PROTOCOL);
  g_assert_nonnull(r.error);
  tb_http_free(http);
  result_clear(&r);
}

/* https to a server that speaks plain HTTP: a TLS failure, not a hang or an OK. */
static void
test_tls_to_plain(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  TbHttp *http = http_new(NULL);
  Result r = {0};
  g_autofree char *url = g_strdup_printf("https://127.0.0.1:%d/json", fixture_port);

  send_req(http, tb_http_request_new("GET", url), &r);
  run_until(&r.done, "a TLS failure");
  g_assert_cmpint(r.outcome, ==, TB_HTTP_FAIL_TLS);
  tb_http_free(http);
  result_clear(&r);
}

static void
test_status_500(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  TbHttp *http = http_new(NULL);
  Result r500 = {0}, r429 = {0};

  send_get(http, "/status?code=500", &r500);
  send_get(http, "/status?code=429", &r429);
  run_until(&r500.done, "500");
  run_until(&r429.done, "429");
  /* An HTTP error status is an answer: the API layer reads its problem+json. */
  g_assert_cmpint(r500.outcome, ==, TB_HTTP_OK);
  g_assert_cmpint(r500.status, ==, 500);
  g_assert_null(r500.error);
  g_assert_cmpint(json_object_get_int_member(json_obj(&r500), "status"), ==, 500);
  g_assert_cmpstr(g_hash_table_lookup(r500.headers, "content-type"), ==,
                  "application/problem+json");
  g_assert_cmpint(r429.status, ==, 429);
  tb_http_free(http);
  result_clear(&r500);
  result_clear(&r429);
}

/* Fetches the fixture's request log over a separate driver. */
static char *
fixture_log(void)
{
  TbHttp *http = http_new(NULL);
  Result r = {0};
  gsize len = 0;

  send_get(http, "/log", &r);
  run_until(&r.done, "GET /log");
  tb_http_free(http);
  const char *data = g_bytes_get_data(r.body, &len);
  char *log = g_strndup(data, len);
  result_clear(&r);
  return log;
}

/* Plain http:// to anything but loopback is refused before a byte leaves. The driver is routed
 * through the fixture as its proxy, so a request that did go out would show in its log. */
static void
test_policy(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  g_autoptr(TbProxyUrl) proxy =
      tb_proxy_url_new(TB_PROXY_HTTP, "127.0.0.1", fixture_port, NULL, NULL);
  TbHttpConfig cfg = {.proxy = proxy};
  TbHttp *http = http_new(&cfg);
  g_autofree char *octal = g_strdup_printf("http://0127.0.0.1:%d/tb-policy-octal", fixture_port);
  const char *refused[] = {
      "http://192.0.2.1/tb-policy-remote",
      "http://api.x.com/tb-policy-name",
      "HTTP://API.X.COM/tb-policy-upper",
      "http://127.0.0.1.evil.test/tb-policy-lookalike",
      "http://127.0.0.1@evil.test/tb-policy-userinfo",
      octal,
      "ftp://127.0.0.1/tb-policy-ftp",
      "file:///etc/passwd",
      "not a url",
      "",
  };
  Result never = {0};
  guint timers_before = fl.timers_added, watches_before = fl.watches_added;

  for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
    g_autoptr(GError) error = NULL;
    guint id = tb_http_send(http, tb_http_request_new("GET", refused[i]), on_done, &never, &error);
    if (id != 0)
      g_test_fail_printf("%s was not refused", refused[i]);
    g_assert_nonnull(error);
    g_assert_true(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED));
  }
  g_assert_cmpuint(tb_http_pending(http), ==, 0);
  g_assert_cmpuint(fl.timers_added, ==, timers_before); /* nothing was even scheduled */
  g_assert_cmpuint(fl.watches_added, ==, watches_before);

  /* Control: an allowed plain-http request does travel through the proxy into the log. */
  Result probe = {0};
  send_req(http, tb_http_request_new("GET", "http://localhost:1/tb-policy-probe"), &probe);
  run_until(&probe.done, "the proxied probe");
  g_assert_cmpint(probe.status, ==, 200);
  g_assert_cmpstr(json_object_get_string_member(json_obj(&probe), "proxied"), ==,
                  "http://localhost:1/tb-policy-probe");
  run_for(100);
  g_assert_cmpint(never.calls, ==, 0);
  tb_http_free(http);
  result_clear(&probe);

  g_autofree char *log = fixture_log();
  g_assert_nonnull(strstr(log, "tb-policy-probe"));
  g_assert_null(strstr(log, "tb-policy-remote"));
  g_assert_null(strstr(log, "tb-policy-name"));
  g_assert_null(strstr(log, "tb-policy-upper"));
  g_assert_null(strstr(log, "tb-policy-lookalike"));
  g_assert_null(strstr(log, "tb-policy-userinfo"));
  g_assert_null(strstr(log, "tb-policy-octal"));
}

typedef struct {
  TbHttp *http;
  int left;
  Result r;
  int ok;
} Chain;

static Chain chain;

static void
chain_hook(Result *r)
{
  chain.ok += r->outcome == TB_HTTP_OK && r->status == 200;
  if (--chain.left > 0)
    send_get(chain.http, chain.left % 2 ? "/json" : "/echo", r);
}

/* 50 requests one after the other (each sent from the previous callback), then 20 at once:
 * the loop's books return to zero and the timer never piles up. */
static void
test_no_leaks_many(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  TbHttp *http = http_new(NULL);

  memset(&chain, 0, sizeof(chain));
  chain.http = http;
  chain.left = 50;
  chain.r.hook = chain_hook;
  send_get(http, "/json", &chain.r);
  while (chain.left > 0 && !guard.expired)
    run_for(10);
  g_assert_cmpint(chain.ok, ==, 50);
  g_assert_cmpint(chain.r.calls, ==, 50);
  run_for(50);
  g_assert_cmpuint(live_watches(), ==, 0);
  g_assert_cmpuint(live_timers(), <=, 1);
  g_assert_cmpuint(fl.max_timers, <=, 2); /* curl's and the hand-over's */
  result_clear(&chain.r);

  Result r[20] = {{0}};
  for (int i = 0; i < 20; i++)
    send_get(http, "/json", &r[i]);
  for (int i = 0; i < 20; i++) {
    run_until(&r[i].done, "one of 20 parallel requests");
    g_assert_cmpint(r[i].status, ==, 200);
    g_assert_cmpint(r[i].calls, ==, 1);
    result_clear(&r[i]);
  }
  run_for(50);
  g_assert_cmpuint(tb_http_pending(http), ==, 0);
  g_assert_cmpuint(live_watches(), ==, 0);
  g_assert_cmpuint(fl.max_timers, <=, 2);
  g_test_message("70 requests: %u watches and %u timers added in all", fl.watches_added,
                 fl.timers_added);
  tb_http_free(http);
}

/* Personal and work accounts each own a driver; freeing one leaves the other working. */
static void
test_two_drivers(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  TbHttp *personal = http_new(NULL), *work = http_new(NULL);
  Result p = {0}, w = {0};

  send_get(personal, "/slow?ms=1000", &p);
  send_get(work, "/slow?ms=1000", &w);
  run_for(50);
  tb_http_free(personal);
  run_until(&w.done, "the work account's request");
  run_for(300);
  g_assert_cmpint(p.calls, ==, 0);
  g_assert_cmpint(w.status, ==, 200);
  g_assert_cmpuint(fl.max_timers, <=, 4); /* two per driver */
  tb_http_free(work);
  result_clear(&w);
}

/* --- proxies: whose fault a failure is, and what the message names -----------------------------
 */

typedef struct {
  TbProxyKind kind;
  const char *user, *password;
  const char *url;
  TbHttpOutcome outcome;
  const char *says;
} ProxyCase;

static void
check_proxy_case(const ProxyCase *c, int port)
{
  g_autoptr(TbProxyUrl) proxy = tb_proxy_url_new(c->kind, "127.0.0.1", port, c->user, c->password);
  TbHttpConfig cfg = {.proxy = proxy, .connect_timeout_s = 5};
  TbHttp *http = http_new(&cfg);
  Result r = {0};
  g_autofree char *shown = g_strdup_printf("127.0.0.1:%d", port);

  send_req(http, tb_http_request_new("GET", c->url), &r);
  run_until(&r.done, c->url);
  g_test_message("%s via %s: %s", c->url, tb_proxy_url_kind_name(c->kind), r.error);
  g_assert_cmpint(r.outcome, ==, c->outcome);
  g_assert_nonnull(strstr(r.error, shown));
  g_assert_nonnull(strstr(r.error, c->says));
  g_assert_null(strstr(r.error, "hunter2"));

  /* Only a failure at the proxy itself is handed up as the proxy's. */
  TbHttpResponse resp = {.outcome = r.outcome, .error = r.error};
  g_autoptr(GError) error = NULL;
  gboolean proxy_failed = tb_http_response_proxy_error(&resp, &error);
  g_assert_cmpint(proxy_failed, ==, c->outcome != TB_HTTP_FAIL_CONNECT);
  if (proxy_failed) {
    int want = c->outcome == TB_HTTP_FAIL_PROXY_AUTH ? TB_HTTP_PROXY_ERROR_AUTH
                                                     : TB_HTTP_PROXY_ERROR_UNREACHABLE;
    g_assert_error(error, TB_HTTP_PROXY_ERROR, want);
    g_assert_cmpstr(error->message, ==, r.error);
  }
  tb_http_free(http);
  result_clear(&r);
}

/* The fixture plays an HTTP proxy (CONNECT) and a SOCKS5 one, and refuses in every way. */
static void
test_proxy_failures(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  static const ProxyCase cases[] = {
      {TB_PROXY_HTTP, NULL, NULL, "https://auth.test/2/users/me", TB_HTTP_FAIL_PROXY_AUTH,
       "asks for a user name and password"},
      {TB_PROXY_HTTP, "u", "hunter2", "https://auth.test/2/users/me", TB_HTTP_FAIL_PROXY_AUTH,
       "refused the proxy user name or password"},
      {TB_PROXY_HTTP, NULL, NULL, "https://unreachable.test/", TB_HTTP_FAIL_CONNECT,
       "through the proxy"},
      {TB_PROXY_HTTP, NULL, NULL, "https://forbidden.test/", TB_HTTP_FAIL_PROXY,
       "refused the connection"},
      {TB_PROXY_HTTP, NULL, NULL, "https://close.test/", TB_HTTP_FAIL_PROXY,
       "refused the connection"},
      {TB_PROXY_SOCKS5, NULL, NULL, "https://x.test/", TB_HTTP_FAIL_PROXY_AUTH,
       "asks for a user name and password"},
      {TB_PROXY_SOCKS5, "u", "hunter2", "https://x.test/", TB_HTTP_FAIL_PROXY_AUTH,
       "refused the proxy user name or password"},
      {TB_PROXY_SOCKS5, "u", "pw", "https://refused.test/", TB_HTTP_FAIL_CONNECT,
       "through the proxy"},
      {TB_PROXY_SOCKS5, "u", "pw", "https://unreachable.test/", TB_HTTP_FAIL_CONNECT,
       "through the proxy"},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    check_proxy_case(&cases[i], fixture_port);
  static const ProxyCase down[] = {
      {TB_PROXY_HTTP, NULL, NULL, "https://api.x.test/", TB_HTTP_FAIL_PROXY, "cannot be reached"},
      {TB_PROXY_SOCKS5, "u", "hunter2", "https://api.x.test/", TB_HTTP_FAIL_PROXY,
       "cannot be reached"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(down); i++)
    check_proxy_case(&down[i], closed_port());
}

/* no_proxy's hosts go straight to X; and with no proxy set, the environment's is never used. */
static void
test_proxy_bypass_and_env(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  int dead = closed_port();
  g_autoptr(TbProxyUrl) proxy = tb_proxy_url_new(TB_PROXY_HTTP, "127.0.0.1", dead, NULL, NULL);
  Result via = {0}, bypass = {0}, plain = {0};

  TbHttpConfig cfg = {.proxy = proxy};
  TbHttp *http = http_new(&cfg);
  send_get(http, "/json", &via);
  run_until(&via.done, "a request through a dead proxy");
  g_assert_cmpint(via.outcome, ==, TB_HTTP_FAIL_PROXY);
  tb_http_free(http);

  proxy->no_proxy = g_strdup("localhost, 127.0.0.1");
  http = http_new(&cfg);
  send_get(http, "/json", &bypass);
  run_until(&bypass.done, "a request to a no_proxy host");
  g_assert_cmpint(bypass.outcome, ==, TB_HTTP_OK);
  g_assert_cmpint(bypass.status, ==, 200);
  tb_http_free(http);

  g_autofree char *env = g_strdup_printf("http://127.0.0.1:%d", dead);
  g_setenv("http_proxy", env, TRUE);
  g_setenv("all_proxy", env, TRUE);
  http = http_new(NULL);
  send_get(http, "/json", &plain);
  run_until(&plain.done, "a request with http_proxy set");
  g_unsetenv("http_proxy");
  g_unsetenv("all_proxy");
  g_assert_cmpint(plain.outcome, ==, TB_HTTP_OK);
  tb_http_free(http);
  result_clear(&via);
  result_clear(&bypass);
  result_clear(&plain);
}

static void
skip_no_python(void)
{
  g_test_skip("no /usr/bin/python3 for the loopback server");
}

#define ADD(path, fn) g_test_add(path, Fixture, NULL, fake_loop_setup, fn, fake_loop_teardown)

int
main(int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  static const char *const proxy_vars[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                           "all_proxy",  "ALL_PROXY",  "no_proxy",    "NO_PROXY"};

  g_test_init(&argc, &argv, NULL);
  /* A proxy or no_proxy from the environment would change where requests go. */
  for (gsize i = 0; i < G_N_ELEMENTS(proxy_vars); i++)
    g_unsetenv(proxy_vars[i]);
  signal(SIGPIPE, SIG_IGN);

  fake_loop_install();

  if (!g_file_test("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE)) {
    g_test_add_func("/http/no-python", skip_no_python);
    return g_test_run();
  }
  if (!fixture_start(&error)) {
    g_printerr("cannot start %s: %s\n", TB_HTTP_FIXTURE, error->message);
    fixture_stop();
    return 1;
  }

  ADD("/http/get-headers", test_get_headers);
  ADD("/http/methods-and-bodies", test_methods_and_bodies);
  ADD("/http/concurrent", test_concurrent);
  ADD("/http/cancel", test_cancel);
  ADD("/http/destroy-notify", test_destroy_notify);
  ADD("/http/free-in-flight", test_free_in_flight);
  ADD("/http/free-in-callback", test_free_in_callback);
  ADD("/http/free-in-callback-batch", test_free_in_callback_batch);
  ADD("/http/free-in-callback-same-drain", test_free_in_callback_same_drain);
  ADD("/http/cancel-and-send-in-callback", test_cancel_in_callback);
  ADD("/http/body-cap", test_body_cap);
  ADD("/http/stall-timeout", test_stall);
  ADD("/http/stream-stall", test_stream_stall);
  ADD("/http/stream-close", test_stream_close);
  ADD("/http/stream-status", test_stream_status);
  ADD("/http/stream-cancel", test_stream_cancel);
  ADD("/http/connect-refused", test_connect_refused);
  ADD("/http/close-mid-body", test_close_mid_body);
  ADD("/http/tls-to-plain-server", test_tls_to_plain);
  ADD("/http/status-500", test_status_500);
  ADD("/http/policy", test_policy);
  ADD("/http/proxy-failures", test_proxy_failures);
  ADD("/http/proxy-bypass-and-env", test_proxy_bypass_and_env);
  ADD("/http/no-leaks-many", test_no_leaks_many);
  ADD("/http/two-drivers", test_two_drivers);

  int rc = g_test_run();
  fixture_stop();
  g_hash_table_destroy(fl.watches);
  g_hash_table_destroy(fl.timers);
  return rc;
}
