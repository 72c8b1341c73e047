"""Read paths of the live feed and the manager dashboard.

Every number here is read from PostgreSQL on each call, never from an in-memory counter, so a
dashboard that reconnects, a second ASGI process and the admin all show the same figures
(docs/adr/0014). `gate_counts()` reads in one REPEATABLE READ transaction: its per-gate, per-zone
and total figures come from one consistent snapshot of the database.

The figures come from the counters that the database keeps from the scan log (each scan queues
itself in its own transaction, the fold counts the queue first; counters/, docs/adr/0033): small
tables keyed by checkpoint, zone and device, so reading them costs the same at 3,000 scans and at 3,000,000. `manage.py check_counters` recounts them from the
scan log.

Definitions (the dashboard's labels say the same):
- accepted / rejected: scan attempts at the checkpoint (online and synced; quarantined uploads of
  revoked devices are evidence, not door events, and are left out);
- per_minute: scans at the checkpoint whose server time is in the last 60 seconds (the one read
  of the log itself: an index range over the last two minutes, whose cost follows the door's
  rate, never the night's length);
- zone inside: tickets of the zone inside now (accepted entries minus accepted exits, which the
  scan function keeps in step with the tickets' access_entry; check_counters compares the two);
- credentials inside: staff/VIP credentials with inside = true (a credential is never inside
  twice, so nobody is counted twice); credentials belong to no single zone and are shown apart;
- checkpoint inside: people inside now whose latest accepted entry was through that checkpoint,
  so the checkpoints' inside figures add up to the total inside."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, transaction
from django.utils import timezone

from access.models import Scan
from alerts import services as alert_services
from alerts.models import Alert
from counters.folding import fold
from devices.models import Device
from events.models import Event
from mirror.outbox import mirror_status
from live.series import scans_per_minute
from tickets.selectors import sales_status

_CHECKPOINTS_SQL = """
SELECT checkpoint_id, name, directions FROM access_checkpoint WHERE event_id = %s ORDER BY name, checkpoint_id
"""

# Per checkpoint, result and direction: the scans, and on the accepted entries the people inside
# by the checkpoint they came in by (summed over the devices).
_TOTALS_SQL = """
SELECT checkpoint_id, result, direction, sum(scans)::bigint, sum(inside)::bigint
  FROM counters_gate
 WHERE event_id = %s
 GROUP BY 1, 2, 3
"""

# The last two minutes: an index range scan on scan_event_time_idx, whatever the event's size.
_RECENT_SQL = """
SELECT checkpoint_id,
       count(*) FILTER (WHERE server_time > %(now)s - interval '60 seconds'),
       count(*) FILTER (WHERE server_time >= %(minute)s),
       count(*) FILTER (WHERE server_time < %(minute)s)
  FROM access_scan
 WHERE event_id = %(event)s AND NOT quarantined AND server_time >= %(minute)s - interval '1 minute'
 GROUP BY 1
"""

_ZONES_SQL = """
SELECT z.zone_id, z.name, z.color, z.seats, coalesce(c.inside, 0) AS inside
  FROM events_zone z
  LEFT JOIN (SELECT zone_id, sum(inside)::bigint AS inside FROM counters_zone WHERE event_id = %s AND zone_id <> ''
              GROUP BY zone_id) c ON c.zone_id = z.zone_id
 WHERE z.event_id = %s
 ORDER BY z.position, z.id
"""

_CREDENTIALS_SQL = """
SELECT kind, count(*) FILTER (WHERE inside), count(*) FILTER (WHERE revoked_at IS NULL)
  FROM access_credential WHERE event_id = %s
 GROUP BY kind
