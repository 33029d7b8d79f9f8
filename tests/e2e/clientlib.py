# SPDX-License-Identifier: GPL-2.0-or-later
"""clientlib: what the D-Bus, Finch and Pidgin tests need beyond tbharness.

  DBusDaemon   a private session bus (dbus-daemon --nofork), stopped by PID
  PurpleBus    python3-dbus on that bus: libpurple's object, signals collected by pumping the
               GLib main context in the test's own thread (no threads, no races)
  Xvfb/X helpers for Pidgin: a private display, xdotool, /usr/bin/import screenshots
  PatInPidgin  a test mixin: Pidgin on its own Xvfb and bus with Pat's two accounts

Debian's /usr/bin/python3 with python3-dbus and python3-gi. Every process is registered with
tbharness, so tbharness.cleanup() stops it by PID.
"""

import os
import re
import shutil
import subprocess
import time

import tbharness as h
from twoaccounts import HOME, NAMES, ROLES, TOKENS, WORK

PURPLE_SERVICE = 'im.pidgin.purple.PurpleService'
PURPLE_PATH = '/im/pidgin/purple/PurpleObject'
PURPLE_INTERFACE = 'im.pidgin.purple.PurpleInterface'
EXAMPLES_DIR = os.path.join(h.SOURCE_ROOT, 'examples')


class DBusDaemon:
    """A session bus of our own: one per client under test (e2e-howto §2: only one libpurple
    client per bus owns the name)."""

    def __init__(self, logdir, name='dbus'):
        self.bin = h.require_program('dbus-daemon')
        self.logdir = logdir
        self.name = name
        self.workdir = h.mkdtemp('dbus')
        self.proc = None
        self.address = None

    def start(self):
        conf = os.path.join(self.workdir, 'session.conf')
        with open(conf, 'w') as f:
            # A session bus listening in our own directory only.
            f.write('<!DOCTYPE busconfig PUBLIC'
                    ' "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"'
                    ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n'
                    '<busconfig><type>session</type><keep_umask/>'
                    '<listen>unix:dir=%s</listen>'
                    # the policy of Debian's session.conf: everyone may talk, receive, own
                    '<policy context="default"><allow send_destination="*" eavesdrop="true"/>'
                    '<allow eavesdrop="true"/><allow own="*"/></policy></busconfig>\n'
                    % self.workdir)
        r, w = os.pipe()
        self.proc = h.spawn(self.name, [self.bin, '--config-file', conf, '--nofork',
                                        '--print-address=%d' % w],
                            os.path.join(self.logdir, self.name + '.log'), pass_fds=(w,),
                            env=h.base_env())
        os.close(w)
        with os.fdopen(r) as f:  # the address, or EOF when the daemon dies
            line = f.readline().strip()
        if not line:
            raise RuntimeError('dbus-daemon did not print its address:\n%s'
                               % h.tail(os.path.join(self.logdir, self.name + '.log')))
        self.address = line
        return self

    def env(self):
        return {'DBUS_SESSION_BUS_ADDRESS': self.address}

    def stop(self):
        if self.proc is not None:
            h.stop_process(self.proc)


