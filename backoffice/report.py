"""The post-event report (GET /api/v1/events/{event_id}/report and the admin's report page): what
happened at the doors, read from the scan counters, with sales and box-office money.

All figures come from one statement (one snapshot, one round trip after the fold:
backoffice/report_sql.py `_REPORT_SQL`), and none from the scan log or a pass over the tickets
(docs/adr/0033, "The report in constant time" and "The report in one round trip"): the door
figures from the rollups the counters' fold keeps per gate and minute (with the lanes open), per
phone and per zone and minute, plus the few rows not folded yet; sales from the sales counters;
the admitted tickets from their count as of the event's last accepted entry. Their cost follows
the night's minutes x gates, never its scans. Each phone's night minute by minute (first and last
minute, timeline) costs phones x minutes and is a section of its own (`report_devices`,
/report/devices). The counters reproduce the definitions below exactly (`manage.py
check_counters` recounts them from the scan log and the tickets).

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

import functools
from collections import Counter, defaultdict
from datetime import datetime
from datetime import timezone as dt_timezone

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from alerts.vocabulary import AlertKind
from backoffice import flow, report_sql
from backoffice import report_timeline as tl
from backoffice import report_doors as doors
from backoffice import report_phones
from backoffice.report_conflicts import conflict as _conflict
from backoffice.report_gates import gate as _gate
from backoffice.report_conflicts import iso as _iso
from backoffice.report_money import SALES_JSON_SQL, sales_rows_from_json, sales_section
from backoffice.report_sql import _GATE_MINUTES_SQL, _PHONES_SQL, DEVICE_FIELDS
from backoffice.report_words import reason_words
from core.prepared import prepared_cursor
from devices.models import Device
from events.models import Checkpoint, Event, doors_window_of_row
from events.vocabulary import Direction

DEFAULT_TARGET_WAIT_S = 300
REPORT_WORK_MEM = "64MB"
MAX_TARGET_WAIT_S = 24 * 3600


def _read_doors(cur, params: dict) -> dict:
    """What both readers start from: the gate-minutes and the phones' totals."""
    cur.execute(_GATE_MINUTES_SQL, params)
    data = {"gate_minutes": cur.fetchall()}
    cur.execute(_PHONES_SQL, params)
    data["phones"] = cur.fetchall()
    return data


@functools.cache
def _report_sql() -> tuple[str, tuple[str, ...]]:
    """report_sql._REPORT_SQL with the event's row (its columns, then its doors window as the ORM
    compiles events.models.doors_window_of_row) and the sales filled in; and the event's field names."""
    opens, closes = doors_window_of_row()
    sentinel = "report-event-id"
    fields = tuple(f.attname for f in Event._meta.concrete_fields)
    query = (Event.objects.filter(pk=sentinel).annotate(doors_opened_at=opens, doors_closed_at=closes)
             .values_list(*fields, "doors_opened_at", "doors_closed_at").query)
    sql, params = query.sql_with_params()
    if list(params) != [sentinel] or sql.count("%s") != 1:
        raise ImproperlyConfigured(f"the report's event row takes one parameter, not {params!r}")
    return (report_sql._REPORT_SQL.replace(report_sql.EVENT_ROW, sql.replace("%s", "%(event)s"))
            .replace(report_sql.NIGHT_LIMIT, str(tl.MAX_SERIES_MINUTES))
            .replace(report_sql.SALES, SALES_JSON_SQL)), fields


def report_params(event_id: str) -> dict:
    """The parameters of _report_sql()'s statement for one event (bench/export_report.py explains it)."""
    return {"event": event_id, "event_id": event_id, "busy_cs": round(flow.BUSY_GAP_S * 100),
            "min_gaps": flow.MIN_BUSY_GAPS, "top": flow.SUSTAINED_TOP, "reach": 2 * flow.LANE_OPEN_SLACK_MIN,
            "conflict": AlertKind.OFFLINE_CONFLICT.value}


