/* What one account keeps across restarts: the cursors (newest mention id, newest DM event id)
 * and the outbox of messages typed but not yet confirmed by X. A GKeyFile per account, written
 * atomically; BitlBee recreates accounts at each login, so this cannot live in account settings.
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
} TbOutboxItem;

typedef struct _TbStore TbStore;

/* A missing file is an empty store; an unreadable one is an error (nothing is overwritten). */
TbStore *tb_store_load(const char *path, GError **error);
void tb_store_free(TbStore *store);
const char *tb_store_path(TbStore *store);

const char *tb_store_get(TbStore *store, const char *key);
gint64 tb_store_get_int(TbStore *store, const char *key, gint64 def);
void tb_store_set(TbStore *store, const char *key, const char *value);
void tb_store_set_int(TbStore *store, const char *key, gint64 value);
/* Keys starting with prefix, in no order; the list is the caller's, the strings are not. */
GList *tb_store_keys(TbStore *store, const char *prefix);

/* Owned by the store; valid until removed. */
TbOutboxItem *tb_store_outbox_add(TbStore *store, TbOutboxKind kind, const char *target,
                                  const char *conv, const char *text);
TbOutboxItem *tb_store_outbox_find(TbStore *store, const char *id);
void tb_store_outbox_set_error(TbStore *store, TbOutboxItem *item, const char *error);
gboolean tb_store_outbox_remove(TbStore *store, const char *id);
/* Oldest first; the list is the caller's, the items are not. */
GList *tb_store_outbox_list(TbStore *store);

gboolean tb_store_is_dirty(TbStore *store);
gboolean tb_store_save(TbStore *store, GError **error);

const char *tb_outbox_kind_name(TbOutboxKind kind);

G_END_DECLS

#endif
