/* Twinbird public interface: names other plugins and D-Bus scripts rely on.
 *
 * Copyright (C) 2026 The Twinbird developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TWINBIRD_H
#define TWINBIRD_H

/* libpurple protocol id; BitlBee users type `account add twinbird HANDLE TOKEN`. */
#define TWINBIRD_PLUGIN_ID "prpl-twinbird"
#define TWINBIRD_PROTOCOL_NAME "twinbird"
#define TWINBIRD_DISPLAY_NAME "X (Twinbird)"

/* Account option keys are a stable contract too (BitlBee's `account set`, tests and scripts use
 * them); their one source of truth is the option table in plugin/core/tb-config.c. */

/* Purple signals the plugin registers on its own handle. libpurple broadcasts each on D-Bus as
 * im.pidgin.purple.PurpleInterface.<CamelCase>, e.g. TwinbirdMentionReceived. */
#define TWINBIRD_SIGNAL_MENTION_RECEIVED "twinbird-mention-received"
#define TWINBIRD_SIGNAL_DM_RECEIVED "twinbird-dm-received"
#define TWINBIRD_SIGNAL_MESSAGE_SENT "twinbird-message-sent"

/* D-Bus methods the plugin adds to libpurple's object (service im.pidgin.purple.PurpleService,
 * path /im/pidgin/purple/PurpleObject, interface im.pidgin.purple.PurpleInterface). Each acts as
 * the account given by its libpurple D-Bus id and answers with the new X id once X has confirmed
 * it, or with one of the errors below (docs/dbus.md). */
#define TWINBIRD_DBUS_METHOD_POST "TwinbirdPost"   /* (i account, s text) -> s post id */
#define TWINBIRD_DBUS_METHOD_REPLY "TwinbirdReply" /* (i account, s id, s text) -> s post id */
#define TWINBIRD_DBUS_METHOD_DM "TwinbirdDm"       /* (i account, s handle, s text) -> s event id */
/* The same, sent even where the guard or the work hours would ask: the caller's explicit
 * override (a script cannot answer a question). */
#define TWINBIRD_DBUS_METHOD_POST_ANYWAY "TwinbirdPostAnyway"
#define TWINBIRD_DBUS_METHOD_REPLY_ANYWAY "TwinbirdReplyAnyway"
#define TWINBIRD_DBUS_METHOD_DM_ANYWAY "TwinbirdDmAnyway"

/* D-Bus error names those methods answer with. */
#define TWINBIRD_DBUS_ERROR_PREFIX "im.twinbird.Error."
#define TWINBIRD_DBUS_ERROR_NO_SUCH_ACCOUNT TWINBIRD_DBUS_ERROR_PREFIX "NoSuchAccount"
#define TWINBIRD_DBUS_ERROR_NOT_SIGNED_IN TWINBIRD_DBUS_ERROR_PREFIX "NotSignedIn"
#define TWINBIRD_DBUS_ERROR_UNKNOWN_ID TWINBIRD_DBUS_ERROR_PREFIX "UnknownId"
#define TWINBIRD_DBUS_ERROR_WRONG_ACCOUNT TWINBIRD_DBUS_ERROR_PREFIX "WrongAccount"
#define TWINBIRD_DBUS_ERROR_REFUSED TWINBIRD_DBUS_ERROR_PREFIX "Refused" /* too long, empty... */
#define TWINBIRD_DBUS_ERROR_CLOSED TWINBIRD_DBUS_ERROR_PREFIX "Closed"
#define TWINBIRD_DBUS_ERROR_REMOVED TWINBIRD_DBUS_ERROR_PREFIX "Removed"    /* from the outbox */
#define TWINBIRD_DBUS_ERROR_GUARDED TWINBIRD_DBUS_ERROR_PREFIX "Guarded"    /* ...Anyway sends */
#define TWINBIRD_DBUS_ERROR_OFF_HOURS TWINBIRD_DBUS_ERROR_PREFIX "OffHours" /* ...Anyway sends */
/* X's own refusals: ...Error.X.Forbidden, .X.RateLimited, .X.Invalid, .X.Network... */
#define TWINBIRD_DBUS_ERROR_X_PREFIX TWINBIRD_DBUS_ERROR_PREFIX "X."

#endif /* TWINBIRD_H */
