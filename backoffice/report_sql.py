"""The post-event report's queries (backoffice/report.py runs them). The door figures are read
from the counters (counters/, docs/adr/0033) and their fold-kept rollups (counters/migrations/0003),
never from the scan log: their cost grows with the night's minutes and gates, not with its scans.
Minutes come as epoch seconds (the report indexes them as such: building datetimes for thousands of
rows cost more than the queries). What the counters count, and how they are recounted from the log,
is in counters/migrations/0002 (`counters_*_log`); `manage.py check_counters` compares the two."""
from __future__ import annotations

from access.vocabulary import ScanResult

# The door figures come from the fold's rollups (counters/migrations/0003: per gate and minute,
# per phone and mode, per zone and minute; their size follows the night's minutes and gates, never
# its scans) plus the few minute rows a scan in flight kept out of the last fold (`slot >= 0`,
# index counters_minute_unfolded). Only in-series scans: the rejected `event_closed` attempts
# (outside the doors window, any time a phone's clock gave them) are counted among the rejections.

# Per gate and door minute: accepted entries and exits, accepted and rejected scans, fresh entry
# attempts (the entry flow's arrivals, backoffice/flow.py), the lanes open as the fold left them,
# and whether the row is one of scans (`seen`; a lanes-only row is a quiet minute beside busy ones)
# or a gate-minute not folded yet (`unfolded`: added to the folded one; its lanes are recomputed).
_GATE_MINUTES_SQL = """
SELECT nullif(checkpoint_id, ''), date_part('epoch', minute)::bigint, coalesce(entries, 0), coalesce(exits, 0),
       coalesce(accepted, 0), coalesce(rejected, 0), coalesce(arrivals, 0), coalesce(lanes, 0), seen, unfolded
  FROM (SELECT checkpoint_id, minute, g.entries, g.exits, g.accepted, g.rejected, g.arrivals, l.lanes,
               g.checkpoint_id IS NOT NULL AS seen, false AS unfolded
          FROM (SELECT * FROM counters_gate_minute WHERE event_id = %(event)s) g
          FULL JOIN (SELECT checkpoint_id, minute, lanes FROM counters_gate_lanes
                      WHERE event_id = %(event)s AND lanes > 0) l USING (checkpoint_id, minute)
        UNION ALL
        SELECT checkpoint_id, minute, sum(scans) FILTER (WHERE result = 'accepted' AND direction = 'in')::bigint,
               sum(scans) FILTER (WHERE result = 'accepted' AND direction = 'out')::bigint,
               sum(scans) FILTER (WHERE result = 'accepted')::bigint,
               sum(scans) FILTER (WHERE result <> 'accepted')::bigint, sum(arrivals)::bigint, NULL::integer, true, true
          FROM counters_minute
         WHERE event_id = %(event)s AND slot >= 0 AND in_series
         GROUP BY 1, 2) x
"""

