/* tb-host: libpurple's requests (input, choice, action, fields, file, folder), each printed with
 * a host id, and the commands that answer or cancel them by that id.
 *
 * Copyright (C) 2026 The Twinbird developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include "tb-host.h"

/* ---------------------------------------------------------------------------------------------
 * Requests: each gets a host id; tests answer them by id.
 */
typedef struct {
  int id;
  PurpleRequestType type;
  const char *kind; /* "input", "action", "choice", "fields", "file", "folder" */
  void *user_data;
  GCallback ok_cb;
  GCallback cancel_cb;
  GCallback *action_cbs;
  gsize action_count;
  PurpleRequestFields *fields;
} TbHostRequest;

static GHashTable *requests; /* id -> TbHostRequest* */
static int next_request_id = 1;

static void
request_free(gpointer data)
{
  TbHostRequest *req = data;
  g_free(req->action_cbs);
  g_free(req);
}

void
tb_host_init_requests(void)
{
  requests = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, request_free);
}

static TbHostRequest *
request_new(PurpleRequestType type, const char *kind, void *user_data)
{
  TbHostRequest *req = g_new0(TbHostRequest, 1);
  req->id = next_request_id++;
  req->type = type;
  req->kind = kind;
  req->user_data = user_data;
  g_hash_table_insert(requests, GINT_TO_POINTER(req->id), req);
  return req;
}

static JsonBuilder *
request_begin(const char *event, TbHostRequest *req, const char *title, const char *primary,
              const char *secondary, PurpleAccount *account, const char *who,
              PurpleConversation *conv)
{
  JsonBuilder *b = tb_host_begin_event(event);
  tb_host_set_int(b, "id", req->id);
  tb_host_set_account(b, account);
  tb_host_set_str(b, "who", who);
  tb_host_set_str(b, "conv", conv ? purple_conversation_get_name(conv) : NULL);
  tb_host_set_str(b, "title", title);
  tb_host_set_str(b, "primary", primary);
  tb_host_set_str(b, "secondary", secondary);
  return b;
}

static void *
req_input(const char *title, const char *primary, const char *secondary, const char *default_value,
          gboolean multiline, gboolean masked, gchar *hint, const char *ok_text, GCallback ok_cb,
          const char *cancel_text, GCallback cancel_cb, PurpleAccount *account, const char *who,
          PurpleConversation *conv, void *user_data)
{
  TbHostRequest *req = request_new(PURPLE_REQUEST_INPUT, "input", user_data);
  JsonBuilder *b;

  req->ok_cb = ok_cb;
  req->cancel_cb = cancel_cb;
  b = request_begin("request-input", req, title, primary, secondary, account, who, conv);
  tb_host_set_str(b, "default", default_value);
  tb_host_set_bool(b, "multiline", multiline);
  tb_host_set_bool(b, "masked", masked);
  tb_host_set_str(b, "hint", hint);
  tb_host_set_str(b, "ok_text", ok_text);
  tb_host_set_str(b, "cancel_text", cancel_text);
  tb_host_emit_event(b);
  return req;
}

