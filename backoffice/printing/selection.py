"""Which tickets a print covers, read for printing: only the columns a printed ticket shows,
streamed in print order (zone by zone as the event lists them, seat by seat); and the errors a
print request can meet."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import QuerySet

from core.errors import DomainError, InvalidInput, NotFound
from events.models import Event, Zone
from tickets.models import Ticket

# A list of ticket ids in a URL: thousands fit in no URL a proxy accepts. Larger selections
# print by zone, or from the admin's changelist action (no URL involved).
MAX_LISTED_TICKETS = 1000
TICKET_COLUMNS = ("ticket_id", "seat_number", "seat_row", "zone_id", "zone", "color", "reference")
_CHUNK = 2000


class EmptySelection(DomainError):
    code = "empty_selection"
    status = 400
    default_message = "Nothing to print: the selection is empty."


class UnknownTickets(DomainError):
    code = "unknown_tickets"
    status = 404
    default_message = "Some of the listed tickets are not tickets of this event."

    def __init__(self, tickets: list[str]):
        shown = sorted(tickets)
        super().__init__(f"Not tickets of this event: {', '.join(shown[:20])}{' …' if len(shown) > 20 else ''}.",
                         fields={"tickets": ["Not tickets of this event."]}, extra={"tickets": shown})


def event_or_404(event_id: str) -> Event:
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        raise NotFound("No such event.")
    return event


def parse_ticket_ids(raw: str | None) -> list[str] | None:
    """`tickets=<id,id,...>` as a list without repeats (order kept); None when not given."""
    if raw is None:
        return None
    ids = list(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    if len(ids) > MAX_LISTED_TICKETS:
        raise InvalidInput(f"At most {MAX_LISTED_TICKETS} tickets can be listed; print a whole zone instead.",
                           fields={"tickets": [f"At most {MAX_LISTED_TICKETS} ticket ids."]})
    if not ids:
        raise EmptySelection("The tickets list is empty.", fields={"tickets": ["List at least one ticket id."]})
    return ids


@dataclass
class TicketSelection:
    event: Event
    zones: dict[str, Zone]  # every zone of the event by zone_id, in the event's order
    count: int
    name: str  # for the file name: "all", "zone-A", "selection"
    _zone: str | None = None
    _pks: list[int] | None = field(default=None, repr=False)
    _queryset: QuerySet | None = field(default=None, repr=False)

    def rows(self) -> Iterator:
        """The tickets in print order, as named rows of TICKET_COLUMNS, read in chunks (a server-
        side cursor), so a whole event never sits in memory at once."""
        base = Ticket.objects.filter(event_id=self.event.event_id)
        if self._pks is not None:
            chosen = list(base.filter(pk__in=self._pks).values_list(*TICKET_COLUMNS, named=True))
            order = {zone_id: i for i, zone_id in enumerate(self.zones)}
            chosen.sort(key=lambda t: (order.get(t.zone_id, len(order)), t.zone_id, t.seat_number))
            yield from chosen
            return
        if self._queryset is not None:
            base = self._queryset.filter(event_id=self.event.event_id)
        zone_ids = [self._zone] if self._zone else list(self.zones)
        for zone_id in zone_ids:
            yield from (base.filter(zone_id=zone_id).order_by("seat_number", "id")
                        .values_list(*TICKET_COLUMNS, named=True).iterator(chunk_size=_CHUNK))


def select_tickets(*, event_id: str, zone: str | None = None, ticket_ids: list[str] | None = None,
                   queryset: QuerySet[Ticket] | None = None) -> TicketSelection:
    """The tickets to print: the whole event, one zone (`zone`, a zone_id), the listed
    `ticket_ids` (each must be a ticket of this event), or the event's tickets among a queryset
    (the admin's selection, however large)."""
    event = event_or_404(event_id)
    zones = {z.zone_id: z for z in Zone.objects.filter(event=event).order_by("position", "id")}
    if zone is not None and ticket_ids is not None:
        raise InvalidInput("Give zone or tickets, not both.",
                           fields={"zone": ["Leave out zone when listing tickets."]})
    tickets = Ticket.objects.filter(event=event)
    if ticket_ids is not None:
        found = dict(tickets.filter(ticket_id__in=ticket_ids).values_list("ticket_id", "pk"))
        missing = [t for t in ticket_ids if t not in found]
        if missing:
            raise UnknownTickets(missing)
        return TicketSelection(event=event, zones=zones, count=len(found), name="selection", _pks=list(found.values()))
    if queryset is not None:
        count = queryset.filter(event=event).count()
        if not count:
            raise EmptySelection("None of the selected tickets belongs to this event.")
        return TicketSelection(event=event, zones=zones, count=count, name="selection", _queryset=queryset)
    if zone is not None:
        if zone not in zones:
            raise InvalidInput("No such zone in this event.", fields={"zone": ["Unknown zone for this event."]})
        count = tickets.filter(zone_id=zone).count()
        if not count:
            raise EmptySelection("This zone has no tickets yet: generate the event's tickets first.")
        return TicketSelection(event=event, zones=zones, count=count, name=f"zone-{zone}", _zone=zone)
    count = tickets.count()
    if not count:
        raise EmptySelection("This event has no tickets yet: generate them first.")
    return TicketSelection(event=event, zones=zones, count=count, name="all")
