"""The report's rollups and ticket counters (counters/migrations/0003-0004, docs/adr/0033 "The
report in constant time"): what the fold leaves and what it has not folded yet add up to the log's
figures, the lanes near the night's edges and near unfolded rows are recounted, the sales and
admitted counters equal the tickets, and nothing a scan writes fires the sales trigger."""
from __future__ import annotations

import uuid
import pytest
from django.db import connection, transaction

from access import services
from backoffice import flow, report, report_phones
from backoffice.report_money import sales_counted
from counters.check import check
from counters.folding import queued
from counters.vocabulary import LANE_SLACK
from events import services as event_services
from tests.backoffice.report_scenario import at, build_night
from tests.conftest import code_for, make_device
from tests.counters.report_from_log import report_from_log
from tickets import holds
from tickets.models import Ticket
from tickets.selectors import sales_status
from tickets.services import generate_tickets, sell_tickets

pytestmark = pytest.mark.django_db(transaction=True)


def _both(event) -> tuple[dict, dict]:
    body = report_phones.merge(report.event_report(event.event_id), report.report_devices(event.event_id))
    log = report_from_log(event)
    body.pop("generated_at"), log.pop("generated_at")
    return body, log


@pytest.fixture
def door():
    """Doors open at T (= at(0)); gate G with phones P1, P2, P3; 20 sold seats and a staff pass."""
    event = event_services.create_event(name="Edges", date_start=at(60), date_end=at(300), doors_open_minutes=60)
    event_services.setup_zones(event_id=event.event_id, status=True, zones=[
        event_services.ZoneSpec(zone_id="G", name="Floor", color="#2980B9", seats=30, reentry=True)])
    generate_tickets(event_id=event.event_id)
    seats = [f"G-{n}" for n in range(1, 21)]
    sell_tickets(event_id=event.event_id, ticket_ids=list(
        Ticket.objects.filter(event=event, seat_id__in=seats).values_list("ticket_id", flat=True)))
    p1, _ = make_device(event, name="P1")
    p2, _ = make_device(event, checkpoint=p1.checkpoint, name="P2")
    p3, _ = make_device(event, checkpoint=p1.checkpoint, name="P3")
    staff = services.create_credential(event_id=event.event_id, name="Steward", kind="staff")
    return event, (p1, p2, p3), seats, staff


def _scan(device, code, minute, second=0, direction="in"):
    return services.scan(device=device, code=code, direction=direction, scan_id=uuid.uuid4(),
                         effective_at=at(minute, second)).response


def test_lanes_at_the_nights_edge_leave_out_scans_before_the_doors(door):
    event, (p1, p2, _p3), seats, staff = door
    assert event.doors_open_at == at(0)
    # P2 lets the steward in a minute before the doors open: outside the night, but the fold
    # counts P2 as a lane open at the night's first minutes.
    assert _scan(p2, services.credential_code(staff), -1)["result"] == "accepted"
    for i, seat in enumerate(seats[:6]):
        assert _scan(p1, code_for(event, seat), i // 3, 10 * (i % 3))["result"] == "accepted"
    body, log = _both(event)
    assert body == log
    [gate] = body["gates"]
    assert body["series"]["gates"][gate["checkpoint_id"]]["lanes"][:2] == [1, 1]
    with connection.cursor() as cur:
        cur.execute("SELECT lanes FROM counters_gate_lanes WHERE event_id = %s AND minute = %s",
                    [event.event_id, at(0)])
        assert cur.fetchone()[0] == 2  # the fold's count, which the report corrects
    assert body["totals"]["inside_at_end"] == 7  # the steward counts from the first minute on
    assert check(event.event_id) == []


def test_queued_scans_are_counted_by_the_readers_fold_and_their_lanes_recounted(door):
    event, (p1, p2, p3), seats, staff = door
    for i, seat in enumerate(seats[:4]):
        _scan(p1, code_for(event, seat), 2 * i)
    report.event_report(event.event_id)  # folds what is there
    assert queued(event.event_id) == 0
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM counters_minute WHERE event_id = %s AND slot >= 0", [event.event_id])
        assert cur.fetchone()[0] == 0
    # Scans no reader has folded: P2 and P3 beside P1's minutes, an exit, a rejection. The scans
    # only queued themselves: no counter row was written by them.
    _scan(p2, code_for(event, seats[4]), 2, 30)
    _scan(p3, code_for(event, seats[5]), 7, 5)
    _scan(p3, code_for(event, seats[0]), 8, direction="out")
    _scan(p2, "forged", 4)
    assert queued(event.event_id) == 4
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM counters_minute WHERE event_id = %s AND slot >= 0", [event.event_id])
        assert cur.fetchone()[0] == 0
    with transaction.atomic():  # inside a caller's transaction the report folds there
        body, log = _both(event)
        assert queued(event.event_id) == 0
        assert body == log
        [gate] = body["gates"]
        lanes = body["series"]["gates"][gate["checkpoint_id"]]["lanes"]
        active = [set() for _ in range(9)]
        for phone, minutes in ((p1, (0, 2, 4, 6)), (p2, (2, 4)), (p3, (7, 8))):
            for m in minutes:
                active[m].add(phone.device_id)
        assert lanes == flow.lanes_open(active) == [2, 2, 2, 2, 2, 3, 3, 2, 2]
    assert check(event.event_id) == []
    body, log = _both(event)
    assert body == log


def test_a_report_in_an_older_snapshot_shows_the_counted_scans_only(door):
    """Under a caller's REPEATABLE READ snapshot the fold cannot run (its neighbours must be read
    from committed rows): the report shows what was counted, never a half-counted scan."""
    event, (p1, p2, p3), seats, staff = door
    _scan(p1, code_for(event, seats[0]), 0)
    report.event_report(event.event_id)
    _scan(p2, code_for(event, seats[1]), 1)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        body = report.event_report(event.event_id)
        assert queued(event.event_id) == 1
    assert sum(g["entries"] for g in body["gates"]) == 1
    assert sum(g["entries"] for g in report.event_report(event.event_id)["gates"]) == 2
    assert queued(event.event_id) == 0 and check(event.event_id) == []


def test_the_sales_counters_are_the_tickets_through_sales_holds_offices_and_returns(db):
    night = build_night()  # sales online, by staff, by a box office; a hold checked out; a return
    event = night.event
    assert sales_counted(event.event_id) == sales_status(event.event_id)
    b8 = Ticket.objects.get(event=event, seat_id="B-8")
    hold = holds.take_hold(event_id=event.event_id, ticket_ids=[b8.ticket_id])  # a live hold
    counted = sales_counted(event.event_id)
    assert counted == sales_status(event.event_id) and counted["totals"]["held"] == 1
    holds.release(hold_id=hold.hold_id)
    assert sales_counted(event.event_id) == sales_status(event.event_id)
    assert check(event.event_id) == []
    assert sales_counted("nope") is None


def test_a_scan_does_not_fire_the_sales_trigger_and_admitted_follows_entries(door):
    event, (p1, *_), seats, _staff = door
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), sum(sold) FROM counters_sales WHERE event_id = %s", [event.event_id])
        rows_before = cur.fetchone()
        _scan(p1, code_for(event, seats[0]), 0)
        cur.execute("SELECT count(*), sum(sold) FROM counters_sales WHERE event_id = %s", [event.event_id])
        assert cur.fetchone() == rows_before  # the scan updated the ticket, not the sale columns
    body = report.event_report(event.event_id)
    assert body["zones"][0]["admitted"] == 1
    _scan(p1, code_for(event, seats[1]), 1)
    with transaction.atomic():  # no refresh: the cache's mark is stale, the snapshot recounts
        assert report.event_report(event.event_id)["zones"][0]["admitted"] == 2
    assert check(event.event_id) == []
    assert report.event_report(event.event_id)["zones"][0]["admitted"] == 2  # refreshed
    assert check(event.event_id) == []


