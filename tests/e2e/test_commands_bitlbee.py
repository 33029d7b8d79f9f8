#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 5 items 1 and 4 in real BitlBee over an IRC socket, where commands can only be words
typed in a conversation (BitlBee never runs libpurple's /commands): one person's two accounts,
pat_home (personal) and pat_at_acme (work).

The commands typed to an account's own buddy (a query with pat_home) and in a mention thread's
channel act on X from that account, and what they say reaches the IRC user as a "*** ..."
notice from someone who is clearly not the user (help, whois, open, limits, refusals: in a query
the account's own buddy, in a channel "twinbird-notice"), or as a tagged line of their own
(posts, replies, reposts, deletes, DMs). Channel names are clean IRC names, and both accounts' channels and nicks
for the same people never clash."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
from twoaccounts import HOME, ROLES, TAGS, TOKENS, WAIT, WORK, TwoAccounts  # noqa: E402

COMMANDS = ('post', 'reply', 'dm', 'rt', 'unrt', 'delete', 'undo', 'whois', 'open', 'limits',
            'retry', 'help', 'schedule', 'scheduled', 'unschedule', 'now', 'stats')


class CommandsBitlBee(TwoAccounts, h.E2ETestCase):

    poll_check_interval = 1  # read the request log once a second, as wait_posted does

    def setUp(self):
        super().setUp()
        self.add_pat(others=('alice', 'bob', 'carol'))
        self.start_bitlbee()

    # -- helpers --------------------------------------------------------------------------------

    def posted(self, **match):
        return [p for p in self.x.posted() if all(p.get(k) == v for k, v in match.items())]

    def wait_posted(self, what, **match):
        return h.wait_until(lambda: self.posted(**match), WAIT, interval=1, what=what)[0]

    def last_seq(self):
        return max([p['seq'] for p in self.x.posted()] or [0])

    def nothing_sent_after(self, seq, what):
        time.sleep(1.5)
        late = [p for p in self.x.posted() if p['seq'] > seq]
        self.assertEqual(late, [], '%s, yet X got: %r' % (what, late))

    def say(self, target, text):
        since = self.irc.mark()
        self.irc.send('PRIVMSG %s :%s' % (target, text))
        return since

    def own_line(self, target, regex, since):
        """A line the IRC user sees as their own in target (BitlBee's self-message)."""
        return self.irc.expect(r'^:pat!\S+ PRIVMSG %s :(%s)$' % (re.escape(target), regex),
                               WAIT, since=since).group(1)

    def notice_rx(self, target, regex):
        """A notice about target, from someone who is clearly not the user (issue 14): in a
        channel the "twinbird-notice" member, in a query the account's own buddy."""
        if target.startswith('#'):
            return r'^:twinbird-notice!\S+ PRIVMSG %s :(%s)$' % (re.escape(target), regex)
        return r'^:%s!\S+ PRIVMSG pat :(%s)$' % (re.escape(target), regex)

    def notice_line(self, target, regex, since):
        return self.irc.expect(self.notice_rx(target, regex), WAIT, since=since).group(1)

    def notice(self, target, since, text):
        """A "*** ..." notice in target containing text; BitlBee wraps long lines, so what
        follows from the same sender is joined to it."""
        first = self.notice_line(target, r'\*\*\* .*', since)
        deadline = time.monotonic() + WAIT
        while True:
            rx = re.compile(self.notice_rx(target, '.*'))
            lines = [rx.match(l).group(1) for l in self.irc.lines[since:] if rx.match(l)]
            start = next(i for i, l in enumerate(lines) if l == first)
            joined = ' '.join([lines[start]] + [l for l in lines[start + 1:]
                                                if not l.startswith(('*** ', '['))])
            if text in joined or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertIn(text, joined)
        return joined

    def tagged(self, account, target, since, text):
        line = self.own_line(target, r'%s .*%s.*' % (re.escape(TAGS[account]), re.escape(text)),
                             since)
        return line

    def mention(self, account, author, text, in_reply_to=None):
        """Injects a post mentioning account; returns (tweet, channel, short id) as shown."""
        t = self.x.tweet(author, text, in_reply_to=in_reply_to)
        m = self.irc.expect(r'^:\S+!%s@%s PRIVMSG (#\S+) :\[([0-9a-f]{1,3})\] .*%s$'
                            % (author, re.escape(self.acct[account]),
                               re.escape(text.split(' ', 1)[1])), WAIT, since=0)
        return t, m.group(1), m.group(2)

    # -- tests ----------------------------------------------------------------------------------

    def test_commands_in_the_own_buddy_query(self):
        q = HOME  # the query with the account's own buddy
        since = self.say(q, 'help')
        hl = self.notice(q, since, 'help [command]')
        self.assertIn('Twinbird commands for @pat_home (personal)', hl)
        for name in COMMANDS:
            self.assertRegex(hl, r'· %s\b[^·]*: ' % name, 'help does not list %s' % name)
        since = self.say(q, 'help rt')
        self.assertEqual(self.notice_line(q, r'\*\*\* .*', since), '*** rt <id>: repost a post')

        since = self.say(q, 'post typed as a command on IRC')
        p = self.wait_posted('the post', raw_text='typed as a command on IRC')
        self.assertEqual((p['kind'], p['token']), ('tweet', TOKENS[HOME]))
        # own posts carry a short id after their link, as incoming ones do before their text
        self.assertRegex(self.tagged(HOME, q, since, 'typed as a command'),
                         r'^%s typed as a command on IRC · https://x\.com/pat_home/status/%s '
                         r'\[[0-9a-f]{1,3}\]$' % (re.escape(TAGS[HOME]), p['id']))

        bob, _, sid = self.mention(HOME, 'bob', '@pat_home did you see the memo?')
        since = self.say(q, 'reply %s yes, all good' % sid)
        r = self.wait_posted('the reply', raw_text='yes, all good')
        self.assertEqual((r['kind'], r['token'], r['in_reply_to_tweet_id']),
                         ('reply', TOKENS[HOME], bob['id']))
        self.tagged(HOME, q, since, 'yes, all good · https://x.com/pat_home/status/%s' % r['id'])

        since = self.say(q, '!rt %s' % sid)
        rt = self.wait_posted('the repost', kind='retweet')
        self.assertEqual((rt['token'], rt['retweeted_tweet_id']), (TOKENS[HOME], bob['id']))
        self.tagged(HOME, q, since, 'reposted https://x.com/i/status/%s' % bob['id'])
        since = self.say(q, 'unrt %s' % sid)
        self.assertEqual(self.wait_posted('unrepost', kind='unretweet')['token'], TOKENS[HOME])
        self.tagged(HOME, q, since, 'took back the repost of https://x.com/i/status/%s'
                    % bob['id'])

        since = self.say(q, 'dm alice see you at the memo meeting')
        dm = self.wait_posted('the DM', kind='dm')
        self.assertEqual((dm['token'], dm['recipient']), (TOKENS[HOME], 'alice'))
        self.tagged(HOME, q, since, 'see you at the memo meeting · DM %s' % dm['id'])

        since = self.say(q, 'whois bob')
        self.assertIn('https://x.com/bob', self.notice(q, since, '@bob (Bob Example)'))
        since = self.say(q, 'open %s' % sid)
        self.notice_line(q, re.escape('*** https://x.com/i/status/%s' % bob['id']), since)
        since = self.say(q, 'limits')
        lim = self.notice(q, since, '@pat_home (personal): about $')
        self.assertRegex(lim, r'POST /2/tweets: \d+/\d+ left')

        # delete an older post by its id; undo deletes the newest
        since = self.say(q, 'delete %s' % p['id'])
        d = self.wait_posted('the delete', kind='delete')
        self.assertEqual((d['id'], d['token']), (p['id'], TOKENS[HOME]))
        self.tagged(HOME, q, since, 'deleted https://x.com/i/status/%s' % p['id'])
        since = self.say(q, 'undo')
        h.wait_until(lambda: len(self.posted(kind='delete')) == 2, WAIT, interval=1,
                     what='the undo')
        self.assertEqual(self.posted(kind='delete')[1]['id'], r['id'])
        self.tagged(HOME, q, since, 'deleted https://x.com/i/status/%s' % r['id'])

        # refusals are shown too, and nothing goes out
        seq = self.last_seq()
        since = self.say(q, '!rtt %s' % sid)
        self.notice_line(q, re.escape('*** rtt is not a command; type help'), since)
        since = self.say(q, 'retry')
        self.notice_line(q, re.escape('*** retry: nothing unsent in this conversation'), since)
        self.nothing_sent_after(seq, 'refused commands')

        # in a DM with a person, a sentence starting with a command word is a DM
        since = self.say(WORK, 'post from work via irc')
        self.wait_posted('the work post', raw_text='from work via irc')
        self.x.dm('alice', WORK, 'is the post office open?')
        alice = self.irc.expect(r'^:(\S+)!alice@%s PRIVMSG pat :is the post office open\?$'
                                % re.escape(self.acct[WORK]), WAIT, since=0).group(1)
        since = self.say(alice, 'post office is shut')
        dm = self.wait_posted('the DM', kind='dm', text='post office is shut')
        self.assertEqual((dm['kind'], dm['token'], dm['recipient']),
                         ('dm', TOKENS[WORK], 'alice'))
        self.tagged(WORK, alice, since, 'post office is shut · DM')
        self.assertEqual([p for p in self.x.posted()
                          if p['kind'] != 'dm' and 'office is shut' in (p.get('text') or '')], [])

    def test_commands_in_thread_channels_clean_names_no_clash(self):
        irc = self.irc
        t = self.x.tweet('bob', '@pat_home @pat_at_acme retro at four?')
        joined = {}
        for a in (HOME, WORK):
            joined[a] = irc.expect(r'^:pat!\S+ JOIN :?(#%s-bob-%s)$'
                                   % (ROLES[a], t['id'][-4:]), WAIT, since=0).group(1)
        self.assertNotEqual(joined[HOME], joined[WORK])
        sids, nicks = {}, {}
        for a in (HOME, WORK):
            m = irc.expect(r'^:(\S+)!bob@%s PRIVMSG %s :\[([0-9a-f]{1,3})\] .*retro at four\?'
                           % (re.escape(self.acct[a]), re.escape(joined[a])), WAIT, since=0)
            nicks[a], sids[a] = m.group(1), m.group(2)
        self.assertNotEqual(nicks[HOME], nicks[WORK], 'bob on both accounts: one nick each')
        self.assertNotEqual(sids[HOME], sids[WORK])
        ch = joined[HOME]

        since = self.say(ch, 'help')
        hl = self.notice(ch, since, 'help [command]')
        self.assertIn('@pat_home (personal)', hl)
        for name in COMMANDS:
            self.assertRegex(hl, r'· %s\b[^·]*: ' % name, 'help does not list %s' % name)

        # carol answers in the thread; "bob: text" still answers bob's post
        self.x.tweet('carol', '@pat_home four works for me', in_reply_to=t['id'])
        irc.expect(r'PRIVMSG %s :\[[0-9a-f]+\] .*four works for me' % re.escape(ch), WAIT,
                   since=0)
        since = self.say(ch, 'bob: four it is')
        r = self.wait_posted('the reply to bob', raw_text='four it is')
        self.assertEqual((r['token'], r['in_reply_to_tweet_id']), (TOKENS[HOME], t['id']))
        self.tagged(HOME, ch, since, 'four it is · https://x.com/pat_home/status/%s' % r['id'])

        since = self.say(ch, 'rt %s' % sids[HOME])
        rt = self.wait_posted('the repost', kind='retweet')
        self.assertEqual((rt['token'], rt['retweeted_tweet_id']), (TOKENS[HOME], t['id']))
        self.tagged(HOME, ch, since, 'reposted https://x.com/i/status/%s' % t['id'])
        since = self.say(ch, '!open %s' % sids[HOME])
        self.notice_line(ch, re.escape('*** https://x.com/i/status/%s' % t['id']), since)

        # the work account's short id is refused in the personal channel, works in its own
        seq = self.last_seq()
        since = self.say(ch, 'reply %s not from here' % sids[WORK])
        self.notice(ch, since, '%s was shown to @pat_at_acme, not to @pat_home' % sids[WORK])
        self.nothing_sent_after(seq, "the work account's short id was typed in @pat_home's "
                                     "channel")
        since = self.say(joined[WORK], 'reply %s work agrees' % sids[WORK])
        r = self.wait_posted('the work reply', raw_text='work agrees')
        self.assertEqual((r['token'], r['in_reply_to_tweet_id']), (TOKENS[WORK], t['id']))
        self.tagged(WORK, joined[WORK], since, 'work agrees')

        # every channel and nick the IRC user saw is a clean IRC name, none shared by accounts
        chans = set(re.findall(r'JOIN :?(#\S+)', '\n'.join(irc.lines)))
        for c in chans:
            self.assertRegex(c, r'^#[A-Za-z0-9_-]+$')
        owners = {}
        for line in irc.lines:
            m = re.match(r'^:([^!\s]+)!(\S+)@(\S+) (?:JOIN|PRIVMSG)', line)
            if m and m.group(1) not in ('pat', 'root'):
                self.assertRegex(m.group(1), r'^[A-Za-z0-9_\-\[\]\\`^{}|]+$')
                owners.setdefault(m.group(1), set()).add((m.group(2), m.group(3)))
        clashes = {n: o for n, o in owners.items() if len(o) > 1}
        self.assertEqual(clashes, {}, 'one nick for two people or accounts')
        self.assertEqual({owners[HOME].pop()[1], owners[WORK].pop()[1]},
                         {self.acct[HOME], self.acct[WORK]})

    def test_own_repost_opens_no_channel(self):
        t, chan, sid = self.mention(HOME, 'bob', '@pat_home worth sharing, this one')
        since = self.say(chan, 'rt %s' % sid)
        rt = self.wait_posted('the repost', kind='retweet')
        self.tagged(HOME, chan, since, 'reposted https://x.com/i/status/%s' % t['id'])
        # X lists the repost in pat_home's mentions (its text names @pat_home): two more polls
        path = '/2/users/%s/mentions' % self.ids[HOME]
        h.wait_until(lambda: len([r for r in self.x.requests_to(path, token=TOKENS[HOME])
                                  if r['seq'] > rt['seq']]) >= 2, WAIT, interval=1,
                     what='two more mention polls')
        time.sleep(0.5)
        self.assertEqual(self.irc.find(r'^:pat!\S+ JOIN ', since), [],
                         "the account's own repost, listed in its mentions, joined the IRC user "
                         "to a new channel (empty: BitlBee drops a chat line from one's own "
                         "handle)")


if __name__ == '__main__':
    h.main()
