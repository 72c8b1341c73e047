"""The counters never drift from the scan log (docs/adr/0033).

A night of real concurrency (threads on their own connections: online scans at several gates in
and out, rejections of every kind, manual admissions, credentials, offline uploads landing among
scans already counted, a revoked phone's quarantined evidence), then `check_counters` recounts
everything from the log and finds no difference, and the dashboard's and the report's figures
equal the ones computed from the log. The check is shown to fail when a counter is tampered
with, and the application role to be unable to write a counter at all."""
from __future__ import annotations

import io
import random
import time
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from access import services
from access.models import Credential, Scan
from backoffice import flow, report, report_phones
from counters.check import check
from counters.folding import queued
from counters.tables import TABLES
from counters.vocabulary import BUSY_GAP_S
from devices.services import revoke_device
from events.services import ZoneSpec
from live import selectors
from tests.conftest import code_for, device_client, make_device, make_event, run_concurrently, sell
from tests.counters.report_from_log import report_from_log
from tickets.models import Ticket
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db(transaction=True)

ZONES = [ZoneSpec(zone_id="A", name="Ringside", color="#C0392B", seats=24, reentry=False),
         ZoneSpec(zone_id="B", name="General", color="#27AE60", seats=56, reentry=True)]
SEATS = [f"A-{i}" for i in range(1, 25)] + [f"B-{i}" for i in range(1, 49)]
# The revoked phone's evidence names tickets nobody else scans meanwhile: its upload's deferred
# foreign-key checks take the tickets' key-share locks at commit in upload order, which can
# deadlock with a sync batch locking the same tickets in id order (a hazard of access/evidence.py
# that the counters do not change; noted in docs/adr/0033).
EVIDENCE_SEATS = [f"B-{i}" for i in range(49, 57)]


@pytest.fixture
def night():
    event = make_event(zones=ZONES)
    generate_tickets(event_id=event.event_id)
    sell(event, *SEATS[:64])  # the last eight are not sold: not_sold rejections
    gates = []
    for g, directions in enumerate(("both", "both", "in")):  # the third gate is entry-only
        first, _ = make_device(event, name=f"g{g}p0", directions=directions)
        phones = [first] + [make_device(event, checkpoint=first.checkpoint, name=f"g{g}p{p}")[0] for p in (1, 2)]
        gates.append(phones)
    staff = services.create_credential(event_id=event.event_id, name="Steward", kind="staff")
    return event, gates, staff


def _figures(event_id: str) -> dict:
    counts = selectors.gate_counts(event_id)
    return {k: counts[k] for k in ("checkpoints", "zones", "totals", "credentials")}


def _report(event) -> dict:  # with its phones' section, as the admin's page shows it
    body = report_phones.merge(report.event_report(event.event_id), report.report_devices(event.event_id))
    body.pop("generated_at")
    return body


