# SPDX-License-Identifier: GPL-2.0-or-later
"""Sim: the one simulated X.  Its state (users, posts, DMs, tokens, apps, faults, limits,
billing, logs, clock, config) lives here and is set up by reset(); what it does is split by
area into the mixins it is made of (model, render, limits, oauth, control, api, activity)."""

import threading
import time

from .activity import ActivityMixin
from .api import ApiMixin
from .control import ControlMixin
from .limits import Billing, LimitsMixin, RateLimiter
from .model import FIRST_USER_ID, ModelMixin
from .oauth import OAuthMixin
from .render import RenderMixin
from .spec import SchemaValidator
from .util import iso

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
    # X Activity API (xapi.md §4; DOCS:x-api/activity/introduction.mdx, rate-limits.mdx,
    # fundamentals/handling-disconnections.mdx)
    'activity_subscription_cap': 1500,  # self-serve maximum subscriptions per app
    'activity_max_connections': 2,      # stream connections at once per app
    'activity_keepalive_s': 20,         # a \r\n after this long without anything sent
}


class Sim(ApiMixin, ControlMixin, OAuthMixin, RenderMixin, LimitsMixin, ActivityMixin,
          ModelMixin):
    """The simulated X: every piece of state, one lock over it; the behaviour is in the
    mixins, by area."""

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
            self.billing_day_offset = 0
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
            self.reset_activity()
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
