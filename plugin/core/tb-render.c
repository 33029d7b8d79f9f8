/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-render.h"

#include <string.h>

#define X_BASE "https://x.com/"
#define IRC_LINE_BREAK " \xE2\x8F\x8E " /* " ⏎ ": a break stays visible on one IRC line */
#define MAX_LINK_URL 4096

/* --- what never reaches a client ------------------------------------------------------------ */

/* Characters that act instead of being read: C0/C1 controls (IRC formatting and CTCP among
 * them), bidi embeddings/overrides/isolates, interlinear annotations (they hide text), the BOM
 * and non-characters. Line breaks are handled before this. */
static gboolean
is_stripped(gunichar c)
{
  static const gunichar ranges[][2] = {
      {0x0000, 0x001F}, {0x007F, 0x009F}, {0x202A, 0x202E}, {0x2066, 0x2069},
      {0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFB}, {0xFDD0, 0xFDEF},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(ranges); i++) {
    if (c >= ranges[i][0] && c <= ranges[i][1])
      return TRUE;
  }
  return (c & 0xFFFE) == 0xFFFE; /* U+nFFFE, U+nFFFF in every plane */
}

static gboolean
is_line_break(gunichar c)
{
  return c == '\n' || c == '\r' || c == 0x85 || c == 0x2028 || c == 0x2029;
}

/* Escapes one character for mode: full markup escaping for HTML (it also goes into
 * attributes), only & < > for the modes whose client strips HTML and decodes those. */
static void
append_escaped(GString *out, gunichar c, TbRenderMode mode)
{
  static const struct {
    gunichar c;
    const char *html, *text;
  } escapes[] = {
      {'&', "&amp;", "&amp;"}, {'<', "&lt;", "&lt;"}, {'>', "&gt;", "&gt;"},
      {'"', "&quot;", NULL},   {'\'', "&#39;", NULL},
  };

  if (mode != TB_RENDER_PLAIN) {
    for (gsize i = 0; i < G_N_ELEMENTS(escapes); i++) {
      const char *e = mode == TB_RENDER_HTML ? escapes[i].html : escapes[i].text;
      if (c == escapes[i].c && e != NULL) {
        g_string_append(out, e);
        return;
      }
    }
  }
  g_string_append_unichar(out, c);
}

static void
append_line_break(GString *out, TbRenderMode mode)
{
  switch (mode) {
  case TB_RENDER_HTML:
    g_string_append(out, "<br>");
    break;
  case TB_RENDER_IRC:
    g_string_append(out, IRC_LINE_BREAK);
    break;
  case TB_RENDER_PLAIN:
  case TB_RENDER_ESCAPED:
    g_string_append_c(out, '\n');
    break;
  }
}

/* Appends cps[from, to) made safe for mode. CR LF is one break; on IRC a run of breaks is one
 * marker. */
static void
append_text(GString *out, const gunichar *cps, glong from, glong to, TbRenderMode mode)
{
  for (glong i = from; i < to; i++) {
    gunichar c = cps[i];

    if (is_line_break(c)) {
      if (c == '\r' && i + 1 < to && cps[i + 1] == '\n')
        i++;
      if (mode == TB_RENDER_IRC && g_str_has_suffix(out->str, IRC_LINE_BREAK))
        continue;
      append_line_break(out, mode);
    } else if (c == '\t') {
      g_string_append_c(out, ' ');
    } else if (!is_stripped(c)) {
      append_escaped(out, c, mode);
    }
  }
}

static void
append_string(GString *out, const char *s, TbRenderMode mode)
{
  glong n = 0;
  gunichar *cps = g_utf8_to_ucs4_fast(s, -1, &n);

  append_text(out, cps, 0, n, mode);
  g_free(cps);
}

/* --- links ---------------------------------------------------------------------------------- */

/* Only an absolute http(s) URL with a host, nothing invisible or spacing in it, becomes a link
 * (never javascript:, data: or a relative reference). */
