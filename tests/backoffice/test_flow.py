"""The entry-flow math (backoffice/flow.py) on synthetic arrival curves whose answers are known by
hand. Pure Python: no database."""
from __future__ import annotations

import math
import random

import pytest

from backoffice import flow


def test_a_constant_flow_under_capacity_never_saturates():
    run = flow.fluid_queue([8] * 240, 12)
    assert run.saturated_minutes == 0 and run.episodes == []
    assert run.max_queue == 0 and run.max_wait_s == 0
    assert run.served == [8] * 240


def test_a_constant_flow_at_capacity_is_saturated_without_a_queue():
    # The lanes never pause (saturated) but nobody is left over at a minute's end.
    run = flow.fluid_queue([12] * 10, 12)
    assert run.saturated_minutes == 10 and run.max_queue == 0
    assert [(e.start, e.end, e.minutes) for e in run.episodes] == [(0, 9, 10)]


def test_a_burst_saturates_for_a_computable_number_of_minutes():
    # 10 quiet minutes at 5/min, a burst of 30/min for 5 minutes, then nobody, with 20/min of
    # capacity. The burst leaves (30-20)*5 = 50 waiting; they drain at 20/min: 30, 10, 0. So the
    # queue stands at the end of 5 + 2 minutes, and the minute that clears the last 10 serves at
    # half capacity (not saturated): 7 saturated minutes, from minute 10 to 16.
    arrivals = [5] * 10 + [30] * 5 + [0] * 10
    run = flow.fluid_queue(arrivals, 20)
    assert run.queue[10:18] == [10, 20, 30, 40, 50, 30, 10, 0]
    assert run.saturated_minutes == 7
    assert [(e.start, e.end, e.minutes) for e in run.episodes] == [(10, 16, 7)]
    episode = run.episodes[0]
    assert episode.max_queue == 50 and episode.max_wait_s == pytest.approx(60 * 50 / 20)  # 150 s
    assert run.max_wait_s == pytest.approx(150)
    # Nobody is lost: everyone who arrived was served by the end.
    assert sum(run.served) == sum(arrivals)


def test_two_bursts_are_two_episodes():
    arrivals = [0] * 3 + [25] * 2 + [0] * 5 + [40] + [0] * 5
    run = flow.fluid_queue(arrivals, 20)
    # First: 5, 10 waiting, then 0 (the 10 are served in a minute at half capacity): 2 minutes.
    # Second: 20 waiting, then 0 (served at full capacity, so that minute is saturated too).
    assert [(e.start, e.minutes) for e in run.episodes] == [(3, 2), (10, 2)]
    assert run.saturated_minutes == 4


def test_varying_capacity_follows_the_lanes_open():
    # One lane (10/min) for 3 minutes, then two: 15/min of arrivals queue only while one is open.
    run = flow.fluid_queue([15] * 6, [10, 10, 10, 20, 20, 20])
    assert run.queue == [5, 10, 15, 10, 5, 0]
    assert run.wait_s[:3] == [30, 60, 90] and run.wait_s[3] == 30


def test_lanes_for_target_wait_matches_a_hand_computation():
    # 120 people a minute for 10 minutes, 10 people a minute per lane, target 5 minutes.
    # With n lanes the queue at the end of the burst is (120 - 10n) * 10 and its last person
    # waits that / (10n) minutes: <= 5 needs 1200 - 100n <= 50n, n >= 8.
    # n = 8: 400 waiting, 400 / 80 = 5.0 min (ok); n = 7: 500 / 70 = 7.1 min (too long).
    arrivals = [0] * 5 + [120] * 10 + [0] * 30
    assert flow.max_wait_s(arrivals, 8 * 10) == pytest.approx(300)
    assert flow.max_wait_s(arrivals, 7 * 10) == pytest.approx(60 * 500 / 70)
    assert flow.lanes_for_target_wait(arrivals, 10, 300) == 8
    # No waiting at all needs the peak rate: ceil(120 / 10) = 12 lanes.
    assert flow.lanes_for_target_wait(arrivals, 10, 0) == 12
    # A generous target: 1 lane serves 10/min, so 1,200 people take 120 minutes; the last of
    # them arrived at minute 15 and waited (1200 - 100) / 10 = 110 minutes.
    assert flow.max_wait_s(arrivals, 10) == pytest.approx(110 * 60)
    assert flow.lanes_for_target_wait(arrivals, 10, 110 * 60) == 1
    assert flow.lanes_for_target_wait(arrivals, 10, 110 * 60 - 1) == 2


