# SPDX-License-Identifier: GPL-2.0-or-later
"""User endpoints: lookups by id and username (one or many), mentions, a user's posts, the
home timeline, followers and following, and follow (enterprise tier only)."""

from ..responses import Response, not_found_error, problem
from ..util import DAY, PROB
from .common import not_found, own_id, paginate, path_user, self_serve_removed, tweet_page
from .registry import endpoint


@endpoint('getUsersMe')
def get_users_me(sim, req):
    u = req.user
    if u is None:
        return problem(403, 'Unsupported Authentication',
                       'Authenticating with OAuth 2.0 Application-Only is forbidden for this '
                       'endpoint.', ptype=PROB + 'unsupported-authentication')
    return sim.envelope(req, sim.render_user(u, req), users=[u])


@endpoint('getUsersById')
def get_users_by_id(sim, req):
    u, err = path_user(sim, req)
    if err:
        return err
    return sim.envelope(req, sim.render_user(u, req), users=[u])


@endpoint('getUsersByUsername')
def get_users_by_username(sim, req):
    u = sim.user_by_name(req.pp['username'])
    if u is None:
        return not_found(sim, 'user', 'username', req.pp['username'])
    return sim.envelope(req, sim.render_user(u, req), users=[u])


def multi_users(sim, req, param, values, finder):
    found, errors = [], []
    for v in values:
        u = finder(v)
        if u is None:
            errors.append(not_found_error('user', param, v))
        elif u not in found:
            found.append(u)
    return sim.envelope(req, [sim.render_user(u, req) for u in found], users=found,
                        errors=errors)


@endpoint('getUsersByIds')
def get_users_by_ids(sim, req):
    return multi_users(sim, req, 'ids', req.list('ids'),
                       lambda v: sim.users.get(int(v)))


@endpoint('getUsersByUsernames')
def get_users_by_usernames(sim, req):
    return multi_users(sim, req, 'usernames', req.list('usernames'), sim.user_by_name)


def mentions_of(sim, u, viewer):
    out = [t for t in sim.tweets.values()
           if u.id in t.mentioned_ids and sim.visible(t, viewer)]
    out.sort(key=lambda t: t.id, reverse=True)
    return out[:int(sim.config['mentions_cap'])]


@endpoint('getUsersMentions')
def get_users_mentions(sim, req):
    u, err = path_user(sim, req)
    if err:
        return err
    return tweet_page(sim, req, mentions_of(sim, u, req.user), 'm', 10)


def excluded(req, t):
    ex = req.fields('exclude')
    return ('replies' in ex and t.reply_to) or ('retweets' in ex and t.retweet_of)


@endpoint('getUsersPosts')
def get_users_posts(sim, req):
    u, err = path_user(sim, req)
    if err:
        return err
    items = sorted((t for t in sim.tweets.values()
                    if t.author_id == u.id and sim.visible(t, req.user)),
                   key=lambda t: t.id, reverse=True)
    cap = 800 if 'replies' in req.fields('exclude') else int(sim.config['timeline_cap'])
    items = [t for t in items[:int(sim.config['timeline_cap'])] if not excluded(req, t)]
    return tweet_page(sim, req, items[:cap], 'u', 10)


@endpoint('getUsersTimeline')
def get_users_timeline(sim, req):
    err = own_id(req)
    if err:
        return err
    me = req.user
    since = sim.now() - 7 * DAY
    items = sorted((t for t in sim.tweets.values()
                    if (t.author_id == me.id or sim.follows_(me.id, t.author_id))
                    and sim.visible(t, me) and t.created_at >= since),
                   key=lambda t: t.id, reverse=True)
    items = [t for t in items[:int(sim.config['timeline_cap'])] if not excluded(req, t)]
    return tweet_page(sim, req, items, 'h', 100)


def follow_page(sim, req, followers):
    u, err = path_user(sim, req)
    if err:
        return err
    if followers:
        rows = [(seq, a) for seq, a, b in sim.follows if b == u.id]
    else:
        rows = [(seq, b) for seq, a, b in sim.follows if a == u.id]
    rows.sort(reverse=True)
    page, meta = paginate(req, rows, 'f', lambda r: r[0], 100, with_ids=False)
    if page is None:
        return meta
    users = [sim.users[uid] for _s, uid in page]
    return sim.envelope(req, [sim.render_user(x, req) for x in users], users=users,
                        meta=meta)


@endpoint('getUsersFollowers')
def get_users_followers(sim, req):
    return follow_page(sim, req, True)


@endpoint('getUsersFollowing')
def get_users_following(sim, req):
    return follow_page(sim, req, False)


@endpoint('followUser')
def follow_user(sim, req):
    err = self_serve_removed(sim, req)
    if err:
        return err
    target = sim.users.get(int(req.json['target_user_id']))
    if target is None:
        return not_found(sim, 'user', 'target_user_id', req.json['target_user_id'])
    sim.follow({'follower': str(req.user.id), 'followee': str(target.id)})
    r = Response(200, {'data': {'following': True, 'pending_follow': False}})
    r.write = 'interaction_create'
    r.posted = {'kind': 'follow', 'id': str(target.id), 'text': None,
                'recipient': target.username}
    return r
