"""Firestore mirror throughput against the Firestore emulator: a door rush, and a generation.

    .venv/bin/python bench/mirror.py --rush [--rate 1800] [--seconds 60] [--drainers 2] [--per-transaction 8]
    .venv/bin/python bench/mirror.py --cost [--docs 20000] [--rounds 5]
    .venv/bin/python bench/mirror.py [--seats 100000] [--workers 1,2] [--sales 10000] [--verify]

Door rush (`--rush`, and `measure()` for bench/run_all.py): an event of sold tickets, all of
them already in Firestore; pgbench calls the scan function `access_scan_ticket` (the database's
whole share of an accepted scan: lock, decide, update, ledger, scan record, outbox triggers) for
distinct tickets at `--rate` accepted scans/s (0: as fast as the machine goes) for `--seconds`,
`--per-transaction` scans to a commit as the scan lane commits them (docs/adr/0038),
while `--drainers` drain processes mirror the outbox. Every second the outbox's pending rows and
the age of its oldest row (the lag: how long ago the oldest change not yet in Firestore was
committed) are sampled. Fill/s = outbox rows queued during the rush / rush time; drain/s =
documents acknowledged / rush time; then the time to catch up after the rush. A bounded lag is
a lag that does not grow: `mirror_lag_end_s` stays near `mirror_lag_max_s`'s early values and
pending rows stop growing. The doors' HTTP stack is not in the loop (its CPU would compete with
the drainers; the rate stands for it): compare `--rate` with bench/scan_http.py's accepted/s.

Drain cost (`--cost`): where one drainer's CPU goes per document, with nothing else running: an
event's tickets are scanned once (a ledger of two entries, as at the doors), their documents
mirrored, then `--docs` of them queued again as updates and drained by this process (the rush's
path: a document this mirror wrote before, replaced under its remembered update_time), `--rounds`
times. Prints the drainer's Python, its PostgreSQL backend's and the emulator's CPU per document
(median round), the wall rate, and whether Firestore then equals PostgreSQL field by field.

Import it by path (importlib.util.spec_from_file_location("bench_mirror", "bench/mirror.py")):
as `import mirror` it is shadowed by the `mirror` app, or shadows it (Celery's Django fix-up puts
the working directory first on sys.path).

Generation (default mode):
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
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import timedelta

from common import ROOT, free_port, machine, mark_all_sold, setup_django

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


def _django_ready() -> bool:
    try:
        from django.conf import settings

        return settings.configured and "mirror" in {a.split(".")[0] for a in settings.INSTALLED_APPS}
    except Exception:  # noqa: BLE001
        return False


def _outbox_state() -> tuple[int, float, int]:
    """(pending rows, age of the oldest in seconds, last row id queued)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*), coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0), "
                    "(SELECT last_value FROM ticketcore_outbox_id_seq) FROM ticketcore_outbox")
        count, age, last = cur.fetchone()
    return int(count), float(age), int(last)


def _prepare_rush(seats: int):
    """A sold-out event whose documents are all in Firestore; returns (event, device)."""
    from django.db import connection
    from django.utils import timezone

    from devices.models import Device
    from devices.services import create_device, pair_device
    from events.services import ZoneSpec, create_checkpoint, create_event, setup_zones
    from mirror.drainer import drain
    from tickets.services import generate_tickets

    now = timezone.now()
    event = create_event(name="Mirror rush", date_start=now + timedelta(hours=1), date_end=now + timedelta(hours=6))
    setup_zones(event_id=event.event_id, status=True,
                zones=[ZoneSpec(zone_id="A", name="Floor", color="#C0392B", seats=seats, reentry=True)])
    generate_tickets(event_id=event.event_id)
    mark_all_sold(event)  # all sold (bench set-up, not a service path)
    with connection.cursor() as cur:
        # Set-up shortcut: the drain reads each document's current state, so the generation's
        # insert rows alone create the documents as sold; their update rows add nothing.
        cur.execute("DELETE FROM ticketcore_outbox WHERE kind = 'ticket' AND op = 'U' AND event_id = %s",
                    [event.event_id])
    cp = create_checkpoint(event_id=event.event_id, name="Main gate")
    pair_device(pairing_code=create_device(event_id=event.event_id, name="phone",
                                           checkpoint_id=cp.checkpoint_id).pairing_code)
    procs = _start_drainers(2, seconds=None)
    _stop_drainers(procs, until_empty=True)
    drain(until_empty=True, deadline=600)
    return event, Device.objects.get(event=event)