static gboolean
is_safe_link(const char *url)
{
  char *scheme;
  GUri *uri;
  gboolean ok;

  if (url == NULL || strlen(url) > MAX_LINK_URL || !g_utf8_validate(url, -1, NULL))
    return FALSE;
  for (const char *p = url; *p != '\0'; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (g_unichar_isspace(c) || is_stripped(c) || is_line_break(c) ||
        g_unichar_type(c) == G_UNICODE_FORMAT)
      return FALSE;
  }
  scheme = g_uri_parse_scheme(url);
  ok = scheme != NULL &&
       (g_ascii_strcasecmp(scheme, "http") == 0 || g_ascii_strcasecmp(scheme, "https") == 0);
  g_free(scheme);
  if (!ok)
    return FALSE;
  uri = g_uri_parse(url, G_URI_FLAGS_PARSE_RELAXED | G_URI_FLAGS_ENCODED, NULL);
  ok = uri != NULL && g_uri_get_host(uri) != NULL && *g_uri_get_host(uri) != '\0';
  if (uri != NULL)
    g_uri_unref(uri);
  return ok;
}

static gboolean
is_username(const char *name)
{
  gsize n = name != NULL ? strlen(name) : 0;

  if (n < 1 || n > 20)
    return FALSE;
  for (gsize i = 0; i < n; i++) {
    if (!g_ascii_isalnum(name[i]) && name[i] != '_')
      return FALSE;
  }
  return TRUE;
}

static void
open_link(GString *out, const char *href)
{
  char *attr = g_markup_escape_text(href, -1);

  g_string_append_printf(out, "<a href=\"%s\">", attr);
  g_free(attr);
}

/* --- entities in the text ------------------------------------------------------------------- */

typedef struct {
  const TbRenderEntity *src;
  glong start, end; /* where it really is, in code points */
} TbPlaced;

/* The text an entity stands for, with the sign X's text uses; NULL if it says nothing. */
static char *
entity_surface(const TbRenderEntity *e)
{
  switch (e->kind) {
  case TB_ENTITY_URL:
    return g_strdup(e->url);
  case TB_ENTITY_MENTION:
    return e->username != NULL ? g_strconcat("@", e->username, NULL) : NULL;
  case TB_ENTITY_LIST:
    return e->username != NULL && e->tag != NULL ? g_strconcat("@", e->username, "/", e->tag, NULL)
                                                 : NULL;
  case TB_ENTITY_HASHTAG:
    return e->tag != NULL ? g_strconcat("#", e->tag, NULL) : NULL;
  case TB_ENTITY_CASHTAG:
    return e->tag != NULL ? g_strconcat("$", e->tag, NULL) : NULL;
  }
  return NULL;
}

/* Full-width @ and # are the same signs; usernames and cashtags ignore case. */
static gunichar
fold(gunichar c)
{
  if (c == 0xFF20)
    return '@';
  if (c == 0xFF03)
    return '#';
  return g_unichar_tolower(c);
}

static gboolean
surface_at(const gunichar *cps, glong n, glong at, const gunichar *want, glong len)
{
  if (at < 0 || at + len > n)
    return FALSE;
  for (glong i = 0; i < len; i++) {
    if (fold(cps[at + i]) != fold(want[i]))
      return FALSE;
  }
  return TRUE;
}

static gint
compare_placed(gconstpointer a, gconstpointer b)
{
  const TbPlaced *x = a, *y = b;

  return (x->start > y->start) - (x->start < y->start);
}

/* Where each entity is: at its indices if the text there is what it claims, else the next place
 * after the previous entity that holds it; overlapping or missing entities are dropped. */
