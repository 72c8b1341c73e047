"""Cold (offline) scanning: the manifest a scanner validates with while the network is down, and
the batch upload of the scans it made meanwhile.

One decision logic: every ticket scan, online or synced, is decided by the PL/pgSQL function
`access_scan_ticket` (access/migrations/0003). The sync only feeds it many scans per round trip,
in corrected-time order; credentials and codes that match no ticket go through
`access.services.scan()` one by one. Conflicts and late uploads: docs/adr/0012."""
from __future__ import annotations

import json
import logging
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, connections, transaction
from django.utils import timezone

from access import services
from access.models import Credential
from alerts.services import raise_alert
from core.errors import InvalidInput
from core.live import publish_event
from events import codes
from events.models import Event, SigningKey, Zone

log = logging.getLogger(__name__)

MAX_SYNC_SCANS = 5000
# Scans per database round trip. Each call keeps its ticket's row lock until the chunk commits,
# so the chunk bounds how long an online scan of one of those tickets can wait (~tens of ms).
SYNC_CHUNK = 250
# Corrected scan times outside this range are input errors, not scans (a phone whose clock reset
# to 1970 is fine: the measured offset corrects it).
EARLIEST = datetime(2000, 1, 1, tzinfo=dt_timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=dt_timezone.utc)


def late_upload_seconds() -> int:
    return int(getattr(settings, "OFFLINE_LATE_UPLOAD_SECONDS", 600))


def manifest_wait_seconds() -> float:
    return float(getattr(settings, "OFFLINE_MANIFEST_WAIT_SECONDS", 0.25))


# =========================================================================== manifest

# Other client sessions of this database that are inside a transaction right now.
_IN_FLIGHT_SQL = """
SELECT pid, xact_start FROM pg_stat_activity
 WHERE datname = current_database() AND pid <> pg_backend_pid()
   AND backend_type = 'client backend' AND xact_start IS NOT NULL
"""
_STILL_RUNNING_SQL = """
SELECT count(*) FROM pg_stat_activity a
  JOIN unnest(%s::int[], %s::timestamptz[]) AS f(pid, xact_start) ON f.pid = a.pid AND f.xact_start = a.xact_start
"""


def safe_ticket_version(*, floor: int = 0, wait_seconds: float | None = None, guard: bool = True) -> int:
    """The highest ticket version V such that every ticket change numbered <= V is committed and
    visible to queries started after this returns. A client that got V and later asks for
    `version > V` can therefore miss nothing.

    Why not simply max(version): versions are drawn from a sequence when the UPDATE runs, but
    become visible when the transaction commits, so a slow transaction can commit version 10
    after a reader has already seen version 11. We read the sequence first, then wait for every
    transaction that was already running to end (all our ticket writers run in short
    transactions). If one is still running at the deadline, we answer `floor` (the client's own
    `since`, or 0): never wrong, only less compact. `guard=False` is the negative control."""
    wait_seconds = manifest_wait_seconds() if wait_seconds is None else wait_seconds
    with connection.cursor() as cur:
        cur.execute("SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM tickets_ticket_version_seq")
        version = int(cur.fetchone()[0])
        if not guard:
            return max(version, floor)
        # Read after the sequence: any transaction that drew a version <= `version` had begun
        # by now, so it is in this list unless it has already committed.
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute(_IN_FLIGHT_SQL)
        in_flight = cur.fetchall()
        deadline = time.monotonic() + wait_seconds
        while in_flight:
            cur.execute("SELECT pg_stat_clear_snapshot()")  # pg_stat_activity is cached per transaction
            cur.execute(_STILL_RUNNING_SQL, [[r[0] for r in in_flight], [r[1] for r in in_flight]])
            if cur.fetchone()[0] == 0:
                break
            if time.monotonic() >= deadline:
                log.info("manifest: a transaction outlived %.0f ms; answering the floor watermark", wait_seconds * 1000)
                return floor
            time.sleep(0.002)
    return max(version, floor)


_SAFE_TEXT = re.compile(r"^[A-Za-z0-9_\-]*$")
_BOOL = {True: "true", False: "false"}
_TICKET_SQL = ("SELECT ticket_id, zone_id, status, access_status, access_entry, seat_id, seat_row FROM tickets_ticket "
               "WHERE event_id = %s{since} ORDER BY id")


