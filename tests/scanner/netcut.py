"""A TCP proxy the tests can cut, for the scanner's online/offline switch (tests/scanner/
test_connection.py). The browser talks to the proxy, the proxy to the real server.

- `pass`: bytes flow both ways.
- `blackhole`: a partition: connections stay open and nothing comes back (bytes are read and
  dropped both ways, new connections are accepted and never answered). This is the hard case for
  a phone: no error, only silence, as on a venue Wi-Fi that lost its uplink.
- back to `pass`: the connections that lived through the partition are reset (their HTTP
  streams lost bytes), new ones flow again at once.

`cut_at` / `healed_at` are the monotonic instants of the last switches: the tests measure from
them."""
from __future__ import annotations

import socket
import struct
import threading
import time


class CuttableProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.mode = "pass"
        self.cut_at: float | None = None
        self.healed_at: float | None = None
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    # ------------------------------------------------------------------ switching

    def blackhole(self) -> None:
        with self._lock:
            self.mode = "blackhole"
            self.cut_at = time.monotonic()

    def heal(self) -> None:
        with self._lock:
            self.mode = "pass"
            stale, self._sockets = self._sockets, set()
            for sock in stale:
                _reset(sock)
            self.healed_at = time.monotonic()

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        self.heal()

    # ------------------------------------------------------------------ plumbing

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with self._lock:
            self._sockets.add(client)
            silent = self.mode == "blackhole"
        if silent:
            self._pump(client, None)  # read and drop until reset
            return
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
            upstream.settimeout(None)
        except OSError:
            _reset(client)
            return
        with self._lock:
            self._sockets.add(upstream)
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        self._pump(client, upstream)

    def _pump(self, src: socket.socket, dst: socket.socket | None) -> None:
        try:
            while data := src.recv(65536):
                if dst is not None and self.mode == "pass":
                    dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                if sock is not None:
                    _reset(sock)


def _reset(sock: socket.socket) -> None:
    """Drop the connection (linger 0: no lingering data); shutdown first, so a thread blocked in
    recv() on it returns."""
    for step in (lambda: sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)),
                 lambda: sock.shutdown(socket.SHUT_RDWR), sock.close):
        try:
            step()
        except OSError:
            pass
