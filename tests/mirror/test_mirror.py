"""The Firestore mirror end to end, against the official Firestore emulator: Firestore equals
PostgreSQL field by field, a rolled-back transaction reaches nothing, and neither an emulator
restart, a worker killed with SIGKILL mid-batch, two workers at once nor a zombie worker loses,
duplicates or regresses a document."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from events.services import rotate_signing_key
from mirror import outbox
from mirror.client import get_client, reset_clients
from mirror.drainer import MirrorUnavailable, drain, drain_batch, pending_count
from mirror.models import OutboxEntry
from mirror.repair import diff_event
from tests.conftest import ZONES, code_for, make_device, make_event, sell, start_thread
from tests.mirror.conftest import SESSION_PROJECT, Emulator, _find_binary, _free_port
from tickets.models import LedgerEntry, Ticket
from tickets.services import generate_tickets, update_ticket

pytestmark = [pytest.mark.emulator, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 120


# --------------------------------------------------------------------------- helpers

def doc(path: str) -> dict | None:
    snap = get_client().document(path).get()
    return snap.to_dict() if snap.exists else None


def ticket_path(ticket: Ticket) -> str:
    return f"events/{ticket.event_id}/tickets/{ticket.doc_id}"


def assert_mirrored(event_id: str):
    diff = diff_event(event_id)
    assert diff.ok, f"missing={diff.missing[:5]} extra={diff.extra[:5]} differ={list(diff.differ.items())[:5]}"
    return diff


def big_event(seats: int, name="Mirror Night"):
    from events.services import ZoneSpec

    half = seats // 2
    event = make_event(name=name, zones=[ZoneSpec("A", "Ringside", "#C0392B", half, False),
                                         ZoneSpec("B", "General", "#27AE60", seats - half, True)])
    generate_tickets(event_id=event.event_id)
    return event


def simulated_scan(ticket: Ticket, checkpoint="gate-raw"):
    """What a scan does to a ticket, in raw SQL (the real access service is used elsewhere)."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE tickets_ticket SET status = false, access_status = true, access_entry = true WHERE id = %s",
                    [ticket.pk])
        cur.execute("INSERT INTO tickets_ledgerentry (ticket_id, date, action, metadata) VALUES (%s, now(), 'accessed', %s)",
                    [ticket.pk, json.dumps({"checkpoint": checkpoint})])


def subprocess_env(**extra) -> dict:
    db = connection.settings_dict
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "FIRESTORE_EMULATOR_HOST": mirror_settings()["host"],
        "FIRESTORE_PROJECT_ID": SESSION_PROJECT,
        "FIRESTORE_MIRROR_KICK": "false",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


def mirror_settings() -> dict:
    from django.conf import settings

    return {"host": settings.FIRESTORE_EMULATOR_HOST}


def poll(predicate, *, deadline=DEADLINE, what="condition", interval=0.02):
    end = time.monotonic() + deadline
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline}s waiting for {what}")
        time.sleep(interval)  # polling with a deadline, never a fixed wait


# --------------------------------------------------------------------------- the data model

