# SPDX-License-Identifier: GPL-2.0-or-later
"""tbharness: real parts for Twinbird's end-to-end tests and the demo.

Everything here starts real programs on 127.0.0.1 and stops them again by PID:

  Sim      tests/sim/xsim.py, the simulated X API v2, and its control port
  Host     tests/host/tb-host, a headless libpurple host driven by JSON lines
  BitlBee  a private BitlBee (ForkDaemon, free port) with the plugin; IrcClient talks to it
  Finch    Finch in a private tmux server, read with capture-pane
  Pidgin   Pidgin on an existing $DISPLAY or a private Xvfb

Debian's /usr/bin/python3 and its standard library only. Paths come from the environment that
tests/e2e/meson.build sets (TB_BUILD_ROOT, TB_SOURCE_ROOT, TB_PLUGIN_DIR), with fallbacks for a
test run by hand from the source tree. A missing program (bitlbee, finch, tmux, Xvfb) is an error,
never a skip: tools/check installs them.

Every process started here is registered and stopped by PID in cleanup(), which also runs at exit,
on SIGTERM (meson's timeout) and from E2ETestCase.tearDown. Temporary directories are removed
unless TB_KEEP_TMP=1; logs and transcripts of each test are kept under <build>/tests/e2e/logs/.
"""

import atexit
import errno
import json
import os
import re
import shutil
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

PY = '/usr/bin/python3'
PROTOCOL = 'prpl-twinbird'
PLUGIN_SO = 'libtwinbird.so'
DEFAULT_TIMEOUT = 15.0

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get('TB_SOURCE_ROOT') or os.path.dirname(os.path.dirname(HERE))


def _find_build_root():
    env = os.environ.get('TB_BUILD_ROOT')
    if env:
        return env
    for name in ('build', 'build-check', 'build-e2e'):
        d = os.path.join(SOURCE_ROOT, name)
        if os.path.exists(os.path.join(d, 'tests', 'host', 'tb-host')):
            return d
    return os.path.join(SOURCE_ROOT, 'build')


BUILD_ROOT = _find_build_root()
PLUGIN_DIR = os.environ.get('TB_PLUGIN_DIR') or os.path.join(BUILD_ROOT, 'plugin', 'purple')
HOST_BIN = os.path.join(BUILD_ROOT, 'tests', 'host', 'tb-host')
# The build tree's catalogs, <lang>/LC_MESSAGES/twinbird.mo (po/meson.build): tb-host --localedir
PO_BUILD_DIR = os.path.join(BUILD_ROOT, 'po')
FIXTURE_DIR = os.path.join(BUILD_ROOT, 'tests', 'host')  # libtbfixture.so lives beside tb-host
SIM_SCRIPT = os.environ.get('TB_SIM_SCRIPT') or os.path.join(SOURCE_ROOT, 'tests', 'sim', 'xsim.py')
LOG_ROOT = os.environ.get('TB_E2E_LOG_DIR') or os.path.join(BUILD_ROOT, 'tests', 'e2e', 'logs')
# tb-host run under a tool, e.g. valgrind (tools/check --full): a command prefix, with {log}
# replaced by a per-host log path; timeouts of waits on the host scale with it.
HOST_WRAPPER = os.environ.get('TB_HOST_WRAPPER', '')
TIMEOUT_SCALE = float(os.environ.get('TB_TIMEOUT_SCALE') or 1)

# Debian's programs first (a pyenv python3 on PATH lacks python3-dbus).
BASE_PATH = '/usr/bin:/bin:/usr/sbin:/sbin'


def base_env(**extra):
    """The environment for every child: Debian's PATH, UTF-8, and no D-Bus unless asked."""
    env = dict(os.environ)
    env['PATH'] = BASE_PATH + ':' + env.get('PATH', '')
    env.setdefault('LANG', 'C.UTF-8')
    env['DBUS_SESSION_BUS_ADDRESS'] = 'disabled:'
    env.pop('DISPLAY', None)
    env['NO_AT_BRIDGE'] = '1'
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def require_program(name):
    """Path of a program, or a loud failure naming the Debian package (never a skip)."""
    packages = {'bitlbee': 'bitlbee-libpurple', 'finch': 'finch', 'tmux': 'tmux',
                'Xvfb': 'xvfb', 'pidgin': 'pidgin', 'xdotool': 'xdotool'}
    path = shutil.which(name, path=BASE_PATH)
    if path is None:
        raise RuntimeError('%s is not installed: apt-get install %s (tools/deps does it)'
                           % (name, packages.get(name, name)))
    return path


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, interval=0.05, what='condition'):
    """Poll predicate() until it returns something true; return it or raise TimeoutError."""
    deadline = time.monotonic() + timeout * TIMEOUT_SCALE
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError('timed out after %.1fs waiting for %s' % (timeout, what))
        time.sleep(interval)


def tail(path, lines=40):
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            return ''.join(f.readlines()[-lines:])
    except OSError:
        return '(no %s)' % path


# ---------------------------------------------------------------------------------------------
# Process and directory hygiene

_procs = []      # (name, Popen), stopped in reverse order
_cleanups = []   # callables, run before processes are stopped (e.g. Finch's M-q)
_tmpdirs = []
_lock = threading.RLock()


def register_process(name, proc):
    with _lock:
        _procs.append((name, proc))
    return proc


def register_cleanup(fn):
    with _lock:
        _cleanups.append(fn)


