/* X API layer: URLs, requests, X's errors (problem+json and legacy), rate-limit headers, users.
 * Responses are built by hand, so nothing here touches the network.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tb-test-response.h"
#include "api/tb-xapi-data.h"
#include "api/tb-xapi.h"
#include "core/tb-bounds.h"

#include <string.h>

#define PROB "https://api.twitter.com/2/problems/"

/* Headers land lower-case, as the HTTP driver stores them. */
static void
response_header(TbHttpResponse *resp, const char *name, const char *value)
{
  g_hash_table_replace(resp->headers, g_ascii_strdown(name, -1), g_strdup(value));
}

static gboolean
request_has_header(const TbHttpRequest *req, const char *line)
{
  for (guint i = 0; i < req->headers->len; i++) {
    if (strcmp(req->headers->pdata[i], line) == 0)
      return TRUE;
  }
  return FALSE;
}

static gboolean
request_has_header_named(const TbHttpRequest *req, const char *name)
{
  gsize n = strlen(name);
  for (guint i = 0; i < req->headers->len; i++) {
    const char *h = req->headers->pdata[i];
    if (g_ascii_strncasecmp(h, name, n) == 0 && h[n] == ':')
      return TRUE;
  }
  return FALSE;
}

static gboolean
is_ascii_printable(const char *s)
{
  for (; *s; s++) {
    if ((guchar)*s <= 0x20 || (guchar)*s >= 0x7f)
      return FALSE;
  }
  return TRUE;
}

static void
test_url(void)
{
  static const char snowman_cafe[] = "caf\xc3\xa9 \xe2\x98\x83";
  const char *query[] = {"user.fields", "profile_image_url,protected",
                         "query",       "hello world",
                         "skipped",     NULL,
                         "u",           snowman_cafe,
                         "reserved",    "a&b=c+d#e?f/g%h",
                         "unreserved",  "AZaz09-._~",
                         NULL};
  g_autofree char *url = tb_xapi_url("https://api.x.com", "/2/users/me", query);

  /* One exact form, so OAuth 1.0a signing later can rely on it: RFC 3986 escaping of every
   * reserved character (commas included) and UTF-8 as %XX. */
  g_assert_cmpstr(url, ==,
                  "https://api.x.com/2/users/me"
                  "?user.fields=profile_image_url%2Cprotected"
                  "&query=hello%20world"
                  "&u=caf%C3%A9%20%E2%98%83"
                  "&reserved=a%26b%3Dc%2Bd%23e%3Ff%2Fg%25h"
                  "&unreserved=AZaz09-._~");
  g_assert_true(is_ascii_printable(url));

  /* And it decodes back to exactly what was asked for. */
  g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_ENCODED_QUERY, NULL);
  g_assert_nonnull(uri);
  g_autoptr(GHashTable) params =
      g_uri_parse_params(g_uri_get_query(uri), -1, "&", G_URI_PARAMS_NONE, NULL);
  g_assert_nonnull(params);
  g_assert_cmpuint(g_hash_table_size(params), ==, 5);
  g_assert_cmpstr(g_hash_table_lookup(params, "user.fields"), ==, "profile_image_url,protected");
  g_assert_cmpstr(g_hash_table_lookup(params, "query"), ==, "hello world");
  g_assert_cmpstr(g_hash_table_lookup(params, "u"), ==, snowman_cafe);
  g_assert_cmpstr(g_hash_table_lookup(params, "reserved"), ==, "a&b=c+d#e?f/g%h");
  g_assert_false(g_hash_table_contains(params, "skipped"));
}

static void
test_url_no_query(void)
{
  const char *all_null[] = {"a", NULL, "b", NULL, NULL};
  const char *empty[] = {NULL};
  const char *empty_value[] = {"pagination_token", "", NULL};
  g_autofree char *u1 = tb_xapi_url("http://127.0.0.1:8080", "/2/users/me", NULL);
  g_autofree char *u2 = tb_xapi_url("http://127.0.0.1:8080", "/2/users/me", all_null);
  g_autofree char *u3 = tb_xapi_url("http://127.0.0.1:8080", "/2/users/me", empty);
  g_autofree char *u4 = tb_xapi_url("http://127.0.0.1:8080", "/2/users/me", empty_value);

  g_assert_cmpstr(u1, ==, "http://127.0.0.1:8080/2/users/me");
  g_assert_cmpstr(u2, ==, "http://127.0.0.1:8080/2/users/me");
  g_assert_cmpstr(u3, ==, "http://127.0.0.1:8080/2/users/me");
  g_assert_cmpstr(u4, ==, "http://127.0.0.1:8080/2/users/me?pagination_token=");
}

