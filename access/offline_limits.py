"""The limits and windows of offline scanning, in one place: the size of an upload, its chunks,
the range of usable scan times, the late-upload window and a revoked device's evidence caps."""
from __future__ import annotations

from datetime import datetime
from datetime import timezone as dt_timezone

from django.conf import settings

MAX_SYNC_SCANS = 5000
# Scans per database round trip. Each call keeps its ticket's row lock until the chunk commits,
# so the chunk bounds how long an online scan of one of those tickets can wait (~tens of ms).
SYNC_CHUNK = 250
# Corrected scan times outside this range are input errors, not scans (a phone whose clock reset
# to 1970 is fine: the measured offset corrects it).
EARLIEST = datetime(2000, 1, 1, tzinfo=dt_timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=dt_timezone.utc)


def late_upload_seconds() -> int:
    """A synced scan older than this is flagged late (and raises `late_upload`); the manifest
    tells the phone."""
    return int(getattr(settings, "OFFLINE_LATE_UPLOAD_SECONDS", 600))


def manifest_wait_seconds() -> float:
    """How long the manifest waits for running ticket writers before answering a lower version."""
    return float(getattr(settings, "OFFLINE_MANIFEST_WAIT_SECONDS", 0.25))


def evidence_caps() -> tuple[int, int]:
    """What a revoked device may store as evidence: per minute, and in total."""
    return (int(getattr(settings, "REVOKED_EVIDENCE_PER_MIN", 1000)),
            int(getattr(settings, "REVOKED_EVIDENCE_TOTAL", 10_000)))
