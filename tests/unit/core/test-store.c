/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/tb-store.h"

#include <glib/gstdio.h>
#include <string.h>

static char *
temp_path(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("tb-store-XXXXXX", &error);
  g_assert_no_error(error);
  return g_build_filename(dir, "sub", "pat_home.state", NULL);
}

static void
remove_tree(const char *path)
{
  g_autofree char *sub = g_path_get_dirname(path);
  g_autofree char *dir = g_path_get_dirname(sub);
  g_remove(path);
  g_rmdir(sub);
  g_rmdir(dir);
}

static void
test_missing_is_empty(void)
{
  g_autofree char *path = temp_path();
  g_autoptr(GError) error = NULL;
  TbStore *store = tb_store_load(path, &error);

  g_assert_no_error(error);
  g_assert_null(tb_store_get(store, "mention_since_id"));
  g_assert_null(tb_store_outbox_list(store));
  g_assert_false(tb_store_is_dirty(store));
  tb_store_free(store);
  remove_tree(path);
}

static void
test_round_trip(void)
{
  g_autofree char *path = temp_path();
  g_autoptr(GError) error = NULL;
  TbStore *store = tb_store_load(path, &error);

  tb_store_set(store, "mention_since_id", "1790000000000000009");
  tb_store_set_int(store, "answer", 42);
  TbOutboxItem *a =
      tb_store_outbox_add(store, TB_OUTBOX_DM, "alice", "alice", "line one\nline two");
  TbOutboxItem *b = tb_store_outbox_add(store, TB_OUTBOX_REPLY, "17", "work-alice-0017", "ok [x]");
  g_autofree char *a_id = g_strdup(a->id);
  tb_store_outbox_set_error(store, b, "X said no");
  tb_store_outbox_set_attempted(store, a, 1700000000);
  tb_store_outbox_set_due(store, b, 1800000000, TRUE); /* held for work hours */
  tb_store_outbox_set_markup_only(store, b);
  g_assert_true(tb_store_is_dirty(store));
  g_assert_true(tb_store_save(store, &error));
  g_assert_no_error(error);
  g_assert_false(tb_store_is_dirty(store));
  tb_store_free(store);

  store = tb_store_load(path, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(tb_store_get(store, "mention_since_id"), ==, "1790000000000000009");
  g_assert_cmpint(tb_store_get_int(store, "answer", 0), ==, 42);
  g_assert_cmpint(tb_store_get_int(store, "missing", -7), ==, -7);
  GList *keys = tb_store_keys(store, "mention_");
  g_assert_cmpuint(g_list_length(keys), ==, 1);
  g_assert_cmpstr(keys->data, ==, "mention_since_id");
  g_list_free(keys);
  GList *items = tb_store_outbox_list(store);
  g_assert_cmpuint(g_list_length(items), ==, 2);
  TbOutboxItem *first = items->data, *second = items->next->data;
  g_assert_cmpstr(first->id, ==, a_id);
  g_assert_cmpint(first->kind, ==, TB_OUTBOX_DM);
  g_assert_cmpstr(first->text, ==, "line one\nline two");
  g_assert_cmpstr(first->target, ==, "alice");
  g_assert_null(first->last_error);
  g_assert_cmpint(first->attempted, ==, 1700000000);
  g_assert_cmpint(second->attempted, ==, 0);
  g_assert_cmpint(second->kind, ==, TB_OUTBOX_REPLY);
  g_assert_cmpstr(second->last_error, ==, "X said no");
  g_assert_cmpint(second->due, ==, 1800000000);
  g_assert_true(second->held);
  g_assert_true(second->markup_only);
  g_assert_cmpint(first->due, ==, 0);
  g_assert_false(first->held);
  g_assert_false(first->markup_only);
  g_list_free(items);

  /* ids keep counting after a reload: a new item never takes an old one's id */
  TbOutboxItem *c = tb_store_outbox_add(store, TB_OUTBOX_POST, NULL, "pat_home", "third");
  g_assert_cmpstr(c->id, ==, "o3");
  g_assert_true(tb_store_outbox_remove(store, a_id));
  g_assert_false(tb_store_outbox_remove(store, a_id));
  g_assert_null(tb_store_outbox_find(store, a_id));
  tb_store_free(store);
  remove_tree(path);
}

static void
test_order_by_number(void)
{
  g_autofree char *path = temp_path();
  TbStore *store = tb_store_load(path, NULL);
  for (int i = 0; i < 12; i++)
    tb_store_outbox_add(store, TB_OUTBOX_POST, NULL, NULL, "x");
  g_assert_true(tb_store_save(store, NULL));
  tb_store_free(store);

  store = tb_store_load(path, NULL);
  GList *items = tb_store_outbox_list(store);
  int n = 1;
  for (GList *l = items; l; l = l->next, n++) {
    g_autofree char *want = g_strdup_printf("o%d", n);
    g_assert_cmpstr(((TbOutboxItem *)l->data)->id, ==, want);
  }
  g_list_free(items);
  tb_store_free(store);
  remove_tree(path);
}

/* Every file in the store's directory, for checking what was set aside. */
static GPtrArray *
dir_entries(const char *path)
{
  g_autofree char *dir = g_path_get_dirname(path);
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  GDir *d = g_dir_open(dir, 0, NULL);
  for (const char *n; d && (n = g_dir_read_name(d));)
    g_ptr_array_add(names, g_build_filename(dir, n, NULL));
  if (d)
    g_dir_close(d);
  return names;
}

static void
remove_all(const char *path)
{
  g_autoptr(GPtrArray) names = dir_entries(path);
  for (guint i = 0; i < names->len; i++)
    g_remove(names->pdata[i]);
  remove_tree(path);
}

/* Writes a store holding a cursor and an outbox item, and returns the file's text. (Not inlined:
 * gcc 12 then takes the returned text for a dangling local.) */
G_GNUC_NO_INLINE static char *
saved_text(const char *path)
{
  TbStore *store = tb_store_load(path, NULL);
  tb_store_set(store, "mention_since_id", "1790000000000000009");
  tb_store_outbox_add(store, TB_OUTBOX_DM, "alice", "alice", "kept text");
  g_assert_true(tb_store_save(store, NULL));
  tb_store_free(store);
  char *text = NULL;
  gboolean read = g_file_get_contents(path, &text, NULL, NULL);
  g_assert_true(read);
  return text;
}

static void
assert_damaged(const char *path, const char *contents, const char *reason_part)
{
  g_autofree char *dir = g_path_get_dirname(path);
  g_mkdir_with_parents(dir, 0700);
  g_assert_true(g_file_set_contents(path, contents, -1, NULL));
  g_autoptr(GError) error = NULL;
  TbStore *store = tb_store_load(path, &error);

  /* used neither as it is nor silently replaced: set aside, and the store starts empty */
  g_assert_no_error(error);
  g_assert_nonnull(store);
  const TbStoreDamage *d = tb_store_damage(store);
  g_assert_nonnull(d);
  g_assert_nonnull(strstr(d->reason, reason_part));
  g_assert_nonnull(d->set_aside);
  g_assert_true(g_str_has_prefix(d->set_aside, path));
  g_assert_true(d->written > 0);
  g_assert_null(tb_store_get(store, "mention_since_id"));
  g_assert_null(tb_store_outbox_list(store));
  g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
  g_autofree char *aside = NULL;
  g_assert_true(g_file_get_contents(d->set_aside, &aside, NULL, NULL));
  g_assert_cmpstr(aside, ==, contents); /* what it still holds is not lost */
  /* the next save writes a fresh file and leaves the damaged one alone */
  tb_store_set(store, "mention_since_id", "5");
  g_assert_true(tb_store_save(store, NULL));
  g_assert_true(g_file_test(d->set_aside, G_FILE_TEST_EXISTS));
  tb_store_free(store);
  store = tb_store_load(path, NULL);
  g_assert_null(tb_store_damage(store));
  g_assert_cmpstr(tb_store_get(store, "mention_since_id"), ==, "5");
  tb_store_free(store);
  remove_all(path);
}

static void
test_damaged_is_set_aside(void)
{
  g_autofree char *path = temp_path();
  g_autofree char *good = saved_text(path);

  g_assert_true(g_str_has_prefix(good, "[twinbird]\nformat=2\n"));
  g_assert_nonnull(strstr(good, "\n[end]\nsha256="));
  /* cut in the middle of a value: the end marker is gone */
  const char *kept = strstr(good, "kept text");
  g_assert_nonnull(kept);
  g_autofree char *cut = g_strndup(good, (gsize)(kept - good) + 4);
  assert_damaged(path, cut, "cut short");
  /* one character changed */
  g_autofree char *changed = g_strdup(good);
  char *digit = strstr(changed, "1790000000000000009");
  g_assert_nonnull(digit);
  *digit = '2';
  assert_damaged(path, changed, "checksum");
  /* garbage that is not a key file at all, with or without the header */
  assert_damaged(path, "[cursors\nbroken", "cannot be read");
  assert_damaged(path, "[twinbird]\nformat=99\n", "cut short");
}

static void
test_old_format_is_read(void)
{
  g_autofree char *path = temp_path();
  g_autofree char *dir = g_path_get_dirname(path);
  g_mkdir_with_parents(dir, 0700);
  /* as 0.1.0 wrote it: no header, no end marker */
  g_assert_true(g_file_set_contents(path,
                                    "[cursors]\nmention_since_id=17\n\n[outbox o2]\nkind=post\n"
                                    "text=hello\ncreated=5\n",
                                    -1, NULL));
  TbStore *store = tb_store_load(path, NULL);
  g_assert_null(tb_store_damage(store));
  g_assert_cmpstr(tb_store_get(store, "mention_since_id"), ==, "17");
  g_assert_nonnull(tb_store_outbox_find(store, "o2"));
  tb_store_free(store);
  remove_all(path);
}

static void
test_unreadable_is_error(void)
{
  g_autofree char *path = temp_path();
  /* a directory where the file should be: nothing to set aside, nothing overwritten */
  g_mkdir_with_parents(path, 0700);
  g_autoptr(GError) error = NULL;
  g_assert_null(tb_store_load(path, &error));
  g_assert_nonnull(error);
  g_rmdir(path);
  remove_tree(path);
}

static void
test_idlist_is_bounded(void)
{
  g_autofree char *path = temp_path();
  g_autoptr(GError) error = NULL;
  TbStore *store = tb_store_load(path, &error);
  char id[8];

  g_assert_no_error(error);
  g_assert_false(tb_store_idlist_contains(store, "dm_sent_ids", "1"));
  for (int i = 1; i <= 5; i++) {
    g_snprintf(id, sizeof id, "%d", i);
    tb_store_idlist_add(store, "dm_sent_ids", id, 3);
  }
  /* the newest three are kept, oldest first; the dropped ones are gone */
  g_assert_cmpstr(tb_store_get(store, "dm_sent_ids"), ==, "3,4,5");
  g_assert_false(tb_store_idlist_contains(store, "dm_sent_ids", "2"));
  g_assert_true(tb_store_idlist_contains(store, "dm_sent_ids", "3"));
  g_assert_true(tb_store_idlist_contains(store, "dm_sent_ids", "5"));
  /* whole ids only: "4" is not found inside "34" */
  tb_store_set(store, "dm_sent_ids", "34");
  g_assert_false(tb_store_idlist_contains(store, "dm_sent_ids", "4"));
  /* an empty list takes its first id without a stray comma */
  tb_store_set(store, "other", "");
  tb_store_idlist_add(store, "other", "9", 3);
  g_assert_cmpstr(tb_store_get(store, "other"), ==, "9");
  /* a whole id in the middle and at either end; parts of ids are not ids */
  tb_store_set(store, "other", "112,12,123");
  g_assert_true(tb_store_idlist_contains(store, "other", "12"));
  g_assert_true(tb_store_idlist_contains(store, "other", "112"));
  g_assert_true(tb_store_idlist_contains(store, "other", "123"));
  g_assert_false(tb_store_idlist_contains(store, "other", "1"));
  g_assert_false(tb_store_idlist_contains(store, "other", "23"));
  g_assert_false(tb_store_idlist_contains(store, "other", ""));
  /* keep 0: unbounded; keep 1: only the newest */
  tb_store_idlist_add(store, "other", "7", 0);
  g_assert_cmpstr(tb_store_get(store, "other"), ==, "112,12,123,7");
  tb_store_idlist_add(store, "other", "8", 1);
  g_assert_cmpstr(tb_store_get(store, "other"), ==, "8");
  tb_store_free(store);
  remove_tree(path);
}

/* Saves of cursors alone and of the outbox both replace the file whole and leave no
 * temporary behind; each reads back. */
static void
test_saves_replace_the_file(void)
{
  g_autofree char *path = temp_path();
  g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
  g_autoptr(GError) error = NULL;
  TbStore *store = tb_store_load(path, &error);

  g_assert_no_error(error);
  tb_store_set(store, "dm_last_id", "10");
  g_assert_true(tb_store_save(store, &error)); /* a cursor only */
  g_assert_no_error(error);
  g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
  tb_store_outbox_add(store, TB_OUTBOX_POST, NULL, "pat", "hello");
  tb_store_set(store, "dm_last_id", "11");
  g_assert_true(tb_store_save(store, &error)); /* the outbox too */
  g_assert_no_error(error);
  tb_store_set(store, "dm_last_id", "12");
  g_assert_true(tb_store_save(store, &error)); /* a cursor again, after an outbox save */
  g_assert_false(tb_store_is_dirty(store));
  g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
  tb_store_free(store);

  store = tb_store_load(path, &error);
  g_assert_no_error(error);
  g_assert_null(tb_store_damage(store));
  g_assert_cmpstr(tb_store_get(store, "dm_last_id"), ==, "12");
  GList *items = tb_store_outbox_list(store);
  g_assert_cmpuint(g_list_length(items), ==, 1);
  g_assert_cmpstr(((TbOutboxItem *)items->data)->text, ==, "hello");
  g_list_free(items);
  tb_store_free(store);
  remove_tree(path);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/store/missing-is-empty", test_missing_is_empty);
  g_test_add_func("/store/round-trip", test_round_trip);
  g_test_add_func("/store/order-by-number", test_order_by_number);
  g_test_add_func("/store/unreadable-is-error", test_unreadable_is_error);
  g_test_add_func("/store/damaged-is-set-aside", test_damaged_is_set_aside);
  g_test_add_func("/store/old-format-is-read", test_old_format_is_read);
  g_test_add_func("/store/idlist-is-bounded", test_idlist_is_bounded);
  g_test_add_func("/store/saves-replace-the-file", test_saves_replace_the_file);
  return g_test_run();
}
