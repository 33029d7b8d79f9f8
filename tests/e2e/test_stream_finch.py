#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Activity stream (issue 17) in Finch under tmux: Pat's two accounts, pat_home (personal)
and pat_at_acme (work), with stream=on and the X app's consumer key and secret, DMs and mentions
checked only every 10 minutes, so only the stream can bring them within 2 s.

Both accounts share one stream. A DM from alice to each account opens, within 2 s of being made,
a conversation whose title names the account (seen in Finch's window list: the window opened
first stays on top), and alice's line is in it; a mention of the work account opens its thread's
chat within 2 s, with the mention in it; after more time, each window shows its line once."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
from finchconv import FinchConversation  # noqa: E402
from twoaccounts import HOME, ROLES, TOKENS, WAIT, WORK  # noqa: E402

KEY, SECRET = 'ck-twinbird-test', 'cs-twinbird-test'
FAST = 2  # seconds: what only the stream can bring (polls are every 10 minutes)
STREAM = {'dm_interval': 600, 'mention_interval': 600, 'stream': 'on', 'consumer_key': KEY,
          'consumer_secret': SECRET}
# Finch's conversation title: "<who> (<account> -- <protocol>)"
ALICE = r'^Alice Example \(%s -- X \(Twinbird\)\)$'


class StreamFinch(FinchConversation, h.E2ETestCase):

    def setUp(self):
        super().setUp()
        x = self.sim()
        x.add_user('alice', 'Alice Example')
        x.call('POST', '/apps', {'client_id': 'default', 'consumer_key': KEY,
                                 'consumer_secret': SECRET, 'replace': True})
        self.start_pat_in_finch(sim=x, settings=STREAM)
        self.finch.wait_screen(r'@pat_at_acme \(work\)', 20)
        self.finch.wait_screen(r'@pat_home \(personal\)', 5)
        for handle in (HOME, WORK):
            h.wait_first_polls(self.x, self.ids[handle], TOKENS[handle], WAIT, who=handle)
        h.wait_until(lambda: len(self.x.stream_connections()) == 1 and
                     len(self.x.subscriptions()) == 6, 10, interval=0.1,
                     what='one stream and 6 subscriptions')

    def shown_within(self, regex, made, what):
        """regex on the screen within FAST of made (time.monotonic() when X got it)."""
        m = self.finch.wait_screen(regex, FAST)
        self.assertLessEqual(time.monotonic() - made, FAST, what)
        return m

    def conversation_shows(self, regex, what, timeout=FAST):
        """regex in the text of the conversation on top (the left box)."""
        rx = re.compile(regex)
        try:
            return h.wait_until(lambda: rx.search(self.conversation_text()), timeout,
                                interval=0.1, what=what)
        except TimeoutError as e:
            raise AssertionError('%s\nscreen:\n%s' % (e, self.finch.screen()))

    def test_dms_and_a_mention_within_2s_once(self):
        for handle in (HOME, WORK):
            text = 'streamed to %s' % ROLES[handle]
            made = time.monotonic()
            self.x.dm('alice', handle, text)
            # the new conversation, with the DM written in it, in Finch's window list at once;
            # the one opened first stays on top
            self.shown_within(ALICE[1:-1] % handle, made, 'the conversation of @' + handle)
            self.focus_window(ALICE % handle)
            self.conversation_shows(re.escape('Alice Example: %s' % text), text)

        made = time.monotonic()
        t = self.x.tweet('alice', '@%s a streamed mention' % WORK)
        chat = r'work-alice-%s \(pat_at_acme -- X \(Twin' % t['id'][-4:]  # cut in the list
        self.shown_within(chat, made, 'the mention thread of @pat_at_acme')
        self.focus_window('^' + chat)
        self.conversation_shows(r'Alice Example: \[\w+\] @pat_at_acme a streamed mention',
                                'the mention')
        self.finch.save_screen('finch-stream.txt')

        time.sleep(2)  # nothing shown twice
        for handle in (HOME, WORK):
            text = 'streamed to %s' % ROLES[handle]
            self.focus_window(ALICE % handle)
            self.assertEqual(self.conversation_text().count(text), 1, self.finch.screen())
        self.focus_window('^' + chat)
        self.assertEqual(self.conversation_text().count('a streamed mention'), 1,
                         self.finch.screen())
        self.assertNotRegex(self.finch.screen(), r'personal-alice-')
        self.assertEqual(len(self.x.stream_connections()), 1, 'one stream for the app')


if __name__ == '__main__':
    h.main()
