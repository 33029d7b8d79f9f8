/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-xapi-data.h"
#include "core/tb-bounds.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* Ask for exactly what the plugin shows: X returns fields only when asked, and bills for what
 * it returns. */
#define TWEET_FIELDS                                                                               \
  "attachments,author_id,conversation_id,created_at,entities,in_reply_to_user_id,note_tweet,"      \
  "referenced_tweets"
#define TWEET_EXPANSIONS                                                                           \
  "attachments.media_keys,author_id,referenced_tweets.id,referenced_tweets.id.author_id"
#define MEDIA_FIELDS "type,url,preview_image_url"
#define USER_FIELDS "name,username,profile_image_url,protected"
#define DM_FIELDS                                                                                  \
  "id,event_type,text,sender_id,dm_conversation_id,created_at,participant_ids,entities"

static char *
dup_str(JsonObject *obj, const char *name)
{
  return tb_bounds_dup(tb_xapi_json_string(obj, name), TB_BOUND_FIELD_CHARS, NULL);
}

static void
entity_free(gpointer data)
{
  TbXapiEntity *e = data;
  g_free(e->url);
  g_free(e->expanded_url);
  g_free(e->display_url);
  g_free(e->username);
  g_free(e->id);
  g_free(e->tag);
  g_free(e);
}

static void
ref_free(gpointer data)
{
  TbXapiRef *r = data;
  g_free(r->type);
  g_free(r->id);
  g_free(r);
}

void
tb_xapi_tweet_free(TbXapiTweet *t)
{
  if (t == NULL)
    return;
  g_free(t->id);
  g_free(t->text);
  g_free(t->note_text);
  g_free(t->author_id);
  g_free(t->conversation_id);
  g_free(t->in_reply_to_user_id);
  g_free(t->created_at);
  g_ptr_array_unref(t->refs);
  g_ptr_array_unref(t->entities);
  g_strfreev(t->media_keys);
  g_free(t);
}

static const struct {
  const char *member;
  TbXapiEntityKind kind;
} entity_members[] = {
    {"urls", TB_XAPI_ENTITY_URL},
    {"mentions", TB_XAPI_ENTITY_MENTION},
    {"hashtags", TB_XAPI_ENTITY_HASHTAG},
    {"cashtags", TB_XAPI_ENTITY_CASHTAG},
};

static void
parse_entities(JsonObject *entities, GPtrArray *out)
{
  for (gsize m = 0; entities && m < G_N_ELEMENTS(entity_members); m++) {
    JsonArray *arr = tb_xapi_json_array(entities, entity_members[m].member);
    for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
      JsonNode *node = json_array_get_element(arr, i);
      if (!JSON_NODE_HOLDS_OBJECT(node))
        continue;
      JsonObject *o = json_node_get_object(node);
      TbXapiEntity *e = g_new0(TbXapiEntity, 1);
      e->kind = entity_members[m].kind;
      e->start = (int)tb_xapi_json_int(o, "start", -1);
      e->end = (int)tb_xapi_json_int(o, "end", -1);
      e->url = dup_str(o, "url");
      e->expanded_url = dup_str(o, "expanded_url");
      e->display_url = dup_str(o, "display_url");
      e->username = dup_str(o, "username");
      e->id = dup_str(o, "id");
      e->tag = dup_str(o, "tag");
      if (e->start < 0 || e->end < e->start) {
        entity_free(e); /* indices we cannot trust would mangle the text */
        continue;
      }
      g_ptr_array_add(out, e);
    }
  }
}

