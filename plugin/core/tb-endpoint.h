/* The names X's limits and bills are kept under: one per endpoint, whatever ids and query a
 * request carries, so `limits` shows one line an endpoint and the cost meter knows what a
 * successful answer is billed as.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_ENDPOINT_H
#define TB_ENDPOINT_H

#include <glib.h>

#include "core/tb-cost.h"

G_BEGIN_DECLS

/* "GET /2/users/:id/mentions" from a method and a path below the API base: the query is dropped,
 * every numeric segment after the first two becomes ":id" and the one after "username" becomes
 * ":username". Newly allocated. */
char *tb_endpoint_name(const char *method, const char *path);

/* What a successful answer of the endpoint named `name` (as above) is billed as: TB_COST_NONE for
 * one X does not bill or Twinbird does not know. "POST /2/tweets" gives TB_COST_WRITE_POST:
 * refine it with tb_endpoint_post_kind(). */
TbCostKind tb_endpoint_cost_kind(const char *name);

/* A new post's price: a reply, a post with a link, or a plain post (xapi.md §2.4). */
TbCostKind tb_endpoint_post_kind(gboolean is_reply, const char *text);

G_END_DECLS

#endif
