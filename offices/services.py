"""The only code that creates offline offices, assigns tickets to them, returns them online and
applies the sales they upload. Each function runs in one transaction with its ledger entries;
PostgreSQL (offices/migrations/0002) enforces the rules these functions explain in friendly
terms. Design and the money side: docs/adr/0013-offline-office-money.md."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alerts.services import clock, raise_alert
from alerts.texts import AlertText, lower_first
from alerts.vocabulary import AlertKind
from core import live_messages
from core.errors import DomainError, InvalidInput, NotFound, SeatsUnavailable, interpolate
from core.live import publish_on_commit
from devices.services import create_device
from devices.vocabulary import DeviceRole
from events.models import Event
from offices import selectors
from offices.models import Office, OfficeAssignment, OfficeSale
from offices.vocabulary import SaleReason, SaleResult
from tickets.models import SaleChannel, Ticket
from tickets.services import append_ledger, append_sold_ledger, mark_sold

log = logging.getLogger(__name__)

MAX_TICKETS_PER_CALL = 5000
MAX_SALES_PER_SYNC = 5000
TICKET_ID_MAX_LENGTH = 48


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


@dataclass(frozen=True)
class SaleIn:
    sale_id: uuid.UUID
    ticket_id: str
    sold_at: datetime
    buyer: dict | None = None


@dataclass(frozen=True)
class SyncResult:
    office_id: str
    results: list[dict]
    accepted: int
    rejected: int


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
        pairing = create_device(event_id=event_id, name=f"Office {name}"[:100], checkpoint_id=None, role=DeviceRole.OFFICE)
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


def sync_sales(*, office: Office, sales: list[SaleIn]) -> SyncResult:
    """Apply an office's uploaded sales: in `sold_at` order (the office's clock), each in its own
    transaction, answered in request order. Idempotent by sale_id: a known sale_id replays the
    stored answer and writes nothing. Every rejected sale raises an `office_conflict` alert (the
    office has taken money for it)."""
    if len(sales) > MAX_SALES_PER_SYNC:
        raise InvalidInput(interpolate(_("At most %(count)d sales per sync."), count=MAX_SALES_PER_SYNC),
                           fields={"sales": [interpolate(_("At most %(count)d sales."), count=MAX_SALES_PER_SYNC)]})
    results: list[dict | None] = [None] * len(sales)
    order = sorted(range(len(sales)), key=lambda i: (sales[i].sold_at, i))
    accepted = rejected = 0
    for i in order:
        response, fresh = _apply_sale(office, sales[i])
        results[i] = response
        if fresh:
            accepted += response["result"] == SaleResult.ACCEPTED
            rejected += response["result"] == SaleResult.REJECTED
    return SyncResult(office_id=office.office_id, results=results, accepted=accepted, rejected=rejected)


def _sale_response(sale: SaleIn, reason: str | None, **extra) -> dict:
    return {"sale_id": str(sale.sale_id), "ticket_id": sale.ticket_id,
            "result": SaleResult.REJECTED if reason else SaleResult.ACCEPTED, "reason": reason, **extra}


def _replay(office: Office, sale: SaleIn) -> dict | None:
    row = OfficeSale.objects.filter(sale_id=sale.sale_id).values_list("office_id", "response").first()
    if row is None:
        return None
    if row[0] != office.office_id:
        # A sale_id is a UUID chosen by the office; another office's is not ours to replay.
        return _sale_response(sale, SaleReason.NOT_ASSIGNED, detail="sale_id already used by another office")
    return row[1]


def _apply_sale(office: Office, sale: SaleIn) -> tuple[dict, bool]:
    """Returns (answer, whether this call recorded it)."""
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _apply_sale_once(office, sale)
        except IntegrityError as exc:
            # A racing upload of the same sale_id (for another ticket) committed first, or a
            # trigger refused: nothing of ours was written; answer from what is recorded.
            log.warning("office sale %s: integrity error on attempt %s: %s", sale.sale_id, attempt,
                        str(exc).splitlines()[0])
            replay = _replay(office, sale)
            if replay is not None:
                return replay, False
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _apply_sale_once(office: Office, sale: SaleIn) -> tuple[dict, bool]:
    ticket = (Ticket.objects.select_for_update(no_key=True)
              .filter(event_id=office.event_id, ticket_id=sale.ticket_id)
              .values("pk", "ticket_id", "seat_id", "zone_id", "status").first())
    # After the ticket lock, so two racing uploads of one sale see each other.
    replay = _replay(office, sale)
    if replay is not None:
        return replay, False
    reason = None
    previously_assigned = False
    if ticket is None:
        reason = SaleReason.NOT_ASSIGNED
    else:
        owner = selectors.assignment_offices([ticket["pk"]]).get(ticket["pk"])
        if owner == office.office_id:
            if not ticket["status"]:
                reason = SaleReason.ALREADY_SOLD
        else:
            reason = SaleReason.ALREADY_SOLD if not ticket["status"] else SaleReason.NOT_ASSIGNED
            previously_assigned = OfficeAssignment.objects.filter(ticket_id=ticket["pk"],
                                                                  office_id=office.office_id).exists()
    response = _sale_response(sale, reason)
    OfficeSale.objects.create(
        sale_id=sale.sale_id, office=office, event_id=office.event_id,
        ticket_id=ticket["pk"] if ticket else None, ticket_ref=sale.ticket_id[:TICKET_ID_MAX_LENGTH],
        result=response["result"], reason=reason, sold_at=sale.sold_at, buyer=sale.buyer, response=response,
    )
    if reason is None:
        # At the zone's price when the sale is applied (the upload carries no price).
        sold = mark_sold([ticket["pk"]], channel=SaleChannel.BOX_OFFICE)
        append_sold_ledger(sold, {
            "channel": "office", "office_id": office.office_id, "sale_id": str(sale.sale_id),
            "sold_at": sale.sold_at.isoformat(), "buyer": sale.buyer,
        })
        publish_on_commit(office.event_id, live_messages.SalesChange(
            event_id=office.event_id, action="sold", office_id=office.office_id, tickets=[ticket["ticket_id"]]))
    else:
        raise_alert(
            event_id=office.event_id, kind=AlertKind.OFFICE_CONFLICT,
            # Why, in the words of the reason's label (people never read reason codes).
            message=(AlertText("office.refused_seat", office=office.name, seat=ticket["seat_id"],
                               at=clock(office.event_id, sale.sold_at, date=True),
                               why=lower_first(SaleReason(reason).label)) if ticket
                     else AlertText("office.refused_unknown", office=office.name,
                                    at=clock(office.event_id, sale.sold_at, date=True))),
            data={"office_id": office.office_id, "sale_id": str(sale.sale_id), "ticket_id": sale.ticket_id,
                  "seat_id": ticket["seat_id"] if ticket else None, "reason": reason,
                  "sold_at": sale.sold_at.isoformat(), "previously_assigned": previously_assigned},
            dedupe_key=f"office_conflict:{sale.sale_id}",
        )
    return response, True
