/* What the user typed in a conversation of the account: an in-band command, or a message that
 * core/tb-route sends as a post, a reply or a DM. The prpl's send_im and chat_send.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_INPUT_H
#define TB_INPUT_H

#include <purple.h>

G_BEGIN_DECLS

int tb_input_im(PurpleConnection *gc, const char *who, const char *message,
                PurpleMessageFlags flags);
int tb_input_chat(PurpleConnection *gc, int id, const char *message, PurpleMessageFlags flags);

G_END_DECLS

#endif
