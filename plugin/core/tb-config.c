/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-config.h"

#include <glib/gi18n-lib.h>
#include "tb-hours.h"
#include "tb-proxy-url.h"
#include "tb-tag.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The quark's name is a string: its hyphens are not subtractions. */
/* clang-format off */
G_DEFINE_QUARK(tb-config-error-quark, tb_config_error)
/* clang-format on */

#define TB_ROLE_MAX_CHARS 32

static const char *const auth_choices[] = {"oauth2", "oauth1", "bearer", NULL};
static const char *const auth_shown[] = {N_("OAuth 2.0 (recommended)"), N_("OAuth 1.0a with PIN"),
                                         N_("Ready token (in Password)"), NULL};
static const char *const auth_again[] = {
    [TB_AUTH_OAUTH2] = N_("To sign in again, connect the account (in BitlBee: account <tag> on) "
                          "and open the sign-in link Twinbird shows."),
    [TB_AUTH_OAUTH1] = N_("To sign in again, connect the account (in BitlBee: account <tag> on) "
                          "and enter the PIN X shows."),
    [TB_AUTH_BEARER] = N_("To sign in again, put a new user access token in the account's "
                          "Password (in BitlBee: account <tag> set password ...) and connect it."),
};
static const char *const mention_choices[] = {"thread", "single", "author", NULL};
static const char *const long_post_choices[] = {"refuse", "thread", NULL};
static const char *const commands_choices[] = {"on", "strict", NULL};
static const char *const confirm_choices[] = {"off", "replies", "all", NULL};
static const char *const off_hours_choices[] = {"hold", "ask", "send", NULL};
static const char *const missed_choices[] = {"send", "hold", NULL};
static const char *const guard_choices[] = {"on", "off", NULL};
static const char *const timeline_choices[] = {"off", "on", NULL};
static const char *const stream_choices[] = {"off", "on", NULL};

static gboolean
check_role(const TbOptionSpec *spec, const char *value, GError **error)
{
  /* Account settings can hold any bytes (BitlBee's `account set`); the checks below walk UTF-8. */
  if (!g_utf8_validate(value, -1, NULL)) {
    g_set_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
                _("Account option %s: is not valid UTF-8 text"), spec->key);
    return FALSE;
  }
  glong n = g_utf8_strlen(value, -1);

  if (n == 0 || n > TB_ROLE_MAX_CHARS) {
    g_set_error(
        error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
        _("Account option %s: must be 1 to %d characters (personal, work or a label of yours)"),
        spec->key, TB_ROLE_MAX_CHARS);
    return FALSE;
  }
  /* The role is printed inside every outgoing tag, so it must not carry markup or controls. */
  for (const char *p = value; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (g_unichar_iscntrl(c) || c == '[' || c == ']' || c == '<' || c == '>' || c == '&' ||
        g_unichar_type(c) == G_UNICODE_FORMAT) {
      g_set_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
                  _("Account option %s: '%s' contains a character that cannot appear in a tag"),
                  spec->key, value);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
tb_config_host_is_loopback(const char *host)
{
  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
      strcmp(host, "[::1]") == 0)
    return TRUE;
  /* 127.0.0.0/8 in strict dotted-quad form only: "127.evil.example" is a name, and curl reads a
   * leading zero as octal ("0127.0.0.1" is 87.0.0.1), so each octet is 0 or 1-255 without one. */
  const char *p = host;
  guint first = 0;
  for (int i = 0; i < 4; i++) {
    guint v = 0;
    int n = 0;
    if (i > 0 && *p++ != '.')
      return FALSE;
    for (; n < 4 && g_ascii_isdigit(p[n]); n++)
      v = v * 10 + (guint)(p[n] - '0');
    if (n == 0 || n > 3 || v > 255 || (n > 1 && p[0] == '0'))
      return FALSE;
    if (i == 0)
      first = v;
    p += n;
  }
  return *p == '\0' && first == 127;
}

