"""Exports and the post-event report on a big night: 100,000 tickets, about 300,000 scans.

    .venv/bin/python bench/export_report.py [--seats 100000] [--runs 3] [--keep] [--skip-http] [--http-only]

Builds (or with --keep reuses) a database (BENCH_REPORT_DATABASE_NAME, default
ticketcore_bench_report) with one event in Europe/Madrid: four zones, 92% of the seats sold
(online, by staff, and by a box office through its real assign/sync path), six gates with 96
phones, and a night of scans made by the real decision function (`access_scan_ticket`, in time
order, with effective times): arrivals from 19:00 peaking around 21:00, each gate's lanes
simulated first come first served (about 7.5 s a person), re-reads, forged codes, unsold tickets,
breaks out and back in, refused re-entries where the zone has none, two phones offline for half an
hour (their scans uploaded late), and most people scanned out at the end. Every scan waits for a
lane of its gate; the Upper tier's lanes are too few for its rush.

Then, each measurement in a fresh child process (fork) so that its peak memory is its own:
- tickets.csv, tickets.xlsx, scans.csv through the export view (DRF, in process): seconds, time to
  first byte, bytes, and the child's peak RSS growth (VmHWM minus VmRSS before);
- the report JSON (backoffice.report.event_report + json.dumps): seconds (median of --runs), its
  one statement's time and plan (EXPLAIN ANALYZE), and the same with sequential scans off (the
  index path, as when the scan tables hold other events too);
- tickets.xlsx as the background job the API and admin start for it (docs/adr/0030), in process;
- tickets.csv over HTTP through `bin/ticketcore web` (granian, one worker): seconds, time to first
  byte and the worker's peak RSS growth (the RSGI front sends a streamed body as it is produced).
"""
from __future__ import annotations

import argparse
import heapq
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.request
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

os.environ.setdefault("CACHE_KEY_PREFIX", "benchreport")
os.environ.setdefault("CHANNEL_PREFIX", "benchreport")
from common import PG, ROOT, machine, setup_django, start_granian, stop_server

DB = os.environ.get("BENCH_REPORT_DATABASE_NAME", "ticketcore_bench_report")
MADRID = ZoneInfo("Europe/Madrid")
NIGHT = datetime(2026, 6, 20, 21, 30, tzinfo=MADRID)  # show 21:30-00:30, doors 19:00-01:30 (UTC+02:00)
DOORS_OPEN = datetime(2026, 6, 20, 19, 0, tzinfo=MADRID)
EVENT_NAME = "Report bench"

# (zone, name, colour, share of seats, re-entry, price)
ZONES = [("F", "Floor", "#C0392B", 0.40, True, "65.00"), ("L", "Lower tier", "#2980B9", 0.30, True, "55.00"),
         ("U", "Upper tier", "#8E44AD", 0.25, False, "35.00"), ("V", "VIP", "#D4AC0D", 0.05, True, "120.00")]
# (gate, lanes, zones it serves with their share of that zone's people)
GATES = [("North", 24, {"F": 0.55}), ("East", 20, {"F": 0.45}), ("South", 20, {"L": 0.60}),
         ("West", 14, {"L": 0.40}), ("Upper", 18, {"U": 1.0}), ("VIP", 4, {"V": 1.0})]
SERVICE = {"in": 6.5, "out": 3.0, "repeat": 2.5, "forged": 10.0}  # median seconds at the lane


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------- the night

