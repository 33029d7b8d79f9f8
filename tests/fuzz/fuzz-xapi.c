/* X API answers: the JSON guard, json-glib, and every page and object parser, as a hostile
 * server could feed them. The first byte picks the HTTP status.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "fuzz.h"

#include "api/tb-xapi-data.h"
#include "api/tb-xapi.h"

static const int statuses[] = {200, 201, 400, 401, 403, 404, 429, 500, 503};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size == 0)
    return 0;
  TbHttpResponse *resp = tb_http_response_new();
  resp->outcome = TB_HTTP_OK;
  resp->status = statuses[data[0] % G_N_ELEMENTS(statuses)];
  g_bytes_unref(resp->body);
  resp->body = g_bytes_new(data + 1, size - 1);

  GError *error = NULL;
  JsonNode *root = tb_xapi_response_parse(resp, &error);
  g_clear_error(&error);
  tb_xapi_send_fate(resp);
  if (root != NULL) {
    tb_xapi_tweet_page_free(tb_xapi_tweet_page_parse(root));
    tb_xapi_dm_page_free(tb_xapi_dm_page_parse(root));
    tb_xapi_user_free(tb_xapi_user_parse(root, NULL));
    GPtrArray *users = tb_xapi_user_list_parse(root, NULL);
    if (users != NULL)
      g_ptr_array_unref(users);
    g_free(tb_xapi_created_id(root, "id", NULL));
    g_free(tb_xapi_created_id(root, "dm_event_id", NULL));
    json_node_unref(root);
  }
  tb_http_response_free(resp);
  return 0;
}
