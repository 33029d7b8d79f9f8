/* Plugin-wide state, shared by every account of the client: the short-id ring ("r7", "o3") and
 * each X app's own limits, made at the plugin's load and freed at its unload.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_PLUGIN_H
#define TB_PLUGIN_H

#include "core/tb-budget.h"
#include "core/tb-ids.h"

void tb_plugin_state_init(void);
void tb_plugin_state_cleanup(void);
TbShortIds *tb_plugin_shortids(void);
/* The per-app limits of the X app app_id (an OAuth client id or consumer key), the same object
 * for every account of that app, kept until unload; NULL without an app id. */
TbBudget *tb_plugin_app_budget(const char *app_id);
/* The Activity streams, one per app (keys and values are tb-stream.c's, which adds and removes
 * them as accounts come and go). */
GHashTable *tb_plugin_stream_apps(void);

#endif
