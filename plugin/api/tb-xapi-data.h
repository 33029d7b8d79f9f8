/* Posts, DM events and the pages they come in, parsed from X API v2 JSON into plain structs;
 * and the requests that fetch or create them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_XAPI_DATA_H
#define TB_XAPI_DATA_H

#include "tb-xapi.h"

G_BEGIN_DECLS

typedef enum {
  TB_XAPI_ENTITY_URL,
  TB_XAPI_ENTITY_MENTION,
  TB_XAPI_ENTITY_HASHTAG,
  TB_XAPI_ENTITY_CASHTAG,
} TbXapiEntityKind;

typedef struct {
  TbXapiEntityKind kind;
  int start, end;                         /* X's indices into the text (code points) */
  char *url, *expanded_url, *display_url; /* URL */
  char *username, *id;                    /* MENTION */
  char *tag;                              /* HASHTAG, CASHTAG */
} TbXapiEntity;

typedef struct {
  char *type; /* "replied_to", "quoted", "retweeted" */
  char *id;
} TbXapiRef;

typedef struct {
  char *id;
  char *text;
  char *note_text; /* the full text of a long post (note_tweet), else NULL */
  char *author_id;
  char *conversation_id;
  char *in_reply_to_user_id;
  char *created_at;    /* ISO 8601 as X sent it */
  GPtrArray *refs;     /* TbXapiRef */
  GPtrArray *entities; /* TbXapiEntity, from entities (or note_tweet.entities) */
  char **media_keys;   /* attachments.media_keys, or NULL */
  gboolean cut;        /* the text shown was longer than TB_BOUND_POST_CHARS and is cut */
} TbXapiTweet;

typedef struct {
  char *key;
  char *type; /* "photo", "video", "animated_gif" */
  char *url;  /* the image, or a video's still */
} TbXapiMedia;

typedef struct {
  GPtrArray *tweets;           /* data: newest first, as X sends them */
  GHashTable *users;           /* includes.users: id -> TbXapiUser */
  GHashTable *included_tweets; /* includes.tweets: id -> TbXapiTweet */
  GHashTable *media;           /* includes.media: media_key -> TbXapiMedia */
  char *newest_id, *oldest_id, *next_token;
  int result_count;
  /* ids of posts in data that could not be read (no text, wrong types): not shown, but the
   * cursor moves past them, so one bad post never holds its page back */
  GPtrArray *skipped_ids;
} TbXapiTweetPage;

typedef struct {
  char *id;
  char *event_type; /* "MessageCreate", "ParticipantsJoin", ... */
  char *text;       /* NULL when X sent none (or not a string): such an event is not shown */
  char *sender_id;
  char *dm_conversation_id;
  char *created_at;
  GPtrArray *entities; /* TbXapiEntity: urls, mentions, hashtags, cashtags */
  gboolean cut;        /* text was longer than TB_BOUND_DM_CHARS and is cut */
} TbXapiDmEvent;

typedef struct {
  GPtrArray *events; /* newest first */
  GHashTable *users; /* includes.users: id -> TbXapiUser */
  char *next_token;
  int result_count;
} TbXapiDmPage;

/* A DM event with its (empty) entities array, for parsers of other shapes (tb-activity). */
TbXapiDmEvent *tb_xapi_dm_event_new(void);
void tb_xapi_dm_event_free(TbXapiDmEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TbXapiDmEvent, tb_xapi_dm_event_free)
void tb_xapi_tweet_free(TbXapiTweet *tweet);
void tb_xapi_tweet_page_free(TbXapiTweetPage *page);
void tb_xapi_dm_page_free(TbXapiDmPage *page);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TbXapiTweetPage, tb_xapi_tweet_page_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TbXapiDmPage, tb_xapi_dm_page_free)

TbXapiTweet *tb_xapi_tweet_from_json(JsonObject *obj, GError **error);
/* A page from X's answer (a JSON object, as tb_xapi_response_parse gives it). Never fails: an
 * item that cannot be read is left out (tweets: its id kept in skipped_ids), the rest is kept. */
TbXapiTweetPage *tb_xapi_tweet_page_parse(JsonNode *root);
TbXapiDmPage *tb_xapi_dm_page_parse(JsonNode *root);
/* First referenced post of that type, or NULL. */
const char *tb_xapi_tweet_ref(const TbXapiTweet *tweet, const char *type);
/* created_at as Unix seconds, or fallback when absent or unreadable. */
gint64 tb_xapi_time_parse(const char *iso8601, gint64 fallback);

