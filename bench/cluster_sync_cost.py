"""What synchronous replication costs a scan, measured through the cluster's load balancer.

Brings up a cluster (CLUSTER_ID 8 unless set), pairs devices, and drives online scans of
tickets through HAProxy (each scan commits: an admission, or a refusal with its scan record) with CLIENTS keep-alive clients for PHASE_S seconds per phase, in
the order synchronous_mode on / off / on (Patroni's dynamic configuration, PATCH /config), so a
drift of the machine shows up as a difference between the two "on" phases. Prints answered
scans/s and p50/p99 latency per phase; the cluster is torn down afterwards.

    sudo .venv/bin/python bench/cluster_sync_cost.py [--clients 8] [--phase 20] [--keep]
Results: docs/ha.md and docs/adr/0022."""
from __future__ import annotations

import argparse
import http.client
import itertools
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


def phase(c: Cluster, devices: list[dict], tickets: list[dict], seconds: float) -> dict:
    latencies: list[float] = []
    results = {"accepted": 0, "other": 0, "errors": 0}
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    pool = itertools.cycle(tickets)

    def client(device: dict) -> None:
        conn = http.client.HTTPConnection(c.lb, PORTS["http"], timeout=10)
        auth = f"Device {device['token']}"
        while time.monotonic() < stop:
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

    threads = [threading.Thread(target=client, args=(d,)) for d in devices]
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
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--phase", type=float, default=20)
    parser.add_argument("--keep", action="store_true", help="leave the cluster running")
    args = parser.parse_args()
    c = Cluster()
    try:
        ops.up(c, demo=False)
        out = ops.manage(c, ["ensure_admin", "bench", "bench-admin-pass-1"])
        token = next(l.split("=", 1)[1] for l in out.splitlines() if l.startswith("ADMIN_TOKEN="))
        event_id, sold = create_event(c.url, token, tickets=12000)
        devices = pair_devices(c.url, token, event_id, args.clients)
        per_phase = len(sold) // 4
        report = {"clients": args.clients, "phase_s": args.phase, "phases": []}
        phase(c, devices, sold[:500], 5)  # warm-up: connections, prepared statements, caches
        for i, on in enumerate((True, False, True)):
            set_sync(c, on)
            result = phase(c, devices, sold[500 + i * per_phase: 500 + (i + 1) * per_phase], args.phase)
            result["synchronous_mode"] = on
            report["phases"].append(result)
            print(json.dumps(result), flush=True)
        (c.dir / "sync-cost.json").write_text(json.dumps(report, indent=1))
    finally:
        if not args.keep:
            ops.down(c, quiet=True)


if __name__ == "__main__":
    main()