static void *
req_choice(const char *title, const char *primary, const char *secondary, int default_value,
           const char *ok_text, GCallback ok_cb, const char *cancel_text, GCallback cancel_cb,
           PurpleAccount *account, const char *who, PurpleConversation *conv, void *user_data,
           va_list choices)
{
  TbHostRequest *req = request_new(PURPLE_REQUEST_CHOICE, "choice", user_data);
  JsonBuilder *b;
  const char *label;

  req->ok_cb = ok_cb;
  req->cancel_cb = cancel_cb;
  b = request_begin("request-choice", req, title, primary, secondary, account, who, conv);
  tb_host_set_int(b, "default", default_value);
  tb_host_set_str(b, "ok_text", ok_text);
  tb_host_set_str(b, "cancel_text", cancel_text);
  json_builder_set_member_name(b, "choices");
  json_builder_begin_array(b);
  while ((label = va_arg(choices, const char *)) != NULL) {
    int value = va_arg(choices, int);
    json_builder_begin_object(b);
    tb_host_set_str(b, "label", label);
    tb_host_set_int(b, "value", value);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  tb_host_emit_event(b);
  return req;
}

static void *
req_action(const char *title, const char *primary, const char *secondary, int default_action,
           PurpleAccount *account, const char *who, PurpleConversation *conv, void *user_data,
           size_t action_count, va_list actions)
{
  TbHostRequest *req = request_new(PURPLE_REQUEST_ACTION, "action", user_data);
  JsonBuilder *b;

  req->action_count = action_count;
  req->action_cbs = g_new0(GCallback, action_count + 1);
  b = request_begin("request-action", req, title, primary, secondary, account, who, conv);
  tb_host_set_int(b, "default", default_action);
  json_builder_set_member_name(b, "actions");
  json_builder_begin_array(b);
  for (size_t i = 0; i < action_count; i++) {
    const char *label = va_arg(actions, const char *);
    req->action_cbs[i] = va_arg(actions, GCallback);
    tb_host_add_str(b, label);
  }
  json_builder_end_array(b);
  tb_host_emit_event(b);
  return req;
}

static const char *
field_type_name(PurpleRequestFieldType t)
{
  static const char *const names[] = {"none", "string", "integer", "boolean", "choice",
                                      "list", "label",  "image",   "account"};
  return (guint)t < G_N_ELEMENTS(names) ? names[t] : "unknown";
}

static void
add_field(JsonBuilder *b, gpointer item)
{
  PurpleRequestField *field = item;
  PurpleRequestFieldType t = purple_request_field_get_type(field);

  json_builder_begin_object(b);
  tb_host_set_str(b, "group",
                  purple_request_field_group_get_title(purple_request_field_get_group(field)));
  tb_host_set_str(b, "id", purple_request_field_get_id(field));
  tb_host_set_str(b, "label", purple_request_field_get_label(field));
  tb_host_set_str(b, "type", field_type_name(t));
  tb_host_set_bool(b, "required", purple_request_field_is_required(field));
  if (t == PURPLE_REQUEST_FIELD_STRING) {
    tb_host_set_str(b, "value", purple_request_field_string_get_value(field));
    tb_host_set_bool(b, "masked", purple_request_field_string_is_masked(field));
    tb_host_set_bool(b, "multiline", purple_request_field_string_is_multiline(field));
  } else if (t == PURPLE_REQUEST_FIELD_INTEGER) {
    tb_host_set_int(b, "value", purple_request_field_int_get_value(field));
  } else if (t == PURPLE_REQUEST_FIELD_BOOLEAN) {
    tb_host_set_bool(b, "value", purple_request_field_bool_get_value(field));
  } else if (t == PURPLE_REQUEST_FIELD_CHOICE) {
    tb_host_set_int(b, "value", purple_request_field_choice_get_value(field));
    tb_host_add_list(b, "labels", purple_request_field_choice_get_labels(field), NULL);
  }
  json_builder_end_object(b);
}

static void *
req_fields(const char *title, const char *primary, const char *secondary,
           PurpleRequestFields *fields, const char *ok_text, GCallback ok_cb,
           const char *cancel_text, GCallback cancel_cb, PurpleAccount *account, const char *who,
           PurpleConversation *conv, void *user_data)
{
  TbHostRequest *req = request_new(PURPLE_REQUEST_FIELDS, "fields", user_data);
  JsonBuilder *b;
  GList *all = NULL;

  req->ok_cb = ok_cb;
  req->cancel_cb = cancel_cb;
  req->fields = fields;
  b = request_begin("request-fields", req, title, primary, secondary, account, who, conv);
  tb_host_set_str(b, "ok_text", ok_text);
  tb_host_set_str(b, "cancel_text", cancel_text);
  /* one array of every group's fields, each naming its group */
  for (GList *g = purple_request_fields_get_groups(fields); g; g = g->next)
    all = g_list_concat(all, g_list_copy(purple_request_field_group_get_fields(g->data)));
  tb_host_add_list(b, "fields", all, add_field);
  g_list_free(all);
  tb_host_emit_event(b);
  return req;
}

static void *
req_file(const char *title, const char *filename, gboolean savedialog, GCallback ok_cb,
         GCallback cancel_cb, PurpleAccount *account, const char *who, PurpleConversation *conv,
         void *user_data)
{
  TbHostRequest *req = request_new(PURPLE_REQUEST_FILE, "file", user_data);
  JsonBuilder *b;

  req->ok_cb = ok_cb;
  req->cancel_cb = cancel_cb;
  b = request_begin("request-file", req, title, NULL, NULL, account, who, conv);
  tb_host_set_str(b, "filename", filename);
  tb_host_set_bool(b, "save", savedialog);
  tb_host_emit_event(b);
  return req;
}

static void *
req_folder(const char *title, const char *dirname, GCallback ok_cb, GCallback cancel_cb,
           PurpleAccount *account, const char *who, PurpleConversation *conv, void *user_data)
{
  TbHostRequest *req = request_new(PURPLE_REQUEST_FOLDER, "folder", user_data);
  JsonBuilder *b;

  req->ok_cb = ok_cb;
  req->cancel_cb = cancel_cb;
  b = request_begin("request-folder", req, title, NULL, NULL, account, who, conv);
  tb_host_set_str(b, "dirname", dirname);
  tb_host_emit_event(b);
  return req;
}

static void
req_close(PurpleRequestType type G_GNUC_UNUSED, void *ui_handle)
{
  TbHostRequest *req = ui_handle;
  JsonBuilder *b = tb_host_begin_event("request-closed");
  tb_host_set_int(b, "id", req->id);
  tb_host_set_str(b, "kind", req->kind);
  tb_host_emit_event(b);
  g_hash_table_remove(requests, GINT_TO_POINTER(req->id)); /* frees req */
}

PurpleRequestUiOps tb_host_request_ops = {
    .request_input = req_input,
    .request_choice = req_choice,
    .request_action = req_action,
    .request_fields = req_fields,
    .request_file = req_file,
    .close_request = req_close,
    .request_folder = req_folder,
};

/* After a callback ran, close the request unless the callback already did. */
static void
request_finish(int id)
{
  TbHostRequest *req = g_hash_table_lookup(requests, GINT_TO_POINTER(id));
  if (req != NULL)
    purple_request_close(req->type, req);
}

/* ---------------------------------------------------------------------------------------------
 * Commands: request-answer, request-action-answer, request-choice-answer, request-fields-answer,
 * request-cancel
 */
static TbHostRequest *
find_request(JsonObject *cmd, const char *kind, GError **error)
{
  JsonNode *n = json_object_get_member(cmd, "id");
  TbHostRequest *req;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "missing integer \"id\"");
    return NULL;
  }
  req = g_hash_table_lookup(requests, GINT_TO_POINTER((int)json_node_get_int(n)));
  if (req == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no open request %d",
                (int)json_node_get_int(n));
    return NULL;
  }
  if (kind != NULL && strcmp(req->kind, kind) != 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "request %d is a %s request",
                req->id, req->kind);
    return NULL;
  }
  return req;
}

