/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-proxy-url.h"

#include <glib/gi18n-lib.h>

#include <string.h>

/* The quark's name is a string: its hyphens are not subtractions. */
/* clang-format off */
G_DEFINE_QUARK(tb-proxy-url-error-quark, tb_proxy_url_error)
/* clang-format on */

/* What each scheme means, and what curl is told: SOCKS5 always resolves on the proxy side, since
 * an office's own DNS often cannot resolve X's names. */
static const struct {
  const char *scheme;
  TbProxyKind kind;
} schemes[] = {
    {"http", TB_PROXY_HTTP},     {"socks4", TB_PROXY_SOCKS4},  {"socks4a", TB_PROXY_SOCKS4A},
    {"socks5", TB_PROXY_SOCKS5}, {"socks5h", TB_PROXY_SOCKS5},
};

static const struct {
  TbProxyKind kind;
  const char *curl_scheme;
  const char *name;
} kinds[] = {
    {TB_PROXY_NONE, NULL, "no"},
    {TB_PROXY_HTTP, "http", "HTTP"},
    {TB_PROXY_SOCKS4, "socks4", "SOCKS4"},
    {TB_PROXY_SOCKS4A, "socks4a", "SOCKS4a"},
    {TB_PROXY_SOCKS5, "socks5h", "SOCKS5"},
};

TbProxyUrl *
tb_proxy_url_new(TbProxyKind kind, const char *host, int port, const char *username,
                 const char *password)
{
  TbProxyUrl *p = g_new0(TbProxyUrl, 1);

  p->kind = kind;
  if (kind == TB_PROXY_NONE)
    return p;
  p->host = g_strdup(host);
  p->port = port > 0 ? port : TB_PROXY_DEFAULT_PORT;
  p->username = username && *username ? g_strdup(username) : NULL;
  p->password = p->username && password ? g_strdup(password) : NULL;
  return p;
}

TbProxyUrl *
tb_proxy_url_copy(const TbProxyUrl *proxy)
{
  if (proxy == NULL)
    return NULL;
  TbProxyUrl *p =
      tb_proxy_url_new(proxy->kind, proxy->host, proxy->port, proxy->username, proxy->password);
  p->no_proxy = g_strdup(proxy->no_proxy);
  return p;
}

static void
secret_free(char *secret)
{
  if (secret != NULL)
    memset(secret, 0, strlen(secret));
  g_free(secret);
}

void
tb_proxy_url_free(TbProxyUrl *proxy)
{
  if (proxy == NULL)
    return;
  secret_free(proxy->password);
  g_free(proxy->host);
  g_free(proxy->username);
  g_free(proxy->no_proxy);
  g_free(proxy);
}

const char *
tb_proxy_url_kind_name(TbProxyKind kind)
{
  for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++) {
    if (kinds[i].kind == kind)
      return kinds[i].name;
  }
  return "?";
}

static gboolean
invalid(GError **error, const char *why)
{
  g_set_error(error, TB_PROXY_URL_ERROR, TB_PROXY_URL_ERROR_INVALID, "%s", _(why));
  return FALSE;
}

static gboolean
kind_of_scheme(const char *scheme, TbProxyKind *kind)
{
  for (gsize i = 0; i < G_N_ELEMENTS(schemes); i++) {
    if (g_strcmp0(scheme, schemes[i].scheme) == 0) {
      *kind = schemes[i].kind;
      return TRUE;
    }
  }
  return FALSE;
}

/* Why a parsed URL cannot be a proxy, or NULL. */
static const char *
uri_problem(GUri *uri, TbProxyKind *kind)
{
  const char *host = g_uri_get_host(uri);
  const char *path = g_uri_get_path(uri);

  if (!kind_of_scheme(g_uri_get_scheme(uri), kind))
    return N_("must start with http://, socks4://, socks4a:// or socks5://");
  if (host == NULL || *host == '\0')
    return N_("names no proxy host");
  if (strchr(host, '@') != NULL)
    return N_("has an @ in the user name or password: write it as %40");
  if ((*path != '\0' && strcmp(path, "/") != 0) || g_uri_get_query(uri) != NULL ||
      g_uri_get_fragment(uri) != NULL)
    return N_("must be just scheme://user:password@host:port");
  return NULL;
}

TbProxyUrl *
tb_proxy_url_parse(const char *text, const char *default_scheme, GError **error)
{
  g_autofree char *trimmed = g_strstrip(g_strdup(text ? text : ""));
  g_autofree char *full = NULL;
  TbProxyKind kind = TB_PROXY_NONE;

  if (g_ascii_strcasecmp(trimmed, "none") == 0)
    return tb_proxy_url_new(TB_PROXY_NONE, NULL, 0, NULL, NULL);
  if (*trimmed == '\0') {
    invalid(error, N_("is empty"));
    return NULL;
  }
  full = strstr(trimmed, "://") == NULL && default_scheme != NULL
             ? g_strconcat(default_scheme, "://", trimmed, NULL)
             : g_strdup(trimmed);
  /* No GError of GUri's: its message quotes the text, password and all. */
  g_autoptr(GUri) uri = g_uri_parse(full, G_URI_FLAGS_HAS_PASSWORD, NULL);
  const char *why = uri ? uri_problem(uri, &kind) : N_("is not a URL like http://host:port");
  if (why != NULL) {
    invalid(error, why);
    return NULL;
  }
  return tb_proxy_url_new(kind, g_uri_get_host(uri), g_uri_get_port(uri), g_uri_get_user(uri),
                          g_uri_get_password(uri) ? g_uri_get_password(uri) : "");
}

