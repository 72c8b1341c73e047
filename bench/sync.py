"""Offline batch sync throughput through the full HTTP stack (granian -> Django/DRF -> the scan
function in PostgreSQL).

    .venv/bin/python bench/sync.py [--scans 5000] [--devices 4]

Creates a fresh database (ticketcore_bench_offline), an event with `devices * scans` sold
tickets and `devices` paired scanners, starts granian (2 workers, 4 threads) and measures:
  1. one device uploading `scans` scans (distinct tickets, all `in`) in one request;
  2. `devices` devices uploading `scans` scans each at the same time (distinct tickets);
  3. the same uploads again (idempotent replay: nothing written);
  4. two devices uploading the same `scans` tickets at once (every ticket contested: one
     accepted, one already_inside + an offline_conflict alert each);
  5. in-process, no HTTP: sync_scans() vs a loop over access.services.scan() on fresh tickets,
     to show what the batch path buys (same decision function).
Scans per second = scans in the request(s) / wall time until the last response is read.
Accepted scans are checked against the database afterwards."""
from __future__ import annotations

import argparse
import json
import threading
import time
import urllib.request
import uuid
from datetime import timedelta

from common import machine, setup_django, start_granian

DB = "ticketcore_bench_offline"


def prepare(seats: int, devices: int):
    from django.db import connection
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
                zones=[ZoneSpec(zone_id="A", name="Floor", color="#C0392B", seats=seats, reentry=False)])
    generate_tickets(event_id=event.event_id)
    with connection.cursor() as cur:  # bench set-up, not a service path
        cur.execute("UPDATE tickets_ticket SET status = false WHERE event_id = %s", [event.event_id])
    cp = create_checkpoint(event_id=event.event_id, name="Main gate")
    tokens = [pair_device(pairing_code=create_device(event_id=event.event_id, name=f"phone {i}",
                                                     checkpoint_id=cp.checkpoint_id).pairing_code).token
              for i in range(devices + 3)]
    key = active_key(event.event_id)
    codes = [ticket_code(t, key) for t in Ticket.objects.filter(event=event).order_by("id").only("ticket_id", "event_id")]
    return event, codes, tokens


def batch(codes: list[str], start) -> list[dict]:
    return [{"code": c, "direction": "in", "scan_id": str(uuid.uuid4()),
             "scanned_at": (start + timedelta(milliseconds=250 * i)).isoformat()} for i, c in enumerate(codes)]


def post(url: str, token: str, payload: bytes) -> dict:
    req = urllib.request.Request(f"{url}/api/v1/scan/sync", data=payload, method="POST",
                                 headers={"Authorization": f"Device {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=300) as r:
        return json.loads(r.read())


def run(url: str, uploads: list[tuple[str, list[dict]]]) -> tuple[float, list[dict]]:
    payloads = [(token, json.dumps({"scans": scans}).encode()) for token, scans in uploads]
    out: list = [None] * len(payloads)
    barrier = threading.Barrier(len(payloads) + 1)

    def worker(i, token, payload):
        barrier.wait()
        out[i] = post(url, token, payload)

    threads = [threading.Thread(target=worker, args=(i, t, p)) for i, (t, p) in enumerate(payloads)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, out


def report(label: str, n: int, elapsed: float, bodies: list[dict]) -> None:
    accepted = sum(r["result"] == "accepted" for b in bodies for r in b["results"])
    print(f"  {label:<52} {n:>6} scans in {elapsed:6.2f} s = {n / elapsed:>7,.0f} scans/s  (accepted {accepted})",
          flush=True)


def in_process(event, codes: list[str], n: int) -> None:
    from django.utils import timezone

    from access import services
    from access.sync import sync_scans
    from devices.models import Device

    device = Device.objects.select_related("checkpoint").filter(event=event).order_by("device_id").first()
    start = timezone.now() - timedelta(minutes=30)
    scans = [{"code": c, "direction": "in", "scan_id": uuid.uuid4(), "scanned_at": start + timedelta(seconds=i)}
             for i, c in enumerate(codes[:n])]
    t0 = time.perf_counter()
    results = sync_scans(device=device, scans=scans).results
    batch_s = time.perf_counter() - t0
    assert all(r["result"] == "accepted" for r in results)
    t0 = time.perf_counter()
    for i, c in enumerate(codes[n:2 * n]):
        services.scan(device=device, code=c, direction="in", scan_id=uuid.uuid4(),
                      scanned_at=start + timedelta(seconds=i), effective_at=start + timedelta(seconds=i), mode="sync")
    loop_s = time.perf_counter() - t0
    print(f"  in-process sync_scans(): {n / batch_s:,.0f} scans/s; loop of scan(): {n / loop_s:,.0f} scans/s "
          f"({n} scans each)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=5000)
    parser.add_argument("--devices", type=int, default=4)
    args = parser.parse_args()
    n, d = args.scans, args.devices
    setup_django(DB)
    from django.utils import timezone

    event, codes, tokens = prepare(n * (d + 2) + 3000, d)
    print(f"sync: {n} scans per upload, {d} devices, {machine()}", flush=True)
    proc, url = start_granian(workers=2, threads=4)
    try:
        start = timezone.now() - timedelta(minutes=40)
        # Warm both workers (distinct tickets: no conflicts).
        run(url, [(tokens[0], batch(codes[-1000:-950], start)), (tokens[1], batch(codes[-950:-900], start))])

        one = batch(codes[:n], start)
        elapsed, bodies = run(url, [(tokens[0], one)])
        report("1 device, 1 upload", n, elapsed, bodies)

        many = [(tokens[i], batch(codes[n * i:n * (i + 1)], start)) for i in range(1, d)]
        many = [(tokens[0], batch(codes[n * d:n * (d + 1)], start))] + many
        elapsed, bodies = run(url, many)
        report(f"{d} devices uploading at once", n * d, elapsed, bodies)

        elapsed, bodies = run(url, many)
        report(f"{d} devices re-uploading (idempotent replay)", n * d, elapsed, bodies)

        contested = codes[n * (d + 1):n * (d + 2)]
        elapsed, bodies = run(url, [(tokens[d], batch(contested, start)),
                                    (tokens[d + 1], batch(contested, start + timedelta(seconds=1)))])
        report("2 devices, same tickets at once (all contested)", 2 * n, elapsed, bodies)

        from access.models import Scan
        from alerts.models import Alert

        accepted = Scan.objects.filter(event=event, result="accepted", direction="in").count()
        conflicts = Alert.objects.filter(event=event, kind="offline_conflict").count()
        expected = n + n * d + n + 100  # one, many, contested (once each), warm-up
        print(f"  database: {accepted} accepted admissions (expected {expected}), {conflicts} offline_conflict alerts "
              f"(expected {n})", flush=True)
        assert accepted == expected and conflicts == n
    finally:
        proc.terminate()
        proc.wait(10)
    in_process(event, codes[n * (d + 2):n * (d + 2) + 2000], 1000)


if __name__ == "__main__":
    main()
