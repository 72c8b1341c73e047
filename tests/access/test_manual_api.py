"""Manual admission by a supervisor (issue 16 item 2): GET /api/v1/scan/lookup and
POST /api/v1/scan/manual.

A supervisor names a ticket whose code will not scan (seat, ticket id or printed reference); the
scan that follows is the camera's own: `access_scan_ticket` under the row lock, with its reasons
and guarantees, idempotent by (device, scan_id), recorded with mode `manual`, the supervisor's
device, what was typed and why. Not an override: a used ticket stays used."""
from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, connection, transaction

from access.models import Scan, ScanNote
from access.vocabulary import MANUAL_REASONS, ScanMode
from devices.models import Device
from tests.conftest import code_for, device_client, make_device, make_event, sell
from tests.events.test_api import assert_error
from tests.scan_cases import CASES, FOREIGN_TICKET, OTHER_EVENT_TICKET, TICKET, UNKNOWN_TICKET, build_world
from tickets import references
from tickets.models import LedgerEntry, Ticket
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db


def note_of(scan: Scan) -> ScanNote:
    return ScanNote.objects.get(device_id=scan.device_id, scan_id=scan.scan_id)


def manual(client, q, direction="in", scan_id=None, status=200, **extra):
    r = client.post("/api/v1/scan/manual", {"q": q, "direction": direction, "scan_id": str(scan_id or uuid.uuid4()),
                                            **extra}, format="json")
    assert r.status_code == status, r.content
    return r.json()


def supervisor_at(device: Device):
    """A supervisor's phone at the same gate as `device`."""
    from devices.services import create_device, pair_device

    created = create_device(event_id=device.event_id, name="Supervisor", role="supervisor",
                            checkpoint_id=device.checkpoint_id)
    paired = pair_device(pairing_code=created.pairing_code)
    return Device.objects.select_related("checkpoint").get(pk=paired.device.pk), paired.token


@pytest.fixture
def supervisor(generated_event):
    device, token = make_device(generated_event, role="supervisor", name="Lead")
    return device, device_client(token)


# --------------------------------------------------------------------------- who may

def test_stewards_and_offices_get_403_and_nothing_is_recorded(generated_event):
    sell(generated_event, "A-1")
    _, steward = make_device(generated_event, name="Steward")
    _, office = make_device(generated_event, role="office", name="Box office")
    for token in (steward, office):
        client = device_client(token)
        assert_error(client.post("/api/v1/scan/manual", {"q": "A-1", "direction": "in", "scan_id": str(uuid.uuid4())},
                                 format="json"), 403, "permission_denied")
        assert_error(client.get("/api/v1/scan/lookup", {"q": "A-1"}), 403, "permission_denied")
    assert_error(device_client("no-such-token").post("/api/v1/scan/manual", {}, format="json"), 401,
                 "not_authenticated")
    assert Scan.objects.count() == 0
    assert not Ticket.objects.get(event=generated_event, seat_id="A-1").access_status


def test_staff_tokens_are_not_devices(api, generated_event):
    r = api.post("/api/v1/scan/manual", {"q": "A-1", "direction": "in", "scan_id": str(uuid.uuid4())}, format="json")
    assert r.status_code in (401, 403)
    assert Scan.objects.count() == 0


# --------------------------------------------------------------------------- what it answers

def test_admit_by_seat_then_the_ticket_stays_used(supervisor, generated_event):
    device, client = supervisor
    sell(generated_event, "A-1")
    scan_id = uuid.uuid4()
    ok = manual(client, "a-1", scan_id=scan_id, note="QR torn")  # seats in any case
    ticket = Ticket.objects.get(event=generated_event, seat_id="A-1")
    assert ok == {"scan_id": str(scan_id), "result": "accepted", "reason": None, "mode": "manual",
                  "ticket": {"ticket_id": ticket.ticket_id, "seat_id": "A-1", "zone": "Ringside", "zone_id": "A",
                             "color": "#C0392B", "seat_row": "por asignar"}}
    ticket.refresh_from_db()
    assert ticket.access_status and ticket.access_entry

    row = Scan.objects.get(device=device, scan_id=scan_id)
    assert (row.mode, row.device_id, row.checkpoint_id, row.ticket_id, row.first_entry) == (
        ScanMode.MANUAL, device.device_id, device.checkpoint_id, ticket.pk, True)
    assert (note_of(row).query, note_of(row).note) == ("a-1", "QR torn")
    accessed = LedgerEntry.objects.get(ticket=ticket, action="accessed")
    assert accessed.metadata["mode"] == "manual" and accessed.metadata["device"] == device.device_id

    # Not an override: inside is inside, and out then in again is refused in a zone without re-entry.
    again = manual(client, references.grouped(ticket.reference))
    assert (again["result"], again["reason"], again["mode"]) == ("rejected", "already_inside", "manual")
    assert again["first_entry"]["checkpoint"] == device.checkpoint_id
    assert manual(client, "A-1", "out")["result"] == "accepted"
    used = manual(client, "A-1", note="supervisor insists")
    assert (used["result"], used["reason"]) == ("rejected", "already_used") and used["first_entry"]
    ticket.refresh_from_db()
    assert ticket.access_status and not ticket.access_entry
    assert Scan.objects.filter(ticket=ticket, mode="manual").count() == 4
    assert ScanNote.objects.filter(device=device).count() == 4


