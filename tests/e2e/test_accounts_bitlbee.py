#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 14 in real BitlBee over an IRC socket, with Pat's two accounts: which account you are
about to write as is in the nick, and public sends ask first.

With BitlBee's own per-account setting `account <tag> set nick_format %-@nick|<role>` (the
README's usage section), one person on both accounts is `alice|personal` and `alice|work`, and a
line typed to each goes out from that account. Mention channels name the role already. With
confirm_public=replies (the default) a reply typed in a mention channel asks through BitlBee's
request (root in &bitlbee, answered `no` or `yes`): no keeps it unsent as oN and posts nothing,
yes posts it from the channel's account. A too-long post is kept and `!thread oN` posts it as a
numbered thread. Notices come from someone who is clearly not the user: in a channel the
"twinbird-notice" member, in a query the account's own buddy."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
from twoaccounts import HOME, ROLES, TAGS, TOKENS, WAIT, WORK, TwoAccounts  # noqa: E402

# 146 CJK ideographs: weight 2 each in twitter-text v3, 292 in all.
CJK_292 = ''.join(chr(0x4E00 + (i * 7) % 500) for i in range(146))


class AccountsBitlBee(TwoAccounts, h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.add_pat(others=('alice', 'bob'))
        self.start_bitlbee()
        # set once online, so the own buddies keep the nicks twoaccounts expects; people seen
        # from now on get the account's role in their nick
        for handle in (HOME, WORK):
            self.set(handle, 'nick_format', '%%-@nick|%s' % ROLES[handle])

    def set(self, handle, key, value):
        self.irc.root('account %s set %s %s' % (self.acct[handle], key, value))
        self.irc.expect_root(r"%s = `%s'" % (key, re.escape(value)))

    def _add_to_bitlbee(self, handle, settings=()):
        tag = super()._add_to_bitlbee(handle, settings)
        if handle == HOME:  # the default, set back from the harness's off (read at sign-in)
            self.irc.root('account %s set confirm_public replies' % tag)
            self.irc.expect_root(r"confirm_public = `replies'")
        return tag

    # -- helpers --------------------------------------------------------------------------------

    def own_line(self, target, text, since):
        return self.irc.expect(r'^:pat!\S+ PRIVMSG %s :(.*%s.*)$'
                               % (re.escape(target), re.escape(text)), WAIT, since=since)

    def mention_channel(self, account, author, text):
        t = self.x.tweet(author, text)
        m = self.irc.expect(r'^:\S+!%s@%s PRIVMSG (#\S+) :\[[0-9a-f]{1,3}\] .*%s'
                            % (author, re.escape(self.acct[account]),
                               re.escape(text.split(' ', 1)[1])), WAIT, since=0)
        return t, m.group(1)

    # -- tests ----------------------------------------------------------------------------------

    def test_one_person_on_both_accounts_has_two_nicks_naming_them(self):
        irc = self.irc
        nick = {}
        for account in (HOME, WORK):
            self.x.dm('alice', account, 'hello %s' % ROLES[account])
            m = irc.expect(r'^:(\S+)!alice@%s PRIVMSG pat :hello %s$'
                           % (re.escape(self.acct[account]), ROLES[account]), WAIT, since=0)
            nick[account] = m.group(1)
        self.assertEqual(nick, {HOME: 'alice|personal', WORK: 'alice|work'})
        for account in (HOME, WORK):
            text = 'answer as %s' % ROLES[account]
            since = irc.mark()
            irc.send('PRIVMSG %s :%s' % (nick[account], text))
            p = self.wait_posted(text, kind='dm')
            self.assertEqual((p['token'], p['recipient']), (TOKENS[account], 'alice'))
            self.own_line(nick[account], TAGS[account] + ' ' + text, since)
        # the channels of mentions name the role already
        _, chan = self.mention_channel(WORK, 'bob', '@pat_at_acme got a minute?')
        self.assertTrue(chan.startswith('#work-'), chan)

    def test_a_reply_in_a_channel_asks_first_and_both_answers(self):
        irc = self.irc
        t, chan = self.mention_channel(HOME, 'bob', '@pat_home dinner tonight?')
        self.assertTrue(chan.startswith('#personal-'), chan)
        since = irc.mark()
        irc.send('PRIVMSG %s :sounds good' % chan)
        irc.expect(r'PRIVMSG &bitlbee :.*New request: .*Post publicly', WAIT, since=since)
        # what yes and no do is said in the question (BitlBee shows no buttons; it wraps lines)
        irc.expect(r'PRIVMSG &bitlbee :.*yes \(OK\) sends it as \[personal @pat_home\]', WAIT,
                   since=since)
        irc.expect(r'PRIVMSG &bitlbee :.*no \(Cancel\) keeps it unsent', WAIT, since=since)
        time.sleep(1)
        self.assertEqual(self.posted('sounds good'), [])
        since = irc.mark()
        irc.root('no')
        # the notice comes from a member who is clearly not the user
        irc.expect(r'^:twinbird-notice\S*!\S+ PRIVMSG %s :\*\*\* Not sent from @pat_home: you '
                   r'answered no' % re.escape(chan), WAIT, since=since)
        self.assertEqual(irc.find(r'^:pat!\S+ PRIVMSG %s :.*answered no' % re.escape(chan), since),
                         [], "a notice looked like the user's own line")
        time.sleep(1)
        self.assertEqual(self.posted('sounds good'), [], 'posted after no')

        since = irc.mark()
        irc.send('PRIVMSG %s :sounds great' % chan)
        irc.expect(r'PRIVMSG &bitlbee :.*New request: .*Post publicly', WAIT, since=since)
        irc.root('yes')
        p = self.wait_posted('sounds great', kind='reply')
        self.assertEqual((p['token'], p['in_reply_to_tweet_id']), (TOKENS[HOME], t['id']))
        self.own_line(chan, TAGS[HOME] + ' sounds great', since)

    def test_too_long_is_kept_and_posted_as_a_thread(self):
        irc = self.irc
        since = irc.mark()
        irc.send('PRIVMSG %s :%s' % (WORK, CJK_292))
        line = irc.expect(r'^:%s!\S+ PRIVMSG pat :(\*\*\* Not sent from @pat_at_acme.*)$'
                          % WORK, WAIT, since=since).group(1)
        oid = re.search(r'kept \((o\d+)\)', line).group(1)
        self.assertIn('too long for X: 292/280', line)
        time.sleep(1)
        self.assertEqual(self.posted(), [])
        irc.send('PRIVMSG %s :!thread %s' % (WORK, oid))
        parts = h.wait_until(lambda: len(self.posted()) >= 2 and self.posted(), WAIT,
                             what='the thread')
        self.assertEqual([p['token'] for p in parts], [TOKENS[WORK]] * 2)
        self.assertEqual(parts[1]['in_reply_to_tweet_id'], parts[0]['id'])


if __name__ == '__main__':
    h.main()