def spawn(name, args, log_path, stdout_too=True, **kw):
    """Popen with stderr (and stdout unless given) appended to log_path; registered."""
    with open(log_path, 'ab') as log:
        if stdout_too:
            kw.setdefault('stdout', log)
        proc = subprocess.Popen(args, stderr=subprocess.STDOUT if stdout_too else log,
                                stdin=kw.pop('stdin', subprocess.DEVNULL), **kw)
    return register_process(name, proc)


def _close_pipes(proc):
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            try:
                stream.close()
            except (OSError, ValueError):
                pass


def stop_process(proc, timeout=5.0, sig=signal.SIGTERM):
    """Stop one child by its PID: the signal, a bounded wait, then SIGKILL."""
    try:
        return _stop_process(proc, timeout, sig)
    finally:
        _close_pipes(proc)


def _stop_process(proc, timeout, sig):
    if proc.poll() is not None:
        return proc.returncode
    try:
        os.kill(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return proc.wait(5)


def child_pids(pid):
    """Direct children of pid (e.g. BitlBee's per-connection forks), from /proc."""
    pids = []
    try:
        for tid in os.listdir('/proc/%d/task' % pid):
            with open('/proc/%d/task/%s/children' % (pid, tid)) as f:
                pids += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return pids


def mkdtemp(prefix):
    d = tempfile.mkdtemp(prefix='tb-' + prefix + '-')
    with _lock:
        _tmpdirs.append(d)
    return d


def cleanup():
    """Stop everything this process started, newest first, and remove temp dirs."""
    with _lock:
        cleanups = _cleanups[:]
        _cleanups.clear()
        procs = _procs[:]
        _procs.clear()
        tmpdirs = _tmpdirs[:]
        _tmpdirs.clear()
    for fn in reversed(cleanups):
        try:
            fn()
        except Exception as e:  # keep cleaning up
            print('tbharness: cleanup step failed: %r' % e, file=sys.stderr)
    for name, proc in reversed(procs):
        try:
            stop_process(proc)
        except Exception as e:
            print('tbharness: could not stop %s (pid %d): %r' % (name, proc.pid, e),
                  file=sys.stderr)
    if os.environ.get('TB_KEEP_TMP') != '1':
        for d in tmpdirs:
            shutil.rmtree(d, ignore_errors=True)


def _on_sigterm(signum, frame):
    cleanup()
    sys.exit(128 + signum)


atexit.register(cleanup)
if threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGTERM, _on_sigterm)


def log_dir(name):
    """A kept directory for one test's logs and transcripts."""
    d = os.path.join(LOG_ROOT, re.sub(r'[^A-Za-z0-9_.-]+', '_', name))
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d, exist_ok=True)
    return d


def _matches(pattern, event):
    """A dict pattern matches an event when every key is equal (a compiled regex searches a
    string value, a callable is called with the value); a callable pattern is called."""
    if callable(pattern):
        return pattern(event)
    for k, want in pattern.items():
        have = event.get(k)
        if hasattr(want, 'search'):
            if not isinstance(have, str) or not want.search(have):
                return False
        elif callable(want):
            if not want(have):
                return False
        elif have != want:
            return False
    return True


# Value matchers for event patterns (host.wait_for({'flags': has('send'), 'plain': contains(..)})).

def contains(*parts):
    """A string holding every one of parts."""
    return lambda s: isinstance(s, str) and all(p in s for p in parts)


def has(flag):
    """A list of flags holding flag."""
    return lambda flags: isinstance(flags, list) and flag in flags


def lacks(flag):
    """A list of flags without flag (not a missing list)."""
    return lambda flags: isinstance(flags, list) and flag not in flags


# ---------------------------------------------------------------------------------------------
# The simulated X API

class SimError(RuntimeError):
    pass


