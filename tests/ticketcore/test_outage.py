"""A database outage is 503 + Retry-After (+ the JSON error body under /api/), never 500, and
/readyz fails on a read-only or missing database (issue 13 item 3, issue 14 item 1).

A real server (`bin/ticketcore web`) talks to the real test database through a TCP proxy that
the test starts and then closes: established connections are cut and new ones refused, as when
PostgreSQL dies or its host drops off the network."""
from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
import uuid

import pytest
from django.db import connection
from accounts.services import create_staff_token

from tests.conftest import code_for, make_device, make_event, sell
from tests.servers import ROOT, child_env, free_port, server_process

pytestmark = pytest.mark.django_db(transaction=True)

BIN = str(ROOT / "bin" / "ticketcore")


class TcpProxy:
    """Forwards 127.0.0.1:<port> to the database; `stop()` closes the listener and cuts every
    connection, `start()` listens again on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.port = target, free_port()
        self.listener: socket.socket | None = None
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by stop()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (close() alone does not)
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


@pytest.fixture
def proxied_web(transactional_db):
    db = connection.settings_dict
    proxy = TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxy.start()
    env = child_env(WEB_KILL_TIMEOUT_S="3")
    env["DATABASE_URL"] = f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}"
    env["DB_CONNECT_TIMEOUT_S"] = "2"
    try:
        with server_process(lambda port: ["env", f"PORT={port}", BIN, "web"], name="bin/ticketcore web",
                            env=env) as url:
            yield url, proxy
    finally:
        proxy.stop()


def call(url: str, path: str, *, method: str = "GET", body: dict | None = None, headers: dict | None = None):
    """(status, headers, body bytes) without raising on 4xx/5xx."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def assert_unavailable_json(answer):
    status, headers, body = answer
    assert status == 503, (status, body[:300])
    assert int(headers["Retry-After"]) > 0
    assert headers["Content-Type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert error["code"] == "unavailable" and error["message"] and error["fields"] == {}


def test_database_outage_answers_503_with_retry_after_and_recovers(proxied_web, django_user_model):
    url, proxy = proxied_web
    event = make_event()
    from tickets.services import generate_tickets

    generate_tickets(event_id=event.event_id)
    sell(event, "A-1", "A-2", "A-3")
    _, device_token = make_device(event)
    staff = django_user_model.objects.create_user("ops", password="pw-ops-12345", is_staff=True)
    staff_token = create_staff_token(user=staff).token
    device = {"Authorization": f"Device {device_token}"}

    def scan(seat: str, scan_id: str):
        return call(url, "/api/v1/scan", method="POST", headers=device,
                    body={"code": code_for(event, seat), "direction": "in", "scan_id": scan_id})

    status, _, body = scan("A-1", str(uuid.uuid4()))
    assert (status, json.loads(body)["result"]) == (200, "accepted")
    assert call(url, "/readyz")[0] == 200

    proxy.stop()
    retried = str(uuid.uuid4())
    for _ in range(10):  # several requests: broken persistent connections first, then refused ones
        assert_unavailable_json(scan("A-2", retried))
    assert_unavailable_json(call(url, f"/api/v1/events/{event.event_id}", headers={"Authorization": f"Token {staff_token}"}))
    assert_unavailable_json(call(url, "/api/v1/devices/pair", method="POST", body={"pairing_code": "ABCDEFGH"}))
    assert_unavailable_json(call(url, "/api/v1/scan/sync", method="POST", headers=device, body={"scans": []}))
    # An HTML page that needs the database (the admin loads the session): a plain 503, not a 500.
    status, headers, body = call(url, "/admin/", headers={"Cookie": "sessionid=0123456789abcdefghijklmnopqrstuv"})
    assert status == 503 and int(headers["Retry-After"]) > 0, (status, body[:300])
    readyz = call(url, "/readyz")
    assert readyz[0] == 503 and json.loads(readyz[2])["database"]["ok"] is False
    assert call(url, "/healthz")[0] == 200  # the process itself is alive: no restart wanted

    proxy.start()
    status, _, body = scan("A-2", retried)  # the scanner retries the same scan: it goes through
    assert (status, json.loads(body)["result"]) == (200, "accepted"), body
    # Every request thread kept a connection from before the outage: none of them fails on it.
    assert [call(url, "/readyz")[0] for _ in range(12)] == [200] * 12


def test_a_kept_connection_the_server_closed_is_replaced_before_the_request_uses_it(client, settings):
    """A connection kept between requests (CONN_MAX_AGE) whose server process was terminated (a
    restart, an administrator, a failover dropping sessions) is noticed at the start of the next
    request and replaced: that request succeeds instead of failing once on the dead socket."""
    import select
    import time

    import psycopg

    settings.DEBUG = False
    assert client.get("/readyz").status_code == 200
    assert connection.connection is not None, "the connection is kept between requests"
    pid = connection.connection.info.backend_pid
    db = connection.settings_dict
    with psycopg.connect(dbname=db["NAME"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432,
                         user=db["USER"], autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
    deadline = time.monotonic() + 10
    while not select.select([connection.connection.pgconn.socket], [], [], 0.1)[0]:
        assert time.monotonic() < deadline, "the terminated backend's socket never became readable"
    try:
        response = client.get("/readyz")
        assert response.status_code == 200, response.content
        assert connection.connection.info.backend_pid != pid
    finally:
        connection.close()  # a failure here must not hand the dead connection to the next test


def test_readyz_fails_on_a_read_only_database_connection(transactional_db):
    """A demoted primary or a hot standby accepts connections but refuses every write: the load
    balancer must drop the host. Here the server's sessions are read-only through a connection
    option (`default_transaction_read_only`), as a standby's are."""
    env = child_env(WEB_KILL_TIMEOUT_S="3")
    ok = call_readyz(env)
    assert ok[0] == 200 and ok[1]["database"] == {"ok": True}
    env["DATABASE_URL"] += "?options=-c%20default_transaction_read_only%3Don"
    status, body = call_readyz(env)
    assert status == 503, body
    assert body["status"] == "unavailable" and body["database"] == {"ok": False, "error": "read_only"}


def call_readyz(env: dict):
    with server_process(lambda port: ["env", f"PORT={port}", BIN, "web"], name="bin/ticketcore web", env=env) as url:
        status, _, body = call(url, "/readyz")
    return status, json.loads(body)


def test_writes_refused_by_a_read_only_database_are_503_not_500(transactional_db):
    """During a failover the old primary refuses writes before the load balancer drops it: the
    scan answers 503 `unavailable`, so the scanner retries (another host takes it)."""
    event = make_event()
    from tickets.services import generate_tickets

    generate_tickets(event_id=event.event_id)
    sell(event, "A-1")
    _, token = make_device(event)
    env = child_env(WEB_KILL_TIMEOUT_S="3")
    env["DATABASE_URL"] += "?options=-c%20default_transaction_read_only%3Don"
    with server_process(lambda port: ["env", f"PORT={port}", BIN, "web"], name="bin/ticketcore web", env=env) as url:
        assert_unavailable_json(call(url, "/api/v1/scan", method="POST", headers={"Authorization": f"Device {token}"},
                                     body={"code": code_for(event, "A-1"), "direction": "in",
                                           "scan_id": str(uuid.uuid4())}))
