#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 17 item 2 in the headless libpurple host (tb-host) against the simulated X API: the home
timeline as an optional chat per account, on Pat's two accounts pat_home (personal) and
pat_at_acme (work).

Off by default: no timeline request is made and no chat appears. On: a chat per account
("personal-timeline", "work-timeline") whose first words are the price of a read; the first read
asks for the newest 20 without since_id, later ones since the newest id read (the simulator's
request log); the posts of the people followed are shown once each, oldest first, with short
ids; the account's own posts are marked "(your post)" and written as the user's own line, those
of the other Twinbird account "(your work account)" / "(your personal account)"; `reply <id>`
and `rt <id>` typed in the chat go out from that chat's account; plain text is not sent."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
from tbharness import contains, has  # noqa: E402
from twoaccounts import HOME, ROLES, TAGS, TOKENS, WAIT, WORK, TwoAccounts  # noqa: E402

CHAT = {HOME: 'personal-timeline', WORK: 'work-timeline'}
INTERVAL = 5  # the least timeline_interval: X's 180 reads per 15 minutes
TL_WAIT = WAIT + INTERVAL
POST_RE = re.compile(r'^\[([0-9a-f]{1,3})\] (.*)$')
LINKED = re.compile(r' \(https://x\.com/\w+\)')  # tb-host's plain text keeps a mention's link