# Each phone's scans and offline (`sync`) scans per gate and door minute, folded or not, for the
# minutes asked (`{minutes}`: a range or a list; rows give epoch seconds): the lanes near the
# night's edges and near unfolded rows, the phones' timelines.
_PHONE_MINUTES = """
SELECT nullif(checkpoint_id, '') AS checkpoint_id, date_part('epoch', minute)::bigint AS minute, device_id,
       sum(scans)::bigint AS scans, sum(sync)::bigint AS sync
  FROM (SELECT g.checkpoint_id, g.minute, u.device_id, u.scans, u.sync
          FROM counters_gate_minute g
         CROSS JOIN LATERAL unnest(g.devices, g.device_scans, g.device_sync) AS u(device_id, scans, sync)
         WHERE g.event_id = %(event)s AND g.minute {minutes}
        UNION ALL
        SELECT checkpoint_id, minute, device_id, scans, CASE WHEN mode = 'sync' THEN scans ELSE 0 END
          FROM counters_minute
         WHERE event_id = %(event)s AND slot >= 0 AND in_series AND minute {minutes}) p
 GROUP BY 1, 2, 3
"""
_PHONE_NIGHT_SQL = _PHONE_MINUTES.format(minutes="BETWEEN %(first)s AND %(last)s")
# The busiest lane-minutes (one phone, one minute) of the gates asked, within the night: the
# service rate of a gate with too few back-to-back gaps (backoffice/flow.py SUSTAINED_TOP). Only
# the gate's `top` minutes with the most scans by one phone (`busiest`) and its minutes not folded
# yet can hold them: any other minute's best is below `top` values found there.
_BUSIEST_LANE_MINUTES = """
unfolded AS (
    SELECT checkpoint_id, minute, device_id, scans FROM counters_minute
     WHERE event_id = %(event)s AND slot >= 0 AND in_series AND checkpoint_id {gates}
       AND minute BETWEEN {first} AND {last}),
candidates AS (
    SELECT checkpoint_id, minute
      FROM (SELECT checkpoint_id, minute, row_number() OVER (PARTITION BY checkpoint_id ORDER BY busiest DESC) AS r
              FROM counters_gate_minute
             WHERE event_id = %(event)s AND checkpoint_id {gates} AND minute BETWEEN {first} AND {last}) b
     WHERE r <= %(top)s
    UNION
    SELECT checkpoint_id, minute FROM unfolded),
lane_minutes AS (
    SELECT checkpoint_id, sum(scans)::bigint AS scans
      FROM (SELECT g.checkpoint_id, g.minute, u.device_id, u.scans
              FROM counters_gate_minute g JOIN candidates c USING (checkpoint_id, minute)
             CROSS JOIN LATERAL unnest(g.devices, g.device_scans) AS u(device_id, scans)
             WHERE g.event_id = %(event)s
            UNION ALL
            SELECT checkpoint_id, minute, device_id, scans FROM unfolded) m
     GROUP BY checkpoint_id, minute, device_id
    HAVING sum(scans) > 0),
busiest AS (
    SELECT checkpoint_id, scans
      FROM (SELECT checkpoint_id, scans, row_number() OVER (PARTITION BY checkpoint_id ORDER BY scans DESC) AS r
              FROM lane_minutes) t
     WHERE r <= %(top)s)"""

# Per phone and mode, every in-series scan (outside the doors window too): totals, late uploads.
# A phone and mode may come twice (folded, then not yet folded): the reader adds up.
_PHONES_SQL = """
SELECT device_id, mode, scans, late, max_delay_s FROM counters_phone WHERE event_id = %(event)s
UNION ALL
SELECT device_id, mode, sum(scans)::bigint, sum(late)::bigint, max(max_delay_s) FROM counters_minute
 WHERE event_id = %(event)s AND slot >= 0 AND in_series
 GROUP BY 1, 2
"""

# Accepted scans per zone (credential: staff passes), door minute and direction; a key may come
# twice (folded, then not yet folded): the reader adds up.
_ZONE_MINUTES_SQL = f"""
SELECT nullif(zone_id, ''), credential, date_part('epoch', minute)::bigint, direction, scans
  FROM counters_zone_minute WHERE event_id = %(event)s
UNION ALL
SELECT nullif(zone_id, ''), credential, date_part('epoch', minute)::bigint, direction, sum(scans)::bigint
  FROM counters_minute
 WHERE event_id = %(event)s AND slot >= 0 AND result = '{ScanResult.ACCEPTED}'
 GROUP BY 1, 2, 3, 4
"""

# Every rejected scan by reason (quarantined evidence included), and the distinct codes among them.
_REJECTIONS_SQL = """
SELECT nullif(r.reason, ''), r.scans, coalesce(d.codes, 0)
  FROM (SELECT reason, sum(scans)::bigint AS scans FROM counters_reason WHERE event_id = %(event)s
         GROUP BY reason HAVING sum(scans) > 0) r
  LEFT JOIN counters_distinct_codes(%(event)s) d USING (reason)
 ORDER BY 2 DESC, 1
"""

