/* Where a typed message goes: the routing rules of the prpl's send_im and chat_send, as pure
 * functions so each rule has a unit test (the purple adapter only looks up the thread and sends).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_ROUTE_H
#define TB_ROUTE_H

#include <glib.h>

#include "core/tb-cmdline.h"
#include "core/tb-config.h"
#include "core/tb-ids.h"
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

/* What a post named by the user is: short ids (shown in front of a post) are hex and at most
 * three characters, often all digits ("07"); full X ids are longer, so length tells them apart.
 * entry is the short-id ring's entry for key (NULL if none); a short id shown to the other
 * account is refused: a command or a reply acts from the account that saw the post. */
typedef enum {
  TB_POST_KEY_FULL_ID,
  TB_POST_KEY_SHORT_ID,      /* entry->tweet_id */
  TB_POST_KEY_OTHER_ACCOUNT, /* shown to entry->account */
  TB_POST_KEY_UNKNOWN,
} TbPostKey;

gboolean tb_route_is_short_key(const char *key);
TbPostKey tb_route_post_key(const char *key, const TbShortEntry *entry, const char *handle);

/* Where a public send comes from, for confirm_public. */
typedef enum {
  TB_FROM_THREAD,  /* text typed in a mention thread ("nick: text" too): an implicit reply */
  TB_FROM_TYPED,   /* text typed to the own buddy: an implicit post */
  TB_FROM_COMMAND, /* post or reply typed as a command */
  TB_FROM_REPOST,  /* rt */
} TbPublicFrom;

typedef enum {
  TB_ASK_NO,
  TB_ASK_PUBLIC,  /* confirm_public asks for this kind of send */
  TB_ASK_ESCAPES, /* looks like terminal garbage: asked whatever confirm_public says */
  TB_ASK_LONE_WORD,
} TbAsk;

/* Whether a send asks the user first. DMs never ask (they are not public); garbage and a lone
 * command word always do, even with confirm_public off. */
TbAsk tb_route_ask_first(TbConfirmPublic mode, TbOutboxKind kind, TbPublicFrom from,
                         TbLineShape shape);

/* Why a message did not go where it was sent, for callers that are not a conversation (D-Bus):
 * refused before it was queued, or its outcome never came. X's own refusals keep TB_XAPI_ERROR. */
#define TB_ROUTE_ERROR (tb_route_error_quark())
typedef enum {
  TB_ROUTE_ERROR_NO_SUCH_ACCOUNT,
  TB_ROUTE_ERROR_NOT_SIGNED_IN,
  TB_ROUTE_ERROR_UNKNOWN_ID,
  TB_ROUTE_ERROR_WRONG_ACCOUNT,
  TB_ROUTE_ERROR_REFUSED,   /* too long, empty, a DM to oneself... */
  TB_ROUTE_ERROR_CLOSED,    /* the account closed before X confirmed */
  TB_ROUTE_ERROR_REMOVED,   /* the item left the outbox while under way */
  TB_ROUTE_ERROR_GUARDED,   /* the guard between the identities would ask (issue 13) */
  TB_ROUTE_ERROR_OFF_HOURS, /* typed at the wrong time for the account's work hours */
} TbRouteError;
GQuark tb_route_error_quark(void);

G_END_DECLS

#endif
