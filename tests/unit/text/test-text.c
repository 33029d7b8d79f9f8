/* Unit tests for tb-text: every case of the twitter-text conformance sections issue 6 names, read
 * from the YAML at run time (one GTest case per YAML case), plus the splitter and edge cases.
 *
 * The data directory is found as tt_find_data_dir() says ($TB_TWITTER_TEXT_DIR first).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "core/tb-text.h"

#include "tt-data.h"

#include <json-glib/json-glib.h>
#include <string.h>

static char *data_dir;

/* --- conformance cases ---------------------------------------------------------------------- */

typedef struct _Section Section;

typedef struct {
  const Section *section;
  yaml_document_t *doc;
  yaml_node_t *node; /* the case: description, text, expected */
} Case;

struct _Section {
  const char *file, *name;
  GTestDataFunc func;
  const TbTextConfig *config; /* weighted sections; NULL: tb_text_parse()'s default */
  unsigned mask;              /* extraction sections */
  const char *value_key;      /* *_with_indices: the key holding the value */
  guint registered;
};

static const char *
case_text(const Case *c)
{
  return tt_str(tt_map_get(c->doc, c->node, "text"));
}

static yaml_node_t *
case_expected(const Case *c)
{
  return tt_map_get(c->doc, c->node, "expected");
}

static void
test_tweet_validity(gconstpointer data)
{
  const Case *c = data;
  TbTextParse parse;

  tb_text_parse_with_config(case_text(c), c->section->config, &parse);
  g_assert_cmpint(parse.valid, ==, tt_bool(case_expected(c)));
}

static void
test_weighted(gconstpointer data)
{
  const Case *c = data;
  yaml_node_t *exp = case_expected(c);
  TbTextParse p;

  if (c->section->config != NULL)
    tb_text_parse_with_config(case_text(c), c->section->config, &p);
  else
    tb_text_parse(case_text(c), &p);
  g_assert_cmpint(p.weighted_length, ==, tt_int(tt_map_get(c->doc, exp, "weightedLength")));
  g_assert_cmpint(p.valid, ==, tt_bool(tt_map_get(c->doc, exp, "valid")));
  g_assert_cmpint(p.permillage, ==, tt_int(tt_map_get(c->doc, exp, "permillage")));
  g_assert_cmpint(p.display_range_start, ==, tt_int(tt_map_get(c->doc, exp, "displayRangeStart")));
  g_assert_cmpint(p.display_range_end, ==, tt_int(tt_map_get(c->doc, exp, "displayRangeEnd")));
  g_assert_cmpint(p.valid_range_start, ==, tt_int(tt_map_get(c->doc, exp, "validRangeStart")));
  g_assert_cmpint(p.valid_range_end, ==, tt_int(tt_map_get(c->doc, exp, "validRangeEnd")));
}

static void
test_extract_values(gconstpointer data)
{
  const Case *c = data;
  yaml_node_t *exp = case_expected(c);
  GPtrArray *got = tb_text_extract(case_text(c), c->section->mask);

  for (guint i = 0; i < got->len && i < tt_seq_len(exp); i++) {
    const TbEntity *e = g_ptr_array_index(got, i);
    g_assert_cmpstr(e->value, ==, tt_str(tt_seq_get(c->doc, exp, i)));
  }
  g_assert_cmpuint(got->len, ==, tt_seq_len(exp));
  g_ptr_array_unref(got);
}

