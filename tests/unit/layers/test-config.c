/* Account options: defaults, every option's validation and its message, loopback detection.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "core/tb-config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* A TbConfigSource over a GHashTable of key -> text, as BitlBee's `account set` would give. */
static const char *
table_get_string(const char *key, const char *def, gpointer user)
{
  const char *v = g_hash_table_lookup(user, key);
  return v ? v : def;
}

static int
table_get_int(const char *key, int def, gpointer user)
{
  const char *v = g_hash_table_lookup(user, key);
  return v ? (int)g_ascii_strtoll(v, NULL, 10) : def;
}

static const TbConfigSource table_source = {table_get_string, table_get_int};

static GHashTable *
opts_new(void)
{
  return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static void
opts_set(GHashTable *opts, const char *key, const char *value)
{
  g_hash_table_replace(opts, g_strdup(key), g_strdup(value));
}

/* Loads a config with one option set; returns TRUE when accepted. */
static gboolean
load_one(const char *key, const char *value, TbConfig *cfg, GError **error)
{
  g_autoptr(GHashTable) opts = opts_new();
  opts_set(opts, key, value);
  return tb_config_load(cfg, &table_source, opts, error);
}

static void
assert_cleared(const TbConfig *cfg)
{
  g_assert_null(cfg->role);
  g_assert_null(cfg->api_base);
  g_assert_null(cfg->client_id);
  g_assert_null(cfg->consumer_key);
  g_assert_null(cfg->consumer_secret);
  g_assert_null(cfg->ca_file);
}

/* A refused value: error in our domain, message names the option, the config holds nothing. */
static void
assert_refused(const char *key, const char *value, const char *why)
{
  TbConfig cfg;
  g_autoptr(GError) error = NULL;
  g_autofree char *prefix = g_strdup_printf("Account option %s: ", key);

  gboolean ok = load_one(key, value, &cfg, &error);
  if (ok) {
    g_test_fail_printf("%s=\"%s\" was accepted (%s)", key, value, why);
    tb_config_clear(&cfg);
    return;
  }
  g_assert_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID);
  if (!g_str_has_prefix(error->message, prefix))
    g_test_fail_printf("%s=\"%s\": message does not name the option: %s", key, value,
                       error->message);
  assert_cleared(&cfg);
}

static void
assert_accepted(const char *key, const char *value, TbConfig *out)
{
  g_autoptr(GError) error = NULL;

  if (!load_one(key, value, out, &error)) {
    g_test_fail_printf("%s=\"%s\" was refused: %s", key, value, error->message);
    memset(out, 0, sizeof(*out));
    return;
  }
  g_assert_no_error(error);
}