class TimelineHost(TwoAccounts, h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.add_pat(others=('alice', 'bob', 'carol'))
        self.x.follow(HOME, 'alice')
        self.x.follow(HOME, 'bob')
        self.x.follow(HOME, WORK)
        self.x.follow(WORK, 'bob')
        self.x.follow(WORK, HOME)

    def start(self, **settings):
        accounts = [h.account(handle, TOKENS[handle], self.x.api_base, role=ROLES[handle],
                              dm_interval=1, mention_interval=1, **settings)
                    for handle in (HOME, WORK)]
        self.host = h.Host(accounts, logdir=self.logdir).start()
        for handle in (HOME, WORK):
            self.host.wait_for({'event': 'signed-on', 'account': handle}, 15)
        for handle in (HOME, WORK):
            self.first_polls(handle)
        return self.host

    def timeline_requests(self, handle):
        return self.x.requests_to('/2/users/%s/timelines/reverse_chronological'
                                  % self.ids[handle], token=TOKENS[handle])

    def posts_in(self, handle, since=0):
        """(short id, text, event) of every post line in handle's timeline chat, in order."""
        out = []
        for e in self.host.find({'event': 'write-conv', 'account': handle,
                                 'conv': CHAT[handle]}, since):
            m = POST_RE.match(e.get('plain') or '')
            if m and not m.group(2).startswith('['):  # not a tagged echo of a send
                out.append((m.group(1), LINKED.sub('', m.group(2)), e))
        return out

    def wait_post(self, handle, text, since=0):
        def shown():
            return [p for p in self.posts_in(handle, since) if p[1].endswith(text)]
        return h.wait_until(shown, TL_WAIT, interval=0.2,
                            what='%r in the timeline of @%s' % (text, handle))[0]

    # -- tests ----------------------------------------------------------------------------------

    def test_off_by_default(self):
        self.start()  # no timeline setting at all
        time.sleep(3)  # several polls of mentions and DMs
        for handle in (HOME, WORK):
            self.assertEqual(self.timeline_requests(handle), [],
                             'the timeline was read with timeline off')
        convs = {c['conv'] for c in self.host.query('list-convs', 'convs')['list']}
        self.assertFalse([c for c in convs if c.endswith('-timeline')], convs)
        self.assertEqual(self.host.find({'event': 'chat-joined', 'conv': contains('timeline')}),
                         [])

    def test_on_shown_once_in_order_marked_and_read_since(self):
        x = self.x
        # before sign-in: what the first, small read finds (carol is not followed)
        a1 = x.tweet('alice', 'alice before sign-in')
        x.tweet('carol', 'carol is not followed')
        b1 = x.tweet('bob', 'bob before sign-in')
        host = self.start(timeline='on', timeline_interval=INTERVAL)

        # the chat appears, its price said first
        for handle in (HOME, WORK):
            host.wait_for({'event': 'chat-joined', 'account': handle, 'conv': CHAT[handle]}, WAIT)
            price = host.wait_for({'event': 'write-conv', 'account': handle,
                                   'conv': CHAT[handle], 'flags': has('system'),
                                   'plain': contains('$0.005 per new post')}, WAIT)['plain']
            self.assertIn('up to 100 per read', price)
            self.assertIn('every %d s' % INTERVAL, price)

        # the first read: the newest 20, no since_id, oldest first
        self.wait_post(HOME, 'bob before sign-in')
        self.wait_post(WORK, 'bob before sign-in')
        first = self.timeline_requests(HOME)[0]
        self.assertEqual(first['query'].get('max_results'), '20')
        self.assertNotIn('since_id', first['query'])
        home = self.posts_in(HOME)
        self.assertEqual([t for _s, t, _e in home], ['alice before sign-in', 'bob before sign-in'])
        self.assertEqual(home[0][2]['who'], 'alice')
        self.assertEqual([t for _s, t, _e in self.posts_in(WORK)], ['bob before sign-in'])
        self.assertNotIn('carol', ' '.join(t for _s, t, _e in home))

        # new posts, both accounts signed in: read since the newest id of the read before,
        # shown once each, in order; the own post and the other account's marked
        newest = max(int(a1['id']), int(b1['id']))
        since = host.mark()
        w2 = x.tweet(WORK, 'work account after sign-in')
        p2 = x.tweet(HOME, 'personal post after sign-in')
        a2 = x.tweet('alice', '@pat_home lunch tomorrow?')
        b2 = x.tweet('bob', 'bob after sign-in')
        self.wait_post(HOME, 'bob after sign-in', since)
        later = [r for r in self.timeline_requests(HOME) if 'since_id' in r['query']]
        self.assertTrue(later, 'no read with since_id')
        self.assertEqual(later[0]['query']['since_id'], str(newest))
        self.assertEqual(later[0]['query']['max_results'], '100')
        home = self.posts_in(HOME, since)
        self.assertEqual([t for _s, t, _e in home],
                         ['(your work account) work account after sign-in',
                          '(your post) personal post after sign-in',
                          '@pat_home lunch tomorrow?', 'bob after sign-in'])
        self.assertEqual(len({s for s, _t, _e in self.posts_in(HOME)}), 6,
                         'short ids must differ')
        by_text = {t: e for _s, t, e in home}
        own = by_text['(your post) personal post after sign-in']
        self.assertIn('send', own['flags'], 'the own post is the user\'s own line')
        other = by_text['(your work account) work account after sign-in']
        self.assertEqual(other['who'], WORK)
        self.assertIn('recv', other['flags'])
        self.wait_post(WORK, 'bob after sign-in', since)
        self.assertEqual([t for _s, t, _e in self.posts_in(WORK, since)],
                         ['(your post) work account after sign-in',
                          '(your personal account) personal post after sign-in',
                          'bob after sign-in'])

        reads = len(self.timeline_requests(HOME))
        h.wait_until(lambda: len(self.timeline_requests(HOME)) >= reads + 2, TL_WAIT * 2,
                     what='two more reads')
        newest = str(max(int(t['id']) for t in (w2, p2, a2, b2)))
        self.assertEqual(self.timeline_requests(HOME)[-1]['query']['since_id'], newest)
        for text in ('alice before sign-in', 'bob before sign-in', '@pat_home lunch tomorrow?',
                     'bob after sign-in', '(your post) personal post after sign-in'):
            self.assertEqual(len([p for p in self.posts_in(HOME) if p[1] == text]), 1,
                             '%r shown more than once' % text)

        # reply and rt typed in each chat go out from that chat's account
        sid_a2 = [s for s, t, _e in self.posts_in(HOME) if t == '@pat_home lunch tomorrow?'][0]
        since = self.chat(HOME, CHAT[HOME], 'reply %s yes, at noon' % sid_a2)
        r = self.wait_posted('yes, at noon')
        self.assertEqual((r['kind'], r['token'], r['in_reply_to_tweet_id']),
                         ('reply', TOKENS[HOME], a2['id']))
        host.wait_for({'event': 'write-conv', 'account': HOME, 'conv': CHAT[HOME],
                       'flags': has('send'), 'plain': contains(TAGS[HOME], 'yes, at noon')},
                      WAIT, since=since)

        sid_b2_work = self.wait_post(WORK, 'bob after sign-in')[0]
        since = self.chat(WORK, CHAT[WORK], 'rt %s' % sid_b2_work)
        rt = h.wait_until(lambda: self.posted(kind='retweet'), WAIT, what='the repost')[0]
        self.assertEqual((rt['token'], rt['retweeted_tweet_id']), (TOKENS[WORK], b2['id']))
        host.wait_for({'event': 'write-conv', 'account': WORK, 'conv': CHAT[WORK],
                       'flags': has('send'), 'plain': contains(TAGS[WORK], 'reposted')},
                      WAIT, since=since)

        # plain text in the timeline is never a reply
        n = len(x.posted())
        since = self.chat(HOME, CHAT[HOME], 'what a day')
        host.wait_for({'event': 'write-conv', 'account': HOME, 'conv': CHAT[HOME],
                       'flags': has('system'), 'plain': contains('is not sent')}, WAIT,
                      since=since)
        time.sleep(1.5)
        self.assertEqual(len(x.posted()), n, 'text typed in the timeline went out')

    def test_price_said_once_until_switched_off(self):
        self.x.tweet('alice', 'something to read')  # an empty timeline has no cursor to keep
        host = self.start(timeline='on', timeline_interval=INTERVAL)
        price = {'event': 'write-conv', 'account': HOME, 'conv': CHAT[HOME],
                 'plain': contains('$0.005 per new post')}
        host.wait_for(price, WAIT)
        self.wait_post(HOME, 'something to read')
        self.assertEqual(host.quit(), 0)
        # signed in again, still on: the chat is back, the price not said again
        again = h.Host([h.account(HOME, TOKENS[HOME], self.x.api_base, role='personal',
                                  timeline='on', timeline_interval=INTERVAL)],
                       user_dir=host.user_dir, logdir=self.logdir, name='host2').start()
        again.wait_for({'event': 'chat-joined', 'account': HOME, 'conv': CHAT[HOME]}, WAIT)
        reads = len(self.timeline_requests(HOME))
        h.wait_until(lambda: len(self.timeline_requests(HOME)) > reads, TL_WAIT,
                     what='a read after the restart')
        self.assertIn('since_id', self.timeline_requests(HOME)[-1]['query'])
        self.assertEqual(again.find(price), [])
        self.assertEqual(again.quit(), 0)

        # switched off: no read, no chat, and switched on again the price is said again
        reads = len(self.timeline_requests(HOME))
        off = h.Host([h.account(HOME, TOKENS[HOME], self.x.api_base, role='personal',
                                timeline='off')],
                     user_dir=host.user_dir, logdir=self.logdir, name='host3').start()
        off.wait_for({'event': 'signed-on', 'account': HOME}, 15)
        self.first_polls(HOME)
        time.sleep(1)
        self.assertEqual(len(self.timeline_requests(HOME)), reads)
        self.assertEqual(off.find({'event': 'chat-joined', 'conv': CHAT[HOME]}), [])
        self.assertEqual(off.quit(), 0)
        on = h.Host([h.account(HOME, TOKENS[HOME], self.x.api_base, role='personal',
                               timeline='on', timeline_interval=INTERVAL)],
                    user_dir=host.user_dir, logdir=self.logdir, name='host4').start()
        on.wait_for(price, WAIT)
        h.wait_until(lambda: len(self.timeline_requests(HOME)) > reads, TL_WAIT,
                     what='a read switched on again')
        first = self.timeline_requests(HOME)[reads]['query']
        self.assertEqual((first.get('max_results'), 'since_id' in first), ('20', False),
                         'switched on again, the first read is a small one')
        self.assertEqual(on.quit(), 0)


if __name__ == '__main__':
    h.main()
