"""The post-event report (GET /api/v1/events/{event_id}/report and the admin's report page): what
happened at the doors, read from the scan counters, with sales and box-office money.

All figures come from one REPEATABLE READ snapshot. The door figures are a handful of aggregates
over the counters that the database keeps in each scan's own transaction (counters/,
docs/adr/0033): per gate, phone and minute, per reason, per gap. Their cost grows with the
night's minutes and phones, not with its scans; Python then works on per-minute rows. The
counters reproduce the definitions below exactly (`manage.py check_counters` recounts them from
the scan log); zones' sold and admitted tickets and the sales come from the tickets themselves.

Definitions (the page says the same in words; docs/adr/0028):
- A scan's **time** is when it happened at the door: the corrected device time of an offline
  scan, else the server's (as the scan function itself reports a first entry). Minutes are UTC
  minute buckets (every zone's offset is whole minutes) shown on the event's clock.
- **The night** is the doors window. The per-minute series run from its first to its last minute
  with a scan. Rejected `event_closed` attempts fall outside it by definition and are counted
  only among the rejections; an accepted staff credential scanned before the doors opened counts
  in `inside` from the first minute on.
- **attendance**: accepted entries and exits per minute, and people inside (tickets and staff
  credentials) at the end of each minute. Quarantined evidence from revoked phones is left out.
- **zones**: `sold` tickets now, `admitted` sold tickets that entered at least once, `no_shows`
  the difference, `peak_inside` the most of the zone's tickets inside at a minute's end.
- **rejections**: every rejected scan by reason, and `distinct_codes`: repeat reads of one code
  (a phone re-reading the same QR, or the same person trying again) count once.
- **gates**: entries, the peak entry minute, and the entry-flow analysis of backoffice/flow.py:
  arrivals are the entry attempts, a phone's immediate re-reads of one code counted once.
"""
from __future__ import annotations

import math

from collections import Counter, defaultdict
from datetime import datetime
from datetime import timezone as dt_timezone

from django.db import connection, transaction
from django.utils import timezone

from access.vocabulary import ScanMode, ScanResult
from alerts.models import Alert
from alerts.vocabulary import AlertKind
from backoffice import flow
from backoffice import report_timeline as tl
from backoffice.report_conflicts import conflict as _conflict
from backoffice.report_conflicts import iso as _iso
from backoffice.report_money import sales_section
from backoffice.report_sql import _FLOW_SQL, _GATE_MINUTES_SQL, _REJECTIONS_SQL, _ZONE_MINUTES_SQL, _ZONE_TICKETS_SQL
from backoffice.report_words import reason_words
from devices.models import Device
from devices.vocabulary import DeviceRole
from events.models import Checkpoint, Event
from events.vocabulary import Direction

DEFAULT_TARGET_WAIT_S = 300
REPORT_WORK_MEM = "64MB"
MAX_TARGET_WAIT_S = 24 * 3600

def _minutes(rows: list[tuple], at: int) -> list[tuple]:
    """Rows whose column `at` is a minute in epoch seconds (or None), with a UTC datetime there."""
    seen: dict[int, datetime] = {}

    def minute(seconds):
        if seconds is None:
            return None
        value = seen.get(seconds)
        if value is None:
            value = seen[seconds] = datetime.fromtimestamp(seconds, dt_timezone.utc)
        return value

    return [(*r[:at], minute(r[at]), *r[at + 1:]) for r in rows]


def _read(cur, event: Event) -> dict:
    params = {"event": event.event_id}
    cur.execute(_GATE_MINUTES_SQL, params)
    gate_minutes = _minutes(cur.fetchall(), 2)
    cur.execute(_ZONE_MINUTES_SQL, params)
    zone_minutes = _minutes(cur.fetchall(), 2)
    cur.execute(_REJECTIONS_SQL, params)
    rejections = cur.fetchall()
    cur.execute(_FLOW_SQL, params)
    flow_rows = _minutes(cur.fetchall(), 1)
    cur.execute(_ZONE_TICKETS_SQL, params)
    zone_tickets = cur.fetchall()
    return {
        "gate_minutes": gate_minutes, "zone_minutes": zone_minutes, "rejections": rejections, "flow": flow_rows,
        "zone_tickets": zone_tickets,
        "checkpoints": list(Checkpoint.objects.filter(event_id=event.event_id).order_by("name", "checkpoint_id")
                            .values_list("checkpoint_id", "name")),
        "devices": list(Device.objects.filter(event_id=event.event_id).order_by("name", "device_id").values(
            "device_id", "name", "role", "checkpoint_id", "revoked_at", "last_seen_at", "clock_offset_ms",
            "app_version")),
        "conflicts": list(Alert.objects.filter(event_id=event.event_id, kind=AlertKind.OFFLINE_CONFLICT)
                          .order_by("created_at", "id").values("created_at", "data", "acknowledged_at")),
        "sales": sales_section(event.event_id),
    }


