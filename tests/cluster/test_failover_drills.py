"""Fault drills against the real cluster (deploy/): 24 paired devices scan through the load
balancer at ~80 scans/s while the leader's PostgreSQL is killed, the leader is cut off the
network, an app host is killed, Redis stops for 20 s and a planned switchover runs. Afterwards,
from the devices' logs and the database: nothing acknowledged is lost, nothing is admitted twice,
every retry gets the original answer, and the cluster healed itself. Figures: docs/ha.md."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from deploy import cluster as ops
from deploy import netns
from deploy.config import DATABASE, database_url, load_secrets
from deploy.topology import HOSTS, ROOT, Cluster
from tests.ticketcore.test_outage import call as call_raw

from .drill import Device, Fault, Log, NoAnswer, Tickets, call, create_event, dump, outage, pair_devices

# Bringing the cluster up (in the first test that asks for it) and the drills take minutes,
# more on a loaded machine: well beyond the suite's 300 s per test.
pytestmark = pytest.mark.timeout(900)

DEVICES, OFFLINE_DEVICES = 24, 4  # 20 scan online, 4 scan offline and sync every 2 s
ONLINE_RATE, OFFLINE_RATE = 3.0, 5.0  # scans/s per device: 80/s in all
TICKETS = 12000
# The target is recovery within 15 s (measured 10.4-11.3 s on a quiet machine, 13.4 s with
# other suites running beside it: docs/ha.md, and the figures printed at the end of every run).
# The test fails well before a regression of the Patroni timing (Patroni 4's 20 s ttl floor gave
# 23.5 s) but not on a busy machine's noise.
RECOVERY_TARGET_S = 15.0
RECOVERY_LIMIT_S = 20.0
# The drill's time.sleep calls are its script (steady traffic between faults, a partition held for
# a while, Redis down for 20 s), never a wait for a condition: those poll with a deadline.
STEADY_S = 3
HEAL_DEADLINE_S = 90.0


def wait_until(what: str, check, timeout: float, cluster=None) -> float:
    """Poll until check() is truthy; returns the monotonic time it first was."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return time.monotonic()
        except Exception:  # noqa: BLE001 - not yet
            pass
        time.sleep(0.25)
    detail = ""
    if cluster is not None:
        detail = json.dumps({"status": ops.status(cluster, quiet=True), "replication": ops.replication(cluster)})
    raise AssertionError(f"not within {timeout:.0f} s: {what} {detail}")


def in_recovery_locally(c, host: str) -> bool | None:
    """Asks the host's own PostgreSQL, from inside its namespace (works while it is cut off)."""
    out = subprocess.run(netns.exec_argv(c, host, ["runuser", "-u", "postgres", "--", "psql", "-h",
                                                   str(c.host_dir(host) / "socket"), "-At", "-c",
                                                   "SELECT pg_is_in_recovery()"]),
                         capture_output=True, text=True, timeout=5)
    return {"t": True, "f": False}.get(out.stdout.strip())


# --------------------------------------------------------------------------- the operator's tool
# state.json describes every host; `down` is idempotent and cleans up after a crashed run
# (namespaces and bridge of that cluster only). Here, in the drills' module, because pytest-xdist
# hands out whole modules (`make test`, --dist loadfile): one worker, one cluster.

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


# --------------------------------------------------------------------------- background jobs

def _get(base: str, path: str, token: str, **headers):
    """(status, headers, body) of a staff GET, without raising on 4xx/5xx."""
    return call_raw(base, path, headers={"Authorization": f"Token {token}", "Accept": "application/json", **headers})


def test_a_job_asked_of_one_app_host_is_run_on_the_work_host_and_served_by_both(cluster):
    """docs/adr/0030 across machines: the web host that takes the request writes the job's record,
    the worker on the work host its file, and the balancer sends every status poll and the download
    to either app host; all see one JOBS_DIR (deploy/config.py)."""
    c, base = cluster, cluster.url
    event_id, sold = create_event(base, c.staff_token, tickets=16)
    status, headers, body = _get(base, f"/api/v1/events/{event_id}/tickets.pdf?layout=a4", c.staff_token,
                                 Prefer="respond-async")
    assert status == 202, body
    location = headers["Location"][headers["Location"].index("/api/"):]  # absolute, as the app host saw it
    polls, deadline = 0, time.monotonic() + 120
    while True:
        status, _, body = _get(base, location, c.staff_token)
        assert status == 200, (status, body)  # every poll, whichever app host answers it
        job, polls = json.loads(body), polls + 1
        if job["state"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.2)  # polling the job until the deadline, as a client does
    assert job["state"] == "done", job
    url = job["download_url"][job["download_url"].index("/api/"):]
    for _ in range(4):  # round robin: both app hosts serve the file
        status, headers, data = _get(base, url, c.staff_token)
        assert status == 200 and data.startswith(b"%PDF") and len(data) == job["size"], (status, data[:200])


