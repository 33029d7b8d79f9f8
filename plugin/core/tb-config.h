/* Account options: one table drives the libpurple options, BitlBee's `account set` help and the
 * validation done at sign-in, so the three can never disagree.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_CONFIG_H
#define TB_CONFIG_H

#include <glib.h>

G_BEGIN_DECLS

#define TB_CONFIG_ERROR (tb_config_error_quark())
GQuark tb_config_error_quark(void);
typedef enum { TB_CONFIG_ERROR_INVALID } TbConfigError;

typedef enum { TB_AUTH_OAUTH2, TB_AUTH_OAUTH1, TB_AUTH_BEARER } TbAuthKind;

typedef enum { TB_OPT_STRING, TB_OPT_INT, TB_OPT_CHOICE } TbOptKind;

/* Where mentions appear: a chat per thread, one chat for all, or an IM per author. */
typedef enum { TB_MENTIONS_THREAD, TB_MENTIONS_SINGLE, TB_MENTIONS_AUTHOR } TbMentionMode;

/* A post over 280: refused with its weighted count, or split into a numbered thread. */
typedef enum { TB_LONG_POSTS_REFUSE, TB_LONG_POSTS_THREAD } TbLongPosts;

/* on: a line starting with a command word runs it; strict: only "!word" runs a command, and a
 * line that looks like a command without the "!" is neither run nor sent. */
typedef enum { TB_COMMANDS_ON, TB_COMMANDS_STRICT } TbCommandsMode;

/* Which public sends ask first (core/tb-route.h tb_route_ask_first): none, replies typed in a
 * mention thread and reposts, or every post, reply and repost. */
typedef enum { TB_CONFIRM_OFF, TB_CONFIRM_REPLIES, TB_CONFIRM_ALL } TbConfirmPublic;
/* What a send typed at the wrong time does (outside work hours for a work account, inside them
 * for any other): held until the next right time, a question, or sent as usual. */
typedef enum { TB_OFF_HOURS_HOLD, TB_OFF_HOURS_ASK, TB_OFF_HOURS_SEND } TbOffHours;

/* A scheduled send that fell due while the client was closed: sent late, or kept and reported. */
typedef enum { TB_MISSED_SEND, TB_MISSED_HOLD } TbMissedSchedule;

typedef enum { TB_GUARD_ON, TB_GUARD_OFF } TbGuard;

/* The home timeline as a chat of its own (purple/tb-timeline.c): off, or read every
 * timeline_interval seconds. Off by default: X bills every post it returns. */
typedef enum { TB_TIMELINE_OFF, TB_TIMELINE_ON } TbTimelineMode;
/* X's Activity stream for DMs and mentions (needs the app's consumer key and secret). */
typedef enum { TB_STREAM_OFF, TB_STREAM_ON } TbStreamMode;

typedef struct {
  char *role;     /* "personal", "work" or the user's own label */
  char *api_base; /* scheme://host[:port], no trailing slash */
  TbAuthKind auth;
  char *client_id;
  char *consumer_key;
  char *consumer_secret;
  char *ca_file;   /* NULL when unset */
  char *proxy;     /* NULL when unset (the client's proxy setting); "none" or a proxy URL */
  int dm_interval; /* seconds */
  int mention_interval;
  TbMentionMode mention_mode;
  TbTimelineMode timeline;
  int timeline_interval; /* seconds */
  char *tag_format;      /* e.g. "[{role} @{handle}]" */
  TbLongPosts long_posts;
  TbCommandsMode commands;
  TbConfirmPublic confirm_public;
  int mutuals_cap;  /* people followed both ways shown as buddies; 0 = none */
  int oauth_port;   /* OAuth 2.0 sign-in: http://127.0.0.1:PORT/callback */
  char *work_hours; /* core/tb-hours grammar; "" = no policy */
  char *time_zone;  /* IANA name or UTC; "" = the machine's zone */
  TbOffHours off_hours;
  TbMissedSchedule missed_schedule;
  TbGuard guard;
  TbStreamMode stream;
} TbConfig;

typedef struct _TbOptionSpec TbOptionSpec;
typedef gboolean (*TbOptionCheck)(const TbOptionSpec *spec, const char *value, GError **error);

struct _TbOptionSpec {
  const char *key;
  TbOptKind kind;
  const char *label;          /* untranslated; the adapter passes it through _() */
  const char *def;            /* default, as text */
  const char *const *choices; /* TB_OPT_CHOICE: NULL-terminated */
  int min, max;               /* TB_OPT_INT */
  TbOptionCheck check;        /* extra check for strings, may be NULL */
  gsize offset;               /* where the value lands in TbConfig */
};

/* Reads one option's raw value from wherever the UI keeps it (a PurpleAccount, a test table). */
typedef struct {
  const char *(*get_string)(const char *key, const char *def, gpointer user);
  int (*get_int)(const char *key, int def, gpointer user);
} TbConfigSource;

const TbOptionSpec *tb_config_get_specs(gsize *n_specs);
gboolean tb_config_load(TbConfig *cfg, const TbConfigSource *src, gpointer user, GError **error);
void tb_config_clear(TbConfig *cfg);
const char *tb_config_auth_name(TbAuthKind auth);
/* How to sign in again once X no longer accepts the account's sign-in, by method (untranslated:
 * the adapter passes it through _()). */
const char *tb_config_sign_in_again(TbAuthKind auth);
/* What a UI's list shows for each of a choice option's values (untranslated, in the order of
 * its choices), or NULL to show the values themselves. */
const char *const *tb_config_choice_labels(const TbOptionSpec *spec);

/* TRUE for 127.0.0.0/8, ::1 and localhost: the only hosts plain http:// may reach. */
gboolean tb_config_host_is_loopback(const char *host);

G_END_DECLS

#endif /* TB_CONFIG_H */
