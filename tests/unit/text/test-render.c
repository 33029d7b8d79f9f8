/* Unit tests for tb-render: twitter-text's autolink.yml cases (read at run time), t.co
 * expansion, note_tweet, and injection through tweet text and display names in every mode.
 *
 * autolink.yml compares markup that differs by design: twitter-text links to twitter.com with
 * class/title attributes, puts the '@' of a mention outside its link, shows t.co links with
 * hidden spans, and does not escape the text around links. So both outputs are reduced to what
 * a reader gets: the visible text, and which spans of it link where (user:, list:, tag:, cash:
 * or url:). All sections apply: usernames, lists, hashtags, urls, cashtags and all through
 * tb_render_autolink() with the kinds that section's twitter-text function links, json through
 * tb_render_text() with the case's entities, where a t.co link is expected to show and lead to its
 * expanded URL (the title twitter-text gives it).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "core/tb-render.h"

#include "tt-data.h"

#include <json-glib/json-glib.h>
#include <string.h>

static char *data_dir;

/* --- reducing HTML to text and links -------------------------------------------------------- */

typedef struct {
  glong start, end; /* code points in the visible text */
  char *target;
} TtLink;

typedef struct {
  GString *text;
  GArray *links; /* TtLink */
} TtView;

static void
tt_link_clear(gpointer p)
{
  g_free(((TtLink *)p)->target);
}

static void
tt_view_clear(TtView *v)
{
  g_string_free(v->text, TRUE);
  g_array_unref(v->links);
}

/* Decodes the entities either renderer may write. */
static void
append_decoded(GString *out, const char *s, gsize len)
{
  static const struct {
    const char *entity, *text;
  } entities[] = {
      {"&amp;", "&"},   {"&lt;", "<"},  {"&gt;", ">"},
      {"&quot;", "\""}, {"&#39;", "'"}, {"&nbsp;", "\xC2\xA0"},
  };

  for (gsize i = 0; i < len;) {
    gsize e;
    for (e = 0; e < G_N_ELEMENTS(entities); e++) {
      gsize n = strlen(entities[e].entity);
      if (i + n <= len && strncmp(s + i, entities[e].entity, n) == 0)
        break;
    }
    if (e < G_N_ELEMENTS(entities)) {
      g_string_append(out, entities[e].text);
      i += strlen(entities[e].entity);
    } else {
      g_string_append_c(out, s[i++]);
    }
  }
}

static char *
attribute(const char *tag, const char *name)
{
  char *needle = g_strconcat(" ", name, "=\"", NULL);
  const char *at = strstr(tag, needle);
  char *value = NULL;

  if (at != NULL) {
    GString *v = g_string_new(NULL);
    at += strlen(needle);
    append_decoded(v, at, (gsize)(strchr(at, '"') - at));
    value = g_string_free(v, FALSE);
  }
  g_free(needle);
  return value;
}

/* user:NAME, list:NAME/SLUG, tag:TAG, cash:TAG or url:HREF, for either site's links. */
static char *
link_target(const char *href)
{
  static const char *const sites[] = {"https://twitter.com/", "https://x.com/"};
  static const struct {
    const char *prefix, *kind;
  } searches[] = {{"search?q=%23", "tag:"}, {"search?q=%24", "cash:"}, {"hashtag/", "tag:"}};

  for (gsize s = 0; s < G_N_ELEMENTS(sites); s++) {
    const char *rest;
    if (!g_str_has_prefix(href, sites[s]))
      continue;
    rest = href + strlen(sites[s]);
    for (gsize i = 0; i < G_N_ELEMENTS(searches); i++) {
      if (g_str_has_prefix(rest, searches[i].prefix)) {
        char *tag = g_uri_unescape_string(rest + strlen(searches[i].prefix), NULL);
        char *t = g_strconcat(searches[i].kind, tag, NULL);
        g_free(tag);
        return t;
      }
    }
    if (strchr(rest, '?') == NULL && strchr(rest, '.') == NULL) {
      char **parts = g_strsplit(rest, "/", -1);
      char *t = NULL;
      guint n = g_strv_length(parts);
      if (n == 1)
        t = g_strconcat("user:", parts[0], NULL);
      else if (n == 2)
        t = g_strconcat("list:", parts[0], "/", parts[1], NULL);
      else if (n == 3 && strcmp(parts[1], "lists") == 0)
        t = g_strconcat("list:", parts[0], "/", parts[2], NULL);
      g_strfreev(parts);
      if (t != NULL)
        return t;
    }
  }
  return g_strconcat("url:", href, NULL);
}

