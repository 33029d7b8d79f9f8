#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 14 in real Finch under tmux, typed with send-keys and read off the screen with
capture-pane: know which account you are about to speak as, before you send; lose nothing typed.

Pat's two accounts, pat_home (personal) and pat_at_acme (work, confirm_public=all). Sam DMs both:
two conversations whose window titles name the account, each starting with "You are writing as
[...]"; a reply typed in each goes out from that account. A post too long for X typed in
@pat_home's own conversation is refused and kept as oN with what can be done, and "/thread oN"
posts it as a numbered thread. On the work account a post waits for Finch's OK/Cancel dialog,
answered with Tab and Enter: Cancel keeps it unsent with its id, OK posts it once, tagged, and
"/delete" takes the short id its line ends with. Get Info on Sam (the conversation's
Conversation menu, F10 g) shows one row per field."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
from finchconv import FinchConversation  # noqa: E402
from twoaccounts import HOME, TAGS, TOKENS, WAIT, WORK  # noqa: E402

# Finch's conversation title: "<who> (<account> -- <protocol>)"
SAM_HOME = r'^Sam Example \(pat_home -- X \(Twinbird\)\)$'
SAM_WORK = r'^Sam Example \(pat_at_acme -- X \(Twinbird\)\)$'
OWN_HOME = r'^@pat_home \(personal\) \(pat_home -- X \(Twinbird\)\)$'
OWN_WORK = r'^@pat_at_acme \(work\) \(pat_at_acme -- X \(Twinbird\)\)$'
# 294 characters of plain words: over X's 280, two parts as a thread
LONG = 'Long post typed in Finch: ' + ' '.join('w%02d' % i for i in range(66)) + ' end.'
STAMP = r'\(\d\d:\d\d:\d\d\) '


