"""Streamed responses through the real granian server and the RSGI front (ticketcore/web.py,
ticketcore/web_stream.py; docs/adr/0030): the first chunk can be read while the rest is still to be
produced, a client that stops reading stops the producer (back-pressure) and, after
WEB_SEND_TIMEOUT_S, frees the thread; a client that leaves closes the generator; the worker's
memory does not grow with the body. The application is tests/ticketcore/streaming_app.py, which
reports from inside the worker how far its generator has gone."""
from __future__ import annotations

import json
import socket
import time

import pytest

from tests.servers import ROOT, child_env, server_process

CHUNK = 128 * 1024
CHUNKS = 400  # 50 MiB: far more than the pipe, granian's buffer and the kernel's socket buffers hold


@pytest.fixture(scope="module")
def streaming_server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("stream-progress")
    granian = str(ROOT / ".venv" / "bin" / "granian")
    env = child_env(STREAM_PROGRESS_DIR=str(tmp_path), WEB_SEND_TIMEOUT_S="2")
    with server_process(lambda port: [granian, "--interface", "rsgi", "--no-ws", "--workers", "1", "--port", str(port),
                                      "--log-level", "warning", "tests.ticketcore.streaming_app:application"],
                        name="granian (streaming app)", env=env) as url:
        yield url, tmp_path


def progress(directory, name: str) -> dict:
    try:
        return json.loads((directory / name).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def wait_for(check, *, deadline_s: float = 30):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)  # polling the worker's report until the deadline
    raise AssertionError("condition not met before the deadline")


def open_stream(url: str, name: str, *, chunks: int = CHUNKS) -> socket.socket:
    port = int(url.rsplit(":", 1)[1])
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)  # a small window: the server feels a slow reader
    sock.connect(("127.0.0.1", port))
    sock.settimeout(30)
    sock.sendall(f"GET /stream?id={name}&chunks={chunks}&size={CHUNK} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return sock


def read_at_least(sock: socket.socket, size: int) -> bytes:
    got = bytearray()
    while len(got) < size:
        data = sock.recv(65536)
        if not data:
            break
        got += data
    return bytes(got)


def test_first_chunk_arrives_before_the_generator_has_run_to_the_end(streaming_server):
    url, directory = streaming_server
    sock = open_stream(url, "first")
    try:
        head = read_at_least(sock, CHUNK)
        assert head.startswith(b"HTTP/1.1 200"), head[:200]
        assert b"transfer-encoding: chunked" in head.lower()
        assert b"00000000xxxx" in head  # the first chunk's own bytes
        # Collected before sending (the old front), the first byte came after the last chunk.
        assert progress(directory, "first")["produced"] < CHUNKS
    finally:
        sock.close()


def test_a_client_that_stops_reading_stops_the_generator_and_the_server_gives_up(streaming_server):
    url, directory = streaming_server
    sock = open_stream(url, "stalled")
    try:
        read_at_least(sock, CHUNK)
        # Then nothing more is read. The full pipe blocks the writer, hence the generator; after
        # WEB_SEND_TIMEOUT_S (2 s here) the writer gives up and closes it. Without back-pressure it
        # would have produced every chunk into the server's memory first.
        state = wait_for(lambda: (s := progress(directory, "stalled")).get("closed") and s)
        assert state["produced"] < CHUNKS // 2, state
    finally:
        sock.close()


def test_a_client_that_leaves_closes_the_generator(streaming_server):
    url, directory = streaming_server
    sock = open_stream(url, "leaves")
    read_at_least(sock, CHUNK)
    sock.close()
    state = wait_for(lambda: (s := progress(directory, "leaves")).get("closed") and s, deadline_s=20)
    assert state["produced"] < CHUNKS // 2, state


def test_the_whole_body_arrives_and_the_workers_memory_stays_bounded(streaming_server):
    url, directory = streaming_server
    sock = open_stream(url, "whole")
    try:
        received = bytearray()
        while True:
            data = sock.recv(65536)
            if not data:
                break
            received += data
            if received.endswith(b"\r\n0\r\n\r\n"):
                break
    finally:
        sock.close()
    state = wait_for(lambda: (s := progress(directory, "whole")).get("closed") and s)
    assert state["produced"] == CHUNKS
    grown_mb = (state["rss_max_kb"] - state["rss_start_kb"]) / 1024
    # 50 MiB went through; collected before sending, the worker held all of it (and a copy).
    assert grown_mb < 12, state
    head, body = bytes(received).split(b"\r\n\r\n", 1)
    assert b"transfer-encoding: chunked" in head.lower()
    for i in (0, 1, CHUNKS // 2, CHUNKS - 1):  # every chunk arrived, in order
        assert f"{i:08d}xxxx".encode() in body
    assert body.index(b"00000001xxxx") < body.index(f"{CHUNKS - 1:08d}xxxx".encode())


def test_head_sends_the_headers_without_running_the_body(streaming_server):
    url, directory = streaming_server
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"HEAD /stream?id=head&chunks={CHUNKS}&size={CHUNK} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        head = read_at_least(sock, 1)
        assert head.startswith(b"HTTP/1.1 200")
    state = wait_for(lambda: (s := progress(directory, "head")).get("closed") and s, deadline_s=20)
    assert state["produced"] == 0