/* Reduces HTML: only <a ...>...</a> and <br> are markup; inside a link, tags are dropped.
 * decode_text: whether the text outside links is escaped (ours) or raw (twitter-text's). */
static TtView
view_of(const char *html, gboolean decode_text)
{
  TtView v = {g_string_new(NULL), g_array_new(FALSE, FALSE, sizeof(TtLink))};
  const char *p = html;

  g_array_set_clear_func(v.links, tt_link_clear);
  while (*p != '\0') {
    const char *a = strstr(p, "<a ");
    const char *br = strstr(p, "<br>");
    const char *next = a != NULL && (br == NULL || a < br) ? a : br;
    gsize len = next != NULL ? (gsize)(next - p) : strlen(p);

    if (decode_text)
      append_decoded(v.text, p, len);
    else
      g_string_append_len(v.text, p, (gssize)len);
    if (next == NULL)
      break;
    if (next == br) {
      g_string_append_c(v.text, '\n');
      p = br + strlen("<br>");
      continue;
    }
    const char *open_end = strchr(a, '>');
    const char *close = strstr(open_end, "</a>");
    char *open = g_strndup(a, (gsize)(open_end - a));
    char *href = attribute(open, "href"), *title = attribute(open, "title");
    GString *inner = g_string_new(NULL);
    TtLink link;

    g_assert_nonnull(close);
    for (const char *q = open_end + 1; q < close;) { /* drop tags inside the link */
      const char *lt = memchr(q, '<', (gsize)(close - q));
      const char *stop = lt != NULL ? lt : close;
      append_decoded(inner, q, (gsize)(stop - q));
      q = lt != NULL ? strchr(lt, '>') + 1 : close;
    }
    /* twitter-text's t.co links: the title holds the expanded URL the reader is shown. */
    if (title != NULL && strstr(href, "/search?q=") == NULL) {
      g_string_assign(inner, title);
      g_free(href);
      href = g_strdup(title);
    }
    link.start = g_utf8_strlen(v.text->str, -1);
    g_string_append(v.text, inner->str);
    link.end = g_utf8_strlen(v.text->str, -1);
    link.target = link_target(href);
    /* twitter-text leaves a mention's '@' outside the link; count it in, as ours does. */
    if ((g_str_has_prefix(link.target, "user:") || g_str_has_prefix(link.target, "list:")) &&
        inner->str[0] != '@' && link.start > 0) {
      const char *before = g_utf8_offset_to_pointer(v.text->str, link.start - 1);
      gunichar c = g_utf8_get_char(before);
      if (c == '@' || c == 0xFF20)
        link.start--;
    }
    g_array_append_val(v.links, link);
    g_string_free(inner, TRUE);
    g_free(title);
    g_free(href);
    g_free(open);
    p = close + strlen("</a>");
  }
  return v;
}

static void
assert_same_view(const char *ours_html, const char *expected_html)
{
  TtView ours = view_of(ours_html, TRUE);
  TtView want = view_of(expected_html, FALSE);

  g_test_message("ours:     %s", ours_html);
  g_test_message("expected: %s", expected_html);
  g_assert_cmpstr(ours.text->str, ==, want.text->str);
  g_assert_cmpuint(ours.links->len, ==, want.links->len);
  for (guint i = 0; i < ours.links->len && i < want.links->len; i++) {
    const TtLink *o = &g_array_index(ours.links, TtLink, i);
    const TtLink *w = &g_array_index(want.links, TtLink, i);
    g_assert_cmpstr(o->target, ==, w->target);
    g_assert_cmpint(o->start, ==, w->start);
    g_assert_cmpint(o->end, ==, w->end);
  }
  tt_view_clear(&ours);
  tt_view_clear(&want);
}

/* --- autolink.yml --------------------------------------------------------------------------- */

typedef struct {
  yaml_document_t *doc;
  yaml_node_t *node;
  unsigned mask; /* what the section's twitter-text function links */
} Case;

static const char *
case_field(const Case *c, const char *key)
{
  return tt_str(tt_map_get(c->doc, c->node, key));
}

