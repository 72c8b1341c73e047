"""Staff API for events and the zones setup (thin: serializers + services). Generating the
tickets is the tickets app's (tickets/api.py)."""
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from core.localtime import DEFAULT_TIME_ZONE, TIME_ZONE_MAX_LENGTH, is_time_zone
from events import services
from events.codes import b64url
from events.currencies import DEFAULT_CURRENCY, is_currency
from events.models import COLOR_REGEX, ZONE_ID_REGEX, Checkpoint, Event, Language
from events.vocabulary import CheckpointDirections


def _price_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0, **kwargs)


class ZoneSerializer(serializers.Serializer):
    zone_id = serializers.RegexField(ZONE_ID_REGEX, max_length=16)
    name = serializers.CharField(max_length=100)
    color = serializers.RegexField(COLOR_REGEX, max_length=7)
    seats = serializers.IntegerField(min_value=1, max_value=100_000)
    reentry = serializers.BooleanField(default=False)
    price = _price_field(required=False, help_text=(
        'In the event\'s currency, a decimal string ("45.00"). Left out: the zone keeps its price (0.00 '
        "for a new zone), so re-sending the zones to open or close the gate changes no price."))


class SetupSerializer(serializers.Serializer):
    status = serializers.BooleanField()
    zones = ZoneSerializer(many=True, required=False, max_length=100)


class EventInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    date_start = serializers.DateTimeField()
    date_end = serializers.DateTimeField()
    venue = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    doors_open_minutes = serializers.IntegerField(min_value=0, max_value=10_080, default=720)
    doors_close_minutes = serializers.IntegerField(min_value=0, max_value=10_080, default=360)
    timezone = serializers.CharField(max_length=TIME_ZONE_MAX_LENGTH, default=DEFAULT_TIME_ZONE, help_text=(
        "IANA time zone of the venue (Europe/Madrid): every time shown to a person is on this clock."))
    currency = serializers.CharField(max_length=3, default=DEFAULT_CURRENCY,
                                     help_text="ISO 4217 code of every price of the event (EUR).")
    language = serializers.ChoiceField(choices=Language.values, default=Language.SPANISH.value,
                                       help_text="Language of printed outputs: es or en.")

    def validate_timezone(self, value):
        if not is_time_zone(value):
            raise serializers.ValidationError(services.UNKNOWN_TIME_ZONE)
        return value

    def validate_currency(self, value):
        if not is_currency(value):
            raise serializers.ValidationError(services.UNKNOWN_CURRENCY)
        return value

    def validate(self, data):
        if data["date_end"] <= data["date_start"]:
            raise serializers.ValidationError({"date_end": [services.MUST_END_AFTER_START]})
        return data


def zone_json(zone) -> dict:
    return {"zone_id": zone.zone_id, "name": zone.name, "color": zone.color, "seats": zone.seats, "reentry": zone.reentry,
            "price": f"{zone.price:.2f}"}


def setup_json(event, zones=None) -> dict:
    zones = zones if zones is not None else list(event.zones.all())
    return {"event_id": event.event_id, "status": event.setup_status, "zones": [zone_json(z) for z in zones]}


def event_json(event: Event) -> dict:
    zones = list(event.zones.all())
    return {
        "event_id": event.event_id,
        "name": event.name,
        "venue": event.venue,
        "date_start": event.date_start.isoformat(),
        "date_end": event.date_end.isoformat(),
        "doors_open_minutes": event.doors_open_minutes,
        "doors_close_minutes": event.doors_close_minutes,
        "timezone": event.timezone,
        "currency": event.currency,
        "language": event.language,
        "setup": {"status": event.setup_status},
        "zones": [zone_json(z) for z in zones],
        "seats": sum(z.seats for z in zones),
        "generated_at": event.generated_at.isoformat() if event.generated_at else None,
        "keys": [{"key_id": k.key_id, "public_key": b64url(bytes(k.public_key)), "active": k.active}
                 for k in event.signing_keys.all()],
        "created_at": event.created_at.isoformat(),
    }


def _zone_fields() -> dict:
    """A fresh dict each time: inline_serializer's metaclass pops the fields out of the dict."""
    return {
        "zone_id": serializers.CharField(), "name": serializers.CharField(), "color": serializers.CharField(),
        "seats": serializers.IntegerField(), "reentry": serializers.BooleanField(),
        "price": _price_field(help_text="in the event's currency, decimal string"),
    }


