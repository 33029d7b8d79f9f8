/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Shapes (docs.x.com x-api/activity/event-payloads, and the OpenAPI spec's
 * ActivityStreamingResponse, ActivitySubscription*): an event is {"data": {"event_uuid",
 * "event_type", "filter": {"user_id"}, "tag", "payload", "includes"}}; a post event's payload is
 * a v2 Post with includes.users; a legacy DM event's payload is the v1.1-style
 * {"direct_message_events": [{"type": "message_create", "id", "created_timestamp",
 * "message_create": {"target": {"recipient_id"}, "sender_id", "message_data": {"text",
 * "entities"}}}], "users": {"<id>": {"data": User}}}.
 */
#include "tb-activity.h"
#include "core/tb-bounds.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#define EVENT_TYPE_MAX 64  /* X's longest is "profile.update.affiliate_badge" */
#define TAG_MAX 200        /* ActivitySubscriptionCreateRequest.tag's maxLength */
#define DMS_MAX 100        /* DM events in one delivery (X sends one) */
#define SUBS_PAGE_MAX 1000 /* the list's max_results */
#define TAG_PREFIX "twinbird:"

static const struct {
  TbActivityType type;
  const char *name;
} type_names[] = {
    {TB_ACTIVITY_DM_RECEIVED, "dm.received"},
    {TB_ACTIVITY_DM_SENT, "dm.sent"},
    {TB_ACTIVITY_POST_MENTION, "post.mention.create"},
};

const char *
tb_activity_type_name(TbActivityType type)
{
  for (gsize i = 0; i < G_N_ELEMENTS(type_names); i++) {
    if (type_names[i].type == type)
      return type_names[i].name;
  }
  return NULL;
}

TbActivityType
tb_activity_type_from_name(const char *name)
{
  for (gsize i = 0; name && i < G_N_ELEMENTS(type_names); i++) {
    if (strcmp(type_names[i].name, name) == 0)
      return type_names[i].type;
  }
  return TB_ACTIVITY_OTHER;
}

/* --- errors ----------------------------------------------------------------------------------
 */

/* Problem types (the spec's Problem discriminator) that name an Activity failure. */
static const struct {
  const char *suffix;
  TbXapiError code;
} problem_codes[] = {
    {"/usage-capped", TB_XAPI_ERROR_USAGE_CAPPED},
    {"/rule-cap", TB_XAPI_ERROR_SUB_CAP},
    {"/duplicate-rules", TB_XAPI_ERROR_SUB_DUPLICATE},
    {"/conflict", TB_XAPI_ERROR_SUB_DUPLICATE},
    {"/unsupported-authentication", TB_XAPI_ERROR_AUTH_KIND},
    {"/not-authorized-for-resource", TB_XAPI_ERROR_SCOPE},
    {"/oauth1-permissions", TB_XAPI_ERROR_SCOPE},
    {"/streaming-connection", TB_XAPI_ERROR_STREAM_LIMIT},
};

/* X's texts for failures it has no problem type for; matched lower-cased in title and detail. */
static const struct {
  const char *words;
  TbXapiError code;
} detail_codes[] = {
    {"duplicate", TB_XAPI_ERROR_SUB_DUPLICATE},
    {"already exists", TB_XAPI_ERROR_SUB_DUPLICATE},
    {"already subscribed", TB_XAPI_ERROR_SUB_DUPLICATE},
    {"scope", TB_XAPI_ERROR_SCOPE},
    {"too many subscriptions", TB_XAPI_ERROR_SUB_CAP},
    {"subscription limit", TB_XAPI_ERROR_SUB_CAP},
    {"maximum number of subscriptions", TB_XAPI_ERROR_SUB_CAP},
    {"toomanyconnections", TB_XAPI_ERROR_STREAM_LIMIT},
    {"too many connections", TB_XAPI_ERROR_STREAM_LIMIT},
};

/* Codes a problem's type or words may make more precise; the rest already say what to do. */
static gboolean
refinable(TbXapiError code)
{
  return code == TB_XAPI_ERROR_INVALID || code == TB_XAPI_ERROR_FORBIDDEN ||
         code == TB_XAPI_ERROR_OTHER || code == TB_XAPI_ERROR_RATE_LIMITED;
}

