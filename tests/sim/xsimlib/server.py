# SPDX-License-Identifier: GPL-2.0-or-later
"""The processes' outside: HTTP/1.1 handlers for the API and control ports, the threading
server (TLS handshakes in the handler thread), the test CA made with the openssl CLI, the
ready file, signals, and main() with xsim.py's command line."""

import argparse
import fcntl
import json
import os
import secrets
import signal
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .api import Req
from .sim import Sim
from .spec import Spec, default_spec_path
from .util import jdump


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'envoy'
    sys_version = ''
    MAX_BODY = 16 * 1024 * 1024

    def version_string(self):
        return self.server_version

    def setup(self):
        super().setup()
        self.connection.settimeout(180)

    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        if 'chunked' in (self.headers.get('Transfer-Encoding') or '').lower():
            out = b''
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b'\r\n', b'\n', b''):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline(8)
                if len(out) > self.MAX_BODY:
                    raise ValueError('body too large')
        n = int(self.headers.get('Content-Length') or 0)
        if n > self.MAX_BODY:
            raise ValueError('body too large')
        return self.rfile.read(n) if n > 0 else b''

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, socket.timeout, ssl.SSLError, ValueError):
            self.close_connection = True


class ApiHandler(_Handler):
    def _any(self):
        sim = self.server.sim
        body = self.read_body()
        req = Req(self.command, self.path, self.headers, body, self.server.tls)
        auth = self.headers.get('Authorization') or ''
        if auth[:7].lower() == 'bearer ':
            req.token = auth[7:].strip()
        elif auth[:6].lower() == 'oauth ':
            req.token = Sim.oauth1_params(auth).get('oauth_token')
        sim.serve_api(self, req)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _any


class ControlHandler(_Handler):
    server_version = 'xsim-control'

    def reply(self, status, obj=None, raw=None):
        payload = raw if raw is not None else jdump(obj)
        self.send_response(status)
        self.send_header('Content-Type', 'application/json; charset=utf-8')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _any(self):
        self.server.sim.serve_control(self)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, handler, sim, tls_ctx=None):
        super().__init__(addr, handler)
        self.sim = sim
        self.tls = tls_ctx is not None
        if tls_ctx is not None:
            # handshake lazily, in the handler thread, so one bad client
            # cannot stall the accept loop
            self.socket = tls_ctx.wrap_socket(self.socket, server_side=True,
                                              do_handshake_on_connect=False)


