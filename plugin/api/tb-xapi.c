/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-xapi.h"
#include "tb-oauth.h"
#include "core/tb-bounds.h"
#include "core/tb-endpoint.h"
#include "core/tb-ids.h"
#include "core/tb-json-guard.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* The quark's name is a string: its hyphens are not subtractions. */
/* clang-format off */
G_DEFINE_QUARK(tb-xapi-error-quark, tb_xapi_error)
/* clang-format on */

gboolean
tb_xapi_error_is_transient(const GError *error)
{
  if (error != NULL && error->domain == TB_HTTP_PROXY_ERROR)
    return TRUE; /* not X's verdict; the connection reports it (tb-proxy.c) */
  return error != NULL && error->domain == TB_XAPI_ERROR &&
         (error->code == TB_XAPI_ERROR_NETWORK || error->code == TB_XAPI_ERROR_SERVER ||
          error->code == TB_XAPI_ERROR_RATE_LIMITED || error->code == TB_XAPI_ERROR_MALFORMED);
}

static gint64
header_int(const TbHttpResponse *resp, const char *name, gboolean *ok)
{
  const char *v = tb_http_response_header(resp, name);
  gint64 n = 0;

  if (v == NULL || !g_ascii_string_to_signed(v, 10, 0, G_MAXINT64, &n, NULL))
    *ok = FALSE;
  return n;
}

void
tb_xapi_limit_read(const TbHttpResponse *resp, const char *prefix, TbXapiRateLimit *out)
{
  gboolean ok = TRUE;
  g_autofree char *limit = g_strconcat(prefix, "-limit", NULL);
  g_autofree char *remaining = g_strconcat(prefix, "-remaining", NULL);
  g_autofree char *reset = g_strconcat(prefix, "-reset", NULL);

  out->limit = header_int(resp, limit, &ok);
  out->remaining = header_int(resp, remaining, &ok);
  out->reset = header_int(resp, reset, &ok);
  out->known = ok;
}

void
tb_xapi_rate_limit_read(const TbHttpResponse *resp, TbXapiRateLimit *out)
{
  tb_xapi_limit_read(resp, "x-rate-limit", out);
}

gboolean
tb_xapi_id_is_valid(const char *id)
{
  return tb_ids_is_x_id(id);
}

char *
tb_xapi_url(const char *api_base, const char *path, const char *const *query)
{
  GString *url = g_string_new(api_base);
  char sep = '?';

  g_string_append(url, path);
  for (gsize i = 0; query && query[i]; i += 2) {
    if (query[i + 1] == NULL)
      continue;
    g_string_append_c(url, sep);
    g_string_append_uri_escaped(url, query[i], NULL, FALSE);
    g_string_append_c(url, '=');
    g_string_append_uri_escaped(url, query[i + 1], NULL, FALSE);
    sep = '&';
  }
  return g_string_free(url, FALSE);
}

TbHttpRequest *
tb_xapi_request(const TbXapiAuth *auth, const char *method, const char *api_base, const char *path,
                const char *const *query)
{
  g_autofree char *url = tb_xapi_url(api_base, path, query);
  TbHttpRequest *req = tb_http_request_new(method, url);

  if (auth->kind == TB_XAPI_AUTH_BEARER) {
    g_autofree char *value = g_strconcat("Bearer ", auth->token, NULL);
    tb_http_request_add_header(req, "Authorization", value);
  } else if (auth->token && auth->token_secret && auth->consumer_key && auth->consumer_secret) {
    /* Signed here, with the final URL and query; a JSON body set later is never signed. */
    TbOAuth1Params p = {.consumer_key = auth->consumer_key,
                        .consumer_secret = auth->consumer_secret,
                        .token = auth->token,
                        .token_secret = auth->token_secret};
    g_autofree char *value = tb_oauth1_authorization(method, url, NULL, &p);
    if (value != NULL)
      tb_http_request_add_header(req, "Authorization", value);
  }
  tb_http_request_add_header(req, "Accept", "application/json");
  return req;
}

