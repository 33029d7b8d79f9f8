/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-route.h"

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
