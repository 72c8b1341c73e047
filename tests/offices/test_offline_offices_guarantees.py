"""The database guarantees behind offline offices (offices/migrations/0002), each broken on
purpose with raw SQL, plus races between offices, holds and sales on real connections."""
import json
import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.errors import SeatsUnavailable
from devices.services import create_device
from offices import services
from offices.models import Office, OfficeAssignment, OfficeSale
from tests.conftest import make_device, make_event, run_concurrently, sell
from tickets import holds
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def sql(statement, params=None, *, immediate=False):
    """One statement in its own (sub)transaction; `immediate` runs the deferred checks now
    (tests never commit, so deferred constraint triggers would otherwise never fire)."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement, params or [])
        if immediate:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")


def ticket(event, seat):
    return Ticket.objects.get(event=event, seat_id=seat)


@pytest.fixture
def office(generated_event):
    return services.create_office(event_id=generated_event.event_id, name="Kiosk").office


@pytest.fixture
def assigned(office, generated_event):
    t = ticket(generated_event, "B-1")
    services.assign_tickets(office_id=office.office_id, ticket_ids=[t.ticket_id])
    return t


def insert_sale(office, t, *, result="accepted", reason=None, sale_id=None):
    sql("""INSERT INTO offices_officesale (sale_id, office_id, event_id, ticket_id, ticket_ref, result, reason, sold_at,
                                           received_at, response)
           VALUES (%s, %s, %s, %s, %s, %s, %s, now(), now(), '{}')""",
        [sale_id or uuid.uuid4(), office.office_id, office.event_id, t.pk if t else None, t.ticket_id if t else "x",
         result, reason])


def insert_assignment(office, t, event_id=None):
    sql("INSERT INTO offices_officeassignment (office_id, event_id, ticket_id, assigned_at, assigned_by, returned_by) "
        "VALUES (%s, %s, %s, now(), '', '')", [office.office_id, event_id or office.event_id, t.pk])


# --------------------------------------------------------------------------- sales of assigned tickets

def test_assigned_ticket_cannot_be_sold_online(assigned):
    with pytest.raises(IntegrityError, match="ticket_assigned_to_office"):
        sql("UPDATE tickets_ticket SET status = false WHERE id = %s", [assigned.pk])
    with pytest.raises(IntegrityError, match="ticket_assigned_to_office"):
        sql("UPDATE tickets_ticket SET status = false, status_offline = false WHERE id = %s", [assigned.pk])


def test_sale_guard_reads_the_assignment_not_the_flag(office, generated_event):
    """Inside one transaction, before the flag is set, an assigned ticket still cannot be sold."""
    t = ticket(generated_event, "B-2")
    with pytest.raises(IntegrityError, match="ticket_assigned_to_office"), transaction.atomic():
        insert_assignment(office, t)
        sql("UPDATE tickets_ticket SET status = false WHERE id = %s", [t.pk])


def test_only_the_assigned_office_can_record_an_accepted_sale(assigned, office, generated_event):
    other = services.create_office(event_id=generated_event.event_id, name="Other").office
    with pytest.raises(IntegrityError, match="office_sale_not_assigned"):
        insert_sale(other, assigned)
    with pytest.raises(IntegrityError, match="ticket_assigned_to_office"), transaction.atomic():
        insert_sale(other, assigned, result="rejected", reason="not_assigned")  # evidence is always recordable
        sql("UPDATE tickets_ticket SET status = false WHERE id = %s", [assigned.pk])
    with pytest.raises(IntegrityError, match="office_sale_not_assigned"):
        insert_sale(office, ticket(generated_event, "B-5"))  # not assigned at all


def test_a_recorded_sale_of_the_right_office_lets_the_sale_through_once(assigned, office):
    insert_sale(office, assigned)
    sql("UPDATE tickets_ticket SET status = false WHERE id = %s", [assigned.pk])
    with pytest.raises(IntegrityError, match="office_sale_already_sold|one_accepted_office_sale_per_ticket"):
        insert_sale(office, assigned)
    with pytest.raises(IntegrityError, match="office_sale_final"):
        sql("UPDATE tickets_ticket SET status = true WHERE id = %s", [assigned.pk])


def test_one_accepted_sale_per_ticket_even_before_the_ticket_is_marked(assigned, office):
    insert_sale(office, assigned)
    with pytest.raises(IntegrityError, match="one_accepted_office_sale_per_ticket"):
        insert_sale(office, assigned)


def test_sale_rows_are_append_only(assigned, office):
    insert_sale(office, assigned, result="rejected", reason="already_sold")
    for statement in ("UPDATE offices_officesale SET result = 'accepted', reason = NULL", "DELETE FROM offices_officesale"):
        with pytest.raises(IntegrityError, match="office_sale_append_only"):
            sql(statement)


def test_sale_result_and_reason_must_agree(assigned, office):
    with pytest.raises(IntegrityError, match="office_sale_reason_matches_result"):
        insert_sale(office, assigned, result="rejected", reason=None)
    with pytest.raises(IntegrityError, match="office_sale_reason_matches_result"):
        insert_sale(office, assigned, result="rejected", reason="sold_out")


# --------------------------------------------------------------------------- assignments

def test_status_offline_only_with_an_open_assignment(office, generated_event, assigned):
    t = ticket(generated_event, "B-3")
    with pytest.raises(IntegrityError, match="status_offline_mismatch"):
        sql("UPDATE tickets_ticket SET status_offline = true WHERE id = %s", [t.pk], immediate=True)
    with pytest.raises(IntegrityError, match="status_offline_mismatch"):
        sql("UPDATE tickets_ticket SET status_offline = false WHERE id = %s", [assigned.pk], immediate=True)
    with pytest.raises(IntegrityError, match="status_offline_mismatch"), transaction.atomic():
        insert_assignment(office, t)  # an open assignment without the flag
        sql("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.django_db(transaction=True)
def test_status_offline_mismatch_is_refused_at_commit(generated_event):
    """The same check as the services meet it: deferred to COMMIT, so the two writes may happen
    in one transaction, and a transaction that does only one of them fails."""
    t = ticket(generated_event, "B-3")
    office = services.create_office(event_id=generated_event.event_id, name="Kiosk").office
    with pytest.raises(IntegrityError, match="status_offline_mismatch"), connection.cursor() as cur:
        cur.execute("UPDATE tickets_ticket SET status_offline = true WHERE id = %s", [t.pk])  # autocommit
    with pytest.raises(IntegrityError, match="status_offline_mismatch"):
        insert_assignment(office, t)  # autocommit: an assignment without the flag
    with transaction.atomic():  # both: fine at commit
        insert_assignment(office, t)
        with connection.cursor() as cur:
            cur.execute("UPDATE tickets_ticket SET status_offline = true WHERE id = %s", [t.pk])
    assert ticket(generated_event, "B-3").status_offline


def test_assignment_needs_an_unsold_unheld_unassigned_ticket_of_the_same_event(office, generated_event, assigned):
    sell(generated_event, "B-4")
    with pytest.raises(IntegrityError, match="ticket_not_assignable: .* is sold"):
        insert_assignment(office, ticket(generated_event, "B-4"))
    other = services.create_office(event_id=generated_event.event_id, name="Other").office
    with pytest.raises(IntegrityError, match="one_open_assignment_per_ticket|already assigned"):
        insert_assignment(other, assigned)
    held = ticket(generated_event, "B-6")
    holds.take_hold(event_id=generated_event.event_id, ticket_ids=[held.ticket_id])
    with pytest.raises(IntegrityError, match="live checkout hold"):
        insert_assignment(office, held)
    foreign = make_event(name="Foreign")
    from tickets.services import generate_tickets

    generate_tickets(event_id=foreign.event_id)
    with pytest.raises(IntegrityError, match="assignment_event_mismatch"):
        insert_assignment(office, ticket(foreign, "A-1"), event_id=foreign.event_id)
    with pytest.raises(IntegrityError, match="assignment_event_mismatch"):
        insert_assignment(office, ticket(foreign, "A-1"))


def test_assigned_ticket_cannot_be_held(assigned, generated_event):
    """The holds trigger (tickets 0005) reads status_offline, which ours keeps truthful."""
    with pytest.raises(IntegrityError, match="ticket_not_holdable"):
        sql("INSERT INTO tickets_blocked (hold_id, event_id, ticket_id, locked_up, created_at) "
            "VALUES ('h1', %s, %s, now() + interval '10 minutes', now())", [generated_event.event_id, assigned.pk])


def test_assignments_close_once_only_while_unsold_and_are_never_deleted(assigned, office):
    row = OfficeAssignment.objects.get(ticket=assigned)
    for statement in ("UPDATE offices_officeassignment SET office_id = 'x' WHERE id = %s",
                      "UPDATE offices_officeassignment SET assigned_at = now() - interval '1 day' WHERE id = %s"):
        with pytest.raises(IntegrityError, match="assignment_immutable"):
            sql(statement, [row.pk])
    with pytest.raises(IntegrityError, match="assignment_append_only"):
        sql("DELETE FROM offices_officeassignment WHERE id = %s", [row.pk])
    insert_sale(office, assigned)
    sql("UPDATE tickets_ticket SET status = false WHERE id = %s", [assigned.pk])
    with pytest.raises(IntegrityError, match="assignment_not_returnable"):
        sql("UPDATE offices_officeassignment SET returned_at = now() WHERE id = %s", [row.pk])


def test_a_closed_assignment_cannot_be_reopened(office, generated_event):
    t = ticket(generated_event, "B-7")
    services.assign_tickets(office_id=office.office_id, ticket_ids=[t.ticket_id])
    services.unassign_tickets(office_id=office.office_id, ticket_ids=[t.ticket_id])
    row = OfficeAssignment.objects.get(ticket=t)
    with pytest.raises(IntegrityError, match="assignment_immutable"):
        sql("UPDATE offices_officeassignment SET returned_at = NULL WHERE id = %s", [row.pk])
    with pytest.raises(IntegrityError, match="assignment_born_closed"):
        sql("INSERT INTO offices_officeassignment (office_id, event_id, ticket_id, assigned_at, returned_at, "
            "assigned_by, returned_by) VALUES (%s, %s, %s, now(), now(), '', '')",
            [office.office_id, office.event_id, t.pk])


def test_office_device_must_be_an_office_device_of_the_same_event(office, generated_event):
    steward, _ = make_device(generated_event, name="Door")
    with pytest.raises(IntegrityError, match="office_device_mismatch"):
        sql("INSERT INTO offices_office (office_id, event_id, name, device_id, created_at) "
            "VALUES ('ofX', %s, 'X', %s, now())", [generated_event.event_id, steward.device_id])
    foreign = make_event(name="Foreign")
    foreign_device = create_device(event_id=foreign.event_id, name="F", checkpoint_id=None, role="office").device
    with pytest.raises(IntegrityError, match="office_device_mismatch"):
        sql("INSERT INTO offices_office (office_id, event_id, name, device_id, created_at) "
            "VALUES ('ofY', %s, 'Y', %s, now())", [generated_event.event_id, foreign_device.device_id])
    spare = create_device(event_id=generated_event.event_id, name="S", checkpoint_id=None, role="office").device
    with pytest.raises(IntegrityError, match="office_device_fixed"):
        sql("UPDATE offices_office SET device_id = %s WHERE office_id = %s", [spare.device_id, office.office_id])


def test_service_turns_a_database_refusal_into_409(office, generated_event, monkeypatch):
    """If the friendly checks are bypassed (here: the live-hold lookup says none), the trigger
    still refuses and the API answer is the contract's 409, with nothing written."""
    t = ticket(generated_event, "B-8")
    holds.take_hold(event_id=generated_event.event_id, ticket_ids=[t.ticket_id])
    monkeypatch.setattr(services.selectors, "live_held_ticket_pks", lambda pks: set())
    with pytest.raises(SeatsUnavailable):
        services.assign_tickets(office_id=office.office_id, ticket_ids=[t.ticket_id])
    assert not OfficeAssignment.objects.exists() and not ticket(generated_event, "B-8").status_offline


