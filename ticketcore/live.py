"""Best-effort push to the live feed (Channels group `event_<event_id>`, channels-redis layer).

Callers invoke `publish_event` from `transaction.on_commit`, so nothing is announced for a
transaction that rolled back. Redis being down, slow or unreachable must never fail or slow a
scan or a sale: errors are logged, not raised, and the dashboard catches up from the database
when it reconnects (every count it shows is derived there, docs/adr/0014).

Why a background thread: `async_to_sync(layer.group_send)` from a WSGI thread costs about a
millisecond per call (a new event loop hop plus three Redis round trips) and blocks the request
for as long as Redis takes to answer. The scan path targets 1,500 scans/s, so `publish_event`
only appends to an in-process queue (a few microseconds) and one daemon thread per process,
with its own persistent event loop, drains the queue: messages for one event that queued up
together go out as one `live.batch` group message, so under load the Redis cost is shared by
many scans. A single message keeps the historical `live.message` shape.

The queue is bounded (LIVE_QUEUE_MAX); when Redis is unreachable each batch fails after
LIVE_PUBLISH_TIMEOUT_S, is dropped and counted, and the next attempt waits LIVE_BACKOFF_S, so a
dead Redis costs the scan path nothing at all."""
from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections import deque

from django.conf import settings

log = logging.getLogger(__name__)


def group_name(event_id: str) -> str:
    return f"event_{event_id}"


def _setting(name: str, default):
    return getattr(settings, name, default)


class _Publisher:
    """One per process (re-created after a fork: the thread does not survive it)."""

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
        self._layer = None

    # ----------------------------------------------------------------- called by request threads

    def submit(self, event_id: str, message: dict) -> None:
        if len(self.queue) >= _setting("LIVE_QUEUE_MAX", 20_000):
            self.dropped += 1
            self._warn("live queue full (%s messages); dropping", len(self.queue))
            return
        self.queue.append((str(event_id), message))
        if self.thread is None or not self.thread.is_alive():
            self._start()
        self.wake.set()

    def _start(self) -> None:
        with self.start_lock:
            if self.thread is not None and self.thread.is_alive():
                return
            self.thread = threading.Thread(target=self._run, name="live-publisher", daemon=True)
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

    # ----------------------------------------------------------------- the publisher thread

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        batch_max = _setting("LIVE_BATCH_MAX", 500)
        while True:
            self.wake.wait()
            self.wake.clear()
            while self.queue:
                with self.idle:
                    items = []
                    while self.queue and len(items) < batch_max:
                        items.append(self.queue.popleft())
                    self.in_flight = len(items)
                try:
                    self._send(loop, items)
                finally:
                    with self.idle:
                        self.in_flight = 0
                        self.idle.notify_all()
            with self.idle:
                self.idle.notify_all()

    def _send(self, loop: asyncio.AbstractEventLoop, items: list) -> None:
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        if layer is None:
            return
        if layer is not self._layer:
            self._retry_at = 0.0  # another configuration (tests): its Redis deserves a try
        if time.monotonic() < self._retry_at:
            self.dropped += len(items)
            self._warn("live push skipped while Redis is unreachable (%s messages dropped)", len(items))
            return
        by_event: dict[str, list[dict]] = {}
        for event_id, message in items:
            by_event.setdefault(event_id, []).append(message)
        try:
            loop.run_until_complete(asyncio.wait_for(self._send_all(layer, by_event),
                                                     _setting("LIVE_PUBLISH_TIMEOUT_S", 2.0)))
            self.sent += len(items)
        except Exception as exc:  # noqa: BLE001 - the push is best effort by design
            self.failures += 1
            self.dropped += len(items)
            self._retry_at = time.monotonic() + _setting("LIVE_BACKOFF_S", 1.0)
            self._warn("live push of %s messages failed: %s: %s", len(items), exc.__class__.__name__, exc)

    async def _send_all(self, layer, by_event: dict[str, list[dict]]) -> None:
        if layer is not self._layer:
            # Settings changed (tests): release the old layer's connections on this loop.
            old, self._layer = self._layer, layer
            if old is not None and hasattr(old, "close_pools"):
                try:
                    await old.close_pools()
                except Exception:  # noqa: BLE001
                    pass
        sends = []
        for event_id, messages in by_event.items():
            if len(messages) == 1:
                body = {"type": "live.message", "message": messages[0]}
            else:
                body = {"type": "live.batch", "messages": messages}
            sends.append(layer.group_send(group_name(event_id), body))
        results = await asyncio.gather(*sends, return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]

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


_publisher: _Publisher | None = None
_publisher_lock = threading.Lock()


def _get_publisher() -> _Publisher:
    global _publisher
    publisher = _publisher
    if publisher is None or publisher.pid != os.getpid():
        with _publisher_lock:
            if _publisher is None or _publisher.pid != os.getpid():
                _publisher = _Publisher()
            publisher = _publisher
    return publisher


def publish_event(event_id: str, message: dict) -> None:
    """Queue `message` for every live socket of the event. Never raises, never blocks."""
    try:
        _get_publisher().submit(event_id, message)
    except Exception as exc:  # noqa: BLE001 - the push is best effort by design
        log.warning("live push for event %s failed: %s: %s", event_id, exc.__class__.__name__, exc)


def flush(timeout: float = 5.0) -> bool:
    """Block until the messages queued by this process have been handed to Redis (or dropped)."""
    return _get_publisher().flush(timeout)


def stats() -> dict:
    p = _get_publisher()
    return {"queued": len(p.queue), "sent": p.sent, "dropped": p.dropped, "failures": p.failures}