static TbXapiError
problem_code(JsonObject *problem, int status, TbXapiError code)
{
  const char *type = tb_xapi_json_string(problem, "type");

  for (gsize i = 0; type && i < G_N_ELEMENTS(problem_codes); i++) {
    if (g_str_has_suffix(type, problem_codes[i].suffix))
      return problem_codes[i].code;
  }
  if (!refinable(code))
    return code;
  GString *joined = g_string_new(NULL);
  static const char *const parts[] = {"title", "detail", "connection_issue"};
  for (gsize i = 0; i < G_N_ELEMENTS(parts); i++) {
    const char *part = tb_xapi_json_string(problem, parts[i]);
    g_string_append_printf(joined, "%s ", part ? part : "");
  }
  g_autofree char *text = g_ascii_strdown(joined->str, -1);
  g_string_free(joined, TRUE);
  for (gsize i = 0; i < G_N_ELEMENTS(detail_codes); i++) {
    if (strstr(text, detail_codes[i].words) != NULL)
      return detail_codes[i].code;
  }
  return status == 409 ? TB_XAPI_ERROR_SUB_DUPLICATE : code;
}

static JsonObject *
first_problem(JsonObject *obj)
{
  JsonArray *errors = tb_xapi_json_array(obj, "errors");
  JsonNode *first =
      errors && json_array_get_length(errors) > 0 ? json_array_get_element(errors, 0) : NULL;
  return first && JSON_NODE_HOLDS_OBJECT(first) ? json_node_get_object(first) : NULL;
}

/* An error from a problem object X sent with a success status or on the stream. */
static void
set_problem_error(JsonObject *problem, GError **error)
{
  const char *title = tb_xapi_json_string(problem, "title");
  const char *detail = tb_xapi_json_string(problem, "detail");
  const char *message = tb_xapi_json_string(problem, "message"); /* the legacy shape */
  g_autofree char *t = tb_bounds_dup(title, TB_BOUND_FIELD_CHARS, NULL);
  g_autofree char *d = tb_bounds_dup(detail ? detail : message, TB_BOUND_FIELD_CHARS, NULL);
  TbXapiError code = problem_code(problem, 0, TB_XAPI_ERROR_OTHER);

  if (t && d && strcmp(t, d) != 0)
    g_set_error(error, TB_XAPI_ERROR, code, "%s: %s", t, d);
  else if (t || d)
    g_set_error_literal(error, TB_XAPI_ERROR, code, t ? t : d);
  else
    g_set_error_literal(error, TB_XAPI_ERROR, code, _("X answered with an error"));
}

static JsonNode *
load(const char *data, gsize len, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  if (len == 0 || !tb_xapi_json_load(parser, data, len, error))
    return NULL;
  JsonNode *root = json_parser_get_root(parser);
  return root ? json_node_copy(root) : NULL;
}

JsonNode *
tb_activity_response_parse(const TbHttpResponse *resp, GError **error)
{
  g_autoptr(GError) err = NULL;
  JsonNode *root = tb_xapi_response_parse(resp, &err);

  if (root != NULL) {
    JsonObject *obj = json_node_get_object(root);
    JsonObject *problem = first_problem(obj);
    if (problem != NULL && !json_object_has_member(obj, "data")) {
      set_problem_error(problem, error); /* a 200 that carries only a failure */
      json_node_unref(root);
      return NULL;
    }
    return root;
  }
  if (err->domain == TB_XAPI_ERROR && refinable(err->code) && resp->outcome == TB_HTTP_OK) {
    gsize len = 0;
    const char *data = g_bytes_get_data(resp->body, &len);
    g_autoptr(JsonNode) body = load(data, len, NULL);
    JsonObject *obj = body && JSON_NODE_HOLDS_OBJECT(body) ? json_node_get_object(body) : NULL;
    JsonObject *problem = first_problem(obj) ? first_problem(obj) : obj; /* legacy, or RFC 7807 */
    TbXapiError code = (TbXapiError)err->code;
    if (problem != NULL)
      code = problem_code(problem, resp->status, code);
    else if (resp->status == 409)
      code = TB_XAPI_ERROR_SUB_DUPLICATE;
    err->code = (gint)code;
  }
  g_propagate_error(error, g_steal_pointer(&err));
  return NULL;
}

