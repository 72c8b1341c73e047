"""The live feed: ws /ws/events/{event_id}/live/ (staff session only).

On connect: a `snapshot` from the database. Then, through one `EventFeed` per event and per
process shared by all of that process's sockets of the event:
- every message published with `core.live.publish_event` (`scan`, `alert`, `alert_ack`,
  `device`, the virtual office's `sales` notifications), received from the event's Redis pub/sub
  channel (one subscription per event and process, fanned out here);
- `gate_counts` from the database, recomputed at most once per LIVE_GATE_COUNTS_INTERVAL_S while
  scans arrive (a scan only marks the feed dirty; nothing is counted in memory), and every
  LIVE_REFRESH_S otherwise so the per-minute window keeps moving and a feed without Redis still
  shows the truth;
- `sales` aggregates (the body of GET /api/v1/events/{id}/sales), `devices` and `mirror`, sent
  when they changed, and `feed` ({"redis": bool}) when the Redis subscription drops or returns.
After the subscription was lost every socket gets a fresh snapshot.

The sockets do not use the channel layer at all: a Redis outage cannot close them, they keep
getting database figures, and the scan stream resumes when Redis returns.

Anyone but an active staff user is refused before the handshake completes; a device token
(header `Authorization: Device <token>` or `?token=`) is always refused, and a revoked one also
raises a `revoked_device` alert."""
from __future__ import annotations

import asyncio
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from alerts.services import revoked_device_attempt
from core import live
from devices.auth import device_for_token
from events.models import Event
from live import selectors

log = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
RESYNC_MIN_INTERVAL_S = 2.0
SUBSCRIBE_WAIT_S = 2.0  # a socket waits this long at most for its feed's first subscription
PENDING_MAX = 2000  # messages buffered for a socket while its snapshot is being read
COUNTS_DB_SHARE = 0.25  # the most of its time a feed spends reading gate counts


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
    device = device_for_token(token[:200])
    if device is not None and device.revoked_at is not None:
        revoked_device_attempt(device, path=path)


def _event_exists(event_id: str) -> bool:
    return Event.objects.filter(pk=event_id).exists()


# The feeds' database reads run on their own thread, not on the one thread that Channels shares
# for thread-sensitive work: a slow count must not hold up connects. Its one connection is
# closed when the process has no feed left.
_db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-feed-db")


def _read(fn, *args):
    return database_sync_to_async(fn, thread_sensitive=False, executor=_db_thread)(*args)


def _close_db() -> None:
    from django.db import connections

    connections.close_all()


def _comparable(sales: dict) -> dict:
    return {"zones": sales.get("zones"), "totals": sales.get("totals")}


