"""Raising anomaly alerts: stored first (the database is what the dashboard trusts), then pushed
to the live feed after commit. A dedupe key keeps a burst from raising hundreds of copies."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from alerts.models import Alert
from core.errors import NotFound
from core.live import publish_event

log = logging.getLogger(__name__)


def alert_json(alert_id: int, kind: str, message: str, data: dict, created_at) -> dict:
    return {"type": "alert", "id": alert_id, "kind": kind, "message": message, "data": data,
            "created_at": created_at.isoformat() if created_at else None, "acknowledged": False}


def raise_alert(*, event_id: str, kind: str, message: str, data: dict | None = None,
                dedupe_key: str | None = None) -> int | None:
    """Insert an alert unless one with the same dedupe key exists. Returns its id, or None."""
    import json

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """INSERT INTO access_alert (event_id, kind, message, data, dedupe_key, created_at, acknowledged_by)
               VALUES (%s, %s, %s, %s::jsonb, %s, now(), '')
               ON CONFLICT (event_id, dedupe_key) DO NOTHING
               RETURNING id, created_at""",
            [event_id, kind, message[:500], json.dumps(data or {}), dedupe_key],
        )
        row = cur.fetchone()
        if row is None:
            return None
        payload = alert_json(row[0], kind, message[:500], data or {}, row[1])
        transaction.on_commit(lambda: publish_event(event_id, payload))
    return row[0]


def revoked_device_attempt(device, *, path: str) -> None:
    """A revoked token tried to connect: one alert per device per minute."""
    from django.utils import timezone

    minute = timezone.now().strftime("%Y%m%d%H%M")
    try:
        raise_alert(event_id=device.event_id, kind="revoked_device",
                    message=f"Revoked device {device.name} ({device.device_id}) tried to connect.",
                    data={"device_id": device.device_id, "path": path},
                    dedupe_key=f"revoked:{device.device_id}:{minute}")
    except Exception:  # the 401 must still be answered
        log.exception("could not record revoked_device alert")


def alert_payload(alert: Alert) -> dict:
    return {"type": "alert", "id": alert.id, "kind": alert.kind, "message": alert.message, "data": alert.data,
            "created_at": alert.created_at.isoformat(), "acknowledged": alert.acknowledged_at is not None,
            "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
            "acknowledged_by": alert.acknowledged_by or None}


# --------------------------------------------------------------------------- acknowledging

@dataclass(frozen=True)
class Acknowledged:
    alert: Alert
    changed: bool  # False when it had been acknowledged already (the call is idempotent)


def acknowledge_alert(*, alert_id: int, user: str) -> Acknowledged:
    """Mark an alert as handled by `user`; every dashboard is told after commit (`alert_ack`)."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
        if alert is None:
            raise NotFound("No such alert.")
        if alert.acknowledged_at is not None:
            return Acknowledged(alert=alert, changed=False)
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = (user or "")[:150]
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        payload = {"type": "alert_ack", "id": alert.id, "kind": alert.kind,
                   "acknowledged_at": alert.acknowledged_at.isoformat(), "acknowledged_by": alert.acknowledged_by}
        event_id = alert.event_id
        transaction.on_commit(lambda: publish_event(event_id, payload))
    return Acknowledged(alert=alert, changed=True)
