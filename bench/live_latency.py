"""Scan-to-dashboard latency of the live feed, under many scans per second.

    .venv/bin/python bench/live_latency.py [--seconds 15] [--rate 500] [--devices 40] [--workers 2]

The production shape of `make run`: granian (WSGI) answers POST /api/v1/scan, daphne (ASGI) holds
the dashboard's WebSocket, Redis carries the channel layer, all against a fresh database
(BENCH_LIVE_DATABASE_NAME, default ticketcore_bench_live). A staff dashboard socket, in its own
process, timestamps every message it receives. `--devices` paired devices each post scans one
at a time on keep-alive connections, paced to a total of `--rate` scans/s (3% forged codes, the
rest distinct sold tickets).

Latency of each scan message, matched to its request by device and the server's `at` time:
- door -> dashboard: from the HTTP response reaching the device to the message reaching the
  dashboard (what a manager sees after the beep);
- commit -> dashboard: from `at` (stamped by access.services._finish once the scan has committed)
  to the dashboard.
Also: the cost of one `publish_event()` call in the request thread (queue append) next to the
`async_to_sync(group_send)` it replaced, and how long the DB-derived gate_counts tiles lag."""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("CHANNEL_PREFIX", "benchlive")
os.environ.setdefault("CACHE_KEY_PREFIX", "benchlive")
from common import free_port, machine, setup_django, start_granian  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DB = os.environ.get("BENCH_LIVE_DATABASE_NAME", "ticketcore_bench_live")


def prepare(seats: int, devices: int):
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from events.services import create_checkpoint
    from devices.services import create_device, pair_device
    from events.codes import active_key, ticket_code
    from events.services import ZoneSpec, create_event, setup_zones
    from tickets.models import Ticket
    from tickets.services import generate_tickets, sell_tickets

    now = timezone.now()
    event = create_event(name="Live bench", date_start=now + timedelta(hours=1), date_end=now + timedelta(hours=6))
    setup_zones(event_id=event.event_id, status=True, zones=[
        ZoneSpec(zone_id="A", name="Floor", color="#C0392B", seats=seats // 2, reentry=True),
        ZoneSpec(zone_id="B", name="Stands", color="#2980B9", seats=seats - seats // 2, reentry=True)])
    generate_tickets(event_id=event.event_id)
    ids = list(Ticket.objects.filter(event=event).values_list("ticket_id", flat=True))
    for i in range(0, len(ids), 5000):
        sell_tickets(event_id=event.event_id, ticket_ids=ids[i:i + 5000], channel="bench")
    gates = [create_checkpoint(event_id=event.event_id, name=f"Gate {n}") for n in range(1, 5)]
    tokens = []
    for i in range(devices):
        created = create_device(event_id=event.event_id, name=f"phone {i}",
                                checkpoint_id=gates[i % len(gates)].checkpoint_id)
        tokens.append(pair_device(pairing_code=created.pairing_code).token)
    key = active_key(event.event_id)
    codes = [ticket_code(t, key) for t in Ticket.objects.filter(event=event).only("ticket_id", "event_id")]
    user = get_user_model().objects.create_user("bench-manager", password=uuid.uuid4().hex, is_staff=True)
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.save()
    return event, codes, tokens, session.session_key


def start_daphne() -> tuple[subprocess.Popen, int]:
    import urllib.request

    port = free_port()
    env = dict(os.environ, DEBUG="false", LOG_LEVEL="WARNING")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                             "ticketcore.asgi:application"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return proc, port
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("daphne did not start")
            time.sleep(0.05)


# --------------------------------------------------------------------------- the dashboard process

def dashboard(port: int, event_id: str, session: str, ready, stop, out) -> None:
    import websockets

    async def main():
        received = []
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws/events/{event_id}/live/",
                                      additional_headers={"Cookie": f"sessionid={session}",
                                                          "Origin": f"http://127.0.0.1:{port}"},
                                      max_size=None) as ws:
            first = json.loads(await ws.recv())
            assert first["type"] == "snapshot", first
            ready.set()
            while not stop.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), timeout=0.2)
                except asyncio.TimeoutError:
                    continue
                now = time.time()
                message = json.loads(raw)
                if message["type"] == "scan":
                    received.append((now, "scan", message["device"], message["at"], message["result"]))
                elif message["type"] == "gate_counts":
                    received.append((now, "gate_counts", None, message["at"], message["totals"]["accepted"]))
        out.put(received)

    asyncio.run(main())


# --------------------------------------------------------------------------- the devices

errors: list = []


async def device_loop(port: int, token: str, device_id: str, codes: list[str], interval: float, start: float,
                      until: float, log: list) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (f"POST /api/v1/scan HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Device {token}\r\n"
            "Content-Type: application/json\r\nConnection: keep-alive\r\n")
    due = start
    for code in codes:
        due += interval
        now = time.monotonic()
        if now >= until:
            break
        if due > now:
            await asyncio.sleep(due - now)  # pacing the load, not waiting for a result
        body = json.dumps({"code": code, "direction": "in", "scan_id": str(uuid.uuid4())}).encode()
        sent = time.time()
        writer.write(head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        headers = await reader.readuntil(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in headers.split(b"\r\n")
                          if line.lower().startswith(b"content-length")))
        answer = json.loads(await reader.readexactly(length))
        status = int(headers.split(b" ", 2)[1])
        if status != 200:
            errors.append((status, answer))
            continue
        log.append((device_id, sent, time.time(), answer["result"]))
    writer.close()


def drive(port: int, devices: list[tuple[str, str]], codes: list[str], rate: float, seconds: float) -> list:
    log: list = []
    per_device = [codes[i::len(devices)] for i in range(len(devices))]
    interval = len(devices) / rate

    async def main():
        start = time.monotonic()
        await asyncio.gather(*(device_loop(port, token, device_id, per_device[i], interval,
                                           start + i * interval / len(devices), start + seconds, log)
                               for i, (device_id, token) in enumerate(devices)))

    asyncio.run(main())
    return log


# --------------------------------------------------------------------------- analysis

def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))]