/* Each problem is a whole sentence, so a translation can order it as its language needs. */
static gboolean
check_api_base(const TbOptionSpec *spec, const char *value, GError **error)
{
  g_autoptr(GUri) uri = g_uri_parse(value, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri ? g_uri_get_scheme(uri) : NULL;
  const char *host = uri ? g_uri_get_host(uri) : NULL;
  const char *key = spec->key;

  if (uri == NULL)
    g_set_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
                _("Account option %s: '%s' is not a URL"), key, value);
  else if (g_strcmp0(scheme, "https") != 0 && g_strcmp0(scheme, "http") != 0)
    g_set_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
                _("Account option %s: '%s' must start with https://"), key, value);
  else if (host == NULL || *host == '\0')
    g_set_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
                _("Account option %s: '%s' has no host"), key, value);
  else if (g_strcmp0(scheme, "http") == 0 && !tb_config_host_is_loopback(host))
    g_set_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
                _("Account option %s: '%s' may use plain http:// only for a loopback test server; "
                  "use https://"),
                key, value);
  else if (g_uri_get_query(uri) != NULL || g_uri_get_fragment(uri) != NULL ||
           g_uri_get_userinfo(uri) != NULL)
    g_set_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
                _("Account option %s: '%s' must be just scheme://host[:port]"), key, value);
  else if (*g_uri_get_path(uri) != '\0' && strcmp(g_uri_get_path(uri), "/") != 0)
    g_set_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
                _("Account option %s: '%s' must not have a path (the plugin adds /2/...)"), key,
                value);
  else
    return TRUE;
  return FALSE;
}

static gboolean
check_ca_file(const TbOptionSpec *spec, const char *value, GError **error)
{
  if (*value == '\0' || g_file_test(value, G_FILE_TEST_IS_REGULAR))
    return TRUE;
  g_set_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
              _("Account option %s: '%s' is not a readable file"), spec->key, value);
  return FALSE;
}

/* Checked at sign-in so a typo is an error naming the option, not a silent direct connection.
 * Never quotes the value: it may hold the proxy password. */
static gboolean
check_proxy(const TbOptionSpec *spec, const char *value, GError **error)
{
  g_autoptr(GError) why = NULL;
  g_autoptr(TbProxyUrl) proxy = *value ? tb_proxy_url_parse(value, NULL, &why) : NULL;

  if (*value == '\0' || proxy != NULL)
    return TRUE;
  g_set_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
              _("Account option %s: the proxy address %s (empty: the client's proxy setting; "
                "none; or http://, socks4:// or socks5://user:password@host:port)"),
              spec->key, why->message);
  return FALSE;
}

static gboolean
check_tag_format(const TbOptionSpec *spec, const char *value, GError **error)
{
  (void)spec;
  return tb_tag_format_is_valid(value, error);
}

/* Read here so a bad value stops the sign-in naming the option, not at the first send. */
static gboolean
option_refused(const TbOptionSpec *spec, const GError *why, GError **error)
{
  g_set_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID, _("Account option %s: %s"),
              spec->key, why->message);
  return FALSE;
}

static gboolean
check_work_hours(const TbOptionSpec *spec, const char *value, GError **error)
{
  g_autoptr(GError) why = NULL;
  TbHours *hours = tb_hours_parse(value, &why);

  tb_hours_free(hours); /* only whether it reads matters here */
  return why == NULL || option_refused(spec, why, error);
}

static gboolean
check_time_zone(const TbOptionSpec *spec, const char *value, GError **error)
{
  g_autoptr(GError) why = NULL;
  g_autoptr(GTimeZone) tz = tb_hours_zone(value, &why);
  return tz != NULL || option_refused(spec, why, error);
}

#define STR_OPT(k, l, d, chk, field)                                                               \
  {                                                                                                \
    k, TB_OPT_STRING, l, d, NULL, 0, 0, chk, offsetof(TbConfig, field)                             \
  }
#define INT_OPT(k, l, d, lo, hi, field)                                                            \
  {                                                                                                \
    k, TB_OPT_INT, l, #d, NULL, lo, hi, NULL, offsetof(TbConfig, field)                            \
  }

