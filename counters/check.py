"""Recount from the scan log and compare with the counters (`manage.py check_counters`).

The log functions (`counters_*_log`, counters/migrations/0002) are the counters' definition
written as one aggregate over access_scan; the trigger keeps the same figures one scan at a time.
Both are read in one REPEATABLE READ snapshot, in which the counters and the scans they count were
committed together, so any difference is a real drift, never a scan in flight. On top, the people
inside are compared with the rows that hold the truth (tickets' access_entry, credentials' inside)."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction


@dataclass(frozen=True)
class Comparison:
    name: str
    counters: str  # a query of (keys..., values...) over the tables, %(event)s for the event
    recount: str  # the same columns recomputed from the log
    keys: tuple[str, ...]
    values: tuple[str, ...]


def _table(table: str, keys: tuple[str, ...], values: tuple[str, ...], *, where: str = "") -> str:
    sums = ", ".join(f"sum({v})::bigint AS {v}" if v != "max_delay_s" else "max(max_delay_s) AS max_delay_s"
                     for v in values)
    return (f"SELECT {', '.join(keys)}, {sums} FROM {table} "
            f"WHERE (%(event)s::text IS NULL OR event_id = %(event)s::text) {where} GROUP BY {', '.join(keys)}")


def _log(function: str, keys: tuple[str, ...], values: tuple[str, ...], *, where: str = "") -> str:
    sums = ", ".join(f"sum({v})::bigint AS {v}" if v != "max_delay_s" else "max(max_delay_s) AS max_delay_s"
                     for v in values)
    return f"SELECT {', '.join(keys)}, {sums} FROM {function}(%(event)s::text) WHERE true {where} GROUP BY {', '.join(keys)}"


def _both(name: str, table: str, function: str, keys: tuple[str, ...], values: tuple[str, ...]) -> Comparison:
    return Comparison(name, _table(table, keys, values), _log(function, keys, values), keys, values)


MINUTE_KEYS = ("event_id", "server_minute", "minute", "checkpoint_id", "device_id", "direction", "result", "mode",
               "zone_id", "credential", "in_series")

COMPARISONS = (
    _both("gate", "counters_gate", "counters_gate_log", ("event_id", "checkpoint_id", "device_id", "result", "direction"),
          ("scans", "inside")),
    _both("minute", "counters_minute", "counters_minute_log", MINUTE_KEYS, ("scans", "late", "max_delay_s", "arrivals")),
    _both("zone", "counters_zone", "counters_zone_log", ("event_id", "zone_id", "device_id"), ("inside",)),
    _both("rejections", "counters_reason", "counters_reason_log", ("event_id", "reason", "device_id"), ("scans",)),
    Comparison("distinct codes",
               "SELECT e.event_id, d.reason, d.codes FROM (SELECT DISTINCT event_id FROM counters_reason "
               "WHERE (%(event)s::text IS NULL OR event_id = %(event)s::text)) e "
               "CROSS JOIN LATERAL counters_distinct_codes(e.event_id) d",
               "SELECT event_id, coalesce(reason, '') AS reason, count(DISTINCT code)::bigint AS codes FROM access_scan "
               "WHERE result = 'rejected' AND (%(event)s::text IS NULL OR event_id = %(event)s::text) GROUP BY 1, 2",
               ("event_id", "reason"), ("codes",)),
    Comparison("rejected codes",
               "SELECT DISTINCT event_id, reason, code_md5, 1 AS present FROM counters_reason_code "
               "WHERE (%(event)s::text IS NULL OR event_id = %(event)s::text)",
               "SELECT event_id, reason, code_md5, 1 AS present FROM counters_reason_code_log(%(event)s::text)",
               ("event_id", "reason", "code_md5"), ("present",)),
    _both("gaps", "counters_gap", "counters_gap_log", ("event_id", "checkpoint_id", "device_id", "gap_cs"), ("gaps",)),
    Comparison("zone inside (tickets)",
               _table("counters_zone", ("event_id", "zone_id"), ("inside",), where="AND zone_id <> ''"),
               "SELECT event_id, zone_id, count(*)::bigint AS inside FROM tickets_ticket "
               "WHERE access_entry AND (%(event)s::text IS NULL OR event_id = %(event)s::text) GROUP BY 1, 2",
               ("event_id", "zone_id"), ("inside",)),
    Comparison("credentials inside",
               _table("counters_zone", ("event_id",), ("inside",), where="AND zone_id = ''"),
               "SELECT event_id, count(*)::bigint AS inside FROM access_credential "
               "WHERE inside AND (%(event)s::text IS NULL OR event_id = %(event)s::text) GROUP BY 1",
               ("event_id",), ("inside",)),
)


@dataclass(frozen=True)
class Difference:
    comparison: str
    key: dict
    counters: dict
    log: dict

    def __str__(self) -> str:
        key = " ".join(f"{k}={v}" for k, v in self.key.items())
        values = ", ".join(f"{k}: counters {self.counters[k]} != log {self.log[k]}" for k in self.counters
                           if self.counters[k] != self.log[k])
        return f"{self.comparison}: {key}: {values}"


def _compare(cur, c: Comparison, event_id: str | None) -> list[Difference]:
    keys = ", ".join(c.keys)
    differs = " OR ".join(f"coalesce(c.{v}, 0) IS DISTINCT FROM coalesce(l.{v}, 0)" for v in c.values)
    cur.execute(
        f"""WITH c AS ({c.counters}), l AS ({c.recount})
            SELECT {keys}, {', '.join(f'coalesce(c.{v}, 0)' for v in c.values)},
                   {', '.join(f'coalesce(l.{v}, 0)' for v in c.values)}
              FROM c FULL JOIN l USING ({keys})
             WHERE {differs}
             ORDER BY {keys}""",
        {"event": event_id},
    )
    n, m = len(c.keys), len(c.values)
    return [Difference(c.name, dict(zip(c.keys, row[:n])), dict(zip(c.values, row[n:n + m])),
                       dict(zip(c.values, row[n + m:]))) for row in cur.fetchall()]


def check(event_id: str | None = None) -> list[Difference]:
    """Every difference between the counters and a recount from the log (empty when they agree)."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        out: list[Difference] = []
        for comparison in COMPARISONS:
            out += _compare(cur, comparison, event_id)
    return out
