/* Twinbird's own D-Bus methods (TwinbirdPost, TwinbirdReply, TwinbirdDm; names and errors in
 * include/twinbird.h), added to libpurple's D-Bus object with libpurple's own bindings. The
 * plugin's purple signals need nothing here: libpurple broadcasts every purple signal.
 *
 * Built only where D-Bus headers exist (TB_HAVE_DBUS); registered only when libpurple's bus is
 * up, so the protocol loads the same without a bus (BitlBee, headless hosts).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_DBUS_H
#define TB_DBUS_H

#include <purple.h>

#include "core/tb-store.h"
#include "tb-build-config.h"

G_BEGIN_DECLS

/* A sibling of the purple adapter, not above it: what it needs of a signed-in account comes in
 * as functions (twinbird.c passes purple/tb-remote's), so it includes only the layers below. */
typedef void (*TbDbusDone)(const char *handle, const char *outbox_id, const char *new_id,
                           const GError *error, gpointer data);
typedef struct {
  /* Queues text from account as kind (arg: the reply's post id or short id, the DM's handle);
   * anyway: sent where the guard or the work hours would ask, else refused with a named error.
   * FALSE with a TB_ROUTE_ERROR when refused; else done runs once, later or already. */
  gboolean (*send)(PurpleAccount *account, TbOutboxKind kind, const char *arg, const char *text,
                   gboolean anyway, TbDbusDone done, gpointer data, GError **error);
} TbDbusOps;

#ifdef TB_HAVE_DBUS
/* From the plugin's load: adds the methods when purple_dbus_get_init_error() is NULL. */
void tb_dbus_register(PurplePlugin *plugin, const TbDbusOps *ops);
/* From unload: removes them; calls still waiting for X are answered with an error. */
void tb_dbus_unregister(PurplePlugin *plugin);
#else
static inline void
tb_dbus_register(PurplePlugin *plugin, const TbDbusOps *ops)
{
  (void)plugin;
  (void)ops;
}
static inline void
tb_dbus_unregister(PurplePlugin *plugin)
{
  (void)plugin;
}
#endif

G_END_DECLS

#endif
