# SPDX-License-Identifier: GPL-2.0-or-later
"""OAuth as X does it (xapi.md §3): developer apps; OAuth 2.0 authorization codes with PKCE
(S256 or plain), the token endpoint with refresh-token rotation, revocation, app-only Bearer
tokens; OAuth 1.0a HMAC-SHA1 signatures, request tokens, PINs and access tokens; and the
authorize pages a test (or tests/e2e/oauthlib.py) approves as a chosen user."""

import base64
import hashlib
import hmac
import re
import secrets
import time
import urllib.parse

from .model import Token
from .responses import Response
from .util import SimError, b64url, pct


class OAuthMixin:
    """Sim methods for apps, authorization and tokens; oauth_route() serves the OAuth paths
    before the API pipeline sees them."""

    def register_app(self, d):
        with self.lock:
            cid = d.get('client_id') or b64url(secrets.token_bytes(25))
            if cid in self.apps and not d.get('replace'):
                raise SimError(409, 'client_id already registered')
            app = {
                'client_id': cid,
                'client_secret': d.get('client_secret') if d.get('client_secret') else
                (b64url(secrets.token_bytes(36)) if d.get('confidential') else None),
                'consumer_key': d.get('consumer_key') or b64url(secrets.token_bytes(18)),
                'consumer_secret': d.get('consumer_secret') or b64url(secrets.token_bytes(37)),
                'redirect_uris': list(d.get('redirect_uris') or []),
                'name': d.get('name') or 'twinbird-test-app',
            }
            self.apps[cid] = app
            if d.get('owner'):
                self.config['app_owner'] = self.user_ref(d['owner']).username
            return dict(app)

    def app_by_consumer_key(self, key):
        for app in self.apps.values():
            if app['consumer_key'] == key:
                return app
        return None

    def control_authorize(self, d):
        """Approve an OAuth 2.0 authorization request as a chosen user."""
        with self.lock:
            cid = d.get('client_id')
            if not cid:
                raise SimError(400, 'client_id is required')
            app = self.apps.get(cid) or self.register_app({'client_id': cid})
            ruri = d.get('redirect_uri')
            if not ruri:
                raise SimError(400, 'redirect_uri is required')
            if app['redirect_uris'] and ruri not in app['redirect_uris']:
                raise SimError(400, 'redirect_uri is not registered for this app')
            if not re.match(r'^https?://', ruri):
                raise SimError(400, 'redirect_uri scheme not allowed')
            user = self.user_ref(d.get('username'))
            scopes = d.get('scope') or ''
            scopes = scopes.split() if isinstance(scopes, str) else list(scopes)
            known = set(self.spec.components.get('securitySchemes', {}).get('OAuth2UserToken', {})
                        .get('flows', {}).get('authorizationCode', {}).get('scopes', {}))
            bad = [s for s in scopes if known and s not in known]
            if not scopes or bad:
                raise SimError(400, 'invalid scope: %s' % ' '.join(bad or ['(empty)']))
            method = d.get('code_challenge_method') or 'S256'
            challenge = d.get('code_challenge')
            if not challenge or method not in ('S256', 'plain'):
                raise SimError(400, 'code_challenge and code_challenge_method (S256|plain) needed')
            state = d.get('state') or ''
            if len(state) > 500:
                raise SimError(400, 'state longer than 500 characters')
            code = b64url(secrets.token_bytes(48))
            self.auth_codes[code] = {'client_id': cid, 'redirect_uri': ruri, 'user_id': user.id,
                                     'scopes': scopes, 'challenge': challenge, 'method': method,
                                     'expires_at': self.now() + float(self.config['code_ttl']),
                                     'used': False}
            sep = '&' if '?' in ruri else '?'
            redirect = ruri + sep + urllib.parse.urlencode({'state': state, 'code': code})
            return {'code': code, 'state': state, 'redirect': redirect,
                    'username': user.username}

    def issue_oauth2(self, app_id, user_id, scopes):
        access = b64url(secrets.token_bytes(48))
        ttl = float(self.config['access_token_ttl'])
        self.tokens[access] = Token(access, user_id, 'oauth2', scopes=set(scopes),
                                    expires_at=self.now() + ttl, app_id=app_id)
        body = {'token_type': 'bearer', 'expires_in': int(ttl), 'access_token': access,
                'scope': ' '.join(scopes)}
        if 'offline.access' in scopes:
            refresh = b64url(secrets.token_bytes(48))
            self.refresh_tokens[refresh] = {'client_id': app_id, 'user_id': user_id,
                                            'scopes': list(scopes), 'used': False,
                                            'revoked': False}
            body['refresh_token'] = refresh
        return body

    def oauth_client(self, req):
        """-> (app, error Response).  Basic auth for confidential clients,
        client_id in the body for public ones."""
        form = req.parse_form()
        auth = req.headers.get('Authorization') or ''
        if auth.lower().startswith('basic '):
            try:
                cid, _, secret = base64.b64decode(auth[6:].strip()).decode().partition(':')
                cid, secret = urllib.parse.unquote(cid), urllib.parse.unquote(secret)
            except Exception:
                cid, secret = '', ''
            app = self.apps.get(cid)
            if app is None or not app['client_secret'] or \
                    not hmac.compare_digest(app['client_secret'], secret):
                return None, Response(401, {'error': 'unauthorized_client',
                                            'error_description': 'Missing valid authorization '
                                                                 'header'})
            return app, None
        app = self.apps.get(form.get('client_id', ''))
        if app is None:
            return None, Response(400, {'error': 'invalid_request',
                                        'error_description': 'Missing required parameter '
                                                             '[client_id].'})
        if app['client_secret']:
            return None, Response(401, {'error': 'unauthorized_client',
                                        'error_description': 'Missing valid authorization header'})
        return app, None

    def oauth2_token(self, req):
        form = req.parse_form()
        with self.lock:
            app, err = self.oauth_client(req)
            if err:
                return err
            grant = form.get('grant_type')
            if grant == 'authorization_code':
                c = self.auth_codes.get(form.get('code', ''))
                bad = Response(400, {'error': 'invalid_request', 'error_description':
                                     'Value passed for the authorization code was invalid.'})
                if c is None or c['used'] or self.now() >= c['expires_at'] or \
                        c['client_id'] != app['client_id'] or \
                        c['redirect_uri'] != form.get('redirect_uri'):
                    return bad
                verifier = form.get('code_verifier', '')
                if c['method'] == 'S256':
                    ok = b64url(hashlib.sha256(verifier.encode()).digest()) == c['challenge']
                else:
                    ok = verifier == c['challenge']
                c['used'] = True   # single use, even when the verifier was wrong
                if not ok or not verifier:
                    return bad
                return Response(200, self.issue_oauth2(app['client_id'], c['user_id'],
                                                       c['scopes']))
            if grant == 'refresh_token':
                rt = self.refresh_tokens.get(form.get('refresh_token', ''))
                if rt is None or rt['used'] or rt['revoked'] or \
                        rt['client_id'] != app['client_id']:
                    return Response(400, {'error': 'invalid_request', 'error_description':
                                          'Value passed for the token was invalid.'})
                rt['used'] = True   # rotation: the old refresh token is spent
                return Response(200, self.issue_oauth2(app['client_id'], rt['user_id'],
                                                       rt['scopes']))
            return Response(400, {'error': 'unsupported_grant_type',
                                  'error_description': 'grant_type not supported'})

    def oauth2_revoke(self, req):
        form = req.parse_form()
        with self.lock:
            app, err = self.oauth_client(req)
            if err:
                return err
            tok = form.get('token', '')
            t = self.tokens.get(tok)
            if t is not None and t.app_id == app['client_id']:
                t.revoked = True
            rt = self.refresh_tokens.get(tok)
            if rt is not None and rt['client_id'] == app['client_id']:
                rt['revoked'] = True
            return Response(200, {'revoked': True})

    def app_only_token(self, req):
        """POST /oauth2/token, grant_type=client_credentials with the consumer
        key and secret as Basic credentials -> app-only Bearer token."""
        auth = req.headers.get('Authorization') or ''
        with self.lock:
            try:
                key, _, sec = base64.b64decode(auth[6:].strip()).decode().partition(':')
                key, sec = urllib.parse.unquote(key), urllib.parse.unquote(sec)
            except Exception:
                key, sec = '', ''
            app = self.app_by_consumer_key(key)
            if not auth.lower().startswith('basic ') or app is None or \
                    not hmac.compare_digest(app['consumer_secret'], sec):
                return Response(403, {'errors': [{'code': 99, 'label': 'authenticity_token_error',
                                                  'message': 'Unable to verify your credentials'}]})
            if req.parse_form().get('grant_type') != 'client_credentials':
                return Response(400, {'errors': [{'code': 170, 'label': 'forbidden_missing_parameter',
                                                  'message': 'Missing required parameter: '
                                                             'grant_type'}]})
            tok = 'AAAAAAAAAAAAAAAAAAAAA' + b64url(secrets.token_bytes(60))
            self.tokens[tok] = Token(tok, None, 'app', app_id=app['client_id'])
            return Response(200, {'token_type': 'bearer', 'access_token': tok})

    @staticmethod
    def oauth1_params(header):
        out = {}
        for m in re.finditer(r'([A-Za-z0-9_]+)\s*=\s*"([^"]*)"', header[6:]):
            out[urllib.parse.unquote(m.group(1))] = urllib.parse.unquote(m.group(2))
        return out

    def oauth1_base_url(self, req):
        host = (req.headers.get('Host') or '127.0.0.1').lower()
        scheme = 'https' if req.tls else 'http'
        if (scheme == 'http' and host.endswith(':80')) or (scheme == 'https' and host.endswith(':443')):
            host = host.rsplit(':', 1)[0]
        return '%s://%s%s' % (scheme, host, req.path)

    def oauth1_check(self, req, token_secret_for):
        """Verify an HMAC-SHA1 signed request (xapi.md §3.2).  token_secret_for
        maps oauth_token -> secret (None = unknown).  -> (params, app) or
        (None, reason)."""
        auth = req.headers.get('Authorization') or ''
        if not auth.lower().startswith('oauth '):
            return None, 'no OAuth Authorization header'
        hp = self.oauth1_params(auth)
        for k in ('oauth_consumer_key', 'oauth_nonce', 'oauth_signature',
                  'oauth_signature_method', 'oauth_timestamp'):
            if k not in hp:
                return None, 'missing ' + k
        if hp['oauth_signature_method'] != 'HMAC-SHA1' or hp.get('oauth_version', '1.0') != '1.0':
            return None, 'signature method must be HMAC-SHA1, version 1.0'
        app = self.app_by_consumer_key(hp['oauth_consumer_key'])
        if app is None:
            return None, 'unknown consumer key'
        tsec = ''
        if 'oauth_token' in hp:
            tsec = token_secret_for(hp['oauth_token'])
            if tsec is None:
                return None, 'unknown oauth_token'
        try:
            ts = int(hp['oauth_timestamp'])
        except ValueError:
            return None, 'bad timestamp'
        if abs(time.time() - ts) > float(self.config['oauth1_timestamp_skew']):
            return None, 'timestamp out of range'
        nkey = (hp['oauth_consumer_key'], hp.get('oauth_token'), hp['oauth_nonce'], ts)
        params = [(k, v) for k, v in req.qitems]
        ctype = (req.headers.get('Content-Type') or '').split(';')[0].strip().lower()
        if ctype == 'application/x-www-form-urlencoded' and req.body:
            params += urllib.parse.parse_qsl(req.body.decode('utf-8', 'replace'),
                                             keep_blank_values=True)
        params += [(k, v) for k, v in hp.items() if k not in ('oauth_signature', 'realm')]
        enc = sorted((pct(k), pct(v)) for k, v in params)
        pstr = '&'.join('%s=%s' % kv for kv in enc)
        base = '&'.join((req.method.upper(), pct(self.oauth1_base_url(req)), pct(pstr)))
        key = ('%s&%s' % (pct(app['consumer_secret']), pct(tsec))).encode()
        want = base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()
        if not hmac.compare_digest(want, hp['oauth_signature']):
            return None, 'signature mismatch; expected base string: ' + base
        if nkey in self.nonces:
            return None, 'nonce already used'
        self.nonces.add(nkey)
        return hp, app

    def verify_oauth1(self, req):
        def secret_for(t):
            tok = self.tokens.get(t)
            return tok.secret if tok is not None and tok.kind == 'oauth1' and not tok.revoked \
                else None
        hp, app = self.oauth1_check(req, secret_for)
        if hp is None:
            req.auth_error = app
            return None
        return self.tokens[hp['oauth_token']] if 'oauth_token' in hp else None

    def oauth1_request_token(self, req):
        with self.lock:
            hp, app = self.oauth1_check(req, lambda t: None)
            if hp is None:
                req.auth_error = app
                return Response(401, {'errors': [{'code': 32,
                                                  'message': 'Could not authenticate you.'}]})
            cb = hp.get('oauth_callback') or req.query.get('oauth_callback')
            if not cb:
                return Response(400, {'errors': [{'code': 417, 'message':
                                                  'Desktop applications only support the '
                                                  'oauth_callback value \'oob\''}]})
            if cb != 'oob' and app['redirect_uris'] and cb not in app['redirect_uris']:
                return Response(403, {'errors': [{'code': 415, 'message': 'Callback URL not '
                                                  'approved for this client application.'}]})
            tok, sec = b64url(secrets.token_bytes(20)), b64url(secrets.token_bytes(24))
            self.request_tokens[tok] = {'secret': sec, 'app': app['client_id'], 'callback': cb,
                                        'user_id': None, 'verifier': None, 'used': False}
            body = urllib.parse.urlencode({'oauth_token': tok, 'oauth_token_secret': sec,
                                           'oauth_callback_confirmed': 'true'})
            return Response(200, raw=body.encode(), ctype='text/html; charset=utf-8')

    def control_authorize1(self, d):
        """Approve an OAuth 1.0a request token as a user -> the PIN."""
        with self.lock:
            rt = self.request_tokens.get(d.get('oauth_token', ''))
            if rt is None or rt['used']:
                raise SimError(404, 'unknown or used request token')
            user = self.user_ref(d.get('username'))
            rt['user_id'] = user.id
            rt['verifier'] = '%07d' % secrets.randbelow(10 ** 7)
            out = {'oauth_token': d['oauth_token'], 'oauth_verifier': rt['verifier'],
                   'pin': rt['verifier'], 'username': user.username}
            if rt['callback'] != 'oob':
                sep = '&' if '?' in rt['callback'] else '?'
                out['redirect'] = rt['callback'] + sep + urllib.parse.urlencode(
                    {'oauth_token': d['oauth_token'], 'oauth_verifier': rt['verifier']})
            return out

    def oauth1_access_token(self, req):
        with self.lock:
            def secret_for(t):
                rt = self.request_tokens.get(t)
                return rt['secret'] if rt and not rt['used'] else None
            hp, app = self.oauth1_check(req, secret_for)
            if hp is None:
                req.auth_error = app
                return Response(401, {'errors': [{'code': 32,
                                                  'message': 'Could not authenticate you.'}]})
            rt = self.request_tokens.get(hp.get('oauth_token', ''))
            verifier = hp.get('oauth_verifier') or req.parse_form().get('oauth_verifier') or \
                req.query.get('oauth_verifier')
            if rt is None or rt['verifier'] is None or verifier != rt['verifier']:
                return Response(401, raw=b'Error processing your OAuth request: Invalid '
                                b'oauth_verifier parameter', ctype='text/plain; charset=utf-8')
            rt['used'] = True
            user = self.users[rt['user_id']]
            tok = '%d-%s' % (user.id, b64url(secrets.token_bytes(24)))
            sec = b64url(secrets.token_bytes(33))
            self.tokens[tok] = Token(tok, user.id, 'oauth1', secret=sec, app_id=app['client_id'])
            body = urllib.parse.urlencode({'oauth_token': tok, 'oauth_token_secret': sec,
                                           'user_id': str(user.id),
                                           'screen_name': user.username})
            return Response(200, raw=body.encode(), ctype='text/html; charset=utf-8')

    def authorize_page(self, req):
        """GET /i/oauth2/authorize (or /2/oauth2/authorize): a page a test can
        approve as a chosen user (form field 'username', or ?sim_user=)."""
        q = dict(req.query)
        if req.method == 'POST':
            q.update(req.parse_form())
        user = q.get('sim_user') or q.get('username')
        if q.get('response_type') != 'code':
            return Response(400, raw=b'<html><body>response_type must be code</body></html>',
                            ctype='text/html; charset=utf-8')
        if user:
            try:
                res = self.control_authorize({
                    'client_id': q.get('client_id'), 'redirect_uri': q.get('redirect_uri'),
                    'state': q.get('state'), 'code_challenge': q.get('code_challenge'),
                    'code_challenge_method': q.get('code_challenge_method'),
                    'scope': q.get('scope', ''), 'username': user})
            except SimError as e:
                return Response(400, raw=('<html><body>%s</body></html>' % e.message).encode(),
                                ctype='text/html; charset=utf-8')
            return Response(302, raw=b'', headers={'Location': res['redirect']},
                            ctype='text/html; charset=utf-8')
        hidden = ''.join('<input type="hidden" name="%s" value="%s">' % (
            k, v.replace('&', '&amp;').replace('"', '&quot;').replace('<', '&lt;'))
            for k, v in q.items())
        page = ('<!doctype html><html><head><title>Authorize app - xsim</title></head><body>'
                '<h1>Authorize %s</h1><p>Scopes: %s</p><form method="post">%s'
                '<label>Sign in as <input name="username"></label>'
                '<button type="submit">Authorize app</button></form></body></html>') % (
            q.get('client_id', '?'), q.get('scope', ''), hidden)
        return Response(200, raw=page.encode(), ctype='text/html; charset=utf-8')

    def oauth1_authorize_page(self, req):
        q = dict(req.query)
        if req.method == 'POST':
            q.update(req.parse_form())
        user = q.get('sim_user') or q.get('username')
        if user:
            try:
                res = self.control_authorize1({'oauth_token': q.get('oauth_token', ''),
                                               'username': user})
            except SimError as e:
                return Response(400, raw=('<html><body>%s</body></html>' % e.message).encode(),
                                ctype='text/html; charset=utf-8')
            if 'redirect' in res:
                return Response(302, raw=b'', headers={'Location': res['redirect']},
                                ctype='text/html; charset=utf-8')
            return Response(200, raw=('<html><body><p>Enter this PIN: <code id="pin">%s</code>'
                                      '</p></body></html>' % res['pin']).encode(),
                            ctype='text/html; charset=utf-8')
        page = ('<!doctype html><html><body><form method="post">'
                '<input type="hidden" name="oauth_token" value="%s">'
                '<label>Sign in as <input name="username"></label>'
                '<button type="submit">Authorize app</button></form></body></html>') % (
            q.get('oauth_token', '').replace('"', ''))
        return Response(200, raw=page.encode(), ctype='text/html; charset=utf-8')

    def oauth_route(self, req):
        routes = {
            ('POST', '/2/oauth2/token'): self.oauth2_token,
            ('POST', '/2/oauth2/revoke'): self.oauth2_revoke,
            ('POST', '/oauth2/token'): self.app_only_token,
            ('POST', '/oauth/request_token'): self.oauth1_request_token,
            ('POST', '/oauth/access_token'): self.oauth1_access_token,
            ('GET', '/i/oauth2/authorize'): self.authorize_page,
            ('POST', '/i/oauth2/authorize'): self.authorize_page,
            ('GET', '/2/oauth2/authorize'): self.authorize_page,
            ('POST', '/2/oauth2/authorize'): self.authorize_page,
            ('GET', '/oauth/authorize'): self.oauth1_authorize_page,
            ('POST', '/oauth/authorize'): self.oauth1_authorize_page,
            ('GET', '/oauth/authenticate'): self.oauth1_authorize_page,
        }
        h = routes.get((req.method, req.path.rstrip('/') or '/'))
        return h(req) if h else None
