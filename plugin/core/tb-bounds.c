/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-bounds.h"

#include <string.h>

char *
tb_bounds_dup(const char *s, glong max_chars, gboolean *cut)
{
  if (cut != NULL)
    *cut = FALSE;
  if (s == NULL)
    return NULL;
  /* a character is at least one byte: most strings are decided without counting */
  if (strlen(s) <= (gsize)max_chars || g_utf8_strlen(s, -1) <= max_chars)
    return g_strdup(s);
  if (cut != NULL)
    *cut = TRUE;
  return g_utf8_substring(s, 0, max_chars);
}
