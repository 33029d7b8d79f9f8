#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Sent exactly once, shown exactly once (issue 12), in the headless libpurple host: a battery of
faults on each kind of send (DM, post, reply), before X processed the request and after it (the
answer lost: 5xx, dropped connection, truncated or malformed body, a stall; or refused: 429, 402,
403), with the user typing `!retry` the moment the first notice shows, while DMs and mentions
keep arriving. A send whose answer was lost
is never called NOT SENT: it is "not confirmed", looked for on X, and then echoed once; one that
X never got is NOT SENT and retried once. Then the client killed with a send in flight and
restarted: the send is found on X, not duplicated, and not shown as "sent from another app".
Faults on reads (each kind, on the DM and the mentions poll, with a 429 and its reset) lose no
DM or mention and show none twice; a revoked sign-in keeps the typed text for the next one."""

import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402

HOME, TOKEN = 'pat_home', 'tok-pat-home'
TAG = '[personal @pat_home]'
WAIT = 15
contains, has = h.contains, h.has

# every kind of xsim's faults that a send can meet, before X processed it and after
AFTER = [('500', None), ('502', None), ('503', None), ('504', None), ('drop', None),
         ('truncated', None), ('malformed', None), ('timeout', 2), ('slow', 1)]
BEFORE = [('500', None), ('502', None), ('503', None), ('504', None), ('drop', None),
          ('malformed', None), ('timeout', 2), ('429', None), ('402', None), ('403', None)]
PATHS = {'dm': '/2/dm_conversations', 'post': '^/2/tweets$', 'reply': '^/2/tweets$'}


class ExactlyOnceHost(h.OneAccountCase):

    def start(self, **kw):
        return self.start_host(wait=WAIT, **kw)

    def posted(self, text):
        return [p for p in self.x.posted() if p.get('raw_text', p.get('text')) == text]

    def send(self, host, kind, conv, text):
        if kind == 'reply':
            host.send('chat-send', account=HOME, conv=conv, text=text)
        else:
            host.send('send-im', account=HOME, to=conv, text=text)

    def echoes(self, host, text, since=0):
        return host.find({'event': 'write-conv', 'account': HOME, 'flags': has('send'),
                          'plain': contains(TAG, text)}, since)

    def one_case(self, host, kind, conv, fault, delay, after, n):
        text = 'case %d: %s, %s %s' % (n, kind, fault, 'after' if after else 'before')
        limited = fault == '429'
        self.x.fault(fault, method='POST', path=PATHS[kind], token=TOKEN, after=after,
                     delay=delay, reset_in=2 if limited else None)
        since = host.mark()
        self.send(host, kind, conv, text)
        first = host.wait_for({'event': 'write-conv', 'account': HOME,
                               'plain': contains(text)}, WAIT, since=since,
                              what='the first word on %r' % text)
        if after and fault == 'slow':
            self.assertIn(TAG, first['plain'], text)  # only late: confirmed by X's answer
            return text, since
        if after:
            self.assertIn('NOT CONFIRMED yet', first['plain'], text)
            self.assertNotIn('NOT SENT', first['plain'], text)
        m = re.search(r'\((o\d+)\)', first['plain'])
        self.assertIsNotNone(m, first['plain'])
        # the user retries at once, as an impatient user would
        self.send(host, kind, conv, '!retry %s' % m.group(1))
        if limited:
            # X said its window is used up until its reset: the retry does not ask X again
            # before then, says so, and keeps the text; once the window turns it goes, once
            host.wait_for({'event': 'write-conv', 'account': HOME,
                           'plain': contains('used up until', text)}, WAIT, since=since,
                          what='the retry held back by X\'s limit')
            self.assertEqual(self.posted(text), [], 'nothing sent before the reset')
            time.sleep(3.5)  # the reset (2 s, in X's whole seconds) and the second after it
            self.send(host, kind, conv, '!retry %s' % m.group(1))
        if after:
            host.wait_for({'event': 'write-conv', 'account': HOME, 'flags': has('send'),
                           'plain': contains(TAG, text)}, WAIT, since=since,
                          what='the echo of %r, found on X' % text)
        else:
            # X never had it: NOT SENT (at once, or after looking), and the retry sends it once
            h.wait_until(lambda: self.posted(text), WAIT, what='%r sent by the retry' % text)
            host.wait_for({'event': 'write-conv', 'account': HOME, 'flags': has('send'),
                           'plain': contains(TAG, text)}, WAIT, since=since)
        return text, since

    def test_battery(self):
        # X allows 15 DMs sent per 15 minutes; this sends about 40 (X's per-day caps still hold)
        self.x.call('POST', '/ratelimits', {
            'endpoint': 'POST /2/dm_conversations/with/{participant_id}/messages',
            'limit': 100000})
        host = self.start_polled(WAIT)
        root = self.x.tweet('alice', '@pat_home where do we stand?')
        chat = host.wait_for({'event': 'received-chat', 'plain': contains('where do we stand')},
                             WAIT)
        convs = {'dm': 'alice', 'post': HOME, 'reply': chat['conv']}
        cases, n = [], 0
        for kind in ('dm', 'post', 'reply'):
            for fault, delay in AFTER:
                n += 1
                self.x.dm('alice', HOME, 'incoming while faulty %d' % n)
                self.x.tweet('alice', '@pat_home mentioned while faulty %d' % n)
                cases.append(self.one_case(host, kind, convs[kind], fault, delay, True, n))
            for fault, delay in BEFORE:
                n += 1
                cases.append(self.one_case(host, kind, convs[kind], fault, delay, False, n))
        time.sleep(3)  # a few more polls: anything shown twice would show now
        lost = [t for t, _ in cases if len(self.posted(t)) == 0]
        duplicated = [t for t, _ in cases if len(self.posted(t)) > 1]
        echoed_twice = [t for t, s in cases if len(self.echoes(host, t, s)) != 1]
        from_elsewhere = host.find({'event': 'write-conv', 'plain': contains('another app')})
        self.assertEqual((lost, duplicated, echoed_twice, from_elsewhere), ([], [], [], []),
                         '%d cases' % len(cases))
        replies = [p for p in self.x.posted() if p.get('kind') == 'reply']
        self.assertTrue(all(p.get('in_reply_to_tweet_id') == root['id'] for p in replies))
        incoming = host.find({'event': 'received-im', 'plain': contains('incoming while faulty')})
        self.assertEqual(len(incoming), len(set(e['plain'] for e in incoming)),
                         'an incoming DM shown twice')
        self.assertEqual(len(incoming), len(AFTER) * 3, 'every incoming DM shown')
        mentions = host.find({'event': 'received-chat',
                              'plain': contains('mentioned while faulty')})
        self.assertEqual(len(mentions), len(set(e['plain'] for e in mentions)),
                         'an incoming mention shown twice')
        h.wait_until(lambda: len(host.find({'event': 'received-chat', 'plain': contains(
            'mentioned while faulty')})) == len(AFTER) * 3, WAIT, what='every mention shown')
        self.assertEqual(host.quit(), 0)

    def test_read_faults_lose_nothing_and_show_nothing_twice(self):
        host = self.start_polled(WAIT)
        kinds = ['500', '502', '503', '504', 'drop', 'truncated', 'malformed', ('timeout', 2),
                 ('slow', 1), ('429', 2)]
        sent = []
        for n, kind in enumerate(kinds):
            kind, delay = kind if isinstance(kind, tuple) else (kind, None)
            for path in ('/2/dm_events$', '/mentions$'):
                spec = {'match': {'method': 'GET', 'path': path, 'token': TOKEN}, 'count': 2,
                        'kind': kind}
                if kind == '429':
                    spec['reset_in'] = delay
                elif delay is not None:
                    spec['delay'] = delay
                self.x.call('POST', '/faults', spec)
            dm, mention = 'read fault %s DM' % kind, '@pat_home read fault %s mention' % kind
            self.x.dm('alice', HOME, dm)
            self.x.tweet('alice', mention)
            sent += [('received-im', dm), ('received-chat', mention[len('@pat_home '):])]
            for event, text in sent[-2:]:
                host.wait_for({'event': event, 'plain': contains(text)}, 40,
                              what='%r through %s faults' % (text, kind))
        time.sleep(3)
        for event, text in sent:
            self.assertEqual(len(host.find({'event': event, 'plain': contains(text)})), 1, text)
        self.assertEqual(host.find({'event': 'connection-error'}), [])
        self.assertEqual(host.quit(), 0)

    def test_revoked_token_keeps_the_text_and_a_new_sign_in_sends_it_once(self):
        host = self.start_polled(WAIT)
        self.x.call('DELETE', '/tokens', {'token': TOKEN})
        text = 'typed as the sign-in was revoked'
        self.send(host, 'dm', 'alice', text)
        err = host.wait_for({'event': 'connection-error', 'account': HOME}, WAIT)
        self.assertEqual(err['reason_name'], 'AUTHENTICATION_FAILED')
        self.assertEqual(self.posted(text), [])
        self.assertEqual(host.quit(), 0)
        # signed in again with a new token: the kept text is offered, and sent once
        self.x.call('POST', '/tokens', {'username': HOME, 'token': 'tok-pat-home-2'})
        host2 = self.start_host('tok-pat-home-2', WAIT, user_dir=host.user_dir, name='host-again')
        line = host2.wait_for({'event': 'write-conv', 'plain': contains('NOT SENT', text)}, WAIT)
        oid = re.search(r'!retry (o\d+)', line['plain']).group(1)
        host2.send('send-im', account=HOME, to='alice', text='!retry %s' % oid)
        host2.wait_for({'event': 'write-conv', 'flags': has('send'), 'plain': contains(TAG, text)},
                       WAIT)
        time.sleep(2)
        self.assertEqual(len(self.posted(text)), 1)
        self.assertEqual(host2.quit(), 0)

    def test_killed_with_a_send_in_flight(self):
        for kind, conv in (('dm', 'alice'), ('post', HOME)):
            host = self.start_polled(WAIT, name='host-%s' % kind)
            text = 'in flight at the kill (%s)' % kind  # no command word first
            # X carries it out, and the answer never comes before the kill
            self.x.fault('timeout', method='POST', path=PATHS[kind], token=TOKEN, after=True,
                         delay=60)
            self.send(host, kind, conv, text)
            h.wait_until(lambda: self.posted(text), WAIT, what='%r on X' % text)
            state = os.path.join(host.user_dir, 'twinbird', HOME + '.state')

            def saved():
                try:
                    with open(state, encoding='utf-8') as f:
                        s = f.read()
                except OSError:
                    return False
                return text in s and 'attempted=' in s
            h.wait_until(saved, WAIT, what='the send in flight saved in the outbox')
            host.proc.send_signal(signal.SIGKILL)
            host.proc.wait(10)
            self.x.call('DELETE', '/faults')

            host2 = self.start(user_dir=host.user_dir, name='host-%s-again' % kind)
            doubt = host2.wait_for({'event': 'write-conv', 'plain': contains(text)}, WAIT)
            self.assertIn('NOT CONFIRMED yet', doubt['plain'])
            self.assertIn('stopped', doubt['plain'])
            host2.wait_for({'event': 'write-conv', 'flags': has('send'),
                            'plain': contains(TAG, text)}, WAIT, what='the echo, found on X')
            time.sleep(3)
            self.assertEqual(len(self.posted(text)), 1)
            self.assertEqual(len(self.echoes(host2, text)), 1)
            self.assertEqual(host2.find({'event': 'write-conv', 'plain': contains('another app')}),
                             [])
            self.assertEqual(host2.find({'event': 'write-conv', 'plain': contains('NOT SENT')}),
                             [])
            self.assertEqual(host2.quit(), 0)
            with open(state, encoding='utf-8') as f:
                self.assertNotIn(text, f.read(), 'the outbox is empty again')


if __name__ == '__main__':
    h.main()
