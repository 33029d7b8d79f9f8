#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 4, secrets: an OAuth 2.0 sign-in through the loopback listener with several renewals and
a 401, and an OAuth 1.0a sign-in with a PIN, in one headless host with its whole libpurple debug
log kept; then every secret of those sign-ins (authorization codes, PKCE verifiers, access and
refresh tokens, OAuth 1.0a tokens and their secrets, the consumer secret, the PIN) is searched
for in the debug log, in what the plugin's signals carried (libpurple also broadcasts those on
D-Bus) and in the arguments of any process the plugin started."""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
import oauthlib as o  # noqa: E402


class OAuthSecrets(h.E2ETestCase):

    def test_no_secret_in_the_debug_log_signals_or_arguments(self):
        x = self.sim()
        x.add_user('pat_home', 'Pat')
        x.add_user('pat_at_acme', 'Pat at Acme')
        port = h.free_port()
        o.register_app(x, port)
        o.sim_config(x, access_token_ttl=6)
        user_dir = os.path.join(h.mkdtemp('oauth-secrets'), 'purple')
        host = self.host([o.oauth2_account(x, 'pat_home', port),
                          o.oauth1_account(x, 'pat_at_acme', role='work')], user_dir=user_dir)

        # OAuth 2.0 through the listener
        prompt = o.wait_prompt(host, 'pat_home')
        o.approve(prompt['secondary'], 'pat_home')
        host.wait_for({'event': 'signed-on', 'account': 'pat_home'}, 20)
        # OAuth 1.0a with a PIN
        prompt1 = o.wait_prompt(host, 'pat_at_acme')
        pin = o.approve_pin(x, prompt1['secondary'], 'pat_at_acme')
        host.send('request-answer', id=prompt1['id'], text=pin)
        host.wait_for({'event': 'signed-on', 'account': 'pat_at_acme'}, 20)
        # renewals before expiry, and one after a 401 with a post sent again
        h.wait_until(lambda: len(o.token_requests(x, 'refresh_token')) >= 2, 20, interval=0.2,
                     what='two renewals')
        x.fault('401', count=1, method='POST', path='^/2/tweets$')
        host.wait_for({'event': 'blist-update', 'account': 'pat_home', 'buddy': 'pat_home',
                       'online': True}, 10)
        host.send('send-im', account='pat_home', to='pat_home', text='after a 401')
        h.wait_until(lambda: [p for p in x.posted() if p.get('raw_text') == 'after a 401'], 20,
                     what='the post')
        host.wait_for({'event': 'twinbird-message-sent', 'account': 'pat_home'}, 10)
        children = h.child_pids(host.proc.pid)
        self.assertEqual(host.quit(), 0)

        secrets = {'consumer secret': o.CONSUMER_SECRET, 'PIN': pin}
        for r in x.requests() or []:
            body = r.get('body') if isinstance(r.get('body'), dict) else {}
            for key in ('code', 'code_verifier', 'refresh_token'):
                if body.get(key):
                    secrets['%s #%d' % (key, r['seq'])] = body[key]
            if r.get('token'):
                secrets['access token #%d' % r['seq']] = r['token']
        secrets['saved refresh token'] = o.saved_password(user_dir, 'pat_home')
        saved1 = o.saved_password(user_dir, 'pat_at_acme') or ''
        self.assertIn(':', saved1)
        secrets['OAuth 1.0a token'], secrets['OAuth 1.0a token secret'] = saved1.split(':', 1)
        kinds = {k.split(' #')[0] for k in secrets}
        for want in ('code', 'code_verifier', 'refresh_token', 'access token', 'PIN',
                     'saved refresh token', 'OAuth 1.0a token secret', 'consumer secret'):
            self.assertIn(want, kinds, 'the test found no %s to look for' % want)

        debug = host.debug_text()
        self.assertIn('access token renewed', debug, 'the log covers the renewals')
        self.assertIn('signed in', debug)
        signals = [json.dumps(e) for e in host.events
                   if str(e.get('event', '')).startswith('twinbird-')]
        self.assertTrue(signals, 'the plugin emitted signals to look into')
        leaks = []
        for name, value in secrets.items():
            self.assertTrue(value and len(value) >= 6, name)
            # a 7-digit PIN is also inside many 19-digit ids: look for it as a number of its own
            rx = re.compile(r'(?<!\d)%s(?!\d)' % re.escape(value) if name == 'PIN'
                            else re.escape(value))
            if rx.search(debug):
                leaks.append('%s in the debug log' % name)
            if any(rx.search(s) for s in signals):
                leaks.append('%s in a signal' % name)
        self.assertEqual(leaks, [])
        self.assertEqual(children, [], 'the plugin started no process')


if __name__ == '__main__':
    h.main()
