/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-oauth.h"
#include "tb-xapi.h"
#include "core/tb-form.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

GQuark
tb_oauth_error_quark(void)
{
  return g_quark_from_static_string("tb-oauth-error-quark");
}

gboolean
tb_oauth_error_is_transient(const GError *error)
{
  /* A proxy failure is never X's verdict on a token: a saved sign-in is not dropped for it. */
  if (error != NULL && error->domain == TB_HTTP_PROXY_ERROR)
    return TRUE;
  return error != NULL && error->domain == TB_OAUTH_ERROR &&
         (error->code == TB_OAUTH_ERROR_NETWORK || error->code == TB_OAUTH_ERROR_SERVER);
}

/* --- helpers ------------------------------------------------------------------------------ */

static gboolean
is_unreserved(guchar c)
{
  return g_ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static void
append_pct(GString *out, const char *s)
{
  for (const guchar *p = (const guchar *)s; *p; p++) {
    if (is_unreserved(*p))
      g_string_append_c(out, (char)*p);
    else
      g_string_append_printf(out, "%%%02X", *p);
  }
}

char *
tb_oauth_pct(const char *s)
{
  GString *out = g_string_new(NULL);
  append_pct(out, s ? s : "");
  return g_string_free(out, FALSE);
}

char *
tb_oauth_base64url(const guint8 *data, gsize len)
{
  char *b64 = g_base64_encode(data, len);
  char *w = b64;

  for (const char *r = b64; *r; r++) {
    if (*r == '=')
      continue;
    *w++ = *r == '+' ? '-' : *r == '/' ? '_' : *r;
  }
  *w = '\0';
  return b64;
}

void
tb_oauth_secret_free(char *secret)
{
  tb_secret_free(secret);
}

static gboolean
fill_random(guint8 *buf, gsize n)
{
  gsize got = 0;

  while (got < n) {
    ssize_t r = getrandom(buf + got, n - got, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += (gsize)r;
  }
  if (got == n)
    return TRUE;
  /* Kernels before 3.17 have no getrandom(). */
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += (gsize)r;
  }
  close(fd);
  return got == n;
}

char *
tb_oauth_random_string(gsize n_bytes)
{
  guint8 buf[64];

  g_return_val_if_fail(n_bytes > 0 && n_bytes <= sizeof(buf), NULL);
  if (!fill_random(buf, n_bytes))
    return NULL;
  char *out = tb_oauth_base64url(buf, n_bytes);
  memset(buf, 0, sizeof(buf));
  return out;
}

static char *
random_hex(gsize n_bytes)
{
  guint8 buf[32];
  GString *out = g_string_new(NULL);

  g_return_val_if_fail(n_bytes <= sizeof(buf), NULL);
  if (!fill_random(buf, n_bytes)) {
    g_string_free(out, TRUE);
    return NULL;
  }
  for (gsize i = 0; i < n_bytes; i++)
    g_string_append_printf(out, "%02x", buf[i]);
  return g_string_free(out, FALSE);
}

GHashTable *
tb_oauth_form_parse(const char *text)
{
  return tb_form_parse(text);
}

static TbHttpRequest *
form_request(const char *url, const char *const *pairs)
{
  TbHttpRequest *req = tb_http_request_new("POST", url);
  GString *body = g_string_new(NULL);

  for (gsize i = 0; pairs[i]; i += 2) {
    if (pairs[i + 1] == NULL)
      continue;
    if (body->len > 0)
      g_string_append_c(body, '&');
    append_pct(body, pairs[i]);
    g_string_append_c(body, '=');
    append_pct(body, pairs[i + 1]);
  }
  tb_http_request_add_header(req, "Accept", "application/json");
  tb_http_request_set_body(req, "application/x-www-form-urlencoded", body->str, body->len);
  tb_oauth_secret_free(g_string_free(body, FALSE));
  return req;
}

static char *
body_text(const TbHttpResponse *resp)
{
  gsize len = 0;
  const char *data = g_bytes_get_data(resp->body, &len);
  return g_strndup(data ? data : "", len);
}

/* --- OAuth 2.0 ---------------------------------------------------------------------------- */

char *
tb_oauth2_pkce_verifier(void)
{
  return tb_oauth_random_string(32);
}

char *
tb_oauth2_pkce_challenge(const char *verifier)
{
  guint8 digest[32];
  gsize len = sizeof(digest);
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);

  g_checksum_update(sum, (const guchar *)verifier, (gssize)strlen(verifier));
  g_checksum_get_digest(sum, digest, &len);
  return tb_oauth_base64url(digest, len);
}