def _tickets_json(event_id: str, since: int | None) -> tuple[bytes, int]:
    """The `tickets` array as JSON bytes, built from one query without model instances."""
    with connection.cursor() as cur:
        if since is None:
            cur.execute(_TICKET_SQL.format(since=""), [event_id])
        else:
            cur.execute(_TICKET_SQL.format(since=" AND version > %s"), [event_id, since])
        rows = cur.fetchall()
    # Ticket and zone ids are [A-Za-z0-9_-] by construction; check once for the whole list and
    # format without per-field escaping, else fall back to json.dumps per row.
    # seat_id (and seat_row, free text set by staff) let an offline phone show the seat; neither is
    # personal data. seat_row always goes through json.dumps.
    if _SAFE_TEXT.match("".join(r[0] for r in rows)) and _SAFE_TEXT.match("".join(r[1] for r in rows)) \
            and _SAFE_TEXT.match("".join(r[5] for r in rows)):
        b, dumps = _BOOL, json.dumps
        parts = [f'{{"ticket_id":"{t}","zone_id":"{z}","status":{b[s]},"access_status":{b[a]},"access_entry":{b[e]},'
                 f'"seat_id":"{seat}","seat_row":{dumps(row)}}}'
                 for t, z, s, a, e, seat, row in rows]
    else:
        parts = [json.dumps({"ticket_id": t, "zone_id": z, "status": s, "access_status": a, "access_entry": e,
                             "seat_id": seat, "seat_row": row}, separators=(",", ":"))
                 for t, z, s, a, e, seat, row in rows]
    return ("[" + ",".join(parts) + "]").encode(), len(rows)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class Manifest:
    version: int
    tickets: int
    body: bytes  # the JSON document


def build_manifest(*, device, since: int | None = None, _guard: bool = True) -> Manifest:
    """Everything a scanner needs to decide offline, without personal data: the event and its
    doors window, this checkpoint's rules, zones (re-entry), the public keys that verify codes,
    every ticket's state (or only those changed after `since`), credentials (ids and rules, no
    names) and the revoked credential ids. Credentials are few and always sent whole."""
    version = safe_ticket_version(floor=since or 0, guard=_guard)
    event = Event.objects.get(pk=device.event_id)
    cp = device.checkpoint
    zones = [{"zone_id": z.zone_id, "name": z.name, "color": z.color, "reentry": z.reentry, "seats": z.seats}
             for z in Zone.objects.filter(event_id=event.event_id)]
    keys = [{"key_id": k, "public_key": codes.b64url(bytes(p)), "active": a}
            for k, p, a in SigningKey.objects.filter(event_id=event.event_id).values_list("key_id", "public_key", "active")]
    credentials, revoked = [], []
    for c in Credential.objects.filter(event_id=event.event_id).order_by("credential_id"):
        if c.revoked_at is not None:
            revoked.append(c.credential_id)
            continue
        credentials.append({"credential_id": c.credential_id, "kind": c.kind, "zones": c.zones,
                            "checkpoints": c.checkpoints, "valid_from": _iso(c.valid_from),
                            "valid_until": _iso(c.valid_until), "inside": c.inside})
    opens = event.date_start - timedelta(minutes=event.doors_open_minutes)
    closes = event.date_end + timedelta(minutes=event.doors_close_minutes)
    tickets, count = _tickets_json(event.event_id, since)
    head = {
        "version": version,
        "since": since,
        "full": since is None,
        "generated_at": timezone.now().isoformat(),
        "event": {"event_id": event.event_id, "name": event.name, "venue": event.venue,
                  "date_start": event.date_start.isoformat(), "date_end": event.date_end.isoformat(),
                  "doors_open_minutes": event.doors_open_minutes, "doors_close_minutes": event.doors_close_minutes,
                  "doors_open_at": opens.isoformat(), "doors_close_at": closes.isoformat()},
        "checkpoint": {"checkpoint_id": cp.checkpoint_id, "name": cp.name, "zones": cp.zones,
                       "directions": cp.directions},
        "device": {"device_id": device.device_id, "role": device.role, "clock_offset_ms": device.clock_offset_ms},
        "zones": zones,
        "keys": keys,
        "credentials": credentials,
        "revoked_credentials": revoked,
        "late_upload_seconds": late_upload_seconds(),
        "ticket_count": count,
    }
    # The big array is spliced in as bytes: no second pass of json.dumps over 50,000 objects.
    body = json.dumps(head, separators=(",", ":")).encode()
    body = body[:-1] + b',"tickets":' + tickets + b"}"
    return Manifest(version=version, tickets=count, body=body)