TbXapiTweet *
tb_xapi_tweet_from_json(JsonObject *obj, GError **error)
{
  TbXapiTweet *t = g_new0(TbXapiTweet, 1);

  t->refs = g_ptr_array_new_with_free_func(ref_free);
  t->entities = g_ptr_array_new_with_free_func(entity_free);
  t->id = dup_str(obj, "id");
  gboolean cut = FALSE, note_cut = FALSE;
  t->text = tb_bounds_dup(tb_xapi_json_string(obj, "text"), TB_BOUND_POST_CHARS, &cut);
  t->author_id = dup_str(obj, "author_id");
  t->conversation_id = dup_str(obj, "conversation_id");
  t->in_reply_to_user_id = dup_str(obj, "in_reply_to_user_id");
  t->created_at = dup_str(obj, "created_at");
  if (!tb_xapi_id_is_valid(t->id) || t->text == NULL) {
    g_set_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_MALFORMED,
                _("X sent a post without a valid id or text"));
    tb_xapi_tweet_free(t);
    return NULL;
  }
  if (t->conversation_id == NULL)
    t->conversation_id = g_strdup(t->id);

  JsonObject *note = tb_xapi_json_object(obj, "note_tweet");
  t->note_text = tb_bounds_dup(tb_xapi_json_string(note, "text"), TB_BOUND_POST_CHARS, &note_cut);
  t->cut = t->note_text ? note_cut : cut;
  /* A long post's entities index into the note text, not the truncated one. */
  parse_entities(t->note_text ? tb_xapi_json_object(note, "entities")
                              : tb_xapi_json_object(obj, "entities"),
                 t->entities);

  JsonArray *keys = tb_xapi_json_array(tb_xapi_json_object(obj, "attachments"), "media_keys");
  if (keys != NULL) {
    GStrvBuilder *b = g_strv_builder_new();
    for (guint i = 0; i < json_array_get_length(keys); i++) {
      JsonNode *k = json_array_get_element(keys, i);
      if (JSON_NODE_HOLDS_VALUE(k) && json_node_get_value_type(k) == G_TYPE_STRING)
        g_strv_builder_add(b, json_node_get_string(k));
    }
    t->media_keys = g_strv_builder_end(b);
    g_strv_builder_unref(b);
  }

  JsonArray *refs = tb_xapi_json_array(obj, "referenced_tweets");
  for (guint i = 0; refs && i < json_array_get_length(refs); i++) {
    JsonNode *node = json_array_get_element(refs, i);
    if (!JSON_NODE_HOLDS_OBJECT(node))
      continue;
    TbXapiRef *r = g_new0(TbXapiRef, 1);
    r->type = dup_str(json_node_get_object(node), "type");
    r->id = dup_str(json_node_get_object(node), "id");
    if (r->type && tb_xapi_id_is_valid(r->id))
      g_ptr_array_add(t->refs, r);
    else
      ref_free(r);
  }
  return t;
}

const char *
tb_xapi_tweet_ref(const TbXapiTweet *tweet, const char *type)
{
  for (guint i = 0; i < tweet->refs->len; i++) {
    TbXapiRef *r = tweet->refs->pdata[i];
    if (g_strcmp0(r->type, type) == 0)
      return r->id;
  }
  return NULL;
}

static GHashTable *
parse_include_users(JsonObject *includes)
{
  GHashTable *users =
      g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)tb_xapi_user_free);
  JsonArray *arr = tb_xapi_json_array(includes, "users");

  guint n = arr ? MIN(json_array_get_length(arr), TB_BOUND_PAGE_USERS) : 0;
  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element(arr, i);
    if (!JSON_NODE_HOLDS_OBJECT(node))
      continue;
    TbXapiUser *u = tb_xapi_user_from_json(json_node_get_object(node), NULL);
    if (u)
      g_hash_table_replace(users, u->id, u);
  }
  return users;
}

static void
media_free(gpointer data)
{
  TbXapiMedia *m = data;
  g_free(m->key);
  g_free(m->type);
  g_free(m->url);
  g_free(m);
}

void
tb_xapi_tweet_page_free(TbXapiTweetPage *page)
{
  if (page == NULL)
    return;
  g_ptr_array_unref(page->tweets);
  g_hash_table_destroy(page->users);
  g_hash_table_destroy(page->included_tweets);
  g_hash_table_destroy(page->media);
  g_ptr_array_unref(page->skipped_ids);
  g_free(page->newest_id);
  g_free(page->oldest_id);
  g_free(page->next_token);
  g_free(page);
}

