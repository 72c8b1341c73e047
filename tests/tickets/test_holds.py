"""Checkout holds: the services, the database guarantees behind them (proven with raw SQL), the
`tickets_unlock` sweep and its live-feed announcement, and the hook into ticket PATCH."""
import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.errors import InvalidInput, NotFound, SeatsUnavailable
from tests.events.test_api import assert_error
from tickets import holds, selectors
from tickets.models import LedgerEntry, Ticket, TicketHold

pytestmark = pytest.mark.django_db


def sql(statement, params=None):
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement, params or [])


def expire(hold_id, *, ago_ms=1):
    """Move a hold's expiry into the past by the database clock (tests never sleep)."""
    sql(
        "UPDATE tickets_blocked SET created_at = created_at - interval '2 hours', "
        "locked_up = clock_timestamp() - make_interval(secs => %s) WHERE hold_id = %s",
        [ago_ms / 1000, hold_id],
    )


def tickets(event, zone="B"):
    return list(Ticket.objects.filter(event=event, zone_id=zone).order_by("id"))


def ids(ts):
    return [t.ticket_id for t in ts]


def assign_offline(event, ticket_ids):
    """Hand tickets to an offline office the only legal way (status_offline follows assignments)."""
    from offices.services import assign_tickets, create_office

    office = create_office(event_id=event.event_id, name="Box office").office
    assign_tickets(office_id=office.office_id, ticket_ids=ticket_ids)


def ledger(ticket, action=None):
    qs = LedgerEntry.objects.filter(ticket=ticket).order_by("id")
    return list(qs.filter(action=action) if action else qs)


def test_take_hold_writes_rows_ledger_and_expiry(generated_event):
    ts = tickets(generated_event)[:3]
    before = timezone.now()
    result = holds.take_hold(event_id=generated_event.event_id, ticket_ids=ids(ts), actor="staff")
    assert result.tickets == ids(ts) and len(result.hold_id) == 20
    assert timedelta(seconds=599) < result.expires_at - before < timedelta(seconds=601)
    rows = list(TicketHold.objects.filter(hold_id=result.hold_id))
    assert sorted(r.ticket_id for r in rows) == [t.pk for t in ts]
    assert {r.locked_up for r in rows} == {result.expires_at}  # one expiry instant per hold
    for t in ts:
        held = ledger(t, "held")
        assert len(held) == 1 and held[0].metadata["hold_id"] == result.hold_id and held[0].metadata["by"] == "staff"
        assert selectors.active_hold_id(t) == result.hold_id


def test_hold_seconds_bounds(generated_event):
    t = tickets(generated_event)[0]
    short = holds.take_hold(event_id=generated_event.event_id, ticket_ids=[t.ticket_id], hold_seconds=1)
    assert short.expires_at - timezone.now() < timedelta(seconds=2)
    for bad in (0, 3601, -5, True, 1.5, "10", None):
        with pytest.raises(InvalidInput):
            holds.take_hold(event_id=generated_event.event_id, ticket_ids=[tickets(generated_event)[1].ticket_id],
                            hold_seconds=bad)


def test_hold_is_all_or_nothing(generated_event):
    ts = tickets(generated_event)[:3]
    Ticket.objects.filter(pk=ts[1].pk).update(status=False)  # sold by hand
    with pytest.raises(SeatsUnavailable) as exc:
        holds.take_hold(event_id=generated_event.event_id, ticket_ids=ids(ts))
    assert exc.value.extra["tickets"] == [ts[1].ticket_id]
    assert not TicketHold.objects.exists() and not LedgerEntry.objects.filter(action="held").exists()


def test_unavailable_lists_sold_offline_held_and_unknown(generated_event):
    from tests.conftest import make_event
    from tickets.services import generate_tickets

    other = make_event(name="Other")
    generate_tickets(event_id=other.event_id)
    foreign = Ticket.objects.filter(event=other).first()
    ts = tickets(generated_event)[:5]
    Ticket.objects.filter(pk=ts[0].pk).update(status=False)
    assign_offline(generated_event, [ts[1].ticket_id])
    holds.take_hold(event_id=generated_event.event_id, ticket_ids=[ts[2].ticket_id])
    asked = ids(ts) + ["nope", foreign.ticket_id]
    with pytest.raises(SeatsUnavailable) as exc:
        holds.take_hold(event_id=generated_event.event_id, ticket_ids=asked)
    assert exc.value.extra["tickets"] == sorted([ts[0].ticket_id, ts[1].ticket_id, ts[2].ticket_id, "nope",
                                                 foreign.ticket_id])
    assert TicketHold.objects.count() == 1