/* X's own API hosts send the browser to X's web site (xapi.md §3.1); any other base is a test
 * server that serves the page itself. */
static const struct {
  const char *api_host, *authorize;
} authorize_hosts[] = {
    {"api.x.com", "https://x.com/i/oauth2/authorize"},
    {"api.twitter.com", "https://twitter.com/i/oauth2/authorize"},
};

char *
tb_oauth2_authorize_endpoint(const char *api_base)
{
  g_autoptr(GUri) uri = g_uri_parse(api_base, G_URI_FLAGS_NONE, NULL);
  const char *host = uri ? g_uri_get_host(uri) : NULL;

  for (gsize i = 0; host && i < G_N_ELEMENTS(authorize_hosts); i++) {
    if (g_ascii_strcasecmp(host, authorize_hosts[i].api_host) == 0)
      return g_strdup(authorize_hosts[i].authorize);
  }
  g_autofree char *base = g_strdup(api_base);
  gsize n = strlen(base);
  while (n > 0 && base[n - 1] == '/')
    base[--n] = '\0';
  return g_strconcat(base, "/i/oauth2/authorize", NULL);
}

char *
tb_oauth2_redirect_uri(int port)
{
  return g_strdup_printf("http://127.0.0.1:%d/callback", port);
}

static void
append_query(GString *url, char *sep, const char *name, const char *value)
{
  g_string_append_c(url, *sep);
  append_pct(url, name);
  g_string_append_c(url, '=');
  append_pct(url, value);
  *sep = '&';
}

char *
tb_oauth2_authorize_url(const char *api_base, const TbOAuth2Authorize *a)
{
  g_autofree char *endpoint = tb_oauth2_authorize_endpoint(api_base);
  GString *url = g_string_new(endpoint);
  char sep = '?';

  append_query(url, &sep, "response_type", "code");
  append_query(url, &sep, "client_id", a->client_id);
  append_query(url, &sep, "redirect_uri", a->redirect_uri);
  append_query(url, &sep, "scope", a->scope ? a->scope : TB_OAUTH2_SCOPES);
  append_query(url, &sep, "state", a->state);
  append_query(url, &sep, "code_challenge", a->challenge);
  append_query(url, &sep, "code_challenge_method", "S256");
  if (a->force_login) {
    /* Documented only for OAuth 1.0a (xapi.md §3.2) and probably ignored here; harmless either
     * way. The check that matters is /2/users/me. No OpenID prompt=login on top: the URL must
     * stay short enough for one IRC line in BitlBee. */
    append_query(url, &sep, "force_login", "true");
  }
  return g_string_free(url, FALSE);
}

static gboolean
is_code_text(const char *s)
{
  gsize n = 0;
  for (; s[n]; n++) {
    if (!is_unreserved((guchar)s[n]))
      return FALSE;
  }
  return n > 0 && n <= 2048;
}

char *
tb_oauth2_parse_redirect(const char *text, const char *expected_state, GError **error)
{
  g_autofree char *t = g_strstrip(g_strdup(text ? text : ""));
  char *s = t;
  gsize n = strlen(s);

  /* IRC clients and mail programs like to wrap addresses in <> or quotes. */
  if (n >= 2 && ((s[0] == '<' && s[n - 1] == '>') || (s[0] == '"' && s[n - 1] == '"') ||
                 (s[0] == '\'' && s[n - 1] == '\''))) {
    s[n - 1] = '\0';
    s = g_strstrip(s + 1);
  }
  if (*s == '\0') {
    g_set_error(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_INPUT, _("nothing was pasted"));
    return NULL;
  }

  const char *query = NULL;
  const char *qmark = strchr(s, '?');
  if (qmark != NULL)
    query = qmark + 1;
  else if (g_str_has_prefix(s, "code=") || g_str_has_prefix(s, "state=") ||
           strstr(s, "&code=") != NULL)
    query = s;
  else if (strstr(s, "://") != NULL) {
    g_set_error(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_INPUT,
                _("that address has no code in it: paste the whole address your browser shows "
                  "after you authorize the app"));
    return NULL;
  }

  if (query == NULL) {
    if (!is_code_text(s)) {
      g_set_error(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_INPUT,
                  _("that is neither the address your browser went to nor a code"));
      return NULL;
    }
    return g_strdup(s); /* a bare code carries no state; PKCE still binds it to this sign-in */
  }

  g_autofree char *q = g_strndup(query, strcspn(query, "#"));
  g_autoptr(GHashTable) form = tb_oauth_form_parse(q);
  const char *err = g_hash_table_lookup(form, "error");
  const char *code = g_hash_table_lookup(form, "code");
  const char *state = g_hash_table_lookup(form, "state");

  if (err != NULL) {
    const char *desc = g_hash_table_lookup(form, "error_description");
    g_set_error(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_DENIED, _("X did not authorize the app: %s"),
                desc ? desc : err);
    return NULL;
  }
  if (code == NULL || *code == '\0') {
    g_set_error(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_INPUT,
                _("that address has no code in it: paste the whole address your browser shows "
                  "after you authorize the app"));
    return NULL;
  }
  if (expected_state != NULL && g_strcmp0(state, expected_state) != 0) {
    g_set_error(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_STATE,
                _("that address belongs to another sign-in (its state does not match); use the "
                  "newest link"));
    return NULL;
  }
  return g_strdup(code);
}

