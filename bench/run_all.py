"""`make bench`: the figures issue 19 asks for, from ONE run, as ratios as well as absolutes.

    .venv/bin/python bench/run_all.py [--quick] [--only scan_pgbench,scan_http,...]
                                      [--set scan_http.seats=20000 ...] [--history FILE | --no-history]
    BENCH_QUICK=1 make bench          # the ~2-minute smoke
    .venv/bin/python bench/run_all.py --all   # the old behaviour: every script in bench/, in turn

Steps, in this order (the database ceiling right before the HTTP run, so that their ratio is
taken under the same load): scan_pgbench, scan_http, gate_counts, generate, mirror. Each step is
a module of bench/; when it has a top-level `measure(**kwargs) -> dict`, that is called in a
child process (its own Django set-up and database; it may print as it likes) and its figures are
used; otherwise the module is run as a script, its output shown, and its figures reported as
"not available". `measure()` is given `quick=True` in quick mode and any `--set` values, each
only if its signature takes it. The mirror's door rush runs, unless `--set mirror.rate=N`, at
the HTTP step's accepted scans/s plus 5 % (`step_options`). Then a summary table, and (full runs; quick ones only with an
explicit --history) a dated line appended to the history table in docs/benchmarks.md
("make bench history").

Every figure is read from the same run; the machine's cores and load average at the start are
recorded with them, since these shared 2-core machines differ by 2x from one hour to the next.
"""
from __future__ import annotations

import argparse
import ast
import inspect
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HISTORY = ROOT / "docs" / "benchmarks.md"
HISTORY_HEADING = "### make bench history"
NOT_AVAILABLE = "not available"


@dataclass
class Step:
    name: str  # module in bench/
    title: str
    script_args: list[str] = field(default_factory=list)  # when run as a script (no measure())
    quick_script_args: list[str] = field(default_factory=list)


STEPS = [
    Step("scan_pgbench", "database ceiling (scan function, no Python)", ["--clients", "8"],
         ["--clients", "8", "--seconds", "3", "--seats", "10000"]),
    Step("scan_http", "HTTP scans (granian -> Django -> PostgreSQL, wrk, 32 connections)", [],
         ["--seconds", "5", "--warmup", "1", "--seats", "12000"]),
    Step("gate_counts", "dashboard gate_counts at 3k and 3M scans"),
    Step("generate", "generation of 100,000 seats", ["--runs", "1"], ["--runs", "1", "--seats", "20000"]),
    Step("mirror", "Firestore mirror during a door rush", ["--workers", "1"],
         ["--workers", "1", "--seats", "10000", "--sales", "1000"]),
]


# --- running one step ---------------------------------------------------------------------------

def has_measure(path: Path) -> bool:
    """Whether a bench module defines a top-level `measure` (read, not imported)."""
    try:
        tree = ast.parse(path.read_text())
    except (OSError, SyntaxError):
        return False
    return any(isinstance(node, ast.FunctionDef) and node.name == "measure" for node in tree.body)


def call_measure(module_name: str, options: dict) -> dict:
    """In the child: import the module and call measure() with the options its signature takes."""
    import importlib.util

    # bench/ must not shadow the project's apps (bench/mirror.py and the `mirror` app): the project
    # first, bench/ last (for the modules' own `from common import ...`), and the step's module
    # loaded from its file under a name of its own.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    sys.path.insert(0, str(ROOT))
    sys.path.append(str(HERE))
    path = HERE / f"{module_name}.py"
    if path.exists():
        spec = importlib.util.spec_from_file_location(f"bench_step_{module_name}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    else:  # a module found on the path (the harness's own test gives one)
        module = importlib.import_module(module_name)
    parameters = inspect.signature(module.measure).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    kwargs = {k: v for k, v in options.items() if takes_any or k in parameters}
    ignored = sorted(set(options) - set(kwargs))
    if ignored:
        print(f"[{module_name}] measure() does not take {', '.join(ignored)}: ignored", flush=True)
    figures = module.measure(**kwargs)
    if not isinstance(figures, dict):
        raise TypeError(f"{module_name}.measure() returned {type(figures).__name__}, not a dict")
    return figures


def run_step(step: Step, *, quick: bool, options: dict) -> tuple[str, dict]:
    """('ok' | 'script' | 'failed' | 'missing', figures)."""
    path = HERE / f"{step.name}.py"
    if not path.exists():
        print(f"[{step.name}] bench/{step.name}.py does not exist yet: {NOT_AVAILABLE}", flush=True)
        return "missing", {}
    if not has_measure(path):
        args = step.quick_script_args if quick else step.script_args
        print(f"[{step.name}] no measure() yet: running it as a script ({' '.join(args) or 'defaults'}); "
              f"its figures are {NOT_AVAILABLE} to the summary", flush=True)
        result = subprocess.run([sys.executable, str(path), *args], cwd=ROOT, check=False)
        return ("script" if result.returncode == 0 else "failed"), {}
    kwargs = dict(options)
    if quick:
        kwargs["quick"] = True
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        result = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", step.name,
                                 "--child-options", json.dumps(kwargs), "--child-out", out.name], cwd=ROOT, check=False)
        text = Path(out.name).read_text()
    if result.returncode != 0 or not text:
        print(f"[{step.name}] measure() failed (exit {result.returncode}): {NOT_AVAILABLE}", flush=True)
        return "failed", {}
    return "ok", json.loads(text)


