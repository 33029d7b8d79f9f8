/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-trace.h"

#include <purple.h>

static gint64 slowest_us;

static gboolean
trace_enabled(void)
{
  static gsize once;
  static gboolean enabled;

  if (g_once_init_enter(&once)) {
    enabled = g_strcmp0(g_getenv("TB_TRACE_CALLBACKS"), "1") == 0;
    g_once_init_leave(&once, 1);
  }
  return enabled;
}

gint64
tb_trace_begin(void)
{
  return trace_enabled() ? MAX(g_get_monotonic_time(), 1) : 0;
}

void
tb_trace_end(gint64 start, const char *what)
{
  if (start == 0)
    return;
  gint64 took = g_get_monotonic_time() - start;
  if (took <= slowest_us)
    return;
  slowest_us = took;
  purple_debug_info("twinbird", "tb-trace: slowest callback %" G_GINT64_FORMAT " us (%s)\n", took,
                    what);
}