def test_counters_match_the_log_after_a_concurrent_night(night):
    event, gates, staff = night
    codes = {seat: code_for(event, seat) for seat in SEATS + EVIDENCE_SEATS}
    staff_code = services.credential_code(staff)
    phones = [p for gate in gates for p in gate]
    lost, lost_token = make_device(event, checkpoint=gates[0][0].checkpoint, name="lost phone")
    revoke_device(device_id=lost.device_id)
    tokens = {p.device_id: make_device(event, checkpoint=p.checkpoint, name=f"sync {p.name}")[1] for p in phones[:4]}

    def door(worker: int) -> int:
        rng = random.Random(worker)
        phone = phones[worker % len(phones)]
        for _ in range(18):
            roll = rng.random()
            direction = "in" if rng.random() < 0.6 else "out"
            if roll < 0.70:
                services.scan(device=phone, code=codes[rng.choice(SEATS)], direction=direction, scan_id=uuid.uuid4())
            elif roll < 0.78:
                services.scan(device=phone, code=f"forged-{rng.randrange(5)}", direction="in", scan_id=uuid.uuid4())
            elif roll < 0.86:
                services.scan(device=phone, code=staff_code, direction=direction, scan_id=uuid.uuid4())
            else:
                services.manual_scan(device=phone, query=rng.choice(SEATS), direction=direction, scan_id=uuid.uuid4(),
                                     note="unreadable")
        return worker

    def upload(worker: int) -> int:
        """Offline scans from minutes ago, uploaded now: they land before scans already counted."""
        rng = random.Random(100 + worker)
        token = list(tokens.values())[worker % len(tokens)] if worker >= 0 else lost_token
        seats = SEATS if worker >= 0 else EVIDENCE_SEATS
        now = timezone.now()
        scans = []
        for i in range(12):
            at = now - timedelta(minutes=rng.randrange(1, 9), seconds=rng.randrange(60))
            seat = rng.choice(seats)
            scans.append({"code": codes[seat], "direction": rng.choice(["in", "in", "out"]),
                          "scan_id": str(uuid.uuid4()), "scanned_at": at.isoformat()})
            if rng.random() < 0.3:  # the phone read the same code again a few seconds later
                scans.append({**scans[-1], "scan_id": str(uuid.uuid4()),
                              "scanned_at": (at + timedelta(seconds=rng.randrange(1, 6))).isoformat()})
        r = device_client(token).post("/api/v1/scan/sync", {"scans": scans}, format="json")
        assert r.status_code == 200, r.content
        return worker

    def dashboard(worker: int) -> int:
        """An open dashboard: folds the queue while the doors queue more (the fold and the scans
        commit concurrently; a scan is counted by exactly one fold)."""
        for _ in range(30):
            selectors.fold_counters(event.event_id)
            time.sleep(0.03)
        return worker

    # Before the rush, the sync phones scan online once and are counted, so their uploads fall
    # behind those scans (the per-scan flow path of the fold).
    for token in tokens.values():
        assert device_client(token).post("/api/v1/scan", {"code": codes[SEATS[-1]], "direction": "in",
                                                          "scan_id": str(uuid.uuid4())}, format="json").status_code == 200
    selectors.fold_counters(event.event_id)
    jobs = ([(door, w) for w in range(12)] + [(upload, w) for w in range(4)] + [(upload, -1)]
            + [(dashboard, w) for w in range(2)])
    results = run_concurrently(lambda fn, w: fn(w), jobs, timeout=300)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]

    scans = Scan.objects.filter(event=event)
    assert scans.filter(quarantined=True).exists() and scans.filter(mode="sync", quarantined=False).exists()
    assert scans.filter(mode="manual").exists() and scans.filter(credential__isnull=False).exists()
    assert scans.filter(result="rejected", reason="direction_not_allowed").exists()
    assert scans.count() > 250

    assert check(event.event_id) == []
    out = io.StringIO()
    call_command("check_counters", "--event", event.event_id, stdout=out)
    assert "counters match the scan log" in out.getvalue()

    # The dashboard's figures are the log's.
    figures = _figures(event.event_id)
    live = scans.filter(quarantined=False)
    assert figures["totals"]["accepted"] == live.filter(result="accepted").count()
    assert figures["totals"]["rejected"] == live.filter(result="rejected").exclude(checkpoint=None).count()
    inside = {z: Ticket.objects.filter(event=event, zone_id=z, access_entry=True).count() for z in ("A", "B")}
    assert {z["zone_id"]: z["inside"] for z in figures["zones"]} == inside
    staff_inside = Credential.objects.filter(event=event, inside=True).count()
    assert sum(c["inside"] for c in figures["checkpoints"]) == sum(inside.values()) + staff_inside
    # ... and so are the report's, to the last minute of every series.
    assert _report(event) == _report_from_log_now(event)


def _report_from_log_now(event) -> dict:
    body = report_from_log(event)
    body.pop("generated_at")
    return body


def _phone_with_counted_scans(night, name: str, seats: list[str], online: int):
    """A new phone at the first gate that scanned the first `online` of `seats` online, counted
    by a fold: (phone, its client, the seats' codes)."""
    event, gates, _ = night
    phone, token = make_device(event, checkpoint=gates[0][0].checkpoint, name=name)
    client = device_client(token)
    codes = [code_for(event, s) for s in seats]
    for code in codes[:online]:
        assert client.post("/api/v1/scan", {"code": code, "direction": "in", "scan_id": str(uuid.uuid4())},
                           format="json").status_code == 200
    selectors.fold_counters(event.event_id)
    return phone, client, codes