# --------------------------------------------------------------------------- the drills

def test_drills_lose_no_acknowledged_scan_and_admit_nobody_twice(cluster):
    c, base = cluster, cluster.url
    event_id, sold = create_event(base, c.staff_token, tickets=TICKETS)
    paired = pair_devices(base, c.staff_token, event_id, DEVICES)
    log, stop = Log(), threading.Event()
    tickets = Tickets(sold, DEVICES)
    devices = [Device(i, p, base=base, offline_first=i < OFFLINE_DEVICES,
                      rate=OFFLINE_RATE if i < OFFLINE_DEVICES else ONLINE_RATE,
                      tickets=tickets, log=log, stop=stop) for i, p in enumerate(paired)]
    for d in devices:
        d.load_manifest()
    healthy = lambda: ops.healthy(c)  # noqa: E731
    faults: list[Fault] = []
    started = time.monotonic()
    for d in devices:
        d.start()
    failure = None
    try:
        time.sleep(5)  # steady traffic before the first fault (a pace, not a wait for a condition)

        # a. kill -9 the leader's PostgreSQL
        leader = ops.leader(c)
        f = Fault("a. kill -9 leader PostgreSQL", time.monotonic(), detail={"leader": leader})
        ops.kill(c, leader, "postgres")
        f.settled = wait_until("healthy after kill", healthy, HEAL_DEADLINE_S, c)
        f.detail["healthy_after_s"] = round(f.settled - f.started, 2)
        f.detail["leader_after"] = ops.leader(c)
        faults.append(f)
        time.sleep(STEADY_S)

        # b. cut the leader off the network without killing it, then heal
        leader = ops.leader(c)
        f = Fault("b. partition leader (split-brain attempt), heal", time.monotonic(), detail={"leader": leader})
        netns.partition(c, leader)
        new_leader_at = wait_until("a new leader", lambda: (ops.leader(c) or leader) != leader, 60, c)
        f.detail["new_leader"], f.detail["new_leader_after_s"] = ops.leader(c), round(new_leader_at - f.started, 2)
        demoted_at = wait_until("the isolated leader demotes itself",
                                lambda: in_recovery_locally(c, leader) in (True, None), 60)
        f.detail["isolated_leader_demoted_after_s"] = round(demoted_at - f.started, 2)
        time.sleep(STEADY_S)
        netns.heal(c, leader)
        f.ended = time.monotonic()
        f.settled = wait_until("healthy after heal", healthy, HEAL_DEADLINE_S, c)
        f.detail["healthy_after_heal_s"] = round(f.settled - f.ended, 2)
        faults.append(f)
        time.sleep(STEADY_S)

        # c. kill one app host (web + ws); its supervisor restarts them after RESTART_SEC
        f = Fault("c. kill app host app1", time.monotonic(), detail={"killed": ops.kill(c, "app1")})
        f.settled = wait_until("app1 back", healthy, HEAL_DEADLINE_S, c)
        f.detail["healthy_after_s"] = round(f.settled - f.started, 2)
        faults.append(f)
        time.sleep(STEADY_S)

        # d. stop Redis for 20 s
        f = Fault("d. Redis stopped 20 s", time.monotonic())
        ops.hold(c, "work", "redis")
        time.sleep(20)  # the fault's length
        ops.release(c, "work", "redis")
        f.ended = time.monotonic()
        f.settled = wait_until("healthy after Redis", healthy, HEAL_DEADLINE_S, c)
        f.detail["healthy_after_restart_s"] = round(f.settled - f.ended, 2)
        faults.append(f)
        time.sleep(STEADY_S)

        # e. planned switchover
        leader = ops.leader(c)
        f = Fault("e. planned switchover", time.monotonic(), detail={"leader": leader})
        f.detail["candidate"] = ops.switchover(c)
        wait_until("the new leader", lambda: (ops.leader(c) or leader) != leader, 60, c)
        f.settled = wait_until("healthy after switchover", healthy, HEAL_DEADLINE_S, c)
        f.detail["healthy_after_s"] = round(f.settled - f.started, 2)
        faults.append(f)
        time.sleep(5)
    except AssertionError as exc:
        # the cluster did not heal: still check what the devices were told against the data
        failure = exc
        faults.append(f)
    finally:
        stop.set()
        for d in devices:
            d.join(90)
    duration = time.monotonic() - started
    dump(log, faults, c.dir / "drill-requests.jsonl", started)
    report = verify(c, event_id, devices, log, faults, duration)
    (c.dir / "drill-report.json").write_text(json.dumps(report, indent=1))
    print("\n" + json.dumps(report, indent=1))
    assert report["acknowledged_lost"] == [], "acknowledged scans lost"
    assert report["double_admissions"] == [], "a ticket admitted twice"
    if failure is not None:
        raise failure

    assert not [d.error for d in devices if d.error], [repr(d.error) for d in devices if d.error]
    assert report["devices"] >= 20 and 50 <= report["scans_per_s"] <= 100, report
    assert report["acknowledged_lost"] == [], "acknowledged scans lost"
    assert report["double_admissions"] == [], "a ticket admitted twice"
    assert report["answers_differing_from_database"] == []
    assert report["retries_with_another_answer"] == [], "a retry got another answer"
    assert report["queued_left_on_devices"] == 0, "offline scans never synced"
    assert report["offline_decisions_by_online_devices"] > 0, "no device fell back to offline mode"
    assert report["synced_scans"] > 0
    by_name = {o["fault"]: o for o in report["faults"]}
    for name in ("a. kill -9 leader PostgreSQL", "b. partition leader (split-brain attempt), heal"):
        again = by_name[name]["answered_again_after_fault_s"]
        assert again is not None and again <= RECOVERY_LIMIT_S, by_name[name]
    assert by_name["c. kill app host app1"]["max_failed_per_device"] <= 1, by_name["c. kill app host app1"]
    assert ops.healthy(c)


