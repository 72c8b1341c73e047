"""Anomaly alerts: detection after scans (rate-limited, exception-safe) and by the beat task."""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from access import services as access_services
from alerts.models import Alert
from devices.models import Device
from devices.services import record_heartbeat, revoke_device
from alerts import services as alert_services
from live import anomalies
from live.tasks import detect_anomalies
from tests.conftest import code_for, make_device, make_event, sell
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh(settings):
    anomalies.reset_rate_limits()
    settings.ANOMALY_CHECK_INTERVAL_S = 0  # check on every scan unless a test says otherwise


@pytest.fixture
def ev(transactional_db):
    event = make_event()
    generate_tickets(event_id=event.event_id)
    return event


def scan(device, code, direction="in"):
    return access_services.scan(device=device, code=code, direction=direction, scan_id=uuid.uuid4()).response


def test_rejected_burst_is_raised_once_with_the_reasons(ev, settings):
    settings.ANOMALY_REJECTED_BURST = 4
    device, _ = make_device(ev, name="North")
    for seat in ("A-1", "A-2", "A-3"):
        assert scan(device, code_for(ev, seat))["reason"] == "not_sold"
    assert not Alert.objects.filter(kind="rejected_burst").exists()
    assert scan(device, "garbage")["reason"] == "invalid_signature"
    alert = Alert.objects.get(kind="rejected_burst")
    assert alert.event_id == ev.event_id
    assert alert.data["checkpoint"] == device.checkpoint_id and alert.data["count"] == 4
    assert alert.data["reasons"] == {"not_sold": 3, "invalid_signature": 1}
    assert "North" in alert.message
    for _ in range(5):  # the burst goes on: still one alert
        scan(device, code_for(ev, "A-4"))
    assert Alert.objects.filter(kind="rejected_burst").count() == 1


def test_accepted_scans_never_count_towards_a_burst(ev, settings):
    settings.ANOMALY_REJECTED_BURST = 2
    device, _ = make_device(ev)
    sell(ev, "B-1")
    for direction in ("in", "out", "in", "out"):
        assert scan(device, code_for(ev, "B-1"), direction)["result"] == "accepted"
    assert not Alert.objects.exists()


def test_bursts_are_per_checkpoint(ev, settings):
    settings.ANOMALY_REJECTED_BURST = 3
    north, _ = make_device(ev, name="North")
    south, _ = make_device(ev, name="South")
    for device in (north, south, north, south):
        scan(device, code_for(ev, "A-1"))
    assert not Alert.objects.exists()
    scan(north, code_for(ev, "A-1"))
    assert list(Alert.objects.values_list("data__checkpoint", flat=True)) == [north.checkpoint_id]


def test_invalid_signature_burst(ev, settings):
    settings.ANOMALY_INVALID_SIGNATURE_BURST = 3
    device, _ = make_device(ev)
    forged = code_for(ev, "A-1")[:-4] + "AAAA"
    for _ in range(3):
        assert scan(device, forged)["reason"] == "invalid_signature"
    alert = Alert.objects.get(kind="invalid_signature_burst")
    assert alert.data["count"] == 3 and "forger" in alert.message


def test_the_scan_hook_is_rate_limited(ev, settings, monkeypatch):
    settings.ANOMALY_CHECK_INTERVAL_S = 60
    device, _ = make_device(ev)
    calls = []
    monkeypatch.setattr(anomalies, "check_checkpoint", lambda *a: calls.append(a) or [])
    for _ in range(10):
        scan(device, code_for(ev, "A-1"))
    assert len(calls) == 1  # one small count per checkpoint per interval per process, not per scan


def test_a_failing_check_never_fails_the_scan(ev, monkeypatch, caplog):
    device, _ = make_device(ev)
    sell(ev, "A-1")

    def boom(*args):
        raise RuntimeError("detector bug")

    monkeypatch.setattr(anomalies, "check_checkpoint", boom)
    monkeypatch.setattr(anomalies, "check_zone_capacity", boom)
    with caplog.at_level(logging.ERROR, logger="live.anomalies"):
        assert scan(device, code_for(ev, "A-2"))["reason"] == "not_sold"
        assert scan(device, code_for(ev, "A-1"))["result"] == "accepted"
    assert "anomaly check after scan failed" in caplog.text


