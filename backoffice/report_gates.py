"""One gate of the post-event report: its entries, service rate, lanes, fluid queue and saturation
(backoffice/flow.py's analysis over the per-minute series backoffice/report.py gives it)."""
from __future__ import annotations

import math

from backoffice import flow


def gate(cp: str, name: str, *, arrivals, entries, exits, lanes, busiest, measured, labels, target_wait_s):
    """`measured`: (median back-to-back gap in seconds, samples) or None with too few;
    `busiest`: the gate's busiest lane-minutes (the rate without enough gaps)."""
    at, peak_entries = flow.peak(entries)
    rate = flow.service_rate_from(measured, lane_minute_counts=busiest)
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
        per_min = rate.per_min
        capacity = [per_min * lanes_then for lanes_then in lanes]
        # A quiet gate (too few back-to-back scans to see anyone waiting): its rate is its own
        # busiest minutes, so those minutes would read as "saturated" by construction. No queue
        # is claimed without evidence that people waited.
        quiet = rate.method != flow.MEASURED_FROM_GAPS
        run = flow.fluid_queue(arrivals, capacity, saturation=math.inf if quiet else flow.SATURATION_UTILISATION)
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
