"""Read paths for tickets."""
from __future__ import annotations

from django.db.models import QuerySet

from tickets.models import Ticket


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
    """The live checkout hold on this ticket, if any. Holds arrive with the virtual office
    (tickets.TicketHold); until that model exists no ticket can be held."""
    try:
        from tickets.models import TicketHold  # noqa: F401
    except ImportError:
        return None
    from tickets.holds import live_hold_id

    return live_hold_id(ticket.pk)
