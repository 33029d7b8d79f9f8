/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A listener exists while someone holds a reference; each connection is read until its head
 * ends (core/tb-redirect.h decides that and what it means), answered, and closed. Buffers that
 * held a request are overwritten before they are freed: the request line carried the code.
 */
#include "tb-loopback.h"
#include "core/tb-form.h"
#include "core/tb-redirect.h"

#include <arpa/inet.h>
#include <errno.h>
#include <eventloop.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TB_LOOPBACK_MAX_CLIENTS 16
#define TB_LOOPBACK_CLIENT_TIMEOUT_S 10

struct _TbLoopback {
  int refs;
  int port;
  int fd;
  guint watch;
  GList *waiters; /* TbLoopbackWaiter* */
  GList *clients; /* TbLoopbackClient* */
  guint next_id;
};

typedef struct {
  guint id;
  char *state;
  char *who;
  TbLoopbackRedirected callback;
  gpointer user_data;
} TbLoopbackWaiter;

typedef struct {
  TbLoopback *lb;
  int fd;
  guint watch;
  guint timer;
  GString *in;
  char *out;
  gsize out_len, sent;
} TbLoopbackClient;

static GHashTable *listeners; /* port -> TbLoopback* */

static void
waiter_free(gpointer data)
{
  TbLoopbackWaiter *w = data;
  tb_secret_free(w->state);
  g_free(w->who);
  g_free(w);
}

static void
client_free(TbLoopbackClient *c)
{
  c->lb->clients = g_list_remove(c->lb->clients, c);
  if (c->watch)
    purple_input_remove(c->watch);
  if (c->timer)
    purple_timeout_remove(c->timer);
  close(c->fd);
  memset(c->in->str, 0, c->in->allocated_len);
  g_string_free(c->in, TRUE);
  g_free(c->out);
  g_free(c);
}

static gboolean
client_timeout(gpointer data)
{
  TbLoopbackClient *c = data;
  c->timer = 0;
  client_free(c);
  return FALSE;
}

static void
client_write(gpointer data, gint fd, PurpleInputCondition cond)
{
  TbLoopbackClient *c = data;
  (void)cond;

  while (c->sent < c->out_len) {
    ssize_t n = send(fd, c->out + c->sent, c->out_len - c->sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (c->watch == 0)
        c->watch = purple_input_add(fd, PURPLE_INPUT_WRITE, client_write, c);
      return;
    }
    if (n <= 0)
      break;
    c->sent += (gsize)n;
  }
  client_free(c);
}

/* Sends the answer and closes; c may be gone when this returns. */
static void
client_answer(TbLoopbackClient *c, TbRedirectVerdict verdict, const char *who, const char *denied)
{
  if (c->watch) {
    purple_input_remove(c->watch);
    c->watch = 0;
  }
  c->out = tb_redirect_answer(verdict, who, denied, &c->out_len);
  client_write(c, c->fd, PURPLE_INPUT_WRITE);
}

/* Every waiter is compared, so the time taken says nothing of which state came close. */
static TbLoopbackWaiter *
waiter_by_state(TbLoopback *lb, const char *state)
{
  TbLoopbackWaiter *found = NULL;

  for (GList *l = lb->waiters; l; l = l->next) {
    TbLoopbackWaiter *w = l->data;
    if (tb_redirect_state_equal(w->state, state) && found == NULL)
      found = w;
  }
  return found;
}

/* The head is in: answer it, then (last, since the callback may close the listener and this
 * client) hand the code to its sign-in. */
static void
client_handle(TbLoopbackClient *c, TbRedirectVerdict verdict, TbRedirect *r)
{
  TbLoopback *lb = c->lb;

  if (verdict != TB_REDIRECT_CALLBACK) {
    client_answer(c, verdict, NULL, NULL);
    return;
  }
  TbLoopbackWaiter *w = waiter_by_state(lb, r->state);
  verdict = tb_redirect_route(r, w != NULL);
  client_answer(c, verdict, w ? w->who : NULL, r->denied);
  if (verdict != TB_REDIRECT_DENIED && verdict != TB_REDIRECT_RECEIVED)
    return;
  /* the state is spent: a second redirect with it is not ours any more */
  lb->waiters = g_list_remove(lb->waiters, w);
  TbLoopbackRedirected callback = w->callback;
  gpointer user_data = w->user_data;
  waiter_free(w);
  callback(verdict == TB_REDIRECT_RECEIVED ? g_steal_pointer(&r->code) : NULL, r->denied,
           user_data);
}

