/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-conv.h"
#include "core/tb-bounds.h"
#include "core/tb-ids.h"
#include "core/tb-render.h"
#include "core/tb-route.h"
#include "core/tb-text.h"
#include "tb-blist.h"
#include "tb-plugin.h"
#include "tb-signals.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#define TB_TITLE_WORDS_CHARS 40
/* Who a notice comes from in a BitlBee channel: never the user, never a person on X. */
#define TB_NOTICE_SENDER "twinbird-notice" /* "-": never an X handle */

static void
thread_free(gpointer data)
{
  TbThread *t = data;
  g_free(t->key);
  g_free(t->name);
  g_free(t->title);
  g_free(t->reply_to);
  g_hash_table_destroy(t->last_by_author);
  g_free(t);
}

struct _TbConvState {
  GHashTable *threads; /* conversation key -> TbThread */
  GHashTable *chats;   /* chat id -> TbThread (same objects) */
  int next_chat_id;
};

/* Who you are about to speak as, by what typing in the conversation sends (core/tb-route);
 * %s: the account's tag. */
static const char *const writing_as[] = {
    [TB_OUTBOX_POST] = N_("You are writing as %s: what you type here is posted publicly."),
    [TB_OUTBOX_REPLY] = N_("You are writing as %s: what you type here is a public reply."),
    [TB_OUTBOX_DM] = N_("You are writing as %s: a direct message to this person."),
};

static gboolean
is_pidgin(void)
{
  return g_str_equal(purple_core_get_ui(), "gtk-gaim");
}

/* Pidgin titles a DM window with the person's name alone, whichever account it is on: the tag
 * goes after it (set again whenever libpurple resets the title from the buddy's alias). */
static void
title_name_account(TbConn *conn, PurpleConversation *conv)
{
  const char *title = purple_conversation_get_title(conv);
  g_autofree char *suffix = g_strdup_printf(" · %s", conn->tag ? conn->tag : conn->handle);

  if (!is_pidgin() || title == NULL || g_str_has_suffix(title, suffix) ||
      purple_utf8_strcasecmp(purple_conversation_get_name(conv), conn->handle) == 0)
    return; /* the own buddy's title names the account already */
  g_autofree char *named = g_strconcat(title, suffix, NULL);
  purple_conversation_set_title(conv, named);
}

/* The first line of a conversation, before anything is typed in it. BitlBee drops system
 * lines; there its nicks and channels name the account. */
static void
write_first_line(TbConn *conn, PurpleConversation *conv, TbOutboxKind kind)
{
  if (g_str_equal(purple_core_get_ui(), "BitlBee"))
    return;
  g_autofree char *line = g_strdup_printf(_(writing_as[kind]), conn->tag ? conn->tag : "");
  g_autofree char *html = tb_conv_escape(line);
  purple_conversation_write(conv, NULL, html, PURPLE_MESSAGE_SYSTEM | PURPLE_MESSAGE_NO_LOG,
                            time(NULL));
}

/* IMs only: a chat gets its first line once joined (open_chat), and its title names the account
 * already. */
static void
conv_created_cb(PurpleConversation *conv, gpointer data)
{
  TbConn *conn = data;
  if (purple_conversation_get_account(conv) != conn->account ||
      purple_conversation_get_type(conv) != PURPLE_CONV_TYPE_IM)
    return;
  const char *name = purple_conversation_get_name(conv);
  TbThread *t = name[0] == '@' ? tb_conv_thread_by_name(conn, name) : NULL;
  write_first_line(conn, conv, tb_route_im(name, conn->handle, t ? t->reply_to : NULL).kind);
  title_name_account(conn, conv);
}

static void
conv_updated_cb(PurpleConversation *conv, PurpleConvUpdateType type, gpointer data)
{
  TbConn *conn = data;
  if (type == PURPLE_CONV_UPDATE_TITLE && purple_conversation_get_account(conv) == conn->account &&
      purple_conversation_get_type(conv) == PURPLE_CONV_TYPE_IM)
    title_name_account(conn, conv);
}

void
tb_conv_init(TbConn *conn)
{
  TbConvState *c = g_new0(TbConvState, 1);
  c->threads = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, thread_free);
  c->chats = g_hash_table_new(g_direct_hash, g_direct_equal);
  conn->conv = c;
  purple_signal_connect(purple_conversations_get_handle(), "conversation-created", conn,
                        PURPLE_CALLBACK(conv_created_cb), conn);
  purple_signal_connect(purple_conversations_get_handle(), "conversation-updated", conn,
                        PURPLE_CALLBACK(conv_updated_cb), conn);
}

void
tb_conv_cleanup(TbConn *conn)
{
  TbConvState *c = g_steal_pointer(&conn->conv);
  if (c == NULL)
    return;
  purple_signals_disconnect_by_handle(conn);
  g_hash_table_destroy(c->chats);
  g_hash_table_destroy(c->threads);
  g_free(c);
}

