/* A cheap pass over a body from the network before json-glib sees it: json-glib's parser
 * recurses once per nesting level, so a body of nested arrays (a few hundred KB) overflows the
 * stack and kills the client. Also refuses what is not UTF-8 or holds a NUL byte.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_JSON_GUARD_H
#define TB_JSON_GUARD_H

#include "tb-bounds.h"

#include <glib.h>

G_BEGIN_DECLS

/* X's payloads nest about 6 deep (data, includes, users, entities, urls, ...): 64 is plenty. */
#define TB_JSON_GUARD_MAX_DEPTH TB_BOUND_JSON_DEPTH

#define TB_JSON_GUARD_ERROR (tb_json_guard_error_quark())
typedef enum {
  TB_JSON_GUARD_ERROR_DEPTH,
  TB_JSON_GUARD_ERROR_ENCODING,
} TbJsonGuardError;
GQuark tb_json_guard_error_quark(void);

/* TRUE if data[0..len) nests at most max_depth arrays and objects (counted outside strings),
 * is valid UTF-8 and holds no NUL byte. It does not check that the JSON is well formed. */
gboolean tb_json_guard_check(const char *data, gsize len, guint max_depth, GError **error);

G_END_DECLS

#endif
