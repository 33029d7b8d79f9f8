/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-store.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#define GROUP_CURSORS "cursors"
#define GROUP_HEADER "twinbird"
#define OUTBOX_PREFIX "outbox "
#define STORE_FORMAT 2
#define END_MARK "\n[end]\nsha256="

struct _TbStore {
  char *path;
  GHashTable *values; /* key -> value */
  GPtrArray *outbox;  /* TbOutboxItem, oldest first */
  guint next_outbox;
  gboolean dirty;
  gboolean outbox_dirty; /* the outbox changed since the last save: that one goes to disk */
  TbStoreDamage *damage;
};

static const char *const kind_names[] = {"post", "reply", "dm"};

const char *
tb_outbox_kind_name(TbOutboxKind kind)
{
  return kind_names[kind];
}

static void
item_free(gpointer data)
{
  TbOutboxItem *item = data;
  g_free(item->id);
  g_free(item->target);
  g_free(item->conv);
  g_free(item->text);
  g_free(item->last_error);
  g_free(item);
}

static gboolean
kind_from_name(const char *name, TbOutboxKind *kind)
{
  for (gsize i = 0; i < G_N_ELEMENTS(kind_names); i++) {
    if (g_strcmp0(name, kind_names[i]) == 0) {
      *kind = (TbOutboxKind)i;
      return TRUE;
    }
  }
  return FALSE;
}

static void
load_outbox_item(TbStore *store, GKeyFile *kf, const char *group)
{
  TbOutboxItem *item = g_new0(TbOutboxItem, 1);
  g_autofree char *kind = g_key_file_get_string(kf, group, "kind", NULL);

  item->id = g_strdup(group + strlen(OUTBOX_PREFIX));
  item->text = g_key_file_get_string(kf, group, "text", NULL);
  item->target = g_key_file_get_string(kf, group, "target", NULL);
  item->conv = g_key_file_get_string(kf, group, "conv", NULL);
  item->last_error = g_key_file_get_string(kf, group, "last_error", NULL);
  item->created = g_key_file_get_int64(kf, group, "created", NULL);
  item->attempted = g_key_file_get_int64(kf, group, "attempted", NULL);
  item->due = g_key_file_get_int64(kf, group, "due", NULL);
  item->held = g_key_file_get_boolean(kf, group, "held", NULL);
  item->markup_only = g_key_file_get_boolean(kf, group, "markup_only", NULL);
  if (item->text == NULL || !kind_from_name(kind, &item->kind)) {
    item_free(item); /* half-written entry from a foreign editor: skip it */
    return;
  }
  guint64 n = 0;
  if (item->id[0] == 'o' && g_ascii_string_to_unsigned(item->id + 1, 10, 0, G_MAXUINT, &n, NULL))
    store->next_outbox = MAX(store->next_outbox, (guint)n);
  g_ptr_array_add(store->outbox, item);
}

static gint
item_cmp(gconstpointer a, gconstpointer b)
{
  const TbOutboxItem *x = *(TbOutboxItem *const *)a, *y = *(TbOutboxItem *const *)b;
  if (x->created != y->created)
    return x->created < y->created ? -1 : 1;
  /* "o10" after "o9": by number, not by text */
  gint64 nx = g_ascii_strtoll(x->id + 1, NULL, 10), ny = g_ascii_strtoll(y->id + 1, NULL, 10);
  return (nx > ny) - (nx < ny);
}

/* The key-file text of data, or NULL with *reason set when data is damaged. */
static char *
verified_body(const char *data, gsize len, char **reason)
{
  if (!g_str_has_prefix(data, "[" GROUP_HEADER "]"))
    return g_strndup(data, len); /* written by 0.1.0: no marker to check */
  const char *mark = g_strrstr(data, END_MARK);
  if (mark == NULL) {
    *reason = g_strdup(_("its end is missing (the file was cut short)"));
    return NULL;
  }
  gsize body_len = (gsize)(mark - data) + 1; /* the newline before [end] is the body's */
  g_autofree char *sum =
      g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, body_len);
  const char *saved = mark + strlen(END_MARK);
  if (strncmp(saved, sum, strlen(sum)) != 0 ||
      strspn(saved + strlen(sum), "\n") != strlen(saved + strlen(sum))) {
    *reason = g_strdup(_("its checksum does not match (the file was changed or damaged)"));
    return NULL;
  }
  return g_strndup(data, body_len);
}

