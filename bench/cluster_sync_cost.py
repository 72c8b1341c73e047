"""What synchronous replication costs a scan, measured through the cluster's load balancer.

Brings up a cluster (CLUSTER_ID 8 unless set), pairs devices, and drives online scans through
HAProxy (each scan commits: an admission, or a refusal with its scan record) with 1 and with 8
keep-alive clients, --phase seconds per phase, synchronous_mode on and off alternating for
--rounds rounds (Patroni's dynamic configuration, PATCH /config). Prints answered scans/s and
p50/p99 latency per phase and the median per mode; the cluster is torn down afterwards.

    sudo .venv/bin/python bench/cluster_sync_cost.py [--clients 1,8] [--phase 8] [--rounds 3] [--keep]
Results: docs/ha.md and docs/adr/0022."""
from __future__ import annotations

import argparse
import http.client
import itertools
import statistics
import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CLUSTER_ID", "8")

from deploy import cluster as ops  # noqa: E402
from deploy.topology import PORTS, Cluster  # noqa: E402
from tests.cluster.drill import create_event, pair_devices  # noqa: E402


def set_sync(c: Cluster, on: bool) -> None:
    leader = ops.leader(c)
    status, body = ops.http_json(f"http://{c.address(leader)}:{PORTS['patroni']}/config", method="PATCH",
                                 body={"synchronous_mode": on}, timeout=10)
    assert status == 200, (status, body)
    want = "sync" if on else "async"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        states = [r.get("sync_state") for r in ops.replication(c)]
        if len(states) == 2 and (want in states if on else all(s == "async" for s in states)):
            return
        time.sleep(0.3)
    raise SystemExit(f"replication did not become {want}: {ops.replication(c)}")


def commit_latency(c: Cluster, n: int = 600, rounds: int = 3) -> list[dict]:
    """The replication cost alone: one-row INSERT commits on the leader through HAProxy, with
    synchronous_commit on (waits for the synchronous standby's flush) and local (does not),
    alternating. No app, no HTTP: the difference is what the standby round trip adds."""
    import psycopg

    from deploy.config import database_url, load_secrets

    url = database_url(c, "postgres", load_secrets(c)["superuser_password"], "postgres")
    times: dict[str, list[float]] = {"on": [], "local": []}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_commit (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())")
        for _ in range(rounds):
            for mode in ("on", "local"):
                conn.execute(f"SET synchronous_commit = {mode}")
                for _ in range(n):
                    t0 = time.perf_counter()
                    conn.execute("INSERT INTO bench_commit DEFAULT VALUES")
                    times[mode].append((time.perf_counter() - t0) * 1000)
        conn.execute("DROP TABLE bench_commit")
    out = []
    for mode, values in times.items():
        values.sort()
        out.append({"synchronous_commit": mode, "n": len(values),
                    "p50_ms": round(values[len(values) // 2], 3), "p99_ms": round(values[int(len(values) * 0.99)], 3)})
    return out


def phase(c: Cluster, devices: list[dict], clients: int, tickets: list[dict], seconds: float) -> dict:
    latencies: list[float] = []
    results = {"accepted": 0, "other": 0, "errors": 0}
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    pool = itertools.cycle(tickets)

    def client(mine: list[dict]) -> None:
        # each client rotates over several devices: one device alone would meet its scan
        # throttle (THROTTLE_SCAN_PER_MIN) long before the database
        conn = http.client.HTTPConnection(c.lb, PORTS["http"], timeout=10)
        auths = itertools.cycle([f"Device {d['token']}" for d in mine])
        while time.monotonic() < stop:
            auth = next(auths)
            with lock:
                ticket = next(pool, None)
            if ticket is None:
                return
            body = json.dumps({"code": ticket["code"], "direction": "in", "scan_id": str(uuid.uuid4())})
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/scan", body=body,
                             headers={"Authorization": auth, "Content-Type": "application/json"})
                resp = conn.getresponse()
                data = json.loads(resp.read())
                ok = resp.status == 200
            except (OSError, ValueError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(c.lb, PORTS["http"], timeout=10)
                ok, data = False, None
            elapsed = time.perf_counter() - t0
            with lock:
                if not ok:
                    results["errors"] += 1
                    continue
                latencies.append(elapsed * 1000)
                results["accepted" if data["result"] == "accepted" else "other"] += 1

    threads = [threading.Thread(target=client, args=(devices[i::clients],)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - started
    latencies.sort()
    pick = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1)  # noqa: E731
    answered = results["accepted"] + results["other"]
    return {**results, "seconds": round(took, 1), "scans_per_s": round(answered / took, 1),
            "p50_ms": pick(0.5), "p99_ms": pick(0.99)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", default="1,8", help="client counts to measure, comma-separated")
    parser.add_argument("--phase", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="leave the cluster running")
    args = parser.parse_args()
    c = Cluster()
    try:
        ops.up(c, demo=False)
        out = ops.manage(c, ["ensure_admin", "bench", "bench-admin-pass-1"])
        token = next(l.split("=", 1)[1] for l in out.splitlines() if l.startswith("ADMIN_TOKEN="))
        event_id, sold = create_event(c.url, token, tickets=12000)
        counts = [int(n) for n in args.clients.split(",")]
        devices = pair_devices(c.url, token, event_id, max(counts))
        # on and off alternate, several rounds: this machine's load drifts by more than the
        # difference being measured, so each mode gets the median of its rounds
        runs = [(n, on) for n in counts for _ in range(args.rounds) for on in (True, False)]
        per_phase = (len(sold) - 500) // len(runs)
        report = {"clients": counts, "phase_s": args.phase, "rounds": args.rounds, "phases": [], "summary": [],
                  "commit": commit_latency(c)}
        print("commit", json.dumps(report["commit"]), flush=True)
        phase(c, devices, max(counts), sold[:500], 5)  # warm-up: connections, prepared statements, caches
        for i, (n, on) in enumerate(runs):
            set_sync(c, on)
            result = phase(c, devices, n, sold[500 + i * per_phase: 500 + (i + 1) * per_phase], args.phase)
            result.update(clients=n, synchronous_mode=on)
            report["phases"].append(result)
            print(json.dumps(result), flush=True)
        for n in counts:
            for on in (True, False):
                mine = [p for p in report["phases"] if p["clients"] == n and p["synchronous_mode"] == on]
                row = {"clients": n, "synchronous_mode": on,
                       **{k: statistics.median(p[k] for p in mine) for k in ("scans_per_s", "p50_ms", "p99_ms")}}
                report["summary"].append(row)
                print("median", json.dumps(row), flush=True)
        (c.dir / "sync-cost.json").write_text(json.dumps(report, indent=1))
    finally:
        if not args.keep:
            ops.down(c, quiet=True)


if __name__ == "__main__":
    main()
