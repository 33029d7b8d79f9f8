/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-limits.h"

#include <glib/gi18n-lib.h>

struct _TbLimits {
  GHashTable *rate_limits; /* endpoint name -> TbXapiRateLimit, from the latest answer */
  TbCostMeter *cost;       /* estimated spend today (pay-per-use prices) */
};

void
tb_limits_init(TbConn *conn)
{
  TbLimits *l = g_new0(TbLimits, 1);
  l->rate_limits = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  l->cost = tb_cost_meter_new();
  conn->limits = l;
}

void
tb_limits_cleanup(TbConn *conn)
{
  TbLimits *l = g_steal_pointer(&conn->limits);
  if (l == NULL)
    return;
  g_hash_table_destroy(l->rate_limits);
  tb_cost_meter_free(l->cost);
  g_free(l);
}

static void
bill_array(TbConn *conn, JsonArray *arr, TbCostKind kind, gint64 now)
{
  for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
    JsonNode *n = json_array_get_element(arr, i);
    if (JSON_NODE_HOLDS_OBJECT(n))
      tb_cost_meter_add(conn->limits->cost, kind,
                        tb_xapi_json_string(json_node_get_object(n), "id"), now);
  }
}

void
tb_limits_record(TbConn *conn, const char *endpoint, TbCostKind kind, const TbHttpResponse *resp,
                 JsonNode *root)
{
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  TbXapiRateLimit rl;

  if (resp == NULL)
    return;
  tb_xapi_rate_limit_read(resp, &rl);
  if (rl.known)
    g_hash_table_replace(conn->limits->rate_limits, g_strdup(endpoint), g_memdup2(&rl, sizeof rl));
  if (root == NULL || kind == TB_COST_NONE)
    return; /* only successful answers are billed */

  JsonObject *obj = json_node_get_object(root);
  if (kind >= TB_COST_WRITE_POST) {
    tb_cost_meter_add(conn->limits->cost, kind, NULL, now);
    return;
  }
  JsonNode *data = json_object_get_member(obj, "data");
  if (data && JSON_NODE_HOLDS_ARRAY(data))
    bill_array(conn, json_node_get_array(data), kind, now);
  else if (data && JSON_NODE_HOLDS_OBJECT(data))
    tb_cost_meter_add(conn->limits->cost, kind,
                      tb_xapi_json_string(json_node_get_object(data), "id"), now);
  JsonObject *includes = tb_xapi_json_object(obj, "includes");
  bill_array(conn, tb_xapi_json_array(includes, "users"), TB_COST_READ_USER, now);
  bill_array(conn, tb_xapi_json_array(includes, "tweets"), TB_COST_READ_POST, now);
}

void
tb_limits_count(TbConn *conn, TbCostKind kind, const char *id)
{
  if (conn->limits != NULL && kind != TB_COST_NONE)
    tb_cost_meter_add(conn->limits->cost, kind, id, g_get_real_time() / G_USEC_PER_SEC);
}

char *
tb_limits_report(TbConn *conn)
{
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  guint items = 0;
  gint64 micros = tb_cost_meter_today(conn->limits->cost, now, &items);
  GString *out = g_string_new(NULL);

  g_string_append_printf(
      out,
      g_dngettext(GETTEXT_PACKAGE, "@%s (%s): about $%.3f spent today (UTC), %u billed item",
                  "@%s (%s): about $%.3f spent today (UTC), %u billed items", items),
      conn->handle, conn->cfg.role, micros / 1e6, items);
  for (int k = 1; k < TB_COST_N_KINDS; k++) {
    guint n = tb_cost_meter_count(conn->limits->cost, k, now);
    if (n)
      g_string_append_printf(out, "; %u %s", n, tb_cost_kind_name(k));
  }
  g_autoptr(GList) keys = g_hash_table_get_keys(conn->limits->rate_limits);
  keys = g_list_sort(keys, (GCompareFunc)g_strcmp0);
  for (GList *l = keys; l; l = l->next) {
    const TbXapiRateLimit *rl = g_hash_table_lookup(conn->limits->rate_limits, l->data);
    gint64 mins = MAX((rl->reset - now + 59) / 60, 0);
    g_string_append_printf(out,
                           /* %lld, not G_GINT64_FORMAT: xgettext must see the whole text */
                           _(" · %s: %lld/%lld left, resets in %lld min"), (char *)l->data,
                           (long long)rl->remaining, (long long)rl->limit, (long long)mins);
  }
  g_string_append(out, _(" (estimate from X's pay-per-use prices)"));
  return g_string_free(out, FALSE);
}