def event_report(event_id: str, *, target_wait_s: int = DEFAULT_TARGET_WAIT_S) -> dict | None:
    """The report of one event, or None if there is no such event."""
    nested = connection.in_atomic_block  # inside a caller's transaction, its snapshot rules
    if not nested:  # the pending flow scans into the counters first (counters_fold, never a wait)
        with connection.cursor() as cur:
            cur.execute("SELECT counters_fold(%s)", [event_id])
    with transaction.atomic(), connection.cursor() as cur:
        if not nested:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        # For this transaction only: the aggregates and the one sort fit in memory, and the JIT
        # compiler (triggered by the row estimates) would spend longer compiling than it saves.
        cur.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        cur.execute("SET LOCAL jit = off")
        event = Event.objects.filter(pk=event_id).first()
        if event is None:
            return None
        data = _read(cur, event)
    return build(event, data, target_wait_s=target_wait_s)


# --------------------------------------------------------------------------- building

def _night(event: Event, data: dict) -> tuple[list[datetime], bool]:
    opens = event.doors_open_at.replace(second=0, microsecond=0)
    closes = event.doors_close_at
    seen = [r[2] for r in data["gate_minutes"] if opens <= r[2] <= closes]
    if not seen:
        return [], False
    return tl.minute_range(min(seen), max(seen))


