"""Every live message has one typed definition (core/live_messages.py): undeclared fields are
refused, the wire dicts keep the keys (and their order) the dashboard and tests/live read, and
every publisher goes through the types. The messages checked here come from the real code paths
through the real Redis channel the dashboards listen on."""
from __future__ import annotations

import ast
import json
import re
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.db import connection, transaction
from django.utils import timezone

from access import services as access_services
from access.sync import sync_scans
from alerts import services as alert_services
from core import live, live_messages
from core.live_messages import UndeclaredField
from devices.models import Device
from devices.services import revoke_device
from live import selectors
from offices import services as office_services
from tests.conftest import code_for, make_device, make_event, sell
from tickets import holds
from tickets.models import Ticket
from tickets.services import generate_tickets

ROOT = Path(__file__).resolve().parents[2]

# The wire format, key by key and in order, as sent before the types existed (the alert gained
# acknowledged_at/acknowledged_by when its two shapes became one). Optional keys in brackets.
WIRE_KEYS = {
    "scan": "scan_id direction checkpoint device result reason ticket_id seat_id zone_id credential_id at",
    "sync": "device checkpoint at received applied replayed accepted late conflicts quarantined [discarded]",
    "alert": "id kind message data created_at acknowledged acknowledged_at acknowledged_by",
    "alert_ack": "id kind acknowledged_at acknowledged_by",
    "device": "device_id revoked",
    "snapshot": "event event_id at minute checkpoints zones credentials totals series sales alerts devices "
                "recent_scans [mirror] thresholds live",
    "gate_counts": "event_id at minute checkpoints zones credentials totals",
    "devices": "devices",
    "feed": "redis",
    "pong": "",
}
SALES_CHANGE_KEYS = {  # type "sales" without totals: one line per shape
    ("held",): ["event_id", "action", "hold_id", "tickets", "expires_at"],
    ("sold", "hold"): ["event_id", "action", "hold_id", "tickets"],
    ("sold", "office"): ["event_id", "action", "office_id", "tickets"],
    ("sold", "staff"): ["event_id", "action", "tickets"],
    ("unsold",): ["event_id", "action", "tickets"],
    ("released", "released"): ["event_id", "action", "reason", "hold_id", "tickets"],
    ("released", "expired"): ["event_id", "action", "reason", "holds", "tickets"],
    ("offline",): ["event_id", "action", "office_id", "tickets"],
    ("unassign",): ["event_id", "action", "office_id", "tickets"],
}


def keys_of(message: dict) -> list[str]:
    return [k for k in message if k != "type"]


def expected_keys(kind: str, message: dict) -> list[str]:
    words = WIRE_KEYS[kind].split()
    return [w.strip("[]") for w in words if not w.startswith("[") or w.strip("[]") in message]


def sales_shape(message: dict) -> tuple:
    if message["action"] == "sold":
        return ("sold", "hold" if "hold_id" in message else "office" if "office_id" in message else "staff")
    if message["action"] == "released":
        return ("released", message["reason"])
    return (message["action"],)


def check(message: dict) -> live_messages.LiveMessage:
    """A real message: its type accepts it, its wire form is the same JSON, the values have the
    declared types, and its keys are the ones the dashboard reads."""
    typed = live_messages.parse(message)
    assert json.dumps(typed.wire()) == json.dumps(message)
    typed.validate()
    if message["type"] == "sales" and "totals" not in message:
        assert keys_of(message) == SALES_CHANGE_KEYS[sales_shape(message)]
    elif message["type"] in WIRE_KEYS:
        assert keys_of(message) == expected_keys(message["type"], message)
    return typed


# --------------------------------------------------------------------------- the types themselves

def scan_fields(**extra) -> dict:
    return {"scan_id": str(uuid.uuid4()), "direction": "in", "checkpoint": "cp1", "device": "dv1",
            "result": "accepted", "reason": None, "ticket_id": "t1", "seat_id": "A-1", "zone_id": "A",
            "credential_id": None, "at": "2026-11-28T20:41:07+00:00", **extra}


def test_an_undeclared_or_missing_field_is_refused():
    with pytest.raises(TypeError):
        live_messages.Scan(**scan_fields(gate="North"))
    with pytest.raises(TypeError):
        live_messages.Scan(**{k: v for k, v in scan_fields().items() if k != "at"})
    wire = live_messages.Scan(**scan_fields()).wire()
    with pytest.raises(UndeclaredField, match="gate"):
        live_messages.parse({**wire, "gate": "North"})
    with pytest.raises(UndeclaredField, match="seat_id"):
        live_messages.parse({k: v for k, v in wire.items() if k != "seat_id"})
    with pytest.raises(UndeclaredField):
        live_messages.parse({"type": "no_such_message"})
    with pytest.raises(UndeclaredField, match="extra"):
        live_messages.GateCounts.from_wire({**selectors_free_counts(), "extra": 1})


