"""The only code that creates offline offices, assigns tickets to them, returns them online and
applies the sales they upload (the sync lives in offices/sync.py; its names are re-exported
here). Each function runs in one transaction with its ledger entries;
PostgreSQL (offices/migrations/0002) enforces the rules these functions explain in friendly
terms. Design and the money side: docs/adr/0013-offline-office-money.md."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import live_messages
from core.errors import DomainError, InvalidInput, NotFound, SeatsUnavailable, interpolate
from core.live import publish_on_commit
from devices.services import create_device
from devices.vocabulary import DeviceRole
from events.models import Event
from offices import selectors
from offices.models import Office, OfficeAssignment
from offices.sync import MAX_SALES_PER_SYNC, TICKET_ID_MAX_LENGTH, SaleIn, SyncResult, sync_sales  # noqa: F401
from tickets.models import Ticket
from tickets.services import append_ledger

log = logging.getLogger(__name__)

MAX_TICKETS_PER_CALL = 5000


class NotAssigned(DomainError):
    code = "not_assigned"
    default_message = "Some of the tickets are not assigned to this office."

    def __init__(self, tickets: list[str], message: str | None = None):
        super().__init__(message, extra={"tickets": sorted(tickets)})


@dataclass(frozen=True)
class OfficeCreated:
    office: Office
    pairing_code: str
    pairing_expires_at: datetime


@dataclass(frozen=True)
class AssignResult:
    office_id: str
    event_id: str
    assigned: list[str]


@dataclass(frozen=True)
class UnassignResult:
    office_id: str
    event_id: str
    returned: list[str]
    sold: list[str]  # assigned to the office and sold by it: they stay with the office


def _check_ticket_ids(ticket_ids) -> list[str]:
    if not isinstance(ticket_ids, list) or not ticket_ids:
        raise InvalidInput(_("tickets must be a non-empty list of ticket ids."), fields={"tickets": [_("Must be a non-empty list.")]})
    if len(ticket_ids) > MAX_TICKETS_PER_CALL:
        raise InvalidInput(interpolate(_("At most %(count)d tickets per call."), count=MAX_TICKETS_PER_CALL),
                           fields={"tickets": [interpolate(_("At most %(count)d tickets."), count=MAX_TICKETS_PER_CALL)]})
    if not all(isinstance(t, str) and 0 < len(t) <= TICKET_ID_MAX_LENGTH for t in ticket_ids):
        raise InvalidInput(_("Each ticket id must be a non-empty string."), fields={"tickets": [_("Must be ticket id strings.")]})
    if len(set(ticket_ids)) != len(ticket_ids):
        raise InvalidInput(_("A ticket appears twice in the list."), fields={"tickets": [_("Duplicate ticket ids.")]})
    return ticket_ids


def create_office(*, event_id: str, name: str) -> OfficeCreated:
    """An office and its own `office` device (no checkpoint); the office pairs with the returned
    one-time code through POST /api/v1/devices/pair."""
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise InvalidInput(_("name must be a non-empty string of at most 100 characters."),
                           fields={"name": [_("Required, at most 100 characters.")]})
    with transaction.atomic():
        if not Event.objects.filter(pk=event_id).exists():
            raise NotFound(_("No such event."))
        pairing = create_device(event_id=event_id, name=name[:100], checkpoint_id=None, role=DeviceRole.OFFICE)
        office = Office.objects.create(event_id=event_id, name=name, device=pairing.device)
    return OfficeCreated(office=office, pairing_code=pairing.pairing_code, pairing_expires_at=pairing.pairing_expires_at)


def rename_office(*, office_id: str, name: str) -> Office:
    """The only field staff edit on an office (admin)."""
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise InvalidInput(_("name must be a non-empty string of at most 100 characters."))
    with transaction.atomic():
        office = Office.objects.select_for_update().filter(pk=office_id).first()
        if office is None:
            raise NotFound(_("No such office."))
        office.name = name.strip()
        office.save(update_fields=["name"])
    return office


def _office(office_id: str, *, lock: bool = False) -> Office:
    qs = Office.objects.select_related("event")
    if lock:
        qs = qs.select_for_update(of=("self",))
    office = qs.filter(pk=office_id).first()
    if office is None:
        raise NotFound(_("No such office."))
    return office


def assign_tickets(*, office_id: str, ticket_ids: list[str], actor: str = "") -> AssignResult:
    """Hand tickets to an office, all or nothing: 409 seats_unavailable listing every ticket that
    is unknown in the office's event, sold, in a live hold or already assigned to an office."""
    _check_ticket_ids(ticket_ids)
    with transaction.atomic():
        office = _office(office_id)
        # Same lock as the holds module (tickets by id, FOR NO KEY UPDATE): a hold and an
        # assignment of one seat serialise, and cannot deadlock each other.
        rows = list(
            Ticket.objects.select_for_update(no_key=True)
            .filter(event_id=office.event_id, ticket_id__in=ticket_ids)
            .order_by("id")
            .values_list("pk", "ticket_id", "status", "status_offline")
        )
        found = {r[1] for r in rows}
        unavailable = {t for t in ticket_ids if t not in found}
        unavailable |= {r[1] for r in rows if not r[2] or r[3]}
        held = selectors.live_held_ticket_pks([r[0] for r in rows])
        unavailable |= {r[1] for r in rows if r[0] in held}
        if unavailable:
            raise SeatsUnavailable(sorted(unavailable))
        pks = [r[0] for r in rows]
        try:
            with transaction.atomic():
                OfficeAssignment.objects.bulk_create(
                    [OfficeAssignment(office_id=office.office_id, event_id=office.event_id, ticket_id=pk,
                                      assigned_by=actor[:150]) for pk in pks])
                Ticket.objects.filter(pk__in=pks).update(status_offline=True, updated_at=timezone.now())
        except IntegrityError as exc:
            # Only reachable if something bypassed the checks above; the database refused it.
            log.warning("assignment refused by the database: %s", str(exc).splitlines()[0])
            raise SeatsUnavailable(sorted(ticket_ids))
        append_ledger(pks, "offline", {"office_id": office.office_id, "by": actor})
        publish_on_commit(office.event_id, live_messages.SalesChange(
            event_id=office.event_id, action="offline", office_id=office.office_id, tickets=sorted(found)))
    return AssignResult(office_id=office.office_id, event_id=office.event_id, assigned=[r[1] for r in rows])


