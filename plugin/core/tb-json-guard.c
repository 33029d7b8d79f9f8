/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-json-guard.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* The quark's name is a string: its hyphens are not subtractions. */
/* clang-format off */
G_DEFINE_QUARK(tb-json-guard-error-quark, tb_json_guard_error)
/* clang-format on */

gboolean
tb_json_guard_check(const char *data, gsize len, guint max_depth, GError **error)
{
  guint depth = 0;
  gboolean in_string = FALSE;

  if (memchr(data, '\0', len) != NULL || !g_utf8_validate_len(data, len, NULL)) {
    g_set_error_literal(error, TB_JSON_GUARD_ERROR, TB_JSON_GUARD_ERROR_ENCODING,
                        _("not UTF-8 text"));
    return FALSE;
  }
  for (gsize i = 0; i < len; i++) {
    char c = data[i];
    if (in_string) {
      if (c == '\\')
        i++; /* the escaped character cannot end the string */
      else if (c == '"')
        in_string = FALSE;
    } else if (c == '"') {
      in_string = TRUE;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        g_set_error(error, TB_JSON_GUARD_ERROR, TB_JSON_GUARD_ERROR_DEPTH,
                    g_dngettext(GETTEXT_PACKAGE, "nested deeper than %u level",
                                "nested deeper than %u levels", max_depth),
                    max_depth);
        return FALSE;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      depth--;
    }
  }
  return TRUE;
}
