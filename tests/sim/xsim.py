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
import base64
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import unicodedata
import urllib.parse
import zlib
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# ---------------------------------------------------------------------------
# Constants

TWEPOCH_MS = 1288834974657           # X snowflake epoch
FIRST_USER_ID = 1790000000000000001  # user ids: 19 digits, above 2^53
WINDOW = 900                         # rate-limit window: 15 minutes
DAY = 86400
PROB = 'https://api.twitter.com/2/problems/'
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SPEC_NAME = 'x-api-v2-openapi-excerpt.json'

# xapi.md §0 item 2 (observed 403 detail text).
REPLY_NOT_ALLOWED = ('Reply to this conversation is not allowed because you have not '
                     'been mentioned or otherwise engaged by the author of the post you '
                     'are replying to.')
TOO_LONG = ('Your Tweet text is too long. For more information on how Twitter determines '
            'text length see https://github.com/twitter/twitter-text.')
DUPLICATE = 'You are not allowed to create a Tweet with duplicate content.'
REPLY_DELETED = 'You attempted to reply to a Tweet that is deleted or not visible to you.'

# Per-user limits per 15 minutes (xapi.md §1.1, current column), plus the
# 24-hour user/app limits listed there.  Keys are "METHOD <spec template>".
RATE_LIMITS = {
    'POST /2/tweets': {'limit': 100, 'app24': 10000},
    'DELETE /2/tweets/{id}': {'limit': 50},
    'GET /2/tweets/{id}': {'limit': 900},
    'GET /2/tweets': {'limit': 5000},
    'GET /2/users/me': {'limit': 75},
    'GET /2/users/{id}/mentions': {'limit': 300},
    'GET /2/users/{id}/timelines/reverse_chronological': {'limit': 180},
    'GET /2/users/{id}/tweets': {'limit': 900},
    'GET /2/users/{id}/followers': {'limit': 300},
    'GET /2/users/{id}/following': {'limit': 300},
    'GET /2/users/by/username/{username}': {'limit': 900},
    'GET /2/users/by': {'limit': 900},
    'GET /2/users': {'limit': 900},
    'GET /2/users/{id}': {'limit': 900},
    'GET /2/dm_events': {'limit': 15},
    'GET /2/dm_events/{event_id}': {'limit': 15},
    'GET /2/dm_conversations/with/{participant_id}/dm_events': {'limit': 15},
    'GET /2/dm_conversations/{id}/dm_events': {'limit': 15},
    'POST /2/dm_conversations/with/{participant_id}/messages':
        {'limit': 15, 'user24': 1440, 'app24': 1440},
    'POST /2/dm_conversations/{dm_conversation_id}/messages':
        {'limit': 15, 'user24': 1440, 'app24': 1440},
    'POST /2/dm_conversations': {'limit': 15, 'user24': 1440, 'app24': 1440},
    'DELETE /2/dm_events/{event_id}': {'limit': 300, 'user24': 1500, 'app24': 4000},
    'POST /2/users/{id}/likes': {'limit': 50, 'user24': 1000},
    'DELETE /2/users/{id}/likes/{tweet_id}': {'limit': 50, 'user24': 1000},
    'POST /2/users/{id}/retweets': {'limit': 50},
    'DELETE /2/users/{id}/retweets/{source_tweet_id}': {'limit': 50},
    'POST /2/users/{id}/following': {'limit': 50},
}

# Pay-per-use prices in micro-dollars (xapi.md §2.4).
PRICES = {
    'read:post': 5000, 'read:user': 10000, 'read:dm_event': 10000,
    'read:follow': 10000, 'read:like': 1000, 'read:owned': 1000,
    'write:post_create': 15000, 'write:post_with_url': 200000,
    'write:summoned_reply': 10000, 'write:dm_create': 15000,
    'write:interaction_create': 15000, 'write:interaction_delete': 10000,
}
# Endpoints where {id} == the authenticated app owner gives "Owned Reads".
OWNED_READ_OPS = {'getUsersMentions', 'getUsersPosts', 'getUsersFollowers',
                  'getUsersFollowing'}

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


# ---------------------------------------------------------------------------
# Small helpers

def jdump(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(',', ':')).encode('utf-8')


def x_escape(text):
    """Post text as X serves it: &, < and > as HTML entities (entity indices stay those of
    the text as written)."""
    return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


