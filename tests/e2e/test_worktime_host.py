#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 13 in the headless libpurple host (tb-host) against the simulated X API, in real time:
work hours are set around the current minute (UTC), never faked inside the plugin.

Pat's work account @pat_at_acme is away outside its hours, saying when work resumes, and
available again on time; a post typed outside its hours is held (a line with its id and how to
send or drop it) and goes out by itself at the start of the hours, tagged, once. off_hours=ask
asks (OK/Cancel): yes sends, no holds; a personal account holds what is typed inside the work
hours. `schedule` with +1m, HH:MM, +1d and next, `scheduled`,
`unschedule`, `now`; a past or unreadable time is refused with the accepted forms. The queue
survives a restart; an item that fell due while the host was closed is sent late once
(missed_schedule=send) or kept and reported (hold). Bad work_hours and time_zone values stop the
sign-in naming the option."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
from tbharness import contains, has  # noqa: E402
from twoaccounts import HOME, ROLES, TAGS, TOKENS, WAIT, WORK, TwoAccounts  # noqa: E402


def hhmm(t):
    return time.strftime('%H:%M', time.gmtime(t))


def next_minute(margin=20):
    """The start of the next minute (Unix seconds) at least margin seconds away."""
    t = (int(time.time()) // 60 + 1) * 60
    return t if t - time.time() >= margin else t + 60


class WorktimeHost(TwoAccounts, h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.add_pat(others=('alice',))

    # -- helpers --------------------------------------------------------------------------------

    def start(self, home=None, work=None, user_dir=None, name='host', signed_on=True):
        accounts = [h.account(handle, TOKENS[handle], self.x.api_base, role=ROLES[handle],
                              dm_interval=1, mention_interval=1, mutuals_cap=0,
                              **dict({'guard': 'on'}, **(extra or {})))
                    for handle, extra in ((HOME, home), (WORK, work))]
        host = h.Host(accounts, user_dir=user_dir, logdir=self.logdir, name=name,
                      args=['--no-reconnect']).start()
        for handle in (HOME, WORK) if signed_on else ():
            host.wait_for({'event': 'signed-on', 'account': handle}, 15)
        return host

    def im(self, host, account, to, text):
        since = host.mark()
        host.send('send-im', account=account, to=to, text=text)
        return since

    def notice(self, host, account, conv, since, *parts, timeout=WAIT):
        e = host.wait_for({'event': 'write-conv', 'account': account, 'conv': conv,
                           'plain': contains(*parts)}, timeout, since=since,
                          what='line %r on @%s in %s' % (parts, account, conv))
        self.assertNotIn('send', e['flags'], 'a notice must not look like a sent message')
        return e['plain']

    def posted(self, **match):
        return [p for p in self.x.posted() if all(p.get(k) == v for k, v in match.items())]

    def wait_posted(self, what, timeout=WAIT, **match):
        return h.wait_until(lambda: self.posted(**match), timeout, interval=0.5, what=what)[0]

    def echo(self, host, account, conv, since, *parts, timeout=WAIT):
        e = host.wait_for({'event': 'write-conv', 'account': account, 'conv': conv,
                           'flags': has('send'), 'plain': contains(TAGS[account], *parts)},
                          timeout, since=since, what='tagged %r on @%s' % (parts, account))
        self.assertTrue(e['plain'].startswith(TAGS[account] + ' '), e['plain'])
        return e['plain']

    def once(self, text, key='raw_text'):
        time.sleep(2)  # a second send would have reached X by now
        self.assertEqual(len(self.posted(**{key: text})), 1, '%r must go out exactly once' % text)

    def scheduled_id(self, line, word='SCHEDULED'):
        m = re.search(r'%s \((o\d+)\)' % word, line)
        self.assertIsNotNone(m, line)
        return m.group(1)

    # -- tests ----------------------------------------------------------------------------------

    def test_bad_work_hours_and_time_zone_stop_the_sign_in(self):
        host = self.start(home={'work_hours': 'weekdays 9 to 5'},
                          work={'time_zone': 'Mars/Olympus'}, signed_on=False)
        err = host.wait_for({'event': 'connection-error', 'account': HOME}, 15)
        self.assertIn('work_hours', err['description'])
        self.assertIn('Mon-Fri 09:00-17:30', err['description'])
        err = host.wait_for({'event': 'connection-error', 'account': WORK}, 15)
        self.assertIn('time_zone', err['description'])
        self.assertIn('Mars/Olympus', err['description'])
        self.assertEqual(host.find({'event': 'signed-on'}), [])

    def test_away_outside_hours_and_a_held_post_goes_out_at_their_start(self):
        start = next_minute()
        hours = 'daily %s-%s' % (hhmm(start), hhmm(start + 120))
        host = self.start(work={'work_hours': hours, 'time_zone': 'UTC'})
        away = host.wait_for({'event': 'blist-update', 'account': WORK, 'buddy': WORK,
                              'status': 'away'}, WAIT, what='the work buddy away')
        self.assertIn('back at', away['status_message'])
        self.assertIn(hhmm(start), away['status_message'])
        # the personal account has no work hours: untouched
        self.assertEqual(host.find({'event': 'blist-update', 'account': HOME, 'status': 'away'}),
                         [])

        since = self.im(host, WORK, WORK, 'the quarterly numbers are out')
        line = self.notice(host, WORK, WORK, since, 'HELD (o', 'the quarterly numbers are out')
        oid = self.scheduled_id(line, 'HELD')
        self.assertIn('now %s' % oid, line)
        self.assertIn('unschedule %s' % oid, line)
        self.assertIn(hhmm(start), line)
        time.sleep(2)
        self.assertEqual(self.posted(raw_text='the quarterly numbers are out'), [],
                         'a held post went out outside work hours')

        p = self.wait_posted('the held post', timeout=start - time.time() + 15,
                             raw_text='the quarterly numbers are out')
        self.assertGreaterEqual(time.time(), start - 1, 'sent before the work hours began')
        self.assertEqual((p['token'], p['kind']), (TOKENS[WORK], 'tweet'))
        self.echo(host, WORK, WORK, since, 'the quarterly numbers are out', p['id'])
        host.wait_for({'event': 'blist-update', 'account': WORK, 'buddy': WORK,
                       'status': 'available'}, 10, since=since, what='the work buddy back')
        self.once('the quarterly numbers are out')

        # inside the hours a post goes at once
        since = self.im(host, WORK, WORK, 'working now')
        self.wait_posted('a post inside the hours', raw_text='working now')
        self.assertEqual(host.quit(), 0)

    def test_ask_answered_yes_and_no(self):
        later = next_minute() + 3 * 3600
        hours = 'daily %s-%s' % (hhmm(later), hhmm(later + 3600))
        host = self.start(work={'work_hours': hours, 'time_zone': 'UTC', 'off_hours': 'ask'})

        since = self.im(host, WORK, WORK, 'send this one anyway')
        act = host.wait_for({'event': 'request-action'}, WAIT, since=since)
        self.assertEqual(act['actions'], ['OK', 'Cancel'])
        self.assertIn('@pat_at_acme', act['primary'])
        self.assertIn('outside the work hours', act['primary'])
        self.assertEqual(self.posted(raw_text='send this one anyway'), [])
        host.send('request-action-answer', id=act['id'], index=0)
        p = self.wait_posted('the post answered yes', raw_text='send this one anyway')
        self.assertEqual(p['token'], TOKENS[WORK])
        self.echo(host, WORK, WORK, since, 'send this one anyway')

        since = self.im(host, WORK, WORK, 'keep this one for work')
        act = host.wait_for({'event': 'request-action'}, WAIT, since=since)
        host.send('request-action-answer', id=act['id'], index=1)
        line = self.notice(host, WORK, WORK, since, 'HELD (o', 'keep this one for work')
        self.assertIn(hhmm(later), line)
        oid = self.scheduled_id(line, 'HELD')
        since = self.im(host, WORK, WORK, 'scheduled')
        self.notice(host, WORK, WORK, since, oid, '(held)', 'keep this one for work')
        time.sleep(1)
        self.assertEqual(self.posted(raw_text='keep this one for work'), [])
        self.assertEqual(host.quit(), 0)

    def test_a_personal_account_holds_inside_work_hours(self):
        now = time.time()
        hours = 'daily %s-%s' % (hhmm(now - 3600), hhmm(now + 3600))
        host = self.start(home={'work_hours': hours, 'time_zone': 'UTC'})
        since = self.im(host, HOME, HOME, 'not on company time')
        line = self.notice(host, HOME, HOME, since, 'HELD (o', 'inside work hours',
                           '@pat_home is personal')
        self.assertIn(hhmm(now + 3600), line)
        time.sleep(1)
        self.assertEqual(self.posted(raw_text='not on company time'), [])
        # the personal buddy never shows away; the work account has no hours: sends at once
        self.assertEqual(host.find({'event': 'blist-update', 'status': 'away'}), [])
        self.im(host, WORK, WORK, 'work goes out')
        self.wait_posted('the work post', raw_text='work goes out')
        self.assertEqual(host.quit(), 0)

    def test_schedule_scheduled_unschedule_now(self):
        later = next_minute() + 3 * 3600
        hours = 'daily %s-%s' % (hhmm(later), hhmm(later + 3600))
        host = self.start(work={'work_hours': hours, 'time_zone': 'UTC', 'off_hours': 'send'})

        for when, why in (('soonish', 'cannot read'), ('2020-01-01 10:00', 'in the past'),
                          ('25:00', 'cannot read'), ('next', 'work_hours')):
            since = self.im(host, HOME, HOME, 'schedule %s some text' % when)
            line = self.notice(host, HOME, HOME, since, 'Not scheduled', why)
            self.assertIn('+30m', line)
        since = self.im(host, HOME, HOME, 'schedule +1h ')
        self.notice(host, HOME, HOME, since, 'Not scheduled', 'nothing to send')

        at = next_minute()
        since = self.im(host, HOME, HOME, 'schedule +1m one minute from now')
        a = self.scheduled_id(self.notice(host, HOME, HOME, since, 'SCHEDULED', 'one minute'))
        since = self.im(host, HOME, HOME, 'schedule %s at the minute' % hhmm(at))
        b = self.scheduled_id(self.notice(host, HOME, HOME, since, 'SCHEDULED', hhmm(at)))
        since = self.im(host, HOME, HOME, 'schedule +1d tomorrow perhaps')
        c = self.scheduled_id(self.notice(host, HOME, HOME, since, 'SCHEDULED', 'tomorrow'))
        host.send('send-im', account=HOME, to='alice', text='hello')
        self.wait_posted('the DM to alice', kind='dm', text='hello')
        since = self.im(host, HOME, 'alice', '!schedule +1m see you at six')
        d = self.scheduled_id(self.notice(host, HOME, 'alice', since, 'SCHEDULED', 'see you'))

        since = self.im(host, HOME, HOME, 'scheduled')
        for oid, text in ((a, 'one minute from now'), (b, 'at the minute'),
                          (c, 'tomorrow perhaps'), (d, 'DM to @alice')):
            self.notice(host, HOME, HOME, since, oid, text)
        since = self.im(host, HOME, HOME, 'unschedule %s' % c)
        self.notice(host, HOME, HOME, since, 'Dropped %s' % c)
        since = self.im(host, HOME, HOME, 'unschedule %s' % c)
        self.notice(host, HOME, HOME, since, 'nothing scheduled or held is called %s' % c)

        # next: the start of the work account's hours; now sends it at once
        since = self.im(host, WORK, WORK, 'schedule next when work starts')
        e = self.scheduled_id(self.notice(host, WORK, WORK, since, 'SCHEDULED', hhmm(later)))
        since = self.im(host, WORK, WORK, 'now %s' % e)
        p = self.wait_posted('the item sent with now', raw_text='when work starts')
        self.assertEqual(p['token'], TOKENS[WORK])
        self.echo(host, WORK, WORK, since, 'when work starts')

        for text in ('one minute from now', 'at the minute'):
            p = self.wait_posted(text, timeout=at + 75 - time.time(), raw_text=text)
            self.assertEqual(p['token'], TOKENS[HOME])
            self.echo(host, HOME, HOME, 0, text, timeout=5)
        dm = self.wait_posted('the scheduled DM', timeout=15, kind='dm', text='see you at six')
        self.assertEqual((dm['token'], dm['recipient']), (TOKENS[HOME], 'alice'))
        self.echo(host, HOME, 'alice', 0, 'see you at six', timeout=5)
        for text in ('one minute from now', 'at the minute'):
            self.once(text)
        self.once('see you at six', key='text')
        self.assertEqual(self.posted(raw_text='tomorrow perhaps'), [])
        since = self.im(host, HOME, HOME, 'scheduled')
        self.notice(host, HOME, HOME, since, 'Nothing scheduled, held or kept unsent for @pat_home')
        self.assertEqual(host.quit(), 0)

    def test_queue_survives_restart_and_missed_items(self):
        host = self.start(work={'missed_schedule': 'hold'})
        since = self.im(host, HOME, HOME, 'schedule +1m sent late after all')
        a = self.scheduled_id(self.notice(host, HOME, HOME, since, 'SCHEDULED'))
        since = self.im(host, WORK, WORK, 'schedule +1m kept for later')
        b = self.scheduled_id(self.notice(host, WORK, WORK, since, 'SCHEDULED'))
        due = time.time() + 60
        self.assertEqual(host.quit(), 0)

        host2 = self.start(work={'missed_schedule': 'hold'}, user_dir=host.user_dir,
                           name='host-restarted')
        since = self.im(host2, HOME, HOME, 'scheduled')
        self.notice(host2, HOME, HOME, since, a, 'sent late after all')
        since = self.im(host2, WORK, WORK, 'scheduled')
        self.notice(host2, WORK, WORK, since, b, 'kept for later')
        self.assertEqual(host2.quit(), 0)

        time.sleep(max(0, due + 3 - time.time()))
        self.assertEqual(self.posted(raw_text='sent late after all'), [])
        host3 = self.start(work={'missed_schedule': 'hold'}, user_dir=host.user_dir,
                           name='host-late')
        line = self.notice(host3, HOME, HOME, 0, 'LATE (%s)' % a, 'late', timeout=15)
        self.assertRegex(line, r'\d+ min late')
        p = self.wait_posted('the late item', raw_text='sent late after all')
        self.assertEqual(p['token'], TOKENS[HOME])
        self.echo(host3, HOME, HOME, 0, 'sent late after all')
        self.once('sent late after all')

        line = self.notice(host3, WORK, WORK, 0, 'NOT SENT', b, 'missed_schedule is hold')
        self.assertEqual(self.posted(raw_text='kept for later'), [])
        since = self.im(host3, WORK, WORK, 'now %s' % b)
        self.wait_posted('the kept item sent with now', raw_text='kept for later')
        self.echo(host3, WORK, WORK, since, 'kept for later')
        self.once('kept for later')
        self.assertEqual(host3.quit(), 0)


    # -- the guard between the identities -------------------------------------------------------

    def guard_question(self, host, since, *parts):
        act = host.wait_for({'event': 'request-action', 'primary': contains(*parts)}, WAIT,
                            since=since, what='the guard question %r' % (parts,))
        self.assertEqual(act['actions'], ['OK', 'Cancel'])
        return act

    def test_guard_same_text_from_the_other_identity(self):
        host = self.start()
        # X has the personal post but its answer is late: the work post is typed meanwhile
        self.x.fault('slow', method='POST', path='^/2/tweets$', after=True, delay=4)
        self.im(host, HOME, HOME, 'Big launch today! https://acme.com/launch')
        self.wait_posted('the personal post', token=TOKENS[HOME])

        since = self.im(host, WORK, WORK, 'big launch  TODAY! https://acme.com/other')
        act = self.guard_question(host, since, 'a post from @pat_at_acme (work)',
                                  '@pat_home sent the same text just now')
        self.assertEqual(self.posted(token=TOKENS[WORK]), [], 'sent before the answer')
        host.send('request-action-answer', id=act['id'], index=0)  # OK: send
        p = self.wait_posted('the work post answered yes', token=TOKENS[WORK])
        self.assertIn('big launch', p['raw_text'])

        since = self.im(host, HOME, HOME, 'lunch was great')
        self.wait_posted('the second personal post', raw_text='lunch was great')
        self.echo(host, HOME, HOME, since, 'lunch was great')  # confirmed by X this time
        since = self.im(host, WORK, WORK, 'Lunch was GREAT')
        act = self.guard_question(host, since, '@pat_home sent the same text 0 min ago')
        host.send('request-action-answer', id=act['id'], index=1)  # Cancel: keep
        line = self.notice(host, WORK, WORK, since, 'NOT SENT', 'kept by the guard')
        oid = re.search(r'\((o\d+)\)', line).group(1)
        time.sleep(1)
        self.assertEqual(self.posted(raw_text='Lunch was GREAT'), [])
        since = self.im(host, WORK, WORK, 'retry %s' % oid)
        self.wait_posted('the kept post sent with retry', raw_text='Lunch was GREAT')
        self.once('Lunch was GREAT')

        # different words: no question
        since = self.im(host, WORK, WORK, 'the quarterly report')
        self.wait_posted('an unrelated work post', raw_text='the quarterly report')
        self.assertEqual(host.find({'event': 'request-action'}, since=since), [])
        self.assertEqual(host.quit(), 0)

    def test_guard_dm_to_a_person_of_the_other_identity(self):
        self.ids['carol'] = self.x.add_user('carol', 'Carol Example')['id']
        host = self.start()
        self.x.dm('alice', WORK, 'about the contract')
        host.wait_for({'event': 'received-im', 'account': WORK, 'who': 'alice'}, WAIT)
        self.x.dm('carol', HOME, 'drinks friday?')
        host.wait_for({'event': 'received-im', 'account': HOME, 'who': 'carol'}, WAIT)

        since = self.im(host, HOME, HOME, 'dm alice are you free on saturday?')
        act = self.guard_question(host, since, 'a DM to @alice from @pat_home (personal)',
                                  'alice has only ever exchanged DMs with @pat_at_acme')
        self.assertEqual(self.posted(kind='dm', token=TOKENS[HOME]), [])
        host.send('request-action-answer', id=act['id'], index=0)
        dm = self.wait_posted('the DM answered yes', kind='dm', token=TOKENS[HOME])
        self.assertEqual(dm['recipient'], 'alice')

        since = self.im(host, WORK, WORK, 'dm carol the invoice is attached')
        act = self.guard_question(host, since, 'a DM to @carol from @pat_at_acme (work)',
                                  'carol has only ever exchanged DMs with @pat_home')
        host.send('request-action-answer', id=act['id'], index=1)
        self.notice(host, WORK, WORK, since, 'NOT SENT', 'kept by the guard')
        time.sleep(1)
        self.assertEqual(self.posted(kind='dm', token=TOKENS[WORK]), [])

        # a reply from the account that already talks with carol: no question
        since = self.im(host, HOME, 'carol', 'yes, see you there')
        self.wait_posted('the DM to carol from home', kind='dm', text='yes, see you there')
        self.assertEqual(host.find({'event': 'request-action'}, since=since), [])
        self.assertEqual(host.quit(), 0)

    def test_guard_off(self):
        host = self.start(work={'guard': 'off'})
        self.im(host, HOME, HOME, 'same words twice')
        self.wait_posted('the personal post', raw_text='same words twice', token=TOKENS[HOME])
        since = self.im(host, WORK, WORK, 'same words twice')
        self.wait_posted('the work post', raw_text='same words twice', token=TOKENS[WORK])
        self.assertEqual(host.find({'event': 'request-action'}, since=since), [])
        self.assertEqual(host.quit(), 0)

    # -- stats ----------------------------------------------------------------------------------

    def test_stats_after_a_known_series(self):
        host = self.start(home={'time_zone': 'UTC'})
        for text in ('first post', 'second post'):
            self.im(host, HOME, HOME, text)
            self.wait_posted(text, raw_text=text)
        self.x.tweet('alice', '@pat_home what do you think?')
        e = host.wait_for({'event': 'received-chat', 'account': HOME,
                           'plain': contains('what do you think')}, WAIT)
        sid = re.match(r'^\[([0-9a-f]{1,3})\] ', e['plain']).group(1)
        self.im(host, HOME, HOME, 'reply %s I think so' % sid)
        self.wait_posted('the reply', raw_text='I think so')
        self.x.dm('alice', HOME, 'coffee?')
        host.wait_for({'event': 'received-im', 'account': HOME, 'who': 'alice'}, WAIT)
        self.im(host, HOME, 'alice', 'sure')
        self.wait_posted('the DM', kind='dm', text='sure')
        self.im(host, HOME, HOME, 'schedule +1d for tomorrow')
        time.sleep(1)

        want = 'posts 2, replies 1, DMs sent 1, DMs received 1, mentions 1'
        since = self.im(host, HOME, HOME, 'stats')
        line = self.notice(host, HOME, HOME, since, '@pat_home (personal) today: ' + want)
        self.assertIn('this week (since Mon ', line)
        self.assertIn('): ' + want, line)
        self.assertIn('scheduled 1, held 0', line)

        since = self.im(host, HOME, HOME, 'stats all')
        self.notice(host, HOME, HOME, since, '@pat_home (personal) today: ' + want)
        self.notice(host, HOME, HOME, since, '@pat_at_acme (work) today: posts 0, replies 0')
        self.assertEqual(host.quit(), 0)

        # kept in the state file
        host2 = self.start(home={'time_zone': 'UTC'}, user_dir=host.user_dir, name='host-again')
        since = self.im(host2, HOME, HOME, 'stats')
        self.notice(host2, HOME, HOME, since, 'today: ' + want)
        self.assertEqual(host2.quit(), 0)


if __name__ == '__main__':
    h.main()
