/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-text.h"

#include <string.h>

/* The top-level domain lists, generated from twitter-text's tld_lib.yml (see gen/gen-tlds.py). */
#include "gen/tb-tlds.inc"

/* --- configurations (twitter-text config/v1.json, v2.json, v3.json) ------------------------- */

static const TbTextWeightRange weighted_ranges[] = {
    {0x0000, 0x10FF, 100}, /* Latin, Greek, Cyrillic, Hebrew, Arabic, Indic ... */
    {0x2000, 0x200D, 100}, /* spaces and joiners */
    {0x2010, 0x201F, 100}, /* dashes and quotes */
    {0x2032, 0x2037, 100}, /* primes */
};

const TbTextConfig tb_text_config_v1 = {1, 140, 1, 1, FALSE, 23, NULL, 0};
const TbTextConfig tb_text_config_v2 = {
    2, 280, 100, 200, FALSE, 23, weighted_ranges, G_N_ELEMENTS(weighted_ranges)};
const TbTextConfig tb_text_config_v3 = {
    3, 280, 100, 200, TRUE, 23, weighted_ranges, G_N_ELEMENTS(weighted_ranges)};

/* --- twitter-text's character groups, as PCRE class contents -------------------------------- */

#define SPACES                                                                                     \
  "\\x{09}-\\x{0D}\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{180E}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}"    \
  "\\x{202F}\\x{205F}\\x{3000}"
#define INVALID_CHARS "\\x{FFFE}\\x{FEFF}\\x{FFFF}"
#define DIRECTIONAL_MARKS "\\x{202A}-\\x{202E}\\x{061C}\\x{200E}\\x{200F}\\x{2066}-\\x{2069}"
/* ASCII punctuation as twitter-text lists it (without '"' and '`'). */
#define PUNCT "!'#%&()*+,\\\\\\-./:;<=>?@\\[\\]\\^_{|}~$"
#define LATIN_ACCENTS                                                                              \
  "\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{FF}\\x{100}-\\x{24F}\\x{253}\\x{254}\\x{256}\\x{257}" \
  "\\x{259}\\x{25B}\\x{263}\\x{268}\\x{26F}\\x{272}\\x{289}\\x{28B}\\x{2BB}\\x{300}-\\x{36F}"      \
  "\\x{1E00}-\\x{1EFF}"
#define CYRILLIC "\\x{400}-\\x{4FF}"
#define AT_SIGNS "@\\x{FF20}"
#define HASH_SIGNS "#\\x{FF03}"

/* URLs (twitter-text's extractUrl): a preceding character that is not part of a word, an
 * optional protocol, a domain ending in a known TLD, then port, path and query. */
#define DOMAIN_CHAR "[^" PUNCT SPACES INVALID_CHARS DIRECTIONAL_MARKS "]"
#define SUBDOMAIN "(?:(?:" DOMAIN_CHAR "(?:[_-]|" DOMAIN_CHAR ")*)?" DOMAIN_CHAR "\\.)"
#define DOMAIN_NAME "(?:(?:" DOMAIN_CHAR "(?:-|" DOMAIN_CHAR ")*)?" DOMAIN_CHAR "\\.)"
#define PUNYCODE_TLD "(?:[Xx][Nn]--[0-9A-Za-z-]+)"
#define PATH_CHAR "[A-Za-z" CYRILLIC "0-9!*';:=+,.$/%#\\[\\]\\-\\x{2013}_~@|&" LATIN_ACCENTS "]"
#define BALANCED_PARENS                                                                            \
  "\\((?:" PATH_CHAR "+|(?:" PATH_CHAR "*\\(" PATH_CHAR "+\\)" PATH_CHAR "*))\\)"
#define PATH_END "(?:[+\\-A-Za-z" CYRILLIC "0-9=_#/" LATIN_ACCENTS "]|" BALANCED_PARENS ")"
#define PATH                                                                                       \
  "(?:(?:" PATH_CHAR "*(?:" BALANCED_PARENS PATH_CHAR "*)*" PATH_END ")|(?:@" PATH_CHAR "+/))"
#define QUERY_CHAR "[A-Za-z0-9!?*'@();:&=+$/%#\\[\\]\\-_.,~|]"
#define QUERY_END "[A-Za-z0-9\\-_&=#/]"
#define QUERY "(?:\\?" QUERY_CHAR "*" QUERY_END ")"
/* The TLD alternation, built from the generated lists, goes between _HEAD and _TAIL. */
#define URL_PATTERN_HEAD                                                                           \
  "(?<pre>[^A-Za-z0-9" AT_SIGNS "$" HASH_SIGNS INVALID_CHARS "]|^)"                                \
  "(?<url>(?<proto>[Hh][Tt][Tt][Pp][Ss]?://)?"                                                     \
  "(?<domain>" SUBDOMAIN "*" DOMAIN_NAME "(?:"
#define URL_PATTERN_TAIL "|" PUNYCODE_TLD "))(?::[0-9]+)?(?<path>/" PATH "*)?" QUERY "?)"
/* The ASCII-only domains inside a domain found without protocol. */
#define ASCII_DOMAIN_PATTERN_HEAD "(?:[\\-A-Za-z0-9" LATIN_ACCENTS "]+\\.)+(?:"
#define ASCII_DOMAIN_PATTERN_TAIL "|" PUNYCODE_TLD ")"
#define TCO_PATTERN "[Hh][Tt][Tt][Pp][Ss]?://[Tt]\\.[Cc][Oo]/(?<slug>[A-Za-z0-9]+)" QUERY "?"

/* Mentions and lists: the preceding character may not be a word or email character, except for
 * the "RT" of a retweet; a username has 1 to 20 characters, a list slug 1 to 25. */
