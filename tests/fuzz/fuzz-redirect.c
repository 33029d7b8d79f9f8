/* What a browser, or any page or program on this machine, can send the sign-in's loopback
 * listener: the bytes of a request, NULs and all, read as a head, a Host check, a query, a route
 * and the answer page.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "fuzz.h"

#include "core/tb-redirect.h"

#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  /* exactly size bytes, no NUL after them: a read past the end is caught */
  char *buf = g_memdup2(data, size);
  TbRedirect r;
  TbRedirectVerdict v = tb_redirect_parse(buf, size, 8765, &r);

  (void)tb_redirect_host_ok(buf, size, 8765);
  if (v == TB_REDIRECT_CALLBACK)
    v = tb_redirect_route(&r, tb_redirect_state_equal("S", r.state));
  else if (r.state != NULL || r.code != NULL || r.denied != NULL)
    __builtin_trap(); /* only a callback reads the query */
  if (v != TB_REDIRECT_MORE) {
    gsize len = 0;
    char *answer = tb_redirect_answer(v, "@pat_home", r.denied, &len);
    const char *p = strstr(answer, "<p>");
    /* a page a browser can read, where what came in is text and never markup */
    if (len != strlen(answer) || !g_utf8_validate(answer, -1, NULL) || p == NULL ||
        strchr(p + 3, '<') != strstr(p, "</p>"))
      __builtin_trap();
    g_free(answer);
  }
  tb_redirect_clear(&r);
  g_free(buf);
  return 0;
}
