/* application/x-www-form-urlencoded text ("a=1&b=%20x"): the bodies of X's OAuth 1.0a answers,
 * the query of an address X redirected the browser to, the query of a URL to sign. Pure; used by
 * api/tb-oauth.c and by core/tb-redirect.c, so a pasted redirect and one the loopback listener
 * receives decode alike.
 *
 * Values may be secrets (codes, tokens): free them with tb_secret_free().
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_FORM_H
#define TB_FORM_H

#include <glib.h>

G_BEGIN_DECLS

/* Decoded (name, value) pairs, in order, both freed with g_free ('+' is a space). A pair that does
 * not decode (a bad escape, an escaped NUL) or has an empty name is dropped; "a" alone is a=. */
GPtrArray *tb_form_pairs(const char *text);
/* The same as names to values; the first of a repeated name wins. Values are freed as secrets. */
GHashTable *tb_form_parse(const char *text);
/* Overwrites and frees a secret. */
void tb_secret_free(char *secret);

G_END_DECLS

#endif
