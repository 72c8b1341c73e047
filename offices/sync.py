"""Applying the sales a box office uploads (POST /api/v1/offices/{id}/sync): each in its own
transaction with its ledger entry, idempotent by `sale_id`; a refused sale is kept as evidence and
raises an `office_conflict` alert, because the office took money for it (docs/adr/0013). Split
from offices/services.py, which re-exports these names: it is the same front door."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from alerts.services import clock, raise_alert
from alerts.texts import AlertText, lower_first
from alerts.vocabulary import AlertKind
from core import live_messages
from core.errors import InvalidInput, interpolate
from core.live import publish_on_commit
from offices import selectors
from offices.models import Office, OfficeAssignment, OfficeSale
from offices.vocabulary import SaleReason, SaleResult
from tickets.models import SaleChannel, Ticket
from tickets.services import append_sold_ledger, mark_sold

log = logging.getLogger(__name__)

MAX_SALES_PER_SYNC = 5000
TICKET_ID_MAX_LENGTH = 48


@dataclass(frozen=True)
class SaleIn:
    sale_id: uuid.UUID
    ticket_id: str
    sold_at: datetime
    buyer: dict | None = None
    payment_method: str | None = None  # offices.vocabulary.PaymentMethod, as the clerk recorded it


@dataclass(frozen=True)
class SyncResult:
    office_id: str
    results: list[dict]
    accepted: int
    rejected: int


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
        result=response["result"], reason=reason, sold_at=sale.sold_at, buyer=sale.buyer,
        payment_method=sale.payment_method, response=response,
    )
    if reason is None:
        # At the zone's price when the sale is applied (the upload carries no price).
        sold = mark_sold([ticket["pk"]], channel=SaleChannel.BOX_OFFICE)
        append_sold_ledger(sold, {
            "channel": "office", "office_id": office.office_id, "sale_id": str(sale.sale_id),
            "sold_at": sale.sold_at.isoformat(), "buyer": sale.buyer, "payment_method": sale.payment_method,
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
