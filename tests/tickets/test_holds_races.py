"""Holds under real concurrency: real threads, each on its own PostgreSQL connection.

The server allows 100 connections and other suites share it, so attempts run over a pool of
threads (released together by a barrier) rather than one thread per attempt. Invariants are
checked from the append-only ledger afterwards: per ticket, the actions must read as a valid
history (held -> released | sold, sold is final), whatever the interleaving was."""
import queue
import random
import threading
import time
from collections import Counter, defaultdict

import pytest
from django.db import IntegrityError, connection, transaction

from core.errors import SeatsUnavailable
from events.services import ZoneSpec
from tests.conftest import make_event
from tickets import holds, selectors
from tickets.models import LedgerEntry, Ticket, TicketHold
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db(transaction=True)

POOL = 20


def run_pool(fn, args_list, *, threads=POOL, timeout=120):
    """fn(*args) for every args, over `threads` threads that start together; each thread has its
    own database connection. Returns results (or exceptions) in order."""
    jobs: queue.SimpleQueue = queue.SimpleQueue()
    for item in enumerate(args_list):
        jobs.put(item)
    results: list = [None] * len(args_list)
    barrier = threading.Barrier(threads)

    def worker():
        try:
            barrier.wait(timeout=timeout)
            while True:
                try:
                    i, args = jobs.get_nowait()
                except queue.Empty:
                    return
                try:
                    results[i] = fn(*args)
                except BaseException as exc:  # collected and asserted by the caller
                    results[i] = exc
        finally:
            connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout)
    assert not any(t.is_alive() for t in pool), "a worker thread hung"
    return results


def big_event(seats):
    event = make_event(zones=[ZoneSpec(zone_id="F", name="Floor", color="#112233", seats=seats)])
    generate_tickets(event_id=event.event_id)
    return event


def assert_valid_histories(event):
    """Per ticket, the ledger must read held(h) -> released(h) | sold(h) -> ..., sold is final, and
    the ticket's current state must match the end of that history."""
    entries = defaultdict(list)
    for e in LedgerEntry.objects.filter(ticket__event=event).exclude(action="generated").order_by("id"):
        entries[e.ticket_id].append(e)
    live_rows = {r.ticket_id: r.hold_id for r in TicketHold.objects.filter(event=event)}
    for ticket in Ticket.objects.filter(event=event):
        current = None  # the hold that owns the ticket in this history
        sold = False
        for e in entries[ticket.pk]:
            assert not sold, f"{ticket.ticket_id}: {e.action} after sold"
            hold_id = e.metadata.get("hold_id")
            if e.action == "held":
                assert current is None, f"{ticket.ticket_id}: held by {hold_id} while held by {current}"
                current = hold_id
            elif e.action in ("released", "sold"):
                assert current == hold_id, f"{ticket.ticket_id}: {e.action} of {hold_id}, but held by {current}"
                current = None
                sold = e.action == "sold"
            else:
                pytest.fail(f"unexpected ledger action {e.action}")
        assert ticket.status is (not sold)
        assert live_rows.get(ticket.pk) == current, ticket.ticket_id


def test_simultaneous_holds_on_one_seat_give_exactly_one():
    event = big_event(1)
    ticket_id = Ticket.objects.get(event=event).ticket_id
    results = run_pool(lambda: holds.take_hold(event_id=event.event_id, ticket_ids=[ticket_id]), [()] * 100)
    winners = [r for r in results if isinstance(r, holds.HoldResult)]
    losers = [r for r in results if isinstance(r, SeatsUnavailable)]
    assert len(winners) == 1 and len(losers) == 99, Counter(type(r).__name__ for r in results)
    assert all(r.extra["tickets"] == [ticket_id] for r in losers)
    assert TicketHold.objects.count() == 1 and LedgerEntry.objects.filter(action="held").count() == 1


