"""Offline box offices over HTTP (thin: strict parsing + offices.services / offices.selectors).

Staff create offices, assign and return tickets; the office's own device token uploads sales and
reads its reconciliation. An office token never reaches another office's data (404)."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import Pagination
from core.errors import NotFound
from core.permissions import IsStaff
from devices.auth import IsOfficeDevice
from devices.models import Device
from devices.pairing_links import pairing_url
from devices.throttling import DeviceThrottle
from events.codes import active_key, ticket_code
from events.models import Event
from offices import selectors, services
from offices.models import Office

OFFICE_ID_MAX_LENGTH = 16


class IsStaffOrOfficeDevice(BasePermission):
    message = "Staff credentials or the office's device token are required."

    def has_permission(self, request, view):
        return IsStaff().has_permission(request, view) or IsOfficeDevice().has_permission(request, view)


def office_for(request, office_id: str) -> Office:
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
            "revoked": office.device.revoked_at is not None, **counts,
            "money": selectors.office_money(office.office_id)}


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
_AMOUNT = {"help_text": "decimal string in the event's currency, e.g. \"45.00\""}
OfficeMoney = inline_serializer("OfficeMoney", {
    "currency": serializers.CharField(allow_null=True),
    "sold_amount": serializers.CharField(**_AMOUNT), "refunds_due_amount": serializers.CharField(**_AMOUNT),
    "payment_methods": inline_serializer("OfficePaymentMethod", {
        "payment_method": serializers.CharField(allow_null=True, help_text="cash, card, or null: not recorded"),
        "sold": serializers.IntegerField(), "sold_amount": serializers.CharField(**_AMOUNT),
        "refunds_due": serializers.IntegerField(), "refunds_due_amount": serializers.CharField(**_AMOUNT),
    }, many=True),
})
OfficeOut = inline_serializer("Office", {
    "office_id": serializers.CharField(), "event_id": serializers.CharField(), "name": serializers.CharField(),
    "device_id": serializers.CharField(), "paired": serializers.BooleanField(), "revoked": serializers.BooleanField(),
    **_COUNTS,
    "money": OfficeMoney,
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
            "pairing_url": pairing_url(request, created.pairing_code, created.office.device.role),
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
        return Response(office_json(office_for(request, office_id)))


class OfficeAssignView(APIView):
    @extend_schema(request=TicketsIn, responses={200: AssignOut},
                   summary="Assign tickets to an office (all or nothing; 409 seats_unavailable)")
    def post(self, request, office_id: str):
        office = office_for(request, office_id)
        tickets = _ticket_list(request.data)
        result = services.assign_tickets(office_id=office.office_id, ticket_ids=tickets,
                                         actor=request.user.get_username())
        return Response({"office_id": result.office_id, "tickets": result.assigned,
                         "reconciliation": selectors.reconciliation_counts(office.office_id)})


class OfficeUnassignView(APIView):
    @extend_schema(request=TicketsIn, responses={200: UnassignOut},
                   summary="Return an office's unsold tickets online (409 not_assigned)")
    def post(self, request, office_id: str):
        office = office_for(request, office_id)
        tickets = _ticket_list(request.data)
        result = services.unassign_tickets(office_id=office.office_id, ticket_ids=tickets,
                                           actor=request.user.get_username())
        return Response({"office_id": result.office_id, "returned_tickets": result.returned,
                         "sold_tickets": result.sold, "reconciliation": selectors.reconciliation_counts(office.office_id)})


class OfficeTicketsView(APIView):
    permission_classes = [IsStaffOrOfficeDevice]
    throttle_classes = [DeviceThrottle]

    @extend_schema(parameters=[OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
                   responses={200: dict},
                   summary="The tickets assigned to an office, with their signed codes to print (cursor-paginated)")
    def get(self, request, office_id: str):
        office = office_for(request, office_id)
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.office_tickets(office), request, view=self)
        key = active_key(office.event_id) if page else None
        return paginator.get_paginated_response([
            {"ticket_id": t.ticket_id, "seat_id": t.seat_id, "zone_id": t.zone_id, "zone": t.zone, "color": t.color,
             "seat_row": t.seat_row, "status": t.status, "status_offline": t.status_offline,
             "code": ticket_code(t, key=key)}
            for t in page
        ])