# --- figures, summary, history ------------------------------------------------------------------

def _num(value, digits: int = 0, unit: str = "") -> str:
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return NOT_AVAILABLE
    return f"{value:,.{digits}f}{unit}"


def pick(figures: dict, *names: str):
    for name in names:
        if isinstance(figures.get(name), (int, float)) and not isinstance(figures.get(name), bool):
            return figures[name]
    return None


_THREE_MILLION = re.compile(r"(?i)(?<!\d)(?<!\d_)3(m|_?000_?000)(?!\d)(?!_\d)")
_THREE_THOUSAND = re.compile(r"(?i)(?<!\d)(?<!\d_)3(k|_?000)(?!\d)(?!_\d)")


def flatten(figures: dict, prefix: str = "") -> dict:
    """{"a": {"3000": 1}} -> {"a.3000": 1}: a module may nest its figures."""
    flat = {}
    for key, value in figures.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def pick_like(figures: dict, word: str, size: re.Pattern):
    """The first number whose (flattened) name holds `word` and a size such as 3m / 3000000 / 3k,
    for a module whose exact names this harness does not know yet."""
    for name, value in flatten(figures).items():
        if word in name and size.search(name) and isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
    return None


def summary_rows(results: dict[str, dict]) -> list[tuple[str, str, str, str]]:
    """(figure, value, target, verdict) rows; a figure nobody measured reads 'not available'."""
    pg, http = results.get("scan_pgbench", {}), results.get("scan_http", {})
    gc, gen, mirror = results.get("gate_counts", {}), results.get("generate", {}), results.get("mirror", {})
    ceiling = pick(pg, "ceiling_per_s")
    accepted = pick(http, "http_accepted_per_s")
    ratio = accepted / ceiling if accepted is not None and ceiling else None
    batched = pick(pg, "ceiling_batched_per_s")
    batched_ratio = accepted / batched if accepted is not None and batched else None
    p99 = pick(http, "p99_ms")
    gc_3m = pick(gc, "gate_counts_ms_3m") or pick_like(gc, "gate_counts", _THREE_MILLION)
    gc_3k = pick(gc, "gate_counts_ms_3k") or pick_like(gc, "gate_counts", _THREE_THOUSAND)
    gen_s = pick(gen, "generate_100k_s", "generate_s")
    fill, drain = pick(mirror, "mirror_fill_per_s"), pick(mirror, "mirror_drain_per_s")
    lag = pick(mirror, "mirror_lag_max_s")
    # The rush stands for the doors (bench/mirror.py): it must run at least at the rate the HTTP
    # stack accepted in this run. Bounded: the second half's worst lag is not above the first
    # half's by more than a second (a growing backlog shows as a rising lag).
    rush_ratio = fill / accepted if fill is not None and accepted else None
    first, second = pick(mirror, "mirror_lag_first_half_max_s"), pick(mirror, "mirror_lag_second_half_max_s")
    bounded = None if first is None or second is None else second <= first + 1.0

    def verdict(ok):
        return "" if ok is None else ("met" if ok else "NOT met")

    clients = pg.get("ceiling_clients", 8)
    return [
        ("HTTP accepted scans/s", _num(accepted), "", ""),
        (f"scan_pgbench ceiling ({clients} clients), scans/s", _num(ceiling), "", ""),
        ("ratio HTTP / ceiling", _num(ratio, 2), ">= 0.50", verdict(None if ratio is None else ratio >= 0.5)),
        # The lane commits the scans waiting together in one transaction (docs/adr/0038); the same
        # grouping without Python, for what Python costs beside it.
        (f"scan_pgbench, {pg.get('ceiling_batch', 8)} scans per transaction (as the lane commits), scans/s",
         _num(batched), "", ""),
        ("ratio HTTP / that", _num(batched_ratio, 2), "", ""),
        ("p50 at 32 connections", _num(pick(http, "p50_ms"), 1, " ms"), "", ""),
        ("p99 at 32 connections", _num(p99, 1, " ms"), "< 50 ms", verdict(None if p99 is None else p99 < 50)),
        ("CPU per scan (granian + its database backends)", _num(pick(http, "cpu_per_scan_ms"), 2, " ms"), "", ""),
        ("CPU per scan, whole machine (neighbours included)",
         _num(pick(http, "machine_cpu_per_scan_ms"), 2, " ms"), "", ""),
        ("hot ticket: accepted entries", _num(pick(http, "hot_accepted")), "1",
         verdict(None if pick(http, "hot_accepted") is None else http["hot_accepted"] == 1)),
        ("gate_counts at 3,000 scans", _num(gc_3k, 1, " ms"), "", ""),
        ("gate_counts at 3,000,000 scans", _num(gc_3m, 1, " ms"), "< 20 ms",
         verdict(None if gc_3m is None else gc_3m < 20)),
        ("generation of 100,000 seats", _num(gen_s, 2, " s"), "< 3 s", verdict(None if gen_s is None else gen_s < 3)),
        ("mirror: outbox fill during the rush, docs/s", _num(fill), "", ""),
        ("mirror: drain, docs/s" + (f" ({_num(pick(mirror, 'drainers'))} drainers)" if pick(mirror, "drainers") else ""),
         _num(drain), ">= fill",
         verdict(None if fill is None or drain is None else drain >= fill)),
        ("mirror: rush rate / this run's HTTP accepted scans/s", _num(rush_ratio, 2), ">= 1.00 (the doors' full rate)",
         verdict(None if rush_ratio is None else rush_ratio >= 1.0)),
        ("mirror: max lag during the rush", _num(lag, 1, " s"), "bounded", verdict(bounded)),
    ]


