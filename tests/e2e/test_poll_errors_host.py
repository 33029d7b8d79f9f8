#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Failures that waiting will not mend, met while polling, in the headless libpurple host: X's 402
(the app's developer account is out of credits) is said once, clearly, while the account stays
online and the other poller goes on; a 401 (the sign-in was revoked) ends the connection as an
authentication error, without a reconnect loop."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402

HOME, TOKEN = 'pat_home', 'tok-pat-home'
WAIT = 10
contains = h.contains


class PollErrorsHost(h.OneAccountCase):

    def start(self):
        return self.start_polled(WAIT)

    def test_out_of_credits_is_said_once_and_the_account_stays(self):
        host = self.start()
        since = host.mark()
        self.x.fault('402', count=5, path='/mentions$', token=TOKEN)
        note = host.wait_for({'event': 'notify', 'secondary': contains('out of credits')}, WAIT,
                             since=since)
        self.assertIn('@pat_home', note['secondary'])
        self.assertIn('mentions', note['secondary'])
        # DMs still arrive: only the mentions poller waits, and it waits long
        self.x.dm('alice', HOME, 'still here?')
        host.wait_for({'event': 'received-im', 'plain': contains('still here?')}, WAIT,
                      since=since)
        failed = [r for r in self.x.requests() if r.get('path', '').endswith('/mentions')
                  and r.get('status') == 402]
        self.assertEqual(len(failed), 1, 'no hammering of an endpoint X refuses to bill')
        self.assertEqual(len(host.find({'event': 'notify'}, since)), 1, 'said once')
        self.assertEqual(host.find({'event': 'connection-error'}, since), [])
        self.assertEqual(host.quit(), 0)

    def test_revoked_sign_in_ends_the_connection(self):
        host = self.start()
        since = host.mark()
        self.x.fault('401', count=1, path='/2/dm_events', token=TOKEN)
        err = host.wait_for({'event': 'connection-error', 'account': HOME}, WAIT, since=since)
        self.assertEqual(err['reason_name'], 'AUTHENTICATION_FAILED')
        self.assertTrue(err['fatal'])
        self.assertIn('no longer accepts', err['description'])
        # and says how to sign in again, for this sign-in method (issue 14)
        self.assertIn('To sign in again, put a new user access token in the account\'s Password',
                      err['description'])
        self.assertEqual(host.quit(), 0)


if __name__ == '__main__':
    h.main()
