"""Each guarantee is proven by trying to break it with raw SQL: PostgreSQL itself must refuse.
Dropping the constraint or trigger makes the matching test fail."""
import pytest
from django.db import IntegrityError, connection, transaction

from tickets.models import LedgerEntry, Ticket

pytestmark = pytest.mark.django_db


def sql(statement, params=None):
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement, params or [])


# A copy of a ticket's row needs a reference of its own, or the reference's unique constraint
# would answer first: the same reference with every symbol shifted by one in the alphabet.
OTHER_REFERENCE = "translate(reference, '34679CDFHJKMNPRTVWXY', '4679CDFHJKMNPRTVWXY3')"


@pytest.fixture
def ticket(generated_event):
    return Ticket.objects.filter(event=generated_event).order_by("id").first()


def test_zone_colour_must_be_hex(event):
    with pytest.raises(IntegrityError, match="zone_color_hex"):
        sql("UPDATE events_zone SET color = 'red' WHERE event_id = %s", [event.event_id])


def test_ticket_colour_must_be_hex(ticket):
    with pytest.raises(IntegrityError, match="ticket_color_hex"):
        sql("UPDATE tickets_ticket SET color = '#12345' WHERE id = %s", [ticket.pk])


def test_inside_implies_scanned(ticket):
    with pytest.raises(IntegrityError, match="ticket_inside_implies_scanned"):
        sql("UPDATE tickets_ticket SET status = false, access_entry = true WHERE id = %s", [ticket.pk])


def test_scanned_implies_sold(ticket):
    with pytest.raises(IntegrityError, match="ticket_scanned_implies_sold"):
        sql("UPDATE tickets_ticket SET access_status = true WHERE id = %s", [ticket.pk])


def test_ledger_action_must_be_known(ticket):
    with pytest.raises(IntegrityError, match="ledger_action_known"):
        sql("INSERT INTO tickets_ledgerentry (ticket_id, date, action, metadata) VALUES (%s, now(), 'teleported', '{}')",
            [ticket.pk])


def test_seat_is_unique_per_event(ticket):
    with pytest.raises(IntegrityError, match="ticket_seat_unique_per_event"):
        sql(
            """INSERT INTO tickets_ticket (ticket_id, doc_id, event_id, zone_ref_id, zone_id, zone, color, seat_id,
               seat_number, seat_row, status, status_offline, access_status, access_entry, date_start, date_end,
               event_name, updated_at, reference)
               SELECT ticket_id || 'x', doc_id, event_id, zone_ref_id, zone_id, zone, color, seat_id, seat_number,
               seat_row, status, status_offline, access_status, access_entry, date_start, date_end, event_name, now(),
               """ + OTHER_REFERENCE + """
               FROM tickets_ticket WHERE id = %s""",
            [ticket.pk],
        )


def test_ticket_id_is_unique(ticket):
    with pytest.raises(IntegrityError, match="ticket_id"):
        sql(
            """INSERT INTO tickets_ticket (ticket_id, doc_id, event_id, zone_ref_id, zone_id, zone, color, seat_id,
               seat_number, seat_row, status, status_offline, access_status, access_entry, date_start, date_end,
               event_name, updated_at, reference)
               SELECT ticket_id, doc_id, event_id, zone_ref_id, zone_id, zone, color, seat_id || '0', seat_number,
               seat_row, status, status_offline, access_status, access_entry, date_start, date_end, event_name, now(),
               """ + OTHER_REFERENCE + """
               FROM tickets_ticket WHERE id = %s""",
            [ticket.pk],
        )


def test_scanned_ticket_cannot_be_unscanned(ticket):
    sql("UPDATE tickets_ticket SET status = false, access_status = true, access_entry = true WHERE id = %s", [ticket.pk])
    with pytest.raises(IntegrityError, match="ticket_irreversible"):
        sql("UPDATE tickets_ticket SET access_status = false, access_entry = false WHERE id = %s", [ticket.pk])
    # Leaving (access_entry false) stays allowed: only access_status is one-way.
    sql("UPDATE tickets_ticket SET access_entry = false WHERE id = %s", [ticket.pk])


@pytest.mark.parametrize("column,value", [("ticket_id", "forged-id"), ("seat_id", "Z-99"), ("doc_id", "x" * 20)])
def test_ticket_identity_is_immutable(ticket, column, value):
    with pytest.raises(IntegrityError, match="ticket_identity_immutable"):
        sql(f"UPDATE tickets_ticket SET {column} = %s WHERE id = %s", [value, ticket.pk])


def test_ticket_cannot_move_to_another_event(ticket, db):
    from tests.conftest import make_event

    other = make_event(name="Other")
    with pytest.raises(IntegrityError, match="ticket_identity_immutable"):
        sql("UPDATE tickets_ticket SET event_id = %s WHERE id = %s", [other.event_id, ticket.pk])


def test_ledger_rows_cannot_be_updated(ticket):
    entry = LedgerEntry.objects.filter(ticket=ticket).first()
    with pytest.raises(IntegrityError, match="ledger_append_only"):
        sql("UPDATE tickets_ledgerentry SET action = 'updated' WHERE id = %s", [entry.pk])


def test_ledger_rows_cannot_be_deleted(ticket):
    with pytest.raises(IntegrityError, match="ledger_append_only"):
        sql("DELETE FROM tickets_ledgerentry WHERE ticket_id = %s", [ticket.pk])
    assert LedgerEntry.objects.filter(ticket=ticket).count() == 1


def test_every_update_takes_a_new_version(ticket):
    before = ticket.version
    sql("UPDATE tickets_ticket SET seat_row = 'F' WHERE id = %s", [ticket.pk])
    ticket.refresh_from_db()
    assert ticket.version > before


def test_one_active_signing_key_per_event(event):
    with pytest.raises(IntegrityError, match="one_active_signing_key_per_event"):
        sql("""INSERT INTO events_signingkey (key_id, event_id, private_key_sealed, data_key_wrapped, kek_id,
                                              public_key, active, created_at)
               VALUES ('dupkey01', %s, %s, %s, 'k', '\\x00', true, now())""", [event.event_id, b"s" * 60, b"w" * 60])