# The entry flow's service time (backoffice/flow.py `service_time_from_gaps`) computed where the
# histogram is: per gate, the back-to-back gaps between two fresh entry scans of one phone (in
# hundredths of a second, at most BUSY_GAP_S), how many, and the two middle ones (ranks
# (n - 1) / 2 and n / 2, whose mean is the median). One row per gate, however many gap values.
_GAP_MEDIANS_SQL = """
SELECT checkpoint_id, total, min(gap_cs) FILTER (WHERE upto > (total - 1) / 2), min(gap_cs) FILTER (WHERE upto > total / 2)
  FROM (SELECT checkpoint_id, gap_cs, (sum(n) OVER (PARTITION BY checkpoint_id ORDER BY gap_cs))::bigint AS upto,
               (sum(n) OVER (PARTITION BY checkpoint_id))::bigint AS total
          FROM (SELECT checkpoint_id, gap_cs, sum(gaps) AS n FROM counters_gap
                 WHERE event_id = %(event)s AND gap_cs > 0 AND gap_cs <= %(busy_cs)s
                 GROUP BY 1, 2 HAVING sum(gaps) > 0) h) c
 GROUP BY checkpoint_id, total
"""

# The event in the join: zone_ref_id has no index of its own, the ticket indexes lead with the event
# (without it this read every event's tickets).
_ZONE_TICKETS_SQL = """
SELECT z.zone_id, z.name, z.color, z.seats,
       count(t.id) FILTER (WHERE NOT t.status), count(t.id) FILTER (WHERE t.access_status)
  FROM events_zone z
  LEFT JOIN tickets_ticket t ON t.event_id = z.event_id AND t.zone_ref_id = z.id
 WHERE z.event_id = %(event)s
 GROUP BY z.id, z.zone_id, z.name, z.color, z.seats, z.position
 ORDER BY z.position, z.id
"""

# The same from the counters (counters/migrations/0004): sold from the sales counters, admitted from
# the admitted tickets counted when the event's accepted entries were `fingerprint`; only while that
# is still the event's (`_ADMITTED_FRESH_SQL`, in the report's snapshot), else _ZONE_TICKETS_SQL.
_ADMITTED_FRESH_SQL = """
SELECT EXISTS (SELECT 1 FROM counters_admitted_mark
                WHERE event_id = %(event)s
                  AND fingerprint = (SELECT coalesce(sum(scans), 0) FROM counters_gate
                                      WHERE event_id = %(event)s AND result = 'accepted' AND direction = 'in'))
"""
_ZONE_TICKETS_COUNTED_SQL = """
SELECT z.zone_id, z.name, z.color, z.seats, coalesce(s.sold, 0), coalesce(a.admitted, 0)
  FROM events_zone z
  LEFT JOIN (SELECT zone_ref_id, sum(sold)::bigint AS sold FROM counters_sales WHERE event_id = %(event)s
              GROUP BY zone_ref_id) s ON s.zone_ref_id = z.id
  LEFT JOIN counters_admitted a ON a.event_id = %(event)s AND a.zone_ref_id = z.id
 WHERE z.event_id = %(event)s
 ORDER BY z.position, z.id
"""


# --------------------------------------------------------------------------- the report in one statement
# Everything the report reads, in one statement (one snapshot, one round trip; docs/adr/0033, "The
# report in one round trip"): the event's row with its doors window (EVENT_ROW, filled in by
# report_sql_for with the ORM's compilation of events.models.doors_window, its one definition),
# then one JSON array per section, each built by the queries above. A section a sorted subquery
# feeds keeps its order (json_agg reads the rows as that subquery gives them). What the report used
# to ask in further round trips once it knew the night, the night computed here gives: the busiest
# lane-minutes of the gates without enough back-to-back gaps, and the phones' rows of the minutes
# whose lanes the fold may not have settled (a superset: the night's edges and the minutes around
# rows not folded yet; report_doors.unsettled decides which it uses).
EVENT_ROW, NIGHT_LIMIT, SALES = "<event_row>", "<night_limit>", "<sales>"


def _rows(sql: str, width: int, *, order: str = "") -> str:
    """The rows of `sql` (its first `width` columns) as one JSON array of arrays."""
    names = ", ".join(f"c{i}" for i in range(width))
    return f"(SELECT json_agg(json_build_array({names}){order}) FROM ({sql}) t({names}))"


def _columns(sql: str, width: int) -> str:
    """The rows of `sql` as one JSON array per column (the long sections: building a JSON array
    per row cost twice as much in the database, and more to parse)."""
    names = [f"c{i}" for i in range(width)]
    return (f"(SELECT json_build_array({', '.join(f'array_agg({n})' for n in names)}) "
            f"FROM ({sql}) t({', '.join(names)}))")


