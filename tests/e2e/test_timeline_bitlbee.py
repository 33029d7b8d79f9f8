#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 17 item 2 in real BitlBee over an IRC socket: the home timeline as an optional channel
per account, on Pat's two accounts pat_home (personal) and pat_at_acme (work).

Off by default: no timeline request, no channel. With `account <tag> set timeline on`: the IRC
user is joined to #personal-timeline and #work-timeline, where twinbird-notice says first what a
read costs; the posts of the people followed come once each, oldest first, from their nicks with
short ids; the account's own posts arrive as the IRC user's own line marked "(your post)", the
other account's marked "(your work account)"; the next read asks X since the newest id read;
`reply <id> ...` and `rt <id>` typed in a channel go out from that channel's account."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
from twoaccounts import HOME, TAGS, TOKENS, WAIT, WORK, TwoAccounts  # noqa: E402

CHAN = {HOME: '#personal-timeline', WORK: '#work-timeline'}
INTERVAL = 5  # the least timeline_interval: X's 180 reads per 15 minutes
TL_WAIT = WAIT + INTERVAL


class TimelineBitlBee(TwoAccounts, h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.add_pat(others=('alice', 'bob', 'carol'))
        for follower, followee in ((HOME, 'alice'), (HOME, 'bob'), (HOME, WORK), (WORK, 'bob'),
                                   (WORK, HOME)):
            self.x.follow(follower, followee)

    def timeline_requests(self, handle):
        return self.x.requests_to('/2/users/%s/timelines/reverse_chronological'
                                  % self.ids[handle], token=TOKENS[handle])

    def post_line(self, handle, sender_re, text, since=0):
        """A post in handle's channel from sender_re ("pat" for the IRC user's own line);
        returns (short id, the text after it)."""
        m = self.irc.expect(r'^:%s PRIVMSG %s :\[([0-9a-f]{1,3})\] (.*%s)$'
                            % (sender_re, re.escape(CHAN[handle]), re.escape(text)),
                            TL_WAIT, since=since)
        return m.group(1), m.group(2)

    def from_(self, handle, author):
        """Lines by author on handle's account: the nick may differ, the host part names it."""
        return r'\S+!%s@%s' % (re.escape(author), re.escape(self.acct[handle]))

    def test_off_by_default(self):
        self.start_bitlbee()
        time.sleep(3)
        for handle in (HOME, WORK):
            self.assertEqual(self.timeline_requests(handle), [])
        self.assertEqual(self.irc.find(r'JOIN :?#\S*-timeline'), [])

    def test_on_channels_price_posts_marks_since_reply_and_rt(self):
        x = self.x
        a1 = x.tweet('alice', 'alice before sign-in')
        x.tweet('carol', 'carol is not followed')
        b1 = x.tweet('bob', 'bob before sign-in')
        self.start_bitlbee(settings=(('timeline', 'on'), ('timeline_interval', str(INTERVAL))))
        irc = self.irc

        for handle in (HOME, WORK):
            irc.expect(r'^:pat!\S+ JOIN :?%s$' % re.escape(CHAN[handle]), WAIT, since=0)
            price = irc.expect(r'^:twinbird-notice!\S+ PRIVMSG %s :\*\*\* (.*)$'
                               % re.escape(CHAN[handle]), WAIT, since=0).group(1)
            self.assertIn('$0.005 per new post', price)
            self.assertIn('up to 100 per read', price)

        # the first read: the newest 20, no since_id, oldest first; carol is not followed
        self.post_line(HOME, self.from_(HOME, 'alice'), 'alice before sign-in', since=0)
        self.post_line(HOME, self.from_(HOME, 'bob'), 'bob before sign-in')  # after alice's
        self.post_line(WORK, self.from_(WORK, 'bob'), 'bob before sign-in', since=0)
        self.assertEqual(irc.find(r'carol is not followed'), [])
        first = self.timeline_requests(HOME)[0]['query']
        self.assertEqual((first.get('max_results'), 'since_id' in first), ('20', False))

        # new posts, both accounts signed in: in order, once each, the own line and the other
        # account's marked; read since the newest id read before
        since = irc.mark()
        w2 = x.tweet(WORK, 'work account after sign-in')
        p2 = x.tweet(HOME, 'personal post after sign-in')
        a2 = x.tweet('alice', '@pat_home lunch tomorrow?')
        b2 = x.tweet('bob', 'bob after sign-in')
        sids = set()
        irc.cursor = since  # read from here: the lines below come in this order
        for sender, text in ((self.from_(HOME, WORK), '(your work account) work account after '
                              'sign-in'),
                             (r'pat!\S+', '(your post) personal post after sign-in'),
                             (self.from_(HOME, 'alice'), 'lunch tomorrow?'),
                             (self.from_(HOME, 'bob'), 'bob after sign-in')):
            sid, shown = self.post_line(HOME, sender, text)
            self.assertTrue(shown.endswith(text), shown)
            sids.add(sid)
            if text == 'lunch tomorrow?':
                sid_a2 = sid
        self.assertEqual(len(sids), 4)
        for sender, text in ((r'pat!\S+', '(your post) work account after sign-in'),
                             (self.from_(WORK, HOME),
                              '(your personal account) personal post after sign-in'),
                             (self.from_(WORK, 'bob'), 'bob after sign-in')):
            self.post_line(WORK, sender, text, since=since)
        newest = str(max(int(a1['id']), int(b1['id'])))
        self.assertIn(newest, [r['query'].get('since_id') for r in self.timeline_requests(HOME)])
        reads = len(self.timeline_requests(HOME))
        h.wait_until(lambda: len(self.timeline_requests(HOME)) >= reads + 1, TL_WAIT,
                     what='another read')
        self.assertEqual(self.timeline_requests(HOME)[-1]['query']['since_id'],
                         str(max(int(t['id']) for t in (w2, p2, a2, b2))))
        for text in ('alice before sign-in', 'lunch tomorrow?', 'bob after sign-in',
                     'personal post after sign-in'):
            self.assertEqual(len(irc.find(r'PRIVMSG %s :\[\w+\] .*%s'
                                          % (re.escape(CHAN[HOME]), re.escape(text)))), 1, text)

        # reply and rt typed in each channel go out from its account
        since = irc.mark()
        irc.send('PRIVMSG %s :reply %s yes, at noon' % (CHAN[HOME], sid_a2))
        r = self.wait_posted('yes, at noon')
        self.assertEqual((r['kind'], r['token'], r['in_reply_to_tweet_id']),
                         ('reply', TOKENS[HOME], a2['id']))
        irc.expect(r'^:pat!\S+ PRIVMSG %s :%s yes, at noon'
                   % (re.escape(CHAN[HOME]), re.escape(TAGS[HOME])), WAIT, since=since)

        sid_b2, _ = self.post_line(WORK, self.from_(WORK, 'bob'), 'bob after sign-in', since=0)
        since = irc.mark()
        irc.send('PRIVMSG %s :rt %s' % (CHAN[WORK], sid_b2))
        rt = h.wait_until(lambda: self.posted(kind='retweet'), WAIT, what='the repost')[0]
        self.assertEqual((rt['token'], rt['retweeted_tweet_id']), (TOKENS[WORK], b2['id']))
        irc.expect(r'^:pat!\S+ PRIVMSG %s :%s reposted'
                   % (re.escape(CHAN[WORK]), re.escape(TAGS[WORK])), WAIT, since=since)

        # plain text there is never a reply
        n = len(x.posted())
        since = irc.mark()
        irc.send('PRIVMSG %s :what a day' % CHAN[HOME])
        irc.expect(r'^:twinbird-notice!\S+ PRIVMSG %s :\*\*\* .*is not sent'
                   % re.escape(CHAN[HOME]), WAIT, since=since)
        time.sleep(1.5)
        self.assertEqual(len(x.posted()), n)
        self.assertEqual(irc.find(r'Login error|Signing off'), [])


if __name__ == '__main__':
    h.main()
