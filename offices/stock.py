"""What a box-office terminal keeps on the device to sell offline (GET /api/v1/offices/{id}/stock):
the event, its zones with colours and prices, and every ticket assigned to the office, unsold or
sold by it, with its signed code (the terminal draws the buyer's QR from it with no connection)
and its reference. Whole the first time; with `since`, only the office's tickets changed after
that version, plus `returned`: the tickets that left the office (unassigned) since then. The
version is the scanner manifest's watermark (access/manifest_version.py, docs/adr/0012), so a
terminal asking `since` it misses nothing. Design: docs/adr/0031-box-office-terminal.md."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from access.manifest_version import safe_ticket_version
from events.codes import active_key, ticket_code
from events.models import Zone
from offices.models import Office, OfficeAssignment
from tickets.models import Ticket
from tickets.selectors import with_state
from tickets.services import money


@dataclass(frozen=True)
class Stock:
    version: int
    body: dict


def _event_json(event) -> dict:
    return {"event_id": event.event_id, "name": event.name, "venue": event.venue,
            "date_start": event.date_start.isoformat(), "date_end": event.date_end.isoformat(),
            "timezone": event.timezone, "currency": event.currency, "language": event.language}


def build_stock(*, office: Office, since: int | None = None) -> Stock:
    """The office's stock (module docstring); `office.event` should be loaded."""
    version = safe_ticket_version(floor=since or 0)
    event = office.event
    zones = [{"zone_id": z.zone_id, "name": z.name, "color": z.color, "price": money(z.price), "seats": z.seats}
             for z in Zone.objects.filter(event_id=event.event_id).order_by("zone_id")]
    open_here = OfficeAssignment.objects.filter(ticket_id=OuterRef("pk"), office_id=office.office_id,
                                                returned_at__isnull=True)
    held = with_state(Ticket.objects.filter(event_id=event.event_id).filter(Exists(open_here)))
    if since is not None:
        held = held.filter(version__gt=since)
    rows = list(held.order_by("zone_id", "seat_number").values(
        "ticket_id", "seat_id", "zone_id", "seat_number", "seat_row", "reference", "state", "price"))
    key = active_key(event.event_id) if rows else None
    tickets = [{**{k: r[k] for k in ("ticket_id", "seat_id", "zone_id", "seat_number", "seat_row", "reference",
                                     "state")},
                "price": money(r["price"]), "code": ticket_code(_Named(r["ticket_id"], event.event_id), key=key)}
               for r in rows]
    returned: list[str] = []
    if since is not None:
        # Tickets this office held once and no longer does, changed since: gone from its stock.
        gone = OfficeAssignment.objects.filter(office_id=office.office_id, returned_at__isnull=False,
                                               ticket__version__gt=since).exclude(ticket__in=Ticket.objects.filter(
                                                   Exists(open_here)))
        returned = sorted(set(gone.values_list("ticket__ticket_id", flat=True)))
    body = {"version": version, "since": since, "full": since is None,
            "office": {"office_id": office.office_id, "name": office.name},
            "event": _event_json(event), "zones": zones, "tickets": tickets, "returned": returned}
    return Stock(version=version, body=body)


@dataclass(frozen=True)
class _Named:
    """What events.codes.ticket_code reads of a ticket, without loading the model."""

    ticket_id: str
    event_id: str
