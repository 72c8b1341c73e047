"""One table of scan cases, run against every copy of the scan rules (../shared/STYLE.md, "One
vocabulary per rule"; pretix runs one set of rule cases against its server and libpretixsync).

The rules exist three times: in PL/pgSQL (`access_scan_ticket`, access/migrations/0008, and the
code checks of `access_scan_by_token`, 0005), in Python (code verification in events/codes.py,
credentials in access/services.py) and in JavaScript (the phone offline, static/scanner/offline.js).
Each case below is run
- on the server by tests/access/test_scan_case_table.py, through every path a scan takes: the
  online endpoint (its fast path for tickets, DRF and `access.services.scan` for the rest),
  `access.services.scan` itself with an explicit scan time, and the offline sync upload;
- on the phone by tests/scanner/test_scan_case_table.py, in headless Chromium with the real
  manifest.
tests/test_vocabulary.py checks that the table covers every reason code.

A case is data only. The world it describes is built by `build_world` for each run:
- an event with zone A (seats A-1..A-5, no re-entry) and zone B (B-1..B-10, re-entry allowed);
  every seat is sold except A-5 and B-5;
- the gate the scanning device stands at (`gate_zones`, empty = every zone; `gate_directions`);
- `before`: accepted scans of the same code made earlier at another gate (all zones, both ways);
- `doors`: where now lies against the doors window (open, not yet open, closed);
- `at`: when the scan happens: "now" (every path), or an exact instant that only the paths that
  carry a scan time can use (`access.services.scan` with `effective_at`, the sync upload, the
  phone): the doors window's edges, to the millisecond (the phone's clock resolution), or
  "in_doors", a fixed instant inside the window for credentials' own validity edges;
- `credential`: for credential codes: kind, zones, checkpoints ("here" = this gate, "elsewhere" =
  another gate), `valid_from`/`valid_until` in milliseconds from the scan, revoked;
- `device_revoked`: the device is revoked before it uploads (the sync keeps its scans as evidence).
`expect` is the server's (result, reason) on every path; `phone` is the phone's when it cannot
know better (server-only reasons, access/vocabulary.py SERVER_ONLY_REASONS).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from access.vocabulary import Reason, ScanResult
from events.vocabulary import CheckpointDirections, Direction

ACCEPTED = (ScanResult.ACCEPTED.value, None)
HOUR_MS = 3_600_000


def rejected(reason: Reason) -> tuple[str, str]:
    return (ScanResult.REJECTED.value, reason.value)


# Kinds of code a case scans.
TICKET = "ticket"  # a ticket of this event, signed by its key (`seat`)
CREDENTIAL = "credential"  # a credential of this event (`credential`)
FORGED = "forged"  # a real ticket code whose signature was altered
NON_CANONICAL = "non_canonical"  # a real ticket code, its signature's spare bits set (same bytes)
MALFORMED = "malformed"  # not a code at all
UNKNOWN_KEY = "unknown_key"  # well-formed, signed by a key nobody knows
UNKNOWN_TICKET = "unknown_ticket"  # signed by this event's key, no such ticket
UNKNOWN_CREDENTIAL = "unknown_credential"  # signed by this event's key, no such credential
OTHER_EVENT_TICKET = "other_event_ticket"  # a valid code of another event's ticket
OTHER_EVENT_CREDENTIAL = "other_event_credential"  # a valid code of another event's credential
FOREIGN_TICKET = "foreign_ticket"  # another event's ticket id signed by THIS event's key
CODE_KINDS = (TICKET, CREDENTIAL, FORGED, NON_CANONICAL, MALFORMED, UNKNOWN_KEY, UNKNOWN_TICKET, UNKNOWN_CREDENTIAL,
              OTHER_EVENT_TICKET, OTHER_EVENT_CREDENTIAL, FOREIGN_TICKET)

DOORS = ("open", "not_yet_open", "closed")
# Exact instants, computed from the Python definition of the window (Event.doors_open_at/close_at).
INSTANTS = {
    "doors_open_at": ("doors_open_at", 0),
    "doors_open_at-1ms": ("doors_open_at", -1),
    "doors_close_at": ("doors_close_at", 0),
    "doors_close_at+1ms": ("doors_close_at", 1),
    "in_doors": (None, 0),
}


@dataclass(frozen=True)
class Case:
    name: str
    expect: tuple[str, str | None]
    code: str = TICKET
    seat: str = "A-1"
    credential: dict | None = None
    before: tuple[str, ...] = ()
    gate_zones: tuple[str, ...] = ()
    gate_directions: str = CheckpointDirections.BOTH.value
    doors: str = "open"
    at: str = "now"
    direction: str = Direction.IN.value
    device_revoked: bool = False
    phone: tuple[str, str | None] | None = None

    @property
    def phone_expect(self) -> tuple[str, str | None]:
        return self.phone or self.expect

    @property
    def exact(self) -> bool:
        """Scanned at an exact instant: only the paths that carry a scan time can run it."""
        return self.at != "now"

    @property
    def doors_are_open(self) -> bool:
        """Whether the doors window contains the scan's moment."""
        if self.exact:
            return self.at in ("doors_open_at", "doors_close_at", "in_doors")
        return self.doors == "open"


