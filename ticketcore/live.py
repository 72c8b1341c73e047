"""Best-effort push to the live feed (Channels group `event_<event_id>`).

Callers invoke this from transaction.on_commit, so nothing is announced for a transaction that
rolled back. Redis being down must never fail a scan or a sale: errors are logged, not raised,
and the dashboard catches up from the database when it reconnects (counts are derived there)."""
from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)


def group_name(event_id: str) -> str:
    return f"event_{event_id}"


def publish_event(event_id: str, message: dict) -> None:
    try:
        layer = get_channel_layer()
        if layer is None:
            return
        async_to_sync(layer.group_send)(group_name(event_id), {"type": "live.message", "message": message})
    except Exception as exc:  # noqa: BLE001 - the push is best effort by design
        log.warning("live push for event %s failed: %s: %s", event_id, exc.__class__.__name__, exc)
