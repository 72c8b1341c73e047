"""The only code that creates or changes tickets and writes their ledger.

Other apps change tickets through their own services, which call into these functions or into
database functions installed by their migrations; views and admin never update a ticket."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import (
    AlreadyGenerated,
    InvalidInput,
    Irreversible,
    NotFound,
    SeatsUnavailable,
    SetupInactive,
    TicketLocked,
    interpolate,
)
from core import live_messages
from core.live import publish_on_commit
from events.models import Event
from mirror import outbox
from tickets.generation import insert_generated
from tickets.models import LedgerEntry, SaleChannel, Ticket


@dataclass(frozen=True)
class GenerationResult:
    event_id: str
    generated: int


@dataclass(frozen=True)
class TicketUpdateResult:
    ticket: Ticket
    changes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SaleResult:
    sold: list[str]
    prices: dict[str, Decimal] = field(default_factory=dict)  # ticket_id -> price it was sold at


def append_ledger(ticket_pks: list[int], action: str, metadata: dict | None = None) -> None:
    """Append one ledger entry per ticket. Callers must already be inside their transaction."""
    payload = metadata or {}
    LedgerEntry.objects.bulk_create([LedgerEntry(ticket_id=pk, action=action, metadata=payload) for pk in ticket_pks])


def money(value: Decimal | None) -> str | None:
    """A price as the contract writes it: a decimal string with two places ("45.00")."""
    return None if value is None else f"{value:.2f}"


# Every sale, whatever the channel, is this statement: the ticket takes its zone's price at that
# moment (read in the same statement, so a price change commits either before the sale or after
# it, never half) and the channel it was sold through. Only unsold rows change; the caller holds
# the ticket locks and compares what came back with what it meant to sell.
_MARK_SOLD_SQL = """
UPDATE tickets_ticket t
SET status = false, price = z.price, channel = %(channel)s, updated_at = %(now)s
FROM events_zone z
WHERE z.id = t.zone_ref_id AND t.id = ANY(%(pks)s) AND t.status {online_only}
RETURNING t.id, t.price
"""


def mark_sold(ticket_pks: list[int], *, channel: SaleChannel, online_only: bool = False,
              now: datetime | None = None) -> dict[int, Decimal]:
    """Sell the unsold tickets among `ticket_pks` at their zone's current price; returns
    {pk: price} of the rows sold. `online_only` also skips tickets assigned to a box office.
    For the sales services only (checkout, staff sale, box-office sale), inside their
    transaction; they write the `sold` ledger entries with `sold_ledger_entries`."""
    if not ticket_pks:
        return {}
    sql = _MARK_SOLD_SQL.format(online_only="AND NOT t.status_offline" if online_only else "")
    with connection.cursor() as cur:
        cur.execute(sql, {"channel": str(channel), "now": now or timezone.now(), "pks": list(ticket_pks)})
        return dict(cur.fetchall())


def append_sold_ledger(sold: dict[int, Decimal], metadata: dict) -> None:
    """One `sold` entry per ticket, each with the price that ticket was sold at."""
    LedgerEntry.objects.bulk_create([
        LedgerEntry(ticket_id=pk, action="sold", metadata={**metadata, "price": money(price)})
        for pk, price in sold.items()
    ])


def generate_tickets(*, event_id: str) -> GenerationResult:
    """One ticket per seat (seats numbered from 1 in each zone), each with a reference unique in
    the event and its `generated` ledger entry, all in one transaction; the rows are written by
    one statement (tickets/generation.py, bench/generate.py, docs/benchmarks.md)."""
    with transaction.atomic():
        # The event row lock serialises racing generations; the second sees generated_at set.
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if event is None:
            raise NotFound(_("No such event."))
        if not event.setup_status:
            raise SetupInactive()
        if event.generated_at is not None or Ticket.objects.filter(event_id=event_id).exists():
            raise AlreadyGenerated()
        zones = list(event.zones.all())
        total = sum(z.seats for z in zones)
        if total > settings.TICKETCORE_MAX_SEATS_PER_EVENT:
            raise InvalidInput(interpolate(_("The event has %(seats)d seats; at most %(max)d are allowed."),
                                           seats=total, max=settings.TICKETCORE_MAX_SEATS_PER_EVENT))
        now = timezone.now()
        insert_generated(event=event, zones=zones, now=now)
        event.generated_at = now
        event.save(update_fields=["generated_at"])
        transaction.on_commit(outbox.kick)  # Firestore mirror, ADR 0011
    return GenerationResult(event_id=event_id, generated=total)


def lock_reason(ticket: Ticket):
    """Why a ticket may not be sold or unsold by hand right now, as the message that says so
    (None when it may)."""
    if ticket.status_offline:
        return _("The ticket is assigned to an offline office.")
    from tickets.selectors import active_hold_id

    if active_hold_id(ticket) is not None:
        return _("The ticket is held by an online checkout.")
    return None


def update_ticket(
    *, event_id: str, ticket_id: str, actor: str, status: bool | None = None, seat_row: str | None = None
) -> TicketUpdateResult:
    """Manual sale or correction by staff (PATCH). Selling (status true -> false) is a staff sale:
    ledger `sold` with channel `manual`, who did it (`by`) and the zone's price, which the ticket
    keeps. Anything else (un-selling, a new row) is a correction: ledger `updated`. Un-selling
    clears the price and channel (an available ticket carries no sale), recorded in the entry."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(event_id=event_id, ticket_id=ticket_id).first()
        if ticket is None:
            raise NotFound(_("No such ticket in this event."))
        changes: dict = {}
        selling = False
        if status is not None and status != ticket.status:
            if status and ticket.access_status:
                raise Irreversible(_("A scanned ticket cannot be made available again."))
            reason = lock_reason(ticket)
            if reason:
                raise TicketLocked(reason)
            changes["status"] = [ticket.status, status]
            selling = not status
            if status:  # un-selling: the sale's price and channel go with it
                changes["price"] = [money(ticket.price), None]
                changes["channel"] = [ticket.channel, None]
        if seat_row is not None and seat_row != ticket.seat_row:
            changes["seat_row"] = [ticket.seat_row, seat_row]
        if not changes:
            return TicketUpdateResult(ticket=ticket)
        now = timezone.now()
        fields = {"seat_row": seat_row} if "seat_row" in changes else {}
        if status is True:
            fields.update(status=True, price=None, channel=None)
        try:
            with transaction.atomic():
                if fields:
                    Ticket.objects.filter(pk=ticket.pk).update(updated_at=now, **fields)
                sold = mark_sold([ticket.pk], channel=SaleChannel.MANUAL, now=now) if selling else {}
        except IntegrityError:
            # The database's state machine refused it (e.g. a scan committed in between).
            raise Irreversible()
        if selling:
            append_sold_ledger(sold, {"channel": SaleChannel.MANUAL.value, "by": actor, "changes": changes})
        else:
            append_ledger([ticket.pk], "updated", {"changes": changes, "by": actor})
        if "status" in changes:  # the seat maps follow (docs/adr/0032)
            publish_on_commit(event_id, live_messages.SalesChange(
                event_id=event_id, action="sold" if selling else "unsold", tickets=[ticket.ticket_id]))
    ticket.refresh_from_db()
    return TicketUpdateResult(ticket=ticket, changes=changes)