static void
test_autolink(gconstpointer data)
{
  const Case *c = data;
  char *ours = tb_render_autolink(case_field(c, "text"), c->mask);

  assert_same_view(ours, case_field(c, "expected"));
  g_free(ours);
}

/* The case's v1.1-style entity JSON as TbRenderEntity (strings owned by the parser). */
static GArray *
entities_of(JsonObject *json)
{
  static const struct {
    const char *member;
    TbEntityKind kind;
  } kinds[] = {{"urls", TB_ENTITY_URL},
               {"user_mentions", TB_ENTITY_MENTION},
               {"hashtags", TB_ENTITY_HASHTAG}};
  GArray *ents = g_array_new(FALSE, TRUE, sizeof(TbRenderEntity));

  for (gsize k = 0; k < G_N_ELEMENTS(kinds); k++) {
    JsonArray *list = json_object_get_array_member(json, kinds[k].member);
    for (guint i = 0; i < json_array_get_length(list); i++) {
      JsonObject *o = json_array_get_object_element(list, i);
      JsonArray *indices = json_object_get_array_member(o, "indices");
      TbRenderEntity e = {0};

      e.kind = kinds[k].kind;
      e.start = (int)json_array_get_int_element(indices, 0);
      e.end = (int)json_array_get_int_element(indices, 1);
      e.url = json_object_get_string_member_with_default(o, "url", NULL);
      e.expanded_url = json_object_get_string_member_with_default(o, "expanded_url", NULL);
      e.display_url = json_object_get_string_member_with_default(o, "display_url", NULL);
      e.username = json_object_get_string_member_with_default(o, "screen_name", NULL);
      e.tag = json_object_get_string_member_with_default(o, "text", NULL);
      g_array_append_val(ents, e);
    }
  }
  return ents;
}

static void
test_autolink_json(gconstpointer data)
{
  const Case *c = data;
  JsonParser *parser = json_parser_new();
  GError *error = NULL;
  GArray *ents;
  char *ours;

  json_parser_load_from_data(parser, case_field(c, "json"), -1, &error);
  g_assert_no_error(error);
  ents = entities_of(json_node_get_object(json_parser_get_root(parser)));
  ours = tb_render_text(case_field(c, "text"), (TbRenderEntity *)(void *)ents->data, ents->len,
                        TB_RENDER_HTML);
  assert_same_view(ours, case_field(c, "expected"));
  g_free(ours);
  g_array_unref(ents);
  g_object_unref(parser);
}

#define EX(kind) TB_TEXT_EXTRACT(TB_ENTITY_##kind)

/* Each section tests one twitter-text function: autoLinkUsernamesOrLists, autoLinkHashtags,
 * autoLinkUrlsCustom, autoLinkCashtags, autoLink, autoLinkWithJSON. */
static struct {
  const char *name;
  GTestDataFunc func;
  unsigned mask;
  guint registered;
} sections[] = {
    {"usernames", test_autolink, EX(MENTION) | EX(LIST), 0},
    {"lists", test_autolink, EX(MENTION) | EX(LIST), 0},
    {"hashtags", test_autolink, EX(HASHTAG), 0},
    {"urls", test_autolink, EX(URL), 0},
    {"cashtags", test_autolink, EX(CASHTAG), 0},
    {"all", test_autolink, TB_TEXT_EXTRACT_ALL, 0},
    {"json", test_autolink_json, 0, 0},
};

static GPtrArray *cases;

static void
register_autolink(void)
{
  yaml_document_t *doc = tt_yaml_load(data_dir, "autolink.yml");

  for (gsize s = 0; s < G_N_ELEMENTS(sections); s++) {
    yaml_node_t *list = tt_yaml_section(doc, sections[s].name);
    char *prefix = g_strdup_printf("/render/conformance/autolink.yml/%s", sections[s].name);

    if (list == NULL)
      g_error("autolink.yml has no section tests.%s", sections[s].name);
    for (gsize i = 0; i < tt_seq_len(list); i++) {
      Case *c = g_new0(Case, 1);
      char *path;

      c->doc = doc;
      c->node = tt_seq_get(doc, list, i);
      c->mask = sections[s].mask;
      path = tt_case_path(prefix, i + 1, tt_str(tt_map_get(doc, c->node, "description")));
      g_test_add_data_func(path, c, sections[s].func);
      g_ptr_array_add(cases, c);
      sections[s].registered++;
      g_free(path);
    }
    g_test_message("autolink.yml tests.%s: %u cases", sections[s].name, sections[s].registered);
    g_free(prefix);
  }
}