"""

def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _counts(cur, event_id: str) -> dict:
    cur.execute("SELECT date_trunc('minute', statement_timestamp()), statement_timestamp()")
    minute, at = cur.fetchone()
    cur.execute(_CHECKPOINTS_SQL, [event_id])
    checkpoints = [
        {"checkpoint": r[0], "checkpoint_id": r[0], "name": r[1], "directions": r[2], "accepted": 0, "rejected": 0,
         "entries": 0, "exits": 0, "per_minute": 0, "this_minute": 0, "previous_minute": 0, "inside": 0}
        for r in cur.fetchall()
    ]
    by_cp = {row["checkpoint"]: row for row in checkpoints}
    cur.execute(_TOTALS_SQL, [event_id])
    for cp, result, direction, n, inside in cur.fetchall():
        row = by_cp.get(cp)
        if row is None:
            continue
        row[result] = row.get(result, 0) + int(n)
        row["inside"] += int(inside)
        if result == "accepted":
            row["entries" if direction == "in" else "exits"] += int(n)
    cur.execute(_RECENT_SQL, {"now": at, "minute": minute, "event": event_id})
    for cp, per_minute, this_minute, previous_minute in cur.fetchall():
        row = by_cp.get(cp)
        if row is not None:
            row.update(per_minute=per_minute, this_minute=this_minute, previous_minute=previous_minute)
    cur.execute(_ZONES_SQL, [event_id, event_id])
    zones = [{"zone_id": r[0], "name": r[1], "color": r[2], "seats": r[3], "inside": int(r[4]),
              "pct": _pct(int(r[4]), r[3])} for r in cur.fetchall()]
    cur.execute(_CREDENTIALS_SQL, [event_id])
    credentials = {"inside": 0, "staff": 0, "vip": 0, "active": 0}
    for kind, inside, total in cur.fetchall():
        credentials[kind] = inside
        credentials["inside"] += inside
        credentials["active"] += total

    tickets_inside = sum(z["inside"] for z in zones)
    seats = sum(z["seats"] for z in zones)
    totals = {
        "accepted": sum(c["accepted"] for c in checkpoints),
        "rejected": sum(c["rejected"] for c in checkpoints),
        "entries": sum(c["entries"] for c in checkpoints),
        "exits": sum(c["exits"] for c in checkpoints),
        "per_minute": sum(c["per_minute"] for c in checkpoints),
        "tickets_inside": tickets_inside,
        "credentials_inside": credentials["inside"],
        "inside": tickets_inside + credentials["inside"],
        "seats": seats,
        "occupancy_pct": _pct(tickets_inside, seats),
    }
    return {"at": at.isoformat(), "minute": minute.isoformat(), "checkpoints": checkpoints, "zones": zones,
            "credentials": credentials, "totals": totals}


fold_counters = fold  # what every reader calls first (counters/folding.py)


def gate_counts(event_id: str) -> dict:
    """The `gate_counts` live message: per checkpoint accepted / rejected / inside / per_minute,
    per zone inside, credentials inside and totals, from one database snapshot."""
    nested = connection.in_atomic_block  # inside a caller's transaction its snapshot rules
    fold_counters(event_id)
    with transaction.atomic(), connection.cursor() as cur:
        if not nested:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        body = _counts(cur, event_id)
    return {"type": "gate_counts", "event_id": event_id, **body}


def sales(event_id: str) -> dict:
    """Sales by zone: the virtual office's aggregate (GET /api/v1/events/{id}/sales)."""
    body = sales_status(event_id) or {"event_id": event_id, "zones": [], "totals": {}}
    colors = dict(Event.objects.get(pk=event_id).zones.values_list("zone_id", "color")) if body["zones"] else {}
    for zone in body["zones"]:
        zone.setdefault("color", colors.get(zone["zone_id"]))
    return {"type": "sales", **body}


def alerts(event_id: str, *, limit: int = 50) -> list[dict]:
    """Open alerts first (newest first), then the latest acknowledged ones."""
    open_ = list(Alert.objects.filter(event_id=event_id, acknowledged_at__isnull=True).order_by("-id")[:limit])
    done = list(Alert.objects.filter(event_id=event_id, acknowledged_at__isnull=False)
                .order_by("-id")[: max(0, limit - len(open_))])
    return [alert_services.alert_payload(a) for a in open_ + done]


