"""What each export holds: its columns and its rows, read with a server-side cursor.

An export is a list of typed columns and an iterator of rows in column order, with values as the
database gives them (aware datetimes, Decimals, ints, codes). backoffice/exports_writers.py turns
them into CSV or XLSX: times on the event's clock with their offset, money in the event's
currency, codes in words. Nothing here loads an event's rows at once: `.iterator(chunk_size=)`
makes Django read through a named (server-side) PostgreSQL cursor, `EXPORT_CHUNK` rows a round
trip (docs/adr/0028).

- tickets: one row a seat, with its derived state (tickets.selectors.state_expression), sale,
  buyer (from the ticket's latest `sold` ledger entry) and first entry (the scan that
  `one_first_entry_per_ticket` allows once).
- scans: every scan attempt, accepted or rejected, online, synced or quarantined, in door time
  order (the corrected device time for offline scans, the server's for online ones).
- sales: one row per ticket sold now, with who sold it and when.
- offices: box-office reconciliation per office, then money per sale channel."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Case, FilteredRelation, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from access.models import Scan
from backoffice.report_money import office_reconciliation, sales_section
from devices.models import Device
from events.models import Checkpoint, Event
from offices.models import Office
from tickets.models import LedgerEntry, Ticket
from tickets.selectors import state_expression

EXPORT_CHUNK = 2000  # rows per fetch from the server-side cursor


class Kind:
    """How a column's values are written (backoffice/exports_writers.py)."""

    TEXT = "text"
    INT = "int"
    MONEY = "money"  # Decimal, two places, in the event's currency
    TIME = "time"  # an aware datetime, written on the event's clock with its UTC offset
    STATE = "state"  # ticket state code -> words
    CHANNEL = "channel"  # sale channel code -> words
    DIRECTION = "direction"
    RESULT = "result"
    REASON = "reason"  # scan reason code -> words (the code has its own column)
    MODE = "mode"
    BOOL = "bool"  # yes / no


@dataclass(frozen=True)
class Column:
    header: str  # lazy (gettext_lazy): rendered in the event's language by the writer
    kind: str = Kind.TEXT


@dataclass(frozen=True)
class Export:
    name: str
    title: str
    columns: tuple[Column, ...]
    rows: Iterator[tuple]


def _buyer_name(buyer) -> str:
    """A buyer is a free JSON object (tickets.holds.check_buyer); `name` by convention."""
    if not isinstance(buyer, dict) or not buyer:
        return ""
    name = buyer.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    rest = {k: v for k, v in buyer.items() if k != "email"}
    return "; ".join(f"{k}: {v}" for k, v in rest.items())


def _buyer_email(buyer) -> str:
    email = buyer.get("email") if isinstance(buyer, dict) else None
    return email.strip() if isinstance(email, str) else ""


def _door_time():
    """When the scan happened at the door: the corrected device time of an offline scan, the
    server's for an online one (as the scan function's own `first_entry` answer)."""
    return Coalesce("effective_at", "server_time")


def _gate_names(event: Event) -> dict[str, str]:
    return dict(Checkpoint.objects.filter(event_id=event.event_id).values_list("checkpoint_id", "name"))


@contextmanager
def _without_jit():
    """PostgreSQL's JIT compiler judges these queries by their cost estimate (a correlated lookup
    per ticket) and spends seconds compiling for a run it does not speed up. Off for the one
    statement that declares the cursor, back to the server's setting after."""
    with connection.cursor() as cur:
        cur.execute("SET jit = off")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("RESET jit")


def _stream(qs) -> Iterator[tuple]:
    """The queryset's rows through a server-side cursor, `EXPORT_CHUNK` at a time. The cursor is
    declared (planned, and outside a transaction run to completion) at the first fetch."""
    rows = qs.iterator(chunk_size=EXPORT_CHUNK)
    with _without_jit():
        first = next(rows, None)
    if first is not None:
        yield first
        yield from rows


