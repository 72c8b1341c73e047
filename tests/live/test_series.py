"""The chart's history (live/series.py): the last 30 minutes, and the whole night from the first
scan of the doors window to now, per gate per minute, one query each. Scans are written with
server times in the past by raw INSERTs (the scan path stamps `now()`); rejected rows touch no
ticket, so no trigger is involved."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from events.models import Event
from live import series
from tests.conftest import make_device, make_event

pytestmark = pytest.mark.django_db(transaction=True)


def db_now() -> datetime:
    with connection.cursor() as cur:
        cur.execute("SELECT statement_timestamp()")
        return cur.fetchone()[0]


def insert_scan(device, at: datetime, *, quarantined: bool = False, event_id: str | None = None) -> None:
    with connection.cursor() as cur:
        cur.execute(
            """INSERT INTO access_scan (scan_id, device_id, event_id, checkpoint_id, direction, result, reason, code,
                                        first_entry, mode, quarantined, late, server_time, response)
               VALUES (%s, %s, %s, %s, 'in', 'rejected', 'invalid_signature', 'x', false, 'online', %s, false, %s,
                       '{}'::jsonb)""",
            [uuid.uuid4(), device.device_id, event_id or device.event_id, device.checkpoint_id, quarantined, at])


def minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


@pytest.fixture
def night(transactional_db):
    """An event starting in 2 h (doors opened 10 h ago) with scans at two gates through the night."""
    event = make_event(starts_in=timedelta(hours=2))
    north, _ = make_device(event, name="North")
    south, _ = make_device(event, name="South")
    other_event = make_event(name="Elsewhere")
    elsewhere, _ = make_device(other_event, name="Elsewhere")
    now = db_now()
    first = minute(now - timedelta(hours=5)) + timedelta(seconds=20)  # its two scans share one minute
    insert_scan(north, first)
    insert_scan(north, first + timedelta(seconds=1))
    insert_scan(south, now - timedelta(hours=3))
    insert_scan(north, now - timedelta(minutes=1))
    insert_scan(north, now - timedelta(minutes=2), quarantined=True)  # a revoked phone's evidence
    insert_scan(north, event.doors_open_at - timedelta(minutes=5))  # before the doors opened
    insert_scan(elsewhere, now - timedelta(hours=4))  # another event
    return event, north, south, first, now


def test_the_whole_night_starts_at_the_first_scan_and_ends_now(night):
    event, north, south, first, now = night
    body = series.scans_per_minute_night(event)
    minutes = [datetime.fromisoformat(m) for m in body["minutes"]]
    assert minutes[0] == minute(first) and minutes[-1] == minute(now)
    assert all(b - a == timedelta(minutes=1) for a, b in pairwise(minutes))
    north_row, south_row = body["checkpoints"][north.checkpoint_id], body["checkpoints"][south.checkpoint_id]
    assert len(north_row) == len(south_row) == len(minutes)
    assert north_row[0] == 2 and sum(north_row) == 3  # neither the evidence nor the early scan
    assert sum(south_row) == 1 and south_row[minutes.index(minute(now - timedelta(hours=3)))] == 1
    assert set(body["checkpoints"]) == {north.checkpoint_id, south.checkpoint_id}
    assert body["range"] == "night" and body["doors_open_at"] == event.doors_open_at.isoformat()


def test_the_last_30_minutes_slide_with_now(night):
    event, north, _, _, now = night
    body = series.scans_per_minute(event.event_id)
    assert len(body["minutes"]) == 30 and datetime.fromisoformat(body["minutes"][-1]) == minute(now)
    assert body["checkpoints"] == {north.checkpoint_id: [0] * 28 + [1, 0]}


def test_a_quiet_night_shows_at_least_the_last_30_minutes_and_no_minute_before_the_doors(transactional_db):
    event = make_event(starts_in=timedelta(hours=2))
    body = series.scans_per_minute_night(event)
    assert len(body["minutes"]) == 30 and body["checkpoints"] == {}
    # Doors that opened 10 minutes ago: the chart starts there.
    Event.objects.filter(pk=event.pk).update(doors_open_minutes=130)
    body = series.scans_per_minute_night(Event.objects.get(pk=event.pk))
    assert datetime.fromisoformat(body["minutes"][0]) == minute(Event.objects.get(pk=event.pk).doors_open_at)
    assert 10 <= len(body["minutes"]) <= 12


def test_before_the_doors_open_and_after_they_close(transactional_db):
    later = make_event(starts_in=timedelta(hours=20))  # doors open in 8 h
    assert series.scans_per_minute_night(later)["minutes"] == []
    over = make_event(starts_in=timedelta(hours=-20))  # ended 16 h ago, doors closed 10 h ago
    door, _ = make_device(over, name="North")
    insert_scan(door, over.doors_close_at - timedelta(minutes=3))
    body = series.scans_per_minute_night(over)
    assert datetime.fromisoformat(body["minutes"][-1]) == minute(over.doors_close_at)
    assert body["checkpoints"][door.checkpoint_id][-4] == 1


def test_series_json_for_staff_only(night, django_user_model):
    event, north, *_ = night
    anon = Client().get(f"/dashboard/events/{event.event_id}/series.json?range=night")
    assert anon.status_code == 302 and "/admin/login/" in anon["Location"]
    client = Client()
    client.force_login(django_user_model.objects.create_user("m", password="pw-m-123456", is_staff=True))
    body = client.get(f"/dashboard/events/{event.event_id}/series.json?range=night").json()
    assert body["range"] == "night" and sum(body["checkpoints"][north.checkpoint_id]) == 3
    recent = client.get(f"/dashboard/events/{event.event_id}/series.json").json()
    assert recent["range"] == "recent" and len(recent["minutes"]) == 30
    assert client.get("/dashboard/events/NoSuchEvent/series.json?range=night").status_code == 404


def test_the_night_is_one_query_on_the_counters_never_the_scan_log(night):
    """One statement reads the per-minute counters (a range of their key), none reads the scans:
    the chart costs the same however many scans the night had (docs/adr/0033)."""
    from django.test.utils import CaptureQueriesContext

    event, *_ = night
    with CaptureQueriesContext(connection) as queries:
        series.scans_per_minute_night(event)
    assert not [q["sql"] for q in queries.captured_queries if "access_scan" in q["sql"]]
    reads = [q["sql"] for q in queries.captured_queries if "counters_minute" in q["sql"]]
    assert len(reads) == 1
    with connection.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        try:
            cur.execute("EXPLAIN " + series._SERIES_SQL, [event.event_id, event.doors_open_at, timezone.now()])
            plan = "\n".join(r[0] for r in cur.fetchall())
        finally:
            cur.execute("RESET enable_seqscan")
    assert "counters_minute_pkey" in plan, plan