def _openssl(args, cwd):
    r = subprocess.run(['openssl'] + args, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0:
        raise RuntimeError('openssl %s failed: %s' % (args[0], r.stderr.decode(errors='replace')))
    return r


def ensure_tls(d, dns_names=()):
    """A test CA and a server certificate for 127.0.0.1/localhost (and the DNS names given) in d,
    generated once with the openssl CLI and reused while valid."""
    if dns_names:  # a certificate of its own for each set of names
        d = os.path.join(d, '-'.join(dns_names))
    os.makedirs(d, exist_ok=True)
    names = {'ca': 'ca.pem', 'ca_key': 'ca-key.pem', 'cert': 'server.pem', 'key': 'server-key.pem'}
    paths = {k: os.path.join(d, v) for k, v in names.items()}
    with open(os.path.join(d, '.xsim-tls.lock'), 'w') as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        if all(os.path.isfile(p) for p in paths.values()):
            try:
                _openssl(['verify', '-CAfile', paths['ca'], paths['cert']], d)
                _openssl(['x509', '-checkend', '86400', '-noout', '-in', paths['cert']], d)
                return paths
            except RuntimeError:
                pass
        tmp = os.path.join(d, '.xsim-tls-%d' % os.getpid())
        os.makedirs(tmp, exist_ok=True)
        old = os.umask(0o077)
        try:
            with open(os.path.join(tmp, 'ca.cnf'), 'w') as f:
                f.write('[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=Twinbird xsim test CA\n'
                        '[v3_ca]\nbasicConstraints=critical,CA:TRUE\n'
                        'keyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n')
            with open(os.path.join(tmp, 'srv.cnf'), 'w') as f:
                f.write('[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=127.0.0.1\n'
                        '[v3_srv]\nbasicConstraints=critical,CA:FALSE\n'
                        'keyUsage=critical,digitalSignature,keyEncipherment\n'
                        'extendedKeyUsage=serverAuth\n'
                        'subjectAltName=IP:127.0.0.1,DNS:localhost%s\n'
                        'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n'
                        % ''.join(',DNS:' + n for n in dns_names))
            ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
            _openssl(['req', '-x509', '-config', 'ca.cnf', '-extensions', 'v3_ca'] + ec +
                     ['-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '3650', '-sha256'], tmp)
            _openssl(['req', '-new', '-config', 'srv.cnf'] + ec +
                     ['-keyout', 'server-key.pem', '-out', 'server.csr', '-sha256'], tmp)
            _openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem',
                      '-set_serial', '0x' + secrets.token_hex(12), '-days', '825', '-sha256',
                      '-extfile', 'srv.cnf', '-extensions', 'v3_srv', '-out', 'server.pem'], tmp)
            for k in ('ca_key', 'key', 'cert', 'ca'):
                os.replace(os.path.join(tmp, names[k]), paths[k])
            os.chmod(paths['ca'], 0o644)
            os.chmod(paths['cert'], 0o644)
        finally:
            os.umask(old)
            for n in os.listdir(tmp):
                os.unlink(os.path.join(tmp, n))
            os.rmdir(tmp)
        return paths


def write_ready(path, info):
    tmp = '%s.tmp.%d' % (path, os.getpid())
    with open(tmp, 'w') as f:
        json.dump(info, f)
        f.write('\n')
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description='Simulated X API v2 server for Twinbird tests.')
    ap.add_argument('--ready-file', required=True,
                    help='JSON file written (atomically) once both ports listen')
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=0, help='API port (0 = pick a free one)')
    ap.add_argument('--control-port', type=int, default=0, help='control port (0 = free)')
    ap.add_argument('--tls-dir', help='serve the API over HTTPS with a test CA kept here')
    ap.add_argument('--public-name', help='host name in api_base (and the certificate) instead '
                    'of the address, e.g. one only a proxy under test can resolve')
    ap.add_argument('--media-name', help='host name of the avatar URLs (as pbs.twimg.com)')
    ap.add_argument('--scenario', help='JSON file: users/tokens/follows/tweets/dms at start')
    ap.add_argument('--spec', default=None, help='OpenAPI excerpt (default: the shared copy)')
    ap.add_argument('--log', help='append one line per API request to this file')
    a = ap.parse_args(argv)
    if a.host not in ('127.0.0.1', 'localhost', '::1'):
        ap.error('xsim listens on loopback only')
    host = '127.0.0.1' if a.host == 'localhost' else a.host

    spec = Spec(a.spec or default_spec_path())
    scenario = None
    if a.scenario:
        with open(a.scenario, encoding='utf-8') as f:
            scenario = json.load(f)
    logf = open(a.log, 'a', encoding='utf-8') if a.log else None
    sim = Sim(spec, scenario, logf)

    tls_ctx, tls_paths = None, None
    if a.tls_dir:
        tls_paths = ensure_tls(os.path.abspath(a.tls_dir),
                               tuple(n for n in (a.public_name, a.media_name) if n))
        tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        tls_ctx.load_cert_chain(tls_paths['cert'], tls_paths['key'])

    if ':' in host:
        Server.address_family = socket.AF_INET6
    api = Server((host, a.port), ApiHandler, sim, tls_ctx)
    ctl = Server((host, a.control_port), ControlHandler, sim)
    hostpart = '[%s]' % host if ':' in host else host
    scheme = 'https' if tls_ctx else 'http'
    sim.api_base = '%s://%s:%d' % (scheme, a.public_name or hostpart, api.server_address[1])
    if a.media_name:
        sim.media_base = '%s://%s:%d' % (scheme, a.media_name, api.server_address[1])
    if scenario:
        with sim.lock:
            sim.load_scenario(scenario)

    stopping = threading.Event()

    def on_signal(_sig, _frm):
        stopping.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    threads = [threading.Thread(target=s.serve_forever, kwargs={'poll_interval': 0.2},
                                daemon=True) for s in (api, ctl)]
    for t in threads:
        t.start()
    info = {'api_base': sim.api_base,
            'control': 'http://%s:%d' % (hostpart, ctl.server_address[1]),
            'pid': os.getpid()}
    if tls_paths:
        info['ca_file'] = tls_paths['ca']
    write_ready(a.ready_file, info)
    sim.log('listening api=%s control=%s spec=%s' % (info['api_base'], info['control'], spec.path))
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        sim.stop_event.set()
        for s in (api, ctl):
            s.shutdown()
            s.server_close()
        sim.log('stopped')
        try:
            os.unlink(a.ready_file)
        except OSError:
            pass
    return 0
