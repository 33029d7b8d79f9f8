/* An account's state file as damage or an editor could leave it: loaded, listed, saved again.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "fuzz.h"

#include "core/tb-store.h"

#include <glib/gstdio.h>

static char *dir;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (dir == NULL)
    dir = g_dir_make_tmp("tb-fuzz-store-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "pat_home.state", NULL);
  if (!g_file_set_contents(path, (const char *)data, (gssize)size, NULL))
    return 0;
  TbStore *store = tb_store_load(path, NULL);
  if (store != NULL) {
    const TbStoreDamage *d = tb_store_damage(store);
    if (d != NULL && d->set_aside != NULL)
      g_remove(d->set_aside);
    GList *items = tb_store_outbox_list(store);
    g_list_free(items);
    tb_store_set(store, "mention_since_id", "1");
    tb_store_save(store, NULL);
    tb_store_free(store);
  }
  g_remove(path);
  return 0;
}