def _start_drainers(count: int, *, seconds: float | None, batch_size: int | None = None) -> list:
    """Drainer processes: each runs drain() in a loop (what a busy Celery worker does) until
    stdin closes; they report their totals on stdout."""
    args = [sys.executable, str(ROOT / "bench" / "mirror.py"), "--drain-loop"]
    if batch_size:
        args += ["--batch-size", str(batch_size)]
    procs = [subprocess.Popen(args, cwd=ROOT, env=dict(os.environ), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True) for _ in range(count)]
    for p in procs:
        line = p.stdout.readline().strip()  # each drainer is warm before the clock starts
        if line != "ready":
            raise RuntimeError(f"a drainer did not start: {line!r}")
    return procs


def _stop_drainers(procs: list, *, until_empty: bool = False) -> dict:
    totals = {"written": 0, "acked": 0, "batches": 0}
    for p in procs:
        p.stdin.write("empty\n" if until_empty else "stop\n")
        p.stdin.flush()
    for p in procs:
        out, _ = p.communicate(timeout=1800)
        if p.returncode:
            raise RuntimeError(f"a drainer failed: {out}")
        for k, v in (kv.split("=") for kv in out.split()):
            totals[k] += int(v)
    return totals


def _drain_loop(batch_size: int | None) -> None:
    """Child mode: drain until told to stop on stdin ('stop': now; 'empty': once the outbox is empty)."""
    import select

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ticketcore.settings")
    import django

    django.setup()
    from mirror.drainer import drain, pending_count

    totals = {"written": 0, "acked": 0, "batches": 0}
    command = None
    drain(batch_size=batch_size, max_batches=1)  # connections, client and channel up before the rush
    print("ready", flush=True)
    while True:
        result = drain(batch_size=batch_size, time_budget=1.0)
        for k in totals:
            totals[k] += getattr(result, k)
        if command is None and select.select([sys.stdin], [], [], 0)[0]:
            command = sys.stdin.readline().strip() or "stop"
        if command == "stop" or (command == "empty" and not result.acked and pending_count() == 0):
            break
        if not result.acked:
            time.sleep(0.02)  # nothing this worker may take right now: poll again shortly
    print(" ".join(f"{k}={v}" for k, v in totals.items()))


