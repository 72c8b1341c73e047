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
import re
import shutil
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

from common import cpu_seconds_by_command, cpu_split, machine, setup_django, start_granian, stop_server

HERE = Path(__file__).resolve().parent


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk")


def prepare(seats: int, devices: int):
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
    Ticket.objects.filter(event=event).update(status=False)  # all sold (bench set-up, not a service path)
    cp = create_checkpoint(event_id=event.event_id, name="Main gate")
    tokens = [pair_device(pairing_code=create_device(event_id=event.event_id, name=f"phone {i}",
                                                     checkpoint_id=cp.checkpoint_id).pairing_code).token
              for i in range(devices)]
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
    args = parser.parse_args()
    wrk = ensure_wrk()
    setup_django()
    from django.db.models import Count, Q

    from access.models import Scan

    event, codes, tokens = prepare(args.seats, 32)
    warm_codes, run_codes, hot_code = codes[:10_000], codes[10_000:-1], codes[-1]
    proc, url = start_granian(workers=args.workers, threads=args.threads)
    def counts() -> tuple[int, int]:
        c = Scan.objects.filter(event=event).aggregate(accepted=Count("id", filter=Q(result="accepted")),
                                                         total=Count("id"))
        return c["accepted"], c["total"]

    try:
        if args.warmup:
            run_wrk(wrk, url, warm_codes, tokens, seconds=args.warmup, connections=args.connections)
        before = counts()
        cpu_before = cpu_seconds_by_command()
        distinct = run_wrk(wrk, url, run_codes, tokens, seconds=args.seconds, connections=args.connections)
        cpu = cpu_split(cpu_before, cpu_seconds_by_command(), distinct["requests"])
        after = counts()
        accepted, total = after[0] - before[0], after[1] - before[1]
        hot = run_wrk(wrk, url, [hot_code] * 10, tokens, seconds=max(5, args.seconds // 2),
                      connections=args.connections)
        hot_accepted = Scan.objects.filter(event=event, result="accepted",
                                           ticket__ticket_id=hot_code.split(".")[1]).count()
    finally:
        stop_server(proc)
    print(f"machine: {machine()}; granian {args.workers} workers x {args.threads} threads; "
          f"wrk 2 threads, {args.connections} connections, {args.warmup}s warm-up, {args.seconds}s measured")
    print(f"distinct tickets: {distinct['rps']} req/s, accepted {accepted}/{total} scans "
          f"({accepted / args.seconds:.0f} accepted/s), p50 {distinct['p50']}, p99 {distinct['p99']}, "
          f"errors {distinct['errors']}")
    print(f"distinct tickets: {cpu}")
    print(f"hot ticket: {hot['rps']} req/s, p50 {hot['p50']}, p99 {hot['p99']}, accepted entries of that ticket: "
          f"{hot_accepted} (must be 1), errors {hot['errors']}")
    print(distinct["raw"])


if __name__ == "__main__":
    main()