static void
test_request_bearer(void)
{
  TbXapiAuth auth = {.kind = TB_XAPI_AUTH_BEARER, .token = (char *)"tok-123"};
  const char *query[] = {"max_results", "5", NULL};
  g_autoptr(TbHttpRequest) req =
      tb_xapi_request(&auth, "GET", "https://api.x.com", "/2/users/42/mentions", query);

  g_assert_cmpstr(req->method, ==, "GET");
  g_assert_cmpstr(req->url, ==, "https://api.x.com/2/users/42/mentions?max_results=5");
  g_assert_true(request_has_header(req, "Authorization: Bearer tok-123"));
  g_assert_true(request_has_header(req, "Accept: application/json"));
  g_assert_null(req->body);

  g_autoptr(TbHttpRequest) me = tb_xapi_users_me_request(&auth, "https://api.x.com");
  g_assert_cmpstr(me->method, ==, "GET");
  g_assert_cmpstr(
      me->url, ==,
      "https://api.x.com/2/users/me?user.fields=profile_image_url%2Cprotected%2Cpublic_metrics");
  g_assert_true(request_has_header(me, "Authorization: Bearer tok-123"));
}

/* Issue 17: the home timeline reads since the cursor, at most X's 100, with what a post is shown
 * with; the first read (no cursor) sends no since_id. */
static void
test_home_request(void)
{
  TbXapiAuth auth = {.kind = TB_XAPI_AUTH_BEARER, .token = (char *)"tok-123"};
  g_autoptr(TbHttpRequest) first = tb_xapi_home_request(&auth, "https://api.x.com", "42", NULL, 20);
  g_autoptr(TbHttpRequest) next =
      tb_xapi_home_request(&auth, "https://api.x.com", "42", "1790000000000000001", 500);
  g_autoptr(TbHttpRequest) low = tb_xapi_home_request(&auth, "https://api.x.com", "42", NULL, 0);

  g_assert_cmpstr(first->method, ==, "GET");
  g_assert_true(g_str_has_prefix(
      first->url,
      "https://api.x.com/2/users/42/timelines/reverse_chronological?max_results=20&tweet.fields="));
  g_assert_null(strstr(first->url, "since_id"));
  g_assert_nonnull(strstr(first->url, "&expansions=attachments.media_keys%2Cauthor_id"));
  g_assert_true(g_str_has_prefix(next->url, "https://api.x.com/2/users/42/timelines/"
                                            "reverse_chronological?max_results=100&since_id="
                                            "1790000000000000001&"));
  g_assert_nonnull(strstr(low->url, "max_results=1&"));
  g_assert_true(request_has_header(next, "Authorization: Bearer tok-123"));
}

/* OAuth 1.0a without its four credentials: never a bearer header, nor a half-signed one. */
static void
test_request_oauth1(void)
{
  TbXapiAuth auth = {.kind = TB_XAPI_AUTH_OAUTH1};
  g_autoptr(TbHttpRequest) req =
      tb_xapi_request(&auth, "DELETE", "https://api.x.com", "/2/tweets/1", NULL);

  g_assert_cmpstr(req->method, ==, "DELETE");
  g_assert_false(request_has_header_named(req, "Authorization"));
  g_assert_true(request_has_header(req, "Accept: application/json"));
}

static void
test_request_json_body(void)
{
  TbXapiAuth auth = {.kind = TB_XAPI_AUTH_BEARER, .token = (char *)"t"};
  g_autoptr(TbHttpRequest) req =
      tb_xapi_request(&auth, "POST", "https://api.x.com", "/2/tweets", NULL);
  g_autoptr(JsonBuilder) b = json_builder_new();

  json_builder_begin_object(b);
  json_builder_set_member_name(b, "text");
  json_builder_add_string_value(b, "héllo \"you\" \xe2\x98\x83");
  json_builder_end_object(b);
  g_autoptr(JsonNode) body = json_builder_get_root(b);
  tb_xapi_request_set_json(req, body);

  g_assert_nonnull(req->body);
  g_assert_true(request_has_header(req, "Content-Type: application/json"));
  gsize len = 0;
  const char *data = g_bytes_get_data(req->body, &len);
  g_autoptr(JsonParser) parser = json_parser_new();
  g_assert_true(json_parser_load_from_data(parser, data, (gssize)len, NULL));
  JsonObject *obj = json_node_get_object(json_parser_get_root(parser));
  g_assert_cmpstr(json_object_get_string_member(obj, "text"), ==, "héllo \"you\" \xe2\x98\x83");
}

