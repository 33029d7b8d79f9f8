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

struct _TbPoller {
  TbConn *conn;
  const char *name; /* "mentions", "dms": for logs */
  guint interval_s;
  TbPollRun run; /* starts one fetch; ends with tb_poller_done() */
  char *slot;    /* its timer slot on the connection: "poll-mentions" */
  gboolean busy;
  guint failures;
  gint64 last_notice; /* when the user was last told about a lasting failure */
};

TbPoller *tb_poller_new(TbConn *conn, const char *name, guint interval_s, TbPollRun run);
void tb_poller_free(TbPoller *poller);
void tb_poller_schedule(TbPoller *poller, guint delay_ms);
/* Fetch now unless one is under way. */
void tb_poller_poke(TbPoller *poller);
/* Ends a fetch: resp (may be NULL) carries the rate-limit headers; error NULL on success. */
void tb_poller_done(TbPoller *poller, const TbHttpResponse *resp, const GError *error);

G_END_DECLS

#endif
