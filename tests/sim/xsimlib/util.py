# SPDX-License-Identifier: GPL-2.0-or-later
"""Small helpers and constants shared by every part of xsim: JSON bytes, RFC 3339 times,
OAuth percent-encoding, base64url, and the control interface's error."""

import base64
import json
import re
import urllib.parse
from datetime import datetime, timezone

DAY = 86400
PROB = 'https://api.twitter.com/2/problems/'


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


class SimError(Exception):
    """Control-interface error: HTTP status and message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message