def test_the_lanes_slack_is_one_number():
    assert flow.LANE_OPEN_SLACK_MIN == LANE_SLACK == 2
    with connection.cursor() as cur:
        cur.execute("SELECT pg_get_functiondef('counters_lanes_refresh'::regproc)")
        body = cur.fetchone()[0]
    assert f"generate_series(-{LANE_SLACK}, {LANE_SLACK})" in body and f"'{LANE_SLACK} minutes'" in body


def test_timelines_are_a_section_of_their_own(door):
    event, (p1, p2, _p3), seats, _staff = door
    _scan(p1, code_for(event, seats[0]), 0)
    _scan(p1, code_for(event, seats[1]), 9)  # a silent stretch in between
    body = report.event_report(event.event_id)
    assert not {"timeline", "first_minute", "last_minute"} & set(body["devices"][0])
    detail = report.report_devices(event.event_id)["devices"]
    p = {d["name"]: d for d in detail}
    assert [s["state"] for s in p["P1"]["timeline"]] == ["online", "silent", "online"]
    assert p["P2"]["timeline"] == [] and p["P2"]["first_minute"] is None
    assert report.report_devices("nope") is None


@pytest.mark.parametrize("tamper, comparison", [
    ("UPDATE counters_gate_minute SET entries = entries + 1 WHERE event_id = %s", "gate minute"),
    ("UPDATE counters_gate_minute SET device_scans[1] = device_scans[1] + 1 WHERE event_id = %s",
     "gate minute phones"),
    ("UPDATE counters_gate_lanes SET lanes = lanes + 1 WHERE event_id = %s", "gate lanes"),
    ("UPDATE counters_phone SET late = late + 1 WHERE event_id = %s", "phones"),
    ("UPDATE counters_zone_minute SET scans = scans + 1 WHERE event_id = %s", "zone minutes"),
    ("UPDATE counters_sales SET revenue = revenue + 1 WHERE event_id = %s AND sold > 0", "sales"),
    ("UPDATE counters_admitted SET admitted = admitted + 1 WHERE event_id = %s", "admitted"),
])
def test_the_check_fails_on_a_tampered_rollup(door, tamper, comparison):
    event, (p1, p2, _p3), seats, _staff = door
    for i, seat in enumerate(seats[:3]):
        _scan(p1 if i % 2 else p2, code_for(event, seat), i)
    report.event_report(event.event_id)  # folds, and counts the admitted tickets
    assert check(event.event_id) == []
    with connection.cursor() as cur:  # the test database's superuser: the application role cannot
        cur.execute(tamper, [event.event_id])
        assert cur.rowcount >= 1
    assert comparison in {d.comparison for d in check(event.event_id)}