def test_a_camera_scan_and_a_manual_one_meet_the_same_state(supervisor, generated_event):
    _, client = supervisor
    sell(generated_event, "B-1")
    camera = device_client(make_device(generated_event, name="Camera")[1])
    r = camera.post("/api/v1/scan", {"code": code_for(generated_event, "B-1"), "direction": "in",
                                     "scan_id": str(uuid.uuid4())}, format="json").json()
    assert r["result"] == "accepted"
    assert manual(client, "B-1")["reason"] == "already_inside"
    assert manual(client, "B-1", "out")["result"] == "accepted"
    r = camera.post("/api/v1/scan", {"code": code_for(generated_event, "B-1"), "direction": "out",
                                     "scan_id": str(uuid.uuid4())}, format="json").json()
    assert r["reason"] == "not_inside"


def _query(world, case) -> str:
    if case.code == TICKET:
        ticket = Ticket.objects.get(event=world.event, seat_id=case.seat)
        # Every way of naming it, spread over the cases: the printed reference as typed, too.
        ways = [ticket.seat_id, ticket.ticket_id, ticket.seat_id.lower(), ticket.reference,
                references.grouped(ticket.reference).lower().replace(" ", "-")]
        return ways[CASES.index(case) % len(ways)]
    if case.code == UNKNOWN_TICKET:
        return f"{world.event.event_id}-nosuch"
    return world.code.split(".")[1]  # the other event's ticket id, as printed on its ticket


MANUAL_CASES = [c for c in CASES
                if c.code in (TICKET, UNKNOWN_TICKET, OTHER_EVENT_TICKET, FOREIGN_TICKET)
                and not c.exact and not c.device_revoked]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in MANUAL_CASES])
def test_manual_gives_the_case_tables_answer(case):
    """The scan case table (tests/scan_cases.py) through the manual endpoint, by a supervisor at
    the case's gate: the same answers as the camera's paths, recorded, idempotent."""
    world = build_world(case)
    device, token = supervisor_at(world.device)
    client = device_client(token)
    scan_id = uuid.uuid4()
    before = (Ticket.objects.filter(event=world.event).values_list("ticket_id", "access_status", "access_entry")
              .order_by("ticket_id"))
    before = list(before)
    response = manual(client, _query(world, case), case.direction, scan_id, note=f"case {case.name}")
    assert (response["result"], response["reason"]) == case.expect, response
    assert response["mode"] == "manual" and response["scan_id"] == str(scan_id)
    assert ("ticket" in response) == (case.code == TICKET)

    row = Scan.objects.get(device=device, scan_id=scan_id)
    assert (row.result, row.reason, row.mode) == (*case.expect, "manual")
    assert note_of(row).note == f"case {case.name}"
    after = list(Ticket.objects.filter(event=world.event).values_list("ticket_id", "access_status", "access_entry")
                 .order_by("ticket_id"))
    if response["result"] == "rejected":
        assert after == before, "a rejected manual scan changed a ticket"

    # A retry, even with another body, gives the first answer and writes nothing.
    ledger = LedgerEntry.objects.count()
    assert manual(client, "B-2", "out" if case.direction == "in" else "in", scan_id, note="retry") == response
    assert Scan.objects.filter(device=device, scan_id=scan_id).count() == 1
    assert LedgerEntry.objects.count() == ledger
    assert note_of(row).note == f"case {case.name}"


def test_every_reason_a_manual_scan_can_give_is_in_the_table():
    """The cases above reach every reason a named ticket can get; the others need a code
    (invalid_signature), a credential (credential_revoked) or the sync (device_revoked)."""
    reached = {c.expect[1] for c in MANUAL_CASES} - {None}
    assert reached == set(MANUAL_REASONS)


