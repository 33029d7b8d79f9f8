/* The home timeline's pure decisions (purple/tb-timeline.c gathers the inputs and acts): how many
 * posts a read asks for, which posts are the user's own (this account's or their other Twinbird
 * account's), the ids already shown (bounded), and what a read costs, said when the timeline is
 * switched on, from the cost meter's own prices (core/tb-cost).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_HOME_H
#define TB_HOME_H

#include <glib.h>

G_BEGIN_DECLS

#define TB_HOME_FIRST_READ 20 /* switching on is cheap: the newest 20, not a backlog */
#define TB_HOME_PAGE 100      /* X's most per read; since_id keeps it to what is new */

/* max_results of the next read: a few on the first one (no cursor yet), else a full page. */
int tb_home_page_size(const char *since_id);

/* TRUE when id is past the cursor (NULL: nothing read yet, every id is new). */
gboolean tb_home_is_new(const char *id, const char *since_id);

/* Posts arrived past what one read takes (X said there is a next page): the older ones are
 * skipped, and the user is told. Never on a first read, which takes only the newest by design. */
gboolean tb_home_is_gap(const char *since_id, gboolean has_next_page);

typedef enum {
  TB_HOME_MARK_NONE,  /* someone the account follows */
  TB_HOME_MARK_OWN,   /* this account's own post */
  TB_HOME_MARK_OTHER, /* a post of the user's other signed-in Twinbird account */
} TbHomeMark;

/* Whose post author_id wrote: me_id is this account, others the X ids of the user's other
 * signed-in Twinbird accounts (NULL-terminated, may be NULL); *which (may be NULL) is set to the
 * index in others for TB_HOME_MARK_OTHER. */
TbHomeMark tb_home_mark(const char *author_id, const char *me_id, const char *const *others,
                        guint *which);

/* The mark written in front of the post's text, translated ("(your post)", "(your work
 * account)"); other_role is the other account's role. NULL for TB_HOME_MARK_NONE. */
char *tb_home_mark_text(TbHomeMark mark, const char *other_role);

/* Said once when the timeline is switched on: how often it is read and what each read costs
 * (X's pay-per-use prices: a post returned, an author included), translated. */
char *tb_home_price_notice(const char *handle, const char *role, guint interval_s);

G_END_DECLS

#endif
