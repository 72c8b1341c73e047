"""Real server processes for tests: granian or daphne serving this test database."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import connection

from scripts.services import APP_ROLE

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(**extra) -> dict:
    """The environment a child server needs to use this test run's database and prefixes. It
    connects as the application role (DML rights only, granted in tests/conftest.py), as in
    production (docs/adr/0019)."""
    db = connection.settings_dict
    return dict(
        os.environ,
        DATABASE_URL=f"postgres://{APP_ROLE}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        CACHE_KEY_PREFIX=settings.CACHES["default"]["KEY_PREFIX"],
        CHANNEL_PREFIX=settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
        PYTEST_XDIST_WORKER="",  # the prefixes above already name this worker (ticketcore/settings.py)
        DEBUG="false",
        SECRET_KEY=settings.SECRET_KEY,
        # The key-encryption key this test run sealed its signing keys with (events/keyring.py).
        SIGNING_KEYS_KEK=",".join(settings.SIGNING_KEYS_KEK),
        **extra,
    )


def start_server(argv: list[str], *, env: dict, log) -> subprocess.Popen:
    """A server process in a process group of its own (see `stop_server`), its stderr to `log`
    (a file: a pipe nobody reads would block the server once 64 KiB of log lines filled it)."""
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)


def stop_server(proc: subprocess.Popen, *, grace: float = 3) -> None:
    """SIGTERM to the server's whole process group, then SIGKILL to whatever of it is left after
    `grace` seconds. Stopping only the main process was not enough: granian 2.8's workers can lose
    the SIGTERM while they are still loading (a test that ends right after the first worker
    answered), the main process then waits for them forever, and killing it left the worker
    behind, orphaned, after every such test had waited 10 s for nothing."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:  # the whole group is gone
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if proc.poll() is not None and not _group_alive(proc.pid):
                break
            time.sleep(0.05)  # polling the group until the deadline
    proc.wait(10)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def log_tail(log, size: int = 2000) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-size:]


@contextlib.contextmanager
def server_process(argv_for_port, *, name: str, env: dict | None = None, timeout: float = 30):
    """Start `argv_for_port(port)` on a free port, wait (deadline, no fixed sleep) until
    `/healthz` answers, yield its base URL, and stop it and every process it started afterwards."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        proc = start_server(argv_for_port(port), env=env or child_env(), log=log)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    urllib.request.urlopen(f"{url}/healthz", timeout=1).read()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"{name} did not start: {log_tail(log)}") from None
                    time.sleep(0.05)  # polling the port until the deadline
            yield url
        finally:
            stop_server(proc)


def wait_until_refused(port: int, timeout: float = 10) -> bool:
    """Poll until nothing accepts connections on 127.0.0.1:<port> (a stopped server has let go of
    its socket); False if something still answers at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except OSError:
            return True
        time.sleep(0.05)  # polling the port until the deadline
    return False

