"""Scanner manifest size and download time for a 50,000-ticket event, over loopback HTTP.

    .venv/bin/python bench/manifest.py [--seats 50000] [--runs 15]

Creates a fresh database (ticketcore_bench_offline), an event of `seats` tickets (60% sold, 10%
scanned in), one paired scanner, starts granian (2 workers) and downloads GET /api/v1/scan/manifest
`runs` times each: full (plain JSON), full (gzip), and a delta (?since=) after 500 tickets
changed. Reports wall time per download (client side, body fully read), body bytes, and the
in-process build time split (watermark, query + JSON, gzip level 1 vs 6)."""
from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time
import urllib.request
from datetime import timedelta

from common import machine, setup_django, start_granian

DB = "ticketcore_bench_offline"


def prepare(seats: int):
    from django.db import connection
    from django.utils import timezone

    from events.services import create_checkpoint
    from devices.services import create_device, pair_device
    from events.services import ZoneSpec, create_event, setup_zones
    from tickets.services import generate_tickets

    now = timezone.now()
    event = create_event(name="Bench night", date_start=now + timedelta(hours=1), date_end=now + timedelta(hours=6))
    half = seats // 2
    setup_zones(event_id=event.event_id, status=True, zones=[
        ZoneSpec(zone_id="A", name="Floor", color="#C0392B", seats=half, reentry=False),
        ZoneSpec(zone_id="B", name="Stands", color="#27AE60", seats=seats - half, reentry=True)])
    generate_tickets(event_id=event.event_id)
    with connection.cursor() as cur:  # bench set-up, not a service path
        cur.execute("UPDATE tickets_ticket SET status = false WHERE event_id = %s AND id %% 10 < 6", [event.event_id])
        cur.execute("UPDATE tickets_ticket SET access_status = true, access_entry = true "
                    "WHERE event_id = %s AND id %% 10 = 0", [event.event_id])
    cp = create_checkpoint(event_id=event.event_id, name="Main gate")
    token = pair_device(pairing_code=create_device(event_id=event.event_id, name="phone",
                                                   checkpoint_id=cp.checkpoint_id).pairing_code).token
    return event, token


def fetch(url: str, token: str, *, gzip_ok: bool) -> tuple[float, int, dict]:
    headers = {"Authorization": f"Device {token}"}
    if gzip_ok:
        headers["Accept-Encoding"] = "gzip"
    t0 = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
        raw = r.read()
        encoding = r.headers.get("Content-Encoding")
    elapsed = time.perf_counter() - t0
    body = json.loads(gzip.decompress(raw) if encoding == "gzip" else raw)
    return elapsed, len(raw), body


def summarize(label: str, samples: list[tuple[float, int, dict]]) -> dict:
    times = sorted(s[0] * 1000 for s in samples)
    row = {"case": label, "tickets": len(samples[0][2]["tickets"]), "bytes": samples[0][1],
           "p50_ms": round(statistics.median(times), 1), "min_ms": round(times[0], 1),
           "max_ms": round(times[-1], 1)}
    print(f"  {label:<28} tickets={row['tickets']:>6}  bytes={row['bytes']:>9,}  "
          f"p50={row['p50_ms']:>6} ms  min={row['min_ms']:>6} ms  max={row['max_ms']:>6} ms", flush=True)
    return row


def in_process(event, runs: int) -> None:
    from access.manifest import build_manifest
    from access.manifest_version import safe_ticket_version
    from devices.models import Device

    device = Device.objects.select_related("checkpoint").get(event=event)
    wm, build, gz1, gz6 = [], [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        safe_ticket_version(floor=0)
        t1 = time.perf_counter()
        body = build_manifest(device=device).body
        t2 = time.perf_counter()
        g1 = gzip.compress(body, compresslevel=1, mtime=0)
        t3 = time.perf_counter()
        g6 = gzip.compress(body, compresslevel=6, mtime=0)
        t4 = time.perf_counter()
        wm.append(t1 - t0), build.append(t2 - t1), gz1.append(t3 - t2), gz6.append(t4 - t3)
    ms = lambda xs: round(statistics.median(xs) * 1000, 1)  # noqa: E731
    print(f"  in-process: watermark {ms(wm)} ms, build_manifest {ms(build)} ms (incl. watermark), "
          f"gzip level 1 {ms(gz1)} ms -> {len(g1):,} B, level 6 {ms(gz6)} ms -> {len(g6):,} B "
          f"(plain {len(body):,} B)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seats", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    setup_django(DB)
    event, token = prepare(args.seats)
    print(f"manifest: {args.seats:,} tickets, {machine()}", flush=True)
    in_process(event, 5)
    proc, base = start_granian(workers=2, threads=4)
    try:
        url = f"{base}/api/v1/scan/manifest"
        fetch(url, token, gzip_ok=False)  # warm both workers' connections and caches
        fetch(url, token, gzip_ok=True)
        full = [fetch(url, token, gzip_ok=False) for _ in range(args.runs)]
        packed = [fetch(url, token, gzip_ok=True) for _ in range(args.runs)]
        version = full[-1][2]["version"]
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("UPDATE tickets_ticket SET status = false WHERE id IN (SELECT id FROM tickets_ticket "
                        "WHERE event_id = %s AND status ORDER BY id LIMIT 500)", [event.event_id])
        delta = [fetch(f"{url}?since={version}", token, gzip_ok=True) for _ in range(args.runs)]
        rows = [summarize("full, plain JSON", full), summarize("full, gzip", packed),
                summarize("delta (500 changed), gzip", delta)]
        assert rows[0]["tickets"] == args.seats and rows[2]["tickets"] == 500, rows
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
