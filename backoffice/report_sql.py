"""The post-event report's queries (backoffice/report.py runs them). The door figures are read
from the counters that the database keeps in each scan's transaction (counters/, docs/adr/0033),
never from the scan log: their cost grows with the night's minutes, gates and phones, not with its
scans. Minutes come as epoch seconds (report.py turns the few distinct ones into datetimes: parsing
tens of thousands of timestamps cost more than the queries). What the counters count, and how they are recounted from the log, is in
counters/migrations/0002 (`counters_*_log`); `manage.py check_counters` compares the two."""
from __future__ import annotations

from access.vocabulary import ScanResult

# Per gate, phone, door minute, direction, result and mode: attendance, entries per gate, lanes
# open, the phones' timelines and late uploads. `in_series` leaves out the rejected
# `event_closed` attempts (outside the doors window, any time a phone's clock gave them).
_GATE_MINUTES_SQL = """
SELECT nullif(checkpoint_id, ''), device_id, date_part('epoch', minute)::bigint, direction, result, mode,
       sum(scans)::bigint, sum(late)::bigint, max(max_delay_s)
  FROM counters_minute
 WHERE event_id = %(event)s AND in_series
 GROUP BY 1, 2, 3, 4, 5, 6
"""

# Accepted scans per zone (credential: staff passes), door minute and direction.
_ZONE_MINUTES_SQL = f"""
SELECT nullif(zone_id, ''), credential, date_part('epoch', minute)::bigint, direction, sum(scans)::bigint
  FROM counters_minute
 WHERE event_id = %(event)s AND result = '{ScanResult.ACCEPTED}'
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

# The entry flow (backoffice/flow.py): fresh entry attempts per gate and door minute (arrivals;
# `gap_cs` NULL), and per gate the histogram of back-to-back gaps between two fresh entry scans
# of one phone in hundredths of a second (`minute` NULL). A scan is fresh unless it re-reads the
# phone's previous code, same direction, within BUSY_GAP_S.
_FLOW_SQL = """
SELECT checkpoint_id, date_part('epoch', minute)::bigint, NULL::integer, sum(arrivals)::bigint, 0
  FROM counters_minute
 WHERE event_id = %(event)s AND in_series AND checkpoint_id <> ''
 GROUP BY 1, 2
UNION ALL
SELECT checkpoint_id, NULL::bigint, gap_cs, 0, sum(gaps)::bigint
  FROM counters_gap
 WHERE event_id = %(event)s
 GROUP BY 1, 3
HAVING sum(gaps) <> 0
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
