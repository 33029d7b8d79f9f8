/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-blist.h"
#include "core/tb-bounds.h"
#include "core/tb-render.h"

#include <glib/gi18n-lib.h>

char *
tb_blist_group_name(TbConn *conn)
{
  /* Handle and role both: two accounts of one person must never share a group. */
  return g_strdup_printf("@%s (%s)", conn->handle, conn->cfg.role);
}

PurpleGroup *
tb_blist_group(TbConn *conn)
{
  g_autofree char *name = tb_blist_group_name(conn);
  PurpleGroup *group = purple_find_group(name);

  if (group == NULL) {
    group = purple_group_new(name);
    purple_blist_add_group(group, NULL);
  }
  return group;
}

void
tb_blist_add_self(TbConn *conn)
{
  PurpleGroup *group = tb_blist_group(conn);
  PurpleBuddy *self = purple_find_buddy(conn->account, conn->handle);
  g_autofree char *alias = g_strdup_printf("@%s (%s)", conn->handle, conn->cfg.role);

  if (self == NULL) {
    self = purple_buddy_new(conn->account, conn->handle, NULL);
    purple_blist_add_buddy(self, NULL, group, NULL);
  } else if (purple_buddy_get_group(self) != group) {
    purple_blist_add_buddy(self, NULL, group, NULL); /* the role changed: move it */
  }
  serv_got_alias(conn->gc, conn->handle, alias);
  tb_blist_self_away(conn, NULL);
}

void
tb_blist_self_away(TbConn *conn, const char *message)
{
  g_autofree char *hint = g_strdup_printf(_("Message this buddy to post from @%s"), conn->handle);

  if (message != NULL)
    purple_prpl_got_user_status(conn->account, conn->handle, TB_STATUS_AWAY, "message", message,
                                NULL);
  else
    purple_prpl_got_user_status(conn->account, conn->handle, TB_STATUS_AVAILABLE, "message", hint,
                                NULL);
}

typedef struct {
  TbConn *conn;
  char *handle;
  char *url;
} TbAvatarFetch;

static void
avatar_free(gpointer data)
{
  TbAvatarFetch *f = data;
  g_free(f->handle);
  g_free(f->url);
  g_free(f);
}

static void
avatar_done(const TbHttpResponse *resp, gpointer data)
{
  TbAvatarFetch *f = data;
  gsize len = 0;
  const guint8 *bytes = g_bytes_get_data(resp->body, &len);

  if (resp->outcome == TB_HTTP_OK && resp->status == 200 && len > 0 && len <= TB_BOUND_AVATAR_BYTES)
    /* libpurple caches the image and keys it by the checksum: the URL changes with the picture. */
    purple_buddy_icons_set_for_user(f->conn->account, f->handle, g_memdup2(bytes, len), len,
                                    f->url);
  else
    purple_debug_info("twinbird", "@%s: no avatar for @%s (%s)\n", f->conn->handle, f->handle,
                      resp->error ? resp->error : "HTTP error");
  avatar_free(f);
}

/* Avatars only where they are shown (not BitlBee), fetched in the background once per picture. */
static void
fetch_avatar(TbConn *conn, PurpleBuddy *buddy, const TbXapiUser *user)
{
  if (user->profile_image_url == NULL || g_str_equal(purple_core_get_ui(), "BitlBee") ||
      g_strcmp0(purple_buddy_icons_get_checksum_for_user(buddy), user->profile_image_url) == 0)
    return;
  TbAvatarFetch *f = g_new0(TbAvatarFetch, 1);
  f->conn = conn;
  f->handle = g_strdup(user->username);
  f->url = g_strdup(user->profile_image_url);
  TbHttpRequest *req = tb_http_request_new("GET", f->url);
  if (tb_http_send_full(conn->http, req, avatar_done, f, avatar_free, NULL) == 0)
    avatar_free(f);
}

void
tb_blist_add_person(TbConn *conn, const TbXapiUser *user)
{
  if (user == NULL || g_ascii_strcasecmp(user->username, conn->handle) == 0)
    return;
  PurpleBuddy *buddy = purple_find_buddy(conn->account, user->username);
  if (buddy == NULL) {
    buddy = purple_buddy_new(conn->account, user->username, NULL);
    purple_blist_add_buddy(buddy, NULL, tb_blist_group(conn), NULL);
  }
  /* Display names come from strangers: no control or bidi characters in the list. */
  g_autofree char *name = tb_render_name(user->name ? user->name : "", TB_RENDER_PLAIN);
  serv_got_alias(conn->gc, user->username, *name ? name : user->username);
  /* Online, so every UI lets the user message them (X has no presence to show). */
  purple_prpl_got_user_status(conn->account, user->username, TB_STATUS_AVAILABLE, NULL);
  fetch_avatar(conn, buddy, user);
}
