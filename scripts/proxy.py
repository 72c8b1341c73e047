"""The reverse proxy in front of `make run`'s roles: `/ws/...` connections go to daphne, everything
else to granian, as nginx or HAProxy route in production. With `--tls-cert` it also terminates
HTTPS for phones on the venue network (docs/adr/0025): a phone's browser gives a page the camera
only over HTTPS or on localhost.

Each request's head is rewritten on its way through: the proxy sets `X-Forwarded-Proto` (so Django
knows the request came over HTTPS: CSRF origins, absolute links) and `X-Forwarded-For` (so the
pairing throttle and the admin lockout count each phone, not the proxy), replacing whatever the
client sent. Bodies, responses and WebSocket frames pass through untouched. A connection is
routed by its first request: browsers open a fresh connection for a WebSocket.

On an HTTPS port the proxy also answers, itself: plain HTTP with a redirect to the HTTPS address
(someone typed `http://`), and `/ticketcore-ca.crt` with the local CA certificate (public, not
secret), so a phone can install it (README "At the venue"). A development and venue
convenience, not a production component."""
from __future__ import annotations

import argparse
import asyncio
import socket
import ssl
from pathlib import Path

HEAD_LIMIT = 64 * 1024
FIRST_REQUEST_TIMEOUT_S = 30
# A kept-alive connection with no next request is closed after this (the browser opens another);
# a phone that left the Wi-Fi without closing its connections does not hold them forever.
IDLE_TIMEOUT_S = 120
DRAIN_TIMEOUT_S = 60
CA_PATH = b"/ticketcore-ca.crt"
# Set by the proxy on every request; a client's own copies are dropped.
FORWARDING = {b"x-forwarded-proto", b"x-forwarded-for", b"x-forwarded-host", b"forwarded"}


class BadRequest(Exception):
    pass


class Request:
    """One request head: its target and how its body is framed."""

    def __init__(self, head: bytes):
        lines = head[:-4].split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
            raise BadRequest("request line")
        self.method, self.target, _ = parts
        self.path = self.target.split(b"?", 1)[0]
        self.lines = lines
        self.headers: dict[bytes, list[bytes]] = {}
        for line in lines[1:]:
            if line[:1] in (b" ", b"\t") or b":" not in line:
                raise BadRequest("header line")  # obsolete line folding or garbage
            name, value = line.split(b":", 1)
            self.headers.setdefault(name.strip().lower(), []).append(value.strip())
        te = b",".join(self.headers.get(b"transfer-encoding", [])).lower()
        lengths = set(self.headers.get(b"content-length", []))
        if te and lengths:
            raise BadRequest("both Transfer-Encoding and Content-Length")  # a smuggling attempt
        self.chunked = bool(te)
        if te and not te.replace(b" ", b"").endswith(b"chunked"):
            raise BadRequest("transfer-encoding")
        if len(lengths) > 1 or (lengths and not next(iter(lengths)).isdigit()):
            raise BadRequest("content-length")
        self.length = int(next(iter(lengths))) if lengths else 0
        self.upgrade = b"upgrade" in self.headers

    def forwarded(self, scheme: bytes, client: str) -> bytes:
        kept = [line for line in self.lines[1:] if line.split(b":", 1)[0].strip().lower() not in FORWARDING]
        return b"\r\n".join([self.lines[0], *kept, b"X-Forwarded-Proto: " + scheme,
                             b"X-Forwarded-For: " + client.encode()]) + b"\r\n\r\n"


async def read_head(reader: asyncio.StreamReader, timeout: float | None) -> bytes | None:
    try:
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    except asyncio.LimitOverrunError:
        raise BadRequest("head too large")
    except (asyncio.IncompleteReadError, TimeoutError, ConnectionError, ssl.SSLError, OSError):
        return None


async def copy_exact(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
    while n > 0:
        data = await reader.read(min(n, 65536))
        if not data:
            raise ConnectionError("client went away inside a body")
        writer.write(data)
        await writer.drain()
        n -= len(data)


async def copy_chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        line = await reader.readuntil(b"\r\n")
        writer.write(line)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BadRequest("chunk size")
        if size == 0:
            while (trailer := await reader.readuntil(b"\r\n")) != b"\r\n":
                writer.write(trailer)
            writer.write(b"\r\n")
            return
        await copy_exact(reader, writer, size + 2)


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError, OSError):
        pass


def close(writer: asyncio.StreamWriter) -> None:
    try:
        writer.close()
    except (OSError, RuntimeError):  # already closed or broken, or its loop is gone
        pass


def simple_response(status: str, headers: dict[str, str], body: bytes = b"", *, head_only: bool = False) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()),
             f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + (b"" if head_only else body)


