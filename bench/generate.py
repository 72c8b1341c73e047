"""Ticket generation: 100,000 seats in one all-or-nothing transaction.

    .venv/bin/python bench/generate.py [--seats 100000] [--runs 3]

`measure(seats=..., runs=...)` returns {"generate_100k_s": median seconds, "generate_runs_s": [...],
"seats": ...} for bench/run_all.py; it uses the Django set-up of its caller if there is one.
"""
from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta

from common import machine, setup_django


def measure(*, seats: int = 100_000, runs: int = 3) -> dict:
    """Median wall time of `generate_tickets` for a fresh event of `seats` seats in 4 zones
    (committed, so deferred foreign-key checks and the commit are included)."""
    from django.utils import timezone

    from events.services import ZoneSpec, create_event, setup_zones
    from tickets.models import LedgerEntry, Ticket
    from tickets.services import generate_tickets

    per_zone = seats // 4
    times = []
    for run in range(runs):
        now = timezone.now()
        event = create_event(name=f"Bench {run}", date_start=now + timedelta(days=1), date_end=now + timedelta(days=1, hours=5))
        setup_zones(event_id=event.event_id, status=True, zones=[
            ZoneSpec(zone_id=z, name=f"Zone {z}", color="#336699", seats=per_zone) for z in "ABCD"])
        started = time.perf_counter()
        result = generate_tickets(event_id=event.event_id)
        times.append(time.perf_counter() - started)
        assert result.generated == per_zone * 4
        assert Ticket.objects.filter(event=event).count() == result.generated
        assert LedgerEntry.objects.filter(ticket__event=event, action="generated").count() == result.generated
    key = "generate_100k_s" if per_zone * 4 == 100_000 else f"generate_{per_zone * 4}_s"
    return {key: round(statistics.median(times), 3), "generate_runs_s": [round(t, 3) for t in times],
            "seats": per_zone * 4}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seats", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    result = measure(seats=args.seats, runs=args.runs)
    print(f"machine: {machine()}")
    print(f"generate {result['seats']} tickets (+ as many ledger entries, + outbox rows): "
          f"median {statistics.median(result['generate_runs_s']):.2f} s, "
          f"runs {', '.join(f'{t:.2f}' for t in result['generate_runs_s'])}")


if __name__ == "__main__":
    main()
