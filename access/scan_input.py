"""What one scan in a request must look like: strict validation, shared by POST /api/v1/scan
(its fast path in access/fastpath.py and its DRF path in access/api.py) and by the offline sync
(access/offline_api.py), so the three refuse exactly the same input."""
from __future__ import annotations

import uuid

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from events.vocabulary import Direction

# Django's `Choices.values` builds a new list on every access; the scan path checks one per scan.
_DIRECTIONS = frozenset(Direction.values)


def scan_problems(item, *, require_scanned_at: bool) -> tuple[dict | None, dict]:
    """Strict validation of one scan: (clean data, {}) or (None, {field: [problems]}).
    Wrong types are problems, never coerced."""
    if not isinstance(item, dict):
        return None, {"non_field_errors": [_("Expected a JSON object.")]}
    errors: dict[str, list[str]] = {}
    code = item.get("code")
    if not isinstance(code, str) or not code:
        errors["code"] = [_("Required, a non-empty string.")]
    elif len(code) > 2000:
        errors["code"] = [_("Too long.")]
    direction = item.get("direction")
    if not isinstance(direction, str) or direction not in _DIRECTIONS:
        errors["direction"] = [_("Must be \"in\" or \"out\".")]
    raw_id = item.get("scan_id")
    scan_id = None
    if not isinstance(raw_id, str):
        errors["scan_id"] = [_("Required, a UUID string.")]
    else:
        try:
            scan_id = uuid.UUID(raw_id)
        except ValueError:
            errors["scan_id"] = [_("Must be a UUID.")]
    raw_at = item.get("scanned_at")
    scanned_at = None
    if raw_at is None:
        if require_scanned_at:
            errors["scanned_at"] = [_("Required for sync.")]
    elif not isinstance(raw_at, str):
        errors["scanned_at"] = [_("Must be an ISO 8601 time with offset.")]
    else:
        try:
            scanned_at = parse_datetime(raw_at)
        except ValueError:
            scanned_at = None
        if scanned_at is None or scanned_at.tzinfo is None:
            errors["scanned_at"] = [_("Must be an ISO 8601 time with offset.")]
    if errors:
        return None, errors
    return {"code": code, "direction": direction, "scan_id": scan_id, "scanned_at": scanned_at}, {}


def parse_scan(item, *, require_scanned_at: bool) -> dict:
    data, errors = scan_problems(item, require_scanned_at=require_scanned_at)
    if errors:
        raise ValidationError(errors)
    return data
