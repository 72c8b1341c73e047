"""The live feed: ws /ws/events/{event_id}/live/ (staff session only).

On connect: a `snapshot` from the database. Then every message published to the Channels group
`event_<event_id>` (`scan`, `alert`, `alert_ack`, `device`, the virtual office's `sales`
notifications), plus messages computed here from the database by one `EventFeed` per event and
per process, shared by all of that process's sockets of the event:
- `gate_counts`, recomputed at most once per LIVE_GATE_COUNTS_INTERVAL_S while scans arrive (the
  scans only mark the feed dirty; nothing is counted in memory), and every LIVE_REFRESH_S
  otherwise so that the per-minute window keeps moving;
- `sales` aggregates (the same body as GET /api/v1/events/{id}/sales), `devices` and `mirror`,
  sent when they changed.

Anyone but an active staff user is refused before the handshake completes; a device token
(header `Authorization: Device <token>` or `?token=`) is always refused, and a revoked one also
raises a `revoked_device` alert."""
from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from access import selectors
from ticketcore.live import group_name

log = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_UNAVAILABLE = 1011
REGROUP_S = 3600.0
RESYNC_MIN_INTERVAL_S = 2.0


def _device_token(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            parts = value.split()
            if len(parts) == 2 and parts[0].lower() == b"device":
                return parts[1].decode("ascii", "replace")
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    for key in ("token", "device_token"):
        if query.get(key):
            return query[key][0]
    return None


def _refuse_device(token: str, path: str) -> None:
    from access.alerts import revoked_device_attempt
    from devices.auth import device_for_token

    device = device_for_token(token[:200])
    if device is not None and device.revoked_at is not None:
        revoked_device_attempt(device, path=path)


def _event_exists(event_id: str) -> bool:
    from events.models import Event

    return Event.objects.filter(pk=event_id).exists()


class EventFeed:
    """Database-derived messages for the sockets of one event in this process."""

    def __init__(self, event_id: str):
        self.event_id = event_id
        self.consumers: set[LiveConsumer] = set()
        self.wake = asyncio.Event()
        self.counts_dirty = self.sales_dirty = self.devices_dirty = False
        self.last: dict[str, object] = {}
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run(), name=f"live-feed-{self.event_id}")

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def mark(self, *, counts: bool = False, sales: bool = False, devices: bool = False) -> None:
        self.counts_dirty |= counts
        self.sales_dirty |= sales
        self.devices_dirty |= devices
        self.wake.set()

    def seed(self, snapshot: dict) -> None:
        """What a fresh snapshot showed need not be sent again."""
        self.last.setdefault("sales", _comparable(snapshot["sales"]))
        self.last.setdefault("devices", snapshot["devices"])
        self.last.setdefault("mirror", snapshot["mirror"])

    async def _broadcast(self, message: dict) -> None:
        for consumer in list(self.consumers):
            try:
                await consumer.send_json(message)
            except Exception:  # noqa: BLE001 - a closing socket must not stop the others
                self.consumers.discard(consumer)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        interval = settings.LIVE_GATE_COUNTS_INTERVAL_S
        refresh = settings.LIVE_REFRESH_S
        last_counts = last_refresh = last_tick = last_regroup = loop.time()
        while True:
            try:
                timeout = max(0.0, min(last_counts, last_refresh) + refresh - loop.time())
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=timeout)
                except asyncio.TimeoutError:
                    pass
                # Coalesce: at most one round of database reads per interval, however many
                # scans arrive; the first scan after a quiet spell is counted at once.
                wait = last_tick + interval - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                self.wake.clear()
                now = last_tick = loop.time()
                periodic = now - last_refresh >= refresh
                if periodic:
                    last_refresh = now
                if self.counts_dirty or now - last_counts >= refresh:
                    self.counts_dirty = False
                    last_counts = now
                    await self._send_counts()
                if now - last_regroup >= REGROUP_S:
                    last_regroup = now
                    await self._regroup()
                if periodic or self.sales_dirty or self.devices_dirty:
                    sales, devices = periodic or self.sales_dirty, periodic or self.devices_dirty
                    self.sales_dirty = self.devices_dirty = False
                    await self._send_state(sales=sales, devices=devices, mirror=periodic)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - e.g. the database restarting; try again next tick
                log.exception("live feed for event %s failed; retrying", self.event_id)
                await asyncio.sleep(refresh)

    async def _regroup(self) -> None:
        """channels-redis forgets group members after a day (group_expiry); a dashboard left
        open through a long event day re-joins quietly."""
        for consumer in list(self.consumers):
            try:
                await consumer.channel_layer.group_add(group_name(self.event_id), consumer.channel_name)
            except Exception:  # noqa: BLE001 - Redis down: the next round tries again
                log.warning("live feed for event %s could not renew its group", self.event_id)
                return

    async def _send_counts(self) -> None:
        counts = await _read(selectors.gate_counts, self.event_id)
        comparable = {k: v for k, v in counts.items() if k != "at"}
        if comparable != self.last.get("gate_counts"):
            self.last["gate_counts"] = comparable
            await self._broadcast(counts)

    async def _send_state(self, *, sales: bool, devices: bool, mirror: bool) -> None:
        if sales:
            body = await _read(selectors.sales, self.event_id)
            if _comparable(body) != self.last.get("sales"):
                self.last["sales"] = _comparable(body)
                await self._broadcast(body)
        if devices:
            rows = await _read(selectors.devices, self.event_id)
            if rows != self.last.get("devices"):
                self.last["devices"] = rows
                await self._broadcast({"type": "devices", "devices": rows})
        if mirror:
            state = await _read(selectors.mirror)
            if state is not None and state != self.last.get("mirror"):
                self.last["mirror"] = state
                await self._broadcast({"type": "mirror", **state})


