"""The Firestore mirror: PostgreSQL is the source of truth, Firestore a read replica for the
TMT real-time apps (docs/adr/0011).

- PostgreSQL triggers (mirror/migrations/0002, 0003) queue every changed document in
  `ticketcore_outbox`, in the transaction that changed it.
- `drain()` (mirror/drainer.py) mirrors queued documents in order, in Firestore
  WriteBatches, and deletes their rows only once Firestore acknowledged the write.
- The Celery task `mirror.tasks.drain_outbox` runs it: kicked on commit by `kick()`, and
  every few seconds by beat as the safety net.

The mirror is off when neither FIRESTORE_EMULATOR_HOST nor FIRESTORE_PROJECT_ID is set. This
module stays cheap to import: the Firestore client library is loaded only when a drain runs."""
from __future__ import annotations

import logging

from django.conf import settings

log = logging.getLogger("ticketcore.mirror")

_LAST_ERROR_KEY = "mirror:last_error"


def enabled() -> bool:
    return bool(settings.FIRESTORE_EMULATOR_HOST or settings.FIRESTORE_PROJECT_ID)


def target() -> str | None:
    """Where documents go, for humans (readyz, logs, make run)."""
    if settings.FIRESTORE_EMULATOR_HOST:
        return f"emulator {settings.FIRESTORE_EMULATOR_HOST} project {project_id()}"
    if settings.FIRESTORE_PROJECT_ID:
        return f"project {settings.FIRESTORE_PROJECT_ID}"
    return None


def project_id() -> str:
    return settings.FIRESTORE_PROJECT_ID or settings.FIRESTORE_EMULATOR_PROJECT_ID


def kick() -> None:
    """Ask a worker to drain the outbox now. Register it with `transaction.on_commit(kick)`: it
    is a latency optimisation only (beat drains every FIRESTORE_DRAIN_INTERVAL_S anyway), so a
    broker that is down costs a log line, never a failed request."""
    if not enabled() or not settings.FIRESTORE_MIRROR_KICK:
        return
    from mirror.tasks import drain_outbox

    try:
        drain_outbox.apply_async(retry=False)
    except Exception as exc:  # noqa: BLE001 - best effort by design; beat is the safety net
        log.warning("mirror kick failed (%s: %s); the periodic drain will catch up", exc.__class__.__name__, exc)


def pending() -> tuple[int, float | None]:
    """Outbox rows not yet acknowledged by Firestore, and the age of the oldest in seconds."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*), extract(epoch FROM clock_timestamp() - min(created_at)) FROM ticketcore_outbox")
        count, age = cur.fetchone()
    return int(count), (round(float(age), 3) if age is not None else None)


def note_error(exc: BaseException | None) -> None:
    """Remember the last drain failure for /readyz (best effort: Redis may be down too)."""
    from django.core.cache import cache

    try:
        if exc is None:
            cache.delete(_LAST_ERROR_KEY)
        else:
            cache.set(_LAST_ERROR_KEY, f"{exc.__class__.__name__}: {exc}"[:300], timeout=3600)
    except Exception:  # noqa: BLE001
        pass


def _last_error() -> str | None:
    from django.core.cache import cache

    try:
        return cache.get(_LAST_ERROR_KEY)
    except Exception:  # noqa: BLE001
        return None


def compact() -> int:
    """Delete every outbox row that has a newer row for the same document: the drain reads the
    document's current state anyway, so the newest row says all the older ones say. Used while
    the mirror is off, so the outbox stays bounded by the number of documents."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """DELETE FROM ticketcore_outbox o
               USING (SELECT path, max(id) AS keep FROM ticketcore_outbox GROUP BY path HAVING count(*) > 1) k
               WHERE o.path = k.path AND o.id < k.keep"""
        )
        return cur.rowcount


def mirror_status() -> dict:
    """For /readyz: whether the mirror is on, where it writes, and its lag. Pending rows are
    counted when the mirror is off too: they are what a later `mirror on` would catch up with."""
    status: dict = {"enabled": enabled(), "target": target()}
    try:
        status["pending"], status["oldest_age_s"] = pending()
    except Exception as exc:  # noqa: BLE001 - readiness reports, the database check decides
        status["error"] = exc.__class__.__name__
        return status
    if status["enabled"]:
        status["last_error"] = _last_error()
    return status
