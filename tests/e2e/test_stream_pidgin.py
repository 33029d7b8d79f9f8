#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Activity stream (issue 17) in Pidgin under a private Xvfb: Pat's two accounts, pat_home
(personal) and pat_at_acme (work), with stream=on and the X app's consumer key and secret, DMs
and mentions checked only every 10 minutes, so only the stream can bring them within 2 s.

Both accounts share one stream. A DM from alice to each account opens its conversation window
(titled with the account) and is received (libpurple's ReceivedImMsg on Pidgin's private D-Bus)
within 2 s of being made; a mention of the work account opens a chat window within 2 s; after
more time, each was received once and Pidgin's conversation logs hold each once."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
import clientlib as c  # noqa: E402
from twoaccounts import HOME, ROLES, TOKENS, WAIT, WORK  # noqa: E402

KEY, SECRET = 'ck-twinbird-test', 'cs-twinbird-test'
FAST = 2  # seconds: what only the stream can bring (polls are every 10 minutes)
STREAM = {'dm_interval': 600, 'mention_interval': 600, 'stream': 'on', 'consumer_key': KEY,
          'consumer_secret': SECRET}


class StreamPidgin(c.PatInPidgin, h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        h.raise_dm_limit(self.x)
        self.x.add_user('alice', 'Alice Example')
        self.x.call('POST', '/apps', {'client_id': 'default', 'consumer_key': KEY,
                                      'consumer_secret': SECRET, 'replace': True})
        self.start_pidgin(settings=STREAM)
        self.acct = {handle: self.pb.wait_account(handle) for handle in (HOME, WORK)}
        for handle in (HOME, WORK):
            h.wait_first_polls(self.x, self.ids[handle], TOKENS[handle], WAIT, who=handle)
        h.wait_until(lambda: len(self.x.stream_connections()) == 1 and
                     len(self.x.subscriptions()) == 6, 10, interval=0.1,
                     what='one stream and 6 subscriptions')

    def chat_logs(self, account):
        """Everything Pidgin logged of account's chats (txt logs)."""
        d = os.path.join(self.pidgin.cfg, 'logs', 'twinbird', account.lower())
        out = []
        for root, _dirs, files in os.walk(d):
            if root.endswith('.chat'):
                out += [c.read(os.path.join(root, name)) for name in sorted(files)]
        return ''.join(out)

    def test_dms_and_a_mention_within_2s_once(self):
        pb = self.pb
        for handle in (HOME, WORK):
            text = 'streamed to %s' % ROLES[handle]
            since = pb.mark()
            made = time.monotonic()
            self.x.dm('alice', handle, text)
            pb.wait_signal('ReceivedImMsg', FAST, since, a0=self.acct[handle], a1='alice',
                           a2=re.compile('^%s$' % re.escape(text)))
            self.d.wait_window(r'^Alice Example · \[%s @%s\]$' % (ROLES[handle], handle), FAST)
            self.assertLessEqual(time.monotonic() - made, FAST, text)
            self.wait_log(handle, 'alice', re.escape('Alice Example: %s' % text), timeout=FAST)

        since = pb.mark()
        made = time.monotonic()
        t = self.x.tweet('alice', '@%s a streamed mention' % WORK)
        got = pb.wait_signal('ReceivedChatMsg', FAST, since, a0=self.acct[WORK], a1='alice',
                             a2=re.compile(r'a streamed mention'))
        self.assertEqual(pb.call('PurpleConversationGetType', got[3]), 2, 'a chat')
        self.d.wait_window(r'^@alice: @pat_at_acme a streamed mention', FAST)
        self.assertLessEqual(time.monotonic() - made, FAST)
        mention = pb.wait_signal('TwinbirdMentionReceived', FAST, since, a2=t['id'])
        self.assertEqual(mention[0], self.acct[WORK])
        self.d.screenshot(os.path.join(self.logdir, 'pidgin-stream.png'))

        time.sleep(2)  # nothing shown twice
        for handle in (HOME, WORK):
            text = 'streamed to %s' % ROLES[handle]
            self.assertEqual(len(pb.find('ReceivedImMsg', 0, a2=re.compile(re.escape(text)))),
                             1, text)
            self.assertEqual(self.pidgin.log_text(handle, 'alice').count(text), 1, text)
        self.assertEqual(len(pb.find('ReceivedChatMsg', 0,
                                     a2=re.compile('a streamed mention'))), 1)
        self.assertEqual(len(pb.find('TwinbirdMentionReceived', 0)), 1)
        self.assertEqual(self.chat_logs(WORK).count('a streamed mention'), 1,
                         self.chat_logs(WORK))
        self.assertEqual(self.chat_logs(HOME), '', 'only the mentioned account')
        self.assertEqual(len(self.x.stream_connections()), 1, 'one stream for the app')
        self.pidgin.quit(self.pb)
        self.assertEqual(self.pidgin.proc.returncode, 0)


if __name__ == '__main__':
    h.main()
