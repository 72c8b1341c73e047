"""Device endpoints: staff create/revoke/list; a device pairs and sends heartbeats."""
from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core import schema
from devices import services
from devices.auth import IsDevice
from devices.models import Device
from devices.pairing_links import pairing_url  # backoffice/print_api.py imports it from here too
from devices.throttling import DeviceThrottle, PairingFailures
from devices.vocabulary import SCANNER_ROLES, DeviceRole
from events.models import Event


class DeviceInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    event_id = serializers.CharField(max_length=20)
    checkpoint_id = serializers.CharField(max_length=16)
    role = serializers.ChoiceField(choices=[r.value for r in SCANNER_ROLES], default=DeviceRole.STEWARD.value)


class PairSerializer(serializers.Serializer):
    pairing_code = serializers.CharField(max_length=32)


class HeartbeatSerializer(serializers.Serializer):
    device_time = serializers.DateTimeField()
    app_version = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


def event_brief(event: Event) -> dict:
    return {"event_id": event.event_id, "name": event.name, "date_start": event.date_start.isoformat(),
            "date_end": event.date_end.isoformat(), "venue": event.venue,
            "timezone": event.timezone}  # a paired phone shows times on the event's clock before its offline list comes


def checkpoint_brief(cp) -> dict | None:
    if cp is None:
        return None
    return {"checkpoint_id": cp.checkpoint_id, "name": cp.name, "zones": cp.zones, "directions": cp.directions}


def device_json(device: Device) -> dict:
    return {
        "device_id": device.device_id, "name": device.name, "event_id": device.event_id,
        "checkpoint_id": device.checkpoint_id, "role": device.role,
        "paired": device.paired_at is not None, "online": services.is_online(device),
        "last_seen_at": device.last_seen_at.isoformat() if device.last_seen_at else None,
        "clock_offset_ms": device.clock_offset_ms, "app_version": device.app_version,
        "revoked_at": device.revoked_at.isoformat() if device.revoked_at else None,
    }


class DeviceListView(APIView):
    @extend_schema(request=DeviceInSerializer, responses={201: dict}, summary="Create a device; get a one-time pairing code")
    def post(self, request):
        data = DeviceInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.create_device(**data.validated_data)
        return Response({**device_json(result.device), "pairing_code": result.pairing_code,
                         "pairing_expires_at": result.pairing_expires_at.isoformat(),
                         "pairing_url": pairing_url(request, result.pairing_code, result.device.role)}, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: dict}, summary="Devices of an event (?event_id=)", operation_id="v1_devices_list")
    def get(self, request):
        event_id = request.query_params.get("event_id")
        qs = Device.objects.all()
        if event_id:
            qs = qs.filter(event_id=event_id)
        return Response({"results": [device_json(d) for d in qs[:1000]], "next": None, "previous": None})


class PairView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []  # failures, not requests, are limited: PairingFailures below

    @extend_schema(
        request=PairSerializer,
        summary="Exchange a pairing code for a device token (429 after many failed codes from one address)",
        description=(
            "No authentication: the one-time pairing code (shown in the admin, or encoded in the pairing QR "
            "as `/scanner/?pair=<code>`) is the credential. A code works once and expires; case, spaces and "
            "dashes are ignored. The answer carries the device token, shown this once (only its hash is "
            "stored): send it as `Authorization: Device <token>` from then on. Box offices pair here too and "
            "get their `office`. Failed codes, not pairings, are limited per client address (429 with "
            "`Retry-After` after too many), so a venue can pair many phones at once."),
        responses={
            201: OpenApiResponse(dict, description="The device, its token, event and checkpoint."),
            400: schema.error("Unknown, used or expired code.",
                              ("used code", "pairing_invalid", "The pairing code is unknown, already used or expired.", {})),
            429: schema.THROTTLED},
        examples=[
            OpenApiExample("pair", request_only=True, value={"pairing_code": "K7QP2RS9XB"}),
            OpenApiExample("paired scanner", response_only=True, status_codes=["201"], value={
                "device_id": "dvF3k9Qp2Rs7Xb1L", "token": "9YfQ2m7LkR4sXb8NwP3vZc6HjT1dGe5A-q8Rk2Lm4Tz", "role": DeviceRole.STEWARD.value,
                "event": {"event_id": schema.EVENT_ID, "name": "Fight Night", "date_start": "2026-11-28T20:00:00+01:00",
                          "date_end": "2026-11-29T01:00:00+01:00", "venue": "Arena", "timezone": "Europe/Madrid"},
                "checkpoint": {"checkpoint_id": "cpN4x8Wm2Qa", "name": "North gate", "zones": ["A", "B"],
                               "directions": "both"}}),
        ],
    )
    def post(self, request):
        failures = PairingFailures(request)
        if not failures.reserve():
            raise exceptions.Throttled(wait=failures.wait)
        data = PairSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.pair_device(pairing_code=data.validated_data["pairing_code"])
        failures.succeeded()
        device = result.device
        body = {"device_id": device.device_id, "token": result.token, "role": device.role,
                "event": event_brief(device.event), "checkpoint": checkpoint_brief(device.checkpoint)}
        office = getattr(device, "office", None)
        if office is not None:
            body["office"] = {"office_id": office.office_id, "name": office.name}
        return Response(body, status=status.HTTP_201_CREATED)


