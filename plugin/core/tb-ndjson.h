/* An incremental splitter of newline-delimited JSON (the Activity stream's framing): bytes go in
 * in chunks of any size, complete lines come out through a callback. A blank line (only "\n",
 * "\r\n", or spaces and tabs) is X's keep-alive and is counted, never handed on as a line. A
 * line longer than the bound is reported once and skipped up to its newline: what is held never
 * grows past the bound, whatever the server sends.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_NDJSON_H
#define TB_NDJSON_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  TB_NDJSON_LINE,      /* line[0..len) is one complete line, without its "\n" or "\r\n" */
  TB_NDJSON_KEEPALIVE, /* a blank line; line is NULL */
  TB_NDJSON_TOO_LONG,  /* a line passed the bound: it is dropped up to its newline; line NULL,
                          len the bound */
} TbNdjsonKind;

/* line is NUL-terminated and valid only during the call. Return FALSE to stop: the rest of the
 * chunk being fed is dropped and the splitter may then be reset or freed by the caller. */
typedef gboolean (*TbNdjsonFunc)(TbNdjsonKind kind, const char *line, gsize len,
                                 gpointer user_data);

typedef struct _TbNdjson TbNdjson;

/* max_line: the longest line accepted, in bytes (without its terminator); at least 1. */
TbNdjson *tb_ndjson_new(gsize max_line, TbNdjsonFunc func, gpointer user_data);
/* Splits data[0..len) (any bytes, NULs included) on '\n'. FALSE when the callback stopped it. */
gboolean tb_ndjson_feed(TbNdjson *nd, const char *data, gsize len);
/* Forgets a partial line and an over-long line being skipped (a new connection); counts stay. */
void tb_ndjson_reset(TbNdjson *nd);
/* Bytes of an unfinished line held now (at most max_line + 1). */
gsize tb_ndjson_pending(const TbNdjson *nd);
/* What came so far, across resets. */
guint64 tb_ndjson_lines(const TbNdjson *nd);
guint64 tb_ndjson_keepalives(const TbNdjson *nd);
guint64 tb_ndjson_too_long(const TbNdjson *nd);
void tb_ndjson_free(TbNdjson *nd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TbNdjson, tb_ndjson_free)

G_END_DECLS

#endif
