#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Answer the DMs of ONE of your X accounts in Pidgin or Finch, over libpurple's D-Bus.

    examples/answer-dms.py pat_at_acme
    examples/answer-dms.py pat_at_acme --text "Out of office until Monday." --once
    examples/answer-dms.py pat_at_acme --via conv

It finds the account by its username (PurpleAccountsFindConnected(username, "prpl-twinbird")),
listens to Twinbird's TwinbirdDmReceived signal, ignores every other account (your personal DMs
stay yours), and answers:

  --via dm    (default) with Twinbird's TwinbirdDm(account, handle, text) method, which returns
              the new DM event id once X has confirmed the DM;
  --via conv  with libpurple's generic PurpleConvImSend in the DM conversation, exactly what
              typing in the window does; Twinbird then emits TwinbirdMessageSent with the id.

Either way the answer goes out from that account, tagged like everything Twinbird sends.
Needs Debian's python3-dbus and python3-gi; run it in the session of a running Pidgin or Finch.
docs/dbus.md describes every signal and method.
"""

import argparse
import sys

import dbus
import dbus.mainloop.glib
from gi.repository import GLib

SERVICE = 'im.pidgin.purple.PurpleService'
PATH = '/im/pidgin/purple/PurpleObject'
INTERFACE = 'im.pidgin.purple.PurpleInterface'
PROTOCOL = 'prpl-twinbird'
CONV_TYPE_IM = 1

DEFAULT_TEXT = 'Thanks for your message, I will get back to you soon. (automatic answer)'


def say(*words):
    print(*words, flush=True)


class Answerer:
    def __init__(self, bus, purple, account, username, text, via, once):
        self.bus = bus
        self.purple = purple
        self.account = account
        self.username = username
        self.text = text
        self.via = via
        self.once = once
        self.loop = GLib.MainLoop()
        self.exit_code = 0
        self.waiting_echo = {}  # handle -> event id of the DM we answer (--via conv)
        bus.add_signal_receiver(self.on_dm, 'TwinbirdDmReceived', INTERFACE, path=PATH)
        bus.add_signal_receiver(self.on_sent, 'TwinbirdMessageSent', INTERFACE, path=PATH)

    def answer_for(self, sender, text):
        return self.text.replace('{sender}', sender).replace('{text}', text)

    # TwinbirdDmReceived(int32 account, string role, string event_id, string sender, string text)
    def on_dm(self, account, role, event_id, sender, text):
        if int(account) != self.account:
            return  # another account's DM: not ours to answer
        say('DM %s to @%s (%s) from @%s: %s' % (event_id, self.username, role, sender, text))
        answer = self.answer_for(str(sender), str(text))
        if self.via == 'dm':
            self.purple.TwinbirdDm(self.account, sender, answer, timeout=120,
                                   reply_handler=lambda new_id: self.done(sender, new_id),
                                   error_handler=lambda e: self.failed(sender, e))
        else:
            conv = self.purple.PurpleFindConversationWithAccount(CONV_TYPE_IM, sender,
                                                                 self.account)
            if not conv:
                conv = self.purple.PurpleConversationNew(CONV_TYPE_IM, self.account, sender)
            self.waiting_echo[str(sender).lower()] = str(event_id)
            # conversations carry markup: escape, as the window does with what you type
            self.purple.PurpleConvImSend(self.purple.PurpleConvIm(conv),
                                         GLib.markup_escape_text(answer))
            say('sent to @%s with PurpleConvImSend; waiting for X to confirm' % sender)

    # TwinbirdMessageSent(int32 account, string role, string tag, string kind, string id,
    #                     string target, string text)
    def on_sent(self, account, role, tag, kind, new_id, target, text):
        if int(account) != self.account or kind != 'dm':
            return
        if self.waiting_echo.pop(str(target).lower(), None) is not None:
            self.done(target, new_id)

    def done(self, sender, new_id):
        say('answered @%s from @%s: DM %s' % (sender, self.username, new_id))
        if self.once:
            self.loop.quit()

    def failed(self, sender, error):
        say('could not answer @%s: %s: %s' % (sender, error.get_dbus_name(),
                                             error.get_dbus_message()))
        self.exit_code = 1
        if self.once:
            self.loop.quit()


def find_account(purple, username, wait):
    """The account's D-Bus id (ids change at every start: always look them up)."""
    deadline = GLib.get_monotonic_time() + int(wait * 1e6)
    while True:
        account = int(purple.PurpleAccountsFindConnected(username, PROTOCOL))
        if account or GLib.get_monotonic_time() >= deadline:
            return account
        GLib.usleep(200000)


def main():
    p = argparse.ArgumentParser(description='Answer the DMs of one Twinbird account.')
    p.add_argument('username', help='the X account whose DMs to answer, e.g. pat_at_acme')
    p.add_argument('--text', default=DEFAULT_TEXT,
                   help='the answer; {sender} and {text} are replaced (default: %(default)r)')
    p.add_argument('--via', choices=('dm', 'conv'), default='dm',
                   help='TwinbirdDm (returns the id) or libpurple PurpleConvImSend')
    p.add_argument('--once', action='store_true', help='exit after the first answer')
    p.add_argument('--wait', type=float, default=0,
                   help='seconds to wait for the account to sign in (default: 0)')
    args = p.parse_args()

    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    try:
        purple = dbus.Interface(bus.get_object(SERVICE, PATH), INTERFACE)
        account = find_account(purple, args.username.lstrip('@'), args.wait)
    except dbus.DBusException as e:
        say('no libpurple client on this session bus (%s)' % e.get_dbus_name())
        return 2
    if not account:
        say('@%s is not a signed-in %s account' % (args.username, PROTOCOL))
        return 2

    a = Answerer(bus, purple, account, args.username.lstrip('@'), args.text, args.via,
                 args.once)
    say('answering DMs to @%s (account %d) via %s' % (a.username, account, args.via))
    try:
        a.loop.run()
    except KeyboardInterrupt:
        pass
    return a.exit_code


if __name__ == '__main__':
    sys.exit(main())
