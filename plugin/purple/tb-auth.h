/* Signing in real users (issue 4): OAuth 2.0 with PKCE (a loopback listener on
 * http://127.0.0.1:PORT/callback, or the redirected address pasted into a text prompt), access
 * token renewal before expiry and after a 401, OAuth 1.0a with a PIN, and "Sign out".
 *
 * What the account password holds (libpurple's password storage, so a keyring plugin keeps it;
 * in BitlBee also the "bitlbee-set-account-password" signal):
 *   auth=oauth2  the refresh token, replaced at every renewal (X rotates it); the access token
 *                lives in memory only
 *   auth=oauth1  "TOKEN:SECRET", the OAuth 1.0a access token and its secret (they do not expire)
 *   auth=bearer  a ready access token, never renewed (tests, power users)
 * A secret is saved only once GET /2/users/me has shown it belongs to this very account.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_AUTH_H
#define TB_AUTH_H

#include "tb-conn.h"

G_BEGIN_DECLS

typedef struct _TbAuth TbAuth;

/* A sign-in or a renewal produced a token (in conn->auth) that GET /2/users/me must now check. */
typedef void (*TbAuthHaveToken)(TbConn *conn);

/* auth=oauth2 or oauth1: checks the options the flow needs and takes the saved secret. FALSE with
 * a TB_CONFIG_ERROR naming the option. Sets conn->oauth. */
gboolean tb_auth_setup(TbConn *conn, TbAuthHaveToken have_token, GError **error);
/* Once conn->http exists: renews or uses the saved secret, or asks the user to sign in; either way
 * it ends in have_token(). */
void tb_auth_start(TbConn *conn);
/* Closes the prompt and the listener; no callback runs afterwards. */
void tb_auth_free(TbAuth *auth);

/* The /2/users/me check of tb_conn_login_verify(): this account, or somebody else. */
void tb_auth_identity_confirmed(TbConn *conn);
void tb_auth_identity_refused(TbConn *conn, const char *x_username);

/* TRUE while "Sign out" revokes the tokens: a read X refuses meanwhile was refused by that
 * sign-out, not because the sign-in was lost, and the sign-out ends the connection itself. */
gboolean tb_auth_signing_out(TbConn *conn);

/* After a 401: renews the OAuth 2.0 access token, then calls cb (error NULL on success). FALSE,
 * and cb is never called, when there is nothing to renew (bearer, OAuth 1.0a, mid sign-in).
 * destroy frees data if the connection closes first. */
gboolean tb_auth_renew_then(TbConn *conn, TbConnRenewed cb, gpointer data, GDestroyNotify destroy);

/* The prpl's account actions: "Sign out". */
GList *tb_auth_actions(PurplePlugin *plugin, gpointer context);

G_END_DECLS

#endif /* TB_AUTH_H */
