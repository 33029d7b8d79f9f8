# SPDX-License-Identifier: GPL-2.0-or-later
"""Pat's two accounts, as the two-identity e2e tests set them up: pat_home (personal) and
pat_at_acme (work) on the simulated X API, both polled every second.

TwoAccounts is a mixin for tbharness.E2ETestCase:

    class IdentitiesHost(TwoAccounts, h.E2ETestCase):
        def setUp(self):
            super().setUp()
            self.add_pat(others=('alice', 'bob'))   # self.x, self.ids; the DM limit raised
            host = self.start_host()                # or self.start_bitlbee()

Either way the call returns once both accounts are signed on and both pollers of each have asked
X once, so whatever a test injects afterwards is new to them."""

import re

import tbharness as h

HOME, WORK = 'pat_home', 'pat_at_acme'
NAMES = {HOME: 'Pat', WORK: 'Pat at Acme'}
TOKENS = {HOME: 'tok-pat-home', WORK: 'tok-pat-acme'}
ROLES = {HOME: 'personal', WORK: 'work'}
TAGS = {HOME: '[personal @pat_home]', WORK: '[work @pat_at_acme]'}
WAIT = 10  # seconds for anything a 1-second poll should bring


class TwoAccounts:
    """Setup shared by the tests of Pat's two accounts (see the module's docstring)."""

    # How often the wait for a first poll looks at the simulator's request log.
    poll_check_interval = 0.05

    def add_pat(self, others=()):
        """A simulator (self.x) with Pat's two users and their tokens, and others as
        "<Name> Example" users; self.ids maps every handle to its X id. X allows 15 DM-event
        reads per 15 minutes; these tests poll every second on purpose, so the limit is
        raised."""
        self.x = self.sim()
        h.raise_dm_limit(self.x)
        self.ids = {}
        for handle in (HOME, WORK):
            self.ids[handle] = self.x.add_user(handle, NAMES[handle], token=TOKENS[handle])['id']
        for u in others:
            self.ids[u] = self.x.add_user(u, u.capitalize() + ' Example')['id']

    def posted(self, text=None, **match):
        """What X accepted (GET /posted), by the text as typed and other fields."""
        return [p for p in self.x.posted()
                if (text is None or p.get('raw_text', p.get('text')) == text)
                and all(p.get(k) == v for k, v in match.items())]

    def wait_posted(self, text, **match):
        return h.wait_until(lambda: self.posted(text, **match), WAIT, interval=0.5,
                            what='X to accept %r' % text)[0]

    def im(self, account, to, text):
        """Types text in self.host's IM with to on account; returns the event index before."""
        since = self.host.mark()
        self.host.send('send-im', account=account, to=to, text=text)
        return since

    def chat(self, account, conv, text):
        since = self.host.mark()
        self.host.send('chat-send', account=account, conv=conv, text=text)
        return since

    def first_polls(self, handle, since=0):
        """Both pollers of handle's account have asked X (after request number since)."""
        h.wait_first_polls(self.x, self.ids[handle], TOKENS[handle], WAIT, since=since,
                           interval=self.poll_check_interval, who=handle)

    def start_host(self, user_dir=None, name='host', **settings):
        """tb-host with both accounts (settings added to each), both signed on and polled."""
        accounts = [h.account(handle, TOKENS[handle], self.x.api_base, role=ROLES[handle],
                              dm_interval=1, mention_interval=1, **settings)
                    for handle in (HOME, WORK)]
        host = h.Host(accounts, user_dir=user_dir, logdir=self.logdir, name=name).start()
        for handle in (HOME, WORK):
            host.wait_for({'event': 'signed-on', 'account': handle}, 15)
        for handle in (HOME, WORK):
            self.first_polls(handle)
        return host

    def start_bitlbee(self, settings=()):
        """BitlBee (self.bb) with an IRC user "pat" (self.irc) who adds both accounts with
        `account add twinbird ...` (and `account set` each (key, value) of settings) and turns
        them on; self.acct maps each handle to BitlBee's account tag, also the host part of its
        nicks."""
        self.bb = self.bitlbee()
        self.irc = self.bb.connect('pat').register()
        self.acct = {}
        for handle in (HOME, WORK):
            self.acct[handle] = self._add_to_bitlbee(handle, settings)
        for handle in (HOME, WORK):
            self.irc.root('account %s on' % self.acct[handle])
            self.irc.expect_root(r'%s - Logging in: Logged in' % re.escape(self.acct[handle]),
                                 20)
        for handle in (HOME, WORK):
            self.irc.expect(r'^:%s!%s@%s JOIN :?&bitlbee' % (handle, handle, self.acct[handle]),
                            10, since=0)
            self.first_polls(handle)

    def _add_to_bitlbee(self, handle, settings=()):
        irc = self.irc
        irc.root('account add twinbird %s %s' % (handle, TOKENS[handle]))
        tag = irc.expect_root(r'Account successfully added with tag (\S+)').group(1)
        for key, value in (('api_base', self.x.api_base), ('auth', 'bearer'),
                           ('role', ROLES[handle]), ('dm_interval', '1'),
                           ('mention_interval', '1'), ('guard', 'off'),
                           ('confirm_public', 'off')) + tuple(settings):
            irc.root('account %s set %s %s' % (tag, key, value))
            irc.expect_root(r"%s = `%s'" % (key, re.escape(value)))
        return tag
