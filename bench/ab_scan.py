"""The scan path before and after a change, in one sitting: alternated rounds, each with its own
database ceiling, so a machine that is twice as fast today as yesterday cannot fake a difference.

    git worktree add --detach ../before <commit> && ln -s "$PWD/.venv" ../before/.venv
    .venv/bin/python bench/ab_scan.py ../before [--rounds 3] [--seconds 10] [--seats 30000]

Each round measures the scan function's ceiling (scan_pgbench, 8 clients; one scan per
transaction, and 8 per transaction as the scan lane commits them: docs/adr/0038), then the HTTP scans
(scan_http, 32 connections) of the "before" tree and of this tree, in that order, then reversed
the next round. Both sides run THIS tree's measuring code (bench/common.py, scan_http.py,
scan_pgbench.py, scan.lua, copied into the other tree's `.bench_ab/`), each against its own
server, migrations and database (`bench_ab_before`, `bench_ab_after`), so only the product's code
differs. Prints a table of accepted scans/s, the ratio to the round's ceiling, p50/p99 and the
server's CPU per scan (granian and the database backends apart); docs/benchmarks.md keeps the
results with the command that made them."""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MEASURING = ("common.py", "scan_http.py", "scan_pgbench.py", "scan.lua")
_RUN = """
import json, sys
sys.path.insert(0, {root!r}); sys.path.append({bench!r})
module = __import__({module!r})
json.dump(module.measure(**json.loads({options!r})), open({out!r}, "w"))
"""


def measure(tree: Path, bench: Path, module: str, options: dict, database: str) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        code = _RUN.format(root=str(tree), bench=str(bench), module=module, options=json.dumps(options), out=out.name)
        env = dict(os.environ, BENCH_DATABASE_NAME=database, PYTHONPATH=str(tree))
        subprocess.run([str(tree / ".venv" / "bin" / "python"), "-c", code], cwd=tree, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        return json.loads(Path(out.name).read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before", type=Path, help="a checkout of the commit to compare with (sharing the venv)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--seats", type=int, default=30_000)
    args = parser.parse_args()
    after_tree, before_tree = HERE.parent, args.before.resolve()
    copy = before_tree / ".bench_ab"
    copy.mkdir(exist_ok=True)
    for name in MEASURING:
        shutil.copy2(HERE / name, copy / name)
    sides = {"before": (before_tree, copy), "after": (after_tree, HERE)}
    http = {"seconds": args.seconds, "seats": args.seats, "warmup": 3, "hot": False}
    rows, ratios = [], {"before": [], "after": []}
    for round_ in range(1, args.rounds + 1):
        pg = measure(after_tree, HERE, "scan_pgbench", {"seconds": 6, "clients": [8], "seats": 20_000},
                     "bench_ab_ceiling")
        ceiling, batched = pg["ceiling_per_s"], pg.get("ceiling_batched_per_s")
        order = ("before", "after") if round_ % 2 else ("after", "before")
        for side in order:
            tree, bench = sides[side]
            f = measure(tree, bench, "scan_http", http, f"bench_ab_{side}")
            ratio = f["http_accepted_per_s"] / ceiling
            ratios[side].append(ratio)
            row = (f"| {round_} | {side} | {ceiling:,.0f} | {batched or 0:,.0f} | {f['http_accepted_per_s']:,.0f} | "
                   f"{ratio:.2f} | {f['http_accepted_per_s'] / batched if batched else 0:.2f} | "
                   f"{f['p50_ms']:.0f} / {f['p99_ms']:.0f} ms | {f['granian_cpu_per_scan_ms']:.2f} ms | "
                   f"{f['db_cpu_per_scan_ms']:.2f} ms | {os.getloadavg()[0]:.1f} |")
            rows.append(row)
            print(row, flush=True)
    print("\n| round | side | ceiling | batched ceiling | HTTP accepted/s | ratio | ratio to batched | p50 / p99 | "
          "granian CPU/scan | database CPU/scan | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\nmedian ratio: before {statistics.median(ratios['before']):.2f}, after {statistics.median(ratios['after']):.2f}")


if __name__ == "__main__":
    main()
