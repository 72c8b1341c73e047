"""The online scan's fast path: POST /api/v1/scan answered in ONE database round trip.

`ScanView.dispatch` (access/api.py) calls `fast_scan_response` first. The plain case, a paired
scanner with a well-formed JSON body and a ticket code, is answered here without DRF's
per-request machinery; anything else returns None and the DRF view answers, so the contract
(API.md) has one author for every unusual case. Why it exists and what it saves: docs/adr/0007.

What this module restates from the DRF path, and must keep in step with:
- Authentication and permission: `DeviceTokenAuthentication` + `IsScanner` (devices/auth.py) are
  restated in SQL by `access_scan_by_token` (access/migrations/0005): token hash lookup (uncached),
  not revoked, role steward or supervisor, a checkpoint. A failure answers `_fallback` and the
  DRF path gives the 401/403 and raises the alert. The header is parsed by the same
  `device_token_from_header`.
- Throttling: `ScanThrottle` (devices/throttling.py) counted by `allow_token` under the same key
  DRF's `allow_request` uses (the token hash); over the limit, the DRF path answers the 429.
- Body parsing: DRF's JSONParser (the request's charset, then `json.loads`) and the parser's
  unstorable-text check (`core.api.may_hold_unstorable`). Validation itself is shared, not
  restated: `access.scan_input.scan_problems`. Any problem falls back for the 400.
- Code verification and the record of a forged or other-event code: `services.scan` verifies in
  Python and writes the rejection with `_record_without_ticket`; here Python verifies the same
  way and `access_scan_by_token` writes the same row in SQL.
- Error mapping: none of its own. A database backstop refusing a racing write (IntegrityError)
  falls back (the DRF path retries under the row lock); other database errors propagate to the
  same middleware as on the DRF path (503 with Retry-After).
- Rendering: `json.dumps` instead of DRF's JSONRenderer (same fields; only the spacing differs).
- Under the RSGI front the plain scan reaches this through the scan lane (ticketcore/scan_lane.py,
  docs/adr/0035), which runs the middlewares that act on it; what it declines there comes back
  through Django's path marked `DECLINED` and goes straight to the DRF path.
The decision itself (`access_scan_ticket`) and what follows a scan (`services._finish`: live feed,
anomaly checks) are the same code on both paths.

Tests that pin it (if the fast path silently fell back, the first two would fail):
- tests/access/test_scan_api.py::test_scan_path_is_one_database_round_trip
- tests/access/test_scan_api.py::test_scan_call_is_a_prepared_statement_with_server_side_binding
- tests/access/test_scan_api.py::test_scan_throttle_holds_on_the_fast_path
- tests/access/test_scan_api.py: every reason-code test goes through the endpoint, e.g.
  ::test_accepted_entry_then_already_inside_with_first_entry, ::test_invalid_signature_is_recorded_without_ticket_lookup,
  ::test_retry_with_same_scan_id_returns_first_answer_and_writes_nothing; the fallbacks:
  ::test_malformed_scans_are_400_and_record_nothing, ::test_non_object_body_is_400, ::test_credentials_end_to_end
- tests/devices/test_devices.py::test_revoked_device_gets_401_device_revoked_on_next_request
- tests/ticketcore/test_input_hardening.py::test_scan_code_with_nul_or_lone_surrogate_is_400_and_writes_nothing,
  ::test_raw_surrogates_from_an_odd_charset_are_refused_too, ::test_unknown_device_token_still_gets_401_before_the_body_matters,
  ::test_scan_over_http_through_granian
- tests/ticketcore/test_slow_clients.py::test_scan_refuses_a_large_body_and_answers_without_credentials_before_any_body
- tests/ticketcore/test_outage.py::test_database_outage_answers_503_with_retry_after_and_recovers,
  ::test_writes_refused_by_a_read_only_database_are_503_not_500
- tests/access/test_scan_concurrency.py::test_fifty_simultaneous_entries_over_http
- tests/ticketcore/test_scan_lane.py: the lane's answers against Django's, header by header
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from django.http import HttpResponse

from access import services
from access.scan_input import scan_problems
from core.api import may_hold_unstorable
from core.prepared import prepared_cursor
from devices.auth import device_token_from_header
from devices.models import hash_token
from devices.throttling import ScanThrottle
from events import codes

# Set in a request's environ by the web front's scan lane (ticketcore/scan_lane.py) when this
# fast path already declined the request there: the view goes straight to its DRF path.
DECLINED = "ticketcore.scan_lane.declined"
SCAN_BY_TOKEN = "SELECT access_scan_by_token(%s, %s, %s, %s, %s, %s, %s, %s)"


def fast_scan_response(request) -> HttpResponse | None:
    """The fast path's answer to a request, or None: the DRF path must answer."""
    call = scan_call(request)
    if call is None:
        return None
    try:
        with prepared_cursor() as cur:
            cur.execute(SCAN_BY_TOKEN, call.params)
            value = cur.fetchone()[0]
    except IntegrityError:
        return None
    return scan_answer(call, value)


