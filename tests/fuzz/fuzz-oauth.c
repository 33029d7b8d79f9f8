/* OAuth: redirected addresses pasted back by the user, PINs, saved passwords, and the token
 * endpoints' answers (JSON for OAuth 2.0, forms for OAuth 1.0a).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "fuzz.h"

#include "api/tb-oauth.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *text = fuzz_string(data, size);
  GError *error = NULL;

  g_free(tb_oauth2_parse_redirect(text, "expected-state", &error));
  g_clear_error(&error);
  GHashTable *form = tb_oauth_form_parse(text);
  if (form != NULL)
    g_hash_table_unref(form);
  g_free(tb_oauth1_parse_pin(text));
  char *token = NULL, *secret = NULL;
  if (tb_oauth1_password_split(text, &token, &secret)) {
    g_free(token);
    tb_oauth_secret_free(secret);
  }

  TbHttpResponse *resp = tb_http_response_new();
  resp->outcome = TB_HTTP_OK;
  resp->status = size > 0 && data[0] % 2 ? 400 : 200;
  g_bytes_unref(resp->body);
  resp->body = g_bytes_new(data, size);
  TbOAuth2Token t2 = {0};
  if (tb_oauth2_token_parse(resp, &t2, &error))
    tb_oauth2_token_clear(&t2);
  g_clear_error(&error);
  TbOAuth1Token t1 = {0};
  if (tb_oauth1_token_parse(resp, size > 1 && data[1] % 2, &t1, &error))
    tb_oauth1_token_clear(&t1);
  g_clear_error(&error);
  tb_http_response_free(resp);
  g_free(text);
  return 0;
}