# --------------------------------------------------------------------------- races

@pytest.mark.django_db(transaction=True)
def test_racing_assigns_holds_and_online_sales_of_one_seat_have_one_winner(generated_event):
    """Twelve workers on real connections want seat B-1 at once: four offices assign it, four
    checkouts hold it, four direct sales sell it. Exactly one wins."""
    t = ticket(generated_event, "B-1")
    offices = [services.create_office(event_id=generated_event.event_id, name=f"O{i}").office for i in range(4)]

    def assign(office_id):
        return services.assign_tickets(office_id=office_id, ticket_ids=[t.ticket_id])

    def hold():
        return holds.take_hold(event_id=generated_event.event_id, ticket_ids=[t.ticket_id])

    def sale():
        from tickets.services import sell_tickets

        return sell_tickets(event_id=generated_event.event_id, ticket_ids=[t.ticket_id], channel="race")

    calls = [(assign, o.office_id) for o in offices] + [(hold,)] * 4 + [(sale,)] * 4
    results = run_concurrently(lambda fn, *a: fn(*a), calls)
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1, results
    # Office and hold losers get the contract's answer. A losing direct sale may instead meet
    # the holds trigger (tickets.services.sell_tickets does not look for live holds; the
    # database refuses it, which is the point of this test).
    for (fn, *_), r in zip(calls, results):
        if isinstance(r, BaseException) and not isinstance(r, SeatsUnavailable):
            assert fn is sale and isinstance(r, IntegrityError) and "ticket_held" in str(r), repr(r)
    t.refresh_from_db()
    assert OfficeAssignment.objects.filter(ticket=t).count() + (not t.status) + holds_count(t) == 1


