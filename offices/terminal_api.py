"""What the box-office terminal calls with its own device token: its stock (GET
/api/v1/offices/{id}/stock, offices/stock.py) and the upload of its offline sales (POST
/api/v1/offices/{id}/sync, offices/sync.py). Thin: parsing, then the selectors and services.
Design: docs/adr/0013-offline-office-money.md, docs/adr/0031-box-office-terminal.md."""
from __future__ import annotations

import uuid
from datetime import datetime
from datetime import timezone as dt_timezone

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from access.offline_api import _since as since_parameter
from core import schema
from core.errors import InvalidInput
from devices.auth import IsOfficeDevice
from devices.throttling import DeviceThrottle
from offices import services
from offices.api import office_for
from offices.stock import build_stock
from offices.vocabulary import PaymentMethod, SaleReason, SaleResult
from tickets.holds import check_buyer
from tickets.models import TicketState

SOLD_AT_EARLIEST = datetime(2000, 1, 1, tzinfo=dt_timezone.utc)
SOLD_AT_LATEST = datetime(2100, 1, 1, tzinfo=dt_timezone.utc)
MAX_FIELD_ERRORS = 50

SyncIn = inline_serializer("OfficeSyncIn", {"sales": inline_serializer("OfficeSaleIn", {
    "sale_id": serializers.UUIDField(), "ticket_id": serializers.CharField(), "sold_at": serializers.DateTimeField(),
    "buyer": serializers.DictField(required=False),
    "payment_method": serializers.ChoiceField(choices=PaymentMethod.choices, required=False, allow_null=True,
                                              help_text="how the buyer paid, as the clerk recorded it"),
}, many=True)})
SyncOut = inline_serializer("OfficeSyncOut", {"office_id": serializers.CharField(), "results": inline_serializer(
    "OfficeSaleResult", {
        "sale_id": serializers.UUIDField(), "ticket_id": serializers.CharField(),
        "result": serializers.ChoiceField(choices=SaleResult.choices),
        "reason": serializers.ChoiceField(choices=SaleReason.choices, allow_null=True),
    }, many=True)})



def _parse_sale(item, index: int, errors: dict) -> services.SaleIn | None:
    prefix = f"sales[{index}]"
    if not isinstance(item, dict):
        errors[prefix] = [_("Expected a JSON object.")]
        return None
    sale_id = ticket_id = sold_at = None
    raw_id = item.get("sale_id")
    try:
        sale_id = uuid.UUID(raw_id) if isinstance(raw_id, str) and len(raw_id) <= 64 else None
    except ValueError:
        pass
    if sale_id is None:
        errors[f"{prefix}.sale_id"] = [_("Required, a UUID string.")]
    ticket_id = item.get("ticket_id")
    if not isinstance(ticket_id, str) or not 0 < len(ticket_id) <= services.TICKET_ID_MAX_LENGTH or "\x00" in ticket_id:
        errors[f"{prefix}.ticket_id"] = [_("Required, a ticket id string.")]
    raw_at = item.get("sold_at")
    if isinstance(raw_at, str) and len(raw_at) <= 64:
        try:
            sold_at = parse_datetime(raw_at)
        except ValueError:
            sold_at = None
    if sold_at is None or sold_at.tzinfo is None:
        errors[f"{prefix}.sold_at"] = [_("Required, an ISO 8601 time with offset.")]
    elif not SOLD_AT_EARLIEST <= sold_at < SOLD_AT_LATEST:
        errors[f"{prefix}.sold_at"] = [_("Out of range.")]
    buyer = item.get("buyer")
    if buyer is not None:
        try:
            check_buyer(buyer)
        except InvalidInput as exc:
            errors[f"{prefix}.buyer"] = exc.fields.get("buyer", [exc.message])
    payment_method = item.get("payment_method")
    if payment_method is not None and payment_method not in PaymentMethod.values:
        errors[f"{prefix}.payment_method"] = [_("One of: %(values)s.") % {"values": ", ".join(PaymentMethod.values)}]
    if any(k.startswith(prefix) for k in errors):
        return None
    return services.SaleIn(sale_id=sale_id, ticket_id=ticket_id, sold_at=sold_at, buyer=buyer,
                           payment_method=payment_method)


