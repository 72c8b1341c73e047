"""`bin/ticketcore web|ws|worker|beat|migrate` (issue 13 item 14, issue 14 item 1, issue 13
item 1): every role starts from the environment alone; `web` survives the loss of a worker
process; `migrate` is safe when several hosts run it at once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.servers import ROOT, child_env, free_port, server_process

pytestmark = pytest.mark.django_db(transaction=True)

BIN = str(ROOT / "bin" / "ticketcore")
# Celery roles started by these tests use a broker database of their own, so they never take
# (or send) tasks of other test runs or of `make run` on the same Redis.
TEST_BROKER = "redis://127.0.0.1:6379/14"


def listening_pids(port: int) -> set[int]:
    """Processes holding the listening socket of 127.0.0.1:<port> (from /proc; Linux)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":  # 0A: LISTEN
            inodes.add(fields[9])
    pids = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in {f"socket:[{i}]" for i in inodes}:
                    pids.add(int(pid))
                    break
        except OSError:
            continue
    return pids


def parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2:].split()[1])


def granian_processes(port: int) -> tuple[int, set[int]]:
    """(main pid, worker pids) of the granian serving <port>: the workers hold the listening
    socket, the main process is their parent."""
    workers = listening_pids(port)
    mains = {parent_of(p) for p in workers}
    assert len(mains) == 1, (workers, mains)
    return mains.pop(), workers


IN_FLIGHT_GRACE_S = 0.5


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith(("Z", "X"))
    except OSError:
        return True


