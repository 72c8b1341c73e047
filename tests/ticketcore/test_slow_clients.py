"""Slow clients must not starve the web role's threads (issue 13 items 2 and 14, docs/adr/0020).

Each test starts the real `bin/ticketcore web` (granian, 2 workers x 4 threads) and opens raw
sockets that send a request's headers and part of its body, then nothing: the classic slow-body
attack. Real scans and /healthz must keep answering while they are held open."""
from __future__ import annotations

import json
import socket
import statistics
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

from tests.conftest import code_for, make_device, sell
from tests.servers import ROOT, child_env, server_process

pytestmark = pytest.mark.django_db(transaction=True)

BIN = str(ROOT / "bin" / "ticketcore")
ANSWER_TIMEOUT_S = 10  # "answers at all", not a latency target: latency figures go to docs/security.md


def web(**env):
    return server_process(lambda port: ["env", f"PORT={port}", BIN, "web"], name="bin/ticketcore web",
                          env=child_env(WEB_WORKERS="2", WEB_THREADS="4", THROTTLE_PAIR_PER_MIN="100000", **env))


def slow_request(url: str, path: str, headers: dict, declared: int) -> socket.socket:
    """Headers and a fragment of the body, then silence."""
    port = int(url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {declared}",
             *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + b'{"code": "')
    return sock


def still_waiting(sock: socket.socket) -> bool:
    """True while the server has neither answered nor closed the connection."""
    sock.settimeout(0.05)
    try:
        sock.recv(1)
    except TimeoutError:
        return True
    return False