void
tb_xapi_auth_clear(TbXapiAuth *auth)
{
  tb_oauth_secret_free(g_steal_pointer(&auth->token));
  tb_oauth_secret_free(g_steal_pointer(&auth->token_secret));
  g_clear_pointer(&auth->consumer_key, g_free);
  tb_oauth_secret_free(g_steal_pointer(&auth->consumer_secret));
}

void
tb_xapi_request_set_json(TbHttpRequest *req, JsonNode *body)
{
  gsize len = 0;
  g_autofree char *text = json_to_string(body, FALSE);

  len = strlen(text);
  tb_http_request_set_body(req, "application/json", text, len);
}

/* What each status means to the plugin; the detail text comes from X's body when it has one.
 * The fallbacks are translated where they are used (the messages X writes are not). */
static const struct {
  int status;
  TbXapiError code;
  const char *fallback;
} status_map[] = {
    {400, TB_XAPI_ERROR_INVALID, N_("X rejected the request")},
    {401, TB_XAPI_ERROR_UNAUTHORIZED, N_("X did not accept the sign-in token")},
    {402, TB_XAPI_ERROR_PAYMENT, N_("the X developer account is out of credits")},
    {403, TB_XAPI_ERROR_FORBIDDEN, N_("X does not allow this")},
    {404, TB_XAPI_ERROR_NOT_FOUND, N_("not found on X")},
    {429, TB_XAPI_ERROR_RATE_LIMITED, N_("X rate limit reached")},
};

/* errors[0].message: all the text of a legacy body, and the useful part of an invalid-request. */
static const char *
first_error_message(JsonObject *obj)
{
  JsonArray *errors = tb_xapi_json_array(obj, "errors");
  JsonNode *first =
      errors && json_array_get_length(errors) > 0 ? json_array_get_element(errors, 0) : NULL;

  if (first == NULL || !JSON_NODE_HOLDS_OBJECT(first))
    return NULL;
  return tb_xapi_json_string(json_node_get_object(first), "message");
}

/* The body comes off the network: typed lookups only, since json-glib's *_with_default getters
 * raise a g_critical on a member of another type. */
static char *
problem_text(JsonNode *root)
{
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
    return NULL;
  JsonObject *obj = json_node_get_object(root);
  const char *detail = tb_xapi_json_string(obj, "detail");
  const char *title = tb_xapi_json_string(obj, "title");
  const char *first = first_error_message(obj);
  g_autofree char *text = NULL;

  if (detail && title && strcmp(detail, title) != 0)
    text = g_strdup_printf("%s: %s", title, detail);
  else if (detail || title)
    text = g_strdup(detail ? detail : title);
  else
    return g_strdup(first); /* Legacy v1.1 shape: {"errors":[{"code":88,"message":"..."}]} */
  /* An invalid-request names the parameter at fault only in errors[]. */
  return first ? g_strdup_printf("%s (%s)", text, first) : g_steal_pointer(&text);
}

