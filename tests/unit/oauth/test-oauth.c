/* OAuth (issue 4), the pure parts: PKCE against RFC 7636, HMAC-SHA1 signing against X's own test
 * vector (xapi.md §3.2), percent-encoding, authorize URLs, token bodies and answers, and what a
 * user may paste back. Nothing here touches the network.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tb-test-response.h"
#include "api/tb-oauth.h"
#include "api/tb-xapi.h"
#include "core/tb-config.h"

#include <string.h>

/* xapi.md §3.2 */
#define VEC_CONSUMER_KEY "xvz1evFS4wEEPTGEFPHBog"
#define VEC_CONSUMER_SECRET "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"
#define VEC_TOKEN "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"
#define VEC_TOKEN_SECRET "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"
#define VEC_NONCE "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"
#define VEC_TIMESTAMP 1318622958
#define VEC_STATUS "Hello Ladies + Gentlemen, a signed OAuth request!"
#define VEC_BASE                                                                                   \
  "POST&https%3A%2F%2Fapi.x.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_"   \
  "consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%"                                           \
  "3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_"     \
  "timestamp%3D1318622958%26oauth_token%3D370773112-"                                              \
  "GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%"    \
  "2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521"

static const TbOAuth1Params vec_params = {
    .consumer_key = VEC_CONSUMER_KEY,
    .consumer_secret = VEC_CONSUMER_SECRET,
    .token = VEC_TOKEN,
    .token_secret = VEC_TOKEN_SECRET,
    .nonce = VEC_NONCE,
    .timestamp = VEC_TIMESTAMP,
};

static char *
body_string(const TbHttpRequest *req)
{
  gsize len = 0;
  const char *data = req->body ? g_bytes_get_data(req->body, &len) : NULL;
  return g_strndup(data ? data : "", len);
}

static gboolean
all_unreserved(const char *s)
{
  for (; *s; s++) {
    if (!g_ascii_isalnum(*s) && *s != '-' && *s != '.' && *s != '_' && *s != '~')
      return FALSE;
  }
  return TRUE;
}

/* --- PKCE --------------------------------------------------------------------------------- */