static void
test_autolink_counts(void)
{
  for (gsize s = 0; s < G_N_ELEMENTS(sections); s++)
    g_assert_cmpint(sections[s].registered, ==,
                    tt_expected_count(data_dir, "autolink.yml", sections[s].name));
}

/* --- harmless in every mode ----------------------------------------------------------------- */

static const TbRenderMode all_modes[] = {TB_RENDER_HTML, TB_RENDER_PLAIN, TB_RENDER_IRC,
                                         TB_RENDER_ESCAPED};

/* What no output may carry, whatever came in: invalid UTF-8, controls (a line feed only in the
 * multi-line plain modes), bidi formatting; markup other than our own <a href="http..">, </a>
 * and <br> in HTML, and none at all in the escaped modes. PLAIN is raw text by design. */
static void
assert_harmless(const char *out, TbRenderMode mode)
{
  g_assert_true(g_utf8_validate(out, -1, NULL));
  for (const char *p = out; *p != '\0'; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (c == '\n')
      g_assert_true(mode == TB_RENDER_PLAIN || mode == TB_RENDER_ESCAPED);
    else
      g_assert_false(g_unichar_iscntrl(c));
    g_assert_false((c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069));
    if (c == '<' && mode == TB_RENDER_HTML)
      g_assert_true(g_ascii_strncasecmp(p, "<a href=\"https://", 17) == 0 ||
                    g_ascii_strncasecmp(p, "<a href=\"http://", 16) == 0 ||
                    g_str_has_prefix(p, "</a>") || g_str_has_prefix(p, "<br>"));
    if (mode == TB_RENDER_IRC || mode == TB_RENDER_ESCAPED)
      g_assert_true(c != '<' && c != '>');
  }
  if (mode == TB_RENDER_HTML)
    g_assert_null(strstr(out, "href=\"javascript"));
}

static char *
render(const char *x_text, const TbRenderEntity *ents, gsize n, TbRenderMode mode)
{
  char *out = tb_render_text(x_text, ents, n, mode);

  g_test_message("mode %d: %s", mode, out);
  assert_harmless(out, mode);
  return out;
}

static void
check_modes(const char *x_text, const TbRenderEntity *ents, gsize n, const char *const want[4])
{
  for (gsize m = 0; m < G_N_ELEMENTS(all_modes); m++) {
    char *out = render(x_text, ents, n, all_modes[m]);
    if (want[m] != NULL)
      g_assert_cmpstr(out, ==, want[m]);
    g_free(out);
  }
}

static void
test_tco_expansion(void)
{
  /* What X sends: & of the tweet already as &amp;, the t.co link with its expansion. */
  const char *text = "Q&amp;A: https://t.co/AbC123 &amp; more";
  TbRenderEntity url = {
      TB_ENTITY_URL,        5,    24,  "https://t.co/AbC123", "https://example.com/a?b=1&c=2",
      "example.com/a?b=1…", NULL, NULL};
  const char *const want[] = {
      "Q&amp;A: <a href=\"https://example.com/a?b=1&amp;c=2\">https://example.com/a?b=1&amp;c=2"
      "</a> &amp; more",
      "Q&A: https://example.com/a?b=1&c=2 & more",
      "Q&amp;A: https://example.com/a?b=1&amp;c=2 &amp; more",
      "Q&amp;A: https://example.com/a?b=1&amp;c=2 &amp; more",
  };

  check_modes(text, &url, 1, want);
}

