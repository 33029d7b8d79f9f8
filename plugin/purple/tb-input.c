/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-input.h"
#include "core/tb-bounds.h"
#include "core/tb-route.h"
#include "tb-cmds.h"
#include "tb-conv.h"
#include "tb-fetch.h"
#include "tb-send.h"

#include <glib/gi18n-lib.h>
#include <errno.h>

/* What the user typed, as plain text for X: Pidgin sends HTML and BitlBee escapes &, < and >. */
static char *
typed_text(const char *message)
{
  g_autofree char *plain = purple_markup_strip_html(message);
  return g_strstrip(g_steal_pointer(&plain));
}

/* Markup alone (a pasted image, an empty formatting run) leaves nothing for X: kept in the
 * outbox as it arrived (bounded), with its id, so the user sees why and loses nothing. TRUE:
 * kept or said, nothing else to do. */
static gboolean
nothing_left(TbConn *conn, PurpleConversation *conv, const char *conv_name, const char *message,
             const char *text, TbRoute route)
{
  if (*text != '\0')
    return FALSE;
  g_autofree char *raw = g_strstrip(g_utf8_make_valid(message ? message : "", -1));
  if (*raw == '\0')
    return FALSE; /* truly empty: tb-send says "nothing to send" */
  if (route.action == TB_ROUTE_NOTHING) {
    tb_conv_notice(conn, conv, _("Nothing to reply to in this conversation yet."));
    return TRUE;
  }
  gboolean cut = FALSE;
  g_autofree char *kept = tb_bounds_dup(raw, TB_BOUND_KEPT_MARKUP_CHARS, &cut);
  if (cut) {
    g_free(raw);
    raw = g_strconcat(kept, "\u2026", NULL);
  }
  tb_send_keep_markup(conn, route.kind, route.target, conv_name, raw);
  return TRUE;
}

/* Runs a command, or sends what route says; conv_name is where the echo goes. Returns 0: the
 * echo is ours, written only once X confirms, and carries the tag. */
static int
route_typed(TbConn *conn, PurpleConversation *conv, const char *conv_name, const char *text,
            TbRoute route)
{
  if (tb_cmds_try_inband(conn, conv, text, route.bare_words))
    return 0;
  if (route.action == TB_ROUTE_NOTHING) {
    tb_conv_notice(conn, conv, _("Nothing to reply to in this conversation yet."));
    return 0;
  }
  if (route.kind == TB_OUTBOX_DM)
    tb_fetch_note_activity(
        conn); /* the answer is likely soon: check DMs at a conversation's pace */
  tb_cmds_send(conn, route.kind, route.target, conv_name, text,
               route.kind == TB_OUTBOX_REPLY ? TB_FROM_THREAD : TB_FROM_TYPED);
  return 0;
}

int
tb_input_im(PurpleConnection *gc, const char *who, const char *message, PurpleMessageFlags flags)
{
  TbConn *conn = tb_conn_from_gc(gc);
  g_autofree char *text = typed_text(message);
  PurpleConversation *conv =
      purple_find_conversation_with_account(PURPLE_CONV_TYPE_IM, who, conn->account);
  (void)flags;

  if (conv == NULL)
    conv = purple_conversation_new(PURPLE_CONV_TYPE_IM, conn->account, who);
  /* "@author" IMs (mention_mode author) are threads: their newest mention is what text answers */
  TbThread *thread = who[0] == '@' ? tb_conv_thread_by_name(conn, who) : NULL;
  TbRoute route = tb_route_im(who, conn->handle, thread ? thread->reply_to : NULL);
  if (nothing_left(conn, conv, who, message, text, route))
    return 0;
  return route_typed(conn, conv, who, text, route);
}

int
tb_input_chat(PurpleConnection *gc, int id, const char *message, PurpleMessageFlags flags)
{
  TbConn *conn = tb_conn_from_gc(gc);
  TbThread *thread = tb_conv_thread_by_chat(conn, id);
  PurpleConversation *conv = purple_find_chat(gc, id);
  g_autofree char *text = typed_text(message);
  (void)flags;

  if (thread == NULL || conv == NULL)
    return -EINVAL;
  TbRoute route = tb_route_chat(thread->reply_to);
  if (!thread->timeline && nothing_left(conn, conv, thread->name, message, text, route))
    return 0;
  /* The home timeline is not a conversation of the account's: a stray line there must never
   * become a public reply to a stranger's newest post, so only commands run. */
  if (thread->timeline) {
    if (!tb_cmds_try_inband(conn, conv, text, TRUE))
      tb_conv_notice(conn, conv,
                     _("Text typed in the home timeline is not sent: use reply <id> <text>, "
                       "rt <id> or post <text>."));
    return 0;
  }
  return route_typed(conn, conv, thread->name, text, route);
}
