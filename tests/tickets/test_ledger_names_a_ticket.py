"""The ledger's guarantee that each entry names a ticket that exists and stays (tickets/migrations/
0013, 0015, docs/adr/0036, 0040): `ledger_inserted` in place of the foreign key, and the tickets never
deleted nor renumbered. Each test breaks it with raw SQL; the negative control shows the key is
really gone, so the trigger is what refuses."""
import pytest
from django.db import IntegrityError, connection, transaction

from tickets.models import LedgerEntry, Ticket

pytestmark = pytest.mark.django_db

LEDGER = "INSERT INTO tickets_ledgerentry (ticket_id, date, action, metadata) SELECT unnest(%s::bigint[]), now(), 'updated', '{}'"
OTHER_REFERENCE = "translate(reference, '34679CDFHJKMNPRTVWXY', '4679CDFHJKMNPRTVWXY3')"
COPY = """INSERT INTO tickets_ticket (ticket_id, doc_id, event_id, zone_ref_id, zone_id, zone, color, seat_id,
          seat_number, seat_row, status, status_offline, access_status, access_entry, date_start, date_end,
          event_name, updated_at, reference)
          SELECT ticket_id || 'x', left(doc_id, 19) || 'x', event_id, zone_ref_id, zone_id, zone, color, seat_id || 'x',
          seat_number, seat_row, status, status_offline, access_status, access_entry, date_start, date_end, event_name,
          now(), """ + OTHER_REFERENCE + " FROM tickets_ticket WHERE id = %s RETURNING id"


def sql(statement, params=None):
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement, params or [])
        return cur.fetchall() if cur.description else None


@pytest.fixture
def tickets(generated_event):
    return list(Ticket.objects.filter(event=generated_event).order_by("id"))


def test_entries_for_existing_tickets_are_accepted(tickets):
    """The control, both ways the trigger decides: a run of consecutive tickets (one count), and
    tickets with an id between them that is not a ticket (the anti-join)."""
    first, last = tickets[0].pk, tickets[-1].pk
    sql(LEDGER, [[first, last]])
    with connection.cursor() as cur:  # an id no ticket will ever have: the copy below lands after a gap
        cur.execute("SELECT nextval(pg_get_serial_sequence('tickets_ticket', 'id'))")
    (copy,), = sql(COPY, [first])
    assert copy > last + 1
    sql(LEDGER, [[first, copy]])
    assert LedgerEntry.objects.filter(ticket_id=copy, action="updated").count() == 1


@pytest.mark.parametrize("shape", ["alone", "with existing tickets", "past the last ticket"])
def test_an_entry_for_a_missing_ticket_is_refused(tickets, shape):
    first, last = tickets[0].pk, tickets[-1].pk
    missing = {"alone": -1, "with existing tickets": -1, "past the last ticket": last + 1_000}[shape]
    ids = [missing] if shape == "alone" else [first, missing, last]
    with pytest.raises(IntegrityError, match=f"ledger_names_a_ticket: ledger entry names ticket {missing},"):
        sql(LEDGER, [ids])
    assert not LedgerEntry.objects.filter(action="updated").exists()


def test_negative_control_without_the_trigger_an_orphan_entry_is_accepted(tickets):
    """No foreign key is left behind the trigger: switched off, the orphan goes in (rolled back)."""
    with pytest.raises(RuntimeError, match="accepted"):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("ALTER TABLE tickets_ledgerentry DISABLE TRIGGER ledger_inserted")
            cur.execute(LEDGER, [[-1]])
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            raise RuntimeError("the orphan entry was accepted")


@pytest.mark.parametrize("statement", [
    "DELETE FROM tickets_ticket WHERE id = %s",
    "UPDATE tickets_ticket SET id = id + 1000000 WHERE id = %s",
])
def test_a_ticket_is_never_deleted_nor_renumbered(tickets, statement):
    with pytest.raises(IntegrityError, match="ticket_kept"):
        sql(statement, [tickets[0].pk])
    assert Ticket.objects.filter(pk=tickets[0].pk).exists()


def test_even_a_ticket_without_entries_is_never_deleted(tickets):
    """Unconditional: no row lock stands between a delete and a ledger entry being written for the
    same ticket in another transaction, so no ticket may go."""
    (copy,), = sql(COPY, [tickets[0].pk])
    assert not LedgerEntry.objects.filter(ticket_id=copy).exists()
    with pytest.raises(IntegrityError, match="ticket_kept: DELETE"):
        sql("DELETE FROM tickets_ticket WHERE id = %s", [copy])


def test_an_update_that_keeps_the_id_is_not_refused(tickets):
    sql("UPDATE tickets_ticket SET id = id, seat_row = 'F' WHERE id = %s", [tickets[0].pk])
    assert Ticket.objects.get(pk=tickets[0].pk).seat_row == "F"


def test_truncate_is_refused(tickets):
    with connection.cursor() as cur:  # generation's deferred key checks, or TRUNCATE refuses for them
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(IntegrityError, match="ticket_kept: TRUNCATE"):
        sql("TRUNCATE tickets_ticket CASCADE")
    assert Ticket.objects.count() == len(tickets)
