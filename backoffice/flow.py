"""Entry-flow analysis of a gate, minute by minute: its service rate, a fluid queue, when it
saturated and how many lanes would have kept every queue under a target wait.

Pure Python on per-minute numbers, no database: backoffice/report.py feeds it the scan log, the
unit tests (tests/backoffice/test_flow.py) feed it synthetic curves whose answers are known.
docs/adr/0028 has the reasoning; in short:

- **A lane** is one scanning phone. Its **service rate** is how many people it serves a minute
  when people are waiting: 60 s over the median *back-to-back gap*, the time between two
  consecutive entry scans of different codes on one phone when that gap is at most `BUSY_GAP_S`
  (a longer gap means the phone stood idle for part of it). With fewer than `MIN_BUSY_GAPS` such
  gaps the gate falls back to its lanes' sustained maximum: the mean of the `SUSTAINED_TOP`
  busiest lane-minutes.
- **Capacity** in a minute is the service rate times the lanes open then.
- **The fluid queue**: people left waiting at the end of minute t,
  Q(t) = max(0, Q(t-1) + A(t) - C(t)); with rates constant inside a minute the queue is linear
  there, so its maxima are at minute ends, and someone joining at the end of minute t waits
  Q(t) / C(t) minutes (first come, first served).
- **A saturated minute** is one in which the work offered to the lanes, Q(t-1) + A(t), is at
  least `SATURATION_UTILISATION` of what they can serve: the lanes worked (nearly) without a
  pause, so a queue stood. Below 1 because, on the scan log, arrivals are only seen when they are
  served (a lane never records more than it can serve) and a lane working back-to-back measures
  below its median rate (service times are skewed: a fumbled phone costs 20 s, nobody takes 0).
- **Lanes for a target wait**: the fewest lanes n (each at the lane's service rate, all open the
  whole time) with which the fluid queue of the same arrivals never makes anyone wait longer
  than the target.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from counters.vocabulary import BUSY_GAP_S as COUNTED_BUSY_GAP_S
from counters.vocabulary import LANE_SLACK

# ServiceRate.method when the rate was measured from back-to-back scans (people were waiting).
MEASURED_FROM_GAPS = "back_to_back_gaps"
# Two scans on one phone at most this far apart are back-to-back: the next person was waiting.
# The database counts the gaps with it, scan by scan (counters/vocabulary.py, docs/adr/0033).
BUSY_GAP_S = COUNTED_BUSY_GAP_S
# Fewer back-to-back gaps than this (a quiet gate) and the median is noise: fall back.
MIN_BUSY_GAPS = 20
# The fallback: the mean of a gate's busiest lane-minutes.
SUSTAINED_TOP = 3
# Offered work at or above this share of capacity is a saturated minute (see the docstring).
SATURATION_UTILISATION = 0.85
# A lane is open at minute t if its phone scanned within this many minutes of t (either side):
# a phone idle for a minute between two people is still a lane.
LANE_OPEN_SLACK_MIN = LANE_SLACK  # kept by the counters' fold too (counters/vocabulary.py)
# Never suggest more lanes than this (a bound for the search, far above any real gate).
MAX_LANES = 500

_EPSILON = 1e-9


@dataclass(frozen=True)
class ServiceRate:
    """A lane's service rate in people a minute, and how it was measured."""

    per_min: float
    service_time_s: float
    method: str  # "back_to_back_gaps" or "busiest_minutes"
    samples: int


def _weighted(gaps_s: Iterable[float] | Mapping[float, int]) -> list[tuple[float, int]]:
    if isinstance(gaps_s, Mapping):
        return sorted((float(g), int(n)) for g, n in gaps_s.items() if n > 0)
    return [(float(g), 1) for g in sorted(gaps_s)]


def _weighted_median(pairs: list[tuple[float, int]]) -> float:
    """statistics.median of the multiset (value, count) pairs (sorted by value) stand for."""
    total = sum(n for _, n in pairs)
    lo_rank, hi_rank = (total - 1) // 2, total // 2
    lo = hi = None
    seen = 0
    for value, n in pairs:
        if lo is None and seen + n > lo_rank:
            lo = value
        if seen + n > hi_rank:
            hi = value
            break
        seen += n
    return (lo + hi) / 2


def service_time_from_gaps(gaps_s: Iterable[float] | Mapping[float, int], *, busy_gap_s: float = BUSY_GAP_S,
                           min_gaps: int = MIN_BUSY_GAPS) -> tuple[float, int] | None:
    """(median back-to-back gap in seconds, how many gaps) or None with too few of them. `gaps_s`
    is a list of gaps or a histogram {gap: count} (the report reads one from the database). Gaps of
    zero (two reads in one instant) are duplicates, not people."""
    busy = [(g, n) for g, n in _weighted(gaps_s) if 0 < g <= busy_gap_s]
    count = sum(n for _, n in busy)
    if count < min_gaps:
        return None
    return _weighted_median(busy), count


def sustained_lane_rate(lane_minute_counts: Iterable[int], *, top: int = SUSTAINED_TOP) -> float | None:
    """The mean of the `top` busiest lane-minutes (people served by one phone in one minute)."""
    busiest = sorted((c for c in lane_minute_counts if c > 0), reverse=True)[:top]
    return sum(busiest) / len(busiest) if busiest else None


def service_rate(*, gaps_s: Iterable[float] | Mapping[float, int], lane_minute_counts: Iterable[int]) -> ServiceRate | None:
    """A lane's service rate: from back-to-back gaps when there are enough, else the sustained
    maximum; None when the gate served nobody."""
    return service_rate_from(service_time_from_gaps(gaps_s), lane_minute_counts=lane_minute_counts)


