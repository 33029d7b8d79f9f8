# SPDX-License-Identifier: GPL-2.0-or-later
"""Rate limits and billing (xapi.md §1.1 and §2.4): the documented per-endpoint limits, their
15-minute and 24-hour windows and x-rate-limit-* headers, the pay-per-use prices and the
per-token, per-user and per-app bill."""

import re

from .util import DAY, utc_day

WINDOW = 900                         # rate-limit window: 15 minutes

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
    # X Activity API: per app, not per user (DOCS:x-api/fundamentals/rate-limits.mdx,
    # "Activity & Webhooks"); the stream also allows 2 connections at once (activity.py).
    'GET /2/activity/stream': {'limit': 450, 'per_app': True},
    'POST /2/activity/subscriptions': {'limit': 500, 'per_app': True},
    'GET /2/activity/subscriptions': {'limit': 500, 'per_app': True},
    'DELETE /2/activity/subscriptions': {'limit': 500, 'per_app': True},
    'PUT /2/activity/subscriptions/{subscription_id}': {'limit': 500, 'per_app': True},
    'DELETE /2/activity/subscriptions/{subscription_id}': {'limit': 500, 'per_app': True},
}

# Pay-per-use prices in micro-dollars (xapi.md §2.4).
PRICES = {
    'read:post': 5000, 'read:user': 10000, 'read:dm_event': 10000,
    'read:follow': 10000, 'read:like': 1000, 'read:owned': 1000,
    'write:post_create': 15000, 'write:post_with_url': 200000,
    'write:summoned_reply': 10000, 'write:dm_create': 15000,
    'write:interaction_create': 15000, 'write:interaction_delete': 10000,
    # Activity-API events delivered on the stream: post.* as a Post, dm.received as a DM
    # event; dm.sent, dm.read and typing are not billed.
    'event:post': 5000, 'event:dm_received': 10000,
}
# Endpoints where {id} == the authenticated app owner gives "Owned Reads".
OWNED_READ_OPS = {'getUsersMentions', 'getUsersPosts', 'getUsersFollowers',
                  'getUsersFollowing'}

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


class Billing:
    """Pay-per-use counters (xapi.md §2.4): reads per resource with UTC-day
    de-duplication per app, writes per request; only successful responses
    returning data are billed."""

    def __init__(self):
        self.seen = set()
        self.by_token = {}
        self.by_user = {}
        self.by_app = {}
        self.by_day = {}
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
        self.by_day[day] = self.by_day.get(day, 0) + cost
        return cost

    def event(self, tok, app, now, event_type, bill):
        """One Activity-API event delivered on the app's stream.  bill: (price, kind,
        resource_id) or None (not billed).  The resource is de-duplicated per app and UTC day
        together with the reads of the same kind (a post delivered as an event and read the
        same day is one Post)."""
        day = utc_day(now)
        slots = self._slots(tok, None, app)
        for s in slots:
            ev = s.setdefault('events', {})
            ev[event_type] = ev.get(event_type, 0) + 1
            s.setdefault('events_billed', {})
        if bill is None:
            return 0
        price, kind, rid = bill
        key = (app, kind, rid, day)
        if key in self.seen:
            return 0
        self.seen.add(key)
        cost = PRICES[price]
        for s in slots:
            s['events_billed'][event_type] = s['events_billed'].get(event_type, 0) + 1
            s['micro_usd'] += cost
        self.total += cost
        self.by_day[day] = self.by_day.get(day, 0) + cost
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
                'by_day_usd': {k: round(v / 1e6, 6) for k, v in sorted(self.by_day.items())},
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
        who = ('app15', app) if sp.get('per_app') else ('user15', token)
        wins = [('x-rate-limit', (key,) + who, sp['limit'], sp['window'])]
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

    def reset_windows(self, token=None):
        """Every window of token (None: of everyone) starts afresh at its next request, as
        after a day away; the limits and their overrides stay.  -> how many were dropped."""
        gone = [wk for wk in self.windows if token is None or wk[2] == token]
        for wk in gone:
            del self.windows[wk]
        return len(gone)

    def override(self, endpoint, limit, window=None):
        o = {'limit': int(limit)}
        if window:
            o['window'] = int(window)
        self.overrides[self.norm(endpoint)] = o
        n = self.norm(endpoint)
        for wk in list(self.windows):
            if self.norm(wk[0]) == n:
                del self.windows[wk]


class LimitsMixin:
    """Sim methods that bill an answer and name the token's access level."""

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
            self.billing.charge(req.token, req.user, req.app, self.billing_now(), reads,
                                r.write)

    def billing_now(self):
        """The time the bill goes by: the clock, moved on by whole UTC days of the control's
        billing_day_offset (a new billing day without touching windows or timestamps)."""
        return self.now() + self.billing_day_offset * DAY

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