def test_firestore_equals_postgresql_field_by_field(mirror_on):
    from access.services import create_credential, revoke_credential, scan

    event = make_event()
    credential = create_credential(event_id=event.event_id, name="Ana Pérez", kind="staff", zones=["A"])
    generate_tickets(event_id=event.event_id)
    sell(event, "A-1", "B-1", "B-2")
    device, _ = make_device(event)
    assert scan(device=device, code=code_for(event, "A-1"), direction="in", scan_id=uuid.uuid4()).accepted
    simulated_scan(Ticket.objects.get(event=event, seat_id="B-1"))
    revoke_credential(credential_id=credential.credential_id)
    new_key = rotate_signing_key(event_id=event.event_id)

    result = drain(until_empty=True, deadline=DEADLINE)
    assert result.acked == 0 or pending_count() == 0
    assert_mirrored(event.event_id)

    # The anatomy, checked here independently of the mirror's own document builder.
    ticket = Ticket.objects.get(event=event, seat_id="A-1")
    fs = doc(ticket_path(ticket))
    ledger = [{"date": e.date.isoformat(), "action": e.action,
               "metadata": json.dumps(e.metadata, sort_keys=True, separators=(",", ":"), ensure_ascii=False)}
              for e in LedgerEntry.objects.filter(ticket=ticket).order_by("id")]
    expected = {
        "ticket_id": ticket.ticket_id, "seat_id": "A-1", "zone": "Ringside", "zone_id": "A", "color": "#C0392B",
        "status": False, "status_offline": False, "access_status": True, "access_entry": True, "ledger": ledger,
        "date_start": event.date_start, "date_end": event.date_end, "event_name": event.name,
        "event_id": event.event_id, "seat_row": "por asignar", "version": ticket.version,
    }
    assert set(fs) == set(expected) | {"mirror_version"}
    for field, value in expected.items():
        assert fs[field] == value, field
    assert [e["action"] for e in fs["ledger"]] == ["generated", "sold", "accessed"]
    assert fs["ticket_id"] == f"{event.event_id}-{ticket.doc_id}"
    assert doc(ticket_path(Ticket.objects.get(event=event, seat_id="B-1")))["access_entry"] is True
    assert len(list(get_client().collection(f"events/{event.event_id}/tickets").list_documents())) == 15

    event_doc = doc(f"events/{event.event_id}")
    assert event_doc["name"] == "Fight Night" and event_doc["venue"] == "Arena" and event_doc["date_start"] == event.date_start
    zones = doc(f"events/{event.event_id}/setup/zones")
    assert zones["status"] is True
    assert [(z["zone_id"], z["name"], z["color"], z["seats"], z["reentry"]) for z in zones["zones"]] == [
        (z.zone_id, z.name, z.color, z.seats, z.reentry) for z in ZONES]
    pin = doc(f"events/{event.event_id}/security/qr-pin")
    assert pin["key_id"] == new_key.key_id and len(pin["keys"]) == 2 and pin["algorithm"] == "Ed25519"
    assert not any("private" in k for k in pin) and not any("private" in k for key in pin["keys"] for k in key)
    cred = doc(f"events/{event.event_id}/credentials/{credential.credential_id}")
    credential.refresh_from_db()
    assert cred["name"] == "Ana Pérez" and cred["kind"] == "staff" and cred["zones"] == ["A"]
    assert cred["revoked"] is True and cred["revoked_at"] == credential.revoked_at


def test_rolled_back_transaction_reaches_nothing(mirror_on):
    event = big_event(10)
    ticket = Ticket.objects.filter(event=event).first()
    drain(until_empty=True, deadline=DEADLINE)
    with pytest.raises(RuntimeError), transaction.atomic():
        update_ticket(event_id=event.event_id, ticket_id=ticket.ticket_id, actor="t", seat_row="Ghost row")
        ghost = make_event(name="Ghost")
        raise RuntimeError("rolled back")
    assert pending_count() == 0
    drain(until_empty=True, deadline=DEADLINE)
    assert doc(ticket_path(ticket))["seat_row"] == "por asignar"
    assert doc(f"events/{ghost.event_id}") is None
    assert_mirrored(event.event_id)


def test_kick_on_commit_mirrors_generation(mirror_on, settings):
    from ticketcore.celery import app

    settings.FIRESTORE_MIRROR_KICK = True
    app.conf.task_always_eager = True  # the kick runs the drain task in-process
    try:
        event = make_event()
        generate_tickets(event_id=event.event_id)  # on commit: outbox.kick() -> drain_outbox
        assert pending_count() == 0
        assert_mirrored(event.event_id)
    finally:
        app.conf.task_always_eager = False


# --------------------------------------------------------------------------- ordering and versions

