# SPDX-License-Identifier: GPL-2.0-or-later
"""DM endpoints: the caller's DM events (all, with one participant, in one conversation, by
id), delete, and sends to a participant, to a conversation and to a new group."""

import re

from ..model import DmEvent
from ..responses import Response, invalid_request, problem
from ..util import DAY, PROB
from .common import paginate
from .registry import endpoint


def dm_events_for(sim, req, conv=None):
    me = req.user
    types = req.fields('event_types') or {'MessageCreate', 'ParticipantsJoin',
                                           'ParticipantsLeave'}
    cutoff = sim.now() - float(sim.config['dm_retention_days']) * DAY
    out = [e for e in sim.dms.values()
           if not e.deleted and e.created_at >= cutoff and e.event_type in types
           and me.id in sim.convs.get(e.conv_id, {}).get('participants', ())
           and (conv is None or e.conv_id == conv)]
    out.sort(key=lambda e: e.id, reverse=True)
    return out


def dm_page(sim, req, events):
    page, meta = paginate(req, events, 'd', lambda e: e.id, 100, with_ids=False)
    if page is None:
        return meta
    return sim.envelope(req, [sim.render_dm(e, req) for e in page], dms=page, meta=meta)


def need_user(req):
    """DM endpoints act for a user: an app-only token gets 403 unsupported-authentication."""
    if req.user is None:
        return problem(403, 'Unsupported Authentication',
                       'Authenticating with OAuth 2.0 Application-Only is forbidden for this '
                       'endpoint.', ptype=PROB + 'unsupported-authentication')
    return None


def dm_not_found(eid):
    # ResourceNotFoundProblem has no resource_type for DM events: generic 404.
    return problem(404, 'Not Found Error', 'Could not find DM event with event_id: [%s].' % eid)


@endpoint('getDirectMessagesEvents')
def get_direct_messages_events(sim, req):
    return need_user(req) or dm_page(sim, req, dm_events_for(sim, req))


@endpoint('getDirectMessagesEventsByParticipantId')
def get_direct_messages_events_by_participant_id(sim, req):
    err = need_user(req)
    if err:
        return err
    a, b = sorted((req.user.id, int(req.pp['participant_id'])))
    return dm_page(sim, req, dm_events_for(sim, req, '%d-%d' % (a, b)))


@endpoint('getDirectMessagesEventsByConversationId')
def get_direct_messages_events_by_conversation_id(sim, req):
    err = need_user(req)
    if err:
        return err
    return dm_page(sim, req, dm_events_for(sim, req, req.pp['id']))


@endpoint('getDirectMessagesEventsById')
def get_direct_messages_events_by_id(sim, req):
    err = need_user(req)
    if err:
        return err
    e = sim.dms.get(int(req.pp['event_id']))
    cutoff = sim.now() - float(sim.config['dm_retention_days']) * DAY
    if e is None or e.deleted or e.created_at < cutoff or \
            req.user.id not in sim.convs.get(e.conv_id, {}).get('participants', ()):
        return dm_not_found(req.pp['event_id'])
    return sim.envelope(req, sim.render_dm(e, req), dms=[e])


@endpoint('deleteDirectMessagesEvents')
def delete_direct_messages_events(sim, req):
    err = need_user(req)
    if err:
        return err
    e = sim.dms.get(int(req.pp['event_id']))
    if e is None or e.deleted or \
            req.user.id not in sim.convs.get(e.conv_id, {}).get('participants', ()):
        return dm_not_found(req.pp['event_id'])
    if e.sender_id != req.user.id:
        return problem(403, 'Forbidden', 'You can only delete messages you sent.')
    e.deleted = True
    r = Response(200, {'data': {'deleted': True}})
    r.write = 'interaction_delete'
    r.posted = {'kind': 'dm_delete', 'id': str(e.id), 'text': e.text,
                'dm_conversation_id': e.conv_id}
    return r


def send_dm(sim, req, target, conv_id):
    j = req.json
    if j.get('attachments'):
        return invalid_request([{'parameters': {'attachments': [a.get('media_id', '') for a in
                                                                 j['attachments']]},
                                 'message': 'Your media IDs are invalid.'}])
    text = j.get('text')
    if not text:
        return invalid_request([{'message': '$.text: is missing but it is required'}])
    if target is not None and not target.dm_open and target.id != req.user.id and \
            not sim.follows_(target.id, req.user.id):
        return problem(403, 'Forbidden', 'You cannot send messages to this user.')
    if target is not None:
        e = sim.make_dm(req.user, target, text)
    else:
        e = sim.make_dm(req.user, None, text, conv_id=conv_id)
    r = Response(201, {'data': {'dm_conversation_id': e.conv_id, 'dm_event_id': str(e.id)}})
    r.write = 'dm_create'
    r.posted = {'kind': 'dm', 'id': str(e.id), 'text': text,
                'recipient': target.username if target else None,
                'recipient_id': str(target.id) if target else None,
                'dm_conversation_id': e.conv_id}
    return r


@endpoint('createDirectMessagesByParticipantId')
def create_direct_messages_by_participant_id(sim, req):
    err = need_user(req)
    if err:
        return err
    target = sim.users.get(int(req.pp['participant_id']))
    if target is None:
        return invalid_request([{'parameters': {'participant_id': [req.pp['participant_id']]},
                                 'message': 'The `participant_id` query parameter value [%s] '
                                 'is not valid' % req.pp['participant_id']}])
    return send_dm(sim, req, target, None)


@endpoint('createDirectMessagesByConversationId')
def create_direct_messages_by_conversation_id(sim, req):
    err = need_user(req)
    if err:
        return err
    cid = req.pp['dm_conversation_id']
    m = re.fullmatch(r'([0-9]{1,19})-([0-9]{1,19})', cid)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        if req.user.id not in (a, b):
            return problem(403, 'Forbidden', 'You are not a participant of this '
                           'conversation.')
        other = sim.users.get(b if a == req.user.id else a)
        if other is None:
            return invalid_request([{'parameters': {'dm_conversation_id': [cid]},
                                     'message': 'The `dm_conversation_id` query parameter '
                                     'value [%s] is not valid' % cid}])
        return send_dm(sim, req, other, None)
    conv = sim.convs.get(cid)
    if conv is None or req.user.id not in conv['participants']:
        return problem(403, 'Forbidden', 'You are not a participant of this conversation.')
    return send_dm(sim, req, None, cid)


@endpoint('createDirectMessagesConversation')
def create_direct_messages_conversation(sim, req):
    err = need_user(req)
    if err:
        return err
    j = req.json
    ids = []
    for p in j.get('participant_ids', []):
        u = sim.users.get(int(p))
        if u is None:
            return invalid_request([{'parameters': {'participant_ids': [p]},
                                     'message': 'The `participant_ids` value [%s] is not '
                                     'valid' % p}])
        ids.append(u.id)
    now = sim.now()
    cid = str(sim.snowflake(now))
    sim.convs[cid] = {'participants': set(ids) | {req.user.id}, 'type': 'group'}
    join = DmEvent(sim.snowflake(now), 'ParticipantsJoin', cid, now)
    join.participant_ids = sorted(set(ids) | {req.user.id})
    sim.dms[join.id] = join
    req.json = j.get('message') or {}
    return send_dm(sim, req, None, cid)
