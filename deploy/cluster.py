"""Operator's tool for the TicketCore cluster on one machine (docs/ha.md).

    python -m deploy.cluster up [--foreground]   build namespaces, start every host, load demo data
    python -m deploy.cluster down                stop everything, remove namespaces (idempotent)
    python -m deploy.cluster status              hosts, roles, the database leader (also state.json)
    python -m deploy.cluster kill HOST [ROLE]    kill -9 the host's processes (or one role's)
    python -m deploy.cluster stop|start HOST ROLE   hold a role stopped / let it run again
    python -m deploy.cluster partition HOST      cut the host's network link (processes keep running)
    python -m deploy.cluster heal HOST           plug it back in
    python -m deploy.cluster switchover          planned Patroni switchover to the synchronous standby
    python -m deploy.cluster manage ARGS...      a management command on an app host
CLUSTER_ID (default 1) picks the subnet 10.77.<id>.0/24 and the names, so clusters never collide."""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from . import netns, packages
from .config import APP_ROLE, DATABASE, OWNER_ROLE, app_environment, database_url, load_secrets
from .topology import APP_HOSTS, DB_HOSTS, HOSTS, PORTS, ROOT, Cluster

PY = str(ROOT / ".venv" / "bin" / "python")
ADMIN_USER, ADMIN_PASSWORD = "admin", "ticketcore-admin"