def selectors_free_counts() -> dict:
    return {"type": "gate_counts", "event_id": "e", "at": "a", "minute": "m", "checkpoints": [], "zones": [],
            "credentials": {}, "totals": {}}


def test_messages_are_frozen():
    message = live_messages.Device(device_id="dv1", revoked=True)
    with pytest.raises(AttributeError):
        message.revoked = False


def test_a_value_of_the_wrong_type_fails_validation():
    live_messages.Scan(**scan_fields()).validate()
    with pytest.raises(TypeError, match="result"):
        live_messages.Scan(**scan_fields(result=1)).validate()
    with pytest.raises(TypeError, match="revoked"):
        live_messages.Device(device_id="dv1", revoked="yes").validate()


def test_a_sales_change_carries_only_its_actions_fields():
    live_messages.SalesChange(event_id="e", action="held", hold_id="h", tickets=["t"], expires_at="x")
    with pytest.raises(TypeError):  # a checkout has no expiry
        live_messages.SalesChange(event_id="e", action="sold", hold_id="h", tickets=["t"], expires_at="x")
    with pytest.raises(TypeError):
        live_messages.SalesChange(event_id="e", action="refunded", tickets=["t"])
    with pytest.raises(TypeError):  # released by whom: a reason is required
        live_messages.SalesChange(event_id="e", action="released", hold_id="h", tickets=["t"])
    live_messages.SalesChange(event_id="e", action="unsold", tickets=["t"])  # a staff correction
    with pytest.raises(TypeError):  # no hold or office is ever un-sold
        live_messages.SalesChange(event_id="e", action="unsold", hold_id="h", tickets=["t"])


def test_publish_on_commit_refuses_a_plain_dict():
    with pytest.raises(TypeError, match="dict"):
        live.publish_on_commit("e1", {"type": "scan"})


def test_every_type_the_dashboard_handles_is_declared_and_vice_versa():
    source = (ROOT / "static/dashboard/dashboard.js").read_text()
    handled = set(re.findall(r'case "([a-z_]+)":', source))
    declared = {cls.type for cls in live_messages.PUBLISHED + live_messages.FEED}
    assert handled <= declared
    # Sent but not shown by the dashboard: the upload summary (other listeners) and the ping answer.
    assert declared - handled == {"sync", "pong"}


# Modules outside core/live.py that publish: each call of publish_on_commit builds a typed
# message in place, and nothing calls the untyped transport publish_event directly.
APP_DIRS = ["access", "accounts", "alerts", "backoffice", "core", "devices", "events", "live", "mirror",
            "offices", "ticketcore", "tickets"]


def test_every_publish_call_builds_a_typed_message():
    types = {cls.__name__ for cls in live_messages.PUBLISHED + live_messages.FEED}
    calls = []
    for app in APP_DIRS:
        for path in (ROOT / app).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name == "publish_event":
                    assert rel == "core/live.py", f"{rel}:{node.lineno} publishes an untyped dict; use publish_on_commit"
                if name == "publish_on_commit" and rel != "core/live.py":
                    built = node.args[1] if len(node.args) > 1 else None
                    func = built.func if isinstance(built, ast.Call) else None
                    if isinstance(func, ast.Attribute) and func.attr == "of":  # live_messages.Alert.of(...)
                        func = func.value
                    type_name = getattr(func, "attr", None) or getattr(func, "id", None)
                    assert type_name in types, f"{rel}:{node.lineno} publishes something that is not a typed message"
                    calls.append(rel)
    # scan, sync, alert + ack, device revoked, holds x4, offices x3, staff sales x2
    assert sorted(set(calls)) == ["access/services.py", "access/sync.py", "alerts/services.py",
                                  "devices/services.py", "offices/services.py", "offices/sync.py", "tickets/holds.py",
                                  "tickets/services.py"]
    assert len(calls) == 14


# --------------------------------------------------------------------------- real messages

class Listener:
    """A subscriber to the event's Redis channel, like a dashboard's feed."""

    def __init__(self, event_id: str):
        self.client = redis.Redis.from_url(live.redis_url())
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(live.pubsub_channel(event_id))
        self.pubsub.get_message(timeout=1.0)  # the subscribe confirmation

    def take(self, count: int, timeout: float = 5.0) -> list[dict]:
        assert live.flush(timeout)
        got: list[dict] = []
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            message = self.pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
            if message and message["type"] == "message":
                got.extend(json.loads(message["data"])["messages"])
        return got

    def close(self) -> None:
        self.pubsub.close()
        self.client.close()