#define MENTION_PATTERN                                                                            \
  "(?:^|[^A-Za-z0-9_!#$%&*" AT_SIGNS "]|(?:^|[^A-Za-z0-9_+~.\\-])(?:rt|RT|rT|Rt):?)"               \
  "[" AT_SIGNS "](?<name>[A-Za-z0-9_]{1,20})(?:/(?<slug>[A-Za-z][A-Za-z0-9_\\-]{0,24}))?"
#define REPLY_PATTERN "^[" SPACES "]*[" AT_SIGNS "](?<name>[A-Za-z0-9_]{1,20})"

/* Hashtags: letters, marks, decimal digits and a few joiners, at least one letter or mark. */
#define HASHTAG_ALPHA "[\\p{L}\\p{M}]"
#define HASHTAG_ALNUM                                                                              \
  "[\\p{L}\\p{M}\\p{Nd}_\\x{200C}\\x{200D}\\x{A67E}\\x{05BE}\\x{05F3}\\x{05F4}\\x{FF5E}\\x{301C}"  \
  "\\x{309B}\\x{309C}\\x{30A0}\\x{30FB}\\x{3003}\\x{0F0B}\\x{0F0C}\\x{00B7}]"
#define HASHTAG_PATTERN                                                                            \
  "(?:^|\\x{FE0E}|\\x{FE0F}|(?!" HASHTAG_ALNUM "|&)(?s:.))"                                        \
  "[" HASH_SIGNS "](?!\\x{FE0F}|\\x{20E3})"                                                        \
  "(?<tag>" HASHTAG_ALNUM "*" HASHTAG_ALPHA HASHTAG_ALNUM "*)"

/* Cashtags: $ and 1 to 6 letters (plus .xx or _xx) after a space, before a space or punctuation. */
#define CASHTAG_PATTERN                                                                            \
  "(?:^|[" SPACES "])\\$(?<tag>[A-Za-z]{1,6}(?:[._][A-Za-z]{1,2})?)"                               \
  "(?![^" SPACES "\\x{FEFF}" PUNCT "])"

/* Emoji sequences (Unicode TR51 grammar, PCRE2's emoji properties): keycaps, flags, and emoji
 * with presentation selector, skin tone, tags and ZWJ-joined elements. A text-style emoji counts
 * unless U+FE0E asks for text; (C) and (R) are emoji only with U+FE0F, as on X, so plain ones
 * keep their Latin-1 weight. */
#define EMOJI_ELEMENT                                                                              \
  "(?:\\p{Emoji_Modifier_Base}\\p{Emoji_Modifier}"                                                 \
  "|(?![#*0-9\\x{A9}\\x{AE}])\\p{Emoji}(?!\\x{FE0E})"                                              \
  "|[\\x{A9}\\x{AE}](?=\\x{FE0F}))\\x{FE0F}?"
#define EMOJI_PATTERN                                                                              \
  "[#*0-9]\\x{FE0F}?\\x{20E3}"                                                                     \
  "|\\p{Regional_Indicator}{2}"                                                                    \
  "|" EMOJI_ELEMENT "(?:[\\x{E0020}-\\x{E007E}]+\\x{E007F})?(?:\\x{200D}" EMOJI_ELEMENT ")*"

#define MAX_URL_LENGTH 4096 /* UTF-16 units, protocol included */
#define MAX_TCO_SLUG_LENGTH 40
#define MAX_DOMAIN_LABEL_LENGTH 63

typedef struct {
  GRegex *url, *ascii_domain, *tco, *mention, *reply, *hashtag, *cashtag, *emoji;
} TbTextRegexes;