static char *
endpoint_url(const char *api_base, const char *path)
{
  g_autofree char *base = g_strdup(api_base);
  gsize n = strlen(base);
  while (n > 0 && base[n - 1] == '/')
    base[--n] = '\0';
  return g_strconcat(base, path, NULL);
}

TbHttpRequest *
tb_oauth2_code_request(const char *api_base, const char *client_id, const char *redirect_uri,
                       const char *code, const char *verifier)
{
  g_autofree char *url = endpoint_url(api_base, "/2/oauth2/token");
  /* A public client names itself in the body; no Basic header (xapi.md §3.1). */
  const char *pairs[] = {"code",    code,           "grant_type", "authorization_code", "client_id",
                         client_id, "redirect_uri", redirect_uri, "code_verifier",      verifier,
                         NULL};
  return form_request(url, pairs);
}

TbHttpRequest *
tb_oauth2_refresh_request(const char *api_base, const char *client_id, const char *refresh_token)
{
  g_autofree char *url = endpoint_url(api_base, "/2/oauth2/token");
  const char *pairs[] = {"refresh_token", refresh_token, "grant_type", "refresh_token",
                         "client_id",     client_id,     NULL};
  return form_request(url, pairs);
}

TbHttpRequest *
tb_oauth2_revoke_request(const char *api_base, const char *client_id, const char *token,
                         const char *hint)
{
  g_autofree char *url = endpoint_url(api_base, "/2/oauth2/revoke");
  const char *pairs[] = {"token", token, "token_type_hint", hint, "client_id", client_id, NULL};
  return form_request(url, pairs);
}

static JsonObject *
parse_object(const TbHttpResponse *resp, JsonParser *parser)
{
  gsize len = 0;
  const char *data = g_bytes_get_data(resp->body, &len);

  if (len == 0 || !tb_xapi_json_load(parser, data, len, NULL))
    return NULL;
  JsonNode *root = json_parser_get_root(parser);
  return root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
}

static const char *
json_str(JsonObject *obj, const char *name)
{
  JsonNode *node = obj ? json_object_get_member(obj, name) : NULL;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
      json_node_get_value_type(node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string(node);
}

static gboolean
json_int(JsonObject *obj, const char *name, gint64 *out)
{
  JsonNode *node = obj ? json_object_get_member(obj, name) : NULL;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE(node))
    return FALSE;
  if (json_node_get_value_type(node) == G_TYPE_INT64) {
    *out = json_node_get_int(node);
    return TRUE;
  }
  if (json_node_get_value_type(node) == G_TYPE_STRING)
    return g_ascii_string_to_signed(json_node_get_string(node), 10, 0, G_MAXINT32, out, NULL);
  return FALSE;
}

/* Status to error code for the token endpoints. */
static TbOAuthError
status_code(int status, gboolean client_on_401)
{
  if (status >= 500 || status == 429)
    return TB_OAUTH_ERROR_SERVER;
  if (status == 403 || (status == 401 && client_on_401))
    return TB_OAUTH_ERROR_CLIENT;
  return TB_OAUTH_ERROR_REJECTED;
}

