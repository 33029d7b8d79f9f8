/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-ndjson.h"

#include <string.h>

struct _TbNdjson {
  gsize max_line;
  TbNdjsonFunc func;
  gpointer user_data;
  GByteArray *buf;   /* the unfinished line: at most max_line bytes and a '\r' */
  gboolean skipping; /* inside an over-long line, already reported */
  guint64 lines, keepalives, too_long;
};

TbNdjson *
tb_ndjson_new(gsize max_line, TbNdjsonFunc func, gpointer user_data)
{
  TbNdjson *nd = g_new0(TbNdjson, 1);

  nd->max_line = MAX(max_line, 1);
  nd->func = func;
  nd->user_data = user_data;
  nd->buf = g_byte_array_new();
  return nd;
}

static gboolean
is_blank(const guint8 *p, gsize len)
{
  for (gsize i = 0; i < len; i++) {
    if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
      return FALSE;
  }
  return TRUE;
}

/* skip: the line goes on past what was fed, so drop up to its newline */
static gboolean
report_too_long(TbNdjson *nd, gboolean skip)
{
  nd->skipping = skip;
  nd->too_long++;
  g_byte_array_set_size(nd->buf, 0);
  return nd->func(TB_NDJSON_TOO_LONG, NULL, nd->max_line, nd->user_data);
}

/* The buffer holds one whole line (its '\n' already cut off). */
static gboolean
emit(TbNdjson *nd)
{
  gsize len = nd->buf->len;

  if (len > 0 && nd->buf->data[len - 1] == '\r')
    len--;
  if (is_blank(nd->buf->data, len)) {
    g_byte_array_set_size(nd->buf, 0);
    nd->keepalives++;
    return nd->func(TB_NDJSON_KEEPALIVE, NULL, 0, nd->user_data);
  }
  if (len > nd->max_line)
    return report_too_long(nd, FALSE); /* max_line bytes and one more that was not a '\r' */
  g_byte_array_set_size(nd->buf, (guint)len);
  g_byte_array_append(nd->buf, (const guint8 *)"", 1); /* the NUL the callback may rely on */
  nd->lines++;
  gboolean go_on = nd->func(TB_NDJSON_LINE, (const char *)nd->buf->data, len, nd->user_data);
  g_byte_array_set_size(nd->buf, 0);
  return go_on;
}

gboolean
tb_ndjson_feed(TbNdjson *nd, const char *data, gsize len)
{
  while (len > 0) {
    const char *nl = memchr(data, '\n', len);
    gsize seg = nl ? (gsize)(nl - data) : len;

    if (!nd->skipping) {
      /* Room for max_line bytes and the '\r' of a "\r\n" ending. */
      if (nd->buf->len + seg > nd->max_line + 1) {
        if (!report_too_long(nd, TRUE))
          return FALSE;
      } else {
        g_byte_array_append(nd->buf, (const guint8 *)data, (guint)seg);
      }
    }
    if (nl == NULL)
      return TRUE;
    data = nl + 1;
    len -= seg + 1;
    if (nd->skipping) {
      nd->skipping = FALSE; /* the over-long line ends here */
      continue;
    }
    if (!emit(nd))
      return FALSE;
  }
  return TRUE;
}

void
tb_ndjson_reset(TbNdjson *nd)
{
  g_byte_array_set_size(nd->buf, 0);
  nd->skipping = FALSE;
}

gsize
tb_ndjson_pending(const TbNdjson *nd)
{
  return nd->buf->len;
}

guint64
tb_ndjson_lines(const TbNdjson *nd)
{
  return nd->lines;
}

guint64
tb_ndjson_keepalives(const TbNdjson *nd)
{
  return nd->keepalives;
}

guint64
tb_ndjson_too_long(const TbNdjson *nd)
{
  return nd->too_long;
}

void
tb_ndjson_free(TbNdjson *nd)
{
  if (nd == NULL)
    return;
  g_byte_array_unref(nd->buf);
  g_free(nd);
}
