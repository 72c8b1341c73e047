"""Offline box offices over HTTP (thin: strict parsing + offices.services / offices.selectors).

Staff create offices, assign and return tickets; the office's own device token uploads sales and
reads its reconciliation. An office token never reaches another office's data (404)."""
from __future__ import annotations

import uuid
from datetime import datetime
from datetime import timezone as dt_timezone

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core import schema
from core.api import Pagination
from core.errors import InvalidInput, NotFound
from core.permissions import IsStaff
from core.urls import public_url
from devices.auth import IsOfficeDevice
from devices.models import Device
from devices.throttling import DeviceThrottle
from events.codes import active_key, ticket_code
from events.models import Event
from offices import selectors, services
from offices.models import Office
from offices.vocabulary import SaleReason, SaleResult
from tickets.holds import check_buyer

OFFICE_ID_MAX_LENGTH = 16
SOLD_AT_EARLIEST = datetime(2000, 1, 1, tzinfo=dt_timezone.utc)
SOLD_AT_LATEST = datetime(2100, 1, 1, tzinfo=dt_timezone.utc)
MAX_FIELD_ERRORS = 50


class IsStaffOrOfficeDevice(BasePermission):
    message = "Staff credentials or the office's device token are required."

    def has_permission(self, request, view):
        return IsStaff().has_permission(request, view) or IsOfficeDevice().has_permission(request, view)


def _office_for(request, office_id: str) -> Office:
    """The office, as seen by this caller: an office device sees only its own office (404 for
    any other, of its event or not), staff see every office."""
    if len(office_id) > OFFICE_ID_MAX_LENGTH:
        raise NotFound(_("No such office."))
    qs = Office.objects.select_related("event", "device")
    if isinstance(request.auth, Device):
        qs = qs.filter(device_id=request.auth.device_id)
    office = qs.filter(pk=office_id).first()
    if office is None:
        raise NotFound(_("No such office."))
    return office


def office_json(office: Office, counts: dict | None = None) -> dict:
    counts = counts if counts is not None else selectors.reconciliation_counts(office.office_id)
    return {"office_id": office.office_id, "event_id": office.event_id, "name": office.name,
            "device_id": office.device_id, "paired": office.device.paired_at is not None,
            "revoked": office.device.revoked_at is not None, **counts}


def _ticket_list(data, field: str = "tickets") -> list[str]:
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
    value = data.get(field)
    if not isinstance(value, list) or not value:
        raise ValidationError({field: [_("Required, a non-empty list of ticket ids.")]})
    if len(value) > services.MAX_TICKETS_PER_CALL:
        raise ValidationError({field: [_("At most %(count)d tickets.") % {"count": services.MAX_TICKETS_PER_CALL}]})
    if not all(isinstance(t, str) and 0 < len(t) <= services.TICKET_ID_MAX_LENGTH and "\x00" not in t for t in value):
        raise ValidationError({field: [_("Must be ticket id strings.")]})
    if len(set(value)) != len(value):
        raise ValidationError({field: [_("Duplicate ticket ids.")]})
    return value


_COUNTS = {k: serializers.IntegerField() for k in selectors.RECONCILIATION_COUNTS}
OfficeOut = inline_serializer("Office", {
    "office_id": serializers.CharField(), "event_id": serializers.CharField(), "name": serializers.CharField(),
    "device_id": serializers.CharField(), "paired": serializers.BooleanField(), "revoked": serializers.BooleanField(),
    **_COUNTS,
})
OfficeCreatedOut = inline_serializer("OfficeCreated", {
    "office_id": serializers.CharField(), "event_id": serializers.CharField(), "name": serializers.CharField(),
    "device_id": serializers.CharField(), "pairing_code": serializers.CharField(),
    "pairing_expires_at": serializers.DateTimeField(), "pairing_url": serializers.CharField(),
})
TicketsIn = inline_serializer("OfficeTickets", {"tickets": serializers.ListField(child=serializers.CharField())})
Reconciliation = inline_serializer("OfficeReconciliation", dict(_COUNTS))
AssignOut = inline_serializer("OfficeAssigned", {
    "office_id": serializers.CharField(), "tickets": serializers.ListField(child=serializers.CharField()),
    "reconciliation": Reconciliation,
})
UnassignOut = inline_serializer("OfficeReturned", {
    "office_id": serializers.CharField(),
    "returned_tickets": serializers.ListField(child=serializers.CharField(), help_text="back online"),
    "sold_tickets": serializers.ListField(child=serializers.CharField(), help_text="sold by the office: kept"),
    "reconciliation": Reconciliation,
})
SyncIn = inline_serializer("OfficeSyncIn", {"sales": inline_serializer("OfficeSaleIn", {
    "sale_id": serializers.UUIDField(), "ticket_id": serializers.CharField(), "sold_at": serializers.DateTimeField(),
    "buyer": serializers.DictField(required=False),
}, many=True)})
SyncOut = inline_serializer("OfficeSyncOut", {"office_id": serializers.CharField(), "results": inline_serializer(
    "OfficeSaleResult", {
        "sale_id": serializers.UUIDField(), "ticket_id": serializers.CharField(),
        "result": serializers.ChoiceField(choices=SaleResult.choices),
        "reason": serializers.ChoiceField(choices=SaleReason.choices, allow_null=True),
    }, many=True)})