TbXapiTweetPage *
tb_xapi_tweet_page_parse(JsonNode *root)
{
  JsonObject *obj = json_node_get_object(root);
  JsonObject *includes = tb_xapi_json_object(obj, "includes");
  JsonObject *meta = tb_xapi_json_object(obj, "meta");
  TbXapiTweetPage *page = g_new0(TbXapiTweetPage, 1);

  page->tweets = g_ptr_array_new_with_free_func((GDestroyNotify)tb_xapi_tweet_free);
  page->skipped_ids = g_ptr_array_new_with_free_func(g_free);
  page->users = parse_include_users(includes);
  page->included_tweets =
      g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)tb_xapi_tweet_free);
  page->media = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, media_free);
  JsonArray *media = tb_xapi_json_array(includes, "media");
  for (guint i = 0; media && i < json_array_get_length(media); i++) {
    JsonNode *node = json_array_get_element(media, i);
    if (!JSON_NODE_HOLDS_OBJECT(node))
      continue;
    JsonObject *o = json_node_get_object(node);
    TbXapiMedia *m = g_new0(TbXapiMedia, 1);
    m->key = dup_str(o, "media_key");
    m->type = dup_str(o, "type");
    m->url = dup_str(o, "url");
    if (m->url == NULL)
      m->url = dup_str(o, "preview_image_url"); /* videos and GIFs carry only a still */
    if (m->key)
      g_hash_table_replace(page->media, m->key, m);
    else
      media_free(m);
  }
  page->newest_id = dup_str(meta, "newest_id");
  page->oldest_id = dup_str(meta, "oldest_id");
  page->next_token = dup_str(meta, "next_token");
  page->result_count = (int)tb_xapi_json_int(meta, "result_count", 0);

  /* An empty page has no "data" member at all; a single-post lookup has an object there. */
  g_autoptr(JsonArray) single = NULL;
  JsonArray *data = tb_xapi_json_array(obj, "data");
  if (data == NULL && tb_xapi_json_object(obj, "data") != NULL) {
    single = json_array_new();
    json_array_add_element(single, json_node_copy(json_object_get_member(obj, "data")));
    data = single;
  }
  for (guint i = 0; data && i < json_array_get_length(data); i++) {
    JsonNode *node = json_array_get_element(data, i);
    JsonObject *o = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    TbXapiTweet *t = o ? tb_xapi_tweet_from_json(o, NULL) : NULL;
    if (t != NULL) {
      g_ptr_array_add(page->tweets, t);
      continue;
    }
    /* One unreadable post does not refuse its page: it is left out, and if it has an id the
     * cursor still moves past it. */
    const char *id = o ? tb_xapi_json_string(o, "id") : NULL;
    g_debug("post %s on a page is unreadable: skipped", id && tb_xapi_id_is_valid(id) ? id : "?");
    if (id != NULL && tb_xapi_id_is_valid(id))
      g_ptr_array_add(page->skipped_ids, g_strdup(id));
  }
  JsonArray *inc = tb_xapi_json_array(includes, "tweets");
  for (guint i = 0; inc && i < json_array_get_length(inc); i++) {
    JsonNode *node = json_array_get_element(inc, i);
    TbXapiTweet *t = JSON_NODE_HOLDS_OBJECT(node)
                         ? tb_xapi_tweet_from_json(json_node_get_object(node), NULL)
                         : NULL;
    if (t)
      g_hash_table_replace(page->included_tweets, t->id, t);
  }
  return page;
}

TbXapiDmEvent *
tb_xapi_dm_event_new(void)
{
  TbXapiDmEvent *e = g_new0(TbXapiDmEvent, 1);
  e->entities = g_ptr_array_new_with_free_func(entity_free);
  return e;
}

void
tb_xapi_dm_event_free(TbXapiDmEvent *e)
{
  if (e == NULL)
    return;
  g_free(e->id);
  g_free(e->event_type);
  g_free(e->text);
  g_free(e->sender_id);
  g_free(e->dm_conversation_id);
  g_free(e->created_at);
  g_ptr_array_unref(e->entities);
  g_free(e);
}

void
tb_xapi_dm_page_free(TbXapiDmPage *page)
{
  if (page == NULL)
    return;
  g_ptr_array_unref(page->events);
  g_hash_table_destroy(page->users);
  g_free(page->next_token);
  g_free(page);
}

