"""POST /api/v1/scan/sync: batch upload of offline scans (docs/adr/0012)."""
import random
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from access import sync_replay
from access.models import Scan
from access.offline_limits import MAX_SYNC_SCANS
from access.services import create_credential, credential_code
from access.sync import sync_scans
from alerts.models import Alert
from devices.models import Device
from tests.conftest import code_for, device_client, make_device, make_event, run_concurrently, sell
from tests.events.test_api import assert_error
from tickets.models import LedgerEntry, Ticket
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db


def item(code, direction="in", at=None, scan_id=None):
    return {"code": code, "direction": direction, "scan_id": str(scan_id or uuid.uuid4()),
            "scanned_at": (at or timezone.now()).isoformat()}


def sync(client, scans, status=200):
    r = client.post("/api/v1/scan/sync", {"scans": scans}, format="json")
    assert r.status_code == status, r.content
    return r.json()


def set_clock(device, *, fast_by: timedelta):
    """What the heartbeat measures for a phone whose clock runs `fast_by` ahead:
    clock_offset_ms = server_time - device_time."""
    Device.objects.filter(pk=device.pk).update(clock_offset_ms=-int(fast_by.total_seconds() * 1000))


@pytest.fixture
def two_scanners(generated_event):
    a, ta = make_device(generated_event, name="North phone")
    b, tb = make_device(generated_event, name="South phone")
    return (a, device_client(ta)), (b, device_client(tb))


def test_results_echo_scan_ids_in_request_order_and_rows_are_sync_mode(scanner, generated_event):
    device, client = scanner
    sell(generated_event, "A-1", "B-1")
    t0 = timezone.now() - timedelta(minutes=3)
    scans = [item(code_for(generated_event, "B-1"), "out", t0 + timedelta(seconds=30)),  # listed first, happened last
             item(code_for(generated_event, "A-1"), "in", t0 + timedelta(seconds=10)),
             item(code_for(generated_event, "B-1"), "in", t0)]
    body = sync(client, scans)
    assert [r["scan_id"] for r in body["results"]] == [s["scan_id"] for s in scans]
    # Applied in scanned_at order: B-1 in (t0) before B-1 out (t0+30s), so both are accepted.
    assert [r["result"] for r in body["results"]] == ["accepted", "accepted", "accepted"]
    assert body["results"][1]["ticket"]["seat_id"] == "A-1"
    rows = list(Scan.objects.filter(device=device).order_by("id"))
    assert [r.direction for r in rows] == ["in", "in", "out"]  # A-1 in (t0+10) sits between the two B-1 scans
    assert [r.effective_at for r in rows] == sorted(r.effective_at for r in rows)
    assert all(r.mode == "sync" and not r.late and not r.quarantined for r in rows)
    b1 = Ticket.objects.get(event=generated_event, seat_id="B-1")
    assert b1.access_status and not b1.access_entry
    meta = LedgerEntry.objects.filter(ticket=b1, action="accessed").get().metadata
    assert meta["mode"] == "sync" and meta["scan_id"] == scans[2]["scan_id"]
    assert body["summary"] == {"received": 3, "applied": 3, "replayed": 0, "accepted": 3, "late": 0, "conflicts": 0,
                               "quarantined": 0}


def test_idempotent_reupload_returns_original_answers_and_writes_nothing(scanner, generated_event):
    device, client = scanner
    sell(generated_event, "A-1", "A-2")
    t0 = timezone.now() - timedelta(minutes=1)
    scans = [item(code_for(generated_event, "A-1"), at=t0), item(code_for(generated_event, "A-1"), at=t0 + timedelta(seconds=5)),
             item(code_for(generated_event, "A-2"), at=t0), item("forged.code", at=t0)]
    first = sync(client, scans)
    assert [(r["result"], r["reason"]) for r in first["results"]] == [
        ("accepted", None), ("rejected", "already_inside"), ("accepted", None), ("rejected", "invalid_signature")]
    counts = (Scan.objects.count(), LedgerEntry.objects.count(), Alert.objects.count())
    random.Random(1).shuffle(scans)
    again = sync(client, scans)
    assert {r["scan_id"]: r for r in again["results"]} == {r["scan_id"]: r for r in first["results"]}
    assert [r["scan_id"] for r in again["results"]] == [s["scan_id"] for s in scans]
    assert (Scan.objects.count(), LedgerEntry.objects.count(), Alert.objects.count()) == counts
    assert again["summary"]["replayed"] == 4 and again["summary"]["applied"] == 0


