#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 15, proxies, in the headless libpurple host: a whole run through a real proxy with a
password, once through libpurple's per-account HTTP proxy (tinyproxy with Basic auth) and once
through the global SOCKS5 one (danted with a user name and password): sign-in, DMs both ways, a
post and an avatar all reach X through the proxy, whose log shows them; with the proxy stopped
the account says it is the proxy, not X. The passwords appear nowhere."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
import proxies as px  # noqa: E402
from proxycase import ProxyHostCase  # noqa: E402


class ProxyHost(ProxyHostCase):

    def test_http_proxy_with_password_per_account(self):
        tp = self.proxy(px.Tinyproxy, user=px.HTTP_USER, password=px.HTTP_PASSWORD)
        host = self.start(self.account(purple_proxy=px.purple_proxy('http', tp, px.HTTP_USER,
                                                             px.HTTP_PASSWORD)))
        requests = self.use_everything(host)
        self.assert_by_name(requests)
        # the proxy's log: tunnels to the API's name and to the avatars' name
        connects = tp.connects()
        for name in px.NAMES:
            self.assertIn('%s:%d' % (name, self.api_port), connects)
        self.assertIn("HTTP proxy %s, with a user name (from the account's proxy setting)"
                      % tp.address(), host.debug_text())
        self.stop_and_expect_proxy_error(host, tp)
        self.assertEqual(host.quit(), 0)
        self.assert_secret_kept(host, px.HTTP_PASSWORD)

    def test_socks5_with_password_global(self):
        dante = self.proxy(px.Dante, user=px.SOCKS_USER, password=px.SOCKS_PASSWORD)
        host = self.start(self.account(), global_proxy=px.purple_proxy(
            'socks5', dante, px.SOCKS_USER, px.SOCKS_PASSWORD))
        requests = self.use_everything(host)
        self.assert_by_name(requests)
        # each request X saw came from a connection danted made (its log names the ports)
        relayed = dante.relayed_from_ports(self.api_port)
        peers = {r['peer_port'] for r in requests}
        self.assertTrue(peers and peers <= relayed, (peers, relayed))
        self.assertIn('username%%%s@' % px.SOCKS_USER, dante.log())
        self.assertIn('SOCKS5 proxy %s, with a user name (from the global proxy setting)'
                      % dante.address(), host.debug_text())
        self.stop_and_expect_proxy_error(host, dante)
        self.assertEqual(host.quit(), 0)
        self.assert_secret_kept(host, px.SOCKS_PASSWORD)


if __name__ == '__main__':
    h.main()
