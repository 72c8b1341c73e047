"""Credentials (staff); scan and lookup (devices). Thin: validation + services."""
from __future__ import annotations

import uuid

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from access import fastpath, services
from access.models import Credential

# scan_problems: also imported from here by tests/ticketcore/test_api_docs.py
from access.scan_input import parse_scan, scan_problems  # noqa: F401
from access.vocabulary import CredentialKind, Reason, ScanResult
from core import schema
from core.errors import interpolate
from devices.auth import IsScanner, IsSupervisor
from devices.throttling import DeviceThrottle, ScanThrottle
from events.models import Event
from events.vocabulary import Direction
from tickets.api import qr_response
from tickets.models import Ticket
from tickets.selectors import state_of


def credential_json(c: Credential, *, with_code: bool = True) -> dict:
    data = {"credential_id": c.credential_id, "event_id": c.event_id, "name": c.name, "kind": c.kind,
            "zones": c.zones, "checkpoints": c.checkpoints,
            "valid_from": c.valid_from.isoformat() if c.valid_from else None,
            "valid_until": c.valid_until.isoformat() if c.valid_until else None,
            "revoked": c.revoked_at is not None,
            "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None, "inside": c.inside}
    if with_code:
        data["code"] = services.credential_code(c)
    return data


class CredentialInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=CredentialKind.choices)
    zones = serializers.ListField(child=serializers.CharField(max_length=16), required=False, max_length=100)
    checkpoints = serializers.ListField(child=serializers.CharField(max_length=16), required=False, max_length=100)
    valid_from = serializers.DateTimeField(required=False, allow_null=True)
    valid_until = serializers.DateTimeField(required=False, allow_null=True)


class CredentialListView(APIView):
    @extend_schema(request=CredentialInSerializer, responses={201: dict}, summary="Create a staff/VIP credential")
    def post(self, request, event_id: str):
        data = CredentialInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credential = services.create_credential(event_id=event_id, **data.validated_data)
        return Response(credential_json(credential), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: dict}, summary="Credentials of an event")
    def get(self, request, event_id: str):
        get_object_or_404(Event, pk=event_id)
        items = [credential_json(c) for c in Credential.objects.filter(event_id=event_id)[:2000]]
        return Response({"results": items, "next": None, "previous": None})


class CredentialRevokeView(APIView):
    @extend_schema(request=None, responses={200: dict}, summary="Revoke a credential")
    def post(self, request, credential_id: str):
        return Response(credential_json(services.revoke_credential(credential_id=credential_id)))


class CredentialQRView(APIView):
    @extend_schema(parameters=[OpenApiParameter("format", str, enum=["svg", "png"])], responses={200: bytes},
                   summary="A credential's QR code image")
    def get(self, request, credential_id: str):
        fmt = request.query_params.get("format", "svg")
        if fmt not in ("svg", "png"):
            raise ValidationError({"format": [_("Must be svg or png.")]})
        credential = get_object_or_404(Credential, pk=credential_id)
        return qr_response(services.credential_code(credential), fmt, credential.credential_id)


_SCAN_REQUEST = inline_serializer("ScanRequest", {
    "code": serializers.CharField(), "direction": serializers.ChoiceField(choices=Direction.choices),
    "scan_id": serializers.UUIDField(), "scanned_at": serializers.DateTimeField(required=False)})
_SCAN_RESPONSE = inline_serializer("ScanResult", {
    "scan_id": serializers.UUIDField(), "result": serializers.ChoiceField(choices=ScanResult.choices),
    "reason": serializers.ChoiceField(choices=Reason.choices, allow_null=True), "ticket": serializers.DictField(required=False),
    "credential": serializers.DictField(required=False), "first_entry": serializers.DictField(required=False)})


