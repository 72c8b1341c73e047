"""The only code that creates or changes tickets and writes their ledger.

Other apps change tickets through their own services, which call into these functions or into
database functions installed by their migrations; views and admin never update a ticket."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.errors import (
    AlreadyGenerated,
    InvalidInput,
    Irreversible,
    NotFound,
    SeatsUnavailable,
    SetupInactive,
    TicketLocked,
)
from core.ids import firestore_ids
from events.models import Event
from mirror import outbox
from tickets.models import LedgerEntry, Ticket

_COPY_COLUMNS = (
    "ticket_id, doc_id, event_id, zone_ref_id, zone_id, zone, color, seat_id, seat_number, seat_row, "
    "status, status_offline, access_status, access_entry, date_start, date_end, event_name, updated_at"
)


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


def append_ledger(ticket_pks: list[int], action: str, metadata: dict | None = None) -> None:
    """Append one ledger entry per ticket. Callers must already be inside their transaction."""
    payload = metadata or {}
    LedgerEntry.objects.bulk_create([LedgerEntry(ticket_id=pk, action=action, metadata=payload) for pk in ticket_pks])


def generate_tickets(*, event_id: str) -> GenerationResult:
    """One ticket per seat (seats numbered from 1 in each zone) plus its `generated` ledger entry,
    all in one transaction. Uses COPY: 100,000 seats take a few seconds (bench/generate.py)."""
    with transaction.atomic():
        # The event row lock serialises racing generations; the second sees generated_at set.
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if event is None:
            raise NotFound("No such event.")
        if not event.setup_status:
            raise SetupInactive()
        if event.generated_at is not None or Ticket.objects.filter(event_id=event_id).exists():
            raise AlreadyGenerated()
        zones = list(event.zones.all())
        total = sum(z.seats for z in zones)
        if total > settings.TICKETCORE_MAX_SEATS_PER_EVENT:
            raise InvalidInput(f"The event has {total} seats; at most {settings.TICKETCORE_MAX_SEATS_PER_EVENT} are allowed.")
        now = timezone.now()
        doc_ids = iter(firestore_ids(total))
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg 3 cursor, for COPY
            with raw.copy(f"COPY tickets_ticket ({_COPY_COLUMNS}) FROM STDIN") as copy:
                for zone in zones:
                    for number in range(1, zone.seats + 1):
                        doc_id = next(doc_ids)
                        copy.write_row(
                            (
                                f"{event.event_id}-{doc_id}", doc_id, event.event_id, zone.pk, zone.zone_id,
                                zone.name, zone.color, f"{zone.zone_id}-{number}", number, "por asignar",
                                True, False, False, False, event.date_start, event.date_end, event.name, now,
                            )
                        )
            cursor.execute(
                "INSERT INTO tickets_ledgerentry (ticket_id, date, action, metadata) "
                "SELECT id, %s, 'generated', '{}'::jsonb FROM tickets_ticket WHERE event_id = %s ORDER BY id",
                [now, event.event_id],
            )
        event.generated_at = now
        event.save(update_fields=["generated_at"])
        transaction.on_commit(outbox.kick)  # Firestore mirror, ADR 0011
    return GenerationResult(event_id=event_id, generated=total)


def lock_reason(ticket: Ticket) -> str | None:
    """Why a ticket may not be sold or unsold by hand right now (None when it may)."""
    if ticket.status_offline:
        return "assigned to an offline office"
    from tickets.selectors import active_hold_id

    if active_hold_id(ticket) is not None:
        return "held by an online checkout"
    return None


def update_ticket(
    *, event_id: str, ticket_id: str, actor: str, status: bool | None = None, seat_row: str | None = None
) -> TicketUpdateResult:
    """Manual sale or correction by staff; writes an `updated` ledger entry."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(event_id=event_id, ticket_id=ticket_id).first()
        if ticket is None:
            raise NotFound("No such ticket in this event.")
        changes: dict = {}
        if status is not None and status != ticket.status:
            if status and ticket.access_status:
                raise Irreversible("A scanned ticket cannot be made available again.")
            reason = lock_reason(ticket)
            if reason:
                raise TicketLocked(f"The ticket is {reason}.")
            changes["status"] = [ticket.status, status]
            ticket.status = status
        if seat_row is not None and seat_row != ticket.seat_row:
            changes["seat_row"] = [ticket.seat_row, seat_row]
            ticket.seat_row = seat_row
        if not changes:
            return TicketUpdateResult(ticket=ticket)
        try:
            with transaction.atomic():
                ticket.save(update_fields=[*changes.keys(), "updated_at"])
        except IntegrityError:
            # The database's state machine refused it (e.g. a scan committed in between).
            raise Irreversible()
        append_ledger([ticket.pk], "updated", {"changes": changes, "by": actor})
    ticket.refresh_from_db()
    return TicketUpdateResult(ticket=ticket, changes=changes)


def sell_tickets(*, event_id: str, ticket_ids: list[str], channel: str, metadata: dict | None = None) -> SaleResult:
    """Mark available tickets sold (ledger `sold`), all or nothing. Used by the demo and by
    sales channels that have already reserved the seats."""
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
                Ticket.objects.filter(pk__in=pks).update(status=False, updated_at=timezone.now())
        except IntegrityError:
            # A database guard refused the sale (a live checkout hold, or an office assignment
            # made since the read). Report the seats as unavailable, never a 500.
            raise SeatsUnavailable([r[1] for r in rows])
        append_ledger(pks, "sold", {"channel": channel, **(metadata or {})})
    return SaleResult(sold=[r[1] for r in rows])


def ledger_json(entries) -> list[dict]:
    return [{"date": e.date.isoformat(), "action": e.action, "metadata": e.metadata} for e in entries]


__all__ = ["generate_tickets", "update_ticket", "sell_tickets", "append_ledger", "json"]
