"""Read paths for tickets and checkout holds."""
from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from tickets import references
from tickets.models import SaleChannel, Ticket, TicketHold, TicketState


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


# --------------------------------------------------------------------------- the ticket's state
# The one definition of the state people see (docs/adr/0024). Each state is the set of facts that
# must hold; "held" is a live checkout hold (judged at the statement's start, like the seats list
# and the sales counts). Given the CHECKs on the ticket (inside implies scanned, scanned implies
# sold), exactly one rule matches any ticket: tests/tickets/test_ticket_state.py runs every
# combination through both evaluators below, the SQL one and the Python one.
STATE_RULES: tuple[tuple[TicketState, dict[str, bool]], ...] = (
    (TicketState.INSIDE, {"access_entry": True}),
    (TicketState.OUT, {"access_status": True, "access_entry": False}),
    (TicketState.SOLD, {"status": False, "access_status": False}),
    (TicketState.BOX_OFFICE, {"status": True, "status_offline": True}),
    (TicketState.HELD, {"status": True, "status_offline": False, "held": True}),
    (TicketState.AVAILABLE, {"status": True, "status_offline": False, "held": False}),
)


def live_hold() -> Exists:
    """Whether the outer ticket is in a live checkout hold (a correlated EXISTS on the unique
    `one_hold_per_ticket` index)."""
    return Exists(TicketHold.objects.filter(ticket_id=OuterRef("pk"), locked_up__gt=StatementTimestamp()))


def state_condition(state: TicketState | str) -> Q:
    """The rule for one state as a queryset condition: `Ticket.objects.filter(state_condition("out"))`."""
    facts = dict(STATE_RULES)[TicketState(state)]
    condition = Q(**{k: v for k, v in facts.items() if k != "held"})
    if "held" in facts:
        condition &= Q(live_hold()) if facts["held"] else ~Q(live_hold())
    return condition


def state_expression() -> Case:
    """The state as an SQL expression: `qs.annotate(state=state_expression())`."""
    return Case(*[When(state_condition(state), then=Value(state.value)) for state, _ in STATE_RULES],
                output_field=CharField())


