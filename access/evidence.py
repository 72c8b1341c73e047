"""A revoked device's uploaded scans: kept as quarantined evidence, never applied, up to a cap per
minute and in total (the token is in someone else's hands), with the alerts that say so."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from access.offline_limits import evidence_caps
from access.sync_replay import OfflineScan, classify, stored_responses
from access.vocabulary import Reason, ScanResult
from alerts.services import clock, device_words, raise_alert
from alerts.texts import AlertText
from alerts.vocabulary import AlertKind
from events import codes

# Evidence a revoked device has stored: in all, and in the last minute (the unique index on
# (device_id, scan_id) finds the device's rows).
_EVIDENCE_SQL = """
SELECT count(*), count(*) FILTER (WHERE server_time > now() - interval '60 seconds')
  FROM access_scan WHERE device_id = %s AND quarantined
"""


@dataclass(frozen=True)
class Evidence:
    answers: dict[uuid.UUID, dict]
    stored: int
    discarded: int


def quarantine(device, items: list[OfflineScan]) -> Evidence:
    """A revoked device's scans: kept as evidence (quarantined, rejected `device_revoked`),
    never applied. The alternation trigger ignores quarantined rows; nothing touches a ticket.

    A revoked token is in someone else's hands, so what it may store is capped per device, per
    minute and in total (REVOKED_EVIDENCE_PER_MIN, REVOKED_EVIDENCE_TOTAL): beyond the cap each
    scan is still answered `rejected`/`device_revoked` but nothing is written, and one alert says
    so. The device row is locked while counting, so parallel uploads cannot overshoot the cap."""
    if not items:
        return Evidence(answers={}, stored=0, discarded=0)
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
    answers = stored_responses(device, [it.scan_id for it in items])
    discarded = [it for it in dropped if it.scan_id not in answers]
    for it in discarded:
        answers[it.scan_id] = {"scan_id": str(it.scan_id), "result": ScanResult.REJECTED,
                               "reason": Reason.DEVICE_REVOKED}
    return Evidence(answers=answers, stored=len(stored), discarded=len(discarded))


def _store_evidence(device, items: list[OfflineScan]) -> list[uuid.UUID]:
    classify(device, items)
    ticket_rows = {}
    ticket_ids = [it.object_id for it in items if it.kind == "ticket"]
    if ticket_ids:
        with connection.cursor() as cur:
            # Locked now, in id order: the evidence's deferred foreign-key checks would otherwise
            # take these key-share locks at COMMIT in upload order, and deadlock with a sync batch
            # locking the same tickets in id order (access/sync_replay.py). KEY SHARE conflicts
            # only with FOR UPDATE: a scan of one of these tickets waits for this short
            # transaction, as it waited for the commit-time checks before.
            cur.execute("SELECT ticket_id, id, zone_id FROM tickets_ticket WHERE event_id = %s AND ticket_id = ANY(%s) "
                        "ORDER BY id FOR KEY SHARE", [device.event_id, ticket_ids])
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
    known_credentials = set()
    if credential_ids:
        with connection.cursor() as cur:  # key-share locked in key order, as the tickets above
            cur.execute("SELECT credential_id FROM access_credential WHERE event_id = %s AND credential_id = ANY(%s) "
                        "ORDER BY credential_id FOR KEY SHARE", [device.event_id, sorted(credential_ids)])
            known_credentials = {r[0] for r in cur.fetchall()}
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
                event_id=device.event_id, kind=AlertKind.REVOKED_DEVICE,
                message=AlertText("revoked.upload", device=device_words(device), count=len(stored),
                                  at=clock(device.event_id, timezone.now())),
                data={"device_id": device.device_id, "quarantined": len(stored),
                      "scan_ids": [str(s) for s in stored[:50]]},
                dedupe_key=f"quarantine:{device.device_id}:{minute}",
            )
    return stored


def _evidence_cap_alert(device, *, stored_total: int, dropped: int, total_reached: bool) -> None:
    per_minute, total = evidence_caps()
    cap = (AlertText("revoked.cap_total", total=total) if total_reached
           else AlertText("revoked.cap_per_minute", per_minute=per_minute))
    raise_alert(
        event_id=device.event_id, kind=AlertKind.REVOKED_DEVICE,
        message=AlertText("revoked.capped", device=device_words(device), at=clock(device.event_id, timezone.now()),
                          cap=cap),
        data={"device_id": device.device_id, "evidence_cap": True, "stored": stored_total, "discarded": dropped,
              "per_minute_cap": per_minute, "total_cap": total},
        dedupe_key=f"evidence_cap:{device.device_id}",  # once per device, however long the flood
    )
