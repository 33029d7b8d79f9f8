/* The Activity API's wire (api/tb-activity.h): stream lines to events, the subscriptions'
 * requests and answers and their errors, in the shapes of docs.x.com
 * x-api/activity/event-payloads and quickstart and of the OpenAPI spec.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tb-test-response.h"
#include "api/tb-activity.h"
#include "core/tb-bounds.h"
#include "core/tb-ndjson.h"

#define ME "1111111111111111111"
#define PEER "2222222222222222222"

#define DM_LINE(type, sender, recipient)                                                           \
  "{\"data\":{\"event_uuid\":\"-6850472171600526495\",\"filter\":{\"user_id\":\"" ME "\"},"        \
  "\"event_type\":\"" type "\",\"tag\":\"twinbird:" ME ":" type "\",\"payload\":{"                 \
  "\"direct_message_events\":[{\"type\":\"message_create\",\"id\":\"2080765901528535096\","        \
  "\"created_timestamp\":\"1784928224372\",\"message_create\":{\"target\":{\"recipient_id\":"      \
  "\"" recipient "\"},\"sender_id\":\"" sender                                                     \
  "\",\"message_data\":{\"text\":\"hello https://t.co/x "                                          \
  "#tag\",\"entities\":{\"hashtags\":[{\"text\":\"tag\",\"indices\":[20,24]}],\"symbols\":[],"     \
  "\"user_mentions\":[],\"urls\":[{\"url\":\"https://t.co/x\",\"expanded_url\":\"https://e.x\","   \
  "\"display_url\":\"e.x\",\"indices\":[6,19]}]}}}}],\"users\":{\"" PEER                           \
  "\":{\"data\":{\"id\":\"" PEER "\",\"username\":\"OtherUser\",\"name\":\"Other\"}},\"" ME        \
  "\":{\"data\":{\"id\":\"" ME "\",\"username\":\"ExampleUser\",\"name\":\"Example\"}}}}}}"

#define MENTION_LINE                                                                               \
  "{\"data\":{\"event_uuid\":\"2080765813578191303\",\"filter\":{\"user_id\":\"" ME "\"},"         \
  "\"event_type\":\"post.mention.create\",\"tag\":\"mentions\",\"payload\":{\"created_at\":"       \
  "\"2026-07-24T21:23:23.000Z\",\"conversation_id\":\"2080765813578191303\",\"text\":\"hey "       \
  "@ExampleUser\",\"entities\":{\"mentions\":[{\"start\":4,\"end\":16,\"username\":"               \
  "\"ExampleUser\",\"id\":\"" ME "\"}]},\"author_id\":\"" PEER "\",\"id\":"                        \
  "\"2080765813578191303\"},\"includes\":{\"users\":[{\"id\":\"" PEER "\",\"username\":"           \
  "\"OtherUser\",\"name\":\"OtherUser\"},{\"data\":{\"id\":\"" ME "\",\"username\":"               \
  "\"ExampleUser\",\"name\":\"Example User\"}}]}}}"

static TbActivityEvent *
parse(const char *line, GError **error)
{
  return tb_activity_event_parse(line, strlen(line), error);
}

static void
test_dm_events(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TbActivityEvent) ev = parse(DM_LINE("dm.received", PEER, ME), &error);

  g_assert_no_error(error);
  g_assert_cmpint(ev->type, ==, TB_ACTIVITY_DM_RECEIVED);
  g_assert_cmpstr(ev->event_uuid, ==, "-6850472171600526495"); /* signed, as the docs show */
  g_assert_cmpstr(ev->filter_user_id, ==, ME);
  g_assert_cmpstr(ev->tag, ==, "twinbird:" ME ":dm.received");
  g_assert_cmpuint(ev->dms->len, ==, 1);
  TbXapiDmEvent *dm = ev->dms->pdata[0];
  g_assert_cmpstr(dm->id, ==, "2080765901528535096");
  g_assert_cmpstr(dm->event_type, ==, "MessageCreate");
  g_assert_cmpstr(dm->sender_id, ==, PEER);
  g_assert_cmpstr(dm->text, ==, "hello https://t.co/x #tag");
  g_assert_cmpstr(dm->dm_conversation_id, ==, ME "-" PEER); /* the lower id first */
  g_assert_cmpstr(dm->created_at, ==, "2026-07-24T21:23:44.372Z");
  g_assert_cmpint(tb_xapi_time_parse(dm->created_at, 0), ==, 1784928224);
  g_assert_cmpuint(dm->entities->len, ==, 2);
  TbXapiEntity *url = dm->entities->pdata[0];
  g_assert_cmpint(url->kind, ==, TB_XAPI_ENTITY_URL);
  g_assert_cmpint(url->start, ==, 6);
  g_assert_cmpstr(url->expanded_url, ==, "https://e.x");
  TbXapiEntity *tag = dm->entities->pdata[1];
  g_assert_cmpint(tag->kind, ==, TB_XAPI_ENTITY_HASHTAG);
  g_assert_cmpstr(tag->tag, ==, "tag");
  g_assert_cmpuint(ev->users->len, ==, 2);

  g_autoptr(TbActivityEvent) sent = parse(DM_LINE("dm.sent", ME, PEER), &error);
  g_assert_no_error(error);
  g_assert_cmpint(sent->type, ==, TB_ACTIVITY_DM_SENT);
  g_assert_cmpstr(((TbXapiDmEvent *)sent->dms->pdata[0])->dm_conversation_id, ==, ME "-" PEER);
  g_assert_null(parse(DM_LINE("dm.received", PEER, "3333"), &error)); /* not the user's DM */
  g_assert_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_MALFORMED);
}