def _read(fn, *args):
    """Run a database read for the feed on the thread pool, not on the one thread that Channels
    shares for thread-sensitive work: a slow count must not hold up the forwarding of scans."""
    return database_sync_to_async(fn, thread_sensitive=False)(*args)


def _comparable(sales: dict) -> dict:
    return {"zones": sales.get("zones"), "totals": sales.get("totals")}


# One registry per event loop (a process normally has one; tests create several).
_feeds: dict[tuple[int, str], EventFeed] = {}


def _join(event_id: str, consumer: LiveConsumer, snapshot: dict) -> EventFeed:
    key = (id(asyncio.get_running_loop()), event_id)
    feed = _feeds.get(key)
    if feed is None or feed.task is None or feed.task.done():
        feed = _feeds[key] = EventFeed(event_id)
        feed.start()
    feed.seed(snapshot)
    feed.consumers.add(consumer)
    return feed


def _leave(event_id: str, consumer: LiveConsumer) -> None:
    key = (id(asyncio.get_running_loop()), event_id)
    feed = _feeds.get(key)
    if feed is None:
        return
    feed.consumers.discard(consumer)
    if not feed.consumers:
        feed.stop()
        _feeds.pop(key, None)


class LiveConsumer(AsyncJsonWebsocketConsumer):
    feed: EventFeed | None = None
    joined_group = False
    last_resync = float("-inf")

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
        try:
            # Join before reading the snapshot, so nothing committed after the read is missed.
            await self.channel_layer.group_add(group_name(self.event_id), self.channel_name)
            self.joined_group = True
        except Exception as exc:  # noqa: BLE001 - Redis down: refuse; the page retries with backoff
            log.warning("live socket for event %s refused: channel layer unavailable (%s)", self.event_id,
                        exc.__class__.__name__)
            await self.close(code=CLOSE_UNAVAILABLE)
            return
        await self.accept()
        snapshot = await database_sync_to_async(selectors.snapshot)(self.event_id)
        await self.send_json(snapshot)
        self.feed = _join(self.event_id, self, snapshot)

    async def disconnect(self, code):
        if self.feed is not None:
            _leave(self.event_id, self)
            self.feed = None
        if self.joined_group:
            try:
                await self.channel_layer.group_discard(group_name(self.event_id), self.channel_name)
            except Exception:  # noqa: BLE001 - the group entry expires on its own
                pass

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
            await self.send_json(await database_sync_to_async(selectors.snapshot)(self.event_id))
        elif kind == "ping":
            await self.send_json({"type": "pong"})

    async def dispatch(self, message):
        # Channels closes stale database connections (a hop to its sync thread) before every
        # handler; the live messages never touch the database, and at hundreds of scans a
        # second that hop would be most of the cost, so they skip it.
        kind = message.get("type")
        if kind == "live.message":
            await self.live_message(message)
        elif kind == "live.batch":
            await self.live_batch(message)
        else:
            await super().dispatch(message)

    async def live_message(self, event):
        await self._forward(event["message"])

    async def live_batch(self, event):
        for message in event["messages"]:
            await self._forward(message)

    async def _forward(self, message: dict) -> None:
        kind = message.get("type")
        if self.feed is not None:
            if kind == "scan":
                self.feed.mark(counts=True)
            elif kind == "sales" and "totals" not in message:
                self.feed.mark(sales=True)  # a hold or a sale: the aggregate follows within a second
            elif kind == "device":
                self.feed.mark(devices=True)
        await self.send_json(message)