def _staff(**rules) -> dict:
    return {"kind": "staff", **rules}


def _vip(**rules) -> dict:
    return {"kind": "vip", **rules}


IN, OUT = Direction.IN.value, Direction.OUT.value
R = Reason

CASES: list[Case] = [
    # ----------------------------------------------------------------- tickets: state
    Case("sold ticket enters", ACCEPTED),
    Case("unsold ticket", rejected(R.NOT_SOLD), seat="A-5"),
    Case("unsold ticket cannot exit either", rejected(R.NOT_SOLD), seat="B-5", direction=OUT),
    Case("inside, enters again", rejected(R.ALREADY_INSIDE), before=(IN,)),
    Case("inside, leaves", ACCEPTED, before=(IN,), direction=OUT),
    Case("exit without entry", rejected(R.NOT_INSIDE), direction=OUT),
    Case("exit after leaving", rejected(R.NOT_INSIDE), before=(IN, OUT), direction=OUT),
    Case("back in, zone without re-entry", rejected(R.ALREADY_USED), before=(IN, OUT)),
    Case("back in, zone with re-entry", ACCEPTED, seat="B-1", before=(IN, OUT)),
    Case("twice back in, zone with re-entry", ACCEPTED, seat="B-2", before=(IN, OUT, IN, OUT)),
    Case("inside, zone with re-entry, enters again", rejected(R.ALREADY_INSIDE), seat="B-3", before=(IN,)),
    # ----------------------------------------------------------------- tickets: the gate
    Case("zone not admitted at this gate", rejected(R.ZONE_NOT_ALLOWED), seat="B-1", gate_zones=("A",)),
    Case("zone admitted at this gate", ACCEPTED, gate_zones=("A",)),
    Case("one of the gate's zones", ACCEPTED, seat="B-1", gate_zones=("A", "B")),
    Case("exit at an entry-only gate", rejected(R.DIRECTION_NOT_ALLOWED), before=(IN,), gate_directions="in",
         direction=OUT),
    Case("entry at an exit-only gate", rejected(R.DIRECTION_NOT_ALLOWED), gate_directions="out"),
    Case("exit at an exit-only gate", ACCEPTED, before=(IN,), gate_directions="out", direction=OUT),
    Case("wrong direction is decided before the ticket's state", rejected(R.DIRECTION_NOT_ALLOWED), seat="A-5",
         gate_directions="in", direction=OUT),
    Case("wrong direction is decided before the lookup", rejected(R.DIRECTION_NOT_ALLOWED), code=UNKNOWN_TICKET,
         gate_directions="in", direction=OUT),
    Case("unsold is decided before the gate's zones", rejected(R.NOT_SOLD), seat="B-5", gate_zones=("A",)),
    Case("the gate's zones are decided before the ticket's state", rejected(R.ZONE_NOT_ALLOWED), seat="B-1",
         before=(IN,), gate_zones=("A",)),
    # ----------------------------------------------------------------- tickets: the doors window
    Case("doors not open yet", rejected(R.EVENT_CLOSED), doors="not_yet_open"),
    Case("doors closed", rejected(R.EVENT_CLOSED), doors="closed"),
    Case("doors closed, exit", rejected(R.EVENT_CLOSED), doors="closed", direction=OUT),
    Case("closed doors are decided before the ticket's state", rejected(R.EVENT_CLOSED), seat="A-5",
         doors="not_yet_open"),
    Case("wrong direction is decided before the doors", rejected(R.DIRECTION_NOT_ALLOWED), doors="closed",
         gate_directions="out"),
    Case("the instant the doors open", ACCEPTED, at="doors_open_at"),
    Case("a millisecond before the doors open", rejected(R.EVENT_CLOSED), at="doors_open_at-1ms"),
    Case("the instant the doors close", ACCEPTED, at="doors_close_at"),
    Case("a millisecond after the doors close", rejected(R.EVENT_CLOSED), at="doors_close_at+1ms"),
    Case("inside when the doors close, leaves after", rejected(R.EVENT_CLOSED), before=(IN,), direction=OUT,
         at="doors_close_at+1ms"),
    # ----------------------------------------------------------------- codes
    Case("altered signature", rejected(R.INVALID_SIGNATURE), code=FORGED),
    Case("non-canonical spelling of a valid signature", rejected(R.INVALID_SIGNATURE), code=NON_CANONICAL),
    Case("not a code", rejected(R.INVALID_SIGNATURE), code=MALFORMED),
    Case("signed by an unknown key", rejected(R.INVALID_SIGNATURE), code=UNKNOWN_KEY),
    Case("invalid signature is decided before everything", rejected(R.INVALID_SIGNATURE), code=FORGED,
         gate_directions="out", doors="closed"),
    Case("no such ticket", rejected(R.UNKNOWN_TICKET), code=UNKNOWN_TICKET),
    Case("no such ticket, doors closed", rejected(R.UNKNOWN_TICKET), code=UNKNOWN_TICKET, doors="closed"),
    # The phone holds only its own event's keys: another event's code does not verify there.
    Case("another event's ticket", rejected(R.WRONG_EVENT), code=OTHER_EVENT_TICKET,
         phone=rejected(R.INVALID_SIGNATURE)),
    Case("another event's credential", rejected(R.WRONG_EVENT), code=OTHER_EVENT_CREDENTIAL,
         phone=rejected(R.INVALID_SIGNATURE)),
    # Only a holder of this event's private key could make this code; the phone, which has only
    # this event's tickets, finds no such ticket.
    Case("another event's ticket signed with this event's key", rejected(R.WRONG_EVENT), code=FOREIGN_TICKET,
         phone=rejected(R.UNKNOWN_TICKET)),
    # ----------------------------------------------------------------- credentials
    Case("staff credential enters", ACCEPTED, code=CREDENTIAL, credential=_staff()),
    Case("vip credential enters", ACCEPTED, code=CREDENTIAL, credential=_vip()),
    Case("credential inside, enters again", rejected(R.ALREADY_INSIDE), code=CREDENTIAL, credential=_staff(),
         before=(IN,)),
    Case("credential leaves", ACCEPTED, code=CREDENTIAL, credential=_staff(), before=(IN,), direction=OUT),
    Case("credential exit without entry", rejected(R.NOT_INSIDE), code=CREDENTIAL, credential=_staff(),
         direction=OUT),
    Case("credential re-enters any number of times", ACCEPTED, code=CREDENTIAL, credential=_vip(),
         before=(IN, OUT, IN, OUT)),
    Case("revoked credential", rejected(R.CREDENTIAL_REVOKED), code=CREDENTIAL, credential=_staff(revoked=True)),
    Case("revoked credential, exit", rejected(R.CREDENTIAL_REVOKED), code=CREDENTIAL,
         credential=_staff(revoked=True), direction=OUT),
    Case("no such credential", rejected(R.UNKNOWN_TICKET), code=UNKNOWN_CREDENTIAL),
    Case("credential at an entry-only gate, exit", rejected(R.DIRECTION_NOT_ALLOWED), code=CREDENTIAL,
         credential=_staff(), gate_directions="in", direction=OUT),
    Case("wrong direction is decided before revocation", rejected(R.DIRECTION_NOT_ALLOWED), code=CREDENTIAL,
         credential=_staff(revoked=True), gate_directions="out"),
    Case("credential for zone B at a zone A gate", rejected(R.ZONE_NOT_ALLOWED), code=CREDENTIAL,
         credential=_vip(zones=["B"]), gate_zones=("A",)),
    Case("credential for zone B at a gate of every zone", ACCEPTED, code=CREDENTIAL, credential=_vip(zones=["B"])),
    Case("credential for zones A and B at a zone B gate", ACCEPTED, code=CREDENTIAL,
         credential=_vip(zones=["A", "B"]), gate_zones=("B",)),
    Case("credential for this gate", ACCEPTED, code=CREDENTIAL, credential=_staff(checkpoints="here")),
    Case("credential for another gate", rejected(R.ZONE_NOT_ALLOWED), code=CREDENTIAL,
         credential=_staff(checkpoints="elsewhere")),
    Case("credential not valid yet", rejected(R.EVENT_CLOSED), code=CREDENTIAL, credential=_staff(valid_from=HOUR_MS)),
    Case("credential expired", rejected(R.EVENT_CLOSED), code=CREDENTIAL, credential=_staff(valid_until=-HOUR_MS)),
    Case("credential valid from this instant", ACCEPTED, code=CREDENTIAL, credential=_staff(valid_from=0),
         at="in_doors"),
    Case("credential valid from a millisecond later", rejected(R.EVENT_CLOSED), code=CREDENTIAL,
         credential=_staff(valid_from=1), at="in_doors"),
    Case("credential valid until this instant", ACCEPTED, code=CREDENTIAL, credential=_staff(valid_until=0),
         at="in_doors"),
    Case("credential valid until a millisecond earlier", rejected(R.EVENT_CLOSED), code=CREDENTIAL,
         credential=_staff(valid_until=-1), at="in_doors"),
    Case("revocation is decided before validity", rejected(R.CREDENTIAL_REVOKED), code=CREDENTIAL,
         credential=_staff(revoked=True, valid_until=-HOUR_MS)),
    Case("validity is decided before the gate", rejected(R.EVENT_CLOSED), code=CREDENTIAL,
         credential=_staff(checkpoints="elsewhere", valid_from=HOUR_MS)),
    # A credential keeps its own validity; the event's doors window does not apply to it.
    Case("credential while the doors are closed", ACCEPTED, code=CREDENTIAL, credential=_staff(), doors="closed"),
    # ----------------------------------------------------------------- revoked device (sync only)
    # The phone does not know it has been revoked: it admits; the upload is kept as evidence.
    Case("revoked device uploads a ticket scan", rejected(R.DEVICE_REVOKED), device_revoked=True, phone=ACCEPTED),
    Case("revoked device uploads a forged code", rejected(R.DEVICE_REVOKED), code=FORGED, device_revoked=True,
         phone=rejected(R.INVALID_SIGNATURE)),
    Case("revoked device uploads a credential scan", rejected(R.DEVICE_REVOKED), code=CREDENTIAL,
         credential=_staff(), device_revoked=True, phone=ACCEPTED),
]

