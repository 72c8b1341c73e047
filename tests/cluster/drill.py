"""Door traffic for the fault drills: paired devices scanning through the load balancer, some
online and some through the offline sync, every request and every answer logged.

An online device behaves like the scanner app (static/scanner/api.js, connection.js, queue.js): a scan that gets no
answer (network error, timeout, 5xx, 429) is decided on the device from its manifest, exactly as
offline.js decides it, and an admission is queued; the device then probes with heartbeats and,
once one answers, uploads its queue through POST /api/v1/scan/sync with the same scan_ids.
An offline device scans without a network at all and syncs its queue every few seconds."""
from __future__ import annotations

import base64
import json
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

ONLINE_TIMEOUT = 2.0  # api.js ONLINE_TIMEOUT_MS
SYNC_TIMEOUT = 20.0
PROBE_EVERY = 1.0  # connection.js probes every 3 s; 1 s measures the outage window more finely
SYNC_EVERY = 2.0


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


class NoAnswer(Exception):
    """Not an answer about the ticket: the device goes offline (api.js NetworkError)."""


def call(base: str, path: str, *, method: str = "GET", body=None, auth: str | None = None,
         timeout: float = 10.0) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    if auth:
        headers["Authorization"] = auth
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw or b"null")
        except ValueError:
            return exc.code, raw.decode(errors="replace")[:200]


def staff_call(base: str, token: str, path: str, **kw):
    status, body = call(base, path, auth=f"Token {token}", **kw)
    if status >= 300:
        raise AssertionError(f"{kw.get('method', 'GET')} {path} -> {status} {body}")
    return body


# ------------------------------------------------------------------------------------ set-up

def create_event(base: str, token: str, *, tickets: int) -> tuple[str, list[dict]]:
    """A drill event with doors open now and `tickets` sold tickets (codes included)."""
    start = datetime.now(timezone.utc) + timedelta(hours=1)
    event = staff_call(base, token, "/api/v1/events", method="POST", body={
        "name": f"Failover drill {uuid.uuid4().hex[:6]}", "venue": "Cluster arena",
        "date_start": start.isoformat(), "date_end": (start + timedelta(hours=4)).isoformat()})
    event_id = event["event_id"]
    staff_call(base, token, f"/api/v1/events/{event_id}/setup/zones", method="PUT", body={
        "status": True, "zones": [{"zone_id": "A", "name": "Floor", "color": "#C0392B", "seats": tickets,
                                   "reentry": False}]})
    staff_call(base, token, f"/api/v1/events/{event_id}/tickets/generate", method="POST", timeout=120)
    ids, path = [], f"/api/v1/events/{event_id}/tickets?page_size=500"
    while path:
        page = staff_call(base, token, path, timeout=60)
        ids += [t["ticket_id"] for t in page["results"]]
        path = page["next"] and page["next"][page["next"].index("/api/"):]
    sold = []
    for i in range(0, len(ids), 500):
        hold = staff_call(base, token, f"/api/v1/events/{event_id}/holds", method="POST",
                          body={"tickets": ids[i:i + 500]}, timeout=60)
        done = staff_call(base, token, f"/api/v1/holds/{hold['hold_id']}/checkout", method="POST",
                          body={"buyer": {"name": "drill"}}, timeout=60)
        sold += done["tickets"]
    return event_id, sold


def pair_devices(base: str, token: str, event_id: str, n: int) -> list[dict]:
    gates = [staff_call(base, token, f"/api/v1/events/{event_id}/checkpoints", method="POST",
                        body={"name": f"Gate {g}", "directions": "in"}) for g in range(1, 5)]
    devices = []
    for i in range(n):
        created = staff_call(base, token, "/api/v1/devices", method="POST", body={
            "name": f"drill-{i:02d}", "event_id": event_id, "checkpoint_id": gates[i % 4]["checkpoint_id"]})
        status, paired = call(base, "/api/v1/devices/pair", method="POST", body={"pairing_code": created["pairing_code"]})
        assert status == 201, (status, paired)
        devices.append(paired)
    return devices


