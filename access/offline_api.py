"""Cold scanning over HTTP: the scanner manifest and the batch sync upload (thin: parsing, then
access/manifest.py and access/sync.py). Design: docs/adr/0012-offline-sync-conflicts.md."""
from __future__ import annotations

import gzip

from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from access.api import parse_scan
from access.manifest import build_manifest
from access.offline_limits import MAX_SYNC_SCANS
from access.sync import sync_scans
from access.vocabulary import ScanResult
from core import schema
from devices.auth import IsScanner, RevokedDeviceAllowedAuthentication
from devices.throttling import DeviceThrottle
from events.vocabulary import Direction

MAX_FIELD_ERRORS = 50
# Level 1: the manifest is mostly random ticket ids, so higher levels shrink it little more and
# cost several times the CPU (bench/manifest.py measures both).
GZIP_LEVEL = 1
GZIP_MIN_BYTES = 1024


def _since(request) -> int | None:
    raw = request.query_params.get("since")
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ValidationError({"since": [_("Must be a version number (a non-negative integer) from a previous manifest.")]})
    return int(raw)


def _accepts_gzip(request) -> bool:
    for part in request.headers.get("Accept-Encoding", "").split(","):
        coding, _sep, params = part.strip().partition(";")
        if coding.strip().lower() == "gzip" and params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            return True
    return False


_MANIFEST = inline_serializer("ScanManifest", {
    "version": serializers.IntegerField(), "since": serializers.IntegerField(allow_null=True),
    "full": serializers.BooleanField(), "event": serializers.DictField(), "checkpoint": serializers.DictField(),
    "zones": serializers.ListField(child=serializers.DictField()),
    "keys": inline_serializer("ManifestKey", {"key_id": serializers.CharField(), "public_key": serializers.CharField(),
                                              "active": serializers.BooleanField()}, many=True),
    "tickets": inline_serializer("ManifestTicket", {
        "ticket_id": serializers.CharField(), "zone_id": serializers.CharField(), "status": serializers.BooleanField(),
        "access_status": serializers.BooleanField(), "access_entry": serializers.BooleanField()}, many=True),
    "credentials": serializers.ListField(child=serializers.DictField()),
    "revoked_credentials": serializers.ListField(child=serializers.CharField()),
})


class ManifestView(APIView):
    permission_classes = [IsScanner]
    throttle_classes = [DeviceThrottle]

    @extend_schema(parameters=[OpenApiParameter("since", int, description="version of a previous manifest: only "
                                                "tickets changed after it")],
                   responses={200: _MANIFEST}, summary="What a scanner needs to validate offline (no personal data)")
    def get(self, request):
        since = _since(request)
        manifest = build_manifest(device=request.auth, since=since)
        body = manifest.body
        response = HttpResponse(content_type="application/json")
        if _accepts_gzip(request) and len(body) >= GZIP_MIN_BYTES:
            body = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
            response["Content-Encoding"] = "gzip"
        patch_vary_headers(response, ("Accept-Encoding",))
        response["Cache-Control"] = "no-store"
        response["X-Manifest-Version"] = str(manifest.version)
        response.content = body
        return response


_SYNC_REQUEST = inline_serializer("ScanSyncRequest", {"scans": inline_serializer("SyncScan", {
    "code": serializers.CharField(), "direction": serializers.ChoiceField(choices=Direction.choices),
    "scan_id": serializers.UUIDField(), "scanned_at": serializers.DateTimeField()}, many=True)})
_SYNC_RESPONSE = inline_serializer("ScanSyncResult", {
    "results": inline_serializer("SyncScanResult", {
        "scan_id": serializers.UUIDField(), "result": serializers.ChoiceField(choices=ScanResult.choices),
        "reason": serializers.CharField(allow_null=True), "ticket": serializers.DictField(required=False),
        "credential": serializers.DictField(required=False), "first_entry": serializers.DictField(required=False),
    }, many=True),
    "summary": serializers.DictField(),
})


