"""The official Firestore emulator for the mirror tests (marker `emulator`).

If FIRESTORE_EMULATOR_HOST already answers, the tests use it; otherwise one emulator is started
for the session on a free port and killed at the end. A missing Java or emulator is a test
FAILURE with instructions, never a skip: CI must prove the mirror."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

DEFAULT_BINARIES = (
    "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator",
    "/usr/share/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator",
)
READY_TIMEOUT_S = 90


def _find_binary() -> str | None:
    explicit = os.environ.get("FIRESTORE_EMULATOR_BIN")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    candidates = list(DEFAULT_BINARIES)
    gcloud = shutil.which("gcloud")
    if gcloud:
        sdk = Path(os.path.realpath(gcloud)).parent.parent
        candidates.append(str(sdk / "platform" / "cloud-firestore-emulator" / "cloud_firestore_emulator"))
    on_path = shutil.which("cloud_firestore_emulator")
    if on_path:
        candidates.insert(0, on_path)
    return next((c for c in candidates if os.access(c, os.X_OK)), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def emulator_answers(host: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}/", timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


class Emulator:
    """One emulator process on a fixed port; `stop()` and `start()` again keep the address (the
    restart test), and like the real emulator a restart loses every document."""

    def __init__(self, binary: str, port: int):
        self.binary, self.port = binary, port
        self.host = f"127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None
        self.log = Path(tempfile.gettempdir()) / f"firestore-emulator-{port}.log"

    def start(self) -> None:
        log = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "start", "--host=127.0.0.1", f"--port={self.port}"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not emulator_answers(self.host, timeout=0.5):
            if self.proc.poll() is not None:
                pytest.fail(f"The Firestore emulator exited with code {self.proc.returncode}; see {self.log}:\n"
                            + self.log.read_text(errors="replace")[-2000:], pytrace=False)
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"The Firestore emulator did not answer on {self.host} within {READY_TIMEOUT_S}s; "
                            f"see {self.log}", pytrace=False)
            time.sleep(0.1)  # polling a readiness endpoint, bounded by the deadline

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: the wrapper and the JVM
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)
        self.proc = None
        deadline = time.monotonic() + 30
        while emulator_answers(self.host, timeout=0.2):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the emulator on {self.host} still answers after being killed")
            time.sleep(0.05)


@pytest.fixture(scope="session")
def firestore_emulator():
    """The emulator's address (host:port), and the Emulator when this session owns it."""
    existing = os.environ.get("FIRESTORE_EMULATOR_HOST")
    if existing and emulator_answers(existing):
        yield existing, None
        return
    if shutil.which("java") is None:
        pytest.fail("The Firestore mirror tests need Java 17+ for the Firestore emulator: install a JRE "
                    "(e.g. apt-get install openjdk-17-jre-headless) or point FIRESTORE_EMULATOR_HOST at a "
                    "running emulator.", pytrace=False)
    binary = _find_binary()
    if binary is None:
        pytest.fail("The Firestore emulator is not installed: install the Google Cloud SDK component "
                    "(apt-get install google-cloud-cli-firestore-emulator, or gcloud components install "
                    "cloud-firestore-emulator), set FIRESTORE_EMULATOR_BIN to cloud_firestore_emulator, or "
                    "point FIRESTORE_EMULATOR_HOST at a running emulator.", pytrace=False)
    emulator = Emulator(binary, _free_port())
    emulator.start()
    try:
        yield emulator.host, emulator
    finally:
        emulator.stop()


SESSION_PROJECT = f"tc-test-{uuid.uuid4().hex[:8]}"  # isolates runs that share one emulator


@pytest.fixture
def mirror_on(firestore_emulator, settings):
    """The mirror pointed at the emulator for one test; kicks off (tests drain explicitly)."""
    from mirror.client import reset_clients

    settings.FIRESTORE_EMULATOR_HOST = firestore_emulator[0]
    settings.FIRESTORE_PROJECT_ID = SESSION_PROJECT
    settings.FIRESTORE_MIRROR_KICK = False
    reset_clients()
    yield firestore_emulator
    reset_clients()


@pytest.fixture
def mirror_off(settings):
    settings.FIRESTORE_EMULATOR_HOST = ""
    settings.FIRESTORE_PROJECT_ID = ""
    return settings
