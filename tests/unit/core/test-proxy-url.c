/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/tb-proxy-url.h"

#include <string.h>

static TbProxyUrl *
parse_ok(const char *text, const char *default_scheme)
{
  g_autoptr(GError) error = NULL;
  TbProxyUrl *p = tb_proxy_url_parse(text, default_scheme, &error);
  g_assert_no_error(error);
  g_assert_nonnull(p);
  return p;
}

static void
test_parse_kinds(void)
{
  static const struct {
    const char *text;
    TbProxyKind kind;
    const char *curl;
  } cases[] = {
      {"http://proxy.example:3128", TB_PROXY_HTTP, "http://proxy.example:3128"},
      {"HTTP://Proxy.Example:3128/", TB_PROXY_HTTP, "http://Proxy.Example:3128"},
      {"socks4://10.0.0.1:1080", TB_PROXY_SOCKS4, "socks4://10.0.0.1:1080"},
      {"socks4a://s:1081", TB_PROXY_SOCKS4A, "socks4a://s:1081"},
      /* names are resolved by the proxy, whichever SOCKS5 spelling */
      {"socks5://s:1080", TB_PROXY_SOCKS5, "socks5h://s:1080"},
      {"socks5h://s:1080", TB_PROXY_SOCKS5, "socks5h://s:1080"},
      {"  socks5://[::1]:1080  ", TB_PROXY_SOCKS5, "socks5h://[::1]:1080"},
      /* no port: curl's default */
      {"http://proxy.example", TB_PROXY_HTTP, "http://proxy.example:1080"},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(TbProxyUrl) p = parse_ok(cases[i].text, NULL);
    g_autofree char *curl = tb_proxy_url_for_curl(p);
    g_assert_cmpint(p->kind, ==, cases[i].kind);
    g_assert_cmpstr(curl, ==, cases[i].curl);
    g_assert_null(p->username);
    g_assert_null(p->password);
  }

  g_autoptr(TbProxyUrl) none = parse_ok(" None ", NULL);
  g_assert_cmpint(none->kind, ==, TB_PROXY_NONE);
  g_assert_null(tb_proxy_url_for_curl(none));
  g_autofree char *shown = tb_proxy_url_display(none);
  g_assert_cmpstr(shown, ==, "");
}

static void
test_parse_credentials(void)
{
  /* %-escapes are decoded: the password may hold ':', '@' and '/' */
  g_autoptr(TbProxyUrl) p =
      parse_ok("socks5://tb%20user:S0cks%3Ap%40ss%2Fw%25rd@127.0.0.1:1080", NULL);
  g_assert_cmpstr(p->username, ==, "tb user");
  g_assert_cmpstr(p->password, ==, "S0cks:p@ss/w%rd");
  g_autofree char *curl = tb_proxy_url_for_curl(p);
  g_autofree char *shown = tb_proxy_url_display(p);
  g_assert_cmpstr(curl, ==, "socks5h://127.0.0.1:1080"); /* never with the credentials */
  g_assert_cmpstr(shown, ==, "127.0.0.1:1080");

  g_autoptr(TbProxyUrl) user_only = parse_ok("http://pat@proxy:8080", NULL);
  g_assert_cmpstr(user_only->username, ==, "pat");
  g_assert_cmpstr(user_only->password, ==, "");

  g_autoptr(TbProxyUrl) v6 = parse_ok("http://a:b@[2001:db8::1]:3128", NULL);
  g_autofree char *v6_shown = tb_proxy_url_display(v6);
  g_assert_cmpstr(v6->host, ==, "2001:db8::1");
  g_assert_cmpstr(v6_shown, ==, "[2001:db8::1]:3128");

  g_autoptr(TbProxyUrl) copy = tb_proxy_url_copy(p);
  g_assert_cmpstr(copy->password, ==, p->password);
  g_assert_true(copy->password != p->password);
}

/* Refused, and the message never repeats the password. */
static void
test_parse_refused(void)
{
  static const char *const bad[] = {
      "",
      "ftp://u:hunter2@proxy:21",
      "https://u:hunter2@proxy:443",
      "http://u:hun@ter2@proxy:3128", /* an unescaped @ */
      "http://u:hunter2@proxy:3128/path",
      "http://u:hunter2@proxy:3128?x=1",
      "http://u:hunter2@:3128",
      "http://u:hunter2@proxy:99999",
      "proxy:3128",
      "not a url hunter2",
  };

  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    TbProxyUrl *p = tb_proxy_url_parse(bad[i], NULL, &error);
    if (p != NULL)
      g_error("'%s' was accepted", bad[i]);
    g_assert_error(error, TB_PROXY_URL_ERROR, TB_PROXY_URL_ERROR_INVALID);
    g_assert_null(strstr(error->message, "hunter2"));
    g_assert_null(strstr(error->message, "ter2"));
  }
  /* what an environment variable often holds: no scheme */
  g_autoptr(TbProxyUrl) p = parse_ok("proxy:3128", "http");
  g_assert_cmpint(p->kind, ==, TB_PROXY_HTTP);
  g_assert_cmpint(p->port, ==, 3128);
}

