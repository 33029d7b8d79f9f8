/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-form.h"

#include <string.h>

void
tb_secret_free(char *secret)
{
  if (secret == NULL)
    return;
  /* volatile: a plain memset right before free may be optimised away */
  for (volatile char *p = secret; *p; p++)
    *p = '\0';
  g_free(secret);
}

GPtrArray *
tb_form_pairs(const char *text)
{
  GPtrArray *pairs = g_ptr_array_new_with_free_func(g_free);
  g_auto(GStrv) parts = g_strsplit(text ? text : "", "&", -1);

  for (char **p = parts; *p; p++) {
    if (**p == '\0')
      continue;
    char *eq = strchr(*p, '=');
    g_autofree char *raw_name = g_strndup(*p, eq ? (gsize)(eq - *p) : strlen(*p));
    g_autofree char *raw_value = g_strdup(eq ? eq + 1 : "");
    g_strdelimit(raw_name, "+", ' ');
    g_strdelimit(raw_value, "+", ' ');
    char *name = g_uri_unescape_string(raw_name, NULL);
    char *value = g_uri_unescape_string(raw_value, NULL);
    if (name == NULL || value == NULL || *name == '\0') {
      g_free(name);
      tb_secret_free(value);
      continue;
    }
    g_ptr_array_add(pairs, name);
    g_ptr_array_add(pairs, value);
  }
  for (char **p = parts; *p; p++) {
    for (volatile char *c = *p; *c; c++)
      *c = '\0';
  }
  return pairs;
}

static void
free_secret_value(gpointer data)
{
  tb_secret_free(data);
}

GHashTable *
tb_form_parse(const char *text)
{
  GHashTable *form = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free_secret_value);
  g_autoptr(GPtrArray) pairs = tb_form_pairs(text);

  /* The array keeps no free function from here on: the table takes the strings it keeps. */
  g_ptr_array_set_free_func(pairs, NULL);
  for (guint i = 0; i + 1 < pairs->len; i += 2) {
    char *name = pairs->pdata[i], *value = pairs->pdata[i + 1];
    if (g_hash_table_contains(form, name)) {
      g_free(name);
      tb_secret_free(value);
      continue;
    }
    g_hash_table_insert(form, name, value);
  }
  return form;
}
