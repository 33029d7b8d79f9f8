# SPDX-License-Identifier: GPL-2.0-or-later
"""The API port's request pipeline: Req (one request), then for each request the log entry,
fault injection, OAuth paths, routing by the excerpt, authentication, the rate limit,
validation of parameters and JSON bodies against the excerpt, the endpoint handler (looked
up by operationId), billing, the headers X sends and delivery."""

import json
import re
import secrets
import sys
import time
import urllib.parse

from .endpoints import handler_for
from .render import png_avatar
from .responses import (PAGE_NOT_FOUND, TOO_MANY, UNAUTHORIZED, Response, body_error,
                        invalid_request, problem)
from .util import PROB, iso, parse_iso


# Operations whose scope depends on the request, checked by their handler: a subscription
# needs the scope of its event_type (dm.read for dm.*, tweet.read for post.*, ...).
HANDLER_SCOPES = {'createActivitySubscription'}


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


class ApiMixin:
    """Sim methods that serve one API request from start to end."""

    def serve_api(self, h, req):
        entry = {'seq': None, 'time': iso(self.now()), 'method': req.method, 'path': req.path,
                 'query': dict(req.query), 'token': req.token, 'username': None,
                 'user_id': None, 'status': None, 'fault': None, 'operation': None,
                 # who connected, under which name: shows a request came through a proxy
                 'host': req.headers.get('Host'), 'peer_port': h.client_address[1]}
        if req.body:
            ctype = (req.headers.get('Content-Type') or '').lower()
            try:
                if 'json' in ctype:
                    entry['body'] = json.loads(req.body.decode('utf-8'))
                elif 'x-www-form-urlencoded' in ctype:
                    entry['body'] = dict(urllib.parse.parse_qsl(req.body.decode('utf-8')))
            except (ValueError, UnicodeDecodeError):
                entry['body'] = None
        req.peer_port = h.client_address[1]
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
        resp = None
        if f is not None and f.kind == 'slow':
            with self.lock:
                entry['fault'] = 'slow'
            if f.after:  # X carries it out at once; its answer is late
                resp = self.process(req)
            self.stop_event.wait(float(f.delay if f.delay is not None else 5))
            f = None
        if resp is None and (f is None or f.after):
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
            if resp is not None and resp.stream is not None:
                self.stream_close(resp.stream)   # a fault after a stream opened: no stream
            status = self.deliver_fault(h, req, f, resp)
        else:
            if resp.stream is not None:   # logged as answered while the stream runs
                with self.lock:
                    entry['status'] = resp.status
            self.deliver(h, req, resp)
            status = resp.status
        with self.lock:
            entry['status'] = status
        self.log('%s %s%s -> %s%s user=%s' % (
            req.method, req.path, '?' + req.raw_query if req.raw_query else '',
            entry['status'], ' fault=' + entry['fault'] if entry['fault'] else '',
            entry['username']))

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
            elif schemes == {'BearerToken'}:
                # app-only operations (the activity stream and subscription deletes)
                return problem(403, 'Unsupported Authentication',
                               'Authenticating with %s is forbidden for this endpoint.  '
                               'Supported authentication types are [OAuth 2.0 '
                               'Application-Only].' % ('OAuth 1.0a User Context'
                                                       if tok.kind == 'oauth1' else
                                                       'OAuth 2.0 User Context'),
                               ptype=PROB + 'unsupported-authentication')
            elif tok.scopes is not None and req.operation not in HANDLER_SCOPES and \
                    not self.spec.scopes(req.op) <= tok.scopes:
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
        if resp.stream is not None:
            # a stream: chunked, one JSON object per line, until one side ends it
            h.send_response(resp.status)
            for k, v in self.common_headers(req, resp).items():
                h.send_header(k, v)
            h.send_header('Content-Type', resp.ctype)
            h.send_header('Transfer-Encoding', 'chunked')
            h.end_headers()
            h.wfile.flush()
            self.run_stream(h, req, resp.stream)
            return
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