typedef struct {
  const char *name;
  TbHttpOutcome outcome;
  int status;
  const char *body;
  int code; /* -1: success */
  gboolean transient;
  const char *in_message; /* substring the user will read, or NULL */
} ParseCase;

static const ParseCase parse_cases[] = {
    {"200 json", TB_HTTP_OK, 200, "{\"data\":{\"id\":\"1\"}}", -1, FALSE, NULL},
    {"200 partial errors", TB_HTTP_OK, 200,
     "{\"data\":[],\"errors\":[{\"title\":\"Not Found Error\",\"type\":\"" PROB
     "resource-not-found\"}]}",
     -1, FALSE, NULL},
    {"201 created", TB_HTTP_OK, 201, "{\"data\":{\"id\":\"2\",\"text\":\"hi\"}}", -1, FALSE, NULL},
    {"200 html", TB_HTTP_OK, 200, "<html>oops</html>", TB_XAPI_ERROR_MALFORMED, TRUE, "HTTP 200"},
    {"200 truncated", TB_HTTP_OK, 200, "{\"data\":{\"id\":\"1\",\"username\":\"a",
     TB_XAPI_ERROR_MALFORMED, TRUE, "unreadable"},
    {"200 array", TB_HTTP_OK, 200, "[1,2]", TB_XAPI_ERROR_MALFORMED, TRUE, "not a JSON object"},
    {"200 empty", TB_HTTP_OK, 200, "", TB_XAPI_ERROR_MALFORMED, TRUE, NULL},
    {"400 invalid-request", TB_HTTP_OK, 400,
     "{\"errors\":[{\"parameters\":{\"max_results\":[\"500\"]},\"message\":\"The `max_results` "
     "query parameter value [500] is not between 5 and 100\"}],\"title\":\"Invalid Request\","
     "\"detail\":\"One or more parameters to your request was invalid.\",\"type\":\"" PROB
     "invalid-request\"}",
     TB_XAPI_ERROR_INVALID, FALSE, "is not between 5 and 100"},
    {"401 about:blank", TB_HTTP_OK, 401,
     "{\"title\":\"Unauthorized\",\"type\":\"about:blank\",\"status\":401,\"detail\":"
     "\"Unauthorized\"}",
     TB_XAPI_ERROR_UNAUTHORIZED, FALSE, "Unauthorized (HTTP 401)"},
    {"401 no body", TB_HTTP_OK, 401, "", TB_XAPI_ERROR_UNAUTHORIZED, FALSE,
     "X did not accept the sign-in token (HTTP 401)"},
    {"402 credits", TB_HTTP_OK, 402,
     "{\"title\":\"CreditsDepleted\",\"detail\":\"Your enrolled account does not have any "
     "credits\",\"type\":\"" PROB "credits-depleted\"}",
     TB_XAPI_ERROR_PAYMENT, FALSE, "credits"},
    {"403 client-forbidden", TB_HTTP_OK, 403,
     "{\"client_id\":\"0\",\"detail\":\"When authenticating requests to the Twitter API v2 "
     "endpoints, you must use keys and tokens from a Twitter developer App that is attached to a "
     "Project.\",\"registration_url\":\"https://developer.twitter.com/\",\"title\":\"Client "
     "Forbidden\",\"reason\":\"client-not-enrolled\",\"type\":\"" PROB "client-forbidden\"}",
     TB_XAPI_ERROR_FORBIDDEN, FALSE, "Client Forbidden: When authenticating"},
    {"403 legacy 453", TB_HTTP_OK, 403,
     "{\"errors\":[{\"message\":\"You currently have access to a subset of X API V2 endpoints\","
     "\"code\":453}]}",
     TB_XAPI_ERROR_FORBIDDEN, FALSE, "subset of X API V2"},
    {"404 resource-not-found", TB_HTTP_OK, 404,
     "{\"value\":\"9\",\"detail\":\"Could not find user with id: [9].\",\"title\":\"Not Found "
     "Error\",\"resource_type\":\"user\",\"parameter\":\"id\",\"resource_id\":\"9\",\"type\":"
     "\"" PROB "resource-not-found\"}",
     TB_XAPI_ERROR_NOT_FOUND, FALSE, "Could not find user with id: [9]."},
    {"429 about:blank", TB_HTTP_OK, 429,
     "{\"title\":\"Too Many Requests\",\"type\":\"about:blank\",\"status\":429,\"detail\":\"Too "
     "Many Requests\"}",
     TB_XAPI_ERROR_RATE_LIMITED, TRUE, "Too Many Requests"},
    {"429 legacy 88", TB_HTTP_OK, 429,
     "{\"errors\":[{\"code\":88,\"message\":\"Rate limit "
     "exceeded\"}]}",
     TB_XAPI_ERROR_RATE_LIMITED, TRUE, "Rate limit exceeded (HTTP 429)"},
    {"429 usage-capped", TB_HTTP_OK, 429,
     "{\"account_id\":1,\"product_name\":\"standard-basic\",\"title\":\"UsageCapExceeded\","
     "\"period\":\"Monthly\",\"scope\":\"Product\",\"detail\":\"Usage cap exceeded: Monthly "
     "product cap\",\"type\":\"" PROB "usage-capped\"}",
     TB_XAPI_ERROR_USAGE_CAPPED, FALSE, "Monthly product cap"},
    {"429 usage-capped api.x.com", TB_HTTP_OK, 429,
     "{\"title\":\"UsageCapExceeded\",\"detail\":\"Usage cap exceeded\",\"type\":"
     "\"https://api.x.com/2/problems/usage-capped\"}",
     TB_XAPI_ERROR_USAGE_CAPPED, FALSE, NULL},
    {"429 no body", TB_HTTP_OK, 429, "", TB_XAPI_ERROR_RATE_LIMITED, TRUE, "rate limit"},
    {"409 conflict", TB_HTTP_OK, 409, "{\"title\":\"Conflict\",\"type\":\"" PROB "conflict\"}",
     TB_XAPI_ERROR_OTHER, FALSE, "Conflict (HTTP 409)"},
    {"500", TB_HTTP_OK, 500,
     "{\"title\":\"Internal Server Error\",\"type\":\"about:blank\",\"status\":500}",
     TB_XAPI_ERROR_SERVER, TRUE, "HTTP 500"},
    {"503 html", TB_HTTP_OK, 503, "<html>Over capacity</html>", TB_XAPI_ERROR_SERVER, TRUE,
     "HTTP 503"},
    {"502 empty", TB_HTTP_OK, 502, "", TB_XAPI_ERROR_SERVER, TRUE, "HTTP 502"},
    /* X's body is data from the network: odd member types must not reach json-glib's checks
     * (a g_critical, fatal under G_DEBUG=fatal-criticals) and fall back to the status text. */
    {"403 odd title/detail", TB_HTTP_OK, 403, "{\"title\":{\"a\":1},\"detail\":[\"x\"]}",
     TB_XAPI_ERROR_FORBIDDEN, FALSE, "X does not allow this (HTTP 403)"},
    {"403 number title", TB_HTTP_OK, 403, "{\"title\":5,\"detail\":null}", TB_XAPI_ERROR_FORBIDDEN,
     FALSE, "X does not allow this (HTTP 403)"},
    {"429 odd type", TB_HTTP_OK, 429, "{\"title\":\"Too Many Requests\",\"type\":{}}",
     TB_XAPI_ERROR_RATE_LIMITED, TRUE, "Too Many Requests"},
    {"400 odd legacy message", TB_HTTP_OK, 400, "{\"errors\":[{\"message\":{},\"code\":1}]}",
     TB_XAPI_ERROR_INVALID, FALSE, "X rejected the request (HTTP 400)"},
    {"400 errors not objects", TB_HTTP_OK, 400, "{\"errors\":[\"a\",1]}", TB_XAPI_ERROR_INVALID,
     FALSE, "X rejected the request (HTTP 400)"},
    {"connect failure", TB_HTTP_FAIL_CONNECT, 0, "", TB_XAPI_ERROR_NETWORK, TRUE,
     "Connection refused"},
    {"timeout", TB_HTTP_FAIL_TIMEOUT, 0, "", TB_XAPI_ERROR_NETWORK, TRUE, "Connection refused"},
    /* A transfer cut mid-body never counts as X's answer, even with a status and JSON so far. */
    {"cut mid-body", TB_HTTP_FAIL_PROTOCOL, 200, "{\"data\":{}}", TB_XAPI_ERROR_NETWORK, TRUE,
     NULL},
};