def test_an_upload_between_counted_scans_recounts_the_flow(night):
    """A phone's offline scans land between its scans already counted: the scans after them get a
    new predecessor, so their fresh/gap terms are taken back and counted again."""
    event, gates, _ = night
    phone, client, codes = _phone_with_counted_scans(night, "flow phone", SEATS[24:40], 6)  # uploads land before
    now = timezone.now()
    # Minutes ago, five seconds apart, with two re-reads of one code in between.
    at = [now - timedelta(minutes=3) + timedelta(seconds=5 * i) for i in range(8)]
    scans = [{"code": codes[6 + i], "direction": "in", "scan_id": str(uuid.uuid4()), "scanned_at": at[i].isoformat()}
             for i in range(6)]
    scans += [{**scans[2], "scan_id": str(uuid.uuid4()), "scanned_at": (at[2] + timedelta(seconds=2)).isoformat()},
              {**scans[2], "scan_id": str(uuid.uuid4()), "scanned_at": (at[2] + timedelta(seconds=3)).isoformat()}]
    assert client.post("/api/v1/scan/sync", {"scans": scans}, format="json").status_code == 200
    with connection.cursor() as cur:  # the batch goes to the per-scan flow path, in the same fold
        cur.execute("SELECT counters_count_queued(%s)", [event.event_id])
        assert cur.fetchone()[0] == 8
        cur.execute("SELECT count(*) FROM counters_flow_pending WHERE device_id = %s", [phone.device_id])
        assert cur.fetchone()[0] == 8
    selectors.fold_counters(event.event_id)
    assert check(event.event_id) == []
    # And one more upload that lands between those.
    middle = [{"code": codes[12 + i], "direction": "in", "scan_id": str(uuid.uuid4()),
               "scanned_at": (at[i] + timedelta(seconds=1)).isoformat()} for i in range(3)]
    assert client.post("/api/v1/scan/sync", {"scans": middle}, format="json").status_code == 200
    assert check(event.event_id) == []
    with connection.cursor() as cur:
        cur.execute("SELECT sum(gaps) FROM counters_gap WHERE device_id = %s", [phone.device_id])
        assert cur.fetchone()[0] > 0
    assert _report(event) == _report_from_log_now(event)


def test_a_statement_inserting_many_scans_counts_them_one_by_one(night):
    """INSERT ... SELECT of many scans (as the superuser; no application path does it for flow
    scans today) fires the trigger row by row once all rows are in: the rows not yet counted must
    not be taken for counted neighbours. Two phones, door times out of order within the statement."""
    event, gates, _ = night
    a, b = gates[0][0], gates[1][0]
    with connection.cursor() as cur:
        cur.execute(
            """INSERT INTO access_scan (scan_id, device_id, event_id, checkpoint_id, direction, result, reason, code,
                                        first_entry, mode, quarantined, late, scanned_at, effective_at, server_time,
                                        response)
               SELECT gen_random_uuid(), CASE WHEN g %% 2 = 0 THEN %s ELSE %s END, %s,
                      CASE WHEN g %% 2 = 0 THEN %s ELSE %s END, 'in', 'rejected', 'unknown_ticket',
                      'forged-' || (g %% 7), false, 'sync', false, false,
                      now() - (g %% 5) * interval '7 seconds', now() - (g %% 5) * interval '7 seconds', now(),
                      '{}'::jsonb
                 FROM generate_series(1, 40) g""",
            [a.device_id, b.device_id, event.event_id, a.checkpoint_id, b.checkpoint_id])
    assert check(event.event_id) == []
    assert _report(event) == _report_from_log_now(event)


def _some_scans(night) -> None:
    event, gates, staff = night
    for seat, direction in (("A-1", "in"), ("B-1", "in"), ("B-1", "out"), ("A-1", "in")):
        services.scan(device=gates[0][0], code=code_for(event, seat), direction=direction, scan_id=uuid.uuid4())
    services.scan(device=gates[1][0], code="forged", direction="in", scan_id=uuid.uuid4())