def test_unknown_event_is_not_found(generated_event):
    with pytest.raises(NotFound):
        holds.take_hold(event_id="nope", ticket_ids=["x"])


def test_expired_hold_is_available_at_once_and_taken_over(generated_event):
    ts = tickets(generated_event)[:2]
    first = holds.take_hold(event_id=generated_event.event_id, ticket_ids=ids(ts))
    expire(first.hold_id)
    assert selectors.active_hold_id(ts[0]) is None
    second = holds.take_hold(event_id=generated_event.event_id, ticket_ids=[ts[0].ticket_id])
    assert selectors.active_hold_id(ts[0]) == second.hold_id
    released = ledger(ts[0], "released")
    assert [e.metadata["hold_id"] for e in released] == [first.hold_id] and released[0].metadata["reason"] == "expired"
    # The rest of the expired hold stays until swept or taken; it is over either way.
    assert TicketHold.objects.filter(hold_id=first.hold_id, ticket_id=ts[1].pk).exists()
    with pytest.raises(holds.HoldExpired):
        holds.checkout(hold_id=first.hold_id, buyer={})


def test_checkout_sells_with_ledger(generated_event):
    ts = tickets(generated_event)[:2]
    hold = holds.take_hold(event_id=generated_event.event_id, ticket_ids=ids(ts))
    result = holds.checkout(hold_id=hold.hold_id, buyer={"name": "Ana", "email": "ana@example.com"}, actor="staff")
    assert [t.ticket_id for t in result.tickets] == ids(ts) and all(t.status is False for t in result.tickets)
    assert not TicketHold.objects.filter(hold_id=hold.hold_id).exists()
    for t in ts:
        sold = ledger(t, "sold")
        assert len(sold) == 1
        assert sold[0].metadata == {"hold_id": hold.hold_id, "channel": "online", "by": "staff", "price": "0.00",
                                    "buyer": {"name": "Ana", "email": "ana@example.com"}}
    with pytest.raises(holds.HoldExpired):  # a second checkout of the same hold
        holds.checkout(hold_id=hold.hold_id, buyer={})
    with pytest.raises(NotFound):
        holds.checkout(hold_id="unknownholdid1234567", buyer={})


def test_checkout_refused_when_expired_by_a_millisecond(generated_event):
    t = tickets(generated_event)[0]
    hold = holds.take_hold(event_id=generated_event.event_id, ticket_ids=[t.ticket_id])
    expire(hold.hold_id, ago_ms=1)
    with pytest.raises(holds.HoldExpired):
        holds.checkout(hold_id=hold.hold_id, buyer={"name": "late"})
    t.refresh_from_db()
    assert t.status is True and not ledger(t, "sold")
    assert TicketHold.objects.filter(hold_id=hold.hold_id).exists()  # a refusal writes nothing


def test_checkout_uses_the_database_clock_not_the_transaction_start(generated_event):
    """now() would be frozen at the start of this (test) transaction, before the hold expired."""
    t = tickets(generated_event)[0]
    hold = holds.take_hold(event_id=generated_event.event_id, ticket_ids=[t.ticket_id])
    sql("UPDATE tickets_blocked SET created_at = now() - interval '1 hour', locked_up = now() + interval '0.5 ms' "
        "WHERE hold_id = %s", [hold.hold_id])
    # locked_up is after now() (transaction start) but before clock_timestamp(): expired.
    with connection.cursor() as cur:
        cur.execute("SELECT locked_up > now(), locked_up <= clock_timestamp() FROM tickets_blocked WHERE hold_id=%s",
                    [hold.hold_id])
        assert cur.fetchone() == (True, True)
    with pytest.raises(holds.HoldExpired):
        holds.checkout(hold_id=hold.hold_id, buyer={})


def test_release_and_second_release(generated_event):
    ts = tickets(generated_event)[:2]
    hold = holds.take_hold(event_id=generated_event.event_id, ticket_ids=ids(ts))
    result = holds.release(hold_id=hold.hold_id, actor="staff")
    assert result.tickets == ids(ts) and not TicketHold.objects.exists()
    assert ledger(ts[0], "released")[0].metadata == {"hold_id": hold.hold_id, "reason": "released", "by": "staff"}
    with pytest.raises(holds.HoldExpired):
        holds.release(hold_id=hold.hold_id)
    with pytest.raises(holds.HoldExpired):
        holds.checkout(hold_id=hold.hold_id, buyer={})
    with pytest.raises(NotFound):
        holds.release(hold_id="neverexisted")
    # The seats are available again.
    holds.take_hold(event_id=generated_event.event_id, ticket_ids=ids(ts))


