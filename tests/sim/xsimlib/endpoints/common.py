# SPDX-License-Identifier: GPL-2.0-or-later
"""What several endpoints share: X's not-found answer (404 or, configured, 200 with errors),
the {id} checks, the self-serve gate, and pages with opaque pagination tokens."""

import base64

from ..responses import CLIENT_FORBIDDEN, Response, invalid_request, not_found_error, problem
from ..util import parse_iso


def not_found(sim, rtype, param, value):
    e = not_found_error(rtype, param, value)
    if str(sim.config.get('not_found')) == '200':
        return Response(200, {'errors': [e]})
    e['status'] = 404
    return Response(404, e)


def path_user(sim, req, name='id'):
    uid = int(req.pp[name])
    u = sim.users.get(uid)
    if u is None:
        return None, not_found(sim, 'user', name, req.pp[name])
    return u, None


def own_id(req):
    """{id} must be the authenticated user (UserIdMatchesAuthenticatedUser)."""
    if req.pp.get('id') != str(req.user.id if req.user else ''):
        return problem(403, 'Forbidden',
                       'You are not permitted to perform this action on behalf of '
                       'another user.')
    return None


def self_serve_removed(sim, req):
    """Likes and follows are gone for self-serve (xapi.md §0 item 3): 403 client-forbidden
    there; on enterprise, {id} must be the caller."""
    if sim.config['tier'] != 'enterprise':
        return Response(403, dict(CLIENT_FORBIDDEN))
    return own_id(req)


def page_token(kind, direction, cursor):
    raw = ('%s%s%020d' % (kind, direction, cursor)).encode()
    return base64.b32encode(raw).decode().rstrip('=').lower()


def parse_page_token(kind, tok):
    try:
        padded = tok.upper() + '=' * (-len(tok) % 8)
        raw = base64.b32decode(padded).decode()
        if raw[0] != kind or raw[1] not in 'np' or not raw[2:].isdigit():
            return None
        return raw[1], int(raw[2:])
    except Exception:
        return None


def paginate(req, items, kind, key, default_max, with_ids=True):
    q = req.query
    n = int(q.get('max_results', default_max))
    if with_ids:
        if 'since_id' in q:
            items = [x for x in items if key(x) > int(q['since_id'])]
        elif 'start_time' in q:
            st = parse_iso(q['start_time'])
            items = [x for x in items if x.created_at >= st]
        if 'until_id' in q:
            items = [x for x in items if key(x) < int(q['until_id'])]
        elif 'end_time' in q:
            et = parse_iso(q['end_time'])
            items = [x for x in items if x.created_at <= et]
    tokinfo = None
    if 'pagination_token' in q:
        tokinfo = parse_page_token(kind, q['pagination_token'])
        if tokinfo is None:
            return None, invalid_request([{
                'parameters': {'pagination_token': [q['pagination_token']]},
                'message': 'The `pagination_token` query parameter value [%s] is not valid'
                % q['pagination_token']}])
    if tokinfo and tokinfo[0] == 'p':
        page = [x for x in items if key(x) > tokinfo[1]][-n:]
    else:
        if tokinfo:
            items = [x for x in items if key(x) < tokinfo[1]]
        page = items[:n]
    meta = {'result_count': len(page)}
    if page:
        if with_ids:
            meta['newest_id'] = str(key(page[0]))
            meta['oldest_id'] = str(key(page[-1]))
        if any(key(x) < key(page[-1]) for x in items):
            meta['next_token'] = page_token(kind, 'n', key(page[-1]))
        if tokinfo:
            meta['previous_token'] = page_token(kind, 'p', key(page[0]))
    return page, meta


def tweet_page(sim, req, items, kind, default_max):
    page, meta = paginate(req, items, kind, lambda t: t.id, default_max)
    if page is None:
        return meta
    data = [sim.render_tweet(t, req) for t in page]
    return sim.envelope(req, data, tweets=page, meta=meta)
