# SPDX-License-Identifier: GPL-2.0-or-later
"""The control port (plain HTTP, JSON in and out; routes in control_routes, contract in
README.md) and the API faults it arms: Fault, which request a fault hits, and how a hit
fails its answer (a status body, a dropped or stalled connection, a cut or broken body)."""

import json
import os
import re
import time
import urllib.parse

from .limits import WINDOW, RateLimiter
from .responses import CLIENT_FORBIDDEN, TOO_MANY, UNAUTHORIZED, Response, problem
from .util import PROB, SimError, iso, jdump, utc_day


class Fault:
    KINDS = ('drop', 'timeout', '500', '502', '503', '504', '429', '402', '401', '403',
             'malformed', 'truncated', 'slow', 'answer',
             'stream_drop', 'stream_stall', 'stream_disconnect')
    # Faults of an open activity stream (activity.py): they wait for a matching stream
    # instead of failing a request.
    STREAM_KINDS = ('stream_drop', 'stream_stall', 'stream_disconnect')

    def __init__(self, fid, spec):
        m = spec.get('match') or {}
        self.id = fid
        self.method = (m.get('method') or '').upper() or None
        self.path_re = re.compile(m['path']) if m.get('path') else None
        self.token = m.get('token')
        self.username = (m.get('username') or '').lower() or None
        self.count = int(spec.get('count', 1))
        self.kind = str(spec.get('kind', '503'))
        if self.kind not in self.KINDS:
            raise SimError(400, 'unknown fault kind %r; one of %s' % (self.kind, ', '.join(self.KINDS)))
        self.delay = spec.get('delay')
        self.reset_in = spec.get('reset_in')
        self.body = spec.get('body')
        # Process the request first and then fail its response?  Default only
        # for 'truncated', whose cut body comes from the real answer.
        self.after = bool(spec.get('after', self.kind == 'truncated'))
        self.hits = 0

    def matches(self, method, path, token, username):
        if self.count <= 0:
            return False
        if self.method and self.method != method:
            return False
        if self.path_re and not self.path_re.search(path):
            return False
        if self.token and self.token != token:
            return False
        if self.username and self.username != (username or '').lower():
            return False
        return True

    def as_json(self):
        return {'id': self.id, 'kind': self.kind, 'remaining': self.count, 'hits': self.hits,
                'match': {'method': self.method, 'path': self.path_re.pattern if self.path_re else None,
                          'token': self.token, 'username': self.username},
                'delay': self.delay, 'after': self.after}