static void
test_mention_event(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TbActivityEvent) ev = parse(MENTION_LINE, &error);

  g_assert_no_error(error);
  g_assert_cmpint(ev->type, ==, TB_ACTIVITY_POST_MENTION);
  g_assert_cmpstr(ev->post->id, ==, "2080765813578191303");
  g_assert_cmpstr(ev->post->author_id, ==, PEER);
  g_assert_cmpstr(ev->post->text, ==, "hey @ExampleUser");
  g_assert_cmpuint(ev->post->entities->len, ==, 1);
  g_assert_null(ev->dms);
  /* both forms of includes.users: bare, and wrapped in data */
  g_assert_cmpuint(ev->users->len, ==, 2);
  g_assert_cmpstr(((TbXapiUser *)ev->users->pdata[1])->name, ==, "Example User");
}

static void
test_other_and_problems(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TbActivityEvent) revoke =
      parse("{\"data\":{\"event_uuid\":\"5934540941047412905\",\"filter\":{},\"event_type\":"
            "\"oauth.revoke\",\"payload\":{\"user_id\":\"" ME "\"}}}",
            &error);
  g_assert_no_error(error);
  g_assert_cmpint(revoke->type, ==, TB_ACTIVITY_OTHER);
  g_assert_cmpstr(revoke->event_type, ==, "oauth.revoke");
  g_assert_null(revoke->filter_user_id);
  g_assert_null(revoke->tag);

  /* X says why the stream ends, instead of an event */
  g_assert_null(parse("{\"errors\":[{\"title\":\"operational-disconnect\",\"detail\":\"This "
                      "stream has been disconnected for operational reasons.\",\"type\":"
                      "\"https://api.x.com/2/problems/operational-disconnect\"}]}",
                      &error));
  g_assert_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_OTHER);
  g_assert_nonnull(strstr(error->message, "operational reasons"));
  g_clear_error(&error);

  static const char *const bad[] = {
      "",
      "not json",
      "[1]",
      "{}",
      "{\"data\":{\"event_type\":\"dm.received\"}}",
      "{\"data\":{\"event_uuid\":\"12a\",\"event_type\":\"dm.received\"}}",
      "{\"data\":{\"event_uuid\":\"1\",\"event_type\":\"dm received\"}}",
      "{\"data\":{\"event_uuid\":\"1\",\"event_type\":\"dm.received\",\"filter\":{}}}",
      "{\"data\":{\"event_uuid\":\"1\",\"event_type\":\"dm.received\",\"filter\":{\"user_id\":"
      "\"" ME "\"}}}",
      "{\"data\":{\"event_uuid\":\"1\",\"event_type\":\"dm.received\",\"filter\":{\"user_id\":"
      "\"" ME "\"},\"payload\":{\"direct_message_events\":[]}}}",
      "{\"data\":{\"event_uuid\":\"1\",\"event_type\":\"dm.received\",\"filter\":{\"user_id\":"
      "\"" ME "\"},\"payload\":{\"direct_message_events\":[{\"type\":\"message_create\",\"id\":"
      "\"5\",\"message_create\":{\"target\":{\"recipient_id\":\"" ME "\"},\"sender_id\":\"" PEER
      "\",\"message_data\":{}}}]}}}",
      "{\"data\":{\"event_uuid\":\"1\",\"event_type\":\"post.mention.create\",\"filter\":{"
      "\"user_id\":\"" ME "\"},\"payload\":{\"id\":\"5\",\"text\":\"hi\"}}}",
      "{\"data\":{\"event_uuid\":\"1\",\"event_type\":\"x\",\"filter\":{\"user_id\":\"abc\"}}}",
      "{\"data\":{\"event_uuid\":\"1\",\"event_type\":\"x\",\"tag\":42}}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_assert_null(parse(bad[i], &error));
    g_assert_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_MALFORMED);
    g_clear_error(&error);
  }
  /* too deep for json-glib's stack: refused by the guard first */
  g_autofree char *deep = g_strnfill(10000, '[');
  g_assert_null(parse(deep, &error));
  g_assert_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_MALFORMED);
  g_clear_error(&error);
  g_assert_null(tb_activity_event_parse("{}", TB_BOUND_ACTIVITY_LINE_BYTES + 1, &error));
  g_assert_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_MALFORMED);
}

