#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 5 item 1 in Finch under tmux: Twinbird's commands typed as libpurple /commands in a
conversation (tmux send-keys), read off the screen with capture-pane.

Two accounts, pat_home (personal) and pat_at_acme (work). A DM to the work account opens its
conversation; "/help post" there shows the post command's help, "/post ..." posts from the work
account (the conversation's), the text exactly as typed (plain text: "&" stays "&"), and the
conversation shows it tagged "[work @pat_at_acme]" with the post's link."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
from twoaccounts import HOME, TOKENS, WORK  # noqa: E402

TAG = '[work @pat_at_acme]'


class FinchCommands(h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        h.raise_dm_limit(self.x)
        self.x.add_user(HOME, 'Pat', token=TOKENS[HOME])
        self.x.add_user(WORK, 'Pat at Acme', token=TOKENS[WORK])
        self.x.add_user('dana', 'Dana Example', token='tok-dana')
        self.finch = h.Finch([h.account(HOME, TOKENS[HOME], self.x.api_base, role='personal',
                                        dm_interval=1),
                              h.account(WORK, TOKENS[WORK], self.x.api_base, role='work',
                                        dm_interval=1)],
                             logdir=self.logdir, width=160, height=45).start()

    def entry_shows(self, text):
        # The conversation's entry line: "│text____...│"
        return re.search(r'│%s_+│' % re.escape(text), self.finch.screen())

    def type_command(self, text):
        """Alt+n moves the focus from the buddy list to the conversation window; the text must
        land in its entry before Enter runs it."""
        for _ in range(3):
            if not self.entry_shows(text):
                self.finch.keys('M-n')
                time.sleep(0.3)
                self.finch.keys('-l', text)
            try:
                h.wait_until(lambda: self.entry_shows(text), 2, interval=0.1,
                             what='the text in the conversation entry')
                break
            except TimeoutError:
                self.finch.keys('Escape')  # typed into another window: drop it, try the next
        else:
            self.fail('could not type into the conversation:\n' + self.finch.screen())
        self.finch.keys('Enter')

    def conversation_text(self):
        """The conversation window's lines (the left box), joined: Finch wraps long lines."""
        rows = []
        for line in self.finch.screen().splitlines():
            if line.startswith('│') and '│' in line[1:]:
                rows.append(line[1:line.index('│', 1)].rstrip(' ▒'))
        return re.sub(r'\s+', ' ', ' '.join(rows))

    def test_help_and_post_typed_as_slash_commands(self):
        self.finch.wait_screen(r'@pat_at_acme \(work\)', 20)
        self.x.dm('dana', WORK, 'what is the plan for lunch?')
        self.finch.wait_screen(r'Dana Example: what is the plan for lunch\?', 15)

        self.type_command('/help post')
        self.finch.wait_screen(r'post <text>: post from this account', 10)
        self.assertEqual(self.x.posted(), [])

        self.type_command('/post fish & chips at noon, from finch')
        rx = re.compile(re.escape(TAG) + r' fish & chips at noon, from finch'
                        r' · https://x\.com/pat_at_acme/status/(\d+)')
        try:
            screen = h.wait_until(lambda: rx.search(self.conversation_text()), 10, interval=0.2,
                                  what='the tagged post in the conversation')
        except TimeoutError as e:
            raise AssertionError('%s\nscreen:\n%s' % (e, self.finch.screen()))
        self.finch.save_screen('finch-commands.txt')
        [post] = self.x.posted()
        self.assertEqual((post['kind'], post['token'], post['username']),
                         ('tweet', TOKENS[WORK], WORK))
        self.assertEqual(post['raw_text'], 'fish & chips at noon, from finch')
        self.assertEqual(post['id'], screen.group(1))
        self.assertNotIn('[personal @pat_home]', self.finch.screen())
        self.assertNotIn('No such command', self.finch.screen())


if __name__ == '__main__':
    h.main()