def build(seats: int):
    from django.db import transaction

    from accounts.services import create_staff_token
    from devices.services import create_device, pair_device
    from events.codes import active_key, ticket_code
    from events.services import ZoneSpec, create_checkpoint, create_event, setup_zones
    from offices import services as office_services
    from tickets.models import SaleChannel, Ticket
    from tickets.services import (
        append_sold_ledger,
        generate_tickets,
        mark_sold,
        sell_tickets,
    )

    rng = random.Random(20260620)
    event = create_event(name=EVENT_NAME, venue="Estadio", date_start=NIGHT, date_end=NIGHT + timedelta(hours=3),
                         doors_open_minutes=150, doors_close_minutes=60, timezone="Europe/Madrid", currency="EUR",
                         language="es")
    specs = [ZoneSpec(zone_id=z, name=n, color=c, seats=int(seats * share), reentry=r, price=Decimal(p))
             for z, n, c, share, r, p in ZONES]
    setup_zones(event_id=event.event_id, status=True, zones=specs)
    started = time.perf_counter()
    generate_tickets(event_id=event.event_id)
    log(f"generated {seats} tickets in {time.perf_counter() - started:.1f} s")

    tickets = list(Ticket.objects.filter(event=event).order_by("id").values_list("pk", "ticket_id", "zone_id"))
    sold, unsold = [], []
    for row in tickets:
        (sold if rng.random() < 0.92 else unsold).append(row)
    rng.shuffle(sold)
    n_online, n_office = int(len(sold) * 0.55), int(len(sold) * 0.10)
    online, office_sold, manual = sold[:n_online], sold[n_online:n_online + n_office], sold[n_online + n_office:]
    for i in range(0, len(online), 5000):
        with transaction.atomic():
            batch = online[i:i + 5000]
            done = mark_sold([pk for pk, _, _ in batch], channel=SaleChannel.ONLINE)
            append_sold_ledger(done, {"channel": "online", "by": "web", "buyer": {"name": f"Buyer {i}", "email":
                                                                                   f"buyer{i}@example.com"}})
    for i in range(0, len(manual), 5000):
        sell_tickets(event_id=event.event_id, ticket_ids=[t for _, t, _ in manual[i:i + 5000]], actor="taquilla")
    office = office_services.create_office(event_id=event.event_id, name="Taquilla Estadio").office
    for i in range(0, len(office_sold), 5000):
        ids = [t for _, t, _ in office_sold[i:i + 5000]]
        office_services.assign_tickets(office_id=office.office_id, ticket_ids=ids, actor="bench")
        office_services.sync_sales(office=office, sales=[
            office_services.SaleIn(sale_id=uuid.uuid4(), ticket_id=t, sold_at=NIGHT - timedelta(hours=4),
                                   buyer={"name": "Box"}) for t in ids])
    log(f"sold {len(sold)} ({len(online)} online, {len(manual)} by staff, {len(office_sold)} box office)")

    gates, lanes = {}, {}
    for name, count, _ in GATES:
        gate = create_checkpoint(event_id=event.event_id, name=name)
        gates[name] = gate.checkpoint_id
        lanes[name] = []
        for k in range(count):
            created = create_device(event_id=event.event_id, name=f"{name} {k + 1}", checkpoint_id=gate.checkpoint_id)
            lanes[name].append(pair_device(pairing_code=created.pairing_code).device.device_id)
    key = active_key(event.event_id)
    by_pk = {t.pk: t for t in Ticket.objects.filter(event=event).only("pk", "ticket_id", "event_id")}
    codes = {pk: ticket_code(by_pk[pk], key) for pk, _, _ in tickets}
    scans = night_scans(rng, sold, unsold, codes, gates, lanes)
    log(f"{len(scans)} scans planned; applying through access_scan_ticket")
    started = time.perf_counter()
    apply_scans(event.event_id, gates, scans)
    log(f"scans applied in {time.perf_counter() - started:.0f} s")

    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("bench-lead", password=uuid.uuid4().hex, is_staff=True)
    token = create_staff_token(user=user).token
    return event, user, token


def _arrival(rng: random.Random) -> datetime:
    r = rng.random()
    if r < 0.25:
        minutes = rng.uniform(0, 90)  # 19:00-20:30, early
    elif r < 0.95:
        minutes = min(210.0, max(0.0, rng.gauss(120, 35)))  # around 21:00
    else:
        minutes = rng.uniform(150, 225)  # late, 21:30-22:45
    return DOORS_OPEN + timedelta(minutes=minutes)