/* --- events -----------------------------------------------------------------------------------
 */

static void
malformed(GError **error, const char *what)
{
  /* Translators: %s says what is wrong, e.g. "a DM without a valid sender". */
  g_set_error(error, TB_XAPI_ERROR, TB_XAPI_ERROR_MALFORMED, _("X sent an unreadable event: %s"),
              what);
}

/* X's event_uuid is a signed 64-bit number: the docs show "-2781149976877970683" although the
 * spec's pattern says digits only. */
static gboolean
uuid_is_valid(const char *uuid)
{
  return uuid != NULL && tb_xapi_id_is_valid(uuid[0] == '-' ? uuid + 1 : uuid);
}

static gboolean
event_type_is_valid(const char *name)
{
  gsize n = name ? strlen(name) : 0;
  if (n == 0 || n > EVENT_TYPE_MAX)
    return FALSE;
  for (gsize i = 0; i < n; i++) {
    if (!g_ascii_isalnum(name[i]) && name[i] != '.' && name[i] != '_') /* "ProfileBioUpdate" too */
      return FALSE;
  }
  return TRUE;
}

/* A present tag must be a string of at most TAG_MAX characters. */
static gboolean
read_tag(JsonObject *obj, char **out)
{
  JsonNode *node = json_object_get_member(obj, "tag");
  if (node == NULL || JSON_NODE_HOLDS_NULL(node))
    return TRUE;
  const char *tag = tb_xapi_json_string(obj, "tag");
  if (tag == NULL || g_utf8_strlen(tag, -1) > TAG_MAX)
    return FALSE;
  *out = g_strdup(tag);
  return TRUE;
}

static void
user_list_free(gpointer data)
{
  tb_xapi_user_free(data);
}

/* A user as an object, or wrapped in {"data": User} (DM payloads, and some includes). */
static TbXapiUser *
user_from_node(JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
    return NULL;
  JsonObject *obj = json_node_get_object(node);
  JsonObject *inner = tb_xapi_json_object(obj, "data");
  return tb_xapi_user_from_json(inner ? inner : obj, NULL);
}

static void
add_user(GPtrArray *users, TbXapiUser *user)
{
  if (user == NULL)
    return;
  if (users->len >= TB_BOUND_PAGE_USERS) {
    tb_xapi_user_free(user);
    return;
  }
  g_ptr_array_add(users, user);
}

void
tb_activity_event_free(TbActivityEvent *ev)
{
  if (ev == NULL)
    return;
  g_free(ev->event_uuid);
  g_free(ev->event_type);
  g_free(ev->filter_user_id);
  g_free(ev->tag);
  if (ev->dms)
    g_ptr_array_unref(ev->dms);
  tb_xapi_tweet_free(ev->post);
  g_ptr_array_unref(ev->users);
  g_free(ev);
}

/* The legacy (v1.1) entities of a DM's message_data: "indices": [start, end]. */
static const struct {
  const char *member;
  TbXapiEntityKind kind;
} legacy_entities[] = {
    {"urls", TB_XAPI_ENTITY_URL},
    {"user_mentions", TB_XAPI_ENTITY_MENTION},
    {"hashtags", TB_XAPI_ENTITY_HASHTAG},
    {"symbols", TB_XAPI_ENTITY_CASHTAG},
};

static char *
dup_field(JsonObject *obj, const char *name)
{
  return tb_bounds_dup(tb_xapi_json_string(obj, name), TB_BOUND_FIELD_CHARS, NULL);
}

static gboolean
read_indices(JsonObject *o, int *start, int *end)
{
  JsonArray *idx = tb_xapi_json_array(o, "indices");
  if (idx == NULL || json_array_get_length(idx) != 2)
    return FALSE;
  JsonNode *a = json_array_get_element(idx, 0), *b = json_array_get_element(idx, 1);
  if (!JSON_NODE_HOLDS_VALUE(a) || json_node_get_value_type(a) != G_TYPE_INT64 ||
      !JSON_NODE_HOLDS_VALUE(b) || json_node_get_value_type(b) != G_TYPE_INT64)
    return FALSE;
  gint64 s = json_node_get_int(a), e = json_node_get_int(b);
  if (s < 0 || e < s || e > TB_BOUND_DM_CHARS)
    return FALSE; /* indices we cannot trust would mangle the text */
  *start = (int)s;
  *end = (int)e;
  return TRUE;
}