def holds_count(t):
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM tickets_blocked WHERE ticket_id = %s", [t.pk])
        return cur.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_racing_uploads_of_one_sale_record_it_once(generated_event):
    office = services.create_office(event_id=generated_event.event_id, name="Kiosk").office
    t = ticket(generated_event, "B-2")
    services.assign_tickets(office_id=office.office_id, ticket_ids=[t.ticket_id])
    sale = services.SaleIn(sale_id=uuid.uuid4(), ticket_id=t.ticket_id, sold_at=timezone.now())
    other = services.SaleIn(sale_id=uuid.uuid4(), ticket_id=t.ticket_id, sold_at=timezone.now())

    def upload(s):
        return services.sync_sales(office=Office.objects.get(pk=office.pk), sales=[s]).results[0]

    results = run_concurrently(upload, [(sale,)] * 4 + [(other,)] * 4)
    assert not any(isinstance(r, BaseException) for r in results), results
    by_sale = {}
    for r in results:
        by_sale.setdefault(r["sale_id"], []).append(json.dumps(r, sort_keys=True))
    assert all(len(set(v)) == 1 for v in by_sale.values())  # every retry got the first answer
    assert sorted(json.loads(v[0])["result"] for v in by_sale.values()) == ["accepted", "rejected"]
    assert OfficeSale.objects.count() == 2 and OfficeSale.objects.filter(result="accepted").count() == 1
    t.refresh_from_db()
    assert not t.status and t.status_offline
