#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tools/demo, as a user runs it (with --no-wait, and without installing or building: the test
run has built everything already). Issue 2: the transcript shows both of Pat's accounts coming
online in BitlBee. Issue 3 item 10: a DM and a mention arrive on each account and tagged answers
go out from the right account. Issue 13: the work account away outside its hours, a held post and
a scheduled one going out tagged when the hours start. Everything the demo started is gone when it exits."""

import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402

DEMO = os.path.join(h.SOURCE_ROOT, 'tools', 'demo')


def alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().split(') ', 1)[1][0] != 'Z'
    except (OSError, IndexError):
        return False


class Demo(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.logdir = h.log_dir('demo-test')
        try:
            r = subprocess.run(
                [DEMO, '--no-wait', '--no-install', '--no-build', '--build-dir', h.BUILD_ROOT,
                 '--logdir', cls.logdir],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=270,
                env=h.base_env())
            cls.rc, cls.out, cls.err = r.returncode, r.stdout, r.stderr
        except subprocess.TimeoutExpired as e:
            cls.rc, cls.out, cls.err = None, e.stdout or '', e.stderr or ''
            if isinstance(cls.out, bytes):
                cls.out = cls.out.decode(errors='replace')
        with open(os.path.join(cls.logdir, 'demo-stdout.txt'), 'w') as f:
            f.write(cls.out)
            f.write('\n--- stderr ---\n')
            f.write(cls.err if isinstance(cls.err, str) else cls.err.decode(errors='replace'))

    def show(self):
        return '\n--- demo output ---\n%s\n--- stderr ---\n%s' % (self.out[-6000:], self.err[-2000:])

    def test_both_accounts_come_online_in_bitlbee(self):
        self.assertEqual(self.rc, 0, self.show())
        for pattern in (r'root: twinbird - Logging in: Logged in',
                        r'root: twinbird2 - Logging in: Logged in',
                        r'\* pat_home is online \(account twinbird\)',
                        r'\* pat_at_acme is online \(account twinbird2\)',
                        r'ok  @pat_home \(personal\) online',
                        r'ok  @pat_at_acme \(work\) online',
                        r'^RESULT: both accounts online$'):
            self.assertRegex(self.out, re.compile(pattern, re.M), self.show())
        # the transcript is readable: what was typed, what root answered
        self.assertIn('pat> account add twinbird pat_home ********', self.out)
        self.assertIn('pat> account twinbird2 set role work', self.out)

    def test_no_secret_and_nothing_left_running(self):
        for token in ('demo-token-pat-home', 'demo-token-pat-at-acme'):
            self.assertNotIn(token, self.out)
        pids = [int(p) for p in re.findall(r'\(pid (\d+)', self.out)]
        self.assertGreaterEqual(len(pids), 2, self.show())  # xsim and bitlbee
        self.assertEqual([p for p in pids if alive(p)], [], 'demo left processes running')
        self.assertIn('every process it started is stopped', self.out)

    def test_dm_mention_and_tagged_answers_are_shown(self):
        """Issue 3 item 10."""
        for scene in ('A DM arrives on each account',
                      'A mention arrives on each account',
                      'Pat answers the DM on the personal account: tagged, from @pat_home',
                      'Pat replies in the work thread: tagged, from @pat_at_acme'):
            self.assertRegex(self.out, re.compile(r'^   ok  ' + re.escape(scene), re.M),
                             self.show())
        self.assertRegex(self.out, r'<sam_rivera> Hi Pat! Lunch on Friday\?\s+\(a DM on account '
                                   r'twinbird\)')
        self.assertRegex(self.out, r'<dana_ops> Can you review the Q3 deck today\?\s+\(a DM on '
                                   r'account twinbird2\)')
        self.assertRegex(self.out, r'\[personal @pat_home\] Friday works!')
        self.assertRegex(self.out, r'\[work @pat_at_acme\] Thanks, it was a team effort!')

    def test_work_hours_held_and_scheduled_posts(self):
        """Issue 13 item 5."""
        for scene in ('Work hours: @pat_at_acme away, a work post held, a personal one scheduled',
                      'Work starts: the held and the scheduled post go out, tagged'):
            self.assertRegex(self.out, re.compile(r'^   ok  ' + re.escape(scene), re.M),
                             self.show())
        self.assertRegex(self.out, r'pat_at_acme is away: .*Outside work hours')
        self.assertRegex(self.out, r'\*\*\* HELD \(o\d+\)')
        self.assertRegex(self.out, r'\[work @pat_at_acme\] Our Q3 numbers are out')
        self.assertRegex(self.out, r'\[personal @pat_home\] Weekend hike photos are up')
        self.assertIn('pat_at_acme is available again', self.out)


if __name__ == '__main__':
    try:
        unittest.main(verbosity=2)
    finally:
        h.cleanup()
