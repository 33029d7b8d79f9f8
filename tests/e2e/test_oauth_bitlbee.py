#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 4 in real BitlBee over an IRC socket, where paste-back is the only way to finish an
OAuth 2.0 sign-in: the prompt is a query from purple_request_N whose last line is the authorize
URL alone; the user answers with the redirected address (or its bare code); a foreign state or
the wrong account closes the prompt and opens a new one; the refresh token, rotated at every
renewal, reaches BitlBee's own storage through "bitlbee-set-account-password" and signs the
account in again after `save`, a new IRC session and `identify`."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
import oauthlib as o  # noqa: E402

IDENTIFY_PW = 'irc-pass-for-the-test'


class OAuthBitlBee(h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        self.x.add_user('pat_home', 'Pat')
        self.x.add_user('pat_at_acme', 'Pat at Acme')
        self.port = h.free_port()
        o.register_app(self.x, self.port)
        # BitlBee usually runs on another machine than the browser: nothing listens on the port
        self.blocker = o.occupy_port(self.port)
        self.addCleanup(self.blocker.close)
        self.bb = self.bitlbee()
        self.irc = self.bb.connect('pat').register()

    def add(self, handle, role='personal'):
        irc = self.irc
        irc.root('account add twinbird %s' % handle)
        tag = irc.expect_root(r'Account successfully added with tag (\S+)').group(1)
        for key, value in (('api_base', self.x.api_base), ('client_id', o.CLIENT_ID),
                           ('oauth_port', str(self.port)), ('role', role)):
            irc.root('account %s set %s %s' % (tag, key, value))
            irc.expect_root(r"%s = `%s'" % (key, re.escape(value)))
        return tag

    def prompt(self, timeout=20):
        """A sign-in prompt: (nick, title, primary, url). BitlBee sends the title, the primary
        text (split over several lines when long) and the URL, which must be a line alone."""
        rx = r'^:(purple_request_\d+)!\S+ PRIVMSG %s :(.*)$' % self.irc.nick
        m = self.irc.expect(rx, timeout)
        nick, title = m.group(1), m.group(2)
        lines = []
        while True:
            text = self.irc.expect(r'^:%s!\S+ PRIVMSG \S+ :(.*)$' % nick, 5).group(1)
            if re.match(r'^https?://\S+$', text):
                return nick, title, ' '.join(lines), text
            lines.append(text)

    def answer(self, nick, text):
        self.irc.send('PRIVMSG %s :%s' % (nick, text))

    def test_paste_back_and_rotation_saved_across_sessions(self):
        irc = self.irc
        o.sim_config(self.x, access_token_ttl=8)  # renewed every 4 s
        irc.root('register %s' % IDENTIFY_PW)
        irc.expect_root(r'[Aa]ccount successfully created|registered')
        tag = self.add('pat_home')
        irc.root('account %s on' % tag)
        nick, title, primary, url = self.prompt()
        self.assertEqual(nick, 'purple_request_0')
        self.assertIn('@pat_home', title)
        self.assertIn('paste', primary)
        # the URL alone on its line, so IRC clients make it clickable
        self.assertRegex(url, r'^http://127\.0\.0\.1:\d+/i/oauth2/authorize\?\S+$')
        q = o.query_of(url)
        self.assertEqual(q['redirect_uri'], 'http://127.0.0.1:%d/callback' % self.port)
        self.assertEqual(q['force_login'], 'true')

        redirect = o.approve(url, 'pat_home', follow=False)
        # another sign-in's address: the prompt closes and a new one asks again
        wrong = re.sub(r'state=[^&]+', 'state=somebody-elses', redirect)
        self.answer(nick, wrong)
        nick2, _t, primary2, url2 = self.prompt()
        self.assertEqual(nick2, 'purple_request_1')
        self.assertIn('state', primary2)
        self.assertEqual(url2, url)
        self.assertEqual(o.token_requests(self.x), [])

        # the bare code is enough
        self.answer(nick2, o.query_of(redirect)['code'])
        irc.expect_root(r'%s - Logging in: Logged in' % tag, 20)
        irc.expect(r'^:pat_home!\S+ JOIN :?&bitlbee', 10)

        def renewals(n):
            r = o.token_requests(self.x, 'refresh_token')
            return r if len(r) >= n else None
        rs = h.wait_until(lambda: renewals(2), 20, interval=0.2, what='two renewals')
        self.assertTrue(all(r['status'] == 200 for r in rs))
        irc.root('save')
        irc.expect_root(r'[Cc]onfiguration saved')
        spent = {r['body']['refresh_token'] for r in o.token_requests(self.x, 'refresh_token')}
        count = len(o.token_requests(self.x, 'refresh_token'))
        irc.quit()
        # the renewal timer may fire between `save` and the logout; the saved token must be
        # the newest either way, which a successful renewal in the next session proves

        irc2 = self.bb.connect('pat', transcript_name='irc-pat-2').register()
        irc2.root('identify %s' % IDENTIFY_PW)
        irc2.expect_root(r'%s - Logging in: Logged in' % tag, 30)
        self.assertEqual(irc2.find(r'purple_request_'), [], 'signed in without a prompt')
        after = o.token_requests(self.x, 'refresh_token')[count:]
        self.assertTrue(after, 'the saved refresh token was used')
        self.assertEqual(after[0]['status'], 200, 'and it was the newest one')
        self.assertNotIn(after[0]['body']['refresh_token'], spent, 'never a spent token')
        irc2.quit()

    def test_wrong_account_gets_a_new_prompt(self):
        irc = self.irc
        tag = self.add('pat_at_acme', role='work')
        irc.root('account %s on' % tag)
        nick, _title, _primary, url = self.prompt()
        self.answer(nick, o.approve(url, 'pat_home', follow=False))
        nick2, _t, primary2, url2 = self.prompt()
        self.assertNotEqual(nick2, nick)
        self.assertIn('@pat_home', primary2)
        self.assertIn('@pat_at_acme', primary2)
        self.assertNotEqual(url2, url)
        self.assertEqual(irc.find(r'%s - (Logged in|Login error)' % tag), [])
        self.answer(nick2, o.approve(url2, 'pat_at_acme', follow=False))
        irc.expect_root(r'%s - Logging in: Logged in' % tag, 20)
        me = self.x.requests_to('/2/users/me')
        self.assertEqual([r['username'] for r in me], ['pat_home', 'pat_at_acme'])


if __name__ == '__main__':
    h.main()