static void
parse_legacy_entities(JsonObject *entities, GPtrArray *out)
{
  for (gsize m = 0; entities && m < G_N_ELEMENTS(legacy_entities); m++) {
    JsonArray *arr = tb_xapi_json_array(entities, legacy_entities[m].member);
    for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
      JsonNode *node = json_array_get_element(arr, i);
      int start = 0, end = 0;
      if (!JSON_NODE_HOLDS_OBJECT(node) || !read_indices(json_node_get_object(node), &start, &end))
        continue;
      JsonObject *o = json_node_get_object(node);
      TbXapiEntity *e = g_new0(TbXapiEntity, 1);
      e->kind = legacy_entities[m].kind;
      e->start = start;
      e->end = end;
      e->url = dup_field(o, "url");
      e->expanded_url = dup_field(o, "expanded_url");
      e->display_url = dup_field(o, "display_url");
      e->username = dup_field(o, "screen_name");
      e->id = dup_field(o, "id_str");
      if (e->kind == TB_XAPI_ENTITY_HASHTAG || e->kind == TB_XAPI_ENTITY_CASHTAG)
        e->tag = dup_field(o, "text");
      g_ptr_array_add(out, e);
    }
  }
}

/* Decimal ids compared as numbers: the shorter is smaller, else the strings' order. */
static int
id_cmp(const char *a, const char *b)
{
  gsize la = strlen(a), lb = strlen(b);
  return la != lb ? (la < lb ? -1 : 1) : strcmp(a, b);
}

/* "created_timestamp": milliseconds since the epoch, as a string of digits. */
static char *
legacy_time(const char *ms)
{
  guint64 n = 0;
  if (ms == NULL || !g_ascii_string_to_unsigned(ms, 10, 0, G_MAXINT64 / 2, &n, NULL))
    return NULL;
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc((gint64)(n / 1000));
  if (dt == NULL)
    return NULL;
  g_autofree char *s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf("%s.%03dZ", s, (int)(n % 1000)); /* the v2 created_at's form */
}

static TbXapiDmEvent *
legacy_dm_parse(JsonObject *o, const char *filter_user, GError **error)
{
  JsonObject *create = tb_xapi_json_object(o, "message_create");
  JsonObject *mdata = tb_xapi_json_object(create, "message_data");
  const char *id = tb_xapi_json_string(o, "id");
  const char *sender = tb_xapi_json_string(create, "sender_id");
  const char *recipient =
      tb_xapi_json_string(tb_xapi_json_object(create, "target"), "recipient_id");
  const char *text = tb_xapi_json_string(mdata, "text");

  if (!tb_xapi_id_is_valid(id)) {
    malformed(error, _("a DM without a valid id"));
    return NULL;
  }
  if (!tb_xapi_id_is_valid(sender) || !tb_xapi_id_is_valid(recipient)) {
    malformed(error, _("a DM without a valid sender or recipient"));
    return NULL;
  }
  if (strcmp(sender, filter_user) != 0 && strcmp(recipient, filter_user) != 0) {
    malformed(error, _("a DM that is not the subscribed user's"));
    return NULL;
  }
  if (text == NULL) {
    malformed(error, _("a DM without text"));
    return NULL;
  }
  TbXapiDmEvent *e = tb_xapi_dm_event_new();
  e->id = g_strdup(id);
  e->event_type = g_strdup("MessageCreate");
  e->text = tb_bounds_dup(text, TB_BOUND_DM_CHARS, &e->cut);
  e->sender_id = g_strdup(sender);
  gboolean sender_first = id_cmp(sender, recipient) <= 0;
  e->dm_conversation_id = g_strdup_printf("%s-%s", sender_first ? sender : recipient,
                                          sender_first ? recipient : sender);
  e->created_at = legacy_time(tb_xapi_json_string(o, "created_timestamp"));
  parse_legacy_entities(tb_xapi_json_object(mdata, "entities"), e->entities);
  return e;
}

