/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-cmdline.h"

#include <string.h>

#define BLANKS " \t"

char *
tb_cmdline_word(const char *text, gboolean *explicit, const char **args)
{
  gboolean bang = text[0] == '!';
  const char *p = bang ? text + 1 : text;
  gsize n = strcspn(p, BLANKS);

  if (explicit != NULL)
    *explicit = bang;
  if (args != NULL)
    *args = p + n;
  return g_strndup(p, n);
}

gboolean
tb_cmdline_split(TbCmdArgs shape, const char *line, char **word, char **rest)
{
  g_autofree char *trimmed = g_strstrip(g_strdup(line ? line : ""));
  gsize n = strcspn(trimmed, BLANKS);
  gboolean ok = FALSE;

  *word = n ? g_strndup(trimmed, n) : NULL;
  *rest = trimmed[n] ? g_strstrip(g_strdup(trimmed + n)) : NULL;
  switch (shape) {
  case TB_ARGS_NONE:
    ok = *word == NULL;
    break;
  case TB_ARGS_WORD:
    ok = *word != NULL && *rest == NULL;
    break;
  case TB_ARGS_OPT_WORD:
    ok = *rest == NULL;
    break;
  case TB_ARGS_TEXT:
    g_free(*word);
    g_free(*rest);
    *word = NULL;
    *rest = *trimmed ? g_strdup(trimmed) : NULL;
    ok = *rest != NULL;
    break;
  case TB_ARGS_WORD_TEXT:
    ok = *word != NULL && *rest != NULL;
    break;
  }
  if (!ok) {
    g_clear_pointer(word, g_free);
    g_clear_pointer(rest, g_free);
  }
  return ok;
}

char *
tb_cmdline_nick_reply(const char *text, const char **text_out)
{
  const char *colon = strstr(text, ": ");

  /* the nick is everything before ": " and has no blank in it */
  if (colon == NULL || colon == text || strcspn(text, BLANKS) < (gsize)(colon - text))
    return NULL;
  gboolean at = text[0] == '@';
  if (at && colon == text + 1)
    return NULL; /* "@: ..." names nobody */
  if (text_out != NULL)
    *text_out = colon + 2;
  return g_ascii_strdown(text + at, colon - text - at);
}
