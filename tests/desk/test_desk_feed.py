"""The sales desk's socket, ws /ws/events/{event_id}/sales/: the live feed's rules (staff only,
same wire shapes) with only what a seller needs. Real ASGI stack, real Redis pub/sub, real
commits: a door scan must not reach it, a hold must, and the dashboard's socket keeps it all."""
from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from access import services as access_services
from tests.conftest import code_for, make_device, sell
# The live feed tests' fixtures: rate limits reset and the feed flushed per test, a generated event.
from tests.live.test_live_consumer import _fresh_rate_limits, ev, session_for  # noqa: F401 (fixtures)
from tickets import holds
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

DESK_KINDS = {"snapshot", "sales", "feed", "pong"}


@pytest.fixture
def staff_session(django_user_model):
    return session_for(django_user_model.objects.create_user("clerk", password="pw-clerk-123", is_staff=True))


def socket(event_id: str, feed: str, *, session: str | None = None, headers=()) -> WebsocketCommunicator:
    from ticketcore.asgi import application

    hdrs = [(b"origin", b"http://testserver"), (b"host", b"testserver"), *headers]
    if session:
        hdrs.append((b"cookie", f"sessionid={session}".encode()))
    return WebsocketCommunicator(application, f"/ws/events/{event_id}/{feed}/", headers=hdrs)


async def collect_until(comm, done, *, timeout=8.0) -> list[dict]:
    """Every message up to and including the first for which done(message) is true."""
    got, deadline = [], time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"gave up after {len(got)} messages: {[m['type'] for m in got]}")
        try:
            message = await comm.receive_json_from(timeout=remaining)
        except asyncio.TimeoutError:
            raise AssertionError(f"gave up after {len(got)} messages: {[m['type'] for m in got]}") from None
        got.append(message)
        if done(message):
            return got


def held_change(ticket_id):
    return lambda m: m["type"] == "sales" and "totals" not in m and m.get("action") == "held" \
        and ticket_id in m.get("tickets", [])


def test_the_desk_socket_is_staff_only(ev, django_user_model):
    fan = session_for(django_user_model.objects.create_user("fan", password="pw-fan-1234"))
    _, token = make_device(ev)

    async def body():
        assert not (await socket(ev.event_id, "sales").connect())[0]
        assert not (await socket(ev.event_id, "sales", session=fan).connect())[0]
        assert not (await socket(ev.event_id, "sales", headers=[(b"authorization", f"Device {token}".encode())]).connect())[0]
    async_to_sync(body)()


def test_door_scans_reach_the_dashboard_but_not_the_desk_and_a_hold_reaches_both(ev, staff_session):
    device, _ = make_device(ev)
    sell(ev, "A-1")
    b1 = Ticket.objects.get(event=ev, seat_id="B-1").ticket_id
    code = code_for(ev, "A-1")

    async def body():
        dashboard = socket(ev.event_id, "live", session=staff_session)
        desk = socket(ev.event_id, "sales", session=staff_session)
        assert (await dashboard.connect())[0] and (await desk.connect())[0]
        try:
            snap_dash = (await collect_until(dashboard, lambda m: m["type"] == "snapshot"))[-1]
            snap_desk = (await collect_until(desk, lambda m: m["type"] == "snapshot"))[-1]
            assert snap_desk["sales"] == snap_dash["sales"]  # the same snapshot, for the map and the figures

            # A door scan: the dashboard gets it and its gate counts...
            await sync_to_async(access_services.scan)(device=device, code=code, direction="in",
                                                      scan_id=uuid.uuid4())
            seen = await collect_until(dashboard, lambda m: m["type"] == "gate_counts" and m["totals"]["accepted"] == 1)
            assert any(m["type"] == "scan" for m in seen)
            # ...then a hold: both get the seat change, in the same shape.
            await sync_to_async(holds.take_hold)(event_id=ev.event_id, ticket_ids=[b1], hold_seconds=300)
            dash_change = (await collect_until(dashboard, held_change(b1)))[-1]
            desk_seen = await collect_until(desk, held_change(b1))
            assert desk_seen[-1] == dash_change
            # The desk got the hold after the scan was broadcast to every socket of the event,
            # so had it been given scans it would hold them by now.
            desk_seen += await collect_until(desk, lambda m: m["type"] == "sales" and "totals" in m
                                             and m["totals"]["held"] == 1)
            kinds = {m["type"] for m in desk_seen}
            assert kinds <= DESK_KINDS, kinds
            assert "scan" not in kinds and "gate_counts" not in kinds

            await desk.send_json_to({"type": "ping"})
            assert (await collect_until(desk, lambda m: m["type"] == "pong"))[-1] == {"type": "pong"}
        finally:
            await dashboard.disconnect()
            await desk.disconnect()
    async_to_sync(body)()