static void
load_groups(TbStore *store, GKeyFile *kf)
{
  g_auto(GStrv) keys = g_key_file_get_keys(kf, GROUP_CURSORS, NULL, NULL);
  for (gsize i = 0; keys && keys[i]; i++) {
    char *value = g_key_file_get_string(kf, GROUP_CURSORS, keys[i], NULL);
    if (value != NULL)
      g_hash_table_insert(store->values, g_strdup(keys[i]), value);
  }
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (gsize i = 0; groups[i]; i++) {
    if (g_str_has_prefix(groups[i], OUTBOX_PREFIX))
      load_outbox_item(store, kf, groups[i]);
  }
  g_ptr_array_sort(store->outbox, item_cmp);
}

/* Moves the damaged file out of the way, so the next save cannot destroy what it still holds. */
static void
set_aside(TbStore *store, char *reason)
{
  GStatBuf st;
  TbStoreDamage *d = g_new0(TbStoreDamage, 1);
  g_autoptr(GDateTime) now = g_date_time_new_now_local();
  g_autofree char *stamp = g_date_time_format(now, "%Y%m%d-%H%M%S");
  g_autofree char *aside = g_strdup_printf("%s.damaged-%s", store->path, stamp);

  d->reason = reason;
  d->written = g_stat(store->path, &st) == 0 ? (gint64)st.st_mtime : 0;
  if (g_rename(store->path, aside) == 0)
    d->set_aside = g_steal_pointer(&aside);
  store->damage = d;
}

TbStore *
tb_store_load(const char *path, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) local = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;
  TbStore *store = g_new0(TbStore, 1);

  store->path = g_strdup(path);
  store->values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  store->outbox = g_ptr_array_new_with_free_func(item_free);

  if (!g_file_get_contents(path, &data, &len, &local)) {
    if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      return store;
    g_propagate_prefixed_error(error, g_steal_pointer(&local), _("cannot read %s: "), path);
    tb_store_free(store);
    return NULL;
  }
  char *reason = NULL;
  g_autofree char *body = verified_body(data, len, &reason);
  if (body != NULL && !g_key_file_load_from_data(kf, body, (gsize)-1, G_KEY_FILE_NONE, &local))
    reason = g_strdup_printf(_("it cannot be read (%s)"), local->message);
  if (body != NULL && reason == NULL && g_key_file_has_group(kf, GROUP_HEADER) &&
      g_key_file_get_integer(kf, GROUP_HEADER, "format", NULL) != STORE_FORMAT)
    reason = g_strdup(_("it was written in another format (by another version of Twinbird)"));
  if (reason != NULL) {
    set_aside(store, reason);
    return store;
  }
  load_groups(store, kf);
  return store;
}

const TbStoreDamage *
tb_store_damage(TbStore *store)
{
  return store->damage;
}

void
tb_store_free(TbStore *store)
{
  if (store == NULL)
    return;
  g_free(store->path);
  g_hash_table_destroy(store->values);
  g_ptr_array_unref(store->outbox);
  if (store->damage != NULL) {
    g_free(store->damage->reason);
    g_free(store->damage->set_aside);
    g_free(store->damage);
  }
  g_free(store);
}

const char *
tb_store_path(TbStore *store)
{
  return store->path;
}

const char *
tb_store_get(TbStore *store, const char *key)
{
  return g_hash_table_lookup(store->values, key);
}

gint64
tb_store_get_int(TbStore *store, const char *key, gint64 def)
{
  const char *v = tb_store_get(store, key);
  gint64 n = 0;
  return v && g_ascii_string_to_signed(v, 10, G_MININT64, G_MAXINT64, &n, NULL) ? n : def;
}