def scan(url: str, token: str, code: str) -> tuple[int, dict, float]:
    body = json.dumps({"code": code, "direction": "in", "scan_id": str(uuid.uuid4())}).encode()
    req = urllib.request.Request(f"{url}/api/v1/scan", data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Device {token}"})
    started = time.monotonic()
    with urllib.request.urlopen(req, timeout=ANSWER_TIMEOUT_S) as r:
        return r.status, json.loads(r.read()), time.monotonic() - started


def healthz(url: str) -> float:
    started = time.monotonic()
    with urllib.request.urlopen(f"{url}/healthz", timeout=ANSWER_TIMEOUT_S) as r:
        assert r.status == 200
    return time.monotonic() - started


def open_slow_clients(url: str, token: str, n: int = 50) -> tuple[list[socket.socket], list[socket.socket]]:
    """n slow clients on the scan endpoint (a real device token), pairing (no credentials) and a
    plain form POST (the admin login). Returns (all sockets, those the server must keep waiting
    on: declared bodies it accepts but that never arrive)."""
    kinds = [
        ("/api/v1/scan", {"Authorization": f"Device {token}", "Content-Type": "application/json"}, 100_000),
        ("/api/v1/scan", {"Authorization": f"Device {token}", "Content-Type": "application/json"}, 600),
        ("/api/v1/devices/pair", {"Content-Type": "application/json"}, 100_000),
        ("/api/v1/devices/pair", {"Content-Type": "application/json"}, 300),
        ("/admin/login/", {"Content-Type": "application/x-www-form-urlencoded"}, 100_000),
    ]
    socks, held = [], []
    for i in range(n):
        path, headers, declared = kinds[i % len(kinds)]
        sock = slow_request(url, path, headers, declared)
        socks.append(sock)
        if not (path == "/api/v1/scan" and declared > 8192):
            held.append(sock)
    return socks, held


@pytest.fixture
def door(transactional_db):
    from tests.conftest import make_event
    from tickets.services import generate_tickets

    event = make_event()
    generate_tickets(event_id=event.event_id)
    seats = [f"A-{i}" for i in range(1, 6)] + [f"B-{i}" for i in range(1, 11)]
    sell(event, *seats)
    _, token = make_device(event)
    return token, [code_for(event, s) for s in seats]


def test_fifty_slow_clients_do_not_stop_scans_or_healthz(door):
    token, codes = door
    with web(WEB_BODY_TIMEOUT_S="120") as url:  # the slow clients stay within their deadline
        socks, held = open_slow_clients(url, token)
        try:
            scans, checks = [], []
            for code in codes:  # every real request must be answered while the 50 are open
                status, body, took = scan(url, token, code)
                assert (status, body["result"]) == (200, "accepted"), body
                scans.append(took)
                checks.append(healthz(url))
            # ... and the server really was holding the slow ones, not dropping them
            assert all(still_waiting(s) for s in held), "the server gave up on slow clients early"
        finally:
            for s in socks:
                s.close()
    print(f"\nwith 50 slow clients open: scan median {1000 * statistics.median(scans):.1f} ms, "
          f"max {1000 * max(scans):.1f} ms; /healthz median {1000 * statistics.median(checks):.1f} ms, "
          f"max {1000 * max(checks):.1f} ms ({len(scans)} each)")


def test_negative_control_granian_wsgi_mode_is_starved_by_the_same_clients(door):
    """The same clients against granian's WSGI mode (WEB_INTERFACE=wsgi): its threads block on
    the bodies, so /healthz gets no answer. Shows the test above can fail."""
    token, _ = door
    with web(WEB_INTERFACE="wsgi") as url:
        socks, _ = open_slow_clients(url, token)
        try:
            deadline = time.monotonic() + 20
            starved = False
            while not starved and time.monotonic() < deadline:  # until the slow bodies hold every thread
                try:
                    urllib.request.urlopen(f"{url}/healthz", timeout=2).read()
                except (TimeoutError, urllib.error.URLError):
                    starved = True
            assert starved, "granian's WSGI mode kept answering: the slow clients did not reach its threads"
        finally:
            for s in socks:
                s.close()


def test_scan_refuses_a_large_body_and_answers_without_credentials_before_any_body(door):
    token, _ = door
    with web() as url:
        big = slow_request(url, "/api/v1/scan", {"Authorization": f"Device {token}",
                                                 "Content-Type": "application/json"}, 100_000)
        anonymous = slow_request(url, "/api/v1/scan", {"Content-Type": "application/json"}, 600)
        try:
            for sock, status, code in ((big, 413, "payload_too_large"), (anonymous, 401, "not_authenticated")):
                sock.settimeout(ANSWER_TIMEOUT_S)
                answer = sock.recv(65536).decode()
                assert answer.startswith(f"HTTP/1.1 {status}"), answer
                assert f'"code": "{code}"' in answer or f'"code":"{code}"' in answer, answer
        finally:
            big.close()
            anonymous.close()


def test_a_body_that_misses_its_deadline_gets_408_and_frees_nothing_it_never_took(door):
    token, codes = door
    with web(WEB_BODY_TIMEOUT_S="1") as url:
        sock = slow_request(url, "/api/v1/devices/pair", {"Content-Type": "application/json"}, 300)
        try:
            sock.settimeout(ANSWER_TIMEOUT_S)
            answer = sock.recv(65536).decode()
            assert answer.startswith("HTTP/1.1 408"), answer
            assert "request_timeout" in answer
        finally:
            sock.close()
        status, body, _ = scan(url, token, codes[0])
        assert body["result"] == "accepted"


def test_threads_are_shared_fairly_under_concurrent_scans(door):
    """Sixteen scans at once on eight threads: all answered (the pool queues, never drops)."""
    token, codes = door
    results: list = []
    with web() as url:
        def one(code):
            try:
                results.append(scan(url, token, code)[1]["result"])
            except Exception as exc:  # collected and asserted below
                results.append(exc)
        threads = [threading.Thread(target=one, args=(c,)) for c in codes]
        [t.start() for t in threads]
        [t.join(ANSWER_TIMEOUT_S * 2) for t in threads]
    assert results.count("accepted") == len(codes), results
