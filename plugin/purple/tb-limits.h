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

void tb_limits_init(TbConn *conn);
void tb_limits_cleanup(TbConn *conn);
/* "GET /2/users/:id/mentions" for a request; what it is billed as. */
char *tb_limits_endpoint(const TbHttpRequest *req, const char *api_base, TbCostKind *kind);
void tb_limits_record(TbConn *conn, const char *endpoint, TbCostKind kind,
                      const TbHttpResponse *resp, JsonNode *root);
char *tb_limits_report(TbConn *conn);

G_END_DECLS

#endif
