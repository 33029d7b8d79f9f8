/* The sign-in's loopback listener (http/tb-loopback.h) on libpurple's event loop (fake-loop.h),
 * with the test as the browser: one listener a port shared by every sign-in on it, redirects
 * routed by state, strangers answered without disturbing anyone, and nothing left behind.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "http/tb-loopback.h"
#include "core/tb-form.h"
#include "core/tb-redirect.h"
#include "fake-loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* What a sign-in was handed. */
typedef struct {
  int calls;
  char *code;
  char *denied;
  TbLoopback **drop; /* the callback drops this reference, as a finished sign-in does */
  int listen_again;  /* then listens on this port again, as a new sign-in does (into *drop) */
} Got;

static void
got_clear(Got *g)
{
  tb_secret_free(g_steal_pointer(&g->code));
  g_clear_pointer(&g->denied, g_free);
}

static void
on_redirect(char *code, const char *denied, gpointer data)
{
  Got *g = data;

  g->calls++;
  got_clear(g);
  g->code = code;
  g->denied = g_strdup(denied);
  if (g->drop != NULL) {
    g_clear_pointer(g->drop, tb_loopback_unref);
    if (g->listen_again)
      *g->drop = tb_loopback_listen(g->listen_again, NULL);
  }
}

static int
connect_to(int port)
{
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  int s = socket(AF_INET, SOCK_STREAM, 0);

  g_assert_cmpint(s, >=, 0);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  /* the kernel accepts into the backlog: this returns before the loop runs */
  if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
    close(s);
    return -1;
  }
  return s;
}

/* Runs the loop until the listener has answered s and closed it; its answer. */
static char *
answer_of(int s)
{
  GString *in = g_string_new(NULL);

  while (!guard.expired) {
    char buf[4096];
    ssize_t n = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0)
      g_string_append_len(in, buf, n);
    else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
      break;
    else
      run_for(1);
  }
  close(s);
  return g_string_free(in, FALSE);
}

/* Sends raw (len bytes: it may hold a NUL) at once, as a browser does; the answer. */
static char *
send_raw(int port, const char *raw, gsize len)
{
  int s = connect_to(port);

  g_assert_cmpint(s, >=, 0);
  g_assert_cmpint(send(s, raw, len, MSG_NOSIGNAL), ==, (gssize)len);
  return answer_of(s);
}

static char *
get(int port, const char *target)
{
  g_autofree char *req = g_strdup_printf("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                                         "User-Agent: test-loopback\r\n\r\n",
                                         target, port);
  return send_raw(port, req, strlen(req));
}

static void
assert_answer(const char *answer, const char *status_line, const char *words)
{
  g_assert_true(g_str_has_prefix(answer, status_line));
  g_assert_nonnull(strstr(answer, words));
}

/* A listener on a free port with a sign-in's Got, dropped (and checked for leftovers) after. */
typedef struct {
  Fixture loop;
  int port;
  TbLoopback *lb;
  Got g;
} Lb;

static void
lb_setup(Lb *f, gconstpointer data)
{
  fake_loop_setup(&f->loop, data);
  f->port = closed_port();
  f->lb = tb_loopback_listen(f->port, NULL);
  g_assert_nonnull(f->lb);
  memset(&f->g, 0, sizeof(f->g));
}

static void
lb_teardown(Lb *f, gconstpointer data)
{
  g_clear_pointer(&f->lb, tb_loopback_unref);
  got_clear(&f->g);
  fake_loop_teardown(&f->loop, data);
}

static gboolean
port_is_free(int port)
{
  int s = connect_to(port);
  if (s >= 0)
    close(s);
  return s < 0;
}

/* --- tests --------------------------------------------------------------------------------- */