static void
test_pkce_rfc7636(void)
{
  /* RFC 7636 appendix B */
  g_autofree char *challenge =
      tb_oauth2_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
  g_assert_cmpstr(challenge, ==, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");

  /* RFC 7636 appendix A: the URL-safe alphabet without padding */
  static const guint8 bytes[] = {3, 236, 255, 224, 193};
  g_autofree char *b64 = tb_oauth_base64url(bytes, sizeof(bytes));
  g_assert_cmpstr(b64, ==, "A-z_4ME");
}

static void
test_pkce_verifier(void)
{
  g_autofree char *a = tb_oauth2_pkce_verifier();
  g_autofree char *b = tb_oauth2_pkce_verifier();

  g_assert_nonnull(a);
  g_assert_cmpuint(strlen(a), ==, 43); /* 43 to 128 allowed */
  g_assert_true(all_unreserved(a));
  g_assert_cmpstr(a, !=, b);
  g_autofree char *ca = tb_oauth2_pkce_challenge(a);
  g_assert_cmpuint(strlen(ca), ==, 43);
  g_assert_true(all_unreserved(ca));

  g_autofree char *state = tb_oauth_random_string(16);
  g_assert_cmpuint(strlen(state), ==, 22);
  g_assert_true(all_unreserved(state));
}

/* --- percent-encoding ---------------------------------------------------------------------- */

static void
test_pct(void)
{
  static const struct {
    const char *in, *out;
  } cases[] = {
      /* X's examples (percent-encoding-parameters.mdx) */
      {"Ladies + Gentlemen", "Ladies%20%2B%20Gentlemen"},
      {"An encoded string!", "An%20encoded%20string%21"},
      {"Dogs, Cats & Mice", "Dogs%2C%20Cats%20%26%20Mice"},
      {"\xe2\x98\x83", "%E2%98%83"},
      /* unreserved stays, everything else is uppercase hex, never '+' */
      {"AZaz09-._~", "AZaz09-._~"},
      {"a/b?c=d#e", "a%2Fb%3Fc%3Dd%23e"},
      {"\xff\x01", "%FF%01"},
      {"", ""},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *got = tb_oauth_pct(cases[i].in);
    g_assert_cmpstr(got, ==, cases[i].out);
  }
}

/* --- OAuth 1.0a signing --------------------------------------------------------------------- */

static void
test_oauth1_vector(void)
{
  const char *form[] = {"status", VEC_STATUS, NULL};
  g_autofree char *base = tb_oauth1_base_string(
      "post", "https://api.x.com/1.1/statuses/update.json?include_entities=true", form, &vec_params,
      VEC_NONCE, "1318622958");
  g_assert_cmpstr(base, ==, VEC_BASE);
  g_autofree char *sig = tb_oauth1_signature(base, VEC_CONSUMER_SECRET, VEC_TOKEN_SECRET);
  g_assert_cmpstr(sig, ==, "Ls93hJiZbQ3akF3HF3x1Bz8/zU4=");

  /* the same base string on the old host gives the classic value */
  g_autofree char *old = tb_oauth1_base_string(
      "POST", "https://api.twitter.com/1.1/statuses/update.json?include_entities=true", form,
      &vec_params, VEC_NONCE, "1318622958");
  g_autofree char *old_sig = tb_oauth1_signature(old, VEC_CONSUMER_SECRET, VEC_TOKEN_SECRET);
  g_assert_cmpstr(old_sig, ==, "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");

  /* the header: sorted oauth_* parameters, values percent-encoded, the signature too */
  g_autofree char *header = tb_oauth1_authorization(
      "POST", "https://api.x.com/1.1/statuses/update.json?include_entities=true", form,
      &vec_params);
  g_assert_cmpstr(header, ==,
                  "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", "
                  "oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", "
                  "oauth_signature=\"Ls93hJiZbQ3akF3HF3x1Bz8%2FzU4%3D\", "
                  "oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1318622958\", "
                  "oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", "
                  "oauth_version=\"1.0\"");
}

static void
test_oauth1_base_url(void)
{
  static const struct {
    const char *url, *prefix;
  } cases[] = {
      /* scheme and host lower case, default ports dropped, path kept, query moved out */
      {"HTTPS://API.X.com:443/2/users/me?a=1", "GET&https%3A%2F%2Fapi.x.com%2F2%2Fusers%2Fme&"},
      {"http://127.0.0.1:80/2/users/me", "GET&http%3A%2F%2F127.0.0.1%2F2%2Fusers%2Fme&"},
      {"http://127.0.0.1:8080/2/users/me", "GET&http%3A%2F%2F127.0.0.1%3A8080%2F2%2Fusers%2Fme&"},
      {"https://api.x.com:8443/2/Users", "GET&https%3A%2F%2Fapi.x.com%3A8443%2F2%2FUsers&"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *base = tb_oauth1_base_string("GET", cases[i].url, NULL, &vec_params, "n", "1");
    g_assert_true(g_str_has_prefix(base, cases[i].prefix));
  }
}

static void
test_oauth1_query_params(void)
{
  /* query values arrive escaped by tb_xapi_url; they are decoded, then encoded once more */
  g_autofree char *base = tb_oauth1_base_string(
      "GET", "https://api.x.com/2/users/me?user.fields=profile_image_url%2Cprotected&x=a+b", NULL,
      &vec_params, "n", "1");
  g_assert_nonnull(strstr(base, "user.fields%3Dprofile_image_url%252Cprotected"));
  g_assert_nonnull(strstr(base, "x%3Da%2520b"));
  /* sorted: oauth_* before user.fields before x */
  g_assert_true(strstr(base, "oauth_version") < strstr(base, "user.fields"));

  /* request_token: no oauth_token, the callback is signed, key is "secret&" */
  TbOAuth1Params p = {.consumer_key = "ck", .consumer_secret = "cs", .callback = "oob"};
  g_autofree char *rt =
      tb_oauth1_base_string("POST", "https://api.x.com/oauth/request_token", NULL, &p, "n", "1");
  g_assert_cmpstr(rt, ==,
                  "POST&https%3A%2F%2Fapi.x.com%2Foauth%2Frequest_token&oauth_callback%3Doob%"
                  "26oauth_consumer_key%3Dck%26oauth_nonce%3Dn%26oauth_signature_method%3DHMAC-"
                  "SHA1%26oauth_timestamp%3D1%26oauth_version%3D1.0");
}

/* Parses "OAuth k=\"v\", ..." back into decoded values. */
static GHashTable *
header_params(const char *header)
{
  GHashTable *out = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_assert_true(g_str_has_prefix(header, "OAuth "));
  g_auto(GStrv) parts = g_strsplit(header + 6, ", ", -1);
  for (char **p = parts; *p; p++) {
    char *eq = strchr(*p, '=');
    g_assert_nonnull(eq);
    g_assert_cmpint(eq[1], ==, '"');
    g_assert_cmpint((*p)[strlen(*p) - 1], ==, '"');
    g_autofree char *raw = g_strndup(eq + 2, strlen(eq + 2) - 1);
    g_hash_table_insert(out, g_strndup(*p, eq - *p), g_uri_unescape_string(raw, NULL));
  }
  return out;
}

static void
test_oauth1_requests(void)
{
  g_autoptr(TbHttpRequest) rt =
      tb_oauth1_request_token_request("http://127.0.0.1:9/", "ck", "c s&");
  g_assert_cmpstr(rt->method, ==, "POST");
  g_assert_cmpstr(rt->url, ==, "http://127.0.0.1:9/oauth/request_token");
  g_autoptr(GHashTable) hp = header_params(request_header(rt, "Authorization"));
  g_assert_cmpstr(g_hash_table_lookup(hp, "oauth_callback"), ==, "oob");
  g_assert_false(g_hash_table_contains(hp, "oauth_token"));
  g_assert_cmpuint(strlen(g_hash_table_lookup(hp, "oauth_nonce")), ==, 32);
  gint64 ts = g_ascii_strtoll(g_hash_table_lookup(hp, "oauth_timestamp"), NULL, 10);
  g_assert_cmpint(ABS(ts - g_get_real_time() / G_USEC_PER_SEC), <, 5);
  /* the signature verifies the way the server checks it */
  TbOAuth1Params p = {.consumer_key = "ck", .consumer_secret = "c s&", .callback = "oob"};
  g_autofree char *base =
      tb_oauth1_base_string("POST", rt->url, NULL, &p, g_hash_table_lookup(hp, "oauth_nonce"),
                            g_hash_table_lookup(hp, "oauth_timestamp"));
  g_autofree char *want = tb_oauth1_signature(base, "c s&", NULL);
  g_assert_cmpstr(g_hash_table_lookup(hp, "oauth_signature"), ==, want);

  g_autoptr(TbHttpRequest) at = tb_oauth1_access_token_request("https://api.x.com", "ck", "cs",
                                                               "req-tok", "req-sec", "1234567");
  g_assert_cmpstr(at->url, ==, "https://api.x.com/oauth/access_token");
  g_autoptr(GHashTable) ap = header_params(request_header(at, "Authorization"));
  g_assert_cmpstr(g_hash_table_lookup(ap, "oauth_verifier"), ==, "1234567");
  g_assert_cmpstr(g_hash_table_lookup(ap, "oauth_token"), ==, "req-tok");

  /* two requests never share a nonce */
  g_autoptr(TbHttpRequest) rt2 = tb_oauth1_request_token_request("https://api.x.com", "ck", "cs");
  g_autoptr(GHashTable) hp2 = header_params(request_header(rt2, "Authorization"));
  g_assert_cmpstr(g_hash_table_lookup(hp, "oauth_nonce"), !=,
                  g_hash_table_lookup(hp2, "oauth_nonce"));

  g_autofree char *url = tb_oauth1_authorize_url("https://api.x.com", "t/k", "pat_at_acme");
  g_assert_cmpstr(url, ==,
                  "https://api.x.com/oauth/authorize?oauth_token=t%2Fk&force_login=true&"
                  "screen_name=pat_at_acme");
}

/* tb_xapi_request signs with the final URL when it has OAuth 1.0a credentials (a JSON body,
 * set later, is never part of the signature). */
static void
test_xapi_signs_oauth1(void)
{
  TbXapiAuth auth = {.kind = TB_XAPI_AUTH_OAUTH1,
                     .token = (char *)VEC_TOKEN,
                     .token_secret = (char *)VEC_TOKEN_SECRET,
                     .consumer_key = (char *)VEC_CONSUMER_KEY,
                     .consumer_secret = (char *)VEC_CONSUMER_SECRET};
  const char *query[] = {"user.fields", "a,b", NULL};
  g_autoptr(TbHttpRequest) req =
      tb_xapi_request(&auth, "GET", "https://api.x.com", "/2/users/me", query);
  const char *value = request_header(req, "Authorization");

  g_assert_nonnull(value);
  g_autoptr(GHashTable) hp = header_params(value);
  g_assert_cmpstr(g_hash_table_lookup(hp, "oauth_token"), ==, VEC_TOKEN);
  g_assert_cmpstr(g_hash_table_lookup(hp, "oauth_consumer_key"), ==, VEC_CONSUMER_KEY);
  TbOAuth1Params p = vec_params;
  g_autofree char *base =
      tb_oauth1_base_string("GET", req->url, NULL, &p, g_hash_table_lookup(hp, "oauth_nonce"),
                            g_hash_table_lookup(hp, "oauth_timestamp"));
  g_assert_nonnull(strstr(base, "user.fields%3Da%252Cb"));
  g_autofree char *want = tb_oauth1_signature(base, VEC_CONSUMER_SECRET, VEC_TOKEN_SECRET);
  g_assert_cmpstr(g_hash_table_lookup(hp, "oauth_signature"), ==, want);
  g_assert_null(strstr(value, VEC_CONSUMER_SECRET));
  g_assert_null(strstr(value, VEC_TOKEN_SECRET));

  /* bearer stays bearer */
  TbXapiAuth bearer = {.kind = TB_XAPI_AUTH_BEARER, .token = (char *)"tok"};
  g_autoptr(TbHttpRequest) b = tb_xapi_request(&bearer, "GET", "https://api.x.com", "/2/x", NULL);
  g_assert_cmpstr(request_header(b, "Authorization"), ==, "Bearer tok");
}

static void
test_oauth1_token_parse(void)
{
  TbOAuth1Token t;
  g_autoptr(GError) error = NULL;

  g_autoptr(TbHttpResponse) ok =
      response_new(200, "oauth_token=abc&oauth_token_secret=s%2Fe&oauth_callback_confirmed=true");
  g_assert_true(tb_oauth1_token_parse(ok, TRUE, &t, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(t.token, ==, "abc");
  g_assert_cmpstr(t.secret, ==, "s/e");
  tb_oauth1_token_clear(&t);

  g_autoptr(TbHttpResponse) unconfirmed =
      response_new(200, "oauth_token=abc&oauth_token_secret=sec");
  g_assert_false(tb_oauth1_token_parse(unconfirmed, TRUE, &t, &error));
  g_assert_error(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_MALFORMED);
  g_clear_error(&error);

  g_autoptr(TbHttpResponse) access = response_new(
      200, "oauth_token=1-abc&oauth_token_secret=sec&user_id=1790000000000000001&screen_name="
           "pat_home");
  g_assert_true(tb_oauth1_token_parse(access, FALSE, &t, &error));
  g_assert_cmpstr(t.screen_name, ==, "pat_home");
  g_assert_cmpstr(t.user_id, ==, "1790000000000000001");
  tb_oauth1_token_clear(&t);

  g_autoptr(TbHttpResponse) bad_pin =
      response_new(401, "Error processing your OAuth request: Invalid oauth_verifier parameter");
  g_assert_false(tb_oauth1_token_parse(bad_pin, FALSE, &t, &error));
  g_assert_error(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_REJECTED);
  g_assert_nonnull(strstr(error->message, "Invalid oauth_verifier"));
  g_clear_error(&error);

  g_autoptr(TbHttpResponse) bad_key =
      response_new(401, "{\"errors\":[{\"code\":32,\"message\":\"Could not authenticate you.\"}]}");
  g_assert_false(tb_oauth1_token_parse(bad_key, TRUE, &t, &error));
  g_assert_error(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_CLIENT);
  g_assert_nonnull(strstr(error->message, "Could not authenticate you."));
  g_clear_error(&error);

  g_autoptr(TbHttpResponse) colon = response_new(200, "oauth_token=a%3Ab&oauth_token_secret=s");
  g_assert_false(tb_oauth1_token_parse(colon, FALSE, &t, &error));
  g_assert_error(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_MALFORMED);
}

static void
test_oauth1_password_and_pin(void)
{
  g_autofree char *pw = tb_oauth1_password_join("1-abc", "s:e");
  g_assert_cmpstr(pw, ==, "1-abc:s:e");
  char *tok = NULL, *sec = NULL;
  g_assert_true(tb_oauth1_password_split(pw, &tok, &sec));
  g_assert_cmpstr(tok, ==, "1-abc");
  g_assert_cmpstr(sec, ==, "s:e");
  g_free(tok);
  g_free(sec);
  static const char *const bad[] = {NULL, "", "nocolon", ":sec", "tok:"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_assert_false(tb_oauth1_password_split(bad[i], &tok, &sec));
    g_assert_null(tok);
    g_assert_null(sec);
  }

  static const struct {
    const char *in, *out;
  } pins[] = {{"1234567", "1234567"},  {" 123 4567 ", "1234567"},
              {"123-4567", "1234567"}, {"", NULL},
              {"12a4", NULL},          {"https://x", NULL}};
  for (gsize i = 0; i < G_N_ELEMENTS(pins); i++) {
    g_autofree char *got = tb_oauth1_parse_pin(pins[i].in);
    g_assert_cmpstr(got, ==, pins[i].out);
  }
}

/* --- OAuth 2.0 ---------------------------------------------------------------------------- */

static void
test_authorize_url(void)
{
  g_autofree char *x = tb_oauth2_authorize_endpoint("https://api.x.com");
  g_assert_cmpstr(x, ==, "https://x.com/i/oauth2/authorize");
  g_autofree char *tw = tb_oauth2_authorize_endpoint("https://API.twitter.com/");
  g_assert_cmpstr(tw, ==, "https://twitter.com/i/oauth2/authorize");
  g_autofree char *sim = tb_oauth2_authorize_endpoint("http://127.0.0.1:4567/");
  g_assert_cmpstr(sim, ==, "http://127.0.0.1:4567/i/oauth2/authorize");

  g_autofree char *redirect = tb_oauth2_redirect_uri(8765);
  g_assert_cmpstr(redirect, ==, "http://127.0.0.1:8765/callback");
  TbOAuth2Authorize a = {.client_id = "cid&1",
                         .redirect_uri = redirect,
                         .state = "st",
                         .challenge = "ch",
                         .force_login = TRUE};
  g_autofree char *url = tb_oauth2_authorize_url("https://api.x.com", &a);
  g_assert_cmpstr(url, ==,
                  "https://x.com/i/oauth2/authorize?response_type=code&client_id=cid%261&"
                  "redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback&scope=tweet.read%"
                  "20tweet.write%20users.read%20follows.read%20dm.read%20dm.write%20offline."
                  "access&state=st&code_challenge=ch&code_challenge_method=S256&force_login="
                  "true");
  a.force_login = FALSE;
  a.scope = "users.read";
  g_autofree char *plain = tb_oauth2_authorize_url("https://api.x.com", &a);
  g_assert_null(strstr(plain, "force_login"));
  g_assert_nonnull(strstr(plain, "&scope=users.read&"));
}

static void
test_token_requests(void)
{
  g_autoptr(TbHttpRequest) code = tb_oauth2_code_request(
      "https://api.x.com", "cid", "http://127.0.0.1:8765/callback", "c+d", "ver");
  g_assert_cmpstr(code->method, ==, "POST");
  g_assert_cmpstr(code->url, ==, "https://api.x.com/2/oauth2/token");
  g_assert_cmpstr(request_header(code, "Content-Type"), ==, "application/x-www-form-urlencoded");
  g_assert_null(request_header(code, "Authorization")); /* public client: no Basic header */
  g_autofree char *cb = body_string(code);
  g_assert_cmpstr(cb, ==,
                  "code=c%2Bd&grant_type=authorization_code&client_id=cid&redirect_uri=http%3A%"
                  "2F%2F127.0.0.1%3A8765%2Fcallback&code_verifier=ver");

  g_autoptr(TbHttpRequest) refresh = tb_oauth2_refresh_request("http://127.0.0.1:9", "cid", "r");
  g_autofree char *rb = body_string(refresh);
  g_assert_cmpstr(refresh->url, ==, "http://127.0.0.1:9/2/oauth2/token");
  g_assert_cmpstr(rb, ==, "refresh_token=r&grant_type=refresh_token&client_id=cid");

  g_autoptr(TbHttpRequest) revoke =
      tb_oauth2_revoke_request("https://api.x.com", "cid", "t", "refresh_token");
  g_autofree char *vb = body_string(revoke);
  g_assert_cmpstr(revoke->url, ==, "https://api.x.com/2/oauth2/revoke");
  g_assert_cmpstr(vb, ==, "token=t&token_type_hint=refresh_token&client_id=cid");
}

static void
test_token_parse(void)
{
  TbOAuth2Token t;
  g_autoptr(GError) error = NULL;

  g_autoptr(TbHttpResponse) ok =
      response_new(200, "{\"token_type\":\"bearer\",\"expires_in\":7200,\"access_token\":\"AT\","
                        "\"scope\":\"users.read offline.access\",\"refresh_token\":\"RT\"}");
  g_assert_true(tb_oauth2_token_parse(ok, &t, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(t.access_token, ==, "AT");
  g_assert_cmpstr(t.refresh_token, ==, "RT");
  g_assert_cmpstr(t.scope, ==, "users.read offline.access");
  g_assert_cmpint(t.expires_in, ==, 7200);
  tb_oauth2_token_clear(&t);
  g_assert_null(t.access_token);

  /* no offline.access: no refresh token; no expires_in: X's two hours */
  g_autoptr(TbHttpResponse) bare =
      response_new(200, "{\"token_type\":\"Bearer\",\"access_token\":\"AT\"}");
  g_assert_true(tb_oauth2_token_parse(bare, &t, &error));
  g_assert_null(t.refresh_token);
  g_assert_cmpint(t.expires_in, ==, 7200);
  tb_oauth2_token_clear(&t);

  static const struct {
    int status;
    const char *body;
    TbOAuthError code;
    const char *text;
  } bad[] = {
      {400,
       "{\"error\":\"invalid_request\",\"error_description\":\"Value passed for the token was "
       "invalid.\"}",
       TB_OAUTH_ERROR_REJECTED, "Value passed for the token was invalid."},
      {400, "{\"error\":\"invalid_client\"}", TB_OAUTH_ERROR_CLIENT, "invalid_client"},
      {401,
       "{\"error\":\"unauthorized_client\",\"error_description\":\"Missing valid authorization "
       "header\"}",
       TB_OAUTH_ERROR_CLIENT, "Missing valid authorization header"},
      {503, "<html>down</html>", TB_OAUTH_ERROR_SERVER, "HTTP 503"},
      {200, "not json", TB_OAUTH_ERROR_MALFORMED, "no bearer access token"},
      {200, "{\"token_type\":\"mac\",\"access_token\":\"AT\"}", TB_OAUTH_ERROR_MALFORMED,
       "HTTP 200"},
      {200, "{\"access_token\":\"\"}", TB_OAUTH_ERROR_MALFORMED, "HTTP 200"},
      {200, "{\"access_token\":42}", TB_OAUTH_ERROR_MALFORMED, "HTTP 200"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(TbHttpResponse) resp = response_new(bad[i].status, bad[i].body);
    g_assert_false(tb_oauth2_token_parse(resp, &t, &error));
    g_assert_error(error, TB_OAUTH_ERROR, (gint)bad[i].code);
    g_assert_nonnull(strstr(error->message, bad[i].text));
    g_assert_null(t.access_token);
    g_clear_error(&error);
  }

  g_autoptr(TbHttpResponse) net = tb_http_response_new();
  net->outcome = TB_HTTP_FAIL_CONNECT;
  net->error = g_strdup("Connection refused");
  g_assert_false(tb_oauth2_token_parse(net, &t, &error));
  g_assert_error(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_NETWORK);
  g_assert_true(tb_oauth_error_is_transient(error));
  g_clear_error(&error);

  /* a proxy's refusal is not X's: passed on as such, and never a reason to drop a token */
  net->outcome = TB_HTTP_FAIL_PROXY_AUTH;
  g_assert_false(tb_oauth2_token_parse(net, &t, &error));
  g_assert_error(error, TB_HTTP_PROXY_ERROR, TB_HTTP_PROXY_ERROR_AUTH);
  g_assert_true(tb_oauth_error_is_transient(error));
}

static void
test_parse_redirect(void)
{
  static const struct {
    const char *text;
    const char *code; /* NULL: refused */
    TbOAuthError error;
  } cases[] = {
      {"http://127.0.0.1:8765/callback?state=S1&code=abc-123", "abc-123", 0},
      {"  http://127.0.0.1:8765/callback?code=abc&state=S1\r\n", "abc", 0},
      {"<http://127.0.0.1:8765/callback?code=abc&state=S1>", "abc", 0},
      {"\"http://127.0.0.1:8765/callback?code=a%2Db&state=S1#frag\"", "a-b", 0},
      {"127.0.0.1:8765/callback?code=abc&state=S1", "abc", 0},
      {"code=abc&state=S1", "abc", 0},
      /* the bare code: no state to check */
      {"VGhpcyBpcyBhIGNvZGU6MTY5OTAwMDAwMDAwMDoxOmFjOjE",
       "VGhpcyBpcyBhIGNvZGU6MTY5OTAwMDAwMDAwMDoxOmFjOjE", 0},
      /* refusals */
      {"http://127.0.0.1:8765/callback?state=OTHER&code=abc", NULL, TB_OAUTH_ERROR_STATE},
      {"http://127.0.0.1:8765/callback?code=abc", NULL, TB_OAUTH_ERROR_STATE},
      {"http://127.0.0.1:8765/callback?state=S1&error=access_denied", NULL, TB_OAUTH_ERROR_DENIED},
      {"http://127.0.0.1:8765/callback?state=S1", NULL, TB_OAUTH_ERROR_INPUT},
      {"http://127.0.0.1:8765/callback", NULL, TB_OAUTH_ERROR_INPUT},
      {"", NULL, TB_OAUTH_ERROR_INPUT},
      {"   ", NULL, TB_OAUTH_ERROR_INPUT},
      {"the code is abc", NULL, TB_OAUTH_ERROR_INPUT},
      {"abc\x01", NULL, TB_OAUTH_ERROR_INPUT},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *code = tb_oauth2_parse_redirect(cases[i].text, "S1", &error);
    if (cases[i].code != NULL) {
      g_assert_no_error(error);
      g_assert_cmpstr(code, ==, cases[i].code);
    } else {
      g_assert_null(code);
      g_assert_error(error, TB_OAUTH_ERROR, (gint)cases[i].error);
    }
  }
  g_autoptr(GError) error = NULL;
  g_autofree char *denied = tb_oauth2_parse_redirect(
      "http://127.0.0.1:8765/callback?error=access_denied&error_description=User+said+no", "S1",
      &error);
  g_assert_nonnull(strstr(error->message, "User said no"));
}

static void
test_form_parse(void)
{
  g_autoptr(GHashTable) f = tb_oauth_form_parse("a=1&b=x%20y+z&a=2&c&=skip&d=%zz&e=%E2%98%83");
  g_assert_cmpstr(g_hash_table_lookup(f, "a"), ==, "1");
  g_assert_cmpstr(g_hash_table_lookup(f, "b"), ==, "x y z");
  g_assert_cmpstr(g_hash_table_lookup(f, "c"), ==, "");
  g_assert_false(g_hash_table_contains(f, "d"));
  g_assert_false(g_hash_table_contains(f, ""));
  g_assert_cmpstr(g_hash_table_lookup(f, "e"), ==, "\xe2\x98\x83");
}

/* --- the oauth_port option ------------------------------------------------------------------ */

static const char *
port_string(const char *key, const char *def, gpointer user)
{
  (void)key;
  (void)user;
  return def;
}

static int
port_int(const char *key, int def, gpointer user)
{
  return strcmp(key, "oauth_port") == 0 && user != NULL ? GPOINTER_TO_INT(user) : def;
}

static void
test_oauth_port_option(void)
{
  static const TbConfigSource src = {port_string, port_int};
  TbConfig cfg;
  g_autoptr(GError) error = NULL;

  g_assert_true(tb_config_load(&cfg, &src, NULL, &error));
  g_assert_cmpint(cfg.oauth_port, ==, 8765);
  tb_config_clear(&cfg);
  static const int ok[] = {1024, 8765, 65535};
  for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
    g_assert_true(tb_config_load(&cfg, &src, GINT_TO_POINTER(ok[i]), &error));
    g_assert_cmpint(cfg.oauth_port, ==, ok[i]);
    tb_config_clear(&cfg);
  }
  static const int bad[] = {1023, 80, 65536, -1};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_assert_false(tb_config_load(&cfg, &src, GINT_TO_POINTER(bad[i]), &error));
    g_assert_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID);
    g_assert_true(g_str_has_prefix(error->message, "Account option oauth_port: "));
    g_assert_nonnull(strstr(error->message, "(1024 to 65535)")); /* a port, not seconds */
    g_clear_error(&error);
  }
}

/* The client-credentials grant (xapi.md §4): the app's bearer token for the Activity stream. */
static void
test_app_token(void)
{
  g_autoptr(TbHttpRequest) req =
      tb_oauth2_app_token_request("https://api.x.com/", "key+1", "se/cret=");
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr(req->method, ==, "POST");
  g_assert_cmpstr(req->url, ==, "https://api.x.com/oauth2/token"); /* not /2/oauth2/token */
  g_assert_cmpstr(request_header(req, "Content-Type"), ==, "application/x-www-form-urlencoded");
  gsize len = 0;
  const char *body = g_bytes_get_data(req->body, &len);
  g_assert_cmpmem(body, len, "grant_type=client_credentials", 29);
  /* each half percent-encoded before the join and the base64 */
  const char *auth = request_header(req, "Authorization");
  g_assert_true(g_str_has_prefix(auth, "Basic "));
  gsize n = 0;
  g_autofree guchar *raw = g_base64_decode(auth + 6, &n);
  g_assert_cmpmem(raw, n, "key%2B1:se%2Fcret%3D", 20);

  g_autoptr(TbHttpResponse) ok =
      response_new(200, "{\"token_type\":\"bearer\",\"access_token\":\"AAAA%2FAAA\"}");
  char *token = tb_oauth2_app_token_parse(ok, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(token, ==, "AAAA%2FAAA");
  tb_oauth_secret_free(token);

  static const struct {
    int status;
    const char *body;
    TbOAuthError code;
    const char *text;
  } bad[] = {
      {403,
       "{\"errors\":[{\"code\":99,\"label\":\"authenticity_token_error\",\"message\":"
       "\"Unable to verify your credentials\"}]}",
       TB_OAUTH_ERROR_CLIENT, "Unable to verify your credentials (HTTP 403)"},
      {401, "", TB_OAUTH_ERROR_CLIENT, "HTTP 401"},
      {503, "<html>", TB_OAUTH_ERROR_SERVER, "HTTP 503"},
      {200, "{\"access_token\":\"AT\"}", TB_OAUTH_ERROR_MALFORMED, "HTTP 200"},
      {200, "{\"token_type\":\"mac\",\"access_token\":\"AT\"}", TB_OAUTH_ERROR_MALFORMED,
       "HTTP 200"},
      {200, "{\"token_type\":\"bearer\",\"access_token\":\"\"}", TB_OAUTH_ERROR_MALFORMED,
       "HTTP 200"},
      {200, "[[[[", TB_OAUTH_ERROR_MALFORMED, "HTTP 200"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(TbHttpResponse) resp = response_new(bad[i].status, bad[i].body);
    g_assert_null(tb_oauth2_app_token_parse(resp, &error));
    g_assert_error(error, TB_OAUTH_ERROR, (gint)bad[i].code);
    g_assert_nonnull(strstr(error->message, bad[i].text));
    g_clear_error(&error);
  }
  g_autoptr(TbHttpResponse) net = tb_http_response_new();
  net->outcome = TB_HTTP_FAIL_CONNECT;
  net->error = g_strdup("Connection refused");
  g_assert_null(tb_oauth2_app_token_parse(net, &error));
  g_assert_error(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_NETWORK);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/oauth/pkce/rfc7636", test_pkce_rfc7636);
  g_test_add_func("/oauth/pkce/verifier", test_pkce_verifier);
  g_test_add_func("/oauth/pct", test_pct);
  g_test_add_func("/oauth/form-parse", test_form_parse);
  g_test_add_func("/oauth1/vector", test_oauth1_vector);
  g_test_add_func("/oauth1/base-url", test_oauth1_base_url);
  g_test_add_func("/oauth1/query-params", test_oauth1_query_params);
  g_test_add_func("/oauth1/requests", test_oauth1_requests);
  g_test_add_func("/oauth1/xapi-signs", test_xapi_signs_oauth1);
  g_test_add_func("/oauth1/token-parse", test_oauth1_token_parse);
  g_test_add_func("/oauth1/password-and-pin", test_oauth1_password_and_pin);
  g_test_add_func("/oauth2/authorize-url", test_authorize_url);
  g_test_add_func("/oauth2/token-requests", test_token_requests);
  g_test_add_func("/oauth2/token-parse", test_token_parse);
  g_test_add_func("/oauth2/app-token", test_app_token);
  g_test_add_func("/oauth2/parse-redirect", test_parse_redirect);
  g_test_add_func("/oauth2/port-option", test_oauth_port_option);
  return g_test_run();
}
