"""The launcher's supervisor (scripts/supervisor.py, used by `make run`; issue 13 item 1): a role
that exits is restarted with backoff and logged, and nothing else stops."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
import urllib.request

import pytest

from scripts.supervisor import Role, Supervisor
from tests.servers import ROOT, child_env, free_port

BIN = str(ROOT / "bin" / "ticketcore")
# A broker database of its own (test_process_roles.py has 14, the venue test 13): the two modules may run at once
# in parallel workers, and one's beat must not feed the other's worker.
TEST_BROKER = "redis://127.0.0.1:6379/12"


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def wait_for(predicate, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)  # polling until the deadline


def drive(sup: Supervisor, until, what: str, timeout: float = 30):
    """Run the supervisor's rounds on this thread until `until()`."""
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        sup.check()
        time.sleep(0.01)  # one supervision round per poll, bounded by the deadline


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_backoff_doubles_while_a_role_keeps_crashing_and_the_others_keep_running():
    logged: list[str] = []
    sup = Supervisor([Role("crashing", python("raise SystemExit(3)")), Role("steady", python("import time; time.sleep(600)"))],
                     log=logged.append, backoff_initial=0.05, backoff_max=0.2, stable_after=60, poll_interval=0.01)
    sup.start()
    try:
        steady = sup.pid("steady")
        drive(sup, lambda: sup.roles["crashing"].restarts >= 5, "five restarts")
        assert sup.pid("steady") == steady  # never touched
    finally:
        sup.stop()
    exits = [line for line in logged if "crashing exited" in line]
    assert [line.rsplit("restarting in ", 1)[1] for line in exits[:5]] == ["0.05 s", "0.1 s", "0.2 s", "0.2 s", "0.2 s"]
    assert "(code 3)" in exits[0]
    assert not any("steady" in line for line in logged)
    assert not alive(steady)  # stop() ends every role


def test_backoff_resets_once_a_role_has_stayed_up():
    logged: list[str] = []
    sup = Supervisor([Role("short-lived", python("import time; time.sleep(0.3)"))], log=logged.append,
                     backoff_initial=0.05, backoff_max=1, stable_after=0.2, poll_interval=0.01)
    sup.start()
    try:
        drive(sup, lambda: sup.roles["short-lived"].restarts >= 3, "three restarts")
    finally:
        sup.stop()
    delays = [line.rsplit("restarting in ", 1)[1] for line in logged if "exited" in line]
    assert delays[:3] == ["0.05 s"] * 3  # each run lasted longer than stable_after


@pytest.mark.django_db(transaction=True)
def test_killing_the_celery_worker_restarts_it_while_web_keeps_answering(tmp_path):
    """The launcher's roles for real: `bin/ticketcore web` and `bin/ticketcore worker`. Before,
    scripts/run.py stopped every process when any one exited."""
    port = free_port()
    env = child_env(CELERY_BROKER_URL=TEST_BROKER, DATA_DIR=str(tmp_path))
    logged: list[str] = []
    sup = Supervisor([Role("web", [BIN, "web"], env={**env, "PORT": str(port)}),
                      Role("worker", [BIN, "worker", "--concurrency", "1"], env=env)],
                     log=logged.append, backoff_initial=0.2, poll_interval=0.05)
    sup.start()
    runner = threading.Thread(target=sup.run)
    runner.start()
    url = f"http://127.0.0.1:{port}"
    failures: list[Exception] = []
    answered = 0
    polling = True

    def healthz() -> bool:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=10) as r:
                return r.status == 200
        except OSError:
            return False

    def poll():
        nonlocal answered
        while polling:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=10) as r:
                    assert r.status == 200
                    answered += 1
            except Exception as exc:  # collected and asserted below
                failures.append(exc)

    try:
        wait_for(healthz, "web to answer")
        web, worker = sup.pid("web"), sup.pid("worker")
        assert web and worker
        poller = threading.Thread(target=poll)
        poller.start()
        killed_at = time.monotonic()
        os.kill(worker, signal.SIGKILL)
        wait_for(lambda: sup.pid("worker") not in (None, worker), "the worker to be restarted")
        restarted_after = time.monotonic() - killed_at
        new_worker = sup.pid("worker")
        wait_for(lambda: answered > 50, "requests after the restart")
        polling = False
        poller.join(30)
        assert sup.pid("web") == web  # web kept running ...
        assert not failures, failures[:3]  # ... and kept answering throughout
        assert alive(new_worker)
        assert any("worker exited (signal 9)" in line for line in logged), logged
        assert any("starting worker again" in line for line in logged), logged
        assert not any(line.startswith("[supervisor] web") for line in logged), logged
        print(f"\ncelery worker restarted {restarted_after:.2f} s after kill -9 (backoff 0.2 s in this test); "
              f"web answered {answered} /healthz requests meanwhile, 0 failed")
    finally:
        polling = False
        sup.request_stop()
        runner.join(30)
        sup.stop()
    assert not alive(web)