static void
test_shared_per_port(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  int port = closed_port(), other = closed_port();
  g_autoptr(GError) error = NULL;

  while (other == port)
    other = closed_port();

  TbLoopback *home = tb_loopback_listen(port, &error);
  g_assert_no_error(error);
  TbLoopback *work = tb_loopback_listen(port, &error);
  g_assert_no_error(error);
  g_assert_true(home == work);
  g_assert_cmpint(tb_loopback_port(home), ==, port);
  g_assert_cmpuint(live_watches(), ==, 1); /* one socket, one watch */
  TbLoopback *elsewhere = tb_loopback_listen(other, &error);
  g_assert_no_error(error);
  g_assert_true(elsewhere != home);
  tb_loopback_unref(elsewhere);
  g_assert_true(port_is_free(other));

  /* the port stays open until the last reference goes */
  tb_loopback_unref(home);
  g_assert_false(port_is_free(port));
  tb_loopback_unref(work);
  g_assert_true(port_is_free(port));
}

static void
test_routes_by_state(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  int port = closed_port();
  TbLoopback *home = tb_loopback_listen(port, NULL);
  TbLoopback *work = tb_loopback_listen(port, NULL);
  Got h = {0}, w = {0};

  tb_loopback_expect(home, "home-state", "@pat_home", on_redirect, &h);
  tb_loopback_expect(work, "work-state", "@pat_at_acme", on_redirect, &w);

  /* the work account's redirect finds the work sign-in, and names it */
  g_autofree char *a1 = get(port, "/callback?state=work-state&code=W1");
  assert_answer(a1, "HTTP/1.1 200 OK\r\n", "Twinbird received the sign-in");
  g_assert_nonnull(strstr(a1, "@pat_at_acme"));
  g_assert_cmpint(w.calls, ==, 1);
  g_assert_cmpstr(w.code, ==, "W1");
  g_assert_null(w.denied);
  g_assert_cmpint(h.calls, ==, 0);

  /* a state serves once: the same redirect again is nobody's */
  g_autofree char *a2 = get(port, "/callback?state=work-state&code=W2");
  assert_answer(a2, "HTTP/1.1 400 Bad Request\r\n", "not started here");
  g_assert_cmpint(w.calls, ==, 1);
  g_assert_cmpstr(w.code, ==, "W1");

  g_autofree char *a3 = get(port, "/callback?code=H1&state=home-state");
  assert_answer(a3, "HTTP/1.1 200 OK\r\n", "@pat_home");
  g_assert_cmpint(h.calls, ==, 1);
  g_assert_cmpstr(h.code, ==, "H1");

  tb_loopback_unref(work);
  tb_loopback_unref(home);
  got_clear(&h);
  got_clear(&w);
}

