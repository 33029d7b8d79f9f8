# SPDX-License-Identifier: GPL-2.0-or-later
"""What the API port answers: the Response object and X's error bodies and texts (RFC 7807
problems, invalid-request errors, resource-not-found, the fixed bodies of xapi.md)."""

import json
import re

from .util import PROB, jdump

# xapi.md §0 item 2 (observed 403 detail text).
REPLY_NOT_ALLOWED = ('Reply to this conversation is not allowed because you have not '
                     'been mentioned or otherwise engaged by the author of the post you '
                     'are replying to.')
TOO_LONG = ('Your Tweet text is too long. For more information on how Twitter determines '
            'text length see https://github.com/twitter/twitter-text.')
DUPLICATE = 'You are not allowed to create a Tweet with duplicate content.'
REPLY_DELETED = 'You attempted to reply to a Tweet that is deleted or not visible to you.'


class Response:
    def __init__(self, status, body=None, headers=None, ctype=None, raw=None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.raw = raw
        if ctype is None:
            is_problem = isinstance(body, dict) and status >= 400 and 'type' in body \
                and 'title' in body
            ctype = 'application/problem+json' if is_problem else 'application/json; charset=utf-8'
        self.ctype = ctype
        self.write = None      # billing kind of a write, set by handlers
        self.posted = None     # entry for GET /posted
        self.stream = None     # a StreamConn: the answer is a stream (activity.py)

    def payload(self):
        if self.raw is not None:
            return self.raw
        return jdump(self.body) if self.body is not None else b''


def problem(status, title, detail=None, ptype='about:blank', **extra):
    d = {'title': title, 'type': ptype, 'status': status, 'detail': detail or title}
    d.update(extra)
    return Response(status, d)


def invalid_request(errors):
    return Response(400, {'errors': errors, 'title': 'Invalid Request',
                          'detail': 'One or more parameters to your request was invalid.',
                          'type': PROB + 'invalid-request'})


def json_at(doc, path):
    """Value at a validator path such as $.reply.ids[0], or None."""
    cur = doc
    for name, idx in re.findall(r'\.([^.\[]+)|\[(\d+)\]', path[1:]):
        try:
            cur = cur[name] if name else cur[int(idx)]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def body_error(doc, message):
    """X's shape for a JSON body error: the offending node (for a missing
    property, its parent object) under 'parameters', e.g.
    {"parameters":{"$.reply":["{}"]},"message":"$.reply.in_reply_to_tweet_id: is missing
    but it is required"}."""
    path = message.split(':', 1)[0]
    if message.endswith('is missing but it is required') or \
            'does not allow additional properties' in message:
        path = re.sub(r'(\.[^.\[]+|\[\d+\])$', '', path) or '$'
    v = json_at(doc, path)
    shown = v if isinstance(v, str) else json.dumps(v, separators=(',', ':'))
    return {'parameters': {path: [shown]}, 'message': message}


def not_found_error(rtype, param, value):
    return {'value': value, 'detail': 'Could not find %s with %s: [%s].' % (rtype, param, value),
            'title': 'Not Found Error', 'resource_type': rtype, 'parameter': param,
            'resource_id': value, 'type': PROB + 'resource-not-found'}


def unauthorized_error(rtype, param, value, section):
    return {'value': value, 'detail': 'Sorry, you are not authorized to see the %s with %s: [%s].'
            % ({'tweet': 'Tweet', 'user': 'User'}.get(rtype, rtype), param, value),
            'title': 'Authorization Error', 'resource_type': rtype, 'parameter': param,
            'resource_id': value, 'section': section,
            'type': PROB + 'not-authorized-for-resource'}


UNAUTHORIZED = {'title': 'Unauthorized', 'type': 'about:blank', 'status': 401,
                'detail': 'Unauthorized'}
TOO_MANY = {'title': 'Too Many Requests', 'type': 'about:blank', 'status': 429,
            'detail': 'Too Many Requests'}
# xapi.md §2.3, documented example of an endpoint outside the app's access.
CLIENT_FORBIDDEN = {
    'client_id': '0',
    'detail': 'When authenticating requests to the Twitter API v2 endpoints, you must use keys '
              'and tokens from a Twitter developer App that is attached to a Project. You can '
              'create a project via the developer portal.',
    'registration_url': 'https://developer.twitter.com/en/docs/projects/overview',
    'title': 'Client Forbidden', 'required_enrollment': 'Appropriate Level of API Access',
    'reason': 'client-not-enrolled', 'type': PROB + 'client-forbidden'}
# Streams (DOCS:x-api/fundamentals/handling-disconnections.mdx): a connection over the
# limit, and the in-stream message of an operational disconnect.
TOO_MANY_CONNECTIONS = {'title': 'ConnectionException',
                        'detail': 'This stream is currently at the maximum allowed connection '
                                  'limit.',
                        'connection_issue': 'TooManyConnections',
                        'type': PROB + 'streaming-connection', 'status': 429}
OPERATIONAL_DISCONNECT = {'errors': [{
    'title': 'operational-disconnect', 'disconnect_type': 'UpstreamOperationalDisconnect',
    'detail': 'This stream has been disconnected upstream for operational reasons.',
    'type': PROB + 'operational-disconnect'}]}
PAGE_NOT_FOUND = {'errors': [{'message': 'Sorry, that page does not exist', 'code': 34}]}
