"""The proof, pretix concurrency_tests style: real threads, each with its own PostgreSQL
connection, released together by a barrier. Negative controls switch the guards off and show
that the race is real, so the positive tests are not passing by luck. The lock is switched off
in a test-only variant of the scan function (tests/access/unguarded_scan.py), never in
production code."""
import inspect
import json
import threading
import urllib.request
import uuid

import pytest
from django.db import connection

from access import services
from access.models import Scan
from tests.access.unguarded_scan import unguarded_scan  # noqa: F401 - the fixture
from tests.conftest import code_for, make_device, make_event, run_concurrently, sell
from tickets.models import LedgerEntry, Ticket
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup():
    event = make_event()
    generate_tickets(event_id=event.event_id)
    sell(event, "A-1", "B-1", "B-2")
    cp_device, _ = make_device(event, name="d0")
    devices = [cp_device] + [make_device(event, checkpoint=cp_device.checkpoint, name=f"d{i}")[0] for i in range(1, 10)]
    return event, devices


def fire(devices, code, directions, *, scan=None, **kwargs):
    """`scan`: the negative controls' unguarded variant instead of the production service."""
    jobs = [(devices[i % len(devices)], d) for i, d in enumerate(directions)]

    def one(device, direction):
        if scan is not None:
            return scan(device=device, code=code, direction=direction, scan_id=uuid.uuid4(), **kwargs)
        return services.scan(device=device, code=code, direction=direction, scan_id=uuid.uuid4(), **kwargs).response

    return run_concurrently(one, jobs)


def assert_no_errors(results):
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]


def test_fifty_simultaneous_entries_one_accepted(setup):
    event, devices = setup
    results = fire(devices, code_for(event, "A-1"), ["in"] * 50)
    assert_no_errors(results)
    assert sum(r["result"] == "accepted" for r in results) == 1
    assert sorted(r["reason"] for r in results if r["result"] == "rejected") == ["already_inside"] * 49
    ticket = Ticket.objects.get(event=event, seat_id="A-1")
    assert LedgerEntry.objects.filter(ticket=ticket, action="accessed").count() == 1
    assert Scan.objects.filter(ticket=ticket).count() == 50
    assert Scan.objects.filter(ticket=ticket, first_entry=True).count() == 1


def test_interleaved_entries_and_exits_stay_consistent(setup):
    event, devices = setup
    code = code_for(event, "B-1")  # zone B allows re-entry
    results = fire(devices, code, ["in", "out"] * 25)
    assert_no_errors(results)
    accepted = list(Scan.objects.filter(ticket__seat_id="B-1", ticket__event=event, result="accepted")
                    .order_by("id").values_list("direction", flat=True))
    assert accepted, "at least the first entry is accepted"
    assert all(d == ("in" if i % 2 == 0 else "out") for i, d in enumerate(accepted)), accepted
    ticket = Ticket.objects.get(event=event, seat_id="B-1")
    assert ticket.access_entry == (accepted[-1] == "in")
    ledger = LedgerEntry.objects.filter(ticket=ticket, action__in=["accessed", "came-out"]).count()
    assert ledger == len(accepted)


def test_racing_retries_of_one_scan_id_give_one_answer(setup):
    event, devices = setup
    code, scan_id = code_for(event, "B-2"), uuid.uuid4()
    results = run_concurrently(
        lambda: services.scan(device=devices[0], code=code, direction="in", scan_id=scan_id).response, [()] * 20)
    assert_no_errors(results)
    assert all(r == results[0] for r in results) and results[0]["result"] == "accepted"
    assert Scan.objects.filter(scan_id=scan_id).count() == 1


