#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 2 in Finch under tmux: Finch loads the plugin from its config dir, both of Pat's
accounts sign in against the simulated X API and show online in the buddy list (read off the
screen with capture-pane); a token of the other account ends in Finch's disconnect dialog with
the reason and no reconnect."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402

ME = '/2/users/me'


def rows(screen, word):
    return [line for line in screen.splitlines() if word in line]


class SigninFinch(h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        self.home = self.x.add_user('pat_home', 'Pat', token='tok-pat-home')
        self.work = self.x.add_user('pat_at_acme', 'Pat at Acme', token='tok-pat-acme')

    def test_both_accounts_online_in_the_buddy_list(self):
        finch = self.finch([
            h.account('pat_home', self.home['token'], self.x.api_base, role='personal'),
            h.account('pat_at_acme', self.work['token'], self.x.api_base, role='work')],
            width=180, height=40)
        # Finch hides offline buddies and empty groups: an account's own buddy and its group
        # on the screen mean that account is online.
        h.wait_until(lambda: (len(rows(finch.screen(), 'pat_home')) >= 2
                              and len(rows(finch.screen(), 'pat_at_acme')) >= 2),
                     20, interval=0.2, what='both own buddies in Finch')
        screen = finch.screen()
        finch.save_screen('finch-online.txt')
        self.assertTrue(any('personal' in r for r in rows(screen, 'pat_home')), screen)
        self.assertTrue(any('work' in r for r in rows(screen, 'pat_at_acme')), screen)
        self.assertNotIn('disconnected', screen)
        self.assertEqual(len(self.x.requests_to(ME, token=self.home['token'])), 1)
        self.assertEqual(len(self.x.requests_to(ME, token=self.work['token'])), 1)
        finch.stop()
        self.assertFalse(finch.alive())

    def test_token_of_the_other_account_shows_the_reason(self):
        finch = self.finch([h.account('pat_home', self.work['token'], self.x.api_base)],
                           width=180, height=40)
        finch.wait_screen(r'pat_home .*disconnected', 20)
        screen = finch.wait_screen(r'will not attempt to reconnect', 5).string
        finch.save_screen('finch-refused.txt')
        self.assertRegex(screen, re.compile(r'@pat_at_acme.*@pat_home', re.S))
        time.sleep(3)
        self.assertEqual(len(self.x.requests_to(ME, token=self.work['token'])), 1)
        self.assertEqual(rows(finch.screen(), 'message to post'), [])


if __name__ == '__main__':
    h.main()
