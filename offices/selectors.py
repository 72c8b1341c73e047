"""Read paths for offline offices: live holds among tickets, reconciliation numbers and money,
the tickets an office holds."""
from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from offices.models import Office, OfficeAssignment
from offices.vocabulary import KeptSaleState, SaleResult
from tickets.models import Ticket, TicketHold
from tickets.selectors import ClockTimestamp

RECONCILIATION_COUNTS = ("assigned", "sold", "returned", "outstanding", "rejected_sales")


def live_held_ticket_pks(ticket_pks: list[int]) -> set[int]:
    """Tickets among these in a live checkout hold, judged by the database clock at the moment
    the query runs (an expired, unswept hold does not count; see tickets/holds.py)."""
    if not ticket_pks:
        return set()
    return set(
        TicketHold.objects.filter(ticket_id__in=ticket_pks, locked_up__gt=ClockTimestamp())
        .values_list("ticket_id", flat=True)
    )


_RECONCILIATION_SQL = """
SELECT count(a.id) AS assigned,
       count(a.id) FILTER (WHERE a.returned_at IS NULL AND NOT t.status) AS sold,
       count(a.id) FILTER (WHERE a.returned_at IS NOT NULL) AS returned,
       count(a.id) FILTER (WHERE a.returned_at IS NULL AND t.status) AS outstanding,
       (SELECT count(*) FROM offices_officesale s WHERE s.office_id = %s AND s.result = 'rejected') AS rejected_sales
FROM offices_officeassignment a
JOIN tickets_ticket t ON t.id = a.ticket_id
WHERE a.office_id = %s
"""


def reconciliation_counts(office_id: str) -> dict:
    """One query. assigned == sold + returned + outstanding always: an assignment is either closed
    (returned online unsold), or open with its ticket sold (only the office can sell it, by
    trigger), or open and unsold. `rejected_sales` are sales the office made that the server
    refused (money taken without a valid ticket; docs/adr/0013)."""
    with connection.cursor() as cur:
        cur.execute(_RECONCILIATION_SQL, [office_id, office_id])
        row = cur.fetchone()
    return dict(zip(RECONCILIATION_COUNTS, row))


def office_tickets(office: Office) -> QuerySet:
    """The tickets currently assigned to the office (sold or not), oldest first."""
    open_assignment = OfficeAssignment.objects.filter(ticket_id=OuterRef("pk"), office_id=office.office_id,
                                                      returned_at__isnull=True)
    return Ticket.objects.filter(event_id=office.event_id).filter(Exists(open_assignment))


def assignment_offices(ticket_pks: list[int]) -> dict[int, str]:
    """ticket pk -> the office holding its open assignment."""
    return dict(
        OfficeAssignment.objects.filter(ticket_id__in=ticket_pks, returned_at__isnull=True)
        .values_list("ticket_id", "office_id")
    )


# The money beside the counts (docs/adr/0013): what the office's accepted sales were sold for
# (the cash it should hand in), what its unsold seats are worth at today's prices, and the
# refused sales, each money taken for a seat the office could not sell, so a refund due. An
# upload carries no price, so a refused sale is valued at its seat's zone price today (a sale
# for a ticket id the server does not know has no zone, and is counted but not valued).
_MONEY_SQL = """
SELECT e.currency,
       coalesce(sum(t.price) FILTER (WHERE a.returned_at IS NULL AND NOT t.status), 0),
       coalesce(sum(z.price) FILTER (WHERE a.returned_at IS NULL AND t.status), 0),
       (SELECT coalesce(sum(rz.price), 0) FROM offices_officesale s
          JOIN tickets_ticket rt ON rt.id = s.ticket_id JOIN events_zone rz ON rz.id = rt.zone_ref_id
         WHERE s.office_id = o.office_id AND s.result = %(rejected)s),
       (SELECT count(*) FROM offices_officesale s
         WHERE s.office_id = o.office_id AND s.result = %(rejected)s AND s.ticket_id IS NULL)
FROM offices_office o
JOIN events_event e ON e.event_id = o.event_id
LEFT JOIN offices_officeassignment a ON a.office_id = o.office_id
LEFT JOIN tickets_ticket t ON t.id = a.ticket_id
LEFT JOIN events_zone z ON z.id = t.zone_ref_id
WHERE o.office_id = %(office)s
GROUP BY o.office_id, e.currency
"""
RECONCILIATION_MONEY = ("currency", "sold_amount", "outstanding_value", "refunds_due_amount", "refunds_unvalued")