class PurpleBus:
    """libpurple's D-Bus object seen from a test, with every purple signal recorded as
    (name, args) in order. Signals arrive while pump() runs the GLib main context."""

    def __init__(self, address):
        import warnings
        # unittest shows every warning; gi's importer triggers a harmless ImportWarning
        warnings.filterwarnings('ignore', category=ImportWarning)
        import dbus
        import dbus.mainloop.glib
        from gi.repository import GLib
        self.dbus = dbus
        self.GLib = GLib
        self.ctx = GLib.MainContext.default()
        self.bus = dbus.bus.BusConnection(address,
                                          mainloop=dbus.mainloop.glib.DBusGMainLoop())
        self.signals = []
        self.bus.add_signal_receiver(self._on_signal, dbus_interface=PURPLE_INTERFACE,
                                     path=PURPLE_PATH, member_keyword='member')
        self._obj = None

    def _on_signal(self, *args, member=None):
        self.signals.append((str(member), [_plain(a) for a in args]))

    def close(self):
        try:
            self.bus.close()
        except Exception:
            pass

    # main loop ------------------------------------------------------------------------------
    def pump(self, seconds=0.0):
        """Dispatch what has arrived (and keep doing so for seconds)."""
        deadline = time.monotonic() + seconds
        while True:
            while self.ctx.pending():
                self.ctx.iteration(False)
            if time.monotonic() >= deadline:
                return
            time.sleep(0.02)

    def wait_until(self, predicate, timeout, what='condition'):
        def step():
            self.pump()
            return predicate()
        return h.wait_until(step, timeout, interval=0.05, what=what)

    def mark(self):
        self.pump()
        return len(self.signals)

    def find(self, member, since=0, **match):
        """Signals called member since index since; match maps argument index (a0, a1...) to
        a value or a compiled regex."""
        self.pump()
        out = []
        for name, args in self.signals[since:]:
            if name != member:
                continue
            ok = True
            for k, want in match.items():
                i = int(k[1:])
                have = args[i] if i < len(args) else None
                if hasattr(want, 'search'):
                    ok = isinstance(have, str) and bool(want.search(have))
                else:
                    ok = have == want
                if not ok:
                    break
            if ok:
                out.append(args)
        return out

    def wait_signal(self, member, timeout=h.DEFAULT_TIMEOUT, since=0, **match):
        try:
            return self.wait_until(lambda: self.find(member, since, **match), timeout,
                                   what='D-Bus signal %s %r' % (member, match))[0]
        except TimeoutError as e:
            seen = ['%s%r' % (n, tuple(a)) for n, a in self.signals[since:]
                    if n.startswith('Twinbird') or n.endswith('ImMsg')]
            raise AssertionError('%s; seen:\n%s' % (e, '\n'.join(seen[-20:])))

    # libpurple --------------------------------------------------------------------------------
    def has_owner(self):
        return bool(self.bus.call_blocking('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                           'org.freedesktop.DBus', 'NameHasOwner', 's',
                                           (PURPLE_SERVICE,)))

    def wait_service(self, timeout=15.0):
        self.wait_until(self.has_owner, timeout, what='%s on the bus' % PURPLE_SERVICE)
        return self

    @property
    def purple(self):
        if self._obj is None:
            obj = self.bus.get_object(PURPLE_SERVICE, PURPLE_PATH, introspect=False)
            self._obj = self.dbus.Interface(obj, PURPLE_INTERFACE)
        return self._obj

    def call(self, method, *args, timeout=30.0):
        """A blocking call; returns plain Python values. D-Bus errors raise dbus.DBusException
        (get_dbus_name() is the error name)."""
        return _plain(getattr(self.purple, method)(*args, timeout=timeout))

    def account_connected(self, username, protocol=h.PROTOCOL):
        return self.call('PurpleAccountsFindConnected', username, protocol)

    def wait_account(self, username, timeout=20.0):
        return self.wait_until(lambda: self.account_connected(username), timeout,
                               what='@%s connected (PurpleAccountsFindConnected)' % username)

    def call_async(self, method, *args, timeout=60.0):
        """Starts a call; returns a dict that gets 'reply' or 'error' while pump() runs."""
        box = {}
        getattr(self.purple, method)(
            *args, timeout=timeout,
            reply_handler=lambda *r: box.setdefault('reply', _plain(r[0]) if r else None),
            error_handler=lambda e: box.setdefault('error', e))
        return box


def _plain(v):
    """dbus.String, dbus.Int32... as str and int (and lists of them)."""
    import dbus
    if isinstance(v, (dbus.String, dbus.ObjectPath, str)):
        return str(v)
    if isinstance(v, dbus.Boolean):
        return bool(v)
    if isinstance(v, (dbus.Int16, dbus.Int32, dbus.Int64, dbus.UInt16, dbus.UInt32,
                      dbus.UInt64, dbus.Byte, int)):
        return int(v)
    if isinstance(v, (list, tuple, dbus.Array, dbus.Struct)):
        return [_plain(x) for x in v]
    return v


def example_script(name):
    return os.path.join(EXAMPLES_DIR, name)


def run_example(name, args, env, logdir, log_name=None):
    """Starts an example script under Debian's python3; returns (Popen, log path)."""
    log = os.path.join(logdir, log_name or (name + '.log'))
    proc = h.spawn(name, [h.PY, '-u', example_script(name)] + list(args), log,
                   env=h.base_env(**env))
    return proc, log


