"""Credentials and the scan: the only code that admits anyone.

`scan()` is used by POST /api/v1/scan, by the offline batch sync and by the tests alike
(pretix's perform_checkin pattern). A ticket scan is one call of the database function
`access_scan_ticket` (access/migrations/0008 holds its current body); see docs/adr/0007 for why.
The online fast path (access/fastpath.py) calls the same function and then `_finish`."""
from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from access.models import Credential, Scan
from access.signals import scan_decided
from access.vocabulary import CredentialKind, Reason, ScanMode, ScanResult
from core import live_messages
from core.errors import InvalidInput, NotFound
from core.live import publish_on_commit
from events import codes
from events.models import Checkpoint, Event, Zone
from events.vocabulary import Direction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanOutcome:
    response: dict

    @property
    def accepted(self) -> bool:
        return self.response["result"] == ScanResult.ACCEPTED


# --------------------------------------------------------------------------- credentials

def credential_code(credential: Credential) -> str:
    key = codes.active_key(credential.event_id)
    return codes.sign(key_id=key.key_id, private_key=key.private_key, kind=codes.KIND_CREDENTIAL,
                      object_id=credential.credential_id)


def create_credential(*, event_id: str, name: str, kind: str, zones: list[str] | None = None,
                      checkpoints: list[str] | None = None, valid_from: datetime | None = None,
                      valid_until: datetime | None = None) -> Credential:
    if kind not in CredentialKind.values:
        raise InvalidInput("kind must be staff or vip.", fields={"kind": ["Must be staff or vip."]})
    if valid_from and valid_until and valid_until <= valid_from:
        raise InvalidInput("valid_until must be after valid_from.", fields={"valid_until": ["Must be after valid_from."]})
    with transaction.atomic():
        event = Event.objects.filter(pk=event_id).first()
        if event is None:
            raise NotFound("No such event.")
        zones, checkpoints = sorted(set(zones or [])), sorted(set(checkpoints or []))
        bad_zones = set(zones) - set(Zone.objects.filter(event=event).values_list("zone_id", flat=True))
        bad_cps = set(checkpoints) - set(Checkpoint.objects.filter(event=event).values_list("checkpoint_id", flat=True))
        fields = {}
        if bad_zones:
            fields["zones"] = [f"Unknown zone {z}." for z in sorted(bad_zones)]
        if bad_cps:
            fields["checkpoints"] = [f"Unknown checkpoint {c}." for c in sorted(bad_cps)]
        if fields:
            raise InvalidInput("Unknown zones or checkpoints.", fields=fields)
        return Credential.objects.create(event=event, name=name, kind=kind, zones=zones, checkpoints=checkpoints,
                                         valid_from=valid_from, valid_until=valid_until)


def update_credential(*, credential_id: str, name: str, zones: list[str], checkpoints: list[str],
                      valid_from: datetime | None, valid_until: datetime | None) -> Credential:
    """Edit a credential (admin); kind and event are fixed, revocation has its own service."""
    if valid_from and valid_until and valid_until <= valid_from:
        raise InvalidInput("valid_until must be after valid_from.")
    with transaction.atomic():
        credential = Credential.objects.select_for_update().filter(pk=credential_id).first()
        if credential is None:
            raise NotFound("No such credential.")
        credential.name, credential.zones, credential.checkpoints = name, sorted(set(zones)), sorted(set(checkpoints))
        credential.valid_from, credential.valid_until = valid_from, valid_until
        credential.save(update_fields=["name", "zones", "checkpoints", "valid_from", "valid_until"])
    return credential


def revoke_credential(*, credential_id: str) -> Credential:
    with transaction.atomic():
        credential = Credential.objects.select_for_update().filter(pk=credential_id).first()
        if credential is None:
            raise NotFound("No such credential.")
        if credential.revoked_at is None:
            credential.revoked_at = timezone.now()
            credential.save(update_fields=["revoked_at"])
    return credential


# --------------------------------------------------------------------------- scanning

def _record_without_ticket(*, device, scan_id: uuid.UUID, direction: str, code: str, reason: str,
                           scanned_at, effective_at, mode: str, late: bool) -> dict:
    """Record a rejection that matched no ticket (forged code, other event). Idempotent by scan_id."""
    response = {"scan_id": str(scan_id), "result": ScanResult.REJECTED, "reason": reason}
    with connection.cursor() as cur:
        cur.execute(
            """WITH ins AS (
                 INSERT INTO access_scan (scan_id, device_id, event_id, checkpoint_id, direction, result, reason, code,
                                          first_entry, mode, quarantined, late, scanned_at, effective_at, server_time,
                                          response)
                 VALUES (%s, %s, %s, %s, %s, %s, %s, %s, false, %s, false, %s, %s, %s, now(), %s::jsonb)
                 ON CONFLICT (device_id, scan_id) DO NOTHING
                 RETURNING response)
               SELECT response FROM ins
               UNION ALL
               SELECT response FROM access_scan WHERE device_id = %s AND scan_id = %s
               LIMIT 1""",
            [scan_id, device.device_id, device.event_id, device.checkpoint_id, direction, ScanResult.REJECTED, reason,
             (code or "")[:200], mode, late, scanned_at, effective_at, json.dumps(response),
             device.device_id, scan_id],
        )
        row = cur.fetchone()
    return row[0] if isinstance(row[0], dict) else json.loads(row[0])