static void
test_defaults(void)
{
  g_autoptr(GHashTable) opts = opts_new();
  g_autoptr(GError) error = NULL;
  TbConfig cfg;

  g_assert_true(tb_config_load(&cfg, &table_source, opts, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(cfg.role, ==, "personal");
  g_assert_cmpstr(cfg.api_base, ==, "https://api.x.com");
  g_assert_cmpint(cfg.auth, ==, TB_AUTH_OAUTH2);
  g_assert_cmpstr(cfg.client_id, ==, "");
  g_assert_cmpstr(cfg.consumer_key, ==, "");
  g_assert_cmpstr(cfg.consumer_secret, ==, "");
  g_assert_null(cfg.ca_file);
  g_assert_cmpint(cfg.dm_interval, ==, 120);
  g_assert_cmpint(cfg.mention_interval, ==, 60);
  g_assert_cmpint(cfg.timeline, ==, TB_TIMELINE_OFF); /* every post read is billed */
  g_assert_cmpint(cfg.timeline_interval, ==, 300);
  tb_config_clear(&cfg);
  assert_cleared(&cfg);
  tb_config_clear(&cfg); /* twice is harmless */
}

/* The keys are a contract with BitlBee users and the README: none may go missing or change
 * (later issues may add options). */
static void
test_specs(void)
{
  static const char *const contract[] = {
      "role",
      "api_base",
      "auth",
      "client_id",
      "consumer_key",
      "consumer_secret",
      "ca_file",
      "dm_interval",
      "mention_interval",
      "work_hours",
      "time_zone",
      "off_hours",
      "missed_schedule",
      "guard",
      "timeline",
      "timeline_interval",
      "stream",
  };
  gsize n = 0;
  const TbOptionSpec *specs = tb_config_get_specs(&n);

  for (gsize c = 0; c < G_N_ELEMENTS(contract); c++) {
    gboolean found = FALSE;
    for (gsize i = 0; i < n && !found; i++)
      found = strcmp(specs[i].key, contract[c]) == 0;
    if (!found)
      g_test_fail_printf("account option %s is missing", contract[c]);
  }
  for (gsize i = 0; i < n; i++) {
    const TbOptionSpec *s = &specs[i];
    g_assert_nonnull(s->key);
    g_assert_nonnull(s->label);
    g_assert_nonnull(s->def);
    for (gsize j = 0; j < i; j++)
      g_assert_cmpstr(specs[j].key, !=, s->key);
    if (s->kind == TB_OPT_INT) {
      gint64 def = 0;
      g_assert_true(g_ascii_string_to_signed(s->def, 10, s->min, s->max, &def, NULL));
    } else if (s->kind == TB_OPT_CHOICE) {
      g_assert_nonnull(s->choices);
      g_assert_true(g_strv_contains(s->choices, s->def));
      /* a readable label, when given, for every choice */
      const char *const *shown = tb_config_choice_labels(s);
      if (shown != NULL)
        g_assert_cmpuint(g_strv_length((char **)shown), ==, g_strv_length((char **)s->choices));
      if (g_str_equal(s->key, "auth"))
        g_assert_cmpstr(shown[0], ==, "OAuth 2.0 (recommended)");
    }
  }
  g_assert_cmpstr(tb_config_auth_name(TB_AUTH_OAUTH2), ==, "oauth2");
  g_assert_cmpstr(tb_config_auth_name(TB_AUTH_OAUTH1), ==, "oauth1");
  g_assert_cmpstr(tb_config_auth_name(TB_AUTH_BEARER), ==, "bearer");
  /* every method says how to sign in again, its own way */
  g_assert_nonnull(strstr(tb_config_sign_in_again(TB_AUTH_OAUTH2), "sign-in link"));
  g_assert_nonnull(strstr(tb_config_sign_in_again(TB_AUTH_OAUTH1), "PIN"));
  g_assert_nonnull(strstr(tb_config_sign_in_again(TB_AUTH_BEARER), "access token"));
}

static void
test_role(void)
{
  static const struct {
    const char *value, *want;
  } ok[] = {
      {"personal", "personal"},
      {"work", "work"},
      {"  work  ", "work"}, /* surrounding blanks are typing noise */
      {"Büro", "Büro"},
      {"side project", "side project"},
      {"12345678901234567890123456789012", "12345678901234567890123456789012"},
      /* 32 characters, 64 bytes: the limit counts characters */
      {"ééééééééééééééééééééééééééééééé\xc3\xa9", "ééééééééééééééééééééééééééééééé\xc3\xa9"},
  };
  static const struct {
    const char *value, *why;
  } bad[] = {
      {"", "empty"},
      {"   ", "blank"},
      {"123456789012345678901234567890123", "33 characters"},
      {"a\tb", "tab"},
      {"a\nb", "newline"},
      {"a\x7f", "DEL"},
      {"\xc2\x85x", "C1 control"},
      {"[work]", "brackets"},
      {"a]b", "closing bracket"},
      {"<b>", "markup"},
      {"a&amp;", "entity"},
      {"wo\xe2\x80\x8brk", "zero-width space"},
      {"\xe2\x80\xaekrow", "right-to-left override"},
      {"a\xf0", "truncated UTF-8"},
      {"\xff\xfe", "not UTF-8"},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
    TbConfig cfg;
    assert_accepted("role", ok[i].value, &cfg);
    g_assert_cmpstr(cfg.role, ==, ok[i].want);
    tb_config_clear(&cfg);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    assert_refused("role", bad[i].value, bad[i].why);

  /* The length message says what is allowed. */
  TbConfig cfg;
  g_autoptr(GError) error = NULL;
  g_assert_false(load_one("role", "", &cfg, &error));
  g_assert_nonnull(strstr(error->message, "1 to 32 characters"));
}

static void
test_api_base(void)
{
  static const struct {
    const char *value, *want;
  } ok[] = {
      {"https://api.x.com", "https://api.x.com"},
      {"https://api.x.com/", "https://api.x.com"}, /* the API layer appends /2/... itself */
      {" https://api.x.com/ ", "https://api.x.com"},
      {"https://api.x.com:8443", "https://api.x.com:8443"},
      {"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
      {"http://127.0.0.1:8080/", "http://127.0.0.1:8080"},
      {"http://127.1.2.3", "http://127.1.2.3"},
      {"http://[::1]:1", "http://[::1]:1"},
      {"http://localhost:5000", "http://localhost:5000"},
      {"https://[2001:db8::1]", "https://[2001:db8::1]"},
  };
  static const struct {
    const char *value, *why;
  } bad[] = {
      {"", "empty"},
      {"api.x.com", "no scheme"},
      {"ftp://api.x.com", "ftp"},
      {"file:///etc/passwd", "file"},
      {"https://", "no host"},
      {"http://", "no host, http"},
      {"http://api.x.com", "plain http to a remote host"},
      {"http://10.0.0.1:8080", "plain http to a private address"},
      {"http://127.0.0.1.evil.com", "plain http to a name that starts like loopback"},
      {"http://0127.0.0.1", "leading zero: curl reads it as octal 87.0.0.1"},
      {"http://[::2]", "plain http to a non-loopback v6 address"},
      {"https://api.x.com/2", "path"},
      {"https://api.x.com//", "path of slashes"},
      {"https://api.x.com?x=1", "query"},
      {"https://api.x.com/?", "empty query"},
      {"https://api.x.com#top", "fragment"},
      {"https://user:pw@api.x.com", "userinfo"},
      {"http://127.0.0.1@api.x.com", "userinfo that looks like loopback"},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
    TbConfig cfg;
    assert_accepted("api_base", ok[i].value, &cfg);
    g_assert_cmpstr(cfg.api_base, ==, ok[i].want);
    tb_config_clear(&cfg);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    assert_refused("api_base", bad[i].value, bad[i].why);

  /* The plain-http refusal says why, so a user pointing at a remote test server understands. */
  TbConfig cfg;
  g_autoptr(GError) error = NULL;
  g_assert_false(load_one("api_base", "http://api.x.com", &cfg, &error));
  g_assert_nonnull(strstr(error->message, "'http://api.x.com'"));
  g_assert_nonnull(strstr(error->message, "loopback"));
}

static void
test_auth(void)
{
  static const struct {
    const char *value;
    TbAuthKind want;
  } ok[] = {
      {"oauth2", TB_AUTH_OAUTH2}, {"OAuth2", TB_AUTH_OAUTH2}, {"oauth1", TB_AUTH_OAUTH1},
      {"OAUTH1", TB_AUTH_OAUTH1}, {"bearer", TB_AUTH_BEARER}, {" Bearer ", TB_AUTH_BEARER},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
    TbConfig cfg;
    assert_accepted("auth", ok[i].value, &cfg);
    g_assert_cmpint(cfg.auth, ==, ok[i].want);
    tb_config_clear(&cfg);
  }
  assert_refused("auth", "", "empty");
  assert_refused("auth", "basic", "unknown");
  assert_refused("auth", "oauth", "prefix of a choice");
  assert_refused("auth", "oauth2x", "longer than a choice");

  /* The refusal lists what would have been accepted. */
  TbConfig cfg;
  g_autoptr(GError) error = NULL;
  g_assert_false(load_one("auth", "basic", &cfg, &error));
  g_assert_nonnull(strstr(error->message, "'basic'"));
  g_assert_nonnull(strstr(error->message, "oauth2, oauth1, bearer"));
}

static void
test_ca_file(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp("tb-test-ca-XXXXXX.pem", &path, &error);
  g_assert_no_error(error);
  g_assert_cmpint(fd, >=, 0);
  close(fd);

  TbConfig cfg;
  assert_accepted("ca_file", path, &cfg);
  g_assert_cmpstr(cfg.ca_file, ==, path);
  tb_config_clear(&cfg);

  assert_accepted("ca_file", "", &cfg);
  g_assert_null(cfg.ca_file); /* unset means "system store only" */
  tb_config_clear(&cfg);

  assert_accepted("ca_file", "  ", &cfg);
  g_assert_null(cfg.ca_file);
  tb_config_clear(&cfg);

  g_autofree char *missing = g_strconcat(path, ".missing", NULL);
  assert_refused("ca_file", missing, "missing file");
  assert_refused("ca_file", g_get_tmp_dir(), "a directory");

  g_clear_error(&error);
  g_assert_false(load_one("ca_file", missing, &cfg, &error));
  g_assert_nonnull(strstr(error->message, missing));
  g_unlink(path);
}

/* The account's own proxy: empty keeps the client's setting; a bad one is refused at sign-in with
 * a message naming the option and never the password. */
static void
test_proxy(void)
{
  static const char *const ok[] = {"none", "NONE", "http://proxy:3128",
                                   "socks5://u:p%40ss@127.0.0.1:1080", "socks4://s:1080"};
  TbConfig cfg;

  assert_accepted("proxy", "", &cfg);
  g_assert_null(cfg.proxy); /* unset: libpurple's (Pidgin's, Finch's, BitlBee's) setting */
  tb_config_clear(&cfg);
  assert_accepted("proxy", "  ", &cfg);
  g_assert_null(cfg.proxy);
  tb_config_clear(&cfg);
  for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
    assert_accepted("proxy", ok[i], &cfg);
    g_assert_cmpstr(cfg.proxy, ==, ok[i]);
    tb_config_clear(&cfg);
  }

  static const char *const bad[] = {"ftp://pat:hunter2@proxy:21", "https://pat:hunter2@p:443",
                                    "http://pat:hunter2@:3128", "pat:hunter2@proxy:3128"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    assert_refused("proxy", bad[i], bad[i]);
    g_assert_false(load_one("proxy", bad[i], &cfg, &error));
    g_assert_true(g_str_has_prefix(error->message, "Account option proxy: "));
    g_assert_null(strstr(error->message, "hunter2"));
  }
}

static void
test_intervals(void)
{
  static const char *const keys[] = {"dm_interval", "mention_interval"};

  for (gsize k = 0; k < G_N_ELEMENTS(keys); k++) {
    static const struct {
      const char *value;
      int want;
    } ok[] = {{"1", 1}, {"5", 5}, {"86400", 86400}};
    for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
      TbConfig cfg;
      assert_accepted(keys[k], ok[i].value, &cfg);
      int got = k == 0 ? cfg.dm_interval : cfg.mention_interval;
      g_assert_cmpint(got, ==, ok[i].want);
      tb_config_clear(&cfg);
    }
    assert_refused(keys[k], "0", "zero");
    assert_refused(keys[k], "-5", "negative");
    assert_refused(keys[k], "86401", "over a day");

    TbConfig cfg;
    g_autoptr(GError) error = NULL;
    g_assert_false(load_one(keys[k], "0", &cfg, &error));
    g_assert_nonnull(strstr(error->message, "1 to 86400"));
  }
}

/* An error in a late option must not leak what the earlier options already loaded. */
static void
test_late_failure_clears(void)
{
  g_autoptr(GHashTable) opts = opts_new();
  g_autoptr(GError) error = NULL;
  TbConfig cfg;

  opts_set(opts, "role", "work");
  opts_set(opts, "client_id", "abc");
  opts_set(opts, "mention_interval", "0");
  g_assert_false(tb_config_load(&cfg, &table_source, opts, &error));
  g_assert_error(error, TB_CONFIG_ERROR, TB_CONFIG_ERROR_INVALID);
  g_assert_true(g_str_has_prefix(error->message, "Account option mention_interval: "));
  assert_cleared(&cfg);
}

static void
test_loopback(void)
{
  static const struct {
    const char *host;
    gboolean want;
  } cases[] = {
      {"127.0.0.1", TRUE},
      {"127.255.255.255", TRUE},
      {"127.0.0.0", TRUE},
      {"127.1.2.3", TRUE},
      {"localhost", TRUE},
      {"LOCALHOST", TRUE},
      {"LocalHost", TRUE},
      {"::1", TRUE},
      {"[::1]", TRUE},
      {NULL, FALSE},
      {"", FALSE},
      {"127.0.0.1.evil.com", FALSE},
      {"127.evil.com", FALSE},
      {"1270.0.0.1", FALSE},
      {"128.0.0.1", FALSE},
      {"126.255.255.255", FALSE},
      {"127.0.0.256", FALSE},
      {"127.0.0", FALSE},
      {"127.1", FALSE}, /* curl would read it as 127.0.0.1, but refusing is the safe side */
      {"127.0.0.1.", FALSE},
      {"127.0.0.1 ", FALSE},
      {" 127.0.0.1", FALSE},
      {"+127.0.0.1", FALSE},
      {"127.0.0.+1", FALSE},
      {"127.0.0.-1", FALSE},
      /* Leading zeros are octal to curl and inet_aton: 0127 is 87, so not loopback. */
      {"0127.0.0.1", FALSE},
      {"127.0.0.010", FALSE},
      {"127.0.0.08", FALSE},
      /* Out of range for an octet even when it wraps around in a 32-bit unsigned. */
      {"127.0.0.4294967297", FALSE},
      {"0x7f.0.0.1", FALSE},
      {"localhost.evil.com", FALSE},
      {"localhost.", FALSE},
      {"evil-localhost", FALSE},
      {"::2", FALSE},
      {"::", FALSE},
      {"::ffff:10.0.0.1", FALSE},
      {"[::1].evil.com", FALSE},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    if (tb_config_host_is_loopback(cases[i].host) != cases[i].want)
      g_test_fail_printf("tb_config_host_is_loopback(\"%s\") should be %s",
                         cases[i].host ? cases[i].host : "(null)",
                         cases[i].want ? "TRUE" : "FALSE");
  }
}

/* The error domain's name is what logs and bindings show: no stray spaces from formatting. */
static void
test_quark_name(void)
{
  g_assert_cmpstr(g_quark_to_string(tb_config_error_quark()), ==, "tb-config-error-quark");
}

/* Issue 17: the home timeline is off unless asked for, and read no faster than X's 180 reads per
 * 15 minutes (one per 5 s) however the option is set. */
static void
test_timeline(void)
{
  static const struct {
    const char *value;
    TbTimelineMode want;
  } modes[] = {{"off", TB_TIMELINE_OFF}, {"on", TB_TIMELINE_ON}, {" ON ", TB_TIMELINE_ON}};
  for (gsize i = 0; i < G_N_ELEMENTS(modes); i++) {
    TbConfig cfg;
    assert_accepted("timeline", modes[i].value, &cfg);
    g_assert_cmpint(cfg.timeline, ==, modes[i].want);
    tb_config_clear(&cfg);
  }
  assert_refused("timeline", "yes", "not a choice");
  assert_refused("timeline", "", "empty");

  static const struct {
    const char *value;
    int want;
  } ok[] = {{"5", 5}, {"300", 300}, {"86400", 86400}};
  for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
    TbConfig cfg;
    assert_accepted("timeline_interval", ok[i].value, &cfg);
    g_assert_cmpint(cfg.timeline_interval, ==, ok[i].want);
    tb_config_clear(&cfg);
  }
  assert_refused("timeline_interval", "4", "faster than X's budget");
  assert_refused("timeline_interval", "0", "zero");
  assert_refused("timeline_interval", "86401", "over a day");

  TbConfig cfg;
  g_autoptr(GError) error = NULL;
  g_assert_false(load_one("timeline_interval", "1", &cfg, &error));
  g_assert_nonnull(strstr(error->message, "5 to 86400 seconds"));
  g_clear_error(&error);
  g_assert_false(load_one("timeline", "maybe", &cfg, &error));
  g_assert_nonnull(strstr(error->message, "off, on"));
}

/* Issue 13: work hours and their zone are read at sign-in; a bad one names the option. */
static void
test_work_hours(void)
{
  TbConfig cfg;

  assert_accepted("work_hours", "Mon-Thu 08:30-17:00, Fri 08:30-13:00", &cfg);
  g_assert_cmpstr(cfg.work_hours, ==, "Mon-Thu 08:30-17:00, Fri 08:30-13:00");
  g_assert_cmpint(cfg.off_hours, ==, TB_OFF_HOURS_HOLD);
  g_assert_cmpint(cfg.missed_schedule, ==, TB_MISSED_SEND);
  g_assert_cmpint(cfg.guard, ==, TB_GUARD_ON);
  tb_config_clear(&cfg);
  assert_accepted("time_zone", "Europe/London", &cfg);
  tb_config_clear(&cfg);
  assert_accepted("off_hours", "ask", &cfg);
  g_assert_cmpint(cfg.off_hours, ==, TB_OFF_HOURS_ASK);
  tb_config_clear(&cfg);
  assert_refused("work_hours", "weekdays 9 to 5", "not the grammar");
  assert_refused("work_hours", "Mon-Fri", "days without hours");
  assert_refused("time_zone", "Mars/Olympus", "no such zone");
  assert_refused("off_hours", "later", "not a choice");
  assert_refused("guard", "maybe", "not a choice");
}

static void
test_stream(void)
{
  TbConfig cfg;

  assert_accepted("role", "personal", &cfg);
  g_assert_cmpint(cfg.stream, ==, TB_STREAM_OFF); /* off unless asked for */
  tb_config_clear(&cfg);
  assert_accepted("stream", "on", &cfg);
  g_assert_cmpint(cfg.stream, ==, TB_STREAM_ON);
  tb_config_clear(&cfg);
  assert_refused("stream", "webhooks", "not a choice");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/config/quark-name", test_quark_name);
  g_test_add_func("/config/defaults", test_defaults);
  g_test_add_func("/config/specs", test_specs);
  g_test_add_func("/config/role", test_role);
  g_test_add_func("/config/api_base", test_api_base);
  g_test_add_func("/config/auth", test_auth);
  g_test_add_func("/config/ca_file", test_ca_file);
  g_test_add_func("/config/proxy", test_proxy);
  g_test_add_func("/config/intervals", test_intervals);
  g_test_add_func("/config/late-failure-clears", test_late_failure_clears);
  g_test_add_func("/config/loopback", test_loopback);
  g_test_add_func("/config/work-hours", test_work_hours);
  g_test_add_func("/config/timeline", test_timeline);
  g_test_add_func("/config/stream", test_stream);
  return g_test_run();
}
