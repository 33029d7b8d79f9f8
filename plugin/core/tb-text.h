/* tb-text: tweet text as X counts and reads it (twitter-text v3), without libpurple.
 *
 * Weighted length, validity and the ranges follow twitter-text's parseTweet; entity extraction
 * follows its extractors, checked against its conformance YAML (tests/unit/text/). Indices:
 * TbTextParse ranges are UTF-16 code units (as twitter-text reports them); entity start/end are
 * code points (as X API v2 entities are). All input is UTF-8; invalid UTF-8 is repaired first.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_TEXT_H
#define TB_TEXT_H

#include <glib.h>

G_BEGIN_DECLS

/* A weight for a range of code points (config "ranges"). */
typedef struct {
  gunichar start, end; /* inclusive */
  int weight;
} TbTextWeightRange;

/* A twitter-text configuration (config/v1.json, v2.json, v3.json). */
typedef struct {
  int version;
  int max_weighted_length; /* maxWeightedTweetLength */
  int scale;
  int default_weight;
  gboolean emoji_parsing; /* emojiParsingEnabled: an emoji sequence weighs default_weight once */
  int transformed_url_length;
  const TbTextWeightRange *ranges;
  gsize n_ranges;
} TbTextConfig;

extern const TbTextConfig tb_text_config_v1; /* 140 code points */
extern const TbTextConfig tb_text_config_v2; /* 280 weighted, CJK and others weigh 2 */
extern const TbTextConfig tb_text_config_v3; /* v2 plus emoji sequences weigh 2: what X uses */

typedef struct {
  int weighted_length; /* as X counts: sum of weights / scale */
  gboolean valid;      /* 0 < weighted_length <= max and no U+FFFE, U+FEFF, U+FFFF */
  int permillage;      /* weighted_length * 1000 / max, rounded down */
  /* UTF-16 code unit indices into the text as given (not normalised), inclusive. */
  int valid_range_start, valid_range_end;
  int display_range_start, display_range_end;
} TbTextParse;

/* Parses with the v3 config (what X applies to posts). */
void tb_text_parse(const char *utf8, TbTextParse *out);
/* config NULL means v3; a copy with another max_weighted_length is fine. */
void tb_text_parse_with_config(const char *utf8, const TbTextConfig *config, TbTextParse *out);
int tb_text_max_length(void); /* 280 */

typedef enum {
  TB_ENTITY_URL,
  TB_ENTITY_MENTION,
  TB_ENTITY_HASHTAG,
  TB_ENTITY_CASHTAG,
  TB_ENTITY_LIST, /* @user/slug */
} TbEntityKind;

/* Bits for tb_text_extract()'s kinds_mask. */
#define TB_TEXT_EXTRACT(kind) (1u << (kind))
#define TB_TEXT_EXTRACT_ALL                                                                        \
  (TB_TEXT_EXTRACT(TB_ENTITY_URL) | TB_TEXT_EXTRACT(TB_ENTITY_MENTION) |                           \
   TB_TEXT_EXTRACT(TB_ENTITY_HASHTAG) | TB_TEXT_EXTRACT(TB_ENTITY_CASHTAG) |                       \
   TB_TEXT_EXTRACT(TB_ENTITY_LIST))
/* Option bit: only URLs that carry http:// or https:// (twitter-text's autolink setting). */
#define TB_TEXT_EXTRACT_PROTOCOL_URLS_ONLY (1u << 16)

typedef struct {
  TbEntityKind kind;
  int start, end;  /* code point indices, start inclusive, end exclusive; include the @ # $ sign */
  char *value;     /* URL as written; username, hashtag or cashtag without its sign */
  char *list_slug; /* TB_ENTITY_LIST: the slug without its '/', else NULL */
} TbEntity;

/* Entities in text order. One kind: that extractor alone (hashtags inside URLs are dropped).
 * Several kinds: all of them with overlaps removed, the earlier-starting entity kept.
 * MENTION alone gives @user without lists, LIST alone lists only, both give both.
 * Returns a GPtrArray of TbEntity* that frees its elements. */
GPtrArray *tb_text_extract(const char *utf8, unsigned kinds_mask);
void tb_entity_free(TbEntity *entity);

/* The username a text replies to (@user at its very start, after spaces), or NULL. */
char *tb_text_extract_reply(const char *utf8);

/* Splits text that is too long into parts that each parse valid within max_weighted (<= 0 means
 * 280), at whitespace when it can, never inside a URL, mention, hashtag, cashtag or emoji
 * sequence, nor between a character and its combining marks. With numbered, every part ends in
 * " (i/n)" and that suffix is counted. Parts are trimmed of surrounding whitespace; text that
 * already fits comes back as one part without a number. Returns a GPtrArray of char* (freed with
 * it), empty for blank text, or NULL when a single unbreakable piece cannot fit. */
GPtrArray *tb_text_split_thread(const char *utf8, int max_weighted, gboolean numbered);

G_END_DECLS

#endif /* TB_TEXT_H */
