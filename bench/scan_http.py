"""Scan throughput through the full HTTP stack (granian WSGI -> Django/DRF -> PostgreSQL).

    .venv/bin/python bench/scan_http.py [--seconds 20] [--connections 32] [--workers 2] [--threads 4]

Creates a fresh database, an event with 80,000 sold tickets and 32 paired devices, starts granian
and drives it with wrk (Debian package `wrk`; installed with apt-get when missing) from this same
machine. After a short warm-up on tickets of their own (new database connections compile the
PL/pgSQL functions on first use), two measured runs: distinct tickets (the door rush) and a
single hot ticket (a copied code scanned everywhere at once). Accepted scans are counted from the
database; CPU per request is read from /proc around the distinct run."""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

from common import cpu_seconds_by_command, cpu_split, machine, mark_all_sold, setup_django, start_granian, stop_server

HERE = Path(__file__).resolve().parent


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)  # a fresh machine's empty lists
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=True)
    return shutil.which("wrk")


def prepare(seats: int, devices: int, *, with_codes: bool = True):
    from django.utils import timezone

    from events.services import create_checkpoint
    from devices.services import create_device, pair_device
    from events.codes import active_key, ticket_code
    from events.services import ZoneSpec, create_event, setup_zones
    from tickets.models import Ticket
    from tickets.services import generate_tickets

    now = timezone.now()
    event = create_event(name="Bench night", date_start=now + timedelta(hours=1), date_end=now + timedelta(hours=6))
    setup_zones(event_id=event.event_id, status=True,
                zones=[ZoneSpec(zone_id="A", name="Floor", color="#C0392B", seats=seats, reentry=True)])
    generate_tickets(event_id=event.event_id)
    mark_all_sold(event)  # all sold (bench set-up, not a service path)
    cp = create_checkpoint(event_id=event.event_id, name="Main gate")
    tokens = [pair_device(pairing_code=create_device(event_id=event.event_id, name=f"phone {i}",
                                                     checkpoint_id=cp.checkpoint_id).pairing_code).token
              for i in range(devices)]
    if not with_codes:  # signing every ticket's code takes seconds that scan_pgbench does not need
        return event, [], tokens
    key = active_key(event.event_id)
    codes = [ticket_code(t, key) for t in Ticket.objects.filter(event=event).only("ticket_id", "event_id")]
    return event, codes, tokens


