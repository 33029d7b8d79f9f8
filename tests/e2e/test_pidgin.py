#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 5 in Pidgin under a private Xvfb, driven with xdotool like a person would:

- the buddy list holds each account's group with the account's own buddy (libpurple's list,
  read over Pidgin's private D-Bus, and the screenshot);
- a DM to the work account opens its conversation; the answer typed there goes out from the work
  account and Pidgin's conversation log shows it tagged "[work @pat_at_acme]" with X's DM id;
- the personal account's own buddy, found by typing its name in the buddy list, opens a
  conversation where typed text is posted from the personal account, tagged "[personal
  @pat_home]" with the post's link;
- screenshots (/usr/bin/import) are kept in the test's log directory; with
  TB_UPDATE_SCREENSHOT=<path> the desktop one is also copied there (docs/pidgin-screenshot.png
  is refreshed that way, by hand, from a real run).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402
import clientlib as c  # noqa: E402
from twoaccounts import HOME, TOKENS, WORK  # noqa: E402

ICONS_SETTLE_S = 12  # Pidgin shows a "signing on" door for ~10 s before the green dot


class PidginWindows(c.PatInPidgin, h.E2ETestCase):

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        h.raise_dm_limit(self.x)  # DMs checked every second on purpose
        self.start_pidgin()
        self.work = self.pb.wait_account('pat_at_acme')
        self.home = self.pb.wait_account('pat_home')
        self.online_at = time.monotonic()

    def test_typed_messages_are_tagged_with_the_sending_account(self):
        # Each account's group, with the account's own buddy in it.
        for account, handle, role in ((self.home, 'pat_home', 'personal'),
                                      (self.work, 'pat_at_acme', 'work')):
            buddy = self.pb.call('PurpleFindBuddy', account, handle)
            self.assertTrue(buddy, handle)
            label = '@%s (%s)' % (handle, role)
            self.assertEqual(self.pb.call('PurpleBuddyGetAlias', buddy), label)
            group = self.pb.call('PurpleBuddyGetGroup', buddy)
            self.assertEqual(self.pb.call('PurpleGroupGetName', group), label)

        # A DM to the work account opens its window; the answer is typed there.
        # Its title and first line name the account before anything is typed (issue 14).
        since = self.pb.mark()
        self.x.dm('dana', 'pat_at_acme', 'Can you send me the report?')
        conv = self.d.wait_window(r'^Dana Example · \[work @pat_at_acme\]$', 15)
        self.pb.wait_signal('WroteImMsg', 10, since,
                            a2='You are writing as [work @pat_at_acme]: a direct message to this '
                               'person.')
        self.d.xdo('windowmove', conv, 310, 0)
        self.d.xdo('windowsize', conv, 560, 320)
        self.type_into(conv, 'Sending it in five minutes')
        m = self.wait_log('pat_at_acme', 'dana',
                          r'\[work @pat_at_acme\] Sending it in five minutes · DM (\d+)')
        [dm] = [p for p in self.x.posted() if p['kind'] == 'dm']
        self.assertEqual((dm['id'], dm['token'], dm['recipient'], dm['text']),
                         (m.group(1), TOKENS[WORK], 'dana', 'Sending it in five minutes'))
        self.assertIn('Dana Example: Can you send me the report?',
                      self.pidgin.log_text('pat_at_acme', 'dana'))

        # The personal account's own buddy, found by typing in the buddy list (the group of
        # the same name comes first: Down moves to the buddy), opens the posting window.
        self.d.xdo('windowfocus', '--sync', self.blist)
        self.d.xdo('mousemove', '--window', self.blist, 150, 300, 'click', 1)
        self.d.xdo('type', '--delay', '30', '@pat_home')
        time.sleep(0.3)
        self.d.xdo('key', 'Down')
        time.sleep(0.2)
        self.d.xdo('key', 'Return')
        own = self.d.wait_window(r'^@pat_home \(personal\)$', 10)
        self.d.xdo('windowmove', own, 310, 330)
        self.d.xdo('windowsize', own, 560, 260)
        self.type_into(own, 'Lunch break in the sun')
        m = self.wait_log('pat_home', 'pat_home',
                          r'\[personal @pat_home\] Lunch break in the sun · '
                          r'https://x\.com/pat_home/status/(\d+)')
        [post] = [p for p in self.x.posted() if p['kind'] == 'tweet']
        self.assertEqual((post['id'], post['token'], post['text']),
                         (m.group(1), TOKENS[HOME], 'Lunch break in the sun'))
        self.assertEqual(len(self.x.posted()), 2)

        # Screenshots once the buddy icons have settled.
        time.sleep(max(0.0, self.online_at + ICONS_SETTLE_S - time.monotonic()))
        desktop = self.d.screenshot(os.path.join(self.logdir, 'pidgin-desktop.png'),
                                    crop='880x600+0+0')
        self.d.screenshot(os.path.join(self.logdir, 'pidgin-buddy-list.png'), self.blist)
        self.d.screenshot(os.path.join(self.logdir, 'pidgin-work-dm.png'), conv)
        self.d.screenshot(os.path.join(self.logdir, 'pidgin-personal-post.png'), own)
        self.assertGreater(os.path.getsize(desktop), 10000)
        c.copy_if_asked(desktop)

        self.pidgin.quit(self.pb)
        self.assertEqual(self.pidgin.proc.returncode, 0)


if __name__ == '__main__':
    h.main()
