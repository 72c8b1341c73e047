"""The cluster for the fault drills: built once per session in its own namespaces (CLUSTER_ID 9
unless CLUSTER_TEST_ID says otherwise, so a developer's `make cluster` keeps running), torn down
afterwards even when a test failed. Without root or network namespaces the drills FAIL: they are
the proof of the availability promise and must never pass by being skipped."""
from __future__ import annotations

import os
import subprocess

import pytest

from deploy import cluster as ops
from deploy.topology import Cluster


def _netns_problem() -> str | None:
    if os.geteuid() != 0:
        return "the cluster drills need root (network namespaces, a bridge, PostgreSQL as the postgres user)"
    probe = subprocess.run(["ip", "netns", "add", "tc-probe"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"`ip netns add` does not work here: {probe.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", "tc-probe"], capture_output=True)
    return None


@pytest.fixture(scope="session")
def cluster():
    problem = _netns_problem()
    if problem:
        pytest.fail(f"Cannot run the cluster drills: {problem}.", pytrace=False)
    c = Cluster(int(os.environ.get("CLUSTER_TEST_ID", "9")))
    os.environ["CLUSTER_ID"] = str(c.id)  # for the supervisors and anything that builds Cluster()
    try:
        ops.up(c, demo=False)
        out = ops.manage(c, ["ensure_admin", "drill", "drill-admin-pass-1"])
        c.staff_token = next(l.split("=", 1)[1] for l in out.splitlines() if l.startswith("ADMIN_TOKEN="))
        yield c
    finally:
        ops.down(c, quiet=True)
