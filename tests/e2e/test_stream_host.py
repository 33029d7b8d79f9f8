#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Activity stream (option stream=on with the app's keys): DMs and mentions of both of Pat's
accounts come through ONE shared stream within 2 s while polling is slow, nothing is shown twice
when polling also sees it, a drop mid-event is recovered by backfill, and a stream refused falls
back to polling with one clear message."""

import time

import tbharness as h
from twoaccounts import HOME, WORK, ROLES, TOKENS, TwoAccounts

KEY, SECRET = 'ck-twinbird-test', 'cs-twinbird-test'
FAST = 2  # seconds: what only the stream can bring (polls are every 10 minutes)


class StreamHost(TwoAccounts, h.E2ETestCase):
    def setUp(self):
        super().setUp()
        self.add_pat(others=('alice',))
        self.x.call('POST', '/apps', {'client_id': 'default', 'consumer_key': KEY,
                                      'consumer_secret': SECRET, 'replace': True})

    def start_stream_host(self, key=KEY, secret=SECRET, user_dir=None, name='host'):
        accounts = [h.account(handle, TOKENS[handle], self.x.api_base, role=ROLES[handle],
                              dm_interval=600, mention_interval=600, stream='on',
                              consumer_key=key, consumer_secret=secret)
                    for handle in (HOME, WORK)]
        self.host = h.Host(accounts, user_dir=user_dir, logdir=self.logdir, name=name).start()
        for handle in (HOME, WORK):
            self.host.wait_for({'event': 'signed-on', 'account': handle}, 15)
            self.first_polls(handle)
        return self.host

    def wait_stream(self, n=1):
        return h.wait_until(lambda: len(self.x.stream_connections()) == n and
                            len(self.x.subscriptions()) == 6, 10, interval=0.1,
                            what='one stream and 6 subscriptions')

    def dm_shown(self, account, text, since):
        return self.host.wait_for({'event': 'received-im', 'account': account, 'who': 'alice',
                                   'plain': text}, FAST, since=since,
                                  what='DM %r on @%s via the stream' % (text, account))

    def test_shared_stream_delivers_once(self):
        host = self.start_stream_host()
        self.wait_stream()
        since = host.mark()
        self.x.dm('alice', HOME, 'streamed to home')
        self.x.dm('alice', WORK, 'streamed to work')
        self.dm_shown(HOME, 'streamed to home', since)
        self.dm_shown(WORK, 'streamed to work', since)
        self.x.tweet('alice', '@%s a streamed mention' % HOME)
        host.wait_for({'event': 'received-chat', 'account': HOME,
                       'plain': h.contains('a streamed mention')}, FAST, since=since)
        self.assertEqual(len(self.x.stream_connections()), 1, 'one stream for the app')
        # nothing shown twice
        time.sleep(2)
        for text in ('streamed to home', 'streamed to work'):
            self.assertEqual(len(host.find({'event': 'received-im', 'plain': text})), 1, text)
        self.assertEqual(len(host.find({'event': 'received-chat',
                                        'plain': h.contains('a streamed mention')})), 1)

    def test_drop_then_backfill(self):
        host = self.start_stream_host()
        self.wait_stream()
        since = host.mark()
        self.x.stream_fault('drop')
        self.x.dm('alice', HOME, 'cut in half')
        host.wait_for({'event': 'received-im', 'account': HOME, 'plain': 'cut in half'}, 10,
                      since=since)
        self.x.dm('alice', HOME, 'after the drop')
        host.wait_for({'event': 'received-im', 'account': HOME, 'plain': 'after the drop'}, 10,
                      since=since)
        time.sleep(1)
        for text in ('cut in half', 'after the drop'):
            self.assertEqual(len(host.find({'event': 'received-im', 'plain': text})), 1, text)

    def test_wrong_keys_fall_back(self):
        host = self.start_stream_host(secret='wrong')
        host.wait_for({'event': 'notify', 'secondary': h.contains('consumer key and secret')}, 10)
        self.assertEqual(self.x.stream_connections(), [])

    def test_quit_keeps_subscriptions(self):
        self.start_stream_host()
        self.wait_stream()
        before = sorted(s['subscription_id'] for s in self.x.subscriptions())
        self.host.quit()
        h.wait_until(lambda: not self.x.stream_connections(), 10, what='stream closed')
        self.start_stream_host(user_dir=self.host.user_dir, name='host2')
        self.wait_stream()
        self.assertEqual(sorted(s['subscription_id'] for s in self.x.subscriptions()), before, 'reused')


if __name__ == '__main__':
    h.main()