static const TbOptionSpec option_specs[] = {
    STR_OPT("role", N_("Role (personal, work or your own label)"), "personal", check_role, role),
    STR_OPT("api_base", N_("X API base URL"), "https://api.x.com", check_api_base, api_base),
    /* the Password field is only for a ready token: OAuth users leave it empty */
    {"auth", TB_OPT_CHOICE, N_("Sign-in method (leave Password empty for OAuth)"), "oauth2",
     auth_choices, 0, 0, NULL, offsetof(TbConfig, auth)},
    STR_OPT("client_id", N_("OAuth 2.0 client ID of your X app"), "", NULL, client_id),
    STR_OPT("consumer_key", N_("OAuth 1.0a consumer key"), "", NULL, consumer_key),
    STR_OPT("consumer_secret", N_("OAuth 1.0a consumer secret"), "", NULL, consumer_secret),
    /* The X app's callback URL must name the same port; unprivileged ports only. */
    {"oauth_port", TB_OPT_INT, N_("Sign-in callback port on 127.0.0.1 (OAuth 2.0)"), "8765", NULL,
     1024, 65535, NULL, offsetof(TbConfig, oauth_port)},
    STR_OPT("ca_file", N_("Extra CA certificate file (test servers)"), "", check_ca_file, ca_file),
    STR_OPT("proxy",
            N_("Proxy for this account (empty: the client's setting; none; or "
               "http://, socks4://, socks5://user:password@host:port)"),
            "", check_proxy, proxy),
    INT_OPT("dm_interval", N_("Seconds between DM checks"), 120, 1, 86400, dm_interval),
    INT_OPT("mention_interval", N_("Seconds between mention checks"), 60, 1, 86400,
            mention_interval),
    {"mention_mode", TB_OPT_CHOICE, N_("Mentions appear as (thread, single, author)"), "thread",
     mention_choices, 0, 0, NULL, offsetof(TbConfig, mention_mode)},
    /* off by default: each post the home timeline returns is billed */
    {"timeline", TB_OPT_CHOICE, N_("Home timeline as a chat (off, on; each post read is billed)"),
     "off", timeline_choices, 0, 0, NULL, offsetof(TbConfig, timeline)},
    /* 5 s: X's 180 reads per 15 minutes; the poller's pace keeps to what is left */
    INT_OPT("timeline_interval", N_("Seconds between home timeline checks"), 300, 5, 86400,
            timeline_interval),
    STR_OPT("tag_format", N_("Tag on sent messages ({role}, {handle})"), "[{role} @{handle}]",
            check_tag_format, tag_format),
    {"long_posts", TB_OPT_CHOICE, N_("Posts over 280 characters (refuse, thread)"), "refuse",
     long_post_choices, 0, 0, NULL, offsetof(TbConfig, long_posts)},
    {"mutuals_cap", TB_OPT_INT, N_("Mutuals shown as buddies (0 = none; each costs a read)"), "20",
     NULL, 0, 1000, NULL, offsetof(TbConfig, mutuals_cap)},
    {"commands", TB_OPT_CHOICE, N_("Commands typed in conversations (on, strict: only !command)"),
     "on", commands_choices, 0, 0, NULL, offsetof(TbConfig, commands)},
    /* replies: a stray line in a mention thread is the usual accident (seen: arrow-key codes) */
    {"confirm_public", TB_OPT_CHOICE,
     N_("Ask before public sends (off, replies: thread replies and reposts, all)"), "replies",
     confirm_choices, 0, 0, NULL, offsetof(TbConfig, confirm_public)},
    STR_OPT("work_hours", N_("Work hours (e.g. Mon-Fri 09:00-17:30; empty: none)"), "",
            check_work_hours, work_hours),
    STR_OPT("time_zone",
            N_("Time zone of the work hours (e.g. Europe/London; empty: this machine's)"), "",
            check_time_zone, time_zone),
    {"off_hours", TB_OPT_CHOICE, N_("A send at the wrong time (hold, ask, send)"), "hold",
     off_hours_choices, 0, 0, NULL, offsetof(TbConfig, off_hours)},
    {"missed_schedule", TB_OPT_CHOICE, N_("A scheduled send missed while closed (send late, hold)"),
     "send", missed_choices, 0, 0, NULL, offsetof(TbConfig, missed_schedule)},
    {"guard", TB_OPT_CHOICE,
     N_("Ask before the same text or a DM crosses to the other identity (on, off)"), "on",
     guard_choices, 0, 0, NULL, offsetof(TbConfig, guard)},
    /* off by default: the stream needs the app's keys and holds subscriptions on X */
    {"stream", TB_OPT_CHOICE,
     N_("DMs and mentions from X's Activity stream (off, on: needs the consumer key and secret)"),
     "off", stream_choices, 0, 0, NULL, offsetof(TbConfig, stream)},
};

