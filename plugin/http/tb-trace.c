/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-trace.h"

#include <purple.h>
#include <sys/resource.h>
#include <time.h>

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

/* The main thread's CPU time: on a loaded machine the wall time of a callback includes the
 * time other processes ran, its CPU time only what the plugin itself spent. */
static gint64
thread_cpu_us(void)
{
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return 0;
  return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* What the main thread waited for: voluntary context switches (it blocked, e.g. on the disk),
 * involuntary ones (another task ran on its CPU), and page faults (major: read from disk). Says
 * why a callback's wall time is more than its CPU time. */
typedef struct {
  gint64 cpu_us;
  long waits, preempted, minor_faults, major_faults;
} TbTraceUsage;

static void
usage_now(TbTraceUsage *u)
{
  u->cpu_us = thread_cpu_us();
  u->waits = u->preempted = u->minor_faults = u->major_faults = 0;
#ifdef RUSAGE_THREAD
  struct rusage ru;
  if (getrusage(RUSAGE_THREAD, &ru) == 0) {
    u->waits = ru.ru_nvcsw;
    u->preempted = ru.ru_nivcsw;
    u->minor_faults = ru.ru_minflt;
    u->major_faults = ru.ru_majflt;
  }
#endif
}

/* Callbacks run one at a time on the loop; a few levels cover one that runs another. */
#define TB_TRACE_DEPTH 8
static TbTraceUsage started[TB_TRACE_DEPTH];
static guint depth;
static gint64 most_cpu_us;

gint64
tb_trace_begin(void)
{
  if (!trace_enabled())
    return 0;
  if (depth < TB_TRACE_DEPTH)
    usage_now(&started[depth]);
  depth++;
  return MAX(g_get_monotonic_time(), 1);
}

void
tb_trace_end(gint64 start, const char *what)
{
  if (start == 0)
    return;
  gint64 took = g_get_monotonic_time() - start;
  depth = depth > 0 ? depth - 1 : 0;
  TbTraceUsage now = {0}, was = {0};
  if (depth < TB_TRACE_DEPTH) {
    usage_now(&now);
    was = started[depth];
  }
  gint64 cpu = now.cpu_us - was.cpu_us;
  if (cpu > most_cpu_us) {
    most_cpu_us = cpu;
    purple_debug_info("twinbird", "tb-trace: most CPU in a callback %" G_GINT64_FORMAT " us (%s)\n",
                      cpu, what);
  }
  if (took <= slowest_us)
    return;
  slowest_us = took;
  purple_debug_info("twinbird",
                    "tb-trace: slowest callback %" G_GINT64_FORMAT " us (%s) [cpu %" G_GINT64_FORMAT
                    " us, waits %ld, preempted %ld, faults %ld minor %ld major]\n",
                    took, what, cpu, now.waits - was.waits, now.preempted - was.preempted,
                    now.minor_faults - was.minor_faults, now.major_faults - was.major_faults);
}