class ControlMixin:
    """Sim methods behind the control port, and fault injection on the API port."""

    # ----- faults ------------------------------------------------------------

    def take_fault(self, req):
        with self.lock:
            tok = self.tokens.get(req.token) if req.token else None
            username = self.users[tok.user_id].username if tok and tok.user_id in self.users \
                else None
            for f in self.faults:
                if f.kind not in Fault.STREAM_KINDS and \
                        f.matches(req.method, req.path, req.token, username):
                    f.count -= 1
                    f.hits += 1
                    return f
        return None

    def take_stream_fault(self, req):
        """The next stream fault that matches an open stream's request, used up."""
        with self.lock:
            for f in self.faults:
                if f.kind in Fault.STREAM_KINDS and \
                        f.matches(req.method, req.path, req.token, None):
                    f.count -= 1
                    f.hits += 1
                    return f
        return None

    def fault_status_response(self, f, req):
        k = f.kind
        if k in ('500', '502', '503', '504'):
            r = problem(int(k), {'500': 'Internal Server Error', '502': 'Bad Gateway',
                                 '503': 'Service Unavailable', '504': 'Gateway Timeout'}[k])
        elif k == '429':
            tmpl, _op, _pp = self.spec.match(req.method, req.path)
            lim = self.rl.spec_for('%s %s' % (req.method, tmpl))['limit'] if tmpl else 900
            wait = f.reset_in if f.reset_in is not None else (f.delay if f.delay is not None else 60)
            r = Response(429, dict(TOO_MANY), headers={
                'x-rate-limit-limit': str(lim), 'x-rate-limit-remaining': '0',
                'x-rate-limit-reset': str(int(time.time() + float(wait)))})
        elif k == '402':
            acct = str(self.config['account_id'])
            r = Response(402, {'account_id': int(acct), 'title': 'CreditsDepleted',
                               'detail': 'Your enrolled account [%s] does not have any credits '
                                         'to fulfill this request.' % acct,
                               'type': PROB + 'credits'})
        elif k == '401':
            r = Response(401, dict(UNAUTHORIZED))
        elif k == '403':
            r = Response(403, dict(CLIENT_FORBIDDEN))
        elif k == 'answer':
            # A hostile or broken server's 200: the body is the test's (below), as given.
            r = Response(200, {'meta': {'result_count': 0}})
        else:
            r = problem(503, 'Service Unavailable')
        if f.body is not None:
            if isinstance(f.body, (dict, list)):
                r.body = f.body
            else:
                r.raw = str(f.body).encode('utf-8')
        return r

    def deliver_fault(self, h, req, f, resp):
        """-> the status to log (None when no answer was sent)."""
        k = f.kind
        if k == 'drop':
            h.close_connection = True
            return None
        if k == 'timeout':
            self.stop_event.wait(float(f.delay) if f.delay is not None else 120.0)
            h.close_connection = True
            return None
        if k == 'truncated':
            full = resp.payload() if resp is not None else b''
            if len(full) < 2:
                full = jdump({'meta': {'result_count': 0}})
            status = resp.status if resp is not None else 200
            h.send_response(status)
            hd = self.common_headers(req, resp) if resp is not None else {}
            for key, v in hd.items():
                h.send_header(key, v)
            h.send_header('Content-Type', resp.ctype if resp is not None else
                          'application/json; charset=utf-8')
            h.send_header('Content-Length', str(len(full)))
            h.end_headers()
            h.wfile.write(full[:max(1, len(full) // 2)])
            h.wfile.flush()
            h.close_connection = True
            return status
        if k == 'malformed':
            r = Response(200, raw=b'{"data":{"id":"0","text":"malformed",,}',
                         ctype='application/json; charset=utf-8')
            if resp is not None:
                r.headers.update(resp.headers)
        else:
            r = self.fault_status_response(f, req)
        self.deliver(h, req, r)
        return r.status

    # ----- control interface ----------------------------------------------------

    def serve_control(self, h):
        split = urllib.parse.urlsplit(h.path)
        q = dict(urllib.parse.parse_qsl(split.query))
        path = split.path.rstrip('/') or '/'
        raw = h.read_body()
        try:
            body = json.loads(raw.decode('utf-8')) if raw.strip() else {}
            if not isinstance(body, (dict, list)):
                raise ValueError('JSON object expected')
        except (ValueError, UnicodeDecodeError) as e:
            return h.reply(400, {'error': 'bad JSON: %s' % e})
        fn = self.control_routes().get((h.command, path))
        if fn is None:
            return h.reply(404, {'error': 'no control route %s %s' % (h.command, path)})
        try:
            with self.lock:
                payload = jdump(fn(body, q))   # serialised while nothing changes
        except SimError as e:
            return h.reply(e.status, {'error': e.message})
        except (KeyError, TypeError, ValueError, re.error) as e:
            return h.reply(400, {'error': '%s: %s' % (type(e).__name__, e)})
        return h.reply(200, raw=payload)

    def control_routes(self):
        return {
            ('GET', '/health'): lambda b, q: {'ok': True, 'pid': os.getpid(),
                                              'spec': self.spec.path,
                                              'api_version': self.spec.version},
            ('POST', '/users'): lambda b, q: self.create_user(b),
            ('GET', '/users'): lambda b, q: [self.user_json(u) for u in self.users.values()],
            ('POST', '/users/update'): lambda b, q: self.update_user(b),
            ('POST', '/tokens'): lambda b, q: self.add_token(b),
            ('DELETE', '/tokens'): lambda b, q: self.revoke_token(b),
            ('POST', '/follow'): lambda b, q: self.follow(b),
            ('DELETE', '/follow'): lambda b, q: self.follow(b, on=False),
            ('POST', '/tweets'): lambda b, q: self.control_tweet(b),
            ('DELETE', '/tweets'): lambda b, q: self.control_delete_tweet(b),
            ('POST', '/dms'): lambda b, q: self.control_dm(b),
            ('POST', '/dms/bulk'): lambda b, q: self.control_bulk_dms(b),
            ('POST', '/tweets/bulk'): lambda b, q: self.control_bulk_tweets(b),
            ('POST', '/faults'): lambda b, q: self.add_fault(b),
            ('GET', '/faults'): lambda b, q: [f.as_json() for f in self.faults],
            ('DELETE', '/faults'): lambda b, q: self.clear_faults(),
            ('POST', '/ratelimits'): lambda b, q: self.set_ratelimit(b),
            ('DELETE', '/ratelimits'): lambda b, q: self.clear_ratelimits(),
            ('POST', '/ratelimits/reset'): lambda b, q: self.reset_windows(b),
            ('GET', '/posted'): lambda b, q: self.filter_log(self.posted, q),
            ('GET', '/requests'): lambda b, q: self.filter_log(self.requests, q),
            ('DELETE', '/requests'): lambda b, q: self.clear_requests(),
            ('GET', '/billing'): lambda b, q: self.billing.as_json(),
            ('POST', '/reset'): lambda b, q: self.control_reset(b),
            ('GET', '/state'): lambda b, q: self.state_json(),
            ('POST', '/clock'): lambda b, q: self.set_clock(b),
            ('GET', '/clock'): lambda b, q: self.clock_json(),
            ('GET', '/config'): lambda b, q: dict(self.config),
            ('POST', '/config'): lambda b, q: self.set_config(b),
            ('POST', '/apps'): lambda b, q: self.register_app(b),
            ('GET', '/apps'): lambda b, q: list(self.apps.values()),
            ('POST', '/authorize'): lambda b, q: self.control_authorize(b),
            ('POST', '/authorize1'): lambda b, q: self.control_authorize1(b),
            ('GET', '/selfcheck'): lambda b, q: list(self.selfcheck_failures),
            ('POST', '/tokens/app'): lambda b, q: self.add_app_token(b),
            ('GET', '/activity/subscriptions'): lambda b, q: self.control_subscriptions(q),
            ('DELETE', '/activity/subscriptions'):
                lambda b, q: self.control_clear_subscriptions(q),
            ('GET', '/activity/connections'):
                lambda b, q: [c.as_json() for c in self.stream_conns.values()],
            ('DELETE', '/activity/connections'): lambda b, q: self.control_close_streams(q),
            ('GET', '/activity/events'): lambda b, q: self.control_events(q),
        }

    def user_json(self, u):
        return {'id': str(u.id), 'username': u.username, 'name': u.name,
                'protected': u.protected, 'premium': u.premium, 'dm_open': u.dm_open,
                'tokens': [t.token for t in self.tokens.values() if t.user_id == u.id]}

    def update_user(self, b):
        u = self.user_ref(b.get('username'))
        for k in ('name', 'description', 'location', 'url'):
            if k in b:
                setattr(u, k, b[k])
        for k in ('protected', 'verified', 'premium', 'dm_open'):
            if k in b:
                setattr(u, k, bool(b[k]))
        if 'pinned_tweet_id' in b:
            u.pinned_tweet_id = self.tweet_ref(b['pinned_tweet_id']).id \
                if b['pinned_tweet_id'] else None
        return self.user_json(u)

    def revoke_token(self, b):
        t = self.tokens.get(b.get('token', ''))
        if t is None:
            raise SimError(404, 'no such token')
        t.revoked = True
        return {'token': t.token, 'revoked': True}

    def control_delete_tweet(self, b):
        t = self.tweet_ref(b.get('id'))
        t.deleted = True
        return self.full_tweet(t)

    def add_fault(self, b):
        self.fault_seq += 1
        f = Fault('f%d' % self.fault_seq, b)
        self.faults.append(f)
        return {'id': f.id}

    def clear_faults(self):
        n = len(self.faults)
        self.faults = []
        return {'cleared': n}

    def set_ratelimit(self, b):
        if not b.get('endpoint') or b.get('limit') is None:
            raise SimError(400, 'endpoint and limit are required')
        self.rl.override(b['endpoint'], b['limit'], b.get('window'))
        return {'endpoint': RateLimiter.norm(b['endpoint']), 'limit': int(b['limit']),
                'window': int(b.get('window') or WINDOW)}

    def clear_ratelimits(self):
        self.rl = RateLimiter()
        return {'cleared': True}

    def reset_windows(self, b):
        token = b.get('token')
        if b.get('username') is not None:
            u = self.user_ref(b['username'])
            tokens = [t.token for t in self.tokens.values() if t.user_id == u.id]
        elif token is not None:
            if token not in self.tokens:
                raise SimError(404, 'no such token')
            tokens = [token]
        else:
            return {'reset': self.rl.reset_windows()}
        return {'reset': sum(self.rl.reset_windows(t) for t in tokens)}

    def clear_requests(self):
        n = len(self.requests)
        self.requests = []
        return {'cleared': n}

    @staticmethod
    def filter_log(items, q):
        out = list(items)
        if q.get('token'):
            out = [e for e in out if e.get('token') == q['token']]
        if q.get('username'):
            out = [e for e in out if (e.get('username') or '').lower() == q['username'].lower()]
        if q.get('kind'):
            out = [e for e in out if e.get('kind') == q['kind']]
        if q.get('path'):
            out = [e for e in out if re.search(q['path'], e.get('path') or '')]
        if q.get('since'):
            out = [e for e in out if e.get('seq', 0) > int(q['since'])]
        return out

    def control_reset(self, b):
        self.reset(reload_scenario=bool(b.get('reload_scenario')) if isinstance(b, dict) else False)
        return {'reset': True}

    def set_clock(self, b):
        if 'advance' in b:
            self.clock_offset += float(b['advance'])
        if 'offset' in b:
            self.clock_offset = float(b['offset'])
        for key in ('billing_day_offset', 'billing_day_advance'):
            v = b.get(key)
            if key in b and (not isinstance(v, int) or isinstance(v, bool)):
                raise SimError(400, '%s must be a whole number of days' % key)
        if 'billing_day_offset' in b:
            self.billing_day_offset = b['billing_day_offset']
        self.billing_day_offset += b.get('billing_day_advance', 0)
        return self.clock_json()

    def clock_json(self):
        return {'now': iso(self.now()), 'offset': self.clock_offset,
                'billing_day_offset': self.billing_day_offset,
                'billing_day': utc_day(self.billing_now())}

    def set_config(self, b):
        for k, v in b.items():
            if k not in self.config:
                raise SimError(400, 'unknown config key %s; known: %s' % (k, ', '.join(self.config)))
            self.config[k] = v
        return dict(self.config)

    def state_json(self):
        return {'now': iso(self.now()), 'clock_offset': self.clock_offset,
                'billing_day_offset': self.billing_day_offset,
                'users': [self.user_json(u) for u in self.users.values()],
                'follows': [{'follower': self.users[a].username, 'followee': self.users[b].username}
                            for _s, a, b in self.follows],
                'tweets': [self.full_tweet(t) for t in sorted(self.tweets.values(),
                                                              key=lambda t: t.id)],
                'dms': [self.full_dm(e) for e in sorted(self.dms.values(), key=lambda e: e.id)],
                'labels': {k: str(v) for k, v in self.labels.items()},
                'config': dict(self.config)}
