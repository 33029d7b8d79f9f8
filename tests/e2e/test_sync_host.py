#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The sync engine against X's limits and bills, at a scaled-down size, in the headless host: a
DM check reads the newest two events without expansions and looks up only people it does not
know; a backlog larger than a window allows walks on from its own pagination tokens with growing
pages, pauses when X's window is used up and goes on after the reset, keeping what it fetched,
without a 429 and without reading anything twice; a 429 waits for the reset and the same read
goes again; 800 mentions at once open chats for their newest 20 conversations and gather the
rest, each shown once, oldest first, with no false "X keeps no more" notice."""

import datetime
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402

HOME = 'pat_home'
WAIT = 10
contains = h.contains


def seconds(iso):
    """The simulator's request time (RFC 3339, "Z") as Unix seconds."""
    return datetime.datetime.fromisoformat(iso.replace('Z', '+00:00')).timestamp()


class SyncHost(h.OneAccountCase):

    def dm_reads(self, since=0):
        return [r for r in self.x.requests()[since:] if r.get('path') == '/2/dm_events']

    def away(self):
        """A first sign-in sets the cursors; returns the user dir for the next start."""
        host = self.start_polled(WAIT)
        self.x.dm('alice', HOME, 'before going away')
        host.wait_for({'event': 'received-im', 'plain': contains('before going away')}, WAIT)
        time.sleep(1.5)  # the coalesced store write
        self.assertEqual(host.quit(), 0)
        return host.user_dir

    def shown_dms(self, host, prefix, since=0):
        return [e['plain'].split(prefix, 1)[1] for e in host.find({'event': 'received-im'}, since)
                if prefix in e.get('plain', '')]

    def test_a_check_reads_two_events_without_expansions_and_asks_only_for_new_people(self):
        host = self.start_polled(WAIT)
        since = len(self.x.requests())
        self.x.dm('alice', HOME, 'hello from alice')
        host.wait_for({'event': 'received-im', 'plain': contains('hello from alice')}, WAIT)
        self.x.dm('alice', HOME, 'and again')
        host.wait_for({'event': 'received-im', 'plain': contains('and again')}, WAIT)
        checks = self.dm_reads(since)
        self.assertTrue(checks)
        # idle, the fewest events that tell what is new; in a conversation (after alice's first
        # DM) at most the events the checks before have read in a row
        self.assertEqual(checks[0]['query'].get('max_results'), '2', checks[0]['query'])
        for r in checks:
            self.assertIn(r['query'].get('max_results'), ('2', '3'), r['query'])
            self.assertNotIn('expansions', r['query'], 'X bills every user included')
        lookups = [r for r in self.x.requests()[since:] if r.get('path') == '/2/users']
        self.assertEqual(len(lookups), 1, 'alice is looked up once, then known')
        self.assertEqual(lookups[0]['query'].get('ids'), self.alice)
        self.assertEqual(host.quit(), 0)

    def test_in_a_conversation_two_dms_between_checks_need_no_walk_and_no_new_bill(self):
        self.x.add_user('bob', 'Bob')
        for i in range(3):
            self.x.dm('bob', HOME, 'history %d' % i)
        host = self.start_polled(WAIT)
        h.wait_until(lambda: len(self.shown_dms(host, 'history ')) == 3, WAIT,
                     what='the history shown')
        time.sleep(2)  # idle checks
        since = len(self.x.requests())
        billed0 = self.x.billing()['by_token'][self.TOKEN]['reads_billed'].get('dm_event', 0)
        self.x.dm('alice', HOME, 'talk 0')  # the conversation begins
        h.wait_until(lambda: self.shown_dms(host, 'talk '), WAIT, what='its first DM')
        for n in range(1, 4):  # then two DMs at once, three times
            self.x.call('POST', '/dms/bulk', {'from': ['alice'], 'to': HOME, 'count': 2,
                                              'text': 'talk %d{i}' % n})
            h.wait_until(lambda: len(self.shown_dms(host, 'talk ')) == 1 + 2 * n, WAIT,
                         what='both DMs of round %d' % n)
        self.assertEqual(self.shown_dms(host, 'talk '),
                         ['0', '10', '11', '20', '21', '30', '31'], 'each once, in order')
        reads = self.dm_reads(since)
        for r in reads:
            self.assertNotIn('pagination_token', r['query'], 'each check held what was new')
        sizes = [int(r['query']['max_results']) for r in reads]
        self.assertEqual(sizes[0], 2, 'idle')
        self.assertEqual(max(sizes), 5, 'the check grew with what its checks had read')
        billed = self.x.billing()['by_token'][self.TOKEN]['reads_billed'].get('dm_event', 0)
        self.assertEqual(billed - billed0, 7, 'only the new DMs billed: no old one read again')
        self.assertEqual(host.quit(), 0)

    def test_a_backlog_goes_on_across_windows_oldest_first(self):
        user_dir = self.away()
        for i in range(300):
            self.x.dm('alice', HOME, 'backlog %03d' % i)
        # X's DM read budget, scaled down: 3 reads a window of 6 seconds
        self.x.call('POST', '/ratelimits', {'endpoint': 'GET /2/dm_events', 'limit': 3,
                                            'window': 6})
        since = len(self.x.requests())
        host = self.start_host(user_dir=user_dir, name='after')
        h.wait_until(lambda: len(self.shown_dms(host, 'backlog ')) >= 300, 60,
                     what='the whole backlog shown')
        shown = self.shown_dms(host, 'backlog ')
        self.assertEqual(shown, ['%03d' % i for i in range(300)], 'all, once, oldest first')
        reads = self.dm_reads(since)
        self.assertEqual([r['status'] for r in reads if r['status'] == 429], [], 'never a 429')
        walk = reads[:6]
        self.assertEqual([r['query'].get('max_results') for r in walk],
                         ['2', '10', '50', '100', '100', '100'], 'growing pages')
        self.assertNotIn('pagination_token', walk[0]['query'])
        for r in walk[1:]:
            self.assertIn('pagination_token', r['query'], 'the walk goes on from its own token')
        self.assertEqual(len({r['query'].get('pagination_token') for r in walk}), 6,
                         'no page read twice')
        with open(host.debug_log, encoding='utf-8', errors='replace') as f:
            self.assertIn("GET /2/dm_events waits", f.read(), 'the walk paused for the window')
        self.assertEqual(host.quit(), 0)

    def test_a_429_waits_for_the_reset_and_the_same_read_goes_again(self):
        user_dir = self.away()
        for i in range(40):
            self.x.dm('alice', HOME, 'during %02d' % i)
        self.x.call('POST', '/faults', {'match': {'path': '/2/dm_events$'}, 'count': 1,
                                        'kind': '429', 'reset_in': 2})
        since = len(self.x.requests())
        host = self.start_host(user_dir=user_dir, name='after')
        h.wait_until(lambda: len(self.shown_dms(host, 'during ')) >= 40, 30,
                     what='every DM shown')
        self.assertEqual(self.shown_dms(host, 'during '), ['%02d' % i for i in range(40)])
        reads = self.dm_reads(since)
        self.assertEqual(reads[0]['status'], 429)
        self.assertEqual(reads[1]['query'], reads[0]['query'], 'the same read, again')
        gap = seconds(reads[1]['time']) - seconds(reads[0]['time'])
        self.assertGreaterEqual(gap, 1.5, 'after the reset')
        self.assertEqual(host.find({'event': 'notify'}), [], 'nothing to tell the user')
        self.assertEqual(host.quit(), 0)

    def test_800_mentions_open_twenty_chats_and_gather_the_others(self):
        host = self.start_polled(WAIT)
        self.x.tweet('alice', '@pat_home first of all')
        host.wait_for({'event': 'received-chat', 'plain': contains('first of all')}, WAIT)
        time.sleep(1.5)
        self.assertEqual(host.quit(), 0)
        for i in range(800):
            self.x.tweet('alice', '@pat_home topic %03d' % i)  # 800 conversations
        host = self.start_host(user_dir=host.user_dir, name='after')
        h.wait_until(lambda: len(host.find({'event': 'received-chat',
                                            'plain': contains('topic ')})) >= 800, 60,
                     what='all 800 shown')
        time.sleep(2)  # nothing more comes
        shown = host.find({'event': 'received-chat', 'plain': contains('topic ')})
        texts = [e['plain'].split('topic ', 1)[1][:3] for e in shown]
        self.assertEqual(texts, ['%03d' % i for i in range(800)], 'each once, oldest first')
        chats = {e['conv'] for e in shown}
        self.assertLessEqual(len(chats), 21, 'twenty chats and the gathering one')
        gathered = [e for e in shown if e['conv'] == 'personal-mentions']
        self.assertEqual(len(gathered), 780)
        self.assertEqual(len(chats - {'personal-mentions'}), 20)
        own = {e['plain'].split('topic ', 1)[1][:3] for e in shown if e not in gathered}
        self.assertEqual(own, {'%03d' % i for i in range(780, 800)}, 'the newest have a chat')
        self.assertTrue(host.find({'event': 'write-conv', 'conv': 'personal-mentions',
                                   'plain': contains('800 mentions arrived at once')}))
        self.assertEqual(host.find({'event': 'notify'}), [], 'X kept them all: no gap to report')
        self.assertEqual(host.quit(), 0)

    def test_mutuals_read_the_smaller_list_whole_and_the_other_only_as_far_as_needed(self):
        for name in ('bob', 'carol'):
            self.x.add_user(name, name.title())
        for name in ('alice', 'bob', 'carol'):
            self.x.follow(HOME, name)           # pat follows three people
        self.x.follow('alice', HOME)
        self.x.follow('carol', HOME)
        for i in range(60):                     # and sixty more follow pat, most recently
            self.x.add_user('fan%02d' % i, 'Fan %d' % i)
            self.x.follow('fan%02d' % i, HOME)
        host = self.host([h.account(HOME, self.TOKEN, self.x.api_base, role='personal',
                                    auth='bearer', mutuals_cap=2)])
        host.wait_for({'event': 'signed-on', 'account': HOME}, WAIT)
        for name in ('alice', 'carol'):
            host.wait_for({'event': 'blist-update', 'account': HOME, 'buddy': name}, WAIT)
        following = self.x.requests_to('/2/users/%s/following' % self.me)
        followers = self.x.requests_to('/2/users/%s/followers' % self.me)
        self.assertEqual(len(following), 1, 'the smaller list, whole, in one page')
        self.assertEqual(len(followers), 4, 'the other in pages of 20 until both are found')
        self.assertEqual({r['query'].get('max_results') for r in followers}, {'20'})
        self.assertEqual(host.find({'event': 'blist-update', 'buddy': 'bob'}), [],
                         'bob does not follow back')
        self.assertEqual(host.quit(), 0)


if __name__ == '__main__':
    h.main()