static void
test_bypass(void)
{
  static const struct {
    const char *no_proxy, *host;
    gboolean bypass;
  } cases[] = {
      {NULL, "api.x.com", FALSE},
      {"", "api.x.com", FALSE},
      {"*", "api.x.com", TRUE},
      {"x.com", "api.x.com", TRUE},
      {".x.com", "api.x.com", TRUE},
      {"X.COM", "api.x.com", TRUE},
      {"x.com", "x.com", TRUE},
      {"x.com", "notx.com", FALSE},
      {"api.x.com", "x.com", FALSE},
      {"localhost, 127.0.0.1 ,.corp", "127.0.0.1", TRUE},
      {"localhost,127.0.0.1", "127.0.0.10", FALSE},
      {"10.0.0.0/8", "10.1.2.3", TRUE},
      {"10.0.0.0/8", "11.1.2.3", FALSE},
      {"127.0.0.0/8", "api.x.com", FALSE},
      {"0.0.0.0/0", "192.0.2.1", TRUE},
      {"10.0.0.0/33", "10.1.2.3", FALSE},
      {"::1", "[::1]", TRUE},
      {"::1", "::1", TRUE},
      {"pbs.twimg.com\tapi.x.com", "api.x.com", TRUE},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    if (tb_proxy_url_bypass(cases[i].no_proxy, cases[i].host) != cases[i].bypass)
      g_error("no_proxy '%s', host %s: expected %s", cases[i].no_proxy ? cases[i].no_proxy : "-",
              cases[i].host, cases[i].bypass ? "direct" : "proxied");
  }
}

static const char *
table_getenv(const char *name, gpointer user)
{
  const char *const *env = user;
  for (gsize i = 0; env[i] != NULL; i += 2) {
    if (strcmp(env[i], name) == 0)
      return env[i + 1];
  }
  return NULL;
}

static TbProxyUrl *
from_env(const char *const *env, const char **which)
{
  g_autoptr(GError) error = NULL;
  TbProxyUrl *p = tb_proxy_url_from_env(table_getenv, (gpointer)env, which, &error);
  g_assert_no_error(error);
  return p;
}

static void
test_env(void)
{
  const char *which = NULL;
  const char *none[] = {"https_proxy", "", "LANG", "C", NULL};
  g_assert_null(from_env(none, &which));
  g_assert_null(which);

  /* https_proxy wins over http_proxy for X's https requests */
  const char *both[] = {"http_proxy", "http://h1:3128",  "https_proxy", "socks5://u:p@h2:1080",
                        "no_proxy",   "localhost,.corp", NULL};
  g_autoptr(TbProxyUrl) b = from_env(both, &which);
  g_assert_cmpstr(which, ==, "https_proxy");
  g_assert_cmpint(b->kind, ==, TB_PROXY_SOCKS5);
  g_assert_cmpstr(b->host, ==, "h2");
  g_assert_cmpstr(b->password, ==, "p");
  g_assert_cmpstr(b->no_proxy, ==, "localhost,.corp");

  /* libpurple's own: http_proxy without a scheme, with HTTP_PROXY_USER/PASS */
  const char *purple[] = {"http_proxy", "proxy:8080", "HTTP_PROXY_USER", "pat", "http_proxy_pass",
                          "s3cret",     "NO_PROXY",   "x.test",          NULL};
  g_autoptr(TbProxyUrl) p = from_env(purple, &which);
  g_assert_cmpstr(which, ==, "http_proxy");
  g_assert_cmpint(p->kind, ==, TB_PROXY_HTTP);
  g_assert_cmpint(p->port, ==, 8080);
  g_assert_cmpstr(p->username, ==, "pat");
  g_assert_cmpstr(p->password, ==, "s3cret");
  g_assert_cmpstr(p->no_proxy, ==, "x.test");

  /* the user and password variables are libpurple's, for http_proxy only */
  const char *https_only[] = {"HTTPS_PROXY", "http://q:3128", "HTTP_PROXY_USER", "pat", NULL};
  g_autoptr(TbProxyUrl) h = from_env(https_only, &which);
  g_assert_cmpstr(which, ==, "HTTPS_PROXY");
  g_assert_null(h->username);

  const char *all[] = {"ALL_PROXY", "socks4a://s:1080", NULL};
  g_autoptr(TbProxyUrl) a = from_env(all, &which);
  g_assert_cmpint(a->kind, ==, TB_PROXY_SOCKS4A);

  /* a bad value is an error naming the variable, not its password */
  const char *bad[] = {"https_proxy", "ftp://u:hunter2@h:21", NULL};
  g_autoptr(GError) error = NULL;
  g_assert_null(tb_proxy_url_from_env(table_getenv, (gpointer)bad, &which, &error));
  g_assert_error(error, TB_PROXY_URL_ERROR, TB_PROXY_URL_ERROR_INVALID);
  g_assert_nonnull(strstr(error->message, "https_proxy"));
  g_assert_null(strstr(error->message, "hunter2"));
}

static void
test_names(void)
{
  g_assert_cmpstr(tb_proxy_url_kind_name(TB_PROXY_HTTP), ==, "HTTP");
  g_assert_cmpstr(tb_proxy_url_kind_name(TB_PROXY_SOCKS5), ==, "SOCKS5");
  g_assert_cmpstr(tb_proxy_url_kind_name(TB_PROXY_NONE), ==, "no");
  g_autoptr(TbProxyUrl) p = tb_proxy_url_new(TB_PROXY_SOCKS4, "s", 0, "", "x");
  g_assert_cmpint(p->port, ==, TB_PROXY_DEFAULT_PORT);
  g_assert_null(p->username); /* an empty user name is none, and so no password either */
  g_assert_null(p->password);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/proxy-url/parse-kinds", test_parse_kinds);
  g_test_add_func("/proxy-url/parse-credentials", test_parse_credentials);
  g_test_add_func("/proxy-url/parse-refused", test_parse_refused);
  g_test_add_func("/proxy-url/bypass", test_bypass);
  g_test_add_func("/proxy-url/env", test_env);
  g_test_add_func("/proxy-url/names", test_names);
  return g_test_run();
}