def test_500_buyers_for_100_seats_never_sell_a_seat_twice():
    event = big_event(100)
    all_ids = list(Ticket.objects.filter(event=event).values_list("ticket_id", flat=True))
    rng = random.Random(20261121)
    attempts = [(rng.sample(all_ids, rng.randint(1, 4)), rng.random() < 0.2) for _ in range(500)]

    def buyer(wanted, gives_up):
        hold = holds.take_hold(event_id=event.event_id, ticket_ids=wanted, actor="race")
        if gives_up:
            holds.release(hold_id=hold.hold_id)
            return ("released", wanted)
        result = holds.checkout(hold_id=hold.hold_id, buyer={"name": "race"})
        return ("sold", [t.ticket_id for t in result.tickets])

    results = run_pool(buyer, attempts, threads=24)
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, SeatsUnavailable)]
    assert not unexpected, unexpected[:3]
    sold = [t for r in results if isinstance(r, tuple) and r[0] == "sold" for t in r[1]]
    assert len(sold) == len(set(sold)), "a seat was sold twice"
    assert set(sold) == set(Ticket.objects.filter(event=event, status=False).values_list("ticket_id", flat=True))
    per_ticket = Counter(LedgerEntry.objects.filter(action="sold", ticket__event=event).values_list("ticket_id", flat=True))
    assert per_ticket and max(per_ticket.values()) == 1
    assert not TicketHold.objects.exists()
    status = selectors.sales_status(event.event_id)
    counts = {k: status["totals"][k] for k in selectors.SALES_COUNTS}
    assert counts == {"seats": 100, "available": 100 - len(sold), "held": 0, "sold": len(sold), "offline": 0}
    assert status["totals"]["channels"]["online"]["sold"] == len(sold)  # every sale a checkout
    assert sum(isinstance(r, SeatsUnavailable) for r in results) > 0  # there was contention
    assert_valid_histories(event)


def test_checkout_and_release_of_one_hold_never_both_win():
    event = big_event(40)
    pks = list(Ticket.objects.filter(event=event).order_by("id").values_list("ticket_id", flat=True))
    hold_ids = [holds.take_hold(event_id=event.event_id, ticket_ids=pks[i:i + 2]).hold_id for i in range(0, 40, 2)]
    jobs = [(("checkout", h),) for h in hold_ids] + [(("release", h),) for h in hold_ids]
    random.Random(7).shuffle(jobs)

    def act(job):
        kind, hold_id = job
        if kind == "checkout":
            holds.checkout(hold_id=hold_id, buyer={})
        else:
            holds.release(hold_id=hold_id)
        return job

    results = run_pool(act, jobs)
    wins = Counter(r[1] for r in results if isinstance(r, tuple))
    assert all(isinstance(r, (tuple, holds.HoldExpired)) for r in results), results
    assert all(wins[h] == 1 for h in hold_ids), wins
    assert not TicketHold.objects.exists()
    assert_valid_histories(event)


def test_checkout_racing_expiry_never_both_win():
    """Holds expire while checkouts, the sweep (two workers) and new buyers (lazy takeover) race
    for them. Each hold must end exactly one way: sold by its checkout, or released as expired."""
    event = big_event(60)
    ids = list(Ticket.objects.filter(event=event).order_by("id").values_list("ticket_id", flat=True))
    hold_tickets = {holds.take_hold(event_id=event.event_id, ticket_ids=ids[i:i + 2]).hold_id: ids[i:i + 2]
                    for i in range(0, 60, 2)}
    hold_ids = list(hold_tickets)
    # Two holds already expired and three far in the future, so both outcomes certainly occur;
    # every other hold gets its expiry set just before its checkout starts (below).
    with connection.cursor() as cur:
        for n, hold_id in enumerate(hold_ids):
            if n < 2 or n >= len(hold_ids) - 3:
                cur.execute("UPDATE tickets_blocked SET created_at = created_at - interval '2 hours', "
                            "locked_up = clock_timestamp() + make_interval(secs => %s) WHERE hold_id = %s",
                            [-0.06 if n < 2 else 3600, hold_id])
    boundary = set(hold_ids[2:-3])
    jitter = random.Random(11)
    stop = threading.Event()
    deadline = time.monotonic() + 90  # a safety net only: the loops stop when the checkouts are done
    done: list = []

    def running():
        return not stop.is_set() and time.monotonic() < deadline

    def sweeper():
        swept = 0
        while running():
            swept += holds.sweep_expired_holds(batch_size=3).released
        return ("swept", swept)

    def taker(seed):
        rng = random.Random(seed)
        taken = 0
        while running():
            try:
                holds.take_hold(event_id=event.event_id, ticket_ids=rng.sample(ids, 1), hold_seconds=3600)
                taken += 1
            except SeatsUnavailable:
                pass
        return ("taken", taken)

    def checkout(hold_id):
        if hold_id in boundary:
            # The hold expires 0-80 ms from now: about as long as a checkout takes under this
            # load, so the checkout's clock reading lands on either side of the expiry while the
            # sweepers and takers go for the same rows.
            with connection.cursor() as cur:
                cur.execute("UPDATE tickets_blocked SET created_at = created_at - interval '2 hours', "
                            "locked_up = clock_timestamp() + make_interval(secs => %s) WHERE hold_id = %s",
                            [jitter.uniform(0, 0.08), hold_id])
        try:
            holds.checkout(hold_id=hold_id, buyer={"n": hold_id})
            return ("sold", hold_id)
        except holds.HoldExpired:
            return ("expired", hold_id)
        finally:
            done.append(hold_id)
            if len(done) == len(hold_ids):
                stop.set()

    def tracked(kind, arg):
        return {"sweep": sweeper, "take": taker, "checkout": checkout}[kind](*([arg] if arg else []))

    # The loops are first in the queue, so four threads run them while the others check out.
    jobs = [("sweep", None), ("sweep", None), ("take", 1), ("take", 2)] + [("checkout", h) for h in hold_ids]
    results = run_pool(tracked, jobs, threads=10)
    assert all(not isinstance(r, BaseException) for r in results), [r for r in results if isinstance(r, BaseException)]
    outcome = {r[1]: r[0] for r in results if r[0] in ("sold", "expired")}
    assert set(outcome.values()) == {"sold", "expired"}, outcome
    for hold_id, kind in outcome.items():
        tickets = hold_tickets[hold_id]
        sold = LedgerEntry.objects.filter(action="sold", metadata__hold_id=hold_id).count()
        released = LedgerEntry.objects.filter(action="released", metadata__hold_id=hold_id).count()
        rows = TicketHold.objects.filter(hold_id=hold_id).count()
        if kind == "sold":
            assert (sold, released, rows) == (2, 0, 0), hold_id
            assert not Ticket.objects.filter(ticket_id__in=tickets, status=True).exists()
        else:
            assert sold == 0 and released + rows == 2, hold_id
    assert_valid_histories(event)