void
tb_store_set(TbStore *store, const char *key, const char *value)
{
  if (g_strcmp0(tb_store_get(store, key), value) == 0)
    return;
  if (value == NULL)
    g_hash_table_remove(store->values, key);
  else
    g_hash_table_insert(store->values, g_strdup(key), g_strdup(value));
  store->dirty = TRUE;
}

void
tb_store_set_int(TbStore *store, const char *key, gint64 value)
{
  char buf[32];
  g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, value);
  tb_store_set(store, key, buf);
}

GList *
tb_store_keys(TbStore *store, const char *prefix)
{
  GList *keys = NULL;
  GHashTableIter iter;
  gpointer k;

  g_hash_table_iter_init(&iter, store->values);
  while (g_hash_table_iter_next(&iter, &k, NULL)) {
    if (g_str_has_prefix(k, prefix))
      keys = g_list_prepend(keys, k);
  }
  return keys;
}

TbOutboxItem *
tb_store_outbox_add(TbStore *store, TbOutboxKind kind, const char *target, const char *conv,
                    const char *text)
{
  TbOutboxItem *item = g_new0(TbOutboxItem, 1);

  item->id = g_strdup_printf("o%u", ++store->next_outbox);
  item->kind = kind;
  item->target = g_strdup(target);
  item->conv = g_strdup(conv);
  item->text = g_strdup(text);
  item->created = g_get_real_time() / G_USEC_PER_SEC;
  g_ptr_array_add(store->outbox, item);
  store->dirty = store->outbox_dirty = TRUE;
  return item;
}

TbOutboxItem *
tb_store_outbox_find(TbStore *store, const char *id)
{
  for (guint i = 0; i < store->outbox->len; i++) {
    TbOutboxItem *item = store->outbox->pdata[i];
    if (g_strcmp0(item->id, id) == 0)
      return item;
  }
  return NULL;
}

void
tb_store_outbox_set_error(TbStore *store, TbOutboxItem *item, const char *error)
{
  g_free(item->last_error);
  item->last_error = g_strdup(error);
  store->dirty = store->outbox_dirty = TRUE;
}

void
tb_store_outbox_set_attempted(TbStore *store, TbOutboxItem *item, gint64 when)
{
  if (item->attempted == when)
    return;
  item->attempted = when;
  store->dirty = store->outbox_dirty = TRUE;
}

void
tb_store_outbox_set_due(TbStore *store, TbOutboxItem *item, gint64 when, gboolean held)
{
  item->due = when;
  item->held = when != 0 && held;
  store->dirty = store->outbox_dirty = TRUE;
}

void
tb_store_outbox_set_markup_only(TbStore *store, TbOutboxItem *item)
{
  item->markup_only = TRUE;
  store->dirty = store->outbox_dirty = TRUE;
}

gboolean
tb_store_outbox_remove(TbStore *store, const char *id)
{
  TbOutboxItem *item = tb_store_outbox_find(store, id);
  if (item == NULL)
    return FALSE;
  g_ptr_array_remove(store->outbox, item);
  store->dirty = store->outbox_dirty = TRUE;
  return TRUE;
}

GList *
tb_store_outbox_list(TbStore *store)
{
  GList *list = NULL;
  for (guint i = store->outbox->len; i > 0; i--)
    list = g_list_prepend(list, store->outbox->pdata[i - 1]);
  return list;
}

gboolean
tb_store_is_dirty(TbStore *store)
{
  return store->dirty;
}

