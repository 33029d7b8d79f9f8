/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-limits.h"
#include "core/tb-text.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* Endpoints by method and normalised path (":id" for numeric segments). */
static const struct {
  const char *method;
  const char *path;
  TbCostKind kind;
} endpoint_table[] = {
    {"GET", "/2/users/me", TB_COST_READ_USER},
    {"GET", "/2/users/by/username/:username", TB_COST_READ_USER},
    {"GET", "/2/users/:id/mentions", TB_COST_READ_POST},
    {"GET", "/2/users/:id/followers", TB_COST_READ_FOLLOW},
    {"GET", "/2/users/:id/following", TB_COST_READ_FOLLOW},
    {"GET", "/2/dm_events", TB_COST_READ_DM_EVENT},
    {"GET", "/2/tweets/:id", TB_COST_READ_POST},
    {"POST", "/2/tweets", TB_COST_WRITE_POST},
    {"DELETE", "/2/tweets/:id", TB_COST_DELETE_INTERACTION},
    {"POST", "/2/dm_conversations/with/:id/messages", TB_COST_WRITE_DM},
    {"POST", "/2/users/:id/retweets", TB_COST_WRITE_INTERACTION},
    {"DELETE", "/2/users/:id/retweets/:id", TB_COST_DELETE_INTERACTION},
};

void
tb_limits_init(TbConn *conn)
{
  conn->rate_limits = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  conn->cost = tb_cost_meter_new();
}

void
tb_limits_cleanup(TbConn *conn)
{
  g_clear_pointer(&conn->rate_limits, g_hash_table_destroy);
  g_clear_pointer(&conn->cost, tb_cost_meter_free);
}

static TbCostKind
post_kind(const TbHttpRequest *req)
{
  if (req->body == NULL)
    return TB_COST_WRITE_POST;
  gsize len = 0;
  const char *data = g_bytes_get_data(req->body, &len);
  g_autoptr(JsonParser) parser = json_parser_new();
  if (!tb_xapi_json_load(parser, data, len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
    return TB_COST_WRITE_POST;
  JsonObject *body = json_node_get_object(json_parser_get_root(parser));
  if (json_object_has_member(body, "reply"))
    return TB_COST_WRITE_REPLY; /* we only ever reply when summoned */
  const char *text = tb_xapi_json_string(body, "text");
  g_autoptr(GPtrArray) urls = text ? tb_text_extract(text, TB_TEXT_EXTRACT(TB_ENTITY_URL)) : NULL;
  return urls && urls->len > 0 ? TB_COST_WRITE_POST_URL : TB_COST_WRITE_POST;
}

char *
tb_limits_endpoint(const TbHttpRequest *req, const char *api_base, TbCostKind *kind)
{
  const char *path = req->url + strlen(api_base);
  g_autofree char *bare = g_strndup(path, strcspn(path, "?"));
  g_auto(GStrv) parts = g_strsplit(bare, "/", -1);
  GString *norm = g_string_new(NULL);

  for (guint i = 0; parts[i]; i++) {
    if (i > 0)
      g_string_append_c(norm, '/');
    if (i > 0 && g_strcmp0(parts[i - 1], "username") == 0)
      g_string_append(norm, ":username");
    else if (i > 1 && parts[i][0] && strspn(parts[i], "0123456789-") == strlen(parts[i]))
      g_string_append(norm, ":id");
    else
      g_string_append(norm, parts[i]);
  }
  *kind = TB_COST_NONE;
  for (gsize i = 0; i < G_N_ELEMENTS(endpoint_table); i++) {
    if (g_str_equal(endpoint_table[i].method, req->method) &&
        g_str_equal(endpoint_table[i].path, norm->str))
      *kind = endpoint_table[i].kind;
  }
  if (*kind == TB_COST_WRITE_POST)
    *kind = post_kind(req);
  char *key = g_strdup_printf("%s %s", req->method, norm->str);
  g_string_free(norm, TRUE);
  return key;
}

static void
bill_array(TbConn *conn, JsonArray *arr, TbCostKind kind, gint64 now)
{
  for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
    JsonNode *n = json_array_get_element(arr, i);
    if (JSON_NODE_HOLDS_OBJECT(n))
      tb_cost_meter_add(conn->cost, kind, tb_xapi_json_string(json_node_get_object(n), "id"), now);
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
    g_hash_table_replace(conn->rate_limits, g_strdup(endpoint), g_memdup2(&rl, sizeof rl));
  if (root == NULL || kind == TB_COST_NONE)
    return; /* only successful answers are billed */

  JsonObject *obj = json_node_get_object(root);
  if (kind >= TB_COST_WRITE_POST) {
    tb_cost_meter_add(conn->cost, kind, NULL, now);
    return;
  }
  JsonNode *data = json_object_get_member(obj, "data");
  if (data && JSON_NODE_HOLDS_ARRAY(data))
    bill_array(conn, json_node_get_array(data), kind, now);
  else if (data && JSON_NODE_HOLDS_OBJECT(data))
    tb_cost_meter_add(conn->cost, kind, tb_xapi_json_string(json_node_get_object(data), "id"), now);
  JsonObject *includes = tb_xapi_json_object(obj, "includes");
  bill_array(conn, tb_xapi_json_array(includes, "users"), TB_COST_READ_USER, now);
  bill_array(conn, tb_xapi_json_array(includes, "tweets"), TB_COST_READ_POST, now);
}

char *
tb_limits_report(TbConn *conn)
{
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  guint items = 0;
  gint64 micros = tb_cost_meter_today(conn->cost, now, &items);
  GString *out = g_string_new(NULL);

  g_string_append_printf(out, _("@%s (%s): about $%.3f spent today (UTC), %u billed items"),
                         conn->handle, conn->cfg.role, micros / 1e6, items);
  for (int k = 1; k < TB_COST_N_KINDS; k++) {
    guint n = tb_cost_meter_count(conn->cost, k, now);
    if (n)
      g_string_append_printf(out, "; %u %s", n, tb_cost_kind_name(k));
  }
  g_autoptr(GList) keys = g_hash_table_get_keys(conn->rate_limits);
  keys = g_list_sort(keys, (GCompareFunc)g_strcmp0);
  for (GList *l = keys; l; l = l->next) {
    const TbXapiRateLimit *rl = g_hash_table_lookup(conn->rate_limits, l->data);
    gint64 mins = MAX((rl->reset - now + 59) / 60, 0);
    g_string_append_printf(out,
                           _(" · %s: %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
                             " left, resets in %" G_GINT64_FORMAT " min"),
                           (char *)l->data, rl->remaining, rl->limit, mins);
  }
  g_string_append(out, _(" (estimate from X's pay-per-use prices)"));
  return g_string_free(out, FALSE);
}