def test_several_sweepers_release_each_expired_row_exactly_once():
    event = big_event(200)
    ids = list(Ticket.objects.filter(event=event).order_by("id").values_list("ticket_id", flat=True))
    for i in range(0, 200, 4):
        holds.take_hold(event_id=event.event_id, ticket_ids=ids[i:i + 4])
    with connection.cursor() as cur:
        cur.execute("UPDATE tickets_blocked SET created_at = created_at - interval '2 hours', "
                    "locked_up = clock_timestamp() - interval '1 second'")
    results = run_pool(lambda: holds.sweep_expired_holds(batch_size=7), [()] * 4, threads=4)
    assert all(isinstance(r, holds.SweepResult) for r in results), results
    assert sum(r.released for r in results) == 200
    assert not TicketHold.objects.exists()
    released = Counter(LedgerEntry.objects.filter(action="released").values_list("ticket_id", flat=True))
    assert len(released) == 200 and set(released.values()) == {1}
    assert_valid_histories(event)


# --- negative control: the race is real, and the database constraint is what stops it ---

NAIVE_TABLE = "test_naive_blocked"


def naive_hold(table, ticket_pk, hold_id, event_id, read_done: threading.Barrier):
    """Read-then-write without any lock: look for a live hold, then insert one. The barrier makes
    every thread read before any thread writes, the interleaving a busy server produces by chance."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table} WHERE ticket_id = %s AND locked_up > clock_timestamp()", [ticket_pk])
        free = cur.fetchone()[0] == 0
        read_done.wait(timeout=30)
        if not free:
            return "taken"
        cur.execute(
            f"INSERT INTO {table} (hold_id, event_id, ticket_id, locked_up, created_at) "
            "VALUES (%s, %s, %s, clock_timestamp() + interval '10 minutes', clock_timestamp())",
            [hold_id, event_id, ticket_pk],
        )
        return "held"


def test_negative_control_naive_read_then_write_double_holds_without_the_constraint():
    event = big_event(1)
    ticket = Ticket.objects.get(event=event)
    n = 8
    with connection.cursor() as cur:
        # A copy of the hold table without its constraints, indexes and triggers.
        cur.execute(f"CREATE TABLE {NAIVE_TABLE} (LIKE tickets_blocked INCLUDING DEFAULTS INCLUDING IDENTITY)")
    try:
        read_done = threading.Barrier(n)
        results = run_pool(naive_hold, [(NAIVE_TABLE, ticket.pk, f"h{i}", event.event_id, read_done) for i in range(n)],
                           threads=n)
        assert results == ["held"] * n  # every buyer believed the seat was free
        with connection.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {NAIVE_TABLE} WHERE ticket_id = %s", [ticket.pk])
            assert cur.fetchone()[0] == n  # the seat is held n times: the race is real
    finally:
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {NAIVE_TABLE}")

    # The same naive code against the real table: one_hold_per_ticket lets exactly one through.
    read_done = threading.Barrier(n)
    results = run_pool(naive_hold, [("tickets_blocked", ticket.pk, f"h{i}", event.event_id, read_done) for i in range(n)],
                       threads=n)
    assert results.count("held") == 1, results
    refused = [r for r in results if isinstance(r, IntegrityError)]
    assert len(refused) == n - 1 and all("one_hold_per_ticket" in str(r) for r in refused)
    assert TicketHold.objects.filter(ticket=ticket).count() == 1