def test_scan_id_already_used_online_replays_the_online_answer(scanner, generated_event):
    _, client = scanner
    sell(generated_event, "A-1")
    scan_id = str(uuid.uuid4())
    online = client.post("/api/v1/scan", {"code": code_for(generated_event, "A-1"), "direction": "in",
                                          "scan_id": scan_id}, format="json").json()
    body = sync(client, [item(code_for(generated_event, "A-1"), scan_id=scan_id)])
    assert body["results"] == [online] and Scan.objects.count() == 1


def test_repeated_scan_id_inside_one_upload_gets_one_answer(scanner, generated_event):
    _, client = scanner
    sell(generated_event, "A-1")
    s = item(code_for(generated_event, "A-1"))
    body = sync(client, [s, dict(s)])
    assert body["results"][0] == body["results"][1] and body["results"][0]["result"] == "accepted"
    assert Scan.objects.count() == 1


def test_two_device_conflict_earlier_accepted_later_rejected_with_alert(two_scanners, generated_event):
    (a, ca), (b, cb) = two_scanners
    sell(generated_event, "A-1")
    code = code_for(generated_event, "A-1")
    t0 = timezone.now() - timedelta(minutes=2)
    ra = sync(ca, [item(code, at=t0)])["results"][0]
    rb_item = item(code, at=t0 + timedelta(seconds=40))
    rb = sync(cb, [rb_item])["results"][0]
    assert ra["result"] == "accepted"
    assert (rb["result"], rb["reason"]) == ("rejected", "already_inside")
    assert rb["first_entry"]["checkpoint"] == a.checkpoint_id
    alert = Alert.objects.get(kind="offline_conflict")
    assert alert.data["ticket_id"] == ra["ticket"]["ticket_id"]
    assert alert.data["accepted"]["device_id"] == a.device_id and alert.data["rejected"]["device_id"] == b.device_id
    assert alert.data["rejected_was_earlier"] is False
    assert sync(cb, [rb_item])["results"][0] == rb  # re-upload: same answer, no second alert
    assert Alert.objects.filter(kind="offline_conflict").count() == 1
    assert Scan.objects.filter(ticket__seat_id="A-1", result="accepted").count() == 1


def test_same_device_repeat_is_not_an_offline_conflict(scanner, generated_event):
    _, client = scanner
    sell(generated_event, "A-1")
    t0 = timezone.now() - timedelta(minutes=1)
    body = sync(client, [item(code_for(generated_event, "A-1"), at=t0),
                         item(code_for(generated_event, "A-1"), at=t0 + timedelta(seconds=2))])
    assert body["results"][1]["reason"] == "already_inside"
    assert not Alert.objects.filter(kind="offline_conflict").exists()


def test_out_of_order_uploads_from_several_devices(generated_event):
    """Three phones scanned offline; their uploads arrive newest-first. Inside one upload the
    scans are applied in corrected-time order; across uploads the first applied admission stands
    and every later-arriving admission of the same ticket is refused and flagged, with the alert
    saying whether the refused one was really the earlier (ADR 0012)."""
    phones = [make_device(generated_event, name=n) for n in ("P1", "P2", "P3")]
    clients = [device_client(t) for _, t in phones]
    sell(generated_event, "A-1", "A-2", "B-1", "B-2")
    code = {s: code_for(generated_event, s) for s in ("A-1", "A-2", "B-1", "B-2")}
    t0 = timezone.now() - timedelta(minutes=5)
    at = lambda s: t0 + timedelta(seconds=s)  # noqa: E731
    batches = [
        # P1: admitted A-1 first of all three; B-1 in and out (listed out of order)
        [item(code["B-1"], "out", at(50)), item(code["A-1"], "in", at(10)), item(code["B-1"], "in", at(5))],
        # P2: admitted A-1 later than P1; A-2 in
        [item(code["A-2"], "in", at(25)), item(code["A-1"], "in", at(20))],
        # P3: admitted A-1 last; B-1 in after P1 let it out; B-2 in
        [item(code["A-1"], "in", at(30)), item(code["B-1"], "in", at(60)), item(code["B-2"], "in", at(1))],
    ]
    got = {}
    for n in (2, 0, 1):  # newest upload first
        body = sync(clients[n], batches[n])
        assert [r["scan_id"] for r in body["results"]] == [s["scan_id"] for s in batches[n]]
        got[n] = [(r["result"], r["reason"]) for r in body["results"]]
    assert got[2] == [("accepted", None), ("accepted", None), ("accepted", None)]
    # P1's B-1 in (t5) is refused: P3 already had B-1 inside. Its out then lets that person out.
    assert got[0] == [("accepted", None), ("rejected", "already_inside"), ("rejected", "already_inside")]
    assert got[1] == [("accepted", None), ("rejected", "already_inside")]
    a1 = Ticket.objects.get(event=generated_event, seat_id="A-1")
    assert Scan.objects.filter(ticket=a1, result="accepted").get().device_id == phones[2][0].device_id
    conflicts = Alert.objects.filter(kind="offline_conflict")
    a1_alerts = [c.data for c in conflicts if c.data["seat_id"] == "A-1"]
    assert len(a1_alerts) == 2 and all(d["rejected_was_earlier"] for d in a1_alerts)
    assert {d["rejected"]["device_id"] for d in a1_alerts} == {phones[0][0].device_id, phones[1][0].device_id}
    assert all(d["accepted"]["device_id"] == phones[2][0].device_id for d in a1_alerts)
    assert [c.data["seat_id"] for c in conflicts].count("B-1") == 1


