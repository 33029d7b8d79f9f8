/* Throughput of the text path every incoming and outgoing post takes: twitter-text v3 weighted
 * length, entity extraction, and rendering for a client. Deterministic input, so valgrind's
 * callgrind gives the same instruction count on every run.
 *
 *   bench-text [POSTS]     (default 20000)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "core/tb-render.h"
#include "core/tb-text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Pieces of the posts people write: plain words, CJK, emoji sequences, links, mentions, tags,
 * and the markup and control characters strangers send. */
static const char *const pieces[] = {
    "Lunch on Friday? ",
    "@pat_home ",
    "see https://example.com/some/long/path?with=query&and=more ",
    "#launch ",
    "$ACME ",
    "東京で会いましょう ",
    "👩‍💻🚀 ",
    "👍🏽 ",
    "<script>alert(1)</script> ",
    "Q&A ",
    "\001ACTION waves\001 ", /* octal: at most three digits, so the A is not part of it */
    "x.com/pat_at_acme ",
    "and a few more plain words to make it longer ",
};

static char *
make_post(unsigned seed)
{
  GString *s = g_string_new(NULL);
  /* A simple LCG: the same posts on every run and every machine. */
  for (int i = 0; i < 8; i++) {
    seed = seed * 1103515245u + 12345u;
    g_string_append(s, pieces[(seed >> 16) % G_N_ELEMENTS(pieces)]);
  }
  return g_string_free(s, FALSE);
}

int
main(int argc, char **argv)
{
  long posts = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
  long weighted = 0, entities = 0, rendered = 0;

  for (long i = 0; i < posts; i++) {
    g_autofree char *text = make_post((unsigned)i);
    TbTextParse parse;
    tb_text_parse(text, &parse);
    weighted += parse.weighted_length;

    g_autoptr(GPtrArray) found = tb_text_extract(text, TB_TEXT_EXTRACT_ALL);
    entities += found->len;

    g_autofree char *html = tb_render_text(text, NULL, 0, TB_RENDER_HTML);
    g_autofree char *irc = tb_render_text(text, NULL, 0, TB_RENDER_IRC);
    rendered += (long)(strlen(html) + strlen(irc));
  }
  /* Printed so the work cannot be optimised away, and as a check that runs compare. */
  printf("posts %ld weighted %ld entities %ld rendered-bytes %ld\n", posts, weighted, entities,
         rendered);
  return 0;
}
