#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Loopback HTTP server for tests/unit/layers/test-http.c (Python standard library only).

Listens on 127.0.0.1, port 0; prints the port on stdout, then serves until stdin closes (so it
never outlives the test that started it). The path selects a behaviour:

  /json               200 JSON with x-rate-limit-* headers and one mixed-case header
  /echo               200 JSON describing the request: method, target, headers, body (hex)
  /status?code=N      that status with a problem+json body
  /slow?ms=N          answers /json's body after N ms (cancellation tests)
  /stall              headers promising 100 bytes, then silence for 30 s (no body byte: curl
                      averages speed over ~5 s, so bytes before a stall delay its detection)
  /huge?bytes=N       N bytes with a Content-Length
  /chunked?bytes=N    N bytes in chunked encoding (no length known up front)
  /gzip?bytes=N       N zero bytes gzip-compressed (a few hundred bytes on the wire)
  /close-mid          promises 1000 bytes, sends 100, closes
  /stream?then=T      200 chunked NDJSON, slowly: a keep-alive ("\r\n") every 0.3 s for 1.8 s,
                      a line split over two chunks 0.3 s apart, another line, then (T) "stall":
                      silence for 30 s, or "close": the last chunk
  /barrier?key=K&n=N  answers 200 once N requests with key K are in flight together, 504 if not
                      within 5 s: proves requests run concurrently
  /log                the request lines seen so far (absolute-form ones too: proxy requests)
  http://...          (absolute form, i.e. we are used as a proxy) 200 {"proxied": target}

