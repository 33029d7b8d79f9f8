#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/sync.py: what Twinbird's sync costs the user's X budget and the client's main loop
(issue 11), measured against the simulator with X's real limits and prices, next to a naive
poller (bench/naive.py) on a mirrored pair of accounts in the same run.

    bench/run sync [--quick | --smoke] [--scenario NAME]... [--seed N] [--out FILE]

Scenarios, in the order they run (--scenario picks some; --list names them):

  pair              two Twinbird accounts (@pat_home, @pat_at_acme) at default settings in
                    tb-host and the naive poller on @naive_home/@naive_acme, the same contacts,
                    history and traffic: sign-in cost, idle requests per endpoint per day, the
                    bill of the first minutes after a simulated UTC midnight (what an idle day
                    costs), light traffic (cost, DM and mention latency)
  backlog-dm1       1,000 DMs (quick 100) arrive while the account is signed out: sign in
  backlog-dm2       2,000 DMs (quick 200): needs a second DM window (15 reads / 15 real min)
  backlog-mentions  800 mentions (quick 80)
  bitlbee-ping      a real BitlBee: IRC PING round trips every 50 ms, idle, then while an
                    800-mention backlog (quick 80) arrives
  callgrind         tb-host under valgrind --tool=callgrind: instructions per delivered DM of a
                    1,000-DM backlog (quick 100), less the same host idle for the same time
  memory            RSS of tb-host over 100,000 delivered messages (quick 10,000) in batches
  stream            issue 17: two accounts of one X app with its keys and stream=on (the
                    Activity stream) in one tb-host, beside two at default settings (polling) in
                    another, the same contacts, history and traffic, in the same run: sign-in,
                    idle requests per day and what an idle day costs (one 15-minute safety
                    period from a simulated UTC midnight), then light traffic (7 DMs and 5
                    mentions over 450 s; quick 5 and 3 over 90 s): cost, shown once, DM and
                    mention latency (goal with the stream: within 2 s), HTTP 429, the stream
                    host's worst callback. About 25 minutes (quick 17)

--smoke: tiny sizes, 1-second intervals and a raised DM limit so that it all fits in about a
minute (tests/e2e/test_bench_smoke.py runs it so this code cannot rot); its figures mean
nothing and its results say so. Debian's /usr/bin/python3 and its standard library only; the
processes are tests/e2e/tbharness.py's (started and stopped by PID)."""

import argparse
import datetime
import math
import os
import platform
import random
import re
import shlex
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, 'tests', 'e2e'))
sys.path.insert(0, HERE)
import tbharness as h  # noqa: E402
from naive import NaivePoller  # noqa: E402

DAY = 86400
DM_WINDOW = 900
CONTACTS = ('alice', 'bob', 'carol', 'dave', 'erin', 'frank')
FOLLOWS = ('alice', 'bob', 'carol', 'dave', 'erin')    # each account follows these
FOLLOWERS = ('alice', 'bob', 'carol', 'frank')         # and is followed by these
PAIR = {'twinbird': (('pat_home', 'Pat', 'personal'), ('pat_at_acme', 'Pat at Acme', 'work')),
        'naive': (('naive_home', 'Naive', 'personal'), ('naive_acme', 'Naive at Acme', 'work'))}
TAG_RE = re.compile(r'\[bm-([a-z0-9-]+)\]')
# "... (what) [cpu C us, waits W, ...]": the bracket, when there, says where the wall time went
TRACE_RE = re.compile(r'tb-trace: slowest callback (\d+) us \((.*?)\)(?: \[(.*)\])?\s*$')
CPU_TRACE_RE = re.compile(r'tb-trace: most CPU in a callback (\d+) us \((.*)\)\s*$')
PRICE = {'dm_event': 0.010, 'post': 0.005, 'user': 0.010}

# The stream scenario (issue 17): a pair of one X app with its keys and stream=on, beside a pair
# at default settings (stream off: polling), each pair in an app of its own (the stream's events
# are billed to the app, with no user).
STREAM_APP, POLL_APP = 'bench-stream', 'bench-poll'
STREAM_KEY, STREAM_SECRET = 'ck-bench-stream', 'cs-bench-stream'
STREAM_PAIRS = {'rt': (('rt_home', 'Robin', 'personal'), ('rt_at_acme', 'Robin at Acme', 'work')),
                'po': (('po_home', 'Paula', 'personal'), ('po_at_acme', 'Paula at Acme', 'work'))}
STREAM_SAFETY_S = 900   # while the stream is up, polls are a safety check every 15 minutes

SCENARIOS = ('pair', 'backlog-dm1', 'backlog-dm2', 'backlog-mentions', 'bitlbee-ping',
             'callgrind', 'memory', 'stream')

# Sizes and times by mode.
MODES = {
    'full': dict(dm1=1000, dm2=2000, mentions=800, irc_mentions=800, cg_dms=1000,
                 memory=100000, mem_dm_batch=1000, mem_mention_batch=500,
                 idle_s=900, midnight_s=600, midnight_cap_s=1800, traffic_s=450,
                 traffic_dms=7, traffic_mentions=5, settle_s=240, quiet_s=5, ping_idle_s=30,
                 conv_dms=16, mention_timeout_s=600,
                 st_idle_s=STREAM_SAFETY_S, st_cap_s=300, st_traffic_s=450, st_dms=7,
                 st_mentions=5, st_settle_s=240),
    'quick': dict(dm1=100, dm2=200, mentions=80, irc_mentions=80, cg_dms=100,
                  memory=10000, mem_dm_batch=500, mem_mention_batch=250,
                  idle_s=240, midnight_s=180, midnight_cap_s=1200, traffic_s=240,
                  traffic_dms=7, traffic_mentions=5, settle_s=240, quiet_s=5, ping_idle_s=15,
                  conv_dms=8, mention_timeout_s=300,
                  st_idle_s=STREAM_SAFETY_S, st_cap_s=120, st_traffic_s=90, st_dms=5,
                  st_mentions=3, st_settle_s=200),
    'smoke': dict(dm1=10, dm2=20, mentions=10, irc_mentions=6, cg_dms=0,
                  memory=300, mem_dm_batch=100, mem_mention_batch=50,
                  idle_s=2, midnight_s=2, midnight_cap_s=20, traffic_s=3,
                  traffic_dms=3, traffic_mentions=2, settle_s=15, quiet_s=0, ping_idle_s=1.5,
                  conv_dms=2, conv_gap_s=(1, 2), mention_timeout_s=20,
                  st_idle_s=2, st_cap_s=1, st_traffic_s=2, st_dms=2, st_mentions=2,
                  st_settle_s=8),
}