BY_NAME = {case.name: case for case in CASES}


# =========================================================================== building a case's world

ZONE_SEATS = {"A": (5, False), "B": (10, True)}  # zone_id: (seats, re-entry)
UNSOLD = ("A-5", "B-5")
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@dataclass
class World:
    case: Case
    event: object
    device: object
    token: str
    code: str
    moment: datetime | None  # the exact scan instant, or None for "now"
    history: list = field(default_factory=list)  # responses of the `before` scans


def _event(name: str, doors: str):
    from django.utils import timezone

    from events import services as event_services
    from tickets.models import Ticket
    from tickets.services import generate_tickets, sell_tickets

    # Whole seconds: every instant derived from it is a whole millisecond, as on the phone.
    now = timezone.now().replace(microsecond=0)
    start = {"open": now + timedelta(hours=2),  # window: now - 10 h .. now + 12 h
             "not_yet_open": now + timedelta(hours=14),  # opens in 2 h
             "closed": now - timedelta(hours=20)}[doors]  # closed 10 h ago
    event = event_services.create_event(name=name, venue="Arena", date_start=start, date_end=start + timedelta(hours=4))
    event_services.setup_zones(event_id=event.event_id, status=True, zones=[
        event_services.ZoneSpec(zone_id=z, name=f"Zone {z}", color="#C0392B" if z == "A" else "#27AE60", seats=n,
                                reentry=reentry)
        for z, (n, reentry) in ZONE_SEATS.items()])
    generate_tickets(event_id=event.event_id)
    sold = list(Ticket.objects.filter(event=event).exclude(seat_id__in=UNSOLD).values_list("ticket_id", flat=True))
    sell_tickets(event_id=event.event_id, ticket_ids=sold, channel="test")
    return event


