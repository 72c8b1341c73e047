"""`ticket_zone_of_its_event` (docs/adr/0036): a ticket's zone is a zone of its event, first one
two-column foreign key (tickets/migrations/0012), now statement and row triggers under the same
name with zone-side guards (tickets/migrations/0014). Each test breaks it with raw SQL; each
statement runs with the constraints made immediate (the key was deferred; the triggers are not),
and the test's transaction never commits.
Also the ledger's outbox trigger (mirror/migrations/0008), which reads only the tickets a
statement's ledger rows name."""
import threading
import time

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from events.services import ZoneSpec
from mirror.models import OutboxEntry
from tests.conftest import make_event
from tickets.models import Ticket
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db

OTHER_REFERENCE = "translate(reference, '34679CDFHJKMNPRTVWXY', '4679CDFHJKMNPRTVWXY3')"
COPY = """INSERT INTO tickets_ticket (ticket_id, doc_id, event_id, zone_ref_id, zone_id, zone, color, seat_id,
          seat_number, seat_row, status, status_offline, access_status, access_entry, date_start, date_end,
          event_name, updated_at, reference)
          SELECT ticket_id || 'x', left(doc_id, 19) || 'x', event_id, %s, zone_id, zone, color, seat_id || 'x', seat_number,
          seat_row, status, status_offline, access_status, access_entry, date_start, date_end, event_name, now(),
          """ + OTHER_REFERENCE + " FROM tickets_ticket WHERE id = %s"


def sql(statement, params=None):
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute(statement, params or [])


@pytest.fixture
def ticket(generated_event):
    return Ticket.objects.filter(event=generated_event).order_by("id").first()


def test_a_copy_with_the_same_zone_is_accepted(ticket):
    """The control: the copy the tests below spoil is itself valid."""
    sql(COPY, [ticket.zone_ref_id, ticket.pk])
    assert Ticket.objects.filter(ticket_id=ticket.ticket_id + "x").exists()


def test_ticket_zone_must_be_a_zone_of_its_event(ticket):
    other = make_event(name="Other")
    foreign_zone = other.zones.first().pk
    with pytest.raises(IntegrityError, match="ticket_zone_of_its_event"):
        sql(COPY, [foreign_zone, ticket.pk])


def test_ticket_zone_must_exist(ticket):
    with pytest.raises(IntegrityError, match="ticket_zone_of_its_event"):
        sql(COPY, [-1, ticket.pk])


def test_ticket_event_must_exist(ticket):
    with pytest.raises(IntegrityError, match="ticket_zone_of_its_event"):
        sql(COPY.replace("'x', event_id,", "'x', 'NoSuchEvent',"), [ticket.zone_ref_id, ticket.pk])


def test_zone_with_tickets_cannot_be_deleted(ticket):
    with pytest.raises(IntegrityError, match="ticket_zone_of_its_event"):
        sql("DELETE FROM events_zone WHERE id = %s", [ticket.zone_ref_id])


def test_zone_with_tickets_cannot_move_to_another_event(ticket):
    other = make_event(name="Other", zones=[ZoneSpec(zone_id="Z", name="Pit", color="#123456", seats=1)])
    with pytest.raises(IntegrityError, match="ticket_zone_of_its_event"):
        sql("UPDATE events_zone SET event_id = %s WHERE id = %s", [other.event_id, ticket.zone_ref_id])


def test_event_with_tickets_cannot_be_deleted(ticket):
    """The event's own key from its zones keeps it, as long as the zones are kept by the tickets
    (its signing keys, which would also keep it, are deleted first)."""
    with pytest.raises(IntegrityError, match='constraint "events_zone_event_id_.*" on table "events_zone"'):
        sql("DELETE FROM events_signingkey WHERE event_id = %(e)s; DELETE FROM events_event WHERE event_id = %(e)s",
            {"e": ticket.event_id})