def _latest_sold():
    # ledger_ticket_idx (ticket, id), read backwards: a few entries per ticket.
    return LedgerEntry.objects.filter(ticket_id=OuterRef("pk"), action="sold").order_by("-id")


# --------------------------------------------------------------------------- tickets

TICKET_COLUMNS = (
    Column(_("Seat")), Column(_("Row")), Column(_("Zone")), Column(_("Zone code")), Column(_("State"), Kind.STATE),
    Column(_("Channel"), Kind.CHANNEL), Column(_("Price"), Kind.MONEY), Column(_("Currency")),
    Column(_("Buyer")), Column(_("Buyer email")), Column(_("Reference")), Column(_("First entry"), Kind.TIME),
    Column(_("First entry gate")), Column(_("Ticket id")),
)


def ticket_rows(event: Event) -> Iterator[tuple]:
    gates = _gate_names(event)
    qs = (
        Ticket.objects.filter(event_id=event.event_id)
        # The first entry: a left join on the scan that `one_first_entry_per_ticket` allows once.
        .annotate(first=FilteredRelation("scans", condition=Q(scans__first_entry=True)))
        .annotate(
            state=state_expression(),
            first_at=Coalesce("first__effective_at", "first__server_time"),
            # The buyer of the sale that stands: an un-sold ticket (PATCH status true) has none.
            buyer=Case(When(status=False, then=Subquery(_latest_sold().values("metadata__buyer")[:1])),
                       default=Value(None)),
        )
        .order_by("id")  # generation order: zone by zone, seat by seat
        .values_list("seat_id", "seat_row", "zone", "zone_id", "state", "channel", "price", "buyer", "reference",
                     "first_at", "first__checkpoint_id", "ticket_id")
    )
    currency = event.currency
    for seat, row, zone, zone_id, state, channel, price, buyer, reference, first_at, gate, ticket_id in _stream(qs):
        yield (seat, row, zone, zone_id, state, channel, price, currency if price is not None else "",
               _buyer_name(buyer), _buyer_email(buyer), reference, first_at, gates.get(gate, gate or ""), ticket_id)


# --------------------------------------------------------------------------- scans

SCAN_COLUMNS = (
    Column(_("Time"), Kind.TIME), Column(_("Gate")), Column(_("Device")), Column(_("Direction"), Kind.DIRECTION),
    Column(_("Result"), Kind.RESULT), Column(_("Reason"), Kind.REASON), Column(_("Reason code")),
    Column(_("Seat or credential")), Column(_("Zone code")), Column(_("Mode"), Kind.MODE),
    Column(_("Late upload"), Kind.BOOL), Column(_("Quarantined"), Kind.BOOL), Column(_("Received"), Kind.TIME),
    Column(_("Scan id")),
)


def scan_rows(event: Event) -> Iterator[tuple]:
    gates = _gate_names(event)
    devices = dict(Device.objects.filter(event_id=event.event_id).values_list("device_id", "name"))
    qs = (
        Scan.objects.filter(event_id=event.event_id)
        .annotate(at=_door_time())
        .order_by("at", "id")
        .values_list("at", "checkpoint_id", "device_id", "direction", "result", "reason", "ticket__seat_id",
                     "credential__name", "credential__kind", "zone_id", "mode", "late", "quarantined", "server_time",
                     "scan_id")
    )
    for (at, gate, device, direction, result, reason, seat, cred_name, cred_kind, zone_id, mode, late, quarantined,
         received, scan_id) in _stream(qs):
        who = seat or (f"{cred_name} ({cred_kind})" if cred_name else "")
        yield (at, gates.get(gate, gate or ""), devices.get(device, device), direction, result, reason, reason or "",
               who, zone_id or "", mode, late, quarantined, received, str(scan_id))


# --------------------------------------------------------------------------- sales

