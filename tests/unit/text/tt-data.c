/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tt-data.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

char *
tt_find_data_dir(void)
{
  const char *env = g_getenv("TB_TWITTER_TEXT_DIR");
  const char *shared = g_getenv("TB_SHARED_DIR");
  const char *root = g_getenv("TB_SOURCE_ROOT");
  char *candidates[3] = {NULL, NULL, NULL};
  char *found = NULL;

  if (env != NULL && *env != '\0')
    return g_strdup(env);
  if (root == NULL || *root == '\0')
    root = TB_SOURCE_ROOT_DEFAULT;
  if (shared != NULL && *shared != '\0')
    candidates[0] = g_build_filename(shared, "twitter-text", NULL);
  candidates[1] = g_build_filename(root, "..", "shared", "twitter-text", NULL);
  candidates[2] = g_build_filename(root, "tests", "data", "twitter-text", NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(candidates); i++) {
    if (found == NULL && candidates[i] != NULL && g_file_test(candidates[i], G_FILE_TEST_IS_DIR))
      found = g_strdup(candidates[i]);
    g_free(candidates[i]);
  }
  return found;
}

typedef struct {
  char *name;
  yaml_document_t doc;
} TtFile;

static GPtrArray *loaded; /* TtFile* */

yaml_document_t *
tt_yaml_load(const char *dir, const char *name)
{
  char *path;
  FILE *fp;
  yaml_parser_t parser;
  TtFile *f;

  for (guint i = 0; loaded != NULL && i < loaded->len; i++) {
    f = g_ptr_array_index(loaded, i);
    if (strcmp(f->name, name) == 0)
      return &f->doc;
  }
  path = g_build_filename(dir, "conformance", name, NULL);
  fp = fopen(path, "rb");
  if (fp == NULL)
    g_error("cannot open %s", path);
  f = g_new0(TtFile, 1);
  f->name = g_strdup(name);
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_file(&parser, fp);
  if (!yaml_parser_load(&parser, &f->doc))
    g_error("%s: YAML error at line %zu: %s", path, parser.problem_mark.line + 1,
            parser.problem != NULL ? parser.problem : "?");
  yaml_parser_delete(&parser);
  fclose(fp);
  g_free(path);
  if (loaded == NULL)
    loaded = g_ptr_array_new();
  g_ptr_array_add(loaded, f);
  return &f->doc;
}

void
tt_yaml_unload_all(void)
{
  for (guint i = 0; loaded != NULL && i < loaded->len; i++) {
    TtFile *f = g_ptr_array_index(loaded, i);
    yaml_document_delete(&f->doc);
    g_free(f->name);
    g_free(f);
  }
  g_clear_pointer(&loaded, g_ptr_array_unref);
}

yaml_node_t *
tt_map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
  if (map == NULL || map->type != YAML_MAPPING_NODE)
    return NULL;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(doc, p->key);
    if (k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, key) == 0)
      return yaml_document_get_node(doc, p->value);
  }
  return NULL;
}

yaml_node_t *
tt_yaml_section(yaml_document_t *doc, const char *section)
{
  yaml_node_t *tests = tt_map_get(doc, yaml_document_get_root_node(doc), "tests");
  yaml_node_t *list = tt_map_get(doc, tests, section);

  return list != NULL && list->type == YAML_SEQUENCE_NODE ? list : NULL;
}

gsize
tt_seq_len(yaml_node_t *seq)
{
  if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
    return 0;
  return (gsize)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

yaml_node_t *
tt_seq_get(yaml_document_t *doc, yaml_node_t *seq, gsize i)
{
  g_assert_cmpuint(i, <, tt_seq_len(seq));
  return yaml_document_get_node(doc, seq->data.sequence.items.start[i]);
}

gboolean
tt_is_null(yaml_node_t *node)
{
  const char *v;

  if (node == NULL)
    return TRUE;
  if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return FALSE;
  v = (const char *)node->data.scalar.value;
  return *v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0;
}

const char *
tt_str(yaml_node_t *node)
{
  /* Fatal on purpose: a case whose data has another shape must not pass by accident. */
  if (node == NULL || node->type != YAML_SCALAR_NODE)
    g_error("conformance data: a scalar was expected");
  return (const char *)node->data.scalar.value;
}

gboolean
tt_bool(yaml_node_t *node)
{
  const char *v = tt_str(node);

  if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
    g_error("conformance data: true or false expected, got %s", v);
  return strcmp(v, "true") == 0;
}

int
tt_int(yaml_node_t *node)
{
  return (int)g_ascii_strtoll(tt_str(node), NULL, 10);
}

char *
tt_case_path(const char *prefix, gsize index, const char *description)
{
  GString *s = g_string_new(NULL);

  g_string_printf(s, "%s/%03zu ", prefix, index);
  for (const char *p = description; *p != '\0'; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (c == '/')
      g_string_append_c(s, '|');
    else if (g_unichar_iscntrl(c))
      g_string_append_c(s, ' ');
    else
      g_string_append_unichar(s, c);
  }
  return g_string_free(s, FALSE);
}

int
tt_expected_count(const char *dir, const char *file, const char *section)
{
  char *path = g_build_filename(dir, "conformance-counts.json", NULL);
  char *key = g_strconcat("tests.", section, NULL);
  JsonParser *parser = json_parser_new();
  int count = -1;

  if (json_parser_load_from_file(parser, path, NULL)) {
    JsonNode *root = json_parser_get_root(parser);
    JsonObject *files =
        root != NULL && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    JsonNode *of_file = files != NULL ? json_object_get_member(files, file) : NULL;
    JsonObject *counts =
        of_file != NULL && JSON_NODE_HOLDS_OBJECT(of_file) ? json_node_get_object(of_file) : NULL;
    if (counts != NULL && json_object_has_member(counts, key))
      count = (int)json_object_get_int_member(counts, key);
  }
  g_object_unref(parser);
  g_free(key);
  g_free(path);
  return count;
}