# =========================================================================== batch sync

@dataclass
class _Scan:
    index: int
    code: str
    direction: str
    scan_id: uuid.UUID
    scanned_at: datetime
    effective_at: datetime
    late: bool
    kind: str = ""  # ticket | other (credential, forged, other event)
    object_id: str = ""


@dataclass(frozen=True)
class SyncOutcome:
    results: list[dict]  # one per uploaded scan, in request order
    summary: dict = field(default_factory=dict)  # received, applied, replayed, accepted, late, conflicts, quarantined


_BATCH_SQL = """
SELECT u.n, access_scan_ticket(%s, %s, %s, %s::text[], %s, u.ticket_id, u.code, u.direction, u.scan_id,
                               u.scanned_at, u.effective_at, 'sync', u.late)
  FROM unnest(%s::int[], %s::text[], %s::text[], %s::text[], %s::uuid[], %s::timestamptz[], %s::timestamptz[],
              %s::boolean[]) AS u(n, ticket_id, code, direction, scan_id, scanned_at, effective_at, late)
"""


_LOCK_SQL = "SELECT id FROM tickets_ticket WHERE event_id = %s AND ticket_id = ANY(%s) ORDER BY id FOR UPDATE"


def sync_scans(*, device, scans: list[dict], now: datetime | None = None, chunk: int = SYNC_CHUNK) -> SyncOutcome:
    """Apply a device's offline scans. `scans` are parsed scans (code, direction, scan_id,
    scanned_at). Applied in corrected-time order (scanned_at + the device's measured clock
    offset), answered in request order. Idempotent by scan_id: a known scan_id replays the stored
    answer and writes nothing. A revoked device's scans are stored as quarantined evidence, up to a
    cap (_quarantine)."""
    if len(scans) > MAX_SYNC_SCANS:
        raise InvalidInput(f"At most {MAX_SYNC_SCANS} scans per sync.",
                           fields={"scans": [f"At most {MAX_SYNC_SCANS} scans."]})
    now = now or timezone.now()
    offset = timedelta(milliseconds=device.clock_offset_ms or 0)
    late_after = timedelta(seconds=late_upload_seconds())
    items: list[_Scan] = []
    bad: dict[str, list[str]] = {}
    for i, s in enumerate(scans):
        try:
            effective = s["scanned_at"] + offset
        except OverflowError:
            effective = None
        if effective is None or not EARLIEST <= effective < LATEST:
            bad[f"scans[{i}].scanned_at"] = ["Out of range once corrected by the device's clock offset."]
            continue
        items.append(_Scan(index=i, code=s["code"], direction=s["direction"], scan_id=s["scan_id"],
                           scanned_at=s["scanned_at"], effective_at=effective, late=now - effective > late_after))
    if bad:
        raise InvalidInput("Some scans have an unusable scanned_at.", fields=bad)

    results: list[dict | None] = [None] * len(items)
    known = _stored_responses(device, [it.scan_id for it in items])
    fresh: list[_Scan] = []
    first_of: dict[uuid.UUID, _Scan] = {}
    for it in sorted(items, key=lambda it: (it.effective_at, it.index)):
        if it.scan_id in known:
            results[it.index] = known[it.scan_id]
        elif it.scan_id in first_of:
            continue  # a repeat inside this upload: answered like its first occurrence below
        else:
            first_of[it.scan_id] = it
            fresh.append(it)

    evidence = None
    if device.revoked_at is not None:
        evidence = _quarantine(device, fresh)
        answers = evidence.answers
    else:
        answers = _apply(device, fresh, chunk=chunk)
    for it in items:
        if results[it.index] is None:
            results[it.index] = answers[it.scan_id]

    revoked = device.revoked_at is not None
    late = [it for it in fresh if it.late]
    conflicts = 0 if revoked else _offline_conflicts(device, fresh, answers)
    if late and not revoked:
        _late_alert(device, late, now)
    summary = {
        "received": len(items),
        "applied": 0 if revoked else len(fresh),
        "replayed": len(items) - len(fresh),
        "accepted": sum(1 for it in fresh if answers[it.scan_id]["result"] == "accepted"),
        "late": len(late),
        "conflicts": conflicts,
        "quarantined": evidence.stored if revoked else 0,
    }
    if revoked:
        summary["discarded"] = evidence.discarded  # over the evidence cap: answered, not stored
    if fresh:
        _publish_summary(device, summary)
    return SyncOutcome(results=results, summary=summary)