def test_clock_offset_corrects_the_doors_window(db):
    """Doors closed a minute ago. A phone 5 minutes fast scanned 3 minutes ago (its clock said
    2 minutes from now): corrected, the scan was inside the window and is accepted; the same
    raw time from a phone with a correct clock is refused."""
    now = timezone.now()
    from events import services as event_services
    from tests.conftest import ZONES

    event = event_services.create_event(name="Closing", venue="Arena", date_start=now - timedelta(hours=3),
                                        date_end=now - timedelta(minutes=1), doors_close_minutes=0)
    event_services.setup_zones(event_id=event.event_id, status=True, zones=list(ZONES))
    generate_tickets(event_id=event.event_id)
    sell(event, "A-1", "A-2")
    fast, fast_token = make_device(event, name="Fast")
    exact, exact_token = make_device(event, name="Exact")
    set_clock(fast, fast_by=timedelta(minutes=5))
    Device.objects.filter(pk=exact.pk).update(clock_offset_ms=0)
    device_says = now + timedelta(minutes=2)
    r_fast = sync(device_client(fast_token), [item(code_for(event, "A-1"), at=device_says)])["results"][0]
    r_exact = sync(device_client(exact_token), [item(code_for(event, "A-2"), at=device_says)])["results"][0]
    assert r_fast["result"] == "accepted"
    assert (r_exact["result"], r_exact["reason"]) == ("rejected", "event_closed")
    row = Scan.objects.get(device=fast)
    assert row.scanned_at == device_says and row.effective_at == device_says - timedelta(minutes=5)


def test_clock_offset_decides_who_was_earlier_across_devices(two_scanners, generated_event):
    """Real times: the fast phone A scanned at t, phone B at t+2min. By their raw clocks B looks
    earlier (t+2 < t+5); corrected, A was. A uploads first and wins; the alert must not claim B
    was the earlier one."""
    (a, ca), (b, cb) = two_scanners
    set_clock(a, fast_by=timedelta(minutes=5))
    Device.objects.filter(pk=b.pk).update(clock_offset_ms=0)
    sell(generated_event, "B-3")
    code = code_for(generated_event, "B-3")
    t = timezone.now() - timedelta(minutes=8)
    assert sync(ca, [item(code, at=t + timedelta(minutes=5))])["results"][0]["result"] == "accepted"
    rb = sync(cb, [item(code, at=t + timedelta(minutes=2))])["results"][0]
    assert rb["reason"] == "already_inside"
    alert = Alert.objects.get(kind="offline_conflict")
    assert alert.data["rejected_was_earlier"] is False
    assert alert.data["accepted"]["at"] == t.isoformat()


def test_clock_offset_orders_a_device_batch_and_feeds_the_late_flag(scanner, generated_event, settings):
    settings.OFFLINE_LATE_UPLOAD_SECONDS = 600
    device, client = scanner
    set_clock(device, fast_by=timedelta(minutes=-5))  # 5 minutes slow
    sell(generated_event, "A-1", "A-2")
    now = timezone.now()
    # Device clock says 13 and 17 minutes ago; really 8 and 12 minutes ago: only the second is late.
    body = sync(client, [item(code_for(generated_event, "A-1"), at=now - timedelta(minutes=13)),
                         item(code_for(generated_event, "A-2"), at=now - timedelta(minutes=17))])
    assert [r["result"] for r in body["results"]] == ["accepted", "accepted"]
    late = {s.ticket.seat_id: s.late for s in Scan.objects.select_related("ticket")}
    assert late == {"A-1": False, "A-2": True}
    alert = Alert.objects.get(kind="late_upload")
    assert alert.data["count"] == 1 and alert.data["device_id"] == device.device_id
    assert body["summary"]["late"] == 1


