/* Sending: every message typed goes into the account's outbox first (persisted), then to X; only
 * X's confirmation removes it and writes the tagged echo. A failure keeps the text for "retry".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_SEND_H
#define TB_SEND_H

#include "tb-conn.h"

G_BEGIN_DECLS

#define TB_STORE_LAST_POST "last_post_id"
#define TB_STORE_SENT_DMS "dm_sent_ids" /* DM event ids sent from here: polls skip them */

typedef struct _TbSendState TbSendState;

/* The connection's send state (conn->send): from its start to its end (after tb_send_close). */
void tb_send_init(TbConn *conn);
void tb_send_cleanup(TbConn *conn);

/* Queues and sends. conv is where it was typed (errors and the echo go there). Returns FALSE
 * with error set when refused before anything is queued (e.g. too long). */
gboolean tb_send_new(TbConn *conn, TbOutboxKind kind, const char *target, const char *conv,
                     const char *text, GError **error);
/* What became of one queued message, told once: new_id when X confirmed it (a long post sent as
 * a thread: the first part's id, once the last part is confirmed), or error on the first failure
 * (the text stays in the outbox for "retry", as always), or TB_SEND_ERROR_CLOSED when the account
 * closes first. */
typedef void (*TbSendDone)(TbConn *conn, const char *outbox_id, const char *new_id,
                           const GError *error, gpointer data);

#define TB_SEND_ERROR (tb_send_error_quark())
typedef enum {
  TB_SEND_ERROR_CLOSED,  /* the account closed before X confirmed */
  TB_SEND_ERROR_REMOVED, /* the item left the outbox while under way */
} TbSendError;
GQuark tb_send_error_quark(void);

/* tb_send_new, and done learns the outcome. done is called only when TRUE is returned, and may
 * already have been called by then (a request that failed at once). */
gboolean tb_send_new_with_callback(TbConn *conn, TbOutboxKind kind, const char *target,
                                   const char *conv, const char *text, TbSendDone done,
                                   gpointer data, GError **error);
/* What the user typed: queued like tb_send_new, but never lost. A text refused before X (too
 * long, a forbidden character) is kept in the outbox with the refusal as its error and shown
 * with what can be done (retry, thread, drop); hold (a reason, e.g. waiting for an answer) keeps
 * it unsent until tb_send_release. Returns the id of the item held, NULL when none is (sent,
 * refused and kept, or an empty line said in conv). */
char *tb_send_typed(TbConn *conn, TbOutboxKind kind, const char *target, const char *conv,
                    const char *text, const char *hold);
/* What arrived when it held formatting alone (raw: a pasted image, an empty formatting run):
 * nothing is left for X, so it is kept in the outbox as it arrived, never sent as it is, and
 * shown with its id and what can be done (drop it, or type the text again). */
void tb_send_keep_markup(TbConn *conn, TbOutboxKind kind, const char *target, const char *conv,
                         const char *raw);
/* A held item: sent (refusal NULL), or kept with refusal as its error and shown so. Nothing if
 * it left the outbox or went out meanwhile. */
void tb_send_release(TbConn *conn, const char *outbox_id, const char *refusal);
/* At close (tb_conn_free): every outcome still awaited is told TB_SEND_ERROR_CLOSED. */
void tb_send_close(TbConn *conn);
/* A DM event this plugin sent, kept (bounded) so the next fetch does not show it again. */
void tb_send_note_own_dm(TbConn *conn, const char *event_id);
/* A DM of ours is under way: X may list it before its send is answered. */
gboolean tb_send_dm_under_way(TbConn *conn);
/* Queues text to go at due (Unix seconds, in the future), checked now as tb_send_new checks it so
 * nothing queued fails later for its text. The new outbox id, or NULL with error set. */
char *tb_send_schedule(TbConn *conn, TbOutboxKind kind, const char *target, const char *conv,
                       const char *text, gint64 due, GError **error);
/* Sends a scheduled or held item now; look_first: it may have gone out before a crash (its due
 * time passed while closed), so X is asked first. FALSE if no such item or it is under way. */
gboolean tb_send_due(TbConn *conn, const char *outbox_id, gboolean look_first);
/* Sends an outbox item again (planned again first: a post too long for X stays kept unless
 * long_posts is thread now); FALSE if no such item or it is already under way. */
gboolean tb_send_retry(TbConn *conn, const char *outbox_id);
/* Posts a kept post now as a numbered thread, whatever long_posts says; FALSE if no such unsent
 * post (or it is under way, or may be on X already). */
gboolean tb_send_thread(TbConn *conn, const char *outbox_id);
/* Forgets a kept item and the parts waiting after it; how many left the outbox (0: no such
 * unsent item, or it is under way). */
guint tb_send_drop(TbConn *conn, const char *outbox_id);
/* A DM of this account seen on X that matches an unsent outbox DM (same peer, same text): the
 * item was delivered after all. Echoes it, drops it from the outbox and returns TRUE. */
gboolean tb_send_reconcile_dm(TbConn *conn, const char *peer, const char *x_text,
                              const char *event_id);
/* Tells the user about items left unsent by an earlier session. */
void tb_send_report_pending(TbConn *conn);

G_END_DECLS

#endif
