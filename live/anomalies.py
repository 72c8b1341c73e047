"""Anomaly detection for the manager dashboard (acknowledging is alerts.services.acknowledge_alert).

Two paths raise the same alerts through `alerts.services.raise_alert` (stored first, pushed after
commit, deduplicated by key):
- `after_scan()`, which receives `access.signals.scan_decided` for every online scan. It is meant to cost nothing
  on the 1,500 scans/s path: an in-process rate limit lets at most one small indexed count per
  checkpoint (rejections) or zone (occupancy) through every ANOMALY_CHECK_INTERVAL_S per process,
  and everything runs after commit and inside a try/except. No Redis is involved, so alerts keep
  working while Redis is down (only their push waits for the reconnect snapshot).
- `detect_all()`, the `live.detect_anomalies` Celery beat task (every ANOMALY_SCAN_INTERVAL_S):
  the same window checks for every live event, plus `device_silent`, which no scan can notice.

Thresholds are settings (ticketcore/settings.py, "Live feed and anomaly alerts"). `offline_conflict`
is raised by the offline sync, `revoked_device` by the device authentication."""
from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from access.vocabulary import Reason, ScanResult
from alerts.models import Alert
from access.sync_alerts import reason_words
from alerts.services import clock, device_words, event_time_zone, raise_alert
from alerts.texts import AlertText
from alerts.vocabulary import AlertKind
from devices.models import Device
from devices.vocabulary import SCANNER_ROLES
from events.models import Checkpoint, Event

log = logging.getLogger(__name__)

_next_check: dict[tuple, float] = {}
_next_check_lock = threading.Lock()


def _due(key: tuple) -> bool:
    """Per-process rate limit: True at most once per ANOMALY_CHECK_INTERVAL_S for a key."""
    now = time.monotonic()
    with _next_check_lock:
        if _next_check.get(key, 0.0) > now:
            return False
        if len(_next_check) > 10_000:  # bounded: old keys of finished events
            _next_check.clear()
        _next_check[key] = now + settings.ANOMALY_CHECK_INTERVAL_S
        return True


def reset_rate_limits() -> None:
    with _next_check_lock:
        _next_check.clear()