/* A hostile body of nested arrays used to overflow json-glib's stack; now it is unreadable. */
static void
test_response_deep(void)
{
  gsize n = 200 * 1024;
  g_autofree char *body = g_malloc(2 * n + 1);
  memset(body, '[', n);
  memset(body + n, ']', n);
  body[2 * n] = '\0';
  g_autoptr(TbHttpResponse) deep = response_new(200, body);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = tb_xapi_response_parse(deep, &error);

  g_assert_null(root);
  g_assert_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_MALFORMED);
  g_assert_nonnull(strstr(error->message, "nested deeper"));

  g_autoptr(TbHttpResponse) bad_utf8 = response_new(200, "{\"data\":{\"text\":\"\xff\"}}");
  g_autoptr(GError) error2 = NULL;
  g_autoptr(JsonNode) root2 = tb_xapi_response_parse(bad_utf8, &error2);
  g_assert_null(root2);
  g_assert_error(error2, TB_XAPI_ERROR, TB_XAPI_ERROR_MALFORMED);
}

/* A hostile page: a 3 MiB post, a 30,000-character DM and 5,000 users in includes are held
 * within the bounds of core/tb-bounds.h, cut where cut and marked so. */
static void
test_page_bounds(void)
{
  gsize n = 3 * 1024 * 1024;
  GString *body = g_string_new("{\"data\":[{\"id\":\"1990000000000000001\",\"text\":\"");
  for (gsize i = 0; i < n; i++)
    g_string_append_c(body, 'a');
  g_string_append(body, "\"},{\"id\":\"1990000000000000000\",\"text\":\"short\"}],"
                        "\"includes\":{\"users\":[");
  for (int i = 0; i < 5000; i++)
    g_string_append_printf(body, "%s{\"id\":\"%d\",\"username\":\"u%d\",\"name\":\"U\"}",
                           i ? "," : "", i + 1, i);
  g_string_append(body, "]}}");
  g_autoptr(TbHttpResponse) resp = response_new(200, body->str);
  g_string_free(body, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = tb_xapi_response_parse(resp, &error);
  g_assert_no_error(error);
  g_autoptr(TbXapiTweetPage) page = tb_xapi_tweet_page_parse(root);

  g_assert_cmpuint(page->tweets->len, ==, 2);
  const TbXapiTweet *big = page->tweets->pdata[0], *small = page->tweets->pdata[1];
  g_assert_true(big->cut);
  g_assert_cmpuint(strlen(big->text), ==, TB_BOUND_POST_CHARS);
  g_assert_false(small->cut);
  g_assert_cmpuint(g_hash_table_size(page->users), ==, TB_BOUND_PAGE_USERS);

  GString *dm = g_string_new("{\"data\":[{\"id\":\"1990000000000000002\",\"event_type\":"
                             "\"MessageCreate\",\"text\":\"");
  for (int i = 0; i < 30000; i++)
    g_string_append(dm, "\\u00e9"); /* é, two bytes each once decoded */
  g_string_append(dm, "\"}]}");
  g_autoptr(TbHttpResponse) dm_resp = response_new(200, dm->str);
  g_string_free(dm, TRUE);
  g_autoptr(JsonNode) dm_root = tb_xapi_response_parse(dm_resp, &error);
  g_assert_no_error(error);
  g_autoptr(TbXapiDmPage) dms = tb_xapi_dm_page_parse(dm_root);
  const TbXapiDmEvent *e = dms->events->pdata[0];
  g_assert_true(e->cut);
  g_assert_cmpint(g_utf8_strlen(e->text, -1), ==, TB_BOUND_DM_CHARS);
}

/* A create request that gave no new id: safe to send again only when X never created it. */
static void
test_send_fate(void)
{
  static const struct {
    TbHttpOutcome outcome;
    int status;
    TbXapiSendFate fate;
  } cases[] = {
      {TB_HTTP_FAIL_CONNECT, 0, TB_XAPI_SEND_REFUSED},
      {TB_HTTP_FAIL_TLS, 0, TB_XAPI_SEND_REFUSED},
      {TB_HTTP_FAIL_POLICY, 0, TB_XAPI_SEND_REFUSED},
      {TB_HTTP_FAIL_PROXY_AUTH, 0, TB_XAPI_SEND_REFUSED}, /* stopped at the proxy */
      {TB_HTTP_FAIL_PROXY, 0, TB_XAPI_SEND_REFUSED},
      {TB_HTTP_FAIL_TIMEOUT, 0, TB_XAPI_SEND_UNKNOWN},
      {TB_HTTP_FAIL_PROTOCOL, 0, TB_XAPI_SEND_UNKNOWN}, /* dropped after sending */
      {TB_HTTP_FAIL_TOO_LARGE, 0, TB_XAPI_SEND_UNKNOWN},
      {TB_HTTP_OK, 201, TB_XAPI_SEND_UNKNOWN}, /* created, but the body was unreadable */
      {TB_HTTP_OK, 400, TB_XAPI_SEND_REFUSED},
      {TB_HTTP_OK, 403, TB_XAPI_SEND_REFUSED},
      {TB_HTTP_OK, 429, TB_XAPI_SEND_REFUSED},
      {TB_HTTP_OK, 500, TB_XAPI_SEND_UNKNOWN},
      {TB_HTTP_OK, 503, TB_XAPI_SEND_UNKNOWN},
  };
  g_assert_cmpint(tb_xapi_send_fate(NULL), ==, TB_XAPI_SEND_REFUSED);
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(TbHttpResponse) resp = response_new(cases[i].status, "");
    resp->outcome = cases[i].outcome;
    g_assert_cmpint(tb_xapi_send_fate(resp), ==, cases[i].fate);
  }
}

