/* What the account may still do and what it spent: the latest x-rate-limit headers per endpoint
 * and a pay-per-use cost estimate, both recorded from every answer. `limits` shows them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_LIMITS_H
#define TB_LIMITS_H

#include "core/tb-cost.h"
#include "tb-conn.h"

G_BEGIN_DECLS

typedef struct _TbLimits TbLimits;

void tb_limits_init(TbConn *conn);
void tb_limits_cleanup(TbConn *conn);
/* Every answer (the connection's `answered` hook): its rate-limit headers, and what X bills. */
void tb_limits_record(TbConn *conn, const char *endpoint, TbCostKind kind,
                      const TbHttpResponse *resp, JsonNode *root);
/* An item X bills that came another way than an answer (the Activity stream's events). */
void tb_limits_count(TbConn *conn, TbCostKind kind, const char *id);
char *tb_limits_report(TbConn *conn);

G_END_DECLS

#endif
