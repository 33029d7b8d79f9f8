/* What a request costs under X's pay-per-use pricing (xapi.md §2.4), estimated on our side so
 * `limits` can say what an account spent today. X bills reads per resource returned (the same
 * resource once per UTC day) and writes per request; only successful answers with data count.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_COST_H
#define TB_COST_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  TB_COST_NONE,
  TB_COST_READ_POST,
  TB_COST_READ_USER,
  TB_COST_READ_DM_EVENT,
  TB_COST_READ_FOLLOW,
  TB_COST_WRITE_POST,
  TB_COST_WRITE_POST_URL,
  TB_COST_WRITE_REPLY,
  TB_COST_WRITE_DM,
  TB_COST_WRITE_INTERACTION,
  TB_COST_DELETE_INTERACTION,
  TB_COST_N_KINDS
} TbCostKind;

/* US dollars, in millionths, so sums stay exact. */
gint64 tb_cost_price_micros(TbCostKind kind);
/* What the billed items of this kind are called, translated ("posts read"). */
const char *tb_cost_kind_name(TbCostKind kind);

typedef struct _TbCostMeter TbCostMeter;

TbCostMeter *tb_cost_meter_new(void);
void tb_cost_meter_free(TbCostMeter *meter);
/* Counts one billed item at Unix time now; resource_id dedupes reads within a UTC day (NULL for
 * writes, which are always billed). Returns the micros added. */
gint64 tb_cost_meter_add(TbCostMeter *meter, TbCostKind kind, const char *resource_id, gint64 now);
/* Spent today (UTC) in micros, and how many billed items. */
gint64 tb_cost_meter_today(TbCostMeter *meter, gint64 now, guint *items);
guint tb_cost_meter_count(TbCostMeter *meter, TbCostKind kind, gint64 now);

G_END_DECLS

#endif