static void
test_response_parse(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(parse_cases); i++) {
    const ParseCase *c = &parse_cases[i];
    g_autoptr(TbHttpResponse) resp = response_new(c->status, c->body);
    g_autoptr(GError) error = NULL;

    resp->outcome = c->outcome;
    if (c->outcome != TB_HTTP_OK)
      resp->error = g_strdup("Connection refused");
    g_test_message("case: %s", c->name);
    g_autoptr(JsonNode) root = tb_xapi_response_parse(resp, &error);
    if (c->code < 0) {
      g_assert_no_error(error);
      g_assert_nonnull(root);
      g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
      continue;
    }
    g_assert_null(root);
    g_assert_nonnull(error);
    if (!g_error_matches(error, TB_XAPI_ERROR, c->code))
      g_test_fail_printf("%s: code %d, want %d (%s)", c->name, error->code, c->code,
                         error->message);
    if (tb_xapi_error_is_transient(error) != c->transient)
      g_test_fail_printf("%s: transient should be %d", c->name, c->transient);
    if (c->in_message && strstr(error->message, c->in_message) == NULL)
      g_test_fail_printf("%s: message \"%s\" lacks \"%s\"", c->name, error->message, c->in_message);
  }
}

/* The proxy's failures are passed on as the proxy's, never as X's errors. */
static void
test_response_proxy(void)
{
  static const struct {
    TbHttpOutcome outcome;
    int code;
  } cases[] = {
      {TB_HTTP_FAIL_PROXY_AUTH, TB_HTTP_PROXY_ERROR_AUTH},
      {TB_HTTP_FAIL_PROXY, TB_HTTP_PROXY_ERROR_UNREACHABLE},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(TbHttpResponse) resp = response_new(0, "");
    g_autoptr(GError) error = NULL;
    resp->outcome = cases[i].outcome;
    resp->error = g_strdup("the proxy 127.0.0.1:3128 says no");
    g_assert_null(tb_xapi_response_parse(resp, &error));
    g_assert_error(error, TB_HTTP_PROXY_ERROR, cases[i].code);
    g_assert_cmpstr(error->message, ==, "the proxy 127.0.0.1:3128 says no");
    g_assert_true(tb_xapi_error_is_transient(error)); /* never X's verdict */
  }
}