const TbOptionSpec *
tb_config_get_specs(gsize *n_specs)
{
  *n_specs = G_N_ELEMENTS(option_specs);
  return option_specs;
}

const char *
tb_config_auth_name(TbAuthKind auth)
{
  return auth_choices[auth];
}

const char *const *
tb_config_choice_labels(const TbOptionSpec *spec)
{
  /* readable labels where the raw values mean nothing to a new user */
  static const struct {
    const char *const *choices;
    const char *const *shown;
  } labels[] = {{auth_choices, auth_shown}};
  for (gsize i = 0; i < G_N_ELEMENTS(labels); i++) {
    if (spec->choices == labels[i].choices)
      return labels[i].shown;
  }
  return NULL;
}

const char *
tb_config_sign_in_again(TbAuthKind auth)
{
  return auth_again[auth];
}

static gboolean
load_choice(const TbOptionSpec *spec, const char *value, int *out, GError **error)
{
  for (int i = 0; spec->choices[i]; i++) {
    if (g_ascii_strcasecmp(value, spec->choices[i]) == 0) {
      *out = i;
      return TRUE;
    }
  }
  g_autofree char *list = g_strjoinv(", ", (char **)spec->choices);
  g_set_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
              /* Translators: the last %s lists the choices, e.g. "thread, single, author". */
              _("Account option %s: '%s' is not one of %s"), spec->key, value, list);
  return FALSE;
}

static void
range_error(const TbOptionSpec *spec, int v, GError **error)
{
  /* Only the intervals count seconds (not mutuals_cap, not oauth_port). */
  if (g_str_has_suffix(spec->key, "_interval"))
    g_set_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
                _("Account option %s: %d is out of range (%d to %d seconds)"), spec->key, v,
                spec->min, spec->max);
  else
    g_set_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID,
                _("Account option %s: %d is out of range (%d to %d)"), spec->key, v, spec->min,
                spec->max);
}

gboolean
tb_config_load(TbConfig *cfg, const TbConfigSource *src, gpointer user, GError **error)
{
  memset(cfg, 0, sizeof(*cfg));
  for (gsize i = 0; i < G_N_ELEMENTS(option_specs); i++) {
    const TbOptionSpec *spec = &option_specs[i];
    gpointer field = (char *)cfg + spec->offset;

    if (spec->kind == TB_OPT_INT) {
      int v = src->get_int(spec->key, (int)g_ascii_strtoll(spec->def, NULL, 10), user);
      if (v < spec->min || v > spec->max) {
        range_error(spec, v, error);
        goto fail;
      }
      *(int *)field = v;
      continue;
    }

    const char *raw = src->get_string(spec->key, spec->def, user);
    g_autofree char *value = g_strstrip(g_strdup(raw ? raw : spec->def));

    if (spec->kind == TB_OPT_CHOICE) {
      if (!load_choice(spec, value, (int *)field, error))
        goto fail;
      continue;
    }
    if (spec->check && !spec->check(spec, value, error))
      goto fail;
    *(char **)field = g_steal_pointer(&value);
  }

  /* Normalise: the API layer appends "/2/..." itself. */
  gsize len = strlen(cfg->api_base);
  while (len > 0 && cfg->api_base[len - 1] == '/')
    cfg->api_base[--len] = '\0';
  if (cfg->ca_file && *cfg->ca_file == '\0')
    g_clear_pointer(&cfg->ca_file, g_free);
  if (cfg->proxy && *cfg->proxy == '\0')
    g_clear_pointer(&cfg->proxy, g_free);
  return TRUE;

fail:
  tb_config_clear(cfg);
  return FALSE;
}

void
tb_config_clear(TbConfig *cfg)
{
  for (gsize i = 0; i < G_N_ELEMENTS(option_specs); i++) {
    if (option_specs[i].kind == TB_OPT_STRING)
      g_clear_pointer((char **)((char *)cfg + option_specs[i].offset), g_free);
  }
}