static gboolean
transport_failed(const TbHttpResponse *resp, GError **error)
{
  if (resp->outcome == TB_HTTP_OK)
    return FALSE;
  if (tb_http_response_proxy_error(resp, error))
    return TRUE;
  g_set_error(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_NETWORK, _("could not reach X: %s"),
              resp->error ? resp->error : _("unknown network error"));
  return TRUE;
}

gboolean
tb_oauth2_token_parse(const TbHttpResponse *resp, TbOAuth2Token *out, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new();

  memset(out, 0, sizeof(*out));
  if (transport_failed(resp, error))
    return FALSE;
  JsonObject *obj = parse_object(resp, parser);

  if (resp->status < 200 || resp->status >= 300) {
    const char *err = json_str(obj, "error");
    const char *desc = json_str(obj, "error_description");
    TbOAuthError code = status_code(resp->status, TRUE);
    if (g_strcmp0(err, "invalid_client") == 0 || g_strcmp0(err, "unauthorized_client") == 0)
      code = TB_OAUTH_ERROR_CLIENT;
    g_set_error(error, TB_OAUTH_ERROR, code, "%s (%s, HTTP %d)",
                desc ? desc : _("X refused the sign-in"), err ? err : _("no reason given"),
                resp->status);
    return FALSE;
  }

  const char *access = json_str(obj, "access_token");
  const char *type = json_str(obj, "token_type");
  if (access == NULL || *access == '\0' || (type && g_ascii_strcasecmp(type, "bearer") != 0)) {
    g_set_error(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_MALFORMED,
                _("X's token answer has no bearer access token (HTTP %d)"), resp->status);
    return FALSE;
  }
  const char *refresh = json_str(obj, "refresh_token");
  gint64 expires = 7200; /* X's documented lifetime when the answer does not say */
  if (json_int(obj, "expires_in", &expires) && expires < 1)
    expires = 1;
  out->access_token = g_strdup(access);
  out->refresh_token = refresh && *refresh ? g_strdup(refresh) : NULL;
  out->scope = g_strdup(json_str(obj, "scope"));
  out->expires_in = expires;
  return TRUE;
}

void
tb_oauth2_token_clear(TbOAuth2Token *token)
{
  tb_oauth_secret_free(token->access_token);
  tb_oauth_secret_free(token->refresh_token);
  g_free(token->scope);
  memset(token, 0, sizeof(*token));
}

/* --- OAuth 2.0 client credentials ------------------------------------------------------------
 */

TbHttpRequest *
tb_oauth2_app_token_request(const char *api_base, const char *consumer_key,
                            const char *consumer_secret)
{
  g_autofree char *url = endpoint_url(api_base, "/oauth2/token");
  const char *pairs[] = {"grant_type", "client_credentials", NULL};
  TbHttpRequest *req = form_request(url, pairs);
  GString *cred = g_string_new(NULL);

  append_pct(cred, consumer_key ? consumer_key : "");
  g_string_append_c(cred, ':');
  append_pct(cred, consumer_secret ? consumer_secret : "");
  char *b64 = g_base64_encode((const guchar *)cred->str, cred->len);
  char *value = g_strconcat("Basic ", b64, NULL);
  tb_http_request_add_header(req, "Authorization", value);
  /* every copy of the secret is wiped, not just freed */
  tb_oauth_secret_free(value);
  tb_oauth_secret_free(b64);
  tb_oauth_secret_free(g_string_free(cred, FALSE));
  return req;
}

char *
tb_oauth2_app_token_parse(const TbHttpResponse *resp, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new();

  if (transport_failed(resp, error))
    return NULL;
  JsonObject *obj = parse_object(resp, parser);
  if (resp->status < 200 || resp->status >= 300) {
    /* X answers a wrong key or secret with 403 {"errors":[{"code":99,"message":...}]} */
    JsonArray *errors = tb_xapi_json_array(obj, "errors");
    JsonNode *first =
        errors && json_array_get_length(errors) > 0 ? json_array_get_element(errors, 0) : NULL;
    const char *message = first && JSON_NODE_HOLDS_OBJECT(first)
                              ? json_str(json_node_get_object(first), "message")
                              : NULL;
    const char *desc = json_str(obj, "error_description");
    g_set_error(error, TB_OAUTH_ERROR, status_code(resp->status, TRUE), "%s (HTTP %d)",
                message ? message
                : desc  ? desc
                        : _("X refused the app's key and secret"),
                resp->status);
    return NULL;
  }
  const char *access = json_str(obj, "access_token");
  const char *type = json_str(obj, "token_type");
  if (access == NULL || *access == '\0' || type == NULL ||
      g_ascii_strcasecmp(type, "bearer") != 0 || strlen(access) > 4096) {
    g_set_error(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_MALFORMED,
                _("X's token answer has no bearer access token (HTTP %d)"), resp->status);
    return NULL;
  }
  return g_strdup(access);
}

