"""Read paths for offline offices: live holds among tickets, reconciliation numbers, the
tickets an office holds."""
from __future__ import annotations

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from offices.models import Office, OfficeAssignment
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