char *
tb_conv_escape(const char *text)
{
  GString *clean = g_string_sized_new(strlen(text));

  /* Control characters would reach IRC as CTCP, colours or line breaks; bidi overrides would
   * reorder the tag. Newlines become spaces; Pidgin, Finch and IRC all read that fine. */
  for (const char *p = text; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (c == '\n' || c == '\r' || c == '\t')
      g_string_append_c(clean, ' ');
    else if (g_unichar_iscntrl(c) || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069))
      continue;
    else
      g_string_append_unichar(clean, c);
  }
  char *escaped = purple_markup_escape_text(clean->str, -1);
  g_string_free(clean, TRUE);
  return escaped;
}

PurpleConversation *
tb_conv_find(TbConn *conn, const char *name)
{
  return purple_find_conversation_with_account(PURPLE_CONV_TYPE_ANY, name, conn->account);
}

TbRoute
tb_conv_route(TbConn *conn, PurpleConversation *conv)
{
  const char *name = purple_conversation_get_name(conv);
  TbThread *t = NULL;

  if (purple_conversation_get_type(conv) == PURPLE_CONV_TYPE_CHAT) {
    t = tb_conv_thread_by_chat(conn, purple_conv_chat_get_id(PURPLE_CONV_CHAT(conv)));
    return tb_route_chat(t ? t->reply_to : NULL);
  }
  t = name[0] == '@' ? tb_conv_thread_by_name(conn, name) : NULL; /* mention_mode author */
  return tb_route_im(name, conn->handle, t ? t->reply_to : NULL);
}

TbThread *
tb_conv_thread_by_chat(TbConn *conn, int chat_id)
{
  return g_hash_table_lookup(conn->conv->chats, GINT_TO_POINTER(chat_id));
}

TbThread *
tb_conv_thread_by_name(TbConn *conn, const char *name)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init(&iter, conn->conv->threads);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    TbThread *t = value;
    if (purple_utf8_strcasecmp(t->name, name) == 0)
      return t;
  }
  return NULL;
}

void
tb_conv_chat_left(TbConn *conn, int chat_id)
{
  TbThread *t = tb_conv_thread_by_chat(conn, chat_id);
  if (t == NULL)
    return;
  g_hash_table_remove(conn->conv->chats, GINT_TO_POINTER(chat_id));
  t->chat_id = 0; /* a later mention in the thread opens it again */
}

/* Conversation names become IRC channel names in BitlBee: keep [A-Za-z0-9_-] only. */
static char *
irc_safe(const char *s)
{
  GString *out = g_string_new(NULL);
  for (const char *p = s; *p; p++)
    g_string_append_c(out, (g_ascii_isalnum(*p) || *p == '_' || *p == '-') ? *p : '_');
  return g_string_free(out, FALSE);
}

/* A title (and IRC topic) from a stranger's first words: X's escapes decoded, one line, no control
 * or bidi characters (they would reach the topic line as CTCP, colours or reordering). */
static char *
first_words(const char *text)
{
  g_autofree char *decoded = tb_render_unescape_x(text);
  g_autofree char *flat = tb_render_name(decoded, TB_RENDER_PLAIN);
  if (g_utf8_strlen(flat, -1) <= TB_TITLE_WORDS_CHARS)
    return g_strdup(flat);
  char *cut = g_utf8_substring(flat, 0, TB_TITLE_WORDS_CHARS);
  char *out = g_strconcat(cut, "…", NULL);
  g_free(cut);
  return out;
}

static const char *
author_handle(TbConn *conn, const TbXapiTweet *tweet, const TbXapiTweetPage *page)
{
  TbXapiUser *u =
      page ? g_hash_table_lookup(page->users, tweet->author_id ? tweet->author_id : "") : NULL;
  if (u == NULL)
    u = tb_conn_user_by_id(conn, tweet->author_id);
  return u ? u->username : (tweet->author_id ? tweet->author_id : _("unknown"));
}

#define TB_THREAD_PREFIX "thread:"
#define TB_THREADS_KEPT TB_BOUND_THREADS_KEPT

/* A thread keeps its conversation name for good: after a restart its next mention may be a reply
 * to a reply, whose author would otherwise name a new chat (a new channel in BitlBee). */
static gboolean
thread_recall(TbConn *conn, const char *key, char **name, char **title)
{
  g_autofree char *store_key = g_strconcat(TB_THREAD_PREFIX, key, NULL);
  const char *v = tb_store_get(conn->store, store_key);
  g_auto(GStrv) parts = v ? g_strsplit(v, "\t", 3) : NULL;

  if (parts == NULL || g_strv_length(parts) != 3)
    return FALSE;
  *name = g_strdup(parts[1]);
  *title = g_strdup(parts[2]);
  return TRUE;
}

