#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 6 items 2 and 4 in real BitlBee over an IRC socket (the plugin renders for IRC there):
one account, pat_home, added with `account add twinbird ...` and polled every second.

A post over 280 weighted characters typed on IRC is refused with the count, and with
long_posts=thread it goes out as a numbered thread with a tagged line for each part. Text and a
display name from a stranger carrying HTML, X's entities, CTCP, colours, CR LF and a
right-to-left override reach the IRC client as one legible PRIVMSG each, with no control
character in any line, no injected IRC line, `<Q&A>` literally, and a realname without the
override; what the IRC user types with < & > reaches X as typed."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402

HOME = 'pat_home'
TOKEN = 'tok-pat-home'
TAG = '[personal @pat_home]'
WAIT = 10  # seconds for anything a 1-second poll should bring

CJK_292 = ''.join(chr(0x4E00 + (i * 7) % 500) for i in range(146))  # weight 2 each: 292

SCRIPT = '<script>alert(1)</script>'
JS_LINK = '<a href="javascript:alert(1)">x</a>'
QA = '<Q&A>'
CTCP = '\x01ACTION x\x01'
COLOUR = '\x034,12red'
CRLF_LINE = '\r\nPRIVMSG #x :pwned'
FAKE_PREFIXED = '\r\n:root!root@localhost PRIVMSG &bitlbee :pwned2'
RLO = '\u202e'
EVIL_NAME = 'Eve %s %s %s%sevil%s' % (SCRIPT, CTCP, RLO, COLOUR, CRLF_LINE)

# In what the IRC client receives: CTCP, colour, bold, underline, reverse, italics, reset, bare
# CR, and bidi embeddings/overrides/isolates have no business in any line.
ACTING = re.compile('[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]')
IRC_LINE = re.compile(r'^(:\S+ )?([A-Za-z]+|\d{3})( |$)')