gboolean
tb_store_save(TbStore *store, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  GHashTableIter iter;
  gpointer k, v;

  g_key_file_set_integer(kf, GROUP_HEADER, "format", STORE_FORMAT);
  g_hash_table_iter_init(&iter, store->values);
  while (g_hash_table_iter_next(&iter, &k, &v))
    g_key_file_set_string(kf, GROUP_CURSORS, k, v);
  for (guint i = 0; i < store->outbox->len; i++) {
    TbOutboxItem *item = store->outbox->pdata[i];
    g_autofree char *group = g_strconcat(OUTBOX_PREFIX, item->id, NULL);
    g_key_file_set_string(kf, group, "kind", kind_names[item->kind]);
    g_key_file_set_string(kf, group, "text", item->text);
    if (item->target)
      g_key_file_set_string(kf, group, "target", item->target);
    if (item->conv)
      g_key_file_set_string(kf, group, "conv", item->conv);
    if (item->last_error)
      g_key_file_set_string(kf, group, "last_error", item->last_error);
    g_key_file_set_int64(kf, group, "created", item->created);
    if (item->attempted != 0)
      g_key_file_set_int64(kf, group, "attempted", item->attempted);
    if (item->due != 0)
      g_key_file_set_int64(kf, group, "due", item->due);
    if (item->held)
      g_key_file_set_boolean(kf, group, "held", TRUE);
    if (item->markup_only)
      g_key_file_set_boolean(kf, group, "markup_only", TRUE);
  }

  g_autofree char *dir = g_path_get_dirname(store->path);
  if (g_mkdir_with_parents(dir, 0700) != 0) {
    int saved = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), _("cannot create %s: %s"), dir,
                g_strerror(saved));
    return FALSE;
  }
  g_autofree char *body = g_key_file_to_data(kf, NULL, NULL);
  if (!g_str_has_suffix(body, "\n")) {
    char *with_newline = g_strconcat(body, "\n", NULL);
    g_free(body);
    body = with_newline;
  }
  g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, body, -1);
  g_autofree char *data = g_strconcat(body, "[end]\nsha256=", sum, "\n", NULL);
  /* Always a temporary file renamed over the old one: a crash of the client never leaves half a
   * file, and the end marker catches what a crash of the disk or an editor does. Only a changed
   * outbox (a send about to go, or settled) waits for the disk (fsync, GLib's CONSISTENT):
   * cursors and counts are saved often, and an fsync held the event loop 4-8 ms each time. */
  if (store->outbox_dirty) {
    if (!g_file_set_contents_full(store->path, data, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                  error))
      return FALSE;
  } else {
    g_autofree char *tmp = g_strconcat(store->path, ".tmp", NULL);
    if (!g_file_set_contents_full(tmp, data, -1, G_FILE_SET_CONTENTS_NONE, 0600, error))
      return FALSE;
    if (g_rename(tmp, store->path) != 0) {
      int saved = errno;
      g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), _("cannot write %s: %s"),
                  store->path, g_strerror(saved));
      g_unlink(tmp);
      return FALSE;
    }
  }
  store->dirty = store->outbox_dirty = FALSE;
  return TRUE;
}

/* The lists are "id,id,...": searched and trimmed in place, without splitting, since a DM or a
 * mention may look one up (2,000 ids) on every delivery. */
void
tb_store_idlist_add(TbStore *store, const char *key, const char *id, guint keep)
{
  const char *list = tb_store_get(store, key);
  const char *from = list && *list ? list : NULL;
  guint n = 0;

  for (const char *p = from; p && *p; p++)
    n += *p == ',';
  n += from != NULL;
  /* drop the oldest so that, with id, keep are left */
  for (guint drop = keep > 0 && n >= keep ? n - keep + 1 : 0; from && drop > 0; drop--) {
    from = strchr(from, ',');
    from = from ? from + 1 : NULL;
  }
  g_autofree char *out = from && *from ? g_strconcat(from, ",", id, NULL) : g_strdup(id);
  tb_store_set(store, key, out);
}

gboolean
tb_store_idlist_contains(TbStore *store, const char *key, const char *id)
{
  const char *list = tb_store_get(store, key);
  gsize n = id ? strlen(id) : 0;

  if (list == NULL || n == 0)
    return FALSE;
  for (const char *p = strstr(list, id); p != NULL; p = strstr(p + 1, id)) {
    if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
      return TRUE;
  }
  return FALSE;
}
