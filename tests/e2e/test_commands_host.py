#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 5 item 1 in the headless libpurple host (tb-host) against the simulated X API: the one
command table, typed as words in conversations of one person's two accounts, pat_home
(personal) and pat_at_acme (work).

Every command, bare in the account's own-buddy IM and in a mention thread, and with "!" in a DM
with a person; its effect on X (GET /posted: token, kind, in_reply_to, retweets, deletes) and the
notice or tagged echo it writes. `undo` deletes only that account's last post; a short id shown to
the other account is refused and nothing goes out; "nick: text" in a thread answers that
person's newest post there; in a DM with a person a sentence starting with a command word is a
DM; a mistyped "!rtt" is refused; strict mode refuses a bare command word with a hint and runs
"!rt"."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
from tbharness import contains, has  # noqa: E402
from twoaccounts import HOME, TAGS, TOKENS, WAIT, WORK, TwoAccounts  # noqa: E402

COMMANDS = ('post', 'reply', 'dm', 'rt', 'unrt', 'delete', 'undo', 'whois', 'open', 'limits',
            'retry', 'help', 'schedule', 'scheduled', 'unschedule', 'now', 'stats')


class CommandsHost(TwoAccounts, h.E2ETestCase):

    poll_check_interval = 1  # read the request log once a second, as wait_posted does

    def setUp(self):
        super().setUp()
        self.add_pat(others=('alice', 'bob', 'carol'))
        self.host = self.start_host()

    # -- helpers --------------------------------------------------------------------------------

    def posted(self, **match):
        return [p for p in self.x.posted() if all(p.get(k) == v for k, v in match.items())]

    def wait_posted(self, what, **match):
        return h.wait_until(lambda: self.posted(**match), WAIT, interval=1, what=what)[0]

    def notice(self, account, conv, since, *parts):
        """A notice (a system line, not a sent message) in that conversation."""
        e = self.host.wait_for({'event': 'write-conv', 'account': account, 'conv': conv,
                                'flags': has('system'), 'plain': contains(*parts)}, WAIT,
                               since=since, what='notice %r on @%s in %s' % (parts, account, conv))
        self.assertNotIn('send', e['flags'], 'a notice must not look like a sent message')
        return e['plain']

    def echo(self, account, conv, since, *parts):
        """The tagged line of something done on X, written as sent in that conversation."""
        e = self.host.wait_for({'event': 'write-conv', 'account': account, 'conv': conv,
                                'flags': has('send'), 'plain': contains(TAGS[account], *parts)},
                               WAIT, since=since,
                               what='tagged line %r on @%s in %s' % (parts, account, conv))
        self.assertTrue(e['plain'].startswith(TAGS[account] + ' '), e['plain'])
        return e['plain']

    def mention(self, account, author, text, in_reply_to=None, since=0):
        """Injects a post mentioning account's user; returns (tweet, conv, short id) as shown."""
        t = self.x.tweet(author, text, in_reply_to=in_reply_to)
        e = self.host.wait_for({'event': 'received-chat', 'account': account,
                                'plain': contains(text.split(' ', 1)[1])}, WAIT, since=since,
                               what='mention %r on @%s' % (text, account))
        m = re.match(r'^\[([0-9a-f]{1,3})\] ', e['plain'])
        self.assertIsNotNone(m, 'no short id in front of %r' % e['plain'])
        return t, e['conv'], m.group(1)

    def nothing_sent_after(self, seq, what):
        time.sleep(1.5)  # anything under way would have reached X by now
        late = [p for p in self.x.posted() if p['seq'] > seq]
        self.assertEqual(late, [], '%s, yet X got: %r' % (what, late))

    def last_seq(self):
        return max([p['seq'] for p in self.x.posted()] or [0])

    # -- tests ----------------------------------------------------------------------------------

    def test_every_command_in_the_own_buddy_conversation(self):
        x_home = HOME  # the own-buddy IM is named after the account
        since = self.im(HOME, x_home, 'post a post from the post command')
        p = self.wait_posted('the post', raw_text='a post from the post command')
        self.assertEqual((p['kind'], p['token'], p['username']), ('tweet', TOKENS[HOME], HOME))
        self.echo(HOME, x_home, since, 'a post from the post command',
                  'https://x.com/pat_home/status/%s' % p['id'])
        self.assertEqual(self.posted(raw_text='post a post from the post command'), [],
                         'the command word itself was posted')

        since = self.im(HOME, x_home, '!post explicit words')
        p2 = self.wait_posted('the !post', raw_text='explicit words')
        self.assertEqual((p2['kind'], p2['token']), ('tweet', TOKENS[HOME]))
        self.echo(HOME, x_home, since, 'explicit words')

        # a post by bob mentioning Pat gives a short id to act on
        bob, _, sid = self.mention(HOME, 'bob', '@pat_home the quarterly numbers are out')

        since = self.im(HOME, x_home, 'reply %s thanks, reading them now' % sid)
        r = self.wait_posted('the reply', raw_text='thanks, reading them now')
        self.assertEqual((r['kind'], r['token'], r['in_reply_to_tweet_id']),
                         ('reply', TOKENS[HOME], bob['id']))
        self.echo(HOME, x_home, since, 'thanks, reading them now',
                  'https://x.com/pat_home/status/%s' % r['id'])

        since = self.im(HOME, x_home, 'rt %s' % sid)
        rt = self.wait_posted('the repost', kind='retweet')
        self.assertEqual((rt['token'], rt['retweeted_tweet_id']), (TOKENS[HOME], bob['id']))
        self.echo(HOME, x_home, since, 'reposted https://x.com/i/status/%s' % bob['id'])

        since = self.im(HOME, x_home, '!unrt %s' % sid)
        un = self.wait_posted('the repost taken back', kind='unretweet')
        self.assertEqual((un['token'], un['retweeted_tweet_id']), (TOKENS[HOME], bob['id']))
        self.echo(HOME, x_home, since, 'took back the repost of https://x.com/i/status/%s'
                  % bob['id'])

        since = self.im(HOME, x_home, 'delete %s' % p2['id'])  # a full id
        d = self.wait_posted('the delete', kind='delete')
        self.assertEqual((d['id'], d['token']), (p2['id'], TOKENS[HOME]))
        self.echo(HOME, x_home, since, 'deleted https://x.com/i/status/%s' % p2['id'])

        since = self.im(HOME, x_home, 'dm @alice lunch on friday?')
        dm = self.wait_posted('the DM', kind='dm')
        self.assertEqual((dm['token'], dm['recipient'], dm['text']),
                         (TOKENS[HOME], 'alice', 'lunch on friday?'))
        self.echo(HOME, x_home, since, 'lunch on friday?', 'DM %s' % dm['id'])
        since = self.im(HOME, x_home, 'dm pat_home to myself')
        self.notice(HOME, x_home, since, 'dm: that is this account itself')

        since = self.im(HOME, x_home, 'whois @alice')
        who = self.notice(HOME, x_home, since, '@alice (Alice Example)')
        self.assertIn('https://x.com/alice', who)
        since = self.im(HOME, x_home, 'whois nobody_here')
        self.notice(HOME, x_home, since, 'whois nobody_here:')

        since = self.im(HOME, x_home, 'open %s' % sid)
        link = 'https://x.com/i/status/%s' % bob['id']
        self.notice(HOME, x_home, since, link)
        self.host.wait_for({'event': 'notify-uri', 'uri': link}, WAIT, since=since)

        since = self.im(HOME, x_home, 'limits')
        lim = self.notice(HOME, x_home, since, '@pat_home (personal)', '$')
        self.assertRegex(lim, r'\$\d+\.\d+ spent today')
        self.assertRegex(lim, r'POST /2/tweets: \d+/\d+ left, resets in \d+ min')
        self.assertRegex(lim, r'GET /2/dm_events: \d+/100000 left')
        self.assertNotIn(WORK, lim)

        since = self.im(HOME, x_home, 'help')
        hl = self.notice(HOME, x_home, since, 'Twinbird commands for @pat_home (personal)')
        for name in COMMANDS:
            self.assertRegex(hl, r'· %s\b[^·]*: ' % name, 'help does not list %s' % name)
        since = self.im(HOME, x_home, 'help rt')
        self.assertEqual(self.notice(HOME, x_home, since, 'rt <id>'), 'rt <id>: repost a post')
        since = self.im(HOME, x_home, '!help nosuch')
        self.notice(HOME, x_home, since, 'help: no command nosuch')

        # wrong arguments give the usage, nothing goes out
        seq = self.last_seq()
        since = self.im(HOME, x_home, 'rt')
        self.notice(HOME, x_home, since, 'usage: rt <id>: repost a post')
        since = self.im(HOME, x_home, 'reply %s' % sid)
        self.notice(HOME, x_home, since, 'usage: reply <id> <text>')
        since = self.im(HOME, x_home, 'rt zz')
        self.notice(HOME, x_home, since, 'zz is not a post id')
        since = self.im(HOME, x_home, 'retry')
        self.notice(HOME, x_home, since, 'retry: nothing unsent in this conversation')
        self.nothing_sent_after(seq, 'commands with wrong arguments')

        # retry: a post refused by X is kept, "retry oN" sends it once
        self.x.fault('503', method='POST', path='^/2/tweets$', token=TOKENS[HOME])
        since = self.im(HOME, x_home, 'post second try works')
        err = self.host.wait_for({'event': 'write-conv', 'account': HOME, 'conv': x_home,
                                  'plain': contains('NOT SENT', 'second try works')}, WAIT,
                                 since=since)
        oid = re.search(r'\b(o\d+)\b', err['plain']).group(1)
        since = self.im(HOME, x_home, 'retry %s' % oid)
        self.notice(HOME, x_home, since, 'retrying 1 message')
        p3 = self.wait_posted('the retried post', raw_text='second try works')
        self.assertEqual(p3['token'], TOKENS[HOME])
        self.echo(HOME, x_home, since, 'second try works')
        time.sleep(1.5)
        self.assertEqual(len(self.posted(raw_text='second try works')), 1)
        # nothing the work account did: every command acted on the conversation's account
        self.assertEqual(self.posted(token=TOKENS[WORK]), [])

    def test_thread_commands_nick_reply_and_short_ids_of_the_other_account(self):
        root, conv, sid_root = self.mention(HOME, 'bob', '@pat_home shall we ship on monday?')
        self.assertEqual(conv, 'personal-bob-%s' % root['id'][-4:])
        second, conv2, _ = self.mention(HOME, 'bob', '@pat_home or tuesday, if QA needs it',
                                        in_reply_to=root['id'])
        third, conv3, sid_carol = self.mention(HOME, 'carol', '@pat_home QA needs a day',
                                               in_reply_to=second['id'])
        self.assertEqual((conv2, conv3), (conv, conv))

        # "bob: text" answers bob's newest post in the thread, not the thread's newest
        since = self.chat(HOME, conv, 'bob: tuesday then')
        r = self.wait_posted('the reply to bob', raw_text='tuesday then')
        self.assertEqual((r['kind'], r['token'], r['in_reply_to_tweet_id']),
                         ('reply', TOKENS[HOME], second['id']))
        self.echo(HOME, conv, since, 'tuesday then')
        since = self.chat(HOME, conv, '@carol: thanks for checking')
        r = self.wait_posted('the reply to carol', raw_text='thanks for checking')
        self.assertEqual(r['in_reply_to_tweet_id'], third['id'])
        # someone not in the thread: an ordinary reply, the whole text
        since = self.chat(HOME, conv, 'note: ship it')
        r = self.wait_posted('the plain reply', raw_text='note: ship it')
        self.assertEqual(r['in_reply_to_tweet_id'], third['id'])

        # bare command words work in the thread, on its account
        since = self.chat(HOME, conv, 'rt %s' % sid_carol)
        rt = self.wait_posted('the repost', kind='retweet')
        self.assertEqual((rt['token'], rt['retweeted_tweet_id']), (TOKENS[HOME], third['id']))
        self.echo(HOME, conv, since, 'reposted https://x.com/i/status/%s' % third['id'])
        since = self.chat(HOME, conv, '!open %s' % sid_root)
        self.notice(HOME, conv, since, 'https://x.com/i/status/%s' % root['id'])
        since = self.chat(HOME, conv, 'help')
        self.notice(HOME, conv, since, 'Twinbird commands for @pat_home (personal)')
        since = self.chat(HOME, conv, 'reply %s from the thread, to bob' % sid_root)
        r = self.wait_posted('the reply command', raw_text='from the thread, to bob')
        self.assertEqual((r['token'], r['in_reply_to_tweet_id']), (TOKENS[HOME], root['id']))

        # a post shown to the work account: its short id is refused on the personal account
        w, wconv, sid_w = self.mention(WORK, 'alice', '@pat_at_acme can you look at this?')
        self.assertNotEqual(sid_w, sid_root)
        seq = self.last_seq()
        for account, conv_, chat, text in ((HOME, HOME, False, 'reply %s not from here' % sid_w),
                                           (HOME, HOME, False, '!rt %s' % sid_w),
                                           (HOME, conv, True, 'delete %s' % sid_w)):
            since = (self.chat if chat else self.im)(account, conv_, text)
            msg = self.notice(account, conv_, since, '%s was shown to @pat_at_acme' % sid_w)
            self.assertIn('not to @pat_home', msg)
        self.nothing_sent_after(seq, 'the other account\'s short id was used')
        # and works in the work account's own conversations
        since = self.im(WORK, WORK, 'reply %s on it' % sid_w)
        r = self.wait_posted('the work reply', raw_text='on it')
        self.assertEqual((r['token'], r['in_reply_to_tweet_id']), (TOKENS[WORK], w['id']))
        self.echo(WORK, WORK, since, 'on it', 'https://x.com/pat_at_acme/status/%s' % r['id'])
        since = self.chat(WORK, wconv, '!whois alice')
        self.notice(WORK, wconv, since, '@alice (Alice Example)')

    def test_undo_deletes_only_that_accounts_last_post(self):
        since = self.im(HOME, HOME, 'home: first post')  # not a nick in a thread: a post
        ph1 = self.wait_posted('home 1', raw_text='home: first post')
        self.im(HOME, HOME, 'home second post')
        ph2 = self.wait_posted('home 2', raw_text='home second post')
        self.im(WORK, WORK, 'work only post')
        pw = self.wait_posted('work', raw_text='work only post')
        self.echo(WORK, WORK, since, 'work only post')

        since = self.im(HOME, HOME, 'undo')
        d = self.wait_posted('the undo', kind='delete')
        self.assertEqual((d['id'], d['token']), (ph2['id'], TOKENS[HOME]))
        self.echo(HOME, HOME, since, 'deleted https://x.com/i/status/%s' % ph2['id'])
        seq = self.last_seq()
        since = self.im(HOME, HOME, '!undo')
        self.notice(HOME, HOME, since, 'undo: nothing to undo on @pat_home')
        self.nothing_sent_after(seq, 'a second undo')
        self.assertEqual([p['id'] for p in self.posted(kind='delete')], [ph2['id']],
                         'the first post and the work post must stay')

        since = self.im(WORK, WORK, 'undo')
        h.wait_until(lambda: len(self.posted(kind='delete')) == 2, WAIT, interval=1,
                     what='the work undo')
        d = self.posted(kind='delete')[1]
        self.assertEqual((d['id'], d['token']), (pw['id'], TOKENS[WORK]))
        self.echo(WORK, WORK, since, 'deleted https://x.com/i/status/%s' % pw['id'])
        self.assertNotIn(ph1['id'], [p['id'] for p in self.posted(kind='delete')])

        # a last post deleted by hand is not deleted again by undo
        self.im(WORK, WORK, 'work post deleted by hand')
        pw2 = self.wait_posted('work 2', raw_text='work post deleted by hand')
        since = self.im(WORK, WORK, 'delete %s' % pw2['id'])
        self.echo(WORK, WORK, since, 'deleted https://x.com/i/status/%s' % pw2['id'])
        seq = self.last_seq()
        since = self.im(WORK, WORK, 'undo')
        self.notice(WORK, WORK, since, 'undo: nothing to undo on @pat_at_acme')
        self.nothing_sent_after(seq, 'undo after the last post was deleted by hand')
        self.assertEqual(self.host.find({'event': 'write-conv', 'plain': contains('could not')},
                                        since), [])

    def test_dm_with_a_person_mistyped_command_and_strict_mode(self):
        # in a DM with a person a sentence starting with a command word is just a DM
        self.x.dm('alice', HOME, 'is the post office open?')
        self.host.wait_for({'event': 'received-im', 'account': HOME, 'who': 'alice'}, WAIT)
        since = self.im(HOME, 'alice', 'post office is shut')
        dm = self.wait_posted('the DM', kind='dm')
        self.assertEqual((dm['text'], dm['recipient'], dm['token']),
                         ('post office is shut', 'alice', TOKENS[HOME]))
        self.echo(HOME, 'alice', since, 'post office is shut', 'DM %s' % dm['id'])
        self.assertEqual(self.posted(kind='tweet'), [])
        # with "!" a command runs there too, on that conversation's account
        since = self.im(HOME, 'alice', '!help rt')
        self.notice(HOME, 'alice', since, 'rt <id>: repost a post')
        _, conv, sid = self.mention(HOME, 'bob', '@pat_home is the build green?')

        # a mistyped command is refused, never posted or sent
        seq = self.last_seq()
        for conv_, chat in (('alice', False), (HOME, False), (conv, True)):
            since = (self.chat if chat else self.im)(HOME, conv_, '!rtt %s' % sid)
            self.notice(HOME, conv_, since, 'rtt is not a command; type help')
        self.nothing_sent_after(seq, '"!rtt %s" was typed' % sid)

        # strict: set the option and sign in again, as a user changing the account would
        self.host.send('set-setting', account=HOME, key='commands', value='strict')
        self.host.send('disable', account=HOME)
        self.host.wait_for({'event': 'signed-off', 'account': HOME}, WAIT)
        since = self.host.mark()
        seq_req = max(r['seq'] for r in self.x.requests())
        self.host.send('enable', account=HOME)
        self.host.wait_for({'event': 'signed-on', 'account': HOME}, 15, since=since)
        self.first_polls(HOME, since=seq_req)

        # a new mention after the sign-in: its thread is a chat again
        q, conv, sid = self.mention(HOME, 'carol', '@pat_home strict question for you',
                                    since=since)
        seq = self.last_seq()
        for conv_, chat, text in ((HOME, False, 'rt %s' % sid), (conv, True, 'rt %s' % sid),
                                  (HOME, False, 'post office hours changed')):
            word = text.split()[0]
            since = (self.chat if chat else self.im)(HOME, conv_, text)
            msg = self.notice(HOME, conv_, since, 'Not sent', '"%s"' % word)
            self.assertIn('!%s' % text, msg, 'the hint names the command to type')
        self.nothing_sent_after(seq, 'strict mode refused bare command words')

        since = self.im(HOME, HOME, '!rt %s' % sid)
        rt = self.wait_posted('the !rt', kind='retweet')
        self.assertEqual(rt['token'], TOKENS[HOME])
        self.echo(HOME, HOME, since, 'reposted https://x.com/i/status/')
        # ordinary text still replies in the thread and posts in the own IM; the work account
        # is not strict
        self.chat(HOME, conv, 'an answer in plain words')
        r = self.wait_posted('the thread reply', raw_text='an answer in plain words')
        self.assertEqual((r['token'], r['in_reply_to_tweet_id']), (TOKENS[HOME], q['id']))
        self.im(HOME, HOME, 'strict but plain text')
        self.assertEqual(self.wait_posted('plain', raw_text='strict but plain text')['token'],
                         TOKENS[HOME])
        self.im(WORK, WORK, 'post from work, not strict')
        self.assertEqual(self.wait_posted('work', raw_text='from work, not strict')['token'],
                         TOKENS[WORK])

    def test_own_repost_is_not_shown_as_a_received_mention(self):
        t, conv, sid = self.mention(HOME, 'bob', '@pat_home worth sharing, this one')
        since = self.chat(HOME, conv, 'rt %s' % sid)
        rt = self.wait_posted('the repost', kind='retweet')
        self.echo(HOME, conv, since, 'reposted https://x.com/i/status/%s' % t['id'])
        # X lists the repost in pat_home's mentions (its text names @pat_home): two more polls
        path = '/2/users/%s/mentions' % self.ids[HOME]
        h.wait_until(lambda: len([r for r in self.x.requests_to(path, token=TOKENS[HOME])
                                  if r['seq'] > rt['seq']]) >= 2, WAIT, interval=1,
                     what='two more mention polls')
        time.sleep(0.5)
        own = self.host.find({'event': re.compile('^received-(chat|im)$'), 'account': HOME,
                              'who': HOME}, since)
        opened = self.host.find({'event': 'conv-created', 'account': HOME}, since)
        self.assertEqual((own, opened), ([], []),
                         "the account's own repost came back from its mentions as a post "
                         "received from @pat_home, in a new conversation")


if __name__ == '__main__':
    h.main()