def measure(*, rate: int = 1800, seconds: int = 60, drainers: int = 2, seats: int | None = None,
            batch_size: int | None = None, clients: int = 8, verify: bool = False,
            per_transaction: int = 8) -> dict:
    """Door rush against the emulator (see the module docstring). Uses the caller's Django set-up
    if there is one, else a fresh BENCH_DATABASE_NAME database. `per_transaction` scans commit
    together, as the web front's scan lane commits the scans waiting at once (docs/adr/0038: 8 on
    average in a rush); `rate` counts scans, not transactions."""
    emulator, host = start_emulator()
    project = f"bench-{uuid.uuid4().hex[:8]}"
    saved = {k: os.environ.get(k) for k in ("FIRESTORE_EMULATOR_HOST", "FIRESTORE_PROJECT_ID", "FIRESTORE_MIRROR_KICK")}
    os.environ.update(FIRESTORE_EMULATOR_HOST=host, FIRESTORE_PROJECT_ID=project, FIRESTORE_MIRROR_KICK="false")
    saved_settings = None
    try:
        if not _django_ready():
            os.environ.setdefault("LOG_LEVEL", "WARNING")
            setup_django(DB_NAME)
        from django.conf import settings

        saved_settings = (settings.FIRESTORE_EMULATOR_HOST, settings.FIRESTORE_PROJECT_ID, settings.FIRESTORE_MIRROR_KICK)
        settings.FIRESTORE_EMULATOR_HOST, settings.FIRESTORE_PROJECT_ID = host, project
        settings.FIRESTORE_MIRROR_KICK = False
        from django.db import connection

        from mirror.client import reset_clients
        from mirror.repair import diff_event

        reset_clients()
        db = connection.settings_dict
        seats = seats or max(20_000, int((rate or 4000) * seconds * 1.3))  # clients' shares differ a little
        event, device = _prepare_rush(seats)
        per_transaction = max(1, per_transaction)
        # Each client counts its own seats (pgbench keeps a client's variables from one
        # transaction to the next): distinct tickets without a round trip to PostgreSQL, so the
        # rush costs the database what the doors' scans cost, no more.
        scan = (
            "\\set k :k + 1\n"
            f"\\set n :k * {clients} + :client_id + 1\n"
            f"SELECT access_scan_ticket('{device.device_id}', '{event.event_id}', '{device.checkpoint_id}', "
            "'{}'::text[], 'both', "
            f"(SELECT ticket_id FROM tickets_ticket WHERE event_id = '{event.event_id}' "
            "AND seat_id = 'A-' || :n), "
            "'x', 'in', gen_random_uuid(), NULL, NULL, 'online', false);\n")
        script = scan if per_transaction == 1 else "BEGIN;\n" + scan * per_transaction + "COMMIT;\n"
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
            f.write(script)
        _, _, first_id = _outbox_state()
        procs = _start_drainers(drainers, seconds=seconds, batch_size=batch_size)
        env = dict(os.environ, PGPASSWORD=db.get("PASSWORD") or "")
        bench = ["pgbench", "-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432), "-U",
                 db.get("USER") or "postgres", "-n", "-c", str(clients), "-j", "2", "-T", str(seconds), "-D", "k=0", "-f", f.name]
        if rate:
            bench += ["-R", str(max(1, round(rate / per_transaction)))]
        started = time.monotonic()
        try:
            pg = subprocess.Popen(bench + [db["NAME"]], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
            samples = []  # (t, pending, lag)
            while pg.poll() is None:
                pending, lag, _ = _outbox_state()
                samples.append((round(time.monotonic() - started, 1), pending, round(lag, 2)))
                time.sleep(1.0)
            rush = time.monotonic() - started
            out, err = pg.communicate()
            if pg.returncode:
                raise RuntimeError(f"pgbench failed: {err[-2000:]}")
        except BaseException:
            for p in procs:
                p.kill()
                p.wait()
            raise
        finally:
            os.unlink(f.name)
        pending_end, lag_end, last_id = _outbox_state()
        queued = last_id - first_id
        drained_in_rush = queued - pending_end
        catch_start = time.monotonic()
        totals = _stop_drainers(procs, until_empty=True)
        catch_up = time.monotonic() - catch_start
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM tickets_ticket WHERE event_id = %s AND access_status", [event.event_id])
            accepted = cur.fetchone()[0]
        diff = diff_event(event.event_id) if verify else None
        # Lag over the second half of the rush against the first: growing means not keeping up.
        half = [s for s in samples if s[0] >= rush / 2] or samples
        first = [s for s in samples if s[0] < rush / 2] or samples
        return {
            "mirror_fill_per_s": round(queued / rush, 1),
            "mirror_drain_per_s": round(drained_in_rush / rush, 1),
            "mirror_lag_max_s": max(s[2] for s in samples) if samples else 0.0,
            "mirror_lag_end_s": round(lag_end, 2),
            "mirror_lag_first_half_max_s": max(s[2] for s in first) if first else 0.0,
            "mirror_lag_second_half_max_s": max(s[2] for s in half) if half else 0.0,
            "mirror_pending_max": max(s[1] for s in samples) if samples else 0,
            "mirror_pending_end": pending_end,
            "mirror_catch_up_s": round(catch_up, 1),
            "mirror_equal": diff.ok if diff is not None else None,
            "accepted_scans_per_s": round(accepted / rush, 1),
            "pgbench_tps": float(re.search(r"tps = ([\d.]+)", out).group(1)),
            "scans_attempted": int(re.search(r"actually processed: (\d+)", out).group(1)) * per_transaction,
            "scans_accepted": accepted,
            "scans_per_transaction": per_transaction,
            "drainers": drainers, "rate_target": rate, "rush_s": round(rush, 1),
            "documents_written": totals["written"], "samples": samples,
        }
    finally:
        if saved_settings is not None:
            from django.conf import settings

            settings.FIRESTORE_EMULATOR_HOST, settings.FIRESTORE_PROJECT_ID, settings.FIRESTORE_MIRROR_KICK = saved_settings
            from mirror.client import reset_clients

            reset_clients()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if emulator is not None:
            os.killpg(emulator.pid, signal.SIGKILL)
            emulator.wait()


def cost(*, docs: int = 20_000, rounds: int = 5, batch_size: int | None = None) -> dict:
    """The drain's CPU per document by component (see the module docstring)."""
    with _emulator_and_database() as (emulator, _host, _project):
        from django.db import connection

        from common import cpu_seconds_of, session_pids
        from mirror.drainer import drain

        event, device = _prepare_rush(docs)
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM tickets_ticket t, LATERAL access_scan_ticket(%s, %s, %s, '{}'::text[], 'both', "
                "t.ticket_id, 'x', 'in', gen_random_uuid(), NULL, NULL, 'online', false) s WHERE t.event_id = %s",
                [device.device_id, event.event_id, device.checkpoint_id, event.event_id])
            cur.execute("SELECT pg_backend_pid()")
            backend = cur.fetchone()[0]
        drain(until_empty=True, deadline=600, batch_size=batch_size)  # the scans' documents, not timed
        java = session_pids(emulator.pid) if emulator is not None else []
        per_round = []
        for _ in range(rounds):
            with connection.cursor() as cur:
                cur.execute("INSERT INTO ticketcore_outbox (kind, event_id, key, path, op) "
                            "SELECT 'ticket', event_id, doc_id, 'events/' || event_id || '/tickets/' || doc_id, 'U' "
                            "FROM tickets_ticket WHERE event_id = %s ORDER BY id", [event.event_id])
                queued = cur.rowcount
            before = (time.process_time(), cpu_seconds_of([backend]).get(backend, 0.0),
                      sum(cpu_seconds_of(java).values()), time.perf_counter())
            result = drain(until_empty=True, deadline=600, batch_size=batch_size)
            after = (time.process_time(), cpu_seconds_of([backend]).get(backend, 0.0),
                     sum(cpu_seconds_of(java).values()), time.perf_counter())
            assert result.written == queued, (result.written, queued)
            per_round.append([1e6 * (a - b) / queued for a, b in zip(after[:3], before[:3])]
                             + [queued / (after[3] - before[3])])
        mid = sorted(per_round, key=lambda r: sum(r[:3]))[len(per_round) // 2]
        from mirror.repair import diff_event

        return {"mirror_equal": diff_event(event.event_id).ok,"docs": docs, "rounds": rounds, "drainer_us_per_doc": round(mid[0], 1),
                "backend_us_per_doc": round(mid[1], 1), "emulator_us_per_doc": round(mid[2], 1),
                "total_us_per_doc": round(sum(mid[:3]), 1), "docs_per_s": round(mid[3]),
                "rounds_drainer_us": [round(r[0], 1) for r in per_round]}


@contextlib.contextmanager
def _emulator_and_database():
    """An emulator (started unless FIRESTORE_EMULATOR_HOST answers) with a fresh project, and
    Django on a fresh DB_NAME database pointed at them; the emulator stops on exit."""
    emulator, host = start_emulator()
    project = f"bench-{uuid.uuid4().hex[:8]}"
    os.environ.update(FIRESTORE_EMULATOR_HOST=host, FIRESTORE_PROJECT_ID=project, FIRESTORE_MIRROR_KICK="false",
                      LOG_LEVEL="WARNING")
    try:
        setup_django(DB_NAME)
        yield emulator, host, project
    finally:
        if emulator is not None:
            os.killpg(emulator.pid, signal.SIGKILL)
            emulator.wait()


def main() -> None:
    if "--cost" in sys.argv:
        parser = argparse.ArgumentParser()
        parser.add_argument("--cost", action="store_true")
        parser.add_argument("--docs", type=int, default=20_000)
        parser.add_argument("--rounds", type=int, default=5)
        parser.add_argument("--batch-size", type=int, default=None)
        args = parser.parse_args()
        print(f"machine: {machine()}")
        for k, v in cost(docs=args.docs, rounds=args.rounds, batch_size=args.batch_size).items():
            print(f"{k}: {v}")
        return
    if "--drain-loop" in sys.argv:
        parser = argparse.ArgumentParser()
        parser.add_argument("--drain-loop", action="store_true")
        parser.add_argument("--batch-size", type=int, default=None)
        _drain_loop(parser.parse_args().batch_size)
        return
    if "--rush" in sys.argv:
        parser = argparse.ArgumentParser()
        parser.add_argument("--rush", action="store_true")
        parser.add_argument("--rate", type=int, default=1800, help="accepted scans/s pgbench aims at (0: unthrottled)")
        parser.add_argument("--seconds", type=int, default=60)
        parser.add_argument("--drainers", type=int, default=2)
        parser.add_argument("--clients", type=int, default=8)
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--per-transaction", type=int, default=8, help="scans committed together (docs/adr/0038)")
        parser.add_argument("--seats", type=int, default=None)
        parser.add_argument("--verify", action="store_true", help="field-by-field diff of the event afterwards")
        args = parser.parse_args()
        print(f"machine: {machine()}")
        result = measure(rate=args.rate, seconds=args.seconds, drainers=args.drainers, seats=args.seats,
                         batch_size=args.batch_size, clients=args.clients, verify=args.verify,
                         per_transaction=args.per_transaction)
        samples = result.pop("samples")
        print("t(s) pending lag(s): " + "  ".join(f"{t:.0f}:{p}/{lag:.1f}" for t, p, lag in samples))
        for k, v in result.items():
            print(f"{k}: {v}")
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--seats", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2", help="comma-separated drainer counts, one run each")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--sales", type=int, default=10_000, help="tickets sold after the last run (0: skip)")
    parser.add_argument("--verify", action="store_true", help="field-by-field diff after each run")
    args = parser.parse_args()

    with _emulator_and_database() as (_emulator, host, project):
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
            print(f"drain of {len(ids)} sales (guarded replace), 1 worker: {written} documents in "
                  f"{seconds:.1f} s = {written / seconds:,.0f} documents/s")


if __name__ == "__main__":
    main()
