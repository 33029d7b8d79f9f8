# SPDX-License-Identifier: GPL-2.0-or-later
"""Real proxies for the proxy tests (issue 15): Debian's tinyproxy (HTTP CONNECT, optionally with
Basic auth) and dante's danted (SOCKS4 and SOCKS5, optionally with a user name and password), on
127.0.0.1, started and stopped by PID like everything in tbharness.

The simulator serves TLS under host names that only the proxies can resolve: each proxy runs in
its own mount namespace (`unshare -m`, we are root) with its own /etc/hosts bind-mounted, so the
plugin, in the test's namespace, cannot reach X except through the proxy. danted checks a SOCKS
password against the system's password files: the namespace gets its own /etc/passwd and
/etc/shadow too, holding the test user, and the machine's files are never touched."""

import os
import re
import shutil
import signal
import socket
import subprocess
import unittest

import tbharness as h

API_NAME = 'api.tb-proxy.test'    # X's API, as api.x.com
MEDIA_NAME = 'pbs.tb-proxy.test'  # avatars, as pbs.twimg.com
NAMES = (API_NAME, MEDIA_NAME)

HTTP_USER, HTTP_PASSWORD = 'tbuser', 'Tb-pr0xy.pass'  # tinyproxy's BasicAuth takes no specials
SOCKS_USER, SOCKS_PASSWORD = 'tbsocks', 'S0cks:p@ss/w%rd'
SOCKS_UID = 60731

def mount_namespaces():
    """Whether this machine lets us make a mount namespace (a container may not)."""
    if not hasattr(mount_namespaces, 'ok'):
        try:
            mount_namespaces.ok = subprocess.run([program('unshare'), '-m', 'true'],
                                                 capture_output=True, timeout=10).returncode == 0
        except (OSError, subprocess.SubprocessError):
            mount_namespaces.ok = False
    return mount_namespaces.ok


PACKAGES = {'tinyproxy': 'tinyproxy-bin', 'danted': 'dante-server', 'unshare': 'util-linux'}


def program(name):
    path = shutil.which(name, path=h.BASE_PATH)
    if path is None:
        raise RuntimeError('%s is not installed: apt-get install %s (tools/deps does it)'
                           % (name, PACKAGES[name]))
    return path


def resolvable_here(name):
    """Whether this process (and so the plugin under test) can resolve name."""
    try:
        socket.getaddrinfo(name, 443)
        return True
    except socket.gaierror:
        return False


def sim_args():
    """xsim's arguments: the API and the avatars under names only the proxies resolve."""
    return ['--public-name', API_NAME, '--media-name', MEDIA_NAME]