/* --- OAuth 1.0a --------------------------------------------------------------------------- */

/* scheme://host[:port]/path with scheme and host in lower case and the default port dropped
 * (RFC 5849 §3.4.1.2); the path stays as sent. */
static char *
base_url(const char *url)
{
  g_autofree char *u = g_strndup(url, strcspn(url, "?#"));
  const char *sep = strstr(u, "://");

  if (sep == NULL)
    return g_steal_pointer(&u);
  g_autofree char *scheme = g_ascii_strdown(u, sep - u);
  const char *auth = sep + 3;
  gsize auth_len = strcspn(auth, "/");
  g_autofree char *authority = g_ascii_strdown(auth, (gssize)auth_len);
  const char *path = auth[auth_len] ? auth + auth_len : "/";
  char *colon = strrchr(authority, ':');

  if (colon != NULL && strchr(colon, ']') == NULL &&
      ((strcmp(scheme, "http") == 0 && strcmp(colon, ":80") == 0) ||
       (strcmp(scheme, "https") == 0 && strcmp(colon, ":443") == 0)))
    *colon = '\0';
  return g_strconcat(scheme, "://", authority, path, NULL);
}

typedef struct {
  char *name, *value; /* both percent-encoded */
} TbParam;

static int
param_cmp(gconstpointer a, gconstpointer b)
{
  const TbParam *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c != 0 ? c : strcmp(x->value, y->value);
}

static void
param_add(GArray *params, const char *name, const char *value)
{
  TbParam p = {tb_oauth_pct(name), tb_oauth_pct(value)};
  g_array_append_val(params, p);
}

static void
param_clear(gpointer data)
{
  TbParam *p = data;
  g_free(p->name);
  tb_oauth_secret_free(p->value);
}

/* The oauth_* parameters of one request except the signature, as (name, value) pairs. */
static void
oauth_params(GArray *params, const TbOAuth1Params *p, const char *nonce, const char *timestamp)
{
  param_add(params, "oauth_consumer_key", p->consumer_key);
  param_add(params, "oauth_nonce", nonce);
  param_add(params, "oauth_signature_method", "HMAC-SHA1");
  param_add(params, "oauth_timestamp", timestamp);
  if (p->token != NULL && *p->token != '\0')
    param_add(params, "oauth_token", p->token);
  param_add(params, "oauth_version", "1.0");
  if (p->callback != NULL)
    param_add(params, "oauth_callback", p->callback);
  if (p->verifier != NULL)
    param_add(params, "oauth_verifier", p->verifier);
}

char *
tb_oauth1_base_string(const char *method, const char *url, const char *const *form,
                      const TbOAuth1Params *p, const char *nonce, const char *timestamp)
{
  g_autoptr(GArray) params = g_array_new(FALSE, FALSE, sizeof(TbParam));
  const char *q = strchr(url, '?');

  g_array_set_clear_func(params, param_clear);
  if (q != NULL) {
    g_autofree char *query = g_strndup(q + 1, strcspn(q + 1, "#"));
    g_autoptr(GPtrArray) pairs = tb_form_pairs(query);
    for (guint i = 0; i + 1 < pairs->len; i += 2)
      param_add(params, pairs->pdata[i], pairs->pdata[i + 1]);
  }
  for (gsize i = 0; form && form[i]; i += 2)
    param_add(params, form[i], form[i + 1] ? form[i + 1] : "");
  oauth_params(params, p, nonce, timestamp);
  g_array_sort(params, param_cmp);

  GString *pstr = g_string_new(NULL);
  for (guint i = 0; i < params->len; i++) {
    TbParam *pp = &g_array_index(params, TbParam, i);
    g_string_append_printf(pstr, "%s%s=%s", i ? "&" : "", pp->name, pp->value);
  }
  g_autofree char *upper = g_ascii_strup(method, -1);
  g_autofree char *base = base_url(url);
  GString *out = g_string_new(upper);
  g_string_append_c(out, '&');
  append_pct(out, base);
  g_string_append_c(out, '&');
  append_pct(out, pstr->str);
  tb_oauth_secret_free(g_string_free(pstr, FALSE));
  return g_string_free(out, FALSE);
}

