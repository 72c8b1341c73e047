"""The live feed's socket: ws /ws/events/{event_id}/live/ (staff session only).

On connect: a `snapshot` from the database, then everything the event's feed (live/feed.py) sends;
a client may ask for a fresh snapshot (`resync`, rate-limited) or `ping`. Message types:
core/live_messages.py.

ws /ws/events/{event_id}/sales/ (SalesConsumer, the sales desk's) is the same socket with the same
rules, given only the kinds a seller needs (`kinds`): the snapshot, the `sales` aggregate and
changes, `feed` and `pong`; the door's scan traffic never reaches it (docs/adr/0032).

Anyone but an active staff user is refused before the handshake completes; the Firestore
mirror's state reaches administrators only (live.feed.for_socket); a device token
(header `Authorization: Device <token>` or `?token=`) is always refused, and a revoked one also
raises a `revoked_device` alert."""
from __future__ import annotations

import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from alerts.services import revoked_device_attempt
from core import live_messages
from devices.auth import device_for_token, device_token_from_header
from events.models import Event
from live import selectors
from live.feed import EventFeed, join, leave, snapshot_message

CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
RESYNC_MIN_INTERVAL_S = 2.0


def _device_token(scope) -> str | None:
    """The device token a handshake carries, if any. A Device header too malformed to hold a
    token ("") still marks a device: devices are never staff."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            header = value.decode("latin-1")
            scheme = header.split()[:1]
            if scheme and scheme[0].lower() == "device":
                return device_token_from_header(header) or ""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    for key in ("token", "device_token"):
        if query.get(key):
            return query[key][0]
    return None


def _refuse_device(token: str, path: str) -> None:
    device = device_for_token(token[:200]) if token else None
    if device is not None and device.revoked_at is not None:
        revoked_device_attempt(device, path=path)


def _event_exists(event_id: str) -> bool:
    return Event.objects.filter(pk=event_id).exists()


class LiveConsumer(AsyncJsonWebsocketConsumer):
    # No channel layer: the feed brings the messages, and a Redis outage must not end the socket.
    channel_layer_alias = "live-feed-uses-no-channel-layer"
    feed: EventFeed | None = None
    last_resync = float("-inf")
    sees_mirror = False  # the mirror's state is for administrators (live.selectors.can_see_mirror)
    kinds: frozenset[str] | None = None  # the message types this socket is given (None: all); live.feed.for_socket

    async def connect(self):
        self.event_id = str(self.scope["url_route"]["kwargs"]["event_id"])
        token = _device_token(self.scope)
        if token is not None:
            # Devices are never staff, even with a valid token; a revoked one is also reported.
            try:
                await database_sync_to_async(_refuse_device)(token, self.scope.get("path", ""))
            finally:
                await self.close(code=CLOSE_FORBIDDEN)
            return
        user = self.scope.get("user")
        if not (user is not None and getattr(user, "is_authenticated", False) and user.is_active and user.is_staff):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if not await database_sync_to_async(_event_exists)(self.event_id):
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.sees_mirror = await database_sync_to_async(selectors.can_see_mirror)(user)
        # Subscribe before reading the snapshot, so nothing committed after the read is missed;
        # what arrives meanwhile is held back and sent right after the snapshot.
        self.feed = await join(self.event_id, self)
        await self.accept()
        snapshot = await database_sync_to_async(selectors.snapshot)(self.event_id, mirror_state=self.sees_mirror)
        message = snapshot_message(snapshot, redis=self.feed.listening)
        await self.send_json(message)
        await self.feed.activate(self, message)

    async def disconnect(self, code):
        if self.feed is not None:
            leave(self.event_id, self)
            self.feed = None

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if not text_data or len(text_data) > 10_000:
            return
        try:
            content = await self.decode_json(text_data)
        except ValueError:  # a client's garbage must not kill its own socket
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "resync":
            now = time.monotonic()
            if now - self.last_resync < RESYNC_MIN_INTERVAL_S:  # a snapshot is a dozen queries
                return
            self.last_resync = now
            snapshot = await database_sync_to_async(selectors.snapshot)(self.event_id, mirror_state=self.sees_mirror)
            await self.send_json(snapshot_message(snapshot, redis=bool(self.feed and self.feed.listening)))
        elif kind == "ping":
            await self.send_json(live_messages.Pong().wire())


class SalesConsumer(LiveConsumer):
    """The live feed as a seller needs it: seat and sales changes, not the door's scans, gate
    counts, devices or alerts (thousands a minute during a rush). Same wire shapes as the live feed."""

    kinds = frozenset({"snapshot", "sales", "feed", "pong"})
