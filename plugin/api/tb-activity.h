/* The X Activity API (xapi.md §4): one line of GET /2/activity/stream parsed into an event, the
 * subscriptions' requests and answers (POST, GET, DELETE /2/activity/subscriptions), and the
 * stream's request. Pure: the bytes come from http/tb-http's tb_http_stream through
 * core/tb-ndjson, and go to the purple adapter as structs.
 *
 * Tokens: subscriptions for private events (DMs, mentions) are created with the user's OAuth 2.0
 * token (scope dm.read for dm.*, tweet.read for post.*); the stream takes the app's bearer token
 * (api/tb-oauth.h's client-credentials grant) and carries the events of every subscription of
 * the app, so an event is matched to its account by filter_user_id (or its tag).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_ACTIVITY_H
#define TB_ACTIVITY_H

#include "tb-xapi-data.h"
#include "tb-xapi.h"

G_BEGIN_DECLS

typedef enum {
  TB_ACTIVITY_OTHER, /* any event type the plugin does not use (follow.follow, oauth.revoke...) */
  TB_ACTIVITY_DM_RECEIVED,
  TB_ACTIVITY_DM_SENT,
  TB_ACTIVITY_POST_MENTION,
} TbActivityType;

/* "dm.received", "dm.sent", "post.mention.create"; NULL for OTHER. */
const char *tb_activity_type_name(TbActivityType type);
/* OTHER for NULL and for any name not above. */
TbActivityType tb_activity_type_from_name(const char *name);

/* One event off the stream. */
typedef struct {
  char *event_uuid; /* X's delivery id, to drop a delivery seen twice: digits, maybe a '-' */
  TbActivityType type;
  char *event_type;     /* as X named it, bounded: OTHER's "follow.follow" */
  char *filter_user_id; /* the subscribed user (NULL only for OTHER: oauth.revoke has none) */
  char *tag;            /* the subscription's tag, or NULL */
  GPtrArray *dms;       /* DM_*: TbXapiDmEvent (event_type "MessageCreate"), at least one;
                           dm_conversation_id is the one-to-one "<lower id>-<higher id>" */
  TbXapiTweet *post;    /* POST_MENTION: the post that mentions filter_user_id */
  GPtrArray *users;     /* TbXapiUser: includes.users (posts) or payload.users (DMs); may be
                           empty, never NULL */
} TbActivityEvent;

void tb_activity_event_free(TbActivityEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TbActivityEvent, tb_activity_event_free)

/* One line of the stream (without its newline, as core/tb-ndjson hands it on; at most
 * TB_BOUND_ACTIVITY_LINE_BYTES). NULL with a TB_XAPI_ERROR on failure:
 *  - MALFORMED: not JSON, nested too deep, or an event whose required parts are missing or
 *    invalid (ids, event_uuid, a DM without sender or text, a post without id or text);
 *  - a problem X sends on the stream instead of an event ({"errors":[Problem]}), mapped like an
 *    answer's (tb_activity_response_parse): the caller says it, and the stream ends soon after.
 * An event of an OTHER type is returned with only its envelope read. */
TbActivityEvent *tb_activity_event_parse(const char *line, gsize len, GError **error);

/* GET /2/activity/stream with the app's bearer token; backfill_minutes 0..5 (X's range, clamped)
 * asks for what was missed while disconnected (0: none). */
TbHttpRequest *tb_activity_stream_request(const TbXapiAuth *app, const char *api_base,
                                          int backfill_minutes);

/* --- subscriptions -------------------------------------------------------------------------- */

typedef struct {
  char *subscription_id;
  char *event_type; /* as X named it */
  TbActivityType type;
  char *user_id; /* filter.user_id, or NULL */
  char *tag;     /* or NULL */
} TbActivitySub;

void tb_activity_sub_free(TbActivitySub *sub);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TbActivitySub, tb_activity_sub_free)

/* "twinbird:<user_id>:<event type>": how the plugin finds its own subscriptions among the app's
 * (another client may share the app). NULL for OTHER or an invalid user id. */
char *tb_activity_tag(const char *user_id, TbActivityType type);
/* TRUE if tag is one tb_activity_tag made; user_id (may be NULL) newly allocated. */
gboolean tb_activity_tag_parse(const char *tag, char **user_id, TbActivityType *type);

/* POST /2/activity/subscriptions {"event_type", "filter": {"user_id"}, "tag": tb_activity_tag}
 * with the user's token. NULL for OTHER or an invalid user id. */
TbHttpRequest *tb_activity_sub_create_request(const TbXapiAuth *user, const char *api_base,
                                              const char *user_id, TbActivityType type);
/* GET /2/activity/subscriptions (max_results 1000), from pagination_token (NULL: first page). */
TbHttpRequest *tb_activity_sub_list_request(const TbXapiAuth *auth, const char *api_base,
                                            const char *pagination_token);
/* DELETE /2/activity/subscriptions/:id (X takes the app's bearer token here). */
TbHttpRequest *tb_activity_sub_delete_request(const TbXapiAuth *app, const char *api_base,
                                              const char *subscription_id);

/* tb_xapi_response_parse, with the Activity API's failures told apart: SUB_CAP, SUB_DUPLICATE,
 * SCOPE, AUTH_KIND, STREAM_LIMIT, besides UNAUTHORIZED, FORBIDDEN, USAGE_CAPPED and the rest;
 * a 2xx that carries only "errors" fails too. Also for the stream's non-200 answer (its body
 * collected whole by tb_http_stream). */
JsonNode *tb_activity_response_parse(const TbHttpResponse *resp, GError **error);

/* The created subscription (X has sent it as data.subscription, as data, and as data[0]). */
TbActivitySub *tb_activity_sub_create_parse(const TbHttpResponse *resp, GError **error);
/* The page's subscriptions (TbActivitySub; an unreadable one is left out), and meta.next_token
 * in *next_token (may be NULL; NULL when the last page). NULL with error on failure. */
GPtrArray *tb_activity_sub_list_parse(const TbHttpResponse *resp, char **next_token,
                                      GError **error);
/* TRUE when X says data.deleted. */
gboolean tb_activity_sub_delete_parse(const TbHttpResponse *resp, GError **error);

G_END_DECLS

#endif