def log(msg: str) -> None:
    print(f"[cluster {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def http_json(url: str, *, method: str = "GET", body: dict | None = None, timeout: float = 2.0):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        raw = resp.read()
        try:
            return resp.status, json.loads(raw or b"null")
        except ValueError:
            return resp.status, raw.decode(errors="replace")


def wait_for(what: str, check, timeout: float) -> object:
    """Poll check() until it returns something truthy, or fail after the deadline."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
            last_error = exc
        time.sleep(0.3)
    raise SystemExit(f"Timed out after {timeout:.0f} s waiting for {what} (last error: {last_error})")


# ---------------------------------------------------------------------------------------- state

def patroni_cluster(cluster: Cluster) -> dict | None:
    """Patroni's view of the cluster, asked of any database host that answers."""
    for h in DB_HOSTS:
        try:
            status, body = http_json(f"http://{cluster.address(h)}:{PORTS['patroni']}/cluster", timeout=1)
            if status == 200 and isinstance(body, dict):
                return body
        except (OSError, ValueError):
            continue
    return None


def leader(cluster: Cluster) -> str | None:
    info = patroni_cluster(cluster) or {}
    for m in info.get("members", []):
        if m.get("role") == "leader" and m.get("state") == "running":
            return m["name"]
    return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def role_pid(cluster: Cluster, host: str, role: str) -> int | None:
    if role == "postgres":
        pidfile = cluster.pgdata(host) / "postmaster.pid"
    else:
        pidfile = cluster.run / f"{host}-{role}.pid"
    try:
        pid = int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if pid_alive(pid) else None


def app_ready(cluster: Cluster, host: str) -> bool:
    try:
        return http_json(f"http://{cluster.address(host)}:{PORTS['web']}/readyz", timeout=2)[0] == 200
    except (OSError, ValueError):
        return False


def status(cluster: Cluster, *, quiet: bool = False) -> dict:
    info = patroni_cluster(cluster) or {}
    members = {m["name"]: m for m in info.get("members", [])}
    hosts = []
    for h in HOSTS:
        roles = list(h.roles) + (["postgres"] if "patroni" in h.roles else [])
        entry = {
            "name": h.name, "namespace": cluster.namespace(h), "address": cluster.address(h), "roles": roles,
            "running": {r: bool(role_pid(cluster, h.name, r)) for r in roles},
            "partitioned": netns.is_partitioned(cluster, h.name),
        }
        if h.name in members:
            m = members[h.name]
            entry["database"] = {"role": m.get("role"), "state": m.get("state"), "lag": m.get("lag"),
                                 "timeline": m.get("timeline")}
        if "web" in h.roles:
            entry["ready"] = app_ready(cluster, h.name)
        hosts.append(entry)
    streaming = {r.get("application_name"): f"{r.get('state')}/{r.get('sync_state')}" for r in replication(cluster)}
    for e in hosts:
        if e["name"] in streaming:
            e["database"]["replication"] = streaming[e["name"]]
    state = {
        "cluster_id": cluster.id, "url": cluster.url, "bridge": cluster.bridge, "subnet": cluster.subnet,
        "leader": next((n for n, m in members.items() if m.get("role") == "leader"), None),
        "hosts": hosts, "updated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    cluster.dir.mkdir(parents=True, exist_ok=True)
    cluster.state_file.write_text(json.dumps(state, indent=1))
    if not quiet:
        print(f"cluster {cluster.id}  {cluster.url}  database leader: {state['leader']}")
        for e in hosts:
            db = e.get("database")
            extra = (f"  db={db['role']}/{db['state']} lag={db['lag']}" + (f" {db['replication']}" if db.get("replication") else "")) if db else ""
            ready = f"  ready={e['ready']}" if "ready" in e else ""
            cut = "  PARTITIONED" if e["partitioned"] else ""
            procs = " ".join(f"{r}{'' if ok else '(down)'}" for r, ok in e["running"].items())
            print(f"  {e['name']:5} {e['address']:13} {e['namespace']:10} {procs}{extra}{ready}{cut}")
    return state


def replication(cluster: Cluster) -> list[dict]:
    """The leader's pg_stat_replication as Patroni reports it (state, sync_state per standby)."""
    name = leader(cluster)
    if not name:
        return []
    try:
        return http_json(f"http://{cluster.address(name)}:{PORTS['patroni']}/patroni", timeout=1)[1].get("replication", [])
    except (OSError, ValueError, AttributeError):
        return []


def healthy(cluster: Cluster) -> bool:
    """A leader, every other member streaming from it (one of them synchronous), both app hosts
    ready: the state the cluster must come back to on its own after every fault."""
    info = patroni_cluster(cluster) or {}
    roles = [m.get("role") for m in info.get("members", [])]
    # Patroni promotes only the standby recorded as synchronous in etcd: until one is recorded
    # again (after a leader restart), a second failure would leave the cluster without a leader
    if roles.count("leader") != 1 or "sync_standby" not in roles:
        return False
    standbys = replication(cluster)
    if len([r for r in standbys if r.get("state") == "streaming"]) != len(DB_HOSTS) - 1:
        return False
    if not any(r.get("sync_state") == "sync" for r in standbys):
        return False
    return all(app_ready(cluster, h.name) for h in APP_HOSTS)


# --------------------------------------------------------------------------------- processes

def start_host(cluster: Cluster, host: str) -> None:
    cluster.logs.mkdir(parents=True, exist_ok=True)
    out = open(cluster.logs / f"{host}-supervise.log", "ab")
    env = dict(os.environ, CLUSTER_ID=str(cluster.id), PYTHONPATH=str(ROOT))
    subprocess.Popen(netns.exec_argv(cluster, host, [PY, "-m", "deploy.supervise", host]), cwd=ROOT, env=env,
                     stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    out.close()


def kill(cluster: Cluster, host: str, role: str | None = None) -> list[str]:
    h = cluster.host(host)
    roles = [role] if role else list(h.roles) + (["postgres"] if "patroni" in h.roles else [])
    killed = []
    for r in roles:
        pid = role_pid(cluster, host, r)
        if pid is None:
            continue
        if r == "postgres":
            # the postmaster and every backend, as a machine crash would
            children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
            for p in [pid, *map(int, children)]:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        killed.append(r)
    return killed


def hold(cluster: Cluster, host: str, role: str) -> None:
    cluster.run.mkdir(parents=True, exist_ok=True)
    (cluster.run / f"{host}-{role}.held").touch()
    pid = role_pid(cluster, host, role)
    if pid:
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if pid_alive(pid):
            os.killpg(pid, signal.SIGKILL)


def release(cluster: Cluster, host: str, role: str) -> None:
    (cluster.run / f"{host}-{role}.held").unlink(missing_ok=True)


def switchover(cluster: Cluster) -> str:
    info = patroni_cluster(cluster) or {}
    members = info.get("members", [])
    current = next((m["name"] for m in members if m.get("role") == "leader"), None)
    candidates = [m["name"] for m in members if m.get("role") == "sync_standby"] or \
                 [m["name"] for m in members if m.get("role") == "replica" and m.get("state") == "streaming"]
    if not current or not candidates:
        raise SystemExit(f"No leader or no candidate for a switchover: {members}")
    status_code, body = http_json(f"http://{cluster.address(current)}:{PORTS['patroni']}/switchover",
                                  method="POST", body={"leader": current, "candidate": candidates[0]}, timeout=30)
    log(f"switchover {current} -> {candidates[0]}: {status_code} {body}")
    return candidates[0]


def manage(cluster: Cluster, args: list[str], *, host: str | None = None, check: bool = True) -> str:
    host = host or next((h.name for h in APP_HOSTS if not netns.is_partitioned(cluster, h.name)), "app1")
    env = app_environment(cluster, host)
    if args and args[0] in ("migrate", "migrate_locked"):
        env["DATABASE_URL"] = env["MIGRATE_DATABASE_URL"]
    result = subprocess.run(netns.exec_argv(cluster, host, [PY, "manage.py", *args]), cwd=ROOT, env=env,
                            capture_output=True, text=True)
    if check and result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed on {host}:\n{result.stdout}\n{result.stderr}")
    return result.stdout + result.stderr


# --------------------------------------------------------------------------------------- up

def create_roles(cluster: Cluster) -> None:
    """The database and its two roles: the owner (migrations) and the application's DML role."""
    import psycopg
    from psycopg import sql

    s = load_secrets(cluster)
    url = database_url(cluster, "postgres", s["superuser_password"], "postgres")
    with psycopg.connect(url, autocommit=True) as conn:
        for role, pw in ((OWNER_ROLE, s["owner_password"]), (APP_ROLE, s["app_password"])):
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone()
            verb = "ALTER" if exists else "CREATE"
            conn.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(pw)))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(DATABASE), sql.Identifier(OWNER_ROLE)))
    with psycopg.connect(database_url(cluster, "postgres", s["superuser_password"], DATABASE), autocommit=True) as conn:
        conn.execute(sql.SQL("GRANT ALL ON SCHEMA public TO {}").format(sql.Identifier(OWNER_ROLE)))
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(DATABASE), sql.Identifier(APP_ROLE)))
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(APP_ROLE)))


