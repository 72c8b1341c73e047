import pytest
from django.db import connection

from core.errors import AlreadyGenerated, SetupInactive
from events.models import Event
from tests.conftest import make_event, run_concurrently
from tickets.models import LedgerEntry, Ticket
from tickets.services import generate_tickets


@pytest.mark.django_db
def test_generates_one_ticket_per_seat_with_ledger(event):
    result = generate_tickets(event_id=event.event_id)
    assert result.generated == 15
    tickets = list(Ticket.objects.filter(event=event).order_by("id"))
    assert [t.seat_id for t in tickets if t.zone_id == "A"] == [f"A-{n}" for n in range(1, 6)]
    assert [t.seat_id for t in tickets if t.zone_id == "B"] == [f"B-{n}" for n in range(1, 11)]
    t = tickets[0]
    assert t.ticket_id == f"{event.event_id}-{t.doc_id}" and len(t.doc_id) == 20
    assert (t.zone, t.color, t.seat_row, t.event_name) == ("Ringside", "#C0392B", "por asignar", event.name)
    assert (t.status, t.status_offline, t.access_status, t.access_entry) == (True, False, False, False)
    assert t.date_start == event.date_start and t.date_end == event.date_end
    assert LedgerEntry.objects.filter(ticket__event=event, action="generated").count() == 15
    assert LedgerEntry.objects.filter(ticket__event=event).count() == 15


@pytest.mark.django_db
def test_refuses_while_setup_gate_is_closed():
    event = make_event(active=False)
    with pytest.raises(SetupInactive):
        generate_tickets(event_id=event.event_id)
    assert not Ticket.objects.filter(event=event).exists()


@pytest.mark.django_db
def test_refuses_a_second_run(event):
    generate_tickets(event_id=event.event_id)
    with pytest.raises(AlreadyGenerated):
        generate_tickets(event_id=event.event_id)
    assert Ticket.objects.filter(event=event).count() == 15


@pytest.mark.django_db(transaction=True)
def test_racing_generations_produce_one_set_of_tickets():
    event = make_event()
    results = run_concurrently(lambda: generate_tickets(event_id=event.event_id), [()] * 6)
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert all(isinstance(r, AlreadyGenerated) for r in losers), losers
    assert Ticket.objects.filter(event=event).count() == 15


@pytest.mark.django_db
def test_all_or_nothing_when_the_last_insert_fails(event):
    """A trigger makes the ledger insert of the very last seat fail; nothing may remain."""
    with connection.cursor() as cur:
        cur.execute(
            """CREATE FUNCTION test_fail_last() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN
                 IF (SELECT seat_id FROM tickets_ticket WHERE id = NEW.ticket_id) = 'B-10' THEN
                   RAISE EXCEPTION 'injected failure on the last insert';
                 END IF;
                 RETURN NEW;
               END; $$;
               CREATE TRIGGER test_fail_last BEFORE INSERT ON tickets_ledgerentry
               FOR EACH ROW EXECUTE FUNCTION test_fail_last();"""
        )
    with pytest.raises(Exception, match="injected failure"):
        generate_tickets(event_id=event.event_id)
    assert Ticket.objects.filter(event=event).count() == 0
    assert LedgerEntry.objects.filter(ticket__event=event).count() == 0
    assert Event.objects.get(pk=event.pk).generated_at is None


@pytest.mark.django_db
def test_generated_rows_are_what_the_former_copy_wrote(event):
    """Content of the one-statement generation (tickets/generation.py): ids in seat order, zone by
    zone in display order; distinct, well-formed references and doc ids; codes that verify; one
    `generated` ledger entry and exactly one outbox insert row per ticket."""
    from events import codes
    from tickets.references import normalize

    with connection.cursor() as cur:
        cur.execute("SELECT current_setting('work_mem'), current_setting('jit')")
        settings_before = cur.fetchone()
    generate_tickets(event_id=event.event_id)
    tickets = list(Ticket.objects.filter(event=event).order_by("id"))
    assert [t.seat_id for t in tickets] == [f"A-{n}" for n in range(1, 6)] + [f"B-{n}" for n in range(1, 11)]
    assert [t.seat_number for t in tickets] == list(range(1, 6)) + list(range(1, 11))
    zones = {z.zone_id: z for z in event.zones.all()}
    assert all(t.zone_ref_id == zones[t.zone_id].pk and t.color == zones[t.zone_id].color for t in tickets)
    assert len({t.reference for t in tickets}) == 15 and all(normalize(t.reference) == t.reference for t in tickets)
    assert len({t.doc_id for t in tickets}) == 15 and all(t.doc_id.isalnum() for t in tickets)
    assert all(t.updated_at == Event.objects.get(pk=event.pk).generated_at for t in tickets)
    assert all(t.price is None and t.channel is None for t in tickets)
    for t in tickets:
        assert codes.verify(codes.ticket_code(t)).object_id == t.ticket_id
    ledger = list(LedgerEntry.objects.filter(ticket__event=event).order_by("id").values_list("ticket_id", "action", "metadata"))
    assert ledger == [(t.pk, "generated", {}) for t in tickets]
    with connection.cursor() as cur:
        cur.execute("SELECT key, op FROM ticketcore_outbox WHERE event_id = %s AND kind = 'ticket' ORDER BY id",
                    [event.event_id])
        assert cur.fetchall() == [(t.doc_id, "I") for t in tickets]
        cur.execute("SELECT current_setting('work_mem'), current_setting('jit')")
        assert cur.fetchone() == settings_before  # the generation's local settings do not leak


@pytest.mark.django_db
def test_zones_are_numbered_in_display_order_not_creation_order():
    from events.models import Zone

    event = make_event()
    Zone.objects.filter(event=event, zone_id="B").update(position=0)
    Zone.objects.filter(event=event, zone_id="A").update(position=1)
    generate_tickets(event_id=event.event_id)
    seats = list(Ticket.objects.filter(event=event).order_by("id").values_list("seat_id", flat=True))
    assert seats == [f"B-{n}" for n in range(1, 11)] + [f"A-{n}" for n in range(1, 6)]


@pytest.mark.django_db
def test_all_or_nothing_when_an_outbox_row_fails(event):
    """The outbox rows are part of the same statement: a failing one leaves no ticket, no ledger."""
    with connection.cursor() as cur:
        cur.execute(
            """CREATE FUNCTION test_fail_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN
                 IF NEW.kind = 'ticket' THEN RAISE EXCEPTION 'injected outbox failure'; END IF;
                 RETURN NEW;
               END; $$;
               CREATE TRIGGER test_fail_outbox BEFORE INSERT ON ticketcore_outbox
               FOR EACH ROW EXECUTE FUNCTION test_fail_outbox();"""
        )
    with pytest.raises(Exception, match="injected outbox failure"):
        generate_tickets(event_id=event.event_id)
    assert Ticket.objects.filter(event=event).count() == 0
    assert LedgerEntry.objects.filter(ticket__event=event).count() == 0
    assert Event.objects.get(pk=event.pk).generated_at is None
