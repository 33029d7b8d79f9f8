#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 5, D-Bus: scripts on a private session bus against the headless host (tb-host, plain
libpurple, no D-Bus code of its own) with Pat's two accounts.

- examples/answer-dms.py answers a DM to the work account, from the work account (the simulated
  X records which token posted), and leaves the personal account's DM alone;
- TwinbirdPost / TwinbirdReply / TwinbirdDm act as the given account and return the id X gave,
  only once X has confirmed; TwinbirdMessageSent carries account, role, tag, kind, id and text;
- refusals come back as im.twinbird.Error.* with a clear message, X's own refusals included, and
  a call still waiting when its account closes is answered, not left hanging;
- issue 13: where the guard or the work hours would ask, a call fails with
  im.twinbird.Error.Guarded or .OffHours (no one can answer a question), and the ...Anyway
  methods are the caller's explicit override.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
import clientlib as c  # noqa: E402

HOME_TOKEN = 'tok-pat-home'
WORK_TOKEN = 'tok-pat-acme'
HOME_TAG = '[personal @pat_home]'
WORK_TAG = '[work @pat_at_acme]'


class DBusScripts(h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        h.raise_dm_limit(self.x)  # the accounts check DMs every second on purpose
        self.x.add_user('pat_home', 'Pat', token=HOME_TOKEN)
        self.x.add_user('pat_at_acme', 'Pat at Acme', token=WORK_TOKEN)
        self.x.add_user('dana', 'Dana', token='tok-dana')
        self.bus = c.DBusDaemon(self.logdir).start()
        self.host = self.host_on_bus([
            h.account('pat_home', HOME_TOKEN, self.x.api_base, role='personal', dm_interval=1,
                      long_posts='thread'),
            h.account('pat_at_acme', WORK_TOKEN, self.x.api_base, role='work', dm_interval=1)])
        self.pb = c.PurpleBus(self.bus.address).wait_service()
        self.addCleanup(self.pb.close)
        self.home = self.pb.wait_account('pat_home')
        self.work = self.pb.wait_account('pat_at_acme')

    def host_on_bus(self, accounts):
        return self.host(accounts, env=self.bus.env())

    def posted(self, **match):
        return [p for p in self.x.posted() if all(p.get(k) == v for k, v in match.items())]

    def call_error(self, *args):
        import dbus
        with self.assertRaises(dbus.DBusException) as cm:
            self.pb.call(*args)
        return cm.exception.get_dbus_name(), cm.exception.get_dbus_message()

    # ---------------------------------------------------------------------------------------
    def run_answerer(self, *extra):
        proc, log = c.run_example('answer-dms.py', ['pat_at_acme', '--once', '--wait', '10']
                                  + list(extra), self.bus.env(), self.logdir)
        c.wait_file_text(log, r'answering DMs to @pat_at_acme \(account %d\)' % self.work, 15,
                         proc)
        return proc, log

    def check_answered(self, proc, log, text):
        # A DM to the personal account first: the script must leave it alone.
        self.x.dm('dana', 'pat_home', 'personal question')
        self.x.dm('dana', 'pat_at_acme', 'work question')
        m = c.wait_file_text(log, r'answered @dana from @pat_at_acme: DM (\d+)', 20, proc)
        self.assertEqual(proc.wait(10), 0, c.read(log))
        out = c.read(log)
        self.assertIn('from @dana: work question', out)
        self.assertNotIn('personal question', out)
        answers = self.posted(kind='dm', recipient='dana')
        self.assertEqual(len(answers), 1, answers)
        self.assertEqual(answers[0]['token'], WORK_TOKEN)
        self.assertEqual(answers[0]['username'], 'pat_at_acme')
        self.assertEqual(answers[0]['text'], text)
        self.assertEqual(answers[0]['id'], m.group(1))
        self.assertEqual(self.posted(token=HOME_TOKEN), [])

    def test_example_answers_a_work_dm_with_twinbird_dm(self):
        proc, log = self.run_answerer('--text', 'Hi {sender}, Pat (work) here.')
        self.check_answered(proc, log, 'Hi dana, Pat (work) here.')

    def test_example_answers_through_the_conversation(self):
        proc, log = self.run_answerer('--via', 'conv', '--text', 'Answered in the window <3')
        self.check_answered(proc, log, 'Answered in the window <3')
        self.assertIn('PurpleConvImSend', c.read(log))

    # ---------------------------------------------------------------------------------------
    def test_methods_return_the_confirmed_id_and_signal_the_tagged_message(self):
        since = self.pb.mark()
        post_id = self.pb.call('TwinbirdPost', self.work, 'Quarterly numbers are out')
        [post] = self.posted(kind='tweet')
        self.assertEqual((post['id'], post['token'], post['text']),
                         (post_id, WORK_TOKEN, 'Quarterly numbers are out'))
        # The signal is sent before the method's answer: it is already there.
        self.pb.pump(0.2)
        self.assertEqual(self.pb.find('TwinbirdMessageSent', since, a4=post_id),
                         [[self.work, 'work', WORK_TAG, 'post', post_id, '',
                           'Quarterly numbers are out']])

        event_id = self.pb.call('TwinbirdDm', self.home, '@dana', 'Dinner at 8?')
        [dm] = self.posted(kind='dm')
        self.assertEqual((dm['id'], dm['token'], dm['recipient'], dm['text']),
                         (event_id, HOME_TOKEN, 'dana', 'Dinner at 8?'))
        self.pb.pump(0.2)
        self.assertEqual(self.pb.find('TwinbirdMessageSent', since, a4=event_id),
                         [[self.home, 'personal', HOME_TAG, 'dm', event_id, 'dana',
                           'Dinner at 8?']])

        # A mention of the personal account, answered by its short id and then its full id.
        mention = self.x.tweet('dana', '@pat_home are you coming tonight?')
        got = self.pb.wait_signal('TwinbirdMentionReceived', 15, since, a2=mention['id'])
        self.assertEqual((got[0], got[1], got[4]), (self.home, 'personal', 'dana'))
        short_id = got[3]
        reply_id = self.pb.call('TwinbirdReply', self.home, short_id, 'Yes, see you there')
        again_id = self.pb.call('TwinbirdReply', self.home, mention['id'], 'Bringing cake')
        replies = self.posted(kind='reply')
        self.assertEqual([(r['id'], r['token'], r['in_reply_to_tweet_id']) for r in replies],
                         [(reply_id, HOME_TOKEN, mention['id']),
                          (again_id, HOME_TOKEN, mention['id'])])
        sent = self.pb.find('TwinbirdMessageSent', since, a3='reply')
        self.assertEqual([(s[0], s[2], s[4], s[5]) for s in sent],
                         [(self.home, HOME_TAG, reply_id, mention['id']),
                          (self.home, HOME_TAG, again_id, mention['id'])])
        self.assertEqual(self.posted(token=WORK_TOKEN), [post])

    def test_a_long_post_answers_with_its_first_part_once_all_parts_are_on_x(self):
        since = self.pb.mark()
        text = ' '.join('word%03d' % i for i in range(60))  # 479 characters: two parts
        first_id = self.pb.call('TwinbirdPost', self.home, text)
        parts = self.posted(token=HOME_TOKEN)
        self.assertEqual([p['kind'] for p in parts], ['tweet', 'reply'])
        self.assertEqual(first_id, parts[0]['id'])
        self.assertEqual(parts[1]['in_reply_to_tweet_id'], first_id)
        # Both parts were confirmed (and signalled) before the answer came.
        sent = self.pb.find('TwinbirdMessageSent', since, a0=self.home)
        self.assertEqual([s[4] for s in sent], [parts[0]['id'], parts[1]['id']])

    def test_refusals_are_named_errors(self):
        err = self.call_error('TwinbirdPost', self.work, 'x' * 300)
        self.assertEqual(err[0], 'im.twinbird.Error.Refused')
        self.assertRegex(err[1], r'@pat_at_acme.*300/280')

        err = self.call_error('TwinbirdPost', 99999, 'hello')
        self.assertEqual(err[0], 'im.twinbird.Error.NoSuchAccount')
        self.assertIn('PurpleAccountsFind', err[1])

        err = self.call_error('TwinbirdReply', self.home, 'zz', 'hello')
        self.assertEqual(err[0], 'im.twinbird.Error.UnknownId')

        # A short id shown to the personal account is not the work account's to answer.
        since = self.pb.mark()
        mention = self.x.tweet('dana', '@pat_home only for you')
        short_id = self.pb.wait_signal('TwinbirdMentionReceived', 15, since,
                                       a2=mention['id'])[3]
        err = self.call_error('TwinbirdReply', self.work, short_id, 'hello')
        self.assertEqual(err[0], 'im.twinbird.Error.WrongAccount')
        self.assertIn('@pat_home', err[1])

        # X's own refusal, with X's reason; the text stays in the outbox.
        self.x.fault('403', method='POST', path=r'^/2/tweets$')
        err = self.call_error('TwinbirdPost', self.home, 'refused by X')
        self.assertEqual(err[0], 'im.twinbird.Error.X.Forbidden')
        self.assertRegex(err[1], r'Not sent from @pat_home \(o\d+ is kept')

        err = self.call_error('TwinbirdDm', self.work, 'pat_at_acme', 'to myself')
        self.assertEqual(err[0], 'im.twinbird.Error.Refused')
        err = self.call_error('TwinbirdPost', self.work)
        self.assertEqual(err[0], 'org.freedesktop.DBus.Error.InvalidArgs')
        self.assertEqual(self.posted(), [])

    def test_a_call_waiting_for_x_is_answered_when_the_account_closes(self):
        self.x.call('POST', '/faults', {'match': {'method': 'POST', 'path': '^/2/tweets$'},
                                        'count': 1, 'kind': 'slow', 'delay': 8})
        box = self.pb.call_async('TwinbirdPost', self.work, 'slow one')
        self.pb.wait_until(lambda: self.x.requests_to('/2/tweets', method='POST'), 10,
                           what='the post under way')
        self.pb.pump(0.3)
        self.assertEqual(box, {})  # no answer before X confirms
        self.host.send('disable', account='pat_at_acme')
        self.pb.wait_until(lambda: box, 5, what='an answer after the account closed')
        self.assertIn('error', box)
        self.assertEqual(box['error'].get_dbus_name(), 'im.twinbird.Error.Closed')
        self.assertIn('@pat_at_acme', box['error'].get_dbus_message())
        # The other account is untouched.
        self.assertTrue(self.pb.call('TwinbirdPost', self.home, 'still here'))


class DBusGuardAndHours(h.E2ETestCase):
    """The guard on for both accounts, the work account outside its hours (UTC)."""

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        h.raise_dm_limit(self.x)
        self.x.add_user('pat_home', 'Pat', token=HOME_TOKEN)
        self.x.add_user('pat_at_acme', 'Pat at Acme', token=WORK_TOKEN)
        later = time.time() + 3 * 3600
        hours = 'daily %s-%s' % (time.strftime('%H:%M', time.gmtime(later)),
                                 time.strftime('%H:%M', time.gmtime(later + 3600)))
        self.bus = c.DBusDaemon(self.logdir).start()
        self.host = self.host([
            h.account('pat_home', HOME_TOKEN, self.x.api_base, role='personal', guard='on'),
            h.account('pat_at_acme', WORK_TOKEN, self.x.api_base, role='work', guard='on',
                      work_hours=hours, time_zone='UTC')], env=self.bus.env())
        self.pb = c.PurpleBus(self.bus.address).wait_service()
        self.addCleanup(self.pb.close)
        self.home = self.pb.wait_account('pat_home')
        self.work = self.pb.wait_account('pat_at_acme')

    def call_error(self, *args):
        import dbus
        with self.assertRaises(dbus.DBusException) as cm:
            self.pb.call(*args)
        return cm.exception.get_dbus_name(), cm.exception.get_dbus_message()

    def test_guarded_and_off_hours_calls_fail_named_unless_anyway(self):
        self.pb.call('TwinbirdPost', self.home, 'Big news today')
        name, msg = self.call_error('TwinbirdPost', self.work, 'big news TODAY')
        self.assertEqual(name, 'im.twinbird.Error.Guarded')
        self.assertIn('@pat_home sent the same text', msg)
        name, msg = self.call_error('TwinbirdPost', self.work, 'a different work post')
        self.assertEqual(name, 'im.twinbird.Error.OffHours')
        self.assertIn('outside the work hours of @pat_at_acme', msg)
        self.assertEqual([p for p in self.x.posted() if p['token'] == WORK_TOKEN], [])

        post_id = self.pb.call('TwinbirdPostAnyway', self.work, 'big news TODAY')
        [post] = [p for p in self.x.posted() if p['token'] == WORK_TOKEN]
        self.assertEqual((post['id'], post['text']), (post_id, 'big news TODAY'))
        event_id = self.pb.call('TwinbirdDmAnyway', self.work, 'pat_home', 'see you at work')
        self.assertTrue(event_id)
        self.assertEqual(self.host.find({'event': 'request-action'}), [], 'a script was asked')


if __name__ == '__main__':
    h.main()