static void
test_indices_off(void)
{
  /* Entities whose indices were counted on the escaped text (4 too far after "&amp;") are still
   * found; one that is not in the text at all is ignored. */
  const char *text = "a &amp; b @Alice #tag https://t.co/x";
  TbRenderEntity ents[] = {
      {TB_ENTITY_MENTION, 10, 16, NULL, NULL, NULL, "alice", NULL},
      {TB_ENTITY_HASHTAG, 17, 21, NULL, NULL, NULL, NULL, "tag"},
      {TB_ENTITY_URL, 22, 36, "https://t.co/x", "https://example.org/", NULL, NULL, NULL},
      {TB_ENTITY_MENTION, 0, 4, NULL, NULL, NULL, "nobody", NULL},
  };
  const char *const want[] = {
      "a &amp; b <a href=\"https://x.com/Alice\">@Alice</a> "
      "<a href=\"https://x.com/hashtag/tag\">#tag</a> "
      "<a href=\"https://example.org/\">https://example.org/</a>",
      "a & b @Alice #tag https://example.org/",
      NULL,
      NULL,
  };

  check_modes(text, ents, G_N_ELEMENTS(ents), want);
}

static void
test_note_tweet(void)
{
  /* A long post comes as note_tweet.text with its own entities, beyond index 280. */
  GString *text = g_string_new(NULL);
  TbRenderEntity ents[2] = {{0}};
  char *out;

  for (int i = 0; i < 40; i++)
    g_string_append(text, "long post ");
  ents[0] = (TbRenderEntity){
      TB_ENTITY_MENTION, (int)text->len, (int)text->len + 4, NULL, NULL, NULL, "bob", NULL};
  g_string_append(text, "@bob and #more https://t.co/zz");
  ents[1] = (TbRenderEntity){TB_ENTITY_URL,
                             (int)text->len - 16,
                             (int)text->len,
                             "https://t.co/zz",
                             "https://x.com/bob/status/1/photo/1",
                             NULL,
                             NULL,
                             NULL};
  out = render(text->str, ents, 2, TB_RENDER_HTML);
  g_assert_true(g_str_has_suffix(
      out,
      "<a href=\"https://x.com/bob\">@bob</a> and #more "
      "<a href=\"https://x.com/bob/status/1/photo/1\">https://x.com/bob/status/1/photo/1</a>"));
  g_free(out);
  g_string_free(text, TRUE);
}

static void
test_injection_markup(void)
{
  /* X sends markup in a tweet entity-escaped; a raw one (a DM, a buggy proxy) must be as safe. */
  static const char *const inputs[] = {
      "&lt;script&gt;alert(1)&lt;/script&gt;",
      "<script>alert(1)</script>",
  };
  const char *const want[] = {
      "&lt;script&gt;alert(1)&lt;/script&gt;",
      "<script>alert(1)</script>",
      "&lt;script&gt;alert(1)&lt;/script&gt;",
      "&lt;script&gt;alert(1)&lt;/script&gt;",
  };

  for (gsize i = 0; i < G_N_ELEMENTS(inputs); i++)
    check_modes(inputs[i], NULL, 0, want);
}

static void
test_injection_links(void)
{
  const char *text = "&lt;a href=\"javascript:alert(1)\"&gt;click&lt;/a&gt; https://t.co/evil";
  /* An expansion that is not a web URL is neither shown nor linked; the t.co link stays. */
  TbRenderEntity url = {TB_ENTITY_URL,         40,   57,   "https://t.co/evil",
                        "javascript:alert(1)", NULL, NULL, NULL};
  TbRenderEntity bad_user = {TB_ENTITY_MENTION, 0, 5, NULL, NULL, NULL, "x\" onclick=\"", NULL};
  const char *const want[] = {
      "&lt;a href=&quot;javascript:alert(1)&quot;&gt;click&lt;/a&gt; "
      "<a href=\"https://t.co/evil\">https://t.co/evil</a>",
      "<a href=\"javascript:alert(1)\">click</a> https://t.co/evil",
      "&lt;a href=\"javascript:alert(1)\"&gt;click&lt;/a&gt; https://t.co/evil",
      "&lt;a href=\"javascript:alert(1)\"&gt;click&lt;/a&gt; https://t.co/evil",
  };
  char *out;

  check_modes(text, &url, 1, want);
  out = render("@x hi", &bad_user, 1, TB_RENDER_HTML);
  g_assert_cmpstr(out, ==, "@x hi");
  g_free(out);
  /* Autolinking plain text: only http(s) is ever linked. */
  out = tb_render_autolink("javascript:alert(1) data:text/html,x <b>http://ok.example.com</b>",
                           TB_TEXT_EXTRACT_ALL);
  assert_harmless(out, TB_RENDER_HTML);
  g_assert_cmpstr(out, ==,
                  "javascript:alert(1) data:text/html,x &lt;b&gt;"
                  "<a href=\"http://ok.example.com\">http://ok.example.com</a>&lt;/b&gt;");
  g_free(out);
}