def print_summary(rows, *, header: str) -> None:
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    print(f"\n== make bench summary: {header}")
    for name, value, target, verdict in rows:
        tail = f"  (target {target}{': ' + verdict if verdict else ''})" if target else ""
        print(f"{name.ljust(width)}  {value.rjust(vwidth)}{tail}")


HISTORY_COLUMNS = ("date (UTC)", "commit", "mode", "machine", "HTTP accepted/s", "ceiling/s", "ratio",
                   "p50 / p99", "CPU per scan", "gate_counts 3M", "generate 100k", "mirror fill / drain, max lag")


def history_row(rows, *, when: str, commit: str, mode: str, machine: str) -> str:
    v = {name: value for name, value, _, _ in rows}

    def get(prefix: str) -> str:
        return next((value for name, value in v.items() if name.startswith(prefix)), NOT_AVAILABLE)

    def short(text: str) -> str:
        return "n/a" if text == NOT_AVAILABLE else text

    cells = [when, commit, mode, machine, short(get("HTTP accepted")), short(get("scan_pgbench ceiling")),
             short(get("ratio")), f"{short(get('p50'))} / {short(get('p99'))}", short(get("CPU per scan (")),
             short(get("gate_counts at 3,000,000")), short(get("generation")),
             f"{short(get('mirror: outbox'))} / {short(get('mirror: drain'))}, {short(get('mirror: max lag'))}"]
    return "| " + " | ".join(cells) + " |"


def append_history(path: Path, row: str) -> None:
    """Add the row at the end of the table under HISTORY_HEADING (created at the end if absent),
    touching no other line of the file."""
    text = path.read_text() if path.exists() else ""
    lines = text.split("\n")
    try:
        at = next(i for i, line in enumerate(lines) if line.strip() == HISTORY_HEADING)
    except StopIteration:
        block = ["", HISTORY_HEADING, "", "| " + " | ".join(HISTORY_COLUMNS) + " |",
                 "|" + "---|" * len(HISTORY_COLUMNS), row, ""]
        while lines and lines[-1] == "":
            lines.pop()
        path.write_text("\n".join(lines + block))
        return
    i = at + 1
    while i < len(lines) and not lines[i].startswith("|"):
        i += 1
    while i < len(lines) and lines[i].startswith("|"):
        i += 1
    lines.insert(i, row)
    path.write_text("\n".join(lines))


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return out.stdout.strip() + ("+" if dirty else "") if out.returncode == 0 else "?"
    except OSError:
        return "?"