static TbXapiError
refine_code(TbXapiError code, JsonNode *root)
{
  if (code != TB_XAPI_ERROR_RATE_LIMITED || root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
    return code;
  const char *type = tb_xapi_json_string(json_node_get_object(root), "type");
  /* A monthly cap also answers 429, but waiting for the window reset will not help. */
  return type && g_str_has_suffix(type, "/usage-capped") ? TB_XAPI_ERROR_USAGE_CAPPED : code;
}

gboolean
tb_xapi_json_load(JsonParser *parser, const char *data, gsize len, GError **error)
{
  return tb_json_guard_check(data, len, TB_JSON_GUARD_MAX_DEPTH, error) &&
         json_parser_load_from_data(parser, data, (gssize)len, error);
}

static JsonNode *
parse_body(const TbHttpResponse *resp, GError **error)
{
  gsize len = 0;
  const char *data = g_bytes_get_data(resp->body, &len);
  g_autoptr(JsonParser) parser = json_parser_new();

  if (len == 0 || !tb_xapi_json_load(parser, data, len, error))
    return NULL;
  JsonNode *root = json_parser_get_root(parser);
  return root ? json_node_copy(root) : NULL;
}

TbXapiSendFate
tb_xapi_send_fate(const TbHttpResponse *resp)
{
  if (resp == NULL)
    return TB_XAPI_SEND_REFUSED; /* never handed to the network */
  switch (resp->outcome) {
  case TB_HTTP_FAIL_CONNECT:
  case TB_HTTP_FAIL_TLS:
  case TB_HTTP_FAIL_POLICY:
  case TB_HTTP_FAIL_PROXY_AUTH:
  case TB_HTTP_FAIL_PROXY:
    return TB_XAPI_SEND_REFUSED; /* no request reached X */
  case TB_HTTP_OK:
    return resp->status >= 400 && resp->status < 500 ? TB_XAPI_SEND_REFUSED : TB_XAPI_SEND_UNKNOWN;
  case TB_HTTP_FAIL_TIMEOUT:
  case TB_HTTP_FAIL_TOO_LARGE:
  case TB_HTTP_FAIL_PROTOCOL:
  default:
    return TB_XAPI_SEND_UNKNOWN;
  }
}

JsonNode *
tb_xapi_response_parse(const TbHttpResponse *resp, GError **error)
{
  if (tb_http_response_proxy_error(resp, error))
    return NULL;
  if (resp->outcome == TB_HTTP_FAIL_TLS || resp->outcome == TB_HTTP_FAIL_POLICY) {
    g_set_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_TLS, _("no secure connection to X: %s"),
                resp->error ? resp->error : _("certificate not trusted"));
    return NULL;
  }
  if (resp->outcome != TB_HTTP_OK) {
    g_set_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_NETWORK, _("could not reach X: %s"),
                resp->error ? resp->error : _("unknown network error"));
    return NULL;
  }

  g_autoptr(GError) parse_error = NULL;
  JsonNode *root = parse_body(resp, &parse_error);

  if (resp->status >= 200 && resp->status < 300) {
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
      g_set_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_MALFORMED,
                  _("X sent an unreadable answer (HTTP %d): %s"), resp->status,
                  parse_error ? parse_error->message : _("not a JSON object"));
      g_clear_pointer(&root, json_node_unref);
      return NULL;
    }
    return root;
  }

  TbXapiError code = resp->status >= 500 ? TB_XAPI_ERROR_SERVER : TB_XAPI_ERROR_OTHER;
  const char *fallback = _("X answered with an error");
  for (gsize i = 0; i < G_N_ELEMENTS(status_map); i++) {
    if (status_map[i].status == resp->status) {
      code = status_map[i].code;
      fallback = _(status_map[i].fallback);
    }
  }
  code = refine_code(code, root);
  g_autofree char *text = problem_text(root);
  g_set_error(error, TB_XAPI_ERROR, code, "%s (HTTP %d)", text ? text : fallback, resp->status);
  g_clear_pointer(&root, json_node_unref);
  return NULL;
}

JsonObject *
tb_xapi_json_object(JsonObject *obj, const char *name)
{
  JsonNode *node = obj ? json_object_get_member(obj, name) : NULL;
  return node && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

JsonArray *
tb_xapi_json_array(JsonObject *obj, const char *name)
{
  JsonNode *node = obj ? json_object_get_member(obj, name) : NULL;
  return node && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;
}

const char *
tb_xapi_json_string(JsonObject *obj, const char *name)
{
  JsonNode *node = obj ? json_object_get_member(obj, name) : NULL;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
      json_node_get_value_type(node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string(node);
}

gint64
tb_xapi_json_int(JsonObject *obj, const char *name, gint64 def)
{
  JsonNode *node = obj ? json_object_get_member(obj, name) : NULL;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
      json_node_get_value_type(node) != G_TYPE_INT64)
    return def;
  return json_node_get_int(node);
}

gboolean
tb_xapi_json_bool(JsonObject *obj, const char *name, gboolean def)
{
  JsonNode *node = obj ? json_object_get_member(obj, name) : NULL;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
      json_node_get_value_type(node) != G_TYPE_BOOLEAN)
    return def;
  return json_node_get_boolean(node);
}

