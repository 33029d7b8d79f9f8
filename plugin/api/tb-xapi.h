/* X API v2: requests, responses to structs, errors. Knows HTTP as data only and includes no
 * libpurple header at all, so every function here is unit-testable.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_XAPI_H
#define TB_XAPI_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "core/tb-cost.h"
#include "http/tb-http-message.h"

G_BEGIN_DECLS

#define TB_XAPI_ERROR (tb_xapi_error_quark())
GQuark tb_xapi_error_quark(void);

typedef enum {
  TB_XAPI_ERROR_NETWORK,      /* no usable response: try again later */
  TB_XAPI_ERROR_SERVER,       /* 5xx: try again later */
  TB_XAPI_ERROR_UNAUTHORIZED, /* 401: credentials refused */
  TB_XAPI_ERROR_FORBIDDEN,    /* 403 */
  TB_XAPI_ERROR_NOT_FOUND,    /* 404 */
  TB_XAPI_ERROR_RATE_LIMITED, /* 429 Too Many Requests: wait for the reset */
  TB_XAPI_ERROR_USAGE_CAPPED, /* 429 usage-capped: the app's monthly cap */
  TB_XAPI_ERROR_PAYMENT,      /* 402: the developer account is out of credits */
  TB_XAPI_ERROR_INVALID,      /* 400 */
  TB_XAPI_ERROR_MALFORMED,    /* success status with a body that is not the promised JSON */
  TB_XAPI_ERROR_OTHER,
  TB_XAPI_ERROR_TLS, /* certificate not trusted, or refused by policy: retrying will not help */
  /* The Activity API's (api/tb-activity.h); X documents no problem of its own for them, so
   * they are read from the problem type, the status and the detail's words */
  TB_XAPI_ERROR_SUB_CAP,       /* the app has as many subscriptions as its tier allows */
  TB_XAPI_ERROR_SUB_DUPLICATE, /* that very subscription exists already */
  TB_XAPI_ERROR_SCOPE,         /* the user's token lacks the scope the event type needs */
  TB_XAPI_ERROR_AUTH_KIND,     /* the wrong kind of token (the stream takes the app's bearer) */
  TB_XAPI_ERROR_STREAM_LIMIT,  /* the app has its allowed number of streams open already */
} TbXapiError;

/* TRUE for no answer, a 5xx, a 429, garbage, and any TB_HTTP_PROXY_ERROR: tb_xapi_response_parse
 * passes the proxy's failures on in that domain, never as X's. */
gboolean tb_xapi_error_is_transient(const GError *error);

typedef struct {
  gboolean known;
  gint64 limit, remaining;
  gint64 reset; /* Unix time the window resets */
} TbXapiRateLimit;

/* What became of a create request (post, reply, DM) that did not give X's new id: REFUSED means
 * X never created it (refused before sending, no connection, or X said no with a 4xx), so it is
 * safe to send again; UNKNOWN means it may be on X (a timeout, a dropped connection, a 5xx, an
 * unreadable success): find it on X before saying anything. */
typedef enum { TB_XAPI_SEND_REFUSED, TB_XAPI_SEND_UNKNOWN } TbXapiSendFate;
TbXapiSendFate tb_xapi_send_fate(const TbHttpResponse *resp);

/* x-rate-limit-{limit,remaining,reset}: the 15-minute window. */
void tb_xapi_rate_limit_read(const TbHttpResponse *resp, TbXapiRateLimit *out);
/* The same three headers under another prefix: "x-user-limit-24hour", "x-app-limit-24hour". */
void tb_xapi_limit_read(const TbHttpResponse *resp, const char *prefix, TbXapiRateLimit *out);

typedef enum { TB_XAPI_AUTH_BEARER, TB_XAPI_AUTH_OAUTH1 } TbXapiAuthKind;

typedef struct {
  TbXapiAuthKind kind;
  char *token; /* bearer: an OAuth 2.0 user access token; oauth1: the user's access token */
  /* OAuth 1.0a only: tb_xapi_request signs when all three and token are set (xapi.md §3.2) */
  char *token_secret;
  char *consumer_key;
  char *consumer_secret;
} TbXapiAuth;

/* Frees and wipes the credentials, leaving the kind. */
void tb_xapi_auth_clear(TbXapiAuth *auth);

/* URL = base + path + "?" + escaped query; query is NULL-terminated name, value pairs whose NULL
 * values are skipped. */
char *tb_xapi_url(const char *api_base, const char *path, const char *const *query);
TbHttpRequest *tb_xapi_request(const TbXapiAuth *auth, const char *method, const char *api_base,
                               const char *path, const char *const *query);
void tb_xapi_request_set_json(TbHttpRequest *req, JsonNode *body);

/* Checks status and body. On success returns the parsed document root (a JSON object);
 * otherwise NULL with error set from X's problem+json (or legacy) body or the transport. */
JsonNode *tb_xapi_response_parse(const TbHttpResponse *resp, GError **error);

typedef struct {
  char *id; /* decimal string, up to 19 digits: above 2^53, never a double */
  char *username;
  char *name;
  char *profile_image_url;
  gboolean protected_account;
  gint64 followers_count, following_count; /* public_metrics when asked for, else -1 */
} TbXapiUser;

TbXapiUser *tb_xapi_user_from_json(JsonObject *obj, GError **error);
void tb_xapi_user_free(TbXapiUser *user);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TbXapiUser, tb_xapi_user_free)

/* {"data": User} of a single-user lookup (users/me, users/by/username). */
TbXapiUser *tb_xapi_user_parse(JsonNode *root, GError **error);

/* GET /2/users/me with the fields the plugin shows. */
TbHttpRequest *tb_xapi_users_me_request(const TbXapiAuth *auth, const char *api_base);
TbXapiUser *tb_xapi_users_me_parse(const TbHttpResponse *resp, GError **error);

/* Every body from the network goes through this before json-glib: refuses (with error set) what
 * nests deeper than TB_JSON_GUARD_MAX_DEPTH, is not UTF-8 or holds a NUL byte, then parses. */
gboolean tb_xapi_json_load(JsonParser *parser, const char *data, gsize len, GError **error);

/* The endpoint a request is for (core/tb-endpoint's name, e.g. "POST /2/tweets") and what X bills
 * for its answer, a new post priced by its body (a reply, a link). Newly allocated. */
char *tb_xapi_request_endpoint(const TbHttpRequest *req, const char *api_base, TbCostKind *kind);

/* Typed member lookups that return NULL when the member is absent or of another type
 * (json-glib 1.6 has these only for scalars). */
JsonObject *tb_xapi_json_object(JsonObject *obj, const char *name);
JsonArray *tb_xapi_json_array(JsonObject *obj, const char *name);
const char *tb_xapi_json_string(JsonObject *obj, const char *name);
gint64 tb_xapi_json_int(JsonObject *obj, const char *name, gint64 def);
gboolean tb_xapi_json_bool(JsonObject *obj, const char *name, gboolean def);

/* X ids: 1 to 19 ASCII digits. */
gboolean tb_xapi_id_is_valid(const char *id);

G_END_DECLS

#endif