def test_zone_capacity(ev, settings):
    settings.ANOMALY_ZONE_CAPACITY_PCT = 80  # zone A has 5 seats: the 4th person inside
    device, _ = make_device(ev)
    sell(ev, "A-1", "A-2", "A-3", "A-4", "A-5")
    for seat in ("A-1", "A-2", "A-3"):
        scan(device, code_for(ev, seat))
    assert not Alert.objects.exists()
    scan(device, code_for(ev, "A-4"))
    alert = Alert.objects.get(kind="zone_capacity")
    assert alert.data == {"zone_id": "A", "zone": "Ringside", "inside": 4, "seats": 5, "pct": 80.0,
                          "threshold_pct": 80}
    scan(device, code_for(ev, "A-5"))
    assert Alert.objects.filter(kind="zone_capacity").count() == 1


def test_device_silent_from_the_beat_task(ev, settings):
    settings.ANOMALY_DEVICE_SILENT_S = 120
    silent, _ = make_device(ev, name="Sleepy")
    fresh, _ = make_device(ev, name="Awake")
    gone, _ = make_device(ev, name="Revoked")
    never, _ = make_device(ev, name="Never seen")
    long_ago = timezone.now() - timedelta(minutes=10)
    Device.objects.filter(pk__in=[silent.pk, gone.pk]).update(last_seen_at=long_ago)
    Device.objects.filter(pk=never.pk).update(paired_at=long_ago, last_seen_at=None)
    record_heartbeat(device=fresh, device_time=timezone.now())
    revoke_device(device_id=gone.device_id)

    assert detect_anomalies() == 2
    alerts = {a.data["device_id"]: a for a in Alert.objects.filter(kind="device_silent")}
    assert set(alerts) == {silent.device_id, never.device_id}
    assert "Sleepy" in alerts[silent.device_id].message and "10 min" in alerts[silent.device_id].message
    assert detect_anomalies() == 0  # one alert per silence
    # It comes back, then goes silent again: a new silence, a new alert.
    record_heartbeat(device=silent, device_time=timezone.now())
    Device.objects.filter(pk=silent.pk).update(last_seen_at=timezone.now() - timedelta(minutes=5))
    assert detect_anomalies() == 1


def test_beat_task_catches_bursts_the_hook_skipped_and_ignores_closed_events(ev, settings):
    settings.ANOMALY_CHECK_INTERVAL_S = 3600  # the hook checks once, then stays quiet
    settings.ANOMALY_REJECTED_BURST = 3
    device, _ = make_device(ev)
    for _ in range(3):
        scan(device, code_for(ev, "A-1"))
    assert not Alert.objects.exists()
    past = make_event(name="Last year", starts_in=timedelta(days=-30))
    past_device, _ = make_device(past)
    Device.objects.filter(pk=past_device.pk).update(last_seen_at=timezone.now() - timedelta(days=29))
    assert detect_anomalies() == 1
    assert Alert.objects.get().kind == "rejected_burst"
    assert not Alert.objects.filter(event=past).exists()


def test_beat_schedule_runs_the_task():
    entry = django_settings.CELERY_BEAT_SCHEDULE["access_detect_anomalies"]
    assert entry["task"] == detect_anomalies.name == "live.detect_anomalies"
    assert entry["schedule"] == django_settings.ANOMALY_SCAN_INTERVAL_S


def test_acknowledge_is_idempotent(ev):
    from alerts.services import raise_alert

    alert_id = raise_alert(event_id=ev.event_id, kind="zone_capacity", message="full", dedupe_key="k")
    first = alert_services.acknowledge_alert(alert_id=alert_id, user="ana")
    second = alert_services.acknowledge_alert(alert_id=alert_id, user="bob")
    assert first.changed and not second.changed
    alert = Alert.objects.get(pk=alert_id)
    assert alert.acknowledged_by == "ana" and alert.acknowledged_at == first.alert.acknowledged_at
