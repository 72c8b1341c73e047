"""Renders the templates in deploy/templates/ for one cluster, keeps its secrets, and builds the
one environment every app host gets."""
from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path
from string import Template

from .topology import APP_HOSTS, DB_HOSTS, PORTS, Cluster

TEMPLATES = Path(__file__).resolve().parent / "templates"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
OWNER_ROLE, APP_ROLE, DATABASE = "ticketcore_owner", "ticketcore_app", "ticketcore"


def load_secrets(cluster: Cluster) -> dict[str, str]:
    """Passwords and keys, generated once per cluster and kept under .data/ (git-ignored)."""
    path = cluster.dir / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    cluster.dir.mkdir(parents=True, exist_ok=True)
    values = {name: secrets.token_urlsafe(24) for name in
              ("superuser_password", "replication_password", "rewind_password", "owner_password", "app_password")}
    values["SECRET_KEY"] = secrets.token_urlsafe(50)
    # a 32-byte key, url-safe base64 (the shape of a Fernet key)
    values["SIGNING_KEYS_KEK"] = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    path.write_text(json.dumps(values, indent=1))
    path.chmod(0o600)
    return values


def render(template: str, **values) -> str:
    return Template((TEMPLATES / template).read_text()).substitute(**values)


def etcd_env(cluster: Cluster, host: str) -> dict[str, str]:
    text = render("etcd.env", name=host, address=cluster.address(host), scope=cluster.scope,
                  data_dir=cluster.host_dir(host) / "etcd",
                  initial_cluster=",".join(f"{h.name}=http://{cluster.address(h)}:{PORTS['etcd_peer']}" for h in DB_HOSTS))
    env = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    return env


def patroni_yml(cluster: Cluster, host: str, *, synchronous_mode: bool = True) -> str:
    s = load_secrets(cluster)
    hd = cluster.host_dir(host)
    return render(
        "patroni.yml", scope=cluster.scope, name=host, address=cluster.address(host),
        etcd_hosts=",".join(f"{cluster.address(h)}:{PORTS['etcd_client']}" for h in DB_HOSTS),
        synchronous_mode="true" if synchronous_mode else "false",
        data_dir=cluster.pgdata(host), bin_dir=PG_BIN, pgpass=hd / "pgpass", socket_dir=hd / "socket",
        superuser_password=s["superuser_password"], replication_password=s["replication_password"],
        rewind_password=s["rewind_password"], subnet=cluster.subnet,
    )


def haproxy_cfg(cluster: Cluster) -> str:
    def lines(hosts, port, extra=""):
        return "\n".join(f"    server {h.name} {cluster.address(h)}:{port}{extra}" for h in hosts)

    return render(
        "haproxy.cfg", lb=cluster.lb, http_port=PORTS["http"],
        pg_servers=lines(DB_HOSTS, PORTS["pg"], f" check port {PORTS['patroni']}"),
        web_servers=lines(APP_HOSTS, PORTS["web"], " check"),
        scan_servers="\n".join(f"    server {h.name} {cluster.address(h)}:{PORTS['web']} track granian/{h.name}"
                               for h in APP_HOSTS),
        ws_servers=lines(APP_HOSTS, PORTS["ws"], " check"),
    )


def database_url(cluster: Cluster, user: str, password: str, database: str = DATABASE) -> str:
    # connect_timeout: a connection attempt to a dead leader must fail fast so the request can
    # answer 503 and the next one reaches the new leader through HAProxy.
    return (f"postgres://{user}:{password}@{cluster.lb}:{PORTS['pg']}/{database}"
            "?connect_timeout=3&keepalives_idle=5&keepalives_interval=2&keepalives_count=3")


def app_environment(cluster: Cluster, host: str) -> dict[str, str]:
    """THE environment of every TicketCore process in the cluster (web, ws, worker, beat,
    migrate, manage). One dict, so a new setting is added in one place."""
    s = load_secrets(cluster)
    owner_url = database_url(cluster, OWNER_ROLE, s["owner_password"])
    app_url = database_url(cluster, APP_ROLE, s["app_password"])  # DML only (docs/adr/0019)
    env = {
        "DEBUG": "false",
        "SECRET_KEY": s["SECRET_KEY"],
        "SIGNING_KEYS_KEK": s["SIGNING_KEYS_KEK"],
        "ALLOWED_HOSTS": f"{cluster.lb},{cluster.address(host)},localhost,127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": cluster.url,
        "DATABASE_URL": app_url,
        "MIGRATE_DATABASE_URL": owner_url,
        "DATABASE_APP_ROLE": APP_ROLE,
        "REDIS_URL": f"redis://{cluster.address('work')}:{PORTS['redis']}/0",
        # After a failover every pooled connection points at a dead server: check it before use
        # rather than fail one request per worker thread (docs/adr/0006).
        "CONN_HEALTH_CHECKS": "true",
        "CONN_MAX_AGE": "60",
        # The balancer appends X-Forwarded-For (`option forwardfor`): the app believes it only from
        # the balancer's address, so pairing failures and admin lockouts count per real client
        # (docs/adr/0018).
        "TRUSTED_PROXIES": cluster.address("lb"),
        # The dashboard's WebSocket comes from pages served through the balancer.
        "WS_ALLOWED_ORIGINS": cluster.url,
        "HOST": cluster.address(host),
        "DATA_DIR": str(cluster.host_dir(host)),
        # Background jobs (docs/adr/0030): the web hosts write a job's record, the work host's
        # worker its file, and either web host answers its status and download, so all of them
        # see one directory: here one path on the machine, in production a shared mount (NFS).
        "JOBS_DIR": str(cluster.dir / "shared" / "jobs"),
        # Each host collects its own static files, as separate machines would.
        "STATIC_ROOT": str(cluster.host_dir(host) / "static"),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
    }
    return env