class ScanView(APIView):
    """POST /api/v1/scan. The plain case (a paired scanner, a well-formed body, a ticket code) is
    answered by the fast path, access/fastpath.py, in one database round trip without DRF's
    per-request machinery (docs/adr/0007); every other case (credentials, errors, unknown or
    revoked tokens, throttling) falls through to the ordinary DRF path below, so the answers are
    identical."""

    permission_classes = [IsScanner]
    throttle_classes = [ScanThrottle]

    def dispatch(self, request, *args, **kwargs):
        response = fastpath.fast_scan_response(request)
        if response is not None:
            return response
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(
        request=_SCAN_REQUEST, summary="Scan a ticket or credential",
        description=(
            "The door's online scan, by a paired scanner (`Authorization: Device <token>`). The code is "
            "verified (Ed25519, canonical spelling only) and the ticket's state changed in one database "
            "transaction: under any number of concurrent scans of one ticket exactly one `in` is accepted.\n\n"
            "A refused scan is still **200** with `result: rejected` and a `reason`: `invalid_signature`, "
            "`unknown_ticket`, `wrong_event`, `not_sold`, `already_inside`, `already_used` (no re-entry in that "
            "zone), `not_inside` (exit without entry), `zone_not_allowed`, `direction_not_allowed`, "
            "`credential_revoked`, `event_closed`. `first_entry` comes with `already_inside` and `already_used`.\n\n"
            "Idempotent by `scan_id`: a retry returns the first answer and changes nothing. A malformed request "
            "(missing or non-string `code`, bad `direction`, missing `scan_id`, text with NUL) is 400."),
        responses={
            200: OpenApiResponse(_SCAN_RESPONSE, description="The scan's answer (accepted or rejected)."),
            400: schema.error("Malformed scan; nothing recorded.",
                              ("bad direction", "invalid", "Invalid input: direction: Must be \"in\" or \"out\".",
                               {"direction": ["Must be \"in\" or \"out\"."]})),
            401: schema.NOT_AUTHENTICATED, 429: schema.THROTTLED},
        examples=[
            OpenApiExample("entry", request_only=True,
                           value={"code": schema.CODE, "direction": Direction.IN.value, "scan_id": schema.SCAN_ID}),
            OpenApiExample("accepted", response_only=True, status_codes=["200"],
                           value={"scan_id": schema.SCAN_ID, "result": ScanResult.ACCEPTED.value, "reason": None,
                                  "ticket": schema.TICKET}),
            OpenApiExample("already inside", response_only=True, status_codes=["200"],
                           value={"scan_id": schema.SCAN_ID, "result": ScanResult.REJECTED.value,
                                  "reason": Reason.ALREADY_INSIDE.value,
                                  "ticket": schema.TICKET,
                                  "first_entry": {"at": "2026-11-28T20:41:07.512+00:00", "checkpoint": "North gate"}}),
            OpenApiExample("forged or altered code", response_only=True, status_codes=["200"],
                           value={"scan_id": schema.SCAN_ID, "result": ScanResult.REJECTED.value,
                                  "reason": Reason.INVALID_SIGNATURE.value}),
        ],
    )
    def post(self, request):
        scan = parse_scan(request.data, require_scanned_at=False)
        outcome = services.scan(device=request.auth, **scan)
        return Response(outcome.response)


def ticket_state_json(ticket: Ticket) -> dict:
    """A ticket as a supervisor sees it before admitting by hand: public fields and access state."""
    return {
        "ticket_id": ticket.ticket_id, "seat_id": ticket.seat_id, "zone": ticket.zone, "zone_id": ticket.zone_id,
        "color": ticket.color, "seat_row": ticket.seat_row, "status": ticket.status,
        "status_offline": ticket.status_offline, "access_status": ticket.access_status,
        "access_entry": ticket.access_entry, "first_entry": services.first_entry_for(ticket.pk),
        "reference": ticket.reference, "state": state_of(ticket).value,
    }


def _query_problem(q) -> str | None:
    if not isinstance(q, str) or not q.strip():
        return _("Required: a seat (A-12), ticket id or reference.")
    if len(q) > services.MAX_QUERY_LENGTH or "\x00" in q:
        return interpolate(_("At most %(count)d characters, no NUL."), count=services.MAX_QUERY_LENGTH)
    return None


