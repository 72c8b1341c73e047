"""Best-effort push to the live feed.

Services announce a change with `publish_on_commit(event_id, message)`, `message` one of the types
of core/live_messages.py: it is queued when the transaction commits, so nothing is announced for a
transaction that rolled back. Redis being down, slow or unreachable must never fail or slow a
scan or a sale: errors are logged, not raised, and the dashboard catches up from the database
when it reconnects (every count it shows is derived there, docs/adr/0014).

Why background threads: `async_to_sync(layer.group_send)` from a WSGI thread costs about a
millisecond per call (an event loop hop plus three Redis round trips) and blocks the request for
as long as Redis takes to answer. The scan path targets 1,500 scans/s, so `publish_event` only
appends to in-process queues (microseconds). Per process:
- the *feed* thread drains its queue with one pipelined Redis `PUBLISH` per event and batch
  (one round trip, blocking I/O: it needs the GIL twice per batch however busy the request
  threads are) on the channel `pubsub_channel(event_id)`; the ASGI side
  (live/feed.py) subscribes once per event and process and fans out to its sockets;
- with LIVE_CHANNEL_GROUPS on (off by default), the *group* thread, with its own persistent
  event loop, also hands every message to the Channels group `event_<event_id>`
  (`{"type": "live.message", ...}`, or `live.batch` for several) for other consumers of the
  channel layer. Nothing in TicketCore listens there; at 1,500 scans/s the group send cost about
  6% of a worker's Python time even batched, so it is opt-in.
Queues are bounded (LIVE_QUEUE_MAX); a failed batch is dropped, counted and logged (rate-limited),
and the thread backs off LIVE_BACKOFF_S, so a dead Redis costs the scan path nothing."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections import deque

from django.conf import settings
from django.db import connection, transaction

from core.live_messages import LiveMessage

log = logging.getLogger(__name__)


def group_name(event_id: str) -> str:
    return f"event_{event_id}"


def _setting(name: str, default):
    return getattr(settings, name, default)


def _layer_config() -> dict:
    return (getattr(settings, "CHANNEL_LAYERS", {}) or {}).get("default", {}).get("CONFIG", {}) or {}


def redis_url() -> str:
    """The live feed's Redis: the channel layer's (first) host, else REDIS_URL."""
    hosts = _layer_config().get("hosts") or []
    if hosts and isinstance(hosts[0], str):
        return hosts[0]
    if hosts and isinstance(hosts[0], dict) and hosts[0].get("address"):
        return hosts[0]["address"]
    return settings.REDIS_URL


def pubsub_channel(event_id: str) -> str:
    """The Redis pub/sub channel of one event's feed; the channel layer prefix keeps parallel
    test runs and deployments sharing a Redis apart."""
    return f"{_layer_config().get('prefix', 'tc')}:live:{event_id}"


def encode(messages: list[dict]) -> str:
    return json.dumps({"messages": messages}, separators=(",", ":"), default=str)


class _Publisher:
    """A bounded queue drained by one daemon thread (re-created after a fork: threads do not
    survive it)."""

    name = "live-publisher"
    linger_setting, linger_default = "LIVE_LINGER_S", 0.01

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.queue: deque = deque()
        self.wake = threading.Event()
        self.idle = threading.Condition()
        self.in_flight = 0
        self.thread: threading.Thread | None = None
        self.start_lock = threading.Lock()
        self.sent = 0
        self.dropped = 0
        self.failures = 0
        self._last_log = 0.0
        self._suppressed = 0
        self._retry_at = 0.0
        self._target = None

    # ----------------------------------------------------------------- called by request threads

    def submit(self, event_id: str, message: dict) -> None:
        if len(self.queue) >= _setting("LIVE_QUEUE_MAX", 20_000):
            self.dropped += 1
            self._warn("%s queue full (%s messages); dropping", self.name, len(self.queue))
            return
        self.queue.append((str(event_id), message))
        if self.thread is None or not self.thread.is_alive():
            self._start()
        if not self.wake.is_set():
            self.wake.set()

    def _start(self) -> None:
        with self.start_lock:
            if self.thread is not None and self.thread.is_alive():
                return
            self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self.thread.start()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far has been sent (or dropped). For tests and benches."""
        deadline = time.monotonic() + timeout
        with self.idle:
            while self.queue or self.in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.idle.wait(min(remaining, 0.05))
        return True

    # ----------------------------------------------------------------- the thread

    def _run(self) -> None:
        self.setup()
        batch_max = _setting("LIVE_BATCH_MAX", 500)
        while True:
            self.wake.wait()
            linger = _setting(self.linger_setting, self.linger_default)
            if linger > 0:
                # Let a burst accumulate: one Redis round trip (and one GIL hand-off) per batch
                # instead of per scan, at the price of `linger` seconds of extra latency.
                time.sleep(linger)
            self.wake.clear()
            while self.queue:
                with self.idle:
                    items = []
                    while self.queue and len(items) < batch_max:
                        items.append(self.queue.popleft())
                    self.in_flight = len(items)
                try:
                    self._send(items)
                finally:
                    with self.idle:
                        self.in_flight = 0
                        self.idle.notify_all()
            with self.idle:
                self.idle.notify_all()

    def _send(self, items: list) -> None:
        target = self.target()
        if target is None:
            return
        if target != self._target:
            self._retry_at = 0.0  # another configuration (tests): its Redis deserves a try
            self.retarget(self._target, target)
            self._target = target
        if time.monotonic() < self._retry_at:
            self.dropped += len(items)
            self._warn("%s: Redis unreachable, %s messages dropped", self.name, len(items))
            return
        by_event: dict[str, list[dict]] = {}
        for event_id, message in items:
            by_event.setdefault(event_id, []).append(message)
        try:
            self.deliver(target, by_event)
            self.sent += len(items)
        except Exception as exc:  # noqa: BLE001 - the push is best effort by design
            self.failures += 1
            self.dropped += len(items)
            self._retry_at = time.monotonic() + _setting("LIVE_BACKOFF_S", 1.0)
            self._warn("live push (%s) of %s messages failed: %s: %s", self.name, len(items),
                       exc.__class__.__name__, exc)

    def _warn(self, fmt: str, *args) -> None:
        """At most one warning per LIVE_LOG_INTERVAL_S: a dead Redis at 1,500 scans/s must not
        also flood the logs."""
        now = time.monotonic()
        if now - self._last_log >= _setting("LIVE_LOG_INTERVAL_S", 10.0):
            suffix = f" ({self._suppressed} similar messages suppressed)" if self._suppressed else ""
            log.warning(fmt + suffix, *args)
            self._last_log, self._suppressed = now, 0
        else:
            self._suppressed += 1

    # ----------------------------------------------------------------- transport hooks

    def setup(self) -> None:
        pass

    def target(self):
        raise NotImplementedError

    def retarget(self, old, new) -> None:
        pass

    def deliver(self, target, by_event: dict[str, list[dict]]) -> None:
        raise NotImplementedError


