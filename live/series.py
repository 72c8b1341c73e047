"""Scans per minute per gate: the history behind the dashboard's chart.

Two ranges. The last 30 minutes come with every snapshot. The whole night is read only when a
manager switches the chart to it (GET /dashboard/events/{id}/series.json?range=night): every
minute of the event's doors window up to now, from its first scan (or the last 30 minutes, if
later). Each gate_counts message then refreshes the last two minutes of either, in the browser.

Both are one query on the per-minute counters (counters_minute, kept by the database: each scan
queues itself and the fold counts the queue first, docs/adr/0033), grouped by gate and minute: the 30 minutes read a range of its
key, the whole night every minute of the event. Their cost grows with the night's minutes and
phones, never with its scans; the whole night is still read only when asked for, not with the
snapshot that every (re)connect reads. Quarantined evidence of revoked phones is not a door event
and is not counted, as in the counts."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection

from counters.folding import fold
from events.models import Event

MINUTE = timedelta(minutes=1)
RECENT_MINUTES = 30

_SERIES_SQL = """
SELECT nullif(checkpoint_id, ''), server_minute, sum(scans)::bigint
  FROM counters_minute
 WHERE event_id = %s AND server_minute >= %s AND server_minute < %s
 GROUP BY 1, 2
"""


def _minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def _read(event_id: str, start: datetime, end: datetime) -> list[tuple]:
    """(checkpoint, minute, count) for scans in [start, end), the queued scans counted first."""
    fold(event_id)
    with connection.cursor() as cur:
        cur.execute(_SERIES_SQL, [event_id, start, end])
        return cur.fetchall()


def _now_minute() -> datetime:
    with connection.cursor() as cur:
        cur.execute("SELECT date_trunc('minute', statement_timestamp())")
        return cur.fetchone()[0]


def _body(rows: list[tuple], first: datetime, last: datetime) -> dict:
    """Every minute from `first` to `last` (both included, oldest first), zeros where no scan."""
    count = int((last - first) / MINUTE) + 1 if last >= first else 0
    labels = [first + i * MINUTE for i in range(count)]
    index = {m: i for i, m in enumerate(labels)}
    series: dict[str, list[int]] = {}
    for cp, minute, n in rows:
        if cp is None or minute not in index:
            continue
        series.setdefault(cp, [0] * count)[index[minute]] = n
    return {"minutes": [m.isoformat() for m in labels], "checkpoints": series}


def scans_per_minute(event_id: str, *, minutes: int = RECENT_MINUTES) -> dict:
    """The last `minutes` minutes (oldest first, the current minute last): the snapshot's series."""
    now_minute = _now_minute()
    first = now_minute - (minutes - 1) * MINUTE
    return _body(_read(event_id, first, now_minute + MINUTE), first, now_minute)


def scans_per_minute_night(event: Event) -> dict:
    """The whole night: the doors window up to now (or to the doors' close, once past). Leading
    minutes before the first scan are left out, down to the last RECENT_MINUTES, so a chart opened
    at 19:00 for doors that opened at 09:00 does not start with ten empty hours."""
    now_minute = _now_minute()
    opens, closes = _minute(event.doors_open_at), _minute(event.doors_close_at)
    last = min(now_minute, closes)
    body = {"range": "night", "doors_open_at": event.doors_open_at.isoformat(),
            "doors_close_at": event.doors_close_at.isoformat()}
    if last < opens:  # the doors have not opened yet
        return {**body, "minutes": [], "checkpoints": {}}
    rows = _read(event.event_id, opens, last + MINUTE)
    scanned = [minute for _, minute, _ in rows]
    first = max(opens, min([*scanned, last - (RECENT_MINUTES - 1) * MINUTE]))
    return {**body, **_body(rows, first, last)}
