"""Reads for the event set-up page: the stock table and how far the set-up has come."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Sum

from devices.vocabulary import DeviceRole
from events.models import Event
from tickets.models import SaleChannel, Ticket, TicketState
from tickets.selectors import state_expression

# The stock columns, in the order people read them. "sold" counts every sold ticket (sold, inside
# and left after entering), "inside" those inside now: available + held + box_office + sold = seats.
SOLD_STATES = (TicketState.SOLD, TicketState.INSIDE, TicketState.OUT)


@dataclass
class StockRow:
    zone_id: str
    name: str
    color: str
    price: Decimal
    seats: int = 0
    available: int = 0
    held: int = 0
    box_office: int = 0
    sold: int = 0
    inside: int = 0
    revenue: Decimal = Decimal("0.00")
    channels: dict = field(default_factory=lambda: {c: Decimal("0.00") for c in SaleChannel.values})

    def add(self, state: str, channel: str | None, count: int, revenue: Decimal | None) -> None:
        self.seats += count
        if state in SOLD_STATES:
            self.sold += count
            self.revenue += revenue or 0
            if channel in self.channels:
                self.channels[channel] += revenue or 0
        if state == TicketState.INSIDE:
            self.inside += count
        elif state in (TicketState.AVAILABLE, TicketState.HELD, TicketState.BOX_OFFICE):
            setattr(self, state, getattr(self, state) + count)


@dataclass
class Stock:
    currency: str
    zones: list[StockRow]
    total: StockRow


def stock(event: Event) -> Stock:
    """Per zone: seats available, held in a checkout, at a box office, sold, inside now, and the
    revenue of the sold ones (what each was sold for), with a total row. One query over the
    event's tickets, grouped by zone, state and channel; the state is tickets.selectors' one
    definition (STATE_RULES), so these numbers are the ones the ticket list filters by."""
    rows = {z.pk: StockRow(zone_id=z.zone_id, name=z.name, color=z.color, price=z.price) for z in event.zones.all()}
    grouped = (Ticket.objects.filter(event_id=event.event_id).annotate(state=state_expression())
               .values("zone_ref_id", "state", "channel").order_by()
               .annotate(n=Count("pk"), revenue=Sum("price")))
    total = StockRow(zone_id="", name="Total", color="", price=Decimal(0))
    for g in grouped:
        for row in (rows.get(g["zone_ref_id"]), total):
            if row is not None:
                row.add(g["state"], g["channel"], g["n"], g["revenue"])
    return Stock(currency=event.currency, zones=list(rows.values()), total=total)


_PROGRESS_SQL = """
SELECT (SELECT count(*) FROM access_checkpoint WHERE event_id = %(e)s),
       (SELECT count(*) FROM devices_device WHERE event_id = %(e)s AND role <> %(office)s),
       (SELECT count(*) FROM access_credential WHERE event_id = %(e)s),
       (SELECT count(*) FROM offices_office WHERE event_id = %(e)s),
       (SELECT count(*) FROM tickets_ticket WHERE event_id = %(e)s AND (NOT status OR status_offline)),
       EXISTS (SELECT 1 FROM access_scan WHERE event_id = %(e)s)
"""


@dataclass(frozen=True)
class Progress:
    gates: int
    devices: int  # door phones (office terminals are counted as offices)
    credentials: int
    offices: int
    sold_or_assigned: int
    scanned: bool


def progress(event_id: str) -> Progress:
    """What the set-up guide needs to know beyond the event row, in one query."""
    with connection.cursor() as cur:
        cur.execute(_PROGRESS_SQL, {"e": event_id, "office": DeviceRole.OFFICE.value})
        return Progress(*cur.fetchone())
