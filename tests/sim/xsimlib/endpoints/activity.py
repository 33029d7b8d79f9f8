# SPDX-License-Identifier: GPL-2.0-or-later
"""X Activity API endpoints: subscriptions (create, list, update, delete one or many) and the
stream (GET /2/activity/stream, app-only).  The events themselves and the stream's delivery
are in ../activity.py."""

from ..activity import is_private, scope_for
from ..responses import CLIENT_FORBIDDEN, TOO_MANY_CONNECTIONS, Response, invalid_request, \
    problem
from ..util import PROB
from .common import page_token, parse_page_token
from .registry import endpoint


def body_invalid(name, value, message):
    return invalid_request([{'parameters': {name: [value]}, 'message': message}])


def subscription_not_found(sid):
    # ResourceNotFoundProblem has no resource_type for subscriptions: a generic 404.
    return problem(404, 'Not Found Error',
                   'Could not find subscription with subscription_id: [%s].' % sid)


@endpoint('createActivitySubscription')
def create_activity_subscription(sim, req):
    j = req.json
    et, flt, tag = j['event_type'], j['filter'], j.get('tag')
    if j.get('webhook_id') is not None:   # no webhooks here: none of them exists
        return body_invalid('webhook_id', j['webhook_id'],
                            'The `webhook_id` [%s] does not exist.' % j['webhook_id'])
    if et == 'news.new':   # Enterprise and Partner only; filtered by keyword
        if sim.config['tier'] != 'enterprise':
            return Response(403, dict(CLIENT_FORBIDDEN))
        if 'keyword' not in flt or 'user_id' in flt:
            return body_invalid('filter', str(sorted(flt)),
                                'The event_type [news.new] takes a filter of keyword only.')
    else:
        if 'user_id' not in flt:
            return body_invalid('filter.user_id', '',
                                'The event_type [%s] needs filter.user_id.' % et)
        if 'keyword' in flt:
            return body_invalid('filter.keyword', flt['keyword'],
                                'The event_type [%s] does not take a keyword filter.' % et)
        if 'direction' in flt and et != 'like.create':
            return body_invalid('filter.direction', flt['direction'],
                                'The event_type [%s] does not take a direction filter.' % et)
        if int(flt['user_id']) not in sim.users:
            return body_invalid('filter.user_id', flt['user_id'],
                                'The `filter.user_id` value [%s] is not valid' % flt['user_id'])
    tok = req.tok
    if tok.kind != 'app' and tok.scopes is not None and scope_for(et) not in tok.scopes:
        return problem(403, 'Forbidden')
    if is_private(et):
        if req.user is None:
            return problem(403, 'Unsupported Authentication',
                           'Authenticating with OAuth 2.0 Application-Only is forbidden for '
                           'private events such as [%s].  Supported authentication types are '
                           '[OAuth 1.0a User Context, OAuth 2.0 User Context].' % et,
                           ptype=PROB + 'unsupported-authentication')
        if flt['user_id'] != str(req.user.id):
            return problem(403, 'Forbidden',
                           'You can only subscribe to private events of the user who '
                           'authorized this request.')
    subs = sim.app_subscriptions(req.app)
    for s in subs:
        if s['event_type'] == et and s['filter'] == flt:
            return problem(409, 'Conflict',
                           'A subscription to [%s] with this filter already exists: [%s].'
                           % (et, s['id']), ptype=PROB + 'conflict')
    cap = int(sim.config['activity_subscription_cap'])
    if len(subs) >= cap:
        return problem(403, 'SubscriptionCapExceeded',
                       'Creating this subscription would exceed your limit of %d '
                       'subscriptions.' % cap, ptype=PROB + 'rule-cap')
    s = sim.add_subscription(req.app, et, flt, tag,
                             req.user.username if req.user is not None else None)
    n = len(subs) + 1
    return Response(200, {'data': {'subscription': sim.subscription_json(s),
                                   'total_subscriptions_for_instance_id': n},
                          'meta': {'total_subscriptions': n}})


@endpoint('getActivitySubscriptions')
def get_activity_subscriptions(sim, req):
    subs = sim.app_subscriptions(req.app)   # oldest first
    n = int(req.query.get('max_results', 1000))
    if 'pagination_token' in req.query:
        t = parse_page_token('s', req.query['pagination_token'])
        if t is None or t[0] != 'n':
            return invalid_request([{
                'parameters': {'pagination_token': [req.query['pagination_token']]},
                'message': 'The `pagination_token` query parameter value [%s] is not valid'
                % req.query['pagination_token']}])
        subs = [s for s in subs if s['id'] > t[1]]
    page = subs[:n]
    body = {}
    if page:
        body['data'] = [sim.subscription_json(s) for s in page]
    body['meta'] = {'result_count': len(page)}
    if len(subs) > n:
        body['meta']['next_token'] = page_token('s', 'n', page[-1]['id'])
    return Response(200, body)


def own_subscription(sim, req):
    s = sim.subscriptions.get(int(req.pp['subscription_id']))
    return s if s is not None and s['app'] == req.app else None


@endpoint('deleteActivitySubscription')
def delete_activity_subscription(sim, req):
    s = own_subscription(sim, req)
    if s is None:
        return subscription_not_found(req.pp['subscription_id'])
    del sim.subscriptions[s['id']]
    return Response(200, {'data': {'deleted': True},
                          'meta': {'total_subscriptions': len(sim.app_subscriptions(req.app))}})


@endpoint('deleteActivitySubscriptionsByIds')
def delete_activity_subscriptions_by_ids(sim, req):
    deleted, errors = False, []
    for sid in req.list('ids'):
        s = sim.subscriptions.get(int(sid))
        if s is None or s['app'] != req.app:
            errors.append(subscription_not_found(sid).body)
            continue
        del sim.subscriptions[s['id']]
        deleted = True
    body = {'data': {'deleted': deleted},
            'meta': {'total_subscriptions': len(sim.app_subscriptions(req.app))}}
    if errors:
        body['errors'] = errors
    return Response(200, body)


@endpoint('updateActivitySubscription')
def update_activity_subscription(sim, req):
    s = own_subscription(sim, req)
    if s is None:
        return subscription_not_found(req.pp['subscription_id'])
    j = req.json
    if j.get('webhook_id') is not None:
        return body_invalid('webhook_id', j['webhook_id'],
                            'The `webhook_id` [%s] does not exist.' % j['webhook_id'])
    if 'tag' in j:
        s['tag'] = j['tag']
    s['updated_at'] = sim.now()
    return Response(200, {'data': {'subscription': sim.subscription_json(s),
                                   'total_subscriptions': len(sim.app_subscriptions(req.app))}})


@endpoint('activityStream')
def activity_stream(sim, req):
    """The app's events as a stream (the pipeline has refused user tokens: BearerToken only).
    At most activity_max_connections at once per app; the next one gets X's 429
    ConnectionException."""
    open_now = [c for c in sim.stream_conns.values() if c.app == req.app and not c.closed]
    if len(open_now) >= int(sim.config['activity_max_connections']):
        return Response(429, dict(TOO_MANY_CONNECTIONS), ctype='application/problem+json')
    r = Response(200, ctype='application/json; charset=utf-8')
    r.stream = sim.open_stream(req, getattr(req, 'peer_port', None))
    return r