char *
tb_oauth1_signature(const char *base, const char *consumer_secret, const char *token_secret)
{
  GString *key = g_string_new(NULL);
  guint8 digest[20];
  gsize len = sizeof(digest);

  append_pct(key, consumer_secret ? consumer_secret : "");
  g_string_append_c(key, '&');
  append_pct(key, token_secret ? token_secret : "");
  GHmac *hmac = g_hmac_new(G_CHECKSUM_SHA1, (const guchar *)key->str, key->len);
  g_hmac_update(hmac, (const guchar *)base, (gssize)strlen(base));
  g_hmac_get_digest(hmac, digest, &len);
  g_hmac_unref(hmac);
  tb_oauth_secret_free(g_string_free(key, FALSE));
  return g_base64_encode(digest, len);
}

char *
tb_oauth1_authorization(const char *method, const char *url, const char *const *form,
                        const TbOAuth1Params *p)
{
  g_autofree char *nonce = p->nonce ? g_strdup(p->nonce) : random_hex(16);
  gint64 ts = p->timestamp ? p->timestamp : g_get_real_time() / G_USEC_PER_SEC;
  g_autofree char *timestamp = g_strdup_printf("%" G_GINT64_FORMAT, ts);

  if (nonce == NULL)
    return NULL;
  g_autofree char *base = tb_oauth1_base_string(method, url, form, p, nonce, timestamp);
  g_autofree char *signature = tb_oauth1_signature(base, p->consumer_secret, p->token_secret);
  g_autoptr(GArray) params = g_array_new(FALSE, FALSE, sizeof(TbParam));

  g_array_set_clear_func(params, param_clear);
  oauth_params(params, p, nonce, timestamp);
  param_add(params, "oauth_signature", signature);
  g_array_sort(params, param_cmp);

  GString *out = g_string_new("OAuth ");
  for (guint i = 0; i < params->len; i++) {
    TbParam *pp = &g_array_index(params, TbParam, i);
    g_string_append_printf(out, "%s%s=\"%s\"", i ? ", " : "", pp->name, pp->value);
  }
  return g_string_free(out, FALSE);
}

static TbHttpRequest *
signed_post(const char *url, const TbOAuth1Params *p)
{
  g_autofree char *auth = tb_oauth1_authorization("POST", url, NULL, p);
  if (auth == NULL)
    return NULL;
  TbHttpRequest *req = tb_http_request_new("POST", url);
  tb_http_request_add_header(req, "Authorization", auth);
  tb_oauth_secret_free(g_steal_pointer(&auth));
  return req;
}

TbHttpRequest *
tb_oauth1_request_token_request(const char *api_base, const char *consumer_key,
                                const char *consumer_secret)
{
  g_autofree char *url = endpoint_url(api_base, "/oauth/request_token");
  TbOAuth1Params p = {
      .consumer_key = consumer_key, .consumer_secret = consumer_secret, .callback = "oob"};
  return signed_post(url, &p);
}

char *
tb_oauth1_authorize_url(const char *api_base, const char *request_token, const char *screen_name)
{
  g_autofree char *endpoint = endpoint_url(api_base, "/oauth/authorize");
  GString *url = g_string_new(endpoint);
  char sep = '?';

  append_query(url, &sep, "oauth_token", request_token);
  append_query(url, &sep, "force_login", "true");
  if (screen_name != NULL && *screen_name != '\0')
    append_query(url, &sep, "screen_name", screen_name);
  return g_string_free(url, FALSE);
}

TbHttpRequest *
tb_oauth1_access_token_request(const char *api_base, const char *consumer_key,
                               const char *consumer_secret, const char *request_token,
                               const char *request_secret, const char *pin)
{
  g_autofree char *url = endpoint_url(api_base, "/oauth/access_token");
  TbOAuth1Params p = {.consumer_key = consumer_key,
                      .consumer_secret = consumer_secret,
                      .token = request_token,
                      .token_secret = request_secret,
                      .verifier = pin};
  return signed_post(url, &p);
}