@dataclass(frozen=True)
class ScanCall:
    """One plain scan, checked and ready for its one database call: `params` for SCAN_BY_TOKEN."""

    params: list
    direction: str


def scan_call(request) -> ScanCall | None:
    """Everything the fast path checks before the database (the header, the body, the throttle,
    the code's signature), or None: the DRF path must answer. The scan lane runs a batch of
    these, then their database calls in one pipeline (ticketcore/scan_lane.py, docs/adr/0037)."""
    if request.method != "POST" or request.content_type != "application/json" or DECLINED in request.META:
        return None
    token = device_token_from_header(request.META.get("HTTP_AUTHORIZATION", ""))
    if token is None:
        return None
    try:
        text = request.body.decode(request.encoding or "utf-8")
        item = json.loads(text)
    except (ValueError, RecursionError, RequestDataTooBig, LookupError):
        return None
    if may_hold_unstorable(text):
        return None  # the ordinary path's parser refuses it with a 400 naming the field
    scan, errors = scan_problems(item, require_scanned_at=False)
    if errors:
        return None
    if not ScanThrottle().allow_token(token):
        return None
    return _call(token=token, **scan)


def _call(*, token: str, code: str, direction: str, scan_id: uuid.UUID,
          scanned_at: datetime | None = None) -> ScanCall | None:
    """The database call's parameters: device authentication (uncached) and `access_scan_ticket`
    inside `access_scan_by_token` (access/migrations/0005); a forged code is recorded there too.
    None for a credential code, which the ordinary path answers."""
    try:
        verified = codes.verify(code)
    except codes.CodeInvalid:
        verified = None
    if verified is not None and verified.kind != codes.KIND_TICKET:
        return None
    return ScanCall(params=[hash_token(token), verified is not None, verified.event_id if verified else None,
                            verified.object_id if verified else None, code[:200], direction, scan_id, scanned_at],
                    direction=direction)


def scan_answer(call: ScanCall, value) -> HttpResponse | None:
    """The contract's response for the database's answer to `call`, or None when the ordinary
    path must answer instead: an unknown/revoked/non-scanner token (401/403 and alerts). Only
    after the call's transaction has committed: it publishes the scan (services._finish)."""
    response = value if isinstance(value, dict) else json.loads(value)
    if response.pop("_fallback", False):
        return None
    info = response.pop("_device")
    device = _DeviceRef(device_id=info["device_id"], event_id=info["event_id"], checkpoint_id=info["checkpoint_id"])
    answer = services._finish(device, response, call.direction).response
    return HttpResponse(json.dumps(answer), content_type="application/json")


@dataclass(frozen=True)
class _DeviceRef:
    """What the live feed and the anomaly hook need of a device, without loading the row again."""

    device_id: str
    event_id: str
    checkpoint_id: str | None
