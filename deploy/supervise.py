"""The init system of one simulated host (`python -m deploy.supervise HOST`, run inside the host's
namespace): starts the host's roles, restarts any that exits after RESTART_SEC (like systemd's
Restart=always), and stops them all on SIGTERM. A role with a `<host>-<role>.held` file in the
run directory is left stopped (`python -m deploy.cluster stop HOST ROLE`)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from .packages import PATRONI
from .config import PG_BIN, app_environment, etcd_env, haproxy_cfg, patroni_yml
from .topology import PORTS, ROOT, Cluster

RESTART_SEC = float(os.environ.get("RESTART_SEC", "2"))


def role_spec(cluster: Cluster, host: str, role: str) -> tuple[list[str], dict, dict]:
    """(argv, environment, extra Popen arguments) of one role on one host."""
    hd = cluster.host_dir(host)
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    if role == "etcd":
        return ["etcd"], {**base, **etcd_env(cluster, host)}, {}
    if role == "patroni":
        cfg = hd / "patroni.yml"
        return ([str(PATRONI), str(cfg)], {**base, "HOME": str(hd), "PATH": f"{PG_BIN}:{base['PATH']}"},
                {"user": "postgres", "group": "postgres"})
    if role == "haproxy":
        return ["haproxy", "-W", "-db", "-f", str(hd / "haproxy.cfg")], base, {}
    if role == "redis":
        return (["redis-server", "--bind", cluster.address(host), "--port", str(PORTS["redis"]),
                 "--save", "", "--appendonly", "no", "--protected-mode", "no", "--dir", str(hd)], base, {})
    env = app_environment(cluster, host)
    if role in ("web", "ws"):
        env["PORT"] = str(PORTS[role])
    return [str(ROOT / "bin" / "ticketcore"), role], env, {}


def write_configs(cluster: Cluster, host: str, roles) -> None:
    hd = cluster.host_dir(host)
    hd.mkdir(parents=True, exist_ok=True)
    if "patroni" in roles:
        import pwd

        pw = pwd.getpwnam("postgres")
        for d in (hd, hd / "socket"):
            d.mkdir(exist_ok=True)
            os.chown(d, pw.pw_uid, pw.pw_gid)
        (hd / "patroni.yml").write_text(patroni_yml(cluster, host, synchronous_mode=os.environ.get(
            "SYNCHRONOUS_MODE", "true") == "true"))
        os.chown(hd / "patroni.yml", pw.pw_uid, pw.pw_gid)
    if "haproxy" in roles:
        (hd / "haproxy.cfg").write_text(haproxy_cfg(cluster))


def main() -> None:
    host = sys.argv[1]
    cluster = Cluster()
    roles = cluster.host(host).roles
    write_configs(cluster, host, roles)
    cluster.logs.mkdir(parents=True, exist_ok=True)
    cluster.run.mkdir(parents=True, exist_ok=True)
    procs: dict[str, subprocess.Popen] = {}
    stopped_at: dict[str, float] = {}
    stopping = False

    def pidfile(role: str):
        return cluster.run / f"{host}-{role}.pid"

    def start(role: str) -> None:
        argv, env, extra = role_spec(cluster, host, role)
        log = open(cluster.logs / f"{host}-{role}.log", "ab")
        log.write(f"\n--- {time.strftime('%H:%M:%S')} start {' '.join(argv)}\n".encode())
        log.flush()
        procs[role] = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True, **extra)
        log.close()
        pidfile(role).write_text(str(procs[role].pid))

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for role in roles:
        if not (cluster.run / f"{host}-{role}.held").exists():
            start(role)
    while not stopping:
        for role in roles:
            held = (cluster.run / f"{host}-{role}.held").exists()
            proc = procs.get(role)
            if proc is not None and proc.poll() is not None:
                with open(cluster.logs / f"{host}-{role}.log", "ab") as log:
                    log.write(f"--- {time.strftime('%H:%M:%S')} exited with {proc.returncode}\n".encode())
                procs.pop(role)
                stopped_at[role] = time.monotonic()
                pidfile(role).unlink(missing_ok=True)
            if role not in procs and not held and time.monotonic() - stopped_at.get(role, 0) >= RESTART_SEC:
                start(role)
        time.sleep(0.2)
    for proc in procs.values():
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 15
    for proc in procs.values():
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
