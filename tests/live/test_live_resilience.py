"""Redis is best effort for the live feed: scans succeed, fast, with Redis stopped or hanging,
and a dashboard that reconnects afterwards gets the database's numbers."""
from __future__ import annotations

import asyncio
import logging
import socket
import uuid

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import override_settings

from access import services as access_services
from core import live
from tests.live.test_live_consumer import communicator, next_message, session_for
from tests.conftest import code_for, device_client, make_device, make_event, sell
from tickets.models import Ticket
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db(transaction=True)


def _layer_at(url: str) -> dict:
    return {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                        "CONFIG": {"hosts": [url], "prefix": "l7dead"}}}


@pytest.fixture
def dead_port():
    """A local port where nothing listens: connections are refused, like a stopped Redis."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def hanging_redis():
    """Accepts TCP connections and never answers: an unreachable/overloaded Redis."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def ev(transactional_db):
    event = make_event()
    generate_tickets(event_id=event.event_id)
    return event


@pytest.fixture(autouse=True)
def _log_every_failure(settings):
    settings.LIVE_LOG_INTERVAL_S = 0
    settings.LIVE_PUBLISH_TIMEOUT_S = 0.5


def test_scans_succeed_with_redis_stopped(ev, dead_port, caplog, django_user_model):
    device, token = make_device(ev)
    sell(ev, "A-1", "A-2", "B-1")
    client = device_client(token)
    dead = f"redis://127.0.0.1:{dead_port}/0"
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead,
                          "KEY_PREFIX": "l7dead", "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}}
    with override_settings(CHANNEL_LAYERS=_layer_at(dead), REDIS_URL=dead, CACHES=caches), \
            caplog.at_level(logging.WARNING, logger="core.live"):
        for seat in ("A-1", "A-2", "B-1"):
            r = client.post("/api/v1/scan", {"code": code_for(ev, seat), "direction": "in",
                                             "scan_id": str(uuid.uuid4())}, format="json")
            assert r.status_code == 200 and r.json()["result"] == "accepted", r.content
        assert live.flush(timeout=5)
    assert Ticket.objects.filter(event=ev, access_entry=True).count() == 3
    assert "live push" in caplog.text and ("ConnectionRefused" in caplog.text or "Connect" in caplog.text)

    # Redis is back: a dashboard that (re)connects catches up from the database.
    session = session_for(django_user_model.objects.create_user("boss", password="pw-boss-123", is_staff=True))

    async def reconnect():
        comm = communicator(ev.event_id, session=session)
        assert (await comm.connect())[0]
        try:
            return await next_message(comm, "snapshot")
        finally:
            await comm.disconnect()

    snapshot = async_to_sync(reconnect)()
    assert (snapshot["totals"]["accepted"], snapshot["totals"]["inside"]) == (3, 3)


def test_scans_stay_fast_when_redis_hangs(ev, hanging_redis, caplog):
    device, _ = make_device(ev)
    seats = [f"B-{n}" for n in range(1, 11)]
    sell(ev, *seats)
    codes = [code_for(ev, seat) for seat in seats]
    # Messages of earlier tests still on their way would be counted as sent below: drain them.
    assert live.flush(timeout=10)
    with override_settings(CHANNEL_LAYERS=_layer_at(f"redis://127.0.0.1:{hanging_redis}/0")), \
            caplog.at_level(logging.WARNING, logger="core.live"):
        before = live.stats()
        for code in codes:
            outcome = access_services.scan(device=device, code=code, direction="in", scan_id=uuid.uuid4())
            assert outcome.accepted
        for _ in range(1000):
            live.publish_event(ev.event_id, {"type": "scan", "probe": True})
        # The scans (and 1,000 publishes) returned while their messages still wait behind the
        # publisher thread stuck on the hanging Redis: none of them waited for Redis. (No clock
        # in the assertion; the cost of a publish is measured in bench/live_latency.py.)
        pending = live.stats()
        assert pending["queued"] > 0 and pending["sent"] == before["sent"], (before, pending)
        assert live.flush(timeout=10)
    assert "TimeoutError" in caplog.text
    assert live.stats()["dropped"] >= 1000


