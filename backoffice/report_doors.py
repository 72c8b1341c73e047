"""The post-event report's door figures per minute, from the counters' rollups
(backoffice/report_sql.py, counters/migrations/0003): attendance, entries per gate, arrivals,
lanes open, the busiest lane-minutes and each phone's minutes. Pure Python over rows bounded by the
night's minutes x gates, whatever the number of scans; the per-phone rows are read only for the
few minutes the fold's lanes do not settle (the night's edges, gate-minutes not folded yet) and for
the phones' timelines (backoffice/report.py builds the report from it)."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from access.vocabulary import ScanMode
from backoffice import flow
from backoffice.report_sql import _PHONE_NIGHT_SQL


@dataclass
class Doors:
    n: int
    entries: list[int]
    exits: list[int]
    inside_before: int = 0
    gate_entries: dict = field(default_factory=dict)
    gate_exits: dict = field(default_factory=dict)
    arrivals: dict = field(default_factory=dict)
    lanes: dict = field(default_factory=dict)  # gate -> lanes open per minute
    gate_accepted: Counter = field(default_factory=Counter)
    gate_rejected: Counter = field(default_factory=Counter)
    phone_totals: dict = field(default_factory=lambda: defaultdict(Counter))

    def series(self, table: dict, cp: str) -> list[int]:
        return table.get(cp) or [0] * self.n


def unsettled(gate_rows: list[tuple], minutes: list[datetime], truncated: bool) -> tuple[set, set]:
    """The (gate, minute index) whose lanes the fold's counts do not settle: near a gate-minute not
    folded yet, and at the night's edges of a gate with scans just outside the night (the fold
    counts the lanes they open; the night's series does not). And the gates with rows."""
    n, slack = len(minutes), flow.LANE_OPEN_SLACK_MIN
    gates: set = set()
    out: set = set()
    if not n:
        return out, {r[0] for r in gate_rows if r[0] is not None}
    first, last = _epoch(minutes[0]), _epoch(minutes[-1])
    before, after = first - slack * 60, last + slack * 60
    edges = (*range(min(slack, n)), *range(max(0, n - slack), n))
    for cp, minute, *_counts, seen, unfolded in gate_rows:
        if cp is None:
            continue
        gates.add(cp)
        if not seen:
            continue
        if before <= minute < first or last < minute <= after:
            out.update((cp, j) for j in edges)
        elif unfolded and first <= minute <= last:
            i = (minute - first) // 60
            out.update((cp, j) for j in range(max(0, i - slack), min(n, i + slack + 1)))
    if truncated:  # the night was cut: what lies past the cut is outside it too
        out.update((cp, j) for cp in gates for j in edges)
    return out, gates


def accumulate(gate_rows: list[tuple], phone_rows: list[tuple], index: dict[int, int], first: int | None,
               settled: dict) -> Doors:
    """`gate_rows`: (gate or None, minute, entries, exits, accepted, rejected, arrivals, lanes,
    seen, unfolded), minutes in epoch seconds, a gate-minute possibly twice (folded and not yet
    folded); `phone_rows`: (phone, mode, scans, late, longest delay); `index`: the night's minutes
    (epoch seconds); `settled`: the lanes open counted from the phones' rows at the `unsettled`
    (gate, minute index)."""
    n = len(index)
    doors = Doors(n=n, entries=[0] * n, exits=[0] * n)
    entries, exits = doors.entries, doors.exits
    accepted_by, rejected_by = doors.gate_accepted, doors.gate_rejected
    per_gate: dict = {}  # gate -> (entries, exits, arrivals, lanes)
    for cp, minute, n_in, n_out, accepted, rejected, arrivals, lanes, seen, _unfolded in gate_rows:
        i = index.get(minute)
        if cp is not None and seen:
            accepted_by[cp] += accepted
            rejected_by[cp] += rejected
        if i is None:
            if first is not None and minute < first:
                doors.inside_before += n_in - n_out
            continue
        entries[i] += n_in
        exits[i] += n_out
        if cp is None:
            continue
        series = per_gate.get(cp)
        if series is None:
            series = per_gate[cp] = ([0] * n, [0] * n, [0] * n, [0] * n)
        series[0][i] += n_in
        series[1][i] += n_out
        series[2][i] += arrivals
        series[3][i] += lanes
    for (cp, i), lanes in settled.items():
        series = per_gate.get(cp)
        if series is None:
            series = per_gate[cp] = ([0] * n, [0] * n, [0] * n, [0] * n)
        series[3][i] = lanes
    for cp, (gate_in, gate_out, gate_arrivals, gate_lanes) in per_gate.items():
        doors.gate_entries[cp], doors.gate_exits[cp] = gate_in, gate_out
        doors.arrivals[cp], doors.lanes[cp] = gate_arrivals, gate_lanes
    for phone, mode, count, late, delay in phone_rows:
        totals = doors.phone_totals[phone]
        totals["scans"] += count
        totals["offline" if mode == ScanMode.SYNC else "online" if mode == ScanMode.ONLINE else mode] += count
        totals["late"] += late
        if delay is not None:
            totals["max_delay_s"] = max(totals["max_delay_s"], int(delay))
    return doors


def _epoch(minute: datetime) -> int:
    return int(minute.timestamp())


def settle_lanes(phone_rows: list, unsettled: set, minutes: list[datetime]) -> dict:
    """The lanes open at the (gate, minute index) in `unsettled`, counted from each phone's scans
    in the night's minutes only (flow.lanes_open's definition). `phone_rows`: (gate, minute, phone,
    scans, offline scans), minutes in epoch seconds, at least those within LANE_OPEN_SLACK_MIN of
    the `unsettled` (the report's statement reads the night's edges and the minutes near rows not
    folded yet)."""
    if not unsettled:
        return {}
    slack, n = flow.LANE_OPEN_SLACK_MIN, len(minutes)
    index = {_epoch(m): j for j, m in enumerate(minutes)}
    active: dict = defaultdict(set)
    for cp, minute, phone, scans, _sync in phone_rows:
        j = index.get(minute)
        if cp is not None and scans > 0 and j is not None:
            active[(cp, j)].add(phone)
    out = {}
    for cp, i in unsettled:
        lanes: set = set()
        for j in range(max(0, i - slack), min(n, i + slack + 1)):
            lanes |= active.get((cp, j), set())
        out[(cp, i)] = len(lanes)
    return out


def phone_minutes(cur, event_id: str, minutes: list[datetime]) -> dict[str, dict[datetime, list[int]]]:
    """Each phone's {minute: [online, offline]} scans over the night (its timeline's input)."""
    out: dict = defaultdict(dict)
    if not minutes:
        return out
    cur.execute(_PHONE_NIGHT_SQL, {"event": event_id, "first": minutes[0], "last": minutes[-1]})
    at = {_epoch(m): m for m in minutes}
    for _cp, minute, phone, scans, sync in cur.fetchall():
        counts = out[phone].setdefault(at[minute], [0, 0])
        counts[0] += scans - sync
        counts[1] += sync
    return out
