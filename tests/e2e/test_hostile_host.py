#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A broken or hostile X API server, in the headless libpurple host (issue 12): the same id
several times in one page or across pages is shown once; a next_token that points back to a page
already read ends the walk instead of looping; one unreadable post or a DM without text leaves
the rest of its page shown and the cursor moving; a body nested 200,000 levels deep is refused
as unreadable without crashing the client, which goes on polling; each 403 on a send is explained
by what X said, not by a guess from the kind of send; a 3 MiB post is cut at X's own longest
post (25,000 characters) with a link to the whole."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402

HOME, TOKEN = 'pat_home', 'tok-pat-home'
WAIT = 10
contains = h.contains


class HostileHost(h.OneAccountCase):

    def setUp(self):
        super().setUp()
        self.host_ = self.start_polled(WAIT)

    # ---- bodies a hostile server sends -------------------------------------------------------

    def user(self):
        return {'id': str(self.alice), 'username': 'alice', 'name': 'Alice'}

    def post(self, pid, text):
        return {'id': pid, 'text': '@%s %s' % (HOME, text), 'author_id': str(self.alice),
                'conversation_id': pid, 'created_at': '2026-12-01T10:00:00.000Z'}

    def mentions_page(self, data, next_token=None):
        meta = {'result_count': len(data)}
        if next_token:
            meta['next_token'] = next_token
        return {'data': data, 'includes': {'users': [self.user()]}, 'meta': meta}

    def dm_event(self, eid, text):
        a, b = sorted([int(self.alice), int(self.me)])
        e = {'id': eid, 'event_type': 'MessageCreate', 'sender_id': str(self.alice),
             'dm_conversation_id': '%d-%d' % (a, b), 'created_at': '2026-12-01T10:00:00.000Z',
             'text': text}  # None: X's "text": null
        return e

    def dm_page(self, data, next_token=None):
        meta = {'result_count': len(data)}
        if next_token:
            meta['next_token'] = next_token
        return {'data': data, 'includes': {'users': [self.user()]}, 'meta': meta}

    def mentions_requests(self, since_seq=0):
        return [r for r in self.x.requests() if r.get('path', '').endswith('/mentions')
                and r.get('seq', 0) > since_seq]

    def last_seq(self):
        reqs = self.x.requests()
        return max((r.get('seq', 0) for r in reqs), default=0)

    def settle(self, seconds=3):
        time.sleep(seconds)

    # ---- the cases ---------------------------------------------------------------------------

    def test_same_post_three_times_on_a_page_is_shown_once(self):
        host = self.host_
        since = host.mark()
        p = self.post('1990000000000000001', 'thrice on one page')
        self.x.fault('answer', path='/mentions$', token=TOKEN,
                     body=self.mentions_page([p, dict(p), dict(p)]))
        host.wait_for({'event': 'received-chat', 'plain': contains('thrice on one page')}, WAIT,
                      since=since)
        self.settle()
        self.assertEqual(len(host.find({'event': 'received-chat',
                                        'plain': contains('thrice on one page')}, since)), 1)
        self.assertEqual(host.quit(), 0)

    def test_a_looping_next_token_ends_the_walk(self):
        host = self.host_
        since, seq = host.mark(), self.last_seq()
        p = self.post('1990000000000000002', 'same page forever')
        tok = 'looplooplooplooplooplooplooplooplo'
        self.x.fault('answer', count=1000, path='/mentions$', token=TOKEN,
                     body=self.mentions_page([p], next_token=tok))
        host.wait_for({'event': 'received-chat', 'plain': contains('same page forever')}, WAIT,
                      since=since)
        self.settle(4)  # about 4 polls at mention_interval=1
        self.assertEqual(len(host.find({'event': 'received-chat',
                                        'plain': contains('same page forever')}, since)), 1)
        n = len(self.mentions_requests(seq))
        # each poll reads the page and its loop once (2 requests), never hundreds
        self.assertLessEqual(n, 2 * 8, '%d mention requests in about 5 s' % n)
        self.x.call('DELETE', '/faults')
        self.assertEqual(host.quit(), 0)

    def test_one_unreadable_post_leaves_the_page_shown(self):
        host = self.host_
        since = host.mark()
        bad = {'id': '1990000000000000005', 'text': 42, 'author_id': str(self.alice)}
        nul = {'id': '1990000000000000004', 'text': None, 'author_id': str(self.alice)}
        good = self.post('1990000000000000003', 'the good one')
        self.x.fault('answer', path='/mentions$', token=TOKEN,
                     body=self.mentions_page([bad, nul, 'not an object', good]))
        host.wait_for({'event': 'received-chat', 'plain': contains('the good one')}, WAIT,
                      since=since)
        # the cursor moved past the newest (unreadable) post: the next poll asks after it
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            after = [r for r in self.mentions_requests()
                     if (r.get('query') or {}).get('since_id') == '1990000000000000005']
            if after:
                break
            time.sleep(0.2)
        self.assertTrue(after, 'since_id moved past the unreadable post')
        self.assertEqual(host.find({'event': 'connection-error'}, since), [])
        self.assertEqual(host.quit(), 0)

    def test_dm_repeated_and_without_text(self):
        host = self.host_
        since = host.mark()
        e1 = self.dm_event('1990000000000000011', 'one DM sent thrice')
        blank = self.dm_event('1990000000000000012', None)
        self.x.fault('answer', path='/2/dm_events$', token=TOKEN,
                     body=self.dm_page([blank, e1, dict(e1), dict(e1)]))
        host.wait_for({'event': 'received-im', 'plain': contains('one DM sent thrice')}, WAIT,
                      since=since)
        self.settle()
        ims = host.find({'event': 'received-im'}, since)
        self.assertEqual([e['plain'] for e in ims], ['one DM sent thrice'],
                         'shown once, and no blank line for the DM without text')
        self.assertEqual(host.quit(), 0)

    def test_dm_looping_token(self):
        host = self.host_
        since, seq = host.mark(), self.last_seq()
        tok = 'dmloopdmloopdmloopdmloop'
        # the first page of a poll is a probe; all new, so the walk follows the token
        body = self.dm_page([self.dm_event('1990000000000000021', 'dm loop')], next_token=tok)
        self.x.fault('answer', count=1000, path='/2/dm_events$', token=TOKEN, body=body)
        host.wait_for({'event': 'received-im', 'plain': contains('dm loop')}, WAIT, since=since)
        self.settle(4)
        self.assertEqual(len(host.find({'event': 'received-im', 'plain': 'dm loop'}, since)), 1)
        n = len([r for r in self.x.requests() if r.get('path') == '/2/dm_events'
                 and r.get('seq', 0) > seq])
        self.assertLessEqual(n, 3 * 8, '%d DM requests in about 5 s' % n)
        self.x.call('DELETE', '/faults')
        self.assertEqual(host.quit(), 0)

    def test_deeply_nested_body_is_refused_and_polling_goes_on(self):
        host = self.host_
        since = host.mark()
        deep = '[' * 200000 + ']' * 200000
        self.x.fault('answer', count=2, path='/mentions$', token=TOKEN, body=deep)
        self.x.fault('answer', count=2, path='/2/dm_events$', token=TOKEN, body=deep)
        self.settle(3)
        self.x.dm('alice', HOME, 'still alive after the deep body')
        host.wait_for({'event': 'received-im', 'plain': contains('still alive')}, 15,
                      since=since)
        self.assertEqual(host.find({'event': 'connection-error'}, since), [])
        self.assertEqual(host.quit(), 0)

    def test_a_huge_post_is_cut_with_a_link(self):
        host = self.host_
        since = host.mark()
        p = self.post('1990000000000000031', 'huge ' + 'x' * (3 * 1024 * 1024))
        self.x.fault('answer', path='/mentions$', token=TOKEN, body=self.mentions_page([p]))
        line = host.wait_for({'event': 'received-chat', 'plain': contains('huge xxx')}, 20,
                             since=since)
        self.assertIn('cut at 25000 characters', line['plain'])
        self.assertIn('https://x.com/i/web/status/1990000000000000031', line['plain'])
        self.assertLess(len(line['plain']), 25200)
        self.assertEqual(host.quit(), 0)

    def test_each_403_is_explained_by_what_x_said(self):
        host = self.host_
        cases = [
            ('You are not allowed to create a Tweet with duplicate content.', 'same words twice',
             'already posted the same text'),
            ('When authenticating requests to the Twitter API v2 endpoints, you must use keys '
             'and tokens from a Twitter developer App that is attached to a Project.',
             'an unenrolled app', 'attached to a Project'),
        ]
        for detail, text, expect in cases:
            self.x.fault('403', method='POST', path='^/2/tweets$', token=TOKEN,
                         body={'title': 'Forbidden', 'type': 'about:blank', 'status': 403,
                               'detail': detail})
            since = host.mark()
            host.send('send-im', account=HOME, to=HOME, text=text)
            err = host.wait_for({'event': 'write-conv', 'account': HOME,
                                 'plain': contains('NOT SENT', text)}, WAIT, since=since,
                                what='the refusal of %r' % text)
            self.assertIn(expect, err['plain'])
            self.assertNotIn('mentioned', err['plain'], 'no guess at the reply rule: %r'
                             % err['plain'])
        self.assertEqual(host.quit(), 0)


if __name__ == '__main__':
    h.main()
