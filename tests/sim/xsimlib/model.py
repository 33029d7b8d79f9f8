# SPDX-License-Identifier: GPL-2.0-or-later
"""The simulated X's data: users, posts, DM events and tokens, snowflake ids, follows, and the
Sim methods that look them up and create them (shared by the control port, the scenario file
and the API endpoints)."""

import re
import secrets

from .text import (_W100, CASHTAG_RE, HASHTAG_RE, MENTION_RE, STATUS_URL_RE, display_url,
                   find_urls, guess_lang, weighted_length)
from .util import DAY, SimError, iso, parse_iso

TWEPOCH_MS = 1288834974657           # X snowflake epoch
FIRST_USER_ID = 1790000000000000001  # user ids: 19 digits, above 2^53


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


class ModelMixin:
    """Sim methods over its users, posts, DMs and follows (the state itself is set up by
    Sim.reset)."""

    # ----- ids ---------------------------------------------------------------

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
            self.tokens[token] = Token(token, uid, app_id=self.app_name(d))
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
                                       expires_at=self.now() + float(expires) if expires else None,
                                       app_id=self.app_name(d))
            return {'token': token, 'username': u.username, 'id': str(u.id)}

    @staticmethod
    def app_name(d):
        """The developer app a control-made token belongs to: 'default' unless the body names
        one (billing de-duplicates per app, so two clients measured side by side each get
        one)."""
        app = d.get('app', 'default')
        if not isinstance(app, str) or not re.fullmatch(r'[A-Za-z0-9_.-]{1,64}', app):
            raise SimError(400, 'app must match ^[A-Za-z0-9_.-]{1,64}$')
        return app

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
            self.activity_on_tweet(t)
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
            self.activity_on_dm(e)
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

    def bulk_times(self, d, count):
        """count creation times, oldest first, 1 ms apart (or spread over span_s seconds)
        and ending now (or ago seconds before now): a backlog that arrived while away."""
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 100000:
            raise SimError(400, 'count must be an integer from 1 to 100000')
        end = self.now() - float(d.get('ago') or 0)
        span = float(d['span_s']) if d.get('span_s') is not None else (count - 1) * 0.001
        if span < (count - 1) * 0.001:
            raise SimError(400, 'span_s must leave at least 1 ms between items')
        step = span / (count - 1) if count > 1 else 0.0
        return [end - span + i * step for i in range(count)]

    @staticmethod
    def bulk_text(d, i, default):
        text = d.get('text', default)
        if not isinstance(text, str) or not text:
            raise SimError(400, 'text is required')
        return text.replace('{i}', str(i))

    def bulk_refs(self, d, keys, what):
        """Users named by the first of keys in d: one reference or a non-empty list."""
        refs = next((d[k] for k in keys if k in d), None)
        refs = refs if isinstance(refs, list) and refs else [refs]
        return [self.user_ref(r, what) for r in refs]

    def control_bulk_dms(self, d):
        """count DM events to recipient (to), from sender (from; a list: in turn), with
        increasing ids and created_at; text may hold {i} (0, 1, ...)."""
        with self.lock:
            senders = self.bulk_refs(d, ('sender', 'from'), 'sender')
            r = self.user_ref(d.get('recipient', d.get('to')), 'recipient')
            times = self.bulk_times(d, d.get('count'))
            made = [self.make_dm(senders[i % len(senders)], r,
                                 self.bulk_text(d, i, 'backlog DM {i}'), created_at=ts)
                    for i, ts in enumerate(times)]
            return self.bulk_json(made)

    def control_bulk_tweets(self, d):
        """count posts by author (a list: in turn) with increasing ids and created_at; text
        may hold {i}, and a post that @mentions a user is in that user's mentions."""
        with self.lock:
            authors = self.bulk_refs(d, ('author',), 'author')
            times = self.bulk_times(d, d.get('count'))
            made = [self.make_tweet(authors[i % len(authors)], self.bulk_text(d, i, ''),
                                    created_at=ts, lang=d.get('lang'))
                    for i, ts in enumerate(times)]
            return self.bulk_json(made)

    @staticmethod
    def bulk_json(made):
        return {'count': len(made), 'first_id': str(made[0].id), 'last_id': str(made[-1].id),
                'first_created_at': iso(made[0].created_at),
                'last_created_at': iso(made[-1].created_at)}

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