class OfficeSyncView(APIView):
    permission_classes = [IsOfficeDevice]
    throttle_classes = [DeviceThrottle]

    @extend_schema(
        request=SyncIn, summary="Upload an office's offline sales (its own token; idempotent by sale_id)",
        description=(
            "A box office sells the tickets assigned to it while offline, then uploads its sales with its "
            "own device token (`Authorization: Device <token>`; another office's id is 404). Up to 5,000 "
            "sales a request, validated as a whole first (one malformed sale is a 400 naming it, e.g. "
            "`sales[2].sold_at`, and nothing is applied), then applied in `sold_at` order and answered in "
            "request order. A sale is `rejected` `not_assigned` (the ticket is not this office's) or "
            "`already_sold`; every rejected sale also raises an `office_conflict` alert, because the office "
            "has taken money for it. Idempotent by `sale_id`: a re-upload replays the stored answers."),
        responses={
            200: SyncOut,
            400: schema.error("A malformed sale; nothing applied.",
                              ("bad time", "invalid", "Invalid input: sales[2].sold_at: Required, an ISO 8601 time with offset.",
                               {"sales[2].sold_at": ["Required, an ISO 8601 time with offset."]})),
            401: schema.NOT_AUTHENTICATED, 429: schema.THROTTLED},
        examples=[
            OpenApiExample("two sales", request_only=True, value={"sales": [
                {"sale_id": "5d0b7e2a-8c41-4f9e-a3d6-1b2c9e7f4a85", "ticket_id": schema.TICKET_ID,
                 "sold_at": "2026-11-28T18:02:11+01:00", "buyer": {"name": "Ana García"}, "payment_method": "card"},
                {"sale_id": "c8e31f6b-27a9-4d05-9b1e-6f4a2d8c0e73", "ticket_id": f"{schema.EVENT_ID}-Lm3Zp8Qd2Rx6Wc9Tb1Vk",
                 "sold_at": "2026-11-28T18:04:55+01:00", "payment_method": "cash"}]}),
            OpenApiExample("one accepted, one already sold online", response_only=True, status_codes=["200"], value={
                "office_id": "ofB7x2Qm9Kd4Rt1W", "results": [
                    {"sale_id": "5d0b7e2a-8c41-4f9e-a3d6-1b2c9e7f4a85", "ticket_id": schema.TICKET_ID,
                     "result": "accepted", "reason": None},
                    {"sale_id": "c8e31f6b-27a9-4d05-9b1e-6f4a2d8c0e73",
                     "ticket_id": f"{schema.EVENT_ID}-Lm3Zp8Qd2Rx6Wc9Tb1Vk", "result": "rejected",
                     "reason": "already_sold"}]}),
        ],
    )
    def post(self, request, office_id: str):
        office = office_for(request, office_id)
        data = request.data
        sales = data.get("sales") if isinstance(data, dict) else None
        if not isinstance(sales, list):
            raise ValidationError({"sales": [_("Required, a list of sales.")]})
        if len(sales) > services.MAX_SALES_PER_SYNC:
            raise ValidationError({"sales": [_("At most %(count)d sales per request.") % {"count": services.MAX_SALES_PER_SYNC}]})
        errors: dict = {}
        parsed = []
        for i, item in enumerate(sales):
            parsed.append(_parse_sale(item, i, errors))
            if len(errors) >= MAX_FIELD_ERRORS:
                break
        if errors:
            raise ValidationError(errors)
        result = services.sync_sales(office=office, sales=parsed)
        return Response({"office_id": office.office_id, "results": result.results})