# --- main ----------------------------------------------------------------------------------------

def step_options(name: str, options: dict[str, dict], results: dict[str, dict]) -> dict:
    """The step's --set options; the mirror's rush, unless told a rate, runs at this run's HTTP
    accepted scans/s plus 5 %: the doors' full rate, measured on the same machine minutes ago."""
    chosen = dict(options.get(name, {}))
    accepted = pick(results.get("scan_http", {}), "http_accepted_per_s")
    if name == "mirror" and "rate" not in chosen and accepted:
        chosen["rate"] = math.ceil(accepted * 1.05)
    return chosen


def parse_sets(values: list[str]) -> dict[str, dict]:
    options: dict[str, dict] = {}
    for item in values:
        key, _, raw = item.partition("=")
        module, _, name = key.partition(".")
        if not module or not name or not _:
            raise SystemExit(f"--set wants module.name=value, not {item!r}")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        options.setdefault(module, {})[name] = value
    return options


def run_every_script() -> None:
    for script in sorted(HERE.glob("*.py")):
        if script.name in ("common.py", "run_all.py"):
            continue
        print(f"### {script.name}", flush=True)
        subprocess.run([sys.executable, str(script)], cwd=ROOT, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK", "") not in ("", "0"),
                        help="the ~2-minute smoke (also BENCH_QUICK=1)")
    parser.add_argument("--only", default="", help="comma-separated steps, e.g. scan_pgbench,scan_http")
    parser.add_argument("--set", action="append", default=[], metavar="MODULE.NAME=VALUE",
                        help="an option for one step's measure(), e.g. scan_http.seats=20000")
    parser.add_argument("--history", type=Path, default=None,
                        help=f"where to append the dated line (default {HISTORY.relative_to(ROOT)} on full runs)")
    parser.add_argument("--no-history", action="store_true")
    parser.add_argument("--all", action="store_true", help="run every bench/ script in turn instead")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-options", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        figures = call_measure(args.child, json.loads(args.child_options))
        Path(args.child_out).write_text(json.dumps(figures, default=str))
        return 0
    if args.all:
        run_every_script()
        return 0

    only = [s for s in args.only.split(",") if s]
    unknown = set(only) - {s.name for s in STEPS}
    if unknown:
        raise SystemExit(f"unknown step(s): {', '.join(sorted(unknown))}")
    options = parse_sets(args.set)
    load = os.getloadavg()
    started = time.monotonic()
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")
    machine = f"{os.cpu_count()} cores, load {load[0]:.1f}"
    mode = "quick" if args.quick else "full"
    print(f"make bench ({mode}) {when} UTC, commit {git_commit()}, {machine} at start", flush=True)

    results: dict[str, dict] = {}
    statuses: dict[str, str] = {}
    for step in STEPS:
        if only and step.name not in only:
            statuses[step.name] = "skipped"
            continue
        print(f"\n### {step.name}: {step.title}", flush=True)
        t0 = time.monotonic()
        statuses[step.name], results[step.name] = run_step(step, quick=args.quick,
                                                           options=step_options(step.name, options, results))
        shown = {k: v for k, v in results[step.name].items() if k not in ("wrk", "cpu_split")}
        print(f"[{step.name}] {statuses[step.name]} in {time.monotonic() - t0:.0f} s: {json.dumps(shown)}",
              flush=True)
        if "cpu_split" in results[step.name]:
            print(f"[{step.name}] machine {results[step.name]['cpu_split']}", flush=True)

    rows = summary_rows(results)
    load_end = os.getloadavg()[0]
    print_summary(rows, header=f"{mode} run, {machine} at start, {load_end:.1f} at the end, "
                               f"{time.monotonic() - started:.0f} s")
    print("steps: " + ", ".join(f"{name} {status}" for name, status in statuses.items()))
    history = None if args.no_history else (args.history or (None if args.quick else HISTORY))
    if history is not None:
        append_history(history, history_row(rows, when=when, commit=git_commit(), mode=mode,
                                             machine=f"{machine}, {load_end:.1f} at the end"))
        print(f"history: a line added to {history}")
    return 1 if "failed" in statuses.values() else 0


if __name__ == "__main__":
    sys.exit(main())