def test_late_threshold_is_configurable(scanner, generated_event, settings):
    settings.OFFLINE_LATE_UPLOAD_SECONDS = 60
    _, client = scanner
    sell(generated_event, "A-1")
    sync(client, [item(code_for(generated_event, "A-1"), at=timezone.now() - timedelta(minutes=2))])
    assert Scan.objects.get().late and Alert.objects.filter(kind="late_upload").count() == 1


def test_credentials_forged_and_foreign_codes_in_one_upload(scanner, generated_event):
    device, client = scanner
    other = make_event(name="Other")
    generate_tickets(event_id=other.event_id)
    sell(other, "A-1")
    cred = create_credential(event_id=generated_event.event_id, name="Ana Staff", kind="staff")
    t0 = timezone.now() - timedelta(minutes=1)
    body = sync(client, [item(credential_code(cred), "out", t0 + timedelta(seconds=9)),
                         item(credential_code(cred), "in", t0),
                         item(code_for(other, "A-1"), "in", t0),
                         item(code_for(generated_event, "A-1")[:-2] + "xx", "in", t0)])
    assert [(r["result"], r["reason"]) for r in body["results"]] == [
        ("accepted", None), ("accepted", None), ("rejected", "wrong_event"), ("rejected", "invalid_signature")]
    assert body["results"][0]["credential"]["credential_id"] == cred.credential_id


def test_batch_and_one_by_one_answers_are_identical(generated_event):
    """One decision logic: the same scans through POST /scan one at a time and through the sync
    batch (chunked into 2s, so chunk boundaries fall inside a ticket's sequence) give the same
    answers."""
    sell(generated_event, "A-1", "B-1", "B-2")
    t0 = timezone.now() - timedelta(minutes=4)
    plan = [("A-1", "in"), ("A-1", "in"), ("A-1", "out"), ("A-1", "in"), ("B-1", "out"), ("B-1", "in"),
            ("B-1", "out"), ("B-1", "in"), ("B-1", "in"), ("A-3", "in"), ("B-2", "in")]
    online_dev, online_token = make_device(generated_event, name="Online")
    sync_dev, _ = make_device(generated_event, name="Sync")
    online = [device_client(online_token).post("/api/v1/scan", {"code": code_for(generated_event, s), "direction": d,
                                                                "scan_id": str(uuid.uuid4())}, format="json").json()
              for s, d in plan]
    # Reset the tickets' state by using a second, identical event for the batch run.
    twin = make_event(name="Twin")
    generate_tickets(event_id=twin.event_id)
    sell(twin, "A-1", "B-1", "B-2")
    twin_dev, _ = make_device(twin, name="Twin sync")
    scans = [{"code": code_for(twin, s), "direction": d, "scan_id": uuid.uuid4(), "scanned_at": t0 + timedelta(seconds=i)}
             for i, (s, d) in enumerate(plan)]
    batch = sync_scans(device=twin_dev, scans=scans, chunk=2).results
    assert [(r["result"], r["reason"]) for r in batch] == [(r["result"], r["reason"]) for r in online]
    assert sync_dev.pk  # (unused device: keeps both events shaped alike)


def test_chunk_that_the_database_refuses_is_reapplied_one_by_one(scanner, generated_event, monkeypatch):
    """If the batch statement fails (a backstop refused a racing write, or a deadlock between two
    uploads), the chunk rolls back whole and is applied scan by scan with the same function."""
    device, _ = scanner
    sell(generated_event, "A-1", "A-2")
    failing = """
        WITH p AS (SELECT %s::text AS device, %s::text AS event, %s, %s::text[], %s, %s::int[], %s::text[], %s::text[],
                          %s::text[], %s::uuid[], %s::timestamptz[], %s::timestamptz[], %s::boolean[])
        INSERT INTO access_alert (event_id, kind, message, data, dedupe_key, created_at, acknowledged_by)
        SELECT p.event, 'late_upload', 'x', '{}', 'duplicate', now(), '' FROM p, generate_series(1, 2)
        RETURNING 0, '{}'::jsonb"""
    monkeypatch.setattr(sync_replay, "_BATCH_SQL", failing)
    t0 = timezone.now() - timedelta(minutes=1)
    scans = [{"code": code_for(generated_event, s), "direction": "in", "scan_id": uuid.uuid4(),
              "scanned_at": t0 + timedelta(seconds=i)} for i, s in enumerate(["A-1", "A-2", "A-1"])]
    results = sync_scans(device=device, scans=scans).results
    assert [(r["result"], r["reason"]) for r in results] == [("accepted", None), ("accepted", None),
                                                             ("rejected", "already_inside")]
    assert not Alert.objects.filter(dedupe_key="duplicate").exists()


