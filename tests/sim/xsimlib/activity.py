# SPDX-License-Identifier: GPL-2.0-or-later
"""The X Activity API (xapi.md §4): the app's subscriptions, the events the model makes for
them (dm.received and dm.sent when a DM is created, post.mention.create and post.create when
a post is), their payloads as X's event-payload samples show them, and the stream that
carries them: one JSON object per line, keep-alives, backfill, billing per delivered event,
and the stream faults (cut mid-line, stall, in-stream disconnect).

Sources: DOCS:x-api/activity/introduction.mdx (event types, privacy, scopes, 1,500
subscriptions for self-serve), …/event-payloads.mdx (envelope and payloads), …/quickstart.mdx
(subscription objects), DOCS:x-api/fundamentals/rate-limits.mdx (450 connects per 15 min and
2 connections per app), …/handling-disconnections.mdx and consuming-streaming-data.mdx (the
\\r\\n keep-alive at least every 20 s, TooManyConnections, operational-disconnect)."""

import collections
import select
import socket
import ssl
import threading
import time

from .responses import OPERATIONAL_DISCONNECT
from .util import SimError, iso, jdump, parse_iso

# Event types that need the user's consent (DOCS:x-api/activity/introduction.mdx, "Private
# events"): only a user-context token of that user can subscribe to them.
PRIVATE_PREFIXES = ('dm.', 'chat.', 'like.', 'mute.', 'block.')
PRIVATE_TYPES = {'post.mention.create', 'post.reply.create', 'post.quote.create',
                 'post.repost.create', 'broadcast.chat'}

# Events kept for backfill and recovery (start_time): X offers 5 minutes of backfill and
# 24 hours of recovery; older events are dropped.
EVENT_RETENTION = 86400
MAX_EVENTS = 50000


def is_private(event_type):
    return event_type in PRIVATE_TYPES or event_type.startswith(PRIVATE_PREFIXES)


def scope_for(event_type):
    """The OAuth 2.0 scope a user-context token needs for event_type (the operation's
    description in the spec: dm.read for chat.* and dm.*, like.read for like.*, mute.read,
    block.read, and tweet.read for all other event types)."""
    for prefix, scope in (('chat.', 'dm.read'), ('dm.', 'dm.read'), ('like.', 'like.read'),
                          ('mute.', 'mute.read'), ('block.', 'block.read')):
        if event_type.startswith(prefix):
            return scope
    return 'tweet.read'


# Integer fields X's event payloads repeat as strings (retweet_count_str, start_str, ...).
_STR_KEYS = ('start', 'end', 'edits_remaining')


def with_str(o):
    """X's event payloads carry every count and index twice: 5 and "5" (…_str)."""
    if isinstance(o, list):
        return [with_str(x) for x in o]
    if not isinstance(o, dict):
        return o
    out = {}
    for k, v in o.items():
        out[k] = with_str(v)
        if isinstance(v, int) and not isinstance(v, bool) and \
                (k.endswith('_count') or k in _STR_KEYS):
            out[k + '_str'] = str(v)
    return out


POST_FIELDS = {'author_id', 'created_at', 'conversation_id', 'in_reply_to_user_id',
               'referenced_tweets', 'entities', 'lang', 'note_tweet', 'display_text_range',
               'public_metrics', 'possibly_sensitive', 'reply_settings', 'edit_controls'}
USER_FIELDS = {'created_at', 'description', 'entities', 'location', 'pinned_tweet_id',
               'most_recent_tweet_id', 'profile_image_url', 'protected', 'public_metrics',
               'url', 'verified', 'verified_type'}


class StreamConn:
    """One open GET /2/activity/stream."""

    def __init__(self, cid, app, token, peer_port, opened, end_time=None, backfill=None):
        self.id = cid
        self.app = app
        self.token = token
        self.peer_port = peer_port
        self.opened = opened
        self.end_time = end_time        # recovery: close once the clock passes it
        self.backfill = backfill
        self.queue = collections.deque()
        self.wake = threading.Event()
        self.closed = False
        self.stalled = False
        self.drop_armed = False
        self.events_sent = 0
        self.keepalives = 0
        self.last_write = None

    def push(self, ev):
        self.queue.append(ev)
        self.wake.set()

    def as_json(self):
        return {'id': self.id, 'app': self.app, 'token': self.token,
                'peer_port': self.peer_port, 'opened_at': iso(self.opened),
                'backfill': self.backfill,
                'end_time': iso(self.end_time) if self.end_time is not None else None,
                'events_sent': self.events_sent, 'keepalives': self.keepalives,
                'queued': len(self.queue), 'stalled': self.stalled,
                'drop_armed': self.drop_armed}


