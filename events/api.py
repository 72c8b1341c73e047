"""Staff API for events and the zones setup (thin: serializers + services). Generating the
tickets is the tickets app's (tickets/api.py)."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from events import services
from events.codes import b64url
from events.models import COLOR_REGEX, ZONE_ID_REGEX, Checkpoint, Event
from events.vocabulary import CheckpointDirections


class ZoneSerializer(serializers.Serializer):
    zone_id = serializers.RegexField(ZONE_ID_REGEX, max_length=16)
    name = serializers.CharField(max_length=100)
    color = serializers.RegexField(COLOR_REGEX, max_length=7)
    seats = serializers.IntegerField(min_value=1, max_value=100_000)
    reentry = serializers.BooleanField(default=False)


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

    def validate(self, data):
        if data["date_end"] <= data["date_start"]:
            raise serializers.ValidationError({"date_end": ["Must be after date_start."]})
        return data


def zone_json(zone) -> dict:
    return {"zone_id": zone.zone_id, "name": zone.name, "color": zone.color, "seats": zone.seats, "reentry": zone.reentry}


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
        "setup": {"status": event.setup_status},
        "zones": [zone_json(z) for z in zones],
        "seats": sum(z.seats for z in zones),
        "generated_at": event.generated_at.isoformat() if event.generated_at else None,
        "keys": [{"key_id": k.key_id, "public_key": b64url(bytes(k.public_key)), "active": k.active}
                 for k in event.signing_keys.all()],
        "created_at": event.created_at.isoformat(),
    }


class EventListView(APIView):
    @extend_schema(request=EventInSerializer, responses={201: dict}, summary="Create an event")
    def post(self, request):
        data = EventInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.create_event(**data.validated_data)
        return Response(event_json(event), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: dict}, summary="List events (newest first)", operation_id="v1_events_list")
    def get(self, request):
        qs = Event.objects.prefetch_related("zones", "signing_keys").order_by("-created_at")[:200]
        return Response({"results": [event_json(e) for e in qs], "next": None, "previous": None})


class EventDetailView(APIView):
    @extend_schema(responses={200: dict}, summary="An event")
    def get(self, request, event_id: str):
        event = get_object_or_404(Event.objects.prefetch_related("zones", "signing_keys"), pk=event_id)
        return Response(event_json(event))


class SetupZonesView(APIView):
    @extend_schema(responses={200: dict}, summary="The zones setup and its activation gate")
    def get(self, request, event_id: str):
        event = get_object_or_404(Event, pk=event_id)
        return Response(setup_json(event))

    @extend_schema(request=SetupSerializer, responses={200: dict}, summary="Replace zones / open the activation gate")
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