STOCK_TICKET_FIELDS = {
    "ticket_id": serializers.CharField(), "seat_id": serializers.CharField(), "zone_id": serializers.CharField(),
    "seat_number": serializers.IntegerField(), "seat_row": serializers.CharField(),
    "code": serializers.CharField(help_text="the signed QR payload: the terminal draws the buyer's QR from it"),
    "reference": serializers.CharField(help_text="the short code printed under the QR"),
    "state": serializers.CharField(help_text=f"one of {', '.join(TicketState.values)}: box_office is still for sale "
                                   "here; sold (inside, out) was sold by this office"),
    "price": serializers.CharField(allow_null=True, help_text="what it was sold for, once sold"),
}
StockOut = inline_serializer("OfficeStock", {
    "version": serializers.IntegerField(help_text="ask `?since=` this next time"),
    "since": serializers.IntegerField(allow_null=True), "full": serializers.BooleanField(),
    "office": inline_serializer("OfficeStockOffice", {"office_id": serializers.CharField(),
                                                       "name": serializers.CharField()}),
    "event": inline_serializer("OfficeStockEvent", {
        "event_id": serializers.CharField(), "name": serializers.CharField(), "venue": serializers.CharField(),
        "date_start": serializers.DateTimeField(), "date_end": serializers.DateTimeField(),
        "timezone": serializers.CharField(), "currency": serializers.CharField(), "language": serializers.CharField()}),
    "zones": inline_serializer("OfficeStockZone", {
        "zone_id": serializers.CharField(), "name": serializers.CharField(), "color": serializers.CharField(),
        "price": serializers.CharField(), "seats": serializers.IntegerField()}, many=True),
    "tickets": inline_serializer("OfficeStockTicket", STOCK_TICKET_FIELDS, many=True),
    "returned": serializers.ListField(child=serializers.CharField(),
                                      help_text="with `since`: tickets no longer at this office (returned online)"),
})


class OfficeStockView(APIView):
    permission_classes = [IsOfficeDevice]
    throttle_classes = [DeviceThrottle]

    @extend_schema(
        parameters=[OpenApiParameter("since", int, description="`version` of a previous stock: only the office's "
                                     "tickets changed after it, and `returned`")],
        responses={200: StockOut,
                   400: schema.error("A bad `since`.", ("bad since", "invalid", "Invalid input: since: Must be a version "
                                     "number (a non-negative integer) from a previous manifest.",
                                     {"since": ["Must be a version number (a non-negative integer) from a previous "
                                                "manifest."]})),
                   401: schema.NOT_AUTHENTICATED, 404: schema.error("Not this office.", ("other office", "not_found",
                                                                                      "No such office.", {})),
                   429: schema.THROTTLED},
        summary="The office's stock to sell offline: zones with prices, its tickets with signed codes (its own token)",
        description=(
            "What the box-office terminal keeps on the device: the event, its zones (colour, price) and every ticket "
            "assigned to this office, unsold (`state` `box_office`) or sold by it, with the signed `code` (the "
            "terminal draws the buyer's QR from it with no connection) and the `reference` printed under it. With "
            "`since` (a previous `version`), only the office's tickets changed after it, and in `returned` the "
            "tickets that left the office since (unassigned: no longer for sale here). Contains no buyer data."),
        examples=[OpenApiExample("a delta", response_only=True, status_codes=["200"], value={
            "version": 48213, "since": 48190, "full": False,
            "office": {"office_id": "ofB7x2Qm9Kd4Rt1W", "name": "Taquilla Norte"},
            "event": {"event_id": schema.EVENT_ID, "name": "Fight Night", "venue": "Arena",
                      "date_start": "2026-11-28T21:00:00+01:00", "date_end": "2026-11-29T01:00:00+01:00",
                      "timezone": "Europe/Madrid", "currency": "EUR", "language": "es"},
            "zones": [{"zone_id": "A", "name": "Ringside", "color": "#C0392B", "price": "45.00", "seats": 200}],
            "tickets": [{"ticket_id": schema.TICKET_ID, "seat_id": "A-12", "zone_id": "A", "seat_number": 12,
                         "seat_row": "3", "reference": "KD7HX3RF", "state": "box_office", "price": None,
                         "code": schema.CODE}],
            "returned": [f"{schema.EVENT_ID}-Lm3Zp8Qd2Rx6Wc9Tb1Vk"]})],
    )
    def get(self, request, office_id: str):
        office = office_for(request, office_id)
        stock = build_stock(office=office, since=since_parameter(request))
        response = Response(stock.body)
        response["Cache-Control"] = "no-store"
        return response
