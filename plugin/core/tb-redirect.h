/* The browser's redirect to the loopback listener of an OAuth sign-in (RFC 8252 §7.3), as pure
 * decisions: where the request's head ends, whether it is GET /callback sent to one of the
 * listener's own names, what its query says, whether its state is the one a sign-in waits for,
 * and the HTTP answer with its page. The sockets are http/tb-loopback.c.
 *
 * The query carries the code: every string here may be a secret, kept out of debug lines.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_REDIRECT_H
#define TB_REDIRECT_H

#include <glib.h>

G_BEGIN_DECLS

/* Request line and headers, through the empty line that ends them (431 beyond): a browser's
 * redirect is far smaller. */
#define TB_REDIRECT_MAX_HEAD 8192
/* The path of tb_oauth2_redirect_uri(): http://127.0.0.1:PORT/callback */
#define TB_REDIRECT_PATH "/callback"

typedef enum {
  TB_REDIRECT_MORE,     /* the head has not ended yet: read on */
  TB_REDIRECT_CALLBACK, /* GET /callback to one of our names: look its state up */
  /* the answers (tb_redirect_answer) */
  TB_REDIRECT_TOO_LARGE,     /* 431: no end of the head within TB_REDIRECT_MAX_HEAD bytes */
  TB_REDIRECT_MALFORMED,     /* 400: a NUL byte in the head */
  TB_REDIRECT_NOT_GET,       /* 405: another method, or no request line */
  TB_REDIRECT_WRONG_HOST,    /* 421: no Host header, more than one, or another name or port */
  TB_REDIRECT_NOT_FOUND,     /* 404: another path */
  TB_REDIRECT_UNKNOWN_STATE, /* 400: no state, or one no sign-in here waits for */
  TB_REDIRECT_NO_CODE,       /* 400: neither a code nor an error; the sign-in waits on */
  TB_REDIRECT_DENIED,        /* 200: X says why the app was not authorized */
  TB_REDIRECT_RECEIVED,      /* 200: the code */
} TbRedirectVerdict;

/* The query of GET /callback, decoded (core/tb-form.h: the first of a repeated name wins, a pair
 * that does not decode is left out). Each NULL when absent. */
typedef struct {
  char *state;
  char *code;   /* "" when sent empty */
  char *denied; /* when X sent an error: its error_description, else the error itself */
} TbRedirect;

/* Reads the len bytes that came in so far (not NUL-terminated) as far as the head goes; port is
 * the listener's. Only TB_REDIRECT_CALLBACK fills out (clear it with tb_redirect_clear()). */
TbRedirectVerdict tb_redirect_parse(const char *buf, gsize len, int port, TbRedirect *out);
/* The answer to a TB_REDIRECT_CALLBACK once its state is looked up. */
TbRedirectVerdict tb_redirect_route(const TbRedirect *r, gboolean state_known);
/* Frees (and overwrites) the strings. */
void tb_redirect_clear(TbRedirect *r);

/* The head (request line, headers) has exactly one Host header and it names this listener,
 * 127.0.0.1:PORT or localhost:PORT: a page elsewhere that rebinds its own name to 127.0.0.1
 * (DNS rebinding) gets nothing. Lines after the empty one that ends the head are not read. */
gboolean tb_redirect_host_ok(const char *head, gsize len, int port);

/* The state a sign-in expects and the one a redirect carries are the same, found in a time that
 * does not depend on where they differ. FALSE when either is NULL or empty. */
gboolean tb_redirect_state_equal(const char *expected, const char *got);

/* The whole HTTP answer to an answer verdict (not MORE or CALLBACK), *len bytes: the status,
 * headers that keep the address (it held the code) out of caches and referrers, and a small HTML
 * page in the user's language. DENIED and RECEIVED name who (the account: "@pat_home"), DENIED
 * also X's reason; both are escaped. */
char *tb_redirect_answer(TbRedirectVerdict verdict, const char *who, const char *denied,
                         gsize *len);

G_END_DECLS

#endif
