/* Your own numbers: what this account posted, replied, sent and received by DM, and the mentions
 * it got, today and this week (Monday to Sunday in its time_zone), counted from the plugin's
 * own signals into the state file (a few weeks of days kept), never by asking X.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_STATS_H
#define TB_STATS_H

#include "tb-conn.h"

G_BEGIN_DECLS

typedef struct _TbStats TbStats;

/* Once signed in: counting starts. */
void tb_stats_start(TbConn *conn);
void tb_stats_cleanup(TbConn *conn);
/* The `stats` line of this account (all: one line per signed-in Twinbird account). */
void tb_stats_report(TbConn *conn, PurpleConversation *conv, gboolean all);

G_END_DECLS

#endif