@pytest.fixture
def ev(transactional_db):
    event = make_event()
    generate_tickets(event_id=event.event_id)
    return event


@pytest.fixture
def listener(ev):
    listening = Listener(ev.event_id)
    yield listening
    listening.close()


@pytest.mark.django_db(transaction=True)
def test_scans_syncs_alerts_and_devices_on_the_wire(ev, listener):
    door, _ = make_device(ev, name="North")
    other, _ = make_device(ev, name="South")
    sell(ev, "A-1", "A-2", "A-3")
    cred = access_services.create_credential(event_id=ev.event_id, name="Referee", kind="staff")
    for code in (code_for(ev, "A-1"), code_for(ev, "A-1"), "forged", access_services.credential_code(cred)):
        access_services.scan(device=door, code=code, direction="in", scan_id=uuid.uuid4())
    now = timezone.now()
    sync_scans(device=other, scans=[
        {"code": code_for(ev, "A-2"), "direction": "in", "scan_id": uuid.uuid4(), "scanned_at": now - timedelta(hours=1)},
        {"code": code_for(ev, "A-1"), "direction": "in", "scan_id": uuid.uuid4(), "scanned_at": now - timedelta(seconds=5)}])
    alert_id = alert_services.raise_alert(event_id=ev.event_id, kind="zone_capacity", message="Zone A is full",
                                          data={"zone_id": "A"}, dedupe_key="full-A")
    alert_services.acknowledge_alert(alert_id=alert_id, user="boss")
    lost, _ = make_device(ev, name="Lost")
    revoke_device(device_id=lost.device_id)
    sync_scans(device=Device.objects.select_related("checkpoint").get(pk=lost.pk), scans=[
        {"code": code_for(ev, "A-3"), "direction": "in", "scan_id": uuid.uuid4(), "scanned_at": now}])

    messages = listener.take(13)
    assert sales_shape(check(messages.pop(0)).wire()) == ("sold", "staff")  # sell() above
    kinds = [m["type"] for m in messages]
    assert kinds == ["scan"] * 4 + ["alert", "alert", "sync", "alert", "alert_ack", "device", "alert", "sync"], kinds
    for message in messages:
        check(message)
    assert messages[1]["reason"] == "already_inside" and messages[3]["credential_id"] == cred.credential_id
    assert messages[6]["conflicts"] == 1 and "discarded" not in messages[6]
    assert messages[11]["discarded"] == 0 and messages[11]["quarantined"] == 1


@pytest.mark.django_db(transaction=True)
def test_holds_and_box_office_changes_on_the_wire(ev, listener):
    free = list(Ticket.objects.filter(event=ev, status=True).order_by("id").values_list("ticket_id", flat=True))
    hold = holds.take_hold(event_id=ev.event_id, ticket_ids=free[:2])
    holds.checkout(hold_id=hold.hold_id, buyer={"name": "Ada"})
    hold = holds.take_hold(event_id=ev.event_id, ticket_ids=free[2:3])
    holds.release(hold_id=hold.hold_id)
    holds.take_hold(event_id=ev.event_id, ticket_ids=free[3:4])
    with connection.cursor() as cur:  # expired by the database clock (tests never sleep)
        cur.execute("UPDATE tickets_blocked SET created_at = created_at - interval '2 hours', "
                    "locked_up = clock_timestamp() - interval '1 second'")
    holds.sweep_expired_holds()
    office = office_services.create_office(event_id=ev.event_id, name="Kiosk").office
    office_services.assign_tickets(office_id=office.office_id, ticket_ids=free[4:7])
    office_services.unassign_tickets(office_id=office.office_id, ticket_ids=free[6:7])
    office_services.sync_sales(office=office, sales=[
        office_services.SaleIn(sale_id=uuid.uuid4(), ticket_id=free[4], sold_at=timezone.now())])

    messages = listener.take(9)
    shapes = [sales_shape(m) for m in messages]
    assert shapes == [("held",), ("sold", "hold"), ("held",), ("released", "released"), ("held",),
                      ("released", "expired"), ("offline",), ("unassign",), ("sold", "office")], shapes
    for message in messages:
        assert message["event_id"] == ev.event_id
        check(message)