static GRegex *
compile(const char *pattern)
{
  GError *error = NULL;
  /* No G_REGEX_OPTIMIZE: PCRE2's JIT runs out of stack on long domains (twitter-text's
   * conformance has a 12,000-character one) where the interpreter copes. */
  GRegex *re = g_regex_new(pattern, 0, 0, &error);

  /* The patterns are constants: failing to compile one is a bug, not a runtime condition. */
  if (re == NULL)
    g_error("tb-text: pattern does not compile: %s", error->message);
  return re;
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends the sorted words[lo, hi), which share their first depth bytes, as a prefix tree:
 * "ba(?:nk|r)" rather than "bank|bar", so PCRE follows one branch per character instead of trying
 * some 1,500 names in turn (ten times faster on text with many dots). Branches split at whole
 * UTF-8 characters, which keeps every piece of the pattern valid UTF-8. */
static void
append_trie(GString *re, const char *const *words, gsize lo, gsize hi, gsize depth)
{
  GString *alts = g_string_new(NULL);
  gboolean optional = words[lo][depth] == '\0'; /* a word ends here; it sorts first */
  guint branches = 0;

  for (gsize i = optional ? lo + 1 : lo, j; i < hi; i = j) {
    const char *c = words[i] + depth;
    gsize len = (gsize)(g_utf8_next_char(c) - c);
    char *quoted = g_regex_escape_string(c, (gint)len);

    for (j = i + 1; j < hi && strncmp(words[j] + depth, c, len) == 0; j++)
      ;
    if (branches++ > 0)
      g_string_append_c(alts, '|');
    g_string_append(alts, quoted);
    append_trie(alts, words, i, j, depth + len);
    g_free(quoted);
  }
  if (branches == 1 && !optional)
    g_string_append(re, alts->str);
  else if (branches > 0)
    g_string_append_printf(re, "(?:%s)%s", alts->str, optional ? "?" : "");
  g_string_free(alts, TRUE);
}

/* All TLDs as one case-insensitive pattern. */
static char *
tld_alternation(void)
{
  static const char *const *const lists[] = {tb_tlds_generic, tb_tlds_country};
  GPtrArray *words = g_ptr_array_new();
  GString *s = g_string_new("(?i:");
  guint n = 0;

  for (gsize l = 0; l < G_N_ELEMENTS(lists); l++) {
    for (const char *const *tld = lists[l]; *tld != NULL; tld++)
      g_ptr_array_add(words, (gpointer)*tld);
  }
  g_ptr_array_sort(words, compare_strings);
  for (guint i = 0; i < words->len; i++) { /* drop duplicates */
    if (n == 0 || strcmp(words->pdata[i], words->pdata[n - 1]) != 0)
      words->pdata[n++] = words->pdata[i];
  }
  append_trie(s, (const char *const *)words->pdata, 0, n, 0);
  /* A TLD ends the name: no letter, digit, @, + or - may follow. */
  g_string_append(s, "(?![0-9A-Za-z@+\\-]))");
  g_ptr_array_unref(words);
  return g_string_free(s, FALSE);
}

static gpointer
compile_all(gpointer data)
{
  TbTextRegexes *re = g_new0(TbTextRegexes, 1);
  char *tlds = tld_alternation();
  char *pattern;

  (void)data;
  pattern = g_strconcat(URL_PATTERN_HEAD, tlds, URL_PATTERN_TAIL, NULL);
  re->url = compile(pattern);
  g_free(pattern);
  pattern = g_strconcat(ASCII_DOMAIN_PATTERN_HEAD, tlds, ASCII_DOMAIN_PATTERN_TAIL, NULL);
  re->ascii_domain = compile(pattern);
  g_free(pattern);
  g_free(tlds);
  re->tco = compile(TCO_PATTERN);
  re->mention = compile(MENTION_PATTERN);
  re->reply = compile(REPLY_PATTERN);
  re->hashtag = compile(HASHTAG_PATTERN);
  re->cashtag = compile(CASHTAG_PATTERN);
  re->emoji = compile(EMOJI_PATTERN);
  return re;
}

/* Compiled once per process and kept: they are shared, read-only and thread-safe. */
static const TbTextRegexes *
regexes(void)
{
  static GOnce once = G_ONCE_INIT;

  return g_once(&once, compile_all, NULL);
}

/* --- small helpers -------------------------------------------------------------------------- */

static char *
make_valid(const char *utf8)
{
  return g_utf8_make_valid(utf8 != NULL ? utf8 : "", -1);
}

static int
utf16_units(gunichar c)
{
  return c > 0xFFFF ? 2 : 1;
}

static glong
utf16_length(const char *s, gssize len)
{
  glong n = 0;
  const char *end = s + (len < 0 ? (gssize)strlen(s) : len);

  for (const char *p = s; p < end; p = g_utf8_next_char(p))
    n += utf16_units(g_utf8_get_char(p));
  return n;
}

static gboolean
is_invalid_char(gunichar c)
{
  return c == 0xFFFE || c == 0xFEFF || c == 0xFFFF;
}

typedef gunichar TbRange[2]; /* first and last code point */

static gboolean
in_ranges(gunichar c, const TbRange *ranges, gsize n)
{
  for (gsize i = 0; i < n; i++) {
    if (c >= ranges[i][0] && c <= ranges[i][1])
      return TRUE;
  }
  return FALSE;
}

static gboolean
is_latin_accent(gunichar c)
{
  static const TbRange ranges[] = {
      {0xC0, 0xD6},   {0xD8, 0xF6},     {0xF8, 0xFF},   {0x100, 0x24F}, {0x253, 0x254},
      {0x256, 0x257}, {0x259, 0x259},   {0x25B, 0x25B}, {0x263, 0x263}, {0x268, 0x268},
      {0x26F, 0x26F}, {0x272, 0x272},   {0x289, 0x289}, {0x28B, 0x28B}, {0x2BB, 0x2BB},
      {0x300, 0x36F}, {0x1E00, 0x1EFF},
  };

  return in_ranges(c, ranges, G_N_ELEMENTS(ranges));
}

/* What may not follow a mention (twitter-text's endMentionMatch): another @, an accented Latin
 * letter (the name goes on), or "://" (it was a URL's scheme). */
static gboolean
mention_ends_badly(const char *after)
{
  gunichar c = g_utf8_get_char(after);

  return c == '@' || c == 0xFF20 || is_latin_accent(c) || g_str_has_prefix(after, "://");
}

/* What may not follow a hashtag (endHashtagMatch): another hash sign, or "://". */
static gboolean
hashtag_ends_badly(const char *after)
{
  gunichar c = g_utf8_get_char(after);

  return c == '#' || c == 0xFF03 || g_str_has_prefix(after, "://");
}

/* Converts ascending byte offsets of one string to code point indices without rescanning. */
typedef struct {
  const char *s;
  gsize byte;
  glong cp;
} TbCpCursor;

static glong
cp_index(TbCpCursor *c, gsize byte)
{
  if (byte < c->byte) {
    c->byte = 0;
    c->cp = 0;
  }
  c->cp += g_utf8_pointer_to_offset(c->s + c->byte, c->s + byte);
  c->byte = byte;
  return c->cp;
}

/* twitter-text's spaces (the SPACES class above). */
static gboolean
is_space(gunichar c)
{
  static const TbRange ranges[] = {
      {0x09, 0x0D},     {0x20, 0x20},     {0x85, 0x85},     {0xA0, 0xA0},
      {0x1680, 0x1680}, {0x180E, 0x180E}, {0x2000, 0x200A}, {0x2028, 0x2029},
      {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000},
  };

  return in_ranges(c, ranges, G_N_ELEMENTS(ranges));
}

/* Global matching in chunks. GRegex re-reads the rest of the subject on every match (PCRE2's
 * UTF-8 check), so matching a long text with many entities was quadratic. No pattern here
 * matches across a space except with the space as its first (preceding) character, so chunks
 * that start at a space give exactly the matches of the whole string. */
#define MATCH_CHUNK 512 /* bytes, at least */

typedef struct {
  const GRegex *re;
  const char *s;
  gsize len, end; /* of the string; of the current chunk */
  GMatchInfo *mi; /* the current chunk's match */
} TbMatches;

static void
matches_init(TbMatches *m, const GRegex *re, const char *s)
{
  m->re = re;
  m->s = s;
  m->len = strlen(s);
  m->end = 0;
  m->mi = NULL;
}

/* Where the chunk that starts at start ends: at the first space MATCH_CHUNK bytes on. */
static gsize
chunk_end(const char *s, gsize len, gsize start)
{
  const char *p = s + start + MATCH_CHUNK;

  if (start + MATCH_CHUNK >= len)
    return len;
  while ((*p & 0xC0) == 0x80) /* to a character boundary */
    p++;
  for (; *p != '\0'; p = g_utf8_next_char(p)) {
    if (is_space(g_utf8_get_char(p)))
      return (gsize)(p - s);
  }
  return len;
}

/* Moves to the next match (the first one on the first call); FALSE when there are no more. */
static gboolean
matches_next(TbMatches *m)
{
  if (m->mi != NULL && g_match_info_next(m->mi, NULL))
    return TRUE;
  while (m->end < m->len) {
    gsize start = m->end;

    g_clear_pointer(&m->mi, g_match_info_free);
    m->end = chunk_end(m->s, m->len, start);
    if (g_regex_match_full(m->re, m->s, (gssize)m->end, (gint)start, 0, &m->mi, NULL))
      return TRUE;
  }
  g_clear_pointer(&m->mi, g_match_info_free);
  return FALSE;
}

/* An entity over the bytes [start, end) of the cursor's string; start is converted first, so
 * the cursor only moves forward. */
static TbEntity *
entity_new(TbEntityKind kind, TbCpCursor *cur, gsize start, gsize end, const char *value,
           gssize value_len)
{
  TbEntity *e = g_new0(TbEntity, 1);

  e->kind = kind;
  e->start = (int)cp_index(cur, start);
  e->end = (int)cp_index(cur, end);
  e->value = g_strndup(value, value_len);
  return e;
}

void
tb_entity_free(TbEntity *entity)
{
  if (entity == NULL)
    return;
  g_free(entity->value);
  g_free(entity->list_slug);
  g_free(entity);
}

static GPtrArray *
entity_array_new(void)
{
  return g_ptr_array_new_with_free_func((GDestroyNotify)tb_entity_free);
}

static gint
compare_entity_start(gconstpointer a, gconstpointer b)
{
  const TbEntity *x = *(const TbEntity *const *)a;
  const TbEntity *y = *(const TbEntity *const *)b;

  return (x->start > y->start) - (x->start < y->start);
}

/* twitter-text's removeOverlappingEntities: in start order, drop whatever begins inside the
 * entity kept before it. */
static void
remove_overlaps(GPtrArray *entities)
{
  guint i = 1;

  g_ptr_array_sort(entities, compare_entity_start);
  while (i < entities->len) {
    const TbEntity *prev = g_ptr_array_index(entities, i - 1);
    const TbEntity *cur = g_ptr_array_index(entities, i);

    if (prev->end > cur->start)
      g_ptr_array_remove_index(entities, i);
    else
      i++;
  }
}

/* --- punycode (RFC 3492), for the DNS label length limit ------------------------------------ */

enum { PUNY_BASE = 36, PUNY_TMIN = 1, PUNY_TMAX = 26, PUNY_SKEW = 38, PUNY_DAMP = 700 };

static guint64
puny_adapt(guint64 delta, guint64 points, gboolean first)
{
  guint64 k = 0;

  delta = first ? delta / PUNY_DAMP : delta / 2;
  delta += delta / points;
  while (delta > ((PUNY_BASE - PUNY_TMIN) * PUNY_TMAX) / 2) {
    delta /= PUNY_BASE - PUNY_TMIN;
    k += PUNY_BASE;
  }
  return k + (PUNY_BASE - PUNY_TMIN + 1) * delta / (delta + PUNY_SKEW);
}

/* Length of the punycode encoding of cps (no "xn--"), counting no further than limit. */
static gsize
puny_encoded_length(const gunichar *cps, gsize n, gsize limit)
{
  gsize out = 0, basic = 0, handled;
  guint64 delta = 0, bias = 72, next = 0x80;

  for (gsize i = 0; i < n; i++) {
    if (cps[i] < 0x80)
      basic++;
  }
  out = basic + (basic > 0 ? 1 : 0);
  handled = basic;
  while (handled < n && out <= limit) {
    guint64 m = G_MAXUINT64;

    for (gsize i = 0; i < n; i++) {
      if (cps[i] >= next && cps[i] < m)
        m = cps[i];
    }
    delta += (m - next) * (handled + 1);
    next = m;
    for (gsize i = 0; i < n; i++) {
      if (cps[i] < next)
        delta++;
      if (cps[i] != next)
        continue;
      guint64 q = delta;
      for (guint64 k = PUNY_BASE;; k += PUNY_BASE) {
        guint64 t = k <= bias ? PUNY_TMIN : k >= bias + PUNY_TMAX ? PUNY_TMAX : k - bias;
        if (q < t)
          break;
        out++;
        q = (q - t) / (PUNY_BASE - t);
      }
      out++;
      bias = puny_adapt(delta, handled + 1, handled == basic);
      delta = 0;
      handled++;
    }
    delta++;
    next++;
  }
  return out;
}

/* Length of punycode.toASCII(label) as twitter-text's idna check computes it: the label may
 * hold other full stops (U+3002, U+FF0E, U+FF61) that punycode.js treats as separators. */
static gsize
label_ascii_length(const char *label, gsize len)
{
  glong n = 0;
  gunichar *cps = g_utf8_to_ucs4_fast(label, (glong)len, &n);
  gsize total = 0, start = 0;

  for (gsize i = 0; i <= (gsize)n; i++) {
    gboolean sep = i == (gsize)n || cps[i] == 0x3002 || cps[i] == 0xFF0E || cps[i] == 0xFF61;
    gboolean ascii = TRUE;

    if (!sep)
      continue;
    for (gsize j = start; j < i; j++)
      ascii = ascii && cps[j] <= 0x7E;
    total += ascii ? i - start
                   : 4 + puny_encoded_length(cps + start, i - start, MAX_DOMAIN_LABEL_LENGTH);
    total += i < (gsize)n ? 1 : 0;
    start = i + 1;
  }
  g_free(cps);
  return total;
}

/* twitter-text's isValidUrl: a punycode-looking domain must be ASCII, every DNS label must encode
 * to 1..63 characters, and the URL must stay within 4096 UTF-16 units (with "https://" counted
 * for a URL without protocol). */
static gboolean
url_is_valid(const char *url, gsize url_len, gsize protocol_len, const char *domain,
             gsize domain_len)
{
  const char *end = domain + domain_len;
  const char *label = domain;

  if (domain_len >= 4 && strncmp(domain, "xn--", 4) == 0) {
    char *copy = g_strndup(domain, domain_len);
    gboolean ascii = g_regex_match(regexes()->ascii_domain, copy, 0, NULL);

    g_free(copy);
    if (!ascii)
      return FALSE;
  }
  for (const char *p = domain; p <= end; p++) {
    if (p < end && *p != '.')
      continue;
    gsize n = label_ascii_length(label, (gsize)(p - label));
    if (n < 1 || n > MAX_DOMAIN_LABEL_LENGTH)
      return FALSE;
    label = p + 1;
  }
  /* twitter-text adds the protocol's length even when the URL already starts with it. */
  return (glong)protocol_len + utf16_length(url, (gssize)url_len) <= MAX_URL_LENGTH;
}

/* --- extractors ----------------------------------------------------------------------------- */

static gboolean
group_pos(GMatchInfo *mi, const char *name, int *start, int *end)
{
  return g_match_info_fetch_named_pos(mi, name, start, end) && *start >= 0 && *end > *start;
}

/* A URL without protocol: only the ASCII domains inside what the URL pattern matched count
 * (twitter-text finds "example.com" in "example.com中国語t.co"); the last one takes the path. */
static void
add_bare_urls(const char *s, TbCpCursor *cur, int url_end, int dom_start, int dom_end,
              gboolean has_path, GPtrArray *out)
{
  char *domain = g_strndup(s + dom_start, (gsize)(dom_end - dom_start));
  TbEntity *last = NULL;
  GMatchInfo *mi;

  g_regex_match(regexes()->ascii_domain, domain, 0, &mi);
  while (g_match_info_matches(mi)) {
    int ms, me;

    g_match_info_fetch_pos(mi, 0, &ms, &me);
    last = entity_new(TB_ENTITY_URL, cur, (gsize)(dom_start + ms), (gsize)(dom_start + me),
                      domain + ms, me - ms);
    g_ptr_array_add(out, last);
    g_match_info_next(mi, NULL);
  }
  g_match_info_free(mi);
  if (last != NULL && has_path) {
    char *with_path = g_strdup_printf("%s%.*s", last->value, url_end - dom_end, s + dom_end);

    g_free(last->value);
    last->value = with_path;
    last->end = (int)cp_index(cur, (gsize)url_end);
  }
  g_free(domain);
}

static void
extract_urls(const char *s, gboolean bare_too, GPtrArray *out)
{
  TbCpCursor cur = {s, 0, 0};
  TbMatches m;

  /* twitter-text's shortcut: no '.' means no domain, no ':' means no protocol. */
  if (strchr(s, bare_too ? '.' : ':') == NULL)
    return;
  matches_init(&m, regexes()->url, s);
  while (matches_next(&m)) {
    GMatchInfo *mi = m.mi;
    int pre_s, pre_e, us, ue, ps, pe, ds, de, ts = 0, te = 0;
    gboolean has_proto = group_pos(mi, "proto", &ps, &pe);

    g_match_info_fetch_named_pos(mi, "pre", &pre_s, &pre_e);
    g_match_info_fetch_named_pos(mi, "url", &us, &ue);
    g_match_info_fetch_named_pos(mi, "domain", &ds, &de);
    if (!url_is_valid(s + us, (gsize)(ue - us), has_proto ? (gsize)(pe - ps) : strlen("https://"),
                      s + ds, (gsize)(de - ds)))
      continue;
    if (!has_proto) {
      /* A bare domain right after - _ . / is part of something else (a path, a file name). */
      if (!bare_too || (pre_e > pre_s && strchr("-_./", s[pre_e - 1]) != NULL))
        continue;
      add_bare_urls(s, &cur, ue, ds, de, group_pos(mi, "path", &ps, &pe), out);
      continue;
    }
    /* A t.co link takes no more path than its slug, and at most 40 characters of it. */
    char *url = g_strndup(s + us, (gsize)(ue - us));
    GMatchInfo *tco;
    if (g_regex_match_full(regexes()->tco, url, -1, 0, G_REGEX_MATCH_ANCHORED, &tco, NULL)) {
      int ms, me;
      g_match_info_fetch_pos(tco, 0, &ms, &me);
      g_match_info_fetch_named_pos(tco, "slug", &ts, &te);
      ue = us + me;
    }
    g_match_info_free(tco);
    g_free(url);
    if (te - ts > MAX_TCO_SLUG_LENGTH)
      continue;
    g_ptr_array_add(out, entity_new(TB_ENTITY_URL, &cur, (gsize)us, (gsize)ue, s + us, ue - us));
  }
}

static void
extract_mentions(const char *s, gboolean mentions, gboolean lists, GPtrArray *out)
{
  TbCpCursor cur = {s, 0, 0};
  TbMatches m;

  if (strchr(s, '@') == NULL && strstr(s, "\xEF\xBC\xA0") == NULL) /* U+FF20 */
    return;
  matches_init(&m, regexes()->mention, s);
  while (matches_next(&m)) {
    GMatchInfo *mi = m.mi;
    int ms, me, ns, ne, ls, le;
    gboolean is_list;

    g_match_info_fetch_pos(mi, 0, &ms, &me);
    if (mention_ends_badly(s + me))
      continue;
    g_match_info_fetch_named_pos(mi, "name", &ns, &ne);
    is_list = group_pos(mi, "slug", &ls, &le);
    if (is_list ? !lists : !mentions)
      continue;
    /* The entity starts at the at sign, just before the name (the at sign may be 3 bytes). */
    const char *at = g_utf8_prev_char(s + ns);
    TbEntity *e = entity_new(is_list ? TB_ENTITY_LIST : TB_ENTITY_MENTION, &cur, (gsize)(at - s),
                             (gsize)me, s + ns, ne - ns);
    if (is_list)
      e->list_slug = g_strndup(s + ls, (gsize)(le - ls));
    g_ptr_array_add(out, e);
  }
}

static void
extract_hashtags(const char *s, gboolean check_url_overlap, GPtrArray *out)
{
  TbCpCursor cur = {s, 0, 0};
  GPtrArray *tags = entity_array_new();
  TbMatches m;

  matches_init(&m, regexes()->hashtag, s);
  while (matches_next(&m)) {
    GMatchInfo *mi = m.mi;
    int ms, me, ts, te;

    g_match_info_fetch_pos(mi, 0, &ms, &me);
    if (hashtag_ends_badly(s + me))
      continue;
    g_match_info_fetch_named_pos(mi, "tag", &ts, &te);
    const char *hash = g_utf8_prev_char(s + ts);
    g_ptr_array_add(
        tags, entity_new(TB_ENTITY_HASHTAG, &cur, (gsize)(hash - s), (gsize)me, s + ts, te - ts));
  }
  /* A hashtag inside a URL (a #fragment) is part of the URL. */
  if (check_url_overlap && tags->len > 0) {
    extract_urls(s, TRUE, tags);
    remove_overlaps(tags);
  }
  for (guint i = 0; i < tags->len; i++) {
    TbEntity *e = g_ptr_array_index(tags, i);
    if (e->kind == TB_ENTITY_HASHTAG) {
      g_ptr_array_add(out, e);
      tags->pdata[i] = NULL; /* moved, not freed */
    }
  }
  g_ptr_array_unref(tags);
}

static void
extract_cashtags(const char *s, GPtrArray *out)
{
  TbCpCursor cur = {s, 0, 0};
  TbMatches m;

  if (strchr(s, '$') == NULL)
    return;
  matches_init(&m, regexes()->cashtag, s);
  while (matches_next(&m)) {
    GMatchInfo *mi = m.mi;
    int ts, te;

    g_match_info_fetch_named_pos(mi, "tag", &ts, &te);
    g_ptr_array_add(
        out, entity_new(TB_ENTITY_CASHTAG, &cur, (gsize)(ts - 1), (gsize)te, s + ts, te - ts));
  }
}

GPtrArray *
tb_text_extract(const char *utf8, unsigned kinds_mask)
{
  char *s = make_valid(utf8);
  GPtrArray *out = entity_array_new();
  gboolean urls = (kinds_mask & TB_TEXT_EXTRACT(TB_ENTITY_URL)) != 0;
  gboolean mentions = (kinds_mask & TB_TEXT_EXTRACT(TB_ENTITY_MENTION)) != 0;
  gboolean lists = (kinds_mask & TB_TEXT_EXTRACT(TB_ENTITY_LIST)) != 0;
  gboolean hashtags = (kinds_mask & TB_TEXT_EXTRACT(TB_ENTITY_HASHTAG)) != 0;
  gboolean cashtags = (kinds_mask & TB_TEXT_EXTRACT(TB_ENTITY_CASHTAG)) != 0;
  /* Mentions and lists come from one extractor, so they count as one kind here. */
  int n_kinds = urls + (mentions || lists) + hashtags + cashtags;

  if (urls)
    extract_urls(s, (kinds_mask & TB_TEXT_EXTRACT_PROTOCOL_URLS_ONLY) == 0, out);
  if (mentions || lists)
    extract_mentions(s, mentions, lists, out);
  if (hashtags)
    extract_hashtags(s, !urls, out);
  if (cashtags)
    extract_cashtags(s, out);
  if (n_kinds > 1)
    remove_overlaps(out);
  g_free(s);
  return out;
}

char *
tb_text_extract_reply(const char *utf8)
{
  char *s = make_valid(utf8);
  char *name = NULL;
  GMatchInfo *mi;

  if (g_regex_match(regexes()->reply, s, 0, &mi)) {
    int me, ns, ne;

    g_match_info_fetch_pos(mi, 0, NULL, &me);
    g_match_info_fetch_named_pos(mi, "name", &ns, &ne);
    if (!mention_ends_badly(s + me))
      name = g_strndup(s + ns, (gsize)(ne - ns));
  }
  g_match_info_free(mi);
  g_free(s);
  return name;
}

/* --- weighted length ------------------------------------------------------------------------ */

typedef struct {
  glong start, end; /* code points */
} TbSpan;

/* Emoji sequences of s, as code point spans in order. */
static GArray *
emoji_spans(const char *s)
{
  GArray *spans = g_array_new(FALSE, FALSE, sizeof(TbSpan));
  TbCpCursor cur = {s, 0, 0};
  TbMatches m;

  matches_init(&m, regexes()->emoji, s);
  while (matches_next(&m)) {
    GMatchInfo *mi = m.mi;
    int ms, me;
    TbSpan span;

    g_match_info_fetch_pos(mi, 0, &ms, &me);
    span.start = cp_index(&cur, (gsize)ms);
    span.end = cp_index(&cur, (gsize)me);
    g_array_append_val(spans, span);
  }
  return spans;
}

static int
char_weight(const TbTextConfig *config, gunichar c)
{
  for (gsize i = 0; i < config->n_ranges; i++) {
    if (c >= config->ranges[i].start && c <= config->ranges[i].end)
      return config->ranges[i].weight;
  }
  return config->default_weight;
}

int
tb_text_max_length(void)
{
  return tb_text_config_v3.max_weighted_length;
}

void
tb_text_parse(const char *utf8, TbTextParse *out)
{
  tb_text_parse_with_config(utf8, &tb_text_config_v3, out);
}

/* twitter-text's parseTweet, step for step: walk the NFC text; a URL weighs
 * transformed_url_length, an emoji sequence default_weight, anything else its range weight. The
 * valid range ends at the last character that still fits, shifted by how much NFC changed the
 * length (twitter-text's own approximation, which its conformance data expects). */
void
tb_text_parse_with_config(const char *utf8, const TbTextConfig *config, TbTextParse *out)
{
  char *text, *norm;
  glong n = 0;
  gunichar *cps;
  GPtrArray *urls;
  GArray *emoji;
  gint64 max_scaled, weighted = 0;
  glong u16 = 0, valid_end = 0, text_u16;
  gboolean valid = TRUE;
  guint ui = 0, ei = 0;

  g_return_if_fail(out != NULL);
  if (config == NULL)
    config = &tb_text_config_v3;
  text = make_valid(utf8);
  norm = g_utf8_normalize(text, -1, G_NORMALIZE_NFC);
  cps = g_utf8_to_ucs4_fast(norm, -1, &n);
  urls = entity_array_new();
  emoji = config->emoji_parsing ? emoji_spans(norm) : g_array_new(FALSE, FALSE, sizeof(TbSpan));
  max_scaled = (gint64)config->max_weighted_length * config->scale;
  text_u16 = utf16_length(text, -1);

  extract_urls(norm, TRUE, urls);
  for (glong i = 0; i < n;) {
    const TbEntity *url = NULL;
    const TbSpan *em = NULL;
    glong next = i + 1;

    while (ui < urls->len && ((TbEntity *)g_ptr_array_index(urls, ui))->start < i)
      ui++;
    while (ei < emoji->len && g_array_index(emoji, TbSpan, ei).start < i)
      ei++;
    if (ui < urls->len && ((TbEntity *)g_ptr_array_index(urls, ui))->start == i)
      url = g_ptr_array_index(urls, ui);
    else if (ei < emoji->len && g_array_index(emoji, TbSpan, ei).start == i)
      em = &g_array_index(emoji, TbSpan, ei);

    if (url != NULL) {
      weighted += (gint64)config->transformed_url_length * config->scale;
      next = url->end;
    } else if (em != NULL) {
      weighted += config->default_weight;
      next = em->end;
    } else {
      weighted += char_weight(config, cps[i]);
    }
    for (glong j = i; j < next; j++)
      u16 += utf16_units(cps[j]);
    /* As twitter-text, only the last character of a URL or emoji is checked; neither can hold
     * an invalid character anyway. */
    valid = valid && !is_invalid_char(cps[next - 1]);
    if (valid && weighted <= max_scaled)
      valid_end = u16 - 1;
    i = next;
  }

  out->weighted_length = (int)(weighted / config->scale);
  out->valid = valid && weighted > 0 && weighted <= max_scaled;
  out->permillage = (int)(weighted * 1000 / max_scaled);
  out->valid_range_start = 0;
  out->valid_range_end = (int)(valid_end + (text_u16 - u16));
  out->display_range_start = 0;
  out->display_range_end = text_u16 > 0 ? (int)text_u16 - 1 : 0;

  g_array_unref(emoji);
  g_ptr_array_unref(urls);
  g_free(cps);
  g_free(norm);
  g_free(text);
}

/* --- splitting a long post into a thread ---------------------------------------------------- */

enum { BREAK_NONE, BREAK_HARD, BREAK_SOFT }; /* how good a place between two characters is */

typedef struct {
  const char *text; /* valid UTF-8, trimmed */
  glong n;          /* code points */
  gsize *offset;    /* byte offset of each code point, and of the end */
  guint8 *brk;      /* BREAK_* for the boundary before each code point */
  gint64 *weight;   /* estimated scaled weight of the text before each boundary */
  TbTextConfig config;
} TbSplitter;

/* Marks where a part may end (soft next to whitespace, hard between two other characters, never
 * inside an entity or emoji sequence or before a joining character) and estimates the weight of
 * every prefix, so that only a few candidate parts need a real parse. */
static void
split_prepare(TbSplitter *sp, const gunichar *cps)
{
  GPtrArray *entities = tb_text_extract(sp->text, TB_TEXT_EXTRACT_ALL);
  GArray *emoji = emoji_spans(sp->text);
  gint64 *w = g_new0(gint64, sp->n); /* weight of each code point */

  for (glong i = 0; i < sp->n; i++)
    w[i] = char_weight(&sp->config, cps[i]);
  for (glong b = 1; b < sp->n; b++) {
    if (g_unichar_isspace(cps[b - 1]) || g_unichar_isspace(cps[b]))
      sp->brk[b] = BREAK_SOFT;
    /* Zero-width characters (marks, ZWJ, selectors, tags) belong to what they follow. */
    else if (!g_unichar_iszerowidth(cps[b]) && cps[b - 1] != 0x200D)
      sp->brk[b] = BREAK_HARD;
  }
  for (guint i = 0; i < emoji->len; i++) {
    const TbSpan *s = &g_array_index(emoji, TbSpan, i);
    w[s->start] = sp->config.default_weight;
    for (glong b = s->start + 1; b < s->end; b++)
      sp->brk[b] = w[b] = 0;
  }
  for (guint i = 0; i < entities->len; i++) {
    const TbEntity *e = g_ptr_array_index(entities, i);
    if (e->kind == TB_ENTITY_URL)
      w[e->start] = (gint64)sp->config.transformed_url_length * sp->config.scale;
    for (glong b = e->start + 1; b < e->end; b++) {
      sp->brk[b] = BREAK_NONE;
      if (e->kind == TB_ENTITY_URL)
        w[b] = 0;
    }
  }
  for (glong i = 0; i < sp->n; i++)
    sp->weight[i + 1] = sp->weight[i] + w[i];
  g_free(w);
  g_array_unref(emoji);
  g_ptr_array_unref(entities);
}

/* The part from code point from to to, trimmed, with its suffix. */
static char *
split_part(const TbSplitter *sp, glong from, glong to, const char *suffix)
{
  char *part = g_strndup(sp->text + sp->offset[from], sp->offset[to] - sp->offset[from]);
  char *with_suffix = g_strconcat(g_strchomp(part), suffix, NULL);

  g_free(part);
  return with_suffix;
}

static gboolean
split_fits(const TbSplitter *sp, glong from, glong to, const char *suffix)
{
  char *part = split_part(sp, from, to, suffix);
  TbTextParse p;

  tb_text_parse_with_config(part, &sp->config, &p);
  g_free(part);
  return p.valid;
}

/* The last boundary after from, of at least the given kind, where the part still fits (with
 * budget left for it by the estimate); -1 if none. The estimate picks the first candidate, real
 * parses then walk forward or back from it: a longer part never weighs less. */
static glong
split_best_break(const TbSplitter *sp, glong from, int kind, gint64 budget, const char *suffix)
{
  GArray *cands = g_array_new(FALSE, FALSE, sizeof(glong));
  glong best = -1;
  guint i = 0;

  for (glong b = from + 1; b < sp->n && sp->weight[b] - sp->weight[from] <= 2 * budget; b++) {
    if (sp->brk[b] < kind)
      continue;
    g_array_append_val(cands, b);
    if (sp->weight[b] - sp->weight[from] <= budget)
      i = cands->len - 1;
  }
  if (cands->len > 0 && split_fits(sp, from, g_array_index(cands, glong, i), suffix)) {
    while (i + 1 < cands->len && split_fits(sp, from, g_array_index(cands, glong, i + 1), suffix))
      i++;
    best = g_array_index(cands, glong, i);
  } else {
    while (best < 0 && i-- > 0) {
      if (split_fits(sp, from, g_array_index(cands, glong, i), suffix))
        best = g_array_index(cands, glong, i);
    }
  }
  g_array_unref(cands);
  return best;
}

static glong
split_skip_space(const TbSplitter *sp, glong i)
{
  while (i < sp->n && g_unichar_isspace(g_utf8_get_char(sp->text + sp->offset[i])))
    i++;
  return i;
}

/* Greedy split, numbering parts "i/total" when total > 0. NULL if something cannot fit. */
static GPtrArray *
split_greedy(const TbSplitter *sp, guint total)
{
  const gint64 max_scaled = (gint64)sp->config.max_weighted_length * sp->config.scale;
  GPtrArray *parts = g_ptr_array_new_with_free_func(g_free);
  glong pos = split_skip_space(sp, 0);

  while (pos < sp->n) {
    char *suffix = total > 0 ? g_strdup_printf(" (%u/%u)", parts->len + 1, total) : g_strdup("");
    gint64 budget = max_scaled;
    glong end = -1;

    for (const char *p = suffix; *p != '\0'; p = g_utf8_next_char(p))
      budget -= char_weight(&sp->config, g_utf8_get_char(p));
    if (sp->weight[sp->n] - sp->weight[pos] <= 2 * budget && split_fits(sp, pos, sp->n, suffix))
      end = sp->n;
    if (end < 0)
      end = split_best_break(sp, pos, BREAK_SOFT, budget, suffix);
    if (end < 0)
      end = split_best_break(sp, pos, BREAK_HARD, budget, suffix);
    if (end < 0) {
      g_free(suffix);
      g_ptr_array_unref(parts);
      return NULL;
    }
    g_ptr_array_add(parts, split_part(sp, pos, end, suffix));
    g_free(suffix);
    pos = split_skip_space(sp, end);
  }
  return parts;
}

GPtrArray *
tb_text_split_thread(const char *utf8, int max_weighted, gboolean numbered)
{
  char *valid = make_valid(utf8);
  TbSplitter sp = {0};
  GPtrArray *parts = NULL;
  gunichar *cps;
  TbTextParse whole;

  sp.text = g_strstrip(valid);
  sp.config = tb_text_config_v3;
  if (max_weighted > 0)
    sp.config.max_weighted_length = max_weighted;
  if (*sp.text == '\0') {
    g_free(valid);
    return g_ptr_array_new_with_free_func(g_free);
  }
  tb_text_parse_with_config(sp.text, &sp.config, &whole);
  if (whole.valid) {
    parts = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(parts, g_strdup(sp.text));
    g_free(valid);
    return parts;
  }

  cps = g_utf8_to_ucs4_fast(sp.text, -1, &sp.n);
  sp.offset = g_new(gsize, sp.n + 1);
  sp.brk = g_new0(guint8, sp.n + 1);
  sp.weight = g_new0(gint64, sp.n + 1);
  for (glong i = 0, byte = 0; i <= sp.n; i++) {
    sp.offset[i] = (gsize)byte;
    byte += i < sp.n ? g_unichar_to_utf8(cps[i], NULL) : 0;
  }
  split_prepare(&sp, cps);

  if (!numbered) {
    parts = split_greedy(&sp, 0);
  } else {
    /* The numbers' width depends on the count: split again until the count is stable (it only
     * grows, so this ends within a few rounds). */
    guint total = 1;
    for (int round = 0; round < 8; round++) {
      if (parts != NULL)
        g_ptr_array_unref(parts);
      parts = split_greedy(&sp, total);
      if (parts == NULL || parts->len == total)
        break;
      total = parts->len;
    }
    if (parts != NULL && parts->len != total)
      g_clear_pointer(&parts, g_ptr_array_unref);
  }

  g_free(sp.weight);
  g_free(sp.brk);
  g_free(sp.offset);
  g_free(cps);
  g_free(valid);
  return parts;
}