def iso(ts):
    dt = datetime.fromtimestamp(ts, timezone.utc)
    return dt.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (dt.microsecond // 1000)


_ISO_RE = re.compile(r'^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?'
                     r'(Z|[+-]\d{2}:?\d{2})$')


def parse_iso(s):
    """RFC 3339 timestamp -> epoch seconds, or None."""
    if not isinstance(s, str):
        return None
    m = _ISO_RE.match(s)
    if not m:
        return None
    try:
        dt = datetime(*[int(m.group(i)) for i in range(1, 7)], tzinfo=timezone.utc)
    except ValueError:
        return None
    ts = dt.timestamp() + (float(m.group(7)) if m.group(7) else 0.0)
    tz = m.group(8)
    if tz != 'Z':
        sign = 1 if tz[0] == '+' else -1
        hh, mm = int(tz[1:3]), int(tz[-2:])
        ts -= sign * (hh * 3600 + mm * 60)
    return ts


def utc_day(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime('%Y-%m-%d')


def pct(s):
    """RFC 3986 percent-encoding as OAuth 1.0a wants it (xapi.md §3.2)."""
    return urllib.parse.quote(s, safe='-._~')


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


def default_spec_path():
    shared = os.environ.get('TB_SHARED_DIR')
    candidates = []
    if shared:
        candidates.append(os.path.join(shared, 'reference', SPEC_NAME))
    candidates.append(os.path.join(os.path.dirname(REPO), 'shared', 'reference', SPEC_NAME))
    candidates.append(os.path.join(REPO, 'tests', 'data', SPEC_NAME))
    for c in candidates:
        if os.path.isfile(c):
            return c
    return candidates[-1]


# ---------------------------------------------------------------------------
# The OpenAPI excerpt: routes, parameters, and a validator for the subset of
# JSON Schema it uses.

class Spec:
    def __init__(self, path):
        self.path = path
        with open(path, encoding='utf-8') as f:
            self.doc = json.load(f)
        self.version = str(self.doc.get('info', {}).get('version', '2'))
        self.components = self.doc.get('components', {})
        self.schemas = self.components.get('schemas', {})
        self.routes = []
        for tmpl, item in self.doc.get('paths', {}).items():
            segs = tmpl.strip('/').split('/')
            parts, literal = [], 0
            for s in segs:
                m = re.fullmatch(r'\{(\w+)\}', s)
                if m:
                    parts.append('(?P<%s>[^/]+)' % m.group(1))
                else:
                    parts.append(re.escape(s))
                    literal += 1
            rx = re.compile('^/' + '/'.join(parts) + '/?$')
            ops = {}
            for method, op in item.items():
                if method in ('get', 'post', 'put', 'delete', 'patch'):
                    ops[method.upper()] = op
            self.routes.append((literal, len(segs), rx, tmpl, ops))
        self.routes.sort(key=lambda r: (-r[0], r[1]))
        self._params = {}

    def resolve(self, node):
        seen = 0
        while isinstance(node, dict) and '$ref' in node and seen < 32:
            ref = node['$ref']
            if not ref.startswith('#/'):
                break
            cur = self.doc
            for part in ref[2:].split('/'):
                cur = cur[part]
            node = cur
            seen += 1
        return node

    def match(self, method, path):
        """-> (template, op, path_params) or (None, None, None)."""
        for _lit, _n, rx, tmpl, ops in self.routes:
            m = rx.match(path)
            if m and method in ops:
                params = {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}
                return tmpl, ops[method], params
        return None, None, None

    def params(self, op):
        key = id(op)
        if key not in self._params:
            out = []
            for p in op.get('parameters', []):
                p = self.resolve(p)
                sch = self.resolve(p.get('schema', {}))
                out.append((p, sch))
            self._params[key] = out
        return self._params[key]

    def query_params(self, op):
        return [(p, s) for p, s in self.params(op) if p.get('in') == 'query']

    def path_params(self, op):
        return [(p, s) for p, s in self.params(op) if p.get('in') == 'path']

    def body_schema(self, op):
        rb = op.get('requestBody', {}).get('content', {})
        for ctype in ('application/json',):
            if ctype in rb:
                return rb[ctype].get('schema')
        return None

    def response_schema(self, op, status):
        resp = op.get('responses', {}).get(str(status))
        if not resp:
            return None
        return resp.get('content', {}).get('application/json', {}).get('schema')

    def scopes(self, op):
        for sec in op.get('security', []):
            if 'OAuth2UserToken' in sec:
                return set(sec['OAuth2UserToken'])
        return set()

    def schemes(self, op):
        out = set()
        for sec in op.get('security', []):
            out.update(sec.keys())
        return out

    def enum_of(self, op, name):
        for p, s in self.query_params(op):
            if p['name'] == name and s.get('type') == 'array':
                return list(self.resolve(s.get('items', {})).get('enum', []))
        return []


class SchemaValidator:
    """type, required, properties, additionalProperties, items, min/maxItems,
    uniqueItems, min/maxLength, pattern, enum, minimum/maximum, format
    (date-time, uri), $ref, allOf, anyOf, oneOf, discriminator."""

    def __init__(self, spec):
        self.spec = spec

    def validate(self, inst, schema, path='$'):
        errs = []
        self._v(inst, schema, path, errs, frozenset(), 0)
        return errs

    def _type_ok(self, inst, t):
        return {
            'object': lambda v: isinstance(v, dict),
            'array': lambda v: isinstance(v, list),
            'string': lambda v: isinstance(v, str),
            'integer': lambda v: isinstance(v, int) and not isinstance(v, bool),
            'number': lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            'boolean': lambda v: isinstance(v, bool),
            'null': lambda v: v is None,
        }.get(t, lambda v: True)(inst)

    @staticmethod
    def _tname(v):
        if isinstance(v, bool):
            return 'boolean'
        if isinstance(v, int):
            return 'integer'
        if isinstance(v, float):
            return 'number'
        if isinstance(v, str):
            return 'string'
        if isinstance(v, list):
            return 'array'
        if isinstance(v, dict):
            return 'object'
        return 'null'

    def _v(self, inst, sch, path, errs, disc_seen, depth):
        if depth > 64 or not isinstance(sch, dict):
            return
        if '$ref' in sch:
            self._v(inst, self.spec.resolve(sch), path, errs, disc_seen, depth + 1)
            return
        disc = sch.get('discriminator')
        if disc and isinstance(inst, dict):
            target = disc.get('mapping', {}).get(inst.get(disc.get('propertyName')))
            if target and target not in disc_seen:
                self._v(inst, {'$ref': target}, path, errs, disc_seen | {target}, depth + 1)
        for sub in sch.get('allOf', []):
            self._v(inst, sub, path, errs, disc_seen, depth + 1)
        if 'anyOf' in sch:
            if not any(not self.validate_sub(inst, s, path, disc_seen, depth)
                       for s in sch['anyOf']):
                errs.append('%s: should be valid to any of the schemas' % path)
        if 'oneOf' in sch:
            n = sum(1 for s in sch['oneOf'] if not self.validate_sub(inst, s, path, disc_seen, depth))
            if n != 1:
                errs.append('%s: should be valid to one and only one schema, but %d are valid'
                            % (path, n))
        t = sch.get('type')
        if t and not self._type_ok(inst, t):
            errs.append('%s: %s found, %s expected' % (path, self._tname(inst), t))
            return
        if 'enum' in sch and inst not in sch['enum']:
            errs.append('%s: does not have a value in the enumeration %s'
                        % (path, json.dumps(sch['enum'])))
        if isinstance(inst, str):
            if 'minLength' in sch and len(inst) < sch['minLength']:
                errs.append('%s: must be at least %d characters long' % (path, sch['minLength']))
            if 'maxLength' in sch and len(inst) > sch['maxLength']:
                errs.append('%s: may only be %d characters long' % (path, sch['maxLength']))
            if 'pattern' in sch and not re.search(sch['pattern'], inst):
                errs.append('%s: does not match the regex pattern %s' % (path, sch['pattern']))
            fmt = sch.get('format')
            if fmt == 'date-time' and parse_iso(inst) is None:
                errs.append('%s: is not a valid RFC 3339 date-time' % path)
            if fmt == 'uri' and not re.match(r'^[A-Za-z][A-Za-z0-9+.-]*:', inst):
                errs.append('%s: is not a valid URI' % path)
        if isinstance(inst, (int, float)) and not isinstance(inst, bool):
            if 'minimum' in sch and inst < sch['minimum']:
                errs.append('%s: must have a minimum value of %s' % (path, sch['minimum']))
            if 'maximum' in sch and inst > sch['maximum']:
                errs.append('%s: must have a maximum value of %s' % (path, sch['maximum']))
        if isinstance(inst, list):
            if 'minItems' in sch and len(inst) < sch['minItems']:
                errs.append('%s: there must be a minimum of %d items in the array'
                            % (path, sch['minItems']))
            if 'maxItems' in sch and len(inst) > sch['maxItems']:
                errs.append('%s: there must be a maximum of %d items in the array'
                            % (path, sch['maxItems']))
            if sch.get('uniqueItems'):
                seen = [json.dumps(x, sort_keys=True) for x in inst]
                if len(set(seen)) != len(seen):
                    errs.append('%s: the items in the array must be unique' % path)
            if 'items' in sch:
                for i, item in enumerate(inst):
                    self._v(item, sch['items'], '%s[%d]' % (path, i), errs, disc_seen, depth + 1)
        if isinstance(inst, dict):
            for r in sch.get('required', []):
                if r not in inst:
                    errs.append('%s.%s: is missing but it is required' % (path, r))
            props = sch.get('properties', {})
            for k, v in inst.items():
                if k in props:
                    self._v(v, props[k], '%s.%s' % (path, k), errs, disc_seen, depth + 1)
                else:
                    ap = sch.get('additionalProperties', True)
                    if ap is False:
                        errs.append('%s.%s: is not defined in the schema and the schema does '
                                    'not allow additional properties' % (path, k))
                    elif isinstance(ap, dict):
                        self._v(v, ap, '%s.%s' % (path, k), errs, disc_seen, depth + 1)

    def validate_sub(self, inst, sch, path, disc_seen, depth):
        errs = []
        self._v(inst, sch, path, errs, disc_seen, depth + 1)
        return errs


# ---------------------------------------------------------------------------
# Text: t.co wrapping, entities (indices in Unicode code points), weighted
# length per twitter-text v3 (approximate emoji handling).

URL_RE = re.compile(r'https?://[^\s<>"\u3000\u200b]+', re.I)
MENTION_RE = re.compile(r'(?<![A-Za-z0-9_!@#$%&*\uff20])[@\uff20]([A-Za-z0-9_]{1,15})'
                        r'(?![A-Za-z0-9_@\uff20])')
HASHTAG_RE = re.compile(r'(?<![\w&#\uff03])[#\uff03](\w+)')
CASHTAG_RE = re.compile(r'(?<![\w$])\$([A-Za-z]{1,6}(?:[._][A-Za-z]{1,2})?)(?![\w$])')
STATUS_URL_RE = re.compile(r'https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/'
                           r'(?:[A-Za-z0-9_]{1,15}|i/web)/status(?:es)?/(\d{1,19})', re.I)


def find_urls(text):
    out = []
    for m in URL_RE.finditer(text):
        u = m.group(0)
        while u and u[-1] in '.,;:!?\'"]}\u2026>':
            u = u[:-1]
        while u.endswith(')') and u.count('(') < u.count(')'):
            u = u[:-1]
        if len(u) > len('https://'):
            out.append((m.start(), m.start() + len(u), u))
    return out


def display_url(u):
    d = re.sub(r'^https?://', '', u, flags=re.I)
    d = re.sub(r'^www\.', '', d, flags=re.I)
    return d if len(d) <= 35 else d[:35] + '\u2026'


_W100 = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


def _is_emoji(cp):
    return (cp >= 0x1F000 and cp <= 0x1FAFF) or 0x2600 <= cp <= 0x27BF or \
        0x2B00 <= cp <= 0x2BFF or 0x1F1E6 <= cp <= 0x1F1FF


def _emoji_extender(cp):
    return cp in (0xFE0F, 0xFE0E, 0x20E3) or 0x1F3FB <= cp <= 0x1F3FF or \
        0xE0020 <= cp <= 0xE007F


def ch_is_keycap(text, i):
    """'1', '#', '*' followed by an optional U+FE0F and U+20E3."""
    if text[i] not in '0123456789#*':
        return False
    rest = text[i + 1:i + 3]
    return rest[:1] == '\u20e3' or rest == '\ufe0f\u20e3'


def weighted_length(text):
    """twitter-text v3: URLs 23, weight-100 ranges count 1, the rest 2, one
    emoji sequence 2.  Returns (length, valid_chars)."""
    text = unicodedata.normalize('NFC', text)
    urls = {s: e for s, e, _u in find_urls(text)}
    total, i, n, ok = 0, 0, len(text), True
    while i < n:
        if i in urls:
            total += 2300
            i = urls[i]
            continue
        cp = ord(text[i])
        if cp in (0xFFFE, 0xFEFF, 0xFFFF):
            ok = False
        keycap = ch_is_keycap(text, i)
        if _is_emoji(cp) or keycap:
            total += 200
            ri = 0x1F1E6 <= cp <= 0x1F1FF
            i += 1
            while i < n:
                c = ord(text[i])
                if _emoji_extender(c):
                    i += 1
                elif c == 0x200D and i + 1 < n:
                    i += 2
                elif ri and 0x1F1E6 <= c <= 0x1F1FF:
                    ri = False
                    i += 1
                else:
                    break
            continue
        total += 100 if any(a <= cp <= b for a, b in _W100) else 200
        i += 1
    return total // 100, ok


def guess_lang(text):
    body = URL_RE.sub('', text)
    body = MENTION_RE.sub('', body)
    body = HASHTAG_RE.sub('', body)
    letters = [c for c in body if c.isalpha()]
    if not letters:
        return 'zxx'
    def share(lo, hi):
        return sum(1 for c in letters if lo <= ord(c) <= hi) / len(letters)
    if share(0x3040, 0x30FF) > 0.1:
        return 'ja'
    if share(0xAC00, 0xD7AF) > 0.3:
        return 'ko'
    if share(0x4E00, 0x9FFF) > 0.3:
        return 'zh'
    if share(0x0400, 0x04FF) > 0.3:
        return 'ru'
    if share(0x0600, 0x06FF) > 0.3:
        return 'ar'
    return 'en'


# A tiny PNG per user so clients can fetch avatars without leaving loopback.
def png_avatar(seed):
    h = hashlib.sha1(seed.encode()).digest()
    r, g, b = h[0], h[1], h[2]
    w = hgt = 48
    raw = b''.join(b'\x00' + bytes((r, g, b)) * w for _ in range(hgt))

    def chunk(t, d):
        c = struct.pack('>I', len(d)) + t + d
        return c + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, hgt, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


# ---------------------------------------------------------------------------
# State

class SimError(Exception):
    """Control-interface error: HTTP status and message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class User:
    def __init__(self, uid, username, name, created_at, **kw):
        self.id = uid
        self.username = username
        self.name = name
        self.created_at = created_at
        self.protected = bool(kw.get('protected', False))
        self.description = kw.get('description', '') or ''
        self.location = kw.get('location')
        self.url = kw.get('url')
        self.verified = bool(kw.get('verified', False))
        self.premium = bool(kw.get('premium', False))
        self.dm_open = bool(kw.get('dm_open', True))
        self.pinned_tweet_id = None


class Tweet:
    def __init__(self, tid, author_id, text, created_at):
        self.id = tid
        self.author_id = author_id
        self.text = text
        self.raw_text = text
        self.created_at = created_at
        self.conversation_id = tid
        self.in_reply_to_user_id = None
        self.reply_to = None
        self.quote_of = None
        self.retweet_of = None
        self.entities = {}
        self.note_tweet = None
        self.lang = 'en'
        self.display_start = 0
        self.deleted = False
        self.via = 'control'
        self.mentioned_ids = []


class DmEvent:
    def __init__(self, eid, event_type, conv_id, created_at):
        self.id = eid
        self.event_type = event_type
        self.conv_id = conv_id
        self.created_at = created_at
        self.text = None
        self.sender_id = None
        self.participant_ids = []
        self.entities = {}
        self.referenced = []
        self.deleted = False


class Token:
    def __init__(self, token, user_id, kind='static', **kw):
        self.token = token
        self.user_id = user_id          # None for app-only bearer tokens
        self.kind = kind                # static | oauth2 | oauth1 | app
        self.scopes = kw.get('scopes')  # None = every scope
        self.expires_at = kw.get('expires_at')
        self.app_id = kw.get('app_id', 'default')
        self.secret = kw.get('secret')  # OAuth 1.0a token secret
        self.revoked = False


class Fault:
    KINDS = ('drop', 'timeout', '500', '502', '503', '504', '429', '402', '401', '403',
             'malformed', 'truncated', 'slow', 'answer')

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


class Response:
    def __init__(self, status, body=None, headers=None, ctype=None, raw=None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.raw = raw
        if ctype is None:
            is_problem = isinstance(body, dict) and status >= 400 and 'type' in body \
                and 'title' in body
            ctype = 'application/problem+json' if is_problem else 'application/json; charset=utf-8'
        self.ctype = ctype
        self.write = None      # billing kind of a write, set by handlers
        self.posted = None     # entry for GET /posted

    def payload(self):
        if self.raw is not None:
            return self.raw
        return jdump(self.body) if self.body is not None else b''


def problem(status, title, detail=None, ptype='about:blank', **extra):
    d = {'title': title, 'type': ptype, 'status': status, 'detail': detail or title}
    d.update(extra)
    return Response(status, d)


def invalid_request(errors):
    return Response(400, {'errors': errors, 'title': 'Invalid Request',
                          'detail': 'One or more parameters to your request was invalid.',
                          'type': PROB + 'invalid-request'})


def json_at(doc, path):
    """Value at a validator path such as $.reply.ids[0], or None."""
    cur = doc
    for name, idx in re.findall(r'\.([^.\[]+)|\[(\d+)\]', path[1:]):
        try:
            cur = cur[name] if name else cur[int(idx)]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def body_error(doc, message):
    """X's shape for a JSON body error: the offending node (for a missing
    property, its parent object) under 'parameters', e.g.
    {"parameters":{"$.reply":["{}"]},"message":"$.reply.in_reply_to_tweet_id: is missing
    but it is required"}."""
    path = message.split(':', 1)[0]
    if message.endswith('is missing but it is required') or \
            'does not allow additional properties' in message:
        path = re.sub(r'(\.[^.\[]+|\[\d+\])$', '', path) or '$'
    v = json_at(doc, path)
    shown = v if isinstance(v, str) else json.dumps(v, separators=(',', ':'))
    return {'parameters': {path: [shown]}, 'message': message}


def not_found_error(rtype, param, value):
    return {'value': value, 'detail': 'Could not find %s with %s: [%s].' % (rtype, param, value),
            'title': 'Not Found Error', 'resource_type': rtype, 'parameter': param,
            'resource_id': value, 'type': PROB + 'resource-not-found'}


def unauthorized_error(rtype, param, value, section):
    return {'value': value, 'detail': 'Sorry, you are not authorized to see the %s with %s: [%s].'
            % ({'tweet': 'Tweet', 'user': 'User'}.get(rtype, rtype), param, value),
            'title': 'Authorization Error', 'resource_type': rtype, 'parameter': param,
            'resource_id': value, 'section': section,
            'type': PROB + 'not-authorized-for-resource'}


UNAUTHORIZED = {'title': 'Unauthorized', 'type': 'about:blank', 'status': 401,
                'detail': 'Unauthorized'}
TOO_MANY = {'title': 'Too Many Requests', 'type': 'about:blank', 'status': 429,
            'detail': 'Too Many Requests'}
# xapi.md §2.3, documented example of an endpoint outside the app's access.
CLIENT_FORBIDDEN = {
    'client_id': '0',
    'detail': 'When authenticating requests to the Twitter API v2 endpoints, you must use keys '
              'and tokens from a Twitter developer App that is attached to a Project. You can '
              'create a project via the developer portal.',
    'registration_url': 'https://developer.twitter.com/en/docs/projects/overview',
    'title': 'Client Forbidden', 'required_enrollment': 'Appropriate Level of API Access',
    'reason': 'client-not-enrolled', 'type': PROB + 'client-forbidden'}
PAGE_NOT_FOUND = {'errors': [{'message': 'Sorry, that page does not exist', 'code': 34}]}


class Billing:
    """Pay-per-use counters (xapi.md §2.4): reads per resource with UTC-day
    de-duplication per app, writes per request; only successful responses
    returning data are billed."""

    def __init__(self):
        self.seen = set()
        self.by_token = {}
        self.by_user = {}
        self.by_app = {}
        self.total = 0

    @staticmethod
    def _blank():
        return {'requests': 0, 'billed_requests': 0, 'reads': {}, 'reads_billed': {},
                'writes': {}, 'micro_usd': 0}

    def _slots(self, tok, user, app):
        out = [self.by_token.setdefault(tok or '-', self._blank()),
               self.by_app.setdefault(app, self._blank())]
        if user:
            out.append(self.by_user.setdefault(user.username, self._blank()))
        return out

    def request(self, tok, user, app):
        for s in self._slots(tok, user, app):
            s['requests'] += 1

    def charge(self, tok, user, app, now, reads, write):
        """reads: [(kind, resource_id, owned)]; write: kind or None."""
        day = utc_day(now)
        cost, billed_any = 0, False
        slots = self._slots(tok, user, app)
        for kind, rid, owned in reads:
            for s in slots:
                s['reads'][kind] = s['reads'].get(kind, 0) + 1
            key = (app, kind, rid, day)
            if key in self.seen:
                continue
            self.seen.add(key)
            price = PRICES['read:owned'] if owned else PRICES['read:' + kind]
            cost += price
            billed_any = True
            for s in slots:
                s['reads_billed'][kind] = s['reads_billed'].get(kind, 0) + 1
        if write:
            cost += PRICES['write:' + write]
            billed_any = True
            for s in slots:
                s['writes'][write] = s['writes'].get(write, 0) + 1
        for s in slots:
            s['micro_usd'] += cost
            if billed_any:
                s['billed_requests'] += 1
        self.total += cost
        return cost

    def as_json(self):
        def fmt(d):
            out = dict(d)
            out['usd'] = round(d['micro_usd'] / 1e6, 6)
            return out
        return {'usd': round(self.total / 1e6, 6), 'micro_usd': self.total,
                'by_token': {k: fmt(v) for k, v in self.by_token.items()},
                'by_user': {k: fmt(v) for k, v in self.by_user.items()},
                'by_app': {k: fmt(v) for k, v in self.by_app.items()},
                'prices_usd': {k: v / 1e6 for k, v in PRICES.items()},
                'dedup': 'same resource, same app, same UTC day: billed once'}


class RateLimiter:
    def __init__(self):
        self.windows = {}
        self.overrides = {}

    @staticmethod
    def norm(endpoint):
        """'GET /2/users/:id/mentions' or '.../{id}/...' -> 'GET /2/users/{}/mentions'."""
        endpoint = ' '.join(endpoint.split())
        return re.sub(r'(\{\w+\}|:\w+)', '{}', endpoint)

    def spec_for(self, key):
        base = dict(RATE_LIMITS.get(key, {'limit': 900}))
        base['window'] = WINDOW
        base.update(self.overrides.get(self.norm(key), {}))
        return base

    def _win(self, wkey, span, now):
        w = self.windows.get(wkey)
        if w is None or now >= w[0] + span:
            w = [now, 0]
            self.windows[wkey] = w
        return w

    def check(self, key, token, app, now, offset=0.0):
        """-> (allowed, headers).  Counts the request when allowed.  Resets are
        reported on the client's clock (without the control clock offset)."""
        sp = self.spec_for(key)
        wins = [('x-rate-limit', (key, 'user15', token), sp['limit'], sp['window'])]
        if 'user24' in sp:
            wins.append(('x-user-limit-24hour', (key, 'user24', token), sp['user24'], DAY))
        if 'app24' in sp:
            wins.append(('x-app-limit-24hour', (key, 'app24', app), sp['app24'], DAY))
        state = [(name, self._win(wk, span, now), lim, span) for name, wk, lim, span in wins]
        allowed = all(w[1] < lim for _n, w, lim, _s in state)
        headers = {}
        for name, w, lim, span in state:
            if allowed:
                w[1] += 1
            headers[name + '-limit'] = str(lim)
            headers[name + '-remaining'] = str(max(0, lim - w[1]))
            headers[name + '-reset'] = str(int(w[0] + span - offset))
        return allowed, headers

    def override(self, endpoint, limit, window=None):
        o = {'limit': int(limit)}
        if window:
            o['window'] = int(window)
        self.overrides[self.norm(endpoint)] = o
        n = self.norm(endpoint)
        for wk in list(self.windows):
            if self.norm(wk[0]) == n:
                del self.windows[wk]


def page_token(kind, direction, cursor):
    raw = ('%s%s%020d' % (kind, direction, cursor)).encode()
    return base64.b32encode(raw).decode().rstrip('=').lower()


def parse_page_token(kind, tok):
    try:
        padded = tok.upper() + '=' * (-len(tok) % 8)
        raw = base64.b32decode(padded).decode()
        if raw[0] != kind or raw[1] not in 'np' or not raw[2:].isdigit():
            return None
        return raw[1], int(raw[2:])
    except Exception:
        return None


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


class Includes:
    def __init__(self, sim, req):
        self.sim = sim
        self.req = req
        self.users = {}
        self.tweets = {}
        self.errors = []

    def add_user(self, uid):
        if uid in self.sim.users and uid not in self.users:
            self.users[uid] = self.sim.users[uid]

    def add_tweet(self, tid, param):
        if tid in self.tweets:
            return
        t = self.sim.tweets.get(tid)
        if t is None or t.deleted:
            self.errors.append(not_found_error('tweet', param, str(tid)))
        elif not self.sim.visible(t, self.req.user):
            self.errors.append(unauthorized_error('tweet', param, str(tid), 'includes'))
        else:
            self.tweets[tid] = t

    def from_tweets(self, tweets, exps):
        for t in tweets:
            if 'author_id' in exps:
                self.add_user(t.author_id)
            if 'in_reply_to_user_id' in exps and t.in_reply_to_user_id:
                self.add_user(t.in_reply_to_user_id)
            if 'entities.mentions.username' in exps:
                for uid in t.mentioned_ids:
                    self.add_user(uid)
            if 'referenced_tweets.id' in exps:
                for _typ, rid in self.sim.refs(t):
                    self.add_tweet(rid, 'referenced_tweets.id')
            if 'referenced_tweets.id.author_id' in exps:
                for _typ, rid in self.sim.refs(t):
                    rt = self.sim.tweets.get(rid)
                    if rt and not rt.deleted and self.sim.visible(rt, self.req.user):
                        self.add_user(rt.author_id)

    def from_users(self, users, exps):
        for u in users:
            if 'pinned_tweet_id' in exps and u.pinned_tweet_id:
                self.add_tweet(u.pinned_tweet_id, 'pinned_tweet_id')
            if 'most_recent_tweet_id' in exps:
                mr = self.sim.most_recent(u)
                if mr:
                    self.add_tweet(mr, 'most_recent_tweet_id')

    def from_dms(self, events, exps):
        for e in events:
            if 'sender_id' in exps and e.sender_id:
                self.add_user(e.sender_id)
            if 'participant_ids' in exps:
                for pid in e.participant_ids:
                    self.add_user(pid)
            if 'referenced_tweets.id' in exps:
                for rid in e.referenced:
                    self.add_tweet(rid, 'referenced_tweets.id')

    def render(self):
        out = {}
        if self.users:
            out['users'] = [self.sim.render_user(u, self.req) for u in self.users.values()]
        if self.tweets:
            out['tweets'] = [self.sim.render_tweet(t, self.req) for t in self.tweets.values()]
        return out


READ_KIND = {
    'getUsersMe': 'user', 'getUsersById': 'user', 'getUsersByIds': 'user',
    'getUsersByUsername': 'user', 'getUsersByUsernames': 'user',
    'getUsersFollowers': 'follow', 'getUsersFollowing': 'follow',
    'getUsersMentions': 'post', 'getUsersPosts': 'post', 'getUsersTimeline': 'post',
    'getPostsById': 'post', 'getPostsByIds': 'post',
    'getDirectMessagesEvents': 'dm_event', 'getDirectMessagesEventsById': 'dm_event',
    'getDirectMessagesEventsByParticipantId': 'dm_event',
    'getDirectMessagesEventsByConversationId': 'dm_event',
}


class Sim:
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
        self.media_base = None  # avatars under another host name (--media-name), as pbs.twimg.com
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

    def snowflake(self, ts):
        cand = ((int(ts * 1000) - TWEPOCH_MS) << 22) | (1 << 17)
        while cand in self.used_ids:
            cand += 1
        self.used_ids.add(cand)
        return cand

    # ----- lookups ---------------------------------------------------------

    def user_by_name(self, name):
        uid = self.by_name.get((name or '').lstrip('@').lower())
        return self.users.get(uid) if uid else None

    def user_ref(self, ref, what='user'):
        """Control helper: a username, '@username' or a decimal id."""
        if ref is None:
            raise SimError(400, '%s is required' % what)
        s = str(ref)
        u = None
        if s.isdigit() and int(s) in self.users:
            u = self.users[int(s)]
        if u is None:
            u = self.user_by_name(s)
        if u is None:
            raise SimError(404, 'no such %s: %s' % (what, s))
        return u

    def tweet_ref(self, ref, what='tweet'):
        if ref is None:
            return None
        s = str(ref)
        if s in self.labels:
            return self.tweets[self.labels[s]]
        if s.isdigit() and int(s) in self.tweets:
            return self.tweets[int(s)]
        raise SimError(404, 'no such %s: %s' % (what, s))

    def follows_(self, a, b):
        return (a, b) in self.follow_set

    def visible(self, t, viewer):
        if t.deleted:
            return False
        author = self.users.get(t.author_id)
        if author is None:
            return False
        if not author.protected:
            return True
        return viewer is not None and (viewer.id == author.id or self.follows_(viewer.id, author.id))

    def refs(self, t):
        out = []
        if t.retweet_of:
            out.append(('retweeted', t.retweet_of))
        if t.quote_of:
            out.append(('quoted', t.quote_of))
        if t.reply_to:
            out.append(('replied_to', t.reply_to))
        return out

    def most_recent(self, u):
        ids = [t.id for t in self.tweets.values() if t.author_id == u.id and not t.deleted]
        return max(ids) if ids else None

    # ----- creation (shared by control and API) ------------------------------

    def create_user(self, d):
        with self.lock:
            username = d.get('username')
            if not isinstance(username, str) or not re.fullmatch(r'[A-Za-z0-9_]{1,15}', username):
                raise SimError(400, 'username must match ^[A-Za-z0-9_]{1,15}$')
            if username.lower() in self.by_name:
                raise SimError(409, 'username taken: ' + username)
            if d.get('id') is not None:
                sid = str(d['id'])
                if not re.fullmatch(r'[0-9]{1,19}', sid):
                    raise SimError(400, 'id must be 1..19 decimal digits')
                uid = int(sid)
                if uid in self.users:
                    raise SimError(409, 'id taken: ' + sid)
            else:
                uid = self.next_uid
                while uid in self.users:
                    uid += 1
            self.next_uid = max(self.next_uid, uid + 1)
            created = parse_iso(d.get('created_at')) if d.get('created_at') else None
            if created is None:
                created = self.now() - 3 * 365 * DAY
            extra = {k: d[k] for k in ('protected', 'description', 'location', 'url', 'verified',
                                       'premium', 'dm_open') if k in d}
            u = User(uid, username, d.get('name') or username, created, **extra)
            token = d.get('token') or 'tok-%s-%s' % (username.lower(), secrets.token_hex(8))
            if token in self.tokens:
                raise SimError(409, 'token already belongs to another user')
            self.users[uid] = u
            self.by_name[username.lower()] = uid
            self.tokens[token] = Token(token, uid)
            if d.get('app_owner'):
                self.config['app_owner'] = username
            return {'id': str(uid), 'username': username, 'name': u.name, 'token': token}

    def add_token(self, d):
        with self.lock:
            u = self.user_ref(d.get('username') or d.get('user'))
            token = d.get('token') or 'tok-%s-%s' % (u.username.lower(), secrets.token_hex(8))
            old = self.tokens.get(token)
            if old and old.user_id != u.id:
                raise SimError(409, 'token already belongs to another user')
            scopes = d.get('scopes')
            if isinstance(scopes, str):
                scopes = scopes.split()
            expires = d.get('expires_in')
            self.tokens[token] = Token(token, u.id, scopes=set(scopes) if scopes else None,
                                       expires_at=self.now() + float(expires) if expires else None)
            return {'token': token, 'username': u.username, 'id': str(u.id)}

    def follow(self, d, on=True):
        with self.lock:
            a = self.user_ref(d.get('follower'), 'follower')
            b = self.user_ref(d.get('followee'), 'followee')
            if on and (a.id, b.id) not in self.follow_set:
                self.follows.append((self.next_seq(), a.id, b.id))
                self.follow_set.add((a.id, b.id))
            elif not on and (a.id, b.id) in self.follow_set:
                self.follow_set.discard((a.id, b.id))
                self.follows = [f for f in self.follows if (f[1], f[2]) != (a.id, b.id)]
            return {'follower': a.username, 'followee': b.username, 'following': on}

    def extract(self, text, wrap):
        """-> (final_text, entities).  With wrap, URLs become t.co links as X does."""
        out, urls, pos, cur = [], [], 0, 0
        for s, e, u in find_urls(text):
            seg = text[pos:s]
            out.append(seg)
            cur += len(seg)
            if wrap and not re.match(r'https?://t\.co/', u, re.I):
                link = 'https://t.co/' + ''.join(
                    secrets.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')
                    for _ in range(10))
            else:
                link = u
            urls.append({'start': cur, 'end': cur + len(link), 'url': link,
                         'expanded_url': u, 'display_url': display_url(u)})
            out.append(link)
            cur += len(link)
            pos = e
        out.append(text[pos:])
        final = ''.join(out)
        spans = [(x['start'], x['end']) for x in urls]

        def in_url(i):
            return any(a <= i < b for a, b in spans)
        mentions, hashtags, cashtags = [], [], []
        for m in MENTION_RE.finditer(final):
            if in_url(m.start()):
                continue
            u = self.user_by_name(m.group(1))
            ent = {'start': m.start(), 'end': m.end(),
                   'username': u.username if u else m.group(1)}
            if u:
                ent['id'] = str(u.id)
            mentions.append(ent)
        for m in HASHTAG_RE.finditer(final):
            tag = m.group(1)
            if in_url(m.start()) or not any(c.isalpha() for c in tag):
                continue
            hashtags.append({'start': m.start(), 'end': m.end(), 'tag': tag})
        for m in CASHTAG_RE.finditer(final):
            if not in_url(m.start()):
                cashtags.append({'start': m.start(), 'end': m.end(), 'tag': m.group(1)})
        ent = {}
        for k, v in (('mentions', mentions), ('hashtags', hashtags), ('cashtags', cashtags),
                     ('urls', urls)):
            if v:
                ent[k] = v
        return final, ent

    def reply_chain(self, author, parent, exclude=()):
        """Users a reply addresses: the parent's author and everyone the parent
        mentioned (X's reply metadata), minus the replier and exclusions."""
        chain = []
        for uid in [parent.author_id] + parent.mentioned_ids:
            if uid == author.id or uid in chain or uid not in self.users:
                continue
            if uid != parent.author_id and str(uid) in exclude:
                continue
            chain.append(uid)
        return chain

    @staticmethod
    def leading_mentions(text):
        names, pos = [], 0
        while True:
            m = re.match(r'[@\uff20]([A-Za-z0-9_]{1,15})\s+', text[pos:])
            if not m:
                return names, pos
            names.append(m.group(1).lower())
            pos += m.end()

    def compose(self, author, text, parent, exclude=()):
        """-> (text with reply prefix, length of the prefix)."""
        if parent is None:
            return text, 0
        chain = self.reply_chain(author, parent, exclude)
        lead, _ = self.leading_mentions(text)
        prefix = ''.join('@%s ' % self.users[uid].username for uid in chain
                         if self.users[uid].username.lower() not in lead)
        full = prefix + text
        names = {self.users[uid].username.lower() for uid in chain}
        # Leading mentions that are part of the chain are reply metadata too.
        pos = 0
        while True:
            m = re.match(r'[@\uff20]([A-Za-z0-9_]{1,15})\s+', full[pos:])
            if not m or m.group(1).lower() not in names:
                break
            pos += m.end()
        return full, pos

    def make_tweet(self, author, text, parent=None, quote=None, retweet=None, created_at=None,
                   lang=None, prefix=True, exclude=(), via='control'):
        with self.lock:
            now = created_at if created_at is not None else self.now()
            if retweet is not None:
                src_author = self.users[retweet.author_id]
                full, start = 'RT @%s: %s' % (src_author.username, retweet.text), 0
            elif prefix:
                full, start = self.compose(author, text, parent, exclude)
            else:
                full, start = text, 0
            final, ent = self.extract(full, wrap=True)
            # the prefix is made of mentions only, so its length is unchanged
            t = Tweet(self.snowflake(now), author.id, final, now)
            t.raw_text = text
            t.source_text = full
            t.display_start = start
            t.via = via
            body_len, _ok = weighted_length(full[start:])
            if body_len > 280:
                n, k = 0, 0
                for k, ch in enumerate(final):
                    cp = ord(ch)
                    n += 1 if any(a <= cp <= b for a, b in _W100) else 2
                    if n > 279:
                        break
                cut = final[:k].rstrip() + '\u2026'
                t.note_tweet = {'text': final}
                if ent:
                    t.note_tweet['entities'] = ent
                t.text = cut
                ent = {k: [x for x in v if x['end'] < len(cut)] for k, v in ent.items()}
                ent = {k: v for k, v in ent.items() if v}
            t.entities = ent
            t.mentioned_ids = [int(m['id']) for m in ent.get('mentions', []) if 'id' in m]
            if t.note_tweet and 'entities' in t.note_tweet:
                t.mentioned_ids = [int(m['id']) for m in t.note_tweet['entities'].get('mentions', [])
                                   if 'id' in m]
            if parent is not None:
                t.reply_to = parent.id
                t.conversation_id = parent.conversation_id
                t.in_reply_to_user_id = parent.author_id
            if quote is not None:
                t.quote_of = quote.id
            if retweet is not None:
                t.retweet_of = retweet.id
            t.lang = lang or guess_lang(final)
            self.tweets[t.id] = t
            return t

    def make_dm(self, sender, recipient, text, created_at=None, conv_id=None):
        with self.lock:
            now = created_at if created_at is not None else self.now()
            if conv_id is None:
                a, b = sorted((sender.id, recipient.id))
                conv_id = '%d-%d' % (a, b)
                self.convs.setdefault(conv_id, {'participants': {a, b}, 'type': 'one_to_one'})
            e = DmEvent(self.snowflake(now), 'MessageCreate', conv_id, now)
            e.text = text
            e.sender_id = sender.id
            _final, ent = self.extract(text, wrap=False)
            e.entities = ent
            e.referenced = []
            for x in STATUS_URL_RE.findall(text):
                if int(x) in self.tweets and int(x) not in e.referenced:
                    e.referenced.append(int(x))
            self.dms[e.id] = e
            return e

    def when(self, d):
        """created_at (ISO) or ago (seconds) from a control body."""
        if d.get('created_at'):
            ts = parse_iso(d['created_at'])
            if ts is None:
                raise SimError(400, 'created_at must be RFC 3339, e.g. 2026-11-25T12:00:00.000Z')
            return ts
        if d.get('ago') is not None:
            return self.now() - float(d['ago'])
        return None

    def control_tweet(self, d):
        with self.lock:
            author = self.user_ref(d.get('author'), 'author')
            text = d.get('text')
            if not isinstance(text, str):
                raise SimError(400, 'text is required')
            parent = self.tweet_ref(d.get('in_reply_to'), 'in_reply_to tweet')
            quote = self.tweet_ref(d.get('quote_of'), 'quote_of tweet')
            t = self.make_tweet(author, text, parent=parent, quote=quote, created_at=self.when(d),
                                lang=d.get('lang'), prefix=d.get('prefix', True))
            if d.get('ref'):
                self.labels[str(d['ref'])] = t.id
            if d.get('pinned'):
                author.pinned_tweet_id = t.id
            return self.full_tweet(t)

    def control_dm(self, d):
        with self.lock:
            s = self.user_ref(d.get('sender'), 'sender')
            r = self.user_ref(d.get('recipient'), 'recipient')
            text = d.get('text')
            if not isinstance(text, str) or not text:
                raise SimError(400, 'text is required')
            e = self.make_dm(s, r, text, created_at=self.when(d))
            return self.full_dm(e)

    def load_scenario(self, sc):
        for u in sc.get('users', []):
            self.create_user(u)
        for t in sc.get('tokens', []):
            self.add_token(t)
        for a in sc.get('apps', []):
            self.register_app(a)
        for f in sc.get('follows', []):
            self.follow(f)
        for t in sc.get('tweets', []):
            self.control_tweet(t)
        for d in sc.get('dms', []):
            self.control_dm(d)
        for r in sc.get('ratelimits', []):
            self.rl.override(r['endpoint'], r['limit'], r.get('window'))
        for k, v in (sc.get('config') or {}).items():
            if k in self.config:
                self.config[k] = v

    # ----- rendering ---------------------------------------------------------

    def public_metrics(self, t):
        alive = [x for x in self.tweets.values() if not x.deleted]
        return {'retweet_count': sum(1 for x in alive if x.retweet_of == t.id),
                'reply_count': sum(1 for x in alive if x.reply_to == t.id),
                'like_count': sum(1 for (_u, tid) in self.likes if tid == t.id),
                'quote_count': sum(1 for x in alive if x.quote_of == t.id),
                'bookmark_count': 0, 'impression_count': 0}

    def render_tweet(self, t, req, fields=None):
        f = req.fields('tweet.fields') if fields is None else fields
        o = {'id': str(t.id), 'text': x_escape(t.text), 'edit_history_tweet_ids': [str(t.id)]}
        if 'author_id' in f:
            o['author_id'] = str(t.author_id)
        if 'created_at' in f:
            o['created_at'] = iso(t.created_at)
        if 'conversation_id' in f:
            o['conversation_id'] = str(t.conversation_id)
        if 'in_reply_to_user_id' in f and t.in_reply_to_user_id:
            o['in_reply_to_user_id'] = str(t.in_reply_to_user_id)
        if 'referenced_tweets' in f and self.refs(t):
            o['referenced_tweets'] = [{'type': typ, 'id': str(rid)} for typ, rid in self.refs(t)]
        if 'entities' in f and t.entities:
            o['entities'] = t.entities
        if 'lang' in f:
            o['lang'] = t.lang
        if 'note_tweet' in f and t.note_tweet:
            o['note_tweet'] = dict(t.note_tweet, text=x_escape(t.note_tweet['text']))
        if 'display_text_range' in f:
            o['display_text_range'] = [t.display_start, len(t.text)]
        if 'public_metrics' in f:
            o['public_metrics'] = self.public_metrics(t)
        if 'possibly_sensitive' in f:
            o['possibly_sensitive'] = False
        if 'reply_settings' in f:
            o['reply_settings'] = 'everyone'
        if 'edit_controls' in f:
            o['edit_controls'] = {'edits_remaining': 5, 'is_edit_eligible': t.retweet_of is None,
                                  'editable_until': iso(t.created_at + 3600)}
        return o

    def full_tweet(self, t):
        f = {'author_id', 'created_at', 'conversation_id', 'in_reply_to_user_id',
             'referenced_tweets', 'entities', 'lang', 'note_tweet', 'display_text_range'}
        o = self.render_tweet(t, None, fields=f)
        o['deleted'] = t.deleted
        o['username'] = self.users[t.author_id].username
        return o

    def render_user(self, u, req, fields=None):
        f = req.fields('user.fields') if fields is None else fields
        viewer = req.user if req is not None else None
        o = {'id': str(u.id), 'name': u.name, 'username': u.username}
        if 'created_at' in f:
            o['created_at'] = iso(u.created_at)
        if 'description' in f:
            o['description'] = u.description
        if 'location' in f and u.location:
            o['location'] = u.location
        if 'url' in f:
            o['url'] = u.url or ''
        if 'entities' in f and u.url:
            o['entities'] = {'url': {'urls': [{'start': 0, 'end': len(u.url), 'url': u.url,
                                               'expanded_url': u.url,
                                               'display_url': display_url(u.url)}]}}
        if 'protected' in f:
            o['protected'] = u.protected
        if 'verified' in f:
            o['verified'] = u.verified
        if 'verified_type' in f:
            o['verified_type'] = 'blue' if u.verified else 'none'
        if 'profile_image_url' in f:
            o['profile_image_url'] = '%s/profile_images/%d/%s_normal.png' % (
                self.media_base or self.api_base, u.id, u.username.lower())
        if 'public_metrics' in f:
            o['public_metrics'] = {
                'followers_count': sum(1 for (_a, b) in self.follow_set if b == u.id),
                'following_count': sum(1 for (a, _b) in self.follow_set if a == u.id),
                'tweet_count': sum(1 for t in self.tweets.values()
                                   if t.author_id == u.id and not t.deleted),
                'listed_count': 0,
                'like_count': sum(1 for (uid, _t) in self.likes if uid == u.id),
                'media_count': 0}
        if 'pinned_tweet_id' in f and u.pinned_tweet_id and u.pinned_tweet_id in self.tweets \
                and not self.tweets[u.pinned_tweet_id].deleted:
            o['pinned_tweet_id'] = str(u.pinned_tweet_id)
        if 'most_recent_tweet_id' in f:
            mr = self.most_recent(u)
            if mr:
                o['most_recent_tweet_id'] = str(mr)
        if 'connection_status' in f and viewer is not None and viewer.id != u.id:
            cs = []
            if self.follows_(viewer.id, u.id):
                cs.append('following')
            if self.follows_(u.id, viewer.id):
                cs.append('followed_by')
            o['connection_status'] = cs
        if 'receives_your_dm' in f:
            o['receives_your_dm'] = u.dm_open or (viewer is not None and
                                                  self.follows_(u.id, viewer.id))
        if 'subscription_type' in f:
            o['subscription_type'] = 'Premium' if u.premium else 'None'
        return o

    def render_dm(self, e, req, fields=None):
        f = req.fields('dm_event.fields') if fields is None else fields
        o = {'id': str(e.id), 'event_type': e.event_type}
        if e.event_type == 'MessageCreate':
            o['text'] = e.text
        if 'created_at' in f:
            o['created_at'] = iso(e.created_at)
        if 'sender_id' in f and e.sender_id:
            o['sender_id'] = str(e.sender_id)
        if 'dm_conversation_id' in f:
            o['dm_conversation_id'] = e.conv_id
        if 'participant_ids' in f and e.participant_ids:
            o['participant_ids'] = [str(p) for p in e.participant_ids]
        if 'referenced_tweets' in f and e.referenced:
            o['referenced_tweets'] = [{'id': str(r)} for r in e.referenced]
        if 'entities' in f:
            o.update(e.entities)
        return o

    def full_dm(self, e):
        f = {'created_at', 'sender_id', 'dm_conversation_id', 'participant_ids',
             'referenced_tweets', 'entities'}
        o = self.render_dm(e, None, fields=f)
        o['deleted'] = e.deleted
        return o

    def envelope(self, req, data, tweets=(), users=(), dms=(), errors=None, meta=None):
        inc = Includes(self, req)
        exps = req.fields('expansions')
        if exps:
            inc.from_tweets(tweets, exps)
            inc.from_users(users, exps)
            inc.from_dms(dms, exps)
        body = {}
        if data is not None and data != []:
            body['data'] = data
        includes = inc.render()
        if includes:
            body['includes'] = includes
        errs = list(errors or []) + inc.errors
        if errs:
            body['errors'] = errs
        if meta is not None:
            body['meta'] = meta
        return Response(200, body)

    # ----- API pipeline ------------------------------------------------------

    def take_fault(self, req):
        with self.lock:
            tok = self.tokens.get(req.token) if req.token else None
            username = self.users[tok.user_id].username if tok and tok.user_id in self.users \
                else None
            for f in self.faults:
                if f.matches(req.method, req.path, req.token, username):
                    f.count -= 1
                    f.hits += 1
                    return f
        return None

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
            handler = getattr(self, 'op_' + (req.operation or ''), None)
            if handler is None:
                r = Response(404, PAGE_NOT_FOUND)
            else:
                with self.lock:
                    r = handler(req)
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

    def bill(self, req, r):
        reads = []
        if req.method == 'GET' and isinstance(r.body, dict):
            kind = READ_KIND.get(req.operation)
            owner = self.config.get('app_owner')
            owned = (req.operation in OWNED_READ_OPS and req.user is not None
                     and req.pp.get('id') == str(req.user.id) and owner
                     and owner.lower() == req.user.username.lower())
            data = r.body.get('data')
            items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
            if kind:
                reads += [(kind, it['id'], owned) for it in items if 'id' in it]
            inc = r.body.get('includes') or {}
            reads += [('user', u['id'], False) for u in inc.get('users', [])]
            reads += [('post', t['id'], False) for t in inc.get('tweets', [])]
        if reads or r.write:
            self.billing.charge(req.token, req.user, req.app, self.now(), reads, r.write)

    def record_posted(self, req, entry):
        e = {'seq': self.next_seq(), 'time': iso(self.now()), 'token': req.token,
             'user_id': str(req.user.id) if req.user else None,
             'username': req.user.username if req.user else None,
             'in_reply_to_tweet_id': None, 'recipient': None}
        e.update(entry)
        self.posted.append(e)
        if len(self.posted) > self.MAX_LOG:
            del self.posted[:len(self.posted) - self.MAX_LOG]

    def access_level(self, tok):
        if tok is not None and tok.kind == 'app':
            return 'read'
        if tok is None or tok.scopes is None:
            return 'read-write-directmessages'
        if 'dm.write' in tok.scopes or 'dm.read' in tok.scopes:
            return 'read-write-directmessages'
        if 'tweet.write' in tok.scopes:
            return 'read-write'
        return 'read'

    def not_found(self, rtype, param, value):
        e = not_found_error(rtype, param, value)
        if str(self.config.get('not_found')) == '200':
            return Response(200, {'errors': [e]})
        e['status'] = 404
        return Response(404, e)

    def dm_not_found(self, eid):
        # ResourceNotFoundProblem has no resource_type for DM events: generic 404.
        return problem(404, 'Not Found Error', 'Could not find DM event with event_id: [%s].' % eid)

    def path_user(self, req, name='id'):
        uid = int(req.pp[name])
        u = self.users.get(uid)
        if u is None:
            return None, self.not_found('user', name, req.pp[name])
        return u, None

    def own_id(self, req):
        """{id} must be the authenticated user (UserIdMatchesAuthenticatedUser)."""
        if req.pp.get('id') != str(req.user.id if req.user else ''):
            return problem(403, 'Forbidden',
                           'You are not permitted to perform this action on behalf of '
                           'another user.')
        return None

    def paginate(self, req, items, kind, key, default_max, with_ids=True):
        q = req.query
        n = int(q.get('max_results', default_max))
        if with_ids:
            if 'since_id' in q:
                items = [x for x in items if key(x) > int(q['since_id'])]
            elif 'start_time' in q:
                st = parse_iso(q['start_time'])
                items = [x for x in items if x.created_at >= st]
            if 'until_id' in q:
                items = [x for x in items if key(x) < int(q['until_id'])]
            elif 'end_time' in q:
                et = parse_iso(q['end_time'])
                items = [x for x in items if x.created_at <= et]
        tokinfo = None
        if 'pagination_token' in q:
            tokinfo = parse_page_token(kind, q['pagination_token'])
            if tokinfo is None:
                return None, invalid_request([{
                    'parameters': {'pagination_token': [q['pagination_token']]},
                    'message': 'The `pagination_token` query parameter value [%s] is not valid'
                    % q['pagination_token']}])
        if tokinfo and tokinfo[0] == 'p':
            page = [x for x in items if key(x) > tokinfo[1]][-n:]
        else:
            if tokinfo:
                items = [x for x in items if key(x) < tokinfo[1]]
            page = items[:n]
        meta = {'result_count': len(page)}
        if page:
            if with_ids:
                meta['newest_id'] = str(key(page[0]))
                meta['oldest_id'] = str(key(page[-1]))
            if any(key(x) < key(page[-1]) for x in items):
                meta['next_token'] = page_token(kind, 'n', key(page[-1]))
            if tokinfo:
                meta['previous_token'] = page_token(kind, 'p', key(page[0]))
        return page, meta

    def tweet_page(self, req, items, kind, default_max):
        page, meta = self.paginate(req, items, kind, lambda t: t.id, default_max)
        if page is None:
            return meta
        data = [self.render_tweet(t, req) for t in page]
        return self.envelope(req, data, tweets=page, meta=meta)

    # ----- endpoints (method names: op_<operationId>) ------------------------

    def op_getUsersMe(self, req):
        u = req.user
        if u is None:
            return problem(403, 'Unsupported Authentication',
                           'Authenticating with OAuth 2.0 Application-Only is forbidden for this '
                           'endpoint.', ptype=PROB + 'unsupported-authentication')
        return self.envelope(req, self.render_user(u, req), users=[u])

    def op_getUsersById(self, req):
        u, err = self.path_user(req)
        if err:
            return err
        return self.envelope(req, self.render_user(u, req), users=[u])

    def op_getUsersByUsername(self, req):
        u = self.user_by_name(req.pp['username'])
        if u is None:
            return self.not_found('user', 'username', req.pp['username'])
        return self.envelope(req, self.render_user(u, req), users=[u])

    def _multi_users(self, req, param, values, finder):
        found, errors = [], []
        for v in values:
            u = finder(v)
            if u is None:
                errors.append(not_found_error('user', param, v))
            elif u not in found:
                found.append(u)
        return self.envelope(req, [self.render_user(u, req) for u in found], users=found,
                             errors=errors)

    def op_getUsersByIds(self, req):
        return self._multi_users(req, 'ids', req.list('ids'),
                                 lambda v: self.users.get(int(v)))

    def op_getUsersByUsernames(self, req):
        return self._multi_users(req, 'usernames', req.list('usernames'), self.user_by_name)

    def mentions_of(self, u, viewer):
        out = [t for t in self.tweets.values()
               if u.id in t.mentioned_ids and self.visible(t, viewer)]
        out.sort(key=lambda t: t.id, reverse=True)
        return out[:int(self.config['mentions_cap'])]

    def op_getUsersMentions(self, req):
        u, err = self.path_user(req)
        if err:
            return err
        return self.tweet_page(req, self.mentions_of(u, req.user), 'm', 10)

    def _excluded(self, req, t):
        ex = req.fields('exclude')
        return ('replies' in ex and t.reply_to) or ('retweets' in ex and t.retweet_of)

    def op_getUsersPosts(self, req):
        u, err = self.path_user(req)
        if err:
            return err
        items = sorted((t for t in self.tweets.values()
                        if t.author_id == u.id and self.visible(t, req.user)),
                       key=lambda t: t.id, reverse=True)
        cap = 800 if 'replies' in req.fields('exclude') else int(self.config['timeline_cap'])
        items = [t for t in items[:int(self.config['timeline_cap'])] if not self._excluded(req, t)]
        return self.tweet_page(req, items[:cap], 'u', 10)

    def op_getUsersTimeline(self, req):
        err = self.own_id(req)
        if err:
            return err
        me = req.user
        since = self.now() - 7 * DAY
        items = sorted((t for t in self.tweets.values()
                        if (t.author_id == me.id or self.follows_(me.id, t.author_id))
                        and self.visible(t, me) and t.created_at >= since),
                       key=lambda t: t.id, reverse=True)
        items = [t for t in items[:int(self.config['timeline_cap'])] if not self._excluded(req, t)]
        return self.tweet_page(req, items, 'h', 100)

    def _follow_page(self, req, followers):
        u, err = self.path_user(req)
        if err:
            return err
        if followers:
            rows = [(seq, a) for seq, a, b in self.follows if b == u.id]
        else:
            rows = [(seq, b) for seq, a, b in self.follows if a == u.id]
        rows.sort(reverse=True)
        page, meta = self.paginate(req, rows, 'f', lambda r: r[0], 100, with_ids=False)
        if page is None:
            return meta
        users = [self.users[uid] for _s, uid in page]
        return self.envelope(req, [self.render_user(x, req) for x in users], users=users,
                             meta=meta)

    def op_getUsersFollowers(self, req):
        return self._follow_page(req, True)

    def op_getUsersFollowing(self, req):
        return self._follow_page(req, False)

    def op_getPostsById(self, req):
        t = self.tweets.get(int(req.pp['id']))
        if t is None or t.deleted:
            return self.not_found('tweet', 'id', req.pp['id'])
        if not self.visible(t, req.user):
            return Response(200, {'errors': [unauthorized_error('tweet', 'id', req.pp['id'],
                                                                'data')]})
        return self.envelope(req, self.render_tweet(t, req), tweets=[t])

    def op_getPostsByIds(self, req):
        found, errors = [], []
        for v in req.list('ids'):
            t = self.tweets.get(int(v))
            if t is None or t.deleted:
                errors.append(not_found_error('tweet', 'ids', v))
            elif not self.visible(t, req.user):
                errors.append(unauthorized_error('tweet', 'ids', v, 'data'))
            elif t not in found:
                found.append(t)
        return self.envelope(req, [self.render_tweet(t, req) for t in found], tweets=found,
                             errors=errors)

    def may_reply(self, me, parent):
        """xapi.md §0 item 2: the parent's author summoned the replier (mentioned
        it, or quoted one of its posts), or the parent is the replier's own."""
        if parent.author_id == me.id or me.id in parent.mentioned_ids:
            return True
        q = self.tweets.get(parent.quote_of) if parent.quote_of else None
        return q is not None and q.author_id == me.id

    def op_createPosts(self, req):
        j, me = req.json, req.user
        if me is None:
            return problem(403, 'Forbidden')
        unsupported = [k for k in ('media', 'poll', 'card_uri', 'edit_options', 'geo',
                                   'direct_message_deep_link', 'community_id') if k in j]
        if 'media' in unsupported:
            return invalid_request([{'parameters': {'media.media_ids': j['media'].get('media_ids', [])},
                                     'message': 'Your media IDs are invalid.'}])
        if unsupported:
            return problem(403, 'Forbidden', 'You are not permitted to use %s in this request.'
                           % ', '.join(unsupported))
        self_serve = self.config['tier'] != 'enterprise'
        quote = None
        if j.get('quote_tweet_id'):
            if self_serve:   # xapi.md §0 item 3: quote-posts removed for self-serve
                return Response(403, dict(CLIENT_FORBIDDEN))
            quote = self.tweets.get(int(j['quote_tweet_id']))
            if quote is None or not self.visible(quote, me):
                return problem(403, 'Forbidden', 'You attempted to quote a Tweet that is '
                               'deleted or not visible to you.')
        text = j.get('text')
        if text is None or (not text.strip() and quote is None):
            return invalid_request([{'parameters': {'text': [text or '']},
                                     'message': 'Post text is empty.'}])
        length, ok = weighted_length(text)
        limit = 25000 if me.premium else 280
        if not ok or length > limit:
            return invalid_request([{'parameters': {'text': [text]}, 'message': TOO_LONG}])
        parent, exclude = None, ()
        if j.get('reply'):
            parent = self.tweets.get(int(j['reply']['in_reply_to_tweet_id']))
            if parent is None or not self.visible(parent, me):
                return problem(403, 'Forbidden', REPLY_DELETED)
            if self_serve and not self.may_reply(me, parent):
                return problem(403, 'Forbidden', REPLY_NOT_ALLOWED)
            exclude = tuple(j['reply'].get('exclude_reply_user_ids') or ())
        if self.config['duplicate_check']:
            full, _ = self.compose(me, text, parent, exclude)
            horizon = self.now() - DAY
            for t in self.tweets.values():
                if t.author_id == me.id and not t.deleted and t.retweet_of is None and \
                        t.created_at >= horizon and getattr(t, 'source_text', None) == full:
                    return problem(403, 'Forbidden', DUPLICATE)
        t = self.make_tweet(me, text, parent=parent, quote=quote, exclude=exclude, via='api')
        r = Response(201, {'data': {'id': str(t.id), 'text': x_escape(t.text),
                                    'edit_history_tweet_ids': [str(t.id)]}})
        if 'urls' in t.entities or (t.note_tweet and 'urls' in t.note_tweet.get('entities', {})):
            r.write = 'post_with_url'
        elif parent is not None and parent.author_id != me.id:
            r.write = 'summoned_reply'
        else:
            r.write = 'post_create'
        r.posted = {'kind': 'reply' if parent else ('quote' if quote else 'tweet'),
                    'id': str(t.id), 'text': t.text, 'raw_text': text,
                    'in_reply_to_tweet_id': str(parent.id) if parent else None,
                    'in_reply_to_user_id': str(parent.author_id) if parent else None,
                    'quote_tweet_id': str(quote.id) if quote else None,
                    'conversation_id': str(t.conversation_id)}
        return r

    def op_deletePosts(self, req):
        t = self.tweets.get(int(req.pp['id']))
        if t is None or t.deleted:
            return self.not_found('tweet', 'id', req.pp['id'])
        if req.user is None or t.author_id != req.user.id:
            return problem(403, 'Forbidden', 'You are not allowed to delete a Tweet that is not '
                           'your own.')
        t.deleted = True
        r = Response(200, {'data': {'deleted': True}})
        r.write = 'interaction_delete'
        r.posted = {'kind': 'delete', 'id': str(t.id), 'text': t.text}
        return r

    def op_repostPost(self, req):
        err = self.own_id(req)
        if err:
            return err
        src_id = req.json['tweet_id']
        src = self.tweets.get(int(src_id))
        if src is None or src.deleted:
            return self.not_found('tweet', 'tweet_id', src_id)
        if not self.visible(src, req.user) or self.users[src.author_id].protected:
            return problem(403, 'Forbidden', 'You cannot Retweet a protected or invisible Tweet.')
        existing = [t for t in self.tweets.values() if t.retweet_of == src.id
                    and t.author_id == req.user.id and not t.deleted]
        r = Response(200, {'data': {'id': str(src.id), 'retweeted': True}})
        r.write = 'interaction_create'
        if not existing:
            rt = self.make_tweet(req.user, '', retweet=src, via='api')
            r.posted = {'kind': 'retweet', 'id': str(rt.id), 'text': rt.text,
                        'retweeted_tweet_id': str(src.id)}
        return r

    def op_unrepostPost(self, req):
        err = self.own_id(req)
        if err:
            return err
        sid = int(req.pp['source_tweet_id'])
        gone = []
        for t in self.tweets.values():
            if t.retweet_of == sid and t.author_id == req.user.id and not t.deleted:
                t.deleted = True
                gone.append(t)
        r = Response(200, {'data': {'retweeted': False}})
        r.write = 'interaction_delete'
        if gone:
            r.posted = {'kind': 'unretweet', 'id': str(gone[0].id), 'text': gone[0].text,
                        'retweeted_tweet_id': str(sid)}
        return r

    def _self_serve_removed(self, req):
        if self.config['tier'] != 'enterprise':
            return Response(403, dict(CLIENT_FORBIDDEN))
        return self.own_id(req)

    def op_likePost(self, req):
        err = self._self_serve_removed(req)
        if err:
            return err
        t = self.tweets.get(int(req.json['tweet_id']))
        if t is None or t.deleted:
            return self.not_found('tweet', 'tweet_id', req.json['tweet_id'])
        self.likes.setdefault((req.user.id, t.id), self.next_seq())
        r = Response(200, {'data': {'liked': True}})
        r.write = 'interaction_create'
        r.posted = {'kind': 'like', 'id': str(t.id), 'text': None}
        return r

    def op_unlikePost(self, req):
        err = self._self_serve_removed(req)
        if err:
            return err
        self.likes.pop((req.user.id, int(req.pp['tweet_id'])), None)
        r = Response(200, {'data': {'liked': False}})
        r.write = 'interaction_delete'
        r.posted = {'kind': 'unlike', 'id': req.pp['tweet_id'], 'text': None}
        return r

    def op_followUser(self, req):
        err = self._self_serve_removed(req)
        if err:
            return err
        target = self.users.get(int(req.json['target_user_id']))
        if target is None:
            return self.not_found('user', 'target_user_id', req.json['target_user_id'])
        self.follow({'follower': str(req.user.id), 'followee': str(target.id)})
        r = Response(200, {'data': {'following': True, 'pending_follow': False}})
        r.write = 'interaction_create'
        r.posted = {'kind': 'follow', 'id': str(target.id), 'text': None,
                    'recipient': target.username}
        return r

    # DMs ----------------------------------------------------------------------

    def dm_events_for(self, req, conv=None):
        me = req.user
        types = req.fields('event_types') or {'MessageCreate', 'ParticipantsJoin',
                                               'ParticipantsLeave'}
        cutoff = self.now() - float(self.config['dm_retention_days']) * DAY
        out = [e for e in self.dms.values()
               if not e.deleted and e.created_at >= cutoff and e.event_type in types
               and me.id in self.convs.get(e.conv_id, {}).get('participants', ())
               and (conv is None or e.conv_id == conv)]
        out.sort(key=lambda e: e.id, reverse=True)
        return out

    def dm_page(self, req, events):
        page, meta = self.paginate(req, events, 'd', lambda e: e.id, 100, with_ids=False)
        if page is None:
            return meta
        return self.envelope(req, [self.render_dm(e, req) for e in page], dms=page, meta=meta)

    def _need_user(self, req):
        if req.user is None:
            return problem(403, 'Unsupported Authentication',
                           'Authenticating with OAuth 2.0 Application-Only is forbidden for this '
                           'endpoint.', ptype=PROB + 'unsupported-authentication')
        return None

    def op_getDirectMessagesEvents(self, req):
        return self._need_user(req) or self.dm_page(req, self.dm_events_for(req))

    def op_getDirectMessagesEventsByParticipantId(self, req):
        err = self._need_user(req)
        if err:
            return err
        a, b = sorted((req.user.id, int(req.pp['participant_id'])))
        return self.dm_page(req, self.dm_events_for(req, '%d-%d' % (a, b)))

    def op_getDirectMessagesEventsByConversationId(self, req):
        err = self._need_user(req)
        if err:
            return err
        return self.dm_page(req, self.dm_events_for(req, req.pp['id']))

    def op_getDirectMessagesEventsById(self, req):
        err = self._need_user(req)
        if err:
            return err
        e = self.dms.get(int(req.pp['event_id']))
        cutoff = self.now() - float(self.config['dm_retention_days']) * DAY
        if e is None or e.deleted or e.created_at < cutoff or \
                req.user.id not in self.convs.get(e.conv_id, {}).get('participants', ()):
            return self.dm_not_found(req.pp['event_id'])
        return self.envelope(req, self.render_dm(e, req), dms=[e])

    def op_deleteDirectMessagesEvents(self, req):
        err = self._need_user(req)
        if err:
            return err
        e = self.dms.get(int(req.pp['event_id']))
        if e is None or e.deleted or \
                req.user.id not in self.convs.get(e.conv_id, {}).get('participants', ()):
            return self.dm_not_found(req.pp['event_id'])
        if e.sender_id != req.user.id:
            return problem(403, 'Forbidden', 'You can only delete messages you sent.')
        e.deleted = True
        r = Response(200, {'data': {'deleted': True}})
        r.write = 'interaction_delete'
        r.posted = {'kind': 'dm_delete', 'id': str(e.id), 'text': e.text,
                    'dm_conversation_id': e.conv_id}
        return r

    def send_dm(self, req, target, conv_id):
        j = req.json
        if j.get('attachments'):
            return invalid_request([{'parameters': {'attachments': [a.get('media_id', '') for a in
                                                                     j['attachments']]},
                                     'message': 'Your media IDs are invalid.'}])
        text = j.get('text')
        if not text:
            return invalid_request([{'message': '$.text: is missing but it is required'}])
        if target is not None and not target.dm_open and target.id != req.user.id and \
                not self.follows_(target.id, req.user.id):
            return problem(403, 'Forbidden', 'You cannot send messages to this user.')
        if target is not None:
            e = self.make_dm(req.user, target, text)
        else:
            e = self.make_dm(req.user, None, text, conv_id=conv_id)
        r = Response(201, {'data': {'dm_conversation_id': e.conv_id, 'dm_event_id': str(e.id)}})
        r.write = 'dm_create'
        r.posted = {'kind': 'dm', 'id': str(e.id), 'text': text,
                    'recipient': target.username if target else None,
                    'recipient_id': str(target.id) if target else None,
                    'dm_conversation_id': e.conv_id}
        return r

    def op_createDirectMessagesByParticipantId(self, req):
        err = self._need_user(req)
        if err:
            return err
        target = self.users.get(int(req.pp['participant_id']))
        if target is None:
            return invalid_request([{'parameters': {'participant_id': [req.pp['participant_id']]},
                                     'message': 'The `participant_id` query parameter value [%s] '
                                     'is not valid' % req.pp['participant_id']}])
        return self.send_dm(req, target, None)

    def op_createDirectMessagesByConversationId(self, req):
        err = self._need_user(req)
        if err:
            return err
        cid = req.pp['dm_conversation_id']
        m = re.fullmatch(r'([0-9]{1,19})-([0-9]{1,19})', cid)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if req.user.id not in (a, b):
                return problem(403, 'Forbidden', 'You are not a participant of this '
                               'conversation.')
            other = self.users.get(b if a == req.user.id else a)
            if other is None:
                return invalid_request([{'parameters': {'dm_conversation_id': [cid]},
                                         'message': 'The `dm_conversation_id` query parameter '
                                         'value [%s] is not valid' % cid}])
            return self.send_dm(req, other, None)
        conv = self.convs.get(cid)
        if conv is None or req.user.id not in conv['participants']:
            return problem(403, 'Forbidden', 'You are not a participant of this conversation.')
        return self.send_dm(req, None, cid)

    def op_createDirectMessagesConversation(self, req):
        err = self._need_user(req)
        if err:
            return err
        j = req.json
        ids = []
        for p in j.get('participant_ids', []):
            u = self.users.get(int(p))
            if u is None:
                return invalid_request([{'parameters': {'participant_ids': [p]},
                                         'message': 'The `participant_ids` value [%s] is not '
                                         'valid' % p}])
            ids.append(u.id)
        now = self.now()
        cid = str(self.snowflake(now))
        self.convs[cid] = {'participants': set(ids) | {req.user.id}, 'type': 'group'}
        join = DmEvent(self.snowflake(now), 'ParticipantsJoin', cid, now)
        join.participant_ids = sorted(set(ids) | {req.user.id})
        self.dms[join.id] = join
        req.json = j.get('message') or {}
        return self.send_dm(req, None, cid)

    # ----- OAuth (xapi.md §3) ----------------------------------------------------

    def register_app(self, d):
        with self.lock:
            cid = d.get('client_id') or b64url(secrets.token_bytes(25))
            if cid in self.apps and not d.get('replace'):
                raise SimError(409, 'client_id already registered')
            app = {
                'client_id': cid,
                'client_secret': d.get('client_secret') if d.get('client_secret') else
                (b64url(secrets.token_bytes(36)) if d.get('confidential') else None),
                'consumer_key': d.get('consumer_key') or b64url(secrets.token_bytes(18)),
                'consumer_secret': d.get('consumer_secret') or b64url(secrets.token_bytes(37)),
                'redirect_uris': list(d.get('redirect_uris') or []),
                'name': d.get('name') or 'twinbird-test-app',
            }
            self.apps[cid] = app
            if d.get('owner'):
                self.config['app_owner'] = self.user_ref(d['owner']).username
            return dict(app)

    def app_by_consumer_key(self, key):
        for app in self.apps.values():
            if app['consumer_key'] == key:
                return app
        return None

    def control_authorize(self, d):
        """Approve an OAuth 2.0 authorization request as a chosen user."""
        with self.lock:
            cid = d.get('client_id')
            if not cid:
                raise SimError(400, 'client_id is required')
            app = self.apps.get(cid) or self.register_app({'client_id': cid})
            ruri = d.get('redirect_uri')
            if not ruri:
                raise SimError(400, 'redirect_uri is required')
            if app['redirect_uris'] and ruri not in app['redirect_uris']:
                raise SimError(400, 'redirect_uri is not registered for this app')
            if not re.match(r'^https?://', ruri):
                raise SimError(400, 'redirect_uri scheme not allowed')
            user = self.user_ref(d.get('username'))
            scopes = d.get('scope') or ''
            scopes = scopes.split() if isinstance(scopes, str) else list(scopes)
            known = set(self.spec.components.get('securitySchemes', {}).get('OAuth2UserToken', {})
                        .get('flows', {}).get('authorizationCode', {}).get('scopes', {}))
            bad = [s for s in scopes if known and s not in known]
            if not scopes or bad:
                raise SimError(400, 'invalid scope: %s' % ' '.join(bad or ['(empty)']))
            method = d.get('code_challenge_method') or 'S256'
            challenge = d.get('code_challenge')
            if not challenge or method not in ('S256', 'plain'):
                raise SimError(400, 'code_challenge and code_challenge_method (S256|plain) needed')
            state = d.get('state') or ''
            if len(state) > 500:
                raise SimError(400, 'state longer than 500 characters')
            code = b64url(secrets.token_bytes(48))
            self.auth_codes[code] = {'client_id': cid, 'redirect_uri': ruri, 'user_id': user.id,
                                     'scopes': scopes, 'challenge': challenge, 'method': method,
                                     'expires_at': self.now() + float(self.config['code_ttl']),
                                     'used': False}
            sep = '&' if '?' in ruri else '?'
            redirect = ruri + sep + urllib.parse.urlencode({'state': state, 'code': code})
            return {'code': code, 'state': state, 'redirect': redirect,
                    'username': user.username}

    def issue_oauth2(self, app_id, user_id, scopes):
        access = b64url(secrets.token_bytes(48))
        ttl = float(self.config['access_token_ttl'])
        self.tokens[access] = Token(access, user_id, 'oauth2', scopes=set(scopes),
                                    expires_at=self.now() + ttl, app_id=app_id)
        body = {'token_type': 'bearer', 'expires_in': int(ttl), 'access_token': access,
                'scope': ' '.join(scopes)}
        if 'offline.access' in scopes:
            refresh = b64url(secrets.token_bytes(48))
            self.refresh_tokens[refresh] = {'client_id': app_id, 'user_id': user_id,
                                            'scopes': list(scopes), 'used': False,
                                            'revoked': False}
            body['refresh_token'] = refresh
        return body

    def oauth_client(self, req):
        """-> (app, error Response).  Basic auth for confidential clients,
        client_id in the body for public ones."""
        form = req.parse_form()
        auth = req.headers.get('Authorization') or ''
        if auth.lower().startswith('basic '):
            try:
                cid, _, secret = base64.b64decode(auth[6:].strip()).decode().partition(':')
                cid, secret = urllib.parse.unquote(cid), urllib.parse.unquote(secret)
            except Exception:
                cid, secret = '', ''
            app = self.apps.get(cid)
            if app is None or not app['client_secret'] or \
                    not hmac.compare_digest(app['client_secret'], secret):
                return None, Response(401, {'error': 'unauthorized_client',
                                            'error_description': 'Missing valid authorization '
                                                                 'header'})
            return app, None
        app = self.apps.get(form.get('client_id', ''))
        if app is None:
            return None, Response(400, {'error': 'invalid_request',
                                        'error_description': 'Missing required parameter '
                                                             '[client_id].'})
        if app['client_secret']:
            return None, Response(401, {'error': 'unauthorized_client',
                                        'error_description': 'Missing valid authorization header'})
        return app, None

    def oauth2_token(self, req):
        form = req.parse_form()
        with self.lock:
            app, err = self.oauth_client(req)
            if err:
                return err
            grant = form.get('grant_type')
            if grant == 'authorization_code':
                c = self.auth_codes.get(form.get('code', ''))
                bad = Response(400, {'error': 'invalid_request', 'error_description':
                                     'Value passed for the authorization code was invalid.'})
                if c is None or c['used'] or self.now() >= c['expires_at'] or \
                        c['client_id'] != app['client_id'] or \
                        c['redirect_uri'] != form.get('redirect_uri'):
                    return bad
                verifier = form.get('code_verifier', '')
                if c['method'] == 'S256':
                    ok = b64url(hashlib.sha256(verifier.encode()).digest()) == c['challenge']
                else:
                    ok = verifier == c['challenge']
                c['used'] = True   # single use, even when the verifier was wrong
                if not ok or not verifier:
                    return bad
                return Response(200, self.issue_oauth2(app['client_id'], c['user_id'],
                                                       c['scopes']))
            if grant == 'refresh_token':
                rt = self.refresh_tokens.get(form.get('refresh_token', ''))
                if rt is None or rt['used'] or rt['revoked'] or \
                        rt['client_id'] != app['client_id']:
                    return Response(400, {'error': 'invalid_request', 'error_description':
                                          'Value passed for the token was invalid.'})
                rt['used'] = True   # rotation: the old refresh token is spent
                return Response(200, self.issue_oauth2(app['client_id'], rt['user_id'],
                                                       rt['scopes']))
            return Response(400, {'error': 'unsupported_grant_type',
                                  'error_description': 'grant_type not supported'})

    def oauth2_revoke(self, req):
        form = req.parse_form()
        with self.lock:
            app, err = self.oauth_client(req)
            if err:
                return err
            tok = form.get('token', '')
            t = self.tokens.get(tok)
            if t is not None and t.app_id == app['client_id']:
                t.revoked = True
            rt = self.refresh_tokens.get(tok)
            if rt is not None and rt['client_id'] == app['client_id']:
                rt['revoked'] = True
            return Response(200, {'revoked': True})

    def app_only_token(self, req):
        """POST /oauth2/token, grant_type=client_credentials with the consumer
        key and secret as Basic credentials -> app-only Bearer token."""
        auth = req.headers.get('Authorization') or ''
        with self.lock:
            try:
                key, _, sec = base64.b64decode(auth[6:].strip()).decode().partition(':')
                key, sec = urllib.parse.unquote(key), urllib.parse.unquote(sec)
            except Exception:
                key, sec = '', ''
            app = self.app_by_consumer_key(key)
            if not auth.lower().startswith('basic ') or app is None or \
                    not hmac.compare_digest(app['consumer_secret'], sec):
                return Response(403, {'errors': [{'code': 99, 'label': 'authenticity_token_error',
                                                  'message': 'Unable to verify your credentials'}]})
            if req.parse_form().get('grant_type') != 'client_credentials':
                return Response(400, {'errors': [{'code': 170, 'label': 'forbidden_missing_parameter',
                                                  'message': 'Missing required parameter: '
                                                             'grant_type'}]})
            tok = 'AAAAAAAAAAAAAAAAAAAAA' + b64url(secrets.token_bytes(60))
            self.tokens[tok] = Token(tok, None, 'app', app_id=app['client_id'])
            return Response(200, {'token_type': 'bearer', 'access_token': tok})

    @staticmethod
    def oauth1_params(header):
        out = {}
        for m in re.finditer(r'([A-Za-z0-9_]+)\s*=\s*"([^"]*)"', header[6:]):
            out[urllib.parse.unquote(m.group(1))] = urllib.parse.unquote(m.group(2))
        return out

    def oauth1_base_url(self, req):
        host = (req.headers.get('Host') or '127.0.0.1').lower()
        scheme = 'https' if req.tls else 'http'
        if (scheme == 'http' and host.endswith(':80')) or (scheme == 'https' and host.endswith(':443')):
            host = host.rsplit(':', 1)[0]
        return '%s://%s%s' % (scheme, host, req.path)

    def oauth1_check(self, req, token_secret_for):
        """Verify an HMAC-SHA1 signed request (xapi.md §3.2).  token_secret_for
        maps oauth_token -> secret (None = unknown).  -> (params, app) or
        (None, reason)."""
        auth = req.headers.get('Authorization') or ''
        if not auth.lower().startswith('oauth '):
            return None, 'no OAuth Authorization header'
        hp = self.oauth1_params(auth)
        for k in ('oauth_consumer_key', 'oauth_nonce', 'oauth_signature',
                  'oauth_signature_method', 'oauth_timestamp'):
            if k not in hp:
                return None, 'missing ' + k
        if hp['oauth_signature_method'] != 'HMAC-SHA1' or hp.get('oauth_version', '1.0') != '1.0':
            return None, 'signature method must be HMAC-SHA1, version 1.0'
        app = self.app_by_consumer_key(hp['oauth_consumer_key'])
        if app is None:
            return None, 'unknown consumer key'
        tsec = ''
        if 'oauth_token' in hp:
            tsec = token_secret_for(hp['oauth_token'])
            if tsec is None:
                return None, 'unknown oauth_token'
        try:
            ts = int(hp['oauth_timestamp'])
        except ValueError:
            return None, 'bad timestamp'
        if abs(time.time() - ts) > float(self.config['oauth1_timestamp_skew']):
            return None, 'timestamp out of range'
        nkey = (hp['oauth_consumer_key'], hp.get('oauth_token'), hp['oauth_nonce'], ts)
        params = [(k, v) for k, v in req.qitems]
        ctype = (req.headers.get('Content-Type') or '').split(';')[0].strip().lower()
        if ctype == 'application/x-www-form-urlencoded' and req.body:
            params += urllib.parse.parse_qsl(req.body.decode('utf-8', 'replace'),
                                             keep_blank_values=True)
        params += [(k, v) for k, v in hp.items() if k not in ('oauth_signature', 'realm')]
        enc = sorted((pct(k), pct(v)) for k, v in params)
        pstr = '&'.join('%s=%s' % kv for kv in enc)
        base = '&'.join((req.method.upper(), pct(self.oauth1_base_url(req)), pct(pstr)))
        key = ('%s&%s' % (pct(app['consumer_secret']), pct(tsec))).encode()
        want = base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()
        if not hmac.compare_digest(want, hp['oauth_signature']):
            return None, 'signature mismatch; expected base string: ' + base
        if nkey in self.nonces:
            return None, 'nonce already used'
        self.nonces.add(nkey)
        return hp, app

    def verify_oauth1(self, req):
        def secret_for(t):
            tok = self.tokens.get(t)
            return tok.secret if tok is not None and tok.kind == 'oauth1' and not tok.revoked \
                else None
        hp, app = self.oauth1_check(req, secret_for)
        if hp is None:
            req.auth_error = app
            return None
        return self.tokens[hp['oauth_token']] if 'oauth_token' in hp else None

    def oauth1_request_token(self, req):
        with self.lock:
            hp, app = self.oauth1_check(req, lambda t: None)
            if hp is None:
                req.auth_error = app
                return Response(401, {'errors': [{'code': 32,
                                                  'message': 'Could not authenticate you.'}]})
            cb = hp.get('oauth_callback') or req.query.get('oauth_callback')
            if not cb:
                return Response(400, {'errors': [{'code': 417, 'message':
                                                  'Desktop applications only support the '
                                                  'oauth_callback value \'oob\''}]})
            if cb != 'oob' and app['redirect_uris'] and cb not in app['redirect_uris']:
                return Response(403, {'errors': [{'code': 415, 'message': 'Callback URL not '
                                                  'approved for this client application.'}]})
            tok, sec = b64url(secrets.token_bytes(20)), b64url(secrets.token_bytes(24))
            self.request_tokens[tok] = {'secret': sec, 'app': app['client_id'], 'callback': cb,
                                        'user_id': None, 'verifier': None, 'used': False}
            body = urllib.parse.urlencode({'oauth_token': tok, 'oauth_token_secret': sec,
                                           'oauth_callback_confirmed': 'true'})
            return Response(200, raw=body.encode(), ctype='text/html; charset=utf-8')

    def control_authorize1(self, d):
        """Approve an OAuth 1.0a request token as a user -> the PIN."""
        with self.lock:
            rt = self.request_tokens.get(d.get('oauth_token', ''))
            if rt is None or rt['used']:
                raise SimError(404, 'unknown or used request token')
            user = self.user_ref(d.get('username'))
            rt['user_id'] = user.id
            rt['verifier'] = '%07d' % secrets.randbelow(10 ** 7)
            out = {'oauth_token': d['oauth_token'], 'oauth_verifier': rt['verifier'],
                   'pin': rt['verifier'], 'username': user.username}
            if rt['callback'] != 'oob':
                sep = '&' if '?' in rt['callback'] else '?'
                out['redirect'] = rt['callback'] + sep + urllib.parse.urlencode(
                    {'oauth_token': d['oauth_token'], 'oauth_verifier': rt['verifier']})
            return out

    def oauth1_access_token(self, req):
        with self.lock:
            def secret_for(t):
                rt = self.request_tokens.get(t)
                return rt['secret'] if rt and not rt['used'] else None
            hp, app = self.oauth1_check(req, secret_for)
            if hp is None:
                req.auth_error = app
                return Response(401, {'errors': [{'code': 32,
                                                  'message': 'Could not authenticate you.'}]})
            rt = self.request_tokens.get(hp.get('oauth_token', ''))
            verifier = hp.get('oauth_verifier') or req.parse_form().get('oauth_verifier') or \
                req.query.get('oauth_verifier')
            if rt is None or rt['verifier'] is None or verifier != rt['verifier']:
                return Response(401, raw=b'Error processing your OAuth request: Invalid '
                                b'oauth_verifier parameter', ctype='text/plain; charset=utf-8')
            rt['used'] = True
            user = self.users[rt['user_id']]
            tok = '%d-%s' % (user.id, b64url(secrets.token_bytes(24)))
            sec = b64url(secrets.token_bytes(33))
            self.tokens[tok] = Token(tok, user.id, 'oauth1', secret=sec, app_id=app['client_id'])
            body = urllib.parse.urlencode({'oauth_token': tok, 'oauth_token_secret': sec,
                                           'user_id': str(user.id),
                                           'screen_name': user.username})
            return Response(200, raw=body.encode(), ctype='text/html; charset=utf-8')

    def authorize_page(self, req):
        """GET /i/oauth2/authorize (or /2/oauth2/authorize): a page a test can
        approve as a chosen user (form field 'username', or ?sim_user=)."""
        q = dict(req.query)
        if req.method == 'POST':
            q.update(req.parse_form())
        user = q.get('sim_user') or q.get('username')
        if q.get('response_type') != 'code':
            return Response(400, raw=b'<html><body>response_type must be code</body></html>',
                            ctype='text/html; charset=utf-8')
        if user:
            try:
                res = self.control_authorize({
                    'client_id': q.get('client_id'), 'redirect_uri': q.get('redirect_uri'),
                    'state': q.get('state'), 'code_challenge': q.get('code_challenge'),
                    'code_challenge_method': q.get('code_challenge_method'),
                    'scope': q.get('scope', ''), 'username': user})
            except SimError as e:
                return Response(400, raw=('<html><body>%s</body></html>' % e.message).encode(),
                                ctype='text/html; charset=utf-8')
            return Response(302, raw=b'', headers={'Location': res['redirect']},
                            ctype='text/html; charset=utf-8')
        hidden = ''.join('<input type="hidden" name="%s" value="%s">' % (
            k, v.replace('&', '&amp;').replace('"', '&quot;').replace('<', '&lt;'))
            for k, v in q.items())
        page = ('<!doctype html><html><head><title>Authorize app - xsim</title></head><body>'
                '<h1>Authorize %s</h1><p>Scopes: %s</p><form method="post">%s'
                '<label>Sign in as <input name="username"></label>'
                '<button type="submit">Authorize app</button></form></body></html>') % (
            q.get('client_id', '?'), q.get('scope', ''), hidden)
        return Response(200, raw=page.encode(), ctype='text/html; charset=utf-8')

    def oauth1_authorize_page(self, req):
        q = dict(req.query)
        if req.method == 'POST':
            q.update(req.parse_form())
        user = q.get('sim_user') or q.get('username')
        if user:
            try:
                res = self.control_authorize1({'oauth_token': q.get('oauth_token', ''),
                                               'username': user})
            except SimError as e:
                return Response(400, raw=('<html><body>%s</body></html>' % e.message).encode(),
                                ctype='text/html; charset=utf-8')
            if 'redirect' in res:
                return Response(302, raw=b'', headers={'Location': res['redirect']},
                                ctype='text/html; charset=utf-8')
            return Response(200, raw=('<html><body><p>Enter this PIN: <code id="pin">%s</code>'
                                      '</p></body></html>' % res['pin']).encode(),
                            ctype='text/html; charset=utf-8')
        page = ('<!doctype html><html><body><form method="post">'
                '<input type="hidden" name="oauth_token" value="%s">'
                '<label>Sign in as <input name="username"></label>'
                '<button type="submit">Authorize app</button></form></body></html>') % (
            q.get('oauth_token', '').replace('"', ''))
        return Response(200, raw=page.encode(), ctype='text/html; charset=utf-8')

    def oauth_route(self, req):
        routes = {
            ('POST', '/2/oauth2/token'): self.oauth2_token,
            ('POST', '/2/oauth2/revoke'): self.oauth2_revoke,
            ('POST', '/oauth2/token'): self.app_only_token,
            ('POST', '/oauth/request_token'): self.oauth1_request_token,
            ('POST', '/oauth/access_token'): self.oauth1_access_token,
            ('GET', '/i/oauth2/authorize'): self.authorize_page,
            ('POST', '/i/oauth2/authorize'): self.authorize_page,
            ('GET', '/2/oauth2/authorize'): self.authorize_page,
            ('POST', '/2/oauth2/authorize'): self.authorize_page,
            ('GET', '/oauth/authorize'): self.oauth1_authorize_page,
            ('POST', '/oauth/authorize'): self.oauth1_authorize_page,
            ('GET', '/oauth/authenticate'): self.oauth1_authorize_page,
        }
        h = routes.get((req.method, req.path.rstrip('/') or '/'))
        return h(req) if h else None

    # ----- delivery, faults, request log ---------------------------------------

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
            ('POST', '/faults'): lambda b, q: self.add_fault(b),
            ('GET', '/faults'): lambda b, q: [f.as_json() for f in self.faults],
            ('DELETE', '/faults'): lambda b, q: self.clear_faults(),
            ('POST', '/ratelimits'): lambda b, q: self.set_ratelimit(b),
            ('DELETE', '/ratelimits'): lambda b, q: self.clear_ratelimits(),
            ('GET', '/posted'): lambda b, q: self.filter_log(self.posted, q),
            ('GET', '/requests'): lambda b, q: self.filter_log(self.requests, q),
            ('DELETE', '/requests'): lambda b, q: self.clear_requests(),
            ('GET', '/billing'): lambda b, q: self.billing.as_json(),
            ('POST', '/reset'): lambda b, q: self.control_reset(b),
            ('GET', '/state'): lambda b, q: self.state_json(),
            ('POST', '/clock'): lambda b, q: self.set_clock(b),
            ('GET', '/config'): lambda b, q: dict(self.config),
            ('POST', '/config'): lambda b, q: self.set_config(b),
            ('POST', '/apps'): lambda b, q: self.register_app(b),
            ('GET', '/apps'): lambda b, q: list(self.apps.values()),
            ('POST', '/authorize'): lambda b, q: self.control_authorize(b),
            ('POST', '/authorize1'): lambda b, q: self.control_authorize1(b),
            ('GET', '/selfcheck'): lambda b, q: list(self.selfcheck_failures),
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
        return {'now': iso(self.now()), 'offset': self.clock_offset}

    def set_config(self, b):
        for k, v in b.items():
            if k not in self.config:
                raise SimError(400, 'unknown config key %s; known: %s' % (k, ', '.join(self.config)))
            self.config[k] = v
        return dict(self.config)

    def state_json(self):
        return {'now': iso(self.now()), 'clock_offset': self.clock_offset,
                'users': [self.user_json(u) for u in self.users.values()],
                'follows': [{'follower': self.users[a].username, 'followee': self.users[b].username}
                            for _s, a, b in self.follows],
                'tweets': [self.full_tweet(t) for t in sorted(self.tweets.values(),
                                                              key=lambda t: t.id)],
                'dms': [self.full_dm(e) for e in sorted(self.dms.values(), key=lambda e: e.id)],
                'labels': {k: str(v) for k, v in self.labels.items()},
                'config': dict(self.config)}


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


if __name__ == '__main__':
    sys.exit(main())
