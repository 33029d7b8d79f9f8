/* libpurple's event loop on GLib for the unit tests that drive a layer on it (tests/unit/layers):
 * a PurpleEventLoopUiOps, as Pidgin's (pidgin/gtkeventloop.c), that also counts live watches and
 * timers, so a test can prove the code leaves none behind and never removes one twice; a guard
 * that fails a test case which does not finish in time; and a fixture that checks, after each
 * case, that no watch, timer or descriptor is left. No purple_core_init() is needed: eventloop.c
 * only forwards to the installed ops.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_FAKE_LOOP_H
#define TB_FAKE_LOOP_H

#include <eventloop.h>
#include <glib.h>

G_BEGIN_DECLS

#define GUARD_S 20 /* every test case finishes within this, or fails */

typedef struct {
  GHashTable *watches; /* live source ids */
  GHashTable *timers;
  guint watches_added, timers_added;
  guint max_timers; /* most timers alive at once, besides one that is firing */
  guint timers_firing;
  guint stale_removes; /* a remove of an id that was not live: another loop could kill a stranger */
  guint nval_events;   /* a watch on a closed fd */
  guint callbacks;     /* watch and timer callbacks begun: which ran in the same one */
} FakeLoop;

extern FakeLoop fl;

typedef struct {
  gint64 deadline;
  gboolean expired;
} Guard;

extern Guard guard;

/* Installs the ops; once, in main() before any test. */
void fake_loop_install(void);
guint live_watches(void);
guint live_timers(void);

/* Iterates the loop until *flag (or the test's guard expires, which fails the test). */
gboolean run_until(const gboolean *flag, const char *what);
/* Runs the loop for ms, to show that something does NOT happen (a cancelled callback). */
void run_for(guint ms);

/* A port that was just free: nothing listens there. */
int closed_port(void);

/* Per test case: fresh counters and a guard; afterwards nothing left on the loop or in the fd
 * table. */
typedef struct {
  guint fds; /* open descriptors when the test started */
} Fixture;

void fake_loop_setup(Fixture *f, gconstpointer data);
void fake_loop_teardown(Fixture *f, gconstpointer data);

G_END_DECLS

#endif
