#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 3 item 8 in the headless libpurple host: after a restart nothing in between is missed
within X's own windows, and the user is told when the gap is larger than them: more than the 800
mentions X serves, or DMs older than the 30 days X keeps (the last one seen is gone)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
from tbharness import contains  # noqa: E402

HOME = 'pat_home'
TOKEN = 'tok-pat-home'
WAIT = 15
DAY = 86400


class GapsHost(h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        h.raise_dm_limit(self.x)
        self.x.add_user(HOME, 'Pat', token=TOKEN)
        self.x.add_user('alice', 'Alice')
        self.me = next(u['id'] for u in self.x.call('GET', '/users') if u['username'] == HOME)
        self.user_dir = os.path.join(h.mkdtemp('gaps-host'), 'purple')

    def start(self, name):
        host = self.host([h.account(HOME, TOKEN, self.x.api_base, role='personal',
                                    auth='bearer', dm_interval=1, mention_interval=1,
                                    mutuals_cap=0)],
                         user_dir=self.user_dir, name=name)
        host.wait_for({'event': 'signed-on', 'account': HOME}, WAIT)
        return host

    def first_polls(self, host):
        h.wait_first_polls(self.x, self.me, TOKEN, WAIT)

    def test_dms_older_than_30_days_are_reported_once(self):
        host = self.start('first')
        self.first_polls(host)
        since = host.mark()
        self.x.dm('alice', HOME, 'before the holiday')
        host.wait_for({'event': 'received-im', 'plain': contains('before the holiday')}, WAIT,
                      since=since)
        h.wait_until(lambda: 'dm_last_id=' in self.state(), 5, what='the DM cursor saved')
        self.assertEqual(host.quit(), 0)

        # away for 31 days: the DM seen last is beyond X's 30 days, a new one arrived
        self.x.call('POST', '/clock', {'advance': 31 * DAY})
        self.x.dm('alice', HOME, 'welcome back')
        host = self.start('second')
        since = 0
        host.wait_for({'event': 'received-im', 'plain': contains('welcome back')}, WAIT)
        note = host.wait_for({'event': 'notify', 'secondary': contains('30 days')}, WAIT)
        self.assertIn('@pat_home', note['title'] + note['primary'])
        self.assertEqual(host.find({'event': 'received-im', 'plain': contains('before the')},
                                   since), [], 'the old DM is not shown again')
        self.assertEqual(host.quit(), 0)

        # the cursor moved on: a third start says nothing more
        host = self.start('third')
        self.first_polls(host)
        h.wait_until(lambda: len(self.x.requests_to('/2/dm_events', token=TOKEN)) >= 6, WAIT,
                     what='a few more DM polls')
        self.assertEqual(host.find({'event': 'notify'}), [], 'the gap is reported once')
        self.assertEqual(host.quit(), 0)

    def test_more_mentions_than_x_serves_are_reported(self):
        host = self.start('first')
        self.first_polls(host)
        since = host.mark()
        self.x.tweet('alice', '@pat_home first of all')
        host.wait_for({'event': 'received-chat', 'plain': contains('first of all')}, WAIT,
                      since=since)
        h.wait_until(lambda: 'mention_since_id=' in self.state(), 5,
                     what='the mention cursor saved')
        self.assertEqual(host.quit(), 0)

        # 850 mentions while away: X serves only the newest 800
        for i in range(850):
            self.x.tweet('alice', '@pat_home ping %03d' % i)
        host = self.start('second')
        note = host.wait_for({'event': 'notify', 'secondary': contains('800')}, 60)
        self.assertIn('@pat_home', note['title'] + note['primary'])
        shown = host.find({'event': 'received-chat', 'plain': contains('ping ')})
        texts = [e['plain'].split('ping ')[1][:3] for e in shown]
        self.assertEqual(len(texts), len(set(texts)), 'nothing shown twice')
        self.assertEqual(sorted(texts), ['%03d' % i for i in range(50, 850)],
                         'exactly the 800 X still serves, oldest first order aside')
        self.assertEqual(texts, sorted(texts), 'shown oldest first')
        self.assertEqual(host.quit(), 0)

    def state(self):
        try:
            with open(os.path.join(self.user_dir, 'twinbird', HOME + '.state'),
                      encoding='utf-8') as f:
                return f.read()
        except FileNotFoundError:
            return ''


if __name__ == '__main__':
    h.main()