def parse_sync(data) -> list[dict]:
    """The whole upload is validated before anything is applied: one bad scan is a 400 that
    writes nothing, with `fields` naming each problem as `scans[<i>].<field>`."""
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Expected a JSON object with a \"scans\" list.")]})
    scans = data.get("scans")
    if not isinstance(scans, list):
        raise ValidationError({"scans": [_("Required, a list of scans.")]})
    if len(scans) > MAX_SYNC_SCANS:
        raise ValidationError({"scans": [_("At most %(count)d scans per request.") % {"count": MAX_SYNC_SCANS}]})
    parsed, errors = [], {}
    for i, item in enumerate(scans):
        try:
            scan = parse_scan(item, require_scanned_at=True)
            if "\x00" in scan["code"]:
                # PostgreSQL text cannot hold NUL; refuse it here, before any scan is applied.
                raise ValidationError({"code": [_("Contains a NUL character.")]})
            parsed.append(scan)
        except ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            for name, problems in detail.items():
                key = f"scans[{i}]" if name == "non_field_errors" else f"scans[{i}].{name}"
                errors[key] = [str(p) for p in problems]
            if len(errors) >= MAX_FIELD_ERRORS:
                break
    if errors:
        raise ValidationError(errors)
    return parsed


class SyncView(APIView):
    # The one endpoint a revoked device may still reach: its queued scans become quarantined
    # evidence instead of being lost (the contract's single exception).
    authentication_classes = [RevokedDeviceAllowedAuthentication]
    permission_classes = [IsScanner]
    throttle_classes = [DeviceThrottle]

    @extend_schema(
        request=_SYNC_REQUEST, summary="Upload offline scans (idempotent by scan_id; applied in corrected scanned_at order)",
        description=(
            "A scanner that admitted people offline uploads its queue (up to 5,000 scans a request, `scanned_at` "
            "required). The whole upload is validated first: one malformed scan is a 400 naming it "
            "(`scans[3].code`) and nothing is applied. Scans are applied in `scanned_at` order corrected by "
            "the device's measured clock offset (from its heartbeats) and answered in request order, one "
            "result per scan, with the same reasons as the online scan.\n\n"
            "Idempotent by `scan_id`: a re-upload replays the stored answers and writes nothing. A ticket "
            "admitted offline by two devices gets one `accepted` (the earlier) and one `rejected` "
            "`already_inside`, and an `offline_conflict` alert. A revoked device may still upload here: its "
            "scans are kept as quarantined evidence and each is answered `rejected` `device_revoked`."),
        responses={
            200: OpenApiResponse(_SYNC_RESPONSE, description="One result per scan, in request order, and a summary."),
            400: schema.error("A malformed scan; nothing applied.",
                              ("scanned_at missing", "invalid", "Invalid input: scans[1].scanned_at: Required for sync.",
                               {"scans[1].scanned_at": ["Required for sync."]})),
            401: schema.error("No or an unknown device token.",
                              ("unknown token", "not_authenticated", "Unknown device token.", {})),
            429: schema.THROTTLED},
        examples=[
            OpenApiExample("two offline scans", request_only=True, value={"scans": [
                {"code": schema.CODE, "direction": "in", "scan_id": schema.SCAN_ID,
                 "scanned_at": "2026-11-28T20:41:07.512+01:00"},
                {"code": schema.CODE, "direction": "out", "scan_id": "7c2e5d18-9a4b-4f63-b0e1-2d8c6a9f3e47",
                 "scanned_at": "2026-11-28T21:15:42.003+01:00"}]}),
            OpenApiExample("applied", response_only=True, status_codes=["200"], value={
                "results": [
                    {"scan_id": schema.SCAN_ID, "result": "accepted", "reason": None, "ticket": schema.TICKET},
                    {"scan_id": "7c2e5d18-9a4b-4f63-b0e1-2d8c6a9f3e47", "result": "accepted", "reason": None,
                     "ticket": schema.TICKET}],
                "summary": {"received": 2, "applied": 2, "replayed": 0, "accepted": 2, "late": 0, "conflicts": 0,
                            "quarantined": 0}}),
        ],
    )
    def post(self, request):
        scans = parse_sync(request.data)
        outcome = sync_scans(device=request.auth, scans=scans)
        return Response({"results": outcome.results, "summary": outcome.summary})
