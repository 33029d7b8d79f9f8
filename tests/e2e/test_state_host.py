#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A damaged state file, in the headless libpurple host (issue 12): cut in the middle of a value,
or garbled, it is set aside (never used, never overwritten) with one clear notice that says what
was lost and where the file went; the account still signs in; what arrived before the file's
last write is not shown again as new, and what came after it is shown once."""

import glob
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402

HOME, TOKEN = 'pat_home', 'tok-pat-home'
WAIT = 10
contains = h.contains


class StateHost(h.OneAccountCase):

    def start(self, **kw):
        return self.start_host(wait=WAIT, **kw)

    def state_path(self, host):
        return os.path.join(host.user_dir, 'twinbird', HOME + '.state')

    def run_with_damage(self, damage):
        host = self.start_polled(WAIT)
        self.x.dm('alice', HOME, 'seen before the damage')
        self.x.tweet('alice', '@pat_home mention before the damage')
        host.wait_for({'event': 'received-im', 'plain': contains('seen before the damage')}, WAIT)
        host.wait_for({'event': 'received-chat',
                       'plain': contains('mention before the damage')}, WAIT)
        time.sleep(1.5)  # the coalesced store write
        self.assertEqual(host.quit(), 0)
        path = self.state_path(host)
        with open(path, encoding='utf-8') as f:
            good = f.read()
        self.assertTrue(good.startswith('[twinbird]\nformat=2\n'), good[:40])
        damaged = damage(good)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(damaged)
        time.sleep(1.1)  # what comes now is after the file's last write, to the second

        self.x.dm('alice', HOME, 'sent while the file was damaged')
        host2 = self.start(user_dir=host.user_dir, name='host-after-damage')
        note = host2.wait_for({'event': 'notify', 'secondary': contains('damaged')}, WAIT)
        aside = glob.glob(path + '.damaged-*')
        self.assertEqual(len(aside), 1, 'the damaged file is set aside')
        with open(aside[0], encoding='utf-8') as f:
            self.assertEqual(f.read(), damaged, 'and kept as it was')
        self.assertIn(aside[0], note['secondary'])
        self.assertIn('@pat_home', note['secondary'])
        self.assertIn('not sent', note['secondary'])
        host2.wait_for({'event': 'received-im',
                        'plain': contains('sent while the file was damaged')}, WAIT)
        self.x.dm('alice', HOME, 'and one more after')
        host2.wait_for({'event': 'received-im', 'plain': contains('and one more after')}, WAIT)
        time.sleep(2.5)  # a few more polls: anything replayed would show now
        self.assertEqual(host2.find({'event': 'received-im',
                                     'plain': contains('seen before the damage')}), [],
                         'an old DM is not shown again as new')
        self.assertEqual(host2.find({'event': 'received-chat',
                                     'plain': contains('mention before the damage')}), [],
                         'an old mention is not shown again as new')
        self.assertEqual(len(host2.find({'event': 'received-im',
                                         'plain': contains('while the file was damaged')})), 1)
        self.assertEqual(len(host2.find({'event': 'notify'})), 1, 'said once')
        self.assertEqual(host2.find({'event': 'connection-error'}), [])
        self.assertEqual(host2.quit(), 0)
        with open(path, encoding='utf-8') as f:
            self.assertTrue(f.read().startswith('[twinbird]\n'), 'a fresh file is written')

    def test_cut_in_the_middle_of_a_value(self):
        self.run_with_damage(lambda good: good[:good.index('dm_last_id=') + 15])

    def test_garbled(self):
        self.run_with_damage(lambda good: 'Key file contains this line\n[[[\x01\n' + good[5:])


if __name__ == '__main__':
    h.main()
