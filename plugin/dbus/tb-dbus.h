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

#include "tb-build-config.h"

G_BEGIN_DECLS

#ifdef TB_HAVE_DBUS
/* From the plugin's load: adds the methods when purple_dbus_get_init_error() is NULL. */
void tb_dbus_register(PurplePlugin *plugin);
/* From unload: removes them; calls still waiting for X are answered with an error. */
void tb_dbus_unregister(PurplePlugin *plugin);
#else
static inline void
tb_dbus_register(PurplePlugin *plugin)
{
  (void)plugin;
}
static inline void
tb_dbus_unregister(PurplePlugin *plugin)
{
  (void)plugin;
}
#endif

G_END_DECLS

#endif
