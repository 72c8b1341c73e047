"""The report's pure helpers (backoffice/report_timeline.py): the minute range, running totals and
a phone's health timeline, on hand-made inputs."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backoffice import report_timeline as tl

T0 = datetime(2026, 12, 5, 19, 0, tzinfo=UTC)


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def test_minute_range_includes_both_ends_and_is_capped():
    minutes, cut = tl.minute_range(at(0), at(3))
    assert minutes == [at(0), at(1), at(2), at(3)] and not cut
    minutes, cut = tl.minute_range(at(0), at(10), limit=5)
    assert minutes == [at(i) for i in range(5)] and cut


def test_running_total_starts_from_who_was_already_inside():
    assert tl.running_total([3, 0, 2], [0, 1, 4], start=1) == [4, 3, 1]


def test_a_phone_timeline_online_offline_and_silent():
    minutes = {
        at(0): (5, 0), at(1): (4, 0), at(3): (2, 0),  # online; a 1-minute pause stays in the segment
        at(4): (0, 6), at(5): (1, 7),  # offline (mostly uploaded later)
        at(20): (3, 0),  # after 14 minutes without a scan: silent in between
        at(21): (0, 0),  # nothing: ignored
    }
    assert [(s.start, s.end, s.state) for s in tl.segments(minutes)] == [
        (at(0), at(4), tl.State.ONLINE),
        (at(4), at(6), tl.State.OFFLINE),
        (at(6), at(20), tl.State.SILENT),
        (at(20), at(21), tl.State.ONLINE),
    ]
    assert tl.segments({}) == []


def test_a_pause_of_exactly_the_silent_gap_is_not_silent():
    minutes = {at(0): (1, 0), at(1 + tl.SILENT_GAP_MIN): (1, 0)}
    assert [(s.start, s.end, s.state) for s in tl.segments(minutes)] == [(at(0), at(2 + tl.SILENT_GAP_MIN), "online")]
    minutes = {at(0): (1, 0), at(2 + tl.SILENT_GAP_MIN): (1, 0)}
    assert [s.state for s in tl.segments(minutes)] == ["online", "silent", "online"]