def night_scans(rng, sold, unsold, codes, gates, lanes) -> list[tuple]:
    """(time, device, checkpoint, ticket_id or None, code, direction, mode, late) in time order.

    Every scan, in or out, waits for a lane of its gate, first come first served; the scan's time
    is when its lane finishes with it. A person's events are planned from their arrival, far
    enough apart (a break starts at least an hour after arriving) that queueing rarely swaps
    them (when it does, the function refuses the exit, as it would at a real door)."""
    zone_gates = {}
    for name, _, shares in GATES:
        for zone, share in shares.items():
            zone_gates.setdefault(zone, []).append((name, share))
    reentry = {z: r for z, _, _, _, r, _ in ZONES}

    def gate_for(zone: str) -> str:
        x, acc = rng.random(), 0.0
        for name, share in zone_gates[zone]:
            acc += share
            if x <= acc:
                return name
        return zone_gates[zone][-1][0]

    # Events at the lanes: (arrival at the gate, kind, ticket_id, code, direction, re-read?)
    events: dict[str, list] = {name: [] for name, _, _ in GATES}
    for pk, ticket_id, zone in sold:
        if rng.random() < 0.043:
            continue  # a no-show
        gate, code = gate_for(zone), codes[pk]
        arrival = _arrival(rng)
        events[gate].append((arrival, "in", ticket_id, code, "in", rng.random() < 0.03))
        at = arrival
        breaks = min(3, _poisson(rng, 1.5)) if reentry[zone] else (1 if rng.random() < 0.10 else 0)
        for _ in range(breaks):
            out = max(at + timedelta(minutes=rng.uniform(60, 90)), NIGHT + timedelta(minutes=rng.uniform(20, 120)))
            back = out + timedelta(minutes=rng.uniform(4, 20))
            if back > NIGHT + timedelta(minutes=175):
                break
            events[gate].append((out, "out", ticket_id, code, "out", False))
            events[gate].append((back, "in", ticket_id, code, "in", False))
            at = back
        if rng.random() < 0.6:
            leave = max(at + timedelta(minutes=20), NIGHT + timedelta(minutes=rng.uniform(178, 235)))
            events[gate].append((leave, "out", ticket_id, code, "out", False))
    for pk, ticket_id, zone in rng.sample(unsold, min(800, len(unsold))):
        events[gate_for(zone)].append((_arrival(rng), "in", ticket_id, codes[pk], "in", False))  # never sold
    for _ in range(2000):
        gate = rng.choice(GATES)[0]
        events[gate].append((_arrival(rng), "forged", None, f"T.forged-{uuid.uuid4().hex}", "in", False))
    served: list[tuple] = []
    for gate, queue in events.items():
        queue.sort(key=lambda e: e[0])
        free = [(DOORS_OPEN, device) for device in lanes[gate]]
        heapq.heapify(free)
        for at, kind, ticket_id, code, direction, repeat in queue:
            lane_free, device = heapq.heappop(free)
            done = max(at, lane_free) + timedelta(seconds=rng.lognormvariate(0, 0.35) * SERVICE[kind])
            served.append((done, device, gates[gate], ticket_id, code, direction))
            if repeat:
                done += timedelta(seconds=rng.lognormvariate(0, 0.3) * SERVICE["repeat"])
                served.append((done, device, gates[gate], ticket_id, code, direction))
            heapq.heappush(free, (done + timedelta(seconds=1), device))
    served.sort(key=lambda s: s[0])
    # Two West phones lose the network from 22:10 to 22:40: they decide offline, upload later.
    offline = set(lanes["West"][:2])
    window = (datetime(2026, 6, 20, 22, 10, tzinfo=MADRID), datetime(2026, 6, 20, 22, 40, tzinfo=MADRID))
    return [(at, device, cp, ticket_id, code, direction,
             "sync" if device in offline and window[0] <= at < window[1] else "online",
             device in offline and window[0] <= at < window[1])
            for at, device, cp, ticket_id, code, direction in served]


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = pow(2.718281828, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


_APPLY_SQL = """
SELECT access_scan_ticket(u.device_id, %(event)s, u.checkpoint_id, '{}'::text[], 'both', u.ticket_id, u.code,
                          u.direction, u.scan_id, u.at, u.at, u.mode, u.late)
  FROM unnest(%(device)s::text[], %(checkpoint)s::text[], %(ticket)s::text[], %(code)s::text[], %(direction)s::text[],
              %(scan_id)s::uuid[], %(at)s::timestamptz[], %(mode)s::text[], %(late)s::boolean[])
       WITH ORDINALITY AS u(device_id, checkpoint_id, ticket_id, code, direction, scan_id, at, mode, late, n)
 ORDER BY u.n
"""

_FORGED_SQL = """
INSERT INTO access_scan (scan_id, device_id, event_id, checkpoint_id, direction, result, reason, code, first_entry,
                         mode, quarantined, late, scanned_at, effective_at, server_time, response)
SELECT u.scan_id, u.device_id, %(event)s, u.checkpoint_id, 'in', 'rejected', 'invalid_signature', u.code, false,
       u.mode, false, u.late, u.at, u.at, now(),
       jsonb_build_object('scan_id', u.scan_id::text, 'result', 'rejected', 'reason', 'invalid_signature')
  FROM unnest(%(device)s::text[], %(checkpoint)s::text[], %(code)s::text[], %(scan_id)s::uuid[],
              %(at)s::timestamptz[], %(mode)s::text[], %(late)s::boolean[])
       AS u(device_id, checkpoint_id, code, scan_id, at, mode, late)
"""


def apply_scans(event_id: str, gates: dict, scans: list[tuple], *, threads: int = 2, chunk: int = 2000) -> None:
    """Each ticket's scans go to one connection, in time order (the alternation trigger and the
    function's decisions depend on it); two connections share the work."""
    import psycopg

    parts = [[] for _ in range(threads)]
    for s in scans:
        parts[hash(s[3] or s[4]) % threads].append(s)
    errors = []

    def work(part):
        try:
            with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
                for i in range(0, len(part), chunk):
                    rows = part[i:i + chunk]
                    tickets = [r for r in rows if r[3] is not None]
                    forged = [r for r in rows if r[3] is None]
                    with conn.transaction():
                        if tickets:
                            conn.execute(_APPLY_SQL, {
                                "event": event_id, "device": [r[1] for r in tickets],
                                "checkpoint": [r[2] for r in tickets], "ticket": [r[3] for r in tickets],
                                "code": [r[4] for r in tickets], "direction": [r[5] for r in tickets],
                                "scan_id": [uuid.uuid4() for _ in tickets], "at": [r[0] for r in tickets],
                                "mode": [r[6] for r in tickets], "late": [r[7] for r in tickets]}).fetchall()
                        if forged:
                            conn.execute(_FORGED_SQL, {
                                "event": event_id, "device": [r[1] for r in forged],
                                "checkpoint": [r[2] for r in forged], "code": [r[4] for r in forged],
                                "scan_id": [uuid.uuid4() for _ in forged], "at": [r[0] for r in forged],
                                "mode": [r[6] for r in forged], "late": [r[7] for r in forged]})
        except BaseException as exc:  # noqa: BLE001 -- re-raised by the caller
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(p,)) for p in parts]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise errors[0]


