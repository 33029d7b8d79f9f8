/* The loopback redirect as pure decisions (core/tb-redirect.h): where the head ends, the request
 * line, the Host check, the query, the state, the answer page; and what a hostile page or client
 * can send instead.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "core/tb-redirect.h"

#include <string.h>

#define PORT 8765
#define HOST "Host: 127.0.0.1:8765\r\n"

/* A request to the listener on PORT: target, then HOST and a browser's usual headers. */
static char *
request(const char *target)
{
  return g_strdup_printf("GET %s HTTP/1.1\r\n" HOST "User-Agent: Mozilla/5.0\r\n"
                         "Accept: text/html\r\n\r\n",
                         target);
}

static TbRedirectVerdict
parse_str(const char *buf, TbRedirect *r)
{
  return tb_redirect_parse(buf, strlen(buf), PORT, r);
}

/* The case a failure belongs to, on one line. */
static void
note(const char *text)
{
  g_autofree char *escaped = g_strescape(text, NULL);
  g_test_message("%s", escaped);
}

static void
assert_empty(const TbRedirect *r)
{
  g_assert_null(r->state);
  g_assert_null(r->code);
  g_assert_null(r->denied);
}

static void
test_head_end(void)
{
  g_autofree char *full = request("/callback?state=S1&code=C1");
  TbRedirect r;

  /* every prefix waits for more, without reading anything yet */
  g_assert_cmpint(tb_redirect_parse(NULL, 0, PORT, &r), ==, TB_REDIRECT_MORE);
  g_assert_false(tb_redirect_host_ok(NULL, 0, PORT));
  for (gsize n = 0; n < strlen(full); n++) {
    g_assert_cmpint(tb_redirect_parse(full, n, PORT, &r), ==, TB_REDIRECT_MORE);
    assert_empty(&r);
  }
  g_assert_cmpint(parse_str(full, &r), ==, TB_REDIRECT_CALLBACK);
  g_assert_cmpstr(r.state, ==, "S1");
  g_assert_cmpstr(r.code, ==, "C1");
  tb_redirect_clear(&r);
  assert_empty(&r);

  /* bare newlines end it too; what follows the head is not read */
  const char *bare = "GET /callback?state=S2&code=C2 HTTP/1.1\nHost: localhost:8765\n\nHost: x\n";
  g_assert_cmpint(parse_str(bare, &r), ==, TB_REDIRECT_CALLBACK);
  g_assert_cmpstr(r.code, ==, "C2");
  tb_redirect_clear(&r);
  /* no version (HTTP/0.9 style) still names the target */
  g_assert_cmpint(parse_str("GET /callback?state=S3&code=C3\r\n" HOST "\r\n", &r), ==,
                  TB_REDIRECT_CALLBACK);
  g_assert_cmpstr(r.state, ==, "S3");
  tb_redirect_clear(&r);
}

static void
test_request_line(void)
{
  static const struct {
    const char *head;
    TbRedirectVerdict verdict;
  } cases[] = {
      {"GET /callback?state=s&code=c HTTP/1.1\r\n" HOST "\r\n", TB_REDIRECT_CALLBACK},
      {"POST /callback?state=s&code=c HTTP/1.1\r\n" HOST "\r\n", TB_REDIRECT_NOT_GET},
      {"get /callback?state=s&code=c HTTP/1.1\r\n" HOST "\r\n", TB_REDIRECT_NOT_GET},
      {"GETS /callback HTTP/1.1\r\n" HOST "\r\n", TB_REDIRECT_NOT_GET},
      {"GET\r\n" HOST "\r\n", TB_REDIRECT_NOT_GET},
      {"\r\n" HOST "\r\n", TB_REDIRECT_NOT_GET}, /* the empty line ends the head at once */
      {"\r\n", TB_REDIRECT_NOT_GET},
      /* the method is checked before the host, the host before the path */
      {"POST /x HTTP/1.1\r\nHost: evil.example\r\n\r\n", TB_REDIRECT_NOT_GET},
      {"GET /x HTTP/1.1\r\nHost: evil.example\r\n\r\n", TB_REDIRECT_WRONG_HOST},
      {"GET /callback?state=s HTTP/1.1\r\n\r\n", TB_REDIRECT_WRONG_HOST},
      {"GET /favicon.ico HTTP/1.1\r\n" HOST "\r\n", TB_REDIRECT_NOT_FOUND},
      {"GET / HTTP/1.1\r\n" HOST "\r\n", TB_REDIRECT_NOT_FOUND},
      {"GET  /callback HTTP/1.1\r\n" HOST "\r\n", TB_REDIRECT_NOT_FOUND},
      {"GET /callbackx?state=s HTTP/1.1\r\n" HOST "\r\n", TB_REDIRECT_NOT_FOUND},
      {"GET /callback/?state=s HTTP/1.1\r\n" HOST "\r\n", TB_REDIRECT_NOT_FOUND},
      {"GET /Callback?state=s HTTP/1.1\r\n" HOST "\r\n", TB_REDIRECT_NOT_FOUND},
      {"GET /%63allback?state=s HTTP/1.1\r\n" HOST "\r\n", TB_REDIRECT_NOT_FOUND},
      {"GET http://127.0.0.1:8765/callback?state=s HTTP/1.1\r\n" HOST "\r\n",
       TB_REDIRECT_NOT_FOUND},
      {"GET /callback HTTP/1.1\r\n" HOST "\r\n", TB_REDIRECT_CALLBACK},
      {"GET /callback#state=s HTTP/1.1\r\n" HOST "\r\n", TB_REDIRECT_CALLBACK},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    TbRedirect r;
    note(cases[i].head);
    g_assert_cmpint(parse_str(cases[i].head, &r), ==, cases[i].verdict);
    if (cases[i].verdict != TB_REDIRECT_CALLBACK)
      assert_empty(&r);
    tb_redirect_clear(&r);
  }
}