class Proxy:
    """One proxy process in its own mount namespace; subclasses write the config."""

    name = 'proxy'

    def __init__(self, logdir, user=None, password=None, port=None):
        self.user, self.password = user, password
        self.port = port or h.free_port()
        self.workdir = h.mkdtemp(self.name)
        self.logdir = logdir
        self.log_path = os.path.join(logdir, '%s-%d.log' % (self.name, self.port))
        self.proc = None
        self.binds = []  # (our file, the system path it stands for)

    def hosts_file(self):
        path = os.path.join(self.workdir, 'hosts')
        with open(path, 'w') as f:
            f.write('127.0.0.1\tlocalhost %s\n::1\tlocalhost ip6-localhost\n' % ' '.join(NAMES))
        self.binds.append((path, '/etc/hosts'))

    def start(self, timeout=10.0):
        if not mount_namespaces():
            raise unittest.SkipTest('the proxy tests need a mount namespace of their own '
                                    '(unshare -m, as root): not allowed here')
        self.hosts_file()
        argv = self.command()
        mounts = ' && '.join('mount --bind %s %s' % (src, dst) for src, dst in self.binds)
        # unshare execs sh, which execs the proxy: the PID we keep is the proxy's
        self.proc = h.spawn(self.name, [program('unshare'), '-m', 'sh', '-c',
                                        mounts + ' && exec "$@"', 'sh'] + argv,
                            os.path.join(self.logdir, '%s-%d.out' % (self.name, self.port)),
                            env=h.base_env(), cwd=self.workdir, start_new_session=True)

        def listening():
            if self.proc.poll() is not None:
                raise RuntimeError('%s exited with %s:\n%s' % (
                    self.name, self.proc.returncode, h.tail(self.log_path)))
            try:
                with socket.create_connection(('127.0.0.1', self.port), timeout=0.5):
                    return True
            except OSError:
                return False
        h.wait_until(listening, timeout, what='%s listening on %d' % (self.name, self.port))
        return self

    def stop(self):
        """The proxy and its children (danted relays through forked ones, which outlive their
        parent otherwise): the process group it leads, which we made for it."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        h.stop_process(self.proc)

    def log(self):
        try:
            with open(self.log_path, encoding='utf-8', errors='replace') as f:
                return f.read()
        except FileNotFoundError:
            return ''

    def address(self):
        return '127.0.0.1:%d' % self.port


class Tinyproxy(Proxy):
    """tinyproxy -d: HTTP CONNECT, with BasicAuth when a user is given. Its log names each
    CONNECT (`Request (file descriptor N): CONNECT host:port`)."""

    name = 'tinyproxy'

    def command(self):
        conf = os.path.join(self.workdir, 'tinyproxy.conf')
        with open(conf, 'w') as f:
            f.write('Port %d\nListen 127.0.0.1\nTimeout 30\nLogFile "%s"\nLogLevel Connect\n'
                    'MaxClients 50\nAllow 127.0.0.1\n' % (self.port, self.log_path))
            if self.user:
                f.write('BasicAuth %s %s\n' % (self.user, self.password))
        return [program('tinyproxy'), '-d', '-c', conf]

    def connects(self):
        """The host:port of every CONNECT the proxy was asked for, in order."""
        return re.findall(r'Request \(file descriptor \d+\): CONNECT (\S+) ', self.log())


class Dante(Proxy):
    """danted: SOCKS4 and SOCKS5 without authentication, or SOCKS5 with a user name and password
    (then SOCKS4, which has none, is refused). Its log names both ends of each relayed TCP
    connection, among them the port it connected from, which the simulator sees."""

    name = 'danted'

    def password_files(self):
        hashed = subprocess.run(['openssl', 'passwd', '-6', '-stdin'], input=self.password,
                                capture_output=True, text=True, check=True).stdout.strip()
        passwd = os.path.join(self.workdir, 'passwd')
        shadow = os.path.join(self.workdir, 'shadow')
        with open('/etc/passwd') as src, open(passwd, 'w') as f:
            f.write(src.read())
            f.write('%s:x:%d:%d::/nonexistent:/usr/sbin/nologin\n'
                    % (self.user, SOCKS_UID, SOCKS_UID))
        fd = os.open(shadow, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open('/etc/shadow') as src, os.fdopen(fd, 'w') as f:
            f.write(src.read())
            f.write('%s:%s:19000:0:99999:7:::\n' % (self.user, hashed))
        self.binds += [(passwd, '/etc/passwd'), (shadow, '/etc/shadow')]

    def command(self):
        if self.user:
            self.password_files()
        conf = os.path.join(self.workdir, 'danted.conf')
        with open(conf, 'w') as f:
            f.write('logoutput: %s\ninternal: 127.0.0.1 port = %d\nexternal: 127.0.0.1\n'
                    'clientmethod: none\nsocksmethod: %s\nuser.privileged: root\n'
                    'user.unprivileged: nobody\n'
                    'client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 log: error connect }\n'
                    'socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 log: error connect }\n'
                    % (self.log_path, self.port, 'username' if self.user else 'none'))
        return [program('danted'), '-f', conf, '-N', '1']

    def relayed_from_ports(self, to_port):
        """The local ports danted connected from, towards 127.0.0.1:to_port."""
        rx = re.compile(r'tcp/connect \[: .* -> 127\.0\.0\.1\.(\d+) 127\.0\.0\.1\.%d$' % to_port)
        return {int(m.group(1)) for m in map(rx.search, self.log().splitlines()) if m}


def purple_proxy(kind, proxy, user=None, password=None):
    """libpurple's proxy info for tb-host ({"type", "host", "port", ...})."""
    p = {'type': kind, 'host': '127.0.0.1', 'port': proxy.port}
    if user is not None:
        p.update(username=user, password=password)
    return p

