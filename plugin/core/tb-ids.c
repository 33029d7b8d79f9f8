/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-ids.h"

#include <string.h>

#define TB_SNOWFLAKE_EPOCH_MS G_GINT64_CONSTANT(1288834974657) /* 2010-11-04T01:42:54.657Z */
#define TB_SNOWFLAKE_TIME_SHIFT 22

char *
tb_id_from_time(gint64 unix_ms)
{
  if (unix_ms <= TB_SNOWFLAKE_EPOCH_MS)
    return g_strdup("0");
  /* 41 bits of milliseconds fit until 2079; clamp rather than wrap for a hostile clock */
  guint64 ms = MIN((guint64)(unix_ms - TB_SNOWFLAKE_EPOCH_MS), (G_GUINT64_CONSTANT(1) << 41) - 1);
  return g_strdup_printf("%" G_GUINT64_FORMAT, ms << TB_SNOWFLAKE_TIME_SHIFT);
}

int
tb_id_compare(const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return (a != NULL) - (b != NULL);
  while (*a == '0' && a[1])
    a++;
  while (*b == '0' && b[1])
    b++;
  gsize la = strlen(a), lb = strlen(b);
  if (la != lb)
    return la < lb ? -1 : 1;
  int c = strcmp(a, b);
  return (c > 0) - (c < 0);
}

struct _TbShortIds {
  TbShortEntry *slots;
  char (*names)[8];
  guint capacity;
  guint next;
  guint digits;
};

TbShortIds *
tb_shortids_new(guint capacity)
{
  TbShortIds *ids = g_new0(TbShortIds, 1);

  ids->capacity = MAX(capacity, 16u);
  ids->slots = g_new0(TbShortEntry, ids->capacity);
  ids->names = g_malloc0_n(ids->capacity, sizeof *ids->names);
  /* As few hex digits as the ring needs: 256 slots give BitlBee's familiar "3f". */
  ids->digits = 1;
  while ((1u << (4 * ids->digits)) < ids->capacity)
    ids->digits++;
  for (guint i = 0; i < ids->capacity; i++)
    g_snprintf(ids->names[i], sizeof ids->names[i], "%0*x", (int)ids->digits, i);
  return ids;
}

static void
entry_clear(TbShortEntry *e)
{
  g_clear_pointer(&e->tweet_id, g_free);
  g_clear_pointer(&e->account, g_free);
  g_clear_pointer(&e->author, g_free);
  g_clear_pointer(&e->conversation_id, g_free);
}

void
tb_shortids_free(TbShortIds *ids)
{
  if (ids == NULL)
    return;
  for (guint i = 0; i < ids->capacity; i++)
    entry_clear(&ids->slots[i]);
  g_free(ids->slots);
  g_free(ids->names);
  g_free(ids);
}

const char *
tb_shortids_add(TbShortIds *ids, const char *tweet_id, const char *account, const char *author,
                const char *conversation_id)
{
  for (guint i = 0; i < ids->capacity; i++) {
    TbShortEntry *e = &ids->slots[i];
    if (g_strcmp0(e->tweet_id, tweet_id) == 0 && g_strcmp0(e->account, account) == 0)
      return ids->names[i];
  }
  guint slot = ids->next;
  ids->next = (ids->next + 1) % ids->capacity;
  TbShortEntry *e = &ids->slots[slot];
  entry_clear(e);
  e->tweet_id = g_strdup(tweet_id);
  e->account = g_strdup(account);
  e->author = g_strdup(author);
  e->conversation_id = g_strdup(conversation_id);
  return ids->names[slot];
}

const TbShortEntry *
tb_shortids_lookup(TbShortIds *ids, const char *key)
{
  if (key == NULL || *key == '\0')
    return NULL;
  if (strlen(key) <= ids->digits) {
    guint64 slot = 0;
    if (g_ascii_string_to_unsigned(key, 16, 0, ids->capacity - 1, &slot, NULL) &&
        ids->slots[slot].tweet_id != NULL)
      return &ids->slots[slot];
    return NULL;
  }
  for (guint i = 0; i < ids->capacity; i++) {
    if (g_strcmp0(ids->slots[i].tweet_id, key) == 0)
      return &ids->slots[i];
  }
  return NULL;
}

gboolean
tb_ids_is_x_id(const char *id)
{
  gsize n = id ? strlen(id) : 0;
  return n > 0 && n <= 19 && strspn(id, "0123456789") == n;
}

struct _TbIdSet {
  guint cap;
  GQueue order;    /* ids, oldest first (owned) */
  GHashTable *ids; /* the same strings, for lookup */
};

TbIdSet *
tb_id_set_new(guint cap)
{
  TbIdSet *s = g_new0(TbIdSet, 1);
  s->cap = MAX(cap, 1u);
  g_queue_init(&s->order);
  s->ids = g_hash_table_new(g_str_hash, g_str_equal);
  return s;
}

void
tb_id_set_free(TbIdSet *s)
{
  if (s == NULL)
    return;
  g_hash_table_destroy(s->ids);
  g_queue_clear_full(&s->order, g_free);
  g_free(s);
}

gboolean
tb_id_set_add(TbIdSet *s, const char *id)
{
  if (id == NULL || g_hash_table_contains(s->ids, id))
    return FALSE;
  if (g_queue_get_length(&s->order) >= s->cap) {
    char *oldest = g_queue_pop_head(&s->order);
    g_hash_table_remove(s->ids, oldest);
    g_free(oldest);
  }
  char *copy = g_strdup(id);
  g_queue_push_tail(&s->order, copy);
  g_hash_table_add(s->ids, copy);
  return TRUE;
}

gboolean
tb_id_set_contains(const TbIdSet *s, const char *id)
{
  return id != NULL && g_hash_table_contains(s->ids, id);
}

guint
tb_id_set_size(const TbIdSet *s)
{
  return s->order.length;
}
