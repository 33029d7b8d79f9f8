/* Conversations: where incoming mentions and DMs are shown, and the tagged echo of every message
 * X has confirmed. Mentions go to a chat per thread (or one chat, or an IM per author: the
 * account's mention_mode); DMs are IMs with the other person.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_CONV_H
#define TB_CONV_H

#include "api/tb-xapi-data.h"
#include "core/tb-render.h"
#include "core/tb-route.h"
#include "tb-conn.h"

G_BEGIN_DECLS

typedef struct {
  char *key;  /* conversation_id, "all" or the author's handle, by mention_mode */
  char *name; /* conversation name (IRC-friendly: BitlBee turns it into a channel) */
  char *title;
  int chat_id;                /* 0 while no chat is open (IM in author mode) */
  char *reply_to;             /* newest post by someone else in it: what typed text answers */
  GHashTable *last_by_author; /* lower-case handle -> newest post id (for "nick: text") */
  gboolean timeline;          /* the home timeline: commands only, typed text replies to none */
} TbThread;

typedef struct _TbConvState TbConvState;

void tb_conv_init(TbConn *conn);
void tb_conv_cleanup(TbConn *conn);

/* Shows one mention (page gives the includes); returns its short id. gathered: in the account's
 * chat of all mentions, whatever mention_mode says (a backlog's older conversations). */
const char *tb_conv_show_mention(TbConn *conn, const TbXapiTweet *tweet,
                                 const TbXapiTweetPage *page, gboolean gathered);
/* The conversation a mention opens (its thread, its author, or "all" by mention_mode): what a
 * backlog of many counts, to gather the older ones. Valid while tweet and page are. */
const char *tb_conv_mention_key(TbConn *conn, const TbXapiTweet *tweet,
                                const TbXapiTweetPage *page);
/* A line in the account's chat of all mentions (gathered ones go there), opened if need be. */
void tb_conv_notice_gathered(TbConn *conn, const char *text);
/* The account's home timeline chat ("personal-timeline"), opened if need be (tb-timeline.c). */
PurpleConversation *tb_conv_timeline(TbConn *conn);
/* Shows one post of the home timeline there with its short id, mark (may be NULL) before its
 * text; own: the account's own post, written as sent (BitlBee drops a chat line "from" the
 * user). Returns the short id. */
const char *tb_conv_show_timeline(TbConn *conn, const TbXapiTweet *tweet,
                                  const TbXapiTweetPage *page, const char *mark, gboolean own);
/* Shows one DM: incoming from peer, or sent by this account from elsewhere (X's own app). */
void tb_conv_show_dm(TbConn *conn, const TbXapiDmEvent *event, const char *peer, gboolean from_me);

/* After X confirmed: the echo, tagged with the sending account, with the new id or link. */
void tb_conv_echo_sent(TbConn *conn, const TbOutboxItem *item, const char *new_id);
/* An action this account did on X (repost, delete), tagged like a sent message. */
void tb_conv_echo_action(TbConn *conn, PurpleConversation *conv, const char *kind, const char *id,
                         const char *text);
/* A failed send, in the conversation it was typed in; the text is kept in the outbox. */
void tb_conv_show_send_error(TbConn *conn, const TbOutboxItem *item, const char *why);
/* A text refused before anything went to X (too long, a forbidden character, an unanswered
 * question): kept in the outbox, shown with what can be done about it. */
void tb_conv_show_refused(TbConn *conn, const TbOutboxItem *item, const char *why);
/* A send that may have reached X (its answer was lost): not a failure, and no retry offered;
 * Twinbird is finding out, and says so. */
void tb_conv_show_send_unknown(TbConn *conn, const TbOutboxItem *item, const char *why);
/* A line from the plugin itself into a conversation, visible in every UI (BitlBee included). */
void tb_conv_notice(TbConn *conn, PurpleConversation *conv, const char *text);
/* One notice of several lines (plain text each), each on a line of its own. */
void tb_conv_notice_lines(TbConn *conn, PurpleConversation *conv, GPtrArray *lines);

TbThread *tb_conv_thread_by_chat(TbConn *conn, int chat_id);
/* The conversation a reply's echo belongs in: the thread the post was shown in, else the
 * account's own. */
const char *tb_conv_reply_conv(TbConn *conn, const char *tweet_id, const char *conversation_id);
TbThread *tb_conv_thread_by_name(TbConn *conn, const char *name);
void tb_conv_chat_left(TbConn *conn, int chat_id);
PurpleConversation *tb_conv_find(TbConn *conn, const char *name);
/* The conversation an outbox item was typed in (opened again if it was closed). */
PurpleConversation *tb_conv_of_item(TbConn *conn, const TbOutboxItem *item);
/* What text typed in conv would send: a post (own buddy), a DM, or a reply in a thread. */
TbRoute tb_conv_route(TbConn *conn, PurpleConversation *conv);

/* How text from X is made safe for the UI this plugin runs in. */
TbRenderMode tb_conv_render_mode(void);

/* HTML-escaped and free of control characters: safe in Pidgin, Finch and through BitlBee. */
char *tb_conv_escape(const char *text);

G_END_DECLS

#endif
