#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 2 in real BitlBee over an IRC socket: `account add twinbird pat_home TOKEN`, `account
... set api_base/auth`, `account ... on`; one person's personal and work accounts both come online
and their own buddies join &bitlbee; refusals (another user's token, 401, a bad option) are login
errors that BitlBee does not retry."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402

ME = '/2/users/me'
OPTION_KEYS = ('role', 'api_base', 'auth', 'client_id', 'consumer_key', 'consumer_secret',
               'ca_file', 'dm_interval', 'mention_interval')


class SigninBitlBee(h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        self.home = self.x.add_user('pat_home', 'Pat', token='tok-pat-home')
        self.work = self.x.add_user('pat_at_acme', 'Pat at Acme', token='tok-pat-acme')
        self.bb = self.bitlbee()
        self.irc = self.bb.connect('pat').register()

    def add(self, handle, token, role=None, api_base=None):
        """account add + set; returns the tag BitlBee gave the account."""
        irc = self.irc
        irc.root('account add twinbird %s %s' % (handle, token))
        tag = irc.expect_root(r'Account successfully added with tag (\S+)').group(1)
        irc.root('account %s set api_base %s' % (tag, api_base or self.x.api_base))
        irc.expect_root(r'api_base = `%s\'' % re.escape(api_base or self.x.api_base))
        irc.root('account %s set auth bearer' % tag)
        irc.expect_root(r"auth = `bearer'")
        if role is not None:
            irc.root('account %s set role %s' % (tag, role))
            irc.expect_root(r"role = `%s'" % re.escape(role))
        return tag

    def assert_no_retry(self, tag, seconds=6):
        """BitlBee retries network errors after 5 s; nothing of the kind may follow."""
        since = self.irc.mark()
        time.sleep(seconds)
        again = self.irc.find(r'%s - (Logging in: (Reconnecting|Checking)|Logged in)'
                              % re.escape(tag), since)
        self.assertEqual(again, [], 'BitlBee tried again after a fatal error')

    def test_personal_and_work_accounts_come_online(self):
        irc = self.irc
        home = self.add('pat_home', self.home['token'], role='personal')
        self.assertEqual(home, 'twinbird')
        since = irc.mark()
        irc.root('help purple twinbird')
        irc.expect_root(r'BitlBee libpurple module twinbird ')
        for key in OPTION_KEYS:
            irc.expect_root(r'\* %s \(' % key, since=since)
        irc.root('account %s on' % home)
        irc.expect_root(r'%s - Logging in: Logged in' % home, 20)
        irc.expect(r'^:pat_home!pat_home@\S+ JOIN :?&bitlbee', 10)

        work = self.add('pat_at_acme', self.work['token'], role='work')
        self.assertNotEqual(work, home)
        irc.root('account %s on' % work)
        irc.expect_root(r'%s - Logging in: Logged in' % work, 20)
        irc.expect(r'^:pat_at_acme!pat_at_acme@\S+ JOIN :?&bitlbee', 10)

        irc.root('account list')
        irc.expect_root(r'\(%s\): twinbird, pat_home \(connected\)' % home)
        irc.expect_root(r'\(%s\): twinbird, pat_at_acme \(connected\)' % work)
        # the own buddies' IRC real names are their aliases, which show the role
        irc.send('WHO &bitlbee')
        who = {}
        while True:
            m = irc.expect(r' (352|315) pat ')
            if m.group(1) == '315':
                break
            line = irc.lines[irc.cursor - 1]
            parts = line.split(' ')
            who[parts[7]] = line.split(' :0 ', 1)[-1]
        self.assertIn('personal', who.get('pat_home', ''), who)
        self.assertIn('work', who.get('pat_at_acme', ''), who)
        self.assertEqual(irc.find(r'Login error'), [])
        self.assertEqual(len(self.x.requests_to(ME, token=self.home['token'])), 1)
        self.assertEqual(len(self.x.requests_to(ME, token=self.work['token'])), 1)

    def test_token_of_the_other_account_is_refused_for_good(self):
        tag = self.add('pat_at_acme', self.home['token'], role='work')
        self.irc.root('account %s on' % tag)
        m = self.irc.expect_root(r'%s - Login error: (.*)' % tag, 20)
        self.assertIn('pat_home', m.group(1))
        self.assertIn('pat_at_acme', m.group(1))
        self.assert_no_retry(tag)
        self.assertEqual(len(self.x.requests_to(ME, token=self.home['token'])), 1)

    def test_401_is_refused_without_reconnect(self):
        tag = self.add('pat_home', 'tok-wrong')
        self.irc.root('account %s on' % tag)
        self.irc.expect_root(r'%s - Login error: .+' % tag, 20)
        self.assert_no_retry(tag)
        self.assertEqual(len(self.x.requests_to(ME, token='tok-wrong')), 1)

    def test_bad_option_is_a_clear_login_error(self):
        irc = self.irc
        tag = self.add('pat_home', self.home['token'], api_base='ftp://x')
        # BitlBee itself refuses a non-number for an integer option and keeps the old value
        irc.root('account %s set dm_interval abc' % tag)
        m = irc.expect_root(r"dm_interval = `([^']*)'|[Ii]nvalid")
        self.assertNotEqual(m.group(1), 'abc')
        irc.root('account %s on' % tag)
        m = irc.expect_root(r'%s - Login error: (.*)' % tag, 10)
        self.assertIn('api_base', m.group(1))
        self.assert_no_retry(tag, 6)
        self.assertEqual(self.x.requests_to(ME, token=self.home['token']), [])

    def test_server_error_is_retried_until_online(self):
        self.x.fault('503', count=1, method='GET', path=ME)
        tag = self.add('pat_home', self.home['token'])
        self.irc.root('account %s on' % tag)
        self.irc.expect_root(r'%s - Logging in: Logged in' % tag, 40)
        self.irc.expect(r'^:pat_home!pat_home@\S+ JOIN :?&bitlbee', 10)
        self.assertEqual(self.irc.find(r'Login error'), [])
        self.assertEqual(len(self.x.requests_to(ME, token=self.home['token'])), 2)


if __name__ == '__main__':
    h.main()