SALE_COLUMNS = (
    Column(_("Seat")), Column(_("Row")), Column(_("Zone")), Column(_("Reference")), Column(_("Channel"), Kind.CHANNEL),
    Column(_("Price"), Kind.MONEY), Column(_("Currency")), Column(_("Buyer")), Column(_("Buyer email")),
    Column(_("Sold at"), Kind.TIME), Column(_("Recorded at"), Kind.TIME), Column(_("Sold by")), Column(_("Ticket id")),
)


def sale_rows(event: Event) -> Iterator[tuple]:
    """Tickets sold now. "Sold at" is when the money changed hands: the office's own clock for a
    box-office sale (uploaded later), else when the sale was recorded."""
    offices = dict(Office.objects.filter(event_id=event.event_id).values_list("office_id", "name"))
    latest = _latest_sold()
    qs = (
        Ticket.objects.filter(event_id=event.event_id, status=False)
        .annotate(sold_at=Subquery(latest.values("date")[:1]), sale=Subquery(latest.values("metadata")[:1]))
        .order_by("id")
        .values_list("seat_id", "seat_row", "zone", "reference", "channel", "price", "sale", "sold_at", "ticket_id")
    )
    currency = event.currency
    for seat, row, zone, reference, channel, price, sale, recorded, ticket_id in _stream(qs):
        sale = sale if isinstance(sale, dict) else {}
        buyer = sale.get("buyer")
        office_time = _parse_time(sale.get("sold_at"))
        office_id = sale.get("office_id")
        by = (offices.get(office_id, office_id) if office_id else sale.get("by")) or ""
        yield (seat, row, zone, reference, channel, price, currency if price is not None else "", _buyer_name(buyer),
               _buyer_email(buyer), office_time or recorded, recorded, by, ticket_id)


def _parse_time(value):
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


# --------------------------------------------------------------------------- offices

OFFICE_COLUMNS = (
    Column(_("Row type")), Column(_("Name")), Column(_("Id or code")), Column(_("Device")),
    Column(_("Assigned"), Kind.INT), Column(_("Sold"), Kind.INT), Column(_("Returned"), Kind.INT),
    Column(_("Outstanding"), Kind.INT), Column(_("Revenue"), Kind.MONEY), Column(_("Refunds due"), Kind.INT),
    Column(_("Refunds due (amount)"), Kind.MONEY), Column(_("Currency")),
)

def office_rows(event: Event) -> Iterator[tuple]:
    """Per office, the reconciliation with its money (backoffice.report_money.office_reconciliation:
    refunds due are its rejected sales at their zone's current price); then one row per sale
    channel with the event's tickets sold and revenue. TicketCore records no payment method, so
    money is split by channel only."""
    currency = event.currency
    for office in office_reconciliation(event.event_id):
        yield (str(_("Office")), office["name"], office["office_id"], office["device"], office["assigned"],
               office["sold"], office["returned"], office["outstanding"], Decimal(office["revenue"]),
               office["refunds_due"], Decimal(office["refunds_due_amount"]), currency)
    for channel in sales_section(event.event_id)["channels"]:
        yield (str(_("Sale channel")), channel["label"], channel["channel"], "", "", channel["sold"], "", "",
               Decimal(channel["revenue"]), "", "", currency)


# --------------------------------------------------------------------------- the list

DATASETS: dict[str, tuple[str, tuple[Column, ...], Callable[[Event], Iterator[tuple]]]] = {
    "tickets": (_("Tickets"), TICKET_COLUMNS, ticket_rows),
    "scans": (_("Scans"), SCAN_COLUMNS, scan_rows),
    "sales": (_("Sales"), SALE_COLUMNS, sale_rows),
    "offices": (_("Box offices"), OFFICE_COLUMNS, office_rows),
}


def build(dataset: str, event: Event) -> Export:
    title, columns, rows = DATASETS[dataset]
    return Export(name=dataset, title=title, columns=columns, rows=rows(event))