Used as a proxy for https:// (CONNECT host:port; the host selects the answer; tunnels never
open): auth.test wants Proxy-Authorization "u:pw" (407 without one, 401 for a wrong one, as
tinyproxy does), unreachable.test 502, forbidden.test 403, close.test hangs up without an answer.
A connection whose first byte is 5 is SOCKS5 instead: user/password "u"/"pw" (a client offering
no user/password method is refused with 0xFF), then a CONNECT to refused.test is answered
"connection refused", anything else "host unreachable".
"""
import base64
import gzip
import json
import os
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Condition()
LOG = []
ARRIVED = {}  # barrier key -> requests arrived


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'tb-http-fixture'
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def do_CONNECT(self):
        with LOCK:
            LOG.append('CONNECT %s' % self.path)
        host = self.path.rsplit(':', 1)[0]
        self.close_connection = True
        if host == 'close.test':
            return
        if host == 'auth.test':
            got = self.headers.get('Proxy-Authorization') or ''
            if not got:
                return self.reply(407, b'', headers={'Proxy-Authenticate': 'Basic realm="t"'})
            if got != 'Basic ' + base64.b64encode(b'u:pw').decode():
                return self.reply(401, b'')
            return self.reply(502, b'')
        self.reply({'unreachable.test': 502, 'forbidden.test': 403}.get(host, 502), b'')

    def reply(self, status, body, ctype='application/json', headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def dispatch(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        with LOCK:
            LOG.append('%s %s' % (self.command, self.path))
        if url.scheme:
            return self.reply(200, {'proxied': self.path})
        route = getattr(self, 'route_' + url.path.strip('/').replace('-', '_'), None)
        if route is None:
            return self.reply(404, {'title': 'Not Found', 'type': 'about:blank'})
        try:
            route(query, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up first: that is the test

    def route_json(self, query, body):
        self.reply(200, {'data': {'id': '1790000000000000001', 'username': 'alice'}}, headers={
            'x-rate-limit-limit': '75',
            'x-rate-limit-remaining': '74',
            'x-rate-limit-reset': '1790000000',
            'X-Mixed-Case': 'Value',
        })

    def route_echo(self, query, body):
        self.reply(200, {
            'method': self.command,
            'target': self.path,
            'headers': {k.lower(): v for k, v in self.headers.items()},
            'body_hex': body.hex(),
        })

    def route_status(self, query, body):
        code = int(query.get('code', '500'))
        self.reply(code, {'title': 'Status %d' % code, 'type': 'about:blank', 'status': code},
                   ctype='application/problem+json')

    def route_slow(self, query, body):
        time.sleep(int(query.get('ms', '500')) / 1000)
        self.route_json(query, body)

    def route_stall(self, query, body):
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', '100')
        self.end_headers()
        self.wfile.flush()
        time.sleep(30)
        self.close_connection = True

    def route_stream(self, query, body):
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Transfer-Encoding', 'chunked')
        self.end_headers()
        self.wfile.flush()

        def chunk(data):
            self.wfile.write(b'%x\r\n' % len(data) + data + b'\r\n')
            self.wfile.flush()

        for _ in range(6):  # longer than the test's stall and total timeouts together
            time.sleep(0.3)
            chunk(b'\r\n')
        chunk(b'{"data":{"event_uuid":"1",')
        time.sleep(0.3)
        chunk(b'"event_type":"dm.sent"}}\r\n{"data":{}}\r\n')
        if query.get('then') == 'close':
            self.wfile.write(b'0\r\n\r\n')
            return
        time.sleep(30)
        self.close_connection = True

    def route_huge(self, query, body):
        n = int(query.get('bytes', '1000000'))
        self.send_response(200)
        self.send_header('Content-Type', 'application/octet-stream')
        self.send_header('Content-Length', str(n))
        self.end_headers()
        block = b'x' * 65536
        while n > 0:
            self.wfile.write(block[:n])
            n -= min(n, len(block))

    def route_chunked(self, query, body):
        n = int(query.get('bytes', '1000000'))
        self.send_response(200)
        self.send_header('Content-Type', 'application/octet-stream')
        self.send_header('Transfer-Encoding', 'chunked')
        self.end_headers()
        while n > 0:
            k = min(n, 16384)
            self.wfile.write(b'%x\r\n' % k + b'y' * k + b'\r\n')
            n -= k
        self.wfile.write(b'0\r\n\r\n')

    def route_gzip(self, query, body):
        data = gzip.compress(b'\0' * int(query.get('bytes', '1000000')))
        self.reply(200, data, ctype='application/octet-stream',
                   headers={'Content-Encoding': 'gzip'})

    def route_close_mid(self, query, body):
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', '1000')
        self.end_headers()
        self.wfile.write(b'{"data":"' + b'z' * 91)
        self.wfile.flush()
        self.close_connection = True

    def route_barrier(self, query, body):
        key, n = query.get('key', ''), int(query.get('n', '2'))
        deadline = time.monotonic() + 5
        with LOCK:
            ARRIVED[key] = ARRIVED.get(key, 0) + 1
            LOCK.notify_all()
            while ARRIVED[key] < n and time.monotonic() < deadline:
                LOCK.wait(deadline - time.monotonic())
            ok = ARRIVED[key] >= n
        self.reply(200 if ok else 504, {'arrived': ok})

    def route_log(self, query, body):
        with LOCK:
            self.reply(200, [line for line in LOG if not line.endswith(' /log')])


def socks5(conn):
    """Just enough SOCKS5 (RFC 1928, 1929) to refuse in each way a test needs."""
    def take(n):
        data = b''
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise ConnectionError('closed')
            data += chunk
        return data
    _ver, n = take(2)
    if 2 not in take(n):
        conn.sendall(b'\x05\xff')
        return
    conn.sendall(b'\x05\x02')
    _v = take(1)
    user = take(take(1)[0])
    password = take(take(1)[0])
    if (user, password) != (b'u', b'pw'):
        conn.sendall(b'\x01\x01')
        return
    conn.sendall(b'\x01\x00')
    _ver, _cmd, _rsv, atyp = take(4)
    name = take(take(1)[0]) if atyp == 3 else take(4 if atyp == 1 else 16)
    take(2)
    reply = 5 if name == b'refused.test' else 4
    conn.sendall(struct.pack('!BBBB4sH', 5, reply, 0, 1, b'\0\0\0\0', 0))


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def finish_request(self, request, client_address):
        try:
            first = request.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if first != b'\x05':
            return super().finish_request(request, client_address)
        try:
            socks5(request)
        except (ConnectionError, OSError):
            pass

    def handle_error(self, request, client_address):
        pass  # a client that hangs up mid-answer is what several tests do on purpose


def main():
    server = Server(('127.0.0.1', 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()  # EOF: the test is done (or died)
    os._exit(0)


if __name__ == '__main__':
    main()