def test_a_document_held_by_one_worker_is_left_alone_by_another(mirror_on):
    """Two workers holding different outbox rows of one document: the second one skips it while
    the first one is mirroring it, so Firestore never goes back to an older state."""
    event = big_event(10)
    drain(until_empty=True, deadline=DEADLINE)
    ticket = Ticket.objects.filter(event=event).first()
    path = ticket_path(ticket)
    update_ticket(event_id=event.event_id, ticket_id=ticket.ticket_id, actor="t", status=False)  # state 1

    holding, release = threading.Event(), threading.Event()

    def hold(paths):
        if path in paths:
            holding.set()
            assert release.wait(DEADLINE)

    a, outcome = start_thread(lambda: drain_batch(before_commit=hold))
    try:
        assert holding.wait(DEADLINE)
        update_ticket(event_id=event.event_id, ticket_id=ticket.ticket_id, actor="t", seat_row="Fila 9")  # state 2
        b = drain_batch()
        assert b.contended == 1 and b.acked == 0  # worker B left the document to A
    finally:
        release.set()
        a.join(DEADLINE)
    assert outcome["result"].acked > 0 and doc(path)["status"] is False and doc(path)["seat_row"] == "por asignar"
    assert pending_count() > 0  # state 2 is still queued...
    drain(until_empty=True, deadline=DEADLINE)
    assert doc(path)["seat_row"] == "Fila 9"  # ...and lands after state 1, never before
    assert_mirrored(event.event_id)


def test_all_queued_changes_of_a_document_are_acknowledged_by_one_write(mirror_on):
    event = big_event(10)
    drain(until_empty=True, deadline=DEADLINE)
    ticket = Ticket.objects.filter(event=event).first()
    for row in ("F1", "F2", "F3"):
        update_ticket(event_id=event.event_id, ticket_id=ticket.ticket_id, actor="t", seat_row=row)
    queued = OutboxEntry.objects.filter(path=ticket_path(ticket)).count()
    assert queued >= 3
    out = drain_batch(batch_size=1)
    assert (out.acked, out.written, pending_count()) == (queued, 1, 0)
    assert doc(ticket_path(ticket))["seat_row"] == "F3"
    assert_mirrored(event.event_id)


def test_a_batch_stays_under_the_commit_size_limit(mirror_on, monkeypatch):
    """Firestore refuses commits over 10 MiB; documents past the cap wait for the next batch."""
    from mirror import drainer

    event = big_event(10)
    monkeypatch.setattr(drainer, "MAX_REQUEST_BYTES", 2000)  # about three ticket documents
    total = pending_count()
    first = drain_batch()
    assert 0 < first.written < first.rows and pending_count() == total - first.acked
    drain(until_empty=True, deadline=DEADLINE)
    assert_mirrored(event.event_id)


def _zombie_scenario(*, guard: bool):
    """Worker A reads state 1 and stalls before its Firestore commit; its PostgreSQL session dies
    (so its locks go); worker B mirrors state 2; then A's commit finally arrives."""
    event = big_event(10)
    drain(until_empty=True, deadline=DEADLINE)
    ticket = Ticket.objects.filter(event=event).first()
    path = ticket_path(ticket)
    update_ticket(event_id=event.event_id, ticket_id=ticket.ticket_id, actor="t", status=False)  # state 1

    holding, release = threading.Event(), threading.Event()
    outcome = {}

    def hold(paths):
        if not holding.is_set():
            with connection.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                outcome["pid"] = cur.fetchone()[0]
            holding.set()
            assert release.wait(DEADLINE)

    def worker_a():
        try:
            outcome["a"] = drain_batch(before_commit=hold, _guard=guard)
        except BaseException as exc:
            outcome["a"] = exc
        finally:
            connection.close()

    a = threading.Thread(target=worker_a)
    a.start()
    try:
        assert holding.wait(DEADLINE)
        with connection.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(%s)", [outcome["pid"]])
        poll(lambda: OutboxEntry.objects.count() and drain_batch().acked, what="worker B to take over")
        update_ticket(event_id=event.event_id, ticket_id=ticket.ticket_id, actor="t", seat_row="Fila 9")  # state 2
        drain(until_empty=True, deadline=DEADLINE)
        assert doc(path)["seat_row"] == "Fila 9"
    finally:
        release.set()
        a.join(DEADLINE)
    assert isinstance(outcome["a"], Exception)  # A never acknowledged anything: its session is gone
    return event, path


def test_a_zombie_worker_cannot_overwrite_a_newer_document(mirror_on):
    event, path = _zombie_scenario(guard=True)
    assert doc(path)["seat_row"] == "Fila 9" and doc(path)["status"] is False
    assert_mirrored(event.event_id)