class LookupView(APIView):
    permission_classes = [IsSupervisor]
    throttle_classes = [DeviceThrottle]

    @extend_schema(parameters=[OpenApiParameter("q", str, required=True,
                                                description="ticket_id, seat_id (any case) or the printed reference")],
                   responses={200: dict}, summary="Look a ticket up for a damaged code (supervisors)")
    def get(self, request):
        q = request.query_params.get("q", "")
        problem = _query_problem(q)
        if problem:
            raise ValidationError({"q": [problem]})
        found = services.find_ticket(event_id=request.auth.event_id, query=q)
        if found.ticket is None:
            message = ("This ticket id is for a different event." if found.other_event
                       else "No such ticket in this event.")
            return Response({"error": {"code": "not_found", "message": message, "fields": {}}}, status=404)
        return Response(ticket_state_json(found.ticket))


_MANUAL_REQUEST = inline_serializer("ManualScanRequest", {
    "q": serializers.CharField(help_text="ticket_id, seat_id or the printed reference"),
    "direction": serializers.ChoiceField(choices=Direction.choices), "scan_id": serializers.UUIDField(),
    "note": serializers.CharField(required=False, help_text="why the code could not be scanned")})


def parse_manual(data) -> dict:
    """Strict, like access/scan_input.py: wrong types are problems, never coerced."""
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
    errors: dict[str, list[str]] = {}
    problem = _query_problem(data.get("q"))
    if problem:
        errors["q"] = [problem]
    if data.get("direction") not in Direction.values:
        errors["direction"] = ['Must be "in" or "out".']
    scan_id = None
    try:
        scan_id = uuid.UUID(data["scan_id"]) if isinstance(data.get("scan_id"), str) else None
    except ValueError:
        pass
    if scan_id is None:
        errors["scan_id"] = [_("Required, a UUID string.")]
    note = data.get("note")
    if note is None:
        note = ""
    elif not isinstance(note, str) or len(note) > services.MAX_NOTE_LENGTH or "\x00" in note:
        errors["note"] = [interpolate(_("A string of at most %(count)d characters, no NUL."),
                                      count=services.MAX_NOTE_LENGTH)]
    if errors:
        raise ValidationError(errors)
    return {"query": data["q"], "direction": data["direction"], "scan_id": scan_id, "note": note.strip()}


class ManualScanView(APIView):
    """POST /api/v1/scan/manual: a supervisor admits (or lets out) a ticket whose code will not
    scan, by seat, ticket id or reference. The same atomic scan as POST /api/v1/scan."""

    permission_classes = [IsSupervisor]
    throttle_classes = [ScanThrottle]

    @extend_schema(
        request=_MANUAL_REQUEST, summary="Admit a ticket by hand (supervisors)",
        description=(
            "For a damaged or unreadable code: the supervisor's device names the ticket by `q` (ticket_id, "
            "seat_id or the printed reference) and the scan runs exactly as `POST /api/v1/scan` does, at the "
            "supervisor's checkpoint: the same reasons (`unknown_ticket` for a `q` that names no ticket of this "
            "event, `wrong_event` for another event's ticket id), the same database guarantees, idempotent by "
            "`scan_id`. It is not an override: a used ticket stays used. Recorded with mode `manual`, the "
            "device, what was typed and the `note`. Stewards get 403."),
        responses={
            200: OpenApiResponse(_SCAN_RESPONSE, description="The scan's answer, plus `\"mode\": \"manual\"`."),
            400: schema.error("Malformed request; nothing recorded.",
                              ("no query", "invalid", "Invalid input: q: Required.", {"q": ["Required."]})),
            401: schema.NOT_AUTHENTICATED,
            403: schema.error("Not a supervisor's device.",
                              ("a steward's device", "permission_denied", "You do not have permission to perform this action.",
                               {})),
            429: schema.THROTTLED},
        examples=[
            OpenApiExample("admit seat A-12", request_only=True,
                           value={"q": "A-12", "direction": Direction.IN.value, "scan_id": schema.SCAN_ID,
                                  "note": "QR torn"}),
            OpenApiExample("accepted", response_only=True, status_codes=["200"],
                           value={"scan_id": schema.SCAN_ID, "result": ScanResult.ACCEPTED.value, "reason": None,
                                  "ticket": schema.TICKET, "mode": "manual"}),
        ],
    )
    def post(self, request):
        data = parse_manual(request.data)
        return Response(services.manual_scan(device=request.auth, **data).response)