# Every row of the results, in order: (key, section, figure, goal). The smoke test checks that
# each figure is in the results file.
ROWS = [
    ('signin_cost', 'pair', 'sign-in cost, two accounts (start to first poll round done)', ''),
    ('signin_time', 'pair', 'sign-in time to first poll round done', ''),
    ('idle_requests', 'pair', 'idle requests per day, all endpoints (extrapolated)', ''),
    ('idle_day_cost', 'pair', 'idle cost per day, two accounts', '<= $0.05 and <= naive / 10'),
    ('idle_window', 'pair', 'idle day: bill of the first minutes after UTC midnight', ''),
    ('traffic_cost', 'pair', 'billed under light traffic', "<= the new items' price"),
    ('traffic_shown', 'pair', 'light traffic: shown / injected, duplicates', 'all, 0'),
    ('dm_latency', 'pair', 'DM latency p50 / p95 (all DMs)', ''),
    ('dm_latency_active', 'pair', 'DM latency p50 / p95 in a conversation (a DM every 30-90 s)',
     'p50 <= 35 s'),
    ('mention_latency', 'pair', 'mention latency p50 / p95', ''),
    ('pair_429', 'pair', 'HTTP 429, sign-in + idle + traffic + conversation', '0'),
    ('pair_callback', 'pair', 'worst main-loop callback (plugin trace), whole pair run: wall; CPU', '<= 5 ms'),
    ('dm1_time', 'backlog-dm1', 'DM backlog: time until all shown', 'one DM window'),
    ('dm1_shown', 'backlog-dm1', 'DM backlog: shown, duplicates', 'all, 0'),
    ('dm1_cost', 'backlog-dm1', 'DM backlog: requests, HTTP 429, cost', '0 HTTP 429'),
    ('dm1_callback', 'backlog-dm1', 'DM backlog: worst main-loop callback: wall; CPU', '<= 5 ms'),
    ('dm1_memory', 'backlog-dm1', 'DM backlog: peak memory of tb-host (VmHWM)', ''),
    ('dm2_time', 'backlog-dm2', 'DM backlog: time until all shown', 'two DM windows'),
    ('dm2_shown', 'backlog-dm2', 'DM backlog: shown, duplicates', 'all, 0'),
    ('dm2_cost', 'backlog-dm2', 'DM backlog: requests, HTTP 429, cost', '0 HTTP 429'),
    ('dm2_callback', 'backlog-dm2', 'DM backlog: worst main-loop callback: wall; CPU', '<= 5 ms'),
    ('dm2_memory', 'backlog-dm2', 'DM backlog: peak memory of tb-host (VmHWM)', ''),
    ('mn_time', 'backlog-mentions', 'mention backlog: time until all shown', ''),
    ('mn_shown', 'backlog-mentions', 'mention backlog: shown, duplicates, chats opened', 'all, 0'),
    ('mn_cost', 'backlog-mentions', 'mention backlog: requests, HTTP 429, cost', '0 HTTP 429'),
    ('mn_callback', 'backlog-mentions', 'mention backlog: worst main-loop callback: wall; CPU', '<= 5 ms'),
    ('mn_memory', 'backlog-mentions', 'mention backlog: peak memory of tb-host (VmHWM)', ''),
    ('irc_idle', 'bitlbee-ping', 'BitlBee PING round trip, idle: p50 / p99 / max', ''),
    ('irc_backlog', 'bitlbee-ping', 'BitlBee PING round trip during the mention backlog: '
     'p99 / max', 'max <= idle max + 5 ms'),
    ('irc_shown', 'bitlbee-ping', 'BitlBee mention backlog: shown, JOIN lines, time, HTTP 429',
     'all, 0 HTTP 429'),
    ('irc_callback', 'bitlbee-ping', 'BitlBee: worst main-loop callback (plugin trace): wall; CPU',
     '<= 5 ms'),
    ('cg_per_msg', 'callgrind', 'CPU instructions per delivered DM (callgrind, less idle)', ''),
    ('cg_totals', 'callgrind', 'callgrind totals: backlog run / idle run (same time)', ''),
    ('mem_flat', 'memory', 'RSS of tb-host after 10% / 50% / all of the messages',
     'flat: second half <= +2%'),
    ('mem_peak', 'memory', 'peak memory of tb-host (VmHWM) over the batches', ''),
    # the columns of this section: Twinbird with stream=on | Twinbird with stream=off (polling)
    ('st_signin', 'stream', 'sign-in, two accounts: API requests, cost (stream setup included)',
     ''),
    ('st_idle_requests', 'stream', 'idle requests per day, all endpoints, two accounts '
     '(extrapolated)', ''),
    ('st_idle_day_cost', 'stream', 'idle cost per day, two accounts', ''),
    ('st_idle_window', 'stream', 'idle day: bill of the first minutes after UTC midnight', ''),
    ('st_traffic_cost', 'stream', 'billed under light traffic',
     "both <= the new items' price"),
    ('st_traffic_shown', 'stream', 'light traffic: shown / injected, duplicates', 'all, 0'),
    ('st_dm_latency', 'stream', 'DM latency p50 / p95, max', 'within 2 s'),
    ('st_mention_latency', 'stream', 'mention latency p50 / p95, max', 'within 2 s'),
    ('st_429', 'stream', 'HTTP 429, sign-in + idle + traffic', '0'),
    ('st_callback', 'stream', 'worst main-loop callback (plugin trace), stream=on host: wall; CPU',
     '<= 5 ms'),
]

# A section whose columns are not Twinbird and the naive poller: its first line says what they are.
SECTION_HEADS = {'stream': ('(columns of this section)', 'stream=on, one app',
                            'stream=off (polling)')}


# ---------------------------------------------------------------------------------------------
# small helpers

def usd(v):
    return '$%.3f' % v


def secs(v):
    if v is None:
        return '-'
    return '%.0f s' % v if v >= 10 else '%.1f s' % v if v >= 1 else '%.2f s' % v


def pctl(values, p):
    """The p-th percentile (nearest rank) of values, or None."""
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(p / 100.0 * len(v)) - 1))]


def sim_time(entry):
    """Seconds since the epoch of a request log entry (the simulator's clock)."""
    t = datetime.datetime.strptime(entry['time'], '%Y-%m-%dT%H:%M:%S.%fZ')
    return t.replace(tzinfo=datetime.timezone.utc).timestamp()


def endpoint(entry):
    """'GET /2/users/:id/mentions' from a request log entry."""
    return '%s %s' % (entry.get('method', 'GET'),
                      re.sub(r'/[0-9]{6,}(?=/|$)', '/:id', entry.get('path') or ''))


def vm_status(pid):
    """{'VmRSS': kB, 'VmHWM': kB} of a live process, from /proc."""
    out = {}
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                k, _, v = line.partition(':')
                if k in ('VmRSS', 'VmHWM'):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def mib(kb):
    return '%.1f MiB' % (kb / 1024.0) if kb else '-'


def worst_callback(debug_log):
    """(microseconds, what, cpu, detail) of the largest tb-trace line in a tb-host debug log, or
    None; cpu is (microseconds, what) of the largest CPU time in one callback, or None; detail is
    that slowest callback's own CPU time, waits, preemptions and page faults (None from a plugin
    that does not log them)."""
    best = cpu = None
    try:
        with open(debug_log, encoding='utf-8', errors='replace') as f:
            for line in f:
                m = TRACE_RE.search(line)
                if m and (best is None or int(m.group(1)) > best[0]):
                    best = (int(m.group(1)), m.group(2), m.group(3))
                m = CPU_TRACE_RE.search(line)
                if m and (cpu is None or int(m.group(1)) > cpu[0]):
                    cpu = (int(m.group(1)), m.group(2))
    except OSError:
        pass
    return (best[0], best[1], cpu, best[2]) if best else None


def machine():
    cpu = '?'
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return '%d cores (nproc), %s, %s' % (os.cpu_count() or 0, cpu, platform.platform())