def test_lanes_for_target_wait_edges():
    assert flow.lanes_for_target_wait([0, 0, 0], 10, 300) == 0  # nobody came
    assert flow.lanes_for_target_wait([5, 5], None, 300) is None  # no service rate measured
    assert flow.lanes_for_target_wait([10 ** 9], 1, 0, max_lanes=10) is None  # beyond the bound


def test_lanes_for_target_wait_is_the_fewest_on_random_curves():
    rng = random.Random(17)
    for _ in range(50):
        arrivals = [rng.choice([0, 0, 3, 8, 20, 45, 90]) for _ in range(rng.randint(5, 60))]
        rate, target = rng.choice([4, 6.5, 10]), rng.choice([0, 60, 300, 900])
        n = flow.lanes_for_target_wait(arrivals, rate, target)
        if not any(arrivals):
            assert n == 0
            continue
        assert flow.max_wait_s(arrivals, n * rate) <= target + 1e-6
        assert n == 1 or flow.max_wait_s(arrivals, (n - 1) * rate) > target


def test_service_rate_from_back_to_back_gaps():
    # A phone serving someone every 6 s while a queue stands, with idle stretches in between.
    gaps = [6.0] * 30 + [5.0] * 5 + [7.0] * 5 + [45.0, 120.0, 300.0] + [0.0, 0.0]
    rate = flow.service_rate(gaps_s=gaps, lane_minute_counts=[1, 2, 9])
    assert rate.method == "back_to_back_gaps" and rate.samples == 40
    assert rate.service_time_s == 6.0 and rate.per_min == pytest.approx(10.0)


def test_service_rate_falls_back_to_the_busiest_minutes():
    rate = flow.service_rate(gaps_s=[6.0] * 5, lane_minute_counts=[1, 0, 7, 2, 9, 8, 3])
    assert rate.method == "busiest_minutes" and rate.per_min == pytest.approx(8.0)  # (9 + 8 + 7) / 3
    assert flow.service_rate(gaps_s=[], lane_minute_counts=[0, 0]) is None


def test_lanes_open_counts_a_phone_around_its_scans():
    active = [{"a"}, set(), set(), set(), set(), set(), {"a", "b"}, set()]
    assert flow.lanes_open(active, slack=2) == [1, 1, 1, 0, 2, 2, 2, 2]
    assert flow.lanes_open(active, slack=0) == [1, 0, 0, 0, 0, 0, 2, 0]


def test_no_capacity_with_arrivals_is_an_infinite_wait():
    run = flow.fluid_queue([3, 0], [0, 10])
    assert run.saturated == [True, False] and math.isinf(run.wait_s[0]) and run.queue == [3, 0]


def test_peak_is_the_first_maximum():
    assert flow.peak([0, 3, 7, 7, 2]) == (2, 7)
    assert flow.peak([]) == (None, 0) and flow.peak([0, 0]) == (None, 0)


def test_the_median_of_a_histogram_is_the_median_of_its_gaps():
    from collections import Counter
    from statistics import median

    rng = random.Random(3)
    for _ in range(200):
        gaps = [round(rng.uniform(0, 25), 1) for _ in range(rng.randint(20, 80))]
        busy = [g for g in gaps if 0 < g <= flow.BUSY_GAP_S]
        expected = (median(busy), len(busy)) if len(busy) >= flow.MIN_BUSY_GAPS else None
        assert flow.service_time_from_gaps(Counter(gaps)) == expected
        assert flow.service_time_from_gaps(gaps) == expected