class Sim:
    """tests/sim/xsim.py on loopback, with its control port wrapped as methods."""

    def __init__(self, scenario=None, tls=False, logdir=None, port=0, control_port=0,
                 extra_args=()):
        self.scenario = scenario
        self.tls = tls
        self.extra_args = list(extra_args)  # e.g. --public-name (tests/e2e/proxies.py)
        self.port = port
        self.control_port = control_port
        self.workdir = mkdtemp('sim')
        self.logdir = logdir or self.workdir
        self.log_path = os.path.join(self.logdir, 'sim.log')
        self.proc = None
        self.api_base = self.control = self.ca_file = None

    def start(self, timeout=20.0):
        if not os.path.exists(SIM_SCRIPT):
            raise SimError('no simulator at %s' % SIM_SCRIPT)
        ready = os.path.join(self.workdir, 'ready.json')
        args = [PY, SIM_SCRIPT, '--ready-file', ready, '--port', str(self.port),
                '--control-port', str(self.control_port),
                '--log', os.path.join(self.logdir, 'sim-requests.log')]
        if self.tls:
            args += ['--tls-dir', os.path.join(self.workdir, 'tls')]
        args += self.extra_args
        if self.scenario is not None:
            path = self.scenario
            if not isinstance(path, str):
                path = os.path.join(self.workdir, 'scenario.json')
                with open(path, 'w') as f:
                    json.dump(self.scenario, f, indent=1)
            args += ['--scenario', path]
        self.proc = spawn('xsim', args, self.log_path, env=base_env(), cwd=self.workdir)

        def ready_info():
            if self.proc.poll() is not None:
                raise SimError('xsim exited with %s before it was ready:\n%s'
                               % (self.proc.returncode, tail(self.log_path)))
            try:
                with open(ready) as f:
                    return json.load(f)
            except (OSError, ValueError):
                return None
        info = wait_until(ready_info, timeout, what='xsim ready file')
        self.info = info
        self.api_base = info['api_base'].rstrip('/')
        control = info['control']
        if isinstance(control, int) or str(control).isdigit():
            control = 'http://127.0.0.1:%s' % control
        elif not str(control).startswith('http'):
            control = 'http://' + control
        self.control = control.rstrip('/')
        self.ca_file = info.get('ca_file')
        return self

    def stop(self):
        if self.proc is not None:
            stop_process(self.proc)

    # control port --------------------------------------------------------------------------
    def call(self, method, path, body=None, timeout=10.0):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.control + path, data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            raise SimError('%s %s -> %d %s' % (method, path, e.code,
                                               e.read().decode(errors='replace')))
        return json.loads(raw) if raw.strip() else None

    def add_user(self, username, name=None, token=None, **fields):
        """fields: any other of POST /users (app, protected, dm_open, ...)."""
        body = dict(fields, username=username, name=name or username)
        if token is not None:
            body['token'] = token
        return self.call('POST', '/users', body)

    def follow(self, follower, followee):
        return self.call('POST', '/follow', {'follower': follower, 'followee': followee})

    def tweet(self, author, text, in_reply_to=None):
        body = {'author': author, 'text': text}
        if in_reply_to is not None:
            body['in_reply_to'] = in_reply_to
        return self.call('POST', '/tweets', body)

    def dm(self, sender, recipient, text):
        return self.call('POST', '/dms', {'sender': sender, 'recipient': recipient, 'text': text})

    def fault(self, kind, count=1, method=None, path=None, token=None, body=None, after=None,
              delay=None, reset_in=None):
        """The next count matching requests fail: kind is one of xsim's Fault.KINDS (drop,
        timeout, 500, 502, 503, 504, 429, 402, 401, 403, malformed, truncated, slow, answer);
        path is a regular expression searched in the request path. body replaces the answer's
        body (a dict or list as JSON, a str as raw bytes); kind 'answer' is a 200 with it.
        after=True: X carries the request out, then the answer fails (the answer is lost);
        for 'slow', after=True means X carries it out at once and answers delay s later.
        reset_in: a 429's x-rate-limit-reset, in seconds from now."""
        match = {k: v for k, v in (('method', method), ('path', path), ('token', token))
                 if v is not None}
        spec = {'match': match, 'count': count, 'kind': kind}
        for key, value in (('body', body), ('after', after), ('delay', delay),
                           ('reset_in', reset_in)):
            if value is not None:
                spec[key] = value
        return self.call('POST', '/faults', spec)

    def posted(self):
        return self.call('GET', '/posted')

    def requests(self):
        r = self.call('GET', '/requests')
        if isinstance(r, dict):  # {"requests": [...]} or a bare list
            for key in ('requests', 'data', 'list'):
                if isinstance(r.get(key), list):
                    return r[key]
        return r

    def billing(self):
        return self.call('GET', '/billing')

    # ----- X Activity API (xsim's activity.py; see tests/sim/README.md) ---------------------
    # Additive block: what the server holds of the Activity API, and its stream faults.

    def app_bearer(self, app='default', token=None):
        """An app-only Bearer token of app (as POST /oauth2/token would give)."""
        body = {'app': app}
        if token is not None:
            body['token'] = token
        return self.call('POST', '/tokens/app', body)['token']

    def subscriptions(self, app=None):
        """Every Activity-API subscription held (of app, if given), oldest first: the API's
        subscription object plus 'app' and 'created_by' (username, None for app-only)."""
        return self.call('GET', '/activity/subscriptions' + ('?app=' + app if app else ''))

    def clear_subscriptions(self, app=None):
        return self.call('DELETE', '/activity/subscriptions' + ('?app=' + app if app else ''))

    def stream_connections(self):
        """The open GET /2/activity/stream connections: id, app, token, peer_port,
        opened_at, backfill, events_sent, keepalives, queued, stalled."""
        return self.call('GET', '/activity/connections')

    def close_streams(self, app=None):
        """X ends the open streams (of app) at once, as after a server restart."""
        return self.call('DELETE', '/activity/connections' + ('?app=' + app if app else ''))

    def activity_events(self, app=None, since=None):
        """Every event made for a subscription: seq, time, app, subscription_id, event_type,
        user_id, deliveries, body (the line the stream carries)."""
        q = [('app', app), ('since', since)]
        q = '&'.join('%s=%s' % (k, v) for k, v in q if v is not None)
        return self.call('GET', '/activity/events' + ('?' + q if q else ''))

    def set_subscription_cap(self, n):
        """The per-app subscription cap (X's self-serve 1,500 by default)."""
        return self.call('POST', '/config', {'activity_subscription_cap': int(n)})

    def set_stream_keepalive(self, seconds):
        """The idle time before a keep-alive \\r\\n (X's 20 s by default)."""
        return self.call('POST', '/config', {'activity_keepalive_s': seconds})

    def stream_fault(self, kind, count=1, delay=None, status=503, token=None):
        """A fault of the activity stream: 'drop' (the next event's line breaks off half-way,
        then the connection closes), 'stall' (nothing more is sent, keep-alives included, for
        delay s or until the client goes), 'disconnect' (an in-stream operational-disconnect
        error, then the stream ends), 'refuse' (the next connect answers status: 503, 429,
        ...).  token: only the stream of that Bearer token."""
        kinds = {'drop': 'stream_drop', 'stall': 'stream_stall',
                 'disconnect': 'stream_disconnect', 'refuse': str(status)}
        if kind not in kinds:
            raise ValueError('stream fault kind: one of %s' % ', '.join(kinds))
        return self.fault(kinds[kind], count=count, method='GET', path='^/2/activity/stream$',
                          token=token, delay=delay)

    # ----- end of the X Activity API block ------------------------------------------------

    def requests_to(self, path, method='GET', token=None):
        """The recorded API requests for exactly this path (query ignored), oldest first."""
        out = []
        for r in self.requests() or []:
            p = r.get('path') or r.get('url') or ''
            p = p.split('?', 1)[0]
            if p != path or (method and r.get('method', 'GET') != method):
                continue
            if token is not None and r.get('token') != token:
                continue
            out.append(r)
        return out


