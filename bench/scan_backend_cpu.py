"""Usage: .venv/bin/python bench/scan_backend_cpu.py DATABASE [TICKETS [FOLD_EVERY]]   (a database
bench/scan_pgbench.py or bench/scan_http.py left behind, e.g. BENCH_DATABASE_NAME=... of either run)

CPU seconds of the PostgreSQL backend per scan through access_scan_ticket (in then out, distinct
never-scanned tickets, one transaction each): robust to a loaded machine, unlike wall time.
FOLD_EVERY > 0: a second connection calls counters_fold(event) after every FOLD_EVERY scans, as a
dashboard does, and its backend's CPU per scan counted is printed apart (docs/adr/0033, "Counting
off the scan path"; a tree without counters_fold has nothing to fold)."""
import sys
import time

import psycopg

db, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2550
fold_every = int(sys.argv[3]) if len(sys.argv) > 3 else 0
url = f"postgres://postgres@127.0.0.1:5432/{db}"
with psycopg.connect(url, autocommit=True) as conn, psycopg.connect(url, autocommit=True) as folder:
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    fold_pid = folder.execute("SELECT pg_backend_pid()").fetchone()[0]
    if not folder.execute("SELECT to_regprocedure('counters_fold(text)') IS NOT NULL").fetchone()[0]:
        fold_every = 0
    dev, ev, cp = conn.execute("SELECT d.device_id, d.event_id, d.checkpoint_id FROM devices_device d "
                               "JOIN tickets_ticket t ON t.event_id = d.event_id LIMIT 1").fetchone()
    tickets = [r[0] for r in conn.execute(
        "SELECT ticket_id FROM tickets_ticket WHERE event_id = %s AND NOT access_status AND NOT status "
        "ORDER BY id DESC LIMIT %s", [ev, n]).fetchall()]
    sql = ("SELECT access_scan_ticket(%s, %s, %s, '{}'::text[], 'both', %s, 'x', %s, gen_random_uuid(), NULL, NULL, "
           "'online', false)")
    for t in tickets[:50]:  # warm-up: plans, caches
        conn.execute(sql, [dev, ev, cp, t, "in"])
    def cpu(of=pid):
        f = open(f"/proc/{of}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / 100.0
    if fold_every:
        folder.execute("SELECT counters_fold(%s)", [ev])
    c0, f0, w0 = cpu(), cpu(fold_pid), time.perf_counter()
    done = 0
    for direction in ("in", "out"):
        for t in tickets[50:]:
            conn.execute(sql, [dev, ev, cp, t, direction])
            done += 1
            if fold_every and done % fold_every == 0:
                folder.execute("SELECT counters_fold(%s)", [ev])
    if fold_every:
        folder.execute("SELECT counters_fold(%s)", [ev])
    c1, f1, w1 = cpu(), cpu(fold_pid), time.perf_counter()
    scans = 2 * len(tickets[50:])
    fold = f", the fold's backend {1000 * (f1 - f0) / scans:.3f} ms/scan" if fold_every else ""
    print(f"{db}: {scans} scans, backend CPU {1000 * (c1 - c0) / scans:.3f} ms/scan{fold}, "
          f"wall {1000 * (w1 - w0) / scans:.2f} ms/scan")