static void
test_extract_indices(gconstpointer data)
{
  const Case *c = data;
  yaml_node_t *exp = case_expected(c);
  GPtrArray *got = tb_text_extract(case_text(c), c->section->mask);

  for (guint i = 0; i < got->len && i < tt_seq_len(exp); i++) {
    const TbEntity *e = g_ptr_array_index(got, i);
    yaml_node_t *want = tt_seq_get(c->doc, exp, i);
    yaml_node_t *indices = tt_map_get(c->doc, want, "indices");
    yaml_node_t *slug = tt_map_get(c->doc, want, "list_slug");

    g_assert_cmpstr(e->value, ==, tt_str(tt_map_get(c->doc, want, c->section->value_key)));
    g_assert_cmpint(e->start, ==, tt_int(tt_seq_get(c->doc, indices, 0)));
    g_assert_cmpint(e->end, ==, tt_int(tt_seq_get(c->doc, indices, 1)));
    if (slug != NULL) {
      /* twitter-text keeps the slash in list_slug; TbEntity does not. */
      char *ours = e->list_slug != NULL ? g_strconcat("/", e->list_slug, NULL) : g_strdup("");
      g_assert_cmpstr(ours, ==, tt_str(slug));
      g_assert_cmpint(e->kind, ==, e->list_slug != NULL ? TB_ENTITY_LIST : TB_ENTITY_MENTION);
      g_free(ours);
    }
  }
  g_assert_cmpuint(got->len, ==, tt_seq_len(exp));
  g_ptr_array_unref(got);
}

static void
test_extract_reply(gconstpointer data)
{
  const Case *c = data;
  yaml_node_t *exp = case_expected(c);
  char *got = tb_text_extract_reply(case_text(c));

  g_assert_cmpstr(got, ==, tt_is_null(exp) ? NULL : tt_str(exp));
  g_free(got);
}

#define EX(kind) TB_TEXT_EXTRACT(TB_ENTITY_##kind)
static Section sections[] = {
    {"validate.yml", "tweets", test_tweet_validity, .config = &tb_text_config_v1},
    {"validate.yml", "WeightedTweetsCounterTest", test_weighted, .config = &tb_text_config_v2},
    {"validate.yml", "WeightedTweetsWithDiscountedEmojiCounterTest", test_weighted,
     .config = &tb_text_config_v3},
    {"validate.yml", "UnicodeDirectionalMarkerCounterTest", test_weighted, .config = NULL},
    {"extract.yml", "mentions", test_extract_values, .mask = EX(MENTION)},
    {"extract.yml", "mentions_with_indices", test_extract_indices, .mask = EX(MENTION),
     .value_key = "screen_name"},
    {"extract.yml", "mentions_or_lists_with_indices", test_extract_indices,
     .mask = EX(MENTION) | EX(LIST), .value_key = "screen_name"},
    {"extract.yml", "replies", test_extract_reply, .mask = 0},
    {"extract.yml", "urls", test_extract_values, .mask = EX(URL)},
    {"extract.yml", "urls_with_indices", test_extract_indices, .mask = EX(URL), .value_key = "url"},
    {"extract.yml", "urls_with_directional_markers", test_extract_indices, .mask = EX(URL),
     .value_key = "url"},
    {"extract.yml", "tco_urls_with_params", test_extract_values, .mask = EX(URL)},
    {"extract.yml", "hashtags", test_extract_values, .mask = EX(HASHTAG)},
    {"extract.yml", "hashtags_from_astral", test_extract_values, .mask = EX(HASHTAG)},
    {"extract.yml", "hashtags_with_indices", test_extract_indices, .mask = EX(HASHTAG),
     .value_key = "hashtag"},
    {"extract.yml", "cashtags", test_extract_values, .mask = EX(CASHTAG)},
    {"extract.yml", "cashtags_with_indices", test_extract_indices, .mask = EX(CASHTAG),
     .value_key = "cashtag"},
};

static GPtrArray *cases; /* Case*, freed at exit */

static void
register_section(Section *sec)
{
  yaml_document_t *doc = tt_yaml_load(data_dir, sec->file);
  yaml_node_t *list = tt_yaml_section(doc, sec->name);
  char *prefix = g_strdup_printf("/text/conformance/%s/%s", sec->file, sec->name);

  if (list == NULL)
    g_error("%s has no section tests.%s", sec->file, sec->name);
  for (gsize i = 0; i < tt_seq_len(list); i++) {
    Case *c = g_new0(Case, 1);
    char *path;

    c->section = sec;
    c->doc = doc;
    c->node = tt_seq_get(doc, list, i);
    path = tt_case_path(prefix, i + 1, tt_str(tt_map_get(doc, c->node, "description")));
    g_test_add_data_func(path, c, sec->func);
    g_ptr_array_add(cases, c);
    sec->registered++;
    g_free(path);
  }
  g_free(prefix);
}