def primary_through_lb(cluster: Cluster) -> bool:
    import psycopg

    s = load_secrets(cluster)
    with psycopg.connect(database_url(cluster, "postgres", s["superuser_password"], "postgres"),
                         autocommit=True, connect_timeout=2) as conn:
        return conn.execute("SELECT NOT pg_is_in_recovery()").fetchone()[0]


def require_reachable_by_postgres(path: Path) -> None:
    """Patroni and PostgreSQL run as the `postgres` user, from this checkout's .data: every
    directory above it must let that user through. A checkout under a private directory (mktemp
    -d makes 0700 ones) would otherwise fail as a silent 120 s wait for a leader."""
    import pwd

    uid = pwd.getpwnam("postgres").pw_uid
    for d in [path, *path.parents]:
        st = d.stat()
        if st.st_uid != uid and not st.st_mode & 0o001:
            raise SystemExit(f"the cluster runs PostgreSQL and Patroni as the postgres user, who cannot enter {d} "
                             f"(mode {st.st_mode & 0o777:o}): clone the checkout under a directory others may "
                             f"enter, or `chmod o+x {d}`")


def up(cluster: Cluster, *, demo: bool = True) -> dict:
    netns.require_root()
    packages.ensure()
    require_reachable_by_postgres(ROOT)
    down(cluster, quiet=True)  # a fresh cluster every time; also clears a crashed run
    import shutil

    for h in HOSTS:
        shutil.rmtree(cluster.host_dir(h), ignore_errors=True)
    shutil.rmtree(cluster.run, ignore_errors=True)
    shutil.rmtree(cluster.logs, ignore_errors=True)
    load_secrets(cluster)
    netns.create(cluster)
    log(f"namespaces up on {cluster.bridge} {cluster.subnet}; starting etcd + Patroni on "
        f"{', '.join(h.name for h in DB_HOSTS)} and HAProxy on lb")
    for h in (*DB_HOSTS, cluster.host("lb")):
        start_host(cluster, h.name)
    wait_for("a Patroni leader", lambda: leader(cluster), 120)
    wait_for("the leader through HAProxy", lambda: primary_through_lb(cluster), 60)
    create_roles(cluster)
    log(f"leader {leader(cluster)}; migrating from both app hosts at once (advisory lock)")
    procs = []
    for h in APP_HOSTS:
        env = app_environment(cluster, h.name)
        procs.append(subprocess.Popen(netns.exec_argv(cluster, h.name, [str(ROOT / "bin" / "ticketcore"), "migrate"]),
                                      cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    for h, p in zip(APP_HOSTS, procs):
        out, _ = p.communicate(timeout=300)
        (cluster.logs / f"{h.name}-migrate.log").write_text(out)
        if p.returncode != 0:
            raise SystemExit(f"migrate failed on {h.name}:\n{out[-3000:]}")
    event_id = ""
    if demo:
        out = manage(cluster, ["demo"])
        event_id = next((l.split("=", 1)[1] for l in out.splitlines() if l.startswith("DEMO_EVENT_ID=")), "")
        manage(cluster, ["ensure_admin", ADMIN_USER, ADMIN_PASSWORD])
    for h in (*APP_HOSTS, cluster.host("work")):
        start_host(cluster, h.name)
    wait_for("both app hosts ready", lambda: all(app_ready(cluster, h.name) for h in APP_HOSTS), 120)
    wait_for("a healthy cluster (leader, streaming replicas, app hosts)", lambda: healthy(cluster), 120)
    state = status(cluster, quiet=True)
    state["demo_event_id"] = event_id
    cluster.state_file.write_text(json.dumps(state, indent=1))
    return state


def down(cluster: Cluster, *, quiet: bool = False) -> None:
    netns.destroy(cluster)
    if not quiet:
        log(f"cluster {cluster.id} is down (namespaces {cluster.prefix}*, bridge {cluster.bridge} removed)")


def banner(cluster: Cluster, state: dict) -> None:
    base = cluster.url
    print("\n" + "=" * 72)
    print(f"TicketCore cluster {cluster.id} is running behind the load balancer at {base}/")
    print(f"  Admin:      {base}/admin/   (user {ADMIN_USER!r}, password {ADMIN_PASSWORD!r})")
    if state.get("demo_event_id"):
        print(f"  Dashboard:  {base}/dashboard/events/{state['demo_event_id']}/")
    print(f"  Scanner:    {base}/scanner/")
    print(f"  API docs:   {base}/api/docs/")
    print(f"  HAProxy:    http://{cluster.lb}:{PORTS['stats']}/   database leader: {state['leader']}")
    print(f"  Database:   postgres://…@{cluster.lb}:{PORTS['pg']}/{DATABASE} (app role: "
          f"{APP_ROLE})")
    print(f"  Logs:       {cluster.logs}/   state: {cluster.state_file}")
    print("  Drill it:   python -m deploy.cluster status | kill db1 postgres | partition db2 | heal db2 | switchover")
    print("Ctrl-C stops everything and removes the namespaces.")
    print("=" * 72 + "\n", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.cluster", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up")
    p_up.add_argument("--foreground", action="store_true", help="wait for Ctrl-C, then tear everything down")
    p_up.add_argument("--no-demo", action="store_true")
    sub.add_parser("down")
    sub.add_parser("status")
    p_kill = sub.add_parser("kill")
    p_kill.add_argument("host")
    p_kill.add_argument("role", nargs="?")
    for name in ("stop", "start"):
        p = sub.add_parser(name)
        p.add_argument("host")
        p.add_argument("role")
    for name in ("partition", "heal"):
        sub.add_parser(name).add_argument("host")
    sub.add_parser("switchover")
    p_manage = sub.add_parser("manage")
    p_manage.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    cluster = Cluster()

    if args.command == "up":
        if args.foreground:
            # Ctrl-C (or the parent's SIGTERM) at any point, even half-way through `up`, tears down
            def stop(*_):
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                print("\nStopping the cluster ...", flush=True)
                down(cluster)
                sys.exit(0)

            signal.signal(signal.SIGINT, stop)
            signal.signal(signal.SIGTERM, stop)
        try:
            state = up(cluster, demo=not args.no_demo)
        except BaseException:
            if args.foreground:
                down(cluster)
            raise
        banner(cluster, state)
        if args.foreground:
            while True:
                time.sleep(3600)
    elif args.command == "down":
        down(cluster)
    elif args.command == "status":
        status(cluster)
    elif args.command == "kill":
        print("killed:", ", ".join(kill(cluster, args.host, args.role)) or "nothing (not running)")
    elif args.command == "stop":
        hold(cluster, args.host, args.role)
    elif args.command == "start":
        release(cluster, args.host, args.role)
    elif args.command == "partition":
        netns.partition(cluster, args.host)
    elif args.command == "heal":
        netns.heal(cluster, args.host)
    elif args.command == "switchover":
        switchover(cluster)
    elif args.command == "manage":
        print(manage(cluster, args.args, check=False), end="")


if __name__ == "__main__":
    main()