static gboolean
count_event(TbNdjsonKind kind, const char *line, gsize len, gpointer user_data)
{
  int *n = user_data;
  if (kind == TB_NDJSON_LINE) {
    g_autoptr(TbActivityEvent) ev = tb_activity_event_parse(line, len, NULL);
    *n += ev != NULL;
  }
  return TRUE;
}

static void
test_through_ndjson(void)
{
  const char *stream = "\r\n" MENTION_LINE "\r\n\r\n" DM_LINE("dm.received", PEER, ME) "\r\n";
  int n = 0;
  g_autoptr(TbNdjson) nd = tb_ndjson_new(TB_BOUND_ACTIVITY_LINE_BYTES, count_event, &n);
  for (const char *p = stream; *p; p += MIN(strlen(p), 13))
    tb_ndjson_feed(nd, p, MIN(strlen(p), 13));
  g_assert_cmpint(n, ==, 2);
  g_assert_cmpuint(tb_ndjson_keepalives(nd), ==, 2);
}

static void
test_types_and_tags(void)
{
  g_assert_cmpstr(tb_activity_type_name(TB_ACTIVITY_POST_MENTION), ==, "post.mention.create");
  g_assert_null(tb_activity_type_name(TB_ACTIVITY_OTHER));
  g_assert_cmpint(tb_activity_type_from_name("dm.sent"), ==, TB_ACTIVITY_DM_SENT);
  g_assert_cmpint(tb_activity_type_from_name("like.create"), ==, TB_ACTIVITY_OTHER);
  g_assert_cmpint(tb_activity_type_from_name(NULL), ==, TB_ACTIVITY_OTHER);

  g_autofree char *tag = tb_activity_tag(ME, TB_ACTIVITY_DM_RECEIVED);
  g_assert_cmpstr(tag, ==, "twinbird:" ME ":dm.received");
  g_autofree char *user = NULL;
  TbActivityType type = TB_ACTIVITY_OTHER;
  g_assert_true(tb_activity_tag_parse(tag, &user, &type));
  g_assert_cmpstr(user, ==, ME);
  g_assert_cmpint(type, ==, TB_ACTIVITY_DM_RECEIVED);
  g_assert_null(tb_activity_tag("12x", TB_ACTIVITY_DM_SENT));
  g_assert_null(tb_activity_tag(ME, TB_ACTIVITY_OTHER));
  static const char *const not_ours[] = {
      "mentions",     "twinbird:", "twinbird:12:like.create", "twinbird:x1:dm.sent",
      "twinbird:" ME, NULL};
  for (gsize i = 0; not_ours[i]; i++)
    g_assert_false(tb_activity_tag_parse(not_ours[i], NULL, NULL));
}