def verify(c, event_id: str, devices: list[Device], log: Log, faults: list[Fault], duration: float) -> dict:
    s = load_secrets(c)
    with psycopg.connect(database_url(c, "postgres", s["superuser_password"], DATABASE), connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT s.device_id, s.scan_id::text, s.result, s.reason, t.ticket_id FROM access_scan s"
            " LEFT JOIN tickets_ticket t ON t.id = s.ticket_id WHERE s.event_id = %s", [event_id]).fetchall()
        ledger = {r[0] for r in conn.execute(
            "SELECT l.metadata->>'scan_id' FROM tickets_ledgerentry l JOIN tickets_ticket t ON t.id = l.ticket_id"
            " WHERE t.event_id = %s AND l.action = 'accessed'", [event_id]).fetchall()}
        doubles = conn.execute(
            "SELECT t.ticket_id, count(*) FROM access_scan s JOIN tickets_ticket t ON t.id = s.ticket_id"
            " WHERE s.event_id = %s AND s.result = 'accepted' AND s.direction = 'in' AND NOT s.quarantined"
            " GROUP BY t.ticket_id HAVING count(*) > 1", [event_id]).fetchall()
        doubles += conn.execute(
            "SELECT t.ticket_id, count(*) FROM tickets_ledgerentry l JOIN tickets_ticket t ON t.id = l.ticket_id"
            " WHERE t.event_id = %s AND l.action = 'accessed' GROUP BY t.ticket_id HAVING count(*) > 1",
            [event_id]).fetchall()
    stored = {(r[0], r[1]): r for r in rows}
    answered = [r for r in log.scans if r.server_answer is not None]
    acknowledged = [r for r in answered if r.server_answer["result"] == "accepted"]
    lost = [r.scan_id for r in acknowledged
            if (r.device, r.scan_id) not in stored or stored[(r.device, r.scan_id)][2] != "accepted"
            or r.scan_id not in ledger]
    differing = [r.scan_id for r in answered if (r.device, r.scan_id) in stored
                 and (stored[(r.device, r.scan_id)][2], stored[(r.device, r.scan_id)][3])
                 != (r.server_answer["result"], r.server_answer["reason"])]
    retries = retry_everything(c.url, devices, answered)

    bounds = [f.started for f in faults[1:]] + [time.monotonic()]
    windows = [(f.started, min(u, (f.settled or u) + 1.0)) for f, u in zip(faults, bounds)]
    outside = [r for r in log.requests if not r.ok and not any(a <= r.sent < b for a, b in windows)]
    fault_report = []
    for f, until in zip(faults, bounds):
        o = outage(log, f, until)
        o.update(f.detail)
        o["scans_decided_offline"] = sum(1 for r in log.scans if r.local is not None and r.online_answer is None
                                         and not _offline_first(devices, r.device)
                                         and f.started <= _scan_time(log, r) < until)
        fault_report.append(o)
    online_scans = [r for r in log.scans if not _offline_first(devices, r.device)]
    return {
        "devices": len(devices), "duration_s": round(duration, 1), "scans": len(log.scans),
        "scans_per_s": round(len(log.scans) / duration, 1),
        "answered_online": sum(1 for r in log.scans if r.online_answer is not None),
        "synced_scans": sum(1 for r in log.scans if r.sync_answer is not None),
        "accepted": len(acknowledged),
        "rejected_by_reason": _count(r.server_answer["reason"] for r in answered if r.server_answer["result"] != "accepted"),
        "offline_decisions_by_online_devices": sum(1 for r in online_scans if r.local is not None),
        "offline_admissions_rejected_at_sync": sum(1 for r in log.scans if r.queued and r.sync_answer
                                                   and r.sync_answer["result"] != "accepted"),
        "no_answer_refused_on_device": sum(1 for r in log.scans if r.server_answer is None and not r.queued),
        "queued_left_on_devices": sum(len(d.queue) for d in devices),
        "acknowledged_lost": lost, "double_admissions": [list(d) for d in doubles],
        "answers_differing_from_database": differing[:20],
        "retried": retries["retried"], "retries_with_another_answer": retries["differing"][:20],
        "latency_ms_online": _percentiles([(r.done - r.sent) * 1000 for r in log.requests if r.kind == "scan" and r.ok]),
        "faults": fault_report,
        "failures_outside_fault_windows": [{"device": r.device, "kind": r.kind, "status": r.status} for r in outside],
    }