# ------------------------------------------------------------------------ offline decisions

class Manifest:
    """The device's offline list (offline.js Manifest + LocalScans, tickets only)."""

    def __init__(self, data: dict):
        self.event = data["event"]
        self.checkpoint = data.get("checkpoint") or {}
        self.zones = {z["zone_id"]: z for z in data["zones"]}
        self.keys = {k["key_id"]: VerifyKey(_b64(k["public_key"])) for k in data["keys"]}
        self.tickets = {t["ticket_id"]: dict(t) for t in data["tickets"]}
        self.local: dict[str, dict] = {}

    def verify(self, code: str):
        parts = code.split(".")
        if len(parts) != 4 or parts[0] != "T" or parts[2] not in self.keys:
            return None
        try:
            self.keys[parts[2]].verify(".".join(parts[:3]).encode(), _b64(parts[3]))
        except BadSignatureError:
            return None
        return parts[1]

    def decide(self, code: str, direction: str) -> dict:
        """offline.js decide() for tickets, in the same order."""
        ticket_id = self.verify(code)
        if ticket_id is None:
            return {"result": "rejected", "reason": "invalid_signature"}
        directions = self.checkpoint.get("directions") or "both"
        if directions not in ("both", direction):
            return {"result": "rejected", "reason": "direction_not_allowed"}
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return {"result": "rejected", "reason": "unknown_ticket"}
        if ticket.get("status"):
            return {"result": "rejected", "reason": "not_sold"}
        zones_here = self.checkpoint.get("zones") or []
        if zones_here and ticket["zone_id"] not in zones_here:
            return {"result": "rejected", "reason": "zone_not_allowed"}
        mine = self.local.get(ticket_id)
        inside = mine["inside"] if mine else bool(ticket.get("access_entry"))
        used = bool(ticket.get("access_status")) or bool(mine and mine["access_status"])
        if direction == "in":
            if inside:
                return {"result": "rejected", "reason": "already_inside"}
            if used and not self.zones.get(ticket["zone_id"], {}).get("reentry"):
                return {"result": "rejected", "reason": "already_used"}
        elif not inside:
            return {"result": "rejected", "reason": "not_inside"}
        return {"result": "accepted", "reason": None}

    def record(self, ticket_id: str, direction: str) -> None:
        previous = self.local.get(ticket_id) or {}
        self.local[ticket_id] = {"access_status": previous.get("access_status") or direction == "in",
                                 "inside": direction == "in"}

    def learn(self, answer: dict, direction: str) -> None:
        """local.js learn(): what the server said about a ticket updates the offline list."""
        ticket = (answer or {}).get("ticket") or {}
        current = self.tickets.get(ticket.get("ticket_id"))
        if current is None:
            return
        reason = answer.get("reason")
        if answer.get("result") == "accepted":
            current.update({"access_status": True, "access_entry": True} if direction == "in" else {"access_entry": False})
        elif reason == "already_inside":
            current.update({"access_status": True, "access_entry": True})
        elif reason == "already_used":
            current["access_status"] = True
        elif reason == "not_inside":
            current["access_entry"] = False


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ---------------------------------------------------------------------------------- traffic

@dataclass
class ScanRecord:
    device: str
    scan_id: str
    code: str
    ticket_id: str
    direction: str
    scanned_at: str
    online_answer: dict | None = None  # what POST /scan answered
    local: dict | None = None  # the device's own decision when it had no answer
    queued: bool = False
    sync_answer: dict | None = None  # what POST /scan/sync answered for it
    t: float = field(default_factory=time.monotonic)

    @property
    def server_answer(self) -> dict | None:
        return self.online_answer or self.sync_answer


@dataclass
class RequestLog:
    device: str
    kind: str  # scan | sync | heartbeat
    sent: float
    done: float
    ok: bool
    status: int | str
    scans: int = 1


class Log:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[RequestLog] = []
        self.scans: list[ScanRecord] = []

    def request(self, entry: RequestLog) -> None:
        with self.lock:
            self.requests.append(entry)

    def scan(self, record: ScanRecord) -> None:
        with self.lock:
            self.scans.append(record)


