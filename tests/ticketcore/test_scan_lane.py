"""The scan lane (ticketcore/scan_lane.py, docs/adr/0035) answers exactly what Django's whole
request cycle answers: for the same request, the same status, body and headers, every header
included; and what the fast path declines reaches Django's path untouched, tried once.

Each case sends one request through the lane and the same request (same scan_id) through a fresh
Django WSGI handler built with the same settings: the scan is idempotent by scan_id, so the second
answer is the first one replayed, and any difference is the request cycle's."""
from __future__ import annotations

import io
import json
import uuid
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler

from access.fastpath import DECLINED
from access.models import Scan
from devices import throttling
from devices.models import hash_token
from tests.conftest import code_for, make_device, make_event, sell
from tickets.services import generate_tickets
from ticketcore.scan_lane import HOUSEKEEPING, RUN, SKIPPED, ScanLane
from ticketcore.web import SCAN_PATH, build_environ

pytestmark = pytest.mark.django_db(transaction=True)


class Headers(dict):
    """granian's scope.headers: a mapping of lower-case names."""


def environ_for(token: str | None, body: dict, *, host: str = "testserver", extra: dict | None = None) -> dict:
    raw = json.dumps(body).encode()
    headers = Headers({"host": host, "content-type": "application/json", "content-length": str(len(raw)),
                       **({"authorization": f"Device {token}"} if token else {}), **(extra or {})})
    scope = SimpleNamespace(server="127.0.0.1:8001", method="POST", path=SCAN_PATH, query_string="",
                            http_version="1.1", client="10.0.0.7:50000", scheme="http", headers=headers,
                            authority=host)
    return build_environ(scope, raw)


def through_django(environ: dict):
    environ = {**environ, "wsgi.input": io.BytesIO(environ["wsgi.input"].getvalue())}
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer.update(status=int(status.split(" ", 1)[0]), headers=headers)

    response = WSGIHandler()(environ, start_response)  # built now: the middlewares read today's settings
    try:
        body = b"".join(response)
    finally:
        response.close()
    return answer["status"], answer["headers"], body


def through_lane(environ: dict):
    environ = {**environ, "wsgi.input": io.BytesIO(environ["wsgi.input"].getvalue())}
    return ScanLane().answer(environ)


def same(lane_answer, django_answer):
    assert lane_answer is not None, "the lane declined a plain scan"
    (ls, lh, lb), (ds, dh, db) = lane_answer, django_answer
    assert ls == ds
    assert lb == db
    assert sorted((k.lower(), v) for k, v in lh) == sorted((k.lower(), v) for k, v in dh)


@pytest.fixture
def door():
    event = make_event()
    generate_tickets(event_id=event.event_id)
    sell(event, "A-1", "A-2", "A-3", "A-4", "A-5", "B-1")
    _, token = make_device(event)
    return event, token


CASES = {
    "accepted": ("A-1", {}),
    "spanish": ("A-2", {"accept-language": "es-ES,es;q=0.9"}),
    "language cookie over the browser's": ("A-3", {"accept-language": "es", "cookie": "django_language=en"}),
    "forged code": (None, {}),
}


@pytest.mark.parametrize("lane_first", [True, False], ids=["lane first", "django first"])
@pytest.mark.parametrize("case", list(CASES))
def test_the_lane_answers_what_django_answers(door, case, lane_first):
    event, token = door
    seat, extra = CASES[case]
    code = code_for(event, seat) if seat else code_for(event, "A-5")[:-4] + "AAAA"
    environ = environ_for(token, {"code": code, "direction": "in", "scan_id": str(uuid.uuid4())}, extra=extra)
    if lane_first:
        lane = through_lane(environ)
        django = through_django(environ)
    else:
        django = through_django(environ)
        lane = through_lane(environ)
    same(lane, django)
    assert lane[0] == 200 and json.loads(lane[2])["result"] == ("rejected" if seat is None else "accepted")
    assert Scan.objects.filter(scan_id=json.loads(lane[2])["scan_id"]).count() == 1