def device_status(device: Device, now=None) -> str:
    now = now or timezone.now()
    if device.revoked_at is not None:
        return "revoked"
    if device.paired_at is None:
        return "unpaired"
    if device.last_seen_at and now - device.last_seen_at < timedelta(seconds=settings.DEVICE_ONLINE_SECONDS):
        return "online"
    return "offline"


def _office(device: Device):
    """The box office a terminal serves (offices.Office, its reverse one-to-one), or None."""
    try:
        return device.office
    except ObjectDoesNotExist:
        return None


def devices(event_id: str) -> list[dict]:
    """The event's devices; a box office's terminal also names its office (`office_id`,
    `office_name`), so that the dashboard can word the office's alerts."""
    now = timezone.now()
    rows = (Device.objects.filter(event_id=event_id).select_related("checkpoint", "office")
            .order_by("name", "device_id"))
    out = []
    for d in rows:
        office = _office(d)
        out.append(
            {"device_id": d.device_id, "name": d.name, "role": d.role,
             "checkpoint": d.checkpoint_id, "checkpoint_name": d.checkpoint.name if d.checkpoint else None,
             "status": device_status(d, now), "revoked": d.revoked_at is not None,
             "last_seen_at": d.last_seen_at.isoformat() if d.last_seen_at else None,
             "clock_offset_ms": d.clock_offset_ms, "app_version": d.app_version or None,
             "office_id": office.office_id if office else None, "office_name": office.name if office else None})
    return out


def recent_scans(event_id: str, *, limit: int = 25) -> list[dict]:
    """The latest scans, in the shape of the live `scan` message (newest first)."""
    rows = (Scan.objects.filter(event_id=event_id).order_by("-id")
            .values("checkpoint_id", "device_id", "result", "reason", "zone_id", "server_time", "direction")[:limit])
    return [{"type": "scan", "checkpoint": r["checkpoint_id"], "device": r["device_id"], "result": r["result"],
             "reason": r["reason"], "zone_id": r["zone_id"], "direction": r["direction"],
             "at": r["server_time"].isoformat()} for r in rows]


def can_see_mirror(user) -> bool:
    """The Firestore mirror's state and lag are for administrators: superusers, and staff given
    the permission to view the mirror's outbox (mirror.view_outboxentry). A manager who runs the
    doors has nothing to do about a lagging mirror, and the tile would only alarm them."""
    return bool(user is not None and getattr(user, "is_active", False) and user.has_perm("mirror.view_outboxentry"))


def mirror() -> dict:
    """The Firestore mirror's state and lag (administrators only: can_see_mirror)."""
    try:
        return mirror_status()
    except Exception as exc:  # noqa: BLE001 - a dashboard tile, never a reason to fail the page
        return {"enabled": False, "error": exc.__class__.__name__}


def event_json(event: Event) -> dict:
    """The snapshot's `event`; `timezone` is the clock the dashboard shows every time on."""
    return {"event_id": event.event_id, "name": event.name, "venue": event.venue,
            "date_start": event.date_start.isoformat(), "date_end": event.date_end.isoformat(),
            "timezone": event.timezone}


def thresholds() -> dict:
    return {"zone_capacity_pct": settings.ANOMALY_ZONE_CAPACITY_PCT,
            "device_online_seconds": settings.DEVICE_ONLINE_SECONDS}


def snapshot(event_id: str, *, minutes: int = 30, mirror_state: bool = False) -> dict | None:
    """Everything a dashboard needs on (re)connect, straight from the database. `mirror` only
    with `mirror_state` (for administrators, can_see_mirror); without it the key is absent."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        return None
    counts = gate_counts(event_id)
    counts.pop("type")
    return {
        "type": "snapshot",
        "event": event_json(event),
        **counts,
        "series": scans_per_minute(event_id, minutes=minutes),
        "sales": sales(event_id),
        "alerts": alerts(event_id),
        "devices": devices(event_id),
        "recent_scans": recent_scans(event_id),
        **({"mirror": mirror()} if mirror_state else {}),
        "thresholds": thresholds(),
    }
