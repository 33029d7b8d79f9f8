/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-plugin.h"
#include "core/tb-bounds.h"

static TbShortIds *shortids;

void
tb_plugin_state_init(void)
{
  if (shortids == NULL)
    shortids = tb_shortids_new(TB_BOUND_SHORT_IDS);
}

void
tb_plugin_state_cleanup(void)
{
  g_clear_pointer(&shortids, tb_shortids_free);
}

TbShortIds *
tb_plugin_shortids(void)
{
  return shortids;
}