/* Every section ran as many cases as conformance-counts.json says it has. */
static void
test_conformance_counts(void)
{
  guint total = 0;

  for (gsize i = 0; i < G_N_ELEMENTS(sections); i++) {
    g_test_message("%s tests.%s: %u", sections[i].file, sections[i].name, sections[i].registered);
    g_assert_cmpint(sections[i].registered, ==,
                    tt_expected_count(data_dir, sections[i].file, sections[i].name));
    total += sections[i].registered;
  }
  g_assert_cmpuint(total, ==, cases->len);
}

/* The built-in configurations are the ones in config/v1.json .. v3.json. */
static void
test_configs_match_json(void)
{
  static const TbTextConfig *const configs[] = {&tb_text_config_v1, &tb_text_config_v2,
                                                &tb_text_config_v3};

  for (gsize v = 0; v < G_N_ELEMENTS(configs); v++) {
    const TbTextConfig *cfg = configs[v];
    char *name = g_strdup_printf("v%zu.json", v + 1);
    char *path = g_build_filename(data_dir, "config", name, NULL);
    JsonParser *parser = json_parser_new();
    GError *error = NULL;
    JsonObject *o;
    JsonArray *ranges;

    json_parser_load_from_file(parser, path, &error);
    g_assert_no_error(error);
    o = json_node_get_object(json_parser_get_root(parser));
    g_assert_cmpint(cfg->version, ==, json_object_get_int_member(o, "version"));
    g_assert_cmpint(cfg->max_weighted_length, ==,
                    json_object_get_int_member(o, "maxWeightedTweetLength"));
    g_assert_cmpint(cfg->scale, ==, json_object_get_int_member(o, "scale"));
    g_assert_cmpint(cfg->default_weight, ==, json_object_get_int_member(o, "defaultWeight"));
    g_assert_cmpint(cfg->transformed_url_length, ==,
                    json_object_get_int_member(o, "transformedURLLength"));
    g_assert_cmpint(cfg->emoji_parsing, ==,
                    json_object_get_boolean_member_with_default(o, "emojiParsingEnabled", FALSE));
    ranges = json_object_get_array_member(o, "ranges");
    g_assert_cmpuint(cfg->n_ranges, ==, json_array_get_length(ranges));
    for (guint i = 0; i < cfg->n_ranges; i++) {
      JsonObject *r = json_array_get_object_element(ranges, i);
      g_assert_cmpint(cfg->ranges[i].start, ==, json_object_get_int_member(r, "start"));
      g_assert_cmpint(cfg->ranges[i].end, ==, json_object_get_int_member(r, "end"));
      g_assert_cmpint(cfg->ranges[i].weight, ==, json_object_get_int_member(r, "weight"));
    }
    g_object_unref(parser);
    g_free(path);
    g_free(name);
  }
  g_assert_cmpint(tb_text_max_length(), ==, 280);
}

/* --- our own cases -------------------------------------------------------------------------- */

static int
weighted(const char *text)
{
  TbTextParse p;

  tb_text_parse(text, &p);
  return p.weighted_length;
}

static void
test_emoji_weights(void)
{
  static const struct {
    const char *text;
    int weight;
  } cases[] = {
      {"\xC2\xA9", 1},                         /* (C) alone is Latin-1 text */
      {"\xC2\xA9\xEF\xB8\x8F", 2},             /* (C) with VS16 is an emoji */
      {"\xE2\x9C\x8C\xEF\xB8\x8E", 4},         /* victory hand with VS15: text, 2 + 2 */
      {"\xE2\x9C\x8C\xF0\x9F\x8F\xBF", 2},     /* victory hand + skin tone: one emoji */
      {"\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7", 2}, /* flag FR: one pair */
      {"\xF0\x9F\x87\xAB", 2},                 /* a lone regional indicator */
      {"#\xEF\xB8\x8F\xE2\x83\xA3", 2},        /* keycap # with VS16 */
      {"1", 1},                                /* a digit is not an emoji */
      {"\xF0\x9F\x91\xA8\xE2\x80\x8D", 3},     /* man + dangling ZWJ: 2 + 1 */
      {"a\360\237\230\267b", 4},               /* emoji between letters */
      {"\xF0\x9F\x8F\xB4\xE2\x80\x8D\xE2\x98\xA0\xEF\xB8\x8F", 2}, /* pirate flag (ZWJ + VS16) */
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_test_message("case %zu", i);
    g_assert_cmpint(weighted(cases[i].text), ==, cases[i].weight);
  }
}

