"""Recount from the scan log and compare with the counters (`manage.py check_counters`).

The log functions (`counters_*_log`, counters/migrations/0002) are the counters' definition
written as one aggregate over access_scan; the fold keeps the same figures one batch of queued
scans at a time. Both are read in one REPEATABLE READ snapshot taken when no scan is queued for counting (the
queue is folded first: every committed scan is then in the counters), so any difference is a real
drift, never a scan in flight. On top, the people inside are compared with the rows that hold the truth (tickets' access_entry, credentials' inside)."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from counters.folding import fold_queued
from counters.vocabulary import LANE_SLACK


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


def _rollup(rollup: str, unfolded: str, keys: tuple[str, ...], values: tuple[str, ...], *, where: str,
            alias: str = "") -> str:
    """A rollup's rows (`rollup`, filtered to the event here) plus the minute rows still in the
    slots (`unfolded`: their sums under the values' names), summed per key."""
    event = f"(%(event)s::text IS NULL OR {alias}event_id = %(event)s::text)"
    sums = ", ".join(f"sum({v})::bigint AS {v}" if v != "max_delay_s" else "max(max_delay_s) AS max_delay_s"
                     for v in values)
    return (f"SELECT {', '.join(keys)}, {sums} FROM ({rollup} WHERE {event} UNION ALL "
            f"SELECT {', '.join(keys)}, {unfolded} FROM counters_minute WHERE slot >= 0 AND {where} "
            f"AND (%(event)s::text IS NULL OR event_id = %(event)s::text) GROUP BY {', '.join(keys)}) r "
            f"GROUP BY {', '.join(keys)}")


ADMITTED_CURRENT = ("JOIN counters_admitted_mark m ON m.event_id = a.event_id "
                    "WHERE (%(event)s::text IS NULL OR a.event_id = %(event)s::text) "
                    "AND m.fingerprint = (SELECT coalesce(sum(g.scans), 0) FROM counters_gate g "
                    "WHERE g.event_id = m.event_id AND g.result = 'accepted' AND g.direction = 'in')")
GATE_MINUTE_KEYS = ("event_id", "checkpoint_id", "minute")
GATE_MINUTE_VALUES = ("entries", "exits", "accepted", "rejected", "arrivals")
GATE_MINUTE_SUMS = ("coalesce(sum(scans) FILTER (WHERE result = 'accepted' AND direction = 'in'), 0) AS entries, "
                    "coalesce(sum(scans) FILTER (WHERE result = 'accepted' AND direction = 'out'), 0) AS exits, "
                    "coalesce(sum(scans) FILTER (WHERE result = 'accepted'), 0) AS accepted, "
                    "coalesce(sum(scans) FILTER (WHERE result <> 'accepted'), 0) AS rejected, "
                    "sum(arrivals) AS arrivals")
ZONE_MINUTE_KEYS = ("event_id", "zone_id", "credential", "minute", "direction")
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
    # The fold's rollups (counters/migrations/0003) plus the minute rows not folded yet, against the log.
    Comparison("gate minute",
               _rollup("SELECT event_id, checkpoint_id, minute, entries, exits, accepted, rejected, arrivals "
                       "FROM counters_gate_minute",
                       GATE_MINUTE_SUMS,
                       GATE_MINUTE_KEYS, GATE_MINUTE_VALUES, where="in_series"),
               "SELECT event_id, checkpoint_id, minute, " + GATE_MINUTE_SUMS.replace(" AS", "::bigint AS")
               + " FROM counters_minute_log(%(event)s::text) WHERE in_series GROUP BY 1, 2, 3",
               GATE_MINUTE_KEYS, GATE_MINUTE_VALUES),
    Comparison("gate minute phones",
               _rollup("SELECT g.event_id, g.checkpoint_id, g.minute, u.device_id, u.scans, u.sync "
                       "FROM counters_gate_minute g CROSS JOIN LATERAL "
                       "unnest(g.devices, g.device_scans, g.device_sync) AS u(device_id, scans, sync)",
                       "sum(scans) AS scans, coalesce(sum(scans) FILTER (WHERE mode = 'sync'), 0) AS sync",
                       GATE_MINUTE_KEYS + ("device_id",), ("scans", "sync"), where="in_series", alias="g."),
               "SELECT event_id, checkpoint_id, minute, device_id, sum(scans)::bigint AS scans, "
               "coalesce(sum(scans) FILTER (WHERE mode = 'sync'), 0)::bigint AS sync "
               "FROM counters_minute_log(%(event)s::text) WHERE in_series GROUP BY 1, 2, 3, 4",
               GATE_MINUTE_KEYS + ("device_id",), ("scans", "sync")),
    Comparison("phones",
               _rollup("SELECT event_id, device_id, mode, scans, late, max_delay_s FROM counters_phone",
                       "sum(scans) AS scans, sum(late) AS late, max(max_delay_s) AS max_delay_s",
                       ("event_id", "device_id", "mode"), ("scans", "late", "max_delay_s"), where="in_series"),
               _log("counters_minute_log", ("event_id", "device_id", "mode"), ("scans", "late", "max_delay_s"),
                    where="AND in_series"),
               ("event_id", "device_id", "mode"), ("scans", "late", "max_delay_s")),
    Comparison("zone minutes",
               _rollup("SELECT event_id, zone_id, credential, minute, direction, scans FROM counters_zone_minute",
                       "sum(scans) AS scans", ZONE_MINUTE_KEYS, ("scans",), where="result = 'accepted'"),
               _log("counters_minute_log", ZONE_MINUTE_KEYS, ("scans",), where="AND result = 'accepted'"),
               ZONE_MINUTE_KEYS, ("scans",)),
    # The lanes open kept by the fold, against the same from the gate-minutes' phones (proven above).
    Comparison("gate lanes",
               "SELECT event_id, checkpoint_id, minute, lanes::bigint AS lanes FROM counters_gate_lanes "
               "WHERE (%(event)s::text IS NULL OR event_id = %(event)s::text)",
               "SELECT g.event_id, g.checkpoint_id, g.minute + k * interval '1 minute' AS minute, "
               "count(DISTINCT u.device_id)::bigint AS lanes FROM counters_gate_minute g "
               f"CROSS JOIN generate_series(-{LANE_SLACK}, {LANE_SLACK}) k "
               "CROSS JOIN LATERAL unnest(g.devices, g.device_scans) AS u(device_id, scans) "
               "WHERE u.scans > 0 AND (%(event)s::text IS NULL OR g.event_id = %(event)s::text) GROUP BY 1, 2, 3",
               GATE_MINUTE_KEYS, ("lanes",)),
    # The tickets' counters (counters/migrations/0004) against the tickets themselves.
    Comparison("sales",
               "SELECT event_id, zone_ref_id, channel, sum(seats)::bigint AS seats, sum(sold)::bigint AS sold, "
               "sum(offline)::bigint AS offline, sum(revenue) AS revenue FROM counters_sales "
               "WHERE (%(event)s::text IS NULL OR event_id = %(event)s::text) GROUP BY 1, 2, 3",
               "SELECT event_id, zone_ref_id, coalesce(channel, '') AS channel, count(*)::bigint AS seats, "
               "count(*) FILTER (WHERE NOT status)::bigint AS sold, "
               "count(*) FILTER (WHERE status AND status_offline)::bigint AS offline, "
               "coalesce(sum(price) FILTER (WHERE NOT status), 0) AS revenue FROM tickets_ticket "
               "WHERE (%(event)s::text IS NULL OR event_id = %(event)s::text) GROUP BY 1, 2, 3",
               ("event_id", "zone_ref_id", "channel"), ("seats", "sold", "offline", "revenue")),
    # The admitted tickets, where the report takes them from the cache: while its mark is current.
    Comparison("admitted",
               f"SELECT a.event_id, a.zone_ref_id, a.admitted FROM counters_admitted a {ADMITTED_CURRENT}",
               "SELECT t.event_id, t.zone_ref_id, count(*)::bigint AS admitted FROM tickets_ticket t "
               f"{ADMITTED_CURRENT.replace('a.event_id', 't.event_id')} AND t.access_status GROUP BY 1, 2",
               ("event_id", "zone_ref_id"), ("admitted",)),
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


def check(event_id: str | None = None, *, attempts: int = 20) -> list[Difference]:
    """Every difference between the counters and a recount from the log (empty when they agree).

    A scan is counted when a fold takes it off the queue (counters_scan_queue), so the queued scans
    are folded first and the comparison runs in a snapshot with none queued: then the counters must
    be exactly the log. Under a door rush a scan may be queued between the fold and the snapshot;
    the check folds again, up to `attempts` times, and compares the last snapshot anyway (a
    difference there may then be a scan in flight, and says so)."""
    for attempt in range(attempts):
        fold_queued(event_id)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cur.execute("SELECT EXISTS (SELECT 1 FROM counters_scan_queue "
                        "WHERE %(event)s::text IS NULL OR event_id = %(event)s::text)", {"event": event_id})
            busy = cur.fetchone()[0]
            if busy and attempt < attempts - 1:
                continue
            out: list[Difference] = []
            for comparison in COMPARISONS:
                out += _compare(cur, comparison, event_id)
            if busy:
                out = [Difference(d.comparison + " (scans were still queued)", d.key, d.counters, d.log) for d in out]
            return out
    return []
