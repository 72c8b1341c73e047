"""Credentials and the scan: the only code that admits anyone.

`scan()` is used by POST /api/v1/scan, by the offline batch sync and by the tests alike
(pretix's perform_checkin pattern); `manual_scan()` (POST /api/v1/scan/manual, a supervisor typing
a damaged code's seat, id or reference) ends in the same database function. A ticket scan is one
call of the database function `access_scan_ticket` (access/migrations/0008 holds its current
body); see docs/adr/0007 for why.
The online fast path (access/fastpath.py) calls the same function and then `_finish`."""
from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from access.models import Credential, Scan, ScanNote
from access.signals import scan_decided
from access.vocabulary import CredentialKind, Reason, ScanMode, ScanResult
from core import live_messages
from core.errors import InvalidInput, NotFound, interpolate
from core.live import publish_on_commit
from events import codes
from events.models import Checkpoint, Event, Zone
from events.vocabulary import Direction
from tickets import references
from tickets.models import Ticket

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
        raise InvalidInput(_("kind must be staff or vip."), fields={"kind": [_("Must be staff or vip.")]})
    if valid_from and valid_until and valid_until <= valid_from:
        raise InvalidInput(_("valid_until must be after valid_from."), fields={"valid_until": [_("Must be after valid_from.")]})
    with transaction.atomic():
        event = Event.objects.filter(pk=event_id).first()
        if event is None:
            raise NotFound(_("No such event."))
        zones, checkpoints = sorted(set(zones or [])), sorted(set(checkpoints or []))
        bad_zones = set(zones) - set(Zone.objects.filter(event=event).values_list("zone_id", flat=True))
        bad_cps = set(checkpoints) - set(Checkpoint.objects.filter(event=event).values_list("checkpoint_id", flat=True))
        fields = {}
        if bad_zones:
            fields["zones"] = [interpolate(_("Unknown zone %(zone)s."), zone=z) for z in sorted(bad_zones)]
        if bad_cps:
            fields["checkpoints"] = [interpolate(_("Unknown checkpoint %(checkpoint)s."), checkpoint=c)
                                     for c in sorted(bad_cps)]
        if fields:
            raise InvalidInput(_("Unknown zones or checkpoints."), fields=fields)
        return Credential.objects.create(event=event, name=name, kind=kind, zones=zones, checkpoints=checkpoints,
                                         valid_from=valid_from, valid_until=valid_until)


def update_credential(*, credential_id: str, name: str, zones: list[str], checkpoints: list[str],
                      valid_from: datetime | None, valid_until: datetime | None) -> Credential:
    """Edit a credential (admin); kind and event are fixed, revocation has its own service."""
    if valid_from and valid_until and valid_until <= valid_from:
        raise InvalidInput(_("valid_until must be after valid_from."))
    with transaction.atomic():
        credential = Credential.objects.select_for_update().filter(pk=credential_id).first()
        if credential is None:
            raise NotFound(_("No such credential."))
        credential.name, credential.zones, credential.checkpoints = name, sorted(set(zones)), sorted(set(checkpoints))
        credential.valid_from, credential.valid_until = valid_from, valid_until
        credential.save(update_fields=["name", "zones", "checkpoints", "valid_from", "valid_until"])
    return credential


def revoke_credential(*, credential_id: str) -> Credential:
    with transaction.atomic():
        credential = Credential.objects.select_for_update().filter(pk=credential_id).first()
        if credential is None:
            raise NotFound(_("No such credential."))
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
        raise InvalidInput(_("direction must be in or out."), fields={"direction": [_("Must be in or out.")]})
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


# --------------------------------------------------------------------------- manual scans

# A ticket id is `{event_id}-{doc_id}` and event ids are 20 letters and digits (core/ids.py): an id
# of another event says so by itself, without reading that event's tickets.
_TICKET_ID_RE = re.compile(r"^([A-Za-z0-9]{20})-[A-Za-z0-9]{1,27}$")
MAX_QUERY_LENGTH = 64
MAX_NOTE_LENGTH = ScanNote._meta.get_field("note").max_length


@dataclass(frozen=True)
class TicketQuery:
    """What a typed seat, ticket id or reference names: a ticket of this event (`ticket`), a
    ticket id of another event (`other_event`), or nothing."""

    ticket: Ticket | None
    other_event: bool = False


def find_ticket(*, event_id: str, query: str) -> TicketQuery:
    """The ticket a supervisor means by `query` (ticket_id, seat_id in any case, or the printed
    reference, in any case and with or without its separators), within their event only."""
    query = query.strip()
    tickets = Ticket.objects.filter(event_id=event_id)
    match = _TICKET_ID_RE.match(query)
    if match:
        if match.group(1) != event_id:
            return TicketQuery(ticket=None, other_event=True)
        return TicketQuery(ticket=tickets.filter(ticket_id=query).first())
    ticket = tickets.filter(seat_id__iexact=query).first()
    if ticket is None and (reference := references.normalize(query)):
        ticket = tickets.filter(reference=reference).first()
    return TicketQuery(ticket=ticket)


def manual_scan(*, device, query: str, direction: str, scan_id: uuid.UUID, note: str = "") -> ScanOutcome:
    """A supervisor's scan of a ticket whose code cannot be read, named by `query`. The same scan
    as a camera's: `access_scan_ticket` under the ticket's row lock, the same reasons and
    backstops, idempotent by (device, scan_id); a used ticket stays used. Recorded with mode
    `manual`, the supervisor's device, and a ScanNote (what was typed, why) in the same
    transaction. The answer is POST /api/v1/scan's plus `mode`."""
    if direction not in Direction.values:
        raise InvalidInput(_("direction must be in or out."), fields={"direction": [_("Must be in or out.")]})
    found = find_ticket(event_id=device.event_id, query=query)
    common = dict(direction=direction, scan_id=scan_id, scanned_at=None, effective_at=None, mode=ScanMode.MANUAL,
                  late=False, code="")
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                if found.other_event:
                    response = _record_without_ticket(device=device, reason=Reason.WRONG_EVENT, **common)
                else:
                    # An unknown query reaches the function as no ticket: `unknown_ticket`, recorded.
                    ticket_id = found.ticket.ticket_id if found.ticket else ""
                    response = _scan_ticket(device=device, ticket_id=ticket_id, **common)
                mode = _note_manual_scan(device=device, scan_id=scan_id, query=query.strip(), note=note)
            return _finish(device, {**response, "mode": mode}, direction)
        except IntegrityError as exc:  # as in scan(): a backstop refused a racing write, nothing applied
            log.warning("manual scan %s: integrity error on attempt %s: %s", scan_id, attempt,
                        str(exc).splitlines()[0])
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _note_manual_scan(*, device, scan_id: uuid.UUID, query: str, note: str) -> str:
    """Stores what was typed and why beside the scan (first call only: a retry keeps the first
    note); returns the recorded scan's mode, `manual` unless this scan_id was first used by
    another kind of scan, whose answer is then the one replayed."""
    with connection.cursor() as cur:
        cur.execute(
            """WITH s AS (SELECT device_id, scan_id, mode FROM access_scan WHERE device_id = %s AND scan_id = %s),
                    ins AS (INSERT INTO access_scannote (device_id, scan_id, query, note)
                            SELECT device_id, scan_id, %s, %s FROM s WHERE mode = %s
                            ON CONFLICT (device_id, scan_id) DO NOTHING)
               SELECT mode FROM s""",
            [device.device_id, scan_id, query[:MAX_QUERY_LENGTH], (note or "")[:MAX_NOTE_LENGTH], ScanMode.MANUAL],
        )
        return cur.fetchone()[0]


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
