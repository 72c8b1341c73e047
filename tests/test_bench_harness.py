"""`make bench` (bench/run_all.py): one run prints the issue-19 figures with numbers, a summary
table and a dated history line. A test of the harness, never of speed: tiny sizes, quick mode,
no figure is compared with a target here."""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN_ALL = ROOT / "bench" / "run_all.py"
NUMBER = r"\d[\d,]*(?:\.\d+)?"


def load_run_all():
    spec = importlib.util.spec_from_file_location("bench_run_all", RUN_ALL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def summary_value(out: str, label: str) -> str:
    m = re.search(rf"(?m)^{re.escape(label)}\s+(.+?)(?:\s+\(target .*\))?$", out.split("== make bench summary")[-1])
    assert m, f"no summary line {label!r} in:\n{out[-3000:]}"
    return m.group(1).strip()


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{os.environ.get('BENCH_PG', 'postgres://postgres@127.0.0.1:5432')}/postgres",
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def bench_database():
    yield "test_tc_bench_harness"
    drop_database("test_tc_bench_harness")


@pytest.mark.timeout(900)  # a quick run is 2-4 minutes; on a machine shared with other suites, up to 10
def test_quick_run_prints_the_scan_figures_with_numbers_and_records_a_history_line(tmp_path, bench_database):
    history = tmp_path / "history.md"
    history.write_text("# Benchmarks\n\nSome text.\n")
    env = dict(os.environ, BENCH_DATABASE_NAME=bench_database, CACHE_KEY_PREFIX="bench_harness",
               CHANNEL_PREFIX="bench_harness", BENCH_QUICK="1")
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, str(RUN_ALL), "--only", "scan_pgbench,scan_http,gate_counts",
         "--set", "scan_pgbench.seats=1000", "--set", "scan_pgbench.seconds=1",
         "--set", "scan_http.seats=2000", "--set", "scan_http.seconds=2", "--set", "scan_http.warmup=1",
         "--history", str(history)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    out = result.stdout
    assert result.returncode == 0, out[-4000:] + result.stderr[-4000:]
    assert "make bench (quick)" in out and "load" in out.split("\n")[0]

    for label, unit in [("HTTP accepted scans/s", ""), ("scan_pgbench ceiling (8 clients), scans/s", ""),
                        ("ratio HTTP / ceiling", ""),
                        ("scan_pgbench, 8 scans per transaction (as the lane commits), scans/s", ""),
                        ("ratio HTTP / that", ""), ("p50 at 32 connections", " ms"),
                        ("p99 at 32 connections", " ms"),
                        ("CPU per scan (granian + its database backends)", " ms")]:
        value = summary_value(out, label)
        assert re.fullmatch(NUMBER + re.escape(unit), value), (label, value)
    # Unmeasurable when neighbours' processes exit during the run (their CPU leaves /proc): then
    # it says so, never a negative figure.
    machine = summary_value(out, "CPU per scan, whole machine (neighbours included)")
    assert machine == "not available" or re.fullmatch(NUMBER + " ms", machine), machine
    assert float(summary_value(out, "HTTP accepted scans/s").replace(",", "")) > 0
    assert summary_value(out, "hot ticket: accepted entries") == "1"  # the guarantee, even in a smoke run
    # Steps this run did not take (or whose module has no measure() yet) say so; never a blank.
    assert summary_value(out, "generation of 100,000 seats") == "not available"
    # Quick: gate_counts fills 3,000 scans through the trigger and 30,000 backfilled, not 3M.
    assert re.fullmatch(NUMBER + " ms", summary_value(out, "gate_counts at 3,000 scans"))
    assert summary_value(out, "gate_counts at 3,000,000 scans") == "not available"
    assert re.search(r"\[gate_counts\] ok in \d+ s: .*\"gate_counts_ms_at_30k\": \d", out), out[-3000:]

    text = history.read_text()
    assert text.startswith("# Benchmarks\n\nSome text.\n")  # nothing else in the file touched
    rows = [line for line in text.splitlines() if line.startswith("| 2")]
    assert len(rows) == 1 and "| quick |" in rows[0] and f"{os.cpu_count()} cores, load " in rows[0]
    cells = [c.strip() for c in rows[0].strip("|").split("|")]
    assert re.fullmatch(NUMBER, cells[4]) and re.fullmatch(NUMBER, cells[5]) and re.fullmatch(r"\d\.\d\d", cells[6])


def test_history_line_goes_at_the_end_of_its_table_and_nowhere_else(tmp_path):
    run_all = load_run_all()
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# B\n\n{run_all.HISTORY_HEADING}\n\nIntro.\n\n| a | b |\n|---|---|\n| old | row |\n\n## Later\n\ntext\n")
    run_all.append_history(doc, "| new | row |")
    assert doc.read_text() == (f"# B\n\n{run_all.HISTORY_HEADING}\n\nIntro.\n\n| a | b |\n|---|---|\n| old | row |\n"
                               "| new | row |\n\n## Later\n\ntext\n")


def test_a_module_without_measure_runs_as_a_script_and_its_figures_are_not_available(tmp_path, monkeypatch, capsys):
    run_all = load_run_all()
    (tmp_path / "plain.py").write_text("print('plain script ran')\n")
    (tmp_path / "measured.py").write_text("def measure(*, quick=False, size=1):\n    return {'size': size, 'quick': quick}\n")
    monkeypatch.setattr(run_all, "HERE", tmp_path)
    monkeypatch.setattr(run_all, "__file__", str(RUN_ALL))
    assert not run_all.has_measure(tmp_path / "plain.py") and run_all.has_measure(tmp_path / "measured.py")

    status, figures = run_all.run_step(run_all.Step("plain", "t"), quick=True, options={})
    assert (status, figures) == ("script", {})
    assert "not available" in capsys.readouterr().out
    assert run_all.run_step(run_all.Step("absent", "t"), quick=True, options={}) == ("missing", {})


def test_measure_gets_only_the_options_its_signature_takes(tmp_path, monkeypatch):
    run_all = load_run_all()
    (tmp_path / "bench_measured_probe.py").write_text(
        "def measure(*, quick=False, size=1):\n    return {'size': size, 'quick': quick}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert run_all.call_measure("bench_measured_probe", {"quick": True, "size": 5, "other": 1}) == \
        {"size": 5, "quick": True}


@pytest.mark.parametrize("figures, expected", [
    ({}, "not available"),
    ({"gate_counts": {"gate_counts_ms_3m": 4.3, "gate_counts_ms_3k": 1.0}}, "4.3 ms"),
])
def test_summary_reads_not_available_or_the_number(figures, expected):
    rows = {name: value for name, value, _, _ in load_run_all().summary_rows(figures)}
    assert rows["gate_counts at 3,000,000 scans"] == expected
    assert rows["ratio HTTP / ceiling"] == "not available"


@pytest.mark.parametrize("gate_counts", [
    {"gate_counts_ms_3m": 7.0, "gate_counts_ms_3k": 2.0},
    {"gate_counts_ms": {"3000000": 7.0, "3000": 2.0}},
    {"gate_counts_3M_ms": 7.0, "gate_counts_3k_ms": 2.0},
    {"gate_counts_ms_3_000": 2.0, "gate_counts_ms_3_000_000": 7.0},
])
def test_gate_counts_figures_are_found_under_the_names_a_module_may_give_them(gate_counts):
    rows = {name: value for name, value, _, _ in load_run_all().summary_rows({"gate_counts": gate_counts})}
    assert rows["gate_counts at 3,000,000 scans"] == "7.0 ms"
    assert rows["gate_counts at 3,000 scans"] == "2.0 ms"


@pytest.mark.parametrize("fill, second_half, rate_verdict, lag_verdict", [
    (1_040.0, 0.9, "met", "met"),        # faster than the doors, lag flat
    (700.0, 0.9, "NOT met", "met"),      # the rush ran slower than the doors accepted
    (1_040.0, 4.5, "met", "NOT met"),    # the lag grew through the rush
])
def test_mirror_rush_is_judged_against_the_same_runs_doors_and_its_own_first_half(fill, second_half, rate_verdict,
                                                                                  lag_verdict):
    figures = {"scan_http": {"http_accepted_per_s": 975.0},
               "mirror": {"mirror_fill_per_s": fill, "mirror_drain_per_s": fill, "mirror_lag_max_s": second_half,
                          "mirror_lag_first_half_max_s": 0.8, "mirror_lag_second_half_max_s": second_half}}
    rows = {name: (value, verdict) for name, value, _, verdict in load_run_all().summary_rows(figures)}
    assert rows["mirror: rush rate / this run's HTTP accepted scans/s"][1] == rate_verdict
    assert rows["mirror: max lag during the rush"][1] == lag_verdict


def test_the_mirror_rush_aims_at_this_runs_http_rate_unless_told_one():
    run_all = load_run_all()
    results = {"scan_http": {"http_accepted_per_s": 2_000.0}}
    assert run_all.step_options("mirror", {}, results) == {"rate": 2_100}
    assert run_all.step_options("mirror", {"mirror": {"rate": 900}}, results) == {"rate": 900}
    assert run_all.step_options("mirror", {}, {}) == {}  # no HTTP figure: the rush's own default
    assert run_all.step_options("gate_counts", {"gate_counts": {"x": 1}}, results) == {"x": 1}


@pytest.fixture
def mirror_bench_database():
    yield "test_tc_bench_mirror_rush"
    drop_database("test_tc_bench_mirror_rush")


@pytest.mark.timeout(600)
def test_the_mirror_rush_scans_a_distinct_sold_ticket_every_time_and_mirrors_them_all(mirror_bench_database):
    """bench/mirror.py --rush: pgbench's clients count their own seats (no round trip for the
    next one), so every scan of the rush is an accepted first entry of a different ticket; the
    drainer then brings Firestore level with PostgreSQL. Needs the Firestore emulator (Java)."""
    env = dict(os.environ, BENCH_DATABASE_NAME=mirror_bench_database, CACHE_KEY_PREFIX="bench_rush",
               CHANNEL_PREFIX="bench_rush", DEBUG="true", LOG_LEVEL="WARNING")
    for key in ("DATABASE_URL", "FIRESTORE_EMULATOR_HOST"):
        env.pop(key, None)  # a fresh database, and an emulator of its own
    result = subprocess.run(
        [sys.executable, "bench/mirror.py", "--rush", "--rate", "400", "--seconds", "3", "--drainers", "1",
         "--clients", "4", "--seats", "3000", "--verify"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=540)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line and not line.startswith("t("))
    attempted, accepted = int(figures["scans_attempted"]), int(figures["scans_accepted"])
    assert attempted >= 400, figures  # about 1,200 at 400/s for 3 s
    assert accepted == attempted, figures
    assert figures["mirror_equal"] == "True", figures  # every document equal, field by field


@pytest.mark.timeout(600)
def test_the_drain_cost_mode_reports_each_components_cpu_and_leaves_firestore_equal(mirror_bench_database):
    """bench/mirror.py --cost: every round drains exactly the documents it queued (the mode
    asserts it), each component's CPU per document is a number, and Firestore ends equal to
    PostgreSQL. Needs the Firestore emulator (Java)."""
    env = dict(os.environ, BENCH_DATABASE_NAME=mirror_bench_database, CACHE_KEY_PREFIX="bench_cost",
               CHANNEL_PREFIX="bench_cost", DEBUG="true", LOG_LEVEL="WARNING")
    for key in ("DATABASE_URL", "FIRESTORE_EMULATOR_HOST"):
        env.pop(key, None)
    result = subprocess.run([sys.executable, "bench/mirror.py", "--cost", "--docs", "600", "--rounds", "2"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=540)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    assert figures["mirror_equal"] == "True", figures
    for key in ("drainer_us_per_doc", "backend_us_per_doc", "emulator_us_per_doc", "docs_per_s"):
        assert float(figures[key]) > 0, (key, figures)
