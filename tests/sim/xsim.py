#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""xsim: Twinbird's simulated X API v2 server (the project's only stand-in).

Built from X's documented shapes: shared/reference/xapi.md and X's own OpenAPI
excerpt (x-api-v2-openapi-excerpt.json, spec 2.166), which is loaded at start
and used to route requests, validate parameters, fields, expansions and JSON
bodies.  Python 3 standard library only; run with /usr/bin/python3.

Two loopback listeners: the API port (X API v2 paths, optionally HTTPS with a
generated test CA) and a control port (plain HTTP, JSON) that tests use to
create users, inject tweets and DMs, inject faults and read back what the
client did.  See tests/sim/README.md for the contract.
"""

import argparse
import fcntl
import json
import os
import re
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from xsimlib.control import ControlMixin
from xsimlib.endpoints import handler_for
from xsimlib.endpoints.common import page_token
from xsimlib.limits import Billing, LimitsMixin, RateLimiter
from xsimlib.model import FIRST_USER_ID, ModelMixin
from xsimlib.oauth import OAuthMixin
from xsimlib.render import RenderMixin, png_avatar
from xsimlib.responses import (DUPLICATE, PAGE_NOT_FOUND, REPLY_DELETED, REPLY_NOT_ALLOWED,
                               TOO_LONG, TOO_MANY, UNAUTHORIZED, Response, body_error,
                               invalid_request, problem)
from xsimlib.spec import SchemaValidator, Spec, default_spec_path
from xsimlib.text import weighted_length
from xsimlib.util import PROB, iso, jdump, parse_iso

# test_xsim.py reads these as xsim.NAME.
__all__ = ['DUPLICATE', 'REPLY_DELETED', 'REPLY_NOT_ALLOWED', 'TOO_LONG', 'page_token',
           'weighted_length']

# ---------------------------------------------------------------------------
# Constants

DEFAULT_CONFIG = {
    'not_found': '404',        # single lookups: '404' problem, or '200' body with errors
    'duplicate_check': True,   # 403 on the same text twice from one author
    'tier': 'self-serve',      # 'self-serve' (reply rule, no likes/follows/quotes) or 'enterprise'
    'access_token_ttl': 7200,  # OAuth 2.0 access tokens (xapi.md §3.1)
    'code_ttl': 30,            # authorization codes live 30 s
    'self_check': False,       # validate every API response against the excerpt
    'dm_retention_days': 30,
    'mentions_cap': 800,
    'timeline_cap': 3200,
    'app_owner': None,         # username owning the developer app (Owned Reads)
    'account_id': '1790000000000000000',  # developer account, shown in 402 bodies
    'oauth1_timestamp_skew': 300,
}


class Req:
    """One API request as the pipeline sees it."""

    def __init__(self, method, raw_path, headers, body, tls):
        self.method = method
        split = urllib.parse.urlsplit(raw_path)
        self.path = split.path or '/'
        self.raw_query = split.query
        self.qitems = urllib.parse.parse_qsl(split.query, keep_blank_values=True)
        self.query = {}
        for k, v in self.qitems:
            self.query[k] = v
        self.headers = headers
        self.body = body
        self.tls = tls
        self.json = None
        self.form = None
        self.op = None
        self.tmpl = None
        self.operation = None
        self.pp = {}
        self.tok = None
        self.user = None
        self.app = 'default'
        self.token = None
        self.t0 = time.time()

    def list(self, name):
        v = self.query.get(name)
        if not v:
            return []
        out = []
        for x in v.split(','):
            if x and x not in out:
                out.append(x)
        return out

    def fields(self, name):
        return set(self.list(name))

    def parse_form(self):
        if self.form is None:
            try:
                self.form = dict(urllib.parse.parse_qsl(self.body.decode('utf-8'),
                                                        keep_blank_values=True))
            except UnicodeDecodeError:
                self.form = {}
        return self.form


class Sim(ControlMixin, OAuthMixin, RenderMixin, LimitsMixin, ModelMixin):
    MAX_LOG = 50000   # request and posted logs keep the newest entries

    def __init__(self, spec, scenario=None, logf=None):
        self.spec = spec
        self.validator = SchemaValidator(spec)
        self.lock = threading.RLock()
        self.stop_event = threading.Event()
        self.scenario = scenario
        self.logf = logf
        self.log_lock = threading.Lock()
        self.api_base = 'http://127.0.0.1'
        self.reset()

    # ----- lifecycle -------------------------------------------------------

    def reset(self, reload_scenario=False):
        with self.lock:
            self.config = dict(DEFAULT_CONFIG)
            self.clock_offset = 0.0
            self.users = {}
            self.by_name = {}
            self.tokens = {}
            self.tweets = {}
            self.dms = {}
            self.convs = {}
            self.follows = []
            self.follow_set = set()
            self.likes = {}
            self.next_uid = FIRST_USER_ID
            self.used_ids = set()
            self.seq = 0
            self.faults = []
            self.fault_seq = 0
            self.rl = RateLimiter()
            self.billing = Billing()
            self.posted = []
            self.requests = []
            self.labels = {}
            self.apps = {}
            self.auth_codes = {}
            self.refresh_tokens = {}
            self.request_tokens = {}
            self.nonces = set()
            self.selfcheck_failures = []
            if reload_scenario and self.scenario:
                self.load_scenario(self.scenario)

    def now(self):
        return time.time() + self.clock_offset

    def next_seq(self):
        self.seq += 1
        return self.seq

    def log(self, line):
        if not self.logf:
            return
        with self.log_lock:
            self.logf.write('%s %s\n' % (iso(time.time()), line))
            self.logf.flush()

    # ----- API pipeline ------------------------------------------------------

    def process(self, req):
        """Everything after fault injection.  Returns a Response."""
        try:
            return self._process(req)
        except Exception:   # a bug here must still answer like X would
            import traceback
            self.log('internal error: %s' % traceback.format_exc().replace('\n', ' | '))
            sys.stderr.write(traceback.format_exc())
            return problem(500, 'Internal Server Error')

    def _process(self, req):
        if req.method == 'GET' and req.path.startswith('/profile_images/'):
            m = re.match(r'^/profile_images/(\d+)/', req.path)
            if m and int(m.group(1)) in self.users:
                return Response(200, raw=png_avatar(m.group(1)), ctype='image/png')
            return Response(404, PAGE_NOT_FOUND)
        special = self.oauth_route(req)
        if special is not None:
            return special
        tmpl, op, pp = self.spec.match(req.method, req.path)
        if op is None:
            return Response(404, PAGE_NOT_FOUND)
        req.tmpl, req.op, req.pp = tmpl, op, pp
        req.operation = op.get('operationId')
        err = self.authenticate(req)
        if err is not None:
            return err
        key = '%s %s' % (req.method, tmpl)
        with self.lock:
            self.billing.request(req.token, req.user, req.app)
            allowed, rl_headers = self.rl.check(key, req.token, req.app, self.now(),
                                                self.clock_offset)
        if not allowed:
            r = Response(429, dict(TOO_MANY))
            r.headers.update(rl_headers)
            return r
        r = self.validate(req)
        if r is None:
            handler = handler_for(req.operation)
            if handler is None:
                r = Response(404, PAGE_NOT_FOUND)
            else:
                with self.lock:
                    r = handler(self, req)
        r.headers.update(rl_headers)
        if 200 <= r.status < 300:
            with self.lock:
                self.bill(req, r)
                if r.posted:
                    self.record_posted(req, r.posted)
        return r

    def authenticate(self, req):
        auth = req.headers.get('Authorization') or ''
        scheme, _, cred = auth.partition(' ')
        schemes = self.spec.schemes(req.op)
        with self.lock:
            if scheme.lower() == 'bearer':
                tok = self.tokens.get(cred.strip())
                if tok is None or tok.revoked or tok.kind == 'oauth1' or \
                        (tok.expires_at is not None and self.now() >= tok.expires_at):
                    return Response(401, dict(UNAUTHORIZED))
            elif scheme.lower() == 'oauth':
                tok = self.verify_oauth1(req)
                if tok is None:
                    return Response(401, dict(UNAUTHORIZED))
            else:
                return Response(401, dict(UNAUTHORIZED))
            if tok.kind == 'app':
                if 'BearerToken' not in schemes:
                    return problem(403, 'Unsupported Authentication',
                                   'Authenticating with OAuth 2.0 Application-Only is forbidden '
                                   'for this endpoint.  Supported authentication types are '
                                   '[OAuth 1.0a User Context, OAuth 2.0 User Context].',
                                   ptype=PROB + 'unsupported-authentication')
            elif tok.scopes is not None and not self.spec.scopes(req.op) <= tok.scopes:
                return problem(403, 'Forbidden')
            req.tok = tok
            req.token = tok.token
            req.user = self.users.get(tok.user_id)
            req.app = tok.app_id
            if tok.user_id is not None and req.user is None:
                return Response(401, dict(UNAUTHORIZED))
        return None

    def check_value(self, name, value, sch, where='query'):
        """X's messages for a bad parameter value (empty list = fine)."""
        def err(msg, vals=None):
            return [{'parameters': {name: [value] if vals is None else vals}, 'message': msg}]
        if sch.get('type') == 'array':
            items = [x for x in value.split(',')] if value != '' else []
            if not items:
                return err('The `%s` query parameter can not be empty' % name, [])
            lo, hi = sch.get('minItems'), sch.get('maxItems')
            if hi is not None and len(items) > hi:
                return err('The number of values in the `%s` query parameter list [%d] is not '
                           'between %d and %d' % (name, len(items), lo or 1, hi))
            isch = self.spec.resolve(sch.get('items', {}))
            out = []
            for it in items:
                if 'enum' in isch and it not in isch['enum']:
                    out += err('The `%s` query parameter value [%s] is not one of [%s]'
                               % (name, it, ','.join(isch['enum'])), [it])
                elif 'pattern' in isch and not re.search(isch['pattern'], it):
                    pname = 'id' if name == 'ids' else name
                    out.append({'parameters': {pname: [it]},
                                'message': 'The `%s` query parameter value [%s] is not valid'
                                % (pname, it)})
            return out
        t = sch.get('type')
        if value == '':
            return err('The `%s` query parameter can not be empty' % name, [])
        if t == 'integer':
            if not re.fullmatch(r'-?[0-9]+', value):
                return err('The `%s` query parameter value [%s] is not a valid integer'
                           % (name, value))
            v = int(value)
            lo, hi = sch.get('minimum'), sch.get('maximum')
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                return err('The `%s` query parameter value [%s] is not between %s and %s'
                           % (name, value, lo, hi))
            return []
        if t == 'boolean' and value not in ('true', 'false'):
            return err('The `%s` query parameter value [%s] is not a valid boolean' % (name, value))
        if t == 'string':
            pat = sch.get('pattern')
            if pat and not re.search(pat, value):
                if name in ('id', 'since_id', 'until_id', 'participant_id', 'event_id',
                            'tweet_id', 'source_tweet_id', 'media_id', 'subscription_id'):
                    return err('The `%s` query parameter value [%s] is not valid' % (name, value))
                return err('The `%s` query parameter value [%s] does not match %s'
                           % (name, value, pat))
            if 'minLength' in sch and len(value) < sch['minLength']:
                return err('The `%s` query parameter value [%s] is not valid' % (name, value))
            if sch.get('format') == 'date-time' and parse_iso(value) is None:
                return err('The `%s` query parameter value [%s] is not a valid RFC 3339 '
                           'date-time, e.g. 2026-11-25T12:00:00Z' % (name, value))
        return []

    def validate(self, req):
        errors = []
        qp = self.spec.query_params(req.op)
        known = {p['name']: s for p, s in qp}
        names = [p['name'] for p, _s in qp]
        for name, value in req.qitems:
            if name not in known:
                errors.append({'parameters': {name: [value]},
                               'message': 'The query parameter [%s] is not one of [%s]'
                               % (name, ','.join(names))})
        for p, s in qp:
            name = p['name']
            if name not in req.query:
                if p.get('required'):
                    errors.append({'parameters': {name: []},
                                   'message': 'The `%s` query parameter can not be empty' % name})
                continue
            errors += self.check_value(name, req.query[name], s)
        for p, s in self.spec.path_params(req.op):
            v = req.pp.get(p['name'], '')
            errors += self.check_value(p['name'], v, s, 'path')
        if errors:
            return invalid_request(errors)
        bs = self.spec.body_schema(req.op)
        if bs is not None:
            ctype = (req.headers.get('Content-Type') or '').split(';')[0].strip().lower()
            if not req.body:
                return invalid_request([{'message': 'Request body is missing; expected '
                                                    'application/json'}])
            if ctype != 'application/json':
                return problem(415, 'Unsupported Media Type',
                               'Content-Type must be application/json')
            try:
                j = json.loads(req.body.decode('utf-8'))
            except (UnicodeDecodeError, ValueError):
                return invalid_request([{'message': 'Request body is not valid JSON'}])
            errs = self.validator.validate(j, bs)
            if errs:
                return invalid_request([body_error(j, e) for e in errs])
            req.json = j
        return None

    def record_posted(self, req, entry):
        e = {'seq': self.next_seq(), 'time': iso(self.now()), 'token': req.token,
             'user_id': str(req.user.id) if req.user else None,
             'username': req.user.username if req.user else None,
             'in_reply_to_tweet_id': None, 'recipient': None}
        e.update(entry)
        self.posted.append(e)
        if len(self.posted) > self.MAX_LOG:
            del self.posted[:len(self.posted) - self.MAX_LOG]

    # ----- delivery, faults, request log ---------------------------------------

    def serve_api(self, h, req):
        entry = {'seq': None, 'time': iso(self.now()), 'method': req.method, 'path': req.path,
                 'query': dict(req.query), 'token': req.token, 'username': None,
                 'user_id': None, 'status': None, 'fault': None, 'operation': None}
        if req.body:
            ctype = (req.headers.get('Content-Type') or '').lower()
            try:
                if 'json' in ctype:
                    entry['body'] = json.loads(req.body.decode('utf-8'))
                elif 'x-www-form-urlencoded' in ctype:
                    entry['body'] = dict(urllib.parse.parse_qsl(req.body.decode('utf-8')))
            except (ValueError, UnicodeDecodeError):
                entry['body'] = None
        with self.lock:
            entry['seq'] = self.next_seq()
            self.requests.append(entry)
            if len(self.requests) > self.MAX_LOG:
                del self.requests[:len(self.requests) - self.MAX_LOG]
            tok = self.tokens.get(req.token) if req.token else None
            if tok is not None and tok.user_id in self.users:
                entry['username'] = self.users[tok.user_id].username
                entry['user_id'] = str(tok.user_id)
        f = self.take_fault(req)
        if f is not None and f.kind == 'slow':
            with self.lock:
                entry['fault'] = 'slow'
            self.stop_event.wait(float(f.delay if f.delay is not None else 5))
            f = None
        resp = None
        if f is None or f.after:
            resp = self.process(req)
        with self.lock:
            entry['operation'] = req.operation
            if req.user is not None:
                entry['username'] = req.user.username
                entry['user_id'] = str(req.user.id)
            if getattr(req, 'auth_error', None):
                entry['auth_error'] = req.auth_error
            if f is not None:
                entry['fault'] = f.kind
        if f is not None:
            status = self.deliver_fault(h, req, f, resp)
        else:
            self.deliver(h, req, resp)
            status = resp.status
        with self.lock:
            entry['status'] = status
        self.log('%s %s%s -> %s%s user=%s' % (
            req.method, req.path, '?' + req.raw_query if req.raw_query else '',
            entry['status'], ' fault=' + entry['fault'] if entry['fault'] else '',
            entry['username']))

    def common_headers(self, req, resp):
        hd = {'api-version': self.spec.version,
              'x-transaction-id': secrets.token_hex(8),
              'x-response-time': str(int((time.time() - req.t0) * 1000)),
              'cache-control': 'no-cache, no-store, max-age=0',
              'x-content-type-options': 'nosniff', 'x-frame-options': 'SAMEORIGIN'}
        if req.tls:
            hd['strict-transport-security'] = 'max-age=631138519'
        if req.tok is not None:
            hd['x-access-level'] = self.access_level(req.tok)
        hd.update(resp.headers)
        return hd

    def self_check(self, req, resp):
        if not self.config.get('self_check') or req.op is None or resp.raw is not None \
                or not isinstance(resp.body, dict):
            return
        if 200 <= resp.status < 300:
            sch = self.spec.response_schema(req.op, resp.status)
        elif resp.ctype.startswith('application/problem+json'):
            sch = {'$ref': '#/components/schemas/Problem'}
        else:
            sch = None
        if sch is None:
            return
        errs = self.validator.validate(resp.body, sch)
        if errs:
            with self.lock:
                self.selfcheck_failures.append({'method': req.method, 'path': req.path,
                                                'status': resp.status, 'errors': errs[:20]})
            self.log('SELF-CHECK FAILED %s %s: %s' % (req.method, req.path, '; '.join(errs[:5])))

    def deliver(self, h, req, resp):
        self.self_check(req, resp)
        payload = resp.payload()
        h.send_response(resp.status)
        for k, v in self.common_headers(req, resp).items():
            h.send_header(k, v)
        h.send_header('Content-Type', resp.ctype)
        h.send_header('Content-Length', str(len(payload)))
        h.end_headers()
        if req.method != 'HEAD':
            h.wfile.write(payload)
        h.wfile.flush()


# ---------------------------------------------------------------------------
# HTTP plumbing

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


def ensure_tls(d):
    """A test CA and a server certificate for 127.0.0.1/localhost in d,
    generated once with the openssl CLI and reused while valid."""
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
                        'subjectAltName=IP:127.0.0.1,DNS:localhost\n'
                        'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n')
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
        tls_paths = ensure_tls(os.path.abspath(a.tls_dir))
        tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        tls_ctx.load_cert_chain(tls_paths['cert'], tls_paths['key'])

    if ':' in host:
        Server.address_family = socket.AF_INET6
    api = Server((host, a.port), ApiHandler, sim, tls_ctx)
    ctl = Server((host, a.control_port), ControlHandler, sim)
    hostpart = '[%s]' % host if ':' in host else host
    scheme = 'https' if tls_ctx else 'http'
    sim.api_base = '%s://%s:%d' % (scheme, hostpart, api.server_address[1])
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


if __name__ == '__main__':
    sys.exit(main())
