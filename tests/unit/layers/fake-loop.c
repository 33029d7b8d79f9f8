/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fake-loop.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* --- a GLib implementation of PurpleEventLoopUiOps that keeps count -------------------------- */

#define READ_COND (G_IO_IN | G_IO_HUP | G_IO_ERR | G_IO_NVAL)
#define WRITE_COND (G_IO_OUT | G_IO_HUP | G_IO_ERR | G_IO_NVAL)

FakeLoop fl;

typedef struct {
  guint id;
  GHashTable *set;
  PurpleInputFunction input; /* or */
  GSourceFunc timer;
  gpointer data;
} Closure;

static void
closure_gone(gpointer p)
{
  Closure *c = p;
  g_hash_table_remove(c->set, GUINT_TO_POINTER(c->id));
  g_free(c);
}

static gboolean
io_invoke(GIOChannel *ch, GIOCondition cond, gpointer p)
{
  Closure *c = p;
  PurpleInputCondition pc = 0;

  fl.callbacks++;
  if (cond & G_IO_NVAL) {
    fl.nval_events++;
    return FALSE; /* as BitlBee does; the driver's later remove then counts as stale */
  }
  /* Like Pidgin: HUP and ERR arrive as READ and WRITE both. */
  if (cond & READ_COND)
    pc |= PURPLE_INPUT_READ;
  if (cond & WRITE_COND)
    pc |= PURPLE_INPUT_WRITE;
  c->input(c->data, g_io_channel_unix_get_fd(ch), pc);
  return TRUE;
}

static guint
fl_input_add(int fd, PurpleInputCondition cond, PurpleInputFunction func, gpointer data)
{
  Closure *c = g_new0(Closure, 1);
  GIOCondition gc = 0;

  if (cond & PURPLE_INPUT_READ)
    gc |= READ_COND;
  if (cond & PURPLE_INPUT_WRITE)
    gc |= WRITE_COND;
  c->set = fl.watches;
  c->input = func;
  c->data = data;
  GIOChannel *ch = g_io_channel_unix_new(fd);
  c->id = g_io_add_watch_full(ch, G_PRIORITY_DEFAULT, gc, io_invoke, c, closure_gone);
  g_io_channel_unref(ch);
  g_hash_table_add(fl.watches, GUINT_TO_POINTER(c->id));
  fl.watches_added++;
  return c->id;
}

static gboolean
timer_invoke(gpointer p)
{
  Closure *c = p;
  fl.callbacks++;
  /* A timer callback that arms the next one is not a pile-up: the firing one is ending. */
  fl.timers_firing++;
  gboolean again = c->timer(c->data);
  fl.timers_firing--;
  return again;
}

static guint
fl_timeout_add(guint ms, GSourceFunc func, gpointer data)
{
  Closure *c = g_new0(Closure, 1);

  c->set = fl.timers;
  c->timer = func;
  c->data = data;
  c->id = g_timeout_add_full(G_PRIORITY_DEFAULT, ms, timer_invoke, c, closure_gone);
  g_hash_table_add(fl.timers, GUINT_TO_POINTER(c->id));
  fl.timers_added++;
  fl.max_timers = MAX(fl.max_timers, g_hash_table_size(fl.timers) - fl.timers_firing);
  return c->id;
}

static gboolean
fl_remove(GHashTable *set, guint id)
{
  if (!g_hash_table_contains(set, GUINT_TO_POINTER(id))) {
    fl.stale_removes++;
    return FALSE;
  }
  return g_source_remove(id); /* closure_gone drops it from the set */
}

static gboolean
fl_input_remove(guint id)
{
  return fl_remove(fl.watches, id);
}

static gboolean
fl_timeout_remove(guint id)
{
  return fl_remove(fl.timers, id);
}

/* timeout_add_seconds and input_get_error stay NULL, as in BitlBee: libpurple falls back. */
static PurpleEventLoopUiOps fl_ops = {
    .timeout_add = fl_timeout_add,
    .timeout_remove = fl_timeout_remove,
    .input_add = fl_input_add,
    .input_remove = fl_input_remove,
};

guint
live_watches(void)
{
  return g_hash_table_size(fl.watches);
}

guint
live_timers(void)
{
  return g_hash_table_size(fl.timers);
}
void
fake_loop_install(void)
{
  fl.watches = g_hash_table_new(g_direct_hash, g_direct_equal);
  fl.timers = g_hash_table_new(g_direct_hash, g_direct_equal);
  purple_eventloop_set_ui_ops(&fl_ops);
  g_main_context_default(); /* its wakeup fd must not count as a test's leak */
}

int
closed_port(void)
{
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(sa);

  g_assert_cmpint(s, >=, 0);
  g_assert_cmpint(bind(s, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
  g_assert_cmpint(getsockname(s, (struct sockaddr *)&sa, &len), ==, 0);
  close(s);
  return ntohs(sa.sin_port);
}

/* --- running the loop with a guard -------------------------------------------------------------
 */

Guard guard;

static gboolean
wake(gpointer p)
{
  *(gboolean *)p = TRUE;
  return FALSE;
}

gboolean
run_until(const gboolean *flag, const char *what)
{
  while (!*flag && !guard.expired) {
    gint64 left = guard.deadline - g_get_monotonic_time();
    if (left <= 0) {
      guard.expired = TRUE;
      g_test_fail_printf("guard: %s did not happen within %d s", what, GUARD_S);
      break;
    }
    gboolean woke = FALSE;
    guint id = g_timeout_add((guint)(left / 1000) + 1, wake, &woke);
    g_main_context_iteration(NULL, TRUE);
    if (!woke)
      g_source_remove(id);
  }
  return *flag;
}

void
run_for(guint ms)
{
  gboolean done = FALSE;
  g_timeout_add(ms, wake, &done);
  run_until(&done, "run_for");
}

/* --- per-test setup: fresh counters, a guard, and no leftovers at the end --------------------- */

static guint
count_fds(void)
{
  g_autoptr(GDir) dir = g_dir_open("/proc/self/fd", 0, NULL);
  guint n = 0;
  while (dir && g_dir_read_name(dir))
    n++;
  return n;
}

void
fake_loop_setup(Fixture *f, gconstpointer data)
{
  (void)data;
  f->fds = count_fds();
  g_hash_table_remove_all(fl.watches);
  g_hash_table_remove_all(fl.timers);
  memset(&fl.watches_added, 0, sizeof(fl) - G_STRUCT_OFFSET(FakeLoop, watches_added));
  guard.deadline = g_get_monotonic_time() + GUARD_S * G_USEC_PER_SEC;
  guard.expired = FALSE;
}

/* Every test frees what it made: afterwards nothing of it may remain on the loop or in the fd
 * table. */
void
fake_loop_teardown(Fixture *f, gconstpointer data)
{
  (void)data;
  g_assert_cmpuint(count_fds(), ==, f->fds); /* every socket closed */
  g_assert_cmpuint(live_watches(), ==, 0);
  g_assert_cmpuint(live_timers(), ==, 0);
  g_assert_cmpuint(fl.stale_removes, ==, 0);
  g_assert_cmpuint(fl.nval_events, ==, 0);
}
