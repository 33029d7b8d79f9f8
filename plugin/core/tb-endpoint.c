/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-endpoint.h"
#include "tb-text.h"

#include <string.h>

/* Endpoints by their name (method and normalised path) and what X bills for their answer. */
static const struct {
  const char *name;
  TbCostKind kind;
} cost_table[] = {
    {"GET /2/users/me", TB_COST_READ_USER},
    {"GET /2/users/by/username/:username", TB_COST_READ_USER},
    {"GET /2/users/:id/mentions", TB_COST_READ_POST},
    {"GET /2/users/:id/timelines/reverse_chronological", TB_COST_READ_POST},
    {"GET /2/users/:id/followers", TB_COST_READ_FOLLOW},
    {"GET /2/users/:id/following", TB_COST_READ_FOLLOW},
    {"GET /2/users", TB_COST_READ_USER},
    {"GET /2/users/:id/tweets", TB_COST_READ_POST},
    {"GET /2/dm_events", TB_COST_READ_DM_EVENT},
    {"GET /2/dm_conversations/with/:id/dm_events", TB_COST_READ_DM_EVENT},
    {"GET /2/tweets/:id", TB_COST_READ_POST},
    {"POST /2/tweets", TB_COST_WRITE_POST},
    {"DELETE /2/tweets/:id", TB_COST_DELETE_INTERACTION},
    {"POST /2/dm_conversations/with/:id/messages", TB_COST_WRITE_DM},
    {"POST /2/users/:id/retweets", TB_COST_WRITE_INTERACTION},
    {"DELETE /2/users/:id/retweets/:id", TB_COST_DELETE_INTERACTION},
};

static gboolean
is_id_segment(const char *s)
{
  return s[0] != '\0' && strspn(s, "0123456789-") == strlen(s);
}

char *
tb_endpoint_name(const char *method, const char *path)
{
  g_autofree char *bare = g_strndup(path, strcspn(path, "?#"));
  g_auto(GStrv) parts = g_strsplit(bare, "/", -1);
  GString *name = g_string_new(method);

  g_string_append_c(name, ' ');
  for (guint i = 0; parts[i]; i++) {
    if (i > 0)
      g_string_append_c(name, '/');
    if (i > 0 && g_strcmp0(parts[i - 1], "username") == 0)
      g_string_append(name, ":username");
    else if (i > 1 && is_id_segment(parts[i]))
      g_string_append(name, ":id");
    else
      g_string_append(name, parts[i]);
  }
  return g_string_free(name, FALSE);
}

TbCostKind
tb_endpoint_cost_kind(const char *name)
{
  for (gsize i = 0; name && i < G_N_ELEMENTS(cost_table); i++) {
    if (g_str_equal(cost_table[i].name, name))
      return cost_table[i].kind;
  }
  return TB_COST_NONE;
}

TbCostKind
tb_endpoint_post_kind(gboolean is_reply, const char *text)
{
  if (is_reply)
    return TB_COST_WRITE_REPLY;
  g_autoptr(GPtrArray) urls = text ? tb_text_extract(text, TB_TEXT_EXTRACT(TB_ENTITY_URL)) : NULL;
  return urls && urls->len > 0 ? TB_COST_WRITE_POST_URL : TB_COST_WRITE_POST;
}