_REPORT_SQL = f"""
WITH ev AS MATERIALIZED ({EVENT_ROW}),
gm AS MATERIALIZED (
    SELECT * FROM ({_GATE_MINUTES_SQL}) x(cp, minute, entries, exits, accepted, rejected, arrivals, lanes, seen, unfolded)),
night AS MATERIALIZED (  -- report._night's first and last minute (the last cut at the series' limit)
    SELECT to_timestamp(min(gm.minute)) AS first,
           to_timestamp(least(max(gm.minute), min(gm.minute) + 60 * ({NIGHT_LIMIT} - 1))) AS last
      FROM gm, ev
     WHERE gm.seen AND gm.minute >= date_part('epoch', date_trunc('minute', ev.doors_opened_at))
       AND gm.minute <= date_part('epoch', ev.doors_closed_at)),
gaps AS MATERIALIZED ({_GAP_MEDIANS_SQL}),
quiet AS (
    SELECT cp FROM gm WHERE cp IS NOT NULL
    EXCEPT SELECT checkpoint_id FROM gaps WHERE total >= %(min_gaps)s),
wanted AS (
    SELECT DISTINCT m
      FROM night n
     CROSS JOIN LATERAL (
        SELECT generate_series(n.first, least(n.last, n.first + %(reach)s * interval '1 minute'), interval '1 minute')
        UNION ALL
        SELECT generate_series(greatest(n.first, n.last - %(reach)s * interval '1 minute'), n.last, interval '1 minute')
        UNION ALL
        SELECT generate_series(greatest(n.first, to_timestamp(u.minute) - %(reach)s * interval '1 minute'),
                               least(n.last, to_timestamp(u.minute) + %(reach)s * interval '1 minute'), interval '1 minute')
          FROM gm u WHERE u.seen AND u.unfolded) w(m)),
{_BUSIEST_LANE_MINUTES.format(gates="= ANY(ARRAY(SELECT cp FROM quiet))", first="(SELECT first FROM night)",
                              last="(SELECT last FROM night)")}
SELECT ev.*,
       {_columns("SELECT * FROM gm", 10)},
       {_rows(_PHONES_SQL, 5)},
       {_columns(_ZONE_MINUTES_SQL, 5)},
       {_rows(_REJECTIONS_SQL, 3)},
       {_rows("SELECT * FROM gaps", 4)},
       {_rows(f"SELECT * FROM ({_ZONE_TICKETS_COUNTED_SQL}) c WHERE ({_ADMITTED_FRESH_SQL}) UNION ALL "
              f"SELECT * FROM ({_ZONE_TICKETS_SQL}) s WHERE NOT ({_ADMITTED_FRESH_SQL})", 6)},
       {_rows("SELECT * FROM busiest", 2)},
       {_columns(_PHONE_MINUTES.format(minutes="= ANY(ARRAY(SELECT m FROM wanted))"), 5)},
       {_rows("SELECT checkpoint_id, name FROM access_checkpoint WHERE event_id = %(event)s", 2,
              order=" ORDER BY c1, c0")},
       {_rows("SELECT device_id, name, role, checkpoint_id, revoked_at, last_seen_at, clock_offset_ms, app_version "
              "FROM devices_device WHERE event_id = %(event)s", 8, order=" ORDER BY c1, c0")},
       {_rows("SELECT created_at, data, acknowledged_at, id FROM access_alert "
              "WHERE event_id = %(event)s AND kind = %(conflict)s", 4, order=" ORDER BY c0, c3")},
       {SALES},
       {_rows("SELECT o.office_id, o.name, d.name FROM offices_office o JOIN devices_device d USING (device_id) "
              "WHERE o.event_id = %(event)s", 3, order=" ORDER BY c1, c0")}
  FROM ev
"""
# The sections of _REPORT_SQL's row after the event's columns, in order; those sent by column.
REPORT_SECTIONS = ("gate_minutes", "phones", "zone_minutes", "rejections", "gaps", "zone_tickets", "busiest",
                   "phones_near", "checkpoints", "devices", "conflicts", "sales", "offices")
BY_COLUMN = frozenset(("gate_minutes", "zone_minutes", "phones_near"))
DEVICE_FIELDS = ("device_id", "name", "role", "checkpoint_id", "revoked_at", "last_seen_at", "clock_offset_ms",
                 "app_version")
