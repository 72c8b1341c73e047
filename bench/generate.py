"""Ticket generation: 100,000 seats in one all-or-nothing transaction.

    .venv/bin/python bench/generate.py [--seats 100000] [--runs 3] [--phases]

`--phases` splits each run in the generation's statement (`insert_generated`: tickets, ledger,
outbox triggers) and the deferred foreign-key checks (`SET CONSTRAINTS ALL IMMEDIATE`), wall and
backend CPU each, then rolls back (no commit, nothing kept); it calls only `insert_generated`, so
a copy of this file measures an older tree's statement the same way.

`measure(seats=..., runs=...)` returns {"generate_100k_s": median seconds, "generate_runs_s": [...],
"seats": ...} for bench/run_all.py; it uses the Django set-up of its caller if there is one.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import timedelta

from common import machine, setup_django


def _backend_cpu(pid: int) -> float | None:
    """CPU seconds used so far by a PostgreSQL backend on this machine (None if not readable)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def measure(*, seats: int = 100_000, runs: int = 3) -> dict:
    """Median wall time of `generate_tickets` for a fresh event of `seats` seats in 4 zones
    (committed, so deferred foreign-key checks and the commit are included), and the CPU it
    took (this process + its PostgreSQL backend, when the server is local): on a machine shared
    with other work the CPU figure moves far less than the wall time. Sets up Django on a fresh
    benchmark database when the caller has not (`make bench` calls it in a child process)."""
    from django.conf import settings

    if not settings.configured:
        setup_django()
    from django.db import connection
    from django.utils import timezone

    from events.services import ZoneSpec, create_event, setup_zones
    from tickets.models import LedgerEntry, Ticket
    from tickets.services import generate_tickets

    per_zone = seats // 4
    times, cpus = [], []
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        backend = cur.fetchone()[0]
    for run in range(runs):
        now = timezone.now()
        event = create_event(name=f"Bench {run}", date_start=now + timedelta(days=1), date_end=now + timedelta(days=1, hours=5))
        setup_zones(event_id=event.event_id, status=True, zones=[
            ZoneSpec(zone_id=z, name=f"Zone {z}", color="#336699", seats=per_zone) for z in "ABCD"])
        server, client = _backend_cpu(backend), os.times()
        started = time.perf_counter()
        result = generate_tickets(event_id=event.event_id)
        times.append(time.perf_counter() - started)
        after_server, after_client = _backend_cpu(backend), os.times()
        if server is not None and after_server is not None:
            cpus.append(after_server - server + (after_client.user + after_client.system) - (client.user + client.system))
        assert result.generated == per_zone * 4
        assert Ticket.objects.filter(event=event).count() == result.generated
        assert LedgerEntry.objects.filter(ticket__event=event, action="generated").count() == result.generated
    key = "generate_100k_s" if per_zone * 4 == 100_000 else f"generate_{per_zone * 4}_s"
    return {key: round(statistics.median(times), 3), "generate_runs_s": [round(t, 3) for t in times],
            "generate_cpu_s": round(statistics.median(cpus), 3) if cpus else None, "seats": per_zone * 4}


def measure_phases(*, seats: int = 100_000, runs: int = 3) -> dict:
    """Median wall and backend CPU seconds of the generation statement and of its deferred
    foreign-key checks, each run rolled back (see the module docstring)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from events.models import Event
    from events.services import ZoneSpec, create_event, setup_zones
    from tickets.generation import insert_generated

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        backend = cur.fetchone()[0]
    rows: list[dict] = []
    for run in range(runs):
        now = timezone.now()
        event = create_event(name=f"Phases {run}", date_start=now + timedelta(days=1),
                             date_end=now + timedelta(days=1, hours=5))
        setup_zones(event_id=event.event_id, status=True, zones=[
            ZoneSpec(zone_id=z, name=f"Zone {z}", color="#336699", seats=seats // 4) for z in "ABCD"])
        marks = []
        with transaction.atomic():
            locked = Event.objects.select_for_update().get(pk=event.event_id)
            zones = list(locked.zones.all())
            marks.append((time.perf_counter(), _backend_cpu(backend) or 0.0))
            insert_generated(event=locked, zones=zones, now=now)
            marks.append((time.perf_counter(), _backend_cpu(backend) or 0.0))
            with connection.cursor() as cur:
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            marks.append((time.perf_counter(), _backend_cpu(backend) or 0.0))
            transaction.set_rollback(True)
        (t0, c0), (t1, c1), (t2, c2) = marks
        rows.append({"statement_s": t1 - t0, "statement_cpu_s": c1 - c0, "fk_checks_s": t2 - t1, "fk_checks_cpu_s": c2 - c1})
    return {key: round(statistics.median(r[key] for r in rows), 3) for key in rows[0]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seats", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--phases", action="store_true", help="statement and foreign-key checks apart, rolled back")
    args = parser.parse_args()
    setup_django()
    load_before = os.getloadavg()
    if args.phases:
        result = measure_phases(seats=args.seats, runs=args.runs)
        print(f"machine: {machine()}; load average before {load_before}, after {os.getloadavg()}")
        print(f"generation phases, {args.seats} seats, medians of {args.runs} rolled-back runs: {result}")
        return
    result = measure(seats=args.seats, runs=args.runs)
    # Wall time on a shared 2-core machine follows its load: say what it was.
    print(f"machine: {machine()}; load average (1, 5, 15 min) before {load_before}, after {os.getloadavg()}")
    print(f"generate {result['seats']} tickets (+ as many ledger entries, + outbox rows): "
          f"median {statistics.median(result['generate_runs_s']):.2f} s, "
          f"runs {', '.join(f'{t:.2f}' for t in result['generate_runs_s'])}; "
          f"CPU (client + PostgreSQL backend) median {result['generate_cpu_s']} s")


if __name__ == "__main__":
    main()
