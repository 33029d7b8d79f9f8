/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-cost.h"
#include "tb-bounds.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* xapi.md §2.4, pay-per-use (the default for new developer accounts). The names are what
 * `limits` shows after a count ("; 3 posts read"), translated by tb_cost_kind_name; "free" is
 * never shown. */
static const struct {
  const char *name;
  gint64 micros;
} prices[TB_COST_N_KINDS] = {
    [TB_COST_NONE] = {"free", 0},
    /* Translators: names of billed items, after a count in `limits`: "; 3 posts read". */
    [TB_COST_READ_POST] = {N_("posts read"), 5000},
    [TB_COST_READ_USER] = {N_("users read"), 10000},
    [TB_COST_READ_DM_EVENT] = {N_("DM events read"), 10000},
    [TB_COST_READ_FOLLOW] = {N_("followers/following read"), 10000},
    [TB_COST_WRITE_POST] = {N_("posts created"), 15000},
    [TB_COST_WRITE_POST_URL] = {N_("posts with a URL created"), 200000},
    [TB_COST_WRITE_REPLY] = {N_("summoned replies"), 10000},
    [TB_COST_WRITE_DM] = {N_("DMs sent"), 15000},
    /* Translators: the noun, as in "; 2 reposts" (posts of others shared again). */
    [TB_COST_WRITE_INTERACTION] = {N_("reposts"), 15000},
    /* Translators: the noun, as in "; 2 deletes" (posts or reposts deleted). */
    [TB_COST_DELETE_INTERACTION] = {N_("deletes"), 10000},
};

struct _TbCostMeter {
  gint64 day; /* UTC day number the counters are for */
  gint64 micros;
  guint counts[TB_COST_N_KINDS];
  GHashTable *seen; /* "kind:id" read today */
};

gint64
tb_cost_price_micros(TbCostKind kind)
{
  return prices[kind].micros;
}

const char *
tb_cost_kind_name(TbCostKind kind)
{
  return kind == TB_COST_NONE ? prices[kind].name : _(prices[kind].name);
}

TbCostMeter *
tb_cost_meter_new(void)
{
  TbCostMeter *m = g_new0(TbCostMeter, 1);
  m->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  return m;
}

void
tb_cost_meter_free(TbCostMeter *m)
{
  if (m == NULL)
    return;
  g_hash_table_destroy(m->seen);
  g_free(m);
}

static void
roll_day(TbCostMeter *m, gint64 now)
{
  gint64 day = now / 86400;
  if (day == m->day)
    return;
  m->day = day;
  m->micros = 0;
  memset(m->counts, 0, sizeof m->counts);
  g_hash_table_remove_all(m->seen);
}

gint64
tb_cost_meter_add(TbCostMeter *m, TbCostKind kind, const char *resource_id, gint64 now)
{
  roll_day(m, now);
  if (resource_id != NULL) {
    char *key = g_strdup_printf("%d:%s", (int)kind, resource_id);
    if (g_hash_table_contains(m->seen, key)) {
      g_free(key);
      return 0; /* X bills the same resource once a day */
    }
    /* Bounded: past the cap a resource read again today counts again (the estimate errs high). */
    if (g_hash_table_size(m->seen) < TB_BOUND_COST_SEEN)
      g_hash_table_add(m->seen, key);
    else
      g_free(key);
  }
  m->counts[kind]++;
  m->micros += prices[kind].micros;
  return prices[kind].micros;
}

gint64
tb_cost_meter_today(TbCostMeter *m, gint64 now, guint *items)
{
  roll_day(m, now);
  if (items) {
    *items = 0;
    for (int k = 0; k < TB_COST_N_KINDS; k++)
      *items += m->counts[k];
  }
  return m->micros;
}

guint
tb_cost_meter_count(TbCostMeter *m, TbCostKind kind, gint64 now)
{
  roll_day(m, now);
  return m->counts[kind];
}
