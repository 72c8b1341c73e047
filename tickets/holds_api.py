"""Staff API for the sales offices (thin: serializers + services + selectors)."""
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core import schema
from core.api import Pagination, parse_bool
from core.errors import InvalidInput, NotFound
from events.codes import active_key
from events.models import Event
from tickets import holds, selectors
from tickets.api import SalesOut, ticket_json
from tickets.models import TicketState

# ---------------------------------------------------------------------------------------------
# Virtual office (online sales point): seats, holds, checkout, release, live sales status.
# Services: tickets/holds.py; reads: tickets/selectors.py; design: docs/adr/0010-hold-design.md.
# ---------------------------------------------------------------------------------------------

HOLD_ID_MAX_LENGTH = 20


class StrictCharField(serializers.CharField):
    """A JSON string and nothing else: DRF's CharField would turn 123 into "123"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer and nothing else: no "10", no 10.0, no true."""

    default_error_messages = {"invalid": "A valid integer is required."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class HoldInSerializer(serializers.Serializer):
    tickets = serializers.ListField(
        child=StrictCharField(max_length=holds.TICKET_ID_MAX_LENGTH),
        allow_empty=False,
        max_length=holds.MAX_TICKETS_PER_HOLD,
    )
    hold_seconds = StrictIntegerField(min_value=1, max_value=holds.HOLD_SECONDS_MAX, default=holds.HOLD_SECONDS_DEFAULT)

    def validate_tickets(self, value):
        if len(set(value)) != len(value):
            raise serializers.ValidationError(_("Duplicate ticket ids."))
        return value


class CheckoutInSerializer(serializers.Serializer):
    buyer = serializers.JSONField(help_text="The buyer's details: a JSON object of at most 4 KB.")

    def validate_buyer(self, value):
        try:
            return holds.check_buyer(value)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.fields.get("buyer", [exc.message]))


SeatPage = inline_serializer("SeatPage", {
    "results": inline_serializer("Seat", {
        "ticket_id": serializers.CharField(), "seat_id": serializers.CharField(), "zone_id": serializers.CharField(),
        "zone": serializers.CharField(), "color": serializers.CharField(), "seat_row": serializers.CharField(),
        "available": serializers.BooleanField(),
        "state": serializers.ChoiceField(
            choices=TicketState.values,
            help_text="why a seat is not available: held (a live checkout hold, may come free), box_office, "
                      "sold, inside, out; `available` when it is"),
    }, many=True),
    "next": serializers.URLField(allow_null=True), "previous": serializers.URLField(allow_null=True),
})
HoldOut = inline_serializer("Hold", {
    "hold_id": serializers.CharField(), "event_id": serializers.CharField(),
    "tickets": serializers.ListField(child=serializers.CharField()), "expires_at": serializers.DateTimeField(),
})
CheckoutOut = inline_serializer("Checkout", {
    "hold_id": serializers.CharField(), "event_id": serializers.CharField(),
    "tickets": serializers.ListField(child=serializers.DictField()),
})


def seat_json(row: dict) -> dict:
    return {k: row[k] for k in selectors.SEAT_FIELDS if k != "id"}


def _hold_id(hold_id: str) -> str:
    # Hold ids are Firestore-style ids; anything longer cannot exist, so skip the database.
    if len(hold_id) > HOLD_ID_MAX_LENGTH:
        raise NotFound(_("No such hold."))
    return hold_id


class SeatListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("zone", str), OpenApiParameter("available", bool),
                    OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
        responses={200: SeatPage}, summary="Seats of an event with their availability (cursor-paginated)",
    )
    def get(self, request, event_id: str):
        q = request.query_params
        qs = selectors.seats_for_event(event_id, zone=q.get("zone"), available=parse_bool(q.get("available"), "available"))
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)  # the only query for a non-empty page
        if not page and not Event.objects.filter(pk=event_id).exists():
            raise NotFound(_("No such event."))
        return paginator.get_paginated_response([seat_json(r) for r in page])


class HoldCreateView(APIView):
    @extend_schema(
        request=HoldInSerializer, summary="Hold seats for checkout (all or nothing; 409 seats_unavailable)",
        description=(
            "The online sales point reserves seats while a buyer pays: all the given tickets or none. "
            "If any is sold, held or assigned to an offline box office, the answer is 409 "
            "`seats_unavailable` listing every unavailable ticket in `error.tickets`. The hold lasts "
            "`hold_seconds` (1 to 3600, default 600); then `POST /api/v1/holds/{hold_id}/checkout` sells "
            "the seats, `DELETE /api/v1/holds/{hold_id}` releases them, and an expired hold counts as "
            "available at once (the periodic sweep deletes it later)."),
        responses={
            201: HoldOut,
            400: schema.error("Malformed request.",
                              ("too long", "invalid", "Invalid input: hold_seconds: Ensure this value is less than or equal to 3600.",
                               {"hold_seconds": ["Ensure this value is less than or equal to 3600."]})),
            409: schema.error("Some seats are not available; nothing was held.",
                              ("seat taken", "seats_unavailable", "Some of the requested tickets are not available.",
                               {}, {"tickets": [schema.TICKET_ID]})),
        },
        examples=[
            OpenApiExample("two seats for ten minutes", request_only=True,
                           value={"tickets": [schema.TICKET_ID, f"{schema.EVENT_ID}-Lm3Zp8Qd2Rx6Wc9Tb1Vk"],
                                  "hold_seconds": 600}),
            OpenApiExample("held", response_only=True, status_codes=["201"], value={
                "hold_id": "Hd5Rk2Wm9Qx3Tz7Pb1Nc", "event_id": schema.EVENT_ID,
                "tickets": [schema.TICKET_ID, f"{schema.EVENT_ID}-Lm3Zp8Qd2Rx6Wc9Tb1Vk"],
                "expires_at": "2026-11-28T19:51:07.512+00:00"}),
        ],
    )
    def post(self, request, event_id: str):
        data = HoldInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = holds.take_hold(event_id=event_id, actor=request.user.get_username(), ticket_ids=data.validated_data["tickets"],
                                 hold_seconds=data.validated_data["hold_seconds"])
        return Response(
            {"hold_id": result.hold_id, "event_id": result.event_id, "tickets": result.tickets,
             "expires_at": result.expires_at.isoformat()},
            status=status.HTTP_201_CREATED,
        )


class HoldDetailView(APIView):
    @extend_schema(request=None, responses={204: None},
                   summary="Release a live hold (409 hold_expired once it is over, 404 if unknown)")
    def delete(self, request, hold_id: str):
        holds.release(hold_id=_hold_id(hold_id), actor=request.user.get_username())
        return Response(status=status.HTTP_204_NO_CONTENT)


class HoldCheckoutView(APIView):
    @extend_schema(request=CheckoutInSerializer, responses={200: CheckoutOut},
                   summary="Sell a live hold's seats (409 hold_expired once it is over)")
    def post(self, request, hold_id: str):
        hold_id = _hold_id(hold_id)
        data = CheckoutInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = holds.checkout(hold_id=hold_id, buyer=data.validated_data["buyer"], actor=request.user.get_username())
        key = active_key(result.event_id)
        return Response({"hold_id": result.hold_id, "event_id": result.event_id,
                         "tickets": [ticket_json(t, key=key) for t in result.tickets]})


class SalesStatusView(APIView):
    @extend_schema(responses={200: SalesOut}, summary="Live sales counts per zone (one aggregate query)")
    def get(self, request, event_id: str):
        body = selectors.sales_status(event_id)
        if body is None:
            raise NotFound(_("No such event."))
        return Response(body)
