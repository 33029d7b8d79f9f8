# SPDX-License-Identifier: GPL-2.0-or-later
"""Small helpers for the OAuth end-to-end tests (issue 4), on top of tbharness: the simulator's
developer apps and token settings, a browser stand-in, the plugin's sign-in prompts, and the
secrets libpurple saved. Debian's /usr/bin/python3 and its standard library only."""

import base64
import hashlib
import os
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import tbharness as h

CLIENT_ID = 'twinbird-test-native-app'
CONSUMER_KEY = 'tb-test-consumer-key'
CONSUMER_SECRET = 'tb-test-consumer-secret-kAcSOqF21Fu85e7zjz7Z'
TOKEN_PATH = '/2/oauth2/token'


def register_app(sim, port, client_id=CLIENT_ID):
    """A public Native App whose callback is http://127.0.0.1:PORT/callback, with OAuth 1.0a
    keys too (xapi.md §3)."""
    return sim.call('POST', '/apps', {
        'client_id': client_id, 'consumer_key': CONSUMER_KEY,
        'consumer_secret': CONSUMER_SECRET,
        'redirect_uris': ['http://127.0.0.1:%d/callback' % port]})


def sim_config(sim, **kv):
    return sim.call('POST', '/config', kv)


def oauth2_account(sim, username, port, role='personal', password=None, **kw):
    return h.account(username, password, sim.api_base, role=role, auth='oauth2',
                     client_id=CLIENT_ID, oauth_port=port, **kw)


def oauth1_account(sim, username, role='personal', password=None, **kw):
    return h.account(username, password, sim.api_base, role=role, auth='oauth1',
                     consumer_key=CONSUMER_KEY, consumer_secret=CONSUMER_SECRET, **kw)


def query_of(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query,
                                       keep_blank_values=True))


def s256(verifier):
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()) \
        .decode().rstrip('=')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def approve(url, username, follow=True, timeout=10):
    """Play the browser on the authorize page: approve as username (xsim's &sim_user=).
    follow=True goes on to the redirect, as a browser on this machine would, and returns
    (final_url, status, page); follow=False returns the redirect address (paste-back)."""
    sep = '&' if '?' in url else '?'
    target = url + sep + urllib.parse.urlencode({'sim_user': username})
    if not follow:
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            opener.open(target, timeout=timeout)
        except urllib.error.HTTPError as e:
            if e.code in (301, 302, 303, 307):
                return e.headers['Location']
            raise
        raise AssertionError('the authorize page did not redirect')
    try:
        with urllib.request.urlopen(target, timeout=timeout) as resp:
            return resp.geturl(), resp.status, resp.read().decode('utf-8', 'replace')
    except urllib.error.HTTPError as e:
        return e.geturl(), e.code, e.read().decode('utf-8', 'replace')


def approve_pin(sim, url, username):
    """OAuth 1.0a: approve the request token of the PIN page's URL; returns the PIN."""
    token = query_of(url)['oauth_token']
    return sim.call('POST', '/authorize1', {'oauth_token': token, 'username': username})['pin']


def wait_prompt(host, account, since=0, timeout=20):
    """The next sign-in prompt (purple_request_input) of an account."""
    return host.wait_for({'event': 'request-input', 'account': account}, timeout, since=since,
                         what='a sign-in prompt for %s' % account)


def token_requests(sim, grant=None):
    """POST /2/oauth2/token requests in order, optionally of one grant type."""
    out = []
    for r in sim.requests() or []:
        if r.get('path') != TOKEN_PATH or r.get('method') != 'POST':
            continue
        body = r.get('body') or {}
        if grant is None or body.get('grant_type') == grant:
            out.append(r)
    return out


def saved_password(user_dir, username, protocol=h.PROTOCOL):
    """The password libpurple saved in accounts.xml (after the host quit), or None."""
    path = os.path.join(user_dir, 'accounts.xml')
    if not os.path.exists(path):
        return None
    root = ET.parse(path).getroot()
    for acc in root.findall('account'):
        if acc.findtext('protocol') == protocol and acc.findtext('name') == username:
            pw = acc.findtext('password')
            return pw if pw else None
    return None


def occupy_port(port):
    """A listening socket on 127.0.0.1:port, so the plugin cannot open its listener there."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(('127.0.0.1', port))
    s.listen(1)
    return s


URL_RX = re.compile(r'https?://\S+')
