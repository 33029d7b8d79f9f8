#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 2, sign-in slice, in the headless libpurple host (tb-host) against the simulated X API:
the plugin registers with its option contract, a bearer account signs in with GET /2/users/me and
goes online with its own buddy in a group of its own; a token of another user, a 401, a 5xx, a
dropped connection and bad option values each end the way issue 2 says."""

import os
import sys
import time
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402

ME = '/2/users/me'
OPTION_KEYS = {'role', 'api_base', 'auth', 'client_id', 'consumer_key', 'consumer_secret',
               'ca_file', 'dm_interval', 'mention_interval'}


def request_times(reqs):
    """Arrival times (seconds) of recorded requests; xsim logs ISO 8601 with milliseconds."""
    out = []
    for r in reqs:
        t = r.get('time')
        if isinstance(t, (int, float)):
            out.append(float(t))
        elif isinstance(t, str):
            try:
                out.append(datetime.fromisoformat(t.replace('Z', '+00:00')).timestamp())
            except ValueError:
                return None
    return out if len(out) == len(reqs) else None


class SigninHost(h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        self.home = self.x.add_user('pat_home', 'Pat', token='tok-pat-home')
        self.work = self.x.add_user('pat_at_acme', 'Pat at Acme', token='tok-pat-acme')

    def acct(self, username, token, **kw):
        return h.account(username, token, self.x.api_base, **kw)

    def start_host(self, accounts, **kw):
        return self.host(accounts, args=['--reconnect-ms', '500'], **kw)

    def me_requests(self, token):
        return self.x.requests_to(ME, token=token)

    def test_registers_and_both_accounts_come_online(self):
        host = self.start_host([self.acct('pat_home', self.home['token'], role='personal'),
                                self.acct('pat_at_acme', self.work['token'], role='work')])
        prpl = host.wait_for({'event': 'prpl', 'id': h.PROTOCOL}, 5,
                             what='the plugin registering as prpl-twinbird')
        self.assertTrue(prpl['path'].startswith(os.path.realpath(h.PLUGIN_DIR))
                        or prpl['path'].startswith(h.PLUGIN_DIR), prpl['path'])
        keys = {o['key'] for o in prpl['options']}
        self.assertLessEqual(OPTION_KEYS, keys, 'account options missing from the contract')

        groups = {}
        for handle, role in (('pat_home', 'personal'), ('pat_at_acme', 'work')):
            host.wait_for({'event': 'signed-on', 'account': handle}, 15)
            self.assertEqual(host.find({'event': 'connection-error', 'account': handle}), [])
            own = host.wait_for({'event': 'blist-update', 'account': handle, 'buddy': handle,
                                 'online': True}, 10, what='own buddy of %s online' % handle)
            self.assertIn(role, own['alias'], 'the own buddy alias shows the role')
            self.assertTrue(own['group'], 'own buddy has a group')
            groups[handle] = own['group']
        self.assertNotEqual(groups['pat_home'], groups['pat_at_acme'],
                            'each account has a group of its own')
        for g in groups.values():
            self.assertNotIn(g, ('Buddies', 'Twitter', ''))

        # sign-in asked X who the token is, once per account, with that account's token
        self.assertEqual(len(self.me_requests(self.home['token'])), 1)
        self.assertEqual(len(self.me_requests(self.work['token'])), 1)

        for handle in ('pat_home', 'pat_at_acme'):
            buddies = [b for b in host.buddies(handle) if b['buddy'] == handle]
            self.assertEqual(len(buddies), 1)
            self.assertTrue(buddies[0]['online'])
        self.assertEqual(host.quit(), 0)

        # a restart with the same user dir signs in again with no duplicate own buddy
        host2 = h.Host([self.acct('pat_home', self.home['token'])], user_dir=host.user_dir,
                       logdir=self.logdir, name='host-restart').start()
        host2.wait_for({'event': 'signed-on', 'account': 'pat_home'}, 15)
        host2.wait_for({'event': 'blist-update', 'buddy': 'pat_home', 'online': True}, 10)
        self.assertEqual(len([b for b in host2.buddies('pat_home') if b['buddy'] == 'pat_home']), 1)
        self.assertEqual(host2.quit(), 0)

    def test_token_of_another_user_is_refused(self):
        # the work account given the personal token: how identities get mixed
        host = self.start_host([self.acct('pat_at_acme', self.home['token'], role='work')])
        err = host.wait_for({'event': 'connection-error', 'account': 'pat_at_acme'}, 15)
        self.assertTrue(err['fatal'], 'a handle mismatch must not reconnect: %r' % err)
        self.assertIn(err['reason_name'], ('AUTHENTICATION_FAILED', 'INVALID_USERNAME',
                                           'AUTHENTICATION_IMPOSSIBLE', 'OTHER_ERROR'))
        self.assertIn('pat_home', err['description'])
        self.assertIn('pat_at_acme', err['description'])
        time.sleep(3)
        self.assertEqual(host.find({'event': 'signed-on'}), [])
        self.assertEqual(len(self.me_requests(self.home['token'])), 1, 'no retry of a mismatch')

    def test_401_is_an_authentication_error_without_reconnect(self):
        host = self.start_host([self.acct('pat_home', 'not-a-valid-token')])
        err = host.wait_for({'event': 'connection-error', 'account': 'pat_home'}, 15)
        self.assertEqual(err['reason_name'], 'AUTHENTICATION_FAILED', err)
        self.assertTrue(err['fatal'])
        self.assertTrue(err['description'])
        time.sleep(4)  # long enough for any retry loop to show itself
        self.assertEqual(len(self.me_requests('not-a-valid-token')), 1,
                         'a 401 must not be retried')
        self.assertEqual(host.find({'event': 'reconnect-scheduled'}), [])
        self.assertEqual(host.find({'event': 'signed-on'}), [])

    def check_recovers(self, kind, count):
        self.x.fault(kind, count=count, method='GET', path=ME)
        host = self.start_host([self.acct('pat_home', self.home['token'])])
        host.wait_for({'event': 'signed-on', 'account': 'pat_home'}, 30,
                      what='sign-in after %d %s faults' % (count, kind))
        for err in host.find({'event': 'connection-error'}):
            self.assertFalse(err['fatal'], '%s must be a network error, not %r' % (kind, err))
        reqs = self.me_requests(self.home['token'])
        self.assertEqual(len(reqs), count + 1, 'one try per fault, then success')
        times = request_times(reqs)
        if times is not None and count >= 3:
            # timers in whole seconds may fire up to a second late: compare first and last
            gaps = [b - a for a, b in zip(times, times[1:])]
            self.assertGreater(gaps[0], 0.3, 'no immediate hammering: %r' % gaps)
            self.assertGreater(gaps[-1], gaps[0] * 1.3, 'backoff grows: %r' % gaps)
        host.wait_for({'event': 'blist-update', 'buddy': 'pat_home', 'online': True}, 10)
        return host

    def test_5xx_reconnects_with_backoff(self):
        self.check_recovers('503', 3)

    def test_dropped_connection_reconnects(self):
        self.check_recovers('drop', 1)

    def test_bad_option_values_name_the_option(self):
        prpl_types = {}
        cases = [
            ('bad_role', {'role': ''}, 'role'),
            ('bad_scheme', {'api_base': 'ftp://x'}, 'api_base'),
            ('bad_http', {'api_base': 'http://example.com'}, 'api_base'),
            ('bad_dm', {'dm_interval': 0}, 'dm_interval'),
            ('bad_mention', {'mention_interval': 0}, 'mention_interval'),
            ('bad_auth', {'auth': 'magic'}, 'auth'),
        ]
        accounts = []
        for user, override, _ in cases:
            a = self.acct(user, 'tok-' + user)
            a['settings'].update(override)
            accounts.append(a)
        host = self.start_host(accounts)
        prpl = host.wait_for({'event': 'prpl', 'id': h.PROTOCOL}, 5)
        prpl_types = {o['key']: o['type'] for o in prpl['options']}
        for user, override, option in cases:
            with self.subTest(option=option, value=list(override.values())[0]):
                err = host.wait_for({'event': 'connection-error', 'account': user}, 10)
                self.assertIn(option, err['description'])
                self.assertTrue(err['fatal'], err)
                self.assertEqual(err['reason_name'], 'INVALID_SETTINGS', err)
        # a non-number interval can only be stored where the option is a string; an int option
        # cannot hold "abc" (BitlBee rejects it at `account set`, see test_signin_bitlbee)
        if prpl_types.get('dm_interval') == 'string':
            since = host.mark()
            host.send('set-setting', account='bad_dm', key='dm_interval', value='abc')
            host.send('enable', account='bad_dm')
            err = host.wait_for({'event': 'connection-error', 'account': 'bad_dm'}, 10,
                                since=since)
            self.assertIn('dm_interval', err['description'])
        for user, _, _ in cases:
            self.assertEqual(self.me_requests('tok-' + user), [],
                             'a bad option is refused before any request')
        self.assertEqual(host.find({'event': 'signed-on'}), [])


if __name__ == '__main__':
    h.main()
