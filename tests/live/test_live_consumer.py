"""ws /ws/events/{event_id}/live/ through the real ASGI stack (origin check, session auth, URL
router) and the REAL channels-redis layer: nothing here is mocked.

The tests are synchronous and run their async part with async_to_sync, so the consumer's
database_sync_to_async calls share the test's thread; transactional_db because the publisher
only fires after a real COMMIT."""
from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client

from access import services as access_services
from alerts.models import Alert
from alerts.services import raise_alert
from core import live
from devices.services import revoke_device
from alerts import services as alert_services
from live import anomalies, selectors
from tests.conftest import code_for, device_client, make_device, make_event, sell
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    anomalies.reset_rate_limits()
    yield
    live.flush()


@pytest.fixture
def ev(transactional_db):
    event = make_event()
    generate_tickets(event_id=event.event_id)
    return event


def session_for(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.fixture
def staff_session(django_user_model):
    user = django_user_model.objects.create_user("boss", password="pw-boss-123", is_staff=True)
    return session_for(user)


def communicator(event_id: str, *, session: str | None = None, headers=(), query: str = "") -> WebsocketCommunicator:
    from ticketcore.asgi import application

    hdrs = [(b"origin", b"http://testserver"), (b"host", b"testserver"), *headers]
    if session:
        hdrs.append((b"cookie", f"sessionid={session}".encode()))
    return WebsocketCommunicator(application, f"/ws/events/{event_id}/live/{query}", headers=hdrs)


async def next_message(comm: WebsocketCommunicator, kind: str, *, where=lambda m: True, timeout: float = 5.0) -> dict:
    """The next message of `kind` matching `where`, skipping others, within a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no {kind} message within {timeout} s")
        try:
            message = await comm.receive_json_from(timeout=remaining)
        except asyncio.TimeoutError:
            raise AssertionError(f"no {kind} message within {timeout} s") from None
        if message["type"] == kind and where(message):
            return message


def scan(device, code, direction="in"):
    return access_services.scan(device=device, code=code, direction=direction, scan_id=uuid.uuid4()).response


def run(body):
    async_to_sync(body)()


# --------------------------------------------------------------------------- who may connect

def test_anonymous_is_refused(ev):
    async def body():
        comm = communicator(ev.event_id)
        connected, _ = await comm.connect()
        assert not connected
    run(body)


def test_non_staff_user_is_refused(ev, django_user_model):
    user = django_user_model.objects.create_user("fan", password="pw-fan-1234")
    session = session_for(user)

    async def body():
        comm = communicator(ev.event_id, session=session)
        connected, _ = await comm.connect()
        assert not connected
    run(body)


def test_staff_from_a_foreign_origin_is_refused(ev, staff_session):
    async def body():
        from ticketcore.asgi import application

        comm = WebsocketCommunicator(application, f"/ws/events/{ev.event_id}/live/",
                                     headers=[(b"origin", b"http://evil.example"), (b"host", b"testserver"),
                                              (b"cookie", f"sessionid={staff_session}".encode())])
        connected, _ = await comm.connect()
        assert not connected
    run(body)


def test_device_tokens_are_refused_and_a_revoked_one_raises_an_alert(ev, staff_session):
    device, token = make_device(ev)
    revoked, revoked_token = make_device(ev, name="Lost phone")
    revoke_device(device_id=revoked.device_id)

    async def body():
        # A valid device token, even next to a staff session cookie: devices are never staff.
        comm = communicator(ev.event_id, session=staff_session,
                            headers=[(b"authorization", f"Device {token}".encode())])
        assert not (await comm.connect())[0]
        comm = communicator(ev.event_id, query=f"?token={token}")
        assert not (await comm.connect())[0]
        comm = communicator(ev.event_id, headers=[(b"authorization", f"Device {revoked_token}".encode())])
        assert not (await comm.connect())[0]
    run(body)
    alerts = list(Alert.objects.filter(event=ev, kind="revoked_device"))
    assert len(alerts) == 1 and alerts[0].data["device_id"] == revoked.device_id
    assert alerts[0].data["path"] == f"/ws/events/{ev.event_id}/live/"
    assert not Alert.objects.filter(data__device_id=device.device_id).exists()


def test_unknown_event_is_refused(transactional_db, staff_session):
    async def body():
        comm = communicator("NoSuchEvent", session=staff_session)
        connected, code = await comm.connect()
        assert not connected and code == 4404
    run(body)


# --------------------------------------------------------------------------- what it sends

def test_snapshot_on_connect_is_derived_from_the_database(ev, staff_session):
    gate1, _ = make_device(ev, name="North")
    gate2, _ = make_device(ev, name="South")
    sell(ev, "A-1", "A-2", "B-1")
    cred = access_services.create_credential(event_id=ev.event_id, name="Referee", kind="staff")
    assert scan(gate1, code_for(ev, "A-1"))["result"] == "accepted"
    assert scan(gate1, code_for(ev, "A-1"))["reason"] == "already_inside"
    assert scan(gate2, code_for(ev, "B-1"))["result"] == "accepted"
    assert scan(gate2, code_for(ev, "B-1"), "out")["result"] == "accepted"
    assert scan(gate1, code_for(ev, "B-1"))["result"] == "accepted"  # zone B allows re-entry
    assert scan(gate2, "forged-code")["reason"] == "invalid_signature"
    assert scan(gate2, access_services.credential_code(cred))["result"] == "accepted"
    assert scan(gate2, access_services.credential_code(cred))["reason"] == "already_inside"

    async def body():
        comm = communicator(ev.event_id, session=staff_session)
        connected, _ = await comm.connect()
        assert connected
        try:
            snap = await next_message(comm, "snapshot")
        finally:
            await comm.disconnect()
        return snap

    snap = async_to_sync(body)()
    assert snap["event"]["event_id"] == ev.event_id
    gates = {c["checkpoint"]: c for c in snap["checkpoints"]}
    north, south = gates[gate1.checkpoint_id], gates[gate2.checkpoint_id]
    assert (north["accepted"], north["rejected"], north["inside"], north["entries"], north["exits"]) == (2, 1, 2, 2, 0)
    assert (south["accepted"], south["rejected"], south["inside"], south["entries"], south["exits"]) == (3, 2, 1, 2, 1)
    assert north["per_minute"] == 3 and south["per_minute"] == 5
    zones = {z["zone_id"]: z for z in snap["zones"]}
    assert (zones["A"]["inside"], zones["A"]["seats"], zones["A"]["color"]) == (1, 5, "#C0392B")
    assert zones["B"]["inside"] == 1
    assert snap["credentials"]["inside"] == 1 and snap["credentials"]["staff"] == 1
    totals = snap["totals"]
    assert (totals["accepted"], totals["rejected"], totals["inside"], totals["tickets_inside"]) == (5, 3, 3, 2)
    # Nobody counted twice: the gates' inside figures add up to the people inside.
    assert sum(c["inside"] for c in snap["checkpoints"]) == totals["inside"]
    assert snap["sales"]["totals"]["sold"] == 3 and snap["sales"]["totals"]["seats"] == 15
    assert {d["device_id"] for d in snap["devices"]} == {gate1.device_id, gate2.device_id}
    assert sum(snap["series"]["checkpoints"][gate2.checkpoint_id]) == 5
    assert len(snap["recent_scans"]) == 8 and snap["recent_scans"][0]["reason"] == "already_inside"
    # A manager (staff, not an administrator) is not shown the Firestore mirror's state.
    assert snap["alerts"] == [] and "mirror" not in snap
    assert snap["event"]["timezone"] == "UTC"


def test_a_scan_is_pushed_after_commit_then_fresh_gate_counts(ev, staff_session):
    device, token = make_device(ev)
    sell(ev, "A-1", "A-2")
    client = device_client(token)
    code_a1 = code_for(ev, "A-1")

    async def body():
        comm = communicator(ev.event_id, session=staff_session)
        assert (await comm.connect())[0]
        try:
            first = await next_message(comm, "snapshot")
            assert first["totals"]["accepted"] == 0

            def scan_in_a_transaction():
                before = live.stats()
                with transaction.atomic():
                    scan(device, code_for(ev, "A-2"))
                    after = live.stats()
                    # Still inside the transaction: nothing has been handed to the publisher.
                    assert (after["queued"], after["sent"], after["dropped"]) == \
                           (before["queued"], before["sent"], before["dropped"])

            await sync_to_async(scan_in_a_transaction)()
            message = await next_message(comm, "scan", timeout=2)
            assert message["result"] == "accepted" and message["zone_id"] == "A"

            r = await sync_to_async(client.post)("/api/v1/scan", {"code": code_a1, "direction": "in",
                                                                  "scan_id": str(uuid.uuid4())}, format="json")
            assert r.status_code == 200 and r.json()["result"] == "accepted"
            # Latency is measured in bench/live_latency.py; here the deadline only bounds the wait.
            message = await next_message(comm, "scan", timeout=2)
            assert (message["checkpoint"], message["device"], message["result"], message["reason"]) == \
                   (device.checkpoint_id, device.device_id, "accepted", None)
            assert (message["direction"], message["ticket_id"], message["seat_id"]) == \
                   ("in", code_a1.split(".")[1], "A-1")
            counts = await next_message(comm, "gate_counts", where=lambda m: m["totals"]["accepted"] == 2, timeout=5)
            gate = counts["checkpoints"][0]
            assert (gate["checkpoint"], gate["accepted"], gate["rejected"], gate["inside"], gate["per_minute"]) == \
                   (device.checkpoint_id, 2, 0, 2, 2)
            assert {z["zone_id"]: z["inside"] for z in counts["zones"]} == {"A": 2, "B": 0}
        finally:
            await comm.disconnect()
    run(body)


def test_nothing_is_published_for_a_rolled_back_transaction(ev, staff_session):
    rolled_back_device, _ = make_device(ev, name="Rolled back")
    marker_device, _ = make_device(ev, name="Marker")
    sell(ev, "A-1", "A-2")

    async def body():
        comm = communicator(ev.event_id, session=staff_session)
        assert (await comm.connect())[0]
        try:
            await next_message(comm, "snapshot")

            def doomed():
                with pytest.raises(RuntimeError), transaction.atomic():
                    assert scan(rolled_back_device, code_for(ev, "A-1"))["result"] == "accepted"
                    raise_alert(event_id=ev.event_id, kind="rejected_burst", message="never committed",
                                dedupe_key="doomed")
                    raise RuntimeError("roll back")
                # Then a committed scan from another device. One process publishes in order, so
                # had the rolled-back scan been pushed, it would arrive first.
                scan(marker_device, code_for(ev, "A-2"))

            await sync_to_async(doomed)()
            first = await next_message(comm, "scan", timeout=3)
            assert first["device"] == marker_device.device_id
        finally:
            await comm.disconnect()
    run(body)
    assert not Alert.objects.filter(dedupe_key="doomed").exists()


def test_alerts_and_acknowledgements_arrive_live(ev, staff_session, settings):
    settings.ANOMALY_INVALID_SIGNATURE_BURST = 3
    device, _ = make_device(ev, name="West")

    async def body():
        comm = communicator(ev.event_id, session=staff_session)
        assert (await comm.connect())[0]
        try:
            await next_message(comm, "snapshot")
            alert_id = await sync_to_async(raise_alert)(event_id=ev.event_id, kind="offline_conflict",
                                                        message="Seat A-1 admitted by two devices offline.",
                                                        data={"ticket_id": "x"}, dedupe_key="conflict:1")
            alert = await next_message(comm, "alert")
            assert (alert["id"], alert["kind"], alert["acknowledged"]) == (alert_id, "offline_conflict", False)

            # Detection from real scans: forged codes at one gate.
            def forge():
                for _ in range(3):
                    anomalies.reset_rate_limits()
                    scan(device, "not-a-signed-code")
            await sync_to_async(forge)()
            burst = await next_message(comm, "alert", where=lambda m: m["kind"] == "invalid_signature_burst")
            assert burst["data"]["checkpoint"] == device.checkpoint_id and burst["data"]["count"] == 3

            result = await sync_to_async(alert_services.acknowledge_alert)(alert_id=alert_id, user="boss")
            assert result.changed
            ack = await next_message(comm, "alert_ack")
            assert (ack["id"], ack["acknowledged_by"]) == (alert_id, "boss")
        finally:
            await comm.disconnect()
    run(body)


def test_a_reconnecting_dashboard_and_a_second_connection_see_the_database_numbers(ev, staff_session):
    gate, _ = make_device(ev)
    sell(ev, "A-1", "A-2", "B-1")

    async def connect_and_snapshot():
        comm = communicator(ev.event_id, session=staff_session)
        assert (await comm.connect())[0]
        try:
            return await next_message(comm, "snapshot")
        finally:
            await comm.disconnect()

    scan(gate, code_for(ev, "A-1"))
    first = async_to_sync(connect_and_snapshot)()
    # Scans while no dashboard is connected: nobody counts them in memory, the database has them.
    scan(gate, code_for(ev, "A-2"))
    scan(gate, code_for(ev, "B-1"))
    scan(gate, code_for(ev, "B-1"), "out")
    again = async_to_sync(connect_and_snapshot)()
    assert first["totals"]["accepted"] == 1
    assert (again["totals"]["accepted"], again["totals"]["inside"]) == (4, 2)
    fresh = selectors.gate_counts(ev.event_id)
    for key in ("checkpoints", "zones", "credentials"):
        assert again[key] == fresh[key] or key == "checkpoints"  # per_minute may tick between reads
    assert [c["accepted"] for c in again["checkpoints"]] == [c["accepted"] for c in fresh["checkpoints"]]

    code_b1 = code_for(ev, "B-1")

    async def two_at_once():
        a, b = communicator(ev.event_id, session=staff_session), communicator(ev.event_id, session=staff_session)
        assert (await a.connect())[0] and (await b.connect())[0]
        try:
            snap_a, snap_b = await next_message(a, "snapshot"), await next_message(b, "snapshot")
            assert snap_a["totals"] == snap_b["totals"]
            await sync_to_async(scan)(gate, code_b1)
            for comm in (a, b):
                counts = await next_message(comm, "gate_counts", where=lambda m: m["totals"]["accepted"] == 5)
                assert counts["totals"]["inside"] == 3
        finally:
            await a.disconnect()
            await b.disconnect()
    run(two_at_once)


def test_other_events_messages_do_not_leak(ev, staff_session):
    other = make_event(name="Other night")
    generate_tickets(event_id=other.event_id)
    sell(other, "A-1")
    other_device, _ = make_device(other)
    mine, _ = make_device(ev)
    sell(ev, "A-1")

    async def body():
        comm = communicator(ev.event_id, session=staff_session)
        assert (await comm.connect())[0]
        try:
            await next_message(comm, "snapshot")

            def both():
                scan(other_device, code_for(other, "A-1"))
                scan(mine, code_for(ev, "A-1"))
            await sync_to_async(both)()
            message = await next_message(comm, "scan")
            assert message["device"] == mine.device_id
        finally:
            await comm.disconnect()
    run(body)


def test_resync_and_ping(ev, staff_session):
    async def body():
        comm = communicator(ev.event_id, session=staff_session)
        assert (await comm.connect())[0]
        try:
            await next_message(comm, "snapshot")
            await comm.send_json_to({"type": "ping"})
            await next_message(comm, "pong")
            await comm.send_json_to({"type": "resync"})
            assert (await next_message(comm, "snapshot"))["event"]["event_id"] == ev.event_id
            await comm.send_to(text_data="not json at all")  # ignored, never a crash
            await comm.send_json_to(["not", "an", "object"])
            await comm.send_json_to({"type": "ping"})
            await next_message(comm, "pong")
        finally:
            await comm.disconnect()
    run(body)