class TextBitlBee(h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        h.raise_dm_limit(self.x)
        self.me = self.x.add_user(HOME, 'Pat', token=TOKEN)
        self.x.add_user('alice', 'Alice Example')
        self.bb = self.bitlbee()
        self.irc = self.bb.connect('pat').register()
        irc = self.irc
        irc.root('account add twinbird %s %s' % (HOME, TOKEN))
        self.acct = irc.expect_root(r'Account successfully added with tag (\S+)').group(1)
        self.set('api_base', self.x.api_base)
        for key, value in (('auth', 'bearer'), ('role', 'personal'), ('dm_interval', '1'),
                           ('mention_interval', '1'), ('confirm_public', 'off')):
            self.set(key, value)
        irc.root('account %s on' % self.acct)
        irc.expect_root(r'%s - Logging in: Logged in' % re.escape(self.acct), 20)
        h.wait_first_polls(self.x, self.me['id'], TOKEN, WAIT)

    def set(self, key, value):
        self.irc.root('account %s set %s %s' % (self.acct, key, value))
        self.irc.expect_root(r"%s = `%s'" % (key, re.escape(value)))

    def posts(self):
        return [p for p in self.x.posted() if p['kind'] != 'dm']

    def own_line(self, target, text, since):
        """A line the IRC user sees as their own in target (BitlBee's self-message)."""
        return self.irc.expect(r'^:pat!\S+ PRIVMSG %s :(.*%s.*)$'
                               % (re.escape(target), re.escape(text)), WAIT, since=since)

    def assert_clean_irc(self):
        """Every line received so far is one well-formed IRC line without acting characters,
        and the fake lines in the strangers' text never became lines of their own."""
        for line in self.irc.lines:
            self.assertRegex(line, IRC_LINE, 'not an IRC line (injected?): %r' % line)
            self.assertIsNone(ACTING.search(line.replace('\x02', '')),
                              'an acting character reached the IRC client: %r' % line)
            if 'pwned' in line:
                self.assertRegex(line, r'^:\S+ (PRIVMSG \S+|311 pat eve \S+ \S+ \*) :.*'
                                 r'(hi |Eve |evil).*pwned',
                                 'the fake IRC line is not inside the stranger\'s text: %r'
                                 % line)

    # -- tests ----------------------------------------------------------------------------------

    def test_too_long_refused_with_the_count_then_threaded(self):
        irc = self.irc
        since = irc.mark()
        irc.send('PRIVMSG %s :%s' % (HOME, CJK_292))
        # from the account's own buddy: a notice, not a line of the user's (issue 14)
        line = self.irc.expect(r'^:%s!\S+ PRIVMSG pat :(\*\*\* Not sent from @pat_home.*)$' % HOME,
                               WAIT, since=since).group(1)
        self.assertIn('too long for X: 292/280 characters', line)
        time.sleep(1.5)
        self.assertEqual(self.x.requests_to('/2/tweets', method='POST'), [])

        # the option can only change while the account is off
        irc.root('account %s off' % self.acct)
        irc.expect(r'^:pat_home!\S+ QUIT ', WAIT)
        self.set('long_posts', 'thread')
        irc.root('account %s on' % self.acct)
        irc.expect_root(r'%s - Logging in: Logged in' % re.escape(self.acct), 20)
        since = irc.mark()
        irc.send('PRIVMSG %s :%s' % (HOME, CJK_292))
        h.wait_until(lambda: len(self.posts()) >= 2, WAIT, what='the thread on X')
        time.sleep(1.5)
        posts = self.posts()
        self.assertEqual([p['raw_text'][-6:] for p in posts], [' (1/2)', ' (2/2)'])
        self.assertEqual(''.join(p['raw_text'][:-6] for p in posts), CJK_292)
        self.assertEqual(posts[1]['in_reply_to_tweet_id'], posts[0]['id'])
        self.assertEqual({p['token'] for p in posts}, {TOKEN})
        # BitlBee wraps a long line at spaces into several PRIVMSGs: read them as one
        self.own_line(HOME, 'https://x.com/pat_home/status/%s' % posts[1]['id'], since)
        said = ' '.join(re.match(r'^:pat!\S+ PRIVMSG %s :(.*)$' % HOME, l).group(1)
                        for l in irc.find(r'^:pat!\S+ PRIVMSG %s :' % HOME, since))
        for p in posts:
            self.assertIn('%s %s · https://x.com/pat_home/status/%s'
                          % (TAG, p['raw_text'], p['id']), said)
        self.assert_clean_irc()

    def test_injection_in_dm_mention_and_name_reaches_irc_harmless(self):
        irc = self.irc
        self.x.add_user('eve', EVIL_NAME)
        body = ('hi %s %s %s &lt;b&gt;bold?&lt;/b&gt; &amp;lt;i&amp;gt; %s %s end'
                % (SCRIPT, JS_LINK, QA, CTCP, COLOUR)) + CRLF_LINE + FAKE_PREFIXED
        self.x.dm('eve', HOME, 'DM ' + body)
        t = self.x.tweet('eve', '@pat_home MENTION ' + body)
        dm = irc.expect(r'^:(\S+)!eve@%s PRIVMSG pat :(DM hi .*)$' % re.escape(self.acct),
                        WAIT, since=0)
        chan = irc.expect(r'^:pat!\S+ JOIN :?(#personal-eve-%s)$' % t['id'][-4:], WAIT,
                          since=0).group(1)
        mention = irc.expect(r'^:(\S+)!eve@%s PRIVMSG %s :(\[\w+\] @pat_home MENTION hi .*)$'
                             % (re.escape(self.acct), re.escape(chan)), WAIT, since=0)
        self.assertEqual(dm.group(1), 'eve', 'the nick comes from the username')
        # A post's text comes from X with & < > as entities (xsim does the same) and is decoded
        # once, so it reads exactly as typed; a DM comes as written and is decoded once too.
        typed = {dm: ('<b>bold?</b>', '&lt;i&gt;'),
                 mention: ('&lt;b&gt;bold?&lt;/b&gt;', '&amp;lt;i&amp;gt;')}
        for m in (dm, mention):
            text = m.group(2)
            # BitlBee strips HTML from what the plugin writes: everything arrives literally
            for part in (SCRIPT, JS_LINK, QA, *typed[m], 'ACTION x', 'red', 'end'):
                self.assertIn(part, text, 'not legible on IRC')
            # one line: the CR LF is shown, the fake lines are part of the text
            self.assertRegex(text, r'end \u23ce PRIVMSG #x :pwned \u23ce :root!root@localhost '
                             r'PRIVMSG &bitlbee :pwned2$')
        self.assertEqual(len(irc.find(r'pwned2')), 2, irc.find(r'pwned'))

        # the display name: WHOIS shows it as the realname, legible, without the override
        since = irc.mark()
        irc.send('WHOIS eve')
        realname = irc.expect(r'^:\S+ 311 pat eve \S+ \S+ \* :(.*)$', WAIT,
                              since=since).group(1)
        for part in ('Eve', SCRIPT, 'ACTION x', 'evil', 'PRIVMSG #x :pwned'):
            self.assertIn(part, realname)
        irc.expect(r' 318 pat eve ', WAIT, since=since)
        # the channel's topic (BitlBee keeps its own: the thread's title never reaches IRC)
        since = irc.mark()
        irc.send('TOPIC %s' % chan)
        irc.expect(r'^:\S+ (332|331) pat %s ' % re.escape(chan), WAIT, since=since)
        self.assert_clean_irc()

    def test_what_the_irc_user_types_reaches_x_as_typed(self):
        irc = self.irc
        self.x.dm('alice', HOME, 'ready?')
        irc.expect(r'^:alice!alice@\S+ PRIVMSG pat :ready\?$', WAIT, since=0)
        typed = '%s & <b>not bold</b> &amp; 1 < 2' % QA
        since = irc.mark()
        irc.send('PRIVMSG alice :%s' % typed)
        p = h.wait_until(lambda: [d for d in self.x.posted() if d['kind'] == 'dm'], WAIT,
                         what='the DM on X')[0]
        self.assertEqual(p.get('raw_text', p['text']), typed, 'BitlBee\'s escaping reached X')
        line = self.own_line('alice', typed, since)
        self.assertIn(typed, line.group(1), 'the echo is not what was typed')
        self.assertTrue(line.group(1).startswith(TAG + ' '), line.group(1))
        self.assert_clean_irc()


if __name__ == '__main__':
    h.main()