def build(event: Event, data: dict, *, target_wait_s: int) -> dict:
    tz = event.timezone
    minutes, truncated = _night(event, data)
    index = {m: i for i, m in enumerate(minutes)}
    n = len(minutes)
    first = minutes[0] if minutes else None
    names = dict(data["checkpoints"])
    devices = {d["device_id"]: d for d in data["devices"]}

    # --- attendance, entries per gate, lanes, phones
    entries, exits = [0] * n, [0] * n
    inside_before = 0
    gate_entries: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    gate_exits: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    gate_rejected: Counter = Counter()
    gate_accepted: Counter = Counter()
    lane_active: dict[str, list[set]] = defaultdict(lambda: [set() for _ in range(n)])
    lane_minutes: dict[str, Counter] = defaultdict(Counter)
    phone_minutes: dict[str, dict] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    phone_totals: dict[str, Counter] = defaultdict(Counter)
    for cp, device, minute, direction, result, mode, count, late, delay in data["gate_minutes"]:
        i = index.get(minute)
        accepted = result == ScanResult.ACCEPTED
        if accepted and i is None and first is not None and minute < first:
            inside_before += count if direction == Direction.IN else -count
        totals = phone_totals[device]
        totals["scans"] += count
        totals["offline" if mode == ScanMode.SYNC else "online" if mode == ScanMode.ONLINE else mode] += count
        totals["late"] += late
        if delay is not None:
            totals["max_delay_s"] = max(totals["max_delay_s"], int(delay))
        if cp is not None:
            (gate_accepted if accepted else gate_rejected)[cp] += count
        if i is None:
            continue
        phone_minutes[device][minute][1 if mode == ScanMode.SYNC else 0] += count
        if accepted:
            if direction == Direction.IN:
                entries[i] += count
                if cp is not None:
                    gate_entries[cp][i] += count
            else:
                exits[i] += count
                if cp is not None:
                    gate_exits[cp][i] += count
        if cp is not None:
            lane_active[cp][i].add(device)
            lane_minutes[cp][(device, i)] += count
    inside = tl.running_total(entries, exits, start=inside_before)
    labels = [_iso(m, tz) for m in minutes]
    attendance = [{"minute": labels[i], "entries": entries[i], "exits": exits[i], "inside": inside[i]}
                  for i in range(n)]

    # --- zones
    zone_entries: dict[str | None, list[int]] = defaultdict(lambda: [0] * n)
    zone_exits: dict[str | None, list[int]] = defaultdict(lambda: [0] * n)
    zone_before: Counter = Counter()
    for zone_id, credential, minute, direction, count in data["zone_minutes"]:
        key = None if credential else zone_id
        i = index.get(minute)
        if i is None:
            if first is not None and minute < first:
                zone_before[key] += count if direction == Direction.IN else -count
            continue
        (zone_entries if direction == Direction.IN else zone_exits)[key][i] += count
    zones, zone_series = [], {}
    for zone_id, name, color, seats, sold, admitted in data["zone_tickets"]:
        series = tl.running_total(zone_entries[zone_id], zone_exits[zone_id], start=zone_before[zone_id])
        at, peak_inside = flow.peak(series)
        zones.append({"zone_id": zone_id, "name": name, "color": color, "capacity": seats, "sold": sold,
                      "admitted": admitted, "no_shows": sold - admitted, "peak_inside": int(peak_inside),
                      "peak_inside_minute": labels[at] if at is not None else None,
                      "entries": sum(zone_entries[zone_id]), "exits": sum(zone_exits[zone_id])})
        zone_series[zone_id] = {"entries": zone_entries[zone_id], "exits": zone_exits[zone_id], "inside": series}
    credential_inside = tl.running_total(zone_entries[None], zone_exits[None], start=zone_before[None])
    credentials = {"entries": sum(zone_entries[None]), "exits": sum(zone_exits[None]),
                   "peak_inside": int(flow.peak(credential_inside)[1])}

    # --- gates and the entry flow
    arrivals: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    gaps: dict[str, Counter] = defaultdict(Counter)
    for cp, minute, gap_cs, fresh_in, fresh_gaps in data["flow"]:
        if minute is not None:
            i = index.get(minute)
            if i is not None:
                arrivals[cp][i] += fresh_in
        elif gap_cs is not None and fresh_gaps:
            gaps[cp][gap_cs / 100] += fresh_gaps
    gate_ids = [cp for cp, _ in data["checkpoints"]]
    gate_ids += sorted((set(gate_accepted) | set(gate_rejected)) - set(gate_ids))
    gates, gate_series = [], {}
    for cp in gate_ids:
        gate, series = _gate(cp, names.get(cp, cp), arrivals=arrivals[cp], entries=gate_entries[cp],
                             exits=gate_exits[cp], active=lane_active[cp], lane_minutes=lane_minutes[cp],
                             gaps=gaps[cp], labels=labels, target_wait_s=target_wait_s)
        gate["rejected"] = gate_rejected[cp]
        gates.append(gate)
        gate_series[cp] = series

    # --- rejections
    rejections = [{"reason": reason, "label": reason_words(reason), "count": count, "distinct_codes": distinct}
                  for reason, count, distinct in data["rejections"]]

    # --- phones, late uploads, offline conflicts
    phones = []
    scanners = {d for d, info in devices.items() if info["role"] != DeviceRole.OFFICE}
    for device_id in sorted(set(phone_totals) | scanners, key=lambda d: (devices.get(d, {}).get("name", d), d)):
        info = devices.get(device_id, {"device_id": device_id, "name": device_id, "role": None, "checkpoint_id": None})
        totals = phone_totals[device_id]
        active_minutes = [m for m, c in phone_minutes[device_id].items() if sum(c) > 0]
        phones.append({
            "device_id": device_id, "name": info["name"], "role": info.get("role"),
            "checkpoint_id": info.get("checkpoint_id"), "gate": names.get(info.get("checkpoint_id")),
            "scans": totals["scans"], "online_scans": totals["online"], "offline_scans": totals["offline"],
            "late_scans": totals["late"], "max_upload_delay_s": totals["max_delay_s"] if totals["late"] else None,
            "first_minute": _iso(min(active_minutes), tz) if active_minutes else None,
            "last_minute": _iso(max(active_minutes), tz) if active_minutes else None,
            "revoked_at": _iso(info.get("revoked_at"), tz), "last_seen_at": _iso(info.get("last_seen_at"), tz),
            "clock_offset_ms": info.get("clock_offset_ms"),
            "timeline": [{"from": _iso(s.start, tz), "to": _iso(s.end, tz), "state": s.state}
                         for s in tl.segments({m: tuple(c) for m, c in phone_minutes[device_id].items()})],
        })
    late = [{"device_id": p["device_id"], "name": p["name"], "count": p["late_scans"],
             "max_delay_s": p["max_upload_delay_s"]} for p in phones if p["late_scans"]]
    conflicts = [_conflict(row, devices, names, tz) for row in data["conflicts"]]

    peak_at, peak_inside = flow.peak(inside)
    return {
        "event": {"event_id": event.event_id, "name": event.name, "venue": event.venue, "timezone": tz,
                  "currency": event.currency, "language": event.language,
                  "date_start": _iso(event.date_start, tz), "date_end": _iso(event.date_end, tz),
                  "doors_open_at": _iso(event.doors_open_at, tz), "doors_close_at": _iso(event.doors_close_at, tz)},
        "generated_at": _iso(timezone.now(), tz),
        "parameters": {"target_wait_s": target_wait_s, "busy_gap_s": flow.BUSY_GAP_S,
                       "saturation_utilisation": flow.SATURATION_UTILISATION,
                       "lane_open_slack_min": flow.LANE_OPEN_SLACK_MIN, "silent_gap_min": tl.SILENT_GAP_MIN},
        "totals": {"entries": sum(entries), "exits": sum(exits), "accepted": sum(gate_accepted.values()),
                   "rejected": sum(r["count"] for r in rejections),
                   "peak_inside": int(peak_inside), "peak_inside_minute": labels[peak_at] if peak_at is not None else None,
                   "inside_at_end": inside[-1] if inside else inside_before},
        "attendance": attendance,
        "gates": gates,
        "zones": zones,
        "credentials": credentials,
        "rejections": rejections,
        "offline_conflicts": {"count": len(conflicts), "items": conflicts},
        "late_uploads": {"count": sum(p["count"] for p in late), "devices": late},
        "devices": phones,
        "sales": data["sales"],
        "series": {"minutes": labels, "truncated": truncated, "gates": gate_series, "zones": zone_series,
                   "credentials": {"entries": zone_entries[None], "exits": zone_exits[None], "inside": credential_inside}},
    }