@pytest.mark.parametrize("tamper, comparison", [
    ("UPDATE counters_gate SET scans = scans + 1 WHERE event_id = %s AND result = 'accepted' AND direction = 'in'",
     "gate"),
    ("UPDATE counters_zone SET inside = inside - 1 WHERE event_id = %s AND zone_id = 'A'", "zone inside (tickets)"),
    ("UPDATE counters_minute SET arrivals = arrivals + 1 WHERE event_id = %s AND direction = 'in'", "minute"),
    ("DELETE FROM counters_reason_code WHERE event_id = %s", "rejected codes"),
    ("UPDATE counters_reason SET codes = codes + 1 WHERE event_id = %s AND slot = -1", "distinct codes"),
])
def test_the_check_fails_on_a_tampered_counter(night, tamper, comparison):
    event = night[0]
    _some_scans(night)
    assert check(event.event_id) == []
    selectors.fold_counters(event.event_id)  # slot -1 rows too
    assert check(event.event_id) == []
    with connection.cursor() as cur:  # the test database's superuser: the application role cannot
        cur.execute(tamper, [event.event_id])
        assert cur.rowcount >= 1
    differences = check(event.event_id)
    assert comparison in {d.comparison for d in differences}, differences
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("check_counters", "--event", event.event_id, stdout=out)
    assert exit_.value.code == 1
    assert f"{comparison}: event_id={event.event_id}" in out.getvalue() and "counters" in out.getvalue()


def test_the_report_and_the_dashboard_never_read_the_scan_log(night):
    from django.test.utils import CaptureQueriesContext

    event = night[0]
    _some_scans(night)
    with CaptureQueriesContext(connection) as queries:
        report.event_report(event.event_id)
    assert not [q["sql"] for q in queries.captured_queries if "access_scan" in q["sql"]]
    with CaptureQueriesContext(connection) as queries:
        selectors.gate_counts(event.event_id)
    # The one read of the log: scans of the last two minutes for the per-minute rate.
    reads = [q["sql"] for q in queries.captured_queries if "access_scan" in q["sql"]]
    assert len(reads) == 1 and "interval '1 minute'" in reads[0]


def test_the_application_role_reads_the_counters_but_cannot_write_them(night, settings):
    from django.core.management.sql import emit_post_migrate_signal

    role = f"tc_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cur:
        cur.execute(f'CREATE ROLE "{role}" LOGIN')
        try:
            settings.DATABASE_APP_ROLE = role
            emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
            for table in TABLES:
                cur.execute("SELECT has_table_privilege(%s, %s, 'SELECT')", [role, table])
                assert cur.fetchone()[0], table
                for privilege in ("INSERT", "UPDATE", "DELETE", "TRUNCATE"):
                    cur.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege])
                    assert not cur.fetchone()[0], (table, privilege)
            cur.execute("SELECT has_table_privilege(%s, 'access_scan', 'INSERT')", [role])
            assert cur.fetchone()[0]
            # A scan written as that role is counted all the same: the trigger runs as the owner.
            event, gates, _ = night
            phone = gates[0][0]
            cur.execute(f'SET ROLE "{role}"')
            cur.execute(
                """INSERT INTO access_scan (scan_id, device_id, event_id, checkpoint_id, direction, result, reason, code,
                                            first_entry, mode, quarantined, late, server_time, response)
                   VALUES (%s, %s, %s, %s, 'in', 'rejected', 'unknown_ticket', 'forged-as-app', false, 'online', false,
                           false, now(), '{}'::jsonb)""",
                [uuid.uuid4(), phone.device_id, event.event_id, phone.checkpoint_id])
            with pytest.raises(Exception, match="permission denied"):
                cur.execute("UPDATE counters_reason SET scans = 0")
        finally:
            cur.execute("RESET ROLE")
            cur.execute(f'DROP OWNED BY "{role}"')
            cur.execute(f'DROP ROLE "{role}"')
    assert check(event.event_id) == []
    with connection.cursor() as cur:
        cur.execute("SELECT sum(scans) FROM counters_reason WHERE event_id = %s AND reason = 'unknown_ticket'",
                    [event.event_id])
        assert cur.fetchone()[0] == 1