def with_state(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return qs.annotate(state=state_expression())


def state_of(ticket: Ticket, *, held: bool | None = None) -> TicketState:
    """The state of one ticket already in memory (an annotated `state` wins). Asks the database
    for a live hold only when the ticket is unsold and not at a box office, and only if `held`
    is not given."""
    annotated = getattr(ticket, "state", None)
    if annotated:
        return TicketState(annotated)
    for state, facts in STATE_RULES:
        if "held" in facts and held is None:
            held = active_hold_id(ticket) is not None
        if all((held if k == "held" else getattr(ticket, k)) == v for k, v in facts.items()):
            return state
    raise AssertionError(f"no state rule matches ticket {ticket.ticket_id}")  # the CHECKs rule it out


def tickets_for_event(event_id: str, *, zone: str | None = None, status: bool | None = None,
                      access_status: bool | None = None, state: str | None = None) -> QuerySet[Ticket]:
    """An event's tickets, annotated with `state`, filtered by any of the given fields."""
    qs = with_state(Ticket.objects.filter(event_id=event_id))
    if zone:
        qs = qs.filter(zone_id=zone)
    if status is not None:
        qs = qs.filter(status=status)
    if access_status is not None:
        qs = qs.filter(access_status=access_status)
    if state:
        qs = qs.filter(state_condition(state))
    return qs


def find_ticket(event_id: str, q: str) -> Ticket | None:
    """The event's ticket that a person named by ticket_id, seat_id (`A-12`) or reference (any
    case, spaces and dashes ignored: `kd7h-x3rf`), for the lookup and manual admission. An exact
    ticket_id or seat_id wins over a reference. Each try is one indexed query."""
    if not isinstance(q, str) or not q.strip() or len(q) > 64:
        return None
    q = q.strip()
    qs = Ticket.objects.filter(event_id=event_id)
    ticket = qs.filter(Q(ticket_id=q) | Q(seat_id=q)).first()
    if ticket is None and (reference := references.normalize(q)) is not None:
        ticket = qs.filter(reference=reference).first()
    return ticket


def active_hold_id(ticket: Ticket) -> str | None:
    """The live checkout hold on this ticket, if any (an expired, unswept hold does not count)."""
    return (
        TicketHold.objects.filter(ticket_id=ticket.pk, locked_up__gt=ClockTimestamp())
        .values_list("hold_id", flat=True)
        .first()
    )


SEAT_FIELDS = ("id", "ticket_id", "seat_id", "zone_id", "zone", "color", "seat_row", "available", "state")


def seats_for_event(event_id: str, *, zone: str | None = None, available: bool | None = None) -> QuerySet:
    """Seats of an event as dicts with `available` (unsold, not assigned to an office, no live
    hold) and `state` (why not: held, box_office, sold...; a seat picker shows a held seat, which
    may come free, apart from a sold one). One SQL query per page: availability is a correlated
    EXISTS on the unique hold index, judged at the statement's start for both fields."""
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
    return qs.annotate(state=state_expression()).values(*SEAT_FIELDS)


# Tickets are counted per zone first (one pass over the event's tickets, hash-joined to the few
# hold rows), then attached to the zones, so zones without tickets yet still show with zeros.
# Revenue is the sum of the prices tickets were sold at (Ticket.price), per channel too; the
# channel columns come from SaleChannel, the one list of channels.
_CHANNEL_SQL = "".join(
    f",\n           count(*) FILTER (WHERE t.channel = '{c}') AS sold_{c},"
    f"\n           coalesce(sum(t.price) FILTER (WHERE t.channel = '{c}'), 0) AS revenue_{c}"
    for c in SaleChannel.values
)
_SALES_SQL = f"""
WITH counts AS (
    SELECT t.zone_ref_id,
           count(*) AS seats,
           count(*) FILTER (WHERE t.status AND NOT t.status_offline AND h.ticket_id IS NULL) AS available,
           count(*) FILTER (WHERE t.status AND NOT t.status_offline AND h.ticket_id IS NOT NULL) AS held,
           count(*) FILTER (WHERE NOT t.status) AS sold,
           count(*) FILTER (WHERE t.status AND t.status_offline) AS offline,
           coalesce(sum(t.price) FILTER (WHERE NOT t.status), 0) AS revenue{_CHANNEL_SQL}
    FROM tickets_ticket t
    LEFT JOIN tickets_blocked h ON h.ticket_id = t.id AND h.locked_up > statement_timestamp()
    WHERE t.event_id = %(event_id)s
    GROUP BY t.zone_ref_id
)
SELECT e.event_id, e.currency, z.zone_id, z.name, coalesce(c.seats, 0), coalesce(c.available, 0),
       coalesce(c.held, 0), coalesce(c.sold, 0), coalesce(c.offline, 0), coalesce(c.revenue, 0),
       {", ".join(f"coalesce(c.sold_{c}, 0), coalesce(c.revenue_{c}, 0)" for c in SaleChannel.values)}
FROM events_event e
LEFT JOIN events_zone z ON z.event_id = e.event_id
LEFT JOIN counts c ON c.zone_ref_id = z.id
WHERE e.event_id = %(event_id)s
ORDER BY z.position, z.id
"""

SALES_COUNTS = ("seats", "available", "held", "sold", "offline")
SALES_CHANNELS = tuple(SaleChannel.values)


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _sales_row(counts, revenue, per_channel) -> dict:
    return {
        **dict(zip(SALES_COUNTS, counts)),
        "revenue": _money(revenue),
        "channels": {c: {"sold": sold, "revenue": _money(rev)} for c, (sold, rev) in zip(SALES_CHANNELS, per_channel)},
    }


def sales_status(event_id: str) -> dict | None:
    """Live sales counts and money per zone from one aggregate query; None for an unknown event.

    The four states are mutually exclusive by construction (sold, else offline, else held by a
    live hold, else available), so available + held + sold + offline == seats in every row. An
    expired hold that the sweep has not deleted yet counts as available. `revenue` is what the
    sold tickets were sold for, in the event's `currency`; `channels` splits sold and revenue by
    how the tickets were sold (a sale recorded before channels existed is in no channel only if
    the database had no trace of it, tickets/migrations/0010)."""
    with connection.cursor() as cur:
        cur.execute(_SALES_SQL, {"event_id": event_id})
        return sales_from_rows(event_id, cur.fetchall())


def sales_from_rows(event_id: str, rows: list) -> dict | None:
    """The sales shape from per-zone rows (currency, zone id and name, the SALES_COUNTS, revenue,
    then sold and revenue per SALES_CHANNELS): this module's query and the report's counters
    (backoffice/report_money.py) give the same rows."""
    if not rows:
        return None
    currency = rows[0][1]
    width = len(SALES_CHANNELS)
    zones = []
    totals_counts = [0] * len(SALES_COUNTS)
    totals_revenue = Decimal("0")
    totals_channels = [[0, Decimal("0")] for _ in range(width)]
    for r in rows:
        if r[2] is None:  # an event without zones yields one all-NULL row
            continue
        counts, revenue, flat = r[4:9], r[9], r[10:]
        per_channel = [(flat[2 * i], flat[2 * i + 1]) for i in range(width)]
        zones.append({"zone_id": r[2], "zone": r[3], **_sales_row(counts, revenue, per_channel)})
        totals_counts = [a + b for a, b in zip(totals_counts, counts)]
        totals_revenue += revenue
        for i, (sold, rev) in enumerate(per_channel):
            totals_channels[i][0] += sold
            totals_channels[i][1] += rev
    totals = _sales_row(totals_counts, totals_revenue, totals_channels)
    return {"event_id": event_id, "currency": currency, "zones": zones, "totals": totals}


def hold_ever_existed(hold_id: str) -> bool:
    """True when a hold with this id was ever taken (its `held` ledger entries outlive its rows).
    Uses the partial expression index ledger_held_hold_id_idx (migration 0006)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT 1 FROM tickets_ledgerentry WHERE action = 'held' AND (metadata ->> 'hold_id') = %s LIMIT 1",
            [hold_id],
        )
        return cur.fetchone() is not None
