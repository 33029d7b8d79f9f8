#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Activity stream (option stream=on with the app's keys): DMs and mentions of both of Pat's
accounts come through ONE shared stream within 2 s while polling is slow, nothing is shown twice
when polling also sees it, a drop mid-event is recovered by backfill, and a stream refused falls
back to polling with one clear message. Subscriptions: reused across restarts, deleted at
sign-out and when the option is turned off, never more than the cap; the app's token renewed
when X refuses it."""

import datetime
import re
import time

import tbharness as h
from twoaccounts import HOME, WORK, ROLES, TOKENS, TwoAccounts

KEY, SECRET = 'ck-twinbird-test', 'cs-twinbird-test'
FAST = 2  # seconds: what only the stream can bring (polls are every 10 minutes)


def seconds(iso):
    """The simulator's request time (RFC 3339, "Z") as Unix seconds."""
    return datetime.datetime.fromisoformat(iso.replace('Z', '+00:00')).timestamp()


class StreamHost(TwoAccounts, h.E2ETestCase):
    def setUp(self):
        super().setUp()
        self.add_pat(others=('alice',))
        self.x.call('POST', '/apps', {'client_id': 'default', 'consumer_key': KEY,
                                      'consumer_secret': SECRET, 'replace': True})

    def start_stream_host(self, key=KEY, secret=SECRET, user_dir=None, name='host',
                          stream='on', interval=600):
        accounts = [h.account(handle, TOKENS[handle], self.x.api_base, role=ROLES[handle],
                              dm_interval=interval, mention_interval=interval, stream=stream,
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


    def subs_of(self, handle):
        return [s for s in self.x.subscriptions()
                if s.get('filter', {}).get('user_id') == self.ids[handle]]

    def test_sign_out_deletes_its_subscriptions_and_the_stream_moves(self):
        host = self.start_stream_host()
        self.wait_stream()
        self.assertEqual(len(self.subs_of(HOME)), 3)
        host.send('disable', account=HOME)
        h.wait_until(lambda: not self.subs_of(HOME), 10, interval=0.1,
                     what="@%s's subscriptions deleted at sign-out" % HOME)
        self.assertEqual(len(self.subs_of(WORK)), 3, "the other account's stay")
        # the stream goes on for the account still signed in
        h.wait_until(lambda: len(self.x.stream_connections()) == 1, 10, interval=0.1,
                     what='the stream on the other account')
        since = host.mark()
        self.x.dm('alice', WORK, 'still streamed')
        self.dm_shown(WORK, 'still streamed', since)
        host.send('disable', account=WORK)
        h.wait_until(lambda: not self.x.subscriptions() and not self.x.stream_connections(), 10,
                     interval=0.1, what='no subscription and no stream left')

    def test_option_off_deletes_what_was_left(self):
        self.start_stream_host()
        self.wait_stream()
        self.host.quit()  # quitting keeps them, for the next start
        self.assertEqual(len(self.x.subscriptions()), 6)
        host = self.start_stream_host(user_dir=self.host.user_dir, name='host2', stream='off',
                                      interval=2)
        h.wait_until(lambda: not self.x.subscriptions(), 10, interval=0.1,
                     what='the subscriptions left deleted once stream is off')
        self.assertEqual(self.x.stream_connections(), [])
        since = host.mark()
        self.x.dm('alice', HOME, 'polled again')
        host.wait_for({'event': 'received-im', 'account': HOME, 'plain': 'polled again'}, 10,
                      since=since)
        # the next start with stream=off asks X nothing about subscriptions
        host.quit()
        before = len(self.x.requests_to('/2/activity/subscriptions'))
        self.start_stream_host(user_dir=host.user_dir, name='host3', stream='off', interval=2)
        time.sleep(2)
        self.assertEqual(len(self.x.requests_to('/2/activity/subscriptions')), before)

    def test_cap_reached_falls_back_with_one_message(self):
        self.x.set_subscription_cap(0)
        host = self.start_stream_host(interval=2)
        for handle in (HOME, WORK):
            host.wait_for({'event': 'notify', 'title': h.contains('@%s ' % handle),
                           'secondary': h.contains('limit of subscriptions')}, 10)
        time.sleep(1)
        for handle in (HOME, WORK):
            said = host.find({'event': 'notify', 'title': h.contains('@%s ' % handle),
                              'secondary': h.contains('keeps checking')})
            self.assertEqual(len(said), 1, 'one message for @%s: %r' % (handle, said))
        self.assertEqual(self.x.subscriptions(), [])
        self.assertEqual(self.x.stream_connections(), [], 'no stream without subscriptions')
        since = host.mark()
        self.x.dm('alice', WORK, 'polled under the cap')
        host.wait_for({'event': 'received-im', 'account': WORK, 'plain': 'polled under the cap'},
                      10, since=since)

    def test_no_keys_falls_back_with_one_message(self):
        host = self.start_stream_host(key=None, secret=None, interval=2)
        for handle in (HOME, WORK):
            host.wait_for({'event': 'notify', 'title': h.contains('@%s ' % handle),
                           'secondary': h.contains('no consumer key and secret')}, 10)
        since = host.mark()
        self.x.dm('alice', HOME, 'polled without keys')
        host.wait_for({'event': 'received-im', 'account': HOME, 'plain': 'polled without keys'},
                      10, since=since)
        self.assertEqual(self.x.subscriptions(), [])
        self.assertEqual(self.x.requests_to('/oauth2/token', method='POST'), [])

    def test_app_token_renewed_when_refused(self):
        host = self.start_stream_host()
        self.wait_stream()
        old = self.x.stream_connections()[0]['token']
        self.x.call('DELETE', '/tokens', {'token': old})  # X invalidates the app's token
        self.x.close_streams()
        h.wait_until(lambda: [c for c in self.x.stream_connections() if c['token'] != old], 15,
                     interval=0.1, what='the stream back with a new app token')
        since = host.mark()
        self.x.dm('alice', HOME, 'after the new token')
        self.dm_shown(HOME, 'after the new token', since)
        debug = open(host.debug_log, encoding='utf-8', errors='replace').read()
        self.assertNotIn(old, debug, 'the app token reached the debug log')
        # a server refusing every new token too is asked again only after a growing pause
        before = len(self.x.requests_to('/oauth2/token', method='POST'))
        self.x.fault('401', count=3, method='GET', path='^/2/activity/stream$')
        self.x.close_streams()
        h.wait_until(lambda: len(self.x.requests_to('/oauth2/token', method='POST')) >= before + 3,
                     20, interval=0.2, what='three new tokens asked for')
        asked = [seconds(r['time']) for r in
                 self.x.requests_to('/oauth2/token', method='POST')[before:before + 3]]
        self.assertGreaterEqual(asked[2] - asked[1], 1.5, 'a pause before the third: %r' % asked)
        h.wait_until(lambda: [c for c in self.x.stream_connections() if c['token'] != old], 20,
                     interval=0.1, what='the stream back')

    def test_stranger_and_polls_never_show_a_streamed_dm_twice(self):
        self.ids['carol'] = self.x.add_user('carol', 'Carol Stranger')['id']
        host = self.start_stream_host(interval=3)
        self.wait_stream()
        since = host.mark()
        self.x.dm('carol', HOME, 'from someone new')
        host.wait_for({'event': 'received-im', 'account': HOME, 'who': 'carol',
                       'plain': 'from someone new'}, FAST, since=since,
                      what="a stranger's DM through the stream")
        # the stream goes down for a while: polling takes over at its own pace and reads the
        # DM the stream showed, without showing it again
        self.x.stream_fault('refuse', count=4)
        self.x.close_streams()
        self.x.dm('alice', HOME, 'while the stream is down')
        host.wait_for({'event': 'received-im', 'account': HOME,
                       'plain': 'while the stream is down'}, 15, since=since)
        h.wait_until(lambda: len(self.x.stream_connections()) == 1, 60, interval=0.2,
                     what='the stream back')
        time.sleep(4)  # a poll and the backfill have both been through
        for text in ('from someone new', 'while the stream is down'):
            self.assertEqual(len(host.find({'event': 'received-im', 'plain': text})), 1, text)

    def test_a_backlog_polled_while_the_stream_shows_live_ones_loses_nothing(self):
        host = self.start_stream_host()
        self.wait_stream()
        mark = host.mark()
        host.send('disable', account=HOME)
        host.wait_for({'event': 'signed-off', 'account': HOME}, 15, since=mark)
        h.wait_until(lambda: len(self.x.subscriptions()) == 3, 10, what='its subscriptions gone')
        # while away: in no stream's backfill, only polling can bring these
        self.x.call('POST', '/dms/bulk', {'from': ['alice'], 'to': HOME, 'count': 50,
                                          'text': 'away dm {i}'})
        self.x.call('POST', '/tweets/bulk', {'author': ['alice'], 'count': 20,
                                             'text': '@%s away mention {i}' % HOME})
        # back: the first reads are slow, and live ones come through the stream meanwhile
        for path in ('^/2/dm_events$', '/mentions$'):
            self.x.fault('slow', count=1, method='GET', path=path, token=TOKENS[HOME], delay=3)
        since = host.mark()
        host.send('enable', account=HOME)
        self.wait_stream()
        time.sleep(0.5)  # joined to the stream once its subscriptions are made
        self.x.dm('alice', HOME, 'live dm')
        self.x.tweet('alice', '@%s live mention' % HOME)
        self.dm_shown(HOME, 'live dm', since)
        host.wait_for({'event': 'received-chat', 'account': HOME,
                       'plain': h.contains('live mention')}, FAST, since=since)

        def shown(kind, word):
            return [e['plain'] for e in host.find({'event': kind, 'account': HOME}, since)
                    if word in e.get('plain', '')]
        h.wait_until(lambda: len(shown('received-im', 'away dm')) >= 50 and
                     len(shown('received-chat', 'away mention')) >= 20, 20,
                     what='the backlog polled')
        time.sleep(2)
        self.assertEqual(shown('received-im', 'away dm'),
                         ['away dm %d' % i for i in range(50)], 'all, once, in order')
        self.assertEqual([re.search(r'away mention (\d+)', t).group(1)
                          for t in shown('received-chat', 'away mention')],
                         [str(i) for i in range(20)])
        self.assertEqual(len(shown('received-im', 'live dm')), 1)
        self.assertEqual(len(shown('received-chat', 'live mention')), 1)
        # and the cursors went past all of it: a restart shows none again
        host.quit()
        since = 0
        host = self.start_stream_host(user_dir=host.user_dir, name='again')
        self.wait_stream()
        time.sleep(2)
        self.assertEqual(shown('received-im', 'dm'), [])
        self.assertEqual(shown('received-chat', 'mention'), [])

    def test_connects_keep_within_the_apps_limit(self):
        self.x.call('POST', '/ratelimits', {'endpoint': 'GET /2/activity/stream', 'limit': 3})
        host = self.start_stream_host(interval=2)
        self.wait_stream()
        for _ in range(4):  # X ends the stream again and again
            self.x.close_streams()
            time.sleep(3)
        connects = self.x.requests_to('/2/activity/stream')
        self.assertEqual([r for r in connects if r.get('status') == 429], [],
                         'a connect beyond the app\'s limit')
        self.assertEqual(len(connects), 3, 'the limit allows three connects')
        since = host.mark()
        self.x.dm('alice', HOME, 'polled while connects wait')
        host.wait_for({'event': 'received-im', 'account': HOME,
                       'plain': 'polled while connects wait'}, 10, since=since)


if __name__ == '__main__':
    h.main()
