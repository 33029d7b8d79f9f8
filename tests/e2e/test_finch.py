#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 5 in Finch under tmux, read off the screen with capture-pane: an incoming DM opens its
conversation; the answer typed there (tmux send-keys) goes out as a DM from the personal
account, and the conversation shows it tagged "[personal @pat_home]" only once X has confirmed
it, with the id X gave."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
import finchconv  # noqa: E402

TOKEN = 'tok-pat-home'
TAG = '[personal @pat_home]'
DM_POST = r'^/2/dm_conversations/with/\d+/messages$'


class FinchConversation(finchconv.FinchConversation, h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        h.raise_dm_limit(self.x)  # DMs checked every second on purpose
        self.x.add_user('pat_home', 'Pat', token=TOKEN)
        self.x.add_user('dana', 'Dana Example', token='tok-dana')
        self.finch = h.Finch([h.account('pat_home', TOKEN, self.x.api_base, role='personal',
                                        dm_interval=1)],
                             logdir=self.logdir, width=160, height=45).start()

    def test_dm_typed_in_the_conversation_is_tagged_after_x_confirms(self):
        self.finch.wait_screen(r'@pat_home \(personal\)', 20)

        self.x.dm('dana', 'pat_home', 'are you free for lunch?')
        self.finch.wait_screen(r'Dana Example: are you free for lunch\?', 15)
        self.finch.wait_screen(r'Dana Example \(pat_home -- X \(Twinbird\)\)', 5)

        # X takes two seconds to answer: no tag may show before it has.
        self.x.call('POST', '/faults', {'match': {'method': 'POST', 'path': DM_POST},
                                        'count': 1, 'kind': 'slow', 'delay': 2})
        self.type_command('See you at noon')  # into the entry (finchconv), then Enter
        h.wait_until(self.dm_requests, 10, what='the DM request, under way at X')
        # (the conversation's first line names the account, issue 14; no tagged echo yet)
        self.assertNotIn(TAG + ' See you', self.finch.screen())
        self.assertIn('You are writing as %s' % TAG, self.finch.screen())

        screen = self.finch.wait_screen(re.escape(TAG) + r' See you at noon', 10).string
        self.finch.save_screen('finch-dm-tagged.txt')
        [dm] = [p for p in self.x.posted() if p['kind'] == 'dm']
        self.assertEqual((dm['token'], dm['recipient'], dm['text']),
                         (TOKEN, 'dana', 'See you at noon'))
        self.assertIn('DM %s' % dm['id'], screen)
        self.assertEqual(screen.count(TAG + ' '), 1, screen)
        self.assertNotIn('NOT SENT', screen)

    def dm_requests(self):
        return [r for r in self.x.requests() or []
                if r.get('method') == 'POST' and re.search(DM_POST, (r.get('path') or '')
                                                           .split('?')[0])]


if __name__ == '__main__':
    h.main()