def test_lookup_by_seat_and_ticket_id_within_the_event_only(supervisor, generated_event):
    _, client = supervisor
    sell(generated_event, "A-2")
    ticket = Ticket.objects.get(event=generated_event, seat_id="A-2")
    for q in ("A-2", "a-2", " A-2 ", ticket.ticket_id, ticket.reference, ticket.reference.lower(),
              references.grouped(ticket.reference)):
        body = client.get("/api/v1/scan/lookup", {"q": q}).json()
        assert (body["ticket_id"], body["seat_id"], body["status"], body["access_status"], body["reference"],
                body["state"]) == (ticket.ticket_id, "A-2", False, False, ticket.reference, "sold"), q
    other = make_event(name="Other night")
    generate_tickets(event_id=other.event_id)
    theirs = Ticket.objects.get(event=other, seat_id="A-2")
    body = assert_error(client.get("/api/v1/scan/lookup", {"q": theirs.ticket_id}), 404, "not_found")
    assert "different event" in body["error"]["message"]
    # Another event's reference names nothing here (references are unique per event only).
    assert_error(client.get("/api/v1/scan/lookup", {"q": theirs.reference}), 404, "not_found")
    assert_error(client.get("/api/v1/scan/lookup", {"q": "Z-99"}), 404, "not_found")
    assert_error(client.get("/api/v1/scan/lookup", {"q": ""}), 400, "invalid")
    assert_error(client.get("/api/v1/scan/lookup", {"q": "x" * 65}), 400, "invalid")


@pytest.mark.parametrize("payload,field", [
    ({"direction": "in", "scan_id": str(uuid.uuid4())}, "q"),
    ({"q": "", "direction": "in", "scan_id": str(uuid.uuid4())}, "q"),
    ({"q": 12, "direction": "in", "scan_id": str(uuid.uuid4())}, "q"),
    ({"q": "A-1" * 30, "direction": "in", "scan_id": str(uuid.uuid4())}, "q"),
    ({"q": "A-\x001", "direction": "in", "scan_id": str(uuid.uuid4())}, "q"),
    ({"q": "A-1", "direction": "sideways", "scan_id": str(uuid.uuid4())}, "direction"),
    ({"q": "A-1", "direction": "in"}, "scan_id"),
    ({"q": "A-1", "direction": "in", "scan_id": "nope"}, "scan_id"),
    ({"q": "A-1", "direction": "in", "scan_id": str(uuid.uuid4()), "note": ["x"]}, "note"),
    ({"q": "A-1", "direction": "in", "scan_id": str(uuid.uuid4()), "note": "x" * 501}, "note"),
])
def test_malformed_manual_scans_are_400_and_record_nothing(supervisor, generated_event, payload, field):
    _, client = supervisor
    sell(generated_event, "A-1")
    body = assert_error(client.post("/api/v1/scan/manual", payload, format="json"), 400, "invalid")
    assert field in body["error"]["fields"]
    assert Scan.objects.count() == 0 and ScanNote.objects.count() == 0
    assert_error(client.post("/api/v1/scan/manual", ["x"], format="json"), 400, "invalid")


def test_a_scan_id_first_used_by_the_camera_replays_the_cameras_answer(generated_event):
    """Idempotency is by (device, scan_id) whatever the endpoint: the first answer is replayed
    with the mode it was recorded with, and no note is attached to a camera's scan."""
    sell(generated_event, "A-3")
    device, token = make_device(generated_event, role="supervisor", name="Lead")
    client = device_client(token)
    scan_id = uuid.uuid4()
    first = client.post("/api/v1/scan", {"code": code_for(generated_event, "A-3"), "direction": "in",
                                         "scan_id": str(scan_id)}, format="json").json()
    again = manual(client, "A-3", scan_id=scan_id, note="late retry")
    assert again == {**first, "mode": "online"}
    assert not ScanNote.objects.exists()


# --------------------------------------------------------------------------- what the database holds

def test_the_database_refuses_an_unknown_mode_and_changes_to_notes(supervisor, generated_event):
    device, client = supervisor
    sell(generated_event, "A-4")
    scan_id = uuid.uuid4()
    manual(client, "A-4", scan_id=scan_id, note="wet ticket")
    row = Scan.objects.get(device=device, scan_id=scan_id)
    with pytest.raises(IntegrityError, match="scan_mode_known"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("""INSERT INTO access_scan (scan_id, device_id, event_id, direction, result, code, first_entry,
                       mode, quarantined, late, server_time, response)
                       VALUES (%s, %s, %s, 'in', 'rejected', '', false, 'override', false, false, now(), '{}')""",
                    [uuid.uuid4(), device.device_id, device.event_id])
    for statement in ("UPDATE access_scannote SET note = 'edited' WHERE scan_id = %s",
                      "DELETE FROM access_scannote WHERE scan_id = %s",
                      "UPDATE access_scannote SET scan_id = gen_random_uuid() WHERE scan_id = %s"):
        with pytest.raises(IntegrityError, match="scan_append_only"), transaction.atomic(), \
                connection.cursor() as cur:
            cur.execute(statement, [row.scan_id])
    with pytest.raises(IntegrityError, match="scan_append_only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks: TRUNCATE would refuse
        cur.execute("TRUNCATE access_scannote")
    assert note_of(row).note == "wet ticket"
    # The scans keep their own guard against TRUNCATE: nothing else holds on to them.
    with pytest.raises(IntegrityError, match="scan_append_only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("TRUNCATE access_scan")