def _read_row(event_id: str) -> tuple[Event, dict] | None:
    """The event and everything its report reads, in one statement (report_sql._REPORT_SQL); None
    if there is no such event."""
    sql, fields = _report_sql()
    params = report_params(event_id)
    with transaction.atomic(), connection.cursor() as cur:
        # For this transaction only (or the caller's): the aggregates fit in memory, the JIT
        # compiler (triggered by the row estimates) would spend longer compiling than it saves,
        # and the prepared statement's generic plan serves from its first run on a connection
        # (PostgreSQL would plan the first five runs for their parameters; its plan does not
        # depend on the event's size: rollup tables, indexed by event).
        cur.execute("SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true), "
                    "set_config('plan_cache_mode', 'force_generic_plan', true)", [REPORT_WORK_MEM])
        with prepared_cursor() as prepared:
            prepared.execute(sql, params)
            row = prepared.fetchone()
    if row is None:
        return None
    k = len(fields)
    event = Event.from_db(connection.alias, fields, row[:k])
    got = {name: (list(zip(*value)) if value[0] is not None else []) if name in report_sql.BY_COLUMN else value or []
           for name, value in zip(report_sql.REPORT_SECTIONS, row[k + 2:])}
    data = {key: got[key] for key in ("gate_minutes", "phones", "zone_minutes", "rejections", "zone_tickets",
                                      "checkpoints")}
    data["service_times"] = {cp: ((lo / 100 + hi / 100) / 2, n)  # flow._weighted_median's arithmetic
                             for cp, n, lo, hi in got["gaps"] if n >= flow.MIN_BUSY_GAPS}
    # What the fold's per-gate counts leave open, from the per-phone rows of a few minutes: the
    # lanes near the night's edges and near rows not folded yet.
    minutes, truncated = data["night"] = _night(event, data)
    unsettled, _gates = doors.unsettled(data["gate_minutes"], minutes, truncated)
    data["settled_lanes"] = doors.settle_lanes(got["phones_near"], unsettled, minutes)
    busiest: dict[str, list[int]] = defaultdict(list)
    for cp, scans in got["busiest"]:
        busiest[cp].append(scans)
    data["busiest"] = busiest
    data["devices"] = [dict(zip(DEVICE_FIELDS, d), revoked_at=_instant(d[4]), last_seen_at=_instant(d[5]))
                       for d in got["devices"]]
    data["conflicts"] = [{"created_at": _instant(at), "data": body, "acknowledged_at": _instant(seen)}
                         for at, body, seen, _id in got["conflicts"]]
    data["sales"] = sales_section(event_id, rows=sales_rows_from_json(got["sales"]), offices=got["offices"])
    return event, data


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _read(cur, event: Event) -> dict:
    """The report's data for `event` (tests/counters/report_from_log.py builds one from the log
    beside it); `cur` is not needed any more: the report reads in one statement of its own."""
    got = _read_row(event.event_id)
    return got[1] if got else {}


def _devices(event_id: str) -> list[dict]:
    return list(Device.objects.filter(event_id=event_id).order_by("name", "device_id").values(
        "device_id", "name", "role", "checkpoint_id", "revoked_at", "last_seen_at", "clock_offset_ms", "app_version"))


def _snapshot(event_id: str, read) -> dict | None:
    """`read(cur, event)` in one snapshot (the phones' section, several queries): the counters
    folded first (counters_fold, never a wait), then one REPEATABLE READ transaction; None if
    there is no such event."""
    nested = connection.in_atomic_block  # inside a caller's transaction, its snapshot rules
    with connection.cursor() as cur:  # in a caller's older snapshot the fold does nothing
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
        return {"event": event, "data": read(cur, event)}


