#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 3 item 9 in real BitlBee over an IRC socket: one person's two accounts, pat_home
(personal) and pat_at_acme (work), added with `account add twinbird ...` and polled every second.

The same person DMing both accounts gets two nicks whose host part names the account; a DM or a
post typed on IRC goes out with the right token and the IRC user sees a line naming the sending
account; a mention thread is a channel the IRC user is joined to, and text typed in it replies
from that channel's account; a tweet mentioning both accounts is two channels; a failed send is
shown on IRC, and `!retry` sends it once."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
from twoaccounts import HOME, ROLES, TAGS, TOKENS, WAIT, WORK, TwoAccounts  # noqa: E402


class IdentitiesBitlBee(TwoAccounts, h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.add_pat(others=('alice', 'bob', 'carol'))
        self.start_bitlbee()

    # -- helpers --------------------------------------------------------------------------------

    def posted(self, text=None, **match):
        """What X accepted (GET /posted), by the text as typed and other fields."""
        return [p for p in self.x.posted()
                if (text is None or p.get('raw_text', p.get('text')) == text)
                and all(p.get(k) == v for k, v in match.items())]

    def wait_posted(self, text, **match):
        return h.wait_until(lambda: self.posted(text, **match), WAIT,
                            what='X to accept %r' % text)[0]

    def dm_in(self, sender, account, text):
        """Inject a DM to account; return the nick it arrives from on IRC."""
        self.x.dm(sender, account, text)
        m = self.irc.expect(r'^:(\S+)!%s@%s PRIVMSG pat :%s$'
                            % (sender, re.escape(self.acct[account]), re.escape(text)),
                            WAIT, since=0)
        return m.group(1)

    def own_line(self, target, text, since):
        """A line the IRC user sees as their own in target (BitlBee's self-message)."""
        return self.irc.expect(r'^:pat!\S+ PRIVMSG %s :(.*%s.*)$'
                               % (re.escape(target), re.escape(text)), WAIT, since=since)

    def notice_from(self, account, text, since):
        """A notice in the query with account's own buddy, from that buddy."""
        return self.irc.expect(r'^:%s!\S+ PRIVMSG pat :(\*\*\* .*%s.*)$'
                               % (re.escape(account), re.escape(text)), WAIT, since=since).group(1)

    def count(self, text, since=0):
        return len(self.irc.find(re.escape(text), since))

    def joined(self, channel_re, since=0):
        return self.irc.expect(r'^:pat!\S+ JOIN :?(#%s)$' % channel_re, WAIT, since=since).group(1)

    # -- tests ----------------------------------------------------------------------------------

    def test_dms_on_both_accounts_two_nicks_and_the_tag(self):
        irc = self.irc
        nick = {HOME: self.dm_in('alice', HOME, 'hello personal pat')}
        nick[WORK] = self.dm_in('alice', WORK, 'hello work pat')
        # one person, two accounts: two nicks, whose host part names the account
        self.assertNotEqual(nick[HOME], nick[WORK])
        self.assertEqual({nick[HOME], nick[WORK]}, {'alice', 'alice_'})
        self.assertEqual(self.count('hello personal pat'), 1)
        self.assertEqual(self.count('hello work pat'), 1)

        # typed on IRC to each nick: out from that account, and a line names the account
        for account in (HOME, WORK):
            text = 'irc answer from %s' % ROLES[account]
            since = irc.mark()
            irc.send('PRIVMSG %s :%s' % (nick[account], text))
            p = self.wait_posted(text, kind='dm')
            self.assertEqual((p['token'], p['username'], p['recipient']),
                             (TOKENS[account], account, 'alice'))
            line = self.own_line(nick[account], text, since).group(1)
            self.assertTrue(line.startswith(TAGS[account] + ' '), line)
            self.assertIn('DM %s' % p['id'], line)
        time.sleep(2)  # more polls: our own DMs come back from X and must not show again
        for account in (HOME, WORK):
            text = 'irc answer from %s' % ROLES[account]
            self.assertEqual(self.count(text), 1, 'shown %d times: %r' % (
                self.count(text), irc.find(re.escape(text))))
            self.assertEqual(len(self.posted(text)), 1)

        # a DM Pat sent from X's own app: a line of Pat's, naming the account
        since = irc.mark()
        self.x.dm(HOME, 'alice', 'sent from my phone')
        line = self.own_line(nick[HOME], 'sent from my phone', since).group(1)
        self.assertTrue(line.startswith(TAGS[HOME] + ' '), line)

        # a post typed to the account's own buddy: posted with its token, tagged line back
        since = irc.mark()
        irc.send('PRIVMSG %s :a post typed on IRC' % HOME)
        p = self.wait_posted('a post typed on IRC')
        self.assertEqual((p['kind'], p['token']), ('tweet', TOKENS[HOME]))
        line = self.own_line(HOME, 'a post typed on IRC', since).group(1)
        self.assertRegex(line, r'^%s a post typed on IRC · https://x\.com/pat_home/status/%s '
                         r'\[[0-9a-f]{1,3}\]$' % (re.escape(TAGS[HOME]), p['id']))
        self.assertEqual(irc.find(r'Login error|Signing off'), [])

    def test_mention_thread_is_a_channel_and_replies_from_its_account(self):
        irc = self.irc
        t = self.x.tweet('bob', '@pat_at_acme can you review the draft?')
        chan = self.joined(r'work-bob-%s' % t['id'][-4:])
        m = irc.expect(r'^:(\S+)!bob@%s PRIVMSG %s :\[[0-9a-z]{2,3}\] .*can you review the '
                       r'draft\?' % (re.escape(self.acct[WORK]), re.escape(chan)), WAIT, since=0)
        self.assertTrue(m.group(1).startswith('bob'))
        self.assertEqual(irc.find(r'JOIN :?#personal-'), [], 'only the mentioned account')

        since = irc.mark()
        irc.send('PRIVMSG %s :on it, tonight' % chan)
        p = self.wait_posted('on it, tonight')
        self.assertEqual((p['kind'], p['token'], p['in_reply_to_tweet_id']),
                         ('reply', TOKENS[WORK], t['id']))
        line = self.own_line(chan, 'on it, tonight', since).group(1)
        self.assertRegex(line, r'^%s on it, tonight · https://x\.com/pat_at_acme/status/%s '
                         r'\[[0-9a-f]{1,3}\]$' % (re.escape(TAGS[WORK]), p['id']))

    def test_tweet_mentioning_both_accounts_is_two_channels(self):
        irc = self.irc
        t = self.x.tweet('bob', '@pat_home @pat_at_acme standup moved to ten')
        chan = {a: self.joined(r'%s-bob-%s' % (ROLES[a], t['id'][-4:])) for a in (HOME, WORK)}
        for a in (HOME, WORK):
            irc.expect(r'^:\S+!bob@%s PRIVMSG %s :\[\w+\] .*standup moved to ten'
                       % (re.escape(self.acct[a]), re.escape(chan[a])), WAIT, since=0)

        # typed in the personal channel: from pat_home, to bob's tweet
        since = irc.mark()
        irc.send('PRIVMSG %s :fine by me' % chan[HOME])
        ph = self.wait_posted('fine by me')
        self.assertEqual((ph['token'], ph['in_reply_to_tweet_id']), (TOKENS[HOME], t['id']))
        self.assertTrue(self.own_line(chan[HOME], 'fine by me', since).group(1)
                        .startswith(TAGS[HOME] + ' '))
        # X addresses that reply to pat_at_acme as well: it shows in the work channel
        irc.expect(r'^:\S+!pat_home@%s PRIVMSG %s :.*fine by me'
                   % (re.escape(self.acct[WORK]), re.escape(chan[WORK])), WAIT, since=since)

        # typed in the work channel: from pat_at_acme, to the newest post there
        since = irc.mark()
        irc.send('PRIVMSG %s :ten works' % chan[WORK])
        pw = self.wait_posted('ten works')
        self.assertEqual((pw['token'], pw['in_reply_to_tweet_id']), (TOKENS[WORK], ph['id']))
        self.assertTrue(self.own_line(chan[WORK], 'ten works', since).group(1)
                        .startswith(TAGS[WORK] + ' '))
        self.assertEqual(len(self.posted(kind='reply')), 2)

    def test_failed_send_is_shown_and_retry_sends_once(self):
        irc = self.irc
        alice = self.dm_in('alice', WORK, 'are you there?')
        self.x.fault('503', method='POST', path='/2/dm_conversations', token=TOKENS[WORK])
        since = irc.mark()
        irc.send('PRIVMSG %s :yes, at my desk' % alice)
        # a 503 may come after X acted: "not confirmed" first, then, X having no such DM, the
        # refusal with the way to send it again
        # notices come from the account's own buddy, naming the person (not as the user's line)
        doubt = self.notice_from(WORK, '[alice] NOT CONFIRMED yet from @pat_at_acme', since)
        self.assertIn('yes, at my desk', doubt)
        self.assertNotIn('retry', doubt)
        line = self.notice_from(WORK, '[alice] NOT SENT from @pat_at_acme', since)
        self.assertIn('yes, at my desk', line)
        self.assertIn('503', line)
        self.assertEqual(self.posted('yes, at my desk'), [])
        retry = re.search(r'type "([^"]*\bo\d+)"', line)
        self.assertIsNotNone(retry, 'the error names no way to retry: %r' % line)

        since = irc.mark()
        irc.send('PRIVMSG %s :%s' % (alice, retry.group(1)))
        h.wait_until(lambda: self.posted('yes, at my desk') or self.posted(retry.group(1)), WAIT)
        self.assertEqual(self.posted(retry.group(1)), [],
                         'typing %r, as the error told, sent those words' % retry.group(1))
        p = self.posted('yes, at my desk')[0]
        self.assertEqual((p['token'], p['recipient']), (TOKENS[WORK], 'alice'))
        line = self.own_line(alice, 'yes, at my desk · DM', since).group(1)
        self.assertTrue(line.startswith(TAGS[WORK] + ' '), line)
        time.sleep(2)
        self.assertEqual(len(self.posted('yes, at my desk')), 1)


if __name__ == '__main__':
    h.main()