class Tickets:
    """Who scans what: each device has its own tickets, and a share of scans go to contested
    tickets handed to three devices in a row (several gates scanning one code at once)."""

    def __init__(self, tickets: list[dict], devices: int, contested_share: float = 0.25, per_contest: int = 3):
        rng = random.Random(14)
        tickets = list(tickets)
        rng.shuffle(tickets)
        n_contested = len(tickets) // 5
        self.contested = tickets[:n_contested]
        own = tickets[n_contested:]
        self.own = [own[i::devices] for i in range(devices)]
        self.share, self.per_contest = contested_share, per_contest
        self.lock = threading.Lock()
        self.handed = 0
        self.rng = random.Random(7)

    def next(self, device_index: int) -> dict | None:
        with self.lock:
            if self.rng.random() < self.share and self.handed // self.per_contest < len(self.contested):
                ticket = self.contested[self.handed // self.per_contest]
                self.handed += 1
                return ticket
            pool = self.own[device_index]
            return pool.pop() if pool else None


class Device(threading.Thread):
    def __init__(self, index: int, paired: dict, *, base: str, offline_first: bool, rate: float,
                 tickets: Tickets, log: Log, stop: threading.Event):
        super().__init__(daemon=True, name=f"device-{index}")
        self.index, self.base, self.offline_first, self.rate = index, base, offline_first, rate
        self.device_id, self.auth = paired["device_id"], f"Device {paired['token']}"
        self.tickets, self.log, self.stop_event = tickets, log, stop
        self.manifest: Manifest | None = None
        self.online = not offline_first
        self.queue: list[ScanRecord] = []
        self.last_probe = self.last_sync = 0.0
        self.error: BaseException | None = None

    # one request, logged; NoAnswer when it is not an answer about the scan
    def request(self, kind: str, path: str, body, timeout: float, scans: int = 1):
        sent = time.monotonic()
        try:
            status, data = call(self.base, path, method="POST", body=body, auth=self.auth, timeout=timeout)
        except (OSError, ValueError) as exc:
            self.log.request(RequestLog(self.device_id, kind, sent, time.monotonic(), False, type(exc).__name__, scans))
            raise NoAnswer(str(exc)) from exc
        ok = 200 <= status < 300
        self.log.request(RequestLog(self.device_id, kind, sent, time.monotonic(), ok, status, scans))
        if status >= 500 or status == 429:
            raise NoAnswer(f"HTTP {status}")
        if not ok:
            raise AssertionError(f"{path} -> {status} {data}")  # a 4xx here is a bug in the drill or the app
        return data

    def load_manifest(self) -> None:
        status, data = call(self.base, "/api/v1/scan/manifest", auth=self.auth, timeout=60)
        assert status == 200, (status, data)
        self.manifest = Manifest(data)

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # noqa: BLE001 - reported by the drill
            self.error = exc

    def _run(self) -> None:
        interval = 1.0 / self.rate
        next_at = time.monotonic() + random.Random(self.index).random() * interval
        while not self.stop_event.is_set():
            pause = next_at - time.monotonic()
            if pause > 0:
                self.stop_event.wait(pause)
                continue
            next_at += interval
            ticket = self.tickets.next(self.index)
            if ticket is not None:
                self.scan(ticket)
            self.background()
        # the doors close: everything queued is uploaded (queue.js keeps trying until it is)
        deadline = time.monotonic() + 60
        while self.queue and time.monotonic() < deadline:
            self.background(force=True)
            time.sleep(0.5)

    def scan(self, ticket: dict) -> None:
        record = ScanRecord(self.device_id, str(uuid.uuid4()), ticket["code"], ticket["ticket_id"], "in", now_iso())
        self.log.scan(record)
        body = {"code": record.code, "direction": "in", "scan_id": record.scan_id, "scanned_at": record.scanned_at}
        if self.online:
            try:
                record.online_answer = self.request("scan", "/api/v1/scan", body, ONLINE_TIMEOUT)
                self.manifest.learn(record.online_answer, "in")
                return
            except NoAnswer:
                self.online = False
                self.last_probe = time.monotonic()
        record.local = self.manifest.decide(record.code, "in")
        if record.local["result"] == "accepted":
            self.manifest.record(record.ticket_id, "in")
            record.queued = True
            self.queue.append(record)

    def background(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.offline_first and not self.online:
            if now - self.last_probe >= PROBE_EVERY or force:
                self.last_probe = now
                try:
                    self.request("heartbeat", "/api/v1/devices/heartbeat", {"device_time": now_iso()}, ONLINE_TIMEOUT)
                    self.online = True
                except NoAnswer:
                    return
        if self.queue and (self.online or self.offline_first) and (now - self.last_sync >= SYNC_EVERY or force):
            self.last_sync = now
            self.sync()

    def sync(self) -> None:
        batch = self.queue[:200]  # queue.js SYNC_BATCH
        body = {"scans": [{"code": r.code, "direction": r.direction, "scan_id": r.scan_id, "scanned_at": r.scanned_at}
                          for r in batch]}
        try:
            data = self.request("sync", "/api/v1/scan/sync", body, SYNC_TIMEOUT, scans=len(batch))
        except NoAnswer:
            if not self.offline_first:
                self.online = False
            return
        answers = {a["scan_id"]: a for a in data["results"]}
        for record in batch:
            answer = answers.get(record.scan_id)
            if answer is not None:
                record.sync_answer = answer
                self.manifest.learn(answer, record.direction)
        self.queue = [r for r in self.queue if r.sync_answer is None]


@dataclass
class Fault:
    name: str
    started: float
    ended: float | None = None  # healed / restarted, for faults with a duration
    settled: float | None = None  # the drill saw the cluster healthy again
    detail: dict = field(default_factory=dict)


SETTLE_MARGIN = 1.0


def outage(log: Log, fault: Fault, until: float) -> dict:
    """From the request log: first failed request at or after the fault, first answered one
    after that, failures per device. The window ends a second after the drill saw the cluster
    healthy again (or at the next fault); later failures are reported apart, never hidden."""
    end = min(until, (fault.settled or until) + SETTLE_MARGIN)
    window = [r for r in log.requests if fault.started <= r.sent < end]
    failed = [r for r in window if not r.ok]
    result = {"fault": fault.name, "requests": len(window), "failed_requests": len(failed),
              "devices_with_failures": len({r.device for r in failed}),
              "max_failed_per_device": max((sum(1 for r in failed if r.device == d) for d in {r.device for r in failed}),
                                           default=0)}
    if failed:
        # from the first failed request to the first answer to a request sent after the last
        # failed one was sent (a late timeout of an early request does not stretch the window)
        first_fail = min(r.sent for r in failed)
        last_fail_sent = max(r.sent for r in failed)
        first_ok = min((r.done for r in window if r.ok and r.sent >= last_fail_sent), default=None)
        result.update({
            "first_failure_after_fault_s": round(first_fail - fault.started, 2),
            "outage_s": round(first_ok - first_fail, 2) if first_ok else None,
            "answered_again_after_fault_s": round(first_ok - fault.started, 2) if first_ok else None,
            "failures_by_status": _count(str(r.status) for r in failed),
        })
    else:
        result.update({"outage_s": 0.0, "answered_again_after_fault_s": 0.0})
    return result


def _count(values) -> dict:
    out: dict = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def dump(log: Log, faults: list[Fault], path, origin: float) -> None:
    """Every request and fault, times relative to the start, for docs/ha.md and post-mortems."""
    with open(path, "w") as out:
        for f in faults:
            out.write(json.dumps({"fault": f.name, "at": round(f.started - origin, 3),
                                  "ended": f.ended and round(f.ended - origin, 3), **f.detail}) + "\n")
        for r in sorted(log.requests, key=lambda r: r.sent):
            out.write(json.dumps({"device": r.device, "kind": r.kind, "sent": round(r.sent - origin, 3),
                                  "ms": round((r.done - r.sent) * 1000, 1), "ok": r.ok, "status": r.status,
                                  "scans": r.scans}) + "\n")
