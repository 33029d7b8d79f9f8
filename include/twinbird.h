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

/* Account option keys (a stable contract: BitlBee's `account set`, tests and scripts use them). */
#define TWINBIRD_OPT_ROLE "role"
#define TWINBIRD_OPT_API_BASE "api_base"
#define TWINBIRD_OPT_AUTH "auth"
#define TWINBIRD_OPT_CLIENT_ID "client_id"
#define TWINBIRD_OPT_CONSUMER_KEY "consumer_key"
#define TWINBIRD_OPT_CONSUMER_SECRET "consumer_secret"
#define TWINBIRD_OPT_CA_FILE "ca_file"
#define TWINBIRD_OPT_DM_INTERVAL "dm_interval"
#define TWINBIRD_OPT_MENTION_INTERVAL "mention_interval"

/* Purple signals the plugin registers on its own handle. libpurple broadcasts each on D-Bus as
 * im.pidgin.purple.PurpleInterface.<CamelCase>, e.g. TwinbirdMentionReceived. */
#define TWINBIRD_SIGNAL_MENTION_RECEIVED "twinbird-mention-received"
#define TWINBIRD_SIGNAL_DM_RECEIVED "twinbird-dm-received"
#define TWINBIRD_SIGNAL_MESSAGE_SENT "twinbird-message-sent"

#endif /* TWINBIRD_H */
