/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-route.h"

#include <string.h>

/* The quark's name is a string: its hyphens are not subtractions. */
/* clang-format off */
G_DEFINE_QUARK(tb-route-error-quark, tb_route_error)
/* clang-format on */

static const char *
without_at(const char *s)
{
  return s[0] == '@' ? s + 1 : s;
}

TbRoute
tb_route_im(const char *who, const char *handle, const char *reply_to)
{
  const char *peer = without_at(who);
  gboolean thread = who[0] == '@';
  gboolean own = g_ascii_strcasecmp(peer, without_at(handle)) == 0;
  TbRoute r = {TB_ROUTE_SEND, TB_OUTBOX_DM, peer, own || thread};

  if (thread && reply_to != NULL) {
    r.kind = TB_OUTBOX_REPLY;
    r.target = reply_to;
  } else if (own) {
    r.kind = TB_OUTBOX_POST;
    r.target = NULL;
  }
  return r;
}

TbRoute
tb_route_chat(const char *reply_to)
{
  TbRoute r = {reply_to ? TB_ROUTE_SEND : TB_ROUTE_NOTHING, TB_OUTBOX_REPLY, reply_to, TRUE};
  return r;
}

gboolean
tb_route_is_short_key(const char *key)
{
  return strlen(key) <= 3;
}

TbPostKey
tb_route_post_key(const char *key, const TbShortEntry *entry, const char *handle)
{
  if (!tb_route_is_short_key(key))
    return tb_ids_is_x_id(key) ? TB_POST_KEY_FULL_ID : TB_POST_KEY_UNKNOWN;
  if (entry == NULL)
    return TB_POST_KEY_UNKNOWN;
  if (g_ascii_strcasecmp(entry->account, handle[0] == '@' ? handle + 1 : handle) != 0)
    return TB_POST_KEY_OTHER_ACCOUNT;
  return TB_POST_KEY_SHORT_ID;
}

TbAsk
tb_route_ask_first(TbConfirmPublic mode, TbOutboxKind kind, TbPublicFrom from, TbLineShape shape)
{
  /* which sources each mode asks about, by TbPublicFrom */
  static const gboolean asks[][4] = {
      [TB_CONFIRM_OFF] = {FALSE, FALSE, FALSE, FALSE},
      [TB_CONFIRM_REPLIES] = {[TB_FROM_THREAD] = TRUE, [TB_FROM_REPOST] = TRUE},
      [TB_CONFIRM_ALL] = {TRUE, TRUE, TRUE, TRUE},
  };

  if (kind == TB_OUTBOX_DM)
    return TB_ASK_NO;
  if (shape == TB_LINE_ESCAPES)
    return TB_ASK_ESCAPES;
  if (shape == TB_LINE_LONE_COMMAND)
    return TB_ASK_LONE_WORD;
  return asks[mode][from] ? TB_ASK_PUBLIC : TB_ASK_NO;
}