def raise_dm_limit(sim):
    """X allows 15 DM-event reads per 15 minutes; the tests poll every second on purpose, and
    look up many sends in doubt in one conversation."""
    for endpoint in ('GET /2/dm_events',
                     'GET /2/dm_conversations/with/{participant_id}/dm_events'):
        sim.call('POST', '/ratelimits', {'endpoint': endpoint, 'limit': 100000})


def wait_first_polls(sim, user_id, token, timeout, since=0, interval=0.05, who=None):
    """Both pollers of an account (DMs, and mentions of user_id) have asked X with token after
    request number since: whatever is injected from now on is new to it."""
    for path in ('/2/dm_events', '/2/users/%s/mentions' % user_id):
        what = 'a poll of %s' % path + (' by @%s' % who if who else '')
        if since:
            what += ' after request %d' % since
        wait_until(lambda: [r for r in sim.requests_to(path, token=token) if r['seq'] > since],
                   timeout, interval=interval, what=what)


# ---------------------------------------------------------------------------------------------
# The headless libpurple host

class HostError(AssertionError):
    pass


def account(username, token, api_base, role='personal', auth='bearer', dm_interval=2,
            mention_interval=2, protocol=PROTOCOL, guard='off', **settings):
    """One account entry for Host(accounts=[...]). The guard between identities (issue 13) is
    off unless asked for: the tests of earlier issues send across identities on purpose."""
    s = {'role': role, 'api_base': api_base, 'auth': auth, 'dm_interval': dm_interval,
         'mention_interval': mention_interval, 'guard': guard}
    # confirm_public off: tests type replies and reposts and check them at once; the tests of
    # confirm_public (test_confirm_host) pass confirm_public=None for the default
    s.setdefault('confirm_public', 'off')
    s.update(settings)
    s = {k: v for k, v in s.items() if v is not None}
    return {'protocol': protocol, 'username': username, 'password': token, 'settings': s}