def sell_tickets(*, event_id: str, ticket_ids: list[str], channel: str = SaleChannel.MANUAL.value,
                 actor: str = "", metadata: dict | None = None) -> SaleResult:
    """A staff sale of available tickets, all or nothing: each takes its zone's current price,
    channel `manual`, and a ledger `sold` entry with who sold it (`by`) and the price. `channel`
    is the label the ledger records (the admin's "manual", the demo's "demo"); the ticket's
    `channel` column is `manual` whatever it says. Refused (seats_unavailable) if any is sold,
    held by a live checkout or assigned to a box office."""
    if not ticket_ids:
        return SaleResult(sold=[])
    with transaction.atomic():
        rows = list(
            Ticket.objects.select_for_update()
            .filter(event_id=event_id, ticket_id__in=ticket_ids)
            .order_by("id")
            .values_list("pk", "ticket_id", "status", "status_offline")
        )
        found = {r[1] for r in rows}
        unavailable = [t for t in ticket_ids if t not in found] + [r[1] for r in rows if not r[2] or r[3]]
        if unavailable:
            raise SeatsUnavailable(unavailable)
        pks = [r[0] for r in rows]
        try:
            with transaction.atomic():
                sold = mark_sold(pks, channel=SaleChannel.MANUAL)
        except IntegrityError:
            # A database guard refused the sale (a live checkout hold, or an office assignment
            # made since the read). Report the seats as unavailable, never a 500.
            raise SeatsUnavailable([r[1] for r in rows])
        append_sold_ledger(sold, {"channel": channel, "by": actor, **(metadata or {})})
        publish_on_commit(event_id, live_messages.SalesChange(event_id=event_id, action="sold",
                                                             tickets=[r[1] for r in rows]))
    by_pk = {r[0]: r[1] for r in rows}
    return SaleResult(sold=[r[1] for r in rows], prices={by_pk[pk]: price for pk, price in sold.items()})


def ledger_json(entries) -> list[dict]:
    return [{"date": e.date.isoformat(), "action": e.action, "metadata": e.metadata} for e in entries]


__all__ = ["generate_tickets", "update_ticket", "sell_tickets", "mark_sold", "append_ledger", "append_sold_ledger",
           "money", "json"]