TbXapiDmPage *
tb_xapi_dm_page_parse(JsonNode *root)
{
  JsonObject *obj = json_node_get_object(root);
  JsonObject *meta = tb_xapi_json_object(obj, "meta");
  TbXapiDmPage *page = g_new0(TbXapiDmPage, 1);

  page->events = g_ptr_array_new_with_free_func((GDestroyNotify)tb_xapi_dm_event_free);
  page->users = parse_include_users(tb_xapi_json_object(obj, "includes"));
  page->next_token = dup_str(meta, "next_token");
  page->result_count = (int)tb_xapi_json_int(meta, "result_count", 0);

  JsonArray *data = tb_xapi_json_array(obj, "data");
  for (guint i = 0; data && i < json_array_get_length(data); i++) {
    JsonNode *node = json_array_get_element(data, i);
    if (!JSON_NODE_HOLDS_OBJECT(node))
      continue;
    JsonObject *o = json_node_get_object(node);
    TbXapiDmEvent *e = tb_xapi_dm_event_new();
    e->id = dup_str(o, "id");
    e->event_type = dup_str(o, "event_type");
    e->text = tb_bounds_dup(tb_xapi_json_string(o, "text"), TB_BOUND_DM_CHARS, &e->cut);
    e->sender_id = dup_str(o, "sender_id");
    e->dm_conversation_id = dup_str(o, "dm_conversation_id");
    e->created_at = dup_str(o, "created_at");
    parse_entities(o, e->entities); /* a DM event carries urls, mentions... at its top level */
    if (!tb_xapi_id_is_valid(e->id)) {
      /* nothing to show and nothing a cursor could move past: left out, the page stays */
      g_debug("a DM event without a valid id: skipped");
      tb_xapi_dm_event_free(e);
      continue;
    }
    g_ptr_array_add(page->events, e);
  }
  return page;
}

gint64
tb_xapi_time_parse(const char *iso8601, gint64 fallback)
{
  if (iso8601 == NULL)
    return fallback;
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(iso8601, NULL);
  return dt ? g_date_time_to_unix(dt) : fallback;
}

