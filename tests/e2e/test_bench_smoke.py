#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The sync benchmark (bench/sync.py) cannot rot: its --smoke mode (tiny sizes, 1-second polls,
every scenario but callgrind, in about a minute) runs against the simulator, tb-host and
BitlBee and writes a results file with every row of the table. It asserts no performance goal:
a smoke run's figures mean nothing (the file says so); bench/run sync measures."""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbharness as h  # noqa: E402

sys.path.insert(0, os.path.join(h.SOURCE_ROOT, 'bench'))
import sync  # noqa: E402


class BenchSmoke(h.E2ETestCase):

    def test_smoke_writes_every_row(self):
        out = os.path.join(h.mkdtemp('bench-smoke'), 'results.md')
        log = os.path.join(self.logdir, 'bench-smoke.log')
        cpus = sorted(os.sched_getaffinity(0))
        pin = ['--host-cpu', str(cpus[-1])] if len(cpus) >= 2 else []
        with open(log, 'wb') as f:
            proc = h.register_process('bench/sync.py', subprocess.Popen(
                [h.PY, os.path.join(h.SOURCE_ROOT, 'bench', 'sync.py'), '--smoke', '--out', out,
                 '--logdir', self.logdir] + pin, stdout=f, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=h.base_env()))
            try:
                rc = proc.wait(90)
            except subprocess.TimeoutExpired:
                rc = h.stop_process(proc)
                self.fail('bench/sync.py --smoke still running after 90 s:\n' + h.tail(log))
        self.assertEqual(rc, 0, h.tail(log))
        with open(out, encoding='utf-8') as f:
            text = f.read()
        self.assertIn('* mode: smoke', text)
        self.assertRegex(text, r'\* command: `bench/sync\.py --smoke')
        self.assertRegex(text, r'\* machine: \d+ cores')
        if pin:   # the kernel's own word that each measured host ran on that CPU
            self.assertRegex(text, r'\* pinning: .*read back: pair-host on CPU %d;.*'
                             r'bitlbee on CPU %d' % (cpus[-1], cpus[-1]))
        table = [line for line in text.splitlines() if line.startswith('| ')]
        self.assertEqual(table[0], '| section | figure | Twinbird | naive poller | goal | result |')
        for key, section, figure, goal in sync.ROWS:
            rows = [r for r in table if r.startswith('| %s | %s |' % (section, figure))]
            self.assertEqual(len(rows), 1, 'row %s (%s) in:\n%s' % (key, figure, text))
            cells = [c.strip() for c in rows[0].strip('|').split(' | ')]
            self.assertNotIn(cells[2], ('', 'not run'), key)
            self.assertFalse(cells[2].startswith('error'), '%s: %s' % (key, cells[2]))
        # the idle requests come per endpoint too, the DM and the mention reads at least
        self.assertTrue([r for r in table if re.search(r'idle requests per day: GET /2/dm_events',
                                                       r)], text)
        self.assertNotIn('PASS', text)   # a smoke run judges nothing
        self.assertNotIn('FAIL', text)

    def test_trace_lines_are_read(self):
        """The plugin's TB_TRACE_CALLBACKS lines, as tb-host's --debug-log and BitlBee write
        them: the largest is the figure."""
        path = os.path.join(self.logdir, 'trace.log')
        with open(path, 'w') as f:
            f.write('12:00:00.000001 misc twinbird: tb-trace: slowest callback 812 us (poll)\n'
                    'DEBUG twinbird: tb-trace: slowest callback 4100 us (deliver (DMs))\n'
                    '12:00:01.000001 misc twinbird: tb-trace: slowest callback 950 us (x)\n'
                    'DEBUG twinbird: tb-trace: slowest callback 4200 us (HTTP timer) [cpu 310 us, '
                    'waits 1, preempted 0, faults 2 minor 0 major]\n'
                    'DEBUG twinbird: tb-trace: most CPU in a callback 700 us (poll)\n'
                    'DEBUG twinbird: tb-trace: most CPU in a callback 2300 us (store-save)\n')
        self.assertEqual(sync.worst_callback(path), (
            4200, 'HTTP timer', (2300, 'store-save'),
            'cpu 310 us, waits 1, preempted 0, faults 2 minor 0 major'))
        with open(path, 'w') as f:   # a plugin that does not say where the time went
            f.write('DEBUG twinbird: tb-trace: slowest callback 4100 us (deliver (DMs))\n')
        self.assertEqual(sync.worst_callback(path), (4100, 'deliver (DMs)', None, None))
        self.assertIsNone(sync.worst_callback(os.path.join(self.logdir, 'none.log')))


if __name__ == '__main__':
    h.main()