def test_a_killed_web_worker_is_respawned_and_requests_keep_being_answered():
    env = child_env(WEB_WORKERS="2", WEB_THREADS="4", WEB_KILL_TIMEOUT_S="3")
    with server_process(lambda port: ["env", f"PORT={port}", BIN, "web"], name="bin/ticketcore web",
                        env=env) as url:
        port = int(url.rsplit(":", 1)[1])
        deadline = time.monotonic() + 60
        while len(listening_pids(port)) < 2:  # /healthz answers as soon as the first worker is up
            assert time.monotonic() < deadline, "granian did not start two workers"
            time.sleep(0.1)  # polling /proc until the deadline
        main, workers = granian_processes(port)
        victim = min(workers)
        answers: list[tuple[float, object]] = []  # (start time, status or exception)
        polling = True
        dead_at = float("inf")

        def poll():
            while polling:
                started = time.monotonic()
                try:
                    with urllib.request.urlopen(f"{url}/healthz", timeout=10) as r:
                        answers.append((started, r.status))
                except Exception as exc:  # collected and asserted below
                    answers.append((started, exc))

        pollers = [threading.Thread(target=poll) for _ in range(3)]
        try:
            [t.start() for t in pollers]
            os.kill(victim, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while not gone(victim):
                assert time.monotonic() < deadline, "the killed worker did not die"
                time.sleep(0.01)  # polling /proc until the deadline
            dead_at = time.monotonic()
            deadline = time.monotonic() + 60
            while True:  # a new worker process appears next to the surviving one
                now_main, now_workers = granian_processes(port)
                if len(now_workers) == 2 and victim not in now_workers:
                    break
                assert time.monotonic() < deadline, f"no worker respawned: {now_workers}"
                time.sleep(0.1)  # polling /proc until the deadline
            respawned_after = time.monotonic() - dead_at
            assert now_main == main  # the server itself never stopped
            # ... and it answers through the new worker as well as the old one
            time.sleep(IN_FLIGHT_GRACE_S)  # the script: past the in-flight moment, then ask both workers
            for _ in range(20):
                with urllib.request.urlopen(f"{url}/healthz", timeout=10) as r:
                    assert r.status == 200
        finally:
            polling = False
            [t.join(30) for t in pollers]
            # granian's main process may wait forever for a worker that got SIGTERM while still
            # loading: stop main first, then make sure no worker outlives the test.
            os.kill(main, signal.SIGTERM)
            for pid in listening_pids(port):
                os.kill(pid, signal.SIGKILL)
        # /proc shows the worker gone a moment before the kernel has reset every connection it
        # had queued: a request started in that moment is one the killed worker had in hand.
        settled = dead_at + IN_FLIGHT_GRACE_S
        after = [a for started, a in answers if started > settled]
        assert after and all(a == 200 for a in after), [a for a in after if a != 200][:5]
        # Only requests the killed worker had in hand when it died can be lost (a client retries).
        lost = [a for started, a in answers if started <= settled and a != 200]
        print(f"\n{len(answers)} /healthz requests (3 clients) during the kill and respawn; {len(after)} after "
              f"the worker died, all answered; {len(lost)} in flight in the killed worker lost; new worker "
              f"listening {respawned_after:.1f} s after the kill")


def test_web_stops_when_told_to_while_its_workers_are_still_loading():
    """granian (2.8) swallows a SIGTERM that reaches a worker while it loads the application (the
    worker still has the main process's handlers); its main process then waited for that worker
    forever. `--workers-kill-timeout` bounds the wait."""
    port = free_port()
    proc = subprocess.Popen(["env", f"PORT={port}", BIN, "web"], env=child_env(WEB_WORKERS="2", WEB_KILL_TIMEOUT_S="2"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while len(children(proc.pid)) < 2:  # both workers forked, still importing the application
            assert time.monotonic() < deadline, "granian forked no workers"
            time.sleep(0.01)  # polling /proc until the deadline
        assert not listening_pids(port), "workers already loaded: the test came too late"
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)  # raises TimeoutExpired when the main process hangs
        deadline = time.monotonic() + 10
        while children(proc.pid) or listening_pids(port):
            assert time.monotonic() < deadline, "a worker outlived the server"
            time.sleep(0.05)  # polling /proc until the deadline
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def children(pid: int) -> list[int]:
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if parent_of(int(entry)) == pid:
                found.append(int(entry))
        except (OSError, ValueError):
            continue
    return found


def test_every_server_role_starts_from_the_environment(tmp_path):
    env = child_env(CELERY_BROKER_URL=TEST_BROKER, DATA_DIR=str(tmp_path))
    with server_process(lambda port: ["env", f"PORT={port}", BIN, "ws"], name="bin/ticketcore ws", env=env) as url:
        with urllib.request.urlopen(f"{url}/healthz", timeout=10) as r:
            assert r.status == 200
    # PYTHONFAULTHANDLER: a beat that does not stop is made to print every thread's stack
    # (SIGABRT) so the failure says where it hung. Its log goes to a file: a pipe nobody reads
    # could fill and block it.
    log_path = tmp_path / "beat.log"
    with open(log_path, "wb") as log:
        beat = subprocess.Popen([BIN, "beat"], env={**env, "PYTHONFAULTHANDLER": "1"},
                                stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob("celerybeat-schedule*")):  # its schedule lives in DATA_DIR
            assert beat.poll() is None, log_path.read_text()[-2000:]
            assert time.monotonic() < deadline, "beat wrote no schedule file"
            time.sleep(0.1)  # polling the file system until the deadline
        os.killpg(beat.pid, signal.SIGTERM)
        try:
            assert beat.wait(30) == 0, log_path.read_text()[-3000:]
        except subprocess.TimeoutExpired:
            os.killpg(beat.pid, signal.SIGABRT)
            beat.wait(10)
            pytest.fail("beat did not stop within 30 s of SIGTERM:\n" + log_path.read_text()[-6000:])
    finally:
        if beat.poll() is None:
            os.killpg(beat.pid, signal.SIGKILL)
            beat.wait()
    wrong = subprocess.run([BIN, "nonsense"], env=env, capture_output=True, text=True)
    assert wrong.returncode == 64 and "usage" in wrong.stderr


@pytest.fixture
def fresh_database():
    db = connection.settings_dict
    name = f"{db['NAME']}_migrate_{uuid.uuid4().hex[:6]}"
    admin = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin}/{name}"
    finally:
        with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migrate_is_safe_when_several_hosts_run_it_at_once(fresh_database):
    """Three hosts migrate one empty database at the same moment. Without the advisory lock
    Django's migrate races itself (seen here: `relation "access_alert" already exists`, duplicate
    pg_type rows); with it the first migrates and the others wait, then find nothing to do.
    One of them has only MIGRATE_DATABASE_URL pointing at the database: migrations run as the
    owner role while DATABASE_URL is the application's."""
    base, owner = child_env(), child_env(MIGRATE_DATABASE_URL=fresh_database)
    base["DATABASE_URL"] = fresh_database
    owner["DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/nothing"
    procs = [subprocess.Popen([BIN, "migrate", "--no-static"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for env in (base, base, owner)]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], "\n---\n".join(o[-1500:] for o in outputs)
    check = subprocess.run([sys.executable, "manage.py", "migrate", "--check"],
                           cwd=ROOT, env=base, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr  # every migration applied, once
    assert sum("Applying" in o for o in outputs) == 1, "more than one host applied migrations"


def test_beat_stops_on_sigterm_without_doing_work_inside_the_signal_handler():
    """Celery's own beat handler syncs the schedule and releases the broker connection inside
    the handler; ticketcore/celery.py swaps it, when beat starts, for one that only raises
    SystemExit (Service.start's `finally` then syncs)."""
    from celery import signals as celery_signals

    import ticketcore.celery  # noqa: F401  (connects the beat_init receiver)

    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        celery_signals.beat_init.send(sender=None)
        handler = signal.getsignal(signal.SIGTERM)
        assert signal.getsignal(signal.SIGINT) is handler
        with pytest.raises(SystemExit):
            handler(signal.SIGTERM, None)
    finally:
        for sig, old in before.items():
            signal.signal(sig, old)
