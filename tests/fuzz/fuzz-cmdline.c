/* A line typed in a conversation: the command word, each argument shape, "nick: text".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "fuzz.h"

#include "core/tb-cmdline.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *text = fuzz_string(data, size);
  gboolean explicit = FALSE;
  const char *args = NULL;
  char *word = tb_cmdline_word(text, &explicit, &args);

  for (int shape = TB_ARGS_NONE; shape <= TB_ARGS_WORD_TEXT; shape++) {
    char *w = NULL, *rest = NULL;
    if (tb_cmdline_split((TbCmdArgs)shape, args, &w, &rest) && shape == TB_ARGS_TEXT &&
        rest == NULL)
      __builtin_trap(); /* a text command always has its text */
    g_free(w);
    g_free(rest);
  }
  const char *reply = NULL;
  char *nick = tb_cmdline_nick_reply(text, &reply);
  if (nick != NULL && (reply < text || reply > text + size))
    __builtin_trap();
  g_free(nick);
  g_free(word);
  g_free(text);
  return 0;
}
