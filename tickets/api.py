"""Staff API for tickets: list, detail with ledger, PATCH, QR image."""
import io

import segno
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import Pagination, parse_bool
from core.errors import Irreversible, interpolate
from events.codes import active_key, ticket_code
from events.models import Event
from tickets import selectors, services
from tickets.models import SaleChannel, Ticket, TicketState


def ticket_json(ticket: Ticket, *, key=None, ledger: bool = False) -> dict:
    """The ticket resource. `state` comes from the queryset's annotation (selectors.with_state)
    when there is one; otherwise it is derived here (one query, only for an unsold ticket)."""
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
        "reference": ticket.reference,
        "state": selectors.state_of(ticket).value,
        "price": services.money(ticket.price),
        "channel": ticket.channel,
    }
    if ledger:
        data["ledger"] = services.ledger_json(ticket.ledger.all())
    return data


class TicketPatchSerializer(serializers.Serializer):
    status = serializers.BooleanField(required=False)
    seat_row = serializers.CharField(max_length=50, required=False, allow_blank=False)


_FILTERS = [
    OpenApiParameter("zone", str), OpenApiParameter("status", bool), OpenApiParameter("access_status", bool),
    OpenApiParameter("state", str, enum=TicketState.values, description="Only tickets in this state."),
    OpenApiParameter("cursor", str), OpenApiParameter("page_size", int),
]


def _ticket_fields() -> dict:
    """A fresh dict each time: inline_serializer's metaclass pops the fields out of the dict."""
    return {
        "ticket_id": serializers.CharField(help_text="`{event_id}-{doc_id}`"),
        "seat_id": serializers.CharField(help_text="`{zone_id}-{seat_number}`"),
        "seat_number": serializers.IntegerField(),
        "zone": serializers.CharField(help_text="the zone's display name"),
        "zone_id": serializers.CharField(),
        "color": serializers.CharField(),
        "status": serializers.BooleanField(help_text="true = available, false = sold (the seed's flag)"),
        "status_offline": serializers.BooleanField(help_text="assigned to an offline box office"),
        "access_status": serializers.BooleanField(help_text="scanned in at least once"),
        "access_entry": serializers.BooleanField(help_text="inside now"),
        "date_start": serializers.DateTimeField(),
        "date_end": serializers.DateTimeField(),
        "event_name": serializers.CharField(),
        "event_id": serializers.CharField(),
        "seat_row": serializers.CharField(),
        "version": serializers.IntegerField(),
        "code": serializers.CharField(help_text="the signed QR payload"),
        "reference": serializers.CharField(
            help_text="short code a person types (8 characters without look-alikes), unique in the event"),
        "state": serializers.ChoiceField(
            choices=TicketState.values,
            help_text="derived: available, held (live checkout hold), box_office (assigned, unsold), sold, "
                      "inside, out (entered before, outside now)"),
        "price": serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True,
                                          help_text="what it was sold for, in the event's currency; null while unsold"),
        "channel": serializers.ChoiceField(choices=SaleChannel.values, allow_null=True,
                                           help_text="how it was sold; null while unsold"),
    }


TicketOut = inline_serializer("Ticket", _ticket_fields())  # for answers that embed tickets (checkout)
TicketWithLedgerOut = inline_serializer("TicketWithLedger", {
    **_ticket_fields(),
    "ledger": inline_serializer("LedgerEntry", {
        "date": serializers.DateTimeField(), "action": serializers.CharField(), "metadata": serializers.DictField(),
    }, many=True),
})
TicketPage = inline_serializer("TicketPage", {
    "results": inline_serializer("TicketInPage", _ticket_fields(), many=True),
    "next": serializers.URLField(allow_null=True), "previous": serializers.URLField(allow_null=True),
})


def _money_fields(name: str) -> dict:
    return {"sold": serializers.IntegerField(),
            "revenue": serializers.DecimalField(max_digits=12, decimal_places=2, help_text=f"{name}, decimal string")}