static void
thread_remember(TbConn *conn, const char *key, const char *name, const char *title)
{
  gint64 seq = tb_store_get_int(conn->store, "thread_seq", 0) + 1;
  g_autofree char *store_key = g_strconcat(TB_THREAD_PREFIX, key, NULL);
  g_autofree char *value = g_strdup_printf("%" G_GINT64_FORMAT "\t%s\t%s", seq, name, title);

  tb_store_set_int(conn->store, "thread_seq", seq);
  tb_store_set(conn->store, store_key, value);
  /* Forget the oldest names beyond the cap: the file stays small. */
  GList *keys = tb_store_keys(conn->store, TB_THREAD_PREFIX);
  for (GList *l = keys; l; l = l->next) {
    gint64 n = g_ascii_strtoll(tb_store_get(conn->store, l->data), NULL, 10);
    if (n <= seq - TB_THREADS_KEPT)
      tb_store_set(conn->store, l->data, NULL);
  }
  g_list_free(keys);
  tb_conn_store_changed(conn);
}

/* X's media types in the reader's words ("[photo https://...]"). */
static const char *
media_kind(const char *type)
{
  static const struct {
    const char *type, *label;
  } kinds[] = {
      {"photo", N_("photo")},
      {"video", N_("video")},
      {"animated_gif", N_("GIF")},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++) {
    if (g_str_equal(kinds[i].type, type))
      return _(kinds[i].label);
  }
  return type;
}

static char *
thread_title(TbConn *conn, const char *root_author, const TbXapiTweet *root)
{
  g_autofree char *words = first_words(root->note_text ? root->note_text : root->text);
  return g_strdup_printf("@%s: %s (%s @%s)", root_author, words, conn->cfg.role, conn->handle);
}

/* X sends a reply's parent, not the thread's root: one read of the root gives the title its
 * real author and first words (the conversation name, which BitlBee uses, stays). */
static void
root_done(TbConn *conn, JsonNode *root_json, const TbHttpResponse *resp, const GError *error,
          gpointer data)
{
  g_autofree char *key = data;
  g_autoptr(TbXapiTweetPage) page = error ? NULL : tb_xapi_tweet_page_parse(root_json);
  TbThread *t = g_hash_table_lookup(conn->conv->threads, key);
  (void)resp;

  if (page == NULL || page->tweets->len == 0 || t == NULL)
    return; /* deleted or protected: the first title stays */
  const TbXapiTweet *root = page->tweets->pdata[0];
  g_free(t->title);
  t->title = thread_title(conn, author_handle(conn, root, page), root);
  thread_remember(conn, key, t->name, t->title);
  PurpleConversation *conv = t->chat_id ? purple_find_chat(conn->gc, t->chat_id) : NULL;
  if (conv != NULL) {
    purple_conversation_set_title(conv, t->title);
    purple_conv_chat_set_topic(PURPLE_CONV_CHAT(conv), NULL, t->title);
  }
}

static void
fetch_root_title(TbConn *conn, const char *key)
{
  tb_conn_send_full(conn, tb_xapi_tweet_request(&conn->auth, conn->cfg.api_base, key), root_done,
                    g_strdup(key), g_free);
}

static gboolean
thread_name_taken(TbConn *conn, const char *name)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init(&iter, conn->conv->threads);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    if (g_strcmp0(((TbThread *)value)->name, name) == 0)
      return TRUE;
  }
  return FALSE;
}

/* "personal-alice-6832": the role, the root's author and the thread's last four digits, more of
 * them when another thread already has that name (a chat's name must be unique: BitlBee makes
 * it a channel). */
static char *
thread_name(TbConn *conn, const char *role, const char *author, const char *key)
{
  gsize n = strlen(key);

  for (gsize digits = 4;; digits += 4) {
    char *name = g_strdup_printf("%s-%s-%s", role, author, key + (n > digits ? n - digits : 0));
    if (digits >= n || !thread_name_taken(conn, name))
      return name;
    g_free(name);
  }
}

/* Bounded: past TB_BOUND_THREADS_KEPT, the threads whose chat is not open are forgotten (their
 * names stay in the state file, so one that comes back keeps its chat's name). */
static void
threads_trim(TbConn *conn)
{
  GHashTableIter iter;
  gpointer value;

  if (g_hash_table_size(conn->conv->threads) < TB_BOUND_THREADS_KEPT)
    return;
  g_hash_table_iter_init(&iter, conn->conv->threads);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    TbThread *t = value;
    if (t->chat_id != 0 && purple_find_chat(conn->gc, t->chat_id) != NULL)
      continue;
    if (t->chat_id != 0)
      g_hash_table_remove(conn->conv->chats, GINT_TO_POINTER(t->chat_id));
    g_hash_table_iter_remove(&iter);
  }
}