def _gate(cp: str, name: str, *, arrivals, entries, exits, active, lane_minutes, gaps, labels, target_wait_s):
    at, peak_entries = flow.peak(entries)
    rate = flow.service_rate(gaps_s=gaps, lane_minute_counts=lane_minutes.values())
    lanes = flow.lanes_open(active)
    max_lanes = max(lanes, default=0)
    arrivals_at, peak_arrivals = flow.peak(arrivals)
    gate = {
        "checkpoint_id": cp, "name": name, "entries": sum(entries), "exits": sum(exits),
        "peak_minute": labels[at] if at is not None else None, "peak_entries": int(peak_entries),
        "service_rate_per_min": round(rate.per_min * max_lanes, 1) if rate else None,
        "saturated_minutes": 0,
        "lanes_for_target_wait": flow.lanes_for_target_wait(arrivals, rate.per_min if rate else None, target_wait_s),
        "lanes": max_lanes,
        "lane_rate_per_min": round(rate.per_min, 2) if rate else None,
        "service_time_s": round(rate.service_time_s, 2) if rate else None,
        "service_rate_method": rate.method if rate else None,
        "service_rate_samples": rate.samples if rate else 0,
        "arrivals": sum(arrivals), "peak_arrivals_minute": labels[arrivals_at] if arrivals_at is not None else None,
        "peak_arrivals": int(peak_arrivals),
        "max_wait_s": 0, "saturation": [],
    }
    series = {"entries": entries, "exits": exits, "arrivals": arrivals, "lanes": lanes, "capacity": None, "queue": None}
    if rate is not None:
        capacity = [rate.per_min * lanes_then for lanes_then in lanes]
        run = flow.fluid_queue(arrivals, capacity)
        if rate.method != flow.MEASURED_FROM_GAPS:
            # A quiet gate (too few back-to-back scans to see anyone waiting): its rate is its own
            # busiest minutes, so those minutes would read as "saturated" by construction. No
            # queue is claimed without evidence that people waited.
            run = flow.fluid_queue(arrivals, capacity, saturation=math.inf)
        gate["saturated_minutes"] = run.saturated_minutes
        gate["max_wait_s"] = round(min(run.max_wait_s, 10 ** 9), 1)
        gate["saturation"] = [{"from": labels[e.start], "to": labels[e.end], "minutes": e.minutes,
                               "max_queue": round(e.max_queue, 1), "max_wait_s": round(min(e.max_wait_s, 10 ** 9), 1)}
                              for e in run.episodes]
        series["capacity"] = [round(c, 1) for c in capacity]
        series["queue"] = [round(q, 1) for q in run.queue]
    # The log sees people when they are served: while the gate was saturated the real demand was
    # higher than the recorded arrivals, so the lanes figure is the least that would have done.
    gate["lanes_is_lower_bound"] = gate["saturated_minutes"] > 0
    return gate, series