static void
test_strangers_change_nothing(Lb *f, gconstpointer data)
{
  (void)data;
  int port = f->port;
  g_autofree char *host = g_strdup_printf("Host: 127.0.0.1:%d\r\n", port);
  g_autofree char *wrong_host = g_strdup_printf("GET /callback?state=S&code=C HTTP/1.1\r\n"
                                                "Host: evil.example:%d\r\n\r\n",
                                                port);
  g_autofree char *post = g_strdup_printf("POST /callback?state=S&code=C HTTP/1.1\r\n%s\r\n", host);
  g_autoptr(GString) nul = g_string_new("GET /callback?state=S&code=C");
  g_string_append_c(nul, '\0');
  g_string_append_printf(nul, " HTTP/1.1\r\n%s\r\n", host);

  tb_loopback_expect(f->lb, "S", "@pat_home", on_redirect, &f->g);
  static const struct {
    const char *target, *status_line, *words;
  } gets[] = {
      {"/callback?state=T&code=C", "HTTP/1.1 400 Bad Request\r\n", "not started here"},
      {"/callback?code=C", "HTTP/1.1 400 Bad Request\r\n", "not started here"},
      {"/callback?state=S%00&code=C", "HTTP/1.1 400 Bad Request\r\n", "not started here"},
      {"/callback?state=s&code=C", "HTTP/1.1 400 Bad Request\r\n", "not started here"},
      {"/favicon.ico", "HTTP/1.1 404 Not Found\r\n", "only receives"},
      {"/callback?state=S", "HTTP/1.1 400 Bad Request\r\n", "X sent no code"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(gets); i++) {
    g_autofree char *a = get(port, gets[i].target);
    assert_answer(a, gets[i].status_line, gets[i].words);
  }
  g_autofree char *a1 = send_raw(port, wrong_host, strlen(wrong_host));
  assert_answer(a1, "HTTP/1.1 421 Misdirected Request\r\n", "only receives");
  g_autofree char *a2 = send_raw(port, post, strlen(post));
  assert_answer(a2, "HTTP/1.1 405 Method Not Allowed\r\n", "only receives");
  g_autofree char *a3 = send_raw(port, nul->str, nul->len);
  assert_answer(a3, "HTTP/1.1 400 Bad Request\r\n", "only receives");
  /* a head that never ends: refused at the bound, with nothing of it left unread */
  g_autofree char *big = g_strnfill(TB_REDIRECT_MAX_HEAD, 'a');
  g_autofree char *a4 = send_raw(port, big, strlen(big));
  assert_answer(a4, "HTTP/1.1 431 Request Header Fields Too Large\r\n", "only receives");
  g_assert_cmpint(f->g.calls, ==, 0);

  /* the sign-in still waits, and its redirect still arrives */
  g_autofree char *ok = get(port, "/callback?state=S&code=C");
  assert_answer(ok, "HTTP/1.1 200 OK\r\n", "Twinbird received the sign-in");
  g_assert_cmpint(f->g.calls, ==, 1);
  g_assert_cmpstr(f->g.code, ==, "C");
}

static void
test_denied(Lb *f, gconstpointer data)
{
  (void)data;
  tb_loopback_expect(f->lb, "S", "@pat_home", on_redirect, &f->g);
  g_autofree char *a =
      get(f->port, "/callback?state=S&error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E");
  assert_answer(a, "HTTP/1.1 200 OK\r\n", "did not authorize the app for @pat_home");
  g_assert_nonnull(strstr(a, "&lt;b&gt;no&lt;/b&gt;"));
  g_assert_cmpint(f->g.calls, ==, 1);
  g_assert_null(f->g.code);
  g_assert_cmpstr(f->g.denied, ==, "<b>no</b>");
}

static void
test_forget(Lb *f, gconstpointer data)
{
  (void)data;
  TbLoopback *lb = f->lb;
  int port = f->port;
  Got other = {0};

  guint id = tb_loopback_expect(lb, "S", "@pat_home", on_redirect, &f->g);
  guint other_id = tb_loopback_expect(lb, "T", "@pat_at_acme", on_redirect, &other);
  g_assert_cmpuint(id, >, 0);
  g_assert_cmpuint(other_id, !=, id);
  tb_loopback_forget(lb, id);
  tb_loopback_forget(lb, id);     /* gone already: ignored */
  tb_loopback_forget(lb, 424242); /* never there */
  g_autofree char *a = get(port, "/callback?state=S&code=C");
  assert_answer(a, "HTTP/1.1 400 Bad Request\r\n", "not started here");
  g_assert_cmpint(f->g.calls, ==, 0);
  g_autofree char *b = get(port, "/callback?state=T&code=D");
  assert_answer(b, "HTTP/1.1 200 OK\r\n", "@pat_at_acme");
  g_assert_cmpint(other.calls, ==, 1);
  got_clear(&other);
}

/* What tb-auth.c does when X says no: the sign-in drops the listener and starts again on the same
 * port, from inside the callback. */
static void
test_callback_drops_and_listens_again(Lb *f, gconstpointer data)
{
  (void)data;
  int port = f->port;
  Got *g = &f->g;

  g->drop = &f->lb;
  g->listen_again = port;
  tb_loopback_expect(f->lb, "S1", "@pat_home", on_redirect, g);
  g_autofree char *a = get(port, "/callback?state=S1&error=access_denied");
  assert_answer(a, "HTTP/1.1 200 OK\r\n", "did not authorize");
  g_assert_cmpint(g->calls, ==, 1);
  g_assert_nonnull(f->lb); /* a new listener */
  g->listen_again = 0;
  tb_loopback_expect(f->lb, "S2", "@pat_home", on_redirect, g);
  g_autofree char *old = get(port, "/callback?state=S1&code=C");
  assert_answer(old, "HTTP/1.1 400 Bad Request\r\n", "not started here");
  /* the code: the sign-in drops its last reference, and the port closes */
  g_autofree char *b = get(port, "/callback?state=S2&code=C2");
  assert_answer(b, "HTTP/1.1 200 OK\r\n", "Twinbird received the sign-in");
  g_assert_cmpint(g->calls, ==, 2);
  g_assert_cmpstr(g->code, ==, "C2");
  g_assert_null(f->lb);
  g_assert_true(port_is_free(port));
}

static void
test_port_taken(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  int port = closed_port();
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  int s = socket(AF_INET, SOCK_STREAM, 0);
  g_autoptr(GError) error = NULL;

  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  g_assert_cmpint(bind(s, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
  g_assert_cmpint(listen(s, 1), ==, 0);
  g_assert_null(tb_loopback_listen(port, &error));
  g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED);
  g_assert_cmpstr(error->message, ==, g_strerror(EADDRINUSE)); /* shown in the prompt */
  g_assert_cmpuint(live_watches(), ==, 0);
  close(s);
}

/* A client that sends its request a byte at a time, and one that connects and says nothing
 * while the listener closes. */
static void
test_slow_and_silent_clients(Lb *f, gconstpointer data)
{
  (void)data;
  int port = f->port;
  g_autofree char *req = g_strdup_printf("GET /callback?state=S&code=C HTTP/1.1\r\n"
                                         "Host: localhost:%d\r\n\r\n",
                                         port);

  tb_loopback_expect(f->lb, "S", "@pat_home", on_redirect, &f->g);
  int s = connect_to(port);
  for (const char *p = req; *p; p++) {
    g_assert_cmpint(f->g.calls, ==, 0);
    g_assert_cmpint(send(s, p, 1, MSG_NOSIGNAL), ==, 1);
    run_for(1);
  }
  g_autofree char *a = answer_of(s);
  assert_answer(a, "HTTP/1.1 200 OK\r\n", "Twinbird received the sign-in");
  g_assert_cmpint(f->g.calls, ==, 1);

  int silent = connect_to(port);
  while (live_timers() == 0 && !guard.expired) /* accepted, with its timeout */
    run_for(5);
  g_assert_cmpuint(live_timers(), ==, 1);
  g_clear_pointer(&f->lb, tb_loopback_unref);
  g_assert_cmpuint(live_watches(), ==, 0);
  g_assert_cmpuint(live_timers(), ==, 0);
  g_autofree char *nothing = answer_of(silent); /* closed without an answer */
  g_assert_cmpstr(nothing, ==, "");
}

#define ADD(path, fn) g_test_add(path, Fixture, NULL, fake_loop_setup, fn, fake_loop_teardown)
#define ADD_LB(path, fn) g_test_add(path, Lb, NULL, lb_setup, fn, lb_teardown)

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  signal(SIGPIPE, SIG_IGN);
  fake_loop_install();

  ADD("/loopback/shared-per-port", test_shared_per_port);
  ADD("/loopback/routes-by-state", test_routes_by_state);
  ADD_LB("/loopback/strangers-change-nothing", test_strangers_change_nothing);
  ADD_LB("/loopback/denied", test_denied);
  ADD_LB("/loopback/forget", test_forget);
  ADD_LB("/loopback/callback-drops-and-listens-again", test_callback_drops_and_listens_again);
  ADD("/loopback/port-taken", test_port_taken);
  ADD_LB("/loopback/slow-and-silent-clients", test_slow_and_silent_clients);
  return g_test_run();
}
