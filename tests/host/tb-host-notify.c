/* tb-host: libpurple's notices (messages, mail, search results, user info, URIs) as events.
 *
 * Copyright (C) 2026 The Twinbird developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tb-host.h"

/* ---------------------------------------------------------------------------------------------
 * Notifications
 */
static const char *
notify_msg_type_name(PurpleNotifyMsgType t)
{
  switch (t) {
  case PURPLE_NOTIFY_MSG_ERROR:
    return "error";
  case PURPLE_NOTIFY_MSG_WARNING:
    return "warning";
  case PURPLE_NOTIFY_MSG_INFO:
    return "info";
  default:
    return "unknown";
  }
}

/* Returning NULL tells libpurple the notice is already gone (its close callback runs at once). */
static void *
notify_message(PurpleNotifyMsgType type, const char *title, const char *primary,
               const char *secondary)
{
  JsonBuilder *b = tb_host_begin_event("notify");
  tb_host_set_str(b, "title", title);
  tb_host_set_str(b, "primary", primary);
  tb_host_set_str(b, "secondary", secondary);
  tb_host_set_str(b, "type", notify_msg_type_name(type));
  tb_host_emit_event(b);
  return NULL;
}

static void *
notify_formatted(const char *title, const char *primary, const char *secondary, const char *text)
{
  JsonBuilder *b = tb_host_begin_event("notify");
  tb_host_set_str(b, "title", title);
  tb_host_set_str(b, "primary", primary);
  tb_host_set_str(b, "secondary", secondary);
  tb_host_set_str(b, "type", "formatted");
  tb_host_set_text(b, text);
  tb_host_emit_event(b);
  return NULL;
}

static void *
notify_email(PurpleConnection *gc, const char *subject, const char *from, const char *to,
             const char *url)
{
  JsonBuilder *b = tb_host_begin_event("notify-email");
  tb_host_set_account(b, purple_connection_get_account(gc));
  tb_host_set_str(b, "subject", subject);
  tb_host_set_str(b, "from", from);
  tb_host_set_str(b, "to", to);
  tb_host_set_str(b, "url", url);
  tb_host_emit_event(b);
  return NULL;
}

static void
add_column(JsonBuilder *b, gpointer item)
{
  tb_host_add_str(b, ((PurpleNotifySearchColumn *)item)->title);
}

/* a row is a GList of its cells' strings */
static void
add_row(JsonBuilder *b, gpointer item)
{
  tb_host_add_list(b, NULL, item, NULL);
}

static void *
notify_searchresults(PurpleConnection *gc, const char *title, const char *primary,
                     const char *secondary, PurpleNotifySearchResults *results,
                     gpointer user_data G_GNUC_UNUSED)
{
  JsonBuilder *b = tb_host_begin_event("notify-searchresults");
  tb_host_set_account(b, purple_connection_get_account(gc));
  tb_host_set_str(b, "title", title);
  tb_host_set_str(b, "primary", primary);
  tb_host_set_str(b, "secondary", secondary);
  tb_host_add_list(b, "columns", results->columns, add_column);
  tb_host_add_list(b, "rows", results->rows, add_row);
  tb_host_emit_event(b);
  return NULL;
}

static void
add_entry(JsonBuilder *b, gpointer item)
{
  json_builder_begin_object(b);
  tb_host_set_str(b, "label", purple_notify_user_info_entry_get_label(item));
  tb_host_set_str(b, "value", purple_notify_user_info_entry_get_value(item));
  json_builder_end_object(b);
}

static void *
notify_userinfo(PurpleConnection *gc, const char *who, PurpleNotifyUserInfo *user_info)
{
  JsonBuilder *b = tb_host_begin_event("userinfo");
  gchar *text = purple_notify_user_info_get_text_with_newline(user_info, "\n");
  tb_host_set_account(b, gc ? purple_connection_get_account(gc) : NULL);
  tb_host_set_str(b, "who", who);
  tb_host_set_text(b, text);
  tb_host_add_list(b, "entries", purple_notify_user_info_get_entries(user_info), add_entry);
  tb_host_emit_event(b);
  g_free(text);
  return NULL;
}

static void *
notify_uri(const char *uri)
{
  JsonBuilder *b = tb_host_begin_event("notify-uri");
  tb_host_set_str(b, "uri", uri);
  tb_host_emit_event(b);
  return NULL;
}

PurpleNotifyUiOps tb_host_notify_ops = {
    .notify_message = notify_message,
    .notify_email = notify_email,
    .notify_formatted = notify_formatted,
    .notify_searchresults = notify_searchresults,
    .notify_userinfo = notify_userinfo,
    .notify_uri = notify_uri,
};