def _scan_ticket(*, device, ticket_id: str, code: str, direction: str, scan_id: uuid.UUID, scanned_at, effective_at,
                 mode: str, late: bool) -> dict:
    checkpoint = device.checkpoint
    with connection.cursor() as cur:
        cur.execute(
            "SELECT access_scan_ticket(%s, %s, %s, %s::text[], %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [device.device_id, device.event_id, checkpoint.checkpoint_id, list(checkpoint.zones),
             checkpoint.directions, ticket_id, code[:200], direction, scan_id, scanned_at, effective_at, mode, late],
        )
        value = cur.fetchone()[0]
    return value if isinstance(value, dict) else json.loads(value)


def _scan_credential(*, device, credential_id: str, code: str, direction: str, scan_id: uuid.UUID, scanned_at,
                     effective_at, mode: str, late: bool) -> dict:
    checkpoint = device.checkpoint
    with transaction.atomic():
        credential = Credential.objects.select_for_update().filter(pk=credential_id).first()
        previous = Scan.objects.filter(device=device, scan_id=scan_id).values_list("response", flat=True).first()
        if previous is not None:
            return previous
        at = effective_at or timezone.now()
        reason = None
        if not checkpoint.allows(direction):
            reason = Reason.DIRECTION_NOT_ALLOWED
        elif credential is None:
            reason = Reason.UNKNOWN_TICKET
        elif credential.event_id != device.event_id:
            reason = Reason.WRONG_EVENT
        elif credential.revoked_at is not None:
            reason = Reason.CREDENTIAL_REVOKED
        elif (credential.valid_from and at < credential.valid_from) or (credential.valid_until and at > credential.valid_until):
            reason = Reason.EVENT_CLOSED
        elif (credential.checkpoints and checkpoint.checkpoint_id not in credential.checkpoints) or (
            credential.zones and checkpoint.zones and not set(credential.zones) & set(checkpoint.zones)
        ):
            reason = Reason.ZONE_NOT_ALLOWED
        elif direction == Direction.IN and credential.inside:
            reason = Reason.ALREADY_INSIDE
        elif direction == Direction.OUT and not credential.inside:
            reason = Reason.NOT_INSIDE
        response: dict = {"scan_id": str(scan_id), "result": ScanResult.REJECTED if reason else ScanResult.ACCEPTED,
                          "reason": reason}
        if credential is not None and credential.event_id == device.event_id:
            response["credential"] = {"credential_id": credential.credential_id, "name": credential.name,
                                      "kind": credential.kind}
            if reason is None:
                credential.inside = direction == Direction.IN
                credential.save(update_fields=["inside"])
        Scan.objects.create(
            scan_id=scan_id, device=device, event_id=device.event_id, checkpoint=checkpoint,
            credential=credential if credential and credential.event_id == device.event_id else None,
            direction=direction, result=response["result"], reason=reason, code=code[:200], mode=mode,
            late=late, scanned_at=scanned_at, effective_at=effective_at, response=response,
        )
    return response


def scan(*, device, code: str, direction: str, scan_id: uuid.UUID, scanned_at: datetime | None = None,
         effective_at: datetime | None = None, mode: str = ScanMode.ONLINE, late: bool = False) -> ScanOutcome:
    """Validate one scan and apply it atomically. Never raises for a rejected scan: the reason
    is in the response. (The negative-control tests run their own unguarded variant of the
    database function: tests/access/unguarded_scan.py.)"""
    if direction not in Direction.values:
        raise InvalidInput("direction must be in or out.", fields={"direction": ["Must be in or out."]})
    common = dict(direction=direction, scan_id=scan_id, scanned_at=scanned_at, effective_at=effective_at,
                  mode=mode, late=late)
    try:
        verified = codes.verify(code)
    except codes.CodeInvalid:
        response = _record_without_ticket(device=device, code=code, reason=Reason.INVALID_SIGNATURE, **common)
        return _finish(device, response, direction)
    if verified.event_id != device.event_id:
        response = _record_without_ticket(device=device, code=code, reason=Reason.WRONG_EVENT, **common)
        return _finish(device, response, direction)

    for attempt in (1, 2):
        try:
            if verified.kind == codes.KIND_CREDENTIAL:
                response = _scan_credential(device=device, credential_id=verified.object_id, code=code, **common)
            else:
                response = _scan_ticket(device=device, ticket_id=verified.object_id, code=code, **common)
            return _finish(device, response, direction)
        except IntegrityError as exc:
            # A database backstop refused a racing write (or two retries of one scan_id raced on
            # different tickets). Nothing was applied; the locked path decides the real answer.
            log.warning("scan %s: integrity error on attempt %s: %s", scan_id, attempt, str(exc).splitlines()[0])
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _finish(device, response: dict, direction: str) -> ScanOutcome:
    ticket = response.get("ticket") or {}
    publish_on_commit(device.event_id, live_messages.Scan(
        scan_id=response.get("scan_id"), direction=direction, checkpoint=device.checkpoint_id, device=device.device_id,
        result=response["result"], reason=response.get("reason"),
        ticket_id=ticket.get("ticket_id"), seat_id=ticket.get("seat_id"), zone_id=ticket.get("zone_id"),
        credential_id=(response.get("credential") or {}).get("credential_id"), at=timezone.now().isoformat()))
    scan_decided.send(sender=ScanOutcome, device=device, response=response)  # live/anomalies.py: after commit, never raises
    return ScanOutcome(response=response)


def first_entry_for(ticket_pk: int) -> dict | None:
    row = (Scan.objects.filter(ticket_id=ticket_pk, first_entry=True)
           .values("effective_at", "server_time", "checkpoint_id", "checkpoint__name").first())
    if row is None:
        return None
    at = row["effective_at"] or row["server_time"]
    return {"at": at.isoformat(), "checkpoint": row["checkpoint_id"], "checkpoint_name": row["checkpoint__name"]}
