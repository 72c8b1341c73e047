"""Raising anomaly alerts: stored first (the database is what the dashboard trusts), then pushed
to the live feed after commit. A dedupe key keeps a burst from raising hundreds of copies. An
alert has one shape everywhere (live message, snapshot, API): core.live_messages.Alert.

People read an alert in their own language: it is raised with an AlertText (alerts/texts.py),
kept as its key and values, and `alert_payload` renders it in the language active where it is
read (the request's for the API and the snapshot, the page's in the admin through
`Alert.words()`); the live push, made before anyone reads it, is in the event's language."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from alerts.models import Alert
from alerts.texts import AlertText, message_of
from alerts.vocabulary import AlertKind
from core import live_messages
from core.errors import NotFound
from core.i18n import event_language
from core.live import publish_on_commit
from core.localtime import DEFAULT_TIME_ZONE, format_clock, format_local
from events.models import Event

log = logging.getLogger(__name__)
MESSAGE_MAX_LENGTH = 500


def raise_alert(*, event_id: str, kind: str, message: AlertText | str, data: dict | None = None,
                dedupe_key: str | None = None) -> int | None:
    """Insert an alert unless one with the same dedupe key exists. Returns its id, or None.
    `message` is an AlertText (the words, in every language); a plain string is kept as it is."""
    text = message.stored() if isinstance(message, AlertText) else {}
    english = (message.english() if isinstance(message, AlertText) else message)[:MESSAGE_MAX_LENGTH]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """INSERT INTO access_alert (event_id, kind, message, text, data, dedupe_key, created_at,
                                         acknowledged_by)
               VALUES (%s, %s, %s, %s::jsonb, %s::jsonb, %s, now(), '')
               ON CONFLICT (event_id, dedupe_key) DO NOTHING
               RETURNING id, created_at""",
            [event_id, kind, english, json.dumps(text), json.dumps(data or {}), dedupe_key],
        )
        row = cur.fetchone()
        if row is None:
            return None
        with translation.override(event_language(Event.objects.filter(pk=event_id).only("language").first())):
            words = message_of(text, english)[:MESSAGE_MAX_LENGTH]
        publish_on_commit(event_id, live_messages.Alert.of(
            id=row[0], kind=kind, message=words, data=data or {}, created_at=row[1],
            acknowledged_at=None, acknowledged_by=""))
    return row[0]


def event_time_zone(event_id: str) -> str:
    return Event.objects.filter(pk=event_id).values_list("timezone", flat=True).first() or DEFAULT_TIME_ZONE


def clock(event_id: str, value: datetime | None, *, seconds: bool = True, date: bool = False,
          zone_name: str | None = None) -> str:
    """A time in an alert's words: on the event's clock, with its offset (`21:30:05 (UTC+01:00)`,
    with `date` `2026-12-05 21:30 (UTC+01:00)`). Alerts are read by people; their `data` keeps
    instants and ids for machines."""
    zone_name = zone_name or event_time_zone(event_id)
    if date:
        return format_local(value, zone_name)
    return format_clock(value, zone_name, seconds=seconds)


def device_words(device) -> AlertText | str:
    """`North 1 at North gate`: how an alert names a device (its name and gate, never its id)."""
    checkpoint = getattr(device, "checkpoint", None)
    return AlertText("device.at_gate", device=device.name, gate=checkpoint.name) if checkpoint is not None \
        else device.name


def revoked_device_attempt(device, *, path: str) -> None:
    """A revoked token tried to connect: one alert per device per minute."""
    now = timezone.now()
    minute = now.strftime("%Y%m%d%H%M")
    try:
        raise_alert(event_id=device.event_id, kind=AlertKind.REVOKED_DEVICE,
                    message=AlertText("revoked.attempt", device=device_words(device), at=clock(device.event_id, now)),
                    data={"device_id": device.device_id, "checkpoint": device.checkpoint_id, "path": path},
                    dedupe_key=f"revoked:{device.device_id}:{minute}")
    except Exception:  # the 401 must still be answered
        log.exception("could not record revoked_device alert")


def alert_message(alert: Alert) -> live_messages.Alert:
    """The alert as its live message, its words in the active language."""
    return live_messages.Alert.of(id=alert.id, kind=alert.kind, message=alert.words(), data=alert.data,
                                  created_at=alert.created_at, acknowledged_at=alert.acknowledged_at,
                                  acknowledged_by=alert.acknowledged_by)


def alert_payload(alert: Alert) -> dict:
    """The alert as the snapshot and (without `type`) the alerts API show it, in the active
    language (the request's)."""
    return alert_message(alert).wire()


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
            raise NotFound(_("No such alert."))
        if alert.acknowledged_at is not None:
            return Acknowledged(alert=alert, changed=False)
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = (user or "")[:150]
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        publish_on_commit(alert.event_id, live_messages.AlertAck(
            id=alert.id, kind=alert.kind, acknowledged_at=alert.acknowledged_at.isoformat(),
            acknowledged_by=alert.acknowledged_by))
    return Acknowledged(alert=alert, changed=True)
