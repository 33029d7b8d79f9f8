/* The life of a connection, in one written order: open (the runtime and each module's state),
 * sign in (options, state file, HTTP driver, the token, GET /2/users/me), go online (the own
 * buddy, sends left in doubt, the pollers), and close (the same in reverse). The prpl's login
 * and close; the only module that knows every other.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_SESSION_H
#define TB_SESSION_H

#include "tb-conn.h"

G_BEGIN_DECLS

typedef struct _TbSession TbSession;

void tb_session_open(PurpleConnection *gc);
void tb_session_close(PurpleConnection *gc);

G_END_DECLS

#endif