def test_negative_control_without_the_guard_the_zombie_wins(mirror_on):
    """The same scenario with preconditions and version checks switched off: the stale write
    lands over the newer one. Shows the previous test passes because of the guard."""
    event, path = _zombie_scenario(guard=False)
    assert doc(path)["seat_row"] == "por asignar"
    assert not diff_event(event.event_id).ok


def test_newer_mirror_version_is_never_overwritten_but_repair_forces(mirror_on):
    event = big_event(10)
    drain(until_empty=True, deadline=DEADLINE)
    ticket = Ticket.objects.filter(event=event).first()
    path = ticket_path(ticket)
    get_client().document(path).update({"mirror_version": 10**15, "seat_row": "from the future"})
    update_ticket(event_id=event.event_id, ticket_id=ticket.ticket_id, actor="t", seat_row="Fila 1")
    result = drain(until_empty=True, deadline=DEADLINE)
    assert result.stale == 1 and doc(path)["seat_row"] == "from the future"
    assert path in diff_event(event.event_id).differ
    call_command("mirror_event", event.event_id, stdout=open(os.devnull, "w"))
    assert doc(path)["seat_row"] == "Fila 1"
    assert_mirrored(event.event_id)


# --------------------------------------------------------------------------- failures

@pytest.fixture
def own_emulator(firestore_emulator, settings):
    """An emulator this test may stop and restart: the session's when we started it, else a new one."""
    host, emulator = firestore_emulator
    private = emulator is None
    if private:
        binary = _find_binary()
        assert binary, "the restart test needs the emulator binary (FIRESTORE_EMULATOR_BIN)"
        emulator = Emulator(binary, _free_port())
        emulator.start()
    settings.FIRESTORE_EMULATOR_HOST = emulator.host
    reset_clients()
    yield emulator
    if private:
        emulator.stop()
    elif emulator.proc is None:
        emulator.start()
    reset_clients()


def test_emulator_stopped_mid_drain_loses_nothing(mirror_on, own_emulator):
    event = big_event(1200)
    total = pending_count()
    acked = []

    def after(outcome):
        acked.append(outcome.acked)
        if len(acked) == 3:
            own_emulator.stop()

    with pytest.raises(MirrorUnavailable):
        drain(batch_size=100, after_batch=after)
    # Exactly the acknowledged rows are gone; every other row is still queued.
    assert pending_count() == total - sum(acked) > 0
    still_queued = set(OutboxEntry.objects.values_list("path", flat=True))

    own_emulator.start()  # a fresh emulator: the acknowledged documents died with the old one
    drain(until_empty=True, deadline=DEADLINE)  # the failed drain dropped its gRPC channel: reconnects
    client = get_client()
    assert all(s.exists for s in client.get_all([client.document(p) for p in still_queued]))
    lost = diff_event(event.event_id)
    assert lost.missing and not lost.differ and len(lost.missing) <= sum(acked)
    call_command("mirror_event", event.event_id, stdout=open(os.devnull, "w"))
    assert_mirrored(event.event_id)


def test_task_backs_off_while_firestore_is_down(mirror_on, settings, caplog):
    from mirror.tasks import drain_outbox

    big_event(10)
    before = pending_count()
    settings.FIRESTORE_EMULATOR_HOST = f"127.0.0.1:{_free_port()}"  # nothing listens there
    settings.FIRESTORE_TIMEOUT_S = 5
    reset_clients()
    with caplog.at_level("INFO", logger="celery.app.trace"):
        # Eager mode runs the retries at once; a worker waits the countdowns (jittered exponential).
        kicked = drain_outbox.apply().get()
    retries = [r.getMessage() for r in caplog.records if "retry: Retry in" in r.getMessage()]
    assert len(retries) == settings.FIRESTORE_DRAIN_MAX_RETRIES and "ServiceUnavailable" in kicked["error"]
    caplog.clear()
    with caplog.at_level("INFO", logger="celery.app.trace"):
        assert drain_outbox.apply(kwargs={"periodic": True}).get()["error"]  # beat's run: its next tick retries
    assert not [r for r in caplog.records if "retry: Retry in" in r.getMessage()]
    assert pending_count() == before  # nothing acknowledged, nothing lost
    assert outbox.mirror_status()["last_error"]