class Proxy:
    def __init__(self, *, http_port: int, ws_port: int, tls: ssl.SSLContext | None = None,
                 public_url: str = "", ca_pem: bytes | None = None):
        self.http_port, self.ws_port, self.tls = http_port, ws_port, tls
        self.public_url, self.ca_pem = public_url.rstrip("/"), ca_pem
        # The event loop keeps only weak references to tasks: one waiting on a socket the loop no
        # longer watches could be collected mid-request (the browser sees an empty response).
        self.tasks: set[asyncio.Task] = set()

    # --- accepting: plain or TLS, told apart by the first byte (a TLS handshake record is 0x16)
    async def serve(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        sock.setblocking(False)
        while True:
            conn, addr = await loop.sock_accept(sock)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            task = asyncio.create_task(self.accepted(conn, addr[0]))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def accepted(self, conn: socket.socket, client: str) -> None:
        loop = asyncio.get_running_loop()
        client = client.removeprefix("::ffff:")  # an IPv4 phone on a dual-stack socket
        try:
            use_tls = self.tls is not None and (await self._peek(conn))[:1] == b"\x16"
            reader = asyncio.StreamReader(limit=HEAD_LIMIT)
            protocol = asyncio.StreamReaderProtocol(reader)
            transport, _ = await loop.connect_accepted_socket(
                lambda: protocol, conn, ssl=self.tls if use_tls else None,
                ssl_handshake_timeout=FIRST_REQUEST_TIMEOUT_S if use_tls else None)
        except (OSError, ssl.SSLError, TimeoutError, ConnectionError):
            conn.close()  # a phone that refused the certificate, or a port scan
            return
        writer = asyncio.StreamWriter(transport, protocol, reader, loop)
        try:
            await self.connection(reader, writer, b"https" if use_tls else b"http", client)
        except (BadRequest, ConnectionError, ssl.SSLError, OSError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError, TimeoutError):
            pass
        finally:
            close(writer)

    @staticmethod
    async def _peek(conn: socket.socket) -> bytes:
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        loop.add_reader(conn.fileno(), lambda: ready.done() or ready.set_result(None))
        try:
            await asyncio.wait_for(ready, FIRST_REQUEST_TIMEOUT_S)
        finally:
            loop.remove_reader(conn.fileno())
        return conn.recv(1, socket.MSG_PEEK)

    # --- one client connection
    def _own_answer(self, request: Request, scheme: bytes) -> bytes | None:
        """What the proxy answers itself, or None to pass the request on."""
        head_only = request.method == b"HEAD"
        if self.ca_pem and request.path == CA_PATH and request.method in (b"GET", b"HEAD"):
            return simple_response("200 OK", {
                "Content-Type": "application/x-x509-ca-cert", "Cache-Control": "no-store",
                "Content-Disposition": 'attachment; filename="ticketcore-ca.crt"'}, self.ca_pem, head_only=head_only)
        if self.tls is not None and scheme == b"http":
            target = request.target.decode("latin-1") if request.target.startswith(b"/") else "/"
            host = (request.headers.get(b"host") or [b""])[0].decode("latin-1")
            location = f"{self.public_url or 'https://' + host}{target}"
            return simple_response("307 Temporary Redirect", {"Location": location, "Content-Type": "text/plain"},
                                   f"This server speaks HTTPS: {location}\n".encode("latin-1"), head_only=head_only)
        return None

    async def connection(self, reader, writer, scheme: bytes, client: str) -> None:
        head = await read_head(reader, FIRST_REQUEST_TIMEOUT_S)
        if head is None:
            return
        try:
            request = Request(head)
        except BadRequest:
            writer.write(simple_response("400 Bad Request", {}))
            return
        if (answer := self._own_answer(request, scheme)) is not None:
            writer.write(answer)
            await writer.drain()
            return
        port = self.ws_port if request.path.startswith(b"/ws/") else self.http_port
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port, limit=HEAD_LIMIT)
        except OSError:
            writer.write(simple_response("502 Bad Gateway", {}))
            return
        holding = False  # True while the proxy means to answer the client itself after upstream

        async def responses() -> None:
            await pipe(up_reader, writer)
            if not holding:
                close(writer)  # upstream closed (keep-alive timeout, a crash): so does the client

        down = asyncio.create_task(responses())
        try:
            while True:
                up_writer.write(request.forwarded(scheme, client))
                if request.upgrade:  # a WebSocket: from here on, frames both ways
                    await pipe(reader, up_writer)
                    break
                if request.chunked:
                    await copy_chunked(reader, up_writer)
                elif request.length:
                    await copy_exact(reader, up_writer, request.length)
                await up_writer.drain()
                head = await read_head(reader, IDLE_TIMEOUT_S)
                if head is None:
                    break
                request = Request(head)
                if (answer := self._own_answer(request, scheme)) is not None:
                    # Answers to the earlier requests first: let upstream finish, then ours.
                    holding = True
                    if up_writer.can_write_eof():
                        up_writer.write_eof()
                    await asyncio.wait_for(asyncio.shield(down), DRAIN_TIMEOUT_S)
                    writer.write(answer)
                    await writer.drain()
                    break
        finally:
            try:
                if not up_writer.is_closing() and up_writer.can_write_eof():
                    up_writer.write_eof()  # the client is done: upstream finishes its answers
            except OSError:
                pass
            try:
                await asyncio.wait_for(asyncio.shield(down), DRAIN_TIMEOUT_S)
            except TimeoutError:
                pass
            down.cancel()
            close(up_writer)


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])  # granian and daphne behind us speak HTTP/1.1
    return ctx


def listen(host: str, port: int) -> socket.socket:
    """A listening socket; "::" means every interface, IPv4 and IPv6 where the machine has both."""
    if host in ("::", ""):
        if socket.has_dualstack_ipv6():
            return socket.create_server(("::", port), family=socket.AF_INET6, dualstack_ipv6=True, backlog=1024)
        host = "0.0.0.0"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=1024)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (:: = every interface)")
    parser.add_argument("--http", type=int, required=True)
    parser.add_argument("--ws", type=int, required=True)
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", help="... and this private key (PEM)")
    parser.add_argument("--ca-cert", help="the local CA certificate, offered at /ticketcore-ca.crt")
    parser.add_argument("--public-url", default="", help="where plain HTTP on the HTTPS port is sent")
    args = parser.parse_args()
    proxy = Proxy(http_port=args.http, ws_port=args.ws,
                  tls=tls_context(args.tls_cert, args.tls_key) if args.tls_cert else None,
                  public_url=args.public_url, ca_pem=Path(args.ca_cert).read_bytes() if args.ca_cert else None)
    await proxy.serve(listen(args.host, args.port))


if __name__ == "__main__":
    asyncio.run(main())
