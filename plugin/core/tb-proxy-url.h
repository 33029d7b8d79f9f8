/* Proxies as data: parsing and checking a proxy URL (the account option `proxy`, http_proxy and
 * friends from the environment), the URL curl is given (never with the password in it), the
 * host:port that messages name, and no_proxy matching. Pure: no libpurple, no network.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_PROXY_URL_H
#define TB_PROXY_URL_H

#include <glib.h>

G_BEGIN_DECLS

#define TB_PROXY_URL_ERROR (tb_proxy_url_error_quark())
GQuark tb_proxy_url_error_quark(void);
typedef enum { TB_PROXY_URL_ERROR_INVALID } TbProxyUrlError;

typedef enum {
  TB_PROXY_NONE,    /* straight to X */
  TB_PROXY_HTTP,    /* HTTP CONNECT */
  TB_PROXY_SOCKS4,  /* names resolved here, as SOCKS4 needs */
  TB_PROXY_SOCKS4A, /* names resolved by the proxy */
  TB_PROXY_SOCKS5,  /* names always resolved by the proxy (curl's socks5h) */
} TbProxyKind;

typedef struct {
  TbProxyKind kind;
  char *host; /* a name or an address, IPv6 without brackets; NULL for TB_PROXY_NONE */
  int port;
  char *username; /* NULL: none */
  char *password; /* NULL: none. Never logged, never in a message */
  char *no_proxy; /* hosts that go straight to X (the environment's no_proxy); NULL: none */
} TbProxyUrl;

/* curl's default when a URL names no port. */
#define TB_PROXY_DEFAULT_PORT 1080

TbProxyUrl *tb_proxy_url_new(TbProxyKind kind, const char *host, int port, const char *username,
                             const char *password);
TbProxyUrl *tb_proxy_url_copy(const TbProxyUrl *proxy);
/* Wipes the password before freeing it. */
void tb_proxy_url_free(TbProxyUrl *proxy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TbProxyUrl, tb_proxy_url_free)

/* "none", or scheme://[user[:password]@]host[:port][/] with scheme http, socks4, socks4a, socks5
 * or socks5h (user and password %-escaped). default_scheme (may be NULL) is assumed when the text
 * has no "scheme://", as environment variables often do. The error never quotes a password. */
TbProxyUrl *tb_proxy_url_parse(const char *text, const char *default_scheme, GError **error);

/* For CURLOPT_PROXY: "socks5h://host:port"; NULL for TB_PROXY_NONE. */
char *tb_proxy_url_for_curl(const TbProxyUrl *proxy);
/* What messages name: "host:port", "[::1]:port". */
char *tb_proxy_url_display(const TbProxyUrl *proxy);
/* "HTTP", "SOCKS4", "SOCKS4a", "SOCKS5", "no" */
const char *tb_proxy_url_kind_name(TbProxyKind kind);

/* TRUE when host is listed in no_proxy (curl's rules: comma- or space-separated names that match
 * the host or a domain above it, a leading dot ignored; IPv4 addresses, also as a/bits; "*" for
 * every host). */
gboolean tb_proxy_url_bypass(const char *no_proxy, const char *host);

/* The proxy an https request takes under "use the environment's settings": https_proxy, else
 * all_proxy, else http_proxy (the variable libpurple itself reads, with its HTTP_PROXY_USER and
 * HTTP_PROXY_PASS), each also upper-case; no_proxy applies. NULL without error when none is
 * set; *name (may be NULL) tells which variable it came from. */
typedef const char *(*TbProxyGetenv)(const char *name, gpointer user);
TbProxyUrl *tb_proxy_url_from_env(TbProxyGetenv getenv_fn, gpointer user, const char **name,
                                  GError **error);

G_END_DECLS

#endif
