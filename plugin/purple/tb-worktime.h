/* Work stays work: the account's work hours (core/tb-hours), the work account's own buddy away
 * outside them, sends typed at the wrong time held or asked about (off_hours), and sends
 * scheduled by hand. Both kinds are outbox items with a due time (core/tb-store), so they
 * survive restarts and go out through tb-send exactly once.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_WORKTIME_H
#define TB_WORKTIME_H

#include "tb-conn.h"

G_BEGIN_DECLS

typedef struct _TbWorktime TbWorktime;

/* At open: the state, and tb-send's gate. */
void tb_worktime_init(TbConn *conn);
/* Once signed in: presence, the timers, and scheduled sends missed while closed. */
void tb_worktime_start(TbConn *conn);
void tb_worktime_cleanup(TbConn *conn);

/* The guard's record (tb-stats.c passes the plugin's own signals on): what this account sent,
 * and who DMed it. */
void tb_worktime_note_sent(TbConn *conn, TbOutboxKind kind, const char *target, const char *text);
void tb_worktime_note_dm(TbConn *conn, const char *sender);

/* For a caller that cannot answer a question (D-Bus): FALSE with TB_ROUTE_ERROR_GUARDED or
 * TB_ROUTE_ERROR_OFF_HOURS where a typed send would be asked about or held. */
gboolean tb_worktime_may_send(TbConn *conn, TbOutboxKind kind, const char *target, const char *text,
                              GError **error);

/* The commands (tb-cmds.c's table); each returns NULL or an error for the user. */
char *tb_worktime_schedule(TbConn *conn, PurpleConversation *conv, const char *line);
char *tb_worktime_list(TbConn *conn, PurpleConversation *conv);
char *tb_worktime_unschedule(TbConn *conn, PurpleConversation *conv, const char *id);
char *tb_worktime_now(TbConn *conn, PurpleConversation *conv, const char *id);

G_END_DECLS

#endif