def _stored_responses(device, scan_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict]:
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


def _classify(device, items: list[_Scan], event_keys: set[str] | None = None) -> None:
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


def _classify_in_worker(device, items: list[_Scan], event_keys: set[str]) -> None:
    try:
        _classify(device, items, event_keys)
    finally:
        connections.close_all()  # this helper thread's own connections, if a key lookup opened one


def _warm_keys(device, items: list[_Scan]) -> set[str]:
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


def _apply(device, items: list[_Scan], *, chunk: int) -> dict[uuid.UUID, dict]:
    """Ticket scans in chunks through the scan function; everything else through scan().

    Ed25519 verification releases the GIL, so while the database applies chunk k a helper
    thread verifies chunk k+1 (bench/sync.py: about a fifth of the upload's time otherwise)."""
    answers: dict[uuid.UUID, dict] = {}
    others: list[_Scan] = []
    parts = [items[i:i + chunk] for i in range(0, len(items), chunk)]

    def apply_part(part: list[_Scan]) -> None:
        tickets = [it for it in part if it.kind == "ticket"]
        if tickets:
            answers.update(_apply_ticket_chunk(device, tickets))
        others.extend(it for it in part if it.kind != "ticket")

    if len(parts) == 1:
        _classify(device, parts[0])
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


def _scan_one(device, it: _Scan) -> dict:
    return services.scan(device=device, code=it.code, direction=it.direction, scan_id=it.scan_id,
                         scanned_at=it.scanned_at, effective_at=it.effective_at, mode="sync", late=it.late).response


def _apply_ticket_chunk(device, chunk: list[_Scan]) -> dict[uuid.UUID, dict]:
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


# Evidence a revoked device has stored: in all, and in the last minute (the unique index on
# (device_id, scan_id) finds the device's rows).
_EVIDENCE_SQL = """
SELECT count(*), count(*) FILTER (WHERE server_time > now() - interval '60 seconds')
  FROM access_scan WHERE device_id = %s AND quarantined
"""


@dataclass(frozen=True)
class _Evidence:
    answers: dict[uuid.UUID, dict]
    stored: int
    discarded: int


def evidence_caps() -> tuple[int, int]:
    return (int(getattr(settings, "REVOKED_EVIDENCE_PER_MIN", 1000)),
            int(getattr(settings, "REVOKED_EVIDENCE_TOTAL", 10_000)))


def _quarantine(device, items: list[_Scan]) -> _Evidence:
    """A revoked device's scans: kept as evidence (quarantined, rejected `device_revoked`),
    never applied. The alternation trigger ignores quarantined rows; nothing touches a ticket.

    A revoked token is in someone else's hands, so what it may store is capped per device, per
    minute and in total (REVOKED_EVIDENCE_PER_MIN, REVOKED_EVIDENCE_TOTAL): beyond the cap each
    scan is still answered `rejected`/`device_revoked` but nothing is written, and one alert says
    so. The device row is locked while counting, so parallel uploads cannot overshoot the cap."""
    if not items:
        return _Evidence(answers={}, stored=0, discarded=0)
    per_minute, total = evidence_caps()
    with transaction.atomic():
        with connection.cursor() as cur:
            # NO KEY UPDATE: serialises the quarantines of this device without blocking the
            # foreign-key checks of its rows.
            cur.execute("SELECT 1 FROM devices_device WHERE device_id = %s FOR NO KEY UPDATE", [device.device_id])
            cur.execute(_EVIDENCE_SQL, [device.device_id])
            stored_total, stored_minute = cur.fetchone()
        room = max(0, min(per_minute - stored_minute, total - stored_total))
        keep, dropped = items[:room], items[room:]
        stored = _store_evidence(device, keep) if keep else []
        if dropped:
            _evidence_cap_alert(device, stored_total=stored_total + len(stored), dropped=len(dropped),
                                total_reached=stored_total + len(stored) >= total)
    # Rows that already existed (e.g. applied before the revocation) keep their first answer.
    answers = _stored_responses(device, [it.scan_id for it in items])
    discarded = [it for it in dropped if it.scan_id not in answers]
    for it in discarded:
        answers[it.scan_id] = {"scan_id": str(it.scan_id), "result": "rejected", "reason": "device_revoked"}
    return _Evidence(answers=answers, stored=len(stored), discarded=len(discarded))


