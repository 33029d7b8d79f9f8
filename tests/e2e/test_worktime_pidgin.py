#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 13 in Pidgin under a private Xvfb, typed with xdotool: the work account @pat_at_acme
outside its work hours (three hours from now, UTC). Its own buddy is away with a message saying
when work resumes; "/post ..." in its conversation is held (the HELD notice, read from
libpurple's wrote-im-msg signal on Pidgin's private D-Bus: notices are not logged), nothing
reaches X; "/now oN" sends it, and Pidgin's log holds it tagged."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
import clientlib as c  # noqa: E402
from twoaccounts import TOKENS, WORK  # noqa: E402


class PidginWorktime(c.PatInPidgin, h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        h.raise_dm_limit(self.x)
        later = time.time() + 3 * 3600
        self.later = time.strftime('%H:%M', time.gmtime(later))
        hours = 'daily %s-%s' % (self.later, time.strftime('%H:%M', time.gmtime(later + 3600)))
        self.start_pidgin(work_hours=hours, time_zone='UTC')
        self.work = self.pb.wait_account('pat_at_acme')

    def own_status(self):
        buddy = self.pb.call('PurpleFindBuddy', self.work, 'pat_at_acme')
        status = self.pb.call('PurplePresenceGetActiveStatus',
                              self.pb.call('PurpleBuddyGetPresence', buddy))
        return (self.pb.call('PurpleStatusGetId', status),
                self.pb.call('PurpleStatusGetAttrString', status, 'message'))

    def test_away_and_a_held_post_sent_with_now(self):
        self.x.dm('dana', 'pat_at_acme', 'Is the release note out?')
        conv = self.d.wait_window(r'^Dana Example · \[work @pat_at_acme\]$', 15)
        status, message = h.wait_until(lambda: self.own_status()[0] == 'away' and
                                       self.own_status(), 10, what='the work buddy away')
        self.assertIn('back at', message)
        self.assertIn(self.later, message)

        since = self.pb.mark()
        self.type_into(conv, '/post The release note is out')
        got = self.pb.wait_signal('WroteImMsg', 10, since, a2=re.compile(r'HELD \(o\d+\)'))
        self.assertIn(self.later, got[2])
        oid = re.search(r'HELD \((o\d+)\)', got[2]).group(1)
        time.sleep(1)
        self.assertEqual(self.x.posted(), [], 'a held post went out')

        self.type_into(conv, '/now %s' % oid)
        post = h.wait_until(lambda: self.x.posted(), 10, interval=0.5, what='the post')[0]
        self.assertEqual((post['token'], post['raw_text']), (TOKENS[WORK], 'The release note is out'))
        rx = (r'\[work @pat_at_acme\] The release note is out · '
              r'https://x\.com/pat_at_acme/status/%s' % post['id'])
        self.wait_log('pat_at_acme', 'dana', rx, timeout=10)
        self.d.screenshot(os.path.join(self.logdir, 'pidgin-worktime.png'), conv)
        self.pidgin.quit(self.pb)
        self.assertEqual(self.pidgin.proc.returncode, 0)


if __name__ == '__main__':
    h.main()
