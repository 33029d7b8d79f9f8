/* The loopback listener of an OAuth sign-in (RFC 8252 §7.3): a small HTTP server on 127.0.0.1
 * that receives the browser's redirect with the code. One listener a port for the whole process,
 * reference-counted, so two accounts signing in at once on the same port share it: each sign-in
 * registers the state it waits for, and a redirect goes to the one whose state it carries. A
 * request for no sign-in here (another state, path, host or method) gets an error page and
 * changes nothing. Non-blocking sockets on libpurple's loop (purple_input_add) only; what a
 * request means is decided by core/tb-redirect.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_LOOPBACK_H
#define TB_LOOPBACK_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TbLoopback TbLoopback;

/* A redirect for a sign-in came in and its answer page is sent. code is what X sent, now the
 * callee's (a secret: free it with tb_secret_free()); or NULL, and denied says why X did not
 * authorize the app. The waiter is gone by then: a state serves once. The callback may forget
 * other waiters, drop its reference to the listener, or listen again. */
typedef void (*TbLoopbackRedirected)(char *code, const char *denied, gpointer user_data);

/* A reference to the listener on 127.0.0.1:port: the one already there, or a new one. NULL with
 * error set (G_FILE_ERROR, from errno, its message strerror's) when it cannot listen. */
TbLoopback *tb_loopback_listen(int port, GError **error);
TbLoopback *tb_loopback_ref(TbLoopback *lb);
/* The last reference closes the socket, every connection and forgets every waiter (without
 * calling back). */
void tb_loopback_unref(TbLoopback *lb);
int tb_loopback_port(const TbLoopback *lb);

/* Waits for the redirect carrying state; who (e.g. "@pat_home") is named on the answer page.
 * Returns an id (> 0) for tb_loopback_forget(). */
guint tb_loopback_expect(TbLoopback *lb, const char *state, const char *who,
                         TbLoopbackRedirected callback, gpointer user_data);
/* Stops waiting: that state is answered as unknown from now on. Ids that are gone (delivered or
 * forgotten already) are ignored. */
void tb_loopback_forget(TbLoopback *lb, guint id);

G_END_DECLS

#endif
