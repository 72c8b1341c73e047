"""Usage: .venv/bin/python bench/scan_backend_cpu.py DATABASE [TICKETS]   (a database bench/scan_pgbench.py or
bench/scan_http.py left behind, e.g. BENCH_DATABASE_NAME=... of either run)

CPU seconds of the PostgreSQL backend per scan through access_scan_ticket (in then out, distinct
never-scanned tickets, one transaction each): robust to a loaded machine, unlike wall time."""
import sys
import time

import psycopg

db, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2550
with psycopg.connect(f"postgres://postgres@127.0.0.1:5432/{db}", autocommit=True) as conn:
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    dev, ev, cp = conn.execute("SELECT d.device_id, d.event_id, d.checkpoint_id FROM devices_device d "
                               "JOIN tickets_ticket t ON t.event_id = d.event_id LIMIT 1").fetchone()
    tickets = [r[0] for r in conn.execute(
        "SELECT ticket_id FROM tickets_ticket WHERE event_id = %s AND NOT access_status AND NOT status "
        "ORDER BY id DESC LIMIT %s", [ev, n]).fetchall()]
    sql = ("SELECT access_scan_ticket(%s, %s, %s, '{}'::text[], 'both', %s, 'x', %s, gen_random_uuid(), NULL, NULL, "
           "'online', false)")
    for t in tickets[:50]:  # warm-up: plans, caches
        conn.execute(sql, [dev, ev, cp, t, "in"])
    def cpu():
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / 100.0
    c0, w0 = cpu(), time.perf_counter()
    for direction in ("in", "out"):
        for t in tickets[50:]:
            conn.execute(sql, [dev, ev, cp, t, direction])
    c1, w1 = cpu(), time.perf_counter()
    scans = 2 * len(tickets[50:])
    print(f"{db}: {scans} scans, backend CPU {1000 * (c1 - c0) / scans:.3f} ms/scan, wall {1000 * (w1 - w0) / scans:.2f} ms/scan")
