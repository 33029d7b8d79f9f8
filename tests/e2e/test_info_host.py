#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 5 item 4 in the headless libpurple host: libpurple's own ways in work too. Get Info on a
buddy shows the X profile (strangers' text escaped) in the user-info window, one row per field
(issue 14: name, handle, counts, joined, whether they follow you and take your DMs), and handles are one
person whatever their case, as on X: a DM typed to "Alice" and alice's answer share one
conversation."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402

HOME, TOKEN = 'pat_home', 'tok-pat-home'
WAIT = 10

contains = h.contains


class InfoHost(h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        h.raise_dm_limit(self.x)
        self.x.add_user(HOME, 'Pat', token=TOKEN)
        self.x.add_user('alice', 'Alice <b>A</b>')
        self.x.add_user('bob', 'Bob Example')
        self.x.follow('alice', HOME)
        self.host_ = self.host([h.account(HOME, TOKEN, self.x.api_base, role='personal',
                                          auth='bearer', dm_interval=1, mention_interval=1,
                                          mutuals_cap=0)])
        self.host_.wait_for({'event': 'signed-on', 'account': HOME}, WAIT)

    def test_get_info_shows_the_profile_escaped(self):
        host = self.host_
        since = host.mark()
        self.assertTrue(host.send('get-info', account=HOME, who='alice')['ok'])
        info = host.wait_for({'event': 'userinfo', 'account': HOME}, WAIT, since=since)
        self.assertIn('@alice', info['plain'])
        self.assertIn('Alice <b>A</b>', info['plain'], 'the name reads as written')
        self.assertNotIn('<b>A</b>', info['text'], 'and is never markup')
        self.assertIn('https://x.com/alice', info['plain'])
        # one row per field (issue 14): labels and values, never one long row
        rows = {e['label']: e['value'] for e in info['entries']}
        for label in ('Handle', 'Name', 'Followers', 'Following', 'Posts', 'Joined X',
                      'Follows you', 'Takes your DMs', 'Profile'):
            self.assertIn(label, rows, 'no %s row in %r' % (label, rows))
        self.assertEqual(rows['Handle'], '@alice')
        self.assertEqual(rows['Follows you'], 'yes', 'alice follows pat')
        self.assertNotIn('X profile', rows)

    def test_get_info_says_whether_they_follow_you(self):
        host = self.host_
        since = host.mark()
        host.send('get-info', account=HOME, who='bob')
        info = host.wait_for({'event': 'userinfo', 'account': HOME, 'who': 'bob'}, WAIT,
                             since=since)
        rows = {e['label']: e['value'] for e in info['entries']}
        self.assertEqual((rows['Handle'], rows['Follows you']), ('@bob', 'no'))

    def test_handles_are_case_insensitive(self):
        host = self.host_
        since = host.mark()
        host.send('send-im', account=HOME, to='Alice', text='hello there')
        sent = h.wait_until(lambda: [p for p in self.x.posted() if p.get('kind') == 'dm'],
                            WAIT, what='the DM on X')[0]
        self.assertEqual(sent['recipient'], 'alice')
        echo = host.wait_for({'event': 'write-conv', 'account': HOME,
                              'plain': contains('[personal @pat_home] hello there')}, WAIT,
                             since=since)
        self.x.dm('alice', HOME, 'hi back')
        answer = host.wait_for({'event': 'write-conv', 'account': HOME,
                                'plain': contains('hi back')}, WAIT, since=since)
        self.assertEqual(answer['conv'].lower(), echo['conv'].lower())
        convs = {e['conv'] for e in host.find({'event': 'conv-created', 'account': HOME,
                                               'type': 'im'}, since)}
        self.assertEqual(len({c.lower() for c in convs}), len(convs),
                         'no second conversation for the same person: %r' % convs)


if __name__ == '__main__':
    h.main()