def read(path):
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            return f.read()
    except OSError:
        return ''


def wait_file_text(path, regex, timeout, proc=None):
    """Waits until the file's text matches regex; returns the match."""
    rx = re.compile(regex)

    def seen():
        if proc is not None and proc.poll() is not None:
            m = rx.search(read(path))
            if m:
                return m
            raise AssertionError('%s exited with %s before /%s/:\n%s'
                                 % (proc.args, proc.returncode, regex, read(path)))
        return rx.search(read(path))
    try:
        return h.wait_until(seen, timeout, interval=0.1, what='/%s/ in %s' % (regex, path))
    except TimeoutError as e:
        raise AssertionError('%s; it holds:\n%s' % (e, read(path)[-3000:]))


# ---------------------------------------------------------------------------------------------
# X display helpers (Pidgin)

class Display:
    """xdotool and /usr/bin/import on one X display."""

    def __init__(self, display):
        self.display = display
        self.xdotool = h.require_program('xdotool')
        self.import_bin = '/usr/bin/import'
        if not os.path.exists(self.import_bin):
            raise RuntimeError('/usr/bin/import is missing: apt-get install imagemagick')

    def env(self):
        return h.base_env(DISPLAY=self.display)

    def xdo(self, *args, check=True, timeout=10):
        r = subprocess.run([self.xdotool] + [str(a) for a in args], env=self.env(),
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError('xdotool %s: rc %d %s' % (' '.join(map(str, args)),
                                                          r.returncode, r.stderr))
        return r.stdout

    def windows(self, name_regex):
        """Visible windows whose title matches (xdotool search --name is a regex)."""
        out = self.xdo('search', '--onlyvisible', '--name', name_regex, check=False)
        return [int(w) for w in out.split()]

    def wait_window(self, name_regex, timeout=15.0):
        return h.wait_until(lambda: self.windows(name_regex), timeout, interval=0.2,
                            what='a window called /%s/' % name_regex)[0]

    def window_name(self, wid):
        return self.xdo('getwindowname', wid, check=False).strip()

    def screenshot(self, path, window='root', crop=None):
        args = [self.import_bin, '-window', str(window)]
        if crop:
            args += ['-crop', crop]
        args.append(path)
        subprocess.run(args, env=self.env(), check=True, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=20)
        return path


def copy_if_asked(src, dest_env='TB_UPDATE_SCREENSHOT'):
    """Copies a screenshot into the source tree when the environment names a destination
    (docs/pidgin-screenshot.png is refreshed by hand, from a real run, never by tools/check)."""
    dest = os.environ.get(dest_env)
    if dest:
        shutil.copy2(src, dest)
    return dest


# Pidgin with a private bus and logs (tbharness.Pidgin keeps D-Bus off; these tests want it on to
# know when accounts are online, and a plain-text log of each conversation to check the tag).
PIDGIN_PREFS = """<?xml version='1.0' encoding='UTF-8' ?>
<pref version='1' name='/'>
\t<pref name='purple'>
\t\t<pref name='logging'>
\t\t\t<pref name='log_ims' type='bool' value='1'/>
\t\t\t<pref name='log_chats' type='bool' value='1'/>
\t\t\t<pref name='format' type='string' value='txt'/>
\t\t</pref>
\t</pref>
\t<pref name='pidgin'>
\t\t<pref name='docklet'><pref name='show' type='string' value='never'/></pref>
\t\t<pref name='sound'><pref name='method' type='string' value='none'/></pref>
\t\t<pref name='conversations'>
\t\t\t<pref name='placement' type='string' value='new'/>
\t\t</pref>
\t\t<pref name='blist'>
\t\t\t<pref name='show_buddy_icons' type='bool' value='1'/>
\t\t\t<pref name='show_empty_groups' type='bool' value='0'/>
\t\t\t<pref name='width' type='int' value='%(blist_w)d'/>
\t\t\t<pref name='height' type='int' value='%(blist_h)d'/>
\t\t\t<pref name='x' type='int' value='0'/>
\t\t\t<pref name='y' type='int' value='0'/>
\t\t</pref>
\t</pref>
</pref>
"""


class PidginOnBus(h.Pidgin):
    """tbharness.Pidgin, but on a bus of its own, with text logs."""

    def __init__(self, accounts, bus, logdir, display, blist_size=(300, 520)):
        super().__init__(accounts, logdir=logdir, display=display)
        self.bus = bus
        self.blist_size = blist_size

    def start(self):
        os.makedirs(os.path.join(self.cfg, 'plugins'))
        shutil.copy2(os.path.join(self.plugin_dir, h.PLUGIN_SO),
                     os.path.join(self.cfg, 'plugins', h.PLUGIN_SO))
        with open(os.path.join(self.cfg, 'accounts.xml'), 'w') as f:
            f.write(h.accounts_xml(self.accounts, 'gtk-gaim'))
        with open(os.path.join(self.cfg, 'prefs.xml'), 'w') as f:
            f.write(PIDGIN_PREFS % {'blist_w': self.blist_size[0],
                                    'blist_h': self.blist_size[1]})
        self.proc = h.spawn('pidgin', [self.bin, '-c', self.cfg],
                            os.path.join(self.logdir, 'pidgin.log'),
                            env=h.base_env(DISPLAY=self.display, HOME=self.workdir,
                                           **self.bus.env()))
        return self

    def log_text(self, account, peer):
        """Everything Pidgin logged of the IM with peer on account (txt logs)."""
        d = os.path.join(self.cfg, 'logs', 'twinbird', account.lower(), peer.lower())
        out = []
        for root, _dirs, files in os.walk(d):
            for name in sorted(files):
                out.append(read(os.path.join(root, name)))
        return ''.join(out)

    def quit(self, purple_bus=None, timeout=8.0):
        """PurpleCoreQuit ends Pidgin cleanly (e2e-howto §2); by PID if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        if purple_bus is not None:
            try:
                purple_bus.purple.PurpleCoreQuit(ignore_reply=True)
            except Exception:
                pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        h.stop_process(self.proc)


class PatInPidgin:
    """Mixin for tbharness.E2ETestCase: Pidgin under a private Xvfb and D-Bus with Pat's two
    accounts, pat_home (personal) and pat_at_acme (work), polling DMs every second; dana
    (token tok-dana) is there to DM them."""

    def start_pidgin(self, settings=None, **work):
        """Adds Pat's users and dana to the simulator self.x and starts Pidgin; sets self.ids
        (Pat's X ids by handle), self.d (the display), self.pidgin, self.blist (the Buddy List
        window, once shown) and self.pb (libpurple on Pidgin's bus). settings: a dict added to
        both accounts (dm_interval among them); work: settings added to the work account."""
        self.ids = {handle: self.x.add_user(handle, NAMES[handle], token=TOKENS[handle])['id']
                    for handle in (HOME, WORK)}
        self.x.add_user('dana', 'Dana Example', token='tok-dana')
        xvfb = h.Xvfb(logdir=self.logdir).start()
        self.d = Display(xvfb.display)
        bus = DBusDaemon(self.logdir).start()
        accounts = []
        for handle in (HOME, WORK):
            s = dict({'dm_interval': 1}, **(settings or {}))
            s.update(work if handle == WORK else {})
            accounts.append(h.account(handle, TOKENS[handle], self.x.api_base,
                                      role=ROLES[handle], **s))
        self.pidgin = PidginOnBus(accounts, bus, self.logdir, xvfb.display).start()
        self.blist = self.d.wait_window('^Buddy List$', 20)
        self.pb = PurpleBus(bus.address).wait_service()
        self.addCleanup(self.pb.close)

    def wait_log(self, account, peer, regex, timeout=15):
        """regex in Pidgin's log of account's conversation with peer."""
        try:
            return h.wait_until(lambda: re.search(regex, self.pidgin.log_text(account, peer)),
                                timeout, interval=0.2, what='/%s/ in the log' % regex)
        except TimeoutError as e:
            raise AssertionError('%s; log:\n%s' % (e, self.pidgin.log_text(account, peer)))

    def type_into(self, window, text):
        """Types text and Return into window, as a person would."""
        self.d.xdo('windowfocus', '--sync', window)
        self.d.xdo('type', '--delay', '15', text)
        self.d.xdo('key', 'Return')
