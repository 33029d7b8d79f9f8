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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
from finchconv import FinchConversation  # noqa: E402
from twoaccounts import TOKENS, WORK  # noqa: E402

TAG = '[work @pat_at_acme]'


class FinchCommands(FinchConversation, h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.start_pat_in_finch()

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
