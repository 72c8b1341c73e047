"""Virtual office: checkout holds under contention, and the read paths at 100,000 seats.

    .venv/bin/python bench/holds.py [--seats 100000] [--threads 8] [--seconds 10]

Runs the services in-process on real threads, each with its own PostgreSQL connection, against a
dedicated database (BENCH_DATABASE_NAME, default ticketcore_bench_holds). Prints:
- holds/s when buyers compete for a hot block of seats (take a hold of 1-4 random seats, release
  it) and for a single seat, with the conflict rate and take_hold latency;
- checkouts/s (take a hold, check it out) without contention;
- the sales-status aggregate, the seat-listing page and the tickets_unlock sweep at full size.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import threading
import time
from datetime import timedelta

os.environ.setdefault("CHANNEL_PREFIX", "benchholds")
from common import machine, setup_django  # noqa: E402

DB_NAME = os.environ.get("BENCH_DATABASE_NAME", "ticketcore_bench_holds")


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def run_threads(threads: int, fn) -> list:
    from django.db import connection

    barrier = threading.Barrier(threads)
    results: list = [None] * threads

    def worker(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return results


def contention(event_id: str, pool: list[str], *, threads: int, seconds: float, max_size: int) -> dict:
    from core.errors import SeatsUnavailable
    from tickets import holds

    def worker(i):
        rng = random.Random(i)
        ok = conflicts = 0
        latencies = []
        stop_at = time.perf_counter() + seconds
        while time.perf_counter() < stop_at:
            wanted = rng.sample(pool, rng.randint(1, min(max_size, len(pool))))
            started = time.perf_counter()
            try:
                hold = holds.take_hold(event_id=event_id, ticket_ids=wanted, actor="bench")
            except SeatsUnavailable:
                conflicts += 1
                latencies.append(time.perf_counter() - started)
                continue
            latencies.append(time.perf_counter() - started)
            ok += 1
            holds.release(hold_id=hold.hold_id, actor="bench")
        return ok, conflicts, latencies

    started = time.perf_counter()
    results = run_threads(threads, worker)
    elapsed = time.perf_counter() - started
    ok = sum(r[0] for r in results)
    conflicts = sum(r[1] for r in results)
    latencies = [x for r in results for x in r[2]]
    return {"holds_per_s": ok / elapsed, "attempts_per_s": (ok + conflicts) / elapsed,
            "conflict_rate": conflicts / max(1, ok + conflicts), "p50_ms": pct(latencies, 0.5) * 1000,
            "p95_ms": pct(latencies, 0.95) * 1000, "holds": ok, "elapsed": elapsed}


def checkouts(event_id: str, pool: list[str], *, threads: int) -> dict:
    from tickets import holds

    chunks = [pool[i::threads] for i in range(threads)]

    def worker(i):
        sold = 0
        mine = chunks[i]
        for j in range(0, len(mine) - 1, 2):
            hold = holds.take_hold(event_id=event_id, ticket_ids=mine[j:j + 2], actor="bench")
            holds.checkout(hold_id=hold.hold_id, buyer={"name": f"Buyer {i}-{j}"}, actor="bench")
            sold += 1
        return sold

    started = time.perf_counter()
    done = sum(run_threads(threads, worker))
    return {"checkouts_per_s": done / (time.perf_counter() - started), "checkouts": done}


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seats", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    setup_django(DB_NAME)
    from django.db import connection
    from django.utils import timezone

    from events.services import ZoneSpec, create_event, setup_zones
    from tickets import holds, selectors
    from tickets.models import Ticket
    from tickets.services import generate_tickets, sell_tickets

    per_zone = args.seats // 4
    now = timezone.now()
    event = create_event(name="Holds bench", date_start=now + timedelta(days=1), date_end=now + timedelta(days=1, hours=5))
    setup_zones(event_id=event.event_id, status=True, zones=[
        ZoneSpec(zone_id=z, name=f"Zone {z}", color="#336699", seats=per_zone) for z in "ABCD"])
    generate_tickets(event_id=event.event_id)
    ids = list(Ticket.objects.filter(event=event).order_by("id").values_list("ticket_id", flat=True))
    rng = random.Random(1)
    print(f"machine: {machine()}; {len(ids)} seats, {args.threads} threads, {args.seconds:.0f} s per contention run")

    hot = ids[:1000]
    r = contention(event.event_id, hot, threads=args.threads, seconds=args.seconds, max_size=4)
    print(f"holds, {args.threads} buyers on 1,000 hot seats (1-4 seats each, take + release): "
          f"{r['holds_per_s']:.0f} holds/s ({r['attempts_per_s']:.0f} attempts/s, {r['conflict_rate']:.1%} conflicts), "
          f"take_hold p50 {r['p50_ms']:.1f} ms p95 {r['p95_ms']:.1f} ms")
    r = contention(event.event_id, ids[1000:1004], threads=args.threads, seconds=args.seconds, max_size=1)
    print(f"holds, {args.threads} buyers on 4 hot seats (1 seat each, take + release): "
          f"{r['holds_per_s']:.0f} holds/s ({r['attempts_per_s']:.0f} attempts/s, {r['conflict_rate']:.1%} conflicts), "
          f"take_hold p50 {r['p50_ms']:.1f} ms p95 {r['p95_ms']:.1f} ms")
    r = checkouts(event.event_id, ids[2000:6000], threads=args.threads)
    print(f"checkout, {args.threads} threads, 2 seats per hold (take + checkout, no contention): "
          f"{r['checkouts_per_s']:.0f} checkouts/s ({r['checkouts']} holds)")

    # A mid-sale state: 30% sold (incl. the checkouts above), 2% in live holds, 3% in expired,
    # not yet swept holds (they count as available).
    rest = ids[6000:]
    rng.shuffle(rest)
    n_sell, n_live, n_expired = int(0.30 * len(ids)) - 4000, int(0.02 * len(ids)), int(0.03 * len(ids))
    to_sell = rest[:n_sell]
    live = rest[n_sell:n_sell + n_live]
    expired = rest[n_sell + n_live:n_sell + n_live + n_expired]
    for i in range(0, len(to_sell), 5000):
        sell_tickets(event_id=event.event_id, ticket_ids=to_sell[i:i + 5000], channel="bench")
    for i in range(0, len(live), 4):
        holds.take_hold(event_id=event.event_id, ticket_ids=live[i:i + 4])
    expired_holds = [holds.take_hold(event_id=event.event_id, ticket_ids=expired[i:i + 4]).hold_id
                     for i in range(0, len(expired), 4)]
    with connection.cursor() as cur:
        cur.execute("UPDATE tickets_blocked SET created_at = created_at - interval '1 hour', "
                    "locked_up = clock_timestamp() - interval '1 second' WHERE hold_id = ANY(%s)", [expired_holds])
        cur.execute("VACUUM ANALYZE tickets_ticket")
        cur.execute("VACUUM ANALYZE tickets_blocked")

    status = selectors.sales_status(event.event_id)
    t = status["totals"]
    assert t["available"] + t["held"] + t["sold"] + t["offline"] == t["seats"] == len(ids), t
    times = timed(lambda: selectors.sales_status(event.event_id), 30)
    print(f"sales status (one aggregate query, {t['seats']} seats: {t['sold']} sold, {t['held']} held, "
          f"{t['available']} available incl. {len(expired)} in expired holds): median {statistics.median(times):.1f} ms, "
          f"p95 {pct(times, 0.95):.1f} ms")

    def page(**filters):
        qs = selectors.seats_for_event(event.event_id, **filters).order_by("id")
        return list(qs[:101])

    def deep_page():
        qs = selectors.seats_for_event(event.event_id, available=True).filter(id__gt=Ticket.objects.filter(
            ticket_id=ids[-5000]).values("id")[:1]).order_by("id")
        return list(qs[:101])

    for label, fn in (("first page, all seats", lambda: page()),
                      ("first page, available=true", lambda: page(available=True)),
                      ("page near the end, available=true", deep_page),
                      ("first page, zone=D, available=true", lambda: page(zone="D", available=True))):
        times = timed(fn, 30)
        print(f"seat listing ({label}, 100 per page): median {statistics.median(times):.2f} ms, "
              f"p95 {pct(times, 0.95):.2f} ms")

    started = time.perf_counter()
    swept = holds.sweep_expired_holds()
    elapsed = time.perf_counter() - started
    print(f"tickets_unlock sweep: {swept.released} expired hold rows ({swept.holds} holds) released in "
          f"{elapsed * 1000:.0f} ms")
    from core.live import flush

    flush(timeout=5)


if __name__ == "__main__":
    main()
