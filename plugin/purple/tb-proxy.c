/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-proxy.h"
#include "http/tb-http-message.h"

#include <glib/gi18n-lib.h>

/* libpurple's proxy kinds. Tor is SOCKS5 that never resolves a name here, as ours always. */
static const struct {
  PurpleProxyType type;
  TbProxyKind kind;
} purple_kinds[] = {
    {PURPLE_PROXY_NONE, TB_PROXY_NONE},     {PURPLE_PROXY_HTTP, TB_PROXY_HTTP},
    {PURPLE_PROXY_SOCKS4, TB_PROXY_SOCKS4}, {PURPLE_PROXY_SOCKS5, TB_PROXY_SOCKS5},
    {PURPLE_PROXY_TOR, TB_PROXY_SOCKS5},
};

/* What each failure at the proxy means for the connection. */
static const struct {
  TbHttpProxyError code;
  PurpleConnectionError reason;
  const char *advice;
} proxy_failures[] = {
    /* fatal: reconnecting cannot mend a password, and asking again every second would lock the
     * office account */
    {TB_HTTP_PROXY_ERROR_AUTH, PURPLE_CONNECTION_ERROR_INVALID_SETTINGS,
     N_("Fix the proxy user name or password (the account option proxy, or the proxy settings "
        "of Pidgin, Finch or BitlBee), then connect again; Twinbird does not try again by "
        "itself.")},
    /* a network error: the UI reconnects later, on its own growing schedule */
    {TB_HTTP_PROXY_ERROR_UNREACHABLE, PURPLE_CONNECTION_ERROR_NETWORK_ERROR,
     N_("This is the proxy, not X: check that the proxy runs and that the proxy settings are "
        "right.")},
};

static const char *
env_lookup(const char *name, gpointer user)
{
  (void)user;
  return g_getenv(name);
}

/* What the user chose, before libpurple's purple_proxy_get_setup() reads http_proxy (and only
 * that) for the environment's kind. */
static PurpleProxyInfo *
chosen_info(PurpleAccount *account, const char **where)
{
  PurpleProxyInfo *info = purple_account_get_proxy_info(account);

  *where = "the account's proxy setting";
  if (info == NULL || purple_proxy_info_get_type(info) == PURPLE_PROXY_USE_GLOBAL) {
    info = purple_global_proxy_get_info();
    *where = "the global proxy setting";
  }
  return info;
}

static TbProxyUrl *
from_purple(PurpleAccount *account, const char **where, GError **error)
{
  PurpleProxyInfo *chosen = chosen_info(account, where);

  if (chosen != NULL && purple_proxy_info_get_type(chosen) == PURPLE_PROXY_USE_ENVVAR) {
    const char *name = NULL;
    TbProxyUrl *env = tb_proxy_url_from_env(env_lookup, NULL, &name, error);
    *where = name ? name : "the environment (no proxy variable set)";
    if (env == NULL && error != NULL && *error != NULL)
      return NULL;
    return env ? env : tb_proxy_url_new(TB_PROXY_NONE, NULL, 0, NULL, NULL);
  }

  PurpleProxyInfo *info = purple_proxy_get_setup(account);
  PurpleProxyType type = info ? purple_proxy_info_get_type(info) : PURPLE_PROXY_NONE;
  for (gsize i = 0; i < G_N_ELEMENTS(purple_kinds); i++) {
    if (purple_kinds[i].type != type)
      continue;
    TbProxyKind kind = purple_kinds[i].kind;
    const char *host = kind != TB_PROXY_NONE ? purple_proxy_info_get_host(info) : NULL;
    if (kind != TB_PROXY_NONE && (host == NULL || *host == '\0')) {
      g_set_error(error, TB_PROXY_URL_ERROR, TB_PROXY_URL_ERROR_INVALID,
                  _("The %s proxy of %s names no host: set it in the account's proxy settings "
                    "or in the client's network preferences"),
                  tb_proxy_url_kind_name(kind), *where);
      return NULL;
    }
    /* SOCKS4 resolves names here unless the user asked otherwise (BitlBee's socks4a://). */
    if (kind == TB_PROXY_SOCKS4 && purple_prefs_get_bool("/purple/proxy/socks4_remotedns"))
      kind = TB_PROXY_SOCKS4A;
    return tb_proxy_url_new(kind, host, purple_proxy_info_get_port(info),
                            purple_proxy_info_get_username(info),
                            purple_proxy_info_get_password(info));
  }
  return tb_proxy_url_new(TB_PROXY_NONE, NULL, 0, NULL, NULL);
}

TbProxyUrl *
tb_proxy_setup(PurpleAccount *account, const char *option, GError **error)
{
  const char *where = "the account option proxy";
  TbProxyUrl *proxy = option != NULL ? tb_proxy_url_parse(option, NULL, error)
                                     : from_purple(account, &where, error);

  if (proxy == NULL)
    return NULL;
  g_autofree char *shown = tb_proxy_url_display(proxy);
  purple_debug_info("twinbird", "%s: %s proxy%s%s%s%s (from %s)\n",
                    purple_account_get_username(account), tb_proxy_url_kind_name(proxy->kind),
                    *shown ? " " : "", shown, proxy->username ? ", with a user name" : "",
                    proxy->no_proxy ? ", not for no_proxy's hosts" : "", where);
  return proxy;
}

gboolean
tb_proxy_error_report(PurpleConnection *gc, const char *handle, const GError *error)
{
  if (error == NULL || error->domain != TB_HTTP_PROXY_ERROR)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS(proxy_failures); i++) {
    if (proxy_failures[i].code != (TbHttpProxyError)error->code)
      continue;
    g_autofree char *msg =
        g_strdup_printf(_("@%s: %s. %s"), handle, error->message, _(proxy_failures[i].advice));
    purple_debug_warning("twinbird", "%s\n", msg);
    purple_connection_error_reason(gc, proxy_failures[i].reason, msg);
    return TRUE;
  }
  return FALSE;
}