gboolean
tb_host_cmd_request_answer(JsonObject *cmd, GError **error)
{
  TbHostRequest *req = find_request(cmd, NULL, error);
  const char *text;
  int id;

  if (req == NULL || (text = tb_host_need_str(cmd, "text", error)) == NULL)
    return FALSE;
  id = req->id;
  if (strcmp(req->kind, "input") == 0 || strcmp(req->kind, "file") == 0 ||
      strcmp(req->kind, "folder") == 0) {
    if (req->ok_cb != NULL)
      ((PurpleRequestInputCb)req->ok_cb)(req->user_data, text);
  } else {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "request %d is a %s request",
                req->id, req->kind);
    return FALSE;
  }
  request_finish(id);
  return TRUE;
}

gboolean
tb_host_cmd_request_action_answer(JsonObject *cmd, GError **error)
{
  TbHostRequest *req = find_request(cmd, "action", error);
  JsonNode *n = json_object_get_member(cmd, "index");
  gint64 index;
  int id;

  if (req == NULL)
    return FALSE;
  if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
      (index = json_node_get_int(n)) < 0 || (guint64)index >= req->action_count) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "\"index\" must be 0..%zu",
                req->action_count ? req->action_count - 1 : 0);
    return FALSE;
  }
  id = req->id;
  if (req->action_cbs[index] != NULL)
    ((PurpleRequestActionCb)req->action_cbs[index])(req->user_data, (int)index);
  request_finish(id);
  return TRUE;
}