static char *
host_port(const TbProxyUrl *proxy)
{
  gboolean v6 = strchr(proxy->host, ':') != NULL;
  return g_strdup_printf("%s%s%s:%d", v6 ? "[" : "", proxy->host, v6 ? "]" : "", proxy->port);
}

char *
tb_proxy_url_for_curl(const TbProxyUrl *proxy)
{
  if (proxy == NULL || proxy->kind == TB_PROXY_NONE)
    return NULL;
  g_autofree char *hp = host_port(proxy);
  for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++) {
    if (kinds[i].kind == proxy->kind)
      return g_strdup_printf("%s://%s", kinds[i].curl_scheme, hp);
  }
  return NULL;
}

char *
tb_proxy_url_display(const TbProxyUrl *proxy)
{
  return proxy && proxy->kind != TB_PROXY_NONE ? host_port(proxy) : g_strdup("");
}

/* Strict dotted quad, or FALSE. */
static gboolean
ipv4_parse(const char *s, gsize len, guint32 *out)
{
  guint32 v = 0;
  int parts = 0;
  gsize i = 0;

  while (parts < 4) {
    guint octet = 0;
    gsize digits = 0;
    for (; i < len && g_ascii_isdigit(s[i]) && digits < 4; i++, digits++)
      octet = octet * 10 + (guint)(s[i] - '0');
    if (digits == 0 || digits > 3 || octet > 255)
      return FALSE;
    v = (v << 8) | octet;
    if (++parts < 4 && (i >= len || s[i++] != '.'))
      return FALSE;
  }
  *out = v;
  return i == len;
}

/* One no_proxy entry against the host: a name, a domain above it, an address or a/bits. */
static gboolean
entry_matches(const char *entry, gsize len, const char *host)
{
  const char *slash = memchr(entry, '/', len);
  gsize hlen = strlen(host);
  guint32 addr, net;

  if (len == 1 && entry[0] == '*')
    return TRUE;
  if (slash != NULL) {
    guint64 bits = 0;
    g_autofree char *b = g_strndup(slash + 1, len - (gsize)(slash + 1 - entry));
    if (!ipv4_parse(host, hlen, &addr) || !ipv4_parse(entry, (gsize)(slash - entry), &net) ||
        !g_ascii_string_to_unsigned(b, 10, 0, 32, &bits, NULL))
      return FALSE;
    guint32 mask = bits == 0 ? 0 : G_MAXUINT32 << (32 - bits);
    return (addr & mask) == (net & mask);
  }
  if (entry[0] == '.') {
    entry++;
    len--;
  }
  if (len == 0 || hlen < len || g_ascii_strncasecmp(host + hlen - len, entry, len) != 0)
    return FALSE;
  return hlen == len || host[hlen - len - 1] == '.';
}

gboolean
tb_proxy_url_bypass(const char *no_proxy, const char *host)
{
  if (no_proxy == NULL || host == NULL || *host == '\0')
    return FALSE;
  g_autofree char *bare = g_strdup(host[0] == '[' ? host + 1 : host);
  if (host[0] == '[' && strchr(bare, ']') != NULL)
    *strchr(bare, ']') = '\0';

  for (const char *p = no_proxy; *p;) {
    gsize skip = strspn(p, ", \t"), len;
    p += skip;
    len = strcspn(p, ", \t");
    if (len > 0 && entry_matches(p, len, bare))
      return TRUE;
    p += len;
  }
  return FALSE;
}

static const char *
first_set(TbProxyGetenv getenv_fn, gpointer user, const char *const *names, const char **which)
{
  for (gsize i = 0; names[i] != NULL; i++) {
    const char *v = getenv_fn(names[i], user);
    if (v != NULL && *v != '\0') {
      if (which != NULL)
        *which = names[i];
      return v;
    }
  }
  return NULL;
}

TbProxyUrl *
tb_proxy_url_from_env(TbProxyGetenv getenv_fn, gpointer user, const char **name, GError **error)
{
  /* curl's names for an https request first, then libpurple's own http_proxy. */
  static const char *const for_https[] = {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                                          NULL};
  static const char *const purple_http[] = {"HTTP_PROXY", "http_proxy", "HTTPPROXY", NULL};
  static const char *const purple_user[] = {"HTTP_PROXY_USER", "http_proxy_user", "HTTPPROXYUSER",
                                            NULL};
  static const char *const purple_pass[] = {"HTTP_PROXY_PASS", "http_proxy_pass", "HTTPPROXYPASS",
                                            NULL};
  static const char *const no_proxy[] = {"no_proxy", "NO_PROXY", NULL};
  const char *which = NULL;
  const char *value = first_set(getenv_fn, user, for_https, &which);
  gboolean purple_names = value == NULL;

  if (purple_names)
    value = first_set(getenv_fn, user, purple_http, &which);
  if (name != NULL)
    *name = which;
  if (value == NULL)
    return NULL;

  g_autoptr(GError) parse_error = NULL;
  TbProxyUrl *p = tb_proxy_url_parse(value, "http", &parse_error);
  if (p == NULL) {
    g_set_error(error, TB_PROXY_URL_ERROR, TB_PROXY_URL_ERROR_INVALID, "%s %s", which,
                parse_error->message);
    return NULL;
  }
  const char *u = purple_names ? first_set(getenv_fn, user, purple_user, NULL) : NULL;
  const char *pw = purple_names ? first_set(getenv_fn, user, purple_pass, NULL) : NULL;
  if (u != NULL) {
    g_free(p->username);
    p->username = g_strdup(u);
  }
  if (pw != NULL && p->username != NULL) {
    secret_free(p->password);
    p->password = g_strdup(pw);
  }
  p->no_proxy = g_strdup(first_set(getenv_fn, user, no_proxy, NULL));
  return p;
}
