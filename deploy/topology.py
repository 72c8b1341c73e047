"""Who runs where: hosts, addresses, namespaces and paths of one cluster, derived from CLUSTER_ID.

Every name this cluster creates (namespaces, bridge, veths, Patroni scope) carries the cluster id,
so two clusters on one machine (a developer's `make cluster` and the drills) never collide and
`down` removes exactly its own."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CLUSTER_ID = 1


@dataclass(frozen=True)
class Host:
    name: str
    octet: int
    roles: tuple[str, ...]


# The roles a host supervises (its "systemd units"). PostgreSQL is not in the list: Patroni starts
# and stops it.
HOSTS = (
    Host("lb", 10, ("haproxy",)),
    Host("db1", 11, ("etcd", "patroni")),
    Host("db2", 12, ("etcd", "patroni")),
    Host("db3", 13, ("etcd", "patroni")),
    Host("app1", 21, ("web", "ws")),
    Host("app2", 22, ("web", "ws")),
    Host("work", 31, ("redis", "worker", "beat")),
)
DB_HOSTS = tuple(h for h in HOSTS if "patroni" in h.roles)
APP_HOSTS = tuple(h for h in HOSTS if "web" in h.roles)
ALL_ROLES = ("postgres", "patroni", "etcd", "web", "ws", "worker", "beat", "redis", "haproxy")

PORTS = {
    "http": 80,  # HAProxy's HTTP frontend on the lb host
    "pg": 5432,  # PostgreSQL on db hosts, and HAProxy's frontend to the leader on lb
    "stats": 8404,  # HAProxy statistics page
    "patroni": 8008,
    "etcd_client": 2379,
    "etcd_peer": 2380,
    "web": 8001,  # granian on the app hosts
    "ws": 8002,  # daphne on the app hosts
    "redis": 6379,
}


class Cluster:
    def __init__(self, cluster_id: int | None = None):
        if cluster_id is None:
            cluster_id = int(os.environ.get("CLUSTER_ID", DEFAULT_CLUSTER_ID))
        if not 1 <= cluster_id <= 250:
            raise SystemExit("CLUSTER_ID must be between 1 and 250")
        self.id = cluster_id
        self.prefix = f"tc{cluster_id}-"
        self.bridge = f"tcbr{cluster_id}"
        self.subnet = f"10.77.{cluster_id}.0/24"
        self.gateway = f"10.77.{cluster_id}.1"
        self.dir = ROOT / ".data" / ("cluster" if cluster_id == DEFAULT_CLUSTER_ID else f"cluster{cluster_id}")
        self.logs = self.dir / "logs"
        self.run = self.dir / "run"
        self.state_file = self.dir / "state.json"
        self.scope = f"ticketcore-{cluster_id}"

    def host(self, name: str) -> Host:
        for h in HOSTS:
            if h.name == name:
                return h
        raise SystemExit(f"unknown host {name!r}; hosts: {', '.join(h.name for h in HOSTS)}")

    def address(self, host: Host | str) -> str:
        h = self.host(host) if isinstance(host, str) else host
        return f"10.77.{self.id}.{h.octet}"

    def namespace(self, host: Host | str) -> str:
        return self.prefix + (host if isinstance(host, str) else host.name)

    def veth(self, host: Host | str) -> str:
        # the root-namespace end of the host's cable, plugged into the bridge (max 15 characters)
        return self.prefix + (host if isinstance(host, str) else host.name)

    def host_dir(self, host: Host | str) -> Path:
        return self.dir / (host if isinstance(host, str) else host.name)

    def pgdata(self, host: Host | str) -> Path:
        return self.host_dir(host) / "pgdata"

    @property
    def lb(self) -> str:
        return self.address("lb")

    @property
    def url(self) -> str:
        return f"http://{self.lb}" + ("" if PORTS["http"] == 80 else f":{PORTS['http']}")