def run_wrk(wrk: str, url: str, codes: list[str], tokens: list[str], *, seconds: int, connections: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        codes_file, tokens_file = Path(tmp) / "codes", Path(tmp) / "tokens"
        codes_file.write_text("\n".join(codes) + "\n")
        tokens_file.write_text("\n".join(tokens) + "\n")
        threads = 2
        out = subprocess.run(
            [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s",
             str(HERE / "scan.lua"), url, "--", str(codes_file), str(tokens_file), str(threads)],
            capture_output=True, text=True, check=True).stdout
    def grab(pattern):
        m = re.search(pattern, out)
        return m.group(1) if m else "?"
    return {"raw": out, "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "rps": grab(r"Requests/sec:\s+([\d.]+)"), "p50": grab(r"(?m)^\s+50%\s+(\S+)"),
            "p99": grab(r"(?m)^\s+99%\s+(\S+)"), "errors": grab(r"(Non-2xx or 3xx responses: \d+)") if "Non-2xx" in out else "0"}


def _ms(value: str) -> float | None:
    """wrk's '43.81ms' / '1.02s' / '850.00us' in milliseconds."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value or "")
    if not m:
        return None
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[m.group(2)]


class Dashboard:
    """What an open dashboard does to the database during the run: `counters_fold(event)` every
    `every` seconds on a connection of its own (none if the tree has no such function)."""

    def __init__(self, event_id: str, every: float):
        import threading

        import psycopg

        from common import BENCH_DB, PG

        self.conn = psycopg.connect(f"{PG}/{BENCH_DB}", autocommit=True)
        self.event_id, self.every, self.folds = event_id, every, 0
        self.done = threading.Event()
        exists = self.conn.execute("SELECT to_regprocedure('counters_fold(text)') IS NOT NULL").fetchone()[0]
        self.thread = threading.Thread(target=self._run, daemon=True) if exists else None
        if self.thread:
            self.thread.start()

    def _run(self) -> None:
        while not self.done.wait(self.every):
            self.conn.execute("SELECT counters_fold(%s)", [self.event_id])
            self.folds += 1

    def stop(self) -> int | None:
        if not self.done.is_set():
            self.done.set()
            if self.thread:
                self.thread.join()
            self.conn.close()
        return self.folds if self.thread else None


def measure(*, seconds: float = 20, connections: int = 32, workers: int = 2, threads: int = 4,
            seats: int = 80_000, warmup: float = 3, hot: bool = True, quick: bool = False,
            fold_every: float = 1.0) -> dict:
    """One scan_http run's figures for bench/run_all.py (`make bench`): accepted scans/s from the
    database, wrk's p50/p99, and CPU per scan: the server's own (this run's granian processes plus
    the PostgreSQL backends of the benchmark database) and the whole machine's, which on a shared
    box includes the neighbours. Quick: 5 s measured, 1 s warm-up, 12,000 seats.

    The live counters are counted by a fold (docs/adr/0033), which a night's open dashboard runs
    about once a second: a `Dashboard` thread does that during the run (`fold_every` seconds; 0 for
    none), on a backend of the benchmark database, so its CPU is in the database's share. A tree
    without `counters_fold` (before issue 19) has nothing to fold and runs none."""
    if quick:
        seconds, warmup, seats = min(seconds, 5), min(warmup, 1), min(seats, 12_000)
    seconds, warmup = max(1, round(seconds)), round(warmup)
    wrk = ensure_wrk()
    setup_django()
    from django.db.models import Count, Q

    from access.models import Scan
    from common import BENCH_DB, backend_pids, cpu_seconds_of, session_pids

    event, codes, tokens = prepare(seats, 32)
    warm = min(10_000, len(codes) // 8)
    warm_codes, run_codes, hot_code = codes[:warm], codes[warm:-1], codes[-1]
    proc, url = start_granian(workers=workers, threads=threads)
    dashboard = Dashboard(event.event_id, fold_every) if fold_every else None

    def counts() -> tuple[int, int]:
        c = Scan.objects.filter(event=event).aggregate(accepted=Count("id", filter=Q(result="accepted")),
                                                         total=Count("id"))
        return c["accepted"], c["total"]

    try:
        if warmup:
            run_wrk(wrk, url, warm_codes, tokens, seconds=warmup, connections=connections)
        before = counts()
        granian, backends = session_pids(proc.pid), backend_pids(BENCH_DB)
        server_before = cpu_seconds_of(granian + backends)
        cpu_before = cpu_seconds_by_command()
        distinct = run_wrk(wrk, url, run_codes, tokens, seconds=seconds, connections=connections)
        cpu_after = cpu_seconds_by_command()
        granian = set(granian) | set(session_pids(proc.pid))
        backends = set(backends) | set(backend_pids(BENCH_DB))
        server_after = cpu_seconds_of(granian | backends)
        after = counts()
        folds = dashboard.stop() if dashboard else None
        hot_run = hot_accepted = None
        if hot:
            hot_run = run_wrk(wrk, url, [hot_code] * 10, tokens, seconds=max(2, seconds // 2), connections=connections)
            hot_accepted = Scan.objects.filter(event=event, result="accepted",
                                               ticket__ticket_id=hot_code.split(".")[1]).count()
    finally:
        if dashboard:
            dashboard.stop()
        stop_server(proc)
    accepted, total = after[0] - before[0], after[1] - before[1]
    requests = max(1, distinct["requests"])
    used = {pid: server_after[pid] - server_before.get(pid, 0.0) for pid in server_after}
    server_s = sum(used.values())
    granian_s = sum(v for pid, v in used.items() if pid in granian)
    machine_s = sum(cpu_after.get(k, 0.0) - cpu_before.get(k, 0.0) for k in cpu_after)
    figures = {
        "http_accepted_per_s": round(accepted / seconds, 1), "http_requests_per_s": float(distinct["rps"]),
        "accepted": accepted, "scans": total, "p50_ms": _ms(distinct["p50"]), "p99_ms": _ms(distinct["p99"]),
        "errors": int(re.sub(r"\D", "", distinct["errors"]) or 0),
        "cpu_per_scan_ms": round(1000 * server_s / requests, 3),
        "granian_cpu_per_scan_ms": round(1000 * granian_s / requests, 3),
        "db_cpu_per_scan_ms": round(1000 * (server_s - granian_s) / requests, 3),
        # The whole machine's CPU can never be less than our own processes'; when it reads less,
        # processes of neighbours exited during the run and took their CPU time out of /proc.
        "machine_cpu_per_scan_ms": round(1000 * machine_s / requests, 3) if machine_s >= server_s else None,
        "cpu_split": cpu_split(cpu_before, cpu_after, requests),
        "connections": connections, "workers": workers, "threads": threads, "seconds": seconds, "warmup": warmup,
        "dashboard_folds": folds,
        "wrk": distinct["raw"],
    }
    if hot_run is not None:
        figures.update(hot_requests_per_s=float(hot_run["rps"]), hot_p99_ms=_ms(hot_run["p99"]),
                       hot_accepted=hot_accepted, hot_errors=int(re.sub(r"\D", "", hot_run["errors"]) or 0))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seats", type=int, default=80_000)
    parser.add_argument("--warmup", type=int, default=3,
                        help="seconds of load before measuring (each new database connection compiles the "
                             "PL/pgSQL functions on its first scan, ~0.4 s)")
    parser.add_argument("--fold-every", type=float, default=1.0,
                        help="seconds between the dashboard's counters_fold calls during the run (0: none)")
    args = parser.parse_args()
    f = measure(seconds=args.seconds, connections=args.connections, workers=args.workers, threads=args.threads,
                seats=args.seats, warmup=args.warmup, fold_every=args.fold_every)
    print(f"machine: {machine()}; granian {args.workers} workers x {args.threads} threads; "
          f"wrk 2 threads, {args.connections} connections, {args.warmup}s warm-up, {args.seconds}s measured")
    print(f"distinct tickets: {f['http_requests_per_s']:.2f} req/s, accepted {f['accepted']}/{f['scans']} scans "
          f"({f['http_accepted_per_s']:.0f} accepted/s), p50 {f['p50_ms']:.2f}ms, p99 {f['p99_ms']:.2f}ms, "
          f"errors {f['errors']}; dashboard folds during the run: {f['dashboard_folds']}")
    print(f"distinct tickets: server CPU per scan {f['cpu_per_scan_ms']:.2f} ms (granian "
          f"{f['granian_cpu_per_scan_ms']:.2f} + the benchmark database's backends {f['db_cpu_per_scan_ms']:.2f}); "
          f"machine: {f['cpu_split']}")
    print(f"hot ticket: {f['hot_requests_per_s']:.2f} req/s, p99 {f['hot_p99_ms']:.2f}ms, accepted entries of "
          f"that ticket: {f['hot_accepted']} (must be 1), errors {f['hot_errors']}")
    print(f["wrk"])


if __name__ == "__main__":
    main()
