/* Where a typed message goes: the routing rules of the prpl's send_im and chat_send, as pure
 * functions so each rule has a unit test (the purple adapter only looks up the thread and sends).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_ROUTE_H
#define TB_ROUTE_H

#include <glib.h>

#include "core/tb-store.h"

G_BEGIN_DECLS

typedef enum {
  TB_ROUTE_SEND,    /* send `kind` to `target` */
  TB_ROUTE_NOTHING, /* a chat with nothing to reply to yet: say so, send nothing */
} TbRouteAction;

typedef struct {
  TbRouteAction action;
  TbOutboxKind kind;
  const char *target;  /* a post id (reply), a handle without '@' (DM), NULL (post); in `who` */
  gboolean bare_words; /* command words work without '/' or '!' (own buddy, threads) */
} TbRoute;

/* Text typed in the IM `who` of the account @handle (both without or with '@'; handles compare
 * case-insensitively). reply_to is the newest post of the thread that `who` names ("@author" IMs
 * in author mode), NULL if none: the own buddy posts, an "@author" IM with a thread replies, and
 * anyone else gets a DM. */
TbRoute tb_route_im(const char *who, const char *handle, const char *reply_to);

/* Text typed in a mentions chat: a reply to its newest post, or nothing while it has none. */
TbRoute tb_route_chat(const char *reply_to);

G_END_DECLS

#endif