@pytest.mark.django_db(transaction=True)
def test_staff_sales_and_corrections_on_the_wire(ev, listener):
    """A sale by staff (admin, PATCH, sell_tickets) and its correction reach the seat maps too."""
    from tickets.services import update_ticket

    sold = sell(ev, "B-1", "B-2")
    one = Ticket.objects.get(event=ev, seat_id="B-3").ticket_id
    update_ticket(event_id=ev.event_id, ticket_id=one, actor="boss", status=False)
    update_ticket(event_id=ev.event_id, ticket_id=one, actor="boss", status=True)
    update_ticket(event_id=ev.event_id, ticket_id=one, actor="boss", seat_row="7")  # no change of hands: silent

    messages = listener.take(4, timeout=2.0)
    assert [sales_shape(m) for m in messages] == [("sold", "staff"), ("sold", "staff"), ("unsold",)], messages
    assert [m["tickets"] for m in messages] == [sorted(sold, key=lambda t: Ticket.objects.get(ticket_id=t).pk),
                                                [one], [one]]
    for message in messages:
        check(message)


@pytest.mark.django_db(transaction=True)
def test_nothing_is_published_for_a_rolled_back_transaction(ev, listener):
    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        live.publish_on_commit(ev.event_id, live_messages.Device(device_id="doomed", revoked=True))
        raise Undo
    live.publish_on_commit(ev.event_id, live_messages.Device(device_id="kept", revoked=True))  # no transaction: at once
    assert [m["device_id"] for m in listener.take(1)] == ["kept"]
    assert listener.take(1, timeout=0.5) == []


@pytest.mark.django_db(transaction=True)
def test_an_alert_has_one_shape_live_in_the_snapshot_and_in_the_api(ev, listener, django_user_model):
    from rest_framework.test import APIClient

    alert_id = alert_services.raise_alert(event_id=ev.event_id, kind="device_silent", message="Gate 2 is silent",
                                          data={"device_id": "dv1"}, dedupe_key="silent")
    [raised] = listener.take(1)
    [listed] = selectors.snapshot(ev.event_id)["alerts"]
    assert raised == listed and raised["id"] == alert_id
    api = APIClient()
    api.force_authenticate(django_user_model.objects.create_user("boss", password="pw-boss-123", is_staff=True))
    [item] = api.get(f"/api/v1/events/{ev.event_id}/alerts").json()["results"]
    assert {**item, "type": "alert"} == {**raised, "event_id": ev.event_id}


@pytest.mark.django_db(transaction=True)
def test_the_feeds_own_messages_are_typed(ev):
    """gate_counts, sales, devices and mirror as live/figures.py sends them, and the snapshot."""
    make_device(ev)
    sell(ev, "A-1")
    check(live_messages.GateCounts.from_wire(selectors.gate_counts(ev.event_id)).wire())
    sales = check(live_messages.SalesTotals.from_wire(selectors.sales(ev.event_id)).wire())
    assert isinstance(sales, live_messages.SalesTotals)
    check(live_messages.Devices(devices=selectors.devices(ev.event_id)).wire())
    state = selectors.mirror()
    mirror = live_messages.Mirror(state=state).wire()
    assert mirror == {"type": "mirror", **state}
    check(mirror)
    from live.feed import snapshot_message

    snapshot = snapshot_message(selectors.snapshot(ev.event_id), redis=True)
    check(snapshot)
    assert snapshot["live"] == {"redis": True} and "mirror" not in snapshot
    with_mirror = snapshot_message(selectors.snapshot(ev.event_id, mirror_state=True), redis=True)
    check(with_mirror)
    assert list(with_mirror) == ["type", *WIRE_KEYS["snapshot"].replace("[", "").replace("]", "").split()]
    assert with_mirror["mirror"].keys() == state.keys()  # the lag itself moves on
    for item in snapshot["recent_scans"] + snapshot["alerts"]:
        assert set(item) <= {"type", *live_messages.Scan.field_names(), *live_messages.Alert.field_names()}


@pytest.mark.django_db(transaction=True)
def test_the_snapshots_event_carries_only_declared_keys(ev):
    """`timezone` is declared (core/live_messages.SNAPSHOT_EVENT_KEYS); anything else is refused."""
    from live.feed import snapshot_message

    snapshot = snapshot_message(selectors.snapshot(ev.event_id), redis=True)
    assert tuple(snapshot["event"]) == live_messages.SNAPSHOT_EVENT_KEYS
    with pytest.raises(UndeclaredField, match="doors"):
        live_messages.Snapshot.from_wire({**snapshot, "event": {**snapshot["event"], "doors": "open"}})