static TbThread *
thread_for(TbConn *conn, const TbXapiTweet *tweet, const TbXapiTweetPage *page, const char *author,
           TbMentionMode mode)
{
  g_autofree char *key = NULL;
  g_autofree char *name = NULL;
  g_autofree char *title = NULL;
  g_autofree char *role = irc_safe(conn->cfg.role);

  switch (mode) {
  case TB_MENTIONS_SINGLE:
    key = g_strdup("all");
    name = g_strdup_printf("%s-mentions", role);
    title = g_strdup_printf(_("Mentions of @%s (%s)"), conn->handle, conn->cfg.role);
    break;
  case TB_MENTIONS_AUTHOR:
    key = g_ascii_strdown(author, -1);
    name = g_strdup_printf("@%s", author);
    title = g_strdup_printf(_("@%s mentioning @%s (%s)"), author, conn->handle, conn->cfg.role);
    break;
  case TB_MENTIONS_THREAD:
  default:
    key = g_strdup(tweet->conversation_id);
    if (!thread_recall(conn, key, &name, &title)) {
      /* The root's author and first words when X sent the root along, else this post's. */
      const TbXapiTweet *root = page ? g_hash_table_lookup(page->included_tweets, key) : NULL;
      const char *root_author = root ? author_handle(conn, root, page) : author;
      g_autofree char *safe_author = irc_safe(root_author);
      name = thread_name(conn, role, safe_author, key);
      title = thread_title(conn, root_author, root ? root : tweet);
      thread_remember(conn, key, name, title);
      if (root == NULL && g_strcmp0(key, tweet->id) != 0)
        fetch_root_title(conn, key);
    }
    break;
  }

  TbThread *t = g_hash_table_lookup(conn->conv->threads, key);
  if (t == NULL) {
    threads_trim(conn);
    t = g_new0(TbThread, 1);
    t->key = g_steal_pointer(&key);
    t->name = g_steal_pointer(&name);
    t->title = g_steal_pointer(&title);
    t->last_by_author = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_hash_table_insert(conn->conv->threads, t->key, t);
  }
  return t;
}

/* What the home timeline chat is, said first (Pidgin and Finch; BitlBee drops system lines). */
static void
write_timeline_line(TbConn *conn, PurpleConversation *conv)
{
  if (g_str_equal(purple_core_get_ui(), "BitlBee"))
    return;
  g_autofree char *line = g_strdup_printf(
      _("The home timeline of %s: text typed here is not sent; commands such as reply <id> "
        "<text> and rt <id> act as this account."),
      conn->tag ? conn->tag : "");
  g_autofree char *html = tb_conv_escape(line);
  purple_conversation_write(conv, NULL, html, PURPLE_MESSAGE_SYSTEM | PURPLE_MESSAGE_NO_LOG,
                            time(NULL));
}

static PurpleConversation *
open_chat(TbConn *conn, TbThread *t)
{
  if (t->chat_id != 0) {
    PurpleConversation *conv = purple_find_chat(conn->gc, t->chat_id);
    if (conv)
      return conv;
  }
  t->chat_id = ++conn->conv->next_chat_id;
  g_hash_table_insert(conn->conv->chats, GINT_TO_POINTER(t->chat_id), t);
  PurpleConversation *conv = serv_got_joined_chat(conn->gc, t->chat_id, t->name);
  /* BitlBee names the channel from the name at creation; Pidgin shows the title. */
  purple_conversation_set_title(conv, t->title);
  purple_conv_chat_set_topic(PURPLE_CONV_CHAT(conv), NULL, t->title);
  purple_conv_chat_add_user(PURPLE_CONV_CHAT(conv), conn->handle, NULL, PURPLE_CBFLAGS_NONE, FALSE);
  if (t->timeline)
    write_timeline_line(conn, conv);
  else
    write_first_line(conn, conv, TB_OUTBOX_REPLY);
  return conv;
}

/* ":": never a conversation id, "all" or a handle, the other keys of threads */
#define TB_TIMELINE_KEY ":timeline"

static TbThread *
timeline_thread(TbConn *conn)
{
  TbThread *t = g_hash_table_lookup(conn->conv->threads, TB_TIMELINE_KEY);
  if (t != NULL)
    return t;
  g_autofree char *role = irc_safe(conn->cfg.role);
  threads_trim(conn);
  t = g_new0(TbThread, 1);
  t->key = g_strdup(TB_TIMELINE_KEY);
  /* named like "personal-mentions" */
  t->name = g_strdup_printf("%s-timeline", role);
  t->title = g_strdup_printf(_("Home timeline of @%s (%s)"), conn->handle, conn->cfg.role);
  t->last_by_author = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  t->timeline = TRUE;
  g_hash_table_insert(conn->conv->threads, t->key, t);
  return t;
}

PurpleConversation *
tb_conv_timeline(TbConn *conn)
{
  return open_chat(conn, timeline_thread(conn));
}

TbRenderMode
tb_conv_render_mode(void)
{
  /* What each UI does with the HTML a prpl writes decides how text from X is made safe. */
  static const struct {
    const char *ui;
    TbRenderMode mode;
  } modes[] = {
      {"BitlBee", TB_RENDER_IRC},        /* strips tags: escape, no links, one line */
      {"gnt-purple", TB_RENDER_ESCAPED}, /* Finch strips tags too, keeps line breaks */
  };
  const char *ui = purple_core_get_ui();
  for (gsize i = 0; i < G_N_ELEMENTS(modes); i++) {
    if (g_strcmp0(ui, modes[i].ui) == 0)
      return modes[i].mode;
  }
  return TB_RENDER_HTML; /* Pidgin and anything that reads HTML */
}

