"""Folding the queued scans into the counters outside a reader (docs/adr/0033, "Counting off the
scan path"). Readers fold their own event first; this keeps the queue short when nobody reads, so a
reader's fold is never more than one interval of scans (the beat's `counters_fold_queued`)."""
from __future__ import annotations

from django.db import connection

FOLD_QUEUED_SQL = """
SELECT count(*) FILTER (WHERE counters_fold(event_id))
  FROM (SELECT DISTINCT event_id FROM counters_scan_queue
         WHERE %(event)s::text IS NULL OR event_id = %(event)s::text) q
"""


def fold(event_id: str) -> bool:
    """Count the event's queued scans and merge its counter slots (counters_fold: set-based, never
    a wait), what every reader does before it reads. Inside a caller's READ COMMITTED transaction
    it folds there (its locks then last until that transaction ends); under an older snapshot, or
    while another transaction folds the event, it does nothing and returns False."""
    with connection.cursor() as cur:
        cur.execute("SELECT counters_fold(%s)", [event_id])
        return cur.fetchone()[0]


def fold_queued(event_id: str | None = None) -> int:
    """Fold every event that has queued scans (or only `event_id`); returns how many were folded
    (an event another transaction is folding is skipped, never waited for)."""
    with connection.cursor() as cur:
        cur.execute(FOLD_QUEUED_SQL, {"event": event_id})
        return cur.fetchone()[0]


def queued(event_id: str | None = None) -> int:
    """The scans recorded and not counted yet (all events, or `event_id`'s)."""
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM counters_scan_queue WHERE %(event)s::text IS NULL OR event_id = %(event)s::text",
                    {"event": event_id})
        return cur.fetchone()[0]
