"""A revoked device may still upload (its queued scans are evidence), but what it can store is
capped per device, per minute and in total; past the cap every scan is still answered
`rejected`/`device_revoked`, nothing is written, and ONE alert says so (docs/adr/0018)."""
import json
import time
import urllib.request
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from access.models import Scan
from alerts.models import Alert
from devices.services import revoke_device
from tests.conftest import code_for, device_client, make_device, run_concurrently, sell, start_thread

pytestmark = pytest.mark.django_db


def flood(n: int, code: str) -> list[dict]:
    at = (timezone.now() - timedelta(minutes=1)).isoformat()
    return [{"code": code, "direction": "in", "scan_id": str(uuid.uuid4()), "scanned_at": at} for _ in range(n)]


def upload(client, scans):
    r = client.post("/api/v1/scan/sync", {"scans": scans}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert [x["scan_id"] for x in body["results"]] == [s["scan_id"] for s in scans]
    assert all(x["result"] == "rejected" and x["reason"] == "device_revoked" for x in body["results"])
    return body


@pytest.fixture
def stolen(generated_event):
    device, token = make_device(generated_event, name="Stolen phone")
    sell(generated_event, "A-1")
    revoke_device(device_id=device.device_id)
    return device, device_client(token)


def cap_alerts(device):
    return Alert.objects.filter(kind="revoked_device", data__device_id=device.device_id, data__evidence_cap=True)


def test_per_minute_cap(stolen, generated_event, settings):
    settings.REVOKED_EVIDENCE_PER_MIN, settings.REVOKED_EVIDENCE_TOTAL = 300, 10_000
    device, client = stolen
    code = code_for(generated_event, "A-1")
    summaries = [upload(client, flood(500, code))["summary"] for _ in range(4)]
    assert Scan.objects.filter(device=device, quarantined=True).count() == 300
    assert [s["quarantined"] for s in summaries] == [300, 0, 0, 0]
    assert [s["discarded"] for s in summaries] == [200, 500, 500, 500]
    assert cap_alerts(device).count() == 1
    alert = cap_alerts(device).get()
    assert alert.data["stored"] == 300 and "300 a minute" in alert.message and "Stolen phone" in alert.message
    # The per-upload evidence alerts are at most one a minute, not one per upload.
    assert Alert.objects.filter(kind="revoked_device", data__device_id=device.device_id).count() == 2


def test_total_cap_and_replays(stolen, generated_event, settings):
    settings.REVOKED_EVIDENCE_PER_MIN, settings.REVOKED_EVIDENCE_TOTAL = 10_000, 700
    device, client = stolen
    code = code_for(generated_event, "A-1")
    first = flood(500, code)
    upload(client, first)
    second = flood(500, code)
    body = upload(client, second)
    assert body["summary"]["quarantined"] == 200 and body["summary"]["discarded"] == 300
    assert Scan.objects.filter(device=device, quarantined=True).count() == 700
    # Re-uploading the stored ones replays them; the discarded ones are still not stored.
    again = upload(client, first + second)
    assert again["summary"]["replayed"] == 700 and again["summary"]["discarded"] == 300
    assert Scan.objects.filter(device=device, quarantined=True).count() == 700
    assert cap_alerts(device).count() == 1 and "total of 700" in cap_alerts(device).get().message


@pytest.mark.django_db(transaction=True)
def test_parallel_uploads_do_not_overshoot_the_cap(settings):
    from tests.conftest import make_event
    from tickets.services import generate_tickets

    settings.REVOKED_EVIDENCE_PER_MIN, settings.REVOKED_EVIDENCE_TOTAL = 250, 10_000
    event = make_event()
    generate_tickets(event_id=event.event_id)
    device, token = make_device(event, name="Stolen phone")
    revoke_device(device_id=device.device_id)
    code = code_for(event, "A-1")
    batches = [(flood(100, code),) for _ in range(8)]
    results = run_concurrently(lambda scans: upload(device_client(token), scans), batches)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Scan.objects.filter(device=device, quarantined=True).count() == 250
    assert sum(r["summary"]["quarantined"] for r in results) == 250
    assert cap_alerts(device).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_flood_through_granian_stores_only_the_cap(app_server, capsys):
    """The review's flood, against the production HTTP server with the default caps: 15,000
    scans in three uploads of 5,000. Prints the figures for docs/security.md."""
    from django.conf import settings

    from tests.conftest import make_event
    from tickets.services import generate_tickets

    event = make_event()
    generate_tickets(event_id=event.event_id)
    device, token = make_device(event, name="Stolen phone")
    revoke_device(device_id=device.device_id)
    code = code_for(event, "A-1")
    uploads = [json.dumps({"scans": flood(5000, code)}).encode() for _ in range(3)]
    started = time.perf_counter()
    summaries = []
    for body in uploads:
        req = urllib.request.Request(f"{app_server}/api/v1/scan/sync", data=body, method="POST",
                                     headers={"Authorization": f"Device {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as r:
            answer = json.loads(r.read())
        assert all(x["reason"] == "device_revoked" for x in answer["results"])
        summaries.append(answer["summary"])
    elapsed = time.perf_counter() - started
    stored = Scan.objects.filter(device=device, quarantined=True).count()
    cap = settings.REVOKED_EVIDENCE_PER_MIN
    assert stored == cap
    assert sum(s["discarded"] for s in summaries) == 15_000 - cap
    assert cap_alerts(device).count() == 1
    with capsys.disabled():
        print(f"\nrevoked-device flood: 15000 scans in 3 uploads, {elapsed:.2f} s, {stored} rows stored, "
              f"{15_000 - stored} answered and discarded, {cap_alerts(device).count()} cap alert")


@pytest.mark.django_db(transaction=True)
def test_evidence_cannot_deadlock_with_a_sync_batch_locking_the_same_tickets():
    """A stolen phone uploads ticket B before ticket A while a door's sync batch locks them in id
    order, A then B (access/sync_replay.py). The evidence's foreign-key checks took key-share locks
    at COMMIT in upload order, B then A: each waited for the other, and PostgreSQL's deadlock
    detector aborted one of them. The evidence now locks its tickets in id order before writing."""
    import psycopg
    from django.db import connection

    from access.sync_replay import _LOCK_SQL
    from tests.conftest import make_event
    from tickets.models import Ticket
    from tickets.services import generate_tickets

    event = make_event()
    generate_tickets(event_id=event.event_id)
    low, high = Ticket.objects.filter(event=event, seat_id__in=["A-1", "A-2"]).order_by("id")
    device, token = make_device(event, name="Stolen phone")
    revoke_device(device_id=device.device_id)
    db = connection.settings_dict
    door = psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                           dbname=db["NAME"])
    try:
        door.execute("SET lock_timeout = '20s'")
        door.execute(_LOCK_SQL, [event.event_id, [low.ticket_id]])  # the batch holds A, reaches for B
        thread, result = start_thread(lambda: upload(device_client(token), [
            {"code": code_for(event, seat), "direction": "in", "scan_id": str(uuid.uuid4()),
             "scanned_at": (timezone.now() - timedelta(minutes=1)).isoformat()}
            for seat in (high.seat_id, low.seat_id)]))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # until the upload waits for the door's lock on A
            # (the door's transaction would see one snapshot of pg_stat_activity: cleared each time)
            door.execute("SELECT pg_stat_clear_snapshot()")
            waiting = door.execute("SELECT count(*) FROM pg_stat_activity "
                                   "WHERE datname = current_database() AND wait_event_type = 'Lock'").fetchone()[0]
            if waiting:
                break
            time.sleep(0.05)  # polling pg_stat_activity until the deadline
        assert waiting, f"the upload never waited for the door's lock: {result}"
        door.execute(_LOCK_SQL, [event.event_id, [high.ticket_id]])  # before: a deadlock, one side aborted (the upload got 503)
        door.commit()
        thread.join(30)
        assert not thread.is_alive()
    finally:
        door.close()
    answer = result["result"]
    assert not isinstance(answer, BaseException), answer
    assert [r["reason"] for r in answer["results"]] == ["device_revoked"] * 2
    assert Scan.objects.filter(device=device, quarantined=True, ticket__in=[low, high]).count() == 2
