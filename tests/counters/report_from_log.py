"""The post-event report's door figures computed straight from the scan log: the queries the
report ran before issue 19 (backoffice/report_sql.py then), kept here as the definition that the
counters must reproduce. The only change: a phone's scans at one same instant are ordered by id
(the counters' order; before, the window's order among equal times was left to the sort)."""
from __future__ import annotations

from collections import Counter, defaultdict

from django.db import connection

from access.vocabulary import Reason, ScanResult
from backoffice import flow, report, report_phones
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


def _shapes(event, rows: dict) -> dict:
    """The log's rows in the shapes the report reads from the counters' rollups, the lanes open and
    the busiest lane-minutes computed here from each phone's minutes (flow.lanes_open)."""
    gate: dict = {}
    phones: dict = {}
    lane_minutes: dict = defaultdict(Counter)  # (gate, minute) -> {phone: scans}
    for cp, device, minute, direction, result, mode, count, late, delay in rows["gate_minutes"]:
        g = gate.setdefault((cp, minute), {"in": 0, "out": 0, "accepted": 0, "rejected": 0, "arrivals": 0})
        if result == ScanResult.ACCEPTED:
            g["accepted"] += count
            g["in" if direction == Direction.IN else "out"] += count
        else:
            g["rejected"] += count
        lane_minutes[(cp, minute)][device] += count
        p = phones.setdefault((device, mode), [0, 0, None])
        p[0] += count
        p[1] += late
        if delay is not None:
            p[2] = delay if p[2] is None else max(p[2], delay)
    gaps: dict = defaultdict(Counter)
    for cp, minute, gap_cs, fresh_in, fresh_gaps in rows["flow"]:
        if minute is not None:
            gate[(cp, minute)]["arrivals"] += fresh_in
        elif gap_cs is not None and fresh_gaps:
            gaps[cp][gap_cs / 100] += fresh_gaps
    gate_minutes = [(cp, int(minute.timestamp()), g["in"], g["out"], g["accepted"], g["rejected"], g["arrivals"], 0,
                     True, False) for (cp, minute), g in gate.items()]
    minutes, _ = report._night(event, {"gate_minutes": gate_minutes})
    index = {m: i for i, m in enumerate(minutes)}
    active: dict = defaultdict(lambda: [set() for _ in minutes])
    busiest: dict = defaultdict(list)
    for (cp, minute), per_phone in lane_minutes.items():
        if cp is not None and minute in index:
            active[cp][index[minute]].update(d for d, c in per_phone.items() if c > 0)
            busiest[cp] += [c for c in per_phone.values() if c > 0]
    for cp, sets in active.items():
        gate_minutes += [(cp, int(minutes[i].timestamp()), 0, 0, 0, 0, 0, lanes, False, False)
                         for i, lanes in enumerate(flow.lanes_open(sets)) if lanes]
    measured = {cp: flow.service_time_from_gaps(histogram) for cp, histogram in gaps.items()}
    return {"gate_minutes": gate_minutes, "phones": [(d, m, *v) for (d, m), v in phones.items()],
            "service_times": {cp: m for cp, m in measured.items() if m is not None},
            "zone_minutes": [(*r[:2], int(r[2].timestamp()), *r[3:]) for r in rows["zone_minutes"]],
            "rejections": rows["rejections"],
            "zone_tickets": rows["zone_tickets"], "settled_lanes": {},
            "busiest": {cp: sorted(c, reverse=True)[:flow.SUSTAINED_TOP] for cp, c in busiest.items()}}


def report_from_log(event) -> dict:
    """backoffice.report.build over the log's figures (same snapshot rules as event_report), with
    the phones' section (report_devices) folded in as the admin's page shows it."""
    params = {"event": event.event_id, "busy_gap": flow.BUSY_GAP_S}
    with connection.cursor() as cur:
        rows = {}
        for name, sql in (("gate_minutes", GATE_MINUTES), ("zone_minutes", ZONE_MINUTES),
                          ("rejections", REJECTIONS), ("flow", FLOW), ("zone_tickets", _ZONE_TICKETS_SQL)):
            cur.execute(sql, params)
            rows[name] = cur.fetchall()
        data = report._read(cur, event)
    data.update(_shapes(event, rows))
    body = report.build(event, data, target_wait_s=report.DEFAULT_TARGET_WAIT_S)
    # The phones' night from the log: {phone: {minute: [online, offline]}} within the night.
    minutes, _ = report._night(event, data)
    night: dict = defaultdict(dict)
    for _cp, device, minute, _direction, _result, mode, count, _late, _delay in rows["gate_minutes"]:
        if minutes and minutes[0] <= minute <= minutes[-1]:
            at = night[device].setdefault(minute, [0, 0])
            at[1 if mode == "sync" else 0] += count
    devices = {d["device_id"]: d for d in data["devices"]}
    totals = {p["device_id"]: {"scans": p["scans"], "online": p["online_scans"], "offline": p["offline_scans"],
                               "late": p["late_scans"], "max_delay_s": p["max_upload_delay_s"] or 0}
              for p in body["devices"]}
    detail = {"devices": report_phones.phone_entries(devices, totals, dict(data["checkpoints"]), event.timezone, night)}
    return report_phones.merge(body, detail)