def event_report(event_id: str, *, target_wait_s: int = DEFAULT_TARGET_WAIT_S) -> dict | None:
    """The report of one event, or None if there is no such event: the queued scans counted
    (counters_fold, never a wait), then the admitted tickets recounted if a ticket entered since
    their last count (a statement of its own, so the fold's rows are not held meanwhile, and after
    the fold, so the count's stamp is the counted entries the report then reads); then everything
    read in one statement (one snapshot). Inside a caller's transaction only the fold runs (under
    its older snapshot not even that), and the report recounts admitted tickets if the cache is
    behind."""
    with connection.cursor() as cur:
        cur.execute("SELECT counters_fold(%s)", [event_id])
        if not connection.in_atomic_block:
            cur.execute("SELECT counters_admitted_refresh(%s)", [event_id])
    got = _read_row(event_id)
    return build(*got, target_wait_s=target_wait_s) if got else None


def _read_phones(cur, event: Event) -> dict:
    data = _read_doors(cur, {"event": event.event_id})
    minutes, _truncated = _night(event, data)
    data["phone_minutes"] = doors.phone_minutes(cur, event.event_id, minutes)
    data["checkpoints"] = list(Checkpoint.objects.filter(event_id=event.event_id).values_list("checkpoint_id", "name"))
    data["devices"] = _devices(event.event_id)
    return data


def report_devices(event_id: str) -> dict | None:
    """The report's phones with their night minute by minute (report_phones), or None."""
    got = _snapshot(event_id, _read_phones)
    if got is None:
        return None
    event, data = got["event"], got["data"]
    totals = doors.accumulate([], data["phones"], {}, None, {}).phone_totals
    devices = {d["device_id"]: d for d in data["devices"]}
    return {"devices": report_phones.phone_entries(devices, totals, dict(data["checkpoints"]), event.timezone,
                                                   data["phone_minutes"])}


# --------------------------------------------------------------------------- building

def _night(event: Event, data: dict) -> tuple[list[datetime], bool]:
    """The night's minutes (UTC datetimes); rows give their minutes as epoch seconds."""
    opens = event.doors_open_at.replace(second=0, microsecond=0).timestamp()
    closes = event.doors_close_at.timestamp()
    seen = [r[1] for r in data["gate_minutes"] if r[8] and opens <= r[1] <= closes]  # r[8]: a row of scans
    if not seen:
        return [], False
    return tl.minute_range(datetime.fromtimestamp(min(seen), dt_timezone.utc),
                           datetime.fromtimestamp(max(seen), dt_timezone.utc))


def build(event: Event, data: dict, *, target_wait_s: int) -> dict:
    tz = event.timezone
    minutes, truncated = data.get("night") or _night(event, data)
    index = {int(m.timestamp()): i for i, m in enumerate(minutes)}  # rows' minutes are epoch seconds
    n = len(minutes)
    first = int(minutes[0].timestamp()) if minutes else None
    names = dict(data["checkpoints"])
    devices = {d["device_id"]: d for d in data["devices"]}

    # --- attendance, entries per gate, lanes, phones
    door = doors.accumulate(data["gate_minutes"], data["phones"], index, first, data["settled_lanes"])
    entries, exits, inside_before = door.entries, door.exits, door.inside_before
    gate_accepted, gate_rejected = door.gate_accepted, door.gate_rejected
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
    gate_ids = [cp for cp, _ in data["checkpoints"]]
    gate_ids += sorted((set(gate_accepted) | set(gate_rejected)) - set(gate_ids))
    gates, gate_series = [], {}
    for cp in gate_ids:
        gate, series = _gate(cp, names.get(cp, cp), arrivals=door.series(door.arrivals, cp),
                             entries=door.series(door.gate_entries, cp), exits=door.series(door.gate_exits, cp),
                             lanes=door.series(door.lanes, cp), busiest=data["busiest"].get(cp, []),
                             measured=data["service_times"].get(cp),
                             labels=labels, target_wait_s=target_wait_s)
        gate["rejected"] = gate_rejected[cp]
        gates.append(gate)
        gate_series[cp] = series

    # --- rejections
    rejections = [{"reason": reason, "label": reason_words(reason), "count": count, "distinct_codes": distinct}
                  for reason, count, distinct in data["rejections"]]

    # --- phones (their night minute by minute: report_devices), late uploads, offline conflicts
    phones = report_phones.phone_entries(devices, door.phone_totals, names, tz)
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