def match(log: list, received: list) -> tuple[list[float], list[float], int]:
    from datetime import datetime

    by_device: dict[str, list] = {}
    for device_id, sent, answered, _ in log:
        by_device.setdefault(device_id, []).append((sent, answered))
    door, commit, unmatched = [], [], 0
    for arrived, kind, device_id, at, _ in received:
        if kind != "scan":
            continue
        at_s = datetime.fromisoformat(at).timestamp()
        window = next(((s, a) for s, a in by_device.get(device_id, []) if s - 0.002 <= at_s <= a + 0.002), None)
        if window is None:
            unmatched += 1
            continue
        door.append(max(0.0, arrived - window[1]))
        commit.append(max(0.0, arrived - at_s))
    return door, commit, unmatched


def counts_lag(log: list, received: list) -> list[float]:
    """For the k-th accepted scan (by response time), how long until a gate_counts message showed
    at least k accepted scans."""
    answered = sorted(a for _, _, a, result in log if result == "accepted")
    counts = [(arrived, accepted) for arrived, kind, _, _, accepted in received if kind == "gate_counts"]
    lags, j = [], 0
    for k, t in enumerate(answered, start=1):
        while j < len(counts) and counts[j][1] < k:
            j += 1
        if j == len(counts):
            break
        lags.append(max(0.0, counts[j][0] - t))
    return lags


def publish_cost(event_id: str) -> tuple[float, float]:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from core import live

    n = 20_000
    started = time.perf_counter()
    for i in range(n):
        live.publish_event(event_id, {"type": "bench", "i": i})
    queued = (time.perf_counter() - started) / n * 1e6
    live.flush(30)
    layer = get_channel_layer()
    send = async_to_sync(layer.group_send)
    m = 1000
    started = time.perf_counter()
    for i in range(m):
        send(live.group_name(event_id + "-x"), {"type": "live.message", "message": {"type": "bench"}})
    direct = (time.perf_counter() - started) / m * 1e6
    return queued, direct