def _store_evidence(device, items: list[_Scan]) -> list[uuid.UUID]:
    _classify(device, items)
    ticket_rows = {}
    ticket_ids = [it.object_id for it in items if it.kind == "ticket"]
    if ticket_ids:
        with connection.cursor() as cur:
            cur.execute("SELECT ticket_id, id, zone_id FROM tickets_ticket WHERE event_id = %s AND ticket_id = ANY(%s)",
                        [device.event_id, ticket_ids])
            ticket_rows = {r[0]: (r[1], r[2]) for r in cur.fetchall()}
    credential_ids = set()
    for it in items:
        if it.kind == "other":
            try:
                v = codes.verify(it.code)
            except codes.CodeInvalid:
                continue
            if v.kind == codes.KIND_CREDENTIAL and v.event_id == device.event_id:
                it.object_id = v.object_id
                credential_ids.add(v.object_id)
    known_credentials = set(Credential.objects.filter(event_id=device.event_id, pk__in=credential_ids)
                            .values_list("pk", flat=True)) if credential_ids else set()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """INSERT INTO access_scan (scan_id, device_id, event_id, checkpoint_id, ticket_id, credential_id, direction,
                                        result, reason, code, zone_id, first_entry, mode, quarantined, late, scanned_at,
                                        effective_at, server_time, response)
               SELECT u.scan_id, %s, %s, %s, u.ticket_pk, u.credential_id, u.direction, 'rejected', 'device_revoked',
                      u.code, u.zone_id, false, 'sync', true, u.late, u.scanned_at, u.effective_at, now(),
                      jsonb_build_object('scan_id', u.scan_id::text, 'result', 'rejected', 'reason', 'device_revoked')
                 FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::boolean[],
                             %s::timestamptz[], %s::timestamptz[])
                      AS u(scan_id, ticket_pk, credential_id, direction, code, zone_id, late, scanned_at, effective_at)
               ON CONFLICT (device_id, scan_id) DO NOTHING
               RETURNING scan_id""",
            [device.device_id, device.event_id, device.checkpoint_id,
             [it.scan_id for it in items],
             [ticket_rows.get(it.object_id, (None, None))[0] if it.kind == "ticket" else None for it in items],
             [it.object_id if it.kind == "other" and it.object_id in known_credentials else None for it in items],
             [it.direction for it in items], [it.code[:200] for it in items],
             [ticket_rows.get(it.object_id, (None, None))[1] if it.kind == "ticket" else None for it in items],
             [it.late for it in items], [it.scanned_at for it in items], [it.effective_at for it in items]],
        )
        stored = [r[0] for r in cur.fetchall()]
        if stored:
            # One alert per device and minute: a flood of small uploads must not become a flood
            # of alerts (the cap alert below says when it is a flood).
            minute = timezone.now().strftime("%Y%m%d%H%M")
            raise_alert(
                event_id=device.event_id, kind="revoked_device",
                message=(f"Revoked device {device.name} ({device.device_id}) uploaded {len(stored)} offline scan(s); "
                         "kept as quarantined evidence, not applied."),
                data={"device_id": device.device_id, "quarantined": len(stored),
                      "scan_ids": [str(s) for s in stored[:50]]},
                dedupe_key=f"quarantine:{device.device_id}:{minute}",
            )
    return stored


