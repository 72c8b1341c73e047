"""OpenAPI pieces the api modules share: the contract's error body as a documented response, and
example values that look like the real thing (ids, codes, times)."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers

ERROR_BODY = inline_serializer("Error", {"error": inline_serializer("ErrorDetail", {
    "code": serializers.CharField(help_text="snake_case reason code, stable: clients branch on it"),
    "message": serializers.CharField(help_text="human text, may change"),
    "fields": serializers.DictField(help_text="input field (nested as `scans[3].code`) -> list of problems"),
})})

# Example values only (a canonical signature: its last character is one of A, Q, g, w).
EVENT_ID = "Hq3VnK8sTz2WbX5cLm9R"
TICKET_ID = f"{EVENT_ID}-Pf7Qa2Nd8Ke4Rs1Tw6Ub"
CODE = (f"T.{TICKET_ID}.k7Qp2Rs9."
        "BwoNEBMWGRwfIiUoKy4xNDc6PUBDRklMT1JVWFteYWRnam1wc3Z5fH-ChYiLjpGUl5qdoKOmqayvsrW4u77BxA")
SCAN_ID = "3f1c9a6e-2b7d-4e0a-9c55-8d2f4b1e7a90"
TICKET = {"ticket_id": TICKET_ID, "seat_id": "A-12", "zone": "Ringside", "zone_id": "A", "color": "#C0392B",
          "seat_row": "por asignar"}


def error(description: str, *examples: tuple) -> OpenApiResponse:
    """A documented 4xx: `examples` are (name, code, message, fields[, extra keys of the error])."""
    return OpenApiResponse(ERROR_BODY, description=description, examples=[
        OpenApiExample(name, response_only=True, value={"error": {
            "code": code, "message": message, "fields": fields, **(rest[0] if rest else {})}})
        for name, code, message, fields, *rest in examples
    ])


NOT_AUTHENTICATED = error(
    "No, an unknown or a revoked device token.",
    ("unknown token", "not_authenticated", "Unknown device token.", {}),
    ("revoked device", "device_revoked", "This device has been revoked.", {}),
)
THROTTLED = error("Too many requests from this device; retry after `Retry-After` seconds.",
                  ("throttled", "throttled", "Request was throttled. Expected available in 2 seconds.", {}))