def test_a_second_entry_and_https_headers_match_too(door, settings):
    """Behind the TLS proxy (X-Forwarded-Proto): HSTS and the other security headers, and the
    already_inside answer with its first_entry."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    event, token = door
    proto = {"x-forwarded-proto": "https"}
    first = environ_for(token, {"code": code_for(event, "A-4"), "direction": "in", "scan_id": str(uuid.uuid4())},
                        extra=proto)
    assert json.loads(through_lane(first)[2])["result"] == "accepted"
    again = environ_for(token, {"code": code_for(event, "A-4"), "direction": "in", "scan_id": str(uuid.uuid4())},
                        extra=proto)
    lane = through_lane(again)
    same(lane, through_django(again))
    assert json.loads(lane[2])["reason"] == "already_inside"
    assert ("Strict-Transport-Security", "max-age=3600") in lane[1]


def test_an_error_inside_the_scan_is_djangos_500(door, monkeypatch):
    from access import services

    def broken(*args, **kwargs):
        raise RuntimeError("a bug after the scan was recorded")

    monkeypatch.setattr(services, "_finish", broken)
    event, token = door
    environ = environ_for(token, {"code": code_for(event, "A-5"), "direction": "in", "scan_id": str(uuid.uuid4())})
    lane = through_lane(environ)
    same(lane, through_django(environ))
    assert lane[0] == 500 and json.loads(lane[2])["error"]["code"] == "server_error"


def throttle_count(token: str) -> int:
    ident = hash_token(token)[:24]
    return sum(entry[0] + entry[1] for key, entry in throttling._counts.items() if f":{ident}:" in key)


def test_what_the_fast_path_declines_goes_to_django_once(door):
    """An unknown token: the lane declines, marks the request, and Django's path answers the 401
    without trying the fast path (and counting the throttle) a second time."""
    event, _ = door
    stranger = "x" * 43
    environ = environ_for(stranger, {"code": code_for(event, "B-1"), "direction": "in", "scan_id": str(uuid.uuid4())})
    assert through_lane(environ) is None
    lane_env = {**environ, "wsgi.input": io.BytesIO(environ["wsgi.input"].getvalue())}
    assert ScanLane().answer(lane_env) is None and lane_env[DECLINED] is True
    counted = throttle_count(stranger)
    lane_env["wsgi.input"] = io.BytesIO(environ["wsgi.input"].getvalue())
    status, _, body = through_django(lane_env)
    assert status == 401 and json.loads(body)["error"]["code"] in {"unauthenticated", "invalid_token", "not_authenticated"}, body
    assert throttle_count(stranger) == counted, "the declined request went through the fast path again"
    through_django(environ)  # without the mark, Django's own path tries the fast path first
    assert throttle_count(stranger) == counted + 1


@pytest.mark.parametrize("problem", ["host not allowed", "https redirect"])
def test_requests_django_answers_itself_are_left_to_django_before_anything_is_recorded(door, settings, problem):
    event, token = door
    scan_id = str(uuid.uuid4())
    body = {"code": code_for(event, "B-1"), "direction": "in", "scan_id": scan_id}
    if problem == "host not allowed":
        environ = environ_for(token, body, host="evil.example")
        expected = 400
    else:
        settings.SECURE_SSL_REDIRECT = True
        environ = environ_for(token, body)
        expected = 301
    assert through_lane(environ) is None
    assert not Scan.objects.filter(scan_id=scan_id).exists()
    assert through_django(environ)[0] == expected


def test_every_middleware_is_run_or_skipped_by_the_lane_for_a_reason():
    """A middleware added to settings.MIDDLEWARE must be placed: run by the lane (in
    ticketcore/scan_lane.py), or listed as a no-op for a fast-path scan with why."""
    unplaced = [name for name in django_settings.MIDDLEWARE if name not in RUN and name not in SKIPPED]
    assert unplaced == []
    assert [name for name in django_settings.MIDDLEWARE if name in RUN] == list(RUN), "the lane's order is Django's"


def test_the_lane_restates_every_receiver_of_the_request_signals():
    """The lane does the request signals' work itself (ticketcore/scan_lane.py `_started`,
    `_finished`) instead of sending them: a receiver connected to either signal that the lane does
    not restate fails here, and must be restated there (or the signal sent again)."""
    from django.core import signals

    connected = set()
    for name in ("request_started", "request_finished"):
        for receiver in getattr(signals, name)._live_receivers(None)[0]:
            connected.add((name, receiver.__module__, receiver.__name__))
    assert connected == set(HOUSEKEEPING)


def test_the_lane_does_the_request_signals_housekeeping(door, monkeypatch):
    """What request_started and request_finished do for Django's path happens around a lane scan
    too: the query log is cleared first, and close_old_connections runs before the scan and
    again after it."""
    from django.db import connections

    event, token = door
    lane = ScanLane()
    conn = connections["default"]
    conn.ensure_connection()
    conn.queries_log.append({"sql": "stale", "time": "0"})
    checks = []
    real = type(conn).close_if_unusable_or_obsolete
    monkeypatch.setattr(type(conn), "close_if_unusable_or_obsolete",
                        lambda self: (checks.append(self.alias), real(self))[1])
    status, _headers, _body = lane.answer(environ_for(token, {"code": code_for(event, "A-1"), "direction": "in",
                                                             "scan_id": str(uuid.uuid4())}))
    assert status == 200
    assert checks == ["default", "default"]
    assert not any(q["sql"] == "stale" for q in conn.queries_log)


def terminate_kept_connection(conn) -> int:
    """Terminate the server end of `conn`'s kept connection (a failover, an administrator) and
    wait until its FATAL reaches the kept socket, as it would before the next request; its pid."""
    import select

    import psycopg

    conn.ensure_connection()
    pid = conn.connection.info.backend_pid
    settings_dict = conn.settings_dict
    with psycopg.connect(host=settings_dict["HOST"], port=settings_dict["PORT"] or 5432, user=settings_dict["USER"],
                         dbname=settings_dict["NAME"], autocommit=True) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
    assert select.select([conn.connection.pgconn.socket], [], [], 10)[0], "the terminated backend said nothing"
    return pid


def test_a_kept_connection_the_server_dropped_is_replaced_before_a_lane_scan(door):
    """discard_dropped_connections, restated by the lane: a kept connection whose server end
    was closed (a failover, an administrator) is replaced before the scan, which is answered,
    not failed with a 503."""
    from django.db import connections

    event, token = door
    lane = ScanLane()
    code = code_for(event, "A-2")
    conn = connections["default"]
    pid = terminate_kept_connection(conn)
    status, _headers, body = lane.answer(environ_for(token, {"code": code, "direction": "in",
                                                             "scan_id": str(uuid.uuid4())}))
    assert (status, json.loads(body)["result"]) == (200, "accepted")
    assert conn.connection.info.backend_pid != pid


class FakeProto:
    """What granian hands an RSGI application for one HTTP request: the body, and the answer."""

    def __init__(self, body: bytes):
        self.body, self.answer = body, None

    async def __call__(self):
        return self.body

    def response_bytes(self, status, headers, body):
        self.answer = (status, headers, body)

    def response_empty(self, status, headers):
        self.answer = (status, headers, b"")


def test_the_web_front_sends_the_plain_scan_down_the_lane_and_the_rest_to_django(door):
    """ticketcore/web.py's threads: a plain scan never reaches the WSGI application; a declined
    one does, once; with WEB_SCAN_LANE=false every scan does."""
    import asyncio

    from ticketcore.web import WebApplication
    from ticketcore.wsgi import application

    event, token = door
    calls = []

    def counting(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return application(environ, start_response)

    codes = {seat: code_for(event, seat) for seat in ("A-1", "A-2")}  # the database, before the loop

    async def serve(app, token_, seat):
        raw = json.dumps({"code": codes[seat], "direction": "in", "scan_id": str(uuid.uuid4())}).encode()
        headers = Headers({"host": "testserver", "content-type": "application/json", "content-length": str(len(raw)),
                           "authorization": f"Device {token_}"})
        scope = SimpleNamespace(proto="http", server="127.0.0.1:8001", method="POST", path=SCAN_PATH,
                                query_string="", http_version="1.1", client="10.0.0.7:50000", scheme="http",
                                headers=headers, authority="testserver")
        proto = FakeProto(raw)
        await app.__rsgi__(scope, proto)
        return proto.answer

    async def night():
        lane_app, plain_app = WebApplication(counting, threads=1), WebApplication(counting, threads=1, lane=False)
        for app in (lane_app, plain_app):
            app.__rsgi_init__(asyncio.get_running_loop())
        answers = [await serve(lane_app, token, "A-1"), await serve(lane_app, "y" * 43, "A-2")]
        seen_with_lane = list(calls)
        answers.append(await serve(plain_app, token, "A-2"))
        return answers, seen_with_lane

    (plain, stranger, without_lane), seen_with_lane = asyncio.run(night())
    assert plain[0] == 200 and json.loads(plain[2])["result"] == "accepted"
    assert stranger[0] == 401
    assert seen_with_lane == [SCAN_PATH], "only the declined scan reached Django"
    assert without_lane[0] == 200 and calls == [SCAN_PATH, SCAN_PATH]


def test_a_batch_answers_each_scan_as_if_it_came_alone(door, monkeypatch):
    """The lane's thread answers the scans that waited together (ScanLane.answer_batch, ADR
    0037): their database calls go out in one pipeline, in order, in one transaction; each
    answer is what Django's path gives for the same request (replayed by scan_id), in the
    request's own language, handed over as soon as it is known; what the fast path declines is
    marked for Django's path, and nothing else; the request signals' housekeeping runs once around
    the batch."""
    import psycopg
    from django.db import connections

    pipelines = []
    real_pipeline = psycopg.Connection.pipeline
    monkeypatch.setattr(psycopg.Connection, "pipeline", lambda self: (pipelines.append(1), real_pipeline(self))[1])

    event, token = door
    conn = connections["default"]
    checks = []
    real = type(conn).close_if_unusable_or_obsolete
    monkeypatch.setattr(type(conn), "close_if_unusable_or_obsolete",
                        lambda self: (checks.append(self.alias), real(self))[1])

    def scan(seat, **extra):
        code = code_for(event, seat) if seat else code_for(event, "A-5")[:-4] + "AAAA"
        return environ_for(extra.pop("token", token), {"code": code, "direction": extra.pop("direction", "in"),
                                                       "scan_id": str(uuid.uuid4())}, extra=extra)

    environs = [scan("A-1"), scan("A-1"), scan(None), scan("B-1", token="z" * 43), scan("A-2", direction="sideways"),
                scan("A-3", **{"accept-language": "es"}), scan("A-4")]
    copies = [{**e, "wsgi.input": io.BytesIO(e["wsgi.input"].getvalue())} for e in environs]
    conn.ensure_connection()
    delivered, hooks = [], []

    def anomaly_hook(sender=None, **kwargs):
        # An answer is made (and its scan published, its anomaly hook run) only once the pipeline
        # is left, when every call's commit has been confirmed: a call's result arrives before its
        # commit does. Inside the pipeline the status would be 1 (PQ_PIPELINE_ON).
        hooks.append(conn.connection.pgconn.pipeline_status)

    from access.signals import scan_decided

    scan_decided.connect(anomaly_hook, dispatch_uid="test.batch.hook")
    try:
        answers = ScanLane().answer_batch(copies, lambda i, answer: delivered.append((i, answer)))
    finally:
        scan_decided.disconnect(dispatch_uid="test.batch.hook")
    assert hooks == [0] * 5, "every answered scan's hook ran once, after the pipeline's commits"
    assert sorted(delivered, key=lambda d: d[0]) == list(enumerate(answers))
    assert checks == ["default", "default"], "the housekeeping runs before and after the batch, not per scan"
    assert pipelines == [1], "several scans: one pipeline"
    results = [json.loads(a[2]).get("reason") or json.loads(a[2])["result"] if a else None for a in answers]
    assert results == ["accepted", "already_inside", "invalid_signature", None, None, "accepted", "accepted"]
    assert [DECLINED in c for c in copies] == [False, False, False, True, True, False, False]
    assert dict(answers[5][1])["Content-Language"] == "es" and dict(answers[0][1])["Content-Language"] == "en"
    for environ, answer in zip(environs, answers):
        if answer is not None:
            same(answer, through_django(environ))
    assert Scan.objects.filter(event=event).count() == 5
    with conn.cursor() as cur:  # a row's xmin is the transaction that wrote it
        cur.execute("SELECT count(DISTINCT xmin::text) FROM access_scan WHERE event_id = %s", [event.pk])
        assert cur.fetchone()[0] == 1, "the batch's scans were not written by one transaction (one commit)"


def test_scans_arriving_together_are_answered_by_the_lane_thread_and_a_declined_one_by_django(door):
    """ticketcore/web.py: scans that arrive at once wait for the lane's thread together; each is
    answered, the declined one (an unknown phone) by Django's path on the pool, and only that one."""
    import asyncio

    from ticketcore.web import WebApplication
    from ticketcore.wsgi import application

    event, token = door
    calls = []

    def counting(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return application(environ, start_response)

    seats = ("A-1", "A-2", "A-3", "A-4", "A-1")
    codes = [code_for(event, seat) for seat in seats]
    tokens = [token, token, "y" * 43, token, token]

    async def night():
        app = WebApplication(counting, threads=1)
        app.__rsgi_init__(asyncio.get_running_loop())
        protos = []
        for code, token_ in zip(codes, tokens):
            raw = json.dumps({"code": code, "direction": "in", "scan_id": str(uuid.uuid4())}).encode()
            headers = Headers({"host": "testserver", "content-type": "application/json",
                               "content-length": str(len(raw)), "authorization": f"Device {token_}"})
            scope = SimpleNamespace(proto="http", server="127.0.0.1:8001", method="POST", path=SCAN_PATH,
                                    query_string="", http_version="1.1", client="10.0.0.7:50000", scheme="http",
                                    headers=headers, authority="testserver")
            protos.append((scope, FakeProto(raw)))
        await asyncio.gather(*(app.__rsgi__(scope, proto) for scope, proto in protos))
        return [proto.answer for _scope, proto in protos]

    answers = asyncio.run(night())
    assert [a[0] for a in answers] == [200, 200, 401, 200, 200]
    assert [json.loads(answers[i][2]).get("reason") or json.loads(answers[i][2])["result"] for i in (0, 1, 3, 4)] == [
        "accepted", "accepted", "accepted", "already_inside"]
    assert calls == [SCAN_PATH], "only the declined scan reached Django"


def test_a_scan_the_lane_thread_would_wait_for_goes_to_the_pool_instead(door):
    """The lane thread answers its worker's scans one after another (ADR 0037), so it waits for
    a ticket's row lock only WEB_SCAN_LOCK_TIMEOUT_MS: a ticket locked longer by another
    transaction (a back-office change in progress) is declined to Django's path, which waits for
    it and answers; the next scan of the batch is answered by the lane meanwhile."""
    import threading
    import time

    import psycopg
    from django.db import connections

    event, token = door
    locked, free = code_for(event, "A-1"), code_for(event, "A-2")
    environs = [environ_for(token, {"code": code, "direction": "in", "scan_id": str(uuid.uuid4())})
                for code in (locked, free)]
    copies = [{**e, "wsgi.input": io.BytesIO(e["wsgi.input"].getvalue())} for e in environs]
    settings_dict = connections["default"].settings_dict
    answers = {}

    def lane_thread():  # a thread of its own, like the web front's: its connection gets the limit
        try:
            started = time.monotonic()
            answers["batch"] = ScanLane(lock_timeout_ms=100).answer_batch(copies)
            answers["seconds"] = time.monotonic() - started
        finally:
            connections.close_all()

    with psycopg.connect(host=settings_dict["HOST"], port=settings_dict["PORT"] or 5432, user=settings_dict["USER"],
                         dbname=settings_dict["NAME"]) as other:
        other.execute("SELECT 1 FROM tickets_ticket WHERE ticket_id = %s FOR UPDATE", [locked.split(".")[1]])
        thread = threading.Thread(target=lane_thread)
        thread.start()
        thread.join(20)
        other.rollback()
    first, second = answers["batch"]
    assert first is None and copies[0][DECLINED] is True, "the locked ticket's scan was not handed on"
    assert json.loads(second[2])["result"] == "accepted"
    assert answers["seconds"] < 5, "the lane waited for the lock instead of handing the scan on"
    copies[0]["wsgi.input"] = io.BytesIO(environs[0]["wsgi.input"].getvalue())
    status, _headers, body = through_django(copies[0])
    assert (status, json.loads(body)["result"]) == (200, "accepted")
    assert Scan.objects.filter(event=event, result="accepted").count() == 2


def test_a_database_gone_under_a_pipeline_answers_each_scan_503_and_the_next_batch_reconnects(door):
    """The connection dies under a batch's pipeline (a failover): every scan of the batch gets the
    outage's 503 (the phone retries with the same scan_id), none a 500 or nothing; the next batch
    is answered on a new connection."""
    from django.core.handlers.wsgi import WSGIRequest
    from django.db import connections

    from ticketcore import scan_lane
    from ticketcore.outage import is_database_outage

    event, token = door

    def environ(seat):
        return environ_for(token, {"code": code_for(event, seat), "direction": "in", "scan_id": str(uuid.uuid4())})

    calls = [scan_lane.scan_call(WSGIRequest(environ(seat))) for seat in ("A-1", "A-2")]
    later = [environ("A-3"), environ("A-4")]  # the codes read from the database before it goes
    conn = connections["default"]
    pid = terminate_kept_connection(conn)
    values = [None, None]
    scan_lane._call_database(calls, values.__setitem__)
    assert len(values) == 2 and all(isinstance(v, Exception) and is_database_outage(v) for v in values), values
    answers = ScanLane().answer_batch(later)
    assert [(a[0], json.loads(a[2])["result"]) for a in answers] == [(200, "accepted")] * 2
    assert conn.connection.info.backend_pid != pid
    assert not Scan.objects.filter(ticket__seat_id__in=["A-1", "A-2"]).exists()


def test_a_call_that_fails_in_a_batch_does_not_sink_the_others(door):
    """A batch is one transaction (ADR 0038): a call that raises rolls all of it back, so the lane
    sends the calls again, each its own transaction; the good one is answered, the bad one alone
    carries its error. Nothing of the failed first try is left behind."""
    import dataclasses

    from access.fastpath import _call
    from ticketcore.scan_lane import _DECLINE, _call_database, _finished, _started

    event, token = door
    good = _call(token=token, code=code_for(event, "A-1"), direction="in", scan_id=uuid.uuid4())
    params = list(good.params)
    params[6] = "not-a-uuid"  # PostgreSQL refuses it: invalid input syntax for type uuid
    bad = dataclasses.replace(good, params=params)
    answered = {}
    _started()  # the housekeeping around a batch, as answer_batch does
    try:
        _call_database([bad, good, bad], lambda k, value: answered.setdefault(k, value), pipeline=True)
    finally:
        _finished()
    assert sorted(answered) == [0, 1, 2]
    assert answered[0] is _DECLINE and answered[2] is _DECLINE, "the failing calls go to Django's path"
    value = answered[1]
    response = value if isinstance(value, dict) else json.loads(value)
    assert response["result"] == "accepted"
    assert Scan.objects.filter(event=event).count() == 1