static const TbEntityKind entity_kinds[] = {
    [TB_XAPI_ENTITY_URL] = TB_ENTITY_URL,
    [TB_XAPI_ENTITY_MENTION] = TB_ENTITY_MENTION,
    [TB_XAPI_ENTITY_HASHTAG] = TB_ENTITY_HASHTAG,
    [TB_XAPI_ENTITY_CASHTAG] = TB_ENTITY_CASHTAG,
};

static char *
render_entities_text(const char *text, GPtrArray *entities)
{
  g_autofree TbRenderEntity *ents = g_new0(TbRenderEntity, entities->len + 1);

  for (guint i = 0; i < entities->len; i++) {
    const TbXapiEntity *e = entities->pdata[i];
    ents[i] = (TbRenderEntity){entity_kinds[e->kind], e->start,       e->end,      e->url,
                               e->expanded_url,       e->display_url, e->username, e->tag};
  }
  return tb_render_text(text, ents, entities->len, tb_conv_render_mode());
}

static char *
render_plain_tweet(const TbXapiTweet *tweet)
{
  char *text =
      render_entities_text(tweet->note_text ? tweet->note_text : tweet->text, tweet->entities);
  if (!tweet->cut)
    return text;
  /* longer than X allows: what is shown is cut, the whole post is one click away */
  g_autofree char *kept = text;
  return g_strdup_printf(_("%s … [cut at %d characters: https://x.com/i/web/status/%s]"), kept,
                         TB_BOUND_POST_CHARS, tweet->id);
}

/* Attached media as links a reader can open: "[photo https://...]". */
static void
append_media(GString *out, const TbXapiTweet *tweet, const TbXapiTweetPage *page)
{
  for (guint i = 0; tweet->media_keys && tweet->media_keys[i]; i++) {
    const TbXapiMedia *m = page ? g_hash_table_lookup(page->media, tweet->media_keys[i]) : NULL;
    g_autofree char *what = tb_render_text(m && m->type ? media_kind(m->type) : _("media"), NULL, 0,
                                           tb_conv_render_mode());
    g_autofree char *url = m && m->url ? tb_render_text(m->url, NULL, 0, tb_conv_render_mode())
                                       : g_strdup_printf("https://x.com/i/status/%s", tweet->id);
    g_string_append_printf(out, " [%s %s]", what, url);
  }
}

/* The text to show for a post: the long version if any, t.co links expanded, made safe; a repost
 * shows the original in full, a quote shows what it quotes, media come as links. */
static char *
render_tweet(TbConn *conn, const TbXapiTweet *tweet, const TbXapiTweetPage *page)
{
  const char *rt_id = tb_xapi_tweet_ref(tweet, "retweeted");
  const char *quote_id = tb_xapi_tweet_ref(tweet, "quoted");
  const TbXapiTweet *rt = rt_id && page ? g_hash_table_lookup(page->included_tweets, rt_id) : NULL;
  const TbXapiTweet *quote =
      quote_id && page ? g_hash_table_lookup(page->included_tweets, quote_id) : NULL;
  GString *out = g_string_new(NULL);

  if (rt != NULL) {
    g_autofree char *who =
        tb_render_text(author_handle(conn, rt, page), NULL, 0, tb_conv_render_mode());
    g_autofree char *body = render_plain_tweet(rt);
    g_string_append_printf(out, _("reposted @%s: %s"), who, body);
    append_media(out, rt, page);
  } else {
    g_autofree char *body = render_plain_tweet(tweet);
    g_string_append(out, body);
    append_media(out, tweet, page);
  }
  if (quote != NULL) {
    g_autofree char *who =
        tb_render_text(author_handle(conn, quote, page), NULL, 0, tb_conv_render_mode());
    g_autofree char *body = render_plain_tweet(quote);
    g_string_append_printf(out, _(" — quoting @%s: “%s”"), who, body);
    append_media(out, quote, page);
  }
  return g_string_free(out, FALSE);
}

