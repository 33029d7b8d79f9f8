/* Shared by the libFuzzer targets: the input as a NUL-terminated string.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_FUZZ_H
#define TB_FUZZ_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline char *
fuzz_string(const uint8_t *data, size_t size)
{
  return g_strndup((const char *)data, size);
}

/* Network text reaches the parsers only as valid UTF-8 (the JSON guard sees to it). */
static inline char *
fuzz_utf8(const uint8_t *data, size_t size)
{
  return g_utf8_make_valid((const char *)data, (gssize)size);
}

#endif