def test_ledger_rows_queue_only_the_tickets_not_written_here(db):
    """One statement's ledger rows over tickets far apart, some written by this transaction: only
    the others are queued (the id range read covers every ticket the rows name)."""
    first, second = make_event(name="First"), make_event(name="Second")
    generate_tickets(event_id=first.event_id)
    generate_tickets(event_id=second.event_id)
    low, mid = Ticket.objects.filter(event=first).order_by("id")[:2]
    high = Ticket.objects.filter(event=second).order_by("-id").first()
    OutboxEntry.objects.all().delete()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE tickets_ticket SET seat_row = 'F' WHERE id = %s", [mid.pk])  # queues `mid` itself
        cur.execute("INSERT INTO tickets_ledgerentry (ticket_id, date, action, metadata) "
                    "SELECT unnest(%s::bigint[]), now(), 'updated', '{}'", [[high.pk, mid.pk, low.pk]])
    rows = list(OutboxEntry.objects.order_by("id").values_list("op", "key"))
    assert rows == [("U", mid.doc_id), ("U", low.doc_id), ("U", high.doc_id)]


# --- Since tickets/migrations/0014 the key is a statement check plus zone-side guards ------------

def test_a_ticket_moved_to_another_events_zone_is_refused(ticket):
    other = make_event(name="Other")
    with pytest.raises(IntegrityError, match="ticket_zone_of_its_event"):
        sql("UPDATE tickets_ticket SET zone_ref_id = %s WHERE id = %s", [other.zones.first().pk, ticket.pk])


def test_a_zone_without_tickets_may_still_be_deleted(ticket):
    """The control for the zone guards: only zones with tickets are kept."""
    other = make_event(name="Other")
    zone = other.zones.first().pk
    sql("DELETE FROM events_zone WHERE id = %s", [zone])
    assert not other.zones.filter(pk=zone).exists()


@pytest.mark.django_db(transaction=True)
def test_a_zone_is_deleted_only_in_read_committed():
    """Under REPEATABLE READ the guard's snapshot could miss tickets committed after it: refused,
    even for a zone without tickets; the same DELETE in READ COMMITTED is the control."""
    zone = make_event(name="Other").zones.first().pk
    with psycopg.connect(_url(), autocommit=False) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        with pytest.raises(psycopg.errors.ActiveSqlTransaction, match="only in READ COMMITTED"):
            conn.execute("DELETE FROM events_zone WHERE id = %s", [zone])
        conn.rollback()
        assert conn.execute("DELETE FROM events_zone WHERE id = %s", [zone]).rowcount == 1
        conn.rollback()


def _url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_zone_delete_waits_for_a_generation_in_flight_and_is_refused():
    """Two connections: tickets inserted but not committed hold their zone (FOR KEY SHARE); a
    concurrent DELETE of that zone waits, and once the tickets commit it sees them and is refused.
    Without the lock the DELETE would not wait, see no committed ticket and leave them orphans."""
    event = make_event(name="Race")
    zone = event.zones.get(zone_id="A")
    generate_tickets(event_id=make_event(name="Source").event_id)
    source = Ticket.objects.order_by("id").first()
    outcome: dict = {}
    with (psycopg.connect(_url()) as writer, psycopg.connect(_url()) as deleter,
          psycopg.connect(_url(), autocommit=True) as watcher):
        writer.execute(COPY.replace("event_id, %s, zone_id", "%s, %s, zone_id"), [event.event_id, zone.pk, source.pk])

        def delete():
            try:
                deleter.execute("DELETE FROM events_zone WHERE id = %s", [zone.pk])
                outcome["deleted"] = True
            except psycopg.Error as exc:
                outcome["error"] = exc

        thread = threading.Thread(target=delete, daemon=True)
        thread.start()
        waited = False
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not waited:  # the DELETE waits for the writer's lock
            waited = watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'",
                                     [deleter.info.backend_pid]).fetchone()[0] == 1
            time.sleep(0.02)
        writer.commit()
        thread.join(10)
        deleter.rollback()
    assert waited, "the zone DELETE did not wait for the uncommitted tickets"
    assert "deleted" not in outcome
    assert "ticket_zone_of_its_event" in str(outcome["error"])
    assert Ticket.objects.filter(zone_ref_id=zone.pk).count() == 1