def _device(event, *, name: str, zones=(), directions=CheckpointDirections.BOTH.value):
    from devices.models import Device
    from devices.services import create_device, pair_device
    from events.services import create_checkpoint

    checkpoint = create_checkpoint(event_id=event.event_id, name=f"Gate {name}", zones=list(zones),
                                   directions=directions)
    created = create_device(event_id=event.event_id, name=name, checkpoint_id=checkpoint.checkpoint_id)
    paired = pair_device(pairing_code=created.pairing_code)
    return Device.objects.select_related("checkpoint").get(pk=paired.device.pk), paired.token


def _ticket_code(event, seat: str) -> str:
    from events.codes import ticket_code
    from tickets.models import Ticket

    return ticket_code(Ticket.objects.get(event=event, seat_id=seat))


def _sign(event, kind: str, object_id: str) -> str:
    from events import codes

    key = codes.active_key(event.event_id)
    return codes.sign(key_id=key.key_id, private_key=key.private_key, kind=kind, object_id=object_id)


def respelled(code: str, spare: int) -> str:
    """The same signature spelled non-canonically: the last character's four spare bits set to
    `spare` (1..15); atob() and Python's base64 decode it to the very same bytes."""
    value = B64URL.index(code[-1])
    assert value & 0b1111 == 0, "codes are issued canonical"
    return code[:-1] + B64URL[value | spare]