static void
test_parse_edges(void)
{
  TbTextParse p;

  tb_text_parse(NULL, &p);
  g_assert_cmpint(p.weighted_length, ==, 0);
  g_assert_false(p.valid);
  g_assert_cmpint(p.display_range_end, ==, 0);
  /* Invalid UTF-8 is repaired (one U+FFFD, weight 2), never read past. */
  tb_text_parse("ab\xFF", &p);
  g_assert_cmpint(p.weighted_length, ==, 4);
  g_assert_true(p.valid);
  /* 280 Latin letters fit, 281 do not, and the count says by how much. */
  char *s = g_strnfill(281, 'x');
  tb_text_parse(s, &p);
  g_assert_cmpint(p.weighted_length, ==, 281);
  g_assert_false(p.valid);
  g_assert_cmpint(p.valid_range_end, ==, 279);
  s[280] = '\0';
  tb_text_parse(s, &p);
  g_assert_true(p.valid);
  g_assert_cmpint(p.permillage, ==, 1000);
  g_free(s);
  /* Every URL is 23, however long. */
  tb_text_parse("see https://example.com/a/very/long/path/that/goes/on/and/on/and/on", &p);
  g_assert_cmpint(p.weighted_length, ==, 4 + 23);
}

static void
test_extract_mixed(void)
{
  GPtrArray *e =
      tb_text_extract("@alice see https://x.com/#tag #real $TWTR @bob/team", TB_TEXT_EXTRACT_ALL);
  static const struct {
    TbEntityKind kind;
    int start, end;
    const char *value, *slug;
  } want[] = {
      {TB_ENTITY_MENTION, 0, 6, "alice", NULL},
      {TB_ENTITY_URL, 11, 29, "https://x.com/#tag", NULL},
      {TB_ENTITY_HASHTAG, 30, 35, "real", NULL},
      {TB_ENTITY_CASHTAG, 36, 41, "TWTR", NULL},
      {TB_ENTITY_LIST, 42, 51, "bob", "team"},
  };

  g_assert_cmpuint(e->len, ==, G_N_ELEMENTS(want));
  for (guint i = 0; i < e->len; i++) {
    const TbEntity *x = g_ptr_array_index(e, i);
    g_assert_cmpint(x->kind, ==, want[i].kind);
    g_assert_cmpint(x->start, ==, want[i].start);
    g_assert_cmpint(x->end, ==, want[i].end);
    g_assert_cmpstr(x->value, ==, want[i].value);
    g_assert_cmpstr(x->list_slug, ==, want[i].slug);
  }
  g_ptr_array_unref(e);

  /* Autolink's setting: bare domains are not URLs. */
  e = tb_text_extract("example.com and https://example.org",
                      EX(URL) | TB_TEXT_EXTRACT_PROTOCOL_URLS_ONLY);
  g_assert_cmpuint(e->len, ==, 1);
  g_assert_cmpstr(((TbEntity *)g_ptr_array_index(e, 0))->value, ==, "https://example.org");
  g_ptr_array_unref(e);

  /* Code point indices past astral characters. */
  e = tb_text_extract("\xF0\x9F\x98\xB7 @a", EX(MENTION));
  g_assert_cmpuint(e->len, ==, 1);
  g_assert_cmpint(((TbEntity *)g_ptr_array_index(e, 0))->start, ==, 2);
  g_ptr_array_unref(e);
}

/* Long texts are matched in chunks that start at spaces (see matches_next in tb-text.c): the
 * extract.yml texts of a section joined by spaces, repeated to span several chunks, must give
 * every text's own entities, shifted. */
