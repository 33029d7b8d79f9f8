/* tb-render: showing text from X (tweet text, display names) safely and legibly on each client.
 *
 * Everything from X is written by strangers. Each mode first removes what could act on the
 * client instead of being read: C0/C1 control characters (IRC's CTCP \x01, colour \x03, bold
 * \x02, reset \x0f ...), bidi embeddings, overrides and isolates (U+202A..U+202E,
 * U+2066..U+2069), invisible annotation characters and non-characters; then it escapes for the
 * client, and only then adds markup of its own. Links point only to http(s) URLs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_RENDER_H
#define TB_RENDER_H

#include "tb-text.h"

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  /* Pidgin: HTML-escaped (g_markup_escape_text, as purple_markup_escape_text), mentions,
   * hashtags, cashtags and URLs linked, line breaks as <br>. */
  TB_RENDER_HTML,
  /* No markup and no escaping, line breaks as \n: for consumers that never read HTML (D-Bus
   * signal payloads, plain-text notifications, logs written as text). */
  TB_RENDER_PLAIN,
  /* BitlBee (IRC): BitlBee strips HTML from what a prpl writes, so & < > are escaped and come
   * out literally; no links (IRC clients link URLs themselves); one line, breaks shown " ⏎ ". */
  TB_RENDER_IRC,
  /* Finch and other libpurple UIs that strip HTML before showing text: & < > escaped, no links,
   * line breaks as \n. */
  TB_RENDER_ESCAPED,
} TbRenderMode;

/* An entity from X API v2 (tweet entities or note_tweet.entities). start/end are X's indices:
 * code points into the text with X's &amp; &lt; &gt; decoded, end exclusive. Each entity is
 * checked against the text it claims (its url, @username, #tag, $tag) and looked for further on
 * when the indices are off, so indices counted on the escaped text still work; an entity that
 * is not in the text is ignored. */
typedef struct {
  TbEntityKind kind;
  int start, end;
  const char *url;          /* URL: the t.co link as in the text */
  const char *expanded_url; /* URL: where it leads; shown instead of the t.co link */
  const char *display_url;  /* URL: X's shortened form (unused: the full URL is clearer) */
  const char *username;     /* MENTION, LIST: without '@' */
  const char *tag;          /* HASHTAG, CASHTAG: without the sign; LIST: the slug */
} TbRenderEntity;

/* Renders tweet text as X returns it (v2 text or note_tweet.text, with &amp; &lt; &gt;
 * entity-escaped): X's escapes are decoded once, t.co links become their expanded URLs, and the
 * result is made safe for mode. ents may be NULL when n_ents is 0. Never returns NULL. */
char *tb_render_text(const char *text, const TbRenderEntity *ents, gsize n_ents, TbRenderMode mode);

/* A display name on one line: controls and bidi formatting removed, whitespace collapsed,
 * trimmed, escaped for mode (never linked). May return "" (then show the @username). */
char *tb_render_name(const char *display_name, TbRenderMode mode);

/* HTML for plain text that came without entities (our own posts, DMs): escaped, with what
 * tb_text_extract(text, kinds_mask) finds linked (TB_TEXT_EXTRACT_ALL: mentions, lists,
 * hashtags, cashtags, URLs). Domains without a protocol are not linked, as in twitter-text's
 * autolink. */
char *tb_render_autolink(const char *text, unsigned kinds_mask);

/* X's text with its three entities (&amp; &lt; &gt;) decoded in one pass, nothing else. */
char *tb_render_unescape_x(const char *text);

G_END_DECLS

#endif /* TB_RENDER_H */
