"""The scan lane's CPU per scan in one process, this tree against another, batches alternated.

    git worktree add --detach ../before <commit> && ln -s "$PWD/.venv" ../before/.venv
    .venv/bin/python bench/scan_lane_cpu.py ../before [--batches 30] [--batch 300]

Two worker processes, one per tree, each with its own database (`bench_lane_before`,
`bench_lane_after`) of distinct sold tickets and one paired phone, call
`ticketcore.scan_lane.ScanLane.answer` on real scans, no server, no network but the database's.
The driver asks them for a batch in turn (before/after, then after/before), so both see the same
moments of a machine whose speed changes from one minute to the next, and prints each side's median
thread CPU per scan and the median of the per-batch ratios after/before with its quartiles. Thread
CPU (`time.thread_time`) is the lane's own Python and C work (the Ed25519 check, the database
driver's side); the database's CPU is not in it. docs/benchmarks.md keeps the results."""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent


def worker(batch: int, batches: int) -> None:
    """One tree's side: prepare, then answer 'go' lines with one batch's CPU per scan in us."""
    os.environ.update(THROTTLE_SCAN_PER_MIN="1000000", THROTTLE_DEVICE_PER_MIN="1000000", DEBUG="false",
                      LOG_LEVEL="WARNING")
    sys.path.insert(0, os.getcwd())
    from common import setup_django

    setup_django(os.environ["LANE_DB"])
    from scan_http import prepare

    event, codes, tokens = prepare(300 + batch * (batches + 1), 1)
    from ticketcore.scan_lane import ScanLane

    lane = ScanLane()

    def environ(code: str) -> dict:
        body = json.dumps({"code": code, "direction": "in", "scan_id": str(uuid.uuid4())}).encode()
        return {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/scan", "SCRIPT_NAME": "", "QUERY_STRING": "",
                "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8001", "SERVER_PROTOCOL": "HTTP/1.1",
                "REMOTE_ADDR": "127.0.0.1", "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http",
                "HTTP_HOST": "127.0.0.1:8001", "CONTENT_TYPE": "application/json",
                "CONTENT_LENGTH": str(len(body)), "HTTP_AUTHORIZATION": f"Device {tokens[0]}",
                "HTTP_ACCEPT": "*/*", "HTTP_USER_AGENT": "wrk"}

    position = 0

    def run(n: int) -> float:
        nonlocal position
        requests = [environ(c) for c in codes[position:position + n]]
        position += n
        started = time.thread_time()
        for request in requests:
            answer = lane.answer(request)
            if answer is None or answer[0] != 200:
                raise SystemExit(f"the lane did not answer a plain scan: {answer}")
        return (time.thread_time() - started) / n * 1e6

    run(300)  # warm: the connection, the prepared statement, the signing key
    print("ready", flush=True)
    for _line in sys.stdin:
        print(f"{run(batch):.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before", nargs="?", help="the other tree (a git worktree with .venv linked)")
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--batch", type=int, default=300)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.batch, args.batches)
    if not args.before:
        parser.error("the other tree is required")
    sides = {"before": Path(args.before).resolve(), "after": HERE.parent}
    procs = {}
    for name, root in sides.items():
        # Both sides run THIS script and bench/ helpers, against their own tree's product code.
        env = dict(os.environ, LANE_DB=f"bench_lane_{name}", CACHE_KEY_PREFIX=f"lane_{name}",
                   PYTHONPATH=f"{root}{os.pathsep}{HERE}")
        procs[name] = subprocess.Popen(
            [sys.executable, str(HERE / "scan_lane_cpu.py"), "--worker", "--batch", str(args.batch),
             "--batches", str(args.batches)], cwd=root, env=env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for name, proc in procs.items():
        while (line := proc.stdout.readline()) and line.strip() != "ready":
            pass
        if not line:
            raise SystemExit(f"the {name} side failed to start (run it alone to see why)")
    results: dict[str, list[float]] = {"before": [], "after": []}
    for k in range(args.batches):
        for name in (("before", "after") if k % 2 == 0 else ("after", "before")):
            procs[name].stdin.write("go\n")
            procs[name].stdin.flush()
            results[name].append(float(procs[name].stdout.readline()))
    for proc in procs.values():
        proc.stdin.close()
        proc.wait()
    ratios = [a / b for b, a in zip(results["before"], results["after"])]
    print(f"{args.batches} batches of {args.batch} scans, alternated")
    for name in sides:
        print(f"{name:7s} {sides[name]}: median thread CPU per scan {statistics.median(results[name]):.1f} us")
    quartiles = [round(q, 3) for q in statistics.quantiles(ratios, n=4)]
    print(f"after/before per batch: median {statistics.median(ratios):.3f}, quartiles {quartiles}")


if __name__ == "__main__":
    main()