class RevokeView(APIView):
    @extend_schema(request=None, responses={200: dict}, summary="Revoke a device (its token gets 401 at once)")
    def post(self, request, device_id: str):
        device = services.revoke_device(device_id=device_id)
        return Response(device_json(device))


class PairingCodeView(APIView):
    @extend_schema(request=None, responses={201: dict}, summary="Issue a new pairing code (re-pair)")
    def post(self, request, device_id: str):
        result = services.issue_pairing_code(device_id=device_id)
        return Response({**device_json(result.device), "pairing_code": result.pairing_code,
                         "pairing_expires_at": result.pairing_expires_at.isoformat(),
                         "pairing_url": pairing_url(request, result.pairing_code, result.device.role)}, status=status.HTTP_201_CREATED)


class HeartbeatView(APIView):
    permission_classes = [IsDevice]
    throttle_classes = [DeviceThrottle]

    @extend_schema(
        request=HeartbeatSerializer, summary="Device heartbeat and clock offset",
        description=(
            "Sent by the scanner app every 20 seconds while it is open. Marks the device "
            "online on the dashboard and measures its clock offset (server time minus `device_time`, in "
            "ms), which the offline sync uses to order scans by corrected time."),
        responses={200: OpenApiResponse(dict, description="The server's time and the measured offset."),
                   400: schema.error("Missing or malformed `device_time`.",
                                     ("no time", "invalid", "Invalid input: device_time: This field is required.",
                                      {"device_time": ["This field is required."]})),
                   401: schema.NOT_AUTHENTICATED, 429: schema.THROTTLED},
        examples=[
            OpenApiExample("heartbeat", request_only=True,
                           value={"device_time": "2026-11-28T20:41:07.512+01:00", "app_version": "scanner/1.0+3f9a2c1d"}),
            OpenApiExample("offset", response_only=True, status_codes=["200"],
                           value={"server_time": "2026-11-28T19:41:08.730+00:00", "clock_offset_ms": 1218,
                                  "device_id": "dvF3k9Qp2Rs7Xb1L"}),
        ],
    )
    def post(self, request):
        data = HeartbeatSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        beat = services.record_heartbeat(device=request.auth, **data.validated_data)
        return Response({"server_time": beat.server_time.isoformat(), "clock_offset_ms": beat.clock_offset_ms,
                         "device_id": request.auth.device_id})


class DeviceMeView(APIView):
    permission_classes = [IsDevice]
    throttle_classes = [DeviceThrottle]

    @extend_schema(responses={200: dict}, summary="The calling device, its event and checkpoint")
    def get(self, request):
        device = request.auth
        return Response({**device_json(device), "event": event_brief(device.event),
                         "checkpoint": checkpoint_brief(device.checkpoint),
                         "online_seconds": settings.DEVICE_ONLINE_SECONDS})


class DeviceDetailView(APIView):
    @extend_schema(responses={200: dict}, summary="A device")
    def get(self, request, device_id: str):
        return Response(device_json(get_object_or_404(Device, pk=device_id)))
