"""scripts/proxy.py with real sockets: in front of a real HTTP/1.1 server that reports what it
received, it sets the forwarding headers on every request of a kept-alive connection (a client's
own copies dropped), passes bodies and upgraded connections through byte for byte, refuses the
request shapes that smuggle, and keeps waiting connections alive through garbage collection."""
from __future__ import annotations

import asyncio
import gc
import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scripts import tls
from scripts.proxy import Proxy, listen


class Echo(BaseHTTPRequestHandler):
    """Answers every request with what it received: request line, headers (all copies), body."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while size := int(self.rfile.readline().split(b";")[0], 16):
                out += self.rfile.read(size)
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b""):
                pass
            return out
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self):
        if self.headers.get("Upgrade"):
            self.wfile.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
            self.wfile.flush()
            while data := self.connection.recv(65536):  # an "upgraded" protocol: echo
                self.connection.sendall(data)
            self.close_connection = True
            return
        self._answer(b"")

    def do_POST(self):
        if self.path == "/slow":  # the first half of the body, then tell the test, then the rest
            first = self.rfile.read(5)
            self.server.first_half_received.set()
            self._answer(first + self.rfile.read(int(self.headers["Content-Length"]) - 5))
            return
        self._answer(self._body())

    def _answer(self, body: bytes):
        seen = {"line": self.requestline, "headers": [[k.lower(), v] for k, v in self.headers.items()],
                "body": body.decode("latin-1")}
        out = json.dumps(seen).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


@pytest.fixture
def upstream():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    server.daemon_threads = True
    server.first_half_received = threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(upstream, tmp_path):
    """The proxy on its own event loop thread; HTTPS with a certificate of the local CA, plain
    HTTP on a second instance."""
    made = tls.ensure(tmp_path / "tls", [])
    loop = asyncio.new_event_loop()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(made.cert_path, made.key_path)
    plain_sock, tls_sock = listen("127.0.0.1", 0), listen("127.0.0.1", 0)
    port = upstream.server_address[1]
    plain = Proxy(http_port=port, ws_port=port)
    secure = Proxy(http_port=port, ws_port=port, tls=ctx, public_url="https://localhost:1")

    def run():
        asyncio.set_event_loop(loop)
        loop.create_task(plain.serve(plain_sock))
        loop.create_task(secure.serve(tls_sock))
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    class Ports:
        backend = upstream
        http = plain_sock.getsockname()[1]
        https = tls_sock.getsockname()[1]
        ca = made.ca_path

    yield Ports

    async def shutdown():
        others = asyncio.all_tasks() - {asyncio.current_task()}
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    asyncio.run_coroutine_threadsafe(shutdown(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()
    plain_sock.close()
    tls_sock.close()


def connect(port: int, ca=None) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    if ca is not None:
        sock = ssl.create_default_context(cafile=str(ca)).wrap_socket(sock, server_hostname="localhost")
    return sock


def read_response(sock: socket.socket) -> tuple[str, dict, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", 0))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside a body"
        body += chunk
    return lines[0], headers, body


def seen(body: bytes) -> dict:
    got = json.loads(body)
    got["forwarded"] = {k: [v for n, v in got["headers"] if n == k]
                        for k in ("x-forwarded-proto", "x-forwarded-for", "forwarded", "x-forwarded-host")}
    return got


SPOOFED = (b"X-Forwarded-For: 203.0.113.66\r\nX-Forwarded-Proto: https\r\nForwarded: for=203.0.113.66\r\n"
           b"X-Forwarded-Host: evil.example\r\n")


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_every_request_of_a_connection_carries_the_proxys_forwarding_headers(proxy, scheme):
    sock = connect(proxy.http if scheme == "http" else proxy.https, proxy.ca if scheme == "https" else None)
    with sock:
        for path in ("/first", "/second", "/third"):  # one kept-alive connection
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n".encode() + SPOOFED + b"\r\n")
            status, _, body = read_response(sock)
            got = seen(body)
            assert status.endswith("200 OK") and got["line"] == f"GET {path} HTTP/1.1"
            assert got["forwarded"] == {"x-forwarded-proto": [scheme], "x-forwarded-for": ["127.0.0.1"],
                                        "forwarded": [], "x-forwarded-host": []}, got["headers"]


def test_bodies_pass_through_between_requests(proxy):
    with connect(proxy.https, proxy.ca) as sock:
        sock.sendall(b"POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 11\r\n\r\nhello world")
        assert seen(read_response(sock)[2])["body"] == "hello world"
        # A body that looks like a request must stay a body.
        sneaky = b"GET /admin HTTP/1.1\r\nHost: x\r\n\r\n"
        sock.sendall(b"POST /b HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                     + f"{len(sneaky):x}\r\n".encode() + sneaky + b"\r\n5;ext=1\r\nworld\r\n0\r\n\r\n")
        got = seen(read_response(sock)[2])
        assert got["line"] == "POST /b HTTP/1.1" and got["body"] == sneaky.decode() + "world"
        sock.sendall(b"GET /c HTTP/1.1\r\nHost: localhost\r\n\r\n")
        got = seen(read_response(sock)[2])
        assert got["line"] == "GET /c HTTP/1.1" and got["forwarded"]["x-forwarded-proto"] == ["https"]


@pytest.mark.parametrize("request_bytes", [
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n folded: header\r\n\r\n",
    b"NONSENSE\r\n\r\n",
])
def test_ambiguous_requests_are_refused(proxy, request_bytes):
    with connect(proxy.http) as sock:
        sock.sendall(request_bytes)
        status, _, _ = read_response(sock)
        assert status == "HTTP/1.1 400 Bad Request"


def test_waiting_connections_survive_garbage_collection(proxy):
    """asyncio keeps only weak references to tasks; a connection waiting for the rest of a body,
    or an upgraded (WebSocket) connection waiting for the next frame, must not be collected."""
    with connect(proxy.https, proxy.ca) as body_sock, connect(proxy.http) as upgraded:
        body_sock.sendall(b"POST /slow HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nhello")
        upgraded.sendall(b"GET /ws/x HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
        assert upgraded.recv(65536).startswith(b"HTTP/1.1 101")
        upgraded.sendall(b"ping")
        assert upgraded.recv(65536) == b"ping"
        # Both proxy connections now wait: for the rest of the body, for the next frame.
        assert proxy.backend.first_half_received.wait(10)
        for port, ca in ((proxy.https, proxy.ca), (proxy.http, None)):  # other phones come and go
            with connect(port, ca) as other:
                other.sendall(b"GET /other HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                assert read_response(other)[0].endswith("200 OK")
        gc.collect()
        body_sock.sendall(b"world")
        assert seen(read_response(body_sock)[2])["body"] == "helloworld"
        upgraded.sendall(b"pong")
        assert upgraded.recv(65536) == b"pong"