def reconciliation_money(office_id: str) -> dict | None:
    """The office's money in its event's currency (Decimals), in one query; None for an unknown office."""
    with connection.cursor() as cur:
        cur.execute(_MONEY_SQL, {"office": office_id, "rejected": SaleResult.REJECTED.value})
        row = cur.fetchone()
    return dict(zip(RECONCILIATION_MONEY, row)) if row else None


# The office's sales by payment method (the end-of-shift screen of the box-office terminal):
# accepted sales at the price the ticket was sold for (the cash the till should hold for that
# method), refused sales valued like the refunds above (the seat's zone price today).
_PAYMENT_SQL = """
SELECT s.payment_method, s.result, count(*),
       coalesce(sum(CASE WHEN s.result = %(accepted)s THEN t.price ELSE z.price END), 0)
FROM offices_officesale s
LEFT JOIN tickets_ticket t ON t.id = s.ticket_id
LEFT JOIN events_zone z ON z.id = t.zone_ref_id
WHERE s.office_id = %(office)s
GROUP BY s.payment_method, s.result
"""


def payment_totals(office_id: str) -> dict[str | None, dict]:
    """payment method (None: not recorded) -> {"sold", "sold_amount", "refunds_due",
    "refunds_due_amount"} (counts and Decimals), one query."""
    totals: dict[str | None, dict] = {}
    with connection.cursor() as cur:
        cur.execute(_PAYMENT_SQL, {"office": office_id, "accepted": SaleResult.ACCEPTED.value})
        for method, result, count, amount in cur.fetchall():
            row = totals.setdefault(method, {"sold": 0, "sold_amount": Decimal(0), "refunds_due": 0,
                                             "refunds_due_amount": Decimal(0)})
            key = "sold" if result == SaleResult.ACCEPTED else "refunds_due"
            row[key] += count
            row[f"{key}_amount"] += amount
    return totals


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def office_money(office_id: str) -> dict:
    """The money side of an office's reconciliation as JSON (GET /api/v1/offices/{id}, `money`):
    what its accepted sales were sold for and the refunds due, in total and by payment method
    (`cash`, `card`, and null for sales uploaded without one)."""
    money = reconciliation_money(office_id) or {"currency": None, "sold_amount": Decimal(0),
                                                "refunds_due_amount": Decimal(0)}
    methods = payment_totals(office_id)
    return {
        "currency": money["currency"],
        "sold_amount": _money(money["sold_amount"]),
        "refunds_due_amount": _money(money["refunds_due_amount"]),
        "payment_methods": [
            {"payment_method": method, "sold": row["sold"], "sold_amount": _money(row["sold_amount"]),
             "refunds_due": row["refunds_due"], "refunds_due_amount": _money(row["refunds_due_amount"])}
            for method, row in sorted(methods.items(), key=lambda item: (item[0] is None, item[0] or ""))
        ],
    }


def kept_sales(office_id: str) -> list[dict]:
    """The office's kept sales, oldest first, each with `state` (KeptSaleState) judged against the
    tickets, assignments and uploaded sales as they are now; three queries."""
    from offices.models import KeptOfficeSale, OfficeSale

    rows = list(KeptOfficeSale.objects.filter(office_id=office_id).select_related("ticket").order_by("sold_at", "id"))
    pks = [r.ticket_id for r in rows if r.ticket_id]
    owners = assignment_offices(pks)
    recorded = dict(OfficeSale.objects.filter(sale_id__in=[r.sale_id for r in rows]).values_list("sale_id", "result"))
    sold_here = set(OfficeSale.objects.filter(ticket_id__in=pks, office_id=office_id, result=SaleResult.ACCEPTED)
                    .values_list("ticket_id", flat=True))
    out = []
    for row in rows:
        ticket = row.ticket
        if row.sale_id in recorded:
            state = KeptSaleState.RECORDED
        elif ticket is None:
            state = KeptSaleState.UNKNOWN
        elif not ticket.status:
            state = KeptSaleState.SOLD_HERE if ticket.pk in sold_here else KeptSaleState.SOLD_ELSEWHERE
        elif owners.get(ticket.pk) != office_id:
            state = KeptSaleState.NOT_ASSIGNED
        else:
            state = KeptSaleState.FREE_HERE
        out.append({"sale": row, "seat": ticket.seat_id if ticket else row.seat_ref, "state": state,
                    "recorded_result": recorded.get(row.sale_id), "conflict": state != KeptSaleState.FREE_HERE
                    and state != KeptSaleState.RECORDED})
    return out