_EVENT_SETUP = inline_serializer("EventSetupStatus", {"status": serializers.BooleanField()})
_EVENT_ZONES = inline_serializer("EventZone", _zone_fields(), many=True)
_EVENT_KEYS = inline_serializer("EventKey", {"key_id": serializers.CharField(), "public_key": serializers.CharField(),
                                             "active": serializers.BooleanField()}, many=True)


def _event_fields() -> dict:
    return {
        "event_id": serializers.CharField(), "name": serializers.CharField(), "venue": serializers.CharField(),
        "date_start": serializers.DateTimeField(), "date_end": serializers.DateTimeField(),
        "doors_open_minutes": serializers.IntegerField(), "doors_close_minutes": serializers.IntegerField(),
        "timezone": serializers.CharField(help_text="IANA time zone; times for people are shown on this clock"),
        "currency": serializers.CharField(help_text="ISO 4217 code of the event's prices"),
        "language": serializers.ChoiceField(choices=Language.values, help_text="language of printed outputs"),
        "setup": _EVENT_SETUP,
        "zones": _EVENT_ZONES,
        "seats": serializers.IntegerField(),
        "generated_at": serializers.DateTimeField(allow_null=True),
        "keys": _EVENT_KEYS,
        "created_at": serializers.DateTimeField(),
    }


SetupOut = inline_serializer("SetupState", {"event_id": serializers.CharField(), "status": serializers.BooleanField(),
                                            "zones": inline_serializer("SetupZone", _zone_fields(), many=True)})
EventOut = inline_serializer("EventDetail", _event_fields())
EventPage = inline_serializer("EventPage", {"results": inline_serializer("EventInPage", _event_fields(), many=True),
                                           "next": serializers.URLField(allow_null=True),
                                           "previous": serializers.URLField(allow_null=True)})


class EventListView(APIView):
    @extend_schema(request=EventInSerializer, responses={201: EventOut}, summary="Create an event")
    def post(self, request):
        data = EventInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.create_event(**data.validated_data)
        return Response(event_json(event), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: EventPage}, summary="List events (newest first)", operation_id="v1_events_list")
    def get(self, request):
        qs = Event.objects.prefetch_related("zones", "signing_keys").order_by("-created_at")[:200]
        return Response({"results": [event_json(e) for e in qs], "next": None, "previous": None})


class EventDetailView(APIView):
    @extend_schema(responses={200: EventOut}, summary="An event")
    def get(self, request, event_id: str):
        event = get_object_or_404(Event.objects.prefetch_related("zones", "signing_keys"), pk=event_id)
        return Response(event_json(event))


class SetupZonesView(APIView):
    @extend_schema(responses={200: SetupOut}, summary="The zones setup and its activation gate")
    def get(self, request, event_id: str):
        event = get_object_or_404(Event, pk=event_id)
        return Response(setup_json(event))

    @extend_schema(request=SetupSerializer, responses={200: SetupOut}, summary="Replace zones / open the activation gate")
    def put(self, request, event_id: str):
        data = SetupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        zones = data.validated_data.get("zones")
        specs = [services.ZoneSpec(**z) for z in zones] if zones is not None else None
        result = services.setup_zones(event_id=event_id, status=data.validated_data["status"], zones=specs)
        return Response(setup_json(result.event, result.zones))


def checkpoint_json(cp: Checkpoint) -> dict:
    return {"checkpoint_id": cp.checkpoint_id, "event_id": cp.event_id, "name": cp.name, "zones": cp.zones,
            "directions": cp.directions}


class CheckpointInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    zones = serializers.ListField(child=serializers.CharField(max_length=16), required=False, max_length=100)
    directions = serializers.ChoiceField(choices=CheckpointDirections.choices, default=CheckpointDirections.BOTH)


class CheckpointListView(APIView):
    @extend_schema(request=CheckpointInSerializer, responses={201: dict}, summary="Create a checkpoint (gate)")
    def post(self, request, event_id: str):
        data = CheckpointInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cp = services.create_checkpoint(event_id=event_id, **data.validated_data)
        return Response(checkpoint_json(cp), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: dict}, summary="Checkpoints of an event")
    def get(self, request, event_id: str):
        get_object_or_404(Event, pk=event_id)
        return Response({"results": [checkpoint_json(c) for c in Checkpoint.objects.filter(event_id=event_id)],
                         "next": None, "previous": None})
