"""granian's WSGI mode against the RSGI front of ticketcore/web.py (docs/adr/0020), A/B in one
session: the same scan load (wrk, distinct sold tickets) on `bin/ticketcore web` with
WEB_INTERFACE=wsgi and =rsgi, alternating, several rounds.

    .venv/bin/python bench/server_interface.py [--rounds 3] [--seconds 10]

Besides throughput and latency it reports the CPU time the server's own processes (granian main
and workers, read from /proc) spent per request, which other work on a shared machine disturbs
much less than requests/s."""
from __future__ import annotations

import argparse
import os
import statistics

from common import machine, setup_django, start_granian, stop_server


def tree_cpu_seconds(root: int) -> float:
    """CPU (user + system) of `root` and its children so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()
        if int(entry) == root or int(fields[1]) == root:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    from scan_http import ensure_wrk, prepare, run_wrk

    wrk = ensure_wrk()
    setup_django()
    _, codes, tokens = prepare(80_000, 32)
    results: dict[str, list[dict]] = {"wsgi": [], "rsgi": []}
    start = 0
    for _ in range(args.rounds):
        for mode in ("wsgi", "rsgi"):
            os.environ["WEB_INTERFACE"] = mode
            proc, url = start_granian(workers=2, threads=4)
            try:
                run_wrk(wrk, url, codes[start:start + 3000], tokens, seconds=2, connections=args.connections)
                start += 3000
                before = tree_cpu_seconds(proc.pid)
                out = run_wrk(wrk, url, codes[start:start + 30_000], tokens, seconds=args.seconds,
                              connections=args.connections)
                used = tree_cpu_seconds(proc.pid) - before
                start += 30_000
                if start + 33_000 > len(codes):
                    start = 0  # later rounds rescan: already_inside answers cost the same path
            finally:
                stop_server(proc)
            row = {"rps": float(out["rps"]), "p50": out["p50"], "p99": out["p99"], "errors": out["errors"],
                   "cpu_us": 1e6 * used / max(1, out["requests"])}
            results[mode].append(row)
            print(f"{mode}: {row['rps']:.0f} req/s, p50 {row['p50']}, p99 {row['p99']}, errors {row['errors']}, "
                  f"server CPU {row['cpu_us']:.0f} us/request, load {os.getloadavg()[0]:.1f}", flush=True)
    print(f"machine: {machine()}; bin/ticketcore web, 2 workers x 4 threads; wrk 2 threads, "
          f"{args.connections} connections, {args.seconds}s per run, {args.rounds} rounds alternating")
    for mode, rows in results.items():
        print(f"{mode}: median {statistics.median(r['rps'] for r in rows):.0f} req/s, "
              f"median server CPU {statistics.median(r['cpu_us'] for r in rows):.0f} us/request")


if __name__ == "__main__":
    main()