static gboolean
dm_payload_parse(TbActivityEvent *ev, JsonObject *payload, GError **error)
{
  JsonArray *events = tb_xapi_json_array(payload, "direct_message_events");
  guint n = events ? json_array_get_length(events) : 0;

  if (n == 0 || n > DMS_MAX) {
    malformed(error, _("a DM delivery without DM events"));
    return FALSE;
  }
  ev->dms = g_ptr_array_new_with_free_func((GDestroyNotify)tb_xapi_dm_event_free);
  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element(events, i);
    JsonObject *o = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    if (o == NULL || g_strcmp0(tb_xapi_json_string(o, "type"), "message_create") != 0)
      continue; /* not a message: nothing to show */
    TbXapiDmEvent *dm = legacy_dm_parse(o, ev->filter_user_id, error);
    if (dm == NULL)
      return FALSE;
    g_ptr_array_add(ev->dms, dm);
  }
  if (ev->dms->len == 0) {
    malformed(error, _("a DM delivery without a message"));
    return FALSE;
  }
  JsonObject *users = tb_xapi_json_object(payload, "users");
  g_autoptr(GList) ids = users ? json_object_get_members(users) : NULL;
  for (GList *l = ids; l; l = l->next) {
    TbXapiUser *u = user_from_node(json_object_get_member(users, l->data));
    if (u != NULL && strcmp(u->id, l->data) != 0)
      g_clear_pointer(&u, tb_xapi_user_free); /* filed under another id: trust neither */
    add_user(ev->users, u);
  }
  return TRUE;
}

static gboolean
post_payload_parse(TbActivityEvent *ev, JsonObject *payload, JsonObject *includes, GError **error)
{
  g_autoptr(GError) err = NULL;

  ev->post = tb_xapi_tweet_from_json(payload, &err);
  if (ev->post == NULL) {
    malformed(error, err->message);
    return FALSE;
  }
  if (!tb_xapi_id_is_valid(ev->post->author_id)) {
    malformed(error, _("a post without a valid author"));
    return FALSE;
  }
  JsonArray *users = tb_xapi_json_array(includes, "users");
  for (guint i = 0; users && i < json_array_get_length(users); i++)
    add_user(ev->users, user_from_node(json_array_get_element(users, i)));
  return TRUE;
}

TbActivityEvent *
tb_activity_event_parse(const char *line, gsize len, GError **error)
{
  g_autoptr(GError) err = NULL;

  if (len > TB_BOUND_ACTIVITY_LINE_BYTES) {
    malformed(error, _("too long"));
    return NULL;
  }
  g_autoptr(JsonNode) root = load(line, len, &err);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
    malformed(error, err ? err->message : _("not a JSON object"));
    return NULL;
  }
  JsonObject *obj = json_node_get_object(root);
  JsonObject *data = tb_xapi_json_object(obj, "data");
  JsonObject *problem = first_problem(obj);
  if (data == NULL && problem != NULL) {
    set_problem_error(problem, error); /* X says why the stream is about to end */
    return NULL;
  }
  if (data == NULL) {
    malformed(error, _("no data"));
    return NULL;
  }

  const char *uuid = tb_xapi_json_string(data, "event_uuid");
  const char *type = tb_xapi_json_string(data, "event_type");
  if (!uuid_is_valid(uuid) || !event_type_is_valid(type)) {
    malformed(error, _("no valid event_uuid or event_type"));
    return NULL;
  }
  g_autoptr(TbActivityEvent) ev = g_new0(TbActivityEvent, 1);
  ev->users = g_ptr_array_new_with_free_func(user_list_free);
  ev->event_uuid = g_strdup(uuid);
  ev->event_type = g_strdup(type);
  ev->type = tb_activity_type_from_name(type);
  JsonObject *filter = tb_xapi_json_object(data, "filter");
  JsonNode *user_node = filter ? json_object_get_member(filter, "user_id") : NULL;
  const char *user = tb_xapi_json_string(filter, "user_id");
  if ((user_node != NULL || ev->type != TB_ACTIVITY_OTHER) && !tb_xapi_id_is_valid(user)) {
    malformed(error, _("no valid filter.user_id"));
    return NULL;
  }
  ev->filter_user_id = g_strdup(user);
  if (!read_tag(data, &ev->tag)) {
    malformed(error, _("a tag that is not a short string"));
    return NULL;
  }
  if (ev->type == TB_ACTIVITY_OTHER)
    return g_steal_pointer(&ev);

  JsonObject *payload = tb_xapi_json_object(data, "payload");
  if (payload == NULL) {
    malformed(error, _("no payload"));
    return NULL;
  }
  gboolean ok = ev->type == TB_ACTIVITY_POST_MENTION
                    ? post_payload_parse(ev, payload, tb_xapi_json_object(data, "includes"), error)
                    : dm_payload_parse(ev, payload, error);
  return ok ? g_steal_pointer(&ev) : NULL;
}

