/* The plugin's own purple signals (names in include/twinbird.h). libpurple broadcasts every
 * purple signal on D-Bus, so scripts get these as TwinbirdMessageSent etc. with no D-Bus code.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_SIGNALS_H
#define TB_SIGNALS_H

#include <purple.h>

G_BEGIN_DECLS

void tb_signals_register(PurplePlugin *plugin);
void tb_signals_unregister(PurplePlugin *plugin);

/* (account, role, tag, kind "post"|"reply"|"dm", new id, target, text) */
void tb_signals_emit_sent(PurpleAccount *account, const char *role, const char *tag,
                          const char *kind, const char *id, const char *target, const char *text);
/* (account, role, event id, sender handle, text) */
void tb_signals_emit_dm(PurpleAccount *account, const char *role, const char *id,
                        const char *sender, const char *text);
/* (account, role, tweet id, short id, author handle, conversation id, text) */
void tb_signals_emit_mention(PurpleAccount *account, const char *role, const char *id,
                             const char *short_id, const char *author, const char *conversation_id,
                             const char *text);

G_END_DECLS

#endif