/* Only an absolute http(s) URL with a host, without spaces or invisible characters, is shown
 * and linked in place of the t.co link. */
static void
test_links_only_web(void)
{
  static const struct {
    const char *expanded;
    gboolean linked;
  } cases[] = {
      {"https://example.com/a?b=1", TRUE},
      {"HTTPS://EXAMPLE.COM/", TRUE},
      {"http://\xE4\xBE\x8B\xE3\x81\x88.jp/\xE3\x83\x91\xE3\x82\xB9", TRUE}, /* IDN host, path */
      {"javascript:alert(1)//https://x.com", FALSE},
      {"data:text/html,<script>alert(1)</script>", FALSE},
      {"vbscript:msgbox(1)", FALSE},
      {"//evil.example/x", FALSE},
      {"https:evil.example", FALSE},
      {"http:///x", FALSE},
      {"https://example.com/a b", FALSE},
      {"https://example.com/\"onmouseover=\"alert(1)", TRUE}, /* quotes are escaped */
      {"https://example.com/\xE2\x80\xAEgpj", FALSE},         /* RLO */
      {"https://example.com/\x01", FALSE},
      {NULL, FALSE},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    TbRenderEntity e = {TB_ENTITY_URL,     4,    18,   "https://t.co/a",
                        cases[i].expanded, NULL, NULL, NULL};
    char *html = render("see https://t.co/a", &e, 1, TB_RENDER_HTML);
    char *plain = render("see https://t.co/a", &e, 1, TB_RENDER_PLAIN);

    if (cases[i].linked) {
      char *attr = g_markup_escape_text(cases[i].expanded, -1);
      char *want = g_strdup_printf("see <a href=\"%s\">%s</a>", attr, attr);
      g_assert_cmpstr(html, ==, want);
      g_assert_cmpstr(plain + 4, ==, cases[i].expanded);
      g_free(want);
      g_free(attr);
    } else {
      g_assert_cmpstr(html, ==, "see <a href=\"https://t.co/a\">https://t.co/a</a>");
      g_assert_cmpstr(plain, ==, "see https://t.co/a");
    }
    g_free(plain);
    g_free(html);
  }
}

static void
test_injection_entities(void)
{
  /* "&amp;lt;" is the author's literal "&lt;": decoded once, shown as typed, never as "<".
   * A numeric entity stays text, so BitlBee cannot turn "&#x1;" into a control character. */
  const char *const want[] = {
      "&amp;lt;b&amp;gt; &amp;#x1; &amp;#1;",
      "&lt;b&gt; &#x1; &#1;",
      "&amp;lt;b&amp;gt; &amp;#x1; &amp;#1;",
      "&amp;lt;b&amp;gt; &amp;#x1; &amp;#1;",
  };

  check_modes("&amp;lt;b&amp;gt; &amp;#x1; &amp;#1;", NULL, 0, want);
}

static void
test_injection_irc(void)
{
  /* CTCP, colour, bold, reset, reverse, italic, underline, CR LF: nothing reaches IRC. */
  const char *text = "\x01"
                     "ACTION waves\x01 \x03"
                     "04red\x0f \x02"
                     "bold\x02 \x16r\x1di\x1fu"
                     "\r\nPRIVMSG #x :hi\rok\n\nend";
  const char *const want[] = {
      "ACTION waves 04red bold riu<br>PRIVMSG #x :hi<br>ok<br><br>end",
      "ACTION waves 04red bold riu\nPRIVMSG #x :hi\nok\n\nend",
      "ACTION waves 04red bold riu \xE2\x8F\x8E PRIVMSG #x :hi \xE2\x8F\x8E ok \xE2\x8F\x8E end",
      "ACTION waves 04red bold riu\nPRIVMSG #x :hi\nok\n\nend",
  };

  check_modes(text, NULL, 0, want);
}