const char *
tb_conv_show_mention(TbConn *conn, const TbXapiTweet *tweet, const TbXapiTweetPage *page,
                     gboolean gathered)
{
  const char *author = author_handle(conn, tweet, page);
  TbMentionMode mode = gathered ? TB_MENTIONS_SINGLE : conn->cfg.mention_mode;
  TbThread *t = thread_for(conn, tweet, page, author, mode);
  const char *short_id = tb_shortids_add(tb_plugin_shortids(), tweet->id, conn->handle, author,
                                         tweet->conversation_id);
  g_autofree char *body = render_tweet(conn, tweet, page);
  g_autofree char *safe_author = tb_conv_escape(author);
  g_autofree char *line = g_strdup_printf("[%s] %s", short_id, body);
  time_t when = (time_t)tb_xapi_time_parse(tweet->created_at, time(NULL));
  g_autofree char *author_key = g_ascii_strdown(author, -1);

  if (tb_id_compare(tweet->id, t->reply_to) > 0) {
    g_free(t->reply_to);
    t->reply_to = g_strdup(tweet->id);
  }
  if (g_hash_table_size(t->last_by_author) >= TB_BOUND_THREAD_AUTHORS)
    g_hash_table_remove_all(t->last_by_author); /* bounded: "nick: text" then answers the thread */
  g_hash_table_replace(t->last_by_author, g_steal_pointer(&author_key), g_strdup(tweet->id));
  tb_blist_add_person(conn, tb_conn_user_by_id(conn, tweet->author_id));

  if (mode == TB_MENTIONS_AUTHOR) {
    serv_got_im(conn->gc, t->name, line, PURPLE_MESSAGE_RECV, when);
  } else {
    PurpleConversation *conv = open_chat(conn, t);
    PurpleConvChat *chat = PURPLE_CONV_CHAT(conv);
    if (!purple_conv_chat_find_user(chat, author))
      purple_conv_chat_add_user(chat, author, NULL, PURPLE_CBFLAGS_NONE, FALSE);
    serv_got_chat_in(conn->gc, t->chat_id, author, PURPLE_MESSAGE_RECV, line, when);
  }
  tb_signals_emit_mention(conn->account, conn->cfg.role, tweet->id, short_id, author,
                          tweet->conversation_id,
                          tweet->note_text ? tweet->note_text : tweet->text);
  (void)safe_author;
  return short_id;
}

const char *
tb_conv_show_timeline(TbConn *conn, const TbXapiTweet *tweet, const TbXapiTweetPage *page,
                      const char *mark, gboolean own)
{
  const char *author = own ? conn->handle : author_handle(conn, tweet, page);
  const char *short_id = tb_shortids_add(tb_plugin_shortids(), tweet->id, conn->handle, author,
                                         tweet->conversation_id);
  g_autofree char *body = render_tweet(conn, tweet, page);
  g_autofree char *safe_mark = mark ? tb_conv_escape(mark) : NULL;
  g_autofree char *line = safe_mark ? g_strdup_printf("[%s] %s %s", short_id, safe_mark, body)
                                    : g_strdup_printf("[%s] %s", short_id, body);
  time_t when = (time_t)tb_xapi_time_parse(tweet->created_at, time(NULL));
  PurpleConversation *conv = tb_conv_timeline(conn);
  PurpleConvChat *chat = PURPLE_CONV_CHAT(conv);

  if (own) {
    /* written as sent: the way the user's own line reaches IRC, as the tagged echoes do */
    purple_conversation_write(conv, conn->handle, line,
                              PURPLE_MESSAGE_SEND | PURPLE_MESSAGE_REMOTE_SEND, when);
    return short_id;
  }
  /* bounded: everyone the account follows could post; past the bound a line still shows */
  if (!purple_conv_chat_find_user(chat, author) &&
      g_list_length(purple_conv_chat_get_users(chat)) < TB_BOUND_THREAD_AUTHORS)
    purple_conv_chat_add_user(chat, author, NULL, PURPLE_CBFLAGS_NONE, FALSE);
  serv_got_chat_in(conn->gc, purple_conv_chat_get_id(chat), author, PURPLE_MESSAGE_RECV, line,
                   when);
  return short_id;
}

/* An outgoing line, shown as sent by this account. BitlBee turns SEND|REMOTE_SEND written to an
 * IM into a self-message, so the IRC user sees it even though BitlBee hides ordinary echoes. */
static void
write_outgoing_im(TbConn *conn, const char *peer, const char *html, time_t when)
{
  PurpleConversation *conv =
      purple_find_conversation_with_account(PURPLE_CONV_TYPE_IM, peer, conn->account);
  if (conv == NULL)
    conv = purple_conversation_new(PURPLE_CONV_TYPE_IM, conn->account, peer);
  purple_conv_im_write(PURPLE_CONV_IM(conv), peer, html,
                       PURPLE_MESSAGE_SEND | PURPLE_MESSAGE_REMOTE_SEND, when);
}

void
tb_conv_show_dm(TbConn *conn, const TbXapiDmEvent *event, const char *peer, gboolean from_me)
{
  g_autofree char *plain = tb_render_unescape_x(event->text ? event->text : "");
  g_autofree char *rendered =
      tb_render_text(event->text ? event->text : "", NULL, 0, tb_conv_render_mode());
  g_autofree char *body =
      event->cut ? g_strdup_printf(_("%s … [cut at %d characters]"), rendered, TB_BOUND_DM_CHARS)
                 : g_strdup(rendered);
  time_t when = (time_t)tb_xapi_time_parse(event->created_at, time(NULL));

  tb_blist_add_person(conn, tb_conn_user_by_handle(conn, peer));
  if (from_me) {
    g_autofree char *tag = tb_conv_escape(conn->tag);
    g_autofree char *line =
        g_strdup_printf(_("%s %s (DM %s, sent from another app)"), tag, body, event->id);
    write_outgoing_im(conn, peer, line, when);
    return;
  }
  serv_got_im(conn->gc, peer, body, PURPLE_MESSAGE_RECV, when);
  tb_signals_emit_dm(conn->account, conn->cfg.role, event->id, peer, plain);
}

