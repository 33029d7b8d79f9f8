/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-tag.h"
#include "tb-config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

gboolean
tb_tag_format_is_valid(const char *format, GError **error)
{
  if (format != NULL && strstr(format, "{handle}") != NULL && g_utf8_validate(format, -1, NULL))
    return TRUE;
  g_set_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
              /* Translators: keep tag_format and {handle} as they are: the user types them. */
              _("Account option tag_format: '%s' must contain {handle}, so every message names "
                "the account that sent it"),
              format ? format : "");
  return FALSE;
}

char *
tb_tag_expand(const char *format, const char *role, const char *handle)
{
  static const struct {
    const char *token;
    gsize offset;
  } tokens[] = {{"{role}", 0}, {"{handle}", 1}};
  const char *values[] = {role, handle};
  GString *out = g_string_new(NULL);

  for (const char *p = format; *p;) {
    if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
      g_string_append_c(out, p[0]);
      p += 2;
      continue;
    }
    gboolean matched = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(tokens) && !matched; i++) {
      gsize n = strlen(tokens[i].token);
      if (strncmp(p, tokens[i].token, n) == 0) {
        g_string_append(out, values[tokens[i].offset]);
        p += n;
        matched = TRUE;
      }
    }
    if (!matched)
      g_string_append_c(out, *p++);
  }
  return g_string_free(out, FALSE);
}
