"""Replaying an upload's scans: verify their codes, then apply the tickets of this event in chunks
through the scan function `access_scan_ticket` (many scans per round trip) and everything else
(credentials, forged codes, other events) one by one through `access.services.scan()`."""
from __future__ import annotations

import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, OperationalError, connection, connections, transaction

from access import services
from access.vocabulary import ScanMode
from events import codes
from events.models import SigningKey

log = logging.getLogger(__name__)


@dataclass
class OfflineScan:
    """One uploaded scan, ready to apply: its corrected time, and once classified its kind."""

    index: int
    code: str
    direction: str
    scan_id: uuid.UUID
    scanned_at: datetime
    effective_at: datetime
    late: bool
    kind: str = ""  # ticket | other (credential, forged, other event)
    object_id: str = ""


_BATCH_SQL = """
SELECT u.n, access_scan_ticket(%s, %s, %s, %s::text[], %s, u.ticket_id, u.code, u.direction, u.scan_id,
                               u.scanned_at, u.effective_at, 'sync', u.late)
  FROM unnest(%s::int[], %s::text[], %s::text[], %s::text[], %s::uuid[], %s::timestamptz[], %s::timestamptz[],
              %s::boolean[]) AS u(n, ticket_id, code, direction, scan_id, scanned_at, effective_at, late)
"""


_LOCK_SQL = "SELECT id FROM tickets_ticket WHERE event_id = %s AND ticket_id = ANY(%s) ORDER BY id FOR UPDATE"


def stored_responses(device, scan_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict]:
    """The answers this device already has on record for these scan ids (a re-upload replays them)."""
    if not scan_ids:
        return {}
    with connection.cursor() as cur:
        cur.execute("SELECT scan_id, response FROM access_scan WHERE device_id = %s AND scan_id = ANY(%s::uuid[])",
                    [device.device_id, list(set(scan_ids))])
        return {row[0]: _json(row[1]) for row in cur.fetchall()}


def _json(value):
    return value if isinstance(value, dict) else json.loads(value)


def _key_id(code: str) -> str | None:
    parts = code.split(".") if isinstance(code, str) else []
    return parts[2] if len(parts) == 4 else None  # <kind>.<object_id>.<key_id>.<signature>


def classify(device, items: list[OfflineScan], event_keys: set[str] | None = None) -> None:
    """Verify signatures and sort scans into tickets of this event and everything else. With
    `event_keys`, a code signed by any other key is left to scan() (which records the exact
    reason), so this never needs the database and can run in a helper thread."""
    for it in items:
        it.kind = "other"
        if event_keys is not None and _key_id(it.code) not in event_keys:
            continue
        try:
            verified = codes.verify(it.code)
        except codes.CodeInvalid:
            continue
        if verified.event_id == device.event_id and verified.kind == codes.KIND_TICKET:
            it.kind, it.object_id = "ticket", verified.object_id


def _classify_in_worker(device, items: list[OfflineScan], event_keys: set[str]) -> None:
    try:
        classify(device, items, event_keys)
    finally:
        connections.close_all()  # this helper thread's own connections, if a key lookup opened one


def _warm_keys(device, items: list[OfflineScan]) -> set[str]:
    """The event's key ids, with each one used in this upload loaded into the verification
    cache here, on the request's own connection (a helper thread's connection could not see
    keys written by an uncommitted transaction, e.g. in tests)."""
    keys = set(SigningKey.objects.filter(event_id=device.event_id).values_list("key_id", flat=True))
    warmed: set[str] = set()
    for it in items:
        kid = _key_id(it.code)
        if kid in keys and kid not in warmed:
            warmed.add(kid)
            try:
                codes.verify(it.code)
            except codes.CodeInvalid:
                pass  # the key is cached either way; this code is judged again below
    return keys


def apply_scans(device, items: list[OfflineScan], *, chunk: int) -> dict[uuid.UUID, dict]:
    """Ticket scans in chunks through the scan function; everything else through scan().

    Ed25519 verification releases the GIL, so while the database applies chunk k a helper
    thread verifies chunk k+1 (bench/sync.py: about a fifth of the upload's time otherwise)."""
    answers: dict[uuid.UUID, dict] = {}
    others: list[OfflineScan] = []
    parts = [items[i:i + chunk] for i in range(0, len(items), chunk)]

    def apply_part(part: list[OfflineScan]) -> None:
        tickets = [it for it in part if it.kind == "ticket"]
        if tickets:
            answers.update(_apply_ticket_chunk(device, tickets))
        others.extend(it for it in part if it.kind != "ticket")

    if len(parts) == 1:
        classify(device, parts[0])
        apply_part(parts[0])
    elif parts:
        keys = _warm_keys(device, items)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-verify") as pool:
            pending = pool.submit(_classify_in_worker, device, parts[0], keys)
            for k, part in enumerate(parts):
                pending.result()
                if k + 1 < len(parts):
                    pending = pool.submit(_classify_in_worker, device, parts[k + 1], keys)
                apply_part(part)
    for it in others:
        answers[it.scan_id] = _scan_one(device, it)
    return answers


def _scan_one(device, it: OfflineScan) -> dict:
    return services.scan(device=device, code=it.code, direction=it.direction, scan_id=it.scan_id,
                         scanned_at=it.scanned_at, effective_at=it.effective_at, mode=ScanMode.SYNC, late=it.late).response


def _apply_ticket_chunk(device, chunk: list[OfflineScan]) -> dict[uuid.UUID, dict]:
    cp = device.checkpoint
    params = [device.device_id, device.event_id, cp.checkpoint_id, list(cp.zones), cp.directions,
              list(range(len(chunk))), [it.object_id for it in chunk], [it.code[:200] for it in chunk],
              [it.direction for it in chunk], [it.scan_id for it in chunk], [it.scanned_at for it in chunk],
              [it.effective_at for it in chunk], [it.late for it in chunk]]
    try:
        with transaction.atomic(), connection.cursor() as cur:
            # Take the chunk's ticket locks up front in id order, the order every other
            # multi-ticket writer uses (holds, offices): two uploads touching the same tickets
            # in opposite time orders then queue instead of deadlocking.
            cur.execute(_LOCK_SQL, [device.event_id, sorted({it.object_id for it in chunk})])
            cur.execute(_BATCH_SQL, params)
            rows = cur.fetchall()
    except (IntegrityError, OperationalError) as exc:
        # A backstop refused a racing write, or a deadlock with some other multi-row writer.
        # The chunk rolled back as a whole; apply it scan by scan instead,
        # where scan() retries on the locked path. Same function, same order.
        if isinstance(exc, OperationalError) and getattr(getattr(exc, "__cause__", None), "sqlstate", None) != "40P01":
            raise
        log.warning("sync chunk of %s scans fell back to one by one: %s", len(chunk), str(exc).splitlines()[0])
        return {it.scan_id: _scan_one(device, it) for it in chunk}
    return {chunk[n].scan_id: _json(value) for n, value in rows}
