/* Test helpers shared by test-text and test-render: finding the twitter-text data and reading
 * its conformance YAML with libyaml.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TT_DATA_H
#define TT_DATA_H

#include <glib.h>
#include <yaml.h>

/* $TB_TWITTER_TEXT_DIR, else $TB_SHARED_DIR/twitter-text, else <root>/../shared/twitter-text,
 * else <root>/tests/data/twitter-text, where <root> is $TB_SOURCE_ROOT or the source tree the
 * test was built from. NULL if none exists. */
char *tt_find_data_dir(void);

/* conformance/<name> under dir, parsed once and kept until tt_yaml_unload_all(). */
yaml_document_t *tt_yaml_load(const char *dir, const char *name);
void tt_yaml_unload_all(void);

/* tests.<section> of a loaded file: a sequence of cases, or NULL. */
yaml_node_t *tt_yaml_section(yaml_document_t *doc, const char *section);

yaml_node_t *tt_map_get(yaml_document_t *doc, yaml_node_t *map, const char *key);
gsize tt_seq_len(yaml_node_t *seq);
yaml_node_t *tt_seq_get(yaml_document_t *doc, yaml_node_t *seq, gsize i);
gboolean tt_is_null(yaml_node_t *node); /* absent, or an empty, "~" or "null" plain scalar */
const char *tt_str(yaml_node_t *node);
gboolean tt_bool(yaml_node_t *node);
int tt_int(yaml_node_t *node);

/* A GTest path component for a case: "NNN description" without '/' or control characters. */
char *tt_case_path(const char *prefix, gsize index, const char *description);

/* The case count conformance-counts.json gives for file's tests.<section>, or -1. */
int tt_expected_count(const char *dir, const char *file, const char *section);

#endif /* TT_DATA_H */