/* X's legacy error body ({"errors":[{"message":…}]}) or its first line of plain text. */
static char *
legacy_error_text(const TbHttpResponse *resp)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *obj = parse_object(resp, parser);
  JsonNode *errors = obj ? json_object_get_member(obj, "errors") : NULL;

  if (errors && JSON_NODE_HOLDS_ARRAY(errors) &&
      json_array_get_length(json_node_get_array(errors)) > 0) {
    JsonNode *first = json_array_get_element(json_node_get_array(errors), 0);
    if (JSON_NODE_HOLDS_OBJECT(first) && json_str(json_node_get_object(first), "message"))
      return g_strdup(json_str(json_node_get_object(first), "message"));
  }
  g_autofree char *text = body_text(resp);
  g_strstrip(text);
  text[strcspn(text, "\r\n")] = '\0';
  if (*text == '\0' || !g_utf8_validate(text, -1, NULL) || text[0] == '<')
    return NULL;
  return g_utf8_substring(text, 0, MIN(g_utf8_strlen(text, -1), 200));
}

gboolean
tb_oauth1_token_parse(const TbHttpResponse *resp, gboolean want_confirmed, TbOAuth1Token *out,
                      GError **error)
{
  memset(out, 0, sizeof(*out));
  if (transport_failed(resp, error))
    return FALSE;
  if (resp->status < 200 || resp->status >= 300) {
    g_autofree char *why = legacy_error_text(resp);
    /* At request_token a 401 is the consumer key or secret; at access_token, the PIN. */
    g_set_error(error, TB_OAUTH_ERROR, status_code(resp->status, want_confirmed), "%s (HTTP %d)",
                why ? why : _("X refused the sign-in"), resp->status);
    return FALSE;
  }

  g_autofree char *body = body_text(resp);
  g_autoptr(GHashTable) form = tb_oauth_form_parse(body);
  tb_oauth_secret_free(g_steal_pointer(&body));
  const char *token = g_hash_table_lookup(form, "oauth_token");
  const char *secret = g_hash_table_lookup(form, "oauth_token_secret");

  if (token == NULL || *token == '\0' || secret == NULL || *secret == '\0' ||
      strchr(token, ':') != NULL) {
    g_set_error(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_MALFORMED,
                _("X's answer has no usable oauth_token and oauth_token_secret (HTTP %d)"),
                resp->status);
    return FALSE;
  }
  if (want_confirmed &&
      g_strcmp0(g_hash_table_lookup(form, "oauth_callback_confirmed"), "true") != 0) {
    g_set_error(error, TB_OAUTH_ERROR, TB_OAUTH_ERROR_MALFORMED,
                _("X did not confirm the PIN (oob) callback"));
    return FALSE;
  }
  out->token = g_strdup(token);
  out->secret = g_strdup(secret);
  out->screen_name = g_strdup(g_hash_table_lookup(form, "screen_name"));
  out->user_id = g_strdup(g_hash_table_lookup(form, "user_id"));
  return TRUE;
}

void
tb_oauth1_token_clear(TbOAuth1Token *token)
{
  tb_oauth_secret_free(token->token);
  tb_oauth_secret_free(token->secret);
  g_free(token->screen_name);
  g_free(token->user_id);
  memset(token, 0, sizeof(*token));
}

char *
tb_oauth1_password_join(const char *token, const char *secret)
{
  return g_strconcat(token, ":", secret, NULL);
}

gboolean
tb_oauth1_password_split(const char *password, char **token, char **secret)
{
  const char *colon = password ? strchr(password, ':') : NULL;

  *token = *secret = NULL;
  if (colon == NULL || colon == password || colon[1] == '\0')
    return FALSE;
  *token = g_strndup(password, colon - password);
  *secret = g_strdup(colon + 1);
  return TRUE;
}

char *
tb_oauth1_parse_pin(const char *text)
{
  GString *pin = g_string_new(NULL);

  for (const char *p = text ? text : ""; *p; p++) {
    if (*p == ' ' || *p == '\t' || *p == '-')
      continue;
    if (!g_ascii_isdigit(*p) || pin->len >= 16) {
      g_string_free(pin, TRUE);
      return NULL;
    }
    g_string_append_c(pin, *p);
  }
  if (pin->len == 0) {
    g_string_free(pin, TRUE);
    return NULL;
  }
  return g_string_free(pin, FALSE);
}