class Host:
    """tests/host/tb-host with a reader thread collecting its JSON events."""

    def __init__(self, accounts=(), user_dir=None, plugin_dir=None, logdir=None, debug_log=True,
                 env=None, args=(), name='host', proxy=None, wrapper=None):
        self.accounts = list(accounts)
        self.proxy = proxy  # libpurple's global proxy: {"type", "host", "port", ...}
        self.user_dir = user_dir or os.path.join(mkdtemp('host'), 'purple')
        self.plugin_dir = plugin_dir or PLUGIN_DIR
        self.logdir = logdir or os.path.dirname(self.user_dir)
        self.name = name
        self.debug_log = os.path.join(self.logdir, name + '-debug.log') if debug_log else None
        self.stderr_path = os.path.join(self.logdir, name + '-stderr.log')
        self.events_path = os.path.join(self.logdir, name + '-events.jsonl')
        self.env = env or {}
        self.args = list(args)
        self.wrapper = HOST_WRAPPER if wrapper is None else wrapper  # a command prefix, {log}
        self.events = []
        self._cond = threading.Condition()
        self._seq = 0
        self.proc = None
        self.exited = False

    def start(self, timeout=20.0):
        if not os.path.exists(HOST_BIN):
            raise HostError('tb-host is not built: %s (ninja -C %s)' % (HOST_BIN, BUILD_ROOT))
        os.makedirs(self.user_dir, exist_ok=True)
        acc_path = os.path.join(os.path.dirname(self.user_dir),
                                '%s-accounts.json' % self.name)
        with open(acc_path, 'w') as f:
            top = {'accounts': self.accounts}
            if self.proxy is not None:
                top['proxy'] = self.proxy
            json.dump(top, f, indent=1)
        args = [HOST_BIN, '--user-dir', self.user_dir, '--plugin-dir', self.plugin_dir,
                '--accounts', acc_path] + self.args
        if self.wrapper:
            log = os.path.join(self.logdir, self.name + '-wrapper.log')
            args = [a.replace('{log}', log) for a in shlex.split(self.wrapper)] + args
        if self.debug_log:
            args += ['--debug-log', self.debug_log]
        self._stderr = open(self.stderr_path, 'ab')
        self._events_file = open(self.events_path, 'a', encoding='utf-8')
        # tb-host runs in the locale of its environment, as Pidgin and Finch do: English unless a
        # test asks for a language (env={'LANGUAGE': 'de'}, args=['--localedir', PO_BUILD_DIR]).
        env = {'LC_ALL': 'C.UTF-8', 'LANGUAGE': None}
        env.update(self.env)
        self.proc = register_process('tb-host', subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            env=base_env(**env)))
        self._stderr.close()  # the child has its own copy
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_for({'event': 'ready'}, timeout)
        return self

    def _read(self):
        try:
            self._read_lines()
        except (OSError, ValueError):  # stdout closed under us by cleanup
            pass
        with self._cond:
            self.exited = True
            self._events_file.close()
            self._cond.notify_all()

    def _read_lines(self):
        for raw in self.proc.stdout:
            line = raw.decode('utf-8', errors='replace').strip()
            if not line:
                continue
            try:
                ev = json.loads(line)
            except ValueError:
                ev = {'event': 'unparsed', 'line': line}
            ev['_t'] = time.monotonic()
            with self._cond:
                self.events.append(ev)
                self._events_file.write(line + '\n')
                self._events_file.flush()
                self._cond.notify_all()

    def mark(self):
        """An index into events: pass it as since= to look only at what comes after."""
        with self._cond:
            return len(self.events)

    def find(self, pattern, since=0):
        with self._cond:
            return [e for e in self.events[since:] if _matches(pattern, e)]

    def wait_for(self, pattern, timeout=DEFAULT_TIMEOUT, since=0, what=None):
        """The first event from index since that matches pattern (a dict or a callable)."""
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        with self._cond:
            i = since
            while True:
                while i < len(self.events):
                    if _matches(pattern, self.events[i]):
                        return self.events[i]
                    i += 1
                if self.exited:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.5))
        raise HostError('%s: no event %s within %.1fs%s\nlast events:\n%s\nstderr:\n%s' % (
            self.name, what or pattern, timeout,
            ' (tb-host exited with %s)' % self.proc.poll() if self.exited else '',
            '\n'.join(json.dumps({k: v for k, v in e.items() if k != '_t'})
                      for e in self.events[-25:]),
            tail(self.stderr_path, 15)))

    def send(self, cmd, timeout=DEFAULT_TIMEOUT, check=True, **fields):
        """Send one command (a dict, or a name plus fields); return its ack."""
        if isinstance(cmd, str):
            cmd = dict(fields, cmd=cmd)
        with self._cond:
            self._seq += 1
            seq = self._seq
        cmd = dict(cmd, seq=seq)
        self.proc.stdin.write((json.dumps(cmd) + '\n').encode())
        self.proc.stdin.flush()
        ack = self.wait_for({'event': 'ack', 'seq': seq}, timeout, what='ack of %r' % cmd)
        if check and not ack.get('ok'):
            raise HostError('%s failed: %s' % (cmd.get('cmd'), ack.get('error')))
        return ack

    def query(self, cmd, reply_event, timeout=DEFAULT_TIMEOUT, **fields):
        """A command that answers with an event (list-buddies -> buddies): return that event."""
        since = self.mark()
        self.send(cmd, timeout, **fields)
        return self.wait_for({'event': reply_event}, timeout, since=since)

    def buddies(self, account=None):
        fields = {'account': account} if account else {}
        return self.query('list-buddies', 'buddies', **fields)['list']

    def quit(self, timeout=15.0):
        """Clean shutdown through the quit command; returns the exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        try:
            self.proc.stdin.write(b'{"cmd":"quit"}\n')
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass
        try:
            self.proc.wait(timeout * TIMEOUT_SCALE)
        except subprocess.TimeoutExpired:
            pass
        rc = stop_process(self.proc)
        self._reader.join(5)
        return rc

    def stop(self):
        return self.quit()

    def debug_text(self):
        if not self.debug_log:
            return ''
        with open(self.debug_log, encoding='utf-8', errors='replace') as f:
            return f.read()


# ---------------------------------------------------------------------------------------------
# BitlBee over a real IRC socket

class IrcError(AssertionError):
    pass


class IrcClient:
    """A small IRC client: send(line), expect(regex), and a transcript of both directions."""

    def __init__(self, port, nick, host='127.0.0.1', transcript_path=None, echo=None):
        self.nick = nick
        self.lines = []        # received lines
        self.transcript = []   # ('>>>' | '<<<', line)
        self.cursor = 0        # expect() looks from here and moves past each match
        self.echo = echo       # callable(direction, line) for live transcripts (the demo)
        self.transcript_path = transcript_path
        self._tfile = open(transcript_path, 'a', encoding='utf-8') if transcript_path else None
        self._cond = threading.Condition()
        self.closed = False
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.settimeout(None)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _note(self, direction, line):
        self.transcript.append((direction, line))
        if self._tfile:
            self._tfile.write('%s %s\n' % (direction, line))
            self._tfile.flush()
        if self.echo:
            self.echo(direction, line)

    def _read(self):
        buf = b''
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                chunk = b''
            if not chunk:
                break
            buf += chunk
            while b'\n' in buf:
                raw, buf = buf.split(b'\n', 1)
                line = raw.rstrip(b'\r').decode('utf-8', errors='replace')
                if line.startswith('PING '):
                    self._raw_send('PONG ' + line[5:])
                with self._cond:
                    self._note('<<<', line)
                    self.lines.append(line)
                    self._cond.notify_all()
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def _raw_send(self, line):
        try:
            self.sock.sendall((line + '\r\n').encode('utf-8'))
        except OSError:
            pass

    def send(self, line):
        with self._cond:
            self._note('>>>', line)
        self._raw_send(line)

    def mark(self):
        with self._cond:
            return len(self.lines)

    def expect(self, regex, timeout=DEFAULT_TIMEOUT, since=None):
        """The first received line (from the cursor, or since) that matches regex; the cursor
        moves past it, so successive expects read the conversation in order."""
        rx = re.compile(regex) if isinstance(regex, str) else regex
        deadline = time.monotonic() + timeout
        with self._cond:
            i = self.cursor if since is None else since
            while True:
                while i < len(self.lines):
                    m = rx.search(self.lines[i])
                    if m:
                        self.cursor = i + 1
                        return m
                    i += 1
                left = deadline - time.monotonic()
                if self.closed or left <= 0:
                    break
                self._cond.wait(min(left, 0.5))
        raise IrcError('no IRC line matching %r within %.1fs%s; last lines:\n%s' % (
            rx.pattern, timeout, ' (connection closed)' if self.closed else '',
            '\n'.join('%s %s' % t for t in self.transcript[-30:])))

    def find(self, regex, since=0):
        rx = re.compile(regex) if isinstance(regex, str) else regex
        with self._cond:
            return [l for l in self.lines[since:] if rx.search(l)]

    def register(self, timeout=DEFAULT_TIMEOUT):
        self.send('NICK %s' % self.nick)
        self.send('USER %s 0 * :Twinbird test' % self.nick)
        self.expect(r' 001 %s ' % re.escape(self.nick), timeout)
        self.expect(r'JOIN :?&bitlbee', timeout)
        self.expect(r' 366 %s &bitlbee' % re.escape(self.nick), timeout)
        return self

    def root(self, text):
        """Say something to BitlBee's root in the control channel."""
        self.send('PRIVMSG &bitlbee :%s' % text)

    def expect_root(self, regex, timeout=DEFAULT_TIMEOUT, since=None):
        """A root line in &bitlbee matching regex (searched in the message text)."""
        return self.expect(r'^:root!root@\S+ PRIVMSG &bitlbee :.*?' + regex, timeout, since)

    def quit(self, msg='bye'):
        if not self.closed:
            self.send('QUIT :%s' % msg)
            try:
                wait_until(lambda: self.closed, 3, what='IRC close')
            except TimeoutError:
                pass
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        if self._tfile:
            self._tfile.close()
            self._tfile = None