def test_without_redis_the_dashboard_still_gets_database_figures_then_catches_up(ev, dead_port, django_user_model,
                                                                                 client, settings):
    settings.LIVE_REFRESH_S = 0.5
    staff = django_user_model.objects.create_user("boss", password="pw-boss-123", is_staff=True)
    session = session_for(staff)
    device, _ = make_device(ev)
    sell(ev, "A-1", "A-2")
    codes = [code_for(ev, "A-1"), code_for(ev, "A-2")]
    dead = override_settings(CHANNEL_LAYERS=_layer_at(f"redis://127.0.0.1:{dead_port}/0"))

    enabled = []

    async def body():
        dead.enable()
        enabled.append(True)
        comm = communicator(ev.event_id, session=session)
        try:
            # The socket opens without Redis: a database snapshot, then database counts.
            assert (await comm.connect(timeout=5))[0]
            snapshot = await next_message(comm, "snapshot")
            assert snapshot["live"] == {"redis": False} and snapshot["totals"]["accepted"] == 0
            await sync_to_async(scan_one)(device, codes[0])
            counts = await next_message(comm, "gate_counts", where=lambda m: m["totals"]["accepted"] == 1)
            assert counts["totals"]["inside"] == 1
            # Redis is back: the feed re-subscribes, sends a fresh snapshot, and scans stream again.
            dead.disable()
            enabled.clear()
            back = await next_message(comm, "snapshot", timeout=15)
            assert back["live"] == {"redis": True} and back["totals"]["accepted"] == 1
            await next_message(comm, "feed", where=lambda m: m["redis"] is True)
            await sync_to_async(scan_one)(device, codes[1])
            assert (await next_message(comm, "scan"))["result"] == "accepted"
        finally:
            if enabled:
                dead.disable()
            await comm.disconnect()

    async_to_sync(body)()
    client.force_login(staff)
    r = client.get(f"/dashboard/events/{ev.event_id}/snapshot.json")
    assert r.status_code == 200 and r.json()["totals"]["accepted"] == 2


def scan_one(device, code):
    assert access_services.scan(device=device, code=code, direction="in", scan_id=uuid.uuid4()).accepted


def test_publish_event_survives_a_broken_publisher(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("queue exploded")

    monkeypatch.setattr(live._Publisher, "submit", broken)
    with caplog.at_level(logging.WARNING, logger="core.live"):
        live.publish_event("e1", {"type": "scan"})  # never raises
    assert "queue exploded" in caplog.text


def test_many_messages_arrive_in_order_in_batches(ev, django_user_model):
    session = session_for(django_user_model.objects.create_user("boss", password="pw-boss-123", is_staff=True))

    async def body():
        comm = communicator(ev.event_id, session=session)
        assert (await comm.connect())[0]
        try:
            await next_message(comm, "snapshot")
            for i in range(300):
                live.publish_event(ev.event_id, {"type": "scan", "seq": i})
            seen = []
            while len(seen) < 300:
                message = await next_message(comm, "scan", timeout=5)
                seen.append(message["seq"])
            assert seen == list(range(300))
        finally:
            await comm.disconnect()

    async_to_sync(body)()


def test_messages_also_reach_the_channels_group_when_enabled(ev, settings):
    """With LIVE_CHANNEL_GROUPS on, channel-layer consumers of `event_<id>` receive the live messages."""
    from channels.layers import get_channel_layer

    settings.LIVE_CHANNEL_GROUPS = True

    layer = get_channel_layer()

    async def body():
        channel = await layer.new_channel()
        await layer.group_add(live.group_name(ev.event_id), channel)
        try:
            live.publish_event(ev.event_id, {"type": "alert", "kind": "zone_capacity", "id": 1})
            message = await asyncio.wait_for(layer.receive(channel), timeout=5)
            assert message == {"type": "live.message",
                               "message": {"type": "alert", "kind": "zone_capacity", "id": 1}}
        finally:
            await layer.group_discard(live.group_name(ev.event_id), channel)

    async_to_sync(body)()


def test_no_channels_group_publishing_by_default(ev):
    """Off by default: the dashboards listen to pub/sub, and the group send cost the scan path
    about 6% of a worker's Python time at 1,500 scans/s (docs/adr/0014)."""
    from core.live import _FeedPublisher, _get_publishers

    assert [type(p) for p in _get_publishers()] == [_FeedPublisher]