static void
test_requests(void)
{
  TbXapiAuth user = {.kind = TB_XAPI_AUTH_BEARER, .token = "user-token"};
  TbXapiAuth app = {.kind = TB_XAPI_AUTH_BEARER, .token = "app-token"};
  const char *base = "https://api.x.com";

  g_autoptr(TbHttpRequest) create =
      tb_activity_sub_create_request(&user, base, ME, TB_ACTIVITY_DM_RECEIVED);
  g_assert_cmpstr(create->method, ==, "POST");
  g_assert_cmpstr(create->url, ==, "https://api.x.com/2/activity/subscriptions");
  g_assert_cmpstr(request_header(create, "Authorization"), ==, "Bearer user-token");
  gsize len = 0;
  const char *body = g_bytes_get_data(create->body, &len);
  g_autofree char *text = g_strndup(body, len);
  g_assert_cmpstr(text, ==,
                  "{\"event_type\":\"dm.received\",\"filter\":{\"user_id\":\"" ME "\"},"
                  "\"tag\":\"twinbird:" ME ":dm.received\"}");
  g_assert_null(tb_activity_sub_create_request(&user, base, "x", TB_ACTIVITY_DM_SENT));

  g_autoptr(TbHttpRequest) list = tb_activity_sub_list_request(&app, base, "tok en");
  g_assert_cmpstr(list->url, ==,
                  "https://api.x.com/2/activity/subscriptions?max_results=1000&"
                  "pagination_token=tok%20en");
  g_autoptr(TbHttpRequest) del = tb_activity_sub_delete_request(&app, base, "1976325569252868096");
  g_assert_cmpstr(del->method, ==, "DELETE");
  g_assert_cmpstr(del->url, ==, "https://api.x.com/2/activity/subscriptions/1976325569252868096");
  g_autoptr(TbHttpRequest) stream = tb_activity_stream_request(&app, base, 9);
  g_assert_cmpstr(stream->url, ==, "https://api.x.com/2/activity/stream?backfill_minutes=5");
  g_assert_cmpstr(request_header(stream, "Authorization"), ==, "Bearer app-token");
  g_autoptr(TbHttpRequest) live = tb_activity_stream_request(&app, base, 0);
  g_assert_cmpstr(live->url, ==, "https://api.x.com/2/activity/stream");
}

#define SUB(id, type, user, tag)                                                                   \
  "{\"subscription_id\":\"" id "\",\"event_type\":\"" type "\",\"filter\":{\"user_id\":\"" user    \
  "\"},\"created_at\":\"2025-10-09T16:35:08.000Z\",\"updated_at\":\"2025-10-09T16:35:08."          \
  "000Z\"" tag "}"

