#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 14 items 1 (the headless part), 2, 3 and own short ids, in the headless libpurple host (tb-host) against the
simulated X API, with Pat's two accounts.

Nothing typed is lost: a post refused as too long is kept in the outbox with its id and shown
with what can be done; `!thread oN` posts it as a numbered thread, `!drop oN` forgets it, and a
`!retry oN` with long_posts still refuse refuses it again without sending. confirm_public (default
replies) asks with an OK/Cancel question before a reply typed in a mention thread and before
`rt`, never before a post typed to the own buddy; Cancel keeps the reply unsent (retry sends it)
and reposts nothing, OK sends. Terminal key codes and a lone command word are asked about even
with confirm_public off. Every new conversation's first line says which account (its tag)
speaks there and whether typing posts, replies or DMs. Own posts carry a short id in their tagged line, and `delete` takes it."""

import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
from tbharness import contains, has  # noqa: E402
from twoaccounts import HOME, TAGS, TOKENS, WAIT, WORK, TwoAccounts  # noqa: E402

# 146 CJK ideographs: weight 2 each in twitter-text v3, 292 in all.
CJK_292 = ''.join(chr(0x4E00 + (i * 7) % 500) for i in range(146))


class ConfirmHost(TwoAccounts, h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.add_pat(others=('alice', 'bob'))

    # -- helpers --------------------------------------------------------------------------------

    def last_seq(self):
        return max([p['seq'] for p in self.x.posted()] or [0])

    def nothing_sent_after(self, seq, what):
        time.sleep(1.5)  # anything under way would have reached X by now
        late = [p for p in self.x.posted() if p['seq'] > seq]
        self.assertEqual(late, [], '%s, yet X got: %r' % (what, late))

    def line(self, account, conv, since, *parts, sent=False):
        """A line in that conversation: the tagged echo (sent) or a notice, never both."""
        e = self.host.wait_for({'event': 'write-conv', 'account': account, 'conv': conv,
                                'plain': contains(*parts)}, WAIT, since=since,
                               what='%r on @%s in %s' % (parts, account, conv))
        self.assertEqual('send' in e['flags'], sent, e)
        return e['plain']

    def question(self, since, *parts):
        q = self.host.wait_for({'event': 'request-action', 'primary': contains(*parts)}, WAIT,
                               since=since, what='the question %r' % (parts,))
        self.assertEqual(q['actions'], ['OK', 'Cancel'], 'BitlBee answers only OK/Cancel')
        self.assertEqual(q['default'], 1, 'Enter must not post')
        return q

    def answer(self, q, ok):
        self.host.send('request-action-answer', id=q['id'], index=0 if ok else 1)

    def mention(self, account, author, text):
        self.x.tweet(author, text)
        e = self.host.wait_for({'event': 'received-chat', 'account': account,
                                'plain': contains(text.split(' ', 1)[1])}, WAIT,
                               what='mention %r on @%s' % (text, account))
        return e['conv'], re.match(r'^\[([0-9a-f]{1,3})\] ', e['plain']).group(1)

    # -- tests ----------------------------------------------------------------------------------

    def test_too_long_is_kept_then_threaded_or_dropped(self):
        self.host = self.start_host()
        since = self.im(HOME, HOME, CJK_292)
        msg = self.line(HOME, HOME, since, 'Not sent from @pat_home',
                        'too long for X: 292/280 characters', 'Your text is kept (o')
        oid = re.search(r'kept \((o\d+)\)', msg).group(1)
        self.assertIn('"!thread %s"' % oid, msg)
        self.assertIn('"!drop %s"' % oid, msg)
        self.assertIn(CJK_292, msg, 'the text itself is shown, to copy')
        time.sleep(1)
        self.assertEqual(self.posted(), [], 'a refused text reached X')

        # long_posts is still refuse: a retry refuses again, sends nothing
        since = self.im(HOME, HOME, '!retry %s' % oid)
        self.line(HOME, HOME, since, 'Not sent from @pat_home', 'Your text is kept (%s)' % oid)
        self.nothing_sent_after(0, 'a retry of a text still too long')

        # thread posts it now, as a numbered thread from the right account
        since = self.im(HOME, HOME, '!thread %s' % oid)
        parts = h.wait_until(lambda: len(self.posted()) >= 2 and self.posted(), WAIT,
                             interval=0.5, what='the thread')
        self.assertEqual(len(parts), 2, parts)
        self.assertEqual([p['token'] for p in parts], [TOKENS[HOME]] * 2)
        self.assertEqual((parts[0]['kind'], parts[1]['kind']), ('tweet', 'reply'))
        self.assertEqual(parts[1]['in_reply_to_tweet_id'], parts[0]['id'])
        for p in parts:
            self.assertTrue(p['raw_text'].endswith('/2)'), p)
            self.line(HOME, HOME, since, TAGS[HOME], 'status/%s' % p['id'], sent=True)
        since = self.im(HOME, HOME, '!retry %s' % oid)
        self.line(HOME, HOME, since, 'retry: nothing unsent is called %s' % oid)

        # drop forgets a kept text, and only on its own account
        since = self.im(WORK, WORK, CJK_292 + ' work')
        msg = self.line(WORK, WORK, since, 'Not sent from @pat_at_acme', 'too long for X')
        wid = re.search(r'kept \((o\d+)\)', msg).group(1)
        seq = self.last_seq()
        since = self.im(HOME, HOME, '!drop %s' % wid)
        self.line(HOME, HOME, since, 'drop: %s is not an unsent message kept here' % wid)
        since = self.im(WORK, WORK, '!drop %s' % wid)
        self.line(WORK, WORK, since, 'dropped %s: 1 message left the outbox' % wid)
        since = self.im(WORK, WORK, '!retry %s' % wid)
        self.line(WORK, WORK, since, 'retry: nothing unsent is called %s' % wid)
        self.nothing_sent_after(seq, 'a dropped text')

    def test_confirm_public_replies_asks_in_a_thread_and_before_rt(self):
        self.host = self.start_host(confirm_public=None)  # the default: replies
        conv, sid = self.mention(HOME, 'alice', '@pat_home lunch on friday?')

        # a post typed to the own buddy is on purpose: not asked
        since = self.im(HOME, HOME, 'a post on purpose')
        self.wait_posted('a post on purpose')
        self.assertEqual(self.host.find({'event': 'request-action'}, since), [])

        # a reply typed in the thread asks, naming the account; Cancel keeps it unsent
        seq = self.last_seq()
        since = self.chat(HOME, conv, 'friday works')
        q = self.question(since, 'publicly from @pat_home', TAGS[HOME], 'yes (OK)', 'no (Cancel)')
        self.assertEqual(q['secondary'], 'friday works')
        self.nothing_sent_after(seq, 'a reply still asked about')
        self.answer(q, False)
        msg = self.line(HOME, conv, since, 'Not sent from @pat_home', 'you answered no (Cancel)')
        oid = re.search(r'kept \((o\d+)\)', msg).group(1)
        self.nothing_sent_after(seq, 'a reply answered Cancel')

        # OK sends it, from that account, as a reply to the mention
        since = self.chat(HOME, conv, 'friday at noon')
        self.answer(self.question(since, 'publicly from @pat_home'), True)
        r = self.wait_posted('friday at noon')
        self.assertEqual((r['kind'], r['token']), ('reply', TOKENS[HOME]))
        self.line(HOME, conv, since, TAGS[HOME], 'friday at noon', sent=True)

        # the cancelled one is still there for retry
        since = self.chat(HOME, conv, '!retry %s' % oid)
        self.wait_posted('friday works')

        # rt asks too; Cancel reposts nothing, OK reposts
        seq = self.last_seq()
        since = self.chat(HOME, conv, 'rt %s' % sid)
        q = self.question(since, 'reposts', 'from @pat_home')
        self.answer(q, False)
        self.line(HOME, conv, since, 'Not reposted from @pat_home')
        self.nothing_sent_after(seq, 'a repost answered Cancel')
        since = self.chat(HOME, conv, 'rt %s' % sid)
        self.answer(self.question(since, 'reposts'), True)
        rt = self.wait_posted(None, kind='retweet')
        self.assertEqual(rt['token'], TOKENS[HOME])

    def test_key_codes_and_a_lone_command_word_ask_even_when_off(self):
        self.host = self.start_host()  # confirm_public=off
        conv, _ = self.mention(WORK, 'bob', '@pat_at_acme draft ready?')
        seq = self.last_seq()
        since = self.chat(WORK, conv, '^[[A^[[A')
        q = self.question(since, 'terminal key codes', 'from @pat_at_acme')
        self.answer(q, False)
        self.line(WORK, conv, since, 'Not sent from @pat_at_acme', 'you answered no')
        since = self.im(HOME, HOME, 'retry.')
        self.answer(self.question(since, 'lone command word', 'from @pat_home'), False)
        self.nothing_sent_after(seq, 'garbage answered Cancel')
        # an ordinary reply goes out at once with confirm_public off
        self.chat(WORK, conv, 'yes, ready')
        self.wait_posted('yes, ready')

    def test_a_conversation_names_the_account_before_anything_is_typed(self):
        self.host = self.start_host()
        for account in (HOME, WORK):
            since = self.host.mark()
            self.x.dm('alice', account, 'hi %s' % account)
            e = self.host.wait_for({'event': 'write-conv', 'account': account, 'conv': 'alice',
                                    'flags': has('system'),
                                    'plain': contains('You are writing as %s' % TAGS[account],
                                                      'a direct message')}, WAIT, since=since)
            first = self.host.find({'event': 'write-conv', 'account': account, 'conv': 'alice'},
                                   since)[0]
            self.assertEqual(first, e, 'the account is named before the first message')
        since = self.im(HOME, HOME, '!help')
        self.line(HOME, HOME, since, 'You are writing as %s' % TAGS[HOME], 'posted publicly')
        # /help: one line per command
        e = self.host.wait_for({'event': 'write-conv', 'account': HOME, 'conv': HOME,
                                'plain': contains('Twinbird commands for')}, WAIT, since=since)
        lines = e['plain'].split('\n')
        self.assertGreaterEqual(len(lines), 15, lines)
        self.assertTrue(all(l.startswith('· ') for l in lines[1:]), lines)
        self.assertIn('· drop <oN>: forget a message kept unsent', lines)
        conv, _ = self.mention(WORK, 'bob', '@pat_at_acme one question')
        self.host.wait_for({'event': 'write-conv', 'account': WORK, 'conv': conv,
                            'plain': contains('You are writing as %s' % TAGS[WORK],
                                              'a public reply')}, WAIT)

    def test_account_actions_post_limits_profile(self):
        self.host = self.start_host()
        since = self.host.mark()
        self.assertTrue(self.host.send('account-action', account=WORK, label='Post')['ok'])
        req = self.host.wait_for({'event': 'request-input'}, WAIT, since=since)
        self.assertEqual(req['title'], 'Post from @pat_at_acme')
        self.assertIn(TAGS[WORK], req['primary'], 'the dialog names the account')
        self.host.send('request-answer', id=req['id'], text='posted from the menu')
        p = self.wait_posted('posted from the menu')
        self.assertEqual((p['kind'], p['token']), ('tweet', TOKENS[WORK]))
        self.line(WORK, WORK, since, TAGS[WORK], 'posted from the menu', sent=True)

        since = self.host.mark()
        self.host.send('account-action', account=HOME, label='Limits and spending')
        n = self.host.wait_for({'event': 'notify'}, WAIT, since=since)
        self.assertIn('Limits and spending of @pat_home', json.dumps(n))
        self.host.send('account-action', account=HOME, label='Open my profile')
        self.host.wait_for({'event': 'notify-uri', 'uri': 'https://x.com/pat_home'}, WAIT,
                           since=since)

    def test_own_posts_get_a_short_id_that_delete_takes(self):
        self.host = self.start_host()
        since = self.im(WORK, WORK, 'a post to take back')
        p = self.wait_posted('a post to take back')
        line = self.line(WORK, WORK, since, TAGS[WORK], 'a post to take back', sent=True)
        m = re.search(r'status/%s \[([0-9a-f]{1,3})\]' % p['id'], line)
        self.assertIsNotNone(m, 'no short id in %r' % line)
        # the other account refuses it, its own account deletes it
        seq = self.last_seq()
        since = self.im(HOME, HOME, 'delete %s' % m.group(1))
        self.line(HOME, HOME, since, '%s was shown to @pat_at_acme' % m.group(1))
        self.nothing_sent_after(seq, 'the other account used the short id')
        since = self.im(WORK, WORK, 'delete %s' % m.group(1))
        d = self.wait_posted(None, kind='delete')
        self.assertEqual((d['id'], d['token']), (p['id'], TOKENS[WORK]))


if __name__ == '__main__':
    h.main()
