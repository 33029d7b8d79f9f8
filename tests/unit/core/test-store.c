/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/tb-store.h"

#include <glib/gstdio.h>

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
  g_assert_cmpint(second->kind, ==, TB_OUTBOX_REPLY);
  g_assert_cmpstr(second->last_error, ==, "X said no");
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

static void
test_unreadable_is_error(void)
{
  g_autofree char *path = temp_path();
  g_autofree char *dir = g_path_get_dirname(path);
  g_mkdir_with_parents(dir, 0700);
  g_assert_true(g_file_set_contents(path, "[cursors\nbroken", -1, NULL));
  g_autoptr(GError) error = NULL;
  /* a damaged file is reported, never silently replaced by an empty store */
  g_assert_null(tb_store_load(path, &error));
  g_assert_nonnull(error);
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
  return g_test_run();
}