def service_rate_from(measured: tuple[float, int] | None, *, lane_minute_counts: Iterable[int]) -> ServiceRate | None:
    """service_rate given the median back-to-back gap and its samples (`service_time_from_gaps`,
    or the same computed by the database), None when there are too few."""
    if measured is not None:
        seconds, n = measured
        return ServiceRate(per_min=60.0 / seconds, service_time_s=seconds, method=MEASURED_FROM_GAPS, samples=n)
    counts = list(lane_minute_counts)
    rate = sustained_lane_rate(counts)
    if rate is None:
        return None
    return ServiceRate(per_min=rate, service_time_s=60.0 / rate, method="busiest_minutes",
                       samples=min(SUSTAINED_TOP, sum(1 for c in counts if c > 0)))


def lanes_open(active: Sequence[set], *, slack: int = LANE_OPEN_SLACK_MIN) -> list[int]:
    """Lanes open per minute: `active[t]` is the set of lanes (phones) that scanned in minute t;
    a lane counts as open from `slack` minutes before to `slack` minutes after any of its scans."""
    n = len(active)
    out = []
    for t in range(n):
        lanes: set = set()
        for u in range(max(0, t - slack), min(n, t + slack + 1)):
            lanes |= active[u]
        out.append(len(lanes))
    return out


@dataclass(frozen=True)
class Episode:
    """A run of consecutive saturated minutes (indices into the series, `end` included)."""

    start: int
    end: int
    max_queue: float
    max_wait_s: float

    @property
    def minutes(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class QueueRun:
    queue: list[float]  # people waiting at the end of each minute
    served: list[float]  # people served in each minute
    wait_s: list[float]  # the wait of someone joining at the end of each minute
    saturated: list[bool]
    episodes: list[Episode]

    @property
    def saturated_minutes(self) -> int:
        return sum(self.saturated)

    @property
    def max_wait_s(self) -> float:
        return max(self.wait_s, default=0.0)

    @property
    def max_queue(self) -> float:
        return max(self.queue, default=0.0)


def _capacities(capacity: float | Sequence[float], n: int) -> list[float]:
    if isinstance(capacity, (int, float)):
        return [float(capacity)] * n
    if len(capacity) != n:
        raise ValueError("capacity and arrivals differ in length")
    return list(map(float, capacity))


def fluid_queue(arrivals: Sequence[float], capacity: float | Sequence[float], *,
                saturation: float = SATURATION_UTILISATION) -> QueueRun:
    """Run the fluid queue over per-minute `arrivals` with per-minute (or constant) `capacity`,
    both in people a minute."""
    caps = _capacities(capacity, len(arrivals))
    queue, served, wait, saturated = [], [], [], []
    # The loop runs per gate and minute of every report: plain comparisons, not min()/max() calls.
    add_queue, add_served, add_wait, add_saturated = queue.append, served.append, wait.append, saturated.append
    q = 0.0
    for a, c in zip(arrivals, caps):
        offered = q + a
        done = c if c < offered else offered  # min(offered, c)
        q = offered - done
        if q < _EPSILON:
            q = 0.0
        add_queue(q)
        add_served(done)
        add_wait(60.0 * q / c if c > 0 else (math.inf if q > 0 else 0.0))
        add_saturated(offered > 0 and offered + _EPSILON >= saturation * c)
    episodes = []
    t = 0
    while t < len(saturated):
        if not saturated[t]:
            t += 1
            continue
        start = t
        while t + 1 < len(saturated) and saturated[t + 1]:
            t += 1
        episodes.append(Episode(start=start, end=t, max_queue=max(queue[start:t + 1]),
                                max_wait_s=max(wait[start:t + 1])))
        t += 1
    return QueueRun(queue=queue, served=served, wait_s=wait, saturated=saturated, episodes=episodes)


def max_wait_s(arrivals: Sequence[float], capacity: float) -> float:
    """The longest wait in the fluid queue with a constant capacity (people a minute)."""
    if capacity <= 0:
        return math.inf if any(a > 0 for a in arrivals) else 0.0
    q = worst = 0.0
    for a in arrivals:  # max() calls cost more than the loop's arithmetic (a binary search runs it)
        q = q + a - capacity
        if q < 0.0:
            q = 0.0
        if q > worst:
            worst = q
    return 60.0 * worst / capacity


def lanes_for_target_wait(arrivals: Sequence[float], lane_rate_per_min: float | None, target_wait_s: float, *,
                          max_lanes: int = MAX_LANES) -> int | None:
    """The fewest lanes, each serving `lane_rate_per_min`, with which nobody in the fluid queue
    waits longer than `target_wait_s`. 0 with no arrivals; None without a service rate, or if even
    `max_lanes` would not do."""
    if not any(a > 0 for a in arrivals):
        return 0
    if not lane_rate_per_min or lane_rate_per_min <= 0:
        return None
    # The wait only shrinks as lanes are added, so a binary search over n finds the fewest. With
    # enough lanes to serve every minute's arrivals within the minute nobody waits: the answer is
    # at most that many, which keeps the search short.
    lo, hi = 1, max_lanes
    enough = math.ceil(max(arrivals) / lane_rate_per_min)
    if enough < max_lanes:
        hi = max(1, enough)
    elif max_wait_s(arrivals, hi * lane_rate_per_min) > target_wait_s + _EPSILON:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if max_wait_s(arrivals, mid * lane_rate_per_min) <= target_wait_s + _EPSILON:
            hi = mid
        else:
            lo = mid + 1
    return lo


def peak(values: Sequence[float]) -> tuple[int | None, float]:
    """(index of the first maximum, the maximum); (None, 0) for an empty or all-zero series."""
    best = max(values, default=0)
    if not best > 0:
        return None, 0
    return values.index(best), best  # the first of equal maxima