static void
test_extract_long_text(void)
{
  static const struct {
    const char *section;
    unsigned mask;
  } kinds[] = {{"mentions", EX(MENTION) | EX(LIST)},
               {"urls", EX(URL)},
               {"hashtags", EX(HASHTAG)},
               {"cashtags", EX(CASHTAG)}};
  yaml_document_t *doc = tt_yaml_load(data_dir, "extract.yml");

  for (gsize k = 0; k < G_N_ELEMENTS(kinds); k++) {
    yaml_node_t *list = tt_yaml_section(doc, kinds[k].section);
    GString *joined = g_string_new(NULL);
    GPtrArray *want = g_ptr_array_new_with_free_func((GDestroyNotify)tb_entity_free);
    GPtrArray *got;
    glong offset = 0;

    /* Round after round until the text spans several chunks. */
    for (gsize i = 0; joined->len <= 4 * 512 || i % tt_seq_len(list) != 0; i++) {
      yaml_node_t *item = tt_seq_get(doc, list, i % tt_seq_len(list));
      const char *text = tt_str(tt_map_get(doc, item, "text"));
      GPtrArray *one = tb_text_extract(text, kinds[k].mask);

      for (guint j = 0; j < one->len; j++) {
        TbEntity *e = g_ptr_array_steal_index(one, j--);
        e->start += (int)offset;
        e->end += (int)offset;
        g_ptr_array_add(want, e);
      }
      g_ptr_array_unref(one);
      g_string_append(joined, text);
      g_string_append_c(joined, ' ');
      offset += g_utf8_strlen(text, -1) + 1;
    }
    g_assert_cmpuint(joined->len, >, 4 * 512);
    got = tb_text_extract(joined->str, kinds[k].mask);
    g_test_message("%s: %u entities in %zu bytes", kinds[k].section, got->len, joined->len);
    g_assert_cmpuint(got->len, ==, want->len);
    for (guint j = 0; j < got->len && j < want->len; j++) {
      const TbEntity *a = g_ptr_array_index(got, j), *b = g_ptr_array_index(want, j);
      g_assert_cmpstr(a->value, ==, b->value);
      g_assert_cmpint(a->start, ==, b->start);
      g_assert_cmpint(a->end, ==, b->end);
    }
    g_ptr_array_unref(got);
    g_ptr_array_unref(want);
    g_string_free(joined, TRUE);
  }
}

/* --- splitting ------------------------------------------------------------------------------ */

static GString *
words(const char *word, int n)
{
  GString *s = g_string_new(NULL);

  for (int i = 0; i < n; i++)
    g_string_append_printf(s, "%s%s", i ? " " : "", word);
  return s;
}

static void
assert_parts_valid(GPtrArray *parts, int max)
{
  TbTextConfig cfg = tb_text_config_v3;

  cfg.max_weighted_length = max;
  for (guint i = 0; i < parts->len; i++) {
    TbTextParse p;
    const char *part = g_ptr_array_index(parts, i);

    tb_text_parse_with_config(part, &cfg, &p);
    g_assert_true(p.valid);
    g_assert_false(g_unichar_isspace(g_utf8_get_char(part)));
  }
}

static void
test_split_plain(void)
{
  GString *text = words("lorem", 100); /* 599 characters */
  GPtrArray *parts = tb_text_split_thread(text->str, 280, TRUE);
  GString *joined = g_string_new(NULL);

  g_assert_nonnull(parts);
  g_assert_cmpuint(parts->len, ==, 3);
  assert_parts_valid(parts, 280);
  for (guint i = 0; i < parts->len; i++) {
    char *suffix = g_strdup_printf(" (%u/3)", i + 1);
    const char *part = g_ptr_array_index(parts, i);

    g_assert_true(g_str_has_suffix(part, suffix));
    g_string_append_len(joined, part, (gssize)(strlen(part) - strlen(suffix)));
    if (i + 1 < parts->len)
      g_string_append_c(joined, ' ');
    g_free(suffix);
  }
  g_assert_cmpstr(joined->str, ==, text->str); /* nothing lost, nothing added */
  g_string_free(joined, TRUE);
  g_ptr_array_unref(parts);

  /* Short text: one part, no number. */
  parts = tb_text_split_thread("  hello  ", 280, TRUE);
  g_assert_cmpuint(parts->len, ==, 1);
  g_assert_cmpstr(g_ptr_array_index(parts, 0), ==, "hello");
  g_ptr_array_unref(parts);

  parts = tb_text_split_thread(" \n ", 280, TRUE);
  g_assert_cmpuint(parts->len, ==, 0);
  g_ptr_array_unref(parts);
  g_string_free(text, TRUE);
}