static char *
post_link(TbConn *conn, const char *id)
{
  return g_strdup_printf("https://x.com/%s/status/%s", conn->handle, id);
}

void
tb_conv_echo_sent(TbConn *conn, const TbOutboxItem *item, const char *new_id)
{
  g_autofree char *tag = tb_conv_escape(conn->tag);
  g_autofree char *body = tb_conv_escape(item->text);
  g_autofree char *ref = NULL;
  if (item->kind == TB_OUTBOX_DM) {
    ref = g_strdup_printf(_("DM %s"), new_id);
  } else {
    /* a short id like those of incoming posts, so "delete 3f" works on one's own posts too */
    g_autofree char *link = post_link(conn, new_id);
    const char *short_id =
        tb_shortids_add(tb_plugin_shortids(), new_id, conn->handle, conn->handle, new_id);
    ref = g_strdup_printf("%s [%s]", link, short_id);
  }
  g_autofree char *line = g_strdup_printf("%s %s · %s", tag, body, ref);
  time_t now = time(NULL);
  TbThread *t = item->conv ? tb_conv_thread_by_name(conn, item->conv) : NULL;

  if (t != NULL && t->chat_id != 0 && purple_find_chat(conn->gc, t->chat_id)) {
    /* Written, not "received": BitlBee drops SEND lines given to write_chat (serv_got_chat_in)
     * but shows those of write_conv as the IRC user's own, like the IM echo. */
    purple_conversation_write(purple_find_chat(conn->gc, t->chat_id), conn->handle, line,
                              PURPLE_MESSAGE_SEND | PURPLE_MESSAGE_REMOTE_SEND, now);
  } else {
    write_outgoing_im(conn, item->conv ? item->conv : conn->handle, line, now);
  }
  tb_signals_emit_sent(conn->account, conn->cfg.role, conn->tag, tb_outbox_kind_name(item->kind),
                       new_id, item->target, item->text);
}

void
tb_conv_echo_action(TbConn *conn, PurpleConversation *conv, const char *kind, const char *id,
                    const char *text)
{
  g_autofree char *tag = tb_conv_escape(conn->tag);
  g_autofree char *body = tb_conv_escape(text);
  g_autofree char *line = g_strdup_printf("%s %s", tag, body);
  time_t now = time(NULL);

  if (purple_conversation_get_type(conv) == PURPLE_CONV_TYPE_CHAT)
    purple_conversation_write(conv, conn->handle, line,
                              PURPLE_MESSAGE_SEND | PURPLE_MESSAGE_REMOTE_SEND, now);
  else
    write_outgoing_im(conn, purple_conversation_get_name(conv), line, now);
  tb_signals_emit_sent(conn->account, conn->cfg.role, conn->tag, kind, id, id, text);
}

static void notice_html(TbConn *conn, PurpleConversation *conv, const char *html);

void
tb_conv_notice(TbConn *conn, PurpleConversation *conv, const char *text)
{
  g_autofree char *html = tb_conv_escape(text);
  notice_html(conn, conv, html);
}

void
tb_conv_notice_lines(TbConn *conn, PurpleConversation *conv, GPtrArray *lines)
{
  GString *html = g_string_new(NULL);
  for (guint i = 0; i < lines->len; i++) {
    g_autofree char *line = tb_conv_escape(lines->pdata[i]);
    /* <br>: a line of its own in Pidgin and Finch, a PRIVMSG of its own through BitlBee */
    g_string_append_printf(html, "%s%s", i ? "<br>" : "", line);
  }
  notice_html(conn, conv, html->str);
  g_string_free(html, TRUE);
}

static void
notice_html(TbConn *conn, PurpleConversation *conv, const char *html)
{
  time_t now = time(NULL);

  if (conv == NULL)
    return;
  if (!g_str_equal(purple_core_get_ui(), "BitlBee")) {
    purple_conversation_write(conv, NULL, html, PURPLE_MESSAGE_SYSTEM | PURPLE_MESSAGE_NO_LOG, now);
    return;
  }
  /* System lines never reach IRC in BitlBee, and a line written as sent would look like the
   * user's own: there a notice comes from someone who is clearly not the user. In a channel, a
   * member named after the plugin; in a query, the account's own buddy (IRC has no third party
   * in a query), naming the person when the notice is about a DM with them. */
  if (purple_conversation_get_type(conv) == PURPLE_CONV_TYPE_CHAT) {
    g_autofree char *line = g_strdup_printf("*** %s", html);
    serv_got_chat_in(conn->gc, purple_conv_chat_get_id(PURPLE_CONV_CHAT(conv)), TB_NOTICE_SENDER,
                     PURPLE_MESSAGE_RECV, line, now);
    return;
  }
  const char *peer = purple_conversation_get_name(conv);
  g_autofree char *line = purple_utf8_strcasecmp(peer, conn->handle) == 0
                              ? g_strdup_printf("*** %s", html)
                              : g_strdup_printf("*** [%s] %s", peer, html);
  serv_got_im(conn->gc, conn->handle, line, PURPLE_MESSAGE_RECV, now);
}

