"""The cluster's packages, installed by the project itself (like scripts/ensure_browser.py):
etcd-server, etcd-client and haproxy from Debian, Patroni from PyPI in its own virtualenv.
apt may be busy with another install on the same machine: retry until a deadline instead of
failing at once.

Why not Debian's patroni (3.0.2 in bookworm): with the etcd v3 API it overwrites the leader key
unconditionally when its session expired (fixed upstream in 3.0.3, patroni/patroni#2689). The
partition drill caught it: after the heal the isolated former leader took the lock back from
the new leader and promoted its own stale timeline, a split brain (docs/adr/0022)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

from pathlib import Path

PACKAGES = {"etcd": "etcd-server", "etcdctl": "etcd-client", "haproxy": "haproxy"}
# 3.0.4: the etcd v3 leader-key fix (3.0.3) and still honours a ttl below 20 s. Later releases
# (3.3.x, 4.x) raise any ttl to 20 s, which puts the failover after isolating the leader at
# about 23 s (measured, docs/ha.md) instead of the 15 s target. PATRONI_VERSION overrides.
PATRONI_VERSION = os.environ.get("PATRONI_VERSION", "3.0.4")
PATRONI_VENV = Path(__file__).resolve().parent.parent / ".data" / "patroni-venv"
PATRONI_VENV = PATRONI_VENV.with_name(f"patroni-{PATRONI_VERSION}")
PATRONI = PATRONI_VENV / "bin" / "patroni"


def missing() -> list[str]:
    return [pkg for binary, pkg in PACKAGES.items() if not shutil.which(binary)]


def _apt(*args: str, deadline: float) -> bool:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    while True:
        result = subprocess.run(["apt-get", *args], env=env, capture_output=True, text=True)
        if result.returncode == 0:
            return True
        if time.monotonic() > deadline:
            print(result.stdout[-2000:], result.stderr[-2000:], file=sys.stderr)
            return False
        time.sleep(3)  # dpkg lock held by another install: try again until the deadline


def ensure(timeout: float = 600) -> None:
    ensure_debian(timeout)
    ensure_patroni()


def ensure_patroni() -> None:
    """Patroni in a virtualenv of the machine's python3 (the postgres user runs it)."""
    stamp = PATRONI_VENV / ".installed"
    if stamp.exists() and PATRONI.exists():
        return
    print(f"Installing Patroni {PATRONI_VERSION} into {PATRONI_VENV} ...", flush=True)
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--clear", str(PATRONI_VENV)], check=True)
    subprocess.run([str(PATRONI_VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                    f"patroni[etcd3]=={PATRONI_VERSION}", "psycopg[binary]>=3.1"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stamp.touch()


def ensure_debian(timeout: float) -> None:
    need = missing()
    if not need:
        return
    if os.geteuid() != 0:
        raise SystemExit(f"Missing packages {need}: run as root (apt-get install -y {' '.join(need)}).")
    print(f"Installing {' '.join(need)} with apt-get ...", flush=True)
    deadline = time.monotonic() + timeout
    if not (_apt("update", "-qq", deadline=deadline) and _apt("install", "-y", "-qq", *need, deadline=deadline)):
        raise SystemExit(f"Could not install {need} with apt-get.")
    if missing():
        raise SystemExit(f"Still missing after apt-get: {missing()}")


if __name__ == "__main__":
    ensure()