static void
test_transient(void)
{
  g_autoptr(GError) other =
      g_error_new_literal(g_quark_from_static_string("tb-test-other"), TB_XAPI_ERROR_NETWORK, "x");
  g_assert_false(tb_xapi_error_is_transient(NULL));
  g_assert_false(tb_xapi_error_is_transient(other)); /* same code, other domain */
}

static void
test_rate_limit(void)
{
  TbXapiRateLimit rl;

  g_autoptr(TbHttpResponse) ok = response_new(200, "{}");
  response_header(ok, "x-rate-limit-limit", "75");
  response_header(ok, "X-Rate-Limit-Remaining", "0");
  response_header(ok, "x-rate-limit-reset", "1790000000");
  tb_xapi_rate_limit_read(ok, &rl);
  g_assert_true(rl.known);
  g_assert_cmpint(rl.limit, ==, 75);
  g_assert_cmpint(rl.remaining, ==, 0);
  g_assert_cmpint(rl.reset, ==, 1790000000);

  g_autoptr(TbHttpResponse) none = response_new(200, "{}");
  tb_xapi_rate_limit_read(none, &rl);
  g_assert_false(rl.known);

  /* Half a set is no set: deciding when to poll from a missing reset would be a guess. */
  g_autoptr(TbHttpResponse) partial = response_new(200, "{}");
  response_header(partial, "x-rate-limit-limit", "75");
  response_header(partial, "x-rate-limit-remaining", "74");
  tb_xapi_rate_limit_read(partial, &rl);
  g_assert_false(rl.known);

  static const char *const garbage[] = {"",    "abc", "-1",   "12abc",
                                        "1.5", " 12", "0x10", "99999999999999999999"};
  for (gsize i = 0; i < G_N_ELEMENTS(garbage); i++) {
    g_autoptr(TbHttpResponse) bad = response_new(429, "");
    response_header(bad, "x-rate-limit-limit", "75");
    response_header(bad, "x-rate-limit-remaining", "0");
    response_header(bad, "x-rate-limit-reset", garbage[i]);
    tb_xapi_rate_limit_read(bad, &rl);
    if (rl.known)
      g_test_fail_printf("x-rate-limit-reset \"%s\" was taken as a number", garbage[i]);
  }
}

