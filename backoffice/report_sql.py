"""The post-event report's queries over the scan log (backoffice/report.py runs them)."""
from __future__ import annotations

from access.vocabulary import Reason, ScanResult
from events.vocabulary import Direction

# Scans that belong to the night's series: not quarantined evidence, not an attempt outside the
# doors window (those can carry any time a phone's clock gave them).
_IN_SERIES = f"NOT quarantined AND NOT (result = '{ScanResult.REJECTED}' AND reason = '{Reason.EVENT_CLOSED}')"

# Per gate, phone, minute, direction, result and mode: attendance, entries per gate, lanes open,
# the phones' timelines and late uploads, in one hash aggregate over the event's scans.
_GATE_MINUTES_SQL = f"""
SELECT checkpoint_id, device_id, date_trunc('minute', coalesce(effective_at, server_time)) AS minute,
       direction, result, mode, count(*),
       count(*) FILTER (WHERE late),
       max(extract(epoch FROM server_time - effective_at)) FILTER (WHERE late)
  FROM access_scan
 WHERE event_id = %(event)s AND {_IN_SERIES}
 GROUP BY 1, 2, 3, 4, 5, 6
"""

# Accepted scans per zone (NULL: staff credentials), minute and direction.
_ZONE_MINUTES_SQL = f"""
SELECT zone_id, ticket_id IS NULL, date_trunc('minute', coalesce(effective_at, server_time)), direction, count(*)
  FROM access_scan
 WHERE event_id = %(event)s AND result = '{ScanResult.ACCEPTED}' AND NOT quarantined
 GROUP BY 1, 2, 3, 4
"""

_REJECTIONS_SQL = f"""
SELECT reason, count(*), count(DISTINCT code)
  FROM access_scan
 WHERE event_id = %(event)s AND result = '{ScanResult.REJECTED}'
 GROUP BY reason
 ORDER BY 2 DESC, 1
"""

# The entry flow: each phone's scans in time order (the report's one sort). A scan is `fresh`
# unless it re-reads the phone's previous code, same direction, within BUSY_GAP_S (a QR read
# twice, a person trying again at once). One pass, two groupings: fresh entry attempts per gate
# and minute (arrivals; `gap_cs` NULL), and per gate a histogram of the back-to-back gaps between
# two fresh entry scans in hundredths of a second (`minute` NULL) for flow.service_rate. Exits are
# left out of the gaps: a person leaving is waved through faster than one coming in is checked. `OFFSET 0` keeps
# the inner projection below the sort, so it sorts 4-byte code hashes, not ~150-character codes.
_FLOW_SQL = f"""
SELECT checkpoint_id, minute, gap_cs,
       count(*) FILTER (WHERE fresh AND direction = '{Direction.IN}'),
       count(*) FILTER (WHERE fresh AND gap_cs > 0)
  FROM (SELECT checkpoint_id, direction, date_trunc('minute', at) AS minute,
               NOT coalesce(code = prev_code AND direction = prev_direction AND t - prev_t <= %(busy_gap)s, false)
                   AS fresh,
               CASE WHEN direction = '{Direction.IN}' AND prev_direction = '{Direction.IN}' AND t - prev_t <= %(busy_gap)s
                    THEN round((t - prev_t) * 100)::integer END AS gap_cs
          FROM (SELECT checkpoint_id, direction, code, at, t,
                       lag(t) OVER phone AS prev_t, lag(code) OVER phone AS prev_code,
                       lag(direction) OVER phone AS prev_direction
                  FROM (SELECT device_id, checkpoint_id, direction, hashtext(code) AS code,
                               coalesce(effective_at, server_time) AS at,
                               date_part('epoch', coalesce(effective_at, server_time)) AS t
                          FROM access_scan
                         WHERE event_id = %(event)s AND {_IN_SERIES} AND checkpoint_id IS NOT NULL
                        OFFSET 0) s
                WINDOW phone AS (PARTITION BY device_id ORDER BY t)) p) w
 GROUP BY GROUPING SETS ((checkpoint_id, minute), (checkpoint_id, gap_cs))
"""

_ZONE_TICKETS_SQL = """
SELECT z.zone_id, z.name, z.color, z.seats,
       count(t.id) FILTER (WHERE NOT t.status), count(t.id) FILTER (WHERE t.access_status)
  FROM events_zone z
  LEFT JOIN tickets_ticket t ON t.zone_ref_id = z.id
 WHERE z.event_id = %(event)s
 GROUP BY z.id, z.zone_id, z.name, z.color, z.seats, z.position
 ORDER BY z.position, z.id
"""
