/* Whether two texts are the same post as far as a reader can tell: links aside (X serves every
 * URL as a t.co link, so a post never comes back as typed), runs of spaces and line breaks as
 * one space, and optionally case. Used to find a send of ours on X after its answer was lost,
 * and by the guard between the two identities.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_TEXTMATCH_H
#define TB_TEXTMATCH_H

#include <glib.h>

G_BEGIN_DECLS

/* The comparable form of text: URLs removed, whitespace collapsed and trimmed, and with
 * fold_case also case-folded and NFKC-normalised. Newly allocated; NULL for NULL. */
char *tb_textmatch_key(const char *text, gboolean fold_case);

/* TRUE if a and b have the same key (case kept: "ok" and "OK" are two posts to X). */
gboolean tb_textmatch_same(const char *a, const char *b);

/* The same for a reply: X puts the thread's handles in front of a reply's text ("@alice @bob
 * typed text"), so leading @handles on either side are left out. */
gboolean tb_textmatch_same_reply(const char *a, const char *b);

/* TRUE if a and b are nearly the same words: case, spacing and links aside (the guard between
 * the two identities: the same announcement from both accounts). */
gboolean tb_textmatch_near(const char *a, const char *b);

G_END_DECLS

#endif