static GArray *
place_entities(const gunichar *cps, glong n, const TbRenderEntity *ents, gsize n_ents)
{
  GArray *placed = g_array_new(FALSE, FALSE, sizeof(TbPlaced));
  GArray *order = g_array_new(FALSE, FALSE, sizeof(TbPlaced));
  glong cursor = 0;

  for (gsize i = 0; i < n_ents; i++) {
    TbPlaced p = {&ents[i], ents[i].start, ents[i].end};
    g_array_append_val(order, p);
  }
  g_array_sort(order, compare_placed);
  for (guint i = 0; i < order->len; i++) {
    TbPlaced p = g_array_index(order, TbPlaced, i);
    char *surface = entity_surface(p.src);
    glong len = 0;
    gunichar *want = surface != NULL ? g_utf8_to_ucs4_fast(surface, -1, &len) : NULL;

    if (want == NULL || len == 0) {
      /* Nothing to check against: trust indices that make sense. */
      if (p.start < cursor || p.end <= p.start || p.end > n)
        p.start = -1;
    } else if (p.start < cursor || !surface_at(cps, n, p.start, want, len)) {
      glong at = cursor;
      while (at + len <= n && !surface_at(cps, n, at, want, len))
        at++;
      p.start = at + len <= n ? at : -1;
      p.end = p.start + len;
    } else {
      p.end = p.start + len;
    }
    if (p.start >= 0) {
      g_array_append_val(placed, p);
      cursor = p.end;
    }
    g_free(want);
    g_free(surface);
  }
  g_array_unref(order);
  return placed;
}

/* The name after the sign in the text itself ("@Alice" -> "Alice"), as UTF-8. */
static char *
span_after_sign(const gunichar *cps, const TbPlaced *p)
{
  return g_ucs4_to_utf8(cps + p->start + 1, p->end - p->start - 1, NULL, NULL, NULL);
}

/* The link target of a mention, list, hashtag or cashtag; NULL when it cannot be a safe one. */
static char *
entity_href(const gunichar *cps, const TbPlaced *p)
{
  const TbRenderEntity *e = p->src;
  char *name = span_after_sign(cps, p);
  char *href = NULL, *escaped;

  switch (e->kind) {
  case TB_ENTITY_MENTION:
    if (is_username(name))
      href = g_strconcat(X_BASE, name, NULL);
    break;
  case TB_ENTITY_LIST: {
    char *slash = strchr(name, '/');
    if (slash != NULL) {
      *slash = '\0';
      escaped = g_uri_escape_string(slash + 1, NULL, FALSE);
      if (is_username(name))
        href = g_strconcat(X_BASE, name, "/lists/", escaped, NULL);
      g_free(escaped);
    }
    break;
  }
  case TB_ENTITY_HASHTAG:
    escaped = g_uri_escape_string(name, NULL, FALSE);
    href = g_strconcat(X_BASE "hashtag/", escaped, NULL);
    g_free(escaped);
    break;
  case TB_ENTITY_CASHTAG:
    escaped = g_uri_escape_string(name, NULL, FALSE);
    href = g_strconcat(X_BASE "search?q=%24", escaped, NULL);
    g_free(escaped);
    break;
  case TB_ENTITY_URL:
    break;
  }
  g_free(name);
  return href;
}

static void
append_url_entity(GString *out, const gunichar *cps, const TbPlaced *p, TbRenderMode mode)
{
  const TbRenderEntity *e = p->src;
  /* Show where the link leads; keep the t.co text when the expansion is not a web URL. */
  const char *shown = is_safe_link(e->expanded_url) ? e->expanded_url : NULL;
  const char *href = shown != NULL ? shown : is_safe_link(e->url) ? e->url : NULL;

  if (mode == TB_RENDER_HTML && href != NULL)
    open_link(out, href);
  if (shown != NULL)
    append_string(out, shown, mode);
  else
    append_text(out, cps, p->start, p->end, mode);
  if (mode == TB_RENDER_HTML && href != NULL)
    g_string_append(out, "</a>");
}

static void
append_entity(GString *out, const gunichar *cps, const TbPlaced *p, TbRenderMode mode)
{
  char *href;

  if (p->src->kind == TB_ENTITY_URL) {
    append_url_entity(out, cps, p, mode);
    return;
  }
  href = mode == TB_RENDER_HTML ? entity_href(cps, p) : NULL;
  if (href != NULL)
    open_link(out, href);
  append_text(out, cps, p->start, p->end, mode);
  if (href != NULL)
    g_string_append(out, "</a>");
  g_free(href);
}