class BitlBee:
    """A private BitlBee-libpurple (ForkDaemon on 127.0.0.1, free port) that loads the plugin
    from <PluginDir>/purple (e2e-howto §4)."""

    def __init__(self, plugin_dir=None, logdir=None, port=None, settings=''):
        self.bin = require_program('bitlbee')
        self.settings = settings  # more [settings] lines, e.g. "Proxy = ...\n"
        self.plugin_dir = plugin_dir or PLUGIN_DIR
        self.workdir = mkdtemp('bitlbee')
        self.logdir = logdir or self.workdir
        self.log_path = os.path.join(self.logdir, 'bitlbee.log')
        self.port = port or free_port()
        self.proc = None
        self.clients = []

    def start(self, timeout=15.0):
        var = os.path.join(self.workdir, 'var')
        plugins = os.path.join(self.workdir, 'plugins')
        os.makedirs(var)
        os.makedirs(os.path.join(plugins, 'purple'))
        so = os.path.join(self.plugin_dir, PLUGIN_SO)
        if not os.path.exists(so):
            raise RuntimeError('plugin not built: %s' % so)
        # a copy: a rebuild during the run must not change the plugin under a live BitlBee
        shutil.copy2(so, os.path.join(plugins, 'purple', PLUGIN_SO))
        self.conf = os.path.join(self.workdir, 'bitlbee.conf')
        with open(self.conf, 'w') as f:
            f.write('[settings]\nRunMode = ForkDaemon\nDaemonInterface = 127.0.0.1\n'
                    'DaemonPort = %d\nAuthMode = Open\nConfigDir = %s\nPluginDir = %s\n'
                    'PidFile = %s\n%s[defaults]\n'
                    % (self.port, var, plugins, os.path.join(self.workdir, 'bitlbee.pid'),
                       self.settings))
        self.proc = spawn('bitlbee', [self.bin, '-c', self.conf, '-F', '-n', '-v'], self.log_path,
                          env=base_env(BITLBEE_DEBUG='1', HOME=self.workdir), cwd=self.workdir)
        register_cleanup(self.stop)  # ordered: clients, forked children, then the daemon

        def listening():
            if self.proc.poll() is not None:
                raise RuntimeError('bitlbee exited with %s:\n%s'
                                   % (self.proc.returncode, tail(self.log_path)))
            try:
                with socket.create_connection(('127.0.0.1', self.port), timeout=0.5):
                    return True
            except OSError:
                return False
        wait_until(listening, timeout, what='bitlbee listening on %d' % self.port)
        return self

    def connect(self, nick='pat', transcript_name=None, echo=None):
        path = os.path.join(self.logdir, (transcript_name or 'irc-%s' % nick) + '.txt')
        client = IrcClient(self.port, nick, transcript_path=path, echo=echo)
        self.clients.append(client)
        return client

    def _close_clients(self):
        for c in self.clients:
            c.quit()
        self.clients = []

    def stop(self):
        """Clients first, then the forked children by PID, then the daemon (no zombies)."""
        self._close_clients()
        if self.proc is None or self.proc.poll() is not None:
            return
        deadline = time.monotonic() + 3
        while child_pids(self.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        children = child_pids(self.proc.pid)
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 3
        while child_pids(self.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        stop_process(self.proc)


# ---------------------------------------------------------------------------------------------
# Finch under a private tmux server

def _xml_escape(s):
    return (str(s).replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
            .replace("'", '&apos;').replace('"', '&quot;'))


def accounts_xml(accounts, ui):
    """accounts.xml for Finch ('gnt-purple') or Pidgin ('gtk-gaim') from account() dicts."""
    out = ["<?xml version='1.0' encoding='UTF-8' ?>", "<account version='1.0'>"]
    for a in accounts:
        out.append('\t<account>')
        out.append('\t\t<protocol>%s</protocol>' % _xml_escape(a.get('protocol', PROTOCOL)))
        out.append('\t\t<name>%s</name>' % _xml_escape(a['username']))
        if a.get('password') is not None:
            out.append('\t\t<password>%s</password>' % _xml_escape(a['password']))
        if a.get('alias'):
            out.append('\t\t<alias>%s</alias>' % _xml_escape(a['alias']))
        out.append('\t\t<settings>')
        for k, v in a.get('settings', {}).items():
            if isinstance(v, bool):
                t, v = 'bool', int(v)
            elif isinstance(v, int):
                t = 'int'
            else:
                t = 'string'
            out.append("\t\t\t<setting name='%s' type='%s'>%s</setting>"
                       % (_xml_escape(k), t, _xml_escape(v)))
        out.append('\t\t</settings>')
        out.append("\t\t<settings ui='%s'>" % ui)
        out.append("\t\t\t<setting name='auto-login' type='bool'>1</setting>")
        out.append('\t\t</settings>')
        out.append('\t</account>')
    out.append('</account>')
    return '\n'.join(out) + '\n'


# A buddy list wide enough to read whole aliases, on the right so that dialogs (which open on the
# left) stay readable on the screen.
FINCH_PREFS = """<?xml version='1.0' encoding='UTF-8' ?>
<pref version='1' name='/'>
\t<pref name='finch'>
\t\t<pref name='blist'>
\t\t\t<pref name='position'>
\t\t\t\t<pref name='x' type='int' value='%d'/>
\t\t\t\t<pref name='y' type='int' value='0'/>
\t\t\t</pref>
\t\t\t<pref name='size'>
\t\t\t\t<pref name='width' type='int' value='%d'/>
\t\t\t\t<pref name='height' type='int' value='%d'/>
\t\t\t</pref>
\t\t</pref>
\t</pref>
</pref>
"""


class Finch:
    """Finch in its own tmux server (tmux -D: the server is our child, stopped by PID)."""

    def __init__(self, accounts, plugin_dir=None, logdir=None, width=160, height=45, env=None):
        self.tmux = require_program('tmux')
        self.finch = require_program('finch')
        self.accounts = accounts
        self.plugin_dir = plugin_dir or PLUGIN_DIR
        self.workdir = mkdtemp('finch')
        self.logdir = logdir or self.workdir
        self.cfg = os.path.join(self.workdir, 'cfg')
        self.socket = os.path.join(self.workdir, 'tmux.sock')
        self.width, self.height = width, height
        self.env = env or {}
        self.server = None
        self.pid = None

    def _t(self, *args, check=True):
        return subprocess.run([self.tmux, '-S', self.socket] + list(args), check=check,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              env=base_env(**self.env), timeout=10)

    def start(self, timeout=15.0):
        os.makedirs(os.path.join(self.cfg, 'plugins'))
        shutil.copy2(os.path.join(self.plugin_dir, PLUGIN_SO),
                     os.path.join(self.cfg, 'plugins', PLUGIN_SO))
        with open(os.path.join(self.cfg, 'accounts.xml'), 'w') as f:
            f.write(accounts_xml(self.accounts, 'gnt-purple'))
        with open(os.path.join(self.cfg, 'prefs.xml'), 'w') as f:
            blist_width = min(70, self.width // 2)
            f.write(FINCH_PREFS % (self.width - blist_width, blist_width, self.height - 2))
        conf = os.path.join(self.workdir, 'tmux.conf')
        with open(conf, 'w') as f:
            f.write('set -g status off\nset -g history-limit 0\n')
        env = base_env(HOME=self.workdir, TERM='xterm-256color', **self.env)
        self.server = spawn('tmux server', [self.tmux, '-S', self.socket, '-f', conf, '-D'],
                            os.path.join(self.logdir, 'tmux.log'), env=env)
        wait_until(lambda: os.path.exists(self.socket), timeout, what='tmux socket')
        register_cleanup(self._quit_finch)
        self._t('new-session', '-d', '-s', 'finch', '-x', str(self.width), '-y',
                str(self.height), 'exec %s -c %s 2>>%s' % (
                    self.finch, self.cfg, os.path.join(self.logdir, 'finch-stderr.log')))
        self.pid = int(self._t('list-panes', '-t', 'finch', '-F', '#{pane_pid}')
                       .stdout.split()[0])
        return self

    def screen(self):
        r = self._t('capture-pane', '-p', '-t', 'finch', check=False)
        return r.stdout

    def wait_screen(self, regex, timeout=DEFAULT_TIMEOUT):
        rx = re.compile(regex)
        last = ['']

        def seen():
            last[0] = self.screen()
            return rx.search(last[0])
        try:
            return wait_until(seen, timeout, interval=0.2, what='finch screen /%s/' % regex)
        except TimeoutError as e:
            raise AssertionError('%s\nscreen:\n%s' % (e, last[0]))

    def save_screen(self, name='finch-screen.txt'):
        path = os.path.join(self.logdir, name)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(self.screen())
        return path

    def keys(self, *keys):
        self._t('send-keys', '-t', 'finch', *keys)

    def alive(self):
        try:
            os.kill(self.pid, 0)
        except (ProcessLookupError, TypeError):
            return False
        try:  # a zombie awaiting tmux's wait() is gone for our purposes
            with open('/proc/%d/stat' % self.pid) as f:
                return f.read().split(') ', 1)[1][0] != 'Z'
        except (OSError, IndexError):
            return False

    def _gone(self):
        try:
            os.kill(self.pid, 0)
            return False
        except ProcessLookupError:
            return True

    def _quit_finch(self):
        """Alt+q (PurpleCoreQuit does not end Finch), then by PID if it lingers; then wait for
        tmux to reap it, so stopping the server leaves no zombie behind."""
        if self.pid is None:
            return
        if self.alive():
            self.keys('M-q')
            try:
                wait_until(lambda: not self.alive(), 8, what='finch to quit')
            except TimeoutError:
                os.kill(self.pid, signal.SIGTERM)
                try:
                    wait_until(lambda: not self.alive(), 3, what='finch to stop')
                except TimeoutError:
                    os.kill(self.pid, signal.SIGKILL)
        try:
            wait_until(self._gone, 3, what='tmux to reap finch')
        except TimeoutError:
            pass

    def stop(self):
        self._quit_finch()
        if self.server is not None:
            stop_process(self.server)


# ---------------------------------------------------------------------------------------------
# Pidgin (the demo's --pidgin; Pidgin tests come with issue 5)

PIDGIN_PREFS = """<?xml version='1.0' encoding='UTF-8' ?>
<pref version='1' name='/'>
\t<pref name='pidgin'>
\t\t<pref name='docklet'><pref name='show' type='string' value='never'/></pref>
\t\t<pref name='sound'><pref name='method' type='string' value='none'/></pref>
\t</pref>
</pref>
"""


class Xvfb:
    def __init__(self, logdir=None):
        self.bin = require_program('Xvfb')
        self.logdir = logdir or mkdtemp('xvfb')
        self.display = None

    def start(self, timeout=10.0):
        r, w = os.pipe()
        self.proc = spawn(
            'Xvfb', [self.bin, '-displayfd', str(w), '-screen', '0', '1280x800x24', '-nolisten',
                     'tcp'], os.path.join(self.logdir, 'xvfb.log'), pass_fds=(w,))
        os.close(w)
        with os.fdopen(r) as f:
            line = f.readline().strip()
        if not line:
            raise RuntimeError('Xvfb did not report a display')
        self.display = ':' + line
        return self


class Pidgin:
    def __init__(self, accounts, plugin_dir=None, logdir=None, display=None):
        self.bin = require_program('pidgin')
        self.accounts = accounts
        self.plugin_dir = plugin_dir or PLUGIN_DIR
        self.workdir = mkdtemp('pidgin')
        self.logdir = logdir or self.workdir
        self.cfg = os.path.join(self.workdir, 'cfg')
        self.display = display or os.environ.get('DISPLAY')
        self.proc = None

    def start(self):
        if not self.display:
            raise RuntimeError('Pidgin needs a display: set DISPLAY or start Xvfb first')
        os.makedirs(os.path.join(self.cfg, 'plugins'))
        shutil.copy2(os.path.join(self.plugin_dir, PLUGIN_SO),
                     os.path.join(self.cfg, 'plugins', PLUGIN_SO))
        with open(os.path.join(self.cfg, 'accounts.xml'), 'w') as f:
            f.write(accounts_xml(self.accounts, 'gtk-gaim'))
        with open(os.path.join(self.cfg, 'prefs.xml'), 'w') as f:
            f.write(PIDGIN_PREFS)
        self.proc = spawn('pidgin', [self.bin, '-c', self.cfg],
                          os.path.join(self.logdir, 'pidgin.log'),
                          env=base_env(DISPLAY=self.display, HOME=self.workdir))
        return self

    def stop(self):
        if self.proc is not None:
            stop_process(self.proc)


# ---------------------------------------------------------------------------------------------
# unittest glue

class E2ETestCase(unittest.TestCase):
    """Gives each test a kept log directory and stops everything it started afterwards."""

    def setUp(self):
        self.logdir = log_dir(self.id())
        self.addCleanup(cleanup)

    def sim(self, **kw):
        return Sim(logdir=self.logdir, **kw).start()

    def host(self, accounts, **kw):
        return Host(accounts, logdir=self.logdir, **kw).start()

    def bitlbee(self, **kw):
        return BitlBee(logdir=self.logdir, **kw).start()

    def finch(self, accounts, **kw):
        return Finch(accounts, logdir=self.logdir, **kw).start()


class OneAccountCase(E2ETestCase):
    """Pat's personal account @pat_home alone in tb-host, polled every second, against a fresh
    simulator where alice exists: the setting of the one-account host tests. self.me is
    @pat_home's user id, self.alice alice's."""

    HANDLE, TOKEN = 'pat_home', 'tok-pat-home'

    def setUp(self):
        super().setUp()
        self.x = self.sim()
        raise_dm_limit(self.x)
        self.me = self.x.add_user(self.HANDLE, 'Pat', token=self.TOKEN)['id']
        self.alice = self.x.add_user('alice', 'Alice')['id']

    def start_host(self, token=None, wait=10, **kw):
        """tb-host with the account signed on (kw: user_dir, name, ...), without reconnects."""
        kw.setdefault('args', ['--no-reconnect'])
        host = self.host([account(self.HANDLE, token or self.TOKEN, self.x.api_base,
                                  role='personal', auth='bearer', dm_interval=1,
                                  mention_interval=1, mutuals_cap=0)], **kw)
        host.wait_for({'event': 'signed-on', 'account': self.HANDLE}, wait)
        return host

    def start_polled(self, wait=10, **kw):
        """start_host, then both pollers have asked X once: what is injected now is new."""
        host = self.start_host(wait=wait, **kw)
        wait_first_polls(self.x, self.me, self.TOKEN, wait)
        return host


def main():
    """unittest.main with verbose output; cleanup runs whatever happens."""
    try:
        unittest.main(verbosity=2)
    finally:
        cleanup()
