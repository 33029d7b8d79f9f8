#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 15, proxies, in BitlBee over a real IRC socket, with X reachable only through real
proxies on 127.0.0.1 (tests/e2e/proxies.py): BitlBee's own `Proxy = http://user:pass@host:port`
line carries an account's sign-in, DMs both ways and a post through tinyproxy, while the other
account opts out; the account option proxy sends only the work account through danted (SOCKS5
with a password); a wrong proxy password is a login error said once, naming the proxy; and with
the proxy stopped the account says it is the proxy. (BitlBee shows no avatars, so none is
fetched there.)"""

import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
import proxies as px  # noqa: E402

HOME, WORK = 'pat_home', 'pat_at_acme'
TOKENS = {HOME: 'tok-pat-home', WORK: 'tok-pat-acme'}
WAIT = 20


class ProxyBitlBee(h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.x = h.Sim(tls=True, logdir=self.logdir, extra_args=px.sim_args()).start()
        h.raise_dm_limit(self.x)
        self.ids = {u: self.x.add_user(u, u, token=TOKENS[u])['id'] for u in (HOME, WORK)}
        self.x.add_user('alice', 'Alice')
        self.api_port = int(self.x.api_base.rsplit(':', 1)[1])
        self.by_name = '%s:%d' % (px.API_NAME, self.api_port)
        self.direct_base = 'https://127.0.0.1:%d' % self.api_port

    def proxy(self, cls, **kw):
        p = cls(self.logdir, **kw).start()
        self.addCleanup(p.stop)
        return p

    def start_bitlbee(self, settings=''):
        self.bb = h.BitlBee(logdir=self.logdir, settings=settings).start()
        self.irc = self.bb.connect('pat').register()

    def add(self, handle, api_base, **extra):
        irc = self.irc
        irc.root('account add twinbird %s %s' % (handle, TOKENS[handle]))
        tag = irc.expect_root(r'Account successfully added with tag (\S+)').group(1)
        settings = [('api_base', api_base), ('auth', 'bearer'), ('ca_file', self.x.ca_file),
                    ('dm_interval', '1'), ('mention_interval', '1'), ('mutuals_cap', '0'),
                    ('role', 'work' if handle == WORK else 'personal')] + list(extra.items())
        for key, value in settings:
            irc.root('account %s set %s %s' % (tag, key, value))
            irc.expect_root(r"%s = `" % key)
        return tag

    def on(self, tag):
        self.irc.root('account %s on' % tag)
        self.irc.expect_root(r'%s - Logging in: Logged in' % re.escape(tag), WAIT)

    def hosts_of(self, handle):
        return {r.get('host') for r in self.x.requests() if r.get('token') == TOKENS[handle]}

    def dms_and_a_post(self, handle, tag):
        irc = self.irc
        h.wait_first_polls(self.x, self.ids[handle], TOKENS[handle], WAIT)
        self.x.dm('alice', handle, 'hello %s through the proxy' % handle)
        nick = irc.expect(r'^:(\S+)!alice@%s PRIVMSG pat :hello %s through the proxy$'
                          % (re.escape(tag), handle), WAIT).group(1)
        irc.send('PRIVMSG %s :answer from %s' % (nick, handle))
        irc.send('PRIVMSG %s :a post from %s' % (handle, handle))
        for kind, text in (('dm', 'answer from %s' % handle), ('tweet', 'a post from %s' % handle)):
            h.wait_until(lambda: [p for p in self.x.posted() if p.get('kind') == kind and
                                  p.get('raw_text', p.get('text')) == text and
                                  p.get('token') == TOKENS[handle]], WAIT,
                         what='X to accept %r' % text)
            irc.expect(r'^:pat!\S+ PRIVMSG \S+ :\[\w+ @%s\] %s' % (handle, re.escape(text)),
                       WAIT, since=0)

    def assert_no_retry(self, tag, seconds=7):
        """BitlBee retries network errors after 5 s; after a fatal one nothing may follow."""
        since = self.irc.mark()
        time.sleep(seconds)
        self.assertEqual(self.irc.find(r'%s - Logging in' % re.escape(tag), since), [])

    def test_proxy_line_and_an_account_that_opts_out(self):
        tp = self.proxy(px.Tinyproxy, user=px.HTTP_USER, password=px.HTTP_PASSWORD)
        self.start_bitlbee('Proxy = http://%s:%s@%s\n' % (px.HTTP_USER, px.HTTP_PASSWORD,
                                                           tp.address()))
        work = self.add(WORK, self.x.api_base)
        home = self.add(HOME, self.direct_base)
        # BitlBee 3.6 (Debian 12) has no no_proxy account setting (later ones do, and it sets
        # libpurple's per-account "no proxy", which tb-proxy-kinds-host covers); the plugin's
        # own option does the same here
        self.irc.root('account %s set no_proxy true' % home)
        m = self.irc.expect_root(r"no_proxy = `true'|Setting `no_proxy' does not exist")
        if 'does not exist' in m.group(0):
            self.irc.root('account %s set proxy none' % home)
            self.irc.expect_root(r"proxy = `none'")
        self.on(work)
        self.on(home)
        self.dms_and_a_post(WORK, work)
        self.dms_and_a_post(HOME, home)
        self.assertEqual(self.hosts_of(WORK), {self.by_name})  # only through tinyproxy
        self.assertEqual(self.hosts_of(HOME), {'127.0.0.1:%d' % self.api_port})  # straight
        self.assertIn(self.by_name, tp.connects())

        # the proxy stops: the work account says it is the proxy; the other one carries on
        since = self.irc.mark()
        tp.stop()
        m = self.irc.expect_root(r'%s - (?:Error|Login error): (.*the proxy %s cannot be '
                                 r'reached.*)' % (re.escape(work), re.escape(tp.address())),
                                 WAIT, since=since)
        self.assertIn('This is the proxy, not X', m.group(1))
        self.assertEqual(self.irc.find(r'%s - (Error|Login error)' % re.escape(home), since), [])
        self.assertNotIn(px.HTTP_PASSWORD, h.tail(self.bb.log_path, 100000))

    def test_only_the_work_account_through_socks5(self):
        dante = self.proxy(px.Dante, user=px.SOCKS_USER, password=px.SOCKS_PASSWORD)
        self.start_bitlbee()
        option = 'socks5://%s:%s@%s' % (px.SOCKS_USER,
                                        urllib.parse.quote(px.SOCKS_PASSWORD, safe=''),
                                        dante.address())
        work = self.add(WORK, self.x.api_base, proxy=option)
        home = self.add(HOME, self.direct_base)
        self.on(work)
        self.on(home)
        self.dms_and_a_post(WORK, work)
        self.assertEqual(self.hosts_of(WORK), {self.by_name})
        self.assertEqual(self.hosts_of(HOME), {'127.0.0.1:%d' % self.api_port})
        peers = {r['peer_port'] for r in self.x.requests() if r.get('token') == TOKENS[WORK]}
        self.assertTrue(peers <= dante.relayed_from_ports(self.api_port))

    def test_wrong_proxy_password_is_said_once(self):
        dante = self.proxy(px.Dante, user=px.SOCKS_USER, password=px.SOCKS_PASSWORD)
        self.start_bitlbee()
        work = self.add(WORK, self.x.api_base,
                        proxy='socks5://%s:wrong-Pa55@%s' % (px.SOCKS_USER, dante.address()))
        self.irc.root('account %s on' % work)
        m = self.irc.expect_root(r'%s - Login error: (.*)' % re.escape(work), WAIT)
        self.assertIn('the proxy %s refused the proxy user name or password' % dante.address(),
                      m.group(1))
        self.assertIn('Fix the proxy user name or password', m.group(1))
        self.assertNotIn('wrong-Pa55', m.group(1))
        self.assert_no_retry(work)
        self.assertEqual(len(self.irc.find(r'%s - Login error' % re.escape(work))), 1)
        self.assertEqual(self.x.requests(), [])


if __name__ == '__main__':
    h.main()
