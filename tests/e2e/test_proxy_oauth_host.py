#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 15, proxies and signing in, in the headless libpurple host: with X reachable only through
tinyproxy (Basic auth), OAuth 2.0's code exchange, the renewal with the saved refresh token and
both revokes of a sign-out go through the proxy, and so do OAuth 1.0a's request and access token
calls; the browser's redirect reaches the plugin's loopback listener on 127.0.0.1 directly."""

import os
import ssl
import sys
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
import oauthlib as o  # noqa: E402
import proxies as px  # noqa: E402
from proxycase import WAIT, ProxyHostCase  # noqa: E402


class ProxyOAuthHost(ProxyHostCase):

    def setUp(self):
        super().setUp()
        self.port = h.free_port()
        o.register_app(self.x, self.port)
        self.user_dir = os.path.join(h.mkdtemp('proxy-oauth'), 'purple')
        self.tp = self.proxy(px.Tinyproxy, user=px.HTTP_USER, password=px.HTTP_PASSWORD)
        self.purple_proxy = px.purple_proxy('http', self.tp, px.HTTP_USER, px.HTTP_PASSWORD)

    def start_oauth(self, account, name):
        account['settings']['ca_file'] = self.x.ca_file
        account['proxy'] = self.purple_proxy
        return self.host([account], user_dir=self.user_dir, name=name, args=['--no-reconnect'])

    def browser(self, url):
        """The user's browser, which reaches x.com through the same proxy, and the loopback
        listener (plain http) without it. Returns where it ended."""
        ctx = ssl.create_default_context(cafile=self.x.ca_file)
        proxy = 'http://%s:%s@%s' % (px.HTTP_USER, px.HTTP_PASSWORD, self.tp.address())
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({'https': proxy}),
                                             urllib.request.HTTPSHandler(context=ctx))
        target = url + '&' + urllib.parse.urlencode({'sim_user': self.HANDLE})
        with opener.open(target, timeout=10) as resp:
            return resp.geturl()

    def by_name(self, path, method='POST'):
        return [r for r in self.x.requests_to(path, method=method)
                if r.get('host') == '%s:%d' % (px.API_NAME, self.api_port)]

    def test_oauth2_code_renewal_and_revoke(self):
        host = self.start_oauth(o.oauth2_account(self.x, self.HANDLE, self.port), 'first')
        prompt = o.wait_prompt(host, self.HANDLE)
        final = self.browser(prompt['secondary'])
        self.assertTrue(final.startswith('http://127.0.0.1:%d/callback?' % self.port), final)
        host.wait_for({'event': 'signed-on', 'account': self.HANDLE}, WAIT)
        codes = [r for r in self.by_name(o.TOKEN_PATH)
                 if (r.get('body') or {}).get('grant_type') == 'authorization_code']
        self.assertEqual([r['status'] for r in codes], [200])
        self.assertEqual(host.quit(), 0)

        host = self.start_oauth(o.oauth2_account(self.x, self.HANDLE, self.port), 'second')
        host.wait_for({'event': 'signed-on', 'account': self.HANDLE}, WAIT)
        renewals = [r for r in self.by_name(o.TOKEN_PATH)
                    if (r.get('body') or {}).get('grant_type') == 'refresh_token']
        self.assertEqual([r['status'] for r in renewals], [200])

        self.assertTrue(host.send('account-action', account=self.HANDLE, label='Sign out')['ok'])
        err = self.connection_error(host)
        self.assertIn('Signed out of X', err['description'])
        self.assertIn('is revoked and forgotten', err['description'])  # X got both revokes
        self.assertEqual([r['status'] for r in self.by_name('/2/oauth2/revoke')], [200, 200])
        self.assertEqual(host.quit(), 0)
        # nothing reached X but through the proxy, whose log has the tunnels
        self.assertEqual({r['host'] for r in self.x.requests()},
                         {'%s:%d' % (px.API_NAME, self.api_port)})
        self.assertGreaterEqual(self.tp.connects().count('%s:%d' % (px.API_NAME, self.api_port)),
                                3)
        self.assert_secret_kept(host, px.HTTP_PASSWORD)

    def test_oauth1_pin(self):
        host = self.start_oauth(o.oauth1_account(self.x, self.HANDLE), 'oauth1')
        prompt = o.wait_prompt(host, self.HANDLE)
        pin = o.approve_pin(self.x, prompt['secondary'], self.HANDLE)
        host.send('request-answer', id=prompt['id'], text=pin)
        host.wait_for({'event': 'signed-on', 'account': self.HANDLE}, WAIT)
        self.assertEqual([r['status'] for r in self.by_name('/oauth/request_token')], [200])
        self.assertEqual([r['status'] for r in self.by_name('/oauth/access_token')], [200])
        me = self.x.requests_to('/2/users/me')[-1]
        self.assertEqual((me['status'], me['host']), (200, '%s:%d' % (px.API_NAME,
                                                                     self.api_port)))
        self.assertFalse(me.get('auth_error'))  # signed for the name, not the proxy
        self.assertEqual(host.quit(), 0)


if __name__ == '__main__':
    h.main()