class OfficeListView(APIView):
    @extend_schema(request=inline_serializer("OfficeIn", {"name": serializers.CharField(max_length=100)}),
                   responses={201: OfficeCreatedOut}, summary="Create an offline box office (and its device)")
    def post(self, request, event_id: str):
        data = request.data
        name = data.get("name") if isinstance(data, dict) else None
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise ValidationError({"name": [_("Required, a non-empty string of at most 100 characters.")]})
        created = services.create_office(event_id=event_id, name=name.strip())
        office = created.office
        return Response({
            "office_id": office.office_id, "event_id": office.event_id, "name": office.name,
            "device_id": office.device_id, "pairing_code": created.pairing_code,
            "pairing_expires_at": created.pairing_expires_at.isoformat(),
            "pairing_url": public_url(f"/scanner/?pair={created.pairing_code}", request),
        }, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: OfficeOut}, summary="Offline offices of an event, with reconciliation numbers")
    def get(self, request, event_id: str):
        if not Event.objects.filter(pk=event_id).exists():
            raise NotFound(_("No such event."))
        offices = Office.objects.select_related("device").filter(event_id=event_id)[:500]
        return Response({"results": [office_json(o) for o in offices], "next": None, "previous": None})


class OfficeDetailView(APIView):
    permission_classes = [IsStaffOrOfficeDevice]
    throttle_classes = [DeviceThrottle]

    @extend_schema(responses={200: OfficeOut},
                   summary="An office's reconciliation: assigned = sold + returned + outstanding (staff or the office)")
    def get(self, request, office_id: str):
        return Response(office_json(_office_for(request, office_id)))


class OfficeAssignView(APIView):
    @extend_schema(request=TicketsIn, responses={200: AssignOut},
                   summary="Assign tickets to an office (all or nothing; 409 seats_unavailable)")
    def post(self, request, office_id: str):
        office = _office_for(request, office_id)
        tickets = _ticket_list(request.data)
        result = services.assign_tickets(office_id=office.office_id, ticket_ids=tickets,
                                         actor=request.user.get_username())
        return Response({"office_id": result.office_id, "tickets": result.assigned,
                         "reconciliation": selectors.reconciliation_counts(office.office_id)})


class OfficeUnassignView(APIView):
    @extend_schema(request=TicketsIn, responses={200: UnassignOut},
                   summary="Return an office's unsold tickets online (409 not_assigned)")
    def post(self, request, office_id: str):
        office = _office_for(request, office_id)
        tickets = _ticket_list(request.data)
        result = services.unassign_tickets(office_id=office.office_id, ticket_ids=tickets,
                                           actor=request.user.get_username())
        return Response({"office_id": result.office_id, "returned_tickets": result.returned,
                         "sold_tickets": result.sold, "reconciliation": selectors.reconciliation_counts(office.office_id)})


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
    if any(k.startswith(prefix) for k in errors):
        return None
    return services.SaleIn(sale_id=sale_id, ticket_id=ticket_id, sold_at=sold_at, buyer=buyer)


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
                 "sold_at": "2026-11-28T18:02:11+01:00", "buyer": {"name": "Ana García"}},
                {"sale_id": "c8e31f6b-27a9-4d05-9b1e-6f4a2d8c0e73", "ticket_id": f"{schema.EVENT_ID}-Lm3Zp8Qd2Rx6Wc9Tb1Vk",
                 "sold_at": "2026-11-28T18:04:55+01:00"}]}),
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
        office = _office_for(request, office_id)
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


class OfficeTicketsView(APIView):
    permission_classes = [IsStaffOrOfficeDevice]
    throttle_classes = [DeviceThrottle]

    @extend_schema(parameters=[OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
                   responses={200: dict},
                   summary="The tickets assigned to an office, with their signed codes to print (cursor-paginated)")
    def get(self, request, office_id: str):
        office = _office_for(request, office_id)
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.office_tickets(office), request, view=self)
        key = active_key(office.event_id) if page else None
        return paginator.get_paginated_response([
            {"ticket_id": t.ticket_id, "seat_id": t.seat_id, "zone_id": t.zone_id, "zone": t.zone, "color": t.color,
             "seat_row": t.seat_row, "status": t.status, "status_offline": t.status_offline,
             "code": ticket_code(t, key=key)}
            for t in page
        ])

