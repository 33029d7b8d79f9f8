#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 13's questions in real BitlBee over an IRC socket: BitlBee shows a
purple_request_action() from root and offers only the captions with OK/Accept and
Cancel/Reject, answered by `yes` and `no` in &bitlbee.

The work account @pat_at_acme with work hours three hours from now and off_hours=ask: a post
typed to its own buddy asks; yes sends it, no holds it (a "*** HELD" line in the query). The
guard: the same words from the work account soon after the personal one asks; yes sends, no
keeps it unsent. The work buddy shows away outside its hours (WHOIS). Work hours are set with
`account set`, in real time, never faked in the plugin."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
from twoaccounts import HOME, TOKENS, WAIT, WORK, TwoAccounts  # noqa: E402


def hhmm(t):
    return time.strftime('%H:%M', time.gmtime(t))


class WorktimeBitlBee(TwoAccounts, h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.add_pat()
        self.start_bitlbee()
        later = (int(time.time()) // 60 + 1) * 60 + 3 * 3600
        self.later = hhmm(later)
        irc, tag = self.irc, self.acct[WORK]
        irc.root('account %s off' % tag)
        irc.expect_root(r'%s - Signing off' % re.escape(tag), WAIT)
        for key, value in (('work_hours', 'daily %s-%s' % (hhmm(later), hhmm(later + 3600))),
                           ('time_zone', 'UTC'), ('off_hours', 'ask'), ('guard', 'on')):
            irc.root('account %s set %s "%s"' % (tag, key, value))
            irc.expect_root(r"%s = `%s'" % (key, re.escape(value)))
        since = irc.mark()
        irc.root('account %s on' % tag)
        irc.expect_root(r'%s - Logging in: Logged in' % re.escape(tag), 20, since=since)
        self.first_polls(WORK)

    def posted(self, **match):
        return [p for p in self.x.posted() if all(p.get(k) == v for k, v in match.items())]

    def wait_posted(self, what, **match):
        return h.wait_until(lambda: self.posted(**match), WAIT, interval=0.5, what=what)[0]

    def say(self, target, text):
        since = self.irc.mark()
        self.irc.send('PRIVMSG %s :%s' % (target, text))
        return since

    def question(self, since, *parts):
        """The request from root, its lines joined; checks yes/no are offered."""
        self.irc.expect_root(r'New request', WAIT, since=since)
        self.irc.expect_root(r'to accept/reject this request', WAIT, since=since)
        rx = re.compile(r'^:root!\S+ PRIVMSG &bitlbee :(.*)$')
        text = ' '.join(rx.match(l).group(1) for l in self.irc.lines[since:] if rx.match(l))
        for part in parts:
            self.assertIn(part, text)
        return text

    def notice(self, account, regex, since):
        """A notice in the query with account's own buddy, from that buddy (issue 14: never a
        line of the user's)."""
        return self.irc.expect(r'^:%s!\S+ PRIVMSG pat :(%s)' % (re.escape(account), regex),
                               WAIT, since=since).group(1)

    def own(self, target, regex, since):
        return self.irc.expect(r'^:pat!\S+ PRIVMSG %s :(%s)' % (re.escape(target), regex),
                               WAIT, since=since).group(1)

    def test_off_hours_ask_yes_and_no_and_away(self):
        irc = self.irc
        since = irc.mark()
        irc.send('WHOIS %s' % WORK)
        irc.expect(r' 301 pat %s :.*Outside work hours.*back at .*%s' % (WORK, self.later), WAIT,
                   since=since)

        since = self.say(WORK, 'announcing the new office')
        self.question(since, 'Send now from @pat_at_acme?', 'outside the work hours')
        self.assertEqual(self.posted(raw_text='announcing the new office'), [])
        irc.root('yes')
        p = self.wait_posted('the post answered yes', raw_text='announcing the new office')
        self.assertEqual(p['token'], TOKENS[WORK])

        since = self.say(WORK, 'this can wait for work')
        self.question(since, 'Send now from @pat_at_acme?')
        irc.root('no')
        line = self.notice(WORK, r'\*\*\* HELD \(o\d+\).*', since)
        self.assertIn(self.later, line)
        time.sleep(1.5)
        self.assertEqual(self.posted(raw_text='this can wait for work'), [])

    def test_guard_yes_and_no(self):
        irc = self.irc
        self.say(HOME, 'Our team won the award')
        self.wait_posted('the personal post', raw_text='Our team won the award')
        # off_hours=ask would ask too: answer the guard, then the work hours question
        since = self.say(WORK, 'our team WON the award')
        self.question(since, 'a post from @pat_at_acme (work)', '@pat_home sent the same text')
        since = irc.mark()
        irc.root('yes')
        self.question(since, 'Send now from @pat_at_acme?')
        irc.root('yes')
        p = self.wait_posted('the work post answered yes', token=TOKENS[WORK])
        self.assertEqual(p['raw_text'], 'our team WON the award')

        self.say(HOME, 'weekend plans')
        self.wait_posted('the second personal post', raw_text='weekend plans')
        since = self.say(WORK, 'Weekend  plans')
        self.question(since, '@pat_home sent the same text')
        irc.root('no')
        self.notice(WORK, r'\*\*\* NOT SENT.*kept by the guard.*', since)
        time.sleep(1.5)
        self.assertEqual(self.posted(raw_text='Weekend  plans'), [])


if __name__ == '__main__':
    h.main()