def unassign_tickets(*, office_id: str, ticket_ids: list[str], actor: str = "") -> UnassignResult:
    """Return an office's unsold tickets online (ledger `unassign`, status_offline false). Tickets
    the office has sold stay with it and are listed in `sold`. All or nothing: 409 not_assigned
    listing every ticket that is not assigned to this office."""
    _check_ticket_ids(ticket_ids)
    with transaction.atomic():
        office = _office(office_id)
        rows = list(
            Ticket.objects.select_for_update(no_key=True)
            .filter(event_id=office.event_id, ticket_id__in=ticket_ids)
            .order_by("id")
            .values_list("pk", "ticket_id", "status")
        )
        owner = selectors.assignment_offices([r[0] for r in rows])
        not_assigned = {t for t in ticket_ids if t not in {r[1] for r in rows}}
        not_assigned |= {r[1] for r in rows if owner.get(r[0]) != office.office_id}
        if not_assigned:
            raise NotAssigned(sorted(not_assigned))
        returning = [r for r in rows if r[2]]
        sold = [r[1] for r in rows if not r[2]]
        pks = [r[0] for r in returning]
        if pks:
            now = timezone.now()
            OfficeAssignment.objects.filter(ticket_id__in=pks, office_id=office.office_id,
                                            returned_at__isnull=True).update(returned_at=now, returned_by=actor[:150])
            Ticket.objects.filter(pk__in=pks).update(status_offline=False, updated_at=now)
            append_ledger(pks, "unassign", {"office_id": office.office_id, "by": actor})
            publish_on_commit(office.event_id, live_messages.SalesChange(
                event_id=office.event_id, action="unassign", office_id=office.office_id,
                tickets=[r[1] for r in returning]))
    return UnassignResult(office_id=office.office_id, event_id=office.event_id, returned=[r[1] for r in returning],
                          sold=sold)