def test_release_of_an_expired_hold_is_hold_expired_and_writes_nothing(generated_event):
    t = tickets(generated_event)[0]
    hold = holds.take_hold(event_id=generated_event.event_id, ticket_ids=[t.ticket_id])
    expire(hold.hold_id)
    with pytest.raises(holds.HoldExpired):
        holds.release(hold_id=hold.hold_id)
    assert TicketHold.objects.filter(hold_id=hold.hold_id).exists() and not ledger(t, "released")


@pytest.mark.parametrize("buyer,ok", [
    ({"name": "Ana", "tags": ["vip", 1, 2.5, None, True]}, True),
    ({}, True),
    ([], False), ("Ana", False), (None, False), (5, False),
    ({"name": "A\x00na"}, False), ({"na\x00me": "Ana"}, False), ({"x": ["\x00"]}, False),
    ({"name": "\ud800"}, False),
    ({"blob": "x" * 5000}, False),
    ({"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}, False),
    ({"n": float("nan")}, False),
])
def test_buyer_is_sanitised(buyer, ok):
    if ok:
        assert holds.check_buyer(buyer) == buyer
    else:
        with pytest.raises(InvalidInput) as exc:
            holds.check_buyer(buyer)
        assert "buyer" in exc.value.fields


def test_sweep_deletes_only_expired_holds_with_ledger(generated_event):
    ts = tickets(generated_event)[:4]
    old = holds.take_hold(event_id=generated_event.event_id, ticket_ids=ids(ts[:3]))
    live = holds.take_hold(event_id=generated_event.event_id, ticket_ids=[ts[3].ticket_id])
    expire(old.hold_id)
    result = holds.sweep_expired_holds(batch_size=2)  # several batches
    assert (result.released, result.holds) == (3, 1)
    assert list(TicketHold.objects.values_list("hold_id", flat=True)) == [live.hold_id]
    for t in ts[:3]:
        assert [e.metadata for e in ledger(t, "released")] == [
            {"hold_id": old.hold_id, "reason": "expired", "by": "tickets_unlock"}]
    assert holds.sweep_expired_holds().released == 0  # nothing twice


def test_sweep_announces_released_seats_on_the_live_feed_after_commit(generated_event, django_capture_on_commit_callbacks,
                                                                     settings):
    settings.LIVE_CHANNEL_GROUPS = True  # observed here through the Channels group
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    group = f"event_{generated_event.event_id}"
    async_to_sync(layer.group_add)(group, channel)
    try:
        t = tickets(generated_event)[0]
        hold = holds.take_hold(event_id=generated_event.event_id, ticket_ids=[t.ticket_id])
        expire(hold.hold_id)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            holds.sweep_expired_holds()
        assert len(callbacks) == 1  # nothing is published before the commit
        for callback in callbacks:
            callback()

        async def receive():
            return await asyncio.wait_for(layer.receive(channel), timeout=5)

        message = async_to_sync(receive)()
        assert message["type"] == "live.message"
        assert message["message"] == {"type": "sales", "event_id": generated_event.event_id, "action": "released",
                                      "reason": "expired", "holds": [hold.hold_id], "tickets": [t.ticket_id]}
    finally:
        async_to_sync(layer.group_discard)(group, channel)


def test_publish_never_raises_when_the_layer_refuses():
    from core.live import flush, publish_event

    publish_event("not a valid group name \x00" * 20, {"type": "sales"})  # the layer refuses the name
    flush()


def test_tickets_unlock_task_is_registered_and_scheduled(generated_event):
    from ticketcore.celery import app
    from tickets.tasks import tickets_unlock

    entry = settings.CELERY_BEAT_SCHEDULE["tickets_unlock"]
    assert entry["task"] == "tickets_unlock" and entry["schedule"] == settings.TICKETS_UNLOCK_INTERVAL == 30
    app.loader.import_default_modules()
    assert "tickets_unlock" in app.tasks
    t = tickets(generated_event)[0]
    hold = holds.take_hold(event_id=generated_event.event_id, ticket_ids=[t.ticket_id])
    expire(hold.hold_id)
    assert tickets_unlock.apply().get() == 1
    assert not TicketHold.objects.exists()


# --- the database guarantees, tried with raw SQL ---

def insert_hold(ticket, hold_id="rawhold", event_id=None, seconds=600):
    sql(
        "INSERT INTO tickets_blocked (hold_id, event_id, ticket_id, locked_up, created_at) "
        "VALUES (%s, %s, %s, clock_timestamp() + make_interval(secs => %s), clock_timestamp())",
        [hold_id, event_id or ticket.event_id, ticket.pk, seconds],
    )


def test_db_one_hold_per_ticket_even_when_the_first_expired(generated_event):
    t = tickets(generated_event)[0]
    insert_hold(t, "first")
    with pytest.raises(IntegrityError, match="one_hold_per_ticket"):
        insert_hold(t, "second")
    expire("first")
    with pytest.raises(IntegrityError, match="one_hold_per_ticket"):
        insert_hold(t, "second")  # the expired row must be deleted first (lazy expiry does that)


def test_db_refuses_a_hold_on_a_sold_ticket(generated_event):
    t = tickets(generated_event)[0]
    sql("UPDATE tickets_ticket SET status = false WHERE id = %s", [t.pk])
    with pytest.raises(IntegrityError, match="ticket_not_holdable"):
        insert_hold(t)


def test_db_refuses_a_hold_on_an_offline_ticket(generated_event):
    t = tickets(generated_event)[0]
    assign_offline(generated_event, [t.ticket_id])
    with pytest.raises(IntegrityError, match="ticket_not_holdable"):
        insert_hold(t)


def test_db_refuses_moving_a_hold_onto_a_sold_ticket(generated_event):
    a, b = tickets(generated_event)[:2]
    insert_hold(a)
    sql("UPDATE tickets_ticket SET status = false WHERE id = %s", [b.pk])
    with pytest.raises(IntegrityError, match="ticket_not_holdable"):
        sql("UPDATE tickets_blocked SET ticket_id = %s WHERE ticket_id = %s", [b.pk, a.pk])


def test_db_refuses_a_hold_row_for_another_events_ticket(generated_event):
    from tests.conftest import make_event

    other = make_event(name="Other")
    t = tickets(generated_event)[0]
    with pytest.raises(IntegrityError, match="hold_event_mismatch"):
        insert_hold(t, event_id=other.event_id)


def test_db_refuses_a_hold_that_is_born_expired(generated_event):
    t = tickets(generated_event)[0]
    with pytest.raises(IntegrityError, match="hold_expires_after_creation"):
        insert_hold(t, seconds=-1)


def test_db_refuses_selling_or_assigning_a_held_ticket(generated_event):
    t = tickets(generated_event)[0]
    insert_hold(t)
    with pytest.raises(IntegrityError, match="ticket_held"):
        sql("UPDATE tickets_ticket SET status = false WHERE id = %s", [t.pk])
    with pytest.raises(IntegrityError, match="ticket_held"):
        sql("UPDATE tickets_ticket SET status_offline = true WHERE id = %s", [t.pk])
    sql("UPDATE tickets_ticket SET seat_row = 'F' WHERE id = %s", [t.pk])  # other changes stay allowed


def test_db_allows_selling_once_the_hold_expired(generated_event):
    t = tickets(generated_event)[0]
    insert_hold(t)
    expire("rawhold")
    sql("UPDATE tickets_ticket SET status = false WHERE id = %s", [t.pk])
    t.refresh_from_db()
    assert t.status is False


# --- the hook into the ticket PATCH (tickets.selectors.active_hold_id) ---

def test_patch_of_a_held_ticket_is_ticket_locked(api, generated_event):
    t = tickets(generated_event)[0]
    hold = holds.take_hold(event_id=generated_event.event_id, ticket_ids=[t.ticket_id])
    url = f"/api/v1/events/{generated_event.event_id}/tickets/{t.ticket_id}"
    assert_error(api.patch(url, {"status": False}, format="json"), 409, "ticket_locked")
    assert api.patch(url, {"seat_row": "F"}, format="json").status_code == 200  # corrections stay allowed
    t.refresh_from_db()
    assert t.status is True and not ledger(t, "sold")
    expire(hold.hold_id)  # an expired hold no longer locks the ticket
    r = api.patch(url, {"status": False}, format="json")
    assert r.status_code == 200 and r.json()["status"] is False
