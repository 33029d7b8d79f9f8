#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Activity stream (issue 17) in real BitlBee over an IRC socket: Pat's two accounts,
pat_home (personal) and pat_at_acme (work), with `account <tag> set stream on` and the X app's
consumer_key and consumer_secret, DMs and mentions checked only every 10 minutes.

Both accounts share ONE stream; a DM to each arrives on IRC within 2 s of being made, as a private
message from alice's nick on that account; a mention opens the account's mention channel within
2 s; after the stream drops half-way through an event, the DM it carried comes once (backfill) and
nothing is shown twice; `account ... off` deletes that account's subscriptions and the stream goes
on for the other; with a wrong consumer secret there is one clear message about the consumer
key and secret per account, no stream, and polling still brings a DM."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
from twoaccounts import HOME, ROLES, WAIT, WORK, TwoAccounts  # noqa: E402

KEY, SECRET = 'ck-twinbird-test', 'cs-twinbird-test'
FAST = 2  # seconds: what only the stream can bring (polls are every 10 minutes)
SLOW = '600'


class StreamBitlBee(TwoAccounts, h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.add_pat(others=('alice',))
        self.x.call('POST', '/apps', {'client_id': 'default', 'consumer_key': KEY,
                                      'consumer_secret': SECRET, 'replace': True})

    def start_stream_bitlbee(self, secret=SECRET, dm_interval=SLOW):
        self.start_bitlbee(settings=(('dm_interval', dm_interval), ('mention_interval', SLOW),
                                     ('stream', 'on'), ('consumer_key', KEY),
                                     ('consumer_secret', secret)))

    def wait_stream(self):
        """One stream open for both accounts' 6 subscriptions; the open connections."""
        h.wait_until(lambda: len(self.x.stream_connections()) == 1 and
                     len(self.x.subscriptions()) == 6, 10, interval=0.1,
                     what='one stream and 6 subscriptions')
        return self.x.stream_connections()

    def dm_line(self, account, text):
        return r'^:(\S+)!alice@%s PRIVMSG pat :%s$' % (re.escape(self.acct[account]),
                                                        re.escape(text))

    def dm_arrives(self, account, text, timeout=FAST):
        """alice DMs account; the line on IRC within timeout of the DM being made; its nick."""
        since = self.irc.mark()
        made = time.monotonic()
        self.x.dm('alice', account, text)
        m = self.irc.expect(self.dm_line(account, text), timeout, since=since)
        self.assertLessEqual(time.monotonic() - made, timeout)
        return m.group(1)

    def count(self, text):
        return len(self.irc.find(re.escape(text)))

    def test_one_stream_dms_and_a_mention_within_2s(self):
        self.start_stream_bitlbee()
        self.wait_stream()
        irc = self.irc
        nick = {account: self.dm_arrives(account, 'streamed to %s' % ROLES[account])
                for account in (HOME, WORK)}
        self.assertEqual({nick[HOME], nick[WORK]}, {'alice', 'alice_'}, 'a nick per account')

        since = irc.mark()
        made = time.monotonic()
        t = self.x.tweet('alice', '@%s a streamed mention' % WORK)
        chan = irc.expect(r'^:pat!\S+ JOIN :?(#work-alice-%s)$' % t['id'][-4:], FAST,
                          since=since).group(1)
        irc.expect(r'^:\S+!alice@%s PRIVMSG %s :\[\w+\] .*a streamed mention$'
                   % (re.escape(self.acct[WORK]), re.escape(chan)), FAST, since=since)
        self.assertLessEqual(time.monotonic() - made, FAST)
        self.assertEqual(irc.find(r'JOIN :?#personal-', since), [], 'only the mentioned account')
        self.assertEqual(len(self.x.stream_connections()), 1, 'one stream for the app')

        time.sleep(2)  # nothing shown twice
        for account in (HOME, WORK):
            self.assertEqual(self.count('streamed to %s' % ROLES[account]), 1)
        self.assertEqual(self.count('a streamed mention'), 1)
        self.assertEqual(irc.find(r'Login error|Signing off|consumer key'), [])

        # `account ... off` is a sign-out: that account's subscriptions go, the stream stays
        # for the other one
        home = self.ids[HOME]
        irc.root('account %s off' % self.acct[HOME])
        h.wait_until(lambda: not [s for s in self.x.subscriptions()
                                  if s.get('filter', {}).get('user_id') == home], 10,
                     interval=0.1, what="@%s's subscriptions deleted at sign-out" % HOME)
        self.assertEqual(len(self.x.subscriptions()), 3)
        h.wait_until(lambda: len(self.x.stream_connections()) == 1, 10, interval=0.1,
                     what='the stream on the other account')
        self.dm_arrives(WORK, 'work, after home signed out')

    def test_drop_then_backfill_once(self):
        self.start_stream_bitlbee()
        self.wait_stream()
        self.x.stream_fault('drop')
        since = self.irc.mark()
        self.x.dm('alice', HOME, 'cut in half')
        self.irc.expect(self.dm_line(HOME, 'cut in half'), WAIT, since=since)
        [conn] = self.wait_stream()  # back, asking for what was missed
        self.assertGreaterEqual(conn['backfill'], 1, conn)
        self.dm_arrives(HOME, 'home, after the drop')
        self.dm_arrives(WORK, 'work, after the drop')
        time.sleep(2)
        for text in ('cut in half', 'home, after the drop', 'work, after the drop'):
            self.assertEqual(self.count(text), 1, '%r shown %d times' % (text, self.count(text)))
        self.assertEqual(self.irc.find(r'Login error|Signing off'), [])

    def test_wrong_keys_one_message_and_polling(self):
        self.start_stream_bitlbee(secret='wrong', dm_interval='1')
        irc = self.irc
        for account in (HOME, WORK):
            irc.expect_root(r'@%s \(%s\).*consumer key and secret' % (account, ROLES[account]),
                            WAIT, since=0)
        time.sleep(2)
        said = irc.find(r'consumer key and secret')
        self.assertEqual(len(said), 2, 'one message per account:\n%s' % '\n'.join(said))
        self.assertEqual(self.x.stream_connections(), [])
        since = irc.mark()
        self.x.dm('alice', WORK, 'polled instead')
        irc.expect(self.dm_line(WORK, 'polled instead'), WAIT, since=since)
        time.sleep(1.5)
        self.assertEqual(self.count('polled instead'), 1)
        self.assertEqual(irc.find(r'Login error|Signing off'), [])


if __name__ == '__main__':
    h.main()
