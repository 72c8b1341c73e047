"""Firestore mirror throughput: a 100,000-ticket generation drained into the Firestore emulator.

    .venv/bin/python bench/mirror.py [--seats 100000] [--workers 1,2] [--sales 10000] [--verify]

Uses a dedicated database (BENCH_DATABASE_NAME, default ticketcore_bench_mirror) and the
emulator at FIRESTORE_EMULATOR_HOST, or starts one on a free port (FIRESTORE_EMULATOR_BIN or the
Google Cloud SDK's cloud_firestore_emulator; needs Java). For each worker count: generate a fresh
event, then time the drain until the outbox is empty (workers > 1 run as `manage.py mirror_drain`
processes at once). Then sell `--sales` tickets in 500-ticket sales and time draining those
updates (the guarded path: read, compare mirror_version, replace with a precondition).
Documents/s = documents written / drain wall time. `--verify` also runs the field-by-field diff.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import timedelta

from common import ROOT, free_port, machine, setup_django

DB_NAME = os.environ.get("BENCH_DATABASE_NAME", "ticketcore_bench_mirror")
EMULATOR_BINARIES = (
    os.environ.get("FIRESTORE_EMULATOR_BIN", ""),
    "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator",
    shutil.which("cloud_firestore_emulator") or "",
)


def answers(host: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}/", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def start_emulator() -> tuple[subprocess.Popen | None, str]:
    host = os.environ.get("FIRESTORE_EMULATOR_HOST", "")
    if host and answers(host):
        return None, host
    binary = next((b for b in EMULATOR_BINARIES if b and os.access(b, os.X_OK)), None)
    if binary is None or shutil.which("java") is None:
        sys.exit("bench/mirror.py needs the Firestore emulator and Java (or FIRESTORE_EMULATOR_HOST).")
    port = free_port()
    proc = subprocess.Popen([binary, "start", "--host=127.0.0.1", f"--port={port}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    host = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while not answers(host):
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit("the Firestore emulator did not start")
        time.sleep(0.1)
    return proc, host


def clear_emulator(host: str, project: str) -> None:
    request = urllib.request.Request(f"http://{host}/emulator/v1/projects/{project}/databases/(default)/documents",
                                     method="DELETE")
    urllib.request.urlopen(request, timeout=60).read()


def make_event(seats: int, name: str):
    from django.utils import timezone

    from events.services import ZoneSpec, create_event, setup_zones

    now = timezone.now()
    event = create_event(name=name, date_start=now + timedelta(days=1), date_end=now + timedelta(days=1, hours=5))
    per_zone = seats // 4
    setup_zones(event_id=event.event_id, status=True, zones=[
        ZoneSpec(zone_id=z, name=f"Zone {z}", color="#336699", seats=per_zone + (seats - 4 * per_zone if z == "D" else 0))
        for z in "ABCD"])
    return event


def drain_with(workers: int, *, batch_size: int) -> tuple[float, int]:
    """Drain to empty with `workers` drainers; returns (seconds, documents written)."""
    from mirror.drainer import drain, pending_count

    started = time.perf_counter()
    if workers == 1:
        result = drain(batch_size=batch_size, until_empty=True, deadline=3600)
        return time.perf_counter() - started, result.written
    procs = [subprocess.Popen([sys.executable, "manage.py", "mirror_drain", "--until-empty", "--batch-size",
                               str(batch_size)], cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, text=True)
             for _ in range(workers)]
    written = 0
    for p in procs:
        out, _ = p.communicate(timeout=3600)
        if p.returncode:
            sys.exit(f"a drain worker failed: {out}")
        written += int(dict(kv.split("=") for kv in out.split())["written"])
    assert pending_count() == 0
    return time.perf_counter() - started, written


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seats", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2", help="comma-separated drainer counts, one run each")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--sales", type=int, default=10_000, help="tickets sold after the last run (0: skip)")
    parser.add_argument("--verify", action="store_true", help="field-by-field diff after each run")
    args = parser.parse_args()

    emulator, host = start_emulator()
    project = f"bench-{uuid.uuid4().hex[:8]}"
    os.environ.update(FIRESTORE_EMULATOR_HOST=host, FIRESTORE_PROJECT_ID=project, FIRESTORE_MIRROR_KICK="false",
                      LOG_LEVEL="WARNING")
    try:
        setup_django(DB_NAME)
        from django.db import connection

        from mirror.client import get_client
        from mirror.drainer import drain
        from mirror.repair import diff_event
        from tickets.models import Ticket
        from tickets.services import generate_tickets, sell_tickets

        print(f"machine: {machine()}; emulator {host}; batch {args.batch_size}")
        event = None
        for workers in [int(w) for w in args.workers.split(",")]:
            clear_emulator(host, project)
            event = make_event(args.seats, f"Mirror bench x{workers}")
            drain(until_empty=True, deadline=600)  # the event/zones/keys documents, not timed
            started = time.perf_counter()
            generate_tickets(event_id=event.event_id)
            generation = time.perf_counter() - started
            with connection.cursor() as cur:
                cur.execute("SELECT count(*) FROM ticketcore_outbox")
                queued = cur.fetchone()[0]
            seconds, written = drain_with(workers, batch_size=args.batch_size)
            count = get_client().collection(f"events/{event.event_id}/tickets").count().get()[0][0].value
            assert count == args.seats, (count, args.seats)
            print(f"generation of {args.seats} tickets (with outbox triggers): {generation:.2f} s, {queued} outbox rows")
            print(f"drain, {workers} worker(s): {written} documents in {seconds:.1f} s = {written / seconds:,.0f} documents/s")
            if args.verify:
                started = time.perf_counter()
                diff = diff_event(event.event_id)
                print(f"  mirror_diff: {'equal' if diff.ok else 'DIFFERENT'} ({diff.compared} documents, "
                      f"{time.perf_counter() - started:.1f} s)")
        if args.sales and event is not None:
            ids = list(Ticket.objects.filter(event=event).order_by("?").values_list("ticket_id", flat=True)[:args.sales])
            for i in range(0, len(ids), 500):
                sell_tickets(event_id=event.event_id, ticket_ids=ids[i:i + 500], channel="bench")
            seconds, written = drain_with(1, batch_size=args.batch_size)
            print(f"drain of {len(ids)} sales (read + guarded replace), 1 worker: {written} documents in "
                  f"{seconds:.1f} s = {written / seconds:,.0f} documents/s")
    finally:
        if emulator is not None:
            os.killpg(emulator.pid, signal.SIGKILL)
            emulator.wait()


if __name__ == "__main__":
    main()
