/* OAuth for X (xapi.md §3), as pure functions: PKCE, authorize URLs, token request bodies and
 * responses, pasted redirect addresses, and OAuth 1.0a HMAC-SHA1 signing. No libpurple, no
 * network: the flows that use these live in purple/tb-auth.c.
 *
 * Nothing here logs. Every string these functions return may be a secret; callers must keep them
 * out of debug lines.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_OAUTH_H
#define TB_OAUTH_H

#include <glib.h>

#include "http/tb-http-message.h"

G_BEGIN_DECLS

#define TB_OAUTH_ERROR (tb_oauth_error_quark())
GQuark tb_oauth_error_quark(void);

typedef enum {
  TB_OAUTH_ERROR_NETWORK,   /* no answer: try again later */
  TB_OAUTH_ERROR_SERVER,    /* 5xx: try again later */
  TB_OAUTH_ERROR_REJECTED,  /* X refused the code, the refresh token or the PIN: sign in again */
  TB_OAUTH_ERROR_CLIENT,    /* X refused the app itself (client id, consumer key): settings */
  TB_OAUTH_ERROR_MALFORMED, /* an answer that is not what X documents */
  TB_OAUTH_ERROR_STATE,     /* a redirect that belongs to another sign-in */
  TB_OAUTH_ERROR_DENIED,    /* the user pressed Cancel on X's page */
  TB_OAUTH_ERROR_INPUT,     /* pasted text that is neither the address nor a code */
} TbOAuthError;

/* TRUE for no answer, a 5xx, and any TB_HTTP_PROXY_ERROR (the answers' parsers pass those on). */
gboolean tb_oauth_error_is_transient(const GError *error);

/* Scopes asked for (issue 4): reading and writing posts and DMs, and a refresh token. */
#define TB_OAUTH2_SCOPES                                                                           \
  "tweet.read tweet.write users.read follows.read dm.read dm.write offline.access"

/* --- helpers ------------------------------------------------------------------------------ */

/* RFC 3986 §2.1 as X wants it: unreserved bytes stay, every other byte is %XX, uppercase. */
char *tb_oauth_pct(const char *s);
/* Base64 with the URL-safe alphabet and no padding (RFC 7636 appendix A). */
char *tb_oauth_base64url(const guint8 *data, gsize len);
/* n bytes from the kernel's CSPRNG as base64url; NULL only if the kernel refuses. */
char *tb_oauth_random_string(gsize n_bytes);
/* "a=1&b=%20x": names to decoded values ('+' is a space); the first of a repeated name wins
 * (core/tb-form.h's tb_form_parse). */
GHashTable *tb_oauth_form_parse(const char *text);
/* Overwrites and frees a secret (core/tb-form.h's tb_secret_free). */
void tb_oauth_secret_free(char *secret);

/* --- OAuth 2.0 authorization code with PKCE (xapi.md §3.1) ------------------------------- */

/* 32 random bytes as base64url: 43 characters, the shortest RFC 7636 allows (NULL: no
 * randomness to be had). */
char *tb_oauth2_pkce_verifier(void);
/* S256: base64url(SHA-256(verifier)). */
char *tb_oauth2_pkce_challenge(const char *verifier);

/* https://x.com/i/oauth2/authorize for X's API hosts; a test server serves it itself. */
char *tb_oauth2_authorize_endpoint(const char *api_base);
/* "http://127.0.0.1:PORT/callback": what the X app must list as its callback URL. */
char *tb_oauth2_redirect_uri(int port);

typedef struct {
  const char *client_id;
  const char *redirect_uri;
  const char *scope; /* NULL: TB_OAUTH2_SCOPES */
  const char *state;
  const char *challenge; /* S256 */
  gboolean force_login;  /* ask X for its login screen (second account) */
} TbOAuth2Authorize;

char *tb_oauth2_authorize_url(const char *api_base, const TbOAuth2Authorize *a);

/* What the user pasted back: the whole redirected address (state checked against
 * expected_state) or the bare code. Returns the code, or NULL with a TB_OAUTH_ERROR. */
char *tb_oauth2_parse_redirect(const char *text, const char *expected_state, GError **error);

TbHttpRequest *tb_oauth2_code_request(const char *api_base, const char *client_id,
                                      const char *redirect_uri, const char *code,
                                      const char *verifier);