@pytest.mark.parametrize("payload, field", [
    ({"scans": [{"direction": "in", "scan_id": str(uuid.uuid4()), "scanned_at": "2030-01-01T00:00:00+00:00"}]},
     "scans[0].code"),
    ({"scans": [{"code": "x", "direction": "in", "scan_id": str(uuid.uuid4())}]}, "scans[0].scanned_at"),
    ({"scans": [{"code": "x", "direction": "up", "scan_id": str(uuid.uuid4()), "scanned_at": "2030-01-01T00:00:00Z"}]},
     "scans[0].direction"),
    ({"scans": [{"code": "x", "direction": "in", "scan_id": "nope", "scanned_at": "2030-01-01T00:00:00Z"}]},
     "scans[0].scan_id"),
    ({"scans": [{"code": "x", "direction": "in", "scan_id": str(uuid.uuid4()), "scanned_at": "2030-01-01T00:00:00"}]},
     "scans[0].scanned_at"),
    ({"scans": [{"code": 5, "direction": "in", "scan_id": str(uuid.uuid4()), "scanned_at": "2030-01-01T00:00:00Z"}]},
     "scans[0].code"),
    ({"scans": ["x"]}, "scans[0]"),
    ({"scans": [{"code": "T.a\x00b", "direction": "in", "scan_id": str(uuid.uuid4()),
                 "scanned_at": "2030-01-01T00:00:00Z"}]}, "scans[0].code"),
    ({"scans": "all"}, "scans"),
    ({}, "scans"),
])
def test_bad_input_is_400_and_writes_nothing(scanner, generated_event, payload, field):
    _, client = scanner
    sell(generated_event, "A-1")
    if "scans" in payload and isinstance(payload["scans"], list):
        payload = {"scans": [item(code_for(generated_event, "A-1"))] + payload["scans"]}
        field = field.replace("scans[0]", "scans[1]")
    body = assert_error(client.post("/api/v1/scan/sync", payload, format="json"), 400, "invalid")
    assert field in body["error"]["fields"], body
    assert not Scan.objects.exists() and not Ticket.objects.filter(access_status=True).exists()


def test_too_many_scans_and_malformed_bodies_are_400(scanner, generated_event):
    device, client = scanner
    one = item("x")
    body = assert_error(client.post("/api/v1/scan/sync", {"scans": [one] * (MAX_SYNC_SCANS + 1)},
                                    format="json"), 400, "invalid")
    assert "scans" in body["error"]["fields"]
    assert_error(client.post("/api/v1/scan/sync", [one], format="json"), 400, "invalid")
    assert_error(client.post("/api/v1/scan/sync", "{", content_type="application/json"), 400, "parse_error")
    assert_error(client.post("/api/v1/scan/sync", "[" * 5000 + "]" * 5000, content_type="application/json"),
                 400, "parse_error")
    # A scanned_at that overflows once corrected by the clock offset.
    Device.objects.filter(pk=device.pk).update(clock_offset_ms=10**12)
    body = assert_error(client.post("/api/v1/scan/sync", {"scans": [item("x", at=timezone.now().replace(year=9999))]},
                                    format="json"), 400, "invalid")
    assert "scans[0].scanned_at" in body["error"]["fields"]
    Device.objects.filter(pk=device.pk).update(clock_offset_ms=0)
    for absurd in ("0001-01-01T00:00:00+14:00", "1999-12-31T23:59:59+00:00", "2100-01-01T00:00:00Z"):
        body = assert_error(client.post("/api/v1/scan/sync", {"scans": [{**item("x"), "scanned_at": absurd}]},
                                        format="json"), 400, "invalid")
        assert "scans[0].scanned_at" in body["error"]["fields"]
    assert not Scan.objects.exists()
    assert sync(client, [])["results"] == []


