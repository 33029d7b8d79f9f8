# SPDX-License-Identifier: GPL-2.0-or-later
"""The naive poller that bench/sync.py measures Twinbird against: what BitlBee's old twitter
module did, on X API v2. Every 60 seconds, for each account in turn:

    GET /2/dm_events?max_results=20&expansions=sender_id,participant_ids
    GET /2/users/:id/mentions?max_results=20[&since_id=NEWEST_SEEN]

The 60 s are counted from the end of one round to the start of the next (a fixed-rate timer
can land its 16th DM read a millisecond inside X's 15-minute window and earn a 429 that BitlBee
never saw as often). What it shows is every DM and mention id it has not shown before, at the
moment its answer arrives. Debian's /usr/bin/python3 and its standard library only."""

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

DM_QUERY = {'max_results': '20', 'expansions': 'sender_id,participant_ids',
            'dm_event.fields': 'id,text,sender_id,dm_conversation_id,created_at'}
MENTION_QUERY = {'max_results': '20'}


class NaivePoller(threading.Thread):
    """accounts: [(username, token, user_id)]. shown: [(monotonic time, username, kind, text)],
    kind 'dm' or 'mention'; rounds: how many rounds are done, first_round_at when the first
    ended."""

    def __init__(self, api_base, accounts, interval=60.0, timeout=30.0):
        super().__init__(daemon=True, name='naive-poller')
        self.api_base = api_base.rstrip('/')
        self.accounts = list(accounts)
        self.interval = interval
        self.timeout = timeout
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.shown = []
        self.rounds = 0
        self.first_round_at = None   # monotonic time the first round ended
        self.errors = []
        self._seen = set()
        self._since = {}

    def get(self, token, path, query):
        url = '%s%s?%s' % (self.api_base, path, urllib.parse.urlencode(query))
        req = urllib.request.Request(url, headers={'Authorization': 'Bearer ' + token})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.status, json.loads(resp.read() or b'{}')
        except urllib.error.HTTPError as e:
            e.read()
            return e.code, None
        except (OSError, ValueError) as e:
            return None, str(e)

    def show(self, username, kind, items):
        now = time.monotonic()
        with self.lock:
            for it in reversed(items):   # X answers newest first: show oldest first
                key = (username, kind, it.get('id'))
                if key in self._seen:
                    continue
                self._seen.add(key)
                self.shown.append((now, username, kind, it.get('text', '')))

    def poll_account(self, username, token, user_id):
        st, body = self.get(token, '/2/dm_events', DM_QUERY)
        if st == 200:
            self.show(username, 'dm', [e for e in body.get('data', [])
                                       if e.get('sender_id') != user_id])
        elif st is not None or body:
            self.errors.append((username, 'dm', st))
        q = dict(MENTION_QUERY)
        if username in self._since:
            q['since_id'] = self._since[username]
        st, body = self.get(token, '/2/users/%s/mentions' % user_id, q)
        if st == 200:
            self.show(username, 'mention', body.get('data', []))
            newest = (body.get('meta') or {}).get('newest_id')
            if newest:
                self._since[username] = newest
        elif st is not None or body:
            self.errors.append((username, 'mention', st))

    def run(self):
        while not self.stopping.is_set():
            for username, token, user_id in self.accounts:
                if self.stopping.is_set():
                    return
                self.poll_account(username, token, user_id)
            with self.lock:
                self.rounds += 1
                if self.first_round_at is None:
                    self.first_round_at = time.monotonic()
            self.stopping.wait(self.interval)

    def stop(self):
        self.stopping.set()
        self.join(self.timeout + 5)

    def shown_since(self, t0=0.0):
        with self.lock:
            return [s for s in self.shown if s[0] >= t0]