TbHttpRequest *tb_oauth2_refresh_request(const char *api_base, const char *client_id,
                                         const char *refresh_token);
/* hint: "access_token" or "refresh_token" */
TbHttpRequest *tb_oauth2_revoke_request(const char *api_base, const char *client_id,
                                        const char *token, const char *hint);

typedef struct {
  char *access_token;
  char *refresh_token; /* NULL when X sent none (no offline.access) */
  char *scope;
  gint64 expires_in; /* seconds */
} TbOAuth2Token;

/* The answer of POST /2/oauth2/token. */
gboolean tb_oauth2_token_parse(const TbHttpResponse *resp, TbOAuth2Token *out, GError **error);
void tb_oauth2_token_clear(TbOAuth2Token *token);

/* --- OAuth 2.0 client credentials: the app's own bearer token (xapi.md §4) ---------------- */

/* POST /oauth2/token (X's app-only endpoint, not /2/oauth2/token) with grant_type
 * client_credentials and "Authorization: Basic base64(pct(key):pct(secret))", the consumer key
 * and secret each percent-encoded first as X asks. The app's token is what
 * GET /2/activity/stream takes. */
TbHttpRequest *tb_oauth2_app_token_request(const char *api_base, const char *consumer_key,
                                           const char *consumer_secret);
/* The answer {"token_type": "bearer", "access_token": "..."}: the token, newly allocated and a
 * secret (free it with tb_oauth_secret_free, never log it), or NULL with a TB_OAUTH_ERROR
 * (CLIENT when X refuses the key or secret). */
char *tb_oauth2_app_token_parse(const TbHttpResponse *resp, GError **error);

/* --- OAuth 1.0a (xapi.md §3.2) ----------------------------------------------------------- */

typedef struct {
  const char *consumer_key;
  const char *consumer_secret;
  const char *token;        /* NULL for request_token */
  const char *token_secret; /* NULL or "" for request_token */
  const char *callback;     /* oauth_callback (request_token only) */
  const char *verifier;     /* oauth_verifier (access_token only) */
  const char *nonce;        /* NULL: random */
  gint64 timestamp;         /* 0: now */
} TbOAuth1Params;

/* METHOD&pct(base URL)&pct(sorted params): the URL's query and the form pairs (decoded name,
 * value, NULL-terminated; NULL for none) are signed, a JSON body never is. */
char *tb_oauth1_base_string(const char *method, const char *url, const char *const *form,
                            const TbOAuth1Params *p, const char *nonce, const char *timestamp);
/* base64(HMAC-SHA1(pct(consumer_secret)&pct(token_secret), base)) */
char *tb_oauth1_signature(const char *base, const char *consumer_secret, const char *token_secret);
/* The whole Authorization header value: OAuth oauth_consumer_key="…", … */
char *tb_oauth1_authorization(const char *method, const char *url, const char *const *form,
                              const TbOAuth1Params *p);

TbHttpRequest *tb_oauth1_request_token_request(const char *api_base, const char *consumer_key,
                                               const char *consumer_secret);
/* The page that shows the PIN; force_login and screen_name keep the second account apart. */
char *tb_oauth1_authorize_url(const char *api_base, const char *request_token,
                              const char *screen_name);
TbHttpRequest *tb_oauth1_access_token_request(const char *api_base, const char *consumer_key,
                                              const char *consumer_secret,
                                              const char *request_token, const char *request_secret,
                                              const char *pin);

typedef struct {
  char *token;
  char *secret;
  char *screen_name; /* access_token only */
  char *user_id;
} TbOAuth1Token;

/* The form-encoded answers of request_token (callback confirmed) and access_token. */
gboolean tb_oauth1_token_parse(const TbHttpResponse *resp, gboolean want_confirmed,
                               TbOAuth1Token *out, GError **error);
void tb_oauth1_token_clear(TbOAuth1Token *token);

/* The account password of an OAuth 1.0a account: "TOKEN:SECRET" (neither contains ':'). */
char *tb_oauth1_password_join(const char *token, const char *secret);
gboolean tb_oauth1_password_split(const char *password, char **token, char **secret);

/* A PIN as typed: digits only once spaces are removed; NULL if it is not one. */
char *tb_oauth1_parse_pin(const char *text);

G_END_DECLS

#endif /* TB_OAUTH_H */