static char *
render(const char *text, const TbRenderEntity *ents, gsize n_ents, TbRenderMode mode)
{
  glong n = 0;
  gunichar *cps = g_utf8_to_ucs4_fast(text, -1, &n);
  GArray *placed = place_entities(cps, n, ents, ents != NULL ? n_ents : 0);
  GString *out = g_string_sized_new((gsize)n + 16);
  glong pos = 0;

  for (guint i = 0; i < placed->len; i++) {
    const TbPlaced *p = &g_array_index(placed, TbPlaced, i);

    append_text(out, cps, pos, p->start, mode);
    append_entity(out, cps, p, mode);
    pos = p->end;
  }
  append_text(out, cps, pos, n, mode);
  g_array_unref(placed);
  g_free(cps);
  return g_string_free(out, FALSE);
}

/* --- public --------------------------------------------------------------------------------- */

char *
tb_render_unescape_x(const char *text)
{
  static const struct {
    const char *entity;
    char c;
  } entities[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}};
  GString *out = g_string_new(NULL);

  /* One left-to-right pass, so "&amp;lt;" becomes "&lt;" and is not decoded twice. */
  for (const char *p = text != NULL ? text : ""; *p != '\0';) {
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(entities); i++) {
      if (g_str_has_prefix(p, entities[i].entity))
        break;
    }
    if (i < G_N_ELEMENTS(entities)) {
      g_string_append_c(out, entities[i].c);
      p += strlen(entities[i].entity);
    } else {
      g_string_append_c(out, *p++);
    }
  }
  return g_string_free(out, FALSE);
}

char *
tb_render_text(const char *text, const TbRenderEntity *ents, gsize n_ents, TbRenderMode mode)
{
  char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);
  char *decoded = tb_render_unescape_x(valid);
  char *out = render(decoded, ents, n_ents, mode);

  g_free(decoded);
  g_free(valid);
  return out;
}

char *
tb_render_name(const char *display_name, TbRenderMode mode)
{
  char *valid = g_utf8_make_valid(display_name != NULL ? display_name : "", -1);
  GString *clean = g_string_new(NULL);
  char *out;

  /* One line, one space between words, nothing that acts on the client. */
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);

    if (g_unichar_isspace(c) || is_line_break(c) || c == '\t') {
      if (clean->len > 0 && clean->str[clean->len - 1] != ' ')
        g_string_append_c(clean, ' ');
    } else if (!is_stripped(c)) {
      g_string_append_unichar(clean, c);
    }
  }
  g_strchomp(clean->str);
  out = render(clean->str, NULL, 0, mode);
  g_string_free(clean, TRUE);
  g_free(valid);
  return out;
}

char *
tb_render_autolink(const char *text, unsigned kinds_mask)
{
  char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);
  GPtrArray *found = tb_text_extract(valid, kinds_mask | TB_TEXT_EXTRACT_PROTOCOL_URLS_ONLY);
  TbRenderEntity *ents = g_new0(TbRenderEntity, found->len + 1);
  char *out;

  for (guint i = 0; i < found->len; i++) {
    const TbEntity *e = g_ptr_array_index(found, i);

    ents[i].kind = e->kind;
    ents[i].start = e->start;
    ents[i].end = e->end;
    if (e->kind == TB_ENTITY_URL)
      ents[i].url = ents[i].expanded_url = e->value;
    else if (e->kind == TB_ENTITY_MENTION || e->kind == TB_ENTITY_LIST)
      ents[i].username = e->value;
    if (e->kind != TB_ENTITY_URL && e->kind != TB_ENTITY_MENTION)
      ents[i].tag = e->kind == TB_ENTITY_LIST ? e->list_slug : e->value;
  }
  out = render(valid, ents, found->len, TB_RENDER_HTML);
  g_free(ents);
  g_ptr_array_unref(found);
  g_free(valid);
  return out;
}
