#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 15, proxies, in the headless libpurple host: every kind of proxy libpurple offers and the
account option proxy, against real tinyproxy and danted on 127.0.0.1; and what the user is told
when the proxy refuses the password (a lasting error, said once, naming the proxy, never the
password), wants one, or is not there (the proxy's fault, not X's; the plugin does not retry)."""

import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
import proxies as px  # noqa: E402
from proxycase import ProxyHostCase  # noqa: E402

ME = '/2/users/me'


class ProxyKindsHost(ProxyHostCase):

    def signed_in_through(self, host, dante=None, tinyproxy=None):
        """users/me reached X by the proxied name, through this very proxy."""
        me = h.wait_until(lambda: self.x.requests_to(ME), 5, what='users/me at X')[-1:]
        if tinyproxy is not None:
            self.assertIn('%s:%d' % (px.API_NAME, self.api_port), tinyproxy.connects())
        if dante is not None:
            self.assertIn(me[0]['peer_port'], dante.relayed_from_ports(self.api_port))
        self.assertEqual(host.quit(), 0)

    def assert_said_once(self, host, since=0, seconds=3):
        """One error, and no second try by the plugin (no retry every second)."""
        time.sleep(seconds)
        errors = host.find({'event': 'connection-error', 'account': self.HANDLE}, since)
        self.assertEqual(len(errors), 1, errors)
        tries = host.debug_text().count('GET /2/users/me')
        self.assertEqual(tries, 1, 'the plugin asked again')

    # -- the kinds ------------------------------------------------------------------------------

    def test_http_without_password_and_tor(self):
        tp = self.proxy(px.Tinyproxy)
        host = self.start(self.account(purple_proxy=px.purple_proxy('http', tp)), name='http')
        self.signed_in_through(host, tinyproxy=tp)
        dante = self.proxy(px.Dante)  # libpurple's Tor/Privacy kind: SOCKS5, names resolved there
        host = self.start(self.account(purple_proxy=px.purple_proxy('tor', dante)), name='tor')
        self.signed_in_through(host, dante=dante)

    def test_socks4(self):
        dante = self.proxy(px.Dante)
        # SOCKS4 resolves names here (danted knows no SOCKS4a): X by address, still via danted
        host = self.start(self.account(api_base=self.direct_base,
                                       purple_proxy=px.purple_proxy('socks4', dante)))
        self.signed_in_through(host, dante=dante)
        self.assertIn('SOCKS4 proxy %s' % dante.address(), host.debug_text())

    def test_environment(self):
        tp = self.proxy(px.Tinyproxy)
        envvar = {'type': 'envvar'}
        # https_proxy, as curl reads it for https
        host = self.start(self.account(), name='https_proxy', global_proxy=envvar,
                          env={'https_proxy': 'http://%s' % tp.address()})
        self.signed_in_through(host, tinyproxy=tp)
        self.assertIn('(from https_proxy)', host.debug_text())
        # only http_proxy, the one libpurple itself reads: used for X's https too
        dante = self.proxy(px.Dante)
        host = self.start(self.account(), name='http_proxy', global_proxy=envvar,
                          env={'http_proxy': 'socks5://%s' % dante.address()})
        self.signed_in_through(host, dante=dante)
        # no_proxy: X's address goes straight, though https_proxy names a proxy that is not there
        dead = h.free_port()
        host = self.start(self.account(api_base=self.direct_base), name='no_proxy',
                          global_proxy=envvar,
                          env={'https_proxy': 'http://127.0.0.1:%d' % dead,
                               'no_proxy': 'localhost,127.0.0.1'})
        me = self.x.requests_to(ME)[-1]
        self.assertEqual(me['host'], '127.0.0.1:%d' % self.api_port)
        self.assertEqual(host.quit(), 0)

    def test_none_per_account_over_a_global_proxy(self):
        """What BitlBee's no_proxy does (later BitlBee versions): the account's own setting
        'none' wins over a global proxy, here one that is not there."""
        dead = {'type': 'http', 'host': '127.0.0.1', 'port': h.free_port()}
        host = self.start(self.account(api_base=self.direct_base, purple_proxy={'type': 'none'}),
                          global_proxy=dead)
        self.assertEqual(host.quit(), 0)
        self.assertIn("no proxy (from the account's proxy setting)", host.debug_text())

    def test_account_option_overrides_libpurple(self):
        dante = self.proxy(px.Dante, user=px.SOCKS_USER, password=px.SOCKS_PASSWORD)
        dead = {'type': 'http', 'host': '127.0.0.1', 'port': h.free_port()}
        option = 'socks5://%s:%s@%s' % (px.SOCKS_USER, urllib.parse.quote(px.SOCKS_PASSWORD,
                                                                           safe=''),
                                        dante.address())
        host = self.start(self.account(purple_proxy=dead, proxy=option), name='option')
        self.assertIn('SOCKS5 proxy %s, with a user name (from the account option proxy)'
                      % dante.address(), host.debug_text())
        self.signed_in_through(host, dante=dante)
        self.assert_secret_kept(host, px.SOCKS_PASSWORD, urllib.parse.quote(px.SOCKS_PASSWORD,
                                                                            safe=''))
        # none: straight to X, whatever libpurple says
        host = self.start(self.account(api_base=self.direct_base, purple_proxy=dead, proxy='none'),
                          name='none')
        self.assertEqual(host.quit(), 0)

    def test_bad_option_names_proxy_not_the_password(self):
        host = self.start(self.account(proxy='ftp://pat:hunter2@127.0.0.1:21'),
                          signed_on=False)
        err = self.connection_error(host)
        self.assertEqual(err['reason_name'], 'INVALID_SETTINGS')
        self.assertTrue(err['description'].startswith('Account option proxy: '), err)
        self.assertNotIn('hunter2', err['description'])
        self.assertEqual(self.x.requests(), [])
        self.assertEqual(host.quit(), 0)
        self.assert_secret_kept(host, 'hunter2')

    # -- what goes wrong ------------------------------------------------------------------------

    def test_wrong_http_password_is_said_once(self):
        tp = self.proxy(px.Tinyproxy, user=px.HTTP_USER, password=px.HTTP_PASSWORD)
        host = self.start(self.account(purple_proxy=px.purple_proxy('http', tp, px.HTTP_USER,
                                                             'wrong-Pa55')),
                          signed_on=False)
        err = self.connection_error(host)
        self.assertEqual((err['reason_name'], err['fatal']), ('INVALID_SETTINGS', True), err)
        self.assertIn('the proxy %s refused the proxy user name or password' % tp.address(),
                      err['description'])
        self.assertIn('Fix the proxy user name or password', err['description'])
        self.assert_said_once(host)
        self.assertEqual(len(tp.connects()), 1)  # asked the proxy once
        self.assertEqual(self.x.requests(), [])  # and X never
        self.assertEqual(host.quit(), 0)
        self.assert_secret_kept(host, 'wrong-Pa55')

    def test_socks5_password_wrong_or_missing(self):
        dante = self.proxy(px.Dante, user=px.SOCKS_USER, password=px.SOCKS_PASSWORD)
        cases = (('wrong', px.purple_proxy('socks5', dante, px.SOCKS_USER, 'wrong-Pa55'),
                  'refused the proxy user name or password'),
                 ('missing', px.purple_proxy('socks5', dante),
                  'asks for a user name and password'))
        for name, proxy, says in cases:
            host = self.start(self.account(), name=name, global_proxy=proxy, signed_on=False)
            err = self.connection_error(host)
            self.assertEqual((err['reason_name'], err['fatal']), ('INVALID_SETTINGS', True), err)
            self.assertIn('the proxy %s %s' % (dante.address(), says), err['description'])
            self.assert_said_once(host)
            self.assertEqual(host.quit(), 0)
            self.assert_secret_kept(host, 'wrong-Pa55')
        self.assertIn('system password authentication failed', dante.log())
        self.assertEqual(self.x.requests(), [])

    def test_proxy_not_there(self):
        port = h.free_port()
        host = self.start(self.account(purple_proxy={'type': 'http', 'host': '127.0.0.1', 'port': port}),
                          signed_on=False)
        err = self.connection_error(host)
        self.assertEqual((err['reason_name'], err['fatal']), ('NETWORK_ERROR', False), err)
        self.assertIn('the proxy 127.0.0.1:%d cannot be reached' % port, err['description'])
        self.assertIn('This is the proxy, not X', err['description'])
        self.assertNotIn('could not reach X', err['description'])
        self.assert_said_once(host)
        self.assertEqual(host.quit(), 0)


if __name__ == '__main__':
    h.main()