def git_commit():
    try:
        rev = subprocess.run(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD'],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(['git', '-C', ROOT, 'status', '--porcelain', '--', 'plugin'],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev + (' (plugin/ modified)' if dirty else '')
    except (OSError, subprocess.SubprocessError):
        return '?'


# ---------------------------------------------------------------------------------------------
# The benchmark

class Bench:
    def __init__(self, args):
        self.args = args
        self.mode = 'smoke' if args.smoke else 'quick' if args.quick else 'full'
        self.m = MODES[self.mode]
        self.rng = random.Random(args.seed)
        self.logdir = args.logdir or h.log_dir('bench-sync-' + self.mode)
        os.makedirs(self.logdir, exist_ok=True)
        self.results = {}     # key -> (twinbird cell, naive cell, pass: True/False/None)
        self.notes = []
        self.x = None
        self.ids = {}
        self.tokens = {}
        self.req_seq = 0
        self.extra_rows = {}      # key -> rows after it (idle requests per endpoint)
        self.started = time.monotonic()
        self.commit = git_commit()   # now: the tree may move on while a long run goes
        self.pinned = []          # 'name on CPU n', as the kernel says after --host-cpu

    # -- output ------------------------------------------------------------------------------
    def log(self, msg):
        print('[%6.0fs] %s' % (time.monotonic() - self.started, msg), flush=True)

    def put(self, key, tb, naive='', ok=None):
        self.results[key] = (tb, naive, ok)

    def put_callback(self, key, best):
        """The plugin's own slowest-callback trace line, when the plugin has one."""
        if best is None:
            self.put(key, 'not measured (no tb-trace line: this plugin has no '
                          'TB_TRACE_CALLBACKS)')
        else:
            cpu, detail = best[2], best[3]
            self.put(key, '%.2f ms (%s%s)%s' % (
                best[0] / 1000.0, best[1], ': ' + detail if detail else '',
                '; CPU %.2f ms (%s)' % (cpu[0] / 1000.0, cpu[1]) if cpu else ''),
                '', best[0] <= 5000)

    # -- the simulator -----------------------------------------------------------------------
    def start_sim(self):
        self.x = h.Sim(logdir=self.logdir).start()
        if self.mode == 'smoke':   # 1-second polls: the smoke's figures mean nothing
            h.raise_dm_limit(self.x)
        for c in CONTACTS:
            self.add_user(c, c.capitalize() + ' Example')

    def add_user(self, username, name, app='default'):
        u = self.x.add_user(username, name, token='tok-' + username.replace('_', '-'), app=app)
        self.ids[username] = u['id']
        self.tokens[username] = u['token']
        return u

    def add_account(self, username, name, app):
        """A user with the mirrored contacts: follows, followers, 24 older DMs with four of
        them and 6 older mentions, the same for every account."""
        self.add_user(username, name, app)
        for c in FOLLOWS:
            self.x.follow(username, c)
        for c in FOLLOWERS:
            self.x.follow(c, username)
        for i in range(24):
            c = CONTACTS[i % 4]
            ago = 3 * DAY - i * 3 * 3600
            if i % 3 == 2:
                self.x.call('POST', '/dms', {'sender': username, 'recipient': c,
                                             'text': 'earlier reply %d' % i, 'ago': ago})
            else:
                self.x.call('POST', '/dms', {'sender': c, 'recipient': username,
                                             'text': 'earlier message %d' % i, 'ago': ago})
        for i in range(6):
            self.x.call('POST', '/tweets', {'author': ('alice', 'bob', 'erin')[i % 3],
                                            'text': '@%s an older mention %d' % (username, i),
                                            'ago': 2 * DAY - i * 6 * 3600})

    def requests(self, since, username=None):
        path = '/requests?since=%d' % since
        if username:
            path += '&username=' + username
        return self.x.call('GET', path, timeout=60)

    def seq_now(self):
        """The number of the newest request the simulator logged."""
        entries = self.requests(self.req_seq)
        if entries:
            self.req_seq = max(e['seq'] for e in entries)
        return self.req_seq

    def bill(self, users):
        b = self.x.billing()['by_user']
        return sum(b.get(u, {}).get('usd', 0.0) for u in users)

    def wait_round(self, username, since, timeout=120, quiet=None):
        """The account has asked for its DMs and its mentions after request since, and then
        made no request for quiet seconds (its first poll round, walks included, is done);
        quiet 0 (--smoke, whose 1-second polls are never quiet): once it asked for both."""
        quiet = self.m['quiet_s'] if quiet is None else quiet
        mentions = '/2/users/%s/mentions' % self.ids[username]
        deadline = time.monotonic() + timeout
        count, changed = -1, time.monotonic()
        while time.monotonic() < deadline:
            entries = self.requests(since, username)
            paths = {e['path'] for e in entries}
            if len(entries) != count:
                count, changed = len(entries), time.monotonic()
            done = any(p.startswith('/2/dm_') for p in paths) and mentions in paths
            if done and (not quiet or time.monotonic() - changed >= quiet):
                return entries
            time.sleep(0.25)
        raise TimeoutError('@%s: no finished poll round within %ds' % (username, timeout))

    # -- tb-host -----------------------------------------------------------------------------
    def settings(self):
        """Default settings (intervals, mutuals_cap, mention_mode not set); --smoke polls
        every second."""
        if self.mode == 'smoke':
            return {'dm_interval': 1, 'mention_interval': 1}
        return {'dm_interval': None, 'mention_interval': None}

    def pin(self, pid, name):
        """With --host-cpu, moves a plugin process (every thread of it) to that CPU, where
        nothing else of the benchmark runs: its callbacks' wall times are then its own."""
        cpu = self.args.host_cpu
        if cpu is None:
            return
        for tid in os.listdir('/proc/%d/task' % pid):
            try:
                os.sched_setaffinity(int(tid), {cpu})
            except ProcessLookupError:   # a thread that ended meanwhile
                pass
        # read back from the kernel, for the results file
        self.pinned.append('%s on CPU %s' % (name, ','.join(
            str(c) for c in sorted(os.sched_getaffinity(pid)))))

    def host(self, users, name, wrapper=None, extra_settings=None, pin=True):
        accounts = []
        for username, role in users:
            s = self.settings()
            s.update(extra_settings or {})
            accounts.append(h.account(username, self.tokens[username], self.x.api_base,
                                      role=role, **s))
        if pin and self.args.host_cpu is not None:
            # on its CPU from exec on: its sign-in runs in its first second
            wrapper = ' '.join(['taskset', '-c', str(self.args.host_cpu)] + (
                [wrapper] if wrapper else []))
        host = h.Host(accounts, logdir=self.logdir, name=name, wrapper=wrapper,
                      env={'TB_TRACE_CALLBACKS': '1'})
        host.start(timeout=120 if wrapper and 'valgrind' in wrapper else 20)
        if pin:
            self.pin(host.proc.pid, name)
        return host

    @staticmethod
    def shown(host, since=0):
        """tag -> [monotonic times] of messages shown (written to a conversation as received)."""
        out = {}
        for e in host.find({'event': 'write-conv', 'flags': h.has('recv')}, since):
            for tag in TAG_RE.findall(e.get('plain') or e.get('text') or ''):
                out.setdefault(tag, []).append(e['_t'])
        return out

    @staticmethod
    def clear_events(host):
        """Forget the events collected so far (a long run would keep them all in memory)."""
        with host._cond:
            del host.events[:]

    # -- scenario: the pair ------------------------------------------------------------------
    def run_pair(self):
        for side, accts in PAIR.items():
            for username, name, _role in accts:
                self.add_account(username, name, side)
        tb_users = [a[0] for a in PAIR['twinbird']]
        nv_users = [a[0] for a in PAIR['naive']]
        self.log('pair: sign-in of %s in tb-host and %s in the naive poller'
                 % (', '.join('@' + u for u in tb_users), ', '.join('@' + u for u in nv_users)))
        seq0 = self.seq_now()
        t0, self.t0_wall = time.monotonic(), time.time()
        host = self.host([(a[0], a[2]) for a in PAIR['twinbird']], 'pair-host')
        naive = NaivePoller(self.x.api_base, [(u, self.tokens[u], self.ids[u]) for u in nv_users],
                            interval=60.0 if self.mode != 'smoke' else 1.0)
        naive.start()
        try:
            self._pair(host, naive, tb_users, nv_users, seq0, t0)
        finally:
            naive.stop()
            host.quit()
        best = worst_callback(host.debug_log)
        self.put_callback('pair_callback', best)

    def _pair(self, host, naive, tb_users, nv_users, seq0, t0):
        m = self.m
        for u in tb_users:
            host.wait_for({'event': 'signed-on', 'account': u}, 30)
        last = max(sim_time(self.wait_round(u, seq0)[-1]) for u in tb_users)
        t_tb = last - self.t0_wall   # to the round's last request (the clock has no offset yet)
        signin_tb = self.bill(tb_users)
        h.wait_until(lambda: naive.rounds >= 1, 60, what='the naive poller\'s first round')
        t_nv = naive.first_round_at - t0
        signin_nv = self.bill(nv_users)   # it polls again only 60 s later
        self.put('signin_cost', usd(signin_tb), usd(signin_nv))
        self.put('signin_time', secs(t_tb), secs(t_nv))
        self.log('pair: signed in: %s vs %s' % (usd(signin_tb), usd(signin_nv)))

        # idle, the same UTC day: requests per endpoint, and what keeps being billed
        seq1, b1 = self.seq_now(), (self.bill(tb_users), self.bill(nv_users))
        t1 = time.monotonic()
        self.log('pair: idle for %ds' % m['idle_s'])
        time.sleep(m['idle_s'])
        seq2, b2 = self.seq_now(), (self.bill(tb_users), self.bill(nv_users))
        idle_s = time.monotonic() - t1
        idle = [e for e in self.requests(seq1) if e['seq'] <= seq2]
        accrual = ((b2[0] - b1[0]) / idle_s, (b2[1] - b1[1]) / idle_s)
        per_day = {}
        for side, users in (('tb', tb_users), ('nv', nv_users)):
            for e in idle:
                if e.get('username') in users:
                    per_day.setdefault(endpoint(e), {'tb': 0, 'nv': 0})[side] += 1
        self.extra_rows['idle_requests'] = [('pair', 'idle requests per day: %s' % key,
                               '%.0f' % (c['tb'] * DAY / idle_s),
                               '%.0f' % (c['nv'] * DAY / idle_s), '', '')
                              for key, c in sorted(per_day.items())]
        tot = [sum(c[s] for c in per_day.values()) * DAY / idle_s for s in ('tb', 'nv')]
        self.put('idle_requests', '%.0f' % tot[0], '%.0f' % tot[1])
        self.notes.append('Requests per day are extrapolated from %.0f s of idle polling '
                          '(count x 86,400 / %.0f).' % (idle_s, idle_s))

        # a simulated UTC midnight: the first round of polls of the day is billed again
        seq3 = self.seq_now()
        clock = self.x.call('POST', '/clock', {'billing_day_advance': 1})
        b3 = (self.bill(tb_users), self.bill(nv_users))
        t3 = time.monotonic()
        self.log('pair: billing day now %s; measuring at least %ds' % (clock['billing_day'],
                                                                        m['midnight_s']))
        time.sleep(m['midnight_s'])
        covered = self.wait_covered(tb_users + nv_users, seq3, t3 + m['midnight_cap_s'])
        win_s = time.monotonic() - t3
        b4 = (self.bill(tb_users), self.bill(nv_users))
        window = (b4[0] - b3[0], b4[1] - b3[1])
        day = [window[i] + max(0.0, accrual[i]) * (DAY - win_s) for i in (0, 1)]
        ok = day[0] <= 0.05 and day[0] <= day[1] / 10.0 and covered
        self.put('idle_day_cost', usd(day[0]), usd(day[1]), ok)
        self.put('idle_window', '%s in %.0f s%s' % (usd(window[0]), win_s,
                                                    '' if covered else ' (a poller missed it)'),
                 '%s' % usd(window[1]))
        self.notes.append(
            'Idle cost per day = the bill of the first %.0f s after a simulated UTC midnight '
            '(POST /clock billing_day_advance; every account made at least one DM and one '
            'mention check in it: %s) + the same-day accrual measured while idle before it '
            '(Twinbird %s/h, naive %s/h) x the rest of the day.'
            % (win_s, 'yes' if covered else 'NO', usd(accrual[0] * 3600),
               usd(accrual[1] * 3600)))

        # light traffic, injected at seeded random times, mirrored to the naive pair
        self.traffic(host, naive, tb_users, nv_users)
        self.conversation(host, naive, tb_users, nv_users)
        entries = [e for e in self.requests(seq0) if e.get('username') in tb_users + nv_users]
        n429 = [sum(1 for e in entries if e.get('username') in users and e['status'] == 429)
                for users in (tb_users, nv_users)]
        self.put('pair_429', str(n429[0]), str(n429[1]), n429[0] == 0)

    def wait_covered(self, users, since, deadline):
        """Every account made a DM check and a mention check since request since (and then
        went quiet), or the deadline passed: -> whether all did."""
        while True:
            entries = self.requests(since)
            done = True
            for u in users:
                paths = {e['path'] for e in entries if e.get('username') == u}
                if not (any(p.startswith('/2/dm_') for p in paths)
                        and '/2/users/%s/mentions' % self.ids[u] in paths):
                    done = False
            if done:
                time.sleep(max(1.0, self.m['quiet_s']))
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(1)

    def traffic_plan(self, dms, mentions, span):
        """(seconds in, kind, index, which account, contact) of each item, in time order,
        from the seeded generator (the same seed gives the same plan)."""
        plan = []
        for kind, n in (('dm', dms), ('mention', mentions)):
            for i in range(n):
                plan.append((self.rng.uniform(0, span), kind, i, self.rng.randrange(2),
                             self.rng.choice(CONTACTS[:4])))
        return sorted(plan)

    def traffic(self, host, naive, tb_users, nv_users):
        m = self.m
        plan = self.traffic_plan(m['traffic_dms'], m['traffic_mentions'], m['traffic_s'])
        self.log('pair: light traffic, %d DMs and %d mentions over %ds'
                 % (m['traffic_dms'], m['traffic_mentions'], m['traffic_s']))
        b0 = (self.bill(tb_users), self.bill(nv_users))
        mark = host.mark()
        t0 = time.monotonic()
        injected = {'tb': {}, 'nv': {}}   # tag -> (monotonic time, kind, account index)
        for at, kind, i, acct, contact in plan:
            delay = t0 + at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            for side, users in (('tb', tb_users), ('nv', nv_users)):
                tag = '%s-%s%d' % (side, kind[0], i)
                if kind == 'dm':
                    self.x.dm(contact, users[acct], 'are you around? [bm-%s]' % tag)
                else:
                    self.x.tweet(contact, '@%s a quick question [bm-%s]' % (users[acct], tag))
                injected[side][tag] = (time.monotonic(), kind, acct)
        t_last = time.monotonic()

        def tb_done():
            return set(self.shown(host, mark)) >= set(injected['tb'])

        def nv_done():
            return {TAG_RE.findall(s[3])[0] for s in naive.shown_since(t0)
                    if TAG_RE.search(s[3])} >= set(injected['nv'])
        while time.monotonic() < t_last + m['settle_s'] and not (tb_done() and nv_done()):
            time.sleep(0.5)
        time.sleep(max(1.0, m['quiet_s']))
        b1 = (self.bill(tb_users), self.bill(nv_users))
        shown = {'tb': self.shown(host, mark), 'nv': {}}
        for t, _u, _k, text in naive.shown_since(t0):
            for tag in TAG_RE.findall(text):
                shown['nv'].setdefault(tag, []).append(t)
        senders = {c for _a, _k, _i, _acct, c in plan}
        items = m['traffic_dms'] * PRICE['dm_event'] + m['traffic_mentions'] * PRICE['post']
        price = items + len(senders) * PRICE['user']
        cost = (b1[0] - b0[0], b1[1] - b0[1])
        self.put('traffic_cost', '%s (items %s, with their senders %s)' % (
            usd(cost[0]), usd(items), usd(price)), usd(cost[1]), cost[0] <= price + 1e-9)
        self.notes.append(
            "The new items' price under traffic: %d DM events x $0.010 + %d posts x $0.005 = "
            "%s, + their %d distinct senders x $0.010 = %s: what showing each new item once, "
            "with its sender's profile once that day, costs; the goal is the latter (a client "
            "that read those profiles earlier that day pays only the former)."
            % (m['traffic_dms'], m['traffic_mentions'], usd(items), len(senders), usd(price)))
        cells = {}
        for side in ('tb', 'nv'):
            inj, sh = injected[side], shown[side]
            dups = sum(len(v) - 1 for v in sh.values() if v)
            missing = [t for t in inj if t not in sh]
            cells[side] = {'shown': '%d / %d, %d dup' % (len(inj) - len(missing), len(inj), dups),
                           'ok': not missing and dups == 0}
            lat = {k: [min(sh[t]) - inj[t][0] for t in inj if inj[t][1] == k and t in sh]
                   for k in ('dm', 'mention')}
            cells[side].update(
                dm='%s / %s%s' % (secs(pctl(lat['dm'], 50)), secs(pctl(lat['dm'], 95)),
                                  '' if len(lat['dm']) == m['traffic_dms'] else ' (%d missing)'
                                  % (m['traffic_dms'] - len(lat['dm']))),
                mention='%s / %s' % (secs(pctl(lat['mention'], 50)),
                                     secs(pctl(lat['mention'], 95))))
        tb, nv = cells['tb'], cells['nv']
        self.put('traffic_shown', tb['shown'], nv['shown'], tb['ok'])
        self.put('dm_latency', tb['dm'], nv['dm'])
        self.put('mention_latency', tb['mention'], nv['mention'])
        self.notes.append('Latency: from the control call that made the item returning to the '
                          "host's write-conv event of it (the naive poller: the answer that "
                          'brought it).')

    def conversation(self, host, naive, tb_users, nv_users):
        """Two conversations at once, one per account: a contact writes every 30-90 s (seeded),
        mirrored to the naive pair. The first DM of each starts it; the latency of the others is
        the figure (X's 15 DM reads a window allow one check a minute: ~30 s on average)."""
        m = self.m
        lo, hi = m.get('conv_gap_s', (30, 90))
        plan = []
        for acct, contact in ((0, CONTACTS[4]), (1, CONTACTS[5])):
            at = self.rng.uniform(0, hi)
            for i in range(m['conv_dms']):
                plan.append((at, acct, contact, i))
                at += self.rng.uniform(lo, hi)
        plan.sort()
        self.log('pair: conversations, %d DMs on each account, %d-%d s apart'
                 % (m['conv_dms'], lo, hi))
        mark = host.mark()
        t0 = time.monotonic()
        injected = {'tb': {}, 'nv': {}}   # tag -> (monotonic time, index in its conversation)
        for at, acct, contact, i in plan:
            delay = t0 + at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            for side, users in (('tb', tb_users), ('nv', nv_users)):
                tag = '%s-c%d-%d' % (side, acct, i)
                self.x.dm(contact, users[acct], 'and another thing [bm-%s]' % tag)
                injected[side][tag] = (time.monotonic(), i)
        t_last = time.monotonic()

        def nv_shown():
            out = {}
            for t, _u, _k, text in naive.shown_since(t0):
                for tag in TAG_RE.findall(text):
                    out.setdefault(tag, []).append(t)
            return out
        while time.monotonic() < t_last + m['settle_s'] and not (
                set(self.shown(host, mark)) >= set(injected['tb'])
                and set(nv_shown()) >= set(injected['nv'])):
            time.sleep(0.5)
        shown = {'tb': self.shown(host, mark), 'nv': nv_shown()}
        cells = {}
        for side in ('tb', 'nv'):
            inj, sh = injected[side], shown[side]
            lat = [min(sh[t]) - ti for t, (ti, i) in inj.items() if i > 0 and t in sh]
            want = sum(1 for _t, (_ti, i) in inj.items() if i > 0)
            cells[side] = ('%s / %s (%d DMs%s)' % (
                secs(pctl(lat, 50)), secs(pctl(lat, 95)), len(lat),
                '' if len(lat) == want else ', %d missing' % (want - len(lat))),
                bool(lat) and len(lat) == want and pctl(lat, 50) <= 35)
        self.put('dm_latency_active', cells['tb'][0], cells['nv'][0], cells['tb'][1])
        self.notes.append('Conversation: %d DMs on each account, %s-%s s apart (seeded), after '
                          'the light traffic; the first of each is left out (it starts the '
                          'conversation).' % (m['conv_dms'], lo, hi))

    # -- scenario: a backlog in tb-host ------------------------------------------------------
    def signed_in_then_out(self, host, username, seq0):
        """Sign in (first round done), then out: the account has its cursors saved."""
        host.wait_for({'event': 'signed-on', 'account': username}, 120)
        self.wait_round(username, seq0, timeout=300)
        if not self.m['quiet_s']:
            time.sleep(2)   # --smoke: its 1-second polls are never quiet; let the round end
        mark = host.mark()
        host.send('disable', account=username, timeout=60)
        host.wait_for({'event': 'signed-off', 'account': username}, 60, since=mark)

    def inject_backlog(self, username, kind, count, t_off):
        """count DMs or mentions (tags bl-0 ...) made since t_off, while signed out."""
        time.sleep(max(0.0, t_off + count * 0.001 + 1.0 - time.monotonic()))
        span = max((count - 1) * 0.001, time.monotonic() - t_off - 0.5)
        if kind == 'dm':
            self.x.call('POST', '/dms/bulk', {'from': list(CONTACTS), 'to': username,
                                              'count': count, 'span_s': span,
                                              'text': 'backlog message {i} [bm-bl-{i}]'},
                        timeout=120)
        else:
            self.x.call('POST', '/tweets/bulk', {'author': list(CONTACTS), 'count': count,
                                                 'span_s': span,
                                                 'text': '@%s backlog mention {i} [bm-bl-{i}]'
                                                 % username}, timeout=120)
        # a day away: X's windows have turned since the account was last here
        self.x.call('POST', '/ratelimits/reset', {'username': username})

    def backlog(self, key, kind, count, windows_goal=None):
        username = 'bl_%s' % key
        self.add_account(username, 'Backlog ' + key, 'bench-' + key)
        seq0 = self.seq_now()
        host = self.host([(username, 'personal')], 'backlog-' + key)
        try:
            self.signed_in_then_out(host, username, seq0)
            t_off = time.monotonic()
            self.inject_backlog(username, kind, count, t_off)
            self.log('%s: %d %ss while signed out; signing in' % (key, count, kind))
            seq1, bill0 = self.seq_now(), self.bill([username])
            mark = host.mark()
            t0 = time.monotonic()
            host.send('enable', account=username)
            if kind == 'dm':
                timeout = (windows_goal or 1) * DM_WINDOW + 180
            else:
                timeout = self.m['mention_timeout_s']
            if self.mode == 'smoke':
                timeout = 30
            done_at = None
            while time.monotonic() < t0 + timeout:
                shown = self.shown(host, mark)
                if len(shown) >= count:
                    done_at = max(min(ts) for ts in shown.values()) - t0
                    break
                time.sleep(0.5)
            time.sleep(max(1.0, self.m['quiet_s']))
            vm = vm_status(host.proc.pid)
            shown = self.shown(host, mark)
            chats = len(host.find({'event': 'conv-created', 'type': 'chat'}, mark))
        finally:
            host.quit()
        entries = [e for e in self.requests(seq1, username)]
        bill = self.bill([username]) - bill0
        n429 = sum(1 for e in entries if e['status'] == 429)
        dups = sum(len(v) - 1 for v in shown.values())
        if done_at is None:
            time_cell = 'not all shown after %s' % secs(timeout)
        else:
            time_cell = secs(done_at)
        ok_time = done_at is not None
        if kind == 'dm':
            windows = dm_windows(entries)
            time_cell += ', %d DM window%s' % (windows, '' if windows == 1 else 's')
            ok_time = ok_time and windows <= windows_goal
        prefix = {'dm1': 'dm1', 'dm2': 'dm2', 'mentions': 'mn'}[key]
        self.put(prefix + '_time', '%s (%d %ss)' % (time_cell, count, kind), '',
                 ok_time if kind == 'dm' else None)
        shown_cell = '%d / %d, %d dup' % (len(shown), count, dups)
        if kind == 'mention':
            shown_cell += ', %d chats opened' % chats
        self.put(prefix + '_shown', shown_cell, '', len(shown) == count and dups == 0)
        self.put(prefix + '_cost', '%d requests (%d DM reads), %d x 429, %s' % (
            len(entries), sum(1 for e in entries if e['path'].startswith('/2/dm_')), n429,
            usd(bill)), '', n429 == 0)
        self.put_callback(prefix + '_callback', worst_callback(host.debug_log))
        self.put(prefix + '_memory', mib(vm.get('VmHWM')))
        self.log('%s: %s; %s' % (key, time_cell, shown_cell))

    # -- scenario: BitlBee PING round trips --------------------------------------------------
    def run_bitlbee(self):
        count = self.m['irc_mentions']
        username = 'bl_irc'
        self.add_account(username, 'Backlog IRC', 'bench-irc')
        bb = h.BitlBee(logdir=self.logdir).start()
        self.pin(bb.proc.pid, 'bitlbee')   # before any IRC client: its forked children inherit the CPU
        pongs, tagged = {}, {}
        irc = bb.connect('pat', echo=lambda d, line: record_line(pongs, tagged, d, line))
        irc.register()
        irc.root('account add twinbird %s %s' % (username, self.tokens[username]))
        acct = irc.expect_root(r'Account successfully added with tag (\S+)').group(1)
        sets = [('api_base', self.x.api_base), ('auth', 'bearer'), ('role', 'personal')]
        if self.mode == 'smoke':
            sets += [('dm_interval', '1'), ('mention_interval', '1')]
        for k, v in sets:
            irc.root('account %s set %s %s' % (acct, k, v))
            irc.expect_root(r"%s = `%s'" % (k, re.escape(v)))
        seq0 = self.seq_now()
        irc.root('account %s on' % acct)
        irc.expect_root(r'%s - Logging in: Logged in' % re.escape(acct), 60)
        self.wait_round(username, seq0, timeout=300)
        idle = ping(irc, pongs, self.m['ping_idle_s'])
        irc.root('account %s off' % acct)
        time.sleep(1.0)
        self.inject_backlog(username, 'mention', count, time.monotonic() - 2.0)
        seq1 = self.seq_now()
        self.log('bitlbee-ping: %d mentions while signed out; account on' % count)
        mark = irc.mark()
        t0 = time.monotonic()
        irc.root('account %s on' % acct)
        timeout = self.m['mention_timeout_s'] if self.mode != 'smoke' else 30
        stop = threading.Event()
        rtts = []
        pinger = threading.Thread(target=lambda: rtts.extend(ping(irc, pongs, timeout, stop)),
                                  daemon=True)
        pinger.start()
        done_at = None
        while time.monotonic() < t0 + timeout:
            if len(tagged) >= count:
                done_at = max(tagged.values()) - t0
                break
            time.sleep(0.25)
        time.sleep(1.0)
        stop.set()
        pinger.join(10)
        tags = {}
        for line in irc.find(r' PRIVMSG ', mark):
            for t in TAG_RE.findall(line):
                tags[t] = tags.get(t, 0) + 1
        joins = len(irc.find(r'^:pat!\S+ JOIN ', mark))
        bb.stop()
        n429 = sum(1 for e in self.requests(seq1, username) if e['status'] == 429)
        # BitlBee prints libpurple's debug lines (BITLBEE_DEBUG=1), the plugin's trace too
        self.put_callback('irc_callback', worst_callback(bb.log_path))
        self.put('irc_idle', '%s / %s / %s (%d pings)' % (
            ms(pctl(idle, 50)), ms(pctl(idle, 99)), ms(max(idle) if idle else None), len(idle)))
        lost = [r for r in rtts if r is None]
        got = [r for r in rtts if r is not None]
        peak = max(got) if got else None
        ok = bool(got) and bool(idle) and not lost and peak <= max(idle) + 0.005
        self.put('irc_backlog', '%s / %s (%d pings%s)' % (
            ms(pctl(got, 99)), ms(peak), len(rtts), ', %d unanswered' % len(lost) if lost
            else ''), '', ok)
        self.put('irc_shown', '%d / %d, %d JOIN lines, %s, %d x 429' % (
            len(tags), count, joins, secs(done_at) if done_at is not None else
            'not all after %s' % secs(timeout), n429), '', len(tags) == count and not n429)

    # -- scenario: callgrind -----------------------------------------------------------------
    def run_callgrind(self):
        count = self.m['cg_dms']
        if not count:
            self.put('cg_per_msg', 'skipped in --smoke')
            self.put('cg_totals', 'skipped in --smoke')
            return
        out = {}
        duration, delivered = None, 0
        for run in ('backlog', 'idle'):
            username = 'cg_%s' % run
            self.add_account(username, 'Callgrind ' + run, 'bench-cg-' + run)
            path = os.path.join(self.logdir, 'callgrind-%s.out' % run)
            wrapper = 'valgrind --tool=callgrind --callgrind-out-file=%s --log-file=%s' % (
                shlex.quote(path), shlex.quote(os.path.join(self.logdir,
                                                            'callgrind-%s.log' % run)))
            seq0 = self.seq_now()
            t0 = time.monotonic()
            self.log('callgrind: tb-host under callgrind, %s run' % run)
            host = self.host([(username, 'personal')], 'callgrind-' + run, wrapper=wrapper)
            try:
                self.signed_in_then_out(host, username, seq0)
                if run == 'backlog':
                    self.inject_backlog(username, 'dm', count, time.monotonic())
                mark = host.mark()
                host.send('enable', account=username, timeout=60)
                if run == 'backlog':
                    # one DM window, and callgrind's pace
                    deadline = time.monotonic() + DM_WINDOW + 300
                    while time.monotonic() < deadline and len(self.shown(host, mark)) < count:
                        time.sleep(1)
                    delivered = len(self.shown(host, mark))
                    duration = time.monotonic() - t0
                else:
                    time.sleep(max(0.0, t0 + duration - time.monotonic()))
            finally:
                host.quit(timeout=180)
            out[run] = callgrind_total(path)
        if out.get('backlog') and out.get('idle') and delivered:
            per = (out['backlog'] - out['idle']) / float(delivered)
            self.put('cg_per_msg', '{:,.0f} ({:,} DMs delivered of {:,})'.format(
                per, delivered, count))
        else:
            self.put('cg_per_msg', 'not measured (%d delivered)' % delivered)
        self.put('cg_totals', '{:,} / {:,} instructions in {:.0f} s'.format(
            out.get('backlog') or 0, out.get('idle') or 0, duration or 0))

    # -- scenario: memory over many messages -------------------------------------------------
    def run_memory(self):
        m = self.m
        username = 'mem_user'
        self.add_account(username, 'Memory', 'bench-memory')
        # about bounded caches, not cost: 1-second polls, X's DM and mention limits raised
        h.raise_dm_limit(self.x)
        self.x.call('POST', '/ratelimits', {'endpoint': 'GET /2/users/{id}/mentions',
                                            'limit': 100000})
        seq0 = self.seq_now()
        host = self.host([(username, 'personal')], 'memory',
                         extra_settings={'dm_interval': 1, 'mention_interval': 1})
        samples = []
        delivered = 0
        batch = 0
        stopped = None
        try:
            host.wait_for({'event': 'signed-on', 'account': username}, 60)
            self.wait_round(username, seq0, timeout=120, quiet=0)
            time.sleep(2)
            self.clear_events(host)
            while delivered < m['memory']:
                kind = 'dm' if batch % 2 == 0 else 'mention'
                n = min(m['mem_%s_batch' % kind], m['memory'] - delivered)
                tag = 'm%d-{i}' % batch
                if kind == 'dm':
                    self.x.call('POST', '/dms/bulk', {'from': list(CONTACTS), 'to': username,
                                                      'count': n, 'text': 'm {i} [bm-%s]' % tag},
                                timeout=120)
                else:
                    self.x.call('POST', '/tweets/bulk', {
                        'author': list(CONTACTS), 'count': n,
                        'text': '@%s m {i} [bm-%s]' % (username, tag)}, timeout=120)
                prefix = 'm%d-' % batch
                try:
                    h.wait_until(lambda: sum(1 for t in self.shown(host)
                                             if t.startswith(prefix)) >= n,
                                 180, interval=0.25, what='batch %d (%d %ss)' % (batch, n, kind))
                except TimeoutError as e:
                    stopped = str(e)
                    break
                delivered += n
                batch += 1
                # libpurple keeps each conversation's history: close them, so what is left
                # is the plugin's own
                for c in host.query('list-convs', 'convs')['list']:
                    host.send('close-conv', account=username, conv=c['conv'], check=False)
                self.clear_events(host)
                samples.append((delivered, vm_status(host.proc.pid)))
                if batch % 10 == 0:
                    self.log('memory: %d delivered, RSS %s' % (
                        delivered, mib(samples[-1][1].get('VmRSS'))))
        finally:
            host.quit()
            self.x.call('DELETE', '/ratelimits')
            if self.mode == 'smoke':
                h.raise_dm_limit(self.x)
        if not samples:
            raise RuntimeError(stopped or 'no batch delivered')
        tenth, half = [next(s for d, s in samples if d >= delivered * f) for f in (0.1, 0.5)]
        last = samples[-1][1]
        growth = (last['VmRSS'] - half['VmRSS']) / float(half['VmRSS'])
        self.put('mem_flat', '%s / %s / %s (second half %+.1f%%) over %d messages%s' % (
            mib(tenth['VmRSS']), mib(half['VmRSS']), mib(last['VmRSS']), growth * 100,
            delivered, '; then stopped: ' + stopped if stopped else ''), '',
            growth <= 0.02 and not stopped)
        self.put('mem_peak', mib(max(s.get('VmHWM', 0) for _d, s in samples)))
        self.notes.append('Memory, RSS after each batch (messages: MiB): ' + ', '.join(
            '%d: %.1f' % (d, s.get('VmRSS', 0) / 1024.0)
            for d, s in samples[::max(1, len(samples) // 12)] + samples[-1:]))
        self.notes.append('Memory: %d batches of DMs and mentions in turn, 1-second polls and '
                          'the DM and mention limits raised for this scenario only, '
                          'conversations closed after each batch (libpurple keeps their '
                          'history).' % batch)

    # -- scenario: the Activity stream against polling ---------------------------------------
    def run_stream(self):
        """Two accounts of one app with its keys and stream=on in one tb-host, two at default
        settings (polling) in another, the same contacts and history, both in the same run:
        sign-in, an idle period after a simulated UTC midnight, then light traffic injected
        to both pairs at the same moments."""
        self.x.call('POST', '/apps', {'client_id': STREAM_APP, 'consumer_key': STREAM_KEY,
                                      'consumer_secret': STREAM_SECRET, 'replace': True})
        apps = {'rt': STREAM_APP, 'po': POLL_APP}
        users = {}
        for side, accts in STREAM_PAIRS.items():
            for username, name, _role in accts:
                self.add_account(username, name, apps[side])
            users[side] = [a[0] for a in accts]
        self.log('stream: @%s with stream=on in one tb-host, @%s polling in another'
                 % (' @'.join(users['rt']), ' @'.join(users['po'])))
        seq0 = self.seq_now()
        b0 = self.app_bills(apps)
        t0_wall = time.time()
        hosts = {}
        try:
            hosts['rt'] = self.host([(a[0], a[2]) for a in STREAM_PAIRS['rt']], 'stream-host',
                                    extra_settings={'stream': 'on', 'consumer_key': STREAM_KEY,
                                                    'consumer_secret': STREAM_SECRET})
            hosts['po'] = self.host([(a[0], a[2]) for a in STREAM_PAIRS['po']],
                                    'stream-poll-host', pin=False)   # its callbacks: not a figure
            self._stream(hosts, users, apps, seq0, b0, t0_wall)
        finally:
            for host in hosts.values():
                host.quit()
        if 'rt' in hosts:
            self.put_callback('st_callback', worst_callback(hosts['rt'].debug_log))

    def app_slots(self, apps):
        """side -> the simulator's bill of the side's X app (the stream's events have no
        user): usd, reads_billed and events_billed by kind, ..."""
        b = self.x.billing()['by_app']
        return {side: b.get(app, {}) for side, app in apps.items()}

    def app_bills(self, apps):
        """side -> what the side's X app was billed so far, in USD."""
        return {side: slot.get('usd', 0.0) for side, slot in self.app_slots(apps).items()}

    @staticmethod
    def billed_items(before, after):
        """'3 dm_event, 2 post reads, 3 dm.received events' billed between two app_slots."""
        out = []
        for field, what in (('reads_billed', 'read'), ('events_billed', 'event')):
            a, b = before.get(field) or {}, after.get(field) or {}
            n = {k: b.get(k, 0) - a.get(k, 0) for k in sorted(set(a) | set(b))}
            n = {k: v for k, v in n.items() if v}
            if n:
                out.append('%s %s%s' % (', '.join('%d %s' % (v, k) for k, v in n.items()),
                                        what, 's' if sum(n.values()) != 1 else ''))
        return '; '.join(out) or 'nothing'

    @staticmethod
    def stream_side(entry, users):
        """Which pair made a logged request: 'rt', 'po' or None. The app-only requests (the
        app's token, the stream's connects, deletions) are the stream pair's: no other app in
        this scenario has keys."""
        u = entry.get('username')
        for side in ('rt', 'po'):
            if u in users[side]:
                return side
        if u is None and (entry.get('path') == '/oauth2/token'
                          or (entry.get('path') or '').startswith('/2/activity/')):
            return 'rt'
        return None

    def covered(self, users, since):
        """Every account of users made a DM check and a mention check since request since."""
        entries = self.requests(since)
        for u in users:
            paths = {e['path'] for e in entries if e.get('username') == u}
            if not (any(p.startswith('/2/dm_') for p in paths)
                    and '/2/users/%s/mentions' % self.ids[u] in paths):
                return False
        return True

    def _stream(self, hosts, users, apps, seq0, b0, t0_wall):
        m = self.m
        for side in ('rt', 'po'):
            for u in users[side]:
                hosts[side].wait_for({'event': 'signed-on', 'account': u}, 30)
        for u in users['rt'] + users['po']:
            self.wait_round(u, seq0)

        def stream_conns():
            return [c for c in self.x.stream_connections() if c['app'] == STREAM_APP]
        h.wait_until(lambda: len(stream_conns()) == 1 and
                     len(self.x.subscriptions(STREAM_APP)) == 6, 60, interval=0.2,
                     what='one stream and 6 subscriptions')
        up_s = sim_time({'time': stream_conns()[0]['opened_at']}) - t0_wall
        time.sleep(max(1.0, m['quiet_s']))   # the subscriptions' last answers, the stream's head
        seq1 = self.seq_now()
        b1 = self.app_bills(apps)
        signin = [e for e in self.requests(seq0) if e['seq'] <= seq1]
        count = {s: sum(1 for e in signin if self.stream_side(e, users) == s) for s in apps}
        self.put('st_signin', '%d API requests, %s; stream open %s after the start' % (
            count['rt'], usd(b1['rt'] - b0['rt']), secs(up_s)),
            '%d API requests, %s' % (count['po'], usd(b1['po'] - b0['po'])))
        self.log('stream: signed in, stream open %s after the start; %s vs %s' % (
            secs(up_s), usd(b1['rt'] - b0['rt']), usd(b1['po'] - b0['po'])))

        # idle, from a simulated UTC midnight on: one whole safety period of the stream pair's
        # polls (a shorter one would count 0 or 2 checks), the requests per day, and each pair's
        # bill until both its accounts made their first DM and mention check of the new day
        clock = self.x.call('POST', '/clock', {'billing_day_advance': 1})
        seq_m = self.seq_now()
        bm = self.app_bills(apps)
        tm = time.monotonic()
        self.log('stream: billing day now %s; idle for %ds' % (clock['billing_day'],
                                                               m['st_idle_s']))
        cov = {s: None for s in apps}   # side -> (monotonic time, its bill) once it checked

        def note_covered():
            for side in apps:
                if cov[side] is None and self.covered(users[side], seq_m):
                    time.sleep(max(1.0, m['quiet_s']))   # the round's last answers
                    cov[side] = (time.monotonic(), self.app_bills(apps)[side])
        while time.monotonic() < tm + m['st_idle_s']:
            time.sleep(min(1.0, max(0.0, tm + m['st_idle_s'] - time.monotonic())))
            note_covered()
        seq2 = self.seq_now()
        idle_s = time.monotonic() - tm
        while None in cov.values() and time.monotonic() < tm + m['st_idle_s'] + m['st_cap_s']:
            time.sleep(1)
            note_covered()
        t_end, b_end = time.monotonic(), self.app_bills(apps)
        idle = [e for e in self.requests(seq_m) if e['seq'] <= seq2]
        per_day = {}
        for e in idle:
            side = self.stream_side(e, users)
            if side:
                per_day.setdefault(endpoint(e), {'rt': 0, 'po': 0})[side] += 1
        self.extra_rows['st_idle_requests'] = [
            ('stream', 'idle requests per day: %s' % key, '%.0f' % (c['rt'] * DAY / idle_s),
             '%.0f' % (c['po'] * DAY / idle_s), '', '') for key, c in sorted(per_day.items())]
        tot = {s: sum(c[s] for c in per_day.values()) * DAY / idle_s for s in apps}
        self.put('st_idle_requests', '%.0f' % tot['rt'], '%.0f' % tot['po'])
        day, cells, how = {}, {}, {}
        for side in apps:
            if cov[side] is not None:
                win_s, window, rest_s = cov[side][0] - tm, cov[side][1] - bm[side], \
                    t_end - cov[side][0]
                # the same-day accrual, from the first checks of the day to the end
                accrual = max(0.0, (b_end[side] - cov[side][1]) / rest_s) if rest_s >= 60 \
                    else None
            else:
                win_s, window, rest_s, accrual = t_end - tm, b_end[side] - bm[side], 0, None
            day[side] = window + (accrual or 0.0) * (DAY - win_s)
            cells[side] = '%s in %.0f s%s' % (usd(window), win_s,
                                             '' if cov[side] else ' (a poller missed it)')
            how[side] = ('%s/h over %.0f s' % (usd(accrual * 3600), rest_s) if accrual is not None
                         else 'not measured, taken as 0')
        self.put('st_idle_day_cost', usd(day['rt']), usd(day['po']))
        self.put('st_idle_window', cells['rt'], cells['po'])
        self.notes.append(
            'Stream: the idle period lasts %.0f s, outside --smoke one whole safety period of '
            'the stream pair (while the stream is up its polls slow to one check each 15 '
            'minutes, so a shorter period would count none or two of them); requests per day '
            '= count x 86,400 / its length. It begins at a simulated UTC midnight (POST /clock '
            'billing_day_advance); idle cost per day = the bill until both accounts of a pair '
            'made their first DM and mention check of the day (the idle day row) + the '
            'same-day accrual after that x the rest of the day (stream=on: %s; polling: %s). '
            "Billed per app: the stream's events are billed to the app, not to a user."
            % (idle_s, how['rt'], how['po']))
        self.log('stream: idle: %s vs %s requests a day, %s vs %s a day' % (
            '%.0f' % tot['rt'], '%.0f' % tot['po'], usd(day['rt']), usd(day['po'])))

        self.stream_traffic(hosts, users, apps)
        entries = [e for e in self.requests(seq0)]
        n429 = {s: sum(1 for e in entries if self.stream_side(e, users) == s
                       and e['status'] == 429) for s in apps}
        self.put('st_429', str(n429['rt']), str(n429['po']), not n429['rt'] and not n429['po'])
        connects = [e for e in entries if e.get('path') == '/2/activity/stream']
        conns = [c for c in self.x.stream_connections() if c['app'] == STREAM_APP]
        self.notes.append(
            'Stream: %d connect%s of GET /2/activity/stream in the run (statuses %s); the open '
            'one had sent %s events and %s keep-alives.' % (
                len(connects), '' if len(connects) == 1 else 's',
                ', '.join(str(e['status']) for e in connects) or '-',
                conns[0]['events_sent'] if conns else '-',
                conns[0]['keepalives'] if conns else '-'))

    def stream_traffic(self, hosts, users, apps):
        """Light traffic at seeded times: each DM or mention made for both pairs at once (the
        order turns from one item to the next), latency from the start of its control call."""
        m = self.m
        plan = self.traffic_plan(m['st_dms'], m['st_mentions'], m['st_traffic_s'])
        self.log('stream: light traffic, %d DMs and %d mentions over %ds'
                 % (m['st_dms'], m['st_mentions'], m['st_traffic_s']))
        slots0 = self.app_slots(apps)
        marks = {s: hosts[s].mark() for s in apps}
        t0 = time.monotonic()
        injected = {'rt': {}, 'po': {}}   # tag -> (monotonic time, kind)
        for n, (at, kind, i, acct, contact) in enumerate(plan):
            delay = t0 + at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            for side in (('rt', 'po') if n % 2 == 0 else ('po', 'rt')):
                tag = 'st-%s-%s%d' % (side, kind[0], i)
                user = users[side][acct]
                start = time.monotonic()
                if kind == 'dm':
                    self.x.dm(contact, user, 'are you around? [bm-%s]' % tag)
                else:
                    self.x.tweet(contact, '@%s a quick question [bm-%s]' % (user, tag))
                injected[side][tag] = (start, kind)
        t_last = time.monotonic()

        def done():
            return all(set(self.shown(hosts[s], marks[s])) >= set(injected[s]) for s in apps)
        while time.monotonic() < t_last + m['st_settle_s'] and not done():
            time.sleep(0.25)
        time.sleep(max(1.0, m['quiet_s']))
        slots1 = self.app_slots(apps)
        senders = {c for _a, _k, _i, _acct, c in plan}
        items = m['st_dms'] * PRICE['dm_event'] + m['st_mentions'] * PRICE['post']
        price = items + len(senders) * PRICE['user']
        cost = {s: slots1[s].get('usd', 0.0) - slots0[s].get('usd', 0.0) for s in apps}
        self.put('st_traffic_cost', '%s (items %s, with their senders %s)' % (
            usd(cost['rt']), usd(items), usd(price)), usd(cost['po']),
            cost['rt'] <= price + 1e-9 and cost['po'] <= price + 1e-9)
        cells = {}
        for side in apps:
            inj = injected[side]
            sh = self.shown(hosts[side], marks[side])
            dups = sum(len(v) - 1 for v in sh.values() if v)
            missing = [t for t in inj if t not in sh]
            cells[side] = {'shown': '%d / %d, %d dup' % (len(inj) - len(missing), len(inj), dups),
                           'ok': not missing and dups == 0}
            for k, want in (('dm', m['st_dms']), ('mention', m['st_mentions'])):
                lat = [min(sh[t]) - inj[t][0] for t in inj if inj[t][1] == k and t in sh]
                cells[side][k] = '%s / %s, max %s%s' % (
                    secs(pctl(lat, 50)), secs(pctl(lat, 95)), secs(max(lat) if lat else None),
                    '' if len(lat) == want else ' (%d missing)' % (want - len(lat)))
                cells[side][k + '_ok'] = len(lat) == want and bool(lat) and max(lat) <= 2.0
        rt, po = cells['rt'], cells['po']
        self.put('st_traffic_shown', rt['shown'], po['shown'], rt['ok'] and po['ok'])
        self.put('st_dm_latency', rt['dm'], po['dm'], rt['dm_ok'])
        self.put('st_mention_latency', rt['mention'], po['mention'], rt['mention_ok'])
        self.log('stream: DMs %s vs %s; mentions %s vs %s' % (rt['dm'], po['dm'], rt['mention'],
                                                              po['mention']))
        self.notes.append(
            'Stream, light traffic: %d DMs and %d mentions over %d s (seeded), each made for '
            'both pairs at once; latency from the start of the control call that made it (the '
            "stream may show it before that call's answer is back) to the host's write-conv "
            'event of it; the goal (issue 17): every one within 2 s with the stream. The new '
            "items' price: %s, with their %d distinct senders %s. Billed under it: stream=on "
            '%s; polling %s (X bills a resource once a UTC day: an older DM a check reads again '
            'on a new day is billed again).'
            % (m['st_dms'], m['st_mentions'], m['st_traffic_s'], usd(items), len(senders),
               usd(price), self.billed_items(slots0['rt'], slots1['rt']),
               self.billed_items(slots0['po'], slots1['po'])))

    # -- the run -----------------------------------------------------------------------------
    def run(self, scenarios):
        self.start_sim()
        for name in scenarios:
            self.log('== %s' % name)
            try:
                {'pair': self.run_pair,
                 'backlog-dm1': lambda: self.backlog('dm1', 'dm', self.m['dm1'], 1),
                 'backlog-dm2': lambda: self.backlog('dm2', 'dm', self.m['dm2'], 2),
                 'backlog-mentions': lambda: self.backlog('mentions', 'mention',
                                                          self.m['mentions']),
                 'bitlbee-ping': self.run_bitlbee,
                 'callgrind': self.run_callgrind,
                 'memory': self.run_memory,
                 'stream': self.run_stream}[name]()
            except Exception as e:   # a scenario that breaks says so in its rows
                self.log('%s failed: %r' % (name, e))
                self.notes.append('Scenario %s did not finish: %s' % (name, e))
                for key, section, _f, _g in ROWS:
                    if section == name and key not in self.results:
                        self.put(key, 'error: %s' % str(e).splitlines()[0][:80], '', False)
        self.x.stop()

    def table(self, scenarios):
        rows = []
        for key, section, figure, goal in ROWS:
            if section not in scenarios:
                continue
            if section in SECTION_HEADS and not any(r[0] == section for r in rows):
                rows.append((section,) + SECTION_HEADS[section] + ('', ''))
            tb, nv, ok = self.results.get(key, ('not run', '', None))
            verdict = '' if ok is None or not goal else 'PASS' if ok else 'FAIL'
            if self.mode == 'smoke' and verdict:
                verdict = '(smoke)'
            rows.append((section, figure, tb, nv or '-', goal, verdict))
            rows += self.extra_rows.get(key, [])
        return rows


def dm_windows(entries):
    """How many 15-minute DM windows the reads span, windows opening as X's do (at the first
    read after the last one closed), counted for each DM endpoint: the most of them."""
    best = 0
    by_key = {}
    for e in entries:
        if e['path'].startswith('/2/dm_') and e.get('method', 'GET') == 'GET':
            by_key.setdefault(endpoint(e), []).append(sim_time(e))
    for times in by_key.values():
        n, start = 0, None
        for t in sorted(times):
            if start is None or t >= start + DM_WINDOW:
                n, start = n + 1, t
        best = max(best, n)
    return best


def record_line(pongs, tagged, direction, line):
    """IrcClient's echo hook (its reader thread): note when each PONG of ours arrived, and when
    each tagged message was first said."""
    if direction != '<<<':
        return
    if ' PONG ' in line:
        m = re.search(r':?bm(\d+)$', line)
        if m:
            pongs[int(m.group(1))] = time.monotonic()
    elif ' PRIVMSG ' in line:
        for tag in TAG_RE.findall(line):
            tagged.setdefault(tag, time.monotonic())


_ping_seq = [0]


def ping(irc, pongs, duration, stop=None):
    """PING every 50 ms for duration seconds (or until stop): -> round trips in seconds, None
    for a PING unanswered 2 s after the last one."""
    sent = {}
    end = time.monotonic() + duration
    while time.monotonic() < end and not (stop and stop.is_set()):
        _ping_seq[0] += 1
        n = _ping_seq[0]
        sent[n] = time.monotonic()
        irc.send('PING :bm%d' % n)
        time.sleep(0.05)
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and not all(n in pongs for n in sent):
        time.sleep(0.05)
    return [pongs[n] - t if n in pongs else None for n, t in sorted(sent.items())]


def ms(v):
    return '-' if v is None else '%.1f ms' % (v * 1000)


def callgrind_total(path):
    """Total instructions (Ir) of a callgrind output file."""
    try:
        with open(path) as f:
            for line in f:
                m = re.match(r'^(?:summary|totals):\s+(\d+)', line)
                if m:
                    return int(m.group(1))
    except OSError:
        pass
    return None


def write_results(bench, rows, path, command):
    now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    out = ['# Twinbird sync benchmark (bench/sync.py)', '',
           '* date: %s; run took %.0f min' % (now, (time.monotonic() - bench.started) / 60),
           '* machine: %s' % machine(),
           '* command: `%s`' % command,
           '* plugin: %s, source tree at commit %s when the run began' % (
               h.PLUGIN_DIR, bench.commit),
           '* seed of the traffic times: %d' % bench.args.seed,
           '* pinning: %s' % ('each measured plugin host on CPU %d alone (--host-cpu), the rest '
                              'of the benchmark on the other CPUs; read back: %s' % (
                                  bench.args.host_cpu, '; '.join(bench.pinned) or 'no host')
                              if bench.args.host_cpu is not None else 'none (--host-cpu not '
                              'given): every process shares every CPU'),
           '* mode: %s%s' % (bench.mode, ' — a smoke run: tiny sizes, 1-second polls, the DM '
                             'limit raised; its figures mean nothing' if bench.mode == 'smoke'
                             else ''),
           '* simulator: tests/sim/xsim.py with X\'s real per-15-minute limits and '
           'pay-per-use prices (shared/reference/xapi.md §1.1, §2.4); Twinbird: two accounts at '
           'default settings in tb-host; naive poller: bench/naive.py (every 60 s, 20-item '
           'pages, DMs with expansions sender_id,participant_ids, mentions with since_id) on a '
           'mirrored pair with the same contacts, history and traffic, in another X app']
    if any(r[0] == 'stream' for r in rows):
        out.append("* section stream: its columns are Twinbird with stream=on and the app's keys "
                   '(the Twinbird column) and Twinbird at default settings, stream off, polling '
                   '(the naive poller column), two accounts each, each pair in an X app of its '
                   'own')
    out += ['', '| section | figure | Twinbird | naive poller | goal | result |',
            '|---|---|---|---|---|---|']
    for r in rows:
        out.append('| %s |' % ' | '.join(c.replace('|', '\\|') for c in r))
    out += ['', '## Notes', ''] + ['* ' + n for n in bench.notes]
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(out) + '\n')


def print_table(rows):
    widths = [max(len(r[i]) for r in rows + [HEAD]) for i in range(len(HEAD))]
    widths = [min(w, 60) for w in widths]
    for r in [HEAD] + rows:
        print('  '.join(c.ljust(widths[i])[:max(widths[i], len(c))] for i, c in enumerate(r)))


HEAD = ('section', 'figure', 'Twinbird', 'naive poller', 'goal', 'result')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--quick', action='store_true', help='smaller sizes, shorter phases')
    ap.add_argument('--smoke', action='store_true', help='tiny, fast, figures meaningless')
    ap.add_argument('--scenario', action='append', choices=SCENARIOS,
                    help='run only this one (repeatable)')
    ap.add_argument('--list', action='store_true', help='name the scenarios and stop')
    ap.add_argument('--seed', type=int, default=11, help='traffic times (default 11)')
    ap.add_argument('--out', default=os.path.join(HERE, 'results.md'))
    ap.add_argument('--logdir', help='logs of every process (default under the build dir)')
    ap.add_argument('--host-cpu', type=int, metavar='N',
                    help='run each plugin host (tb-host, BitlBee) whose callbacks are measured '
                         'on CPU N and everything else of the benchmark (simulator, naive '
                         'poller, clients) on the other CPUs, so no other process of the run '
                         'inflates the main-loop figures')
    a = ap.parse_args(argv)
    if a.host_cpu is not None:
        cpus = os.sched_getaffinity(0)
        if a.host_cpu not in cpus or len(cpus) < 2:
            ap.error('--host-cpu %d: not one of at least two CPUs this process may use (%s)'
                     % (a.host_cpu, sorted(cpus)))
        os.sched_setaffinity(0, cpus - {a.host_cpu})   # inherited by every process started
    if a.list:
        print('\n'.join(SCENARIOS))
        return 0
    scenarios = [s for s in SCENARIOS if not a.scenario or s in a.scenario]
    command = os.environ.get('TB_BENCH_COMMAND') or ' '.join(
        ['bench/sync.py'] + [shlex.quote(x) for x in (argv if argv is not None else sys.argv[1:])])
    os.environ['TB_TRACE_CALLBACKS'] = '1'   # every libpurple client started inherits it
    bench = Bench(a)
    bench.log('bench/sync.py, %s mode, scenarios: %s; logs in %s'
              % (bench.mode, ', '.join(scenarios), bench.logdir))
    try:
        bench.run(scenarios)
    finally:
        h.cleanup()
    rows = bench.table(scenarios)
    print()
    print_table(rows)
    for n in bench.notes:
        print('* ' + n)
    write_results(bench, rows, a.out, command)
    print('\nwritten: %s' % a.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