static char *
dup_member(JsonObject *obj, const char *name)
{
  return tb_bounds_dup(tb_xapi_json_string(obj, name), TB_BOUND_FIELD_CHARS, NULL);
}

TbXapiUser *
tb_xapi_user_from_json(JsonObject *obj, GError **error)
{
  g_autoptr(TbXapiUser) user = g_new0(TbXapiUser, 1);

  user->id = dup_member(obj, "id");
  user->username = dup_member(obj, "username");
  user->name = dup_member(obj, "name");
  user->profile_image_url = dup_member(obj, "profile_image_url");
  JsonNode *prot = json_object_get_member(obj, "protected");
  user->protected_account = prot && JSON_NODE_HOLDS_VALUE(prot) &&
                            json_node_get_value_type(prot) == G_TYPE_BOOLEAN &&
                            json_node_get_boolean(prot);
  if (!tb_xapi_id_is_valid(user->id) || user->username == NULL || *user->username == '\0') {
    g_set_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_MALFORMED,
                _("X sent a user without a valid id or username"));
    return NULL;
  }
  if (user->name == NULL)
    user->name = g_strdup(user->username);
  JsonObject *metrics = tb_xapi_json_object(obj, "public_metrics");
  user->followers_count = tb_xapi_json_int(metrics, "followers_count", -1);
  user->following_count = tb_xapi_json_int(metrics, "following_count", -1);
  return g_steal_pointer(&user);
}

void
tb_xapi_user_free(TbXapiUser *user)
{
  if (user == NULL)
    return;
  g_free(user->id);
  g_free(user->username);
  g_free(user->name);
  g_free(user->profile_image_url);
  g_free(user);
}

TbHttpRequest *
tb_xapi_users_me_request(const TbXapiAuth *auth, const char *api_base)
{
  /* public_metrics: the sizes of the follow lists, so mutuals read the smaller one first */
  const char *query[] = {"user.fields", "profile_image_url,protected,public_metrics", NULL};
  return tb_xapi_request(auth, "GET", api_base, "/2/users/me", query);
}

TbXapiUser *
tb_xapi_user_parse(JsonNode *root, GError **error)
{
  JsonObject *data = tb_xapi_json_object(json_node_get_object(root), "data");
  if (data == NULL) {
    g_set_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_NOT_FOUND, _("X returned no such user"));
    return NULL;
  }
  return tb_xapi_user_from_json(data, error);
}

TbXapiUser *
tb_xapi_users_me_parse(const TbHttpResponse *resp, GError **error)
{
  g_autoptr(JsonNode) root = tb_xapi_response_parse(resp, error);
  return root ? tb_xapi_user_parse(root, error) : NULL;
}

/* A new post's price depends on its body: a reply, or a post with or without a link. */
static TbCostKind
post_kind(const TbHttpRequest *req)
{
  if (req->body == NULL)
    return TB_COST_WRITE_POST;
  gsize len = 0;
  const char *data = g_bytes_get_data(req->body, &len);
  g_autoptr(JsonParser) parser = json_parser_new();
  if (!tb_xapi_json_load(parser, data, len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
    return TB_COST_WRITE_POST;
  JsonObject *body = json_node_get_object(json_parser_get_root(parser));
  return tb_endpoint_post_kind(json_object_has_member(body, "reply"),
                               tb_xapi_json_string(body, "text"));
}

char *
tb_xapi_request_endpoint(const TbHttpRequest *req, const char *api_base, TbCostKind *kind)
{
  gsize base = g_str_has_prefix(req->url, api_base) ? strlen(api_base) : 0;
  char *name = tb_endpoint_name(req->method, req->url + base);

  *kind = tb_endpoint_cost_kind(name);
  if (*kind == TB_COST_WRITE_POST)
    *kind = post_kind(req);
  return name;
}
