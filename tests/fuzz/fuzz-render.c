/* Rendering text from X for each UI, with entities both found in the text and with indices a
 * hostile server made up (the bytes after the first NUL give start/end pairs).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "fuzz.h"

#include "core/tb-render.h"

#include <string.h>

static const TbRenderMode modes[] = {TB_RENDER_HTML, TB_RENDER_PLAIN, TB_RENDER_IRC,
                                     TB_RENDER_ESCAPED};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size > 65536)
    return 0;
  const uint8_t *nul = memchr(data, 0, size);
  size_t text_len = nul ? (size_t)(nul - data) : size;
  char *text = fuzz_utf8(data, text_len);
  TbRenderEntity ents[8];
  gsize n = 0;

  for (const uint8_t *p = nul ? nul + 1 : data + size; p + 3 <= data + size && n < 8; p += 3, n++) {
    ents[n] = (TbRenderEntity){.kind = (TbEntityKind)(p[0] % 4),
                               .start = p[1],
                               .end = p[2],
                               .url = "https://t.co/abc",
                               .expanded_url = "https://example.com/",
                               .username = "alice",
                               .tag = "tag"};
  }
  for (gsize m = 0; m < G_N_ELEMENTS(modes); m++) {
    g_free(tb_render_text(text, ents, n, modes[m]));
    g_free(tb_render_name(text, modes[m]));
  }
  g_free(tb_render_unescape_x(text));
  g_free(tb_render_autolink(text, 0xffu));
  g_free(text);
  return 0;
}
