/* The Activity stream as a hostile server could send it: arbitrary bytes in arbitrary chunks
 * through core/tb-ndjson, every line into the event parser; the first byte picks the chunk size
 * and a small line bound, so over-long lines and lines split anywhere are both reached. The
 * subscription answers' parsers get the same bytes as a body.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "fuzz.h"

#include "api/tb-activity.h"
#include "core/tb-bounds.h"
#include "core/tb-ndjson.h"

static gboolean
on_line(TbNdjsonKind kind, const char *line, gsize len, gpointer user_data)
{
  (void)user_data;
  if (kind != TB_NDJSON_LINE)
    return TRUE;
  GError *error = NULL;
  TbActivityEvent *ev = tb_activity_event_parse(line, len, &error);
  g_assert((ev == NULL) != (error == NULL));
  if (ev != NULL) {
    g_assert(ev->event_uuid != NULL && ev->users != NULL);
    g_assert(ev->type != TB_ACTIVITY_POST_MENTION || ev->post != NULL);
    g_assert((ev->type != TB_ACTIVITY_DM_RECEIVED && ev->type != TB_ACTIVITY_DM_SENT) ||
             (ev->dms != NULL && ev->dms->len > 0));
  }
  tb_activity_event_free(ev);
  g_clear_error(&error);
  return TRUE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size == 0)
    return 0;
  gsize chunk = 1 + data[0] % 64;
  gsize max_line = data[0] & 0x80 ? 256 : TB_BOUND_ACTIVITY_LINE_BYTES;
  const char *bytes = (const char *)data + 1;
  gsize len = size - 1;

  TbNdjson *nd = tb_ndjson_new(max_line, on_line, NULL);
  for (gsize off = 0; off < len; off += chunk) {
    tb_ndjson_feed(nd, bytes + off, MIN(chunk, len - off));
    g_assert(tb_ndjson_pending(nd) <= max_line + 1);
  }
  tb_ndjson_feed(nd, "\n", 1); /* the last line, as a clean close would end it */
  tb_ndjson_free(nd);

  TbHttpResponse *resp = tb_http_response_new();
  resp->outcome = TB_HTTP_OK;
  resp->status = data[0] & 1 ? 200 : 400 + data[0] % 32;
  g_bytes_unref(resp->body);
  resp->body = g_bytes_new(bytes, len);
  tb_activity_sub_free(tb_activity_sub_create_parse(resp, NULL));
  char *next = NULL;
  GPtrArray *subs = tb_activity_sub_list_parse(resp, &next, NULL);
  if (subs != NULL)
    g_ptr_array_unref(subs);
  g_free(next);
  tb_activity_sub_delete_parse(resp, NULL);
  tb_http_response_free(resp);
  return 0;
}
