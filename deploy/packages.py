"""The cluster's Debian packages, installed by the project itself (like scripts/ensure_browser.py):
patroni, etcd-server, etcd-client and haproxy. apt may be busy with another install on the same
machine: retry until a deadline instead of failing at once."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

PACKAGES = {"patroni": "patroni", "etcd": "etcd-server", "etcdctl": "etcd-client", "haproxy": "haproxy"}


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