/* GET /2/users/:id/mentions; since_id, start_time (YYYY-MM-DDTHH:mm:ssZ) and pagination_token
 * may be NULL (X lets since_id win over start_time). */
TbHttpRequest *tb_xapi_mentions_request(const TbXapiAuth *auth, const char *api_base,
                                        const char *user_id, const char *since_id,
                                        const char *start_time, const char *pagination_token,
                                        int max_results);
/* GET /2/users/:id/timelines/reverse_chronological (id = the account itself), newest first,
 * since since_id (NULL: the newest max_results, 1..100), with the fields and expansions a
 * mention is shown with. */
TbHttpRequest *tb_xapi_home_request(const TbXapiAuth *auth, const char *api_base,
                                    const char *user_id, const char *since_id, int max_results);
/* GET /2/dm_events (MessageCreate only), with sender and participants expanded if expand (X
 * bills each user included: a check asks for none). */
TbHttpRequest *tb_xapi_dm_events_request(const TbXapiAuth *auth, const char *api_base,
                                         const char *pagination_token, int max_results,
                                         gboolean expand);
/* GET /2/users?ids= (1 to 100 ids); the answer parses with tb_xapi_user_list_parse. */
#define TB_XAPI_USERS_BY_IDS_MAX 100
TbHttpRequest *tb_xapi_users_by_ids_request(const TbXapiAuth *auth, const char *api_base,
                                            const char *const *ids);
/* GET /2/dm_conversations/with/:participant_id/dm_events: this account's one-to-one DMs with
 * that person, newest first, without expansions (finding a DM whose send was not confirmed). */
TbHttpRequest *tb_xapi_dm_with_request(const TbXapiAuth *auth, const char *api_base,
                                       const char *participant_id, const char *pagination_token,
                                       int max_results);
/* GET /2/users/:id/tweets since start_time (ISO 8601, may be NULL), newest first, without
 * expansions (finding a post or reply whose send was not confirmed). max_results 5..100. */
TbHttpRequest *tb_xapi_user_posts_request(const TbXapiAuth *auth, const char *api_base,
                                          const char *user_id, const char *start_time,
                                          const char *pagination_token, int max_results);
/* GET /2/tweets/:id with its author (a thread's root, for the conversation's title); the answer
 * parses with tb_xapi_tweet_page_parse as a page of one. */
TbHttpRequest *tb_xapi_tweet_request(const TbXapiAuth *auth, const char *api_base,
                                     const char *tweet_id);
/* POST /2/tweets; in_reply_to may be NULL. */
TbHttpRequest *tb_xapi_post_tweet_request(const TbXapiAuth *auth, const char *api_base,
                                          const char *text, const char *in_reply_to);
/* POST /2/dm_conversations/with/:participant_id/messages */
TbHttpRequest *tb_xapi_dm_send_request(const TbXapiAuth *auth, const char *api_base,
                                       const char *participant_id, const char *text);
/* GET /2/users/by/username/:username */
TbHttpRequest *tb_xapi_user_by_username_request(const TbXapiAuth *auth, const char *api_base,
                                                const char *username);
/* POST /2/users/:id/retweets and DELETE /2/users/:id/retweets/:tweet_id (id = the account). */
TbHttpRequest *tb_xapi_retweet_request(const TbXapiAuth *auth, const char *api_base,
                                       const char *me_id, const char *tweet_id, gboolean undo);
/* DELETE /2/tweets/:id */
TbHttpRequest *tb_xapi_delete_tweet_request(const TbXapiAuth *auth, const char *api_base,
                                            const char *tweet_id);
/* GET /2/users/by/username/:username with the profile fields `whois` shows. */
TbHttpRequest *tb_xapi_whois_request(const TbXapiAuth *auth, const char *api_base,
                                     const char *username);

/* GET /2/users/:id/followers or /following (which = "followers" | "following"), from
 * pagination_token (NULL: the first page). */
TbHttpRequest *tb_xapi_follows_request(const TbXapiAuth *auth, const char *api_base,
                                       const char *user_id, const char *which,
                                       const char *pagination_token, int max_results);
/* meta.next_token of a list answer, or NULL. Newly allocated. */
char *tb_xapi_next_token(JsonNode *root);
/* The users of a list answer ({"data": [User...]}), as a GPtrArray of TbXapiUser. */
GPtrArray *tb_xapi_user_list_parse(JsonNode *root, GError **error);

/* data.<member> of a create response ("id" for posts, "dm_event_id" for DMs). */
char *tb_xapi_created_id(JsonNode *root, const char *member, GError **error);

G_END_DECLS

#endif
