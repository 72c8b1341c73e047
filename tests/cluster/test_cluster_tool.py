"""The operator's tool itself: state.json describes every host, `down` is idempotent and cleans up
after a crashed run (namespaces and bridge of this cluster only)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from deploy import cluster as ops
from deploy import netns
from deploy.topology import HOSTS, ROOT, Cluster

# Bringing the cluster up (in the first test that asks for it) and the drills take minutes,
# more on a loaded machine: well beyond the suite's 300 s per test.
pytestmark = pytest.mark.timeout(900)


def test_status_writes_every_host_with_its_namespace_address_roles_and_the_leader(cluster):
    out = subprocess.run([sys.executable, "-m", "deploy.cluster", "status"], cwd=ROOT, capture_output=True,
                         text=True, env={**__import__("os").environ, "CLUSTER_ID": str(cluster.id)}, check=True).stdout
    state = json.loads(cluster.state_file.read_text())
    assert state["leader"] in {"db1", "db2", "db3"} and f"database leader: {state['leader']}" in out
    assert {h["name"] for h in state["hosts"]} == {h.name for h in HOSTS}
    for h in state["hosts"]:
        assert h["namespace"] == cluster.namespace(h["name"]) and h["address"] == cluster.address(h["name"])
        assert h["roles"] and all(h["running"].values()), h
    assert ops.healthy(cluster)


def test_down_cleans_up_a_crashed_cluster_and_is_idempotent():
    c = Cluster(250)
    netns.create(c)  # a "crashed" run: namespaces and bridge left behind, a process inside one
    sleeper = subprocess.Popen(netns.exec_argv(c, "db1", ["sleep", "300"]))
    try:
        assert netns.namespaces(c)
        ops.down(c, quiet=True)
        assert netns.namespaces(c) == [] and not netns.link_exists(c.bridge)
        assert sleeper.wait(10) is not None
        ops.down(c, quiet=True)  # nothing left to remove: no error
    finally:
        sleeper.kill()
        ops.down(c, quiet=True)
