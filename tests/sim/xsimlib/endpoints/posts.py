# SPDX-License-Identifier: GPL-2.0-or-later
"""Post endpoints: lookups by id (one or many), create (text, reply, quote; X's reply rule,
length and duplicate checks), delete, repost and undo, like and unlike (enterprise only)."""

from ..responses import (CLIENT_FORBIDDEN, DUPLICATE, REPLY_DELETED, REPLY_NOT_ALLOWED,
                         TOO_LONG, Response, invalid_request, not_found_error, problem,
                         unauthorized_error)
from ..text import weighted_length
from ..util import DAY, x_escape
from .common import not_found, own_id, self_serve_removed
from .registry import endpoint


@endpoint('getPostsById')
def get_posts_by_id(sim, req):
    t = sim.tweets.get(int(req.pp['id']))
    if t is None or t.deleted:
        return not_found(sim, 'tweet', 'id', req.pp['id'])
    if not sim.visible(t, req.user):
        return Response(200, {'errors': [unauthorized_error('tweet', 'id', req.pp['id'],
                                                            'data')]})
    return sim.envelope(req, sim.render_tweet(t, req), tweets=[t])


@endpoint('getPostsByIds')
def get_posts_by_ids(sim, req):
    found, errors = [], []
    for v in req.list('ids'):
        t = sim.tweets.get(int(v))
        if t is None or t.deleted:
            errors.append(not_found_error('tweet', 'ids', v))
        elif not sim.visible(t, req.user):
            errors.append(unauthorized_error('tweet', 'ids', v, 'data'))
        elif t not in found:
            found.append(t)
    return sim.envelope(req, [sim.render_tweet(t, req) for t in found], tweets=found,
                        errors=errors)


def may_reply(sim, me, parent):
    """xapi.md §0 item 2: the parent's author summoned the replier (mentioned
    it, or quoted one of its posts), or the parent is the replier's own."""
    if parent.author_id == me.id or me.id in parent.mentioned_ids:
        return True
    q = sim.tweets.get(parent.quote_of) if parent.quote_of else None
    return q is not None and q.author_id == me.id


@endpoint('createPosts')
def create_posts(sim, req):
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
    self_serve = sim.config['tier'] != 'enterprise'
    quote = None
    if j.get('quote_tweet_id'):
        if self_serve:   # xapi.md §0 item 3: quote-posts removed for self-serve
            return Response(403, dict(CLIENT_FORBIDDEN))
        quote = sim.tweets.get(int(j['quote_tweet_id']))
        if quote is None or not sim.visible(quote, me):
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
        parent = sim.tweets.get(int(j['reply']['in_reply_to_tweet_id']))
        if parent is None or not sim.visible(parent, me):
            return problem(403, 'Forbidden', REPLY_DELETED)
        if self_serve and not may_reply(sim, me, parent):
            return problem(403, 'Forbidden', REPLY_NOT_ALLOWED)
        exclude = tuple(j['reply'].get('exclude_reply_user_ids') or ())
    if sim.config['duplicate_check']:
        full, _ = sim.compose(me, text, parent, exclude)
        horizon = sim.now() - DAY
        for t in sim.tweets.values():
            if t.author_id == me.id and not t.deleted and t.retweet_of is None and \
                    t.created_at >= horizon and getattr(t, 'source_text', None) == full:
                return problem(403, 'Forbidden', DUPLICATE)
    t = sim.make_tweet(me, text, parent=parent, quote=quote, exclude=exclude, via='api')
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


@endpoint('deletePosts')
def delete_posts(sim, req):
    t = sim.tweets.get(int(req.pp['id']))
    if t is None or t.deleted:
        return not_found(sim, 'tweet', 'id', req.pp['id'])
    if req.user is None or t.author_id != req.user.id:
        return problem(403, 'Forbidden', 'You are not allowed to delete a Tweet that is not '
                       'your own.')
    t.deleted = True
    r = Response(200, {'data': {'deleted': True}})
    r.write = 'interaction_delete'
    r.posted = {'kind': 'delete', 'id': str(t.id), 'text': t.text}
    return r


@endpoint('repostPost')
def repost_post(sim, req):
    err = own_id(req)
    if err:
        return err
    src_id = req.json['tweet_id']
    src = sim.tweets.get(int(src_id))
    if src is None or src.deleted:
        return not_found(sim, 'tweet', 'tweet_id', src_id)
    if not sim.visible(src, req.user) or sim.users[src.author_id].protected:
        return problem(403, 'Forbidden', 'You cannot Retweet a protected or invisible Tweet.')
    existing = [t for t in sim.tweets.values() if t.retweet_of == src.id
                and t.author_id == req.user.id and not t.deleted]
    r = Response(200, {'data': {'id': str(src.id), 'retweeted': True}})
    r.write = 'interaction_create'
    if not existing:
        rt = sim.make_tweet(req.user, '', retweet=src, via='api')
        r.posted = {'kind': 'retweet', 'id': str(rt.id), 'text': rt.text,
                    'retweeted_tweet_id': str(src.id)}
    return r


@endpoint('unrepostPost')
def unrepost_post(sim, req):
    err = own_id(req)
    if err:
        return err
    sid = int(req.pp['source_tweet_id'])
    gone = []
    for t in sim.tweets.values():
        if t.retweet_of == sid and t.author_id == req.user.id and not t.deleted:
            t.deleted = True
            gone.append(t)
    r = Response(200, {'data': {'retweeted': False}})
    r.write = 'interaction_delete'
    if gone:
        r.posted = {'kind': 'unretweet', 'id': str(gone[0].id), 'text': gone[0].text,
                    'retweeted_tweet_id': str(sid)}
    return r


@endpoint('likePost')
def like_post(sim, req):
    err = self_serve_removed(sim, req)
    if err:
        return err
    t = sim.tweets.get(int(req.json['tweet_id']))
    if t is None or t.deleted:
        return not_found(sim, 'tweet', 'tweet_id', req.json['tweet_id'])
    sim.likes.setdefault((req.user.id, t.id), sim.next_seq())
    r = Response(200, {'data': {'liked': True}})
    r.write = 'interaction_create'
    r.posted = {'kind': 'like', 'id': str(t.id), 'text': None}
    return r


@endpoint('unlikePost')
def unlike_post(sim, req):
    err = self_serve_removed(sim, req)
    if err:
        return err
    sim.likes.pop((req.user.id, int(req.pp['tweet_id'])), None)
    r = Response(200, {'data': {'liked': False}})
    r.write = 'interaction_delete'
    r.posted = {'kind': 'unlike', 'id': req.pp['tweet_id'], 'text': None}
    return r