def gate_counts_cost(event_id: str, extra_rows: int) -> tuple[int, float]:
    """Pad the event's scan table with synthetic rejected scans spread over three hours (the live
    tiles aggregate the whole table), then time selectors.gate_counts(): what each ASGI process
    pays at most once per second while scans flow."""
    from django.db import connection

    from devices.models import Device
    from live import selectors

    device = Device.objects.filter(event_id=event_id).select_related("checkpoint").first()
    with connection.cursor() as cur:
        cur.execute(
            """INSERT INTO access_scan (scan_id, device_id, event_id, checkpoint_id, direction, result, reason, code,
                                        first_entry, mode, quarantined, late, server_time, response)
               SELECT gen_random_uuid(), %s, %s, c.checkpoint_id, 'in', 'rejected', 'not_sold', '', false, 'online',
                      false, false, now() - make_interval(secs => random() * 10800), '{}'::jsonb
                 FROM generate_series(1, %s) g
                 JOIN LATERAL (SELECT checkpoint_id FROM access_checkpoint WHERE event_id = %s
                                ORDER BY random() + g * 0 LIMIT 1) c ON true""",
            [device.device_id, event_id, extra_rows, event_id])
        cur.execute("ANALYZE access_scan")
        cur.execute("SELECT count(*) FROM access_scan WHERE event_id = %s", [event_id])
        rows = cur.fetchone()[0]
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        selectors.gate_counts(event_id)
        timings.append(time.perf_counter() - started)
    return rows, statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rate", type=float, default=500, help="total scans per second")
    parser.add_argument("--devices", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--table-rows", type=int, default=300_000,
                        help="synthetic scans added afterwards to time gate_counts on a big table")
    args = parser.parse_args()
    seats = int(args.rate * args.seconds * 1.2) + 1000
    setup_django(DB)
    event, codes, tokens, session = prepare(seats, args.devices)
    from devices.models import Device, hash_token

    by_hash = dict(Device.objects.filter(event=event).values_list("token_hash", "device_id"))
    devices = [(by_hash[hash_token(t)], t) for t in tokens]
    forged = [c[:-6] + "AAAAAA" for c in codes[:: 33]]
    workload = codes[: seats - 1000]
    for i, bad in enumerate(forged):
        workload.insert(i * 33, bad)

    granian, url = start_granian(workers=args.workers, threads=args.threads)
    daphne, ws_port = start_daphne()
    ctx = multiprocessing.get_context("spawn")
    ready, stop, out = ctx.Event(), ctx.Event(), ctx.Queue()
    listener = ctx.Process(target=dashboard, args=(ws_port, event.event_id, session, ready, stop, out))
    listener.start()
    try:
        if not ready.wait(30):
            raise RuntimeError("the dashboard socket did not connect")
        http_port = int(url.rsplit(":", 1)[1])
        started = time.monotonic()
        log = drive(http_port, devices, workload, args.rate, args.seconds)
        elapsed = time.monotonic() - started
        # Let the last messages and one more gate_counts tick arrive (bounded wait for a bench).
        time.sleep(2.5)
        stop.set()
        received = out.get(timeout=30)
        listener.join(10)
        queued_us, direct_us = publish_cost(event.event_id)
    finally:
        stop.set()
        if listener.is_alive():
            listener.terminate()
        for proc in (granian, daphne):
            proc.terminate()
            proc.wait(10)

    table_rows, counts_ms = gate_counts_cost(event.event_id, args.table_rows)
    door, commit, unmatched = match(log, received)
    lag = counts_lag(log, received)
    scans = sum(1 for r in received if r[1] == "scan")
    accepted = sum(1 for *_, result in log if result == "accepted")
    load = os.getloadavg()[0]
    print(f"machine: {machine()}, load average {load:.1f} at the end; granian {args.workers} workers x "
          f"{args.threads} threads, daphne 1 process, Redis channel layer, {args.devices} devices")
    print(f"load: {len(log)} scans in {elapsed:.1f}s = {len(log) / elapsed:.0f} scans/s "
          f"(target {args.rate:.0f}/s; {accepted} accepted, {len(log) - accepted} rejected)")
    if errors:
        print(f"HTTP errors: {len(errors)}, first: {errors[0]}")
    print(f"dashboard received {scans} scan messages ({unmatched} unmatched, {len(log) - scans} missing)")
    if door:
        print(f"door -> dashboard:   p50 {pct(door, 50) * 1000:.1f} ms, p99 {pct(door, 99) * 1000:.1f} ms, "
              f"max {max(door) * 1000:.1f} ms")
        print(f"commit -> dashboard: p50 {pct(commit, 50) * 1000:.1f} ms, p99 {pct(commit, 99) * 1000:.1f} ms, "
              f"mean {statistics.mean(commit) * 1000:.1f} ms")
    if lag:
        print(f"gate_counts tiles (DB-derived, coalesced to 1/s): lag p50 {pct(lag, 50) * 1000:.0f} ms, "
              f"p99 {pct(lag, 99) * 1000:.0f} ms")
    print(f"gate_counts from the database with {table_rows} scan rows in the event: {counts_ms:.0f} ms")
    print(f"publish_event() in the request thread: {queued_us:.1f} us/call (queue append); "
          f"async_to_sync(group_send) per call: {direct_us:.0f} us")


if __name__ == "__main__":
    main()