gboolean
tb_host_cmd_request_choice_answer(JsonObject *cmd, GError **error)
{
  TbHostRequest *req = find_request(cmd, "choice", error);
  JsonNode *n = json_object_get_member(cmd, "value");
  int id;

  if (req == NULL)
    return FALSE;
  if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "missing integer \"value\"");
    return FALSE;
  }
  id = req->id;
  if (req->ok_cb != NULL)
    ((PurpleRequestChoiceCb)req->ok_cb)(req->user_data, (int)json_node_get_int(n));
  request_finish(id);
  return TRUE;
}

gboolean
tb_host_cmd_request_fields_answer(JsonObject *cmd, GError **error)
{
  TbHostRequest *req = find_request(cmd, "fields", error);
  JsonObject *values;
  GList *members;
  int id;

  if (req == NULL)
    return FALSE;
  values =
      json_object_has_member(cmd, "values") ? json_object_get_object_member(cmd, "values") : NULL;
  members = values ? json_object_get_members(values) : NULL;
  for (GList *m = members; m; m = m->next) {
    PurpleRequestField *field = purple_request_fields_get_field(req->fields, m->data);
    JsonNode *v = json_object_get_member(values, m->data);
    if (field == NULL || !JSON_NODE_HOLDS_VALUE(v)) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad field %s", (char *)m->data);
      g_list_free(members);
      return FALSE;
    }
    switch (purple_request_field_get_type(field)) {
    case PURPLE_REQUEST_FIELD_STRING:
      purple_request_field_string_set_value(field, json_node_get_string(v));
      break;
    case PURPLE_REQUEST_FIELD_INTEGER:
      purple_request_field_int_set_value(field, (int)json_node_get_int(v));
      break;
    case PURPLE_REQUEST_FIELD_BOOLEAN:
      purple_request_field_bool_set_value(field, json_node_get_boolean(v));
      break;
    case PURPLE_REQUEST_FIELD_CHOICE:
      purple_request_field_choice_set_value(field, (int)json_node_get_int(v));
      break;
    default:
      break;
    }
  }
  g_list_free(members);
  id = req->id;
  if (req->ok_cb != NULL)
    ((PurpleRequestFieldsCb)req->ok_cb)(req->user_data, req->fields);
  request_finish(id);
  return TRUE;
}

gboolean
tb_host_cmd_request_cancel(JsonObject *cmd, GError **error)
{
  TbHostRequest *req = find_request(cmd, NULL, error);
  int id;

  if (req == NULL)
    return FALSE;
  id = req->id;
  if (req->cancel_cb != NULL) {
    if (strcmp(req->kind, "fields") == 0)
      ((PurpleRequestFieldsCb)req->cancel_cb)(req->user_data, req->fields);
    else if (strcmp(req->kind, "choice") == 0)
      ((PurpleRequestChoiceCb)req->cancel_cb)(req->user_data, 0);
    else
      ((PurpleRequestInputCb)req->cancel_cb)(req->user_data, NULL);
  }
  request_finish(id);
  return TRUE;
}
