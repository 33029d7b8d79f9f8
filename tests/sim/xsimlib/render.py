# SPDX-License-Identifier: GPL-2.0-or-later
"""How answers are shaped: posts, users and DM events with the fields a request asked for,
expansions into includes (with errors for what is gone or hidden), the data/includes/errors/
meta envelope, and the avatar PNGs."""

import hashlib
import struct
import zlib

from .responses import Response, not_found_error, unauthorized_error
from .text import display_url
from .util import iso, x_escape


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


class RenderMixin:
    """Sim methods that turn stored objects into X's JSON."""

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