static void send_status_write(TbConn *conn, const TbOutboxItem *item, const char *text);

/* What can be done with a kept item: retry, post as a thread (a post X would find too long),
 * drop. */
static char *
kept_choices(const TbOutboxItem *item)
{
  TbTextParse parse;
  gboolean long_post = FALSE;
  if (item->kind != TB_OUTBOX_DM) {
    tb_text_parse(item->text, &parse);
    long_post = parse.weighted_length > tb_text_max_length();
  }
  g_autofree char *thread =
      long_post
          ? g_strdup_printf(_(", \"!thread %s\" to post it now as a numbered thread"), item->id)
          : g_strdup("");
  return g_strdup_printf(_("type \"!retry %s\" to send it again%s, or \"!drop %s\" to forget "
                           "it"),
                         item->id, thread, item->id);
}

/* head says what happened ("NOT SENT from @x: why"); the rest is the same for every kept item. */
#define TB_SHOWN_MARKUP_CHARS 300

static void
show_kept(TbConn *conn, const TbOutboxItem *item, const char *head)
{
  if (item->markup_only) {
    /* nothing in it can be sent: show what arrived (a long run cut), not "retry" */
    gboolean long_run = FALSE;
    g_autofree char *cut = tb_bounds_dup(item->text, TB_SHOWN_MARKUP_CHARS, &long_run);
    g_autofree char *raw = g_strconcat(cut, long_run ? "\u2026" : "", NULL);
    g_autofree char *text = g_strdup_printf(
        _("%s. What arrived is kept as %s and never sent as it is: type the text again to send "
          "it, or \"!drop %s\" to forget it. What arrived: %s"),
        head, item->id, item->id, raw);
    send_status_write(conn, item, text);
    return;
  }
  g_autofree char *choices = kept_choices(item);
  g_autofree char *text = g_strdup_printf(_("%s. Your text is kept (%s): %s. Text: %s"), head,
                                          item->id, choices, item->text);
  send_status_write(conn, item, text);
}

void
tb_conv_show_send_error(TbConn *conn, const TbOutboxItem *item, const char *why)
{
  g_autofree char *head = g_strdup_printf(_("NOT SENT from @%s: %s"), conn->handle, why);
  show_kept(conn, item, head);
}

void
tb_conv_show_refused(TbConn *conn, const TbOutboxItem *item, const char *why)
{
  g_autofree char *head = g_strdup_printf(_("Not sent from @%s: %s"), conn->handle, why);
  show_kept(conn, item, head);
}

void
tb_conv_show_send_unknown(TbConn *conn, const TbOutboxItem *item, const char *why)
{
  g_autofree char *text = g_strdup_printf(
      _("NOT CONFIRMED yet from @%s: %s. It may have reached X: Twinbird is checking with X and "
        "will say here whether it went out (%s). Text: %s"),
      conn->handle, why, item->id, item->text);
  send_status_write(conn, item, text);
}

PurpleConversation *
tb_conv_of_item(TbConn *conn, const TbOutboxItem *item)
{
  const char *name = item->conv ? item->conv : conn->handle;
  PurpleConversation *conv = tb_conv_find(conn, name);
  return conv ? conv : purple_conversation_new(PURPLE_CONV_TYPE_IM, conn->account, name);
}

static void
send_status_write(TbConn *conn, const TbOutboxItem *item, const char *text)
{
  PurpleConversation *conv = tb_conv_of_item(conn, item);

  if (!g_str_equal(purple_core_get_ui(), "BitlBee")) {
    g_autofree char *html = tb_conv_escape(text);
    purple_conversation_write(conv, NULL, html, PURPLE_MESSAGE_ERROR, time(NULL));
    return;
  }
  tb_conv_notice(conn, conv, text);
}

const char *
tb_conv_reply_conv(TbConn *conn, const char *tweet_id, const char *conversation_id)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init(&iter, conn->conv->threads);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    TbThread *t = value;
    if (g_strcmp0(t->key, conversation_id) == 0 || g_strcmp0(t->reply_to, tweet_id) == 0)
      return t->name;
  }
  return conn->handle;
}

const char *
tb_conv_mention_key(TbConn *conn, const TbXapiTweet *tweet, const TbXapiTweetPage *page)
{
  switch (conn->cfg.mention_mode) {
  case TB_MENTIONS_SINGLE:
    return "all";
  case TB_MENTIONS_AUTHOR:
    return author_handle(conn, tweet, page);
  case TB_MENTIONS_THREAD:
  default:
    return tweet->conversation_id;
  }
}

void
tb_conv_notice_gathered(TbConn *conn, const char *text)
{
  static const TbXapiTweet none = {.id = "0", .conversation_id = "0"};
  TbThread *t = thread_for(conn, &none, NULL, conn->handle, TB_MENTIONS_SINGLE);
  tb_conv_notice(conn, open_chat(conn, t), text);
}