_SALES_COUNT_FIELDS = {
    **{k: serializers.IntegerField() for k in selectors.SALES_COUNTS},
    "revenue": serializers.DecimalField(max_digits=12, decimal_places=2,
                                        help_text="what the sold tickets were sold for, decimal string"),
}


def _sales_channels(name: str):
    return inline_serializer(name, {c: inline_serializer(f"{name}{c.title().replace('_', '')}",
                                                         _money_fields(f"sold through {c}"))
                                    for c in selectors.SALES_CHANNELS})


# The body of GET /api/v1/events/{event_id}/sales (tickets/holds_api.py SalesStatusView).
SalesOut = inline_serializer("SalesStatus", {
    "event_id": serializers.CharField(),
    "currency": serializers.CharField(help_text="ISO 4217 code of every revenue figure"),
    "zones": inline_serializer("ZoneSales", {"zone_id": serializers.CharField(), "zone": serializers.CharField(),
                                             **_SALES_COUNT_FIELDS, "channels": _sales_channels("ZoneSalesChannels")},
                               many=True),
    "totals": inline_serializer("SalesTotals", {**_SALES_COUNT_FIELDS,
                                                "channels": _sales_channels("SalesTotalsChannels")}),
})


class TicketListView(APIView):
    @extend_schema(parameters=_FILTERS, responses={200: TicketPage}, summary="Tickets of an event (cursor-paginated)", operation_id="v1_events_tickets_list")
    def get(self, request, event_id: str):
        get_object_or_404(Event, pk=event_id)
        q = request.query_params
        state = q.get("state")
        if state is not None and state not in TicketState.values:
            raise ValidationError({"state": [interpolate(_("Must be one of: %(values)s."),
                                                         values=", ".join(TicketState.values))]})
        qs = selectors.tickets_for_event(
            event_id,
            zone=q.get("zone"),
            status=parse_bool(q.get("status"), "status"),
            access_status=parse_bool(q.get("access_status"), "access_status"),
            state=state,
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        key = active_key(event_id)
        return paginator.get_paginated_response([ticket_json(t, key=key) for t in page])


class TicketDetailView(APIView):
    @extend_schema(responses={200: TicketWithLedgerOut}, summary="A ticket with its full ledger")
    def get(self, request, event_id: str, ticket_id: str):
        ticket = get_object_or_404(selectors.with_state(Ticket.objects.prefetch_related("ledger")),
                                   event_id=event_id, ticket_id=ticket_id)
        return Response(ticket_json(ticket, ledger=True))

    @extend_schema(request=TicketPatchSerializer, responses={200: TicketWithLedgerOut},
                   summary="Manual sale or correction",
                   description=("`status: false` sells the ticket by hand: it takes its zone's current price "
                                "and channel `manual`, and the ledger records `sold` with who sold it. "
                                "`status: true` un-sells it (only if never scanned, not held, not at a box "
                                "office; ledger `updated`), `seat_row` corrects the row (ledger `updated`)."))
    def patch(self, request, event_id: str, ticket_id: str):
        if isinstance(request.data, dict) and ({"access_status", "access_entry"} & set(request.data)):
            raise Irreversible(_("access_status and access_entry change only by scanning."))
        data = TicketPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = request.user.get_username()
        result = services.update_ticket(event_id=event_id, ticket_id=ticket_id, actor=actor, **data.validated_data)
        ticket = selectors.with_state(Ticket.objects.prefetch_related("ledger")).get(pk=result.ticket.pk)
        return Response(ticket_json(ticket, ledger=True))


class TicketQRView(APIView):
    @extend_schema(parameters=[OpenApiParameter("format", str, enum=["svg", "png"])],
                   responses={(200, "image/svg+xml"): bytes, (200, "image/png"): bytes},
                   summary="The ticket's QR code image")
    def get(self, request, event_id: str, ticket_id: str):
        fmt = request.query_params.get("format", "svg")
        if fmt not in ("svg", "png"):
            raise ValidationError({"format": [_("Must be svg or png.")]})
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