TbHttpRequest *
tb_activity_stream_request(const TbXapiAuth *app, const char *api_base, int backfill_minutes)
{
  int backfill = CLAMP(backfill_minutes, 0, 5);
  g_autofree char *minutes = backfill > 0 ? g_strdup_printf("%d", backfill) : NULL;
  const char *query[] = {"backfill_minutes", minutes, NULL};
  return tb_xapi_request(app, "GET", api_base, "/2/activity/stream", query);
}

/* --- subscriptions --- */

void
tb_activity_sub_free(TbActivitySub *sub)
{
  if (sub == NULL)
    return;
  g_free(sub->subscription_id);
  g_free(sub->event_type);
  g_free(sub->user_id);
  g_free(sub->tag);
  g_free(sub);
}

char *
tb_activity_tag(const char *user_id, TbActivityType type)
{
  const char *name = tb_activity_type_name(type);
  if (name == NULL || !tb_xapi_id_is_valid(user_id))
    return NULL;
  return g_strconcat(TAG_PREFIX, user_id, ":", name, NULL);
}

gboolean
tb_activity_tag_parse(const char *tag, char **user_id, TbActivityType *type)
{
  if (tag == NULL || !g_str_has_prefix(tag, TAG_PREFIX))
    return FALSE;
  const char *rest = tag + strlen(TAG_PREFIX);
  const char *colon = strchr(rest, ':');
  if (colon == NULL)
    return FALSE;
  g_autofree char *id = g_strndup(rest, colon - rest);
  TbActivityType t = tb_activity_type_from_name(colon + 1);
  if (!tb_xapi_id_is_valid(id) || t == TB_ACTIVITY_OTHER)
    return FALSE;
  if (user_id != NULL)
    *user_id = g_steal_pointer(&id);
  if (type != NULL)
    *type = t;
  return TRUE;
}

TbHttpRequest *
tb_activity_sub_create_request(const TbXapiAuth *user, const char *api_base, const char *user_id,
                               TbActivityType type)
{
  g_autofree char *tag = tb_activity_tag(user_id, type);
  if (tag == NULL)
    return NULL;
  TbHttpRequest *req = tb_xapi_request(user, "POST", api_base, "/2/activity/subscriptions", NULL);
  g_autoptr(JsonBuilder) b = json_builder_new();

  json_builder_begin_object(b);
  json_builder_set_member_name(b, "event_type");
  json_builder_add_string_value(b, tb_activity_type_name(type));
  json_builder_set_member_name(b, "filter");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "user_id");
  json_builder_add_string_value(b, user_id);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "tag");
  json_builder_add_string_value(b, tag);
  json_builder_end_object(b);
  g_autoptr(JsonNode) body = json_builder_get_root(b);
  tb_xapi_request_set_json(req, body);
  return req;
}

TbHttpRequest *
tb_activity_sub_list_request(const TbXapiAuth *auth, const char *api_base,
                             const char *pagination_token)
{
  const char *query[] = {"max_results", "1000", "pagination_token", pagination_token, NULL};
  return tb_xapi_request(auth, "GET", api_base, "/2/activity/subscriptions", query);
}

