"""Staff API for tickets: list, detail with ledger, PATCH, QR image."""
import io

import segno
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import Pagination, parse_bool
from core.errors import Irreversible
from events.codes import active_key, ticket_code
from events.models import Event
from tickets import selectors, services
from tickets.models import Ticket


def ticket_json(ticket: Ticket, *, key=None, ledger: bool = False) -> dict:
    data = {
        "ticket_id": ticket.ticket_id,
        "seat_id": ticket.seat_id,
        "seat_number": ticket.seat_number,
        "zone": ticket.zone,
        "zone_id": ticket.zone_id,
        "color": ticket.color,
        "status": ticket.status,
        "status_offline": ticket.status_offline,
        "access_status": ticket.access_status,
        "access_entry": ticket.access_entry,
        "date_start": ticket.date_start.isoformat(),
        "date_end": ticket.date_end.isoformat(),
        "event_name": ticket.event_name,
        "event_id": ticket.event_id,
        "seat_row": ticket.seat_row,
        "version": ticket.version,
        "code": ticket_code(ticket, key),
    }
    if ledger:
        data["ledger"] = services.ledger_json(ticket.ledger.all())
    return data


class TicketPatchSerializer(serializers.Serializer):
    status = serializers.BooleanField(required=False)
    seat_row = serializers.CharField(max_length=50, required=False, allow_blank=False)


_FILTERS = [
    OpenApiParameter("zone", str), OpenApiParameter("status", bool), OpenApiParameter("access_status", bool),
    OpenApiParameter("cursor", str), OpenApiParameter("page_size", int),
]


class TicketListView(APIView):
    @extend_schema(parameters=_FILTERS, responses={200: dict}, summary="Tickets of an event (cursor-paginated)", operation_id="v1_events_tickets_list")
    def get(self, request, event_id: str):
        get_object_or_404(Event, pk=event_id)
        q = request.query_params
        qs = selectors.tickets_for_event(
            event_id,
            zone=q.get("zone"),
            status=parse_bool(q.get("status"), "status"),
            access_status=parse_bool(q.get("access_status"), "access_status"),
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        key = active_key(event_id)
        return paginator.get_paginated_response([ticket_json(t, key=key) for t in page])


class TicketDetailView(APIView):
    @extend_schema(responses={200: dict}, summary="A ticket with its full ledger")
    def get(self, request, event_id: str, ticket_id: str):
        ticket = get_object_or_404(Ticket.objects.prefetch_related("ledger"), event_id=event_id, ticket_id=ticket_id)
        return Response(ticket_json(ticket, ledger=True))

    @extend_schema(request=TicketPatchSerializer, responses={200: dict}, summary="Manual sale or correction")
    def patch(self, request, event_id: str, ticket_id: str):
        if isinstance(request.data, dict) and ({"access_status", "access_entry"} & set(request.data)):
            raise Irreversible("access_status and access_entry change only by scanning.")
        data = TicketPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = request.user.get_username()
        result = services.update_ticket(event_id=event_id, ticket_id=ticket_id, actor=actor, **data.validated_data)
        ticket = Ticket.objects.prefetch_related("ledger").get(pk=result.ticket.pk)
        return Response(ticket_json(ticket, ledger=True))


class TicketQRView(APIView):
    @extend_schema(parameters=[OpenApiParameter("format", str, enum=["svg", "png"])],
                   responses={(200, "image/svg+xml"): bytes, (200, "image/png"): bytes},
                   summary="The ticket's QR code image")
    def get(self, request, event_id: str, ticket_id: str):
        fmt = request.query_params.get("format", "svg")
        if fmt not in ("svg", "png"):
            raise ValidationError({"format": ["Must be svg or png."]})
        ticket = get_object_or_404(Ticket, event_id=event_id, ticket_id=ticket_id)
        return qr_response(ticket_code(ticket), fmt, f"{ticket.seat_id}")


def qr_response(payload: str, fmt: str, name: str) -> HttpResponse:
    qr = segno.make(payload, error="m", micro=False)
    buf = io.BytesIO()
    if fmt == "png":
        qr.save(buf, kind="png", scale=8, border=4)
        content_type = "image/png"
    else:
        qr.save(buf, kind="svg", scale=8, border=4, xmldecl=False)
        content_type = "image/svg+xml"
    response = HttpResponse(buf.getvalue(), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{name}.{fmt}"'
    return response


class GenerateView(APIView):
    @extend_schema(
        request=None,
        responses={201: inline_serializer("Generated", {"generated": serializers.IntegerField()})},
        summary="Generate one ticket per seat (all or nothing)",
    )
    def post(self, request, event_id: str):
        result = services.generate_tickets(event_id=event_id)
        return Response({"generated": result.generated, "event_id": result.event_id}, status=status.HTTP_201_CREATED)