def retry_everything(base: str, devices: list[Device], answered) -> dict:
    """Every answered scan sent again with its scan_id, the way it was first sent: the answer
    must be the original one, whichever database host answered it first."""
    auth = {d.device_id: d.auth for d in devices}
    differing: list = []
    lock = threading.Lock()

    def same(record, answer) -> None:
        if (answer["result"], answer["reason"]) != (record.server_answer["result"], record.server_answer["reason"]):
            with lock:
                differing.append((record.scan_id, record.server_answer["result"], answer["result"], answer["reason"]))

    def online(record) -> None:
        body = {"code": record.code, "direction": record.direction, "scan_id": record.scan_id,
                "scanned_at": record.scanned_at}
        status, answer = call(base, "/api/v1/scan", method="POST", body=body, auth=auth[record.device], timeout=10)
        if status != 200:
            raise NoAnswer(f"retry {status} {answer}")
        same(record, answer)

    def synced(device_id: str, records) -> None:
        for i in range(0, len(records), 200):
            batch = records[i:i + 200]
            body = {"scans": [{"code": r.code, "direction": r.direction, "scan_id": r.scan_id,
                               "scanned_at": r.scanned_at} for r in batch]}
            status, answer = call(base, "/api/v1/scan/sync", method="POST", body=body, auth=auth[device_id], timeout=60)
            if status != 200:
                raise NoAnswer(f"retry sync {status} {answer}")
            answers = {a["scan_id"]: a for a in answer["results"]}
            for r in batch:
                same(r, answers[r.scan_id])

    by_device: dict[str, list] = {}
    for r in answered:
        if r.online_answer is None:
            by_device.setdefault(r.device, []).append(r)
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(online, r) for r in answered if r.online_answer is not None]
        futures += [pool.submit(synced, d, rs) for d, rs in by_device.items()]
        for fut in futures:
            fut.result()
    return {"retried": len(answered), "differing": differing}


def _offline_first(devices, device_id) -> bool:
    return any(d.device_id == device_id and d.offline_first for d in devices)


def _scan_time(log: Log, record) -> float:
    return record.t


def _count(values) -> dict:
    out: dict = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def _percentiles(values) -> dict:
    values = sorted(values)
    if not values:
        return {}
    pick = lambda q: round(values[min(len(values) - 1, int(q * len(values)))], 1)  # noqa: E731
    return {"n": len(values), "p50": pick(0.5), "p99": pick(0.99), "max": round(values[-1], 1)}
