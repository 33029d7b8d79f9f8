#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tb-host and tbharness on their own, with the fixture prpl (tests/host/tb-fixture-prpl.c):
every event and command of the host protocol, so a failure in a Twinbird e2e test can be trusted
to be Twinbird's."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402

FIX = 'prpl-tbfixture'


def fx(username, password='tok', enabled=True, **settings):
    return {'protocol': FIX, 'username': username, 'password': password, 'enabled': enabled,
            'settings': dict({'role': 'personal'}, **settings)}


class HostSelfTest(h.E2ETestCase):

    def start(self, accounts, **kw):
        return self.host(accounts, plugin_dir=h.FIXTURE_DIR,
                         args=['--signal-plugin', FIX, '--signal', 'tbfixture-echo',
                               '--signal', 'not-registered', '--reconnect-ms', '200'], **kw)

    def test_signin_events_and_settings(self):
        host = self.start([fx('alice', role='work', interval=3, flag=True),
                           fx('bob', enabled=False)])
        prpl = host.wait_for({'event': 'prpl', 'id': FIX})
        self.assertEqual({o['key']: o['type'] for o in prpl['options']},
                         {'role': 'string', 'interval': 'int'})
        host.wait_for({'event': 'signed-on', 'account': 'alice'})
        host.wait_for({'event': 'blist-update', 'buddy': 'alice', 'online': True,
                       'alias': 'alice (work)', 'group': 'Fixture alice'})
        self.assertEqual(host.find({'event': 'signed-on', 'account': 'bob'}), [])
        # the signal that is registered is connected with its value list; the other is skipped
        sig = host.wait_for({'event': 'signal-connected', 'signal': 'tbfixture-echo'})
        self.assertEqual(sig['num_values'], 3)
        self.assertEqual(host.find({'event': 'signal-connected', 'signal': 'not-registered'}), [])
        accounts = {a['account']: a for a in host.query('list-accounts', 'accounts')['list']}
        self.assertTrue(accounts['alice']['connected'])
        self.assertFalse(accounts['bob']['enabled'])
        since = host.mark()
        host.send('enable', account='bob')
        host.wait_for({'event': 'signed-on', 'account': 'bob'}, since=since)
        host.send('set-setting', account='bob', key='role', value='hobby')
        host.send('disable', account='bob')
        host.wait_for({'event': 'signed-off', 'account': 'bob'}, since=since)
        self.assertFalse(host.send('enable', account='nobody', check=False)['ok'])
        self.assertEqual(host.quit(), 0)
        self.assertIn('tbfixture: login alice', host.debug_text())

        # same user dir again: accounts are reused from accounts.xml, settings updated
        host2 = h.Host([fx('alice', role='home')], user_dir=host.user_dir, plugin_dir=h.FIXTURE_DIR,
                       logdir=self.logdir, name='host2').start()
        host2.wait_for({'event': 'blist-update', 'buddy': 'alice', 'online': True,
                        'alias': 'alice (home)'})
        names = [a['account'] for a in host2.query('list-accounts', 'accounts')['list']]
        self.assertEqual(sorted(names), ['alice', 'bob'])
        self.assertEqual(host2.quit(), 0)

    def test_im_chat_requests_signals(self):
        host = self.start([fx('alice')])
        host.wait_for({'event': 'signed-on', 'account': 'alice'})
        since = host.mark()
        host.send('send-im', account='alice', to='carol', text='hi <b> & you')
        sent = host.wait_for({'event': 'write-conv', 'conv': 'carol'}, since=since)
        self.assertIn('send', sent['flags'])
        self.assertEqual(sent['text'], 'hi &lt;b&gt; &amp; you')  # typed text arrives escaped
        echo = host.wait_for({'event': 'received-im', 'who': 'carol'}, since=since)
        self.assertEqual(echo['plain'], 'echo: hi <b> & you')
        w = host.wait_for({'event': 'write-conv', 'conv': 'carol',
                           'flags': lambda f: 'recv' in f}, since=since)
        self.assertEqual(w['type'], 'im')
        sig = host.wait_for({'event': 'tbfixture-echo'}, since=since)
        self.assertEqual(sig['args'], ['alice', 'carol', 'hi &lt;b&gt; &amp; you'])
        self.assertEqual(sig['account'], 'alice')
        hist = host.query('history', 'history', account='alice', conv='carol')['list']
        self.assertEqual([m['flags'][0] for m in hist], ['send', 'recv'])

        since = host.mark()
        host.send('send-im', account='alice', to='ask', text='question')
        req = host.wait_for({'event': 'request-input'}, since=since)
        self.assertEqual((req['title'], req['primary'], req['secondary'], req['default']),
                         ('Fixture question', 'Say something', 'secondary text', 'dflt'))
        host.send('request-answer', id=req['id'], text='the answer')
        host.wait_for({'event': 'received-im', 'who': 'ask', 'text': 'the answer'}, since=since)
        host.wait_for({'event': 'request-closed', 'id': req['id']}, since=since)
        self.assertFalse(host.send('request-answer', id=req['id'], text='x', check=False)['ok'])

        host.send('send-im', account='alice', to='choose', text='?')
        act = host.wait_for({'event': 'request-action'}, since=since)
        self.assertEqual(act['actions'], ['Yes', 'No'])
        host.send('request-action-answer', id=act['id'], index=1)
        host.wait_for({'event': 'received-im', 'who': 'choose', 'text': 'chose 1'}, since=since)

        host.send('send-im', account='alice', to='notify', text='details')
        n = host.wait_for({'event': 'notify'}, since=since)
        self.assertEqual((n['title'], n['primary'], n['secondary'], n['type']),
                         ('Fixture title', 'Fixture primary', 'details', 'error'))

        host.send('join-chat', account='alice', name='room1')
        j = host.wait_for({'event': 'chat-joined', 'conv': 'room1'}, since=since)
        self.assertEqual(j['type'], 'chat')
        host.send('chat-send', account='alice', conv='room1', text='hello room')
        host.wait_for({'event': 'received-chat', 'who': 'roomie', 'plain': 'echo: hello room'},
                      since=since)
        self.assertFalse(host.send('chat-send', account='alice', conv='nope', text='x',
                                   check=False)['ok'])
        convs = {(c['conv'], c['type']) for c in host.query('list-convs', 'convs')['list']}
        self.assertIn(('room1', 'chat'), convs)
        self.assertIn(('carol', 'im'), convs)
        buddies = host.buddies('alice')
        self.assertEqual([(b['buddy'], b['online']) for b in buddies], [('alice', True)])
        bad = host.send({'cmd': 'no-such-command'}, check=False)
        self.assertFalse(bad['ok'])
        self.assertIn('unknown command', bad['error'])
        self.assertEqual(host.quit(), 0)
        host.wait_for({'event': 'core-quit'})

    def test_errors_and_reconnect(self):
        host = self.start([fx('alice', password='bad'), fx('bob', password='net')])
        err = host.wait_for({'event': 'connection-error', 'account': 'alice'})
        self.assertEqual(err['reason_name'], 'AUTHENTICATION_FAILED')
        self.assertTrue(err['fatal'])
        berr = host.wait_for({'event': 'connection-error', 'account': 'bob'})
        self.assertEqual((berr['reason_name'], berr['fatal']), ('NETWORK_ERROR', False))
        host.wait_for({'event': 'reconnect-scheduled', 'account': 'bob', 'delay_ms': 200})
        host.wait_for({'event': 'signed-on', 'account': 'bob'})
        # a fatal error is never retried by the host
        self.assertEqual(host.find({'event': 'reconnect-scheduled', 'account': 'alice'}), [])

    def test_eof_quits(self):
        host = self.start([fx('alice')])
        host.wait_for({'event': 'signed-on', 'account': 'alice'})
        host.proc.stdin.close()
        self.assertEqual(host.proc.wait(10), 0)
        host.wait_for({'event': 'core-quit'})


if __name__ == '__main__':
    h.main()
