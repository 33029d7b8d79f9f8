/* X ids and the short ids shown in front of each incoming tweet (BitlBee style: two hex digits
 * that commands accept instead of a 19-digit id). One ring for the whole plugin, so a short id
 * is never ambiguous between the personal and the work account.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_IDS_H
#define TB_IDS_H

#include <glib.h>

G_BEGIN_DECLS

/* Numeric order of two decimal id strings (X ids grow with time). NULL sorts first. */
int tb_id_compare(const char *a, const char *b);

/* The smallest X id (a Snowflake: milliseconds since X's epoch, shifted left 22 bits) that can
 * have been made at or after unix_ms: a cursor rebuilt from a time when the saved one is lost.
 * "0" before X's epoch. Newly allocated. */
char *tb_id_from_time(gint64 unix_ms);

typedef struct {
  char *tweet_id;
  char *account;         /* handle of the account that received it */
  char *author;          /* author's handle */
  char *conversation_id; /* thread root id */
} TbShortEntry;

typedef struct _TbShortIds TbShortIds;

/* An X id as X writes it: 1 to 19 decimal digits (a 64-bit Snowflake). */
gboolean tb_ids_is_x_id(const char *id);

TbShortIds *tb_shortids_new(guint capacity);
void tb_shortids_free(TbShortIds *ids);
/* Returns the short id for the tweet, reusing the existing one if the tweet (for that account)
 * is still in the ring. */
const char *tb_shortids_add(TbShortIds *ids, const char *tweet_id, const char *account,
                            const char *author, const char *conversation_id);
/* Accepts a short id ("3f"), or a full numeric id known to the ring; NULL if unknown. */
const TbShortEntry *tb_shortids_lookup(TbShortIds *ids, const char *key);

/* A bounded set of ids: at most cap of them, the oldest forgotten first; an id sent again (a
 * page overlapping the cursor, a stream's backfill, a hostile server) is known as seen. */
typedef struct _TbIdSet TbIdSet;

TbIdSet *tb_id_set_new(guint cap);
void tb_id_set_free(TbIdSet *set);
/* TRUE the first time id is added (and then remembered); FALSE for NULL. */
gboolean tb_id_set_add(TbIdSet *set, const char *id);
gboolean tb_id_set_contains(const TbIdSet *set, const char *id);
guint tb_id_set_size(const TbIdSet *set);

G_END_DECLS

#endif