def test_fifty_simultaneous_entries_over_http(app_server, setup):
    """Through the production stack: granian with two worker processes."""
    event, devices = setup
    tokens = []
    from devices.services import issue_pairing_code, pair_device

    for d in devices:
        tokens.append(pair_device(pairing_code=issue_pairing_code(device_id=d.device_id).pairing_code).token)
    code = code_for(event, "A-1")
    barrier = threading.Barrier(50)
    results = [None] * 50

    def post(i):
        body = json.dumps({"code": code, "direction": "in", "scan_id": str(uuid.uuid4())}).encode()
        req = urllib.request.Request(f"{app_server}/api/v1/scan", data=body, method="POST", headers={
            "Content-Type": "application/json", "Authorization": f"Device {tokens[i % len(tokens)]}"})
        barrier.wait(30)
        with urllib.request.urlopen(req, timeout=60) as r:
            results[i] = (r.status, json.loads(r.read()))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(50)]
    [t.start() for t in threads]
    [t.join(90) for t in threads]
    assert all(r is not None and r[0] == 200 for r in results), results
    assert sum(r[1]["result"] == "accepted" for r in results) == 1
    assert sum(r[1]["reason"] == "already_inside" for r in results) == 49
    assert LedgerEntry.objects.filter(ticket__event=event, ticket__seat_id="A-1", action="accessed").count() == 1


# --------------------------------------------------------------------------- negative controls

def test_the_production_scan_has_no_test_switches():
    """The guards cannot be switched off through production code: one `access_scan_ticket` that
    takes the scan's 13 arguments and never sleeps, and no hidden parameters on `services.scan`.
    The negative controls below bring their own variant (tests/access/unguarded_scan.py)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pronargs, prosrc FROM pg_proc WHERE proname = 'access_scan_ticket'")
        rows = cur.fetchall()
    assert len(rows) == 1, "one signature only"
    nargs, source = rows[0]
    assert nargs == 13
    assert "pg_sleep" not in source and "FOR UPDATE" in source
    assert not [p for p in inspect.signature(services.scan).parameters if p.startswith("_")]


class TriggerDisabled:
    def __enter__(self):
        with connection.cursor() as cur:
            cur.execute("ALTER TABLE access_scan DISABLE TRIGGER accepted_scans_alternate")

    def __exit__(self, *exc):
        with connection.cursor() as cur:
            cur.execute("ALTER TABLE access_scan ENABLE TRIGGER accepted_scans_alternate")


def _reentry_ticket_that_has_left(event, devices):
    code = code_for(event, "B-1")
    assert services.scan(device=devices[0], code=code, direction="in", scan_id=uuid.uuid4()).accepted
    assert services.scan(device=devices[0], code=code, direction="out", scan_id=uuid.uuid4()).accepted
    return code


def test_negative_control_without_any_guard_the_race_admits_twice(setup, unguarded_scan):
    """Row lock off, alternation trigger off, re-entry (so the first-entry index is not involved):
    several entries are accepted for one ticket. This is the race the guards exist for."""
    event, devices = setup
    code = _reentry_ticket_that_has_left(event, devices)
    with TriggerDisabled():
        results = fire(devices, code, ["in"] * 10, scan=unguarded_scan, race_window_ms=300)
    assert_no_errors(results)
    assert sum(r["result"] == "accepted" for r in results) > 1


def test_negative_control_the_trigger_alone_still_admits_once(setup, unguarded_scan):
    """Row lock off but the database trigger on: the backstop alone holds, and the refused
    writes are answered with the proper reason, never a 500."""
    event, devices = setup
    code = _reentry_ticket_that_has_left(event, devices)
    results = fire(devices, code, ["in"] * 10, scan=unguarded_scan, race_window_ms=300)
    assert_no_errors(results)
    assert sum(r["result"] == "accepted" for r in results) == 1
    assert {r["reason"] for r in results if r["result"] == "rejected"} == {"already_inside"}


def test_negative_control_first_entry_backstops_without_the_lock(setup, unguarded_scan):
    event, devices = setup
    with TriggerDisabled():  # only the partial unique index one_first_entry_per_ticket remains
        results = fire(devices, code_for(event, "B-2"), ["in"] * 10, scan=unguarded_scan, race_window_ms=300)
    assert_no_errors(results)
    assert sum(r["result"] == "accepted" for r in results) == 1
    assert LedgerEntry.objects.filter(ticket__event=event, ticket__seat_id="B-2", action="accessed").count() == 1