static JsonObject *
parse_object(const char *text, JsonParser **keep)
{
  *keep = json_parser_new();
  g_assert_true(json_parser_load_from_data(*keep, text, -1, NULL));
  return json_node_get_object(json_parser_get_root(*keep));
}

static void
test_user(void)
{
  g_autoptr(JsonParser) p = NULL;
  g_autoptr(GError) error = NULL;
  /* Above 2^53: as a double this would become ...000000 (and so another user). */
  JsonObject *obj =
      parse_object("{\"id\":\"1790000000000000001\",\"username\":\"work_me\",\"name\":\"Me at "
                   "Work\",\"profile_image_url\":\"https://pbs.twimg.com/a.jpg\",\"protected\":"
                   "true,\"extra\":[1,2]}",
                   &p);
  g_autoptr(TbXapiUser) u = tb_xapi_user_from_json(obj, &error);

  g_assert_no_error(error);
  g_assert_nonnull(u);
  g_assert_cmpstr(u->id, ==, "1790000000000000001");
  g_assert_cmpstr(u->username, ==, "work_me");
  g_assert_cmpstr(u->name, ==, "Me at Work");
  g_assert_cmpstr(u->profile_image_url, ==, "https://pbs.twimg.com/a.jpg");
  g_assert_true(u->protected_account);

  /* The name falls back to the handle; protected defaults to FALSE. */
  g_autoptr(JsonParser) p2 = NULL;
  obj = parse_object("{\"id\":\"9223372036854775807\",\"username\":\"me\"}", &p2);
  g_autoptr(TbXapiUser) u2 = tb_xapi_user_from_json(obj, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(u2->id, ==, "9223372036854775807");
  g_assert_cmpstr(u2->name, ==, "me");
  g_assert_null(u2->profile_image_url);
  g_assert_false(u2->protected_account);

  /* Odd member types are "absent", not a g_critical from json-glib. */
  g_autoptr(JsonParser) p3 = NULL;
  obj = parse_object("{\"id\":\"7\",\"username\":\"odd\",\"name\":{},\"protected\":{\"a\":1},"
                     "\"profile_image_url\":[1]}",
                     &p3);
  g_autoptr(TbXapiUser) u3 = tb_xapi_user_from_json(obj, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(u3->name, ==, "odd");
  g_assert_null(u3->profile_image_url);
  g_assert_false(u3->protected_account);
}

static void
test_user_invalid(void)
{
  static const char *const bad[] = {
      "{\"id\":\"1\",\"name\":\"No Handle\"}",
      "{\"id\":\"1\",\"username\":\"\"}",
      "{\"id\":\"1\",\"username\":null}",
      "{\"id\":\"1\",\"username\":7}",
      "{\"username\":\"noid\"}",
      "{\"id\":\"\",\"username\":\"a\"}",
      /* A number id has already lost digits in any double-based parser: refuse it. */
      "{\"id\":1790000000000000001,\"username\":\"a\"}",
      "{\"id\":\"12345678901234567890\",\"username\":\"a\"}",
      "{\"id\":\"12a\",\"username\":\"a\"}",
      "{\"id\":{\"x\":1},\"username\":\"a\"}",
      "{\"id\":[\"1\"],\"username\":\"a\"}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(JsonParser) p = NULL;
    g_autoptr(GError) error = NULL;
    JsonObject *obj = parse_object(bad[i], &p);
    g_autoptr(TbXapiUser) u = tb_xapi_user_from_json(obj, &error);
    if (u != NULL)
      g_test_fail_printf("accepted user %s", bad[i]);
    g_assert_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_MALFORMED);
  }
}

static void
test_users_me_parse(void)
{
  g_autoptr(GError) error = NULL;

  g_autoptr(TbHttpResponse) ok = response_new(
      200, "{\"data\":{\"id\":\"1790000000000000001\",\"username\":\"alice\",\"name\":\"A\"}}");
  g_autoptr(TbXapiUser) u = tb_xapi_users_me_parse(ok, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(u->id, ==, "1790000000000000001");
  g_assert_cmpstr(u->username, ==, "alice");

  g_autoptr(TbHttpResponse) no_data = response_new(200, "{\"errors\":[]}");
  g_assert_null(tb_xapi_users_me_parse(no_data, &error));
  g_assert_nonnull(error);
  g_assert_false(tb_xapi_error_is_transient(error));
  g_clear_error(&error);

  g_autoptr(TbHttpResponse) no_name =
      response_new(200, "{\"data\":{\"id\":\"1\",\"name\":\"No Handle\"}}");
  g_assert_null(tb_xapi_users_me_parse(no_name, &error));
  g_assert_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_MALFORMED);
  g_clear_error(&error);

  g_autoptr(TbHttpResponse) unauth = response_new(
      401, "{\"title\":\"Unauthorized\",\"type\":\"about:blank\",\"status\":401,\"detail\":"
           "\"Unauthorized\"}");
  g_assert_null(tb_xapi_users_me_parse(unauth, &error));
  g_assert_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_UNAUTHORIZED);
}

