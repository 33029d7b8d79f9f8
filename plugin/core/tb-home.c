/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-home.h"
#include "tb-cost.h"
#include "tb-ids.h"

#include <glib/gi18n-lib.h>

int
tb_home_page_size(const char *since_id)
{
  return since_id ? TB_HOME_PAGE : TB_HOME_FIRST_READ;
}

gboolean
tb_home_is_new(const char *id, const char *since_id)
{
  return id != NULL && (since_id == NULL || tb_id_compare(id, since_id) > 0);
}

gboolean
tb_home_is_gap(const char *since_id, gboolean has_next_page)
{
  return since_id != NULL && has_next_page;
}

TbHomeMark
tb_home_mark(const char *author_id, const char *me_id, const char *const *others, guint *which)
{
  if (author_id == NULL)
    return TB_HOME_MARK_NONE;
  if (g_strcmp0(author_id, me_id) == 0)
    return TB_HOME_MARK_OWN;
  for (guint i = 0; others && others[i]; i++) {
    if (g_str_equal(others[i], author_id)) {
      if (which)
        *which = i;
      return TB_HOME_MARK_OTHER;
    }
  }
  return TB_HOME_MARK_NONE;
}

char *
tb_home_mark_text(TbHomeMark mark, const char *other_role)
{
  switch (mark) {
  case TB_HOME_MARK_OWN:
    return g_strdup(_("(your post)"));
  case TB_HOME_MARK_OTHER:
    /* Translators: %s is the other account's role, e.g. "work": "(your work account)". */
    return g_strdup_printf(_("(your %s account)"), other_role ? other_role : "");
  case TB_HOME_MARK_NONE:
  default:
    return NULL;
  }
}

char *
tb_home_price_notice(const char *handle, const char *role, guint interval_s)
{
  double post = tb_cost_price_micros(TB_COST_READ_POST) / 1e6;
  double user = tb_cost_price_micros(TB_COST_READ_USER) / 1e6;

  /* one sentence with every figure, so a translation can order it as its language needs */
  return g_strdup_printf(
      _("The home timeline of @%s (%s) is read every %u s. Each read costs $%.3f per new post "
        "(and per post it reposts or quotes), up to %d per read ($%.2f at most), and $%.3f per "
        "author not read yet today; a read with nothing new is free, and X bills each post and "
        "author once per UTC day. The first read shows the newest %d. Set the account option "
        "timeline to off to stop."),
      handle, role, interval_s, post, TB_HOME_PAGE, post * TB_HOME_PAGE, user, TB_HOME_FIRST_READ);
}
