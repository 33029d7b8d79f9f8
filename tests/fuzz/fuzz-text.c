/* twitter-text: counting, extraction, reply detection, splitting into a thread, and the text
 * comparisons and bounds built on them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "fuzz.h"

#include "core/tb-bounds.h"
#include "core/tb-text.h"
#include "core/tb-textmatch.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size > 16384)
    return 0; /* longer than any post; the split is quadratic by design of the rules */
  char *text = fuzz_utf8(data, size);
  TbTextParse parse;

  tb_text_parse(text, &parse);
  GPtrArray *ents = tb_text_extract(text, TB_TEXT_EXTRACT_ALL);
  if (ents != NULL)
    g_ptr_array_unref(ents);
  g_free(tb_text_extract_reply(text));
  GPtrArray *parts = tb_text_split_thread(text, 280, TRUE);
  if (parts != NULL)
    g_ptr_array_unref(parts);
  g_free(tb_textmatch_key(text, TRUE));
  tb_textmatch_same(text, text);
  tb_textmatch_same_reply(text, "x");
  g_free(tb_bounds_dup(text, 7, NULL));
  g_free(text);
  return 0;
}
