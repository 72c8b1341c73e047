"""Read paths for tickets and checkout holds."""
from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, DateTimeField, Exists, ExpressionWrapper, Func, OuterRef, Q, QuerySet, Value

from tickets.models import Ticket, TicketHold


class ClockTimestamp(Func):
    """The database clock at the moment the expression runs. Writes judge "live" with it: now()
    is frozen at the start of the transaction, which may predate a lock wait."""

    template = "clock_timestamp()"
    output_field = DateTimeField()


class StatementTimestamp(Func):
    """The database clock at the start of the statement: one instant for a whole read, so every
    row of a listing or an aggregate is judged against the same time (now() would be frozen for
    a whole transaction)."""

    template = "statement_timestamp()"
    output_field = DateTimeField()


def tickets_for_event(event_id: str, *, zone: str | None = None, status: bool | None = None,
                      access_status: bool | None = None) -> QuerySet[Ticket]:
    qs = Ticket.objects.filter(event_id=event_id)
    if zone:
        qs = qs.filter(zone_id=zone)
    if status is not None:
        qs = qs.filter(status=status)
    if access_status is not None:
        qs = qs.filter(access_status=access_status)
    return qs


def active_hold_id(ticket: Ticket) -> str | None:
    """The live checkout hold on this ticket, if any (an expired, unswept hold does not count)."""
    return (
        TicketHold.objects.filter(ticket_id=ticket.pk, locked_up__gt=ClockTimestamp())
        .values_list("hold_id", flat=True)
        .first()
    )


SEAT_FIELDS = ("id", "ticket_id", "seat_id", "zone_id", "zone", "color", "seat_row", "available")


def seats_for_event(event_id: str, *, zone: str | None = None, available: bool | None = None) -> QuerySet:
    """Seats of an event as dicts with `available` (unsold, not assigned to an office, no live
    hold). One SQL query per page: availability is a correlated EXISTS on the unique hold index."""
    live_hold = Exists(TicketHold.objects.filter(ticket_id=OuterRef("pk"), locked_up__gt=StatementTimestamp()))
    qs = Ticket.objects.filter(event_id=event_id)
    if zone:
        qs = qs.filter(zone_id=zone)
    if available is True:
        qs = qs.filter(status=True, status_offline=False).filter(~live_hold).annotate(
            available=Value(True, output_field=BooleanField()))
    elif available is False:
        qs = qs.filter(Q(status=False) | Q(status_offline=True) | live_hold).annotate(
            available=Value(False, output_field=BooleanField()))
    else:
        qs = qs.annotate(available=ExpressionWrapper(Q(status=True, status_offline=False) & ~live_hold,
                                                     output_field=BooleanField()))
    return qs.values(*SEAT_FIELDS)


# Tickets are counted per zone first (one pass over the event's tickets, hash-joined to the few
# hold rows), then attached to the zones, so zones without tickets yet still show with zeros.
_SALES_SQL = """
WITH counts AS (
    SELECT t.zone_ref_id,
           count(*) AS seats,
           count(*) FILTER (WHERE t.status AND NOT t.status_offline AND h.ticket_id IS NULL) AS available,
           count(*) FILTER (WHERE t.status AND NOT t.status_offline AND h.ticket_id IS NOT NULL) AS held,
           count(*) FILTER (WHERE NOT t.status) AS sold,
           count(*) FILTER (WHERE t.status AND t.status_offline) AS offline
    FROM tickets_ticket t
    LEFT JOIN tickets_blocked h ON h.ticket_id = t.id AND h.locked_up > statement_timestamp()
    WHERE t.event_id = %(event_id)s
    GROUP BY t.zone_ref_id
)
SELECT e.event_id, z.zone_id, z.name, coalesce(c.seats, 0), coalesce(c.available, 0), coalesce(c.held, 0),
       coalesce(c.sold, 0), coalesce(c.offline, 0)
FROM events_event e
LEFT JOIN events_zone z ON z.event_id = e.event_id
LEFT JOIN counts c ON c.zone_ref_id = z.id
WHERE e.event_id = %(event_id)s
ORDER BY z.position, z.id
"""

SALES_COUNTS = ("seats", "available", "held", "sold", "offline")


def sales_status(event_id: str) -> dict | None:
    """Live sales counts per zone from one aggregate query; None for an unknown event.

    The four states are mutually exclusive by construction (sold, else offline, else held by a
    live hold, else available), so available + held + sold + offline == seats in every row. An
    expired hold that the sweep has not deleted yet counts as available."""
    with connection.cursor() as cur:
        cur.execute(_SALES_SQL, {"event_id": event_id})
        rows = cur.fetchall()
    if not rows:
        return None
    zones = [
        {"zone_id": r[1], "zone": r[2], **dict(zip(SALES_COUNTS, r[3:8]))}
        for r in rows
        if r[1] is not None  # an event without zones yields one all-NULL row
    ]
    totals = {k: sum(z[k] for z in zones) for k in SALES_COUNTS}
    return {"event_id": event_id, "zones": zones, "totals": totals}


def hold_ever_existed(hold_id: str) -> bool:
    """True when a hold with this id was ever taken (its `held` ledger entries outlive its rows).
    Uses the partial expression index ledger_held_hold_id_idx (migration 0006)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT 1 FROM tickets_ledgerentry WHERE action = 'held' AND (metadata ->> 'hold_id') = %s LIMIT 1",
            [hold_id],
        )
        return cur.fetchone() is not None
