"""The post-event report (GET /api/v1/events/{id}/report, backoffice/report.py) against a scan log
built by hand through the real scan paths (tests/backoffice/report_scenario.py): every figure
below is counted from the scenario's docstring, not from the code."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from access import services as access_services
from backoffice.report import event_report
from events import services as event_services
from tests.backoffice.report_scenario import MADRID, at, build_night
from tests.conftest import make_device
from tickets.models import Ticket
from tickets.services import generate_tickets, sell_tickets

pytestmark = pytest.mark.django_db

API_KEYS = {"attendance", "gates", "zones", "rejections", "offline_conflicts", "sales"}


def iso(minute: int) -> str:
    return at(minute).astimezone(MADRID).isoformat()


@pytest.fixture
def night(db):
    return build_night()


def test_report_contract_shape(api, night):
    body = api.get(f"/api/v1/events/{night.event.event_id}/report").json()
    assert API_KEYS <= set(body)
    assert set(body["attendance"][0]) == {"minute", "entries", "exits", "inside"}
    assert {"checkpoint_id", "name", "entries", "peak_minute", "peak_entries", "service_rate_per_min",
            "saturated_minutes", "lanes_for_target_wait"} <= set(body["gates"][0])
    assert {"zone_id", "capacity", "sold", "admitted", "no_shows", "peak_inside"} <= set(body["zones"][0])
    assert {"reason", "count", "distinct_codes"} <= set(body["rejections"][0])


def test_attendance_per_minute(api, night):
    body = api.get(f"/api/v1/events/{night.event.event_id}/report").json()
    # Minutes 0..5 (20:00-20:05 in Madrid, UTC+01:00): entries, exits, inside at the minute's end.
    assert body["attendance"] == [
        {"minute": "2026-01-17T20:00:00+01:00", "entries": 3, "exits": 0, "inside": 3},  # B-1
        {"minute": "2026-01-17T20:01:00+01:00", "entries": 1, "exits": 0, "inside": 4},  # B-2
        {"minute": "2026-01-17T20:02:00+01:00", "entries": 1, "exits": 1, "inside": 4},  # B-3 in, B-1 out
        {"minute": "2026-01-17T20:03:00+01:00", "entries": 1, "exits": 0, "inside": 5},  # the staff credential
        {"minute": "2026-01-17T20:04:00+01:00", "entries": 1, "exits": 1, "inside": 5},  # B-1 back in, A-1 out
        {"minute": "2026-01-17T20:05:00+01:00", "entries": 0, "exits": 0, "inside": 5},  # A-1 refused
    ]
    assert body["totals"]["peak_inside"] == 5 and body["totals"]["peak_inside_minute"] == iso(3)
    assert body["totals"]["entries"] == 7 and body["totals"]["exits"] == 2
    assert body["credentials"] == {"entries": 1, "exits": 0, "peak_inside": 1}


def test_gates_entries_and_peaks(api, night):
    body = api.get(f"/api/v1/events/{night.event.event_id}/report?target_wait_s=0").json()
    gates = {g["name"]: g for g in body["gates"]}
    north, south = gates["North"], gates["South"]
    assert north["checkpoint_id"] == night.checkpoints["North"].checkpoint_id
    assert (north["entries"], north["exits"], north["peak_minute"], north["peak_entries"]) == (4, 1, iso(0), 3)
    assert (south["entries"], south["exits"], south["peak_minute"], south["peak_entries"]) == (3, 1, iso(1), 1)
    # Rejected attempts: North 2 already_inside + forged + already_used + the offline refusal = 5; South not_sold.
    assert (north["rejected"], south["rejected"]) == (5, 1)
    # Arrivals: fresh entry attempts (the 1:15 re-read of A-1 counts once).
    assert body["series"]["gates"][north["checkpoint_id"]]["arrivals"] == [4, 1, 2, 0, 0, 1]
    assert body["series"]["gates"][south["checkpoint_id"]]["arrivals"] == [0, 2, 0, 1, 1, 0]
    # Too few back-to-back gaps to measure a service time: the busiest lane-minutes instead.
    # North's phones did 4 (N1 at 20:00), 2 (N1 at 20:01, the re-read included), 2 (N2 at 20:02):
    # 8/3 a minute per lane; two lanes open.
    assert north["service_rate_method"] == "busiest_minutes"
    assert north["lane_rate_per_min"] == pytest.approx(8 / 3, abs=0.01) and north["lanes"] == 2
    assert north["service_rate_per_min"] == pytest.approx(5.3)
    assert north["saturated_minutes"] == 0
    # Nobody may wait (target 0): 4 arrivals in a minute need ceil(4 / (8/3)) = 2 lanes.
    assert north["lanes_for_target_wait"] == 2 and north["lanes_is_lower_bound"] is False
    body = api.get(f"/api/v1/events/{night.event.event_id}/report").json()  # default target 300 s
    assert {g["name"]: g["lanes_for_target_wait"] for g in body["gates"]} == {"North": 1, "South": 1}
    assert body["parameters"]["target_wait_s"] == 300


def test_zones_no_shows_and_peak_inside(api, night):
    body = api.get(f"/api/v1/events/{night.event.event_id}/report").json()
    zones = {z["zone_id"]: z for z in body["zones"]}
    a, b = zones["A"], zones["B"]
    assert (a["capacity"], a["sold"], a["admitted"], a["no_shows"]) == (5, 3, 2, 1)  # A-3 never came
    assert (a["peak_inside"], a["peak_inside_minute"]) == (2, iso(0))
    assert (b["capacity"], b["sold"], b["admitted"], b["no_shows"]) == (10, 5, 3, 2)  # B-4, B-5 never came
    assert (b["peak_inside"], b["peak_inside_minute"]) == (3, iso(4))
    assert body["series"]["zones"]["A"]["inside"] == [2, 2, 2, 2, 1, 1]
    assert body["series"]["zones"]["B"]["inside"] == [1, 2, 2, 2, 3, 3]


def test_rejections_collapse_repeat_reads(api, night):
    body = api.get(f"/api/v1/events/{night.event.event_id}/report").json()
    assert body["rejections"] == [
        # A-1 twice at 1:10-1:15 and B-2 offline: three scans, two codes.
        {"reason": "already_inside", "label": "Already inside", "count": 3, "distinct_codes": 2},
        {"reason": "already_used", "label": "Already used, no re-entry in this zone", "count": 1, "distinct_codes": 1},
        {"reason": "invalid_signature", "label": "Not a valid ticket (fake or damaged code)", "count": 1,
         "distinct_codes": 1},
        {"reason": "not_sold", "label": "Ticket never sold", "count": 1, "distinct_codes": 1},
    ]
    assert body["totals"]["rejected"] == 6


def test_offline_conflicts_late_uploads_and_phones(api, night):
    body = api.get(f"/api/v1/events/{night.event.event_id}/report").json()
    assert body["offline_conflicts"]["count"] == 1
    conflict = body["offline_conflicts"]["items"][0]
    assert conflict["seat_id"] == "B-2"
    assert conflict["accepted"]["device"] == "South 1" and conflict["accepted"]["gate"] == "South"
    assert conflict["accepted"]["at"] == at(1, 30).isoformat()
    assert conflict["rejected"]["device"] == "North 2" and conflict["rejected"]["reason_words"] == "Already inside"
    assert conflict["rejected_was_earlier"] is False
    assert body["late_uploads"]["count"] == 1
    assert [(d["name"], d["count"]) for d in body["late_uploads"]["devices"]] == [("North 2", 1)]
    phones = {d["name"]: d for d in body["devices"]}
    assert (phones["North 1"]["scans"], phones["North 2"]["scans"], phones["South 1"]["scans"]) == (8, 2, 5)
    assert phones["North 2"]["offline_scans"] == 1 and phones["North 2"]["late_scans"] == 1
    # North 1 scanned at 20:00-20:01, then nothing until 20:04: a 2-minute pause stays online;
    # South 1 from 20:01 to 20:04.
    # Their night minute by minute is a section of its own, loaded apart.
    assert not {"timeline", "first_minute", "last_minute"} & set(phones["North 1"])
    detail = api.get(f"/api/v1/events/{night.event.event_id}/report/devices").json()["devices"]
    assert [d["device_id"] for d in detail] == [d["device_id"] for d in body["devices"]]
    phones = {d["name"]: d for d in detail}
    assert (phones["North 1"]["scans"], phones["North 1"]["first_minute"], phones["North 1"]["last_minute"]) == (
        8, iso(0), iso(5))
    assert phones["North 1"]["timeline"] == [{"from": iso(0), "to": iso(6), "state": "online"}]
    assert phones["South 1"]["timeline"] == [{"from": iso(1), "to": iso(5), "state": "online"}]


def test_sales_by_channel_and_offices(api, night):
    body = api.get(f"/api/v1/events/{night.event.event_id}/report").json()
    sales = body["sales"]
    assert sales["currency"] == "EUR"
    assert {c["channel"]: (c["sold"], c["revenue"]) for c in sales["channels"]} == {
        "online": (4, "80.00"), "box_office": (1, "20.00"), "manual": (3, "135.00")}
    assert sales["totals"]["sold"] == 8 and sales["totals"]["revenue"] == "235.00"
    [office] = sales["offices"]
    assert (office["name"], office["assigned"], office["sold"], office["returned"], office["outstanding"]) == (
        "Taquilla Norte", 2, 1, 1, 0)
    assert (office["revenue"], office["refunds_due"], office["refunds_due_amount"]) == ("20.00", 1, "20.00")


def test_service_rate_from_back_to_back_scans_and_saturation(db):
    """One phone serving 30 people 6 s apart for three minutes: its rate is 10 a minute, and the
    lane worked flat out in each of those minutes (saturated), although nobody was seen waiting."""
    event = event_services.create_event(name="Rush", date_start=at(60), date_end=at(300), timezone="Europe/Madrid")
    event_services.setup_zones(event_id=event.event_id, status=True, zones=[
        event_services.ZoneSpec(zone_id="G", name="Floor", color="#2980B9", seats=40, reentry=True)])
    generate_tickets(event_id=event.event_id)
    seats = [f"G-{n}" for n in range(1, 31)]
    tickets = {t.seat_id: t for t in Ticket.objects.filter(event=event, seat_id__in=seats)}
    sell_tickets(event_id=event.event_id, ticket_ids=[t.ticket_id for t in tickets.values()])
    device, _ = make_device(event, name="Lane 1")
    from events.codes import ticket_code

    for i, seat in enumerate(seats):
        answer = access_services.scan(device=device, code=ticket_code(tickets[seat]), direction="in",
                                      scan_id=uuid.uuid4(), effective_at=at(0) + timedelta(seconds=6 * i)).response
        assert answer["result"] == "accepted"
    # Ten people leave through the same phone 2 s apart, later: exits are waved through, they
    # are not the entry service and do not count among its back-to-back gaps.
    for i, seat in enumerate(seats[:10]):
        answer = access_services.scan(device=device, code=ticket_code(tickets[seat]), direction="out",
                                      scan_id=uuid.uuid4(), effective_at=at(3) + timedelta(seconds=2 * i)).response
        assert answer["result"] == "accepted"
    body = event_report(event.event_id, target_wait_s=300)
    [gate] = body["gates"]
    assert gate["service_rate_method"] == "back_to_back_gaps" and gate["service_rate_samples"] == 29
    assert gate["service_time_s"] == 6.0 and gate["lane_rate_per_min"] == 10.0 and gate["lanes"] == 1
    assert body["series"]["gates"][gate["checkpoint_id"]]["arrivals"] == [10, 10, 10, 0]
    assert gate["saturated_minutes"] == 3 and gate["saturation"][0]["minutes"] == 3
    assert gate["saturation"][0]["from"] == iso(0) and gate["saturation"][0]["to"] == iso(2)
    assert gate["lanes_for_target_wait"] == 1 and gate["lanes_is_lower_bound"] is True
    assert gate["peak_minute"] == iso(0) and gate["peak_entries"] == 10


def test_a_quiet_gate_is_never_called_saturated(db):
    """Two people in one minute through one phone (the walk's VIP door): the rate falls back to
    that busiest minute, which must not read as a queue."""
    event = event_services.create_event(name="Quiet", date_start=at(60), date_end=at(300))
    event_services.setup_zones(event_id=event.event_id, status=True, zones=[
        event_services.ZoneSpec(zone_id="V", name="VIP", color="#2980B9", seats=4)])
    generate_tickets(event_id=event.event_id)
    tickets = list(Ticket.objects.filter(event=event).order_by("seat_id")[:2])
    sell_tickets(event_id=event.event_id, ticket_ids=[t.ticket_id for t in tickets])
    device, _ = make_device(event, name="VIP 1")
    from events.codes import ticket_code

    for i, ticket in enumerate(tickets):
        answer = access_services.scan(device=device, code=ticket_code(ticket), direction="in",
                                      scan_id=uuid.uuid4(), effective_at=at(0) + timedelta(seconds=3 * i)).response
        assert answer["result"] == "accepted"
    [gate] = event_report(event.event_id, target_wait_s=300)["gates"]
    assert gate["service_rate_method"] == "busiest_minutes" and gate["entries"] == 2
    assert gate["saturated_minutes"] == 0 and gate["saturation"] == [] and gate["lanes_is_lower_bound"] is False


def test_an_event_without_scans(api, generated_event):
    body = api.get(f"/api/v1/events/{generated_event.event_id}/report").json()
    assert body["attendance"] == [] and body["rejections"] == [] and body["gates"] == []
    assert [z["no_shows"] for z in body["zones"]] == [0, 0]


def test_report_errors(api, anon, night):
    assert api.get("/api/v1/events/nope/report").status_code == 404
    assert api.get("/api/v1/events/nope/report/devices").status_code == 404
    assert anon.get(f"/api/v1/events/{night.event.event_id}/report/devices").status_code in (401, 403)
    assert api.get("/api/v1/events/nope/report").json()["error"]["code"] == "not_found"
    r = api.get(f"/api/v1/events/{night.event.event_id}/report?target_wait_s=-5")
    assert r.status_code == 400 and "target_wait_s" in r.json()["error"]["fields"]
    assert anon.get(f"/api/v1/events/{night.event.event_id}/report").status_code in (401, 403)


def test_the_report_reads_in_one_statement(night):
    """Every counter, the event, its gates, phones, conflicts and sales in one statement: one
    snapshot and one round trip, not one per section (docs/adr/0033, "The report in one round
    trip"). Before it, the fold counts the queued scans (inside the test's transaction, there)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert event_report(night.event.event_id)["totals"]["entries"] > 0
    reads = [q["sql"] for q in queries.captured_queries if "counters_" in q["sql"]]
    assert len(reads) == 2 and reads[0].startswith("SELECT counters_fold(")
    reads = reads[1:]
    assert all(table in reads[0] for table in ("events_event", "access_checkpoint", "devices_device", "access_alert",
                                               "counters_sales", "offices_office"))


def test_the_reports_statement_reads_only_this_events_rows_through_indexes(night):
    """With sequential scans off, PostgreSQL still finds a plan without one: every table the
    report's statement reads (its zone fallback's tickets included) is reached through an index led
    by the event, so the report costs the same however many other events the database holds."""
    from django.db import connection, transaction

    from backoffice import report

    sql, _fields = report._report_sql()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN " + sql, report.report_params(night.event.event_id))
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "Seq Scan" not in plan, [line for line in plan.splitlines() if "Seq Scan" in line]