def test_worker_killed_mid_batch_loses_and_duplicates_nothing(mirror_on):
    event = big_event(3000)
    total = pending_count()
    env = subprocess_env(DATABASE_URL=subprocess_env()["DATABASE_URL"] + "?application_name=m9-mirror-victim")
    victim = subprocess.Popen([sys.executable, "manage.py", "mirror_drain", "--batch-size", "50"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        def mid_batch():
            if victim.poll() is not None:
                raise AssertionError(f"the drain ended before it could be killed: {victim.stdout.read()[-2000:]}")
            with connection.cursor() as cur:
                cur.execute("""SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                               WHERE a.application_name = 'm9-mirror-victim' AND l.locktype = 'advisory'""")
                holding = cur.fetchone()[0]
            return holding and total - pending_count() >= 100

        poll(mid_batch, what="the worker to be mid-batch after acknowledging some rows", interval=0.005)
        os.kill(victim.pid, signal.SIGKILL)
    finally:
        if victim.poll() is None:
            victim.kill()
        victim.wait(30)
    assert victim.returncode == -signal.SIGKILL
    assert 0 < pending_count() < total
    drain(until_empty=True, deadline=DEADLINE)  # waits until PostgreSQL has released the dead session's rows
    diff = assert_mirrored(event.event_id)
    assert diff.compared == 3000 + 3
    assert len(list(get_client().collection(f"events/{event.event_id}/tickets").list_documents())) == 3000


def test_two_workers_at_once_with_live_traffic_end_equal(mirror_on):
    event = big_event(2000)
    tickets = list(Ticket.objects.filter(event=event).order_by("?")[:40])
    done = {}

    def worker(name):
        try:
            done[name] = drain(batch_size=100, until_empty=True, deadline=DEADLINE)
        except BaseException as exc:
            done[name] = exc
        finally:
            connection.close()

    def traffic():
        try:
            for i, t in enumerate(tickets):
                if i % 2:
                    simulated_scan(t, checkpoint=f"gate-{i % 3}")
                else:
                    update_ticket(event_id=event.event_id, ticket_id=t.ticket_id, actor="t", seat_row=f"Fila {i}")
            done["traffic"] = True
        except BaseException as exc:
            done["traffic"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("w1", "w2")] + [threading.Thread(target=traffic)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE * 2)
    assert done["traffic"] is True and not any(isinstance(v, BaseException) for v in done.values()), done
    assert done["w1"].acked > 0 and done["w2"].acked > 0  # both really drained
    drain(until_empty=True, deadline=DEADLINE)
    assert_mirrored(event.event_id)


# --------------------------------------------------------------------------- operations

def test_mirror_diff_reports_and_mirror_event_repairs(mirror_on, capsys):
    event = big_event(20)
    drain(until_empty=True, deadline=DEADLINE)
    call_command("mirror_diff", event.event_id)
    assert "equal" in capsys.readouterr().out

    client = get_client()
    a, b = Ticket.objects.filter(event=event).order_by("id")[:2]
    client.document(ticket_path(a)).update({"status": False})
    client.document(ticket_path(b)).delete()
    client.document(f"events/{event.event_id}/tickets/notInPostgres").set({"ticket_id": "bogus"})
    with pytest.raises(CommandError) as failed:
        call_command("mirror_diff", event.event_id)
    assert failed.value.returncode == 1
    out = capsys.readouterr().out
    assert f"differs:              {ticket_path(a)}: status" in out
    assert f"missing in Firestore: {ticket_path(b)}" in out
    assert f"only in Firestore:    events/{event.event_id}/tickets/notInPostgres" in out
    assert "1 missing, 1 extra, 1 differ" in str(failed.value)

    call_command("mirror_event", event.event_id)
    assert "1 Firestore-only documents to delete" in capsys.readouterr().out
    call_command("mirror_diff", event.event_id)
    assert doc(f"events/{event.event_id}/tickets/notInPostgres") is None


def test_readyz_reports_outbox_lag(mirror_on, client):
    big_event(10)
    lag = client.get("/readyz").json()["mirror"]
    assert lag["enabled"] is True and SESSION_PROJECT in lag["target"]
    assert lag["pending"] == pending_count() > 0 and lag["oldest_age_s"] >= 0
    drain(until_empty=True, deadline=DEADLINE)
    lag = client.get("/readyz").json()["mirror"]
    assert lag["pending"] == 0 and lag["oldest_age_s"] is None


def _use_broker(app, url):
    """Point this process's Celery app at another broker (its connection pools are per URL)."""
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


def test_a_real_celery_worker_drains_on_commit(mirror_on, settings, tmp_path):
    """generate_tickets kicks the drain on commit; a real worker process picks it up."""
    import redis

    from ticketcore.celery import app

    broker = "redis://127.0.0.1:6379/9"  # a broker database of its own: no other suite's worker eats our task
    redis.Redis.from_url(broker).delete("celery")
    env = subprocess_env(REDIS_URL=broker, CELERY_BROKER_URL=broker, CACHE_KEY_PREFIX="m9")
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "ticketcore", "worker", "--pool", "solo",
             "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    saved = app.conf.broker_url
    try:
        _use_broker(app, broker)
        settings.FIRESTORE_MIRROR_KICK = True
        event = make_event()
        generate_tickets(event_id=event.event_id)  # on commit -> kick -> the worker drains
        poll(lambda: worker.poll() is None and pending_count() == 0 and doc(f"events/{event.event_id}"),
             what="the Celery worker to drain the outbox", interval=0.1)
        assert_mirrored(event.event_id)
    finally:
        _use_broker(app, saved)
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
    output = log.read_text(errors="replace")
    assert "mirror.drain_outbox" in output and "succeeded" in output, output[-3000:]


# --------------------------------------------------------------------------- no read before an update (ADR 0034)

def _count_reads(monkeypatch) -> list:
    """Count the drain's Firestore reads (a spy on the Google client, not on our code)."""
    from google.cloud.firestore_v1.client import Client

    calls = []
    original = Client.get_all

    def get_all(self, references, *args, **kwargs):
        references = list(references)
        calls.append(len(references))
        return original(self, references, *args, **kwargs)

    monkeypatch.setattr(Client, "get_all", get_all)
    return calls


def _remembered(path: str):
    with connection.cursor() as cur:
        cur.execute("SELECT mirror_version, update_ns FROM ticketcore_mirror_doc WHERE path = %s", [path])
        return cur.fetchone()


def test_an_update_after_our_own_write_is_guarded_without_a_read(mirror_on, monkeypatch):
    event = big_event(6)
    drain(until_empty=True, deadline=DEADLINE)
    ticket = Ticket.objects.filter(event=event).order_by("id").first()
    path = ticket_path(ticket)
    snap = get_client().document(path).get()
    version, update_ns = _remembered(path)
    assert version == snap.to_dict()["mirror_version"]
    stamp = snap.update_time.timestamp_pb()
    assert update_ns == stamp.seconds * 10**9 + stamp.nanos
    reads = _count_reads(monkeypatch)
    simulated_scan(ticket)
    drain(until_empty=True, deadline=DEADLINE)
    assert reads == []  # guarded by the remembered update_time, not by a read
    assert doc(path)["access_status"] is True and _remembered(path)[0] > version
    assert_mirrored(event.event_id)


def test_a_forgotten_or_stale_memory_falls_back_to_reading(mirror_on, monkeypatch):
    """Without a remembered write the drain reads first; with a stale one (Firestore changed
    behind the mirror's back) the precondition fails, the batch rereads and still ends equal."""
    event = big_event(6)
    drain(until_empty=True, deadline=DEADLINE)
    first, second = Ticket.objects.filter(event=event).order_by("id")[:2]
    with connection.cursor() as cur:
        cur.execute("DELETE FROM ticketcore_mirror_doc WHERE path = %s", [ticket_path(first)])
    get_client().document(ticket_path(second)).update({"seat_row": "written elsewhere"})  # new update_time
    reads = _count_reads(monkeypatch)
    simulated_scan(first)
    simulated_scan(second)
    drain(until_empty=True, deadline=DEADLINE)
    assert reads, "the forgotten document must be read before it is replaced"
    assert doc(ticket_path(second))["seat_row"] == "por asignar" and doc(ticket_path(second))["access_status"] is True
    assert_mirrored(event.event_id)
