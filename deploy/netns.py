"""The simulated machines: one network namespace per host, each with a veth cable into one bridge
in the root namespace. The bridge has an address too, so the machine's own browser and the drills
reach the load balancer. Everything here is idempotent: `down` after a crashed run cleans up."""
from __future__ import annotations

import os
import signal
import subprocess
import time

from .topology import HOSTS, Cluster


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), check=check, capture_output=True, text=True)


def require_root() -> None:
    if os.geteuid() != 0:
        raise SystemExit("The cluster needs root (network namespaces, a bridge, processes as the postgres user).")
    probe = sh("ip", "netns", "list", check=False)
    if probe.returncode != 0:
        raise SystemExit(f"`ip netns` does not work here: {probe.stderr.strip()}")


def namespaces(cluster: Cluster) -> list[str]:
    out = sh("ip", "netns", "list", check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.split() and line.split()[0].startswith(cluster.prefix)]


def link_exists(name: str) -> bool:
    return sh("ip", "link", "show", name, check=False).returncode == 0


def create(cluster: Cluster) -> None:
    require_root()
    if not link_exists(cluster.bridge):
        sh("ip", "link", "add", cluster.bridge, "type", "bridge")
    sh("ip", "addr", "replace", f"{cluster.gateway}/24", "dev", cluster.bridge)
    sh("ip", "link", "set", cluster.bridge, "up")
    existing = set(namespaces(cluster))
    for host in HOSTS:
        ns, veth = cluster.namespace(host), cluster.veth(host)
        if ns not in existing:
            sh("ip", "netns", "add", ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        if not link_exists(veth):
            peer = f"tc{cluster.id}p{host.octet}"
            sh("ip", "link", "add", veth, "type", "veth", "peer", "name", peer)
            sh("ip", "link", "set", peer, "netns", ns)
            sh("ip", "-n", ns, "link", "set", peer, "name", "eth0")
        sh("ip", "link", "set", veth, "master", cluster.bridge)
        sh("ip", "link", "set", veth, "up")
        sh("ip", "-n", ns, "addr", "replace", f"{cluster.address(host)}/24", "dev", "eth0")
        sh("ip", "-n", ns, "link", "set", "eth0", "up")
        sh("ip", "-n", ns, "route", "replace", "default", "via", cluster.gateway, check=False)


def pids_in(ns: str) -> list[int]:
    out = sh("ip", "netns", "pids", ns, check=False).stdout
    return [int(p) for p in out.split() if p.isdigit()]


def kill_all_in(ns: str, sig: int = signal.SIGKILL) -> None:
    for pid in pids_in(ns):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def destroy(cluster: Cluster) -> None:
    """Kill every process in this cluster's namespaces, then remove namespaces, cables and bridge."""
    require_root()
    names = namespaces(cluster)
    for ns in names:
        kill_all_in(ns, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(pids_in(ns) for ns in names):
        time.sleep(0.2)
    for ns in names:
        kill_all_in(ns, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(pids_in(ns) for ns in names):
        time.sleep(0.1)
    for ns in names:
        sh("ip", "netns", "del", ns, check=False)
    for host in HOSTS:
        if link_exists(cluster.veth(host)):
            sh("ip", "link", "del", cluster.veth(host), check=False)
    if link_exists(cluster.bridge):
        sh("ip", "link", "del", cluster.bridge, check=False)


def partition(cluster: Cluster, host: str) -> None:
    """Pull the host's cable out of the switch: its processes keep running, nobody reaches it."""
    sh("ip", "link", "set", cluster.veth(host), "down")


def heal(cluster: Cluster, host: str) -> None:
    sh("ip", "link", "set", cluster.veth(host), "up")


def is_partitioned(cluster: Cluster, host: str) -> bool:
    out = sh("ip", "-o", "link", "show", cluster.veth(host), check=False).stdout
    return bool(out) and "state DOWN" in out and "UP" not in out.split("<", 1)[1].split(">", 1)[0].split(",")


def exec_argv(cluster: Cluster, host: str, argv: list[str]) -> list[str]:
    return ["ip", "netns", "exec", cluster.namespace(host), *argv]
