/* How long the plugin holds libpurple's event loop: with TB_TRACE_CALLBACKS=1 in the
 * environment, every event-loop callback of the plugin (HTTP sockets and timers, the
 * connection's timers) is timed, and each new slowest one is logged at debug level as
 * "tb-trace: slowest callback N us (what) [cpu C us, waits W, preempted P, faults ...]" (what
 * the wall time beyond the CPU time went to), and each new largest CPU time of the main thread
 * in one as "tb-trace: most CPU in a callback N us (what)" (the figure a loaded machine does
 * not inflate). Off, it costs one branch. For bench/.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_TRACE_H
#define TB_TRACE_H

#include <glib.h>

G_BEGIN_DECLS

/* 0 when tracing is off, else the monotonic time the callback began. */
gint64 tb_trace_begin(void);
/* The callback that began at start (what: a static name) has ended. */
void tb_trace_end(gint64 start, const char *what);

G_END_DECLS

#endif
