"""The post-event report's door figures computed straight from the scan log: the queries the
report ran before issue 19 (backoffice/report_sql.py then), kept here as the definition that the
counters must reproduce. The only change: a phone's scans at one same instant are ordered by id
(the counters' order; before, the window's order among equal times was left to the sort)."""
from __future__ import annotations

from django.db import connection

from access.vocabulary import Reason, ScanResult
from backoffice import report
from backoffice.report_sql import _ZONE_TICKETS_SQL
from events.vocabulary import Direction

_IN_SERIES = f"NOT quarantined AND NOT (result = '{ScanResult.REJECTED}' AND reason = '{Reason.EVENT_CLOSED}')"

GATE_MINUTES = f"""
SELECT checkpoint_id, device_id, date_trunc('minute', coalesce(effective_at, server_time)) AS minute,
       direction, result, mode, count(*),
       count(*) FILTER (WHERE late),
       max(extract(epoch FROM server_time - effective_at)) FILTER (WHERE late)
  FROM access_scan
 WHERE event_id = %(event)s AND {_IN_SERIES}
 GROUP BY 1, 2, 3, 4, 5, 6
"""

ZONE_MINUTES = f"""
SELECT zone_id, ticket_id IS NULL, date_trunc('minute', coalesce(effective_at, server_time)), direction, count(*)
  FROM access_scan
 WHERE event_id = %(event)s AND result = '{ScanResult.ACCEPTED}' AND NOT quarantined
 GROUP BY 1, 2, 3, 4
"""

REJECTIONS = f"""
SELECT reason, count(*), count(DISTINCT code)
  FROM access_scan
 WHERE event_id = %(event)s AND result = '{ScanResult.REJECTED}'
 GROUP BY reason
 ORDER BY 2 DESC, 1
"""

FLOW = f"""
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
                  FROM (SELECT id, device_id, checkpoint_id, direction, hashtext(code) AS code,
                               coalesce(effective_at, server_time) AS at,
                               date_part('epoch', coalesce(effective_at, server_time)) AS t
                          FROM access_scan
                         WHERE event_id = %(event)s AND {_IN_SERIES} AND checkpoint_id IS NOT NULL
                        OFFSET 0) s
                WINDOW phone AS (PARTITION BY device_id ORDER BY t, id)) p) w
 GROUP BY GROUPING SETS ((checkpoint_id, minute), (checkpoint_id, gap_cs))
"""


def report_from_log(event) -> dict:
    """backoffice.report.build over the log's figures (same snapshot rules as event_report)."""
    from backoffice.flow import BUSY_GAP_S

    params = {"event": event.event_id, "busy_gap": BUSY_GAP_S}
    with connection.cursor() as cur:
        rows = {}
        for name, sql in (("gate_minutes", GATE_MINUTES), ("zone_minutes", ZONE_MINUTES),
                          ("rejections", REJECTIONS), ("flow", FLOW), ("zone_tickets", _ZONE_TICKETS_SQL)):
            cur.execute(sql, params)
            rows[name] = cur.fetchall()
        data = report._read(cur, event)
    data.update(rows)
    return report.build(event, data, target_wait_s=report.DEFAULT_TARGET_WAIT_S)
