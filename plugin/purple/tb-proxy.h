/* Which proxy an account's requests take (all of them: API calls, OAuth token and revoke calls,
 * avatars; never the OAuth loopback listener, which is a server socket), and how a proxy's
 * failure is told to the user: as the proxy's fault, never as X being down.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_PROXY_H
#define TB_PROXY_H

#include "core/tb-proxy-url.h"
#include <purple.h>

G_BEGIN_DECLS

/* The account option `proxy` (NULL: unset; already checked by tb_config_load) wins; else
 * libpurple's setting for the account, which falls back to the global one (every kind: none,
 * HTTP, SOCKS4, SOCKS5, Tor, the environment's). Returns a TB_PROXY_NONE proxy for none, or NULL
 * with error set when libpurple's setting cannot be used. Logs where it came from, never the
 * password. */
TbProxyUrl *tb_proxy_setup(PurpleAccount *account, const char *option, GError **error);

/* When error is a TB_HTTP_PROXY_ERROR: ends the connection with a message naming the proxy and
 * what to do (refused credentials: fatal, said once; a proxy down: a network error the UI
 * retries on its own schedule) and returns TRUE. FALSE for any other error. */
gboolean tb_proxy_error_report(PurpleConnection *gc, const char *handle, const GError *error);

G_END_DECLS

#endif