def moment_of(case: Case, event) -> datetime | None:
    from django.utils import timezone

    if not case.exact:
        return None
    edge, offset_ms = INSTANTS[case.at]
    base = getattr(event, edge) if edge else timezone.now().replace(microsecond=0) + timedelta(minutes=5)
    return base + timedelta(milliseconds=offset_ms)


def build_world(case: Case) -> World:
    """The case's event, gate, device, code and history, in the database."""
    from django.utils import timezone

    from access import services
    from devices.services import revoke_device
    from events import codes

    if case.before or case.exact:
        assert case.doors == "open", f"{case.name}: history and exact instants need open doors"
    event = _event(f"Case: {case.name}"[:200], case.doors)
    device, token = _device(event, name="Door", zones=case.gate_zones, directions=case.gate_directions)
    moment = moment_of(case, event)

    credential = None
    if case.code == CREDENTIAL:
        rules = dict(case.credential or {})
        at = moment or timezone.now()
        checkpoints = rules.pop("checkpoints", None)
        if checkpoints == "here":
            checkpoints = [device.checkpoint_id]
        elif checkpoints == "elsewhere":
            checkpoints = [_device(event, name="Elsewhere")[0].checkpoint_id]
        valid_from, valid_until = rules.pop("valid_from", None), rules.pop("valid_until", None)
        revoked = rules.pop("revoked", False)
        credential = services.create_credential(
            event_id=event.event_id, name="Crew", kind=rules.pop("kind"), zones=rules.pop("zones", None),
            checkpoints=checkpoints,
            valid_from=at + timedelta(milliseconds=valid_from) if valid_from is not None else None,
            valid_until=at + timedelta(milliseconds=valid_until) if valid_until is not None else None)
        assert not rules, f"{case.name}: unknown credential rules {rules}"
        if revoked:
            services.revoke_credential(credential_id=credential.credential_id)

    other = None
    if case.code in (OTHER_EVENT_TICKET, OTHER_EVENT_CREDENTIAL, FOREIGN_TICKET):
        other = _event(f"Other than {case.name}"[:200], "open")

    ticket = _ticket_code(event, case.seat) if case.code in (TICKET, FORGED, NON_CANONICAL) else None
    code = {
        TICKET: lambda: ticket,
        CREDENTIAL: lambda: services.credential_code(credential),
        FORGED: lambda: ticket[:-6] + "AAAAAA",
        NON_CANONICAL: lambda: respelled(ticket, 1),
        MALFORMED: lambda: "not a ticket",
        UNKNOWN_KEY: lambda: f"T.{event.event_id}-nosuch.nokey00.{'A' * 86}",
        UNKNOWN_TICKET: lambda: _sign(event, codes.KIND_TICKET, f"{event.event_id}-nosuch"),
        UNKNOWN_CREDENTIAL: lambda: _sign(event, codes.KIND_CREDENTIAL, "crNoSuchCredential"),
        OTHER_EVENT_TICKET: lambda: _ticket_code(other, "A-1"),
        OTHER_EVENT_CREDENTIAL: lambda: services.credential_code(
            services.create_credential(event_id=other.event_id, name="Theirs", kind="staff")),
        FOREIGN_TICKET: lambda: _sign(event, codes.KIND_TICKET, _ticket_id(other, "A-1")),
    }[case.code]()

    history = []
    if case.before:
        elsewhere, _ = _device(event, name="History")
        for direction in case.before:
            response = services.scan(device=elsewhere, code=code, direction=direction, scan_id=uuid.uuid4()).response
            assert response["result"] == ScanResult.ACCEPTED, f"{case.name}: history scan refused: {response}"
            history.append(response)
    if case.device_revoked:
        revoke_device(device_id=device.device_id)
        device.refresh_from_db()
    return World(case=case, event=event, device=device, token=token, code=code, moment=moment, history=history)


def _ticket_id(event, seat: str) -> str:
    from tickets.models import Ticket

    return Ticket.objects.get(event=event, seat_id=seat).ticket_id


def manifest_json(world: World) -> str:
    """The manifest the phone would have downloaded (before any revocation)."""
    from access.manifest import build_manifest
    from devices.models import Device

    device = Device.objects.select_related("checkpoint").get(pk=world.device.pk)
    return build_manifest(device=device).body.decode()