def _evidence_cap_alert(device, *, stored_total: int, dropped: int, total_reached: bool) -> None:
    per_minute, total = evidence_caps()
    cap = f"its total of {total}" if total_reached else f"{per_minute} a minute"
    raise_alert(
        event_id=device.event_id, kind="revoked_device",
        message=(f"Revoked device {device.name} ({device.device_id}) keeps uploading scans: evidence is capped at "
                 f"{cap}; further uploads are refused and not stored. Find the phone."),
        data={"device_id": device.device_id, "evidence_cap": True, "stored": stored_total, "discarded": dropped,
              "per_minute_cap": per_minute, "total_cap": total},
        dedupe_key=f"evidence_cap:{device.device_id}",  # once per device, however long the flood
    )


_CONFLICT_SQL = """
SELECT r.scan_id, t.ticket_id, t.seat_id, r.reason, r.effective_at,
       a.device_id, a.scan_id, coalesce(a.effective_at, a.server_time), a.mode, a.checkpoint_id, a.server_time
  FROM access_scan r
  JOIN tickets_ticket t ON t.id = r.ticket_id
  JOIN LATERAL (SELECT * FROM access_scan a
                 WHERE a.ticket_id = r.ticket_id AND a.result = 'accepted' AND a.direction = 'in'
                   AND NOT a.quarantined AND a.id < r.id
                 ORDER BY a.id DESC LIMIT 1) a ON true
 WHERE r.device_id = %s AND r.scan_id = ANY(%s::uuid[])
"""


def _offline_conflicts(device, items: list[_Scan], answers: dict[uuid.UUID, dict]) -> int:
    """An `in` this device made offline was refused because another device had already admitted
    the ticket: two people may have walked in on one ticket. One alert per ticket and scan."""
    refused = [it.scan_id for it in items if it.kind == "ticket" and it.direction == "in"
               and answers[it.scan_id].get("reason") in ("already_inside", "already_used")]
    if not refused:
        return 0
    with connection.cursor() as cur:
        cur.execute(_CONFLICT_SQL, [device.device_id, refused])
        rows = cur.fetchall()
    raised = 0
    for (scan_id, ticket_id, seat_id, reason, eff, a_device, a_scan, a_at, a_mode, a_cp, a_server) in rows:
        if a_device == device.device_id:
            continue  # the same phone refused its own repeat scan at the door: no double admission
        earlier = eff is not None and eff < a_at
        raise_alert(
            event_id=device.event_id, kind="offline_conflict",
            message=(f"Ticket {seat_id} was admitted offline by two devices: {a_device} (accepted) and "
                     f"{device.device_id} (rejected {reason})"
                     + (", and the rejected scan was the earlier one (uploaded late)." if earlier else ".")),
            data={"ticket_id": ticket_id, "seat_id": seat_id,
                  "accepted": {"device_id": a_device, "scan_id": str(a_scan), "at": _iso(a_at), "mode": a_mode,
                               "checkpoint_id": a_cp, "applied_at": _iso(a_server)},
                  "rejected": {"device_id": device.device_id, "scan_id": str(scan_id), "at": _iso(eff),
                               "checkpoint_id": device.checkpoint_id, "reason": reason},
                  "rejected_was_earlier": earlier},
            dedupe_key=f"offline_conflict:{ticket_id}:{scan_id}",
        )
        raised += 1
    return raised


def _late_alert(device, late: list[_Scan], now: datetime) -> None:
    oldest = min(it.effective_at for it in late)
    raise_alert(
        event_id=device.event_id, kind="late_upload",
        message=(f"Device {device.name} ({device.device_id}) uploaded {len(late)} scan(s) made more than "
                 f"{late_upload_seconds() // 60} min ago (oldest {int((now - oldest).total_seconds() // 60)} min)."),
        data={"device_id": device.device_id, "count": len(late), "oldest_at": oldest.isoformat(),
              "delay_seconds": int((now - oldest).total_seconds()),
              "scan_ids": [str(it.scan_id) for it in late[:50]]},
        dedupe_key=f"late_upload:{device.device_id}:{min(str(it.scan_id) for it in late)}",
    )


def _publish_summary(device, summary: dict) -> None:
    # One message per upload, not one per scan: thousands of historical scans would flood the
    # feed (and cost a Redis round trip each). The dashboard derives its counts from the database.
    payload = {"type": "sync", "device": device.device_id, "checkpoint": device.checkpoint_id,
               "at": timezone.now().isoformat(), **summary}
    if connection.in_atomic_block:
        transaction.on_commit(lambda: publish_event(device.event_id, payload))
    else:
        publish_event(device.event_id, payload)