static void
test_host(void)
{
  static const struct {
    const char *headers;
    gboolean ok;
  } cases[] = {
      {"Host: 127.0.0.1:8765\r\n", TRUE},
      {"host:127.0.0.1:8765\r\n", TRUE},
      {"HOST:   LOCALHOST:8765  \r\n", TRUE},
      {"Accept: */*\r\nHost: localhost:8765\r\nCookie: a=b\r\n", TRUE},
      {"Host: 127.0.0.1:8765\n", TRUE},
      {"Host: 127.0.0.1\r\n", FALSE}, /* the port belongs to the name */
      {"Host: 127.0.0.1:8766\r\n", FALSE},
      {"Host: 127.0.0.1:87650\r\n", FALSE},
      {"Host: 127.0.0.1:8765.evil.example\r\n", FALSE},
      {"Host: evil.example:8765\r\n", FALSE}, /* DNS rebinding */
      {"Host: 127.0.0.1.nip.io:8765\r\n", FALSE},
      {"Host: localhost.:8765\r\n", FALSE},
      {"Host: [::1]:8765\r\n", FALSE},
      {"Host: 127.0.0.1:8765 evil.example\r\n", FALSE},
      {"Host: 127.0.0.1:8765\r\nHost: 127.0.0.1:8765\r\n", FALSE}, /* two: never */
      {"Host: 127.0.0.1:8765\r\nHost: evil.example\r\n", FALSE},
      {"Host: evil.example\r\nHost: 127.0.0.1:8765\r\n", FALSE},
      {"", FALSE},
      {"X-Host: 127.0.0.1:8765\r\n", FALSE},
      {"Host : 127.0.0.1:8765\r\n", FALSE},
      {"X: y\r\n Host: 127.0.0.1:8765\r\n", FALSE},
      {"\r\nHost: 127.0.0.1:8765\r\n", FALSE}, /* after the end of the head */
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *head = g_strdup_printf("GET /callback HTTP/1.1\r\n%s\r\n", cases[i].headers);
    note(cases[i].headers);
    g_assert_cmpint(tb_redirect_host_ok(head, strlen(head), PORT), ==, cases[i].ok);
    TbRedirect r;
    g_assert_cmpint(parse_str(head, &r), ==,
                    cases[i].ok ? TB_REDIRECT_CALLBACK : TB_REDIRECT_WRONG_HOST);
    tb_redirect_clear(&r);
  }
  /* the request line is no header, and nothing past len is read */
  const char *line_only = "Host: 127.0.0.1:8765\r\n\r\n";
  g_assert_false(tb_redirect_host_ok(line_only, strlen(line_only), PORT));
  const char *cut = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8765\r\n";
  g_assert_false(tb_redirect_host_ok(cut, strlen("GET / HTTP/1.1\r\nHost: 127.0.0.1:876"), PORT));
  g_assert_true(tb_redirect_host_ok(cut, strlen(cut), PORT));
  const char nul[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8765\0evil\r\n\r\n";
  g_assert_false(tb_redirect_host_ok(nul, sizeof(nul) - 1, PORT));
}

static void
test_query(void)
{
  static const struct {
    const char *target;
    const char *state, *code, *denied;
  } cases[] = {
      {"/callback?state=S&code=C", "S", "C", NULL},
      {"/callback?code=C&state=S", "S", "C", NULL},
      {"/callback?state=S&code=C#more=x", "S", "C", NULL},
      {"/callback?state=S&code=C&code_extra=1&&x", "S", "C", NULL},
      {"/callback", NULL, NULL, NULL},
      {"/callback?", NULL, NULL, NULL},
      {"/callback?code=C", NULL, "C", NULL}, /* missing state */
      {"/callback?state=&code=C", "", "C", NULL},
      {"/callback?state=S&code=", "S", "", NULL},
      {"/callback?state=S&code", "S", "", NULL},
      /* percent-encoding, of values and of names */
      {"/callback?state=%53%31&code=a%2Fb%3D", "S1", "a/b=", NULL},
      {"/callback?st%61te=S&%63ode=C", "S", "C", NULL},
      {"/callback?state=S+1&code=C%2B1", "S 1", "C+1", NULL},
      /* repeated names: the first that decodes wins, as for a pasted address */
      {"/callback?state=S&state=T&code=C&code=D", "S", "C", NULL},
      {"/callback?state=%zz&state=T&code=C", "T", "C", NULL},
      /* an escaped NUL or a broken escape drops the pair */
      {"/callback?state=S%00T&code=C", NULL, "C", NULL},
      {"/callback?state=S&code=C%00", "S", NULL, NULL},
      {"/callback?state=S&code=%G1", "S", NULL, NULL},
      {"/callback?state=S&code=%", "S", NULL, NULL},
      /* X's refusal: its description when there is one */
      {"/callback?state=S&error=access_denied", "S", NULL, "access_denied"},
      {"/callback?state=S&error=access_denied&error_description=User+said+no", "S", NULL,
       "User said no"},
      {"/callback?state=S&error_description=no+error", "S", NULL, NULL},
      {"/callback?state=S&error=e&error_description=%3Cb%3E", "S", NULL, "<b>"},
      {"/callback?state=S&error=e&error_description=%F0%28", "S", NULL, "\xef\xbf\xbd("},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *head = request(cases[i].target);
    TbRedirect r;
    note(cases[i].target);
    g_assert_cmpint(parse_str(head, &r), ==, TB_REDIRECT_CALLBACK);
    g_assert_cmpstr(r.state, ==, cases[i].state);
    g_assert_cmpstr(r.code, ==, cases[i].code);
    g_assert_cmpstr(r.denied, ==, cases[i].denied);
    if (r.denied != NULL)
      g_assert_true(g_utf8_validate(r.denied, -1, NULL));
    tb_redirect_clear(&r);
  }
}

static void
test_route(void)
{
  static const struct {
    TbRedirect r;
    gboolean known;
    TbRedirectVerdict verdict;
  } cases[] = {
      {{"S", "C", NULL}, TRUE, TB_REDIRECT_RECEIVED},
      {{"S", "C", NULL}, FALSE, TB_REDIRECT_UNKNOWN_STATE},
      {{NULL, "C", NULL}, FALSE, TB_REDIRECT_UNKNOWN_STATE},
      {{"S", NULL, "no"}, FALSE, TB_REDIRECT_UNKNOWN_STATE}, /* a stranger learns nothing */
      {{"S", "C", "no"}, TRUE, TB_REDIRECT_DENIED},
      {{"S", NULL, "no"}, TRUE, TB_REDIRECT_DENIED},
      {{"S", NULL, NULL}, TRUE, TB_REDIRECT_NO_CODE},
      {{"S", "", NULL}, TRUE, TB_REDIRECT_NO_CODE},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    g_assert_cmpint(tb_redirect_route(&cases[i].r, cases[i].known), ==, cases[i].verdict);
}

static void
test_state_equal(void)
{
  const char *s = "q7Zx1-_Ab3kL9mN0pQrStu";

  g_assert_true(tb_redirect_state_equal(s, "q7Zx1-_Ab3kL9mN0pQrStu"));
  g_assert_false(tb_redirect_state_equal(s, "x7Zx1-_Ab3kL9mN0pQrStu")); /* first byte */
  g_assert_false(tb_redirect_state_equal(s, "q7Zx1-_Ab3kL9mN0pQrStv")); /* last byte */
  g_assert_false(tb_redirect_state_equal(s, "q7Zx1-_Ab3kL9mN0pQrSt"));  /* a prefix */
  g_assert_false(tb_redirect_state_equal(s, "q7Zx1-_Ab3kL9mN0pQrStuv"));
  g_assert_false(tb_redirect_state_equal(s, "Q7ZX1-_AB3KL9MN0PQRSTU")); /* case counts */
  g_assert_false(tb_redirect_state_equal(s, ""));
  g_assert_false(tb_redirect_state_equal(s, NULL));
  g_assert_false(tb_redirect_state_equal(NULL, s));
  g_assert_false(tb_redirect_state_equal(NULL, NULL));
  g_assert_false(tb_redirect_state_equal("", "")); /* no sign-in waits for nothing */
}

static void
test_hostile(void)
{
  TbRedirect r;

  /* an over-long request line: refused once the bound is reached, whether or not it ends */
  GString *line = g_string_new("GET /callback?state=S&code=");
  while (line->len < 3 * TB_REDIRECT_MAX_HEAD)
    g_string_append_c(line, 'a');
  g_assert_cmpint(tb_redirect_parse(line->str, TB_REDIRECT_MAX_HEAD - 1, PORT, &r), ==,
                  TB_REDIRECT_MORE);
  g_assert_cmpint(tb_redirect_parse(line->str, TB_REDIRECT_MAX_HEAD, PORT, &r), ==,
                  TB_REDIRECT_TOO_LARGE);
  g_assert_cmpint(tb_redirect_parse(line->str, line->len, PORT, &r), ==, TB_REDIRECT_TOO_LARGE);
  g_string_append(line, " HTTP/1.1\r\n" HOST "\r\n");
  g_assert_cmpint(parse_str(line->str, &r), ==, TB_REDIRECT_TOO_LARGE);
  assert_empty(&r);
  g_string_free(line, TRUE);

  /* the bound itself: a head of exactly TB_REDIRECT_MAX_HEAD bytes is read, one more is not */
  GString *head = g_string_new("GET /callback?state=S&code=C HTTP/1.1\r\n" HOST "X-Pad: ");
  gsize tail = strlen("\r\n\r\n");
  while (head->len < TB_REDIRECT_MAX_HEAD - tail)
    g_string_append_c(head, 'p');
  g_string_append(head, "\r\n\r\n");
  g_assert_cmpuint(head->len, ==, TB_REDIRECT_MAX_HEAD);
  g_assert_cmpint(parse_str(head->str, &r), ==, TB_REDIRECT_CALLBACK);
  tb_redirect_clear(&r);
  g_string_insert_c(head, head->len - tail, 'p');
  g_assert_cmpint(parse_str(head->str, &r), ==, TB_REDIRECT_TOO_LARGE);
  g_string_free(head, TRUE);

  /* NUL: in the request line, in a header, and before the head has ended; after it, harmless */
  const char nul_line[] = "GET /callback?state=S\0&code=C HTTP/1.1\r\n" HOST "\r\n";
  g_assert_cmpint(tb_redirect_parse(nul_line, sizeof(nul_line) - 1, PORT, &r), ==,
                  TB_REDIRECT_MALFORMED);
  assert_empty(&r);
  const char nul_header[] = "GET /callback?state=S&code=C HTTP/1.1\r\nX: \0\r\n" HOST "\r\n";
  g_assert_cmpint(tb_redirect_parse(nul_header, sizeof(nul_header) - 1, PORT, &r), ==,
                  TB_REDIRECT_MALFORMED);
  const char nul_early[] = "GET /call\0";
  g_assert_cmpint(tb_redirect_parse(nul_early, sizeof(nul_early) - 1, PORT, &r), ==,
                  TB_REDIRECT_MALFORMED);
  const char nul_after[] = "GET /callback?state=S&code=C HTTP/1.1\r\n" HOST "\r\n\0junk";
  g_assert_cmpint(tb_redirect_parse(nul_after, sizeof(nul_after) - 1, PORT, &r), ==,
                  TB_REDIRECT_CALLBACK);
  g_assert_cmpstr(r.code, ==, "C");
  tb_redirect_clear(&r);

  /* five hundred parameters, and bytes that are not text */
  GString *many = g_string_new("/callback?");
  for (int i = 0; i < 500; i++)
    g_string_append_printf(many, "p%d=%d&", i, i);
  g_string_append(many, "state=S&code=C");
  g_autofree char *many_req = request(many->str);
  g_string_free(many, TRUE);
  g_assert_cmpint(parse_str(many_req, &r), ==, TB_REDIRECT_CALLBACK);
  g_assert_cmpstr(r.state, ==, "S");
  tb_redirect_clear(&r);
  g_autofree char *bytes = request("/callback?state=\xff\xfe&code=\x01\x7f");
  g_assert_cmpint(parse_str(bytes, &r), ==, TB_REDIRECT_CALLBACK);
  g_assert_false(tb_redirect_state_equal("S", r.state));
  tb_redirect_clear(&r);
}

static char *
body_of(const char *answer)
{
  const char *b = strstr(answer, "\r\n\r\n");
  g_assert_nonnull(b);
  return g_strdup(b + 4);
}

static void
test_answer(void)
{
  static const struct {
    TbRedirectVerdict verdict;
    const char *status_line, *words;
  } cases[] = {
      {TB_REDIRECT_TOO_LARGE, "HTTP/1.1 431 Request Header Fields Too Large\r\n", "only receives"},
      {TB_REDIRECT_MALFORMED, "HTTP/1.1 400 Bad Request\r\n", "only receives"},
      {TB_REDIRECT_NOT_GET, "HTTP/1.1 405 Method Not Allowed\r\n", "only receives"},
      {TB_REDIRECT_WRONG_HOST, "HTTP/1.1 421 Misdirected Request\r\n", "only receives"},
      {TB_REDIRECT_NOT_FOUND, "HTTP/1.1 404 Not Found\r\n", "only receives"},
      {TB_REDIRECT_UNKNOWN_STATE, "HTTP/1.1 400 Bad Request\r\n", "not started here"},
      {TB_REDIRECT_NO_CODE, "HTTP/1.1 400 Bad Request\r\n", "X sent no code"},
      {TB_REDIRECT_DENIED, "HTTP/1.1 200 OK\r\n", "did not authorize the app for @pat_home"},
      {TB_REDIRECT_RECEIVED, "HTTP/1.1 200 OK\r\n", "Twinbird received the sign-in"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    gsize len = 0;
    g_autofree char *a = tb_redirect_answer(cases[i].verdict, "@pat_home", "access_denied", &len);
    g_autofree char *body = body_of(a);
    g_autofree char *length = g_strdup_printf("\r\nContent-Length: %zu\r\n", strlen(body));
    g_assert_cmpuint(len, ==, strlen(a));
    g_assert_true(g_str_has_prefix(a, cases[i].status_line));
    g_assert_nonnull(strstr(a, length));
    /* the address held the code: kept out of caches and of the next page's Referer */
    g_assert_nonnull(strstr(a, "\r\nCache-Control: no-store\r\n"));
    g_assert_nonnull(strstr(a, "\r\nReferrer-Policy: no-referrer\r\n"));
    g_assert_nonnull(strstr(a, "\r\nConnection: close\r\n"));
    g_assert_nonnull(strstr(a, "\r\nContent-Type: text/html; charset=utf-8\r\n"));
    g_assert_true(g_str_has_prefix(body, "<!doctype html>"));
    g_assert_nonnull(strstr(body, cases[i].words));
  }
  g_autofree char *got = tb_redirect_answer(TB_REDIRECT_RECEIVED, "@pat_home", NULL, NULL);
  g_assert_nonnull(strstr(got, "this is @pat_home"));

  /* what X (or a page) put in the query is text on the page, never markup */
  g_autofree char *denied =
      tb_redirect_answer(TB_REDIRECT_DENIED, "@a&b", "<script>alert(1)</script>\"'", NULL);
  g_assert_null(strstr(denied, "<script>"));
  g_assert_nonnull(strstr(denied, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&apos;"));
  g_assert_nonnull(strstr(denied, "@a&amp;b"));
  /* the same through the parser, with bytes that are not UTF-8 */
  g_autofree char *req = request("/callback?state=S&error=e&error_description=%F0%3Cxyz%F0%3Cqq");
  TbRedirect r;
  g_assert_cmpint(parse_str(req, &r), ==, TB_REDIRECT_CALLBACK);
  g_autofree char *page = tb_redirect_answer(TB_REDIRECT_DENIED, "@pat_home", r.denied, NULL);
  g_assert_null(strstr(page, "<xyz"));
  g_assert_null(strstr(page, "<qq"));
  g_assert_true(g_utf8_validate(page, -1, NULL));
  tb_redirect_clear(&r);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/redirect/head-end", test_head_end);
  g_test_add_func("/redirect/request-line", test_request_line);
  g_test_add_func("/redirect/host", test_host);
  g_test_add_func("/redirect/query", test_query);
  g_test_add_func("/redirect/route", test_route);
  g_test_add_func("/redirect/state-equal", test_state_equal);
  g_test_add_func("/redirect/hostile", test_hostile);
  g_test_add_func("/redirect/answer", test_answer);
  return g_test_run();
}
