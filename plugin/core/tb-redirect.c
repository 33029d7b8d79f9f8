/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-redirect.h"
#include "tb-form.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* Bytes up to and including the empty line ("\r\n" or a bare "\n") that ends the head; 0 while
 * there is none. */
static gsize
head_length(const char *buf, gsize len)
{
  gsize start = 0; /* of the line being read */

  for (gsize i = 0; i < len; i++) {
    if (buf[i] != '\n')
      continue;
    if (i == start || (i == start + 1 && buf[start] == '\r'))
      return i + 1;
    start = i + 1;
  }
  return 0;
}

gboolean
tb_redirect_host_ok(const char *head, gsize len, int port)
{
  if (head == NULL || len == 0 || memchr(head, '\0', len) != NULL)
    return FALSE;
  g_autofree char *ip = g_strdup_printf("127.0.0.1:%d", port);
  g_autofree char *name = g_strdup_printf("localhost:%d", port);
  const char *end = head + len;
  const char *nl = memchr(head, '\n', len);
  guint hosts = 0;
  gboolean ours = FALSE;

  /* the request line first, then one header a line until the empty one */
  for (const char *line = nl ? nl + 1 : end; line < end; line = nl ? nl + 1 : end) {
    nl = memchr(line, '\n', (gsize)(end - line));
    gsize n = nl ? (gsize)(nl - line) : (gsize)(end - line);
    if (n == 0 || (n == 1 && line[0] == '\r'))
      break;
    if (n < 5 || g_ascii_strncasecmp(line, "Host:", 5) != 0)
      continue;
    g_autofree char *value = g_strstrip(g_strndup(line + 5, n - 5));
    hosts++;
    ours = g_ascii_strcasecmp(value, ip) == 0 || g_ascii_strcasecmp(value, name) == 0;
  }
  /* two Host headers: RFC 9112 §3.2 refuses them, and each proxy might read another */
  return hosts == 1 && ours;
}

gboolean
tb_redirect_state_equal(const char *expected, const char *got)
{
  if (expected == NULL || got == NULL || *expected == '\0')
    return FALSE;
  gsize n = strlen(expected);
  /* the length is no secret (every state has 22 characters); the bytes are all compared */
  if (strlen(got) != n)
    return FALSE;
  volatile guchar diff = 0;
  for (gsize i = 0; i < n; i++)
    diff |= (guchar)expected[i] ^ (guchar)got[i];
  return diff == 0;
}

/* GET <target> [version]: the target, or NULL for another method or no target. */
static char *
request_target(const char *head)
{
  gsize line_len = strcspn(head, "\r\n");
  const char *sp = memchr(head, ' ', line_len);

  if (sp == NULL || sp - head != 3 || strncmp(head, "GET", 3) != 0)
    return NULL;
  const char *target = sp + 1;
  const char *line_end = head + line_len;
  const char *next = memchr(target, ' ', (gsize)(line_end - target));
  return g_strndup(target, (gsize)((next ? next : line_end) - target));
}

static void
read_query(const char *query, TbRedirect *out)
{
  g_autoptr(GHashTable) form = tb_form_parse(query);
  const char *err = g_hash_table_lookup(form, "error");
  const char *desc = g_hash_table_lookup(form, "error_description");

  out->state = g_strdup(g_hash_table_lookup(form, "state"));
  out->code = g_strdup(g_hash_table_lookup(form, "code"));
  /* X's words go on a page and into a prompt: never bytes that are not UTF-8 */
  out->denied = err ? g_utf8_make_valid(desc ? desc : err, -1) : NULL;
}

static TbRedirectVerdict
read_head(const char *head, gsize len, int port, TbRedirect *out)
{
  g_autofree char *target = request_target(head);

  if (target == NULL)
    return TB_REDIRECT_NOT_GET;
  TbRedirectVerdict v = TB_REDIRECT_NOT_FOUND;
  gsize path_len = strcspn(target, "?#");
  if (!tb_redirect_host_ok(head, len, port))
    v = TB_REDIRECT_WRONG_HOST;
  else if (path_len == strlen(TB_REDIRECT_PATH) &&
           strncmp(target, TB_REDIRECT_PATH, path_len) == 0) {
    char *query = target + path_len + (target[path_len] == '?');
    query[strcspn(query, "#")] = '\0';
    read_query(query, out);
    v = TB_REDIRECT_CALLBACK;
  }
  tb_secret_free(g_steal_pointer(&target)); /* it held the code */
  return v;
}

