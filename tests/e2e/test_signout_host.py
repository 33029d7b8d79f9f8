#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 4, Sign out, in the headless libpurple host: the account action revokes the refresh and
access tokens at X (POST /2/oauth2/revoke), forgets the saved secret, and the next sign-in asks
again instead of reusing anything."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
import oauthlib as o  # noqa: E402

REVOKE = '/2/oauth2/revoke'


class SignOut(h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        self.x.add_user('pat_home', 'Pat')
        self.port = h.free_port()
        o.register_app(self.x, self.port)
        self.user_dir = os.path.join(h.mkdtemp('signout-host'), 'purple')

    def start(self, name):
        return self.host([o.oauth2_account(self.x, 'pat_home', self.port)],
                         user_dir=self.user_dir, name=name, args=['--no-reconnect'])

    def test_sign_out_revokes_and_forgets(self):
        host = self.start('first')
        prompt = o.wait_prompt(host, 'pat_home')
        o.approve(prompt['secondary'], 'pat_home')
        host.wait_for({'event': 'signed-on', 'account': 'pat_home'}, 20)
        refresh = [r for r in o.token_requests(self.x, 'authorization_code')]
        self.assertEqual(len(refresh), 1)

        ack = host.send('account-action', account='pat_home', label='Sign out')
        self.assertTrue(ack['ok'], ack)
        err = host.wait_for({'event': 'connection-error', 'account': 'pat_home'}, 10)
        self.assertIn('Signed out of X', err['description'])
        self.assertTrue(err['fatal'], 'a sign-out must not reconnect')

        revokes = [r for r in self.x.requests() if r.get('path') == REVOKE]
        self.assertEqual(len(revokes), 2, 'refresh and access token both revoked')
        self.assertTrue(all(r['status'] == 200 for r in revokes), revokes)
        self.assertEqual(host.quit(), 0)
        self.assertIn(o.saved_password(self.user_dir, 'pat_home'), (None, ''))

        # the next start asks to sign in again: nothing saved is tried
        host = self.start('second')
        o.wait_prompt(host, 'pat_home')
        self.assertEqual(o.token_requests(self.x, 'refresh_token'), [])
        self.assertEqual(host.quit(), 0)

    def test_reads_refused_while_revoking_are_the_sign_out_not_a_lost_sign_in(self):
        """X revokes at once but answers late: the 2-second checks meanwhile get 401 for the
        revoked token. That is the sign-out's doing: the account ends with the sign-out's own
        message, not "X no longer accepts this account's sign-in"."""
        h.raise_dm_limit(self.x)
        host = self.start('slow')
        prompt = o.wait_prompt(host, 'pat_home')
        o.approve(prompt['secondary'], 'pat_home')
        host.wait_for({'event': 'signed-on', 'account': 'pat_home'}, 20)
        self.x.fault('slow', count=2, method='POST', path=REVOKE, after=True, delay=5)
        seq = self.x.requests()[-1]['seq']
        self.assertTrue(host.send('account-action', account='pat_home', label='Sign out')['ok'])
        err = host.wait_for({'event': 'connection-error', 'account': 'pat_home'}, 20)
        self.assertIn('Signed out of X', err['description'])
        self.assertIn('is revoked and forgotten', err['description'])
        refused = [r for r in self.x.requests() if r['seq'] > seq and r.get('status') == 401]
        self.assertTrue(refused, 'no check ran while the revokes were answered late')
        self.assertEqual(host.quit(), 0)


if __name__ == '__main__':
    h.main()
