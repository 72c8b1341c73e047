"""A small night built through the real services, whose report and exports are known by hand
(tests/backoffice/test_report.py, test_exports.py).

Event "Noche de Prueba", Europe/Madrid, 17 January 2026 (UTC+01:00): T0 = 20:00 local = 19:00Z.
Zones: A Ringside, 5 seats, no re-entry, 45.00 EUR; B General, 10 seats, re-entry, 20.00 EUR.
Sales: A-1..A-3 by staff "ana" (buyer Zoe); B-1..B-4 online (buyer Ada); B-5 by the box office
"Taquilla Norte" (sold at 18:00 local), which also sold B-7 without holding it (rejected:
a refund due) and had B-6 taken back.
Gates: North (phones "North 1", "North 2"), South ("South 1"). Scans, at T0 + m:ss:

  0:05 N1 A-1 in ok      0:20 N1 A-2 in ok       0:40 N1 B-1 in ok      0:50 N1 forged code
  1:10 N1 A-1 in already_inside   1:15 N1 A-1 in already_inside (a re-read)
  1:30 S1 B-2 in ok      1:40 S1 A-4 in not_sold
  2:10 S1 B-1 out ok     2:30 N2 B-3 in ok       2:45 N2 B-2 in (offline, uploaded later):
                                                      already_inside, an offline conflict, late
  3:00 S1 staff credential in ok
  4:00 S1 B-1 in ok (re-entry)    4:20 N1 A-1 out ok
  5:05 N1 A-1 in already_used (no re-entry in A)
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from access import services as access_services
from access.sync import sync_scans
from events import services as event_services
from events.codes import ticket_code
from events.models import Event
from offices import services as office_services
from offices.models import Office
from tests.conftest import make_device
from tickets import holds
from tickets.models import Ticket
from tickets.services import generate_tickets, sell_tickets

MADRID = ZoneInfo("Europe/Madrid")
T0 = datetime(2026, 1, 17, 20, 0, tzinfo=MADRID)
ZONES = [
    event_services.ZoneSpec(zone_id="A", name="Ringside", color="#C0392B", seats=5, reentry=False,
                            price=Decimal("45.00")),
    event_services.ZoneSpec(zone_id="B", name="General", color="#27AE60", seats=10, reentry=True,
                            price=Decimal("20.00")),
]


def at(minute: int, second: int = 0) -> datetime:
    return T0 + timedelta(minutes=minute, seconds=second)


@dataclass
class Night:
    event: Event
    devices: dict = field(default_factory=dict)
    checkpoints: dict = field(default_factory=dict)
    office: Office | None = None
    credential: object = None

    def ticket(self, seat: str) -> Ticket:
        return Ticket.objects.get(event=self.event, seat_id=seat)

    def code(self, seat: str) -> str:
        return ticket_code(self.ticket(seat))


def build_night() -> Night:
    event = event_services.create_event(name="Noche de Prueba", venue="Arena", date_start=at(60), date_end=at(300),
                                        timezone="Europe/Madrid", currency="EUR", language="en")
    event_services.setup_zones(event_id=event.event_id, status=True, zones=ZONES)
    generate_tickets(event_id=event.event_id)
    night = Night(event=event)
    ids = lambda *seats: [night.ticket(s).ticket_id for s in seats]

    sell_tickets(event_id=event.event_id, ticket_ids=ids("A-1", "A-2", "A-3"), actor="ana",
                 metadata={"buyer": {"name": "Zoe Buyer", "email": "zoe@example.com"}})
    hold = holds.take_hold(event_id=event.event_id, ticket_ids=ids("B-1", "B-2", "B-3", "B-4"))
    holds.checkout(hold_id=hold.hold_id, buyer={"name": "Ada Online", "email": "ada@example.com"}, actor="web")
    office = office_services.create_office(event_id=event.event_id, name="Taquilla Norte").office
    office_services.assign_tickets(office_id=office.office_id, ticket_ids=ids("B-5", "B-6"), actor="ana")
    office_services.sync_sales(office=office, sales=[
        office_services.SaleIn(sale_id=uuid.uuid4(), ticket_id=ids("B-5")[0], sold_at=at(-120),
                               buyer={"name": "Box Buyer"}),
        office_services.SaleIn(sale_id=uuid.uuid4(), ticket_id=ids("B-7")[0], sold_at=at(-110), buyer=None),
    ])
    office_services.unassign_tickets(office_id=office.office_id, ticket_ids=ids("B-6"), actor="ana")
    night.office = office

    north = event_services.create_checkpoint(event_id=event.event_id, name="North")
    south = event_services.create_checkpoint(event_id=event.event_id, name="South")
    night.checkpoints = {"North": north, "South": south}
    night.devices = {
        "N1": make_device(event, checkpoint=north, name="North 1")[0],
        "N2": make_device(event, checkpoint=north, name="North 2")[0],
        "S1": make_device(event, checkpoint=south, name="South 1")[0],
    }
    night.credential = access_services.create_credential(event_id=event.event_id, name="Sam Staff", kind="staff")

    def scan(device: str, code: str, direction: str, when: datetime) -> dict:
        return access_services.scan(device=night.devices[device], code=code, direction=direction,
                                    scan_id=uuid.uuid4(), effective_at=when).response

    c = night.code
    log = [
        ("N1", c("A-1"), "in", at(0, 5), "accepted"), ("N1", c("A-2"), "in", at(0, 20), "accepted"),
        ("N1", c("B-1"), "in", at(0, 40), "accepted"), ("N1", "T.forged.code", "in", at(0, 50), "invalid_signature"),
        ("N1", c("A-1"), "in", at(1, 10), "already_inside"), ("N1", c("A-1"), "in", at(1, 15), "already_inside"),
        ("S1", c("B-2"), "in", at(1, 30), "accepted"), ("S1", c("A-4"), "in", at(1, 40), "not_sold"),
        ("S1", c("B-1"), "out", at(2, 10), "accepted"), ("N2", c("B-3"), "in", at(2, 30), "accepted"),
    ]
    for device, code, direction, when, expect in log:
        answer = scan(device, code, direction, when)
        assert (answer.get("reason") or answer["result"]) == expect, (device, when, answer)
    outcome = sync_scans(device=night.devices["N2"], scans=[
        {"code": c("B-2"), "direction": "in", "scan_id": uuid.uuid4(), "scanned_at": at(2, 45)}])
    assert outcome.results[0]["reason"] == "already_inside" and outcome.summary["conflicts"] == 1
    assert outcome.summary["late"] == 1
    for device, code, direction, when, expect in [
        ("S1", access_services.credential_code(night.credential), "in", at(3, 0), "accepted"),
        ("S1", c("B-1"), "in", at(4, 0), "accepted"), ("N1", c("A-1"), "out", at(4, 20), "accepted"),
        ("N1", c("A-1"), "in", at(5, 5), "already_used"),
    ]:
        answer = scan(device, code, direction, when)
        assert (answer.get("reason") or answer["result"]) == expect, (device, when, answer)
    return night
