/* What one account keeps across restarts: the cursors (newest mention id, newest DM event id)
 * and the outbox of messages typed but not yet confirmed by X. A GKeyFile per account, written
 * atomically; BitlBee recreates accounts at each login, so this cannot live in account settings.
 *
 * The file starts with [twinbird] format=2 and ends with an [end] group holding the SHA-256 of
 * everything before it, so a file cut short or edited by accident is known as damaged. A damaged
 * file is never used and never overwritten: it is renamed aside and the store starts empty,
 * telling the caller (tb_store_damage) so that it can say so and rebuild its cursors from the
 * time the damaged file was last written. Files of 0.1.0 (no [twinbird] group) are read as
 * before.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_STORE_H
#define TB_STORE_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum { TB_OUTBOX_POST, TB_OUTBOX_REPLY, TB_OUTBOX_DM } TbOutboxKind;

typedef struct {
  char *id; /* local, e.g. "o3" */
  TbOutboxKind kind;
  char *target; /* DM: peer handle; reply: tweet id replied to; post: NULL */
  char *conv;   /* conversation it was typed in, where errors are shown */
  char *text;
  gint64 created;   /* Unix seconds */
  char *last_error; /* why the last try failed, NULL if never tried */
  /* when a request that may have reached X was sent (Unix seconds), until X's answer or a look
   * at X settles it; 0 when none is in doubt. Saved before the request goes out, so a crash
   * leaves it set and the next sign-in looks on X before anything is sent again. */
  gint64 attempted;
  /* a scheduled or held send (Unix seconds): not sent before then; 0 when it goes at once */
  gint64 due;
  gboolean held; /* held for the account's next right time (off_hours), not scheduled by hand */
  /* text is what arrived, and it was formatting alone (a pasted image): kept so that nothing
   * typed is lost, never sent as it is */
  gboolean markup_only;
} TbOutboxItem;

typedef struct _TbStore TbStore;

/* A missing file is an empty store; a damaged one is set aside (see above); one that cannot be
 * read at all (permissions, a directory) is an error, and nothing is overwritten. */
TbStore *tb_store_load(const char *path, GError **error);

typedef struct {
  char *reason;    /* what was wrong, e.g. "its end is missing (the file was cut short)" */
  char *set_aside; /* where the damaged file is now, NULL if it could not be moved */
  gint64 written;  /* when the damaged file was last written (Unix seconds) */
} TbStoreDamage;

/* NULL unless tb_store_load found the file damaged. Owned by the store. */
const TbStoreDamage *tb_store_damage(TbStore *store);
void tb_store_free(TbStore *store);
const char *tb_store_path(TbStore *store);

const char *tb_store_get(TbStore *store, const char *key);
gint64 tb_store_get_int(TbStore *store, const char *key, gint64 def);
void tb_store_set(TbStore *store, const char *key, const char *value);
void tb_store_set_int(TbStore *store, const char *key, gint64 value);
/* A bounded list of ids under key, oldest dropped first once it holds `keep`. */
void tb_store_idlist_add(TbStore *store, const char *key, const char *id, guint keep);
gboolean tb_store_idlist_contains(TbStore *store, const char *key, const char *id);
/* Keys starting with prefix, in no order; the list is the caller's, the strings are not. */
GList *tb_store_keys(TbStore *store, const char *prefix);

/* Owned by the store; valid until removed. */
TbOutboxItem *tb_store_outbox_add(TbStore *store, TbOutboxKind kind, const char *target,
                                  const char *conv, const char *text);
TbOutboxItem *tb_store_outbox_find(TbStore *store, const char *id);
void tb_store_outbox_set_error(TbStore *store, TbOutboxItem *item, const char *error);
void tb_store_outbox_set_attempted(TbStore *store, TbOutboxItem *item, gint64 when);
/* Due at when (0: now), held or scheduled. */
void tb_store_outbox_set_due(TbStore *store, TbOutboxItem *item, gint64 when, gboolean held);
void tb_store_outbox_set_markup_only(TbStore *store, TbOutboxItem *item);
gboolean tb_store_outbox_remove(TbStore *store, const char *id);
/* Oldest first; the list is the caller's, the items are not. */
GList *tb_store_outbox_list(TbStore *store);

gboolean tb_store_is_dirty(TbStore *store);
gboolean tb_store_save(TbStore *store, GError **error);

const char *tb_outbox_kind_name(TbOutboxKind kind);

G_END_DECLS

#endif