def _bucket() -> int:
    return int(time.time() // max(1, settings.ANOMALY_REALERT_S))


def _recent(event_id: str, kind: str, key: str, value: str) -> bool:
    """An alert of this kind about this checkpoint/zone was raised within ANOMALY_REALERT_S."""
    since = timezone.now() - timedelta(seconds=settings.ANOMALY_REALERT_S)
    return Alert.objects.filter(event_id=event_id, kind=kind, created_at__gte=since, **{f"data__{key}": value}).exists()


# --------------------------------------------------------------------------- after each scan

def after_scan(sender=None, *, device, response: dict, **kwargs) -> None:
    """The scan hook (receiver of access.signals.scan_decided, connected in live/apps.py). Runs its checks after the scan's transaction commits; never raises."""
    try:
        args = (device.event_id, device.checkpoint_id, response)
        if connection.in_atomic_block:
            transaction.on_commit(lambda: _check_scan(*args))
        else:
            _check_scan(*args)
    except Exception:  # noqa: BLE001 - a scan must never fail because of the dashboard
        log.exception("anomaly hook failed")


def _check_scan(event_id: str, checkpoint_id: str | None, response: dict) -> None:
    try:
        if response.get("result") == ScanResult.REJECTED:
            if checkpoint_id and _due(("checkpoint", checkpoint_id)):
                check_checkpoint(event_id, checkpoint_id)
        else:
            zone_id = (response.get("ticket") or {}).get("zone_id")
            if zone_id and _due(("zone", event_id, zone_id)):
                check_zone_capacity(event_id, zone_id)
    except Exception:  # noqa: BLE001
        log.exception("anomaly check after scan failed")


# --------------------------------------------------------------------------- the checks

_CHECKPOINT_WINDOW_SQL = """
SELECT count(*), count(*) FILTER (WHERE reason = %s)
  FROM access_scan
 WHERE checkpoint_id = %s AND result = %s AND NOT quarantined
   AND server_time > statement_timestamp() - make_interval(secs => %s)
"""


def check_checkpoint(event_id: str, checkpoint_id: str) -> list[int]:
    """rejected_burst and invalid_signature_burst for one checkpoint over the last
    ANOMALY_WINDOW_S seconds (an index range scan on scan_checkpoint_time_idx)."""
    window = settings.ANOMALY_WINDOW_S
    with connection.cursor() as cur:
        cur.execute(_CHECKPOINT_WINDOW_SQL, [Reason.INVALID_SIGNATURE, checkpoint_id, ScanResult.REJECTED, window])
        rejected, forged = cur.fetchone()
    raised: list[int] = []
    if rejected < settings.ANOMALY_REJECTED_BURST and forged < settings.ANOMALY_INVALID_SIGNATURE_BURST:
        return raised
    name = Checkpoint.objects.filter(pk=checkpoint_id).values_list("name", flat=True).first()
    gate = name or AlertText("gate.unknown")
    if rejected >= settings.ANOMALY_REJECTED_BURST and not _recent(event_id, AlertKind.REJECTED_BURST, "checkpoint",
                                                                      checkpoint_id):
        with connection.cursor() as cur:
            cur.execute(
                """SELECT reason, count(*) FROM access_scan
                    WHERE checkpoint_id = %s AND result = %s AND NOT quarantined
                      AND server_time > statement_timestamp() - make_interval(secs => %s)
                    GROUP BY reason ORDER BY count(*) DESC""", [checkpoint_id, ScanResult.REJECTED, window])
            reasons = {r or "unknown": n for r, n in cur.fetchall()}
        alert_id = raise_alert(
            event_id=event_id, kind=AlertKind.REJECTED_BURST,
            message=AlertText("burst.refused", count=rejected, gate=gate, window=window, at=clock(event_id, timezone.now()),
                              reasons=[AlertText("reason.count", reason=reason_words(r), count=n)
                                       for r, n in list(reasons.items())[:3]]),
            data={"checkpoint": checkpoint_id, "checkpoint_name": name, "count": rejected, "window_s": window,
                  "threshold": settings.ANOMALY_REJECTED_BURST, "reasons": reasons},
            dedupe_key=f"rejected_burst:{checkpoint_id}:{_bucket()}")
        if alert_id:
            raised.append(alert_id)
    if forged >= settings.ANOMALY_INVALID_SIGNATURE_BURST and not _recent(event_id, AlertKind.INVALID_SIGNATURE_BURST,
                                                                             "checkpoint", checkpoint_id):
        alert_id = raise_alert(
            event_id=event_id, kind=AlertKind.INVALID_SIGNATURE_BURST,
            message=AlertText("burst.forged", count=forged, gate=gate, window=window,
                              at=clock(event_id, timezone.now())),
            data={"checkpoint": checkpoint_id, "checkpoint_name": name, "count": forged, "window_s": window,
                  "threshold": settings.ANOMALY_INVALID_SIGNATURE_BURST},
            dedupe_key=f"invalid_signature_burst:{checkpoint_id}:{_bucket()}")
        if alert_id:
            raised.append(alert_id)
    return raised


_ZONE_SQL = """
SELECT z.name, z.seats, count(t.id)
  FROM events_zone z LEFT JOIN tickets_ticket t ON t.zone_ref_id = z.id AND t.access_entry
 WHERE z.event_id = %s AND z.zone_id = %s
 GROUP BY z.id, z.name, z.seats
"""


def check_zone_capacity(event_id: str, zone_id: str) -> int | None:
    """zone_capacity when the tickets inside reach ANOMALY_ZONE_CAPACITY_PCT of the zone's seats."""
    with connection.cursor() as cur:
        cur.execute(_ZONE_SQL, [event_id, zone_id])
        row = cur.fetchone()
    if row is None:
        return None
    name, seats, inside = row
    pct = settings.ANOMALY_ZONE_CAPACITY_PCT
    if seats <= 0 or inside * 100 < pct * seats or _recent(event_id, AlertKind.ZONE_CAPACITY, "zone_id", zone_id):
        return None
    share = round(100.0 * inside / seats, 1)
    return raise_alert(
        event_id=event_id, kind=AlertKind.ZONE_CAPACITY,
        message=AlertText("zone.full", zone=name, pct=share, at=clock(event_id, timezone.now(), seconds=False),
                          inside=inside, seats=seats),
        data={"zone_id": zone_id, "zone": name, "inside": inside, "seats": seats, "pct": share, "threshold_pct": pct},
        dedupe_key=f"zone_capacity:{zone_id}:{_bucket()}")


def silent_devices(event_id: str) -> list[Device]:
    """Paired, unrevoked scanners with no heartbeat for more than ANOMALY_DEVICE_SILENT_S
    (paired but never heard from counts from the pairing time)."""
    cutoff = timezone.now() - timedelta(seconds=settings.ANOMALY_DEVICE_SILENT_S)
    return list(
        Device.objects.filter(event_id=event_id, revoked_at__isnull=True, paired_at__isnull=False,
                              role__in=SCANNER_ROLES)
        .filter(Q(last_seen_at__lt=cutoff) | Q(last_seen_at__isnull=True, paired_at__lt=cutoff))
        .select_related("checkpoint")
    )


def check_devices(event_id: str) -> list[int]:
    raised = []
    zone_name = None
    for device in silent_devices(event_id):
        since = device.last_seen_at or device.paired_at
        minutes = int((timezone.now() - since).total_seconds() // 60)
        zone_name = zone_name or event_time_zone(event_id)
        alert_id = raise_alert(
            event_id=event_id, kind=AlertKind.DEVICE_SILENT,
            message=AlertText("silent.heard" if device.last_seen_at else "silent.paired", device=device_words(device),
                              at=clock(event_id, since, zone_name=zone_name), minutes=minutes),
            data={"device_id": device.device_id, "device": device.name, "checkpoint": device.checkpoint_id,
                  "last_seen_at": device.last_seen_at.isoformat() if device.last_seen_at else None,
                  "silent_s": settings.ANOMALY_DEVICE_SILENT_S},
            # One alert per silence: a heartbeat changes last_seen_at and re-arms it.
            dedupe_key=f"device_silent:{device.device_id}:{int(since.timestamp())}")
        if alert_id:
            raised.append(alert_id)
    return raised


def live_events() -> list[str]:
    """Events whose doors are open now (the window in which scans are accepted)."""
    return list(Event.objects.doors_open().order_by().values_list("event_id", flat=True))


def run_checks(event_id: str) -> list[int]:
    """Every check for one event: checkpoints with rejections in the window, every zone, devices."""
    raised: list[int] = []
    with connection.cursor() as cur:
        cur.execute(
            """SELECT DISTINCT checkpoint_id FROM access_scan
                WHERE event_id = %s AND result = %s AND checkpoint_id IS NOT NULL
                  AND server_time > statement_timestamp() - make_interval(secs => %s)""",
            [event_id, ScanResult.REJECTED, settings.ANOMALY_WINDOW_S])
        checkpoints = [r[0] for r in cur.fetchall()]
    for checkpoint_id in checkpoints:
        raised += check_checkpoint(event_id, checkpoint_id)
    for zone_id in Event.objects.get(pk=event_id).zones.values_list("zone_id", flat=True):
        alert_id = check_zone_capacity(event_id, zone_id)
        if alert_id:
            raised.append(alert_id)
    raised += check_devices(event_id)
    return raised


def detect_all() -> int:
    """The beat task's body: run every check for every live event; one event's failure does not
    stop the others."""
    total = 0
    for event_id in live_events():
        try:
            total += len(run_checks(event_id))
        except Exception:  # noqa: BLE001
            log.exception("anomaly checks failed for event %s", event_id)
    return total