def test_only_scanner_devices_may_sync(api, generated_event, anon):
    office_device, office_token = make_device(generated_event, role="office", name="Box office")
    assert_error(api.post("/api/v1/scan/sync", {"scans": []}, format="json"), 401, "not_authenticated")
    assert_error(anon.post("/api/v1/scan/sync", {"scans": []}, format="json"), 401, "not_authenticated")
    assert_error(device_client("nope").post("/api/v1/scan/sync", {"scans": []}, format="json"), 401, "not_authenticated")
    assert_error(device_client(office_token).post("/api/v1/scan/sync", {"scans": []}, format="json"),
                 403, "permission_denied")
    _, steward_token = make_device(generated_event)
    assert_error(device_client(steward_token).get("/api/v1/scan/sync"), 405, "method_not_allowed")


@pytest.mark.django_db(transaction=True)
def test_racing_reuploads_of_one_batch_apply_once(generated_event):
    device, token = make_device(generated_event)
    sell(generated_event, *[f"B-{n}" for n in range(1, 11)])
    t0 = timezone.now() - timedelta(minutes=2)
    scans = [item(code_for(generated_event, f"B-{n}"), at=t0 + timedelta(seconds=n)) for n in range(1, 11)]

    def upload():
        return device_client(token).post("/api/v1/scan/sync", {"scans": scans}, format="json").json()["results"]

    results = run_concurrently(upload, [()] * 4)
    assert all(r == results[0] for r in results), results
    assert all(r["result"] == "accepted" for r in results[0])
    assert Scan.objects.count() == 10 and LedgerEntry.objects.filter(action="accessed").count() == 10


@pytest.mark.django_db(transaction=True)
def test_racing_uploads_from_two_devices_admit_each_ticket_once(generated_event):
    """Two phones admitted the same ten tickets offline, in opposite orders; their uploads race.
    Each chunk takes its ticket locks in id order first, so the uploads queue rather than
    deadlock; whatever the interleaving, each ticket is accepted exactly once."""
    a, ta = make_device(generated_event, name="A")
    b, tb = make_device(generated_event, name="B")
    seats = [f"B-{n}" for n in range(1, 11)]
    sell(generated_event, *seats)
    t0 = timezone.now() - timedelta(minutes=2)
    up = [item(code_for(generated_event, s), at=t0 + timedelta(seconds=i)) for i, s in enumerate(seats)]
    down = [item(code_for(generated_event, s), at=t0 + timedelta(seconds=i)) for i, s in enumerate(reversed(seats))]

    def upload(token, scans):
        r = device_client(token).post("/api/v1/scan/sync", {"scans": scans}, format="json")
        assert r.status_code == 200, r.content
        return r.json()["results"]

    ra, rb = run_concurrently(upload, [(ta, up), (tb, down)])
    for res in (ra, rb):
        assert not isinstance(res, BaseException), res
    accepted = [r["ticket"]["seat_id"] for r in ra + rb if r["result"] == "accepted"]
    assert sorted(accepted) == sorted(seats)
    assert all(r["reason"] == "already_inside" for r in ra + rb if r["result"] == "rejected")
    assert Alert.objects.filter(kind="offline_conflict").count() == 10


def test_pipelined_verification_classifies_every_kind_of_code(scanner, generated_event):
    """With several chunks, signatures are verified in a helper thread one chunk ahead; forged
    codes, other events' codes, credentials and tickets must come out exactly as one by one."""
    device, _ = scanner
    other = make_event(name="Other")
    generate_tickets(event_id=other.event_id)
    sell(other, "A-1")
    sell(generated_event, "A-1", "A-2", "B-1")
    cred = create_credential(event_id=generated_event.event_id, name="Staff", kind="staff")
    good = code_for(generated_event, "A-2")
    t0 = timezone.now() - timedelta(minutes=3)
    plan = [credential_code(cred), code_for(generated_event, "A-1"), good[:-4] + "AAAA", "T.x.y.z",
            code_for(other, "A-1"), good, code_for(generated_event, "B-1"), code_for(generated_event, "A-1")]
    scans = [{"code": c, "direction": "in", "scan_id": uuid.uuid4(), "scanned_at": t0 + timedelta(seconds=i)}
             for i, c in enumerate(plan)]
    results = sync_scans(device=device, scans=scans, chunk=3).results
    assert [(r["result"], r["reason"]) for r in results] == [
        ("accepted", None), ("accepted", None), ("rejected", "invalid_signature"), ("rejected", "invalid_signature"),
        ("rejected", "wrong_event"), ("accepted", None), ("accepted", None), ("rejected", "already_inside")]
