/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-plugin.h"
#include "core/tb-bounds.h"

static TbShortIds *shortids;
static GHashTable *app_budgets; /* app id -> TbBudget: X's per-app limits, shared by its accounts */
static GHashTable *stream_apps; /* api_base + consumer key -> tb-stream.c's shared stream */

void
tb_plugin_state_init(void)
{
  if (shortids == NULL)
    shortids = tb_shortids_new(TB_BOUND_SHORT_IDS);
  if (app_budgets == NULL)
    app_budgets =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)tb_budget_free);
  if (stream_apps == NULL)
    stream_apps = g_hash_table_new(g_str_hash, g_str_equal);
}

void
tb_plugin_state_cleanup(void)
{
  g_clear_pointer(&shortids, tb_shortids_free);
  g_clear_pointer(&app_budgets, g_hash_table_destroy);
  g_clear_pointer(&stream_apps, g_hash_table_destroy); /* empty once every account closed */
}

GHashTable *
tb_plugin_stream_apps(void)
{
  return stream_apps;
}

TbShortIds *
tb_plugin_shortids(void)
{
  return shortids;
}

TbBudget *
tb_plugin_app_budget(const char *app_id)
{
  if (app_id == NULL || *app_id == '\0' || app_budgets == NULL)
    return NULL;
  TbBudget *b = g_hash_table_lookup(app_budgets, app_id);
  if (b == NULL && g_hash_table_size(app_budgets) < TB_BUDGET_MAX_ENDPOINTS) {
    b = tb_budget_new();
    g_hash_table_insert(app_budgets, g_strdup(app_id), b);
  }
  return b;
}
