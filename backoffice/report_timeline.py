"""Pure helpers of the post-event report: the minute range of the night, running totals, and a
phone's health timeline. No database (tests/backoffice/test_report_timeline.py)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

MINUTE = timedelta(minutes=1)
# A phone with no scan for longer than this, between two of its scans, was silent in between.
SILENT_GAP_MIN = 5
# A night longer than this (a festival's doors window set to days) is cut: the series would be
# too long to read and to send. The cut is reported (`series_truncated`).
MAX_SERIES_MINUTES = 7 * 24 * 60


class State:
    ONLINE = "online"  # scans reached the server as they happened
    OFFLINE = "offline"  # scans decided on the phone and uploaded later (mode `sync`)
    SILENT = "silent"  # no scan for longer than SILENT_GAP_MIN minutes


def minute_range(first: datetime, last: datetime, *, limit: int = MAX_SERIES_MINUTES) -> tuple[list[datetime], bool]:
    """Every minute from `first` to `last` included (both already truncated to the minute), at
    most `limit` of them; and whether it was cut."""
    count = int((last - first) / MINUTE) + 1
    truncated = count > limit
    return [first + i * MINUTE for i in range(min(count, limit))], truncated


def running_total(entries: Sequence[int], exits: Sequence[int], *, start: int = 0) -> list[int]:
    """People inside at the end of each minute: `start` plus entries minus exits so far."""
    inside, out = start, []
    for e, x in zip(entries, exits):
        inside += e - x
        out.append(inside)
    return out


@dataclass(frozen=True)
class Segment:
    start: datetime
    end: datetime  # exclusive: the minute after the segment's last
    state: str


def segments(minutes: Mapping[datetime, tuple[int, int]], *, silent_gap_min: int = SILENT_GAP_MIN) -> list[Segment]:
    """A phone's timeline from {minute: (online scans, offline scans)}: consecutive minutes of one
    state form a segment, and a stretch without scans longer than `silent_gap_min` minutes between
    two scans is a silent segment. A minute is offline when most of its scans were uploaded later.
    A shorter pause belongs to the segment before it."""
    out: list[Segment] = []
    current: Segment | None = None
    for minute in sorted(minutes):
        online, offline = minutes[minute]
        if online + offline == 0:
            continue
        state = State.OFFLINE if offline > online else State.ONLINE
        if current is None:
            current = Segment(minute, minute + MINUTE, state)
        elif (minute - current.end) / MINUTE > silent_gap_min:
            out += [current, Segment(current.end, minute, State.SILENT)]
            current = Segment(minute, minute + MINUTE, state)
        elif state == current.state:
            current = Segment(current.start, minute + MINUTE, state)
        else:
            out.append(Segment(current.start, minute, current.state))
            current = Segment(minute, minute + MINUTE, state)
    if current is not None:
        out.append(current)
    return out