TbHttpRequest *
tb_xapi_mentions_request(const TbXapiAuth *auth, const char *api_base, const char *user_id,
                         const char *since_id, const char *start_time, const char *pagination_token,
                         int max_results)
{
  g_autofree char *escaped = g_uri_escape_string(user_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf("/2/users/%s/mentions", escaped);
  g_autofree char *max = g_strdup_printf("%d", CLAMP(max_results, 5, 100));
  // clang-format off (name, value pairs)
  const char *query[] = {"max_results",
                         max,
                         "since_id",
                         since_id,
                         "start_time",
                         since_id ? NULL : start_time,
                         "pagination_token",
                         pagination_token,
                         "tweet.fields",
                         TWEET_FIELDS,
                         "expansions",
                         TWEET_EXPANSIONS,
                         "user.fields",
                         USER_FIELDS,
                         NULL};
  // clang-format on
  return tb_xapi_request(auth, "GET", api_base, path, query);
}

TbHttpRequest *
tb_xapi_home_request(const TbXapiAuth *auth, const char *api_base, const char *user_id,
                     const char *since_id, int max_results)
{
  g_autofree char *escaped = g_uri_escape_string(user_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf("/2/users/%s/timelines/reverse_chronological", escaped);
  g_autofree char *max = g_strdup_printf("%d", CLAMP(max_results, 1, 100));
  // clang-format off (name, value pairs)
  const char *query[] = {"max_results",
                         max,
                         "since_id",
                         since_id,
                         "tweet.fields",
                         TWEET_FIELDS,
                         "expansions",
                         TWEET_EXPANSIONS,
                         "media.fields",
                         MEDIA_FIELDS,
                         "user.fields",
                         USER_FIELDS,
                         NULL};
  // clang-format on
  return tb_xapi_request(auth, "GET", api_base, path, query);
}

TbHttpRequest *
tb_xapi_dm_events_request(const TbXapiAuth *auth, const char *api_base,
                          const char *pagination_token, int max_results, gboolean expand)
{
  g_autofree char *max = g_strdup_printf("%d", CLAMP(max_results, 1, 100));
  // clang-format off (name, value pairs)
  const char *query[] = {"max_results", max, "pagination_token", pagination_token, "event_types",
                         "MessageCreate", "dm_event.fields", DM_FIELDS,
                         /* X bills every user an answer includes: only when asked */
                         "expansions", expand ? "sender_id,participant_ids" : NULL, "user.fields",
                         expand ? USER_FIELDS : NULL, NULL};
  // clang-format on
  return tb_xapi_request(auth, "GET", api_base, "/2/dm_events", query);
}

TbHttpRequest *
tb_xapi_users_by_ids_request(const TbXapiAuth *auth, const char *api_base, const char *const *ids)
{
  g_autofree char *list = g_strjoinv(",", (char **)ids);
  const char *query[] = {"ids", list, "user.fields", USER_FIELDS, NULL};
  return tb_xapi_request(auth, "GET", api_base, "/2/users", query);
}

TbHttpRequest *
tb_xapi_dm_with_request(const TbXapiAuth *auth, const char *api_base, const char *participant_id,
                        const char *pagination_token, int max_results)
{
  g_autofree char *escaped = g_uri_escape_string(participant_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf("/2/dm_conversations/with/%s/dm_events", escaped);
  g_autofree char *max = g_strdup_printf("%d", CLAMP(max_results, 1, 100));
  // clang-format off (name, value pairs; no expansions: every user returned is billed)
  const char *query[] = {"max_results",     max,           "pagination_token",
                         pagination_token,  "event_types", "MessageCreate",
                         "dm_event.fields", DM_FIELDS,     NULL};
  // clang-format on
  return tb_xapi_request(auth, "GET", api_base, path, query);
}

TbHttpRequest *
tb_xapi_user_posts_request(const TbXapiAuth *auth, const char *api_base, const char *user_id,
                           const char *start_time, const char *pagination_token, int max_results)
{
  g_autofree char *escaped = g_uri_escape_string(user_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf("/2/users/%s/tweets", escaped);
  g_autofree char *max = g_strdup_printf("%d", CLAMP(max_results, 5, 100));
  // clang-format off (name, value pairs; no expansions: every user returned is billed)
  const char *query[] = {
      "max_results",  max,          "start_time", start_time, "pagination_token", pagination_token,
      "tweet.fields", TWEET_FIELDS, NULL};
  // clang-format on
  return tb_xapi_request(auth, "GET", api_base, path, query);
}

TbHttpRequest *
tb_xapi_tweet_request(const TbXapiAuth *auth, const char *api_base, const char *tweet_id)
{
  g_autofree char *id = g_uri_escape_string(tweet_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf("/2/tweets/%s", id);
  const char *query[] = {"tweet.fields",
                         "author_id,note_tweet",
                         "expansions",
                         "author_id",
                         "user.fields",
                         USER_FIELDS,
                         NULL};
  return tb_xapi_request(auth, "GET", api_base, path, query);
}

TbHttpRequest *
tb_xapi_post_tweet_request(const TbXapiAuth *auth, const char *api_base, const char *text,
                           const char *in_reply_to)
{
  TbHttpRequest *req = tb_xapi_request(auth, "POST", api_base, "/2/tweets", NULL);
  g_autoptr(JsonBuilder) b = json_builder_new();

  json_builder_begin_object(b);
  json_builder_set_member_name(b, "text");
  json_builder_add_string_value(b, text);
  if (in_reply_to != NULL) {
    json_builder_set_member_name(b, "reply");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "in_reply_to_tweet_id");
    json_builder_add_string_value(b, in_reply_to);
    json_builder_end_object(b);
  }
  json_builder_end_object(b);
  g_autoptr(JsonNode) body = json_builder_get_root(b);
  tb_xapi_request_set_json(req, body);
  return req;
}

TbHttpRequest *
tb_xapi_dm_send_request(const TbXapiAuth *auth, const char *api_base, const char *participant_id,
                        const char *text)
{
  g_autofree char *escaped = g_uri_escape_string(participant_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf("/2/dm_conversations/with/%s/messages", escaped);
  TbHttpRequest *req = tb_xapi_request(auth, "POST", api_base, path, NULL);
  g_autoptr(JsonBuilder) b = json_builder_new();

  json_builder_begin_object(b);
  json_builder_set_member_name(b, "text");
  json_builder_add_string_value(b, text);
  json_builder_end_object(b);
  g_autoptr(JsonNode) body = json_builder_get_root(b);
  tb_xapi_request_set_json(req, body);
  return req;
}

TbHttpRequest *
tb_xapi_user_by_username_request(const TbXapiAuth *auth, const char *api_base, const char *username)
{
  g_autofree char *escaped = g_uri_escape_string(username, NULL, FALSE);
  g_autofree char *path = g_strdup_printf("/2/users/by/username/%s", escaped);
  const char *query[] = {"user.fields", USER_FIELDS, NULL};
  return tb_xapi_request(auth, "GET", api_base, path, query);
}

TbHttpRequest *
tb_xapi_retweet_request(const TbXapiAuth *auth, const char *api_base, const char *me_id,
                        const char *tweet_id, gboolean undo)
{
  g_autofree char *me = g_uri_escape_string(me_id, NULL, FALSE);
  g_autofree char *id = g_uri_escape_string(tweet_id, NULL, FALSE);
  if (undo) {
    g_autofree char *path = g_strdup_printf("/2/users/%s/retweets/%s", me, id);
    return tb_xapi_request(auth, "DELETE", api_base, path, NULL);
  }
  g_autofree char *path = g_strdup_printf("/2/users/%s/retweets", me);
  TbHttpRequest *req = tb_xapi_request(auth, "POST", api_base, path, NULL);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "tweet_id");
  json_builder_add_string_value(b, tweet_id);
  json_builder_end_object(b);
  g_autoptr(JsonNode) body = json_builder_get_root(b);
  tb_xapi_request_set_json(req, body);
  return req;
}

TbHttpRequest *
tb_xapi_delete_tweet_request(const TbXapiAuth *auth, const char *api_base, const char *tweet_id)
{
  g_autofree char *id = g_uri_escape_string(tweet_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf("/2/tweets/%s", id);
  return tb_xapi_request(auth, "DELETE", api_base, path, NULL);
}

TbHttpRequest *
tb_xapi_whois_request(const TbXapiAuth *auth, const char *api_base, const char *username)
{
  g_autofree char *escaped = g_uri_escape_string(username, NULL, FALSE);
  g_autofree char *path = g_strdup_printf("/2/users/by/username/%s", escaped);
  const char *query[] = {"user.fields",
                         "connection_status,created_at,description,location,name,"
                         "profile_image_url,protected,public_metrics,receives_your_dm,url,"
                         "username,verified",
                         NULL};
  return tb_xapi_request(auth, "GET", api_base, path, query);
}

TbHttpRequest *
tb_xapi_follows_request(const TbXapiAuth *auth, const char *api_base, const char *user_id,
                        const char *which, const char *pagination_token, int max_results)
{
  g_autofree char *escaped = g_uri_escape_string(user_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf("/2/users/%s/%s", escaped, which);
  g_autofree char *max = g_strdup_printf("%d", CLAMP(max_results, 1, 1000));
  const char *query[] = {"max_results",    max, "user.fields", USER_FIELDS, "pagination_token",
                         pagination_token, NULL};
  return tb_xapi_request(auth, "GET", api_base, path, query);
}

char *
tb_xapi_next_token(JsonNode *root)
{
  JsonObject *meta = root && JSON_NODE_HOLDS_OBJECT(root)
                         ? tb_xapi_json_object(json_node_get_object(root), "meta")
                         : NULL;
  const char *token = tb_xapi_json_string(meta, "next_token");
  return token && *token && strlen(token) <= TB_BOUND_FIELD_CHARS ? g_strdup(token) : NULL;
}

GPtrArray *
tb_xapi_user_list_parse(JsonNode *root, GError **error)
{
  GPtrArray *users = g_ptr_array_new_with_free_func((GDestroyNotify)tb_xapi_user_free);
  JsonArray *data = tb_xapi_json_array(json_node_get_object(root), "data");

  for (guint i = 0; data && i < json_array_get_length(data); i++) {
    JsonNode *node = json_array_get_element(data, i);
    TbXapiUser *u = JSON_NODE_HOLDS_OBJECT(node)
                        ? tb_xapi_user_from_json(json_node_get_object(node), error)
                        : NULL;
    if (u == NULL) {
      g_ptr_array_unref(users);
      if (error && *error == NULL)
        g_set_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_MALFORMED,
                    _("X sent a user that is not an object"));
      return NULL;
    }
    g_ptr_array_add(users, u);
  }
  return users;
}

char *
tb_xapi_created_id(JsonNode *root, const char *member, GError **error)
{
  JsonObject *data = tb_xapi_json_object(json_node_get_object(root), "data");
  const char *id = tb_xapi_json_string(data, member);

  if (!tb_xapi_id_is_valid(id)) {
    /* Translators: %s is the name of a field in X's answer, such as id or dm_event_id. */
    g_set_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_MALFORMED,
                _("X confirmed without saying the new %s"), member);
    return NULL;
  }
  return g_strdup(id);
}
