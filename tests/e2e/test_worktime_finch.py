#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 13 in Finch under tmux: the work account @pat_at_acme outside its work hours (set three
hours from now, UTC). A post typed in its conversation with "/post" is held (a HELD line with its
id on screen, nothing on X); "/now oN" sends it, tagged; "/schedule +1d ..." is confirmed and
"/scheduled" lists it; "/stats" shows the counts."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
from finchconv import FinchConversation  # noqa: E402
from twoaccounts import TOKENS, WORK  # noqa: E402

TAG = '[work @pat_at_acme]'


class FinchWorktime(FinchConversation, h.E2ETestCase):

    def setUp(self):
        super().setUp()
        later = time.time() + 3 * 3600
        hours = 'daily %s-%s' % (time.strftime('%H:%M', time.gmtime(later)),
                                 time.strftime('%H:%M', time.gmtime(later + 3600)))
        self.start_pat_in_finch(work_hours=hours, time_zone='UTC')

    def conversation_shows(self, regex, what):
        rx = re.compile(regex)
        try:
            return h.wait_until(lambda: rx.search(self.conversation_text()), 10, interval=0.2,
                                what=what)
        except TimeoutError as e:
            raise AssertionError('%s\nscreen:\n%s' % (e, self.finch.screen()))

    def test_held_post_now_schedule_and_stats_as_slash_commands(self):
        self.finch.wait_screen(r'@pat_at_acme \(work\)', 20)
        self.x.dm('dana', WORK, 'are you around?')
        self.finch.wait_screen(r'Dana Example: are you around\?', 15)

        self.type_command('/post held in finch')
        m = self.conversation_shows(r'HELD \((o\d+)\): it is outside the work hours of '
                                    r'@pat_at_acme', 'the HELD line')
        oid = m.group(1)
        time.sleep(1)
        self.assertEqual(self.x.posted(), [], 'a held post went out')

        self.type_command('/now %s' % oid)
        self.conversation_shows(re.escape(TAG) + r' held in finch · https://x\.com/pat_at_acme/',
                                'the tagged post sent with /now')
        [post] = self.x.posted()
        self.assertEqual((post['token'], post['raw_text']), (TOKENS[WORK], 'held in finch'))

        self.type_command('/schedule +1d tomorrow from finch')
        m = self.conversation_shows(r'SCHEDULED \((o\d+)\) from @pat_at_acme', 'SCHEDULED')
        self.type_command('/scheduled')
        self.conversation_shows(r'%s \S+ \S+ \S+, DM to @dana: tomorrow from finch'
                                % m.group(1), 'the scheduled list')
        self.type_command('/stats')
        self.conversation_shows(r'@pat_at_acme \(work\) today: posts 1, replies 0, DMs sent 0, '
                                r'DMs received 1, mentions 0', 'the stats line')
        self.finch.save_screen('finch-worktime.txt')


if __name__ == '__main__':
    h.main()
