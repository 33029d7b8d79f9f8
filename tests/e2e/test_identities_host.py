#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 3 item 9 in the headless libpurple host (tb-host) against the simulated X API: one
person's two accounts, pat_home (personal) and pat_at_acme (work), polled every second.

DMs in and out on both accounts (with the right token, echoed with the right tag), a DM sent from
X's own app shown as sent, a mention thread and replies from the mentioned account to the right
tweet, X's 403 for an unsummoned reply, a tweet mentioning both accounts, a restart with no
duplicates and no misses, failed sends that keep their text and `retry`, and the tag in the
conversation history and in libpurple's log files."""

import glob
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
from tbharness import contains, has, lacks  # noqa: E402
from twoaccounts import HOME, ROLES, TAGS, TOKENS, WAIT, WORK, TwoAccounts  # noqa: E402

# xapi.md §0 item 2: the observed body of X's refusal of an unsummoned reply.
REPLY_NOT_ALLOWED = ('Reply to this conversation is not allowed because you have not been '
                     'mentioned or otherwise engaged by the author of the post you are replying '
                     'to.')


class IdentitiesHost(TwoAccounts, h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.add_pat(others=('alice', 'bob', 'carol', 'dave'))

    # -- helpers --------------------------------------------------------------------------------

    def posted(self, text=None, **match):
        """What X accepted (GET /posted), by the text as typed and other fields."""
        return [p for p in self.x.posted()
                if (text is None or p.get('raw_text', p.get('text')) == text)
                and all(p.get(k) == v for k, v in match.items())]

    def wait_posted(self, what, **match):
        return h.wait_until(lambda: self.posted(**match), WAIT, what=what)[0]

    def retry_as_told(self, host, account, conv, retry, text):
        """Types the retry words in the conversation (IM) and waits for X to accept text."""
        since = host.mark()
        host.send('send-im', account=account, to=conv, text=retry)
        h.wait_until(lambda: self.posted(text=text) or self.posted(text=retry), WAIT,
                     what='%r to be sent again after %r' % (text, retry))
        self.assertEqual(self.posted(text=retry), [],
                         'typing %r, as the error told, sent those words to X instead of '
                         'retrying' % retry)
        return since, self.posted(text=text)[0]

    def echo(self, host, account, conv, text, since=0):
        """The tagged echo of a send: written as sent (send + remote-send) in that conversation."""
        return host.wait_for({'event': 'write-conv', 'account': account, 'conv': conv,
                              'flags': has('send'), 'plain': contains(TAGS[account], text)},
                             WAIT, since=since, what='tagged echo of %r on @%s' % (text, account))

    def shown(self, host, text, since=0):
        """Every line the UI showed whose text contains text."""
        return host.find({'event': 'write-conv', 'plain': contains(text)}, since)

    def chat_of(self, host, account, text, since=0):
        return host.wait_for({'event': 'received-chat', 'account': account,
                              'plain': contains(text)}, WAIT, since=since,
                             what='mention %r in a chat of @%s' % (text, account))

    def state(self, user_dir, handle):
        try:
            with open(os.path.join(user_dir, 'twinbird', handle + '.state'),
                      encoding='utf-8') as f:
                return f.read()
        except FileNotFoundError:
            return ''

    def wait_state(self, user_dir, handle, predicate, what):
        """The per-account store is written a second or two after a change (whole-second timer)."""
        try:
            return h.wait_until(lambda: predicate(self.state(user_dir, handle)), 5, what=what)
        except TimeoutError as e:
            raise AssertionError('%s; %s.state:\n%s' % (e, handle, self.state(user_dir, handle)))

    @staticmethod
    def retry_words(error_line):
        """What the error tells the user to type to send the kept text again, and its oN."""
        m = re.search(r'type "([^"]*\b(o\d+))"', error_line)
        if m is None:
            raise AssertionError('the error names no way to retry: %r' % error_line)
        return m.group(1), m.group(2)

    # -- tests ----------------------------------------------------------------------------------

    def test_dms_in_and_out_on_both_accounts(self):
        host = self.start_host()
        since = host.mark()
        self.x.dm('alice', HOME, 'hi personal pat')
        self.x.dm('alice', WORK, 'hi work pat')

        # an incoming DM is an IM from the sender on the account it was sent to, and only there
        got = {}
        for account, text in ((HOME, 'hi personal pat'), (WORK, 'hi work pat')):
            got[account] = host.wait_for({'event': 'received-im', 'account': account,
                                          'who': 'alice', 'plain': text}, WAIT, since=since)
            self.assertIn('recv', got[account]['flags'])
        time.sleep(1.5)  # another poll of each
        for account, text in ((HOME, 'hi work pat'), (WORK, 'hi personal pat')):
            self.assertEqual(host.find({'event': 'received-im', 'account': account,
                                        'plain': text}), [], 'DM shown on the wrong account')
        for text in ('hi personal pat', 'hi work pat'):
            self.assertEqual(len(host.find({'event': 'received-im', 'plain': text})), 1,
                             '%r shown more than once' % text)

        # typed DMs go out from the account they were typed in, echoed with its tag and the id
        since = host.mark()
        host.send('send-im', account=HOME, to='alice', text='answer from home')
        host.send('send-im', account=WORK, to='alice', text='answer from work')
        host.send('send-im', account=WORK, to='carol', text='first DM to carol')  # unknown yet
        for account, peer, text in ((HOME, 'alice', 'answer from home'),
                                    (WORK, 'alice', 'answer from work'),
                                    (WORK, 'carol', 'first DM to carol')):
            p = self.wait_posted('DM %r' % text, kind='dm', text=text)
            self.assertEqual(p['token'], TOKENS[account], p)
            self.assertEqual(p['username'], account, p)
            self.assertEqual(p['recipient'], peer, p)
            e = self.echo(host, account, peer, text, since)
            self.assertIn('remote-send', e['flags'])
            self.assertIn('DM %s' % p['id'], e['plain'], 'the echo names the DM event id')
            self.assertNotIn(TAGS[HOME if account == WORK else WORK], e['plain'])
            sig = host.wait_for({'event': 'twinbird-message-sent', 'account': account,
                                 'args': lambda a: p['id'] in (a or [])}, WAIT, since=since)
            self.assertIn(TAGS[account], sig['args'])
        time.sleep(1.5)
        for text in ('answer from home', 'answer from work', 'first DM to carol'):
            self.assertEqual(len(self.posted(text=text)), 1, '%r went out more than once' % text)
            # our own DMs, seen again by the next poll, are not shown a second time
            self.assertEqual(len(self.shown(host, text)), 1, self.shown(host, text))

        # a DM Pat sent from X's own app shows as a sent message in that conversation, tagged
        since = host.mark()
        self.x.dm(HOME, 'alice', 'typed on my phone')
        e = host.wait_for({'event': 'write-conv', 'account': HOME, 'conv': 'alice',
                           'plain': contains('typed on my phone')}, WAIT, since=since)
        self.assertIn('send', e['flags'], 'shown as sent, not received: %r' % e)
        self.assertNotIn('recv', e['flags'])
        self.assertIn(TAGS[HOME], e['plain'])
        time.sleep(1.5)
        self.assertEqual(host.find({'event': 'received-im', 'plain': 'typed on my phone'}), [])
        self.assertEqual(len(self.shown(host, 'typed on my phone')), 1)

        # the conversation history of the headless host holds the tagged lines
        hist = host.query('history', 'history', account=HOME, conv='alice', type='im')['list']
        lines = [m['plain'] for m in hist]
        self.assertTrue(any(TAGS[HOME] in l and 'answer from home' in l for l in lines), lines)
        self.assertTrue(any('hi personal pat' in l for l in lines), lines)
        self.assertFalse(any(TAGS[WORK] in l for l in lines), lines)
        hist = host.query('history', 'history', account=WORK, conv='alice', type='im')['list']
        lines = [m['plain'] for m in hist]
        self.assertTrue(any(TAGS[WORK] in l and 'answer from work' in l for l in lines), lines)
        self.assertFalse(any(TAGS[HOME] in l for l in lines), lines)

        # and so do libpurple's log files under the user dir
        self.assertEqual(host.quit(), 0)
        logs = os.path.join(host.user_dir, 'logs', 'twinbird')
        for account, text in ((HOME, 'answer from home'), (WORK, 'answer from work')):
            files = glob.glob(os.path.join(logs, account, 'alice', '*'))
            self.assertTrue(files, 'no log of @%s with alice under %s' % (account, logs))
            body = ''
            for f in files:
                with open(f, encoding='utf-8', errors='replace') as log:
                    body += log.read()
            self.assertIn(TAGS[account], body)
            self.assertIn(text, body)

    def test_mention_thread_and_replies_from_the_mentioned_account(self):
        host = self.start_host()
        since = host.mark()
        root = self.x.tweet('bob', '@pat_home what do you think about the roadmap?')
        line = self.chat_of(host, HOME, 'what do you think about the roadmap', since)
        conv = line['conv']
        self.assertEqual(conv, 'personal-bob-%s' % root['id'][-4:])
        self.assertEqual(line['who'], 'bob')
        self.assertRegex(line['plain'], r'^\[[0-9a-z]{2,3}\] ',
                         'each incoming post starts with a short id')
        self.assertTrue(line['title'].startswith('@bob: '), line['title'])
        self.assertIn('(personal @pat_home)', line['title'])
        host.wait_for({'event': 'chat-joined', 'account': HOME, 'conv': conv}, WAIT)
        host.wait_for({'event': 'twinbird-mention-received', 'account': HOME,
                       'args': lambda a: root['id'] in (a or [])}, WAIT, since=since)

        # typed in the thread: a reply to the mention, from the mentioned account
        since = host.mark()
        host.send('chat-send', account=HOME, conv=conv, text='looks good to me')
        p = self.wait_posted('the reply', text='looks good to me')
        self.assertEqual((p['kind'], p['token'], p['username']), ('reply', TOKENS[HOME], HOME))
        self.assertEqual(p['in_reply_to_tweet_id'], root['id'])
        e = self.echo(host, HOME, conv, 'looks good to me', since)
        self.assertIn('https://x.com/pat_home/status/%s' % p['id'], e['plain'])

        # a newer post in the thread becomes what the next reply answers
        since = host.mark()
        follow = self.x.tweet('carol', '@pat_home and the budget?', in_reply_to=root['id'])
        line = self.chat_of(host, HOME, 'and the budget?', since)
        self.assertEqual(line['conv'], conv, 'a reply in the thread lands in the same chat')
        host.send('chat-send', account=HOME, conv=conv, text='budget is fine')
        p = self.wait_posted('the second reply', text='budget is fine')
        self.assertEqual(p['token'], TOKENS[HOME])
        self.assertEqual(p['in_reply_to_tweet_id'], follow['id'])
        self.echo(host, HOME, conv, 'budget is fine', since)

        # X's 403 for a reply its parent's author did not summon: shown clearly, text kept.
        # (The plugin only answers mentions, so only X's answer itself can be staged here.)
        self.x.call('POST', '/faults', {
            'match': {'method': 'POST', 'path': '^/2/tweets$', 'token': TOKENS[HOME]},
            'count': 1, 'kind': '403',
            'body': {'title': 'Forbidden', 'type': 'about:blank', 'status': 403,
                     'detail': REPLY_NOT_ALLOWED}})
        since = host.mark()
        host.send('chat-send', account=HOME, conv=conv, text='one more thought')
        err = host.wait_for({'event': 'write-conv', 'account': HOME, 'conv': conv,
                             'plain': contains('one more thought')}, WAIT, since=since,
                            what='the refusal of the reply')
        self.assertNotIn('send', err['flags'], 'a refusal must not look like a sent message')
        for part in ('NOT SENT', '@pat_home', 'not allowed', 'mentioned'):
            self.assertIn(part, err['plain'])
        _, oid = self.retry_words(err['plain'])
        self.assertEqual(self.posted(text='one more thought'), [])
        self.assertEqual(host.quit(), 0)  # the store is written at the latest on close
        state = self.state(host.user_dir, HOME)
        self.assertIn('[outbox %s]' % oid, state)
        self.assertIn('text=one more thought', state)
        self.assertEqual(self.shown(host, TAGS[HOME] + ' one more thought'), [])

    def test_tweet_mentioning_both_accounts(self):
        host = self.start_host()
        since = host.mark()
        t = self.x.tweet('bob', '@pat_home @pat_at_acme lunch at noon?')
        convs = {}
        for account in (HOME, WORK):
            convs[account] = self.chat_of(host, account, 'lunch at noon?', since)['conv']
            self.assertEqual(convs[account], '%s-bob-%s' % (ROLES[account], t['id'][-4:]))
        time.sleep(1.5)
        for account in (HOME, WORK):
            self.assertEqual(len(host.find({'event': 'received-chat', 'account': account,
                                            'plain': contains('lunch at noon?')})), 1)

        # typed in the work chat: from the work account, to bob's tweet
        since = host.mark()
        host.send('chat-send', account=WORK, conv=convs[WORK], text='work says yes')
        pw = self.wait_posted('the work reply', text='work says yes')
        self.assertEqual((pw['token'], pw['username']), (TOKENS[WORK], WORK))
        self.assertEqual(pw['in_reply_to_tweet_id'], t['id'])
        e = self.echo(host, WORK, convs[WORK], 'work says yes', since)
        self.assertIn('https://x.com/pat_at_acme/status/%s' % pw['id'], e['plain'])
        self.assertEqual(self.shown(host, TAGS[HOME] + ' work says yes'), [])

        # X addresses that reply to pat_home too: it reaches the personal chat, from pat_at_acme
        seen = host.wait_for({'event': 'received-chat', 'account': HOME,
                              'plain': contains('work says yes')}, WAIT, since=since)
        self.assertEqual((seen['conv'], seen['who']), (convs[HOME], WORK))

        # typed in the personal chat: from the personal account, to the newest post in it
        since = host.mark()
        host.send('chat-send', account=HOME, conv=convs[HOME], text='home says no')
        ph = self.wait_posted('the personal reply', text='home says no')
        self.assertEqual((ph['token'], ph['username']), (TOKENS[HOME], HOME))
        self.assertEqual(ph['in_reply_to_tweet_id'], pw['id'])
        self.echo(host, HOME, convs[HOME], 'home says no', since)
        self.assertEqual(self.shown(host, TAGS[WORK] + ' home says no'), [])
        self.assertEqual(len(self.posted(kind='reply')), 2)

    def test_restart_shows_nothing_twice_and_misses_nothing(self):
        host = self.start_host()
        since = host.mark()
        self.x.dm('alice', HOME, 'before restart DM')
        root = self.x.tweet('bob', '@pat_at_acme before restart mention')
        host.wait_for({'event': 'received-im', 'account': HOME,
                       'plain': 'before restart DM'}, WAIT, since=since)
        conv = self.chat_of(host, WORK, 'before restart mention', since)['conv']
        host.send('send-im', account=HOME, to='alice', text='sent before restart')
        self.echo(host, HOME, 'alice', 'sent before restart', since)
        # a send that fails stays in the outbox across the restart
        self.x.fault('503', method='POST', path='/2/dm_conversations', token=TOKENS[WORK])
        host.send('send-im', account=WORK, to='alice', text='unsent across restart')
        err = host.wait_for({'event': 'write-conv', 'account': WORK, 'flags': lacks('send'),
                             'plain': contains('NOT SENT', 'unsent across restart')}, WAIT)
        retry, oid = self.retry_words(err['plain'])
        time.sleep(1.5)  # one more poll of everything, so the cursors have moved
        self.assertEqual(host.quit(), 0)
        before = [e.get('plain') for e in host.find({'event': 'write-conv'})]

        # while the host is down: more DMs than one page on one account, DMs and mentions on
        # both, one of them in the thread seen before
        down = []
        for i in range(23):
            self.x.dm('alice' if i % 2 else 'carol', HOME, 'while down DM %02d' % i)
            down.append((HOME, 'while down DM %02d' % i))
        self.x.dm('dave', WORK, 'while down DM to work')
        down.append((WORK, 'while down DM to work'))
        self.x.tweet('carol', '@pat_home while down mention home')
        down.append((HOME, 'while down mention home'))
        self.x.tweet('dave', '@pat_at_acme while down in the thread', in_reply_to=root['id'])
        down.append((WORK, 'while down in the thread'))
        self.x.tweet('bob', '@pat_home @pat_at_acme while down to both')
        down += [(HOME, 'while down to both'), (WORK, 'while down to both')]

        host2 = self.start_host(user_dir=host.user_dir, name='host-restart')
        for account, text in down:
            host2.wait_for({'event': 'write-conv', 'account': account, 'plain': contains(text)},
                           WAIT, what='%r on @%s after the restart' % (text, account))
        thread = host2.wait_for({'event': 'received-chat', 'account': WORK,
                                 'plain': contains('while down in the thread')}, WAIT)
        self.assertEqual(thread['conv'], conv, 'the thread keeps its conversation')
        # the unsent text is reported again, under the same name, and retry sends it once
        again = host2.wait_for({'event': 'write-conv', 'account': WORK,
                                'plain': contains('NOT SENT', 'unsent across restart')}, WAIT)
        self.assertEqual(self.retry_words(again['plain']), (retry, oid))
        since, _ = self.retry_as_told(host2, WORK, 'alice', retry, 'unsent across restart')
        self.echo(host2, WORK, 'alice', 'unsent across restart', since)
        time.sleep(2.5)  # a few more polls: anything shown twice would show now

        after = host2.find({'event': 'write-conv'})
        for account, text in down:
            n = [e for e in after if e['account'] == account and text in (e.get('plain') or '')]
            self.assertEqual(len(n), 1, '%r on @%s shown %d times' % (text, account, len(n)))
        for text in ('before restart DM', 'before restart mention', 'sent before restart'):
            self.assertTrue(any(text in (p or '') for p in before))
            self.assertEqual([e for e in after if text in (e.get('plain') or '')], [],
                             '%r was shown again after the restart' % text)
        self.assertEqual(len(self.posted(text='unsent across restart')), 1)
        self.assertEqual(len(self.posted(text='sent before restart')), 1)

    def test_thread_keeps_its_conversation_across_restart(self):
        # bob's thread, with carol's reply in it, is a chat named after bob (its root author)
        host = self.start_host()
        since = host.mark()
        root = self.x.tweet('bob', '@pat_home the plan for friday')
        conv = self.chat_of(host, HOME, 'the plan for friday', since)['conv']
        mid = self.x.tweet('carol', 'count me in', in_reply_to=root['id'])
        self.assertEqual(self.chat_of(host, HOME, 'count me in', since)['conv'], conv)
        time.sleep(1.5)
        self.assertEqual(host.quit(), 0)

        # while down, dave answers carol: X sends dave's post and carol's, not bob's root
        self.x.tweet('dave', 'me too', in_reply_to=mid['id'])
        host2 = self.start_host(user_dir=host.user_dir, name='host-restart')
        line = self.chat_of(host2, HOME, 'me too')
        self.assertEqual(line['conv'], conv,
                         'after a restart the same thread must land in the same conversation '
                         '(in BitlBee: the same channel), not in a new one')

    def test_thread_title_names_its_root_even_when_x_sends_only_the_parent(self):
        # bob starts a thread without mentioning anyone, carol answers, dave answers carol and
        # mentions pat_home: X sends dave's post and carol's (its parent), not bob's root
        host = self.start_host()
        since = host.mark()
        root = self.x.tweet('bob', 'plans for the friday picnic')
        mid = self.x.tweet('carol', 'count me in', in_reply_to=root['id'])
        self.x.tweet('dave', '@pat_home are you coming too?', in_reply_to=mid['id'])
        line = self.chat_of(host, HOME, 'are you coming too?', since)
        # the title is corrected from one read of the root; the conversation itself stays put
        titled = host.wait_for({'event': 'conv-updated', 'account': HOME, 'conv': line['conv'],
                                'what': 'title', 'title': contains('@bob: plans for the friday')},
                               WAIT, since=since, what='the thread titled by its root')
        self.assertIn('(personal @pat_home)', titled['title'])
        reads = [r for r in self.x.requests() if r.get('path') == '/2/tweets/%s' % root['id']]
        self.assertEqual(len(reads), 1, 'one read of the root, not one per mention')

    def test_failed_send_503_keeps_text_and_retry_sends_once(self):
        host = self.start_host()
        self.x.fault('503', method='POST', path='/2/dm_conversations', token=TOKENS[WORK])
        since = host.mark()
        host.send('send-im', account=WORK, to='alice', text='please keep this DM')
        # a 503 may come after X acted: first "not confirmed", then, X having no such DM, the
        # refusal with the way to send it again
        doubt = host.wait_for({'event': 'write-conv', 'account': WORK, 'conv': 'alice',
                               'plain': contains('please keep this DM')}, WAIT, since=since)
        self.assertIn('NOT CONFIRMED yet from @pat_at_acme', doubt['plain'])
        self.assertNotIn('retry', doubt['plain'])
        err = host.wait_for({'event': 'write-conv', 'account': WORK, 'conv': 'alice',
                             'plain': contains('NOT SENT', 'please keep this DM')}, WAIT,
                            since=since)
        self.assertIn('error', err['flags'])
        self.assertNotIn('send', err['flags'])
        for part in ('NOT SENT from @pat_at_acme', '503'):
            self.assertIn(part, err['plain'])
        retry, oid = self.retry_words(err['plain'])
        self.assertEqual(self.posted(text='please keep this DM'), [])
        self.wait_state(host.user_dir, WORK,
                        lambda s: '[outbox %s]' % oid in s and 'text=please keep this DM' in s,
                        'the kept text in the store')

        # typed in the DM conversation, as the error says
        since, p = self.retry_as_told(host, WORK, 'alice', retry, 'please keep this DM')
        self.assertEqual((p['token'], p['recipient']), (TOKENS[WORK], 'alice'))
        e = self.echo(host, WORK, 'alice', 'please keep this DM', since)
        self.assertIn('DM %s' % p['id'], e['plain'])
        time.sleep(2)
        self.assertEqual(len(self.posted(text='please keep this DM')), 1)
        self.assertEqual(len(host.find({'event': 'write-conv', 'flags': has('send'),
                                        'plain': contains('please keep this DM')})), 1)
        self.assertEqual(self.posted(text=retry), [], '%r itself must never be sent' % retry)
        self.wait_state(host.user_dir, WORK, lambda s: 'please keep this DM' not in s,
                        'the sent text gone from the outbox')

    def test_failed_send_dropped_keeps_text_and_retry_sends_once(self):
        host = self.start_host()
        # the connection closes before X answers: the outcome is unknown, so nothing may be
        # resent behind the user's back; the text is kept and `retry` sends it
        self.x.fault('drop', method='POST', path='^/2/tweets$', token=TOKENS[HOME])
        since = host.mark()
        host.send('send-im', account=HOME, to=HOME, text='a post over a bad line')
        doubt = host.wait_for({'event': 'write-conv', 'account': HOME, 'conv': HOME,
                               'plain': contains('a post over a bad line')}, WAIT, since=since)
        self.assertIn('NOT CONFIRMED yet from @pat_home', doubt['plain'])
        err = host.wait_for({'event': 'write-conv', 'account': HOME, 'conv': HOME,
                             'plain': contains('NOT SENT', 'a post over a bad line')}, WAIT,
                            since=since)
        self.assertIn('NOT SENT from @pat_home', err['plain'],
                      'a dropped POST must be reported, not silently sent: %r' % err)
        self.assertEqual(len(self.x.requests_to('/2/tweets', method='POST')), 1,
                         'the dropped POST was sent again without the user asking')
        retry, _ = self.retry_words(err['plain'])
        since, p = self.retry_as_told(host, HOME, HOME, retry, 'a post over a bad line')
        self.assertEqual((p['kind'], p['token']), ('tweet', TOKENS[HOME]))
        self.echo(host, HOME, HOME, 'a post over a bad line', since)
        time.sleep(1.5)
        self.assertEqual(len(self.posted(text='a post over a bad line')), 1)

    def test_dropped_answer_never_duplicates_a_dm(self):
        host = self.start_host()
        # X received the DM and sent it, but the answer never arrived
        self.x.call('POST', '/faults', {'match': {'method': 'POST', 'path': '/2/dm_conversations',
                                                  'token': TOKENS[HOME]},
                                        'count': 1, 'kind': 'drop', 'after': True})
        host.send('send-im', account=HOME, to='alice', text='delivered once only')
        self.wait_posted('the DM', text='delivered once only')
        time.sleep(2.5)
        self.assertEqual(len(self.posted(text='delivered once only')), 1,
                         'the DM reached alice twice: a POST was resent automatically')


if __name__ == '__main__':
    h.main()