class _FeedPublisher(_Publisher):
    """Redis PUBLISH, pipelined: what the dashboards listen to."""

    name = "live-feed"

    def __init__(self) -> None:
        super().__init__()
        self._client = None

    def target(self):
        return redis_url()

    def retarget(self, old, new) -> None:
        import redis

        if self._client is not None:
            try:
                self._client.close()
            except Exception:  # noqa: BLE001
                pass
        timeout = _setting("LIVE_PUBLISH_TIMEOUT_S", 2.0)
        self._client = redis.Redis.from_url(new, socket_connect_timeout=timeout, socket_timeout=timeout)

    def deliver(self, target, by_event: dict[str, list[dict]]) -> None:
        pipe = self._client.pipeline(transaction=False)
        for event_id, messages in by_event.items():
            pipe.publish(pubsub_channel(event_id), encode(messages))
        pipe.execute()


class _GroupPublisher(_Publisher):
    """The Channels group `event_<id>` on the configured channel layer (channels-redis)."""

    name = "live-group"
    linger_setting, linger_default = "LIVE_GROUP_LINGER_S", 0.05

    def setup(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)

    def target(self):
        from channels.layers import get_channel_layer

        return get_channel_layer()

    def retarget(self, old, new) -> None:
        if old is not None and hasattr(old, "close_pools"):
            try:  # settings changed (tests): release the old layer's connections on this loop
                self.loop.run_until_complete(old.close_pools())
            except Exception:  # noqa: BLE001
                pass

    def deliver(self, layer, by_event: dict[str, list[dict]]) -> None:
        async def send_all():
            sends = []
            for event_id, messages in by_event.items():
                body = ({"type": "live.message", "message": messages[0]} if len(messages) == 1
                        else {"type": "live.batch", "messages": messages})
                sends.append(layer.group_send(group_name(event_id), body))
            results = await asyncio.gather(*sends, return_exceptions=True)
            errors = [r for r in results if isinstance(r, BaseException)]
            if errors:
                raise errors[0]

        self.loop.run_until_complete(asyncio.wait_for(send_all(), _setting("LIVE_PUBLISH_TIMEOUT_S", 2.0)))


_feed: _Publisher | None = None
_group: _Publisher | None = None
_publishers_pid = 0
_publishers_lock = threading.Lock()


def _get_publishers() -> tuple[_Publisher, ...]:
    global _feed, _group, _publishers_pid
    if _publishers_pid != os.getpid():
        with _publishers_lock:
            if _publishers_pid != os.getpid():
                _feed, _group = _FeedPublisher(), _GroupPublisher()
                _publishers_pid = os.getpid()
    # The group publisher's thread starts on its first message, so it costs nothing while off.
    return (_feed, _group) if _setting("LIVE_CHANNEL_GROUPS", False) else (_feed,)


def publish_event(event_id: str, message: dict) -> None:
    """Queue `message` (a wire dict) for every live socket of the event. Never raises, never
    blocks. The transport: code announcing a change calls `publish_on_commit` with a typed message."""
    try:
        for publisher in _get_publishers():
            publisher.submit(event_id, message)
    except Exception as exc:  # noqa: BLE001 - the push is best effort by design
        log.warning("live push for event %s failed: %s: %s", event_id, exc.__class__.__name__, exc)


def publish_on_commit(event_id: str, message: LiveMessage) -> None:
    """The one way code announces a change: `message` (a core.live_messages type, never a plain
    dict) goes out when the current transaction commits, or at once outside a transaction. Best
    effort like `publish_event`; only a message that is not a typed one raises (a bug)."""
    if not isinstance(message, LiveMessage):
        raise TypeError(f"publish_on_commit takes a core.live_messages type, not {type(message).__name__}")
    body = message.wire()
    if connection.in_atomic_block:
        transaction.on_commit(lambda: publish_event(event_id, body))
    else:
        publish_event(event_id, body)


def flush(timeout: float = 5.0) -> bool:
    """Block until the messages queued by this process have been handed to Redis (or dropped)."""
    deadline = time.monotonic() + timeout
    return all(p.flush(max(0.0, deadline - time.monotonic())) for p in _get_publishers())


def stats() -> dict:
    """The dashboards' path (pub/sub): queued, sent and dropped messages in this process."""
    p = _get_publishers()[0]
    return {"queued": len(p.queue), "sent": p.sent, "dropped": p.dropped, "failures": p.failures}
