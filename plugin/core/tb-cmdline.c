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

/* Length of the cursor-key code at p ("ESC[1;5A", "^[[A", "[A", "^[OB", "OB"), 0 if none. */
static gsize
key_code_len(const char *p)
{
  const char *q = p;

  if (*q == '\x1b')
    q++;
  else if (q[0] == '^' && q[1] == '[')
    q += 2;
  if (*q == 'O' && strchr("ABCDFHPQRS", q[1]) != NULL && q[1] != '\0')
    return (gsize)(q + 2 - p);
  if (*q != '[')
    return 0;
  q++;
  q += strspn(q, "0123456789;");
  if (*q == '~' || (g_ascii_isalpha(*q)))
    return (gsize)(q + 1 - p);
  return 0;
}

static gboolean
has_control(const char *text)
{
  for (const char *p = text; *p; p++) {
    if ((guchar)*p < 0x20 && *p != '\t' && *p != '\n')
      return TRUE;
    if (*p == '\x7f')
      return TRUE;
  }
  return FALSE;
}

static gboolean
only_key_codes(const char *text)
{
  gboolean any = FALSE;
  const char *p = text;

  while (*p) {
    if (strchr(BLANKS "\n", *p) != NULL) {
      p++;
      continue;
    }
    gsize n = key_code_len(p);
    if (n == 0)
      return FALSE;
    any = TRUE;
    p += n;
  }
  return any;
}

TbLineShape
tb_cmdline_shape(const char *text, const char *const *words)
{
  if (has_control(text) || only_key_codes(text))
    return TB_LINE_ESCAPES;
  g_autofree char *word = g_strstrip(g_strdup(text));
  char *w = word + strspn(word, "/!.");
  gsize n = strlen(w);
  while (n > 0 && g_ascii_ispunct(w[n - 1]))
    w[--n] = '\0';
  if (n == 0 || strpbrk(w, BLANKS "\n") != NULL)
    return TB_LINE_TEXT;
  for (gsize i = 0; words && words[i]; i++) {
    if (g_ascii_strcasecmp(words[i], w) == 0)
      return TB_LINE_LONE_COMMAND;
  }
  return TB_LINE_TEXT;
}
