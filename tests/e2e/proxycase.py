# SPDX-License-Identifier: GPL-2.0-or-later
"""The setting of the proxy tests in tb-host (issue 15): @pat_home and alice on a simulator served
over TLS (a test CA, the ca_file option) under names only the proxies can resolve, and what a
test asks of a run through a proxy: sign-in, DMs both ways, a post, an avatar, and the proxy's
error once it is stopped."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
import proxies as px  # noqa: E402
from tbharness import contains, has  # noqa: E402

WAIT = 15


class ProxyHostCase(h.E2ETestCase):

    HANDLE, TOKEN = 'pat_home', 'tok-pat-home'

    def setUp(self):
        super().setUp()
        # the point of the setting: the plugin cannot find X but through a proxy
        for name in px.NAMES:
            self.assertFalse(px.resolvable_here(name), '%s resolves here' % name)
        self.x = h.Sim(tls=True, logdir=self.logdir, extra_args=px.sim_args()).start()
        h.raise_dm_limit(self.x)
        self.me = self.x.add_user(self.HANDLE, 'Pat', token=self.TOKEN)['id']
        self.alice = self.x.add_user('alice', 'Alice')['id']
        self.api_port = int(self.x.api_base.rsplit(':', 1)[1])
        # the same simulator by address, for the runs that go straight to it
        self.direct_base = 'https://127.0.0.1:%d' % self.api_port

    def proxy(self, cls, **kw):
        p = cls(self.logdir, **kw).start()
        self.addCleanup(p.stop)
        return p

    def account(self, api_base=None, purple_proxy=None, **settings):
        """@pat_home's entry; purple_proxy is libpurple's own proxy for the account, settings
        the plugin's options (proxy among them)."""
        a = h.account(self.HANDLE, self.TOKEN, api_base or self.x.api_base, auth='bearer',
                      dm_interval=1, mention_interval=1, mutuals_cap=0, ca_file=self.x.ca_file,
                      **settings)
        if purple_proxy is not None:
            a['proxy'] = purple_proxy
        return a

    def start(self, account, name='host', global_proxy=None, env=None, signed_on=True):
        host = self.host([account], name=name, proxy=global_proxy, env=env,
                         args=['--no-reconnect'])
        if signed_on:
            host.wait_for({'event': 'signed-on', 'account': self.HANDLE}, WAIT)
        return host

    def connection_error(self, host, since=0):
        return host.wait_for({'event': 'connection-error', 'account': self.HANDLE}, WAIT,
                             since=since)

    # -- a whole run through the proxy ----------------------------------------------------------

    def use_everything(self, host):
        """Sign-in is done; now DMs both ways, a post, and alice's avatar. Returns X's record of
        the requests."""
        h.wait_first_polls(self.x, self.me, self.TOKEN, WAIT)
        self.x.dm('alice', self.HANDLE, 'hello through the proxy')
        host.wait_for({'event': 'received-im', 'account': self.HANDLE, 'who': 'alice',
                       'plain': contains('hello through the proxy')}, WAIT)
        host.send('send-im', account=self.HANDLE, to='alice', text='answer through the proxy')
        host.send('send-im', account=self.HANDLE, to=self.HANDLE, text='a post through the proxy')
        for kind, text in (('dm', 'answer through the proxy'), ('tweet', 'a post through the proxy')):
            h.wait_until(lambda: [p for p in self.x.posted() if p.get('kind') == kind and
                                  p.get('raw_text', p.get('text')) == text], WAIT,
                         what='X to accept the %s %r' % (kind, text))
            host.wait_for({'event': 'write-conv', 'flags': has('send'),
                           'plain': contains('[personal @pat_home]', text)}, WAIT)
        avatar = '/profile_images/%s/alice_normal.png' % self.alice
        h.wait_until(lambda: self.x.requests_to(avatar), WAIT, what="alice's avatar fetched")
        icons = os.path.join(host.user_dir, 'icons')  # libpurple's cache: the picture arrived
        h.wait_until(lambda: os.path.isdir(icons) and os.listdir(icons), WAIT,
                     what='the avatar in libpurple\'s icon cache')
        return self.x.requests()

    def assert_by_name(self, requests):
        """Every request X saw was addressed by a name the plugin cannot resolve: it came
        through the proxy. The avatar came under the media name."""
        hosts = {r.get('host') for r in requests}
        want = {'%s:%d' % (n, self.api_port) for n in px.NAMES}
        self.assertEqual(hosts, want, 'requests not addressed to the proxied names')
        media = [r for r in requests if r.get('host', '').startswith(px.MEDIA_NAME)]
        self.assertTrue(media and all(r['path'].startswith('/profile_images/') for r in media),
                        media)
        kinds = {(r['method'], r['path'].split('?')[0]) for r in requests}
        for need in (('GET', '/2/users/me'), ('GET', '/2/dm_events'), ('POST', '/2/tweets'),
                     ('POST', '/2/dm_conversations/with/%s/messages' % self.alice)):
            self.assertIn(need, kinds)

    def assert_secret_kept(self, host, *secrets):
        """No password in the debug log, the events or stderr of the host."""
        texts = [host.debug_text()]
        for path in (host.events_path, host.stderr_path):
            with open(path, encoding='utf-8', errors='replace') as f:
                texts.append(f.read())
        for secret in secrets:
            for text in texts:
                self.assertNotIn(secret, text)

    def stop_and_expect_proxy_error(self, host, proxy):
        """The proxy stops: the account says it is the proxy, and X hears nothing more."""
        since = host.mark()
        before = len(self.x.requests())
        proxy.stop()
        err = self.connection_error(host, since)
        self.assertEqual(err['reason_name'], 'NETWORK_ERROR', err)
        self.assertIn('the proxy %s cannot be reached' % proxy.address(), err['description'])
        self.assertIn('This is the proxy, not X', err['description'])
        self.assertEqual(len(self.x.requests()), before)
        return err