static void
client_read(gpointer data, gint fd, PurpleInputCondition cond)
{
  TbLoopbackClient *c = data;
  char buf[2048];
  TbRedirect r;
  (void)cond;

  ssize_t n = recv(fd, buf, sizeof(buf), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;
  if (n <= 0) {
    client_free(c);
    return;
  }
  g_string_append_len(c->in, buf, n);
  memset(buf, 0, sizeof(buf));
  TbRedirectVerdict verdict = tb_redirect_parse(c->in->str, c->in->len, c->lb->port, &r);
  if (verdict == TB_REDIRECT_MORE)
    return;
  client_handle(c, verdict, &r);
  tb_redirect_clear(&r);
}

static void
set_nonblocking(int fd)
{
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0)
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static void
listener_accept(gpointer data, gint fd, PurpleInputCondition cond)
{
  TbLoopback *lb = data;
  (void)cond;

  for (;;) {
    int cfd = accept(fd, NULL, NULL);
    if (cfd < 0) {
      if (errno == EINTR)
        continue;
      return; /* EAGAIN, or a client that left before we got to it */
    }
    if (g_list_length(lb->clients) >= TB_LOOPBACK_MAX_CLIENTS) {
      close(cfd);
      continue;
    }
    set_nonblocking(cfd);
    TbLoopbackClient *c = g_new0(TbLoopbackClient, 1);
    c->lb = lb;
    c->fd = cfd;
    c->in = g_string_new(NULL);
    c->watch = purple_input_add(cfd, PURPLE_INPUT_READ, client_read, c);
    c->timer = purple_timeout_add_seconds(TB_LOOPBACK_CLIENT_TIMEOUT_S, client_timeout, c);
    lb->clients = g_list_prepend(lb->clients, c);
  }
}

static TbLoopback *
listener_open(int port, GError **error)
{
  struct sockaddr_in sin;
  int one = 1;
  int fd = socket(AF_INET, SOCK_STREAM, 0);

  if (fd < 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s", g_strerror(errno));
    return NULL;
  }
  set_nonblocking(fd);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_port = htons((uint16_t)port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* never another interface */
  if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 8) < 0) {
    int e = errno;
    close(fd);
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s", g_strerror(e));
    return NULL;
  }
  TbLoopback *lb = g_new0(TbLoopback, 1);
  lb->refs = 1;
  lb->port = port;
  lb->fd = fd;
  lb->watch = purple_input_add(fd, PURPLE_INPUT_READ, listener_accept, lb);
  if (listeners == NULL)
    listeners = g_hash_table_new(g_direct_hash, g_direct_equal);
  g_hash_table_insert(listeners, GINT_TO_POINTER(port), lb);
  return lb;
}

TbLoopback *
tb_loopback_listen(int port, GError **error)
{
  g_return_val_if_fail(port > 0 && port <= 65535, NULL);
  TbLoopback *lb = listeners ? g_hash_table_lookup(listeners, GINT_TO_POINTER(port)) : NULL;
  return lb ? tb_loopback_ref(lb) : listener_open(port, error);
}

TbLoopback *
tb_loopback_ref(TbLoopback *lb)
{
  g_return_val_if_fail(lb != NULL && lb->refs > 0, NULL);
  lb->refs++;
  return lb;
}

void
tb_loopback_unref(TbLoopback *lb)
{
  if (lb == NULL || --lb->refs > 0)
    return;
  while (lb->clients != NULL)
    client_free(lb->clients->data);
  g_list_free_full(g_steal_pointer(&lb->waiters), waiter_free);
  if (lb->watch)
    purple_input_remove(lb->watch);
  close(lb->fd);
  g_hash_table_remove(listeners, GINT_TO_POINTER(lb->port));
  if (g_hash_table_size(listeners) == 0)
    g_clear_pointer(&listeners, g_hash_table_destroy);
  g_free(lb);
}

int
tb_loopback_port(const TbLoopback *lb)
{
  return lb->port;
}

guint
tb_loopback_expect(TbLoopback *lb, const char *state, const char *who,
                   TbLoopbackRedirected callback, gpointer user_data)
{
  g_return_val_if_fail(lb != NULL && state != NULL && *state != '\0' && callback != NULL, 0);
  TbLoopbackWaiter *w = g_new0(TbLoopbackWaiter, 1);
  w->id = ++lb->next_id;
  w->state = g_strdup(state);
  w->who = g_strdup(who);
  w->callback = callback;
  w->user_data = user_data;
  lb->waiters = g_list_append(lb->waiters, w);
  return w->id;
}

void
tb_loopback_forget(TbLoopback *lb, guint id)
{
  for (GList *l = lb ? lb->waiters : NULL; l; l = l->next) {
    TbLoopbackWaiter *w = l->data;
    if (w->id == id) {
      lb->waiters = g_list_delete_link(lb->waiters, l);
      waiter_free(w);
      return;
    }
  }
}
