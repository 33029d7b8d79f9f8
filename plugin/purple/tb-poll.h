/* A poller: runs one kind of fetch (mentions, DMs) on the connection's timer registry, spaced by
 * the account's interval and never sooner than X's x-rate-limit headers allow; transient errors
 * back off exponentially. One fetch at a time.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_POLL_H
#define TB_POLL_H

#include "tb-conn.h"

G_BEGIN_DECLS

typedef struct _TbPoller TbPoller;
typedef void (*TbPollRun)(TbPoller *poller);
/* The least pause (seconds) before the next poll, decided by the fetch (busy or idle). */
typedef guint (*TbPollFloor)(TbPoller *poller);

struct _TbPoller {
  TbConn *conn;
  const char *name; /* "mentions", "dms": for logs */
  guint interval_s;
  const char *endpoint; /* "GET /2/dm_events": whose budget paces it */
  guint reserve;        /* requests of each window kept for walks, not spent on polls */
  TbPollRun run;        /* starts one fetch; ends with tb_poller_done() */
  TbPollFloor floor;    /* NULL: interval_s */
  char *slot;           /* its timer slot on the connection: "poll-mentions" */
  gboolean busy;
  gboolean ran; /* has asked X at least once (its first run sets the cursors) */
  guint failures;
  gint64 last_notice; /* when the user was last told about a lasting failure */
};

TbPoller *tb_poller_new(TbConn *conn, const char *name, guint interval_s, TbPollRun run);
/* Paced by X's budget for endpoint: never sooner than the window's requests left, less reserve,
 * allow until it resets (tb_conn_pace_s); floor, if set, gives the least pause instead of the
 * interval. */
void tb_poller_set_pace(TbPoller *poller, const char *endpoint, guint reserve, TbPollFloor floor);
void tb_poller_free(TbPoller *poller);
void tb_poller_schedule(TbPoller *poller, guint delay_ms);
/* Fetch now unless one is under way. */
void tb_poller_poke(TbPoller *poller);
/* Ends a fetch: resp (may be NULL) carries the rate-limit headers; error NULL on success. */
void tb_poller_done(TbPoller *poller, const TbHttpResponse *resp, const GError *error);
/* The same, once the answer is gone: its window as read from it (known FALSE if none). */
void tb_poller_finished(TbPoller *poller, const TbXapiRateLimit *rl, const GError *error);

G_END_DECLS

#endif