class EventFeed:
    """The live messages of one event for this process's sockets."""

    def __init__(self, event_id: str):
        self.event_id = event_id
        # socket -> None when live, or the list of messages held back until its snapshot is out
        self.consumers: dict[LiveConsumer, list | None] = {}
        self.wake = asyncio.Event()
        self.settled = asyncio.Event()  # the first subscription attempt is over (either way)
        self.listening = False
        self.counts_dirty = self.sales_dirty = self.devices_dirty = False
        self.last: dict[str, object] = {}
        self.tasks: list[asyncio.Task] = []
        self._last_warning = 0.0

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.tasks = [loop.create_task(self._listen(), name=f"live-listen-{self.event_id}"),
                      loop.create_task(self._tick(), name=f"live-tick-{self.event_id}")]

    def stop(self) -> None:
        for task in self.tasks:
            task.cancel()

    @property
    def running(self) -> bool:
        return bool(self.tasks) and not any(t.done() for t in self.tasks)

    def mark(self, *, counts: bool = False, sales: bool = False, devices: bool = False) -> None:
        self.counts_dirty |= counts
        self.sales_dirty |= sales
        self.devices_dirty |= devices
        self.wake.set()

    # ----------------------------------------------------------------- sockets

    def add_pending(self, consumer: LiveConsumer) -> None:
        self.consumers[consumer] = []

    async def activate(self, consumer: LiveConsumer, snapshot: dict) -> None:
        """The socket's snapshot is out: send what arrived meanwhile, then go live."""
        self.last.setdefault("sales", _comparable(snapshot["sales"]))
        self.last.setdefault("devices", snapshot["devices"])
        self.last.setdefault("mirror", snapshot["mirror"])
        held = self.consumers.get(consumer)
        while held:
            await consumer.send_json(held.pop(0))
        if consumer in self.consumers:
            self.consumers[consumer] = None

    async def _broadcast(self, message: dict) -> None:
        for consumer, held in list(self.consumers.items()):
            if held is not None:
                if len(held) < PENDING_MAX:
                    held.append(message)
                continue
            try:
                await consumer.send_json(message)
            except Exception:  # noqa: BLE001 - a closing socket must not stop the others
                self.consumers.pop(consumer, None)

    async def _deliver(self, messages: list[dict]) -> None:
        for message in messages:
            kind = message.get("type") if isinstance(message, dict) else None
            if kind == "scan":
                self.mark(counts=True)
            elif kind == "sales" and "totals" not in message:
                self.mark(sales=True)  # a hold or a sale: the aggregate follows within a second
            elif kind == "device":
                self.mark(devices=True)
            if kind:
                await self._broadcast(message)

    # ----------------------------------------------------------------- Redis subscription

    async def _listen(self) -> None:
        import redis.asyncio as aioredis

        loop = asyncio.get_running_loop()
        backoff, lost = 0.5, False
        while True:
            client = pubsub = None
            try:
                client = aioredis.Redis.from_url(live.redis_url(), socket_connect_timeout=2.0)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(live.pubsub_channel(self.event_id))
                self.listening = True
                self.settled.set()
                if lost:  # messages may have been missed: everyone starts again from the database
                    await self._resync()
                    await self._broadcast({"type": "feed", "redis": True})
                backoff, lost = 0.5, False
                heard, pinged = loop.time(), False
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
                    if message is None:
                        # A silent Redis may be a hung one: ping, and give up if nothing answers.
                        if loop.time() - heard > 15.0:
                            if pinged:
                                raise TimeoutError("Redis stopped answering")
                            await pubsub.ping()
                            pinged = True
                        continue
                    heard, pinged = loop.time(), False
                    if message["type"] == "message":
                        await self._deliver(json.loads(message["data"]).get("messages", []))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis down: figures keep coming from the database
                if self.listening:
                    await self._broadcast({"type": "feed", "redis": False})
                self.listening = False
                self.settled.set()
                lost = True
                if loop.time() - self._last_warning > 30.0:
                    self._last_warning = loop.time()
                    log.warning("live feed for event %s: Redis subscription lost (%s: %s); retrying",
                                self.event_id, exc.__class__.__name__, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                for closable in (pubsub, client):
                    if closable is not None:
                        try:
                            await closable.aclose()
                        except Exception:  # noqa: BLE001
                            pass

    async def _resync(self) -> None:
        snapshot = await _read(selectors.snapshot, self.event_id)
        if snapshot is not None:
            snapshot["live"] = {"redis": self.listening}
            await self._broadcast(snapshot)

    # ----------------------------------------------------------------- database figures

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        interval = settings.LIVE_GATE_COUNTS_INTERVAL_S
        refresh = settings.LIVE_REFRESH_S
        last_counts = last_refresh = last_tick = loop.time()
        cost = 0.0
        while True:
            try:
                timeout = max(0.0, min(last_counts, last_refresh) + refresh - loop.time())
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=timeout)
                except asyncio.TimeoutError:
                    pass
                # Coalesce: at most one round of database reads per interval, however many
                # scans arrive; the first scan after a quiet spell is counted at once. When the
                # counts get slow (a huge event), space them so they take at most a quarter of
                # the time: the tiles then lag a little more but stay exact.
                wait = last_tick + max(interval, cost / COUNTS_DB_SHARE) - loop.time()
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
                    cost = loop.time() - now
                if periodic or self.sales_dirty or self.devices_dirty:
                    sales, devices = periodic or self.sales_dirty, periodic or self.devices_dirty
                    self.sales_dirty = self.devices_dirty = False
                    await self._send_state(sales=sales, devices=devices, mirror=periodic)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - e.g. the database restarting; try again later
                log.exception("live feed for event %s failed; retrying", self.event_id)
                await asyncio.sleep(refresh)

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


# One registry per event loop (a process normally has one; tests create several).
_feeds: dict[tuple[int, str], EventFeed] = {}


async def _join(event_id: str, consumer: LiveConsumer) -> EventFeed:
    key = (id(asyncio.get_running_loop()), event_id)
    feed = _feeds.get(key)
    if feed is None or not feed.running:
        feed = _feeds[key] = EventFeed(event_id)
        feed.start()
    feed.add_pending(consumer)
    try:
        await asyncio.wait_for(feed.settled.wait(), timeout=SUBSCRIBE_WAIT_S)
    except asyncio.TimeoutError:
        pass  # Redis is slow: the snapshot does not wait for it
    return feed


def _leave(event_id: str, consumer: LiveConsumer) -> None:
    key = (id(asyncio.get_running_loop()), event_id)
    feed = _feeds.get(key)
    if feed is None:
        return
    feed.consumers.pop(consumer, None)
    if not feed.consumers:
        feed.stop()
        _feeds.pop(key, None)
        if not _feeds:
            _db_thread.submit(_close_db)


class LiveConsumer(AsyncJsonWebsocketConsumer):
    # No channel layer: the feed brings the messages, and a Redis outage must not end the socket.
    channel_layer_alias = "live-feed-uses-no-channel-layer"
    feed: EventFeed | None = None
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
        # Subscribe before reading the snapshot, so nothing committed after the read is missed;
        # what arrives meanwhile is held back and sent right after the snapshot.
        self.feed = await _join(self.event_id, self)
        await self.accept()
        snapshot = await database_sync_to_async(selectors.snapshot)(self.event_id)
        snapshot["live"] = {"redis": self.feed.listening}
        await self.send_json(snapshot)
        await self.feed.activate(self, snapshot)

    async def disconnect(self, code):
        if self.feed is not None:
            _leave(self.event_id, self)
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
            snapshot = await database_sync_to_async(selectors.snapshot)(self.event_id)
            snapshot["live"] = {"redis": bool(self.feed and self.feed.listening)}
            await self.send_json(snapshot)
        elif kind == "ping":
            await self.send_json({"type": "pong"})