static void
test_sub_answers(void)
{
  g_autoptr(GError) error = NULL;
  /* the three shapes X has documented for the created subscription */
  static const char *const created[] = {
      "{\"data\":{\"subscription\":" SUB("1976325569252868096", "dm.received", ME,
                                         ",\"tag\":\"twinbird:" ME ":dm.received\"") "}}",
      "{\"data\":" SUB("1976325569252868096", "dm.received", ME,
                       ",\"tag\":\"twinbird:" ME ":dm.received\"") ",\"meta\":{}}",
      "{\"data\":[" SUB("1976325569252868096", "dm.received", ME,
                        ",\"tag\":\"twinbird:" ME ":dm.received\"") "],\"meta\":{"
                                                                    "\"total_subscriptions\":1}}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(created); i++) {
    g_autoptr(TbHttpResponse) resp = response_new(200, created[i]);
    g_autoptr(TbActivitySub) sub = tb_activity_sub_create_parse(resp, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(sub->subscription_id, ==, "1976325569252868096");
    g_assert_cmpint(sub->type, ==, TB_ACTIVITY_DM_RECEIVED);
    g_assert_cmpstr(sub->user_id, ==, ME);
    g_assert_cmpstr(sub->tag, ==, "twinbird:" ME ":dm.received");
  }

  g_autoptr(TbHttpResponse) page = response_new(
      200, "{\"data\":[" SUB("11", "ProfileBioUpdate", "123456789", "") "," SUB(
               "bad id", "dm.sent", ME, "") "," SUB("12", "post.mention.create", ME,
                                                    ",\"tag\":\"twinbird:" ME
                                                    ":post.mention.create\"") "],\"meta\":{"
                                                                              "\"result_count\":3,"
                                                                              "\"next_token\":"
                                                                              "\"NEXT\"}}");
  g_autofree char *next = NULL;
  g_autoptr(GPtrArray) subs = tb_activity_sub_list_parse(page, &next, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(subs->len, ==, 2); /* the unreadable one left out */
  g_assert_cmpstr(((TbActivitySub *)subs->pdata[0])->event_type, ==, "ProfileBioUpdate");
  g_assert_null(((TbActivitySub *)subs->pdata[0])->tag);
  g_assert_cmpint(((TbActivitySub *)subs->pdata[1])->type, ==, TB_ACTIVITY_POST_MENTION);
  g_assert_cmpstr(next, ==, "NEXT");
  g_autoptr(TbHttpResponse) empty = response_new(200, "{\"meta\":{\"result_count\":0}}");
  g_autofree char *none = NULL;
  g_autoptr(GPtrArray) no_subs = tb_activity_sub_list_parse(empty, &none, &error);
  g_assert_cmpuint(no_subs->len, ==, 0);
  g_assert_null(none);

  g_autoptr(TbHttpResponse) deleted =
      response_new(200, "{\"data\":{\"deleted\":true},\"meta\":{\"total_subscriptions\":0}}");
  g_assert_true(tb_activity_sub_delete_parse(deleted, &error));
  g_autoptr(TbHttpResponse) kept = response_new(200, "{\"data\":{\"deleted\":false}}");
  g_assert_false(tb_activity_sub_delete_parse(kept, &error));
  g_assert_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_MALFORMED);
}

static void
test_sub_errors(void)
{
  static const struct {
    int status;
    const char *body;
    TbXapiError code;
  } cases[] = {
      {401, "{\"title\":\"Unauthorized\",\"type\":\"about:blank\",\"status\":401}",
       TB_XAPI_ERROR_UNAUTHORIZED},
      {400,
       "{\"title\":\"Rule cap\",\"detail\":\"You have exceeded the maximum number of "
       "subscriptions\",\"type\":\"https://api.x.com/2/problems/rule-cap\"}",
       TB_XAPI_ERROR_SUB_CAP},
      {403, "{\"title\":\"Forbidden\",\"detail\":\"Subscription limit reached for this app\"}",
       TB_XAPI_ERROR_SUB_CAP},
      {409, "{\"title\":\"Conflict\",\"type\":\"about:blank\"}", TB_XAPI_ERROR_SUB_DUPLICATE},
      {400,
       "{\"title\":\"Invalid Request\",\"detail\":\"A duplicate subscription already exists\","
       "\"type\":\"https://api.x.com/2/problems/invalid-request\"}",
       TB_XAPI_ERROR_SUB_DUPLICATE},
      {403,
       "{\"title\":\"Forbidden\",\"detail\":\"The token is missing the dm.read scope\",\"type\":"
       "\"about:blank\"}",
       TB_XAPI_ERROR_SCOPE},
      {403,
       "{\"title\":\"Unsupported Authentication\",\"detail\":\"Authenticating with OAuth 2.0 "
       "User Context is forbidden for this endpoint.\",\"type\":"
       "\"https://api.x.com/2/problems/unsupported-authentication\"}",
       TB_XAPI_ERROR_AUTH_KIND},
      {429,
       "{\"title\":\"ConnectionException\",\"detail\":\"This stream is currently at the maximum "
       "allowed connection limit.\",\"connection_issue\":\"TooManyConnections\",\"type\":"
       "\"https://api.x.com/2/problems/streaming-connection\"}",
       TB_XAPI_ERROR_STREAM_LIMIT},
      {429, "{\"title\":\"Too Many Requests\",\"type\":\"about:blank\"}",
       TB_XAPI_ERROR_RATE_LIMITED},
      {429,
       "{\"title\":\"UsageCapExceeded\",\"type\":\"https://api.x.com/2/problems/usage-capped\"}",
       TB_XAPI_ERROR_USAGE_CAPPED},
      {403, "{\"title\":\"Forbidden\",\"type\":\"about:blank\"}", TB_XAPI_ERROR_FORBIDDEN},
      {503, "", TB_XAPI_ERROR_SERVER},
      /* a success status that carries only the failure */
      {200, "{\"errors\":[{\"title\":\"Duplicate\",\"detail\":\"subscription already exists\"}]}",
       TB_XAPI_ERROR_SUB_DUPLICATE},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(TbHttpResponse) resp = response_new(cases[i].status, cases[i].body);
    g_assert_null(tb_activity_sub_create_parse(resp, &error));
    g_assert_error(error, TB_XAPI_ERROR, (gint)cases[i].code);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/activity/dm-events", test_dm_events);
  g_test_add_func("/activity/mention-event", test_mention_event);
  g_test_add_func("/activity/other-and-problems", test_other_and_problems);
  g_test_add_func("/activity/through-ndjson", test_through_ndjson);
  g_test_add_func("/activity/types-and-tags", test_types_and_tags);
  g_test_add_func("/activity/requests", test_requests);
  g_test_add_func("/activity/sub-answers", test_sub_answers);
  g_test_add_func("/activity/sub-errors", test_sub_errors);
  return g_test_run();
}