class FinchAccount(FinchConversation, h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.start_pat_in_finch(confirm_public='all')
        self.x.add_user('sam', 'Sam Example', token='tok-sam')
        self.finch.wait_screen(r'@pat_at_acme \(work\)', 20)
        self.finch.wait_screen(r'@pat_home \(personal\)', 5)

    # -- helpers --------------------------------------------------------------------------------

    def conversation_shows(self, regex, what, timeout=WAIT):
        """regex in the text of the conversation on top (the left box)."""
        rx = re.compile(regex)
        try:
            return h.wait_until(lambda: rx.search(self.conversation_text()), timeout,
                                interval=0.2, what=what)
        except TimeoutError as e:
            raise AssertionError('%s\nscreen:\n%s' % (e, self.finch.screen()))

    def posted(self, **match):
        return [p for p in self.x.posted() if all(p.get(k) == v for k, v in match.items())]

    def wait_posted(self, what, n=1, **match):
        return h.wait_until(lambda: len(self.posted(**match)) >= n and self.posted(**match),
                            WAIT, interval=0.2, what=what)

    def question(self):
        """Finch's dialog for the plugin's OK/Cancel question; returns its screen."""
        self.wait_focus(r'^Post publicly\?$', WAIT)
        screen = self.finch.screen()
        self.assertIn('This goes out publicly from @pat_at_acme. yes (OK) sends it as %s'
                      % TAGS[WORK], re.sub(r'\s*│\s*', ' ', screen))
        self.assertEqual(self.focused_button(), 'Cancel', 'Enter on a stray line never posts')
        return screen

    def own_conversation(self, row, title):
        self.open_from_buddy_list(row)
        self.wait_focus(title)

    # -- tests ----------------------------------------------------------------------------------

    def test_one_person_on_both_accounts_and_get_info(self):
        self.x.follow('dana', 'sam')
        self.x.follow('sam', HOME)
        self.x.dm('sam', HOME, 'hello home, from sam')
        self.x.dm('sam', WORK, 'hello work, from sam')
        # two conversations; each window's title names the account it speaks from
        self.finch.wait_screen(r'Sam Example \(pat_home -- X \(Twinbird\)\)', WAIT)
        self.finch.wait_screen(r'Sam Example \(pat_at_acme -- X \(Twinbird\)\)', WAIT)
        for title, account, text in ((SAM_HOME, HOME, 'hello home, from sam'),
                                     (SAM_WORK, WORK, 'hello work, from sam')):
            self.focus_window(title)
            self.conversation_shows(re.escape('Sam Example: ' + text), 'the DM to @' + account)
            conv = self.conversation_text().strip()
            self.assertRegex(conv, '^' + STAMP + re.escape(
                'You are writing as %s: a direct message to this person.' % TAGS[account]))
            other = TAGS[WORK if account == HOME else HOME]
            self.assertNotIn(other, conv, 'the other account named in this conversation')
        self.finch.save_screen('finch-account-two-conversations.txt')

        # a reply typed in each goes out from that conversation's account, to sam
        for title, account in ((SAM_WORK, WORK), (SAM_HOME, HOME)):
            text = 'reply typed as %s' % account
            self.type_in(title, text)
            self.conversation_shows(re.escape('%s %s · DM ' % (TAGS[account], text)),
                                    'the tagged DM echo')
            [dm] = self.wait_posted('the DM %r on X' % text, kind='dm', text=text)
            self.assertEqual((dm['kind'], dm['token'], dm['recipient']),
                             ('dm', TOKENS[account], 'sam'))
        self.assertEqual(len(self.posted()), 2, self.x.posted())

        # Get Info from the conversation's menu (F10, then its "Get Info (g)" item)
        self.focus_window(SAM_HOME)
        self.finch.keys('F10')
        self.finch.wait_screen(r'Get Info +\(g\)', 5)
        self.finch.keys('g')
        self.wait_focus(r'^Buddy Information$', WAIT)
        screen = self.finch.wait_screen(r'Profile: https://x\.com/sam', WAIT).string
        self.finch.save_screen('finch-account-get-info.txt')
        rows = {}
        for line in screen.splitlines():
            m = re.match(r'^│([A-Z][A-Za-z ]+): (\S.*?) *│', line)
            if m:
                rows[m.group(1)] = m.group(2)
        self.assertEqual(rows.get('Handle'), '@sam', rows)
        self.assertEqual(rows.get('Name'), 'Sam Example', rows)
        self.assertEqual(rows.get('Followers'), '1', rows)  # dana
        self.assertEqual(rows.get('Following'), '1', rows)  # pat_home
        self.assertEqual(rows.get('Follows you'), 'yes', rows)
        for label in ('Posts', 'Joined X', 'Takes your DMs'):
            self.assertIn(label, rows)
        self.finch.keys('Enter')  # its OK button
        self.wait_focus(SAM_HOME)

    def test_too_long_is_kept_and_posted_as_a_thread(self):
        self.own_conversation(r'◯ @pat_home \(personal\)', OWN_HOME)
        self.conversation_shows('^ *' + STAMP + re.escape(
            'You are writing as %s: what you type here is posted publicly.' % TAGS[HOME]),
            'the first line of the own conversation')
        self.type_in(OWN_HOME, LONG)
        m = self.conversation_shows(
            r'Not sent from @pat_home: too long for X: %d/280 characters .*' % len(LONG) +
            r'Your text is kept \((o\d+)\)', 'the refusal')
        oid = m.group(1)
        text = self.conversation_text()
        for hint in ('"!thread %s"' % oid, '"!drop %s"' % oid):
            self.assertIn(hint, text)
        self.assertIn(LONG, text, 'the text itself is shown, to copy')
        self.assertEqual(self.posted(), [], 'a refused text reached X')

        self.type_in(OWN_HOME, '/thread %s' % oid)
        parts = self.wait_posted('the thread on X', n=2)
        self.finch.save_screen('finch-account-thread.txt')
        self.assertEqual(len(parts), 2, parts)
        self.assertEqual([p['token'] for p in parts], [TOKENS[HOME]] * 2)
        self.assertEqual([p['kind'] for p in parts], ['tweet', 'reply'])
        self.assertEqual(parts[1]['in_reply_to_tweet_id'], parts[0]['id'])
        self.assertTrue(parts[0]['raw_text'].endswith('(1/2)'), parts[0])
        self.assertTrue(parts[1]['raw_text'].endswith('(2/2)'), parts[1])
        words = ' '.join(re.sub(r'\s*\(\d/2\)$', '', p['raw_text']) for p in parts).split()
        self.assertEqual(words, LONG.split(), 'the thread is the text as typed, in order')
        for p in parts:
            self.conversation_shows(re.escape(TAGS[HOME]) + r' .*status/%s' % p['id'],
                                    'the tagged line of part %s' % p['id'])

    def test_public_post_waits_for_the_dialog_and_short_id_deletes(self):
        self.own_conversation(r'◯ @pat_at_acme \(work\)', OWN_WORK)

        # Cancel (the default button, Enter): nothing reaches X, the text is kept with an id
        self.type_in(OWN_WORK, 'cancelled in the dialog')
        self.question()
        time.sleep(1.5)  # a post not asked about is on X in well under this
        self.assertEqual(self.posted(), [], 'posted before the question was answered')
        self.finch.keys('Enter')
        self.wait_focus(OWN_WORK)
        m = self.conversation_shows(r'Not sent from @pat_at_acme: you answered no \(Cancel\)\. '
                                    r'Your text is kept \((o\d+)\).*Text: cancelled in the dialog',
                                    'the kept text')
        oid = m.group(1)
        self.assertIn('"!retry %s"' % oid, self.conversation_text())

        # OK (Tab moves to it, Enter presses it): on X once, tagged
        self.type_in(OWN_WORK, 'confirmed in the dialog')
        self.question()
        self.assertEqual(self.posted(), [])
        self.finch.keys('Tab')
        h.wait_until(lambda: self.focused_button() == 'OK', 3, interval=0.1,
                     what='the focus on OK')
        self.finch.keys('Enter')
        [p] = self.wait_posted('the confirmed post on X')
        self.assertEqual((p['kind'], p['token'], p['raw_text']),
                         ('tweet', TOKENS[WORK], 'confirmed in the dialog'))
        self.wait_focus(OWN_WORK)
        m = self.conversation_shows(re.escape('%s confirmed in the dialog · '
                                              'https://x.com/pat_at_acme/status/%s'
                                              % (TAGS[WORK], p['id'])) +
                                    r' \[([0-9a-f]{1,3})\]', 'the tagged line with a short id')
        short = m.group(1)

        # the short id at the end of the line is what /delete takes
        self.type_in(OWN_WORK, '/delete %s' % short)
        [d] = self.wait_posted('the delete on X', kind='delete')
        self.assertEqual((d['id'], d['token']), (p['id'], TOKENS[WORK]))
        self.conversation_shows(re.escape('%s deleted https://x.com/i/status/%s'
                                          % (TAGS[WORK], p['id'])), 'the deleted line')
        self.finch.save_screen('finch-account-confirm.txt')
        tweets = self.posted(kind='tweet')
        self.assertEqual([t['raw_text'] for t in tweets], ['confirmed in the dialog'],
                         'the cancelled text went out, or the confirmed one twice')


if __name__ == '__main__':
    h.main()