static void
test_id_is_valid(void)
{
  static const struct {
    const char *id;
    gboolean want;
  } cases[] = {
      {"1", TRUE},
      {"0", TRUE},
      {"1790000000000000001", TRUE},
      {"9999999999999999999", TRUE}, /* 19 digits */
      {NULL, FALSE},
      {"", FALSE},
      {"12345678901234567890", FALSE}, /* 20 digits */
      {"-1", FALSE},
      {"+1", FALSE},
      {" 1", FALSE},
      {"1 ", FALSE},
      {"1e5", FALSE},
      {"1.0", FALSE},
      {"0x1f", FALSE},
      {"\xd9\xa1\xd9\xa2", FALSE}, /* Arabic-Indic digits */
      {"１２", FALSE},             /* full-width digits */
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    if (tb_xapi_id_is_valid(cases[i].id) != cases[i].want)
      g_test_fail_printf("tb_xapi_id_is_valid(\"%s\") should be %d",
                         cases[i].id ? cases[i].id : "(null)", cases[i].want);
  }
}

static void
test_json_helpers(void)
{
  g_autoptr(JsonParser) p = NULL;
  JsonObject *obj =
      parse_object("{\"o\":{\"a\":1},\"a\":[1],\"s\":\"x\",\"n\":5,\"z\":null,\"b\":true}", &p);

  g_assert_nonnull(tb_xapi_json_object(obj, "o"));
  g_assert_null(tb_xapi_json_object(obj, "a"));
  g_assert_null(tb_xapi_json_object(obj, "z"));
  g_assert_null(tb_xapi_json_object(obj, "missing"));
  g_assert_null(tb_xapi_json_object(NULL, "o"));
  g_assert_nonnull(tb_xapi_json_array(obj, "a"));
  g_assert_null(tb_xapi_json_array(obj, "o"));
  g_assert_null(tb_xapi_json_array(NULL, "a"));
  g_assert_cmpstr(tb_xapi_json_string(obj, "s"), ==, "x");
  g_assert_null(tb_xapi_json_string(obj, "n"));
  g_assert_null(tb_xapi_json_string(obj, "z"));
  g_assert_null(tb_xapi_json_string(obj, "b"));
  g_assert_null(tb_xapi_json_string(obj, "o"));
  g_assert_null(tb_xapi_json_string(NULL, "s"));
}

/* The error domain's name is what logs and bindings show: no stray spaces from formatting. */
static void
test_quark_name(void)
{
  g_assert_cmpstr(g_quark_to_string(tb_xapi_error_quark()), ==, "tb-xapi-error-quark");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/xapi/send-fate", test_send_fate);
  g_test_add_func("/xapi/response/proxy", test_response_proxy);
  g_test_add_func("/xapi/page/bounds", test_page_bounds);
  g_test_add_func("/xapi/response/deep", test_response_deep);
  g_test_add_func("/xapi/quark-name", test_quark_name);
  g_test_add_func("/xapi/request/home", test_home_request);
  g_test_add_func("/xapi/url/escaping", test_url);
  g_test_add_func("/xapi/url/no-query", test_url_no_query);
  g_test_add_func("/xapi/request/bearer", test_request_bearer);
  g_test_add_func("/xapi/request/oauth1", test_request_oauth1);
  g_test_add_func("/xapi/request/json-body", test_request_json_body);
  g_test_add_func("/xapi/response/parse", test_response_parse);
  g_test_add_func("/xapi/response/transient", test_transient);
  g_test_add_func("/xapi/rate-limit", test_rate_limit);
  g_test_add_func("/xapi/user/parse", test_user);
  g_test_add_func("/xapi/user/invalid", test_user_invalid);
  g_test_add_func("/xapi/user/users-me", test_users_me_parse);
  g_test_add_func("/xapi/id-is-valid", test_id_is_valid);
  g_test_add_func("/xapi/json-helpers", test_json_helpers);
  return g_test_run();
}
