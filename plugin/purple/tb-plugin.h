/* Plugin-wide state, shared by every account of the client: the short-id ring ("r7", "o3"),
 * made at the plugin's load and freed at its unload.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_PLUGIN_H
#define TB_PLUGIN_H

#include "core/tb-ids.h"

void tb_plugin_state_init(void);
void tb_plugin_state_cleanup(void);
TbShortIds *tb_plugin_shortids(void);

#endif