TbHttpRequest *
tb_activity_sub_delete_request(const TbXapiAuth *app, const char *api_base,
                               const char *subscription_id)
{
  g_autofree char *id = g_uri_escape_string(subscription_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf("/2/activity/subscriptions/%s", id);
  return tb_xapi_request(app, "DELETE", api_base, path, NULL);
}

static TbActivitySub *
sub_from_json(JsonObject *o, GError **error)
{
  const char *id = tb_xapi_json_string(o, "subscription_id");
  const char *type = tb_xapi_json_string(o, "event_type");
  JsonObject *filter = tb_xapi_json_object(o, "filter");
  JsonNode *user_node = filter ? json_object_get_member(filter, "user_id") : NULL;
  const char *user = tb_xapi_json_string(filter, "user_id");
  g_autoptr(TbActivitySub) sub = g_new0(TbActivitySub, 1);

  if (!tb_xapi_id_is_valid(id) || !event_type_is_valid(type) ||
      (user_node != NULL && !tb_xapi_id_is_valid(user)) || !read_tag(o, &sub->tag)) {
    g_set_error_literal(error, TB_XAPI_ERROR, TB_XAPI_ERROR_MALFORMED,
                        _("X sent a subscription without a valid id, event type or user"));
    return NULL;
  }
  sub->subscription_id = g_strdup(id);
  sub->event_type = g_strdup(type);
  sub->type = tb_activity_type_from_name(type);
  sub->user_id = g_strdup(user);
  return g_steal_pointer(&sub);
}

TbActivitySub *
tb_activity_sub_create_parse(const TbHttpResponse *resp, GError **error)
{
  g_autoptr(JsonNode) root = tb_activity_response_parse(resp, error);
  if (root == NULL)
    return NULL;
  JsonObject *obj = json_node_get_object(root);
  JsonObject *data = tb_xapi_json_object(obj, "data");
  JsonArray *list = tb_xapi_json_array(obj, "data");
  JsonObject *sub = tb_xapi_json_object(data, "subscription");

  if (sub == NULL && data != NULL)
    sub = data; /* the quickstart's shape */
  if (sub == NULL && list != NULL && json_array_get_length(list) > 0 &&
      JSON_NODE_HOLDS_OBJECT(json_array_get_element(list, 0)))
    sub = json_node_get_object(json_array_get_element(list, 0));
  if (sub == NULL) {
    g_set_error_literal(error, TB_XAPI_ERROR, TB_XAPI_ERROR_MALFORMED,
                        _("X confirmed the subscription without describing it"));
    return NULL;
  }
  return sub_from_json(sub, error);
}

GPtrArray *
tb_activity_sub_list_parse(const TbHttpResponse *resp, char **next_token, GError **error)
{
  if (next_token != NULL)
    *next_token = NULL;
  g_autoptr(JsonNode) root = tb_activity_response_parse(resp, error);
  if (root == NULL)
    return NULL;
  GPtrArray *subs = g_ptr_array_new_with_free_func((GDestroyNotify)tb_activity_sub_free);
  JsonArray *data = tb_xapi_json_array(json_node_get_object(root), "data");
  guint n = data ? MIN(json_array_get_length(data), SUBS_PAGE_MAX) : 0;

  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element(data, i);
    TbActivitySub *sub =
        JSON_NODE_HOLDS_OBJECT(node) ? sub_from_json(json_node_get_object(node), NULL) : NULL;
    if (sub != NULL)
      g_ptr_array_add(subs, sub);
  }
  if (next_token != NULL)
    *next_token = tb_xapi_next_token(root);
  return subs;
}

gboolean
tb_activity_sub_delete_parse(const TbHttpResponse *resp, GError **error)
{
  g_autoptr(JsonNode) root = tb_activity_response_parse(resp, error);
  if (root == NULL)
    return FALSE;
  JsonObject *data = tb_xapi_json_object(json_node_get_object(root), "data");
  if (!tb_xapi_json_bool(data, "deleted", FALSE)) {
    g_set_error_literal(error, TB_XAPI_ERROR, TB_XAPI_ERROR_MALFORMED,
                        _("X did not say the subscription was deleted"));
    return FALSE;
  }
  return TRUE;
}