TbRedirectVerdict
tb_redirect_parse(const char *buf, gsize len, int port, TbRedirect *out)
{
  memset(out, 0, sizeof(*out));
  if (buf == NULL || len == 0)
    return TB_REDIRECT_MORE;
  gsize head_len = head_length(buf, len);
  if (memchr(buf, '\0', head_len ? head_len : len) != NULL)
    return TB_REDIRECT_MALFORMED;
  if (head_len == 0)
    return len >= TB_REDIRECT_MAX_HEAD ? TB_REDIRECT_TOO_LARGE : TB_REDIRECT_MORE;
  if (head_len > TB_REDIRECT_MAX_HEAD)
    return TB_REDIRECT_TOO_LARGE;
  char *head = g_strndup(buf, head_len);
  TbRedirectVerdict v = read_head(head, head_len, port, out);
  tb_secret_free(head);
  return v;
}

TbRedirectVerdict
tb_redirect_route(const TbRedirect *r, gboolean state_known)
{
  if (!state_known)
    return TB_REDIRECT_UNKNOWN_STATE;
  if (r->denied != NULL)
    return TB_REDIRECT_DENIED;
  if (r->code == NULL || *r->code == '\0')
    return TB_REDIRECT_NO_CODE;
  return TB_REDIRECT_RECEIVED;
}

void
tb_redirect_clear(TbRedirect *r)
{
  tb_secret_free(g_steal_pointer(&r->state));
  tb_secret_free(g_steal_pointer(&r->code));
  g_clear_pointer(&r->denied, g_free);
}

/* The pages, by verdict; DENIED and RECEIVED name the account, so their text is built below. */
static const struct {
  int status;
  const char *reason;
  const char *title, *text;
} answers[] = {
    [TB_REDIRECT_TOO_LARGE] = {431, "Request Header Fields Too Large", N_("Not here"),
                               N_("This address only receives X's sign-in redirect.")},
    [TB_REDIRECT_MALFORMED] = {400, "Bad Request", N_("Not here"),
                               N_("This address only receives X's sign-in redirect.")},
    [TB_REDIRECT_NOT_GET] = {405, "Method Not Allowed", N_("Not here"),
                             N_("This address only receives X's sign-in redirect.")},
    [TB_REDIRECT_WRONG_HOST] = {421, "Misdirected Request", N_("Not here"),
                                N_("This address only receives X's sign-in redirect.")},
    [TB_REDIRECT_NOT_FOUND] = {404, "Not Found", N_("Not here"),
                               N_("This address only receives X's sign-in redirect.")},
    [TB_REDIRECT_UNKNOWN_STATE] = {400, "Bad Request", N_("Unknown sign-in"),
                                   N_("This sign-in link is old or was not started here. Start "
                                      "the sign-in again from your chat program and use the "
                                      "newest link.")},
    [TB_REDIRECT_NO_CODE] = {400, "Bad Request", N_("No code"),
                             N_("X sent no code. Start the sign-in again from your chat "
                                "program.")},
    [TB_REDIRECT_DENIED] = {200, "OK", N_("Not authorized"), NULL},
    [TB_REDIRECT_RECEIVED] = {200, "OK", N_("Sign-in received"), NULL},
};

char *
tb_redirect_answer(TbRedirectVerdict verdict, const char *who, const char *denied, gsize *len)
{
  g_return_val_if_fail((gsize)verdict < G_N_ELEMENTS(answers) && answers[verdict].status != 0,
                       NULL);
  g_autofree char *text = NULL;
  if (verdict == TB_REDIRECT_DENIED)
    text = g_strdup_printf(
        _("X did not authorize the app for %s (%s). Your chat program asks again."), who, denied);
  else if (verdict == TB_REDIRECT_RECEIVED)
    text = g_strdup_printf(
        _("Twinbird received the sign-in. Go back to your chat program: it now checks with X "
          "that this is %s, and signs in if it is. You can close this tab."),
        who);
  else
    text = g_strdup(_(answers[verdict].text));

  g_autofree char *t = g_markup_escape_text(_(answers[verdict].title), -1);
  g_autofree char *x = g_markup_escape_text(text, -1);
  g_autofree char *page = g_strdup_printf(
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>Twinbird: %s</title></head>"
      "<body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\"><h1>%s</h1><p>%s</p>"
      "</body></html>\n",
      t, t, x);
  /* no-referrer and no-store: the address held the code */
  char *out = g_strdup_printf("HTTP/1.1 %d %s\r\nContent-Type: text/html; charset=utf-8\r\n"
                              "Content-Length: %zu\r\nCache-Control: no-store\r\n"
                              "Referrer-Policy: no-referrer\r\nConnection: close\r\n\r\n%s",
                              answers[verdict].status, answers[verdict].reason, strlen(page), page);
  if (len != NULL)
    *len = strlen(out);
  return out;
}
