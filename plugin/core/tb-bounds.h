/* Every bound on what the network can make the plugin hold or show, in one place. X's own
 * limits where it has them (so nothing real is ever cut), a safe size where it has none.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_BOUNDS_H
#define TB_BOUNDS_H

#include <glib.h>

G_BEGIN_DECLS

/* Bodies: the HTTP driver refuses an answer larger than this (bytes). */
#define TB_BOUND_BODY_BYTES (8u * 1024u * 1024u)
/* One line of the Activity stream (an event with its includes: a few KB; a DM of 10,000
 * characters and its two users stay far below). A longer line is skipped, never held. */
#define TB_BOUND_ACTIVITY_LINE_BYTES (1024u * 1024u)
/* JSON nesting, checked before json-glib parses (core/tb-json-guard.h). */
#define TB_BOUND_JSON_DEPTH 64

/* Text fields, in characters. X's longest post (note_tweet) is 25,000 characters and its
 * longest DM 10,000: longer is a broken or hostile server, cut with a mark and a link. */
#define TB_BOUND_POST_CHARS 25000
#define TB_BOUND_DM_CHARS 10000
/* Any other string field (names, handles, URLs, ids, tokens): far above X's sizes. */
#define TB_BOUND_FIELD_CHARS 2048
/* what arrived as formatting alone (a pasted image), kept in the outbox as it was */
#define TB_BOUND_KEPT_MARKUP_CHARS 10000

/* An avatar kept for a buddy (X's profile images are a few KB; libpurple stores one a buddy). */
#define TB_BOUND_AVATAR_BYTES (512u * 1024u)

/* Items read from one answer: X pages hold at most 100 posts or DM events and their includes. */
#define TB_BOUND_PAGE_USERS 1000

/* Caches per account or for the plugin. */
#define TB_BOUND_USERS_KNOWN 5000    /* users remembered (names, avatars); emptied when full */
#define TB_BOUND_SHORT_IDS 256       /* the short-id ring ("3f"), shared by every account */
#define TB_BOUND_THREADS_KEPT 300    /* mention threads remembered across restarts, and in memory */
#define TB_BOUND_THREAD_AUTHORS 1000 /* authors of one thread "nick: text" can answer */
#define TB_BOUND_COST_SEEN 20000     /* resources the cost meter knows were billed today */
#define TB_BOUND_SENT_DMS_KEPT 50    /* DM event ids this plugin sent, so polls skip them */
#define TB_BOUND_TIMELINE_SEEN 1000  /* post ids the home timeline chat has shown */

/* A copy of s of at most max_chars characters (s must be valid UTF-8); *cut (may be NULL) says
 * whether anything was left out. NULL for NULL. */
char *tb_bounds_dup(const char *s, glong max_chars, gboolean *cut);

G_END_DECLS

#endif