static void
test_bidi_and_invisible(void)
{
  /* RLO makes "gnp.exe" read "exe.png"; isolates, BOM and annotations go too. LRM stays. */
  const char *text = "file \xE2\x80\xAEgnp.exe \xE2\x81\xA6x\xE2\x81\xA9 \xEF\xBB\xBFy"
                     "\xEF\xBF\xB9z\xE2\x80\x8E";
  const char *const want[] = {
      "file gnp.exe x yz\xE2\x80\x8E",
      "file gnp.exe x yz\xE2\x80\x8E",
      "file gnp.exe x yz\xE2\x80\x8E",
      "file gnp.exe x yz\xE2\x80\x8E",
  };

  check_modes(text, NULL, 0, want);
}

static void
test_names(void)
{
  static const struct {
    const char *name;
    const char *html, *plain, *irc;
  } cases[] = {
      {"\xE2\x80\xAEgnp.exe", "gnp.exe", "gnp.exe", "gnp.exe"},
      {"\342\201\247Bob\342\201\251 \342\200\253x", "Bob x", "Bob x", "Bob x"},
      {"<b>Bob</b> & \"Co\"", "&lt;b&gt;Bob&lt;/b&gt; &amp; &quot;Co&quot;", "<b>Bob</b> & \"Co\"",
       "&lt;b&gt;Bob&lt;/b&gt; &amp; \"Co\""},
      {"  Ann\r\n\tLee \x01\x03"
       "4  ",
       "Ann Lee 4", "Ann Lee 4", "Ann Lee 4"},
      {"\xE2\x80\xAE\x01", "", "", ""},
      {"Ren\xC3\xA9\xFF", "Ren\xC3\xA9\xEF\xBF\xBD", "Ren\xC3\xA9\xEF\xBF\xBD",
       "Ren\xC3\xA9\xEF\xBF\xBD"},
      {NULL, "", "", ""},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    char *html = tb_render_name(cases[i].name, TB_RENDER_HTML);
    char *plain = tb_render_name(cases[i].name, TB_RENDER_PLAIN);
    char *irc = tb_render_name(cases[i].name, TB_RENDER_IRC);
    char *esc = tb_render_name(cases[i].name, TB_RENDER_ESCAPED);

    g_assert_cmpstr(html, ==, cases[i].html);
    g_assert_cmpstr(plain, ==, cases[i].plain);
    g_assert_cmpstr(irc, ==, cases[i].irc);
    g_assert_cmpstr(esc, ==, cases[i].irc);
    g_assert_null(strchr(plain, '\n'));
    g_free(html);
    g_free(plain);
    g_free(irc);
    g_free(esc);
  }
}

static void
test_unescape_x(void)
{
  char *s = tb_render_unescape_x("&amp;amp; &lt;&gt; &quot; &#39; &AMP;");

  g_assert_cmpstr(s, ==, "&amp; <> &quot; &#39; &AMP;");
  g_free(s);
  s = tb_render_unescape_x(NULL);
  g_assert_cmpstr(s, ==, "");
  g_free(s);
}

int
main(int argc, char **argv)
{
  int rc;

  g_test_init(&argc, &argv, NULL);
  g_test_set_nonfatal_assertions(); /* a failing case reports and the run goes on */
  data_dir = tt_find_data_dir();
  if (data_dir == NULL)
    g_error("twitter-text data not found (set TB_TWITTER_TEXT_DIR)");
  cases = g_ptr_array_new_with_free_func(g_free);
  register_autolink();
  g_test_message("%u autolink cases from %s", cases->len, data_dir);

  g_test_add_func("/render/conformance/counts", test_autolink_counts);
  g_test_add_func("/render/tco-expansion", test_tco_expansion);
  g_test_add_func("/render/indices-off", test_indices_off);
  g_test_add_func("/render/note-tweet", test_note_tweet);
  g_test_add_func("/render/injection/markup", test_injection_markup);
  g_test_add_func("/render/injection/links", test_injection_links);
  g_test_add_func("/render/injection/only-web-links", test_links_only_web);
  g_test_add_func("/render/injection/entities", test_injection_entities);
  g_test_add_func("/render/injection/irc-controls", test_injection_irc);
  g_test_add_func("/render/injection/bidi", test_bidi_and_invisible);
  g_test_add_func("/render/names", test_names);
  g_test_add_func("/render/unescape-x", test_unescape_x);

  rc = g_test_run();
  g_ptr_array_unref(cases);
  tt_yaml_unload_all();
  g_free(data_dir);
  return rc;
}
