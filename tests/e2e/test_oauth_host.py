#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 4 in the headless libpurple host (tb-host) against the simulated X API: OAuth 2.0 with
PKCE through the loopback listener (the test plays the browser), the pasted address with its
state checked, renewal before expiry with the rotated refresh token saved and used after a
restart, a 401 mid-session recovered without losing a post or a DM, the wrong account refused
and asked again with nothing saved, and OAuth 1.0a with a PIN and signatures the simulator
verifies."""

import os
import socket
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
import oauthlib as o  # noqa: E402

ME = '/2/users/me'
SCOPES = {'tweet.read', 'tweet.write', 'users.read', 'follows.read', 'dm.read', 'dm.write',
          'offline.access'}


class OAuthHost(h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        self.x.add_user('pat_home', 'Pat')
        self.x.add_user('pat_at_acme', 'Pat at Acme')
        self.x.add_user('friend', 'A Friend')
        self.x.follow('friend', 'pat_home')
        self.x.follow('pat_home', 'friend')
        self.port = h.free_port()
        o.register_app(self.x, self.port)
        self.user_dir = os.path.join(h.mkdtemp('oauth-host'), 'purple')

    def start(self, accounts, name='host'):
        return self.host(accounts, user_dir=self.user_dir, name=name,
                         args=['--reconnect-ms', '500'])

    def sign_in_loopback(self, host, account, as_user=None, since=0):
        """Answer the plugin's sign-in the way a Pidgin user does: open the link, approve,
        and let the browser go to the loopback listener."""
        prompt = o.wait_prompt(host, account, since)
        url = prompt['secondary']
        final, status, page = o.approve(url, as_user or account)
        self.assertTrue(final.startswith('http://127.0.0.1:%d/callback?' % self.port), final)
        return prompt, status, page

    def dms_with(self, text):
        return [p for p in self.x.posted() if p.get('kind') == 'dm' and p.get('text') == text]

    def assert_online(self, host, account, timeout=20):
        host.wait_for({'event': 'signed-on', 'account': account}, timeout)

    # -----------------------------------------------------------------------------------------
    def test_pkce_through_the_loopback_listener(self):
        host = self.start([o.oauth2_account(self.x, 'pat_home', self.port)])
        prompt = o.wait_prompt(host, 'pat_home')
        url = prompt['secondary']
        # the prompt carries the URL alone, and the UI was asked to open it
        self.assertRegex(url, r'^http://127\.0\.0\.1:\d+/i/oauth2/authorize\?\S+$')
        uri = host.wait_for({'event': 'notify-uri'}, 5)
        self.assertEqual(uri['uri'], url)
        self.assertIn('@pat_home', prompt['title'])
        self.assertIn('pat_home', prompt['primary'])
        q = o.query_of(url)
        self.assertEqual(q['response_type'], 'code')
        self.assertEqual(q['client_id'], o.CLIENT_ID)
        self.assertEqual(q['redirect_uri'], 'http://127.0.0.1:%d/callback' % self.port)
        self.assertEqual(set(q['scope'].split(' ')), SCOPES)
        self.assertEqual(q['code_challenge_method'], 'S256')
        self.assertGreaterEqual(len(q['state']), 22)
        self.assertEqual(q['force_login'], 'true')  # the second account must not reuse a session

        final, status, page = o.approve(url, 'pat_home')
        self.assertEqual(status, 200)
        self.assertIn('Twinbird received the sign-in', page)
        self.assertIn('@pat_home', page)
        self.assert_online(host, 'pat_home')
        host.wait_for({'event': 'request-closed', 'id': prompt['id']}, 5)

        # PKCE: the verifier sent with the code hashes to the challenge in the URL
        codes = o.token_requests(self.x, 'authorization_code')
        self.assertEqual(len(codes), 1)
        body = codes[0]['body']
        self.assertEqual(codes[0]['status'], 200)
        self.assertEqual(o.s256(body['code_verifier']), q['code_challenge'])
        self.assertEqual(body['redirect_uri'], q['redirect_uri'])
        self.assertEqual(body['client_id'], o.CLIENT_ID)
        me = self.x.requests_to(ME)
        self.assertEqual(me[-1]['username'], 'pat_home')
        self.assertEqual(me[-1]['status'], 200)

        # the listener is gone once the code arrived: a replayed redirect finds nobody
        self.assertRaises(OSError, o.approve, url, 'pat_home')
        self.assertEqual(host.quit(), 0)
        saved = o.saved_password(self.user_dir, 'pat_home')
        self.assertTrue(saved, 'the refresh token is the saved password')
        self.assertNotIn(saved, (body['code'], body['code_verifier']))

    def get(self, path, host=None):
        """A request to the plugin's listener: (status, page)."""
        url = 'http://127.0.0.1:%d%s' % (self.port, path)
        req = urllib.request.Request(url, headers={'Host': host} if host else {})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def test_listener_answers_only_its_own_redirect(self):
        host = self.start([o.oauth2_account(self.x, 'pat_home', self.port)])
        prompt = o.wait_prompt(host, 'pat_home')
        state = o.query_of(prompt['secondary'])['state']
        self.assertEqual(self.get('/favicon.ico')[0], 404)
        status, page = self.get('/callback?state=somebody-elses&code=abc')
        self.assertEqual(status, 400)
        self.assertIn('not started here', page)
        self.assertEqual(o.token_requests(self.x), [], 'a code without our state is ignored')
        # another site's name rebound to 127.0.0.1 gets nothing, even with the right state
        status, _page = self.get('/callback?state=%s&code=abc' % state,
                                 host='evil.example:%d' % self.port)
        self.assertEqual(status, 421)
        self.assertEqual(o.token_requests(self.x), [])
        self.assertEqual(host.find({'event': 'request-closed'}), [], 'still waiting')

        # the user pressed Cancel on X's page: a new link, nothing exchanged
        since = host.mark()
        status, page = self.get('/callback?state=%s&error=access_denied' % state)
        self.assertEqual(status, 200)
        self.assertIn('did not authorize', page)
        again = o.wait_prompt(host, 'pat_home', since)
        self.assertIn('did not authorize', again['primary'])
        self.assertNotEqual(o.query_of(again['secondary'])['state'], state)
        self.assertEqual(o.token_requests(self.x), [])

        # Cancel in the dialog: a clear error, no reconnect loop, the port free again
        host.send('request-cancel', id=again['id'])
        err = host.wait_for({'event': 'connection-error', 'account': 'pat_home'}, 10)
        self.assertTrue(err['fatal'])
        self.assertIn('cancelled', err['description'])
        h.wait_until(lambda: self.port_is_free(), 5, what='the listener to close')
        self.assertEqual(host.quit(), 0)

    def port_is_free(self):
        """Nothing listens there (SO_REUSEADDR: closed connections may linger in TIME_WAIT)."""
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(('127.0.0.1', self.port))
                s.listen(1)
                return True
            except OSError:
                return False

    def test_closing_while_waiting_leaves_nothing_behind(self):
        host = self.start([o.oauth2_account(self.x, 'pat_home', self.port)])
        prompt = o.wait_prompt(host, 'pat_home')
        host.send('disable', account='pat_home')
        host.wait_for({'event': 'request-closed', 'id': prompt['id']}, 5)
        h.wait_until(lambda: self.port_is_free(), 5, what='the listener to close')
        # the link of the closed sign-in leads nowhere
        self.assertRaises(OSError, o.approve, prompt['secondary'], 'pat_home')
        self.assertEqual(o.token_requests(self.x), [])
        self.assertEqual(host.quit(), 0)

    def test_paste_back_with_state_checked(self):
        # the port is taken: no listener, so the address is pasted back as in BitlBee
        blocker = o.occupy_port(self.port)
        self.addCleanup(blocker.close)
        host = self.start([o.oauth2_account(self.x, 'pat_home', self.port)])
        prompt = o.wait_prompt(host, 'pat_home')
        self.assertIn('127.0.0.1:%d' % self.port, prompt['primary'])
        self.assertIn('paste', prompt['primary'])
        url = prompt['secondary']
        redirect = o.approve(url, 'pat_home', follow=False)
        q = o.query_of(redirect)

        # another sign-in's address: refused, and asked again with the same link
        since = host.mark()
        wrong = redirect.replace('state=' + q['state'], 'state=not-this-one')
        host.send('request-answer', id=prompt['id'], text=wrong)
        again = o.wait_prompt(host, 'pat_home', since)
        self.assertIn('state', again['primary'])
        self.assertEqual(again['secondary'], url)
        self.assertEqual(o.token_requests(self.x), [], 'a foreign code is never exchanged')

        # the right address, wrapped the way an IRC client might
        host.send('request-answer', id=again['id'], text='  <%s>  ' % redirect)
        self.assert_online(host, 'pat_home')
        self.assertEqual(len(o.token_requests(self.x, 'authorization_code')), 1)
        self.assertEqual(host.quit(), 0)
        self.assertTrue(o.saved_password(self.user_dir, 'pat_home'))

    def test_renewal_before_expiry_rotates_and_survives_a_restart(self):
        o.sim_config(self.x, access_token_ttl=6)  # renewed every 3 s
        host = self.start([o.oauth2_account(self.x, 'pat_home', self.port)])
        self.sign_in_loopback(host, 'pat_home')
        self.assert_online(host, 'pat_home')

        def renewals():
            r = o.token_requests(self.x, 'refresh_token')
            return r if len(r) >= 3 else None
        rs = h.wait_until(renewals, 20, interval=0.2, what='three renewals')
        tokens = [r['body']['refresh_token'] for r in rs]
        self.assertEqual(len(set(tokens)), len(tokens), 'each renewal uses the newest token')
        self.assertTrue(all(r['status'] == 200 for r in rs), rs)
        # polling went on with fresh access tokens: no 401 anywhere
        self.assertEqual([r for r in self.x.requests() if r.get('status') == 401], [])
        self.assertEqual(host.find({'event': 'connection-error'}), [])
        self.assertEqual(host.quit(), 0)

        saved = o.saved_password(self.user_dir, 'pat_home')
        self.assertTrue(saved)
        self.assertNotIn(saved, tokens, 'the saved token is the newest, never a spent one')

        # a restart: no prompt, the saved token renews and the account comes online
        before = len(o.token_requests(self.x, 'refresh_token'))
        host2 = self.start([o.oauth2_account(self.x, 'pat_home', self.port)], name='host2')
        self.assert_online(host2, 'pat_home')
        self.assertEqual(host2.find({'event': 'request-input'}), [])
        after = o.token_requests(self.x, 'refresh_token')[before:]
        self.assertEqual(after[0]['body']['refresh_token'], saved)
        self.assertEqual(after[0]['status'], 200)
        self.assertEqual(host2.quit(), 0)

    def test_401_mid_session_is_renewed_and_nothing_is_lost(self):
        host = self.start([o.oauth2_account(self.x, 'pat_home', self.port)])
        self.sign_in_loopback(host, 'pat_home')
        self.assert_online(host, 'pat_home')
        host.wait_for({'event': 'blist-update', 'account': 'pat_home', 'buddy': 'pat_home',
                       'online': True}, 10)
        renewals = len(o.token_requests(self.x, 'refresh_token'))

        # a post: X answers 401 once (the access token was revoked), then accepts it
        self.x.fault('401', count=1, method='POST', path='^/2/tweets$')
        host.send('send-im', account='pat_home', to='pat_home', text='posted after a 401')
        posted = h.wait_until(
            lambda: [p for p in self.x.posted() if p.get('raw_text') == 'posted after a 401'],
            20, what='the post to arrive')
        self.assertEqual(len(o.token_requests(self.x, 'refresh_token')), renewals + 1)

        # a DM, the same
        self.x.fault('401', count=1, method='POST', path='^/2/dm_conversations/')
        host.send('send-im', account='pat_home', to='friend', text='a DM after a 401')
        dms = h.wait_until(lambda: self.dms_with('a DM after a 401'), 20, what='the DM to arrive')
        time.sleep(2)  # nothing arrives twice
        self.assertEqual(len([p for p in self.x.posted()
                              if p.get('raw_text') == 'posted after a 401']), 1)
        self.assertEqual(len(self.dms_with('a DM after a 401')), 1)
        self.assertEqual(posted[0]['username'], 'pat_home')
        self.assertEqual(dms[0]['username'], 'pat_home')
        tweets = self.x.requests_to('/2/tweets', method='POST')
        self.assertEqual([r['status'] for r in tweets], [401, 201])
        self.assertNotEqual(tweets[0]['token'], tweets[1]['token'], 'sent again with a new token')
        self.assertEqual(host.find({'event': 'connection-error'}), [])
        self.assertEqual(host.quit(), 0)

    def test_wrong_account_is_refused_unsaved_and_asked_again(self):
        # the work account, but the browser is signed in as the personal one
        host = self.start([o.oauth2_account(self.x, 'pat_at_acme', self.port, role='work')])
        first, _status, _page = self.sign_in_loopback(host, 'pat_at_acme', as_user='pat_home')
        since = host.mark()
        again = o.wait_prompt(host, 'pat_at_acme', since)
        self.assertNotEqual(again['id'], first['id'])
        self.assertIn('@pat_home', again['primary'])
        self.assertIn('@pat_at_acme', again['primary'])
        self.assertNotEqual(o.query_of(again['secondary'])['state'],
                            o.query_of(first['secondary'])['state'])
        self.assertEqual(host.find({'event': 'signed-on'}), [])
        self.assertEqual(host.find({'event': 'connection-error'}), [], 'not left hanging')
        me = self.x.requests_to(ME)
        self.assertEqual([r['username'] for r in me], ['pat_home'])
        # nothing of the refused sign-in was kept
        self.assertEqual(host.quit(), 0)
        self.assertIsNone(o.saved_password(self.user_dir, 'pat_at_acme'))

        host2 = self.start([o.oauth2_account(self.x, 'pat_at_acme', self.port, role='work')],
                           name='host2')
        self.sign_in_loopback(host2, 'pat_at_acme')
        self.assert_online(host2, 'pat_at_acme')
        self.assertEqual(self.x.requests_to(ME)[-1]['username'], 'pat_at_acme')
        self.assertEqual(host2.quit(), 0)
        self.assertTrue(o.saved_password(self.user_dir, 'pat_at_acme'))

    def test_a_refused_saved_token_is_forgotten_and_asked_for_again(self):
        # e.g. the app was revoked at X, or BitlBee's password was replaced by a placeholder
        host = self.start([o.oauth2_account(self.x, 'pat_home', self.port,
                                            password='signed-out')])
        prompt = o.wait_prompt(host, 'pat_home')
        self.assertIn('no longer accepts the saved sign-in', prompt['primary'])
        # the simulator logs a request's status once its answer is written: wait for it
        tried = h.wait_until(
            lambda: (lambda t: t and all(r['status'] is not None for r in t) and t)(
                o.token_requests(self.x, 'refresh_token')), 5, interval=0.05,
            what='the refresh request logged with its status')
        self.assertEqual([(r['body']['refresh_token'], r['status']) for r in tried],
                         [('signed-out', 400)])
        o.approve(prompt['secondary'], 'pat_home')
        self.assert_online(host, 'pat_home')
        self.assertEqual(host.quit(), 0)
        self.assertNotIn(o.saved_password(self.user_dir, 'pat_home'), (None, 'signed-out'))

    def test_two_accounts_share_the_listener(self):
        host = self.start([o.oauth2_account(self.x, 'pat_home', self.port),
                           o.oauth2_account(self.x, 'pat_at_acme', self.port, role='work')])
        home = o.wait_prompt(host, 'pat_home')
        work = o.wait_prompt(host, 'pat_at_acme')
        # the work account's redirect reaches the one listener and finds its sign-in by state
        o.approve(work['secondary'], 'pat_at_acme')
        self.assert_online(host, 'pat_at_acme')
        o.approve(home['secondary'], 'pat_home')
        self.assert_online(host, 'pat_home')
        self.assertEqual(host.quit(), 0)
        a = o.saved_password(self.user_dir, 'pat_home')
        b = o.saved_password(self.user_dir, 'pat_at_acme')
        self.assertTrue(a and b and a != b)

    def test_oauth1_pin_with_signatures_verified(self):
        host = self.start([o.oauth1_account(self.x, 'pat_home')])
        prompt = o.wait_prompt(host, 'pat_home')
        url = prompt['secondary']
        q = o.query_of(url)
        self.assertTrue(url.startswith(self.x.api_base + '/oauth/authorize?'), url)
        self.assertEqual(q['force_login'], 'true')
        self.assertEqual(q['screen_name'], 'pat_home')
        self.assertIn('PIN', prompt['primary'])
        rt = self.x.requests_to('/oauth/request_token', method='POST')
        self.assertEqual(rt[-1]['status'], 200, rt[-1].get('auth_error'))

        # a wrong PIN: refused, and a new link
        since = host.mark()
        host.send('request-answer', id=prompt['id'], text='0000000')
        again = o.wait_prompt(host, 'pat_home', since)
        self.assertIn('PIN', again['primary'])
        self.assertNotEqual(o.query_of(again['secondary'])['oauth_token'], q['oauth_token'])

        pin = o.approve_pin(self.x, again['secondary'], 'pat_home')
        host.send('request-answer', id=again['id'], text=pin)
        self.assert_online(host, 'pat_home')
        at = self.x.requests_to('/oauth/access_token', method='POST')
        self.assertEqual([r['status'] for r in at], [401, 200])
        me = self.x.requests_to(ME)[-1]
        self.assertEqual((me['status'], me['username']), (200, 'pat_home'))
        self.assertFalse(me.get('auth_error'))

        # a signed POST with a JSON body (not part of the signature)
        host.wait_for({'event': 'blist-update', 'account': 'pat_home', 'buddy': 'pat_home',
                       'online': True}, 10)
        host.send('send-im', account='pat_home', to='pat_home', text='signed with OAuth 1.0a')
        h.wait_until(lambda: [p for p in self.x.posted()
                              if p.get('raw_text') == 'signed with OAuth 1.0a'],
                     15, what='the signed post')
        self.assertEqual([r for r in self.x.requests() if r.get('auth_error')], [])
        self.assertEqual(host.quit(), 0)

        saved = o.saved_password(self.user_dir, 'pat_home')
        self.assertRegex(saved or '', r'^\d+-[^:]+:.+$', 'token:secret')
        host2 = self.start([o.oauth1_account(self.x, 'pat_home')], name='host2')
        self.assert_online(host2, 'pat_home')
        self.assertEqual(host2.find({'event': 'request-input'}), [])
        self.assertEqual(host2.quit(), 0)


if __name__ == '__main__':
    h.main()
