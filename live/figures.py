"""The database figures of one event's feed: gate counts, sales, devices and the mirror, read on
their own thread, coalesced while scans arrive, and sent only when they changed.

`gate_counts` is recomputed at most once per LIVE_GATE_COUNTS_INTERVAL_S while scans arrive (a
scan only marks the figures dirty; nothing is counted in memory) and every LIVE_REFRESH_S
otherwise, so the per-minute window keeps moving and a feed without Redis still shows the truth.
`sales` (the body of GET /api/v1/events/{id}/sales), `devices` and `mirror` follow a change, and
LIVE_REFRESH_S at the latest."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connections

from core import live_messages
from live import selectors

log = logging.getLogger(__name__)

COUNTS_DB_SHARE = 0.25  # the most of its time a feed spends reading gate counts

# The feeds' database reads run on their own thread, not on the one thread that Channels shares
# for thread-sensitive work: a slow count must not hold up connects. Its one connection is
# closed when the process has no feed left (`release`).
_db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-feed-db")


def read(fn, *args):
    return database_sync_to_async(fn, thread_sensitive=False, executor=_db_thread)(*args)


def release() -> None:
    """No feed is left in this process: close the reading thread's connection."""
    _db_thread.submit(connections.close_all)


def _comparable(sales: dict) -> dict:
    return {"zones": sales.get("zones"), "totals": sales.get("totals")}


class Figures:
    """The figures of one event, sent through `broadcast` (the feed's fan-out)."""

    def __init__(self, event_id: str, broadcast: Callable[[dict], Awaitable[None]]):
        self.event_id = event_id
        self.broadcast = broadcast
        self.wake = asyncio.Event()
        self.counts_dirty = self.sales_dirty = self.devices_dirty = False
        self.last: dict[str, object] = {}

    def mark(self, *, counts: bool = False, sales: bool = False, devices: bool = False) -> None:
        self.counts_dirty |= counts
        self.sales_dirty |= sales
        self.devices_dirty |= devices
        self.wake.set()

    def seed(self, snapshot: dict) -> None:
        """A socket's snapshot is out: what it showed needs no resending."""
        self.last.setdefault("sales", _comparable(snapshot["sales"]))
        self.last.setdefault("devices", snapshot["devices"])
        if "mirror" in snapshot:  # an administrator's snapshot (live.feed.for_socket)
            self.last.setdefault("mirror", snapshot["mirror"])

    async def run(self) -> None:
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
        counts = await read(selectors.gate_counts, self.event_id)
        comparable = {k: v for k, v in counts.items() if k != "at"}
        if comparable != self.last.get("gate_counts"):
            self.last["gate_counts"] = comparable
            await self.broadcast(live_messages.GateCounts.from_wire(counts).wire())

    async def _send_state(self, *, sales: bool, devices: bool, mirror: bool) -> None:
        if sales:
            body = await read(selectors.sales, self.event_id)
            if _comparable(body) != self.last.get("sales"):
                self.last["sales"] = _comparable(body)
                await self.broadcast(live_messages.SalesTotals.from_wire(body).wire())
        if devices:
            rows = await read(selectors.devices, self.event_id)
            if rows != self.last.get("devices"):
                self.last["devices"] = rows
                await self.broadcast(live_messages.Devices(devices=rows).wire())
        if mirror:
            state = await read(selectors.mirror)
            if state is not None and state != self.last.get("mirror"):
                self.last["mirror"] = state
                await self.broadcast(live_messages.Mirror(state=state).wire())
