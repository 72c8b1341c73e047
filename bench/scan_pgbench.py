"""The scan decision function alone, without Python: pgbench calls `access_scan_ticket` for
random sold tickets ('in' scans) with 1 and 8 clients, one scan per transaction; then, with the
largest client count, `batch` scans per transaction (one commit for them, as the web front's
scan lane commits a batch: docs/adr/0038).

    .venv/bin/python bench/scan_pgbench.py [--seconds 8] [--clients 1,8] [--seats 60000] [--batch 8] [--functions]

This is the database's share of an online scan (lock, decide, update, ledger, scan record,
triggers, commit), the ceiling for the HTTP path on the same 2 cores. As in bench/scan_http.py, a
dashboard folds the counters once a second meanwhile (`fold_every`; the counting is the
database's work too, docs/adr/0033). `measure()` returns the
figures for bench/run_all.py (`make bench`); its `ceiling_per_s` is the largest client count's,
one scan per transaction (issue 19's definition of the ceiling), and `ceiling_batched_per_s` the
same clients' with `batch` scans per transaction (0: not measured)."""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile

from common import BENCH_DB, machine, setup_django


def measure(*, seconds: float = 8, clients: tuple[int, ...] = (1, 8), seats: int = 60_000,
            quick: bool = False, fold_every: float = 1.0, batch: int = 8, functions: bool = False) -> dict:
    """{"pgbench_<n>_per_s", "pgbench_<n>_latency_ms" for each client count, "ceiling_per_s"}.
    Quick: 3 s per client count, 8 clients only, 10,000 seats."""
    if quick:
        seconds, clients, seats = min(seconds, 3), (max(clients),), min(seats, 10_000)
    if shutil.which("pgbench") is None:
        raise SystemExit("bench/scan_pgbench.py needs pgbench (Debian ships it with the server: postgresql-15)")
    setup_django()
    from scan_http import prepare

    event, _, _ = prepare(seats, 1, with_codes=False)
    from devices.models import Device

    device = Device.objects.select_related("checkpoint").get(event=event)
    def scan(n: str) -> str:
        return (f"\\set {n} random(1, {seats})\n"
                f"SELECT access_scan_ticket('{device.device_id}', '{event.event_id}', '{device.checkpoint_id}', "
                "'{}'::text[], 'both', "
                f"(SELECT ticket_id FROM tickets_ticket WHERE event_id = '{event.event_id}' AND seat_id = 'A-' || :{n}), "
                "'x', 'in', gen_random_uuid(), NULL, NULL, 'online', false);\n")

    figures: dict = {}
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(scan("n"))
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as batched:
        batched.write("BEGIN;\n" + "".join(scan(f"n{k}") for k in range(batch)) + "COMMIT;\n")
    from scan_http import Dashboard

    dashboard = Dashboard(event.event_id, fold_every) if fold_every else None  # as the HTTP run has
    def pgbench(n: int, script: str, env: dict | None = None) -> str:
        return subprocess.run(["pgbench", "-h", "127.0.0.1", "-U", "postgres", "-n", "-c", str(n), "-j", "2",
                               "-T", str(max(1, round(seconds))), "-f", script, BENCH_DB],
                              capture_output=True, text=True, check=True, env=env).stdout

    def tps(out: str) -> float:
        return float(re.search(r"tps = ([\d.]+)", out).group(1))

    try:
        if functions:  # first, while most seats are still outside (an accepted scan does the most)
            figures["functions"] = _function_shares(lambda env: pgbench(max(clients), f.name, env))
        for n in clients:
            out = pgbench(n, f.name)
            figures[f"pgbench_{n}_per_s"] = round(tps(out), 1)
            figures[f"pgbench_{n}_latency_ms"] = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))
        if batch:
            figures["ceiling_batched_per_s"] = round(tps(pgbench(max(clients), batched.name)) * batch, 1)
            figures["ceiling_batch"] = batch
    finally:
        if dashboard:
            dashboard.stop()
        os.unlink(f.name)
        os.unlink(batched.name)
    figures["ceiling_per_s"] = figures[f"pgbench_{max(clients)}_per_s"]
    figures["ceiling_clients"] = max(clients)
    return figures


def _function_shares(run) -> list[dict]:
    """One more run (one scan per transaction) with PostgreSQL's function statistics on
    (`track_functions = all` for pgbench's sessions): each PL/pgSQL function's calls and own time
    (its SQL included, the triggers it fires not), and that time as a share of the scan
    function's whole time. Wall time in the backends, so CPU waits are in it too: compare shares,
    not microseconds, between machines."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_stat_reset()")
    run(dict(os.environ, PGOPTIONS="-c track_functions=all"))
    with connection.cursor() as cur:
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute("SELECT funcname, calls, self_time, total_time FROM pg_stat_user_functions WHERE calls > 0 "
                    "ORDER BY self_time DESC")
        rows = cur.fetchall()
    whole = next((total for name, _c, _s, total in rows if name == "access_scan_ticket"), 0) or 1
    return [{"function": name, "calls": calls, "self_us_per_call": round(own / calls * 1000, 1),
             "share": round(own / whole, 3)} for name, calls, own, _total in rows]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--clients", default="1,8", help="comma-separated client counts, one run each")
    parser.add_argument("--seats", type=int, default=60_000)
    parser.add_argument("--batch", type=int, default=8, help="scans per transaction in the batched run (0: none)")
    parser.add_argument("--functions", action="store_true",
                        help="one more run with track_functions on: where the scan function's time goes")
    args = parser.parse_args()
    clients = tuple(int(c) for c in args.clients.split(","))
    figures = measure(seconds=args.seconds, clients=clients, seats=args.seats, batch=args.batch,
                      functions=args.functions)
    print(f"machine: {machine()}")
    for n in clients:
        print(f"scan function, {n} client(s): {figures[f'pgbench_{n}_per_s']:.0f} scans/s, "
              f"mean latency {figures[f'pgbench_{n}_latency_ms']} ms")
    if args.batch:
        print(f"scan function, {max(clients)} client(s), {args.batch} scans per transaction: "
              f"{figures['ceiling_batched_per_s']:.0f} scans/s")
    if args.functions:
        print(f"where the scan function's time goes ({max(clients)} clients, one scan per transaction; "
              "own time, triggers apart, as a share of access_scan_ticket's whole time):")
        for row in figures["functions"]:
            print(f"  {row['function']:32s} {row['calls']:>8,} calls  {row['self_us_per_call']:>7.1f} us/call  "
                  f"{row['share']:>6.1%}")


if __name__ == "__main__":
    main()
