"""A revoked box office's kept sales, handed in by staff as the file its terminal offers
(static/office/app.js, "Download the kept sales"): stored as quarantined evidence, never applied.

The API refuses every request of a revoked office's token (shared/API.md "Conventions"), so the
terminal cannot upload these sales itself; a person with a staff session brings the file to the
office's admin page instead. The file is checked whole before anything is written: one bad sale
refuses the file and writes nothing. Nothing here sells a ticket, writes the ledger or raises an
alert: the evidence is shown on the office's page with what each sale would mean today
(offices.selectors.kept_sales), and staff decide. PostgreSQL (offices/migrations/0005) refuses
evidence for an office whose terminal works, and any change to it. docs/adr/0031."""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, InvalidInput, NotFound, interpolate
from offices.models import KeptOfficeSale, Office
from offices.sync import MAX_SALES_PER_SYNC, TICKET_ID_MAX_LENGTH
from offices.vocabulary import PaymentMethod
from tickets.models import Ticket

MAX_FILE_BYTES = 5 * 1024 * 1024
FILE_KIND = "ticketcore.office.kept_sales"  # written by static/office/app.js (exportKept)
BUYER_FIELDS = {"name": 100, "email": 200, "phone": 40}


class OfficeNotRevoked(DomainError):
    code = "office_not_revoked"
    default_message = _("This box office's terminal is not revoked: it uploads its sales by itself.")


@dataclass(frozen=True)
class KeptSalesRecorded:
    office_id: str
    recorded: int  # new evidence rows
    already_recorded: int  # sale_ids handed in before (the same file twice writes nothing new)


def _bad(message, **params) -> InvalidInput:
    return InvalidInput(interpolate(message, **params) if params else message)


def _parse_file(data: bytes) -> dict:
    if len(data) > MAX_FILE_BYTES:
        raise _bad(_("The file is larger than %(size)d MB: it is not a box office's kept sales."),
                   size=MAX_FILE_BYTES // (1024 * 1024))
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _bad(_("This file is not the kept sales file of a box office terminal (it is not JSON)."))
    if not isinstance(document, dict) or not isinstance(document.get("sales"), list) \
            or not isinstance(document.get("office"), dict):
        raise _bad(_("This file is not the kept sales file of a box office terminal."))
    if document.get("kind", FILE_KIND) != FILE_KIND:
        raise _bad(_("This file is not the kept sales file of a box office terminal."))
    return document


def _check_sale(n: int, raw) -> dict:
    """One sale of the file, checked; `n` counts from 1 for the message."""
    if not isinstance(raw, dict) or "\\u0000" in json.dumps(raw):
        # (PostgreSQL stores no NUL character in text or JSON: refused here, not as a 500.)
        raise _bad(_("Sale %(n)d of the file is not a sale."), n=n)
    try:
        sale_id = uuid.UUID(str(raw.get("sale_id")))
    except ValueError:
        raise _bad(_("Sale %(n)d of the file has no valid sale id."), n=n)
    ticket_id = raw.get("ticket_id")
    if not isinstance(ticket_id, str) or not 0 < len(ticket_id) <= TICKET_ID_MAX_LENGTH:
        raise _bad(_("Sale %(n)d of the file has no valid ticket id."), n=n)
    try:
        sold_at = parse_datetime(raw["sold_at"]) if isinstance(raw.get("sold_at"), str) else None
    except ValueError:  # the shape of a date, not a real one (month 13)
        sold_at = None
    if sold_at is None or sold_at.tzinfo is None:
        raise _bad(_("Sale %(n)d of the file has no valid time of sale."), n=n)
    method = raw.get("payment_method")
    if method is not None and method not in PaymentMethod.values:
        raise _bad(_("Sale %(n)d of the file has an unknown payment method."), n=n)
    price = raw.get("price")
    if price is not None:
        try:
            price = Decimal(str(price))
        except InvalidOperation:
            price = None
        if price is None or not price.is_finite() or price < 0 or price >= Decimal("1e8"):
            raise _bad(_("Sale %(n)d of the file has an amount that is not a price."), n=n)
        price = price.quantize(Decimal("0.01"))
    buyer = raw.get("buyer")
    if buyer is not None and not (isinstance(buyer, dict) and all(
            k in BUYER_FIELDS and isinstance(v, str) and len(v) <= BUYER_FIELDS[k] for k, v in buyer.items())):
        raise _bad(_("Sale %(n)d of the file has buyer details that are not a name, email and phone."), n=n)
    seat = raw.get("seat_id") if isinstance(raw.get("seat_id"), str) else ""
    currency = raw.get("currency") if isinstance(raw.get("currency"), str) else ""
    return {"sale_id": sale_id, "ticket_ref": ticket_id, "sold_at": sold_at, "payment_method": method,
            "price": price, "buyer": buyer or None, "seat_ref": seat[:32], "currency": currency[:3]}


def record_kept_sales(*, office_id: str, data: bytes, file_name: str, uploaded_by: str) -> KeptSalesRecorded:
    """Store the sales of a revoked office's kept sales file as evidence, all or nothing.
    Raises InvalidInput (a bad file: nothing written), NotFound, OfficeNotRevoked."""
    document = _parse_file(data)
    sales = document["sales"]
    if not sales:
        raise _bad(_("The file holds no sale: there is nothing to keep."))
    if len(sales) > MAX_SALES_PER_SYNC:
        raise _bad(_("The file holds more than %(count)d sales."), count=MAX_SALES_PER_SYNC)
    checked = [_check_sale(n, raw) for n, raw in enumerate(sales, start=1)]
    if len({s["sale_id"] for s in checked}) != len(checked):
        raise _bad(_("The file holds the same sale twice."))
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        # The office row locked: two hand-ins of one file do not race on the same sale_ids.
        office = Office.objects.select_for_update(of=("self",)).select_related("device").filter(pk=office_id).first()
        if office is None:
            raise NotFound(_("No such office."))
        if document["office"].get("office_id") != office.office_id:
            raise _bad(_("This file comes from another box office (%(name)s), not from %(office)s."),
                       name=str(document["office"].get("name") or document["office"].get("office_id") or "?")[:100],
                       office=office.name)
        if document.get("device_id") not in (None, office.device_id):
            raise _bad(_("This file comes from another terminal than %(office)s's."), office=office.name)
        if office.device.revoked_at is None:
            raise OfficeNotRevoked()
        known = set(KeptOfficeSale.objects.filter(sale_id__in=[s["sale_id"] for s in checked])
                    .values_list("sale_id", flat=True))
        fresh = [s for s in checked if s["sale_id"] not in known]
        tickets = dict(Ticket.objects.filter(event_id=office.event_id, ticket_id__in={s["ticket_ref"] for s in fresh})
                       .values_list("ticket_id", "pk"))
        KeptOfficeSale.objects.bulk_create([
            KeptOfficeSale(office=office, event_id=office.event_id, ticket_id=tickets.get(s["ticket_ref"]),
                           device_id=office.device_id, file_name=file_name.replace("\x00", "")[:200], file_sha256=digest,
                           uploaded_by=uploaded_by[:150], **s)
            for s in fresh])
    return KeptSalesRecorded(office_id=office.office_id, recorded=len(fresh), already_recorded=len(known))