# --------------------------------------------------------------------------- measuring

def _status_kb(field: str, pid: str = "self") -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def in_child(fn):
    """Run fn() in a forked child; returns (its result, its peak RSS growth in MB)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            from django.db import connections

            for conn in connections.all():
                conn.close_if_unusable_or_obsolete()
                conn.connection = None  # never share the parent's socket
            before = _status_kb("VmRSS")
            result = fn()
            growth = (_status_kb("VmHWM") - before) / 1024
            payload = json.dumps({"result": result, "growth_mb": growth}).encode()
        except BaseException as exc:  # noqa: BLE001 -- sent to the parent, which raises it
            payload = json.dumps({"error": repr(exc)}).encode()
        os.write(write, payload)
        os._exit(0)
    os.close(write)
    chunks = []
    while data := os.read(read, 65536):
        chunks.append(data)
    os.waitpid(pid, 0)
    out = json.loads(b"".join(chunks))
    if "error" in out:
        raise RuntimeError(out["error"])
    return out["result"], out["growth_mb"]


def export_in_process(event_id: str, user, dataset: str, fmt: str) -> dict:
    from rest_framework.test import APIRequestFactory, force_authenticate

    # The file itself, as the view produced it before large XLSX went to a background job
    # (docs/adr/0030): the same writer the job runs.
    os.environ["JOBS_SYNC_MAX_ROWS"] = str(10**9)

    from backoffice.report_api import ExportView

    request = APIRequestFactory().get(f"/api/v1/events/{event_id}/exports/{dataset}.{fmt}")
    force_authenticate(request, user=user)
    started = time.perf_counter()
    response = ExportView.as_view()(request, event_id=event_id, dataset=dataset, fmt=fmt)
    first = None
    size = 0
    for chunk in response.streaming_content:
        if first is None:
            first = time.perf_counter() - started
        size += len(chunk)
    response.close()
    return {"seconds": time.perf_counter() - started, "first_byte_s": first, "bytes": size}


def export_job(event_id: str, dataset: str, fmt: str) -> dict:
    """The background job the API starts for a large XLSX, run here as the worker runs it."""
    import tempfile

    from backoffice import jobs, jobs_run

    os.environ["JOBS_DIR"] = tempfile.mkdtemp(prefix="bench-jobs-")
    job = jobs.create(kind=jobs.Kind.EXPORT, event_id=event_id, params={"dataset": dataset, "fmt": fmt},
                      filename=f"bench.{fmt}", total=None)
    started = time.perf_counter()
    done = jobs_run.run(job.job_id)
    assert done.state == jobs.State.DONE, done.error
    return {"seconds": time.perf_counter() - started, "bytes": done.size}


def report_in_process(event_id: str) -> dict:
    from backoffice.report import event_report

    started = time.perf_counter()
    body = json.dumps(event_report(event_id))
    return {"seconds": time.perf_counter() - started, "bytes": len(body)}


def query_plans(event_id: str) -> list[tuple]:
    """The report's one statement (backoffice.report._report_sql) as event_report runs it (its
    transaction's work_mem, JIT off), then the same with sequential scans off: the path PostgreSQL
    takes when the scan tables hold many events and this one is a small part of them."""
    from django.db import connection, transaction

    from backoffice import report

    sql, _fields = report._report_sql()
    rows = []
    for seqscan in ("on", "off"):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"SET LOCAL work_mem = '{report.REPORT_WORK_MEM}'")
            cur.execute("SET LOCAL jit = off")
            cur.execute(f"SET LOCAL enable_seqscan = {seqscan}")
            cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, report.report_params(event_id))
            plan = cur.fetchone()[0]
        plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
        rows.append((plan["Execution Time"], sorted(_scan_nodes(plan["Plan"]))))
    return [("report", rows)]


def _scan_nodes(node: dict) -> set[str]:
    found = set()
    if "Scan" in node["Node Type"] and node.get("Relation Name"):
        found.add(f"{node['Node Type']} on {node['Relation Name']}" + (f" ({node['Index Name']})" if node.get("Index Name") else ""))
    for child in node.get("Plans", []):
        found |= _scan_nodes(child)
    return found


def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry))
    return kids


def export_over_http(event_id: str, token: str) -> dict:
    proc, url = start_granian(workers=1, threads=2)
    try:
        workers = _children(proc.pid) or [proc.pid]
        request = urllib.request.Request(f"{url}/api/v1/events/{event_id}/exports/tickets.csv",
                                         headers={"Authorization": f"Token {token}"})
        with urllib.request.urlopen(urllib.request.Request(f"{url}/api/v1/events/{event_id}/report",
                                                           headers={"Authorization": f"Token {token}"}), timeout=120) as r:
            r.read()  # warm: imports and connections in the worker
        before = {pid: _status_kb("VmRSS", str(pid)) for pid in workers}
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=300) as r:
            r.read(1)
            first_s = time.perf_counter() - started
            size = 1 + len(r.read())
        seconds = time.perf_counter() - started
        growth = max((_status_kb("VmHWM", str(pid)) - before[pid]) / 1024 for pid in workers)
        return {"seconds": seconds, "first_byte_s": first_s, "bytes": size, "growth_mb": growth}
    finally:
        stop_server(proc)


def repeated_http(event_id: str, token: str, times: int) -> None:
    """tickets.csv downloaded `times` times in a row from one worker with one thread, nothing else
    before: the worker's resident memory after each, and its peak."""
    proc, url = start_granian(workers=1, threads=1)
    try:
        workers = _children(proc.pid) or [proc.pid]
        start = sum(_status_kb("VmRSS", str(p)) for p in workers) / 1024
        print(f"tickets.csv over HTTP, 1 worker x 1 thread; worker RSS at start {start:.0f} MB")
        for i in range(times):
            request = urllib.request.Request(f"{url}/api/v1/events/{event_id}/exports/tickets.csv",
                                             headers={"Authorization": f"Token {token}"})
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=300) as r:
                r.read(1)
                first_s = time.perf_counter() - started
                size = 1 + len(r.read())
            rss = sum(_status_kb("VmRSS", str(p)) for p in workers) / 1024
            peak = sum(_status_kb("VmHWM", str(p)) for p in workers) / 1024
            print(f"  download {i + 1}: {time.perf_counter() - started:.1f} s, first byte {first_s:.1f} s, "
                  f"{size / 1e6:.1f} MB; worker RSS {rss:.0f} MB, peak {peak:.0f} MB")
    finally:
        stop_server(proc)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seats", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="reuse the database of a previous run")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--http-only", action="store_true",
                        help="only tickets.csv over HTTP, --http-repeat times in one worker of one thread, no warm-up")
    parser.add_argument("--http-repeat", type=int, default=3)
    args = parser.parse_args()
    setup_django(DB, fresh=not args.keep)
    from django.contrib.auth import get_user_model
    from django.db import connection

    from accounts.services import create_staff_token
    from events.models import Event

    event = Event.objects.filter(name=EVENT_NAME).first() if args.keep else None
    if event is None:
        event, user, token = build(args.seats)
    else:
        user = get_user_model().objects.get(username="bench-lead")
        token = create_staff_token(user=user).token
    if args.http_only:
        return repeated_http(event.event_id, token, args.http_repeat)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE access_scan")
        cur.execute("VACUUM ANALYZE tickets_ticket")
        cur.execute("VACUUM ANALYZE tickets_ledgerentry")
        cur.execute("SELECT count(*), count(*) FILTER (WHERE result = 'accepted') FROM access_scan WHERE event_id = %s",
                    [event.event_id])
        scans, accepted = cur.fetchone()
        cur.execute("SELECT count(*) FROM tickets_ticket WHERE event_id = %s", [event.event_id])
        tickets = cur.fetchone()[0]
    connection.close()
    print(f"machine: {machine()}")
    print(f"event: {tickets} tickets, {scans} scans ({accepted} accepted)")

    for dataset, fmt in (("tickets", "csv"), ("tickets", "xlsx"), ("scans", "csv")):
        results = [in_child(lambda d=dataset, f=fmt: export_in_process(event.event_id, user, d, f))
                   for _ in range(args.runs)]
        secs = [r["seconds"] for r, _ in results]
        print(f"{dataset}.{fmt}: median {statistics.median(secs):.2f} s (runs {', '.join(f'{s:.2f}' for s in secs)}), "
              f"first byte {statistics.median(r['first_byte_s'] for r, _ in results):.2f} s, "
              f"{results[0][0]['bytes'] / 1e6:.1f} MB, peak RSS growth "
              f"{max(g for _, g in results):.0f} MB")
    if os.path.exists(os.path.join(ROOT, "backoffice", "jobs_run.py")):
        r, growth = in_child(lambda: export_job(event.event_id, "tickets", "xlsx"))
        print(f"tickets.xlsx as a background job (jobs_run.run, as the worker): {r['seconds']:.2f} s, "
              f"{r['bytes'] / 1e6:.1f} MB, peak RSS growth {growth:.0f} MB")
    results = [in_child(lambda: report_in_process(event.event_id)) for _ in range(args.runs)]
    secs = [r["seconds"] for r, _ in results]
    print(f"report JSON: median {statistics.median(secs):.2f} s (runs {', '.join(f'{s:.2f}' for s in secs)}), "
          f"{results[0][0]['bytes'] / 1e3:.0f} kB, peak RSS growth {max(g for _, g in results):.0f} MB")
    for name, ((t_on, nodes_on), (t_off, nodes_off)) in query_plans(event.event_id):
        print(f"  {name}: {t_on:.0f} ms [{'; '.join(nodes_on)}]; seqscan off {t_off:.0f} ms [{'; '.join(nodes_off)}]")
    connection.close()
    if not args.skip_http:
        r = export_over_http(event.event_id, token)
        print(f"tickets.csv over HTTP (bin/ticketcore web, 1 worker): {r['seconds']:.2f} s, first byte "
              f"{r['first_byte_s']:.2f} s, {r['bytes'] / 1e6:.1f} MB, worker peak RSS growth {r['growth_mb']:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
