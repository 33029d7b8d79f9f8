/* The tag that names the sending account on every outgoing message, e.g. "[work @dave_acme]".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_TAG_H
#define TB_TAG_H

#include <glib.h>

G_BEGIN_DECLS

#define TB_TAG_DEFAULT_FORMAT "[{role} @{handle}]"

/* A format must name the account: it has to contain {handle}. */
gboolean tb_tag_format_is_valid(const char *format, GError **error);
/* Expands {role} and {handle}; "{{" and "}}" are literal braces. */
char *tb_tag_expand(const char *format, const char *role, const char *handle);

G_END_DECLS

#endif
