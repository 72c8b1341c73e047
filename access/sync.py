"""The batch upload of a scanner's offline scans (POST /api/v1/scan/sync): order them by corrected
time, replay what is new (access/sync_replay.py) or keep a revoked device's as evidence
(access/evidence.py), raise the alerts an upload calls for, and answer in request order.

One decision logic: every ticket scan, online or synced, is decided by the PL/pgSQL function
`access_scan_ticket` (access/migrations/0003). Conflicts and late uploads: docs/adr/0012."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from access.evidence import quarantine
from access.offline_limits import EARLIEST, LATEST, MAX_SYNC_SCANS, SYNC_CHUNK, late_upload_seconds
from access.sync_alerts import late_alert, offline_conflicts
from access.sync_replay import OfflineScan, apply_scans, stored_responses
from access.vocabulary import ScanResult
from core import live_messages
from core.errors import InvalidInput, interpolate
from core.live import publish_on_commit


@dataclass(frozen=True)
class SyncOutcome:
    results: list[dict]  # one per uploaded scan, in request order
    summary: dict = field(default_factory=dict)  # received, applied, replayed, accepted, late, conflicts, quarantined


def sync_scans(*, device, scans: list[dict], now: datetime | None = None, chunk: int = SYNC_CHUNK) -> SyncOutcome:
    """Apply a device's offline scans. `scans` are parsed scans (code, direction, scan_id,
    scanned_at). Applied in corrected-time order (scanned_at + the device's measured clock
    offset), answered in request order. Idempotent by scan_id: a known scan_id replays the stored
    answer and writes nothing. A revoked device's scans are stored as quarantined evidence, up to a
    cap (evidence.quarantine)."""
    if len(scans) > MAX_SYNC_SCANS:
        raise InvalidInput(interpolate(_("At most %(count)d scans per sync."), count=MAX_SYNC_SCANS),
                           fields={"scans": [interpolate(_("At most %(count)d scans."), count=MAX_SYNC_SCANS)]})
    now = now or timezone.now()
    offset = timedelta(milliseconds=device.clock_offset_ms or 0)
    late_after = timedelta(seconds=late_upload_seconds())
    items: list[OfflineScan] = []
    bad: dict[str, list[str]] = {}
    for i, s in enumerate(scans):
        try:
            effective = s["scanned_at"] + offset
        except OverflowError:
            effective = None
        if effective is None or not EARLIEST <= effective < LATEST:
            bad[f"scans[{i}].scanned_at"] = [_("Out of range once corrected by the device's clock offset.")]
            continue
        items.append(OfflineScan(index=i, code=s["code"], direction=s["direction"], scan_id=s["scan_id"],
                                 scanned_at=s["scanned_at"], effective_at=effective, late=now - effective > late_after))
    if bad:
        raise InvalidInput(_("Some scans have an unusable scanned_at."), fields=bad)

    results: list[dict | None] = [None] * len(items)
    known = stored_responses(device, [it.scan_id for it in items])
    fresh: list[OfflineScan] = []
    first_of: dict[uuid.UUID, OfflineScan] = {}
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
        evidence = quarantine(device, fresh)
        answers = evidence.answers
    else:
        answers = apply_scans(device, fresh, chunk=chunk)
    for it in items:
        if results[it.index] is None:
            results[it.index] = answers[it.scan_id]

    revoked = device.revoked_at is not None
    late = [it for it in fresh if it.late]
    conflicts = 0 if revoked else offline_conflicts(device, fresh, answers)
    if late and not revoked:
        late_alert(device, late, now)
    summary = {
        "received": len(items),
        "applied": 0 if revoked else len(fresh),
        "replayed": len(items) - len(fresh),
        "accepted": sum(1 for it in fresh if answers[it.scan_id]["result"] == ScanResult.ACCEPTED),
        "late": len(late),
        "conflicts": conflicts,
        "quarantined": evidence.stored if revoked else 0,
    }
    if revoked:
        summary["discarded"] = evidence.discarded  # over the evidence cap: answered, not stored
    if fresh:
        _publish_summary(device, summary)
    return SyncOutcome(results=results, summary=summary)


def _publish_summary(device, summary: dict) -> None:
    # One message per upload, not one per scan: thousands of historical scans would flood the
    # feed (and cost a Redis round trip each). The dashboard derives its counts from the database.
    publish_on_commit(device.event_id, live_messages.Sync(
        device=device.device_id, checkpoint=device.checkpoint_id, at=timezone.now().isoformat(), **summary))
