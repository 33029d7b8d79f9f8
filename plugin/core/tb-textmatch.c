/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-textmatch.h"
#include "tb-text.h"

#include <string.h>

char *
tb_textmatch_key(const char *text, gboolean fold_case)
{
  if (text == NULL)
    return NULL;
  g_autoptr(GPtrArray) urls = tb_text_extract(text, TB_TEXT_EXTRACT(TB_ENTITY_URL));
  GString *out = g_string_new(NULL);
  gboolean space = FALSE;
  guint u = 0;
  glong cp = 0;

  for (const char *p = text; *p; p = g_utf8_next_char(p), cp++) {
    while (urls && u < urls->len && ((TbEntity *)urls->pdata[u])->end <= cp)
      u++;
    if (urls && u < urls->len && ((TbEntity *)urls->pdata[u])->start <= cp)
      continue; /* inside a link */
    gunichar c = g_utf8_get_char(p);
    if (g_unichar_isspace(c)) {
      space = out->len > 0;
      continue;
    }
    if (space)
      g_string_append_c(out, ' ');
    space = FALSE;
    g_string_append_unichar(out, c);
  }
  if (!fold_case)
    return g_string_free(out, FALSE);
  g_autofree char *plain = g_string_free(out, FALSE);
  g_autofree char *folded = g_utf8_casefold(plain, -1);
  return g_utf8_normalize(folded, -1, G_NORMALIZE_NFKC);
}

/* Past the @handles (1 to 15 of [A-Za-z0-9_], X's rule; @ or its fullwidth form) at the start. */
static const char *
skip_leading_mentions(const char *s)
{
  for (;;) {
    const char *p = s;
    while (g_unichar_isspace(g_utf8_get_char(p)))
      p = g_utf8_next_char(p);
    if (g_utf8_get_char(p) != '@' && g_utf8_get_char(p) != 0xFF20)
      return s;
    p = g_utf8_next_char(p);
    gsize n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
    if (n == 0 || n > 15 || !g_unichar_isspace(g_utf8_get_char(p + n)))
      return s;
    s = p + n;
  }
}

gboolean
tb_textmatch_same_reply(const char *a, const char *b)
{
  return a != NULL && b != NULL &&
         tb_textmatch_same(skip_leading_mentions(a), skip_leading_mentions(b));
}

static gboolean
same_key(const char *a, const char *b, gboolean fold_case)
{
  g_autofree char *ka = tb_textmatch_key(a, fold_case);
  g_autofree char *kb = tb_textmatch_key(b, fold_case);
  return ka != NULL && kb != NULL && g_str_equal(ka, kb);
}

gboolean
tb_textmatch_same(const char *a, const char *b)
{
  return same_key(a, b, FALSE);
}

gboolean
tb_textmatch_near(const char *a, const char *b)
{
  return same_key(a, b, TRUE);
}
