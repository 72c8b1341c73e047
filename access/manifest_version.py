"""The ticket version a manifest may promise: the highest one below which every ticket change is
committed and visible, so a phone asking for `since` that version misses nothing (docs/adr/0012)."""
from __future__ import annotations

import logging
import time

from django.db import connection

from access.offline_limits import manifest_wait_seconds

log = logging.getLogger(__name__)

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


def safe_ticket_version(*, floor: int = 0, wait_seconds: float | None = None) -> int:
    """The highest ticket version V such that every ticket change numbered <= V is committed and
    visible to queries started after this returns. A client that got V and later asks for
    `version > V` can therefore miss nothing.

    Why not simply max(version): versions are drawn from a sequence when the UPDATE runs, but
    become visible when the transaction commits, so a slow transaction can commit version 10
    after a reader has already seen version 11. We read the sequence first, then wait for every
    transaction that was already running to end (all our ticket writers run in short
    transactions). If one is still running at the deadline, we answer `floor` (the client's own
    `since`, or 0): never wrong, only less compact. (The negative control, the bare sequence
    value, is the test's own: tests/access/test_offline_manifest.py.)"""
    wait_seconds = manifest_wait_seconds() if wait_seconds is None else wait_seconds
    with connection.cursor() as cur:
        cur.execute("SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM tickets_ticket_version_seq")
        version = int(cur.fetchone()[0])
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
