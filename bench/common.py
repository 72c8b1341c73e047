"""Shared helpers for benchmarks: a dedicated database, a server process, timing."""
from __future__ import annotations

import base64
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get("BENCH_DATABASE_NAME", "ticketcore_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def setup_django(db_name: str = BENCH_DB, *, fresh: bool = True) -> None:
    """Point Django at a dedicated (by default freshly created) benchmark database and migrate it."""
    import psycopg

    if "django" in sys.modules:  # a second set-up in one process: let go of the old database first
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()
    if fresh:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{db_name}"')
    os.environ["DATABASE_URL"] = f"{PG}/{db_name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ticketcore.settings")
    os.environ.setdefault("CACHE_KEY_PREFIX", "bench")
    # Benchmarks run the production settings (DEBUG=false), which refuse to start without these;
    # the benchmark's own throwaway values, inherited by the servers it starts.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))
    os.environ.setdefault("SIGNING_KEYS_KEK", base64.urlsafe_b64encode(os.urandom(32)).decode())
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_granian(*, workers: int = 2, threads: int = 4, port: int | None = None) -> tuple[subprocess.Popen, str]:
    port = port or free_port()
    # The production shape: `bin/ticketcore web` (WEB_INTERFACE=wsgi measures granian's WSGI mode).
    env = dict(os.environ, DEBUG="false", LOG_LEVEL="WARNING", PYTHON=sys.executable,
               THROTTLE_SCAN_PER_MIN="1000000", THROTTLE_DEVICE_PER_MIN="1000000",
               PORT=str(port), WEB_WORKERS=str(workers), WEB_THREADS=str(threads), WEB_BACKLOG="2048")
    proc = subprocess.Popen([str(ROOT / "bin" / "ticketcore"), "web"], cwd=ROOT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1).read()
            return proc, url
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                stop_server(proc)
                raise RuntimeError("granian did not start")
            time.sleep(0.05)


def stop_server(proc: subprocess.Popen) -> None:
    """Stop a server started in its own session, workers included (no orphans after a crash)."""
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def machine() -> str:
    import platform

    return f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}"


def cpu_seconds_by_command() -> dict[str, float]:
    """CPU time (user + system) used so far by every running process, summed per command name
    (from /proc; Linux only). Two readings around a run say where the machine's cores went."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        totals[name] = totals.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return totals


def _stat_fields(pid: int | str) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2:].split()


def cpu_seconds_of(pids) -> dict[int, float]:
    """CPU time (user + system) used so far by each of these processes (gone ones are left out)."""
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            out[int(pid)] = (int(fields[11]) + int(fields[12])) / ticks
    return out


def session_pids(sid: int) -> list[int]:
    """Every process of one session: a server started with start_new_session=True and its workers."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(entry)
            if fields is not None and int(fields[3]) == sid:
                pids.append(int(entry))
    return pids


def backend_pids(db_name: str = BENCH_DB) -> list[int]:
    """The PostgreSQL backends connected to one database: its share of the server's CPU, apart
    from the other databases' (other sessions' tests) on a shared machine."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        return [row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [db_name])]


def cpu_split(before: dict[str, float], after: dict[str, float], requests: int) -> str:
    """'granian 0.52 ms, postgres 0.31 ms, ...' of CPU per request between two readings."""
    used = {name: after.get(name, 0.0) - before.get(name, 0.0) for name in after}
    top = sorted(((v, k) for k, v in used.items() if v > 0.05), reverse=True)[:6]
    per = ", ".join(f"{k} {1000 * v / max(1, requests):.2f} ms" for v, k in top)
    return f"CPU per request: {per} (total {1000 * sum(used.values()) / max(1, requests):.2f} ms)"


def mark_all_sold(event, *, chunk: int = 2_000) -> None:
    """Set-up shortcut, not a service path: every ticket of `event` sold, a chunk per transaction.
    The sales counter's row trigger (counters/migrations/0004) upserts one counters_sales row per
    ticket, and within one transaction each upsert walks the versions the earlier ones left: 50,000
    tickets in one UPDATE took 15 s of which 13.8 s in that trigger; in chunks about 5 s, the same
    at 250, 500 or 2,000 a chunk (what is left is each row's triggers, not the walk)."""
    from django.db import transaction

    from tickets.models import Ticket

    pks = list(Ticket.objects.filter(event=event, status=True).order_by("pk").values_list("pk", flat=True))
    for i in range(0, len(pks), chunk):
        with transaction.atomic():
            Ticket.objects.filter(pk__gte=pks[i], pk__lte=pks[min(i + chunk, len(pks)) - 1],
                                  event=event).update(status=False)
