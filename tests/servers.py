"""Real server processes for tests: granian or daphne serving this test database."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
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


@contextlib.contextmanager
def server_process(argv_for_port, *, name: str, env: dict | None = None, timeout: float = 30):
    """Start `argv_for_port(port)` on a free port, wait (deadline, no fixed sleep) until
    `/healthz` answers, yield its base URL, and stop it afterwards."""
    port = free_port()
    proc = subprocess.Popen(argv_for_port(port), cwd=ROOT, env=env or child_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"{name} did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.05)  # polling the port until the deadline
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


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