static void
test_split_ten_or_more(void)
{
  GString *text = words("ab", 1000); /* 2999 characters: more than 9 parts, 2-digit numbers */
  GPtrArray *parts = tb_text_split_thread(text->str, 280, TRUE);
  char *last;

  g_assert_nonnull(parts);
  g_assert_cmpuint(parts->len, >=, 10);
  assert_parts_valid(parts, 280);
  last = g_strdup_printf(" (%u/%u)", parts->len, parts->len);
  g_assert_true(g_str_has_suffix(g_ptr_array_index(parts, parts->len - 1), last));
  g_free(last);
  g_ptr_array_unref(parts);
  g_string_free(text, TRUE);
}

static void
test_split_keeps_units(void)
{
  /* One long word with URLs, mentions and family emoji and no space: split inside the word, but
   * never inside an entity or an emoji sequence. */
  static const char *const unit[] = {
      "https://example.com/path", "@someone",
      "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7",
      "e\xCC\x81", /* e + combining acute */
  };
  GString *text = g_string_new(NULL);
  GPtrArray *parts;
  GString *joined = g_string_new(NULL);

  for (int i = 0; i < 60; i++)
    g_string_append_printf(text, "%s.", unit[i % G_N_ELEMENTS(unit)]);
  parts = tb_text_split_thread(text->str, 100, FALSE);
  g_assert_nonnull(parts);
  g_assert_cmpuint(parts->len, >, 1);
  assert_parts_valid(parts, 100);
  for (guint i = 0; i < parts->len; i++) {
    const char *part = g_ptr_array_index(parts, i);
    /* Each part starts where a unit starts. */
    gboolean ok = FALSE;
    for (gsize u = 0; u < G_N_ELEMENTS(unit); u++)
      ok = ok || g_str_has_prefix(part, unit[u]) || part[0] == '.';
    g_assert_true(ok);
    g_string_append(joined, part);
  }
  g_assert_cmpstr(joined->str, ==, text->str);
  g_string_free(joined, TRUE);
  g_string_free(text, TRUE);
  g_ptr_array_unref(parts);

  /* Nothing fits in 5: impossible. */
  g_assert_null(tb_text_split_thread("https://example.com/x https://example.com/y", 5, FALSE));
}

int
main(int argc, char **argv)
{
  int rc;
  guint total = 0;

  g_test_init(&argc, &argv, NULL);
  g_test_set_nonfatal_assertions(); /* a failing case reports and the run goes on */
  data_dir = tt_find_data_dir();
  if (data_dir == NULL)
    g_error("twitter-text data not found (set TB_TWITTER_TEXT_DIR)");
  cases = g_ptr_array_new_with_free_func(g_free);
  for (gsize i = 0; i < G_N_ELEMENTS(sections); i++) {
    register_section(&sections[i]);
    g_test_message("%s tests.%s: %u cases", sections[i].file, sections[i].name,
                   sections[i].registered);
    total += sections[i].registered;
  }
  g_test_message("%u conformance cases from %s", total, data_dir);

  g_test_add_func("/text/conformance/counts", test_conformance_counts);
  g_test_add_func("/text/config/matches-json", test_configs_match_json);
  g_test_add_func("/text/parse/emoji", test_emoji_weights);
  g_test_add_func("/text/parse/edges", test_parse_edges);
  g_test_add_func("/text/extract/mixed", test_extract_mixed);
  g_test_add_func("/text/extract/long-text", test_extract_long_text);
  g_test_add_func("/text/split/plain", test_split_plain);
  g_test_add_func("/text/split/ten-or-more", test_split_ten_or_more);
  g_test_add_func("/text/split/keeps-units", test_split_keeps_units);

  rc = g_test_run();
  g_ptr_array_unref(cases);
  tt_yaml_unload_all();
  g_free(data_dir);
  return rc;
}