class ActivityMixin:
    """Sim methods of the Activity API: subscriptions, events, streams."""

    def reset_activity(self):
        for c in list(getattr(self, 'stream_conns', {}).values()):
            c.closed = True
            c.wake.set()
        self.subscriptions = {}     # subscription_id (int) -> dict (with 'app')
        self.activity_events = []   # every event made, oldest first
        self.stream_conns = {}      # id -> StreamConn
        self.stream_seq = 0

    # ----- subscriptions -----------------------------------------------------------------

    @staticmethod
    def subscription_json(s):
        o = {'subscription_id': str(s['id']), 'event_type': s['event_type'],
             'filter': dict(s['filter']), 'created_at': iso(s['created_at']),
             'updated_at': iso(s['updated_at'])}
        if s.get('tag') is not None:
            o['tag'] = s['tag']
        if s.get('webhook_id') is not None:
            o['webhook_id'] = s['webhook_id']
        return o

    def app_subscriptions(self, app):
        return sorted((s for s in self.subscriptions.values() if s['app'] == app),
                      key=lambda s: s['id'])

    def add_subscription(self, app, event_type, flt, tag, creator):
        now = self.now()
        s = {'id': self.snowflake(now), 'app': app, 'event_type': event_type,
             'filter': dict(flt), 'tag': tag, 'webhook_id': None, 'created_at': now,
             'updated_at': now, 'created_by': creator}
        self.subscriptions[s['id']] = s
        return s

    def control_subscriptions(self, q):
        subs = sorted(self.subscriptions.values(), key=lambda s: s['id'])
        if q.get('app'):
            subs = [s for s in subs if s['app'] == q['app']]
        return [dict(self.subscription_json(s), app=s['app'], created_by=s['created_by'])
                for s in subs]

    def control_clear_subscriptions(self, q):
        gone = [k for k, s in self.subscriptions.items()
                if not q.get('app') or s['app'] == q['app']]
        for k in gone:
            del self.subscriptions[k]
        return {'cleared': len(gone)}

    def add_app_token(self, b):
        """An app-only Bearer token for an app without the client-credentials call."""
        from .model import Token
        app = self.app_name(b)
        token = b.get('token') or 'AAAAAAAAAAAAAAAAAAAAA-app-%s-%d' % (app, self.next_seq())
        if token in self.tokens:
            raise SimError(409, 'token exists')
        self.tokens[token] = Token(token, None, 'app', app_id=app)
        return {'token': token, 'app': app}

    # ----- events ----------------------------------------------------------------------------

    def _matching(self, event_type, user_id):
        return [s for s in self.subscriptions.values()
                if s['event_type'] == event_type and s['filter'].get('user_id') == str(user_id)]

    def emit_event(self, event_type, user_id, payload, includes, bill):
        """One event for each app subscribed to event_type of user_id: kept for backfill and
        queued on the app's open streams.  bill: (price key, kind, resource id) or None."""
        now = self.now()
        for s in sorted(self._matching(event_type, user_id), key=lambda s: s['id']):
            data = {'event_uuid': str(self.snowflake(now)), 'filter': dict(s['filter']),
                    'event_type': event_type}
            if s.get('tag') is not None:
                data['tag'] = s['tag']
            data['payload'] = payload
            if includes:
                data['includes'] = includes
            ev = {'seq': self.next_seq(), 'time': now, 'app': s['app'],
                  'subscription_id': str(s['id']), 'event_type': event_type,
                  'user_id': str(user_id), 'body': {'data': data}, 'bill': bill,
                  'deliveries': 0}
            self.activity_events.append(ev)
            for c in self.stream_conns.values():
                if c.app == s['app'] and not c.closed and \
                        (c.end_time is None or now <= c.end_time):
                    c.push(ev)
        cutoff = now - EVENT_RETENTION
        if len(self.activity_events) > MAX_EVENTS or \
                (self.activity_events and self.activity_events[0]['time'] < cutoff):
            self.activity_events = [e for e in self.activity_events[-MAX_EVENTS:]
                                    if e['time'] >= cutoff]

    def event_user(self, uid):
        return self.render_user(self.users[uid], None, fields=USER_FIELDS)

    def event_post(self, t):
        return with_str(dict(self.render_tweet(t, None, fields=POST_FIELDS),
                             paid_partnership=False))

    def post_includes(self, t, user_ids):
        users = []
        for uid in [t.author_id] + list(user_ids):
            if uid in self.users and uid not in users:
                users.append(uid)
        tweets = [t]
        for _typ, rid in self.refs(t):
            r = self.tweets.get(rid)
            if r is not None and not r.deleted and self.visible(r, None):
                tweets.append(r)
        return {'users': [with_str(self.event_user(u)) for u in users],
                'tweets': [self.event_post(x) for x in tweets]}

    def activity_on_tweet(self, t):
        """post.create for the author; post.mention.create for each user the post's body
        @mentions explicitly (not the reply prefix, not a repost, not the author).  Posts
        of protected accounts are never delivered."""
        if not self.subscriptions:
            return
        author = self.users.get(t.author_id)
        if author is None or author.protected:
            return
        ents = (t.note_tweet or {}).get('entities') if t.note_tweet else t.entities
        mentioned = []
        if t.retweet_of is None:
            for m in (ents or {}).get('mentions', []):
                uid = int(m['id']) if 'id' in m else None
                if uid is not None and uid != t.author_id and m['start'] >= t.display_start \
                        and uid not in mentioned:
                    mentioned.append(uid)
        targets = [('post.create', t.author_id, [])] + \
            [('post.mention.create', uid, [uid]) for uid in mentioned]
        targets = [x for x in targets if self._matching(x[0], x[1])]
        if not targets:
            return
        payload = self.event_post(t)
        for event_type, uid, extra in targets:
            self.emit_event(event_type, uid, payload, self.post_includes(t, extra),
                            ('event:post', 'post', str(t.id)))

    @staticmethod
    def legacy_entities(ent):
        """A DM's entities in the legacy (v1.1) shape of dm.* payloads."""
        def ind(x):
            return [x['start'], x['end']]
        return {'hashtags': [{'text': h['tag'], 'indices': ind(h)}
                             for h in ent.get('hashtags', [])],
                'symbols': [{'text': c['tag'], 'indices': ind(c)}
                            for c in ent.get('cashtags', [])],
                'user_mentions': [dict({'screen_name': m['username'], 'indices': ind(m)},
                                       **({'id_str': m['id'], 'id': int(m['id'])}
                                          if 'id' in m else {}))
                                  for m in ent.get('mentions', [])],
                'urls': [{'url': u['url'], 'expanded_url': u['expanded_url'],
                          'display_url': u['display_url'], 'indices': ind(u)}
                         for u in ent.get('urls', [])]}

    def dm_payload(self, e, recipient_id):
        """dm.sent / dm.received: direct_message_events (legacy message_create) and a users
        map of {"data": user} by id (DOCS:x-api/activity/event-payloads.mdx)."""
        ev = {'type': 'message_create', 'id': str(e.id),
              'created_timestamp': str(int(e.created_at * 1000)),
              'message_create': {'target': {'recipient_id': str(recipient_id)},
                                 'sender_id': str(e.sender_id),
                                 'message_data': {'text': e.text,
                                                  'entities': self.legacy_entities(e.entities)}}}
        users = {}
        for uid in (e.sender_id, recipient_id):
            if uid in self.users:
                users[str(uid)] = {'data': with_str(self.event_user(uid))}
        return {'direct_message_events': [ev], 'users': users}

    def activity_on_dm(self, e):
        """dm.sent for the sender, dm.received for every other participant."""
        if not self.subscriptions or e.event_type != 'MessageCreate':
            return
        parts = sorted(self.convs.get(e.conv_id, {}).get('participants', ()))
        others = [p for p in parts if p != e.sender_id]
        if not others:
            return
        if self._matching('dm.sent', e.sender_id):
            # a group DM has no single recipient: the first other participant stands for it
            self.emit_event('dm.sent', e.sender_id, self.dm_payload(e, others[0]), None, None)
        for uid in others:
            if self._matching('dm.received', uid):
                self.emit_event('dm.received', uid, self.dm_payload(e, uid), None,
                                ('event:dm_received', 'dm_event', str(e.id)))

    def control_events(self, q):
        out = self.activity_events
        if q.get('app'):
            out = [e for e in out if e['app'] == q['app']]
        if q.get('since'):
            out = [e for e in out if e['seq'] > int(q['since'])]
        return [{'seq': e['seq'], 'time': iso(e['time']), 'app': e['app'],
                 'subscription_id': e['subscription_id'], 'event_type': e['event_type'],
                 'user_id': e['user_id'], 'deliveries': e['deliveries'], 'body': e['body']}
                for e in out]

    # ----- the stream ------------------------------------------------------------------------

    def open_stream(self, req, peer_port):
        """Called by the stream endpoint under the lock: -> a StreamConn with the replayed
        events already queued (so nothing falls between replay and live delivery)."""
        q = req.query
        now = self.now()
        since, end = None, None
        if 'backfill_minutes' in q and int(q['backfill_minutes']) > 0:
            since = now - 60 * int(q['backfill_minutes'])
        if 'start_time' in q:
            st = parse_iso(q['start_time'])
            since = st if since is None else min(since, st)
        if 'end_time' in q:   # times are shown to the millisecond: the whole one counts
            end = parse_iso(q['end_time']) + 0.000999
        self.stream_seq += 1
        c = StreamConn('s%d' % self.stream_seq, req.app, req.token, peer_port, now, end,
                       int(q['backfill_minutes']) if 'backfill_minutes' in q else None)
        if since is not None:
            for ev in self.activity_events:
                if ev['app'] == req.app and ev['time'] >= since and \
                        (end is None or ev['time'] <= end):
                    c.queue.append(ev)
        self.stream_conns[c.id] = c
        return c

    def stream_close(self, c):
        with self.lock:
            c.closed = True
            c.wake.set()
            if self.stream_conns.get(c.id) is c:
                del self.stream_conns[c.id]

    def control_close_streams(self, q):
        n = 0
        for c in list(self.stream_conns.values()):
            if not q.get('app') or c.app == q['app']:
                c.closed = True
                c.wake.set()
                n += 1
        return {'closed': n}

    @staticmethod
    def client_gone(h):
        """Whether the client closed its end (checked while the stream is idle)."""
        sock = h.connection
        try:
            r, _w, _x = select.select([sock], [], [], 0)
            if not r:
                return False
            if isinstance(sock, ssl.SSLSocket):
                sock.settimeout(0.01)
                try:
                    return sock.recv(1) == b''
                except (ssl.SSLWantReadError, socket.timeout):
                    return False
                finally:
                    sock.settimeout(180)
            return sock.recv(1, socket.MSG_PEEK) == b''
        except (OSError, ValueError):
            return True

    @staticmethod
    def chunk(h, data):
        h.wfile.write(b'%X\r\n%s\r\n' % (len(data), data))
        h.wfile.flush()

    def run_stream(self, h, req, c):
        """Serve one open stream until the client leaves, xsim stops or resets, the stream's
        end_time passes, or a fault ends it."""
        h.close_connection = True
        stall_until = None
        try:
            c.last_write = time.monotonic()
            while not self.stop_event.is_set() and not c.closed:
                f = self.take_stream_fault(req)
                if f is not None:
                    if f.kind == 'stream_stall':
                        c.stalled = True
                        stall_until = time.monotonic() + float(f.delay) \
                            if f.delay is not None else None
                    elif f.kind == 'stream_drop':
                        c.drop_armed = True
                    elif f.kind == 'stream_disconnect':
                        self.chunk(h, jdump(OPERATIONAL_DISCONNECT) + b'\r\n')
                        self.chunk(h, b'')
                        return
                if c.stalled:
                    if stall_until is not None and time.monotonic() >= stall_until:
                        c.stalled = False
                        c.last_write = time.monotonic()
                    else:
                        if self.client_gone(h):
                            return
                        c.wake.wait(0.05)
                        continue
                c.wake.clear()
                with self.lock:
                    batch = list(c.queue)
                    c.queue.clear()
                for ev in batch:
                    line = jdump(ev['body']) + b'\r\n'
                    if c.drop_armed:   # the chunk breaks off half-way: the line is cut
                        h.wfile.write(b'%X\r\n%s' % (len(line), line[:len(line) // 2]))
                        h.wfile.flush()
                        h.connection.shutdown(socket.SHUT_RDWR)
                        return
                    # counted (and billed) as it goes out, so that a client that has read it
                    # and asks for the bill at once finds it there
                    with self.lock:
                        c.events_sent += 1
                        ev['deliveries'] += 1
                        b = ev['bill']
                        self.billing.event(req.token, c.app, self.billing_now(),
                                           ev['event_type'], b)
                    self.chunk(h, line)
                    c.last_write = time.monotonic()
                if c.end_time is not None and self.now() > c.end_time and not c.queue:
                    self.chunk(h, b'')   # recovery done: the stream ends
                    return
                ka = float(self.config.get('activity_keepalive_s') or 20)
                if time.monotonic() - c.last_write >= ka:
                    self.chunk(h, b'\r\n')
                    c.last_write = time.monotonic()
                    c.keepalives += 1
                if self.client_gone(h):
                    return
                c.wake.wait(min(0.05, ka))
        except (OSError, ValueError):
            pass
        finally:
            self.stream_close(c)
