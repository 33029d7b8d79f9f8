/* Plugin-wide state: the short-id ring shared by all accounts.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_PLUGIN_H
#define TB_PLUGIN_H

#include "core/tb-ids.h"

TbShortIds *tb_plugin_shortids(void);

#endif