def test_a_scan_outside_read_committed_is_queued_like_any_other_and_counted_by_the_next_fold(night):
    """A scan only queues itself, whatever its transaction's isolation; the fold (READ COMMITTED
    only: the flow's neighbours must be read from committed rows) counts it."""
    from django.db import transaction

    event, gates, _ = night
    phone = gates[0][0]
    selectors.fold_counters(event.event_id)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        services.scan(device=phone, code=code_for(event, "B-3"), direction="in", scan_id=uuid.uuid4())
        cur.execute("SELECT counters_fold(%s), counters_count_queued(%s)", [event.event_id, event.event_id])
        assert cur.fetchone() == (False, 0)  # both refuse under an older snapshot
    assert queued(event.event_id) == 1
    services.scan(device=phone, code=code_for(event, "B-4"), direction="in", scan_id=uuid.uuid4())
    assert queued(event.event_id) == 2
    selectors.fold_counters(event.event_id)  # what every reader does first
    assert queued(event.event_id) == 0
    assert check(event.event_id) == []
    assert _report(event) == _report_from_log_now(event)


def test_the_busy_gap_is_one_number():
    """The trigger's literal, the counters' vocabulary and the flow analysis agree."""
    assert flow.BUSY_GAP_S == BUSY_GAP_S == 20.0
    with connection.cursor() as cur:
        cur.execute("SELECT pg_get_functiondef('counters_flow_term'::regproc)")
        body = cur.fetchone()[0]
    assert body.count(f"<= {int(BUSY_GAP_S)}") == 2


def test_the_beat_counts_the_queue_of_every_event_nobody_reads(night):
    """With no dashboard open the scans stay queued; the beat's task counts every event's queue."""
    from django.conf import settings

    from counters.tasks import counters_fold_queued

    event, gates, _ = night
    other = make_event(name="Elsewhere", zones=ZONES)
    generate_tickets(event_id=other.event_id)
    sell(other, "A-1")
    other_phone, _ = make_device(other, name="other door")
    services.scan(device=gates[0][0], code=code_for(event, "A-1"), direction="in", scan_id=uuid.uuid4())
    services.scan(device=gates[1][0], code="forged", direction="in", scan_id=uuid.uuid4())
    services.scan(device=other_phone, code=code_for(other, "A-1"), direction="in", scan_id=uuid.uuid4())
    assert (queued(event.event_id), queued(other.event_id)) == (2, 1)
    assert counters_fold_queued.apply().get() == 2
    assert queued() == 0
    assert check() == []
    entry = settings.CELERY_BEAT_SCHEDULE["counters_fold_queued"]
    assert entry["task"] == counters_fold_queued.name and entry["schedule"] == settings.COUNTERS_FOLD_INTERVAL_S


def test_a_late_scan_takes_the_per_scan_path_alone_and_the_rest_of_its_phones_batch_the_window(night):
    """One phone's queued scans: one lands before its counted scans (an upload from minutes ago),
    the others after them. Only the late one goes to the per-scan path; the others are counted by
    the window, in the same fold, and every flow figure is the log's."""
    event, gates, _ = night
    phone, client, codes = _phone_with_counted_scans(night, "mixed phone", SEATS[40:48], 3)
    late = {"code": codes[3], "direction": "in", "scan_id": str(uuid.uuid4()),
            "scanned_at": (timezone.now() - timedelta(minutes=2)).isoformat()}
    assert client.post("/api/v1/scan/sync", {"scans": [late]}, format="json").status_code == 200
    for code in codes[4:7]:
        assert client.post("/api/v1/scan", {"code": code, "direction": "in", "scan_id": str(uuid.uuid4())},
                           format="json").status_code == 200
    with connection.cursor() as cur:
        cur.execute("SELECT counters_count_queued(%s)", [event.event_id])
        assert cur.fetchone()[0] == 4
        cur.execute("SELECT s.scan_id::text FROM counters_flow_pending q JOIN access_scan s ON s.id = q.scan_id "
                    "WHERE q.device_id = %s", [phone.device_id])
        assert [r[0] for r in cur.fetchall()] == [late["scan_id"]]
    selectors.fold_counters(event.event_id)
    assert check(event.event_id) == []
    assert _report(event) == _report_from_log_now(event)
