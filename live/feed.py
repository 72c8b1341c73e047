"""One event's live feed in this process, shared by all of the process's sockets of the event.

It subscribes once to the event's Redis pub/sub channel (`core.live.pubsub_channel`) and fans out
every message published with `core.live.publish_on_commit` (`scan`, `sync`, `alert`, `alert_ack`,
`device`, the `sales` changes of holds and box offices); the database figures come from
live/figures.py. When the subscription drops or returns every socket gets `feed`
({"redis": bool}), and after a loss a fresh snapshot: messages may have been missed.

The sockets do not use the channel layer at all: a Redis outage cannot close them, they keep
getting database figures, and the scan stream resumes when Redis returns."""
from __future__ import annotations

import asyncio
import functools
import json
import logging

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core import live, live_messages
from live import figures, selectors

log = logging.getLogger(__name__)

SUBSCRIBE_WAIT_S = 2.0  # a socket waits this long at most for its feed's first subscription
PENDING_MAX = 2000  # messages buffered for a socket while its snapshot is being read


def snapshot_message(snapshot: dict, *, redis: bool) -> dict:
    """The `snapshot` message of a live.selectors.snapshot body."""
    return live_messages.Snapshot.from_wire({**snapshot, "live": {"redis": redis}}).wire()


def for_socket(message: dict, consumer) -> dict | None:
    """What one socket may receive of a message: the mirror's state goes to administrators only
    (`consumer.sees_mirror`, from live.selectors.can_see_mirror), so a `mirror` message is held
    back from the others and a snapshot reaches them without its `mirror`. A socket with `kinds`
    (live.consumers.SalesConsumer) gets those message types only, filtered before its send and
    before its buffer, so a rush of scans cannot crowd a seat change out of either."""
    kind = message.get("type")
    kinds = getattr(consumer, "kinds", None)
    if kinds is not None and kind not in kinds:  # a socket given some kinds only (the sales desk's)
        return None
    if getattr(consumer, "sees_mirror", False):
        return message
    if kind == "mirror":
        return None
    if kind == "snapshot" and "mirror" in message:
        return {k: v for k, v in message.items() if k != "mirror"}
    return message


class EventFeed:
    """The live messages of one event for this process's sockets."""

    def __init__(self, event_id: str):
        self.event_id = event_id
        # socket -> None when live, or the list of messages held back until its snapshot is out
        self.consumers: dict[AsyncJsonWebsocketConsumer, list | None] = {}
        self.settled = asyncio.Event()  # the first subscription attempt is over (either way)
        self.listening = False
        self.figures = figures.Figures(event_id, self._broadcast)
        self.tasks: list[asyncio.Task] = []
        self._last_warning = 0.0

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.tasks = [loop.create_task(self._listen(), name=f"live-listen-{self.event_id}"),
                      loop.create_task(self.figures.run(), name=f"live-tick-{self.event_id}")]

    def stop(self) -> None:
        for task in self.tasks:
            task.cancel()

    @property
    def running(self) -> bool:
        return bool(self.tasks) and not any(t.done() for t in self.tasks)

    # ----------------------------------------------------------------- sockets

    def add_pending(self, consumer: AsyncJsonWebsocketConsumer) -> None:
        self.consumers[consumer] = []

    async def activate(self, consumer: AsyncJsonWebsocketConsumer, snapshot: dict) -> None:
        """The socket's snapshot is out: send what arrived meanwhile, then go live."""
        self.figures.seed(snapshot)
        held = self.consumers.get(consumer)
        while held:
            await consumer.send_json(held.pop(0))
        if consumer in self.consumers:
            self.consumers[consumer] = None

    async def _broadcast(self, message: dict) -> None:
        for consumer, held in list(self.consumers.items()):
            message_ = for_socket(message, consumer)
            if message_ is None:
                continue
            if held is not None:
                if len(held) < PENDING_MAX:
                    held.append(message_)
                continue
            try:
                await consumer.send_json(message_)
            except Exception:  # noqa: BLE001 - a closing socket must not stop the others
                self.consumers.pop(consumer, None)

    async def _deliver(self, messages: list[dict]) -> None:
        for message in messages:
            kind = message.get("type") if isinstance(message, dict) else None
            if kind == "scan":
                self.figures.mark(counts=True)
            elif kind == "sales" and "totals" not in message:
                self.figures.mark(sales=True)  # a hold or a sale: the aggregate follows within a second
            elif kind == "device":
                self.figures.mark(devices=True)
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
                    await self._broadcast(live_messages.Feed(redis=True).wire())
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
                    await self._broadcast(live_messages.Feed(redis=False).wire())
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
        snapshot = await figures.read(functools.partial(selectors.snapshot, self.event_id, mirror_state=True))
        if snapshot is not None:  # for_socket takes the mirror out for those who may not see it
            await self._broadcast(snapshot_message(snapshot, redis=self.listening))


# One registry per event loop (a process normally has one; tests create several).
_feeds: dict[tuple[int, str], EventFeed] = {}


async def join(event_id: str, consumer: AsyncJsonWebsocketConsumer) -> EventFeed:
    """The event's feed (started if need be) with `consumer` held back until `activate`."""
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


def leave(event_id: str, consumer: AsyncJsonWebsocketConsumer) -> None:
    key = (id(asyncio.get_running_loop()), event_id)
    feed = _feeds.get(key)
    if feed is None:
        return
    feed.consumers.pop(consumer, None)
    if not feed.consumers:
        feed.stop()
        _feeds.pop(key, None)
        if not _feeds:
            figures.release()
