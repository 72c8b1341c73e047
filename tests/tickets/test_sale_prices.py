"""Every sale stores the price of its zone at that moment and its channel (issue 17, docs/adr/0024):
online checkout, staff sale (sell_tickets and PATCH) and box-office upload; later price changes
leave sold tickets alone; the database refuses a negative price, a price on an unsold ticket and
an unknown channel."""
import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from events.services import update_zone
from tickets import holds
from tickets.models import LedgerEntry, Ticket
from tickets.services import sell_tickets

pytestmark = pytest.mark.django_db


def sql(statement, params=None):
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement, params or [])


def ticket(event, seat_id):
    return Ticket.objects.get(event=event, seat_id=seat_id)


def sold_entry(t):
    return LedgerEntry.objects.filter(ticket=t, action="sold").order_by("id").last()


@pytest.fixture
def priced(generated_event):
    update_zone(event_id=generated_event.event_id, zone_id="A", price="45.00")
    update_zone(event_id=generated_event.event_id, zone_id="B", price="12.50")
    return generated_event


def test_online_checkout_takes_each_zones_price(priced):
    ids = [ticket(priced, s).ticket_id for s in ("A-1", "B-1")]
    hold = holds.take_hold(event_id=priced.event_id, ticket_ids=ids)
    result = holds.checkout(hold_id=hold.hold_id, buyer={"name": "Ana"}, actor="web")
    assert {t.seat_id: (t.price, t.channel) for t in result.tickets} == {
        "A-1": (Decimal("45.00"), "online"), "B-1": (Decimal("12.50"), "online")}
    for seat_id, price in (("A-1", "45.00"), ("B-1", "12.50")):
        assert sold_entry(ticket(priced, seat_id)).metadata["price"] == price


def test_checkout_answer_shows_price_reference_and_state(api, priced):
    t = ticket(priced, "A-2")
    hold = api.post(f"/api/v1/events/{priced.event_id}/holds", {"tickets": [t.ticket_id]}, format="json").json()
    body = api.post(f"/api/v1/holds/{hold['hold_id']}/checkout", {"buyer": {}}, format="json").json()
    (sold,) = body["tickets"]
    assert (sold["price"], sold["channel"], sold["state"], sold["reference"]) == ("45.00", "online", "sold", t.reference)


def test_staff_sale_takes_the_price_and_records_who(priced):
    result = sell_tickets(event_id=priced.event_id, ticket_ids=[ticket(priced, "A-3").ticket_id], actor="ana")
    assert result.prices == {ticket(priced, "A-3").ticket_id: Decimal("45.00")}
    t = ticket(priced, "A-3")
    assert (t.status, t.price, t.channel) == (False, Decimal("45.00"), "manual")
    assert sold_entry(t).metadata == {"channel": "manual", "by": "ana", "price": "45.00"}


def test_box_office_sale_takes_the_price_when_it_is_applied(api, priced):
    from offices.models import Office
    from offices.services import SaleIn, assign_tickets, create_office, sync_sales

    t = ticket(priced, "B-2")
    created = create_office(event_id=priced.event_id, name="Box office")
    assign_tickets(office_id=created.office.office_id, ticket_ids=[t.ticket_id])
    office = Office.objects.select_related("event").get(pk=created.office.office_id)
    result = sync_sales(office=office, sales=[SaleIn(sale_id=uuid.uuid4(), ticket_id=t.ticket_id,
                                                     sold_at=timezone.now())])
    assert result.accepted == 1
    t.refresh_from_db()
    assert (t.status, t.price, t.channel) == (False, Decimal("12.50"), "box_office")
    entry = sold_entry(t)
    assert entry.metadata["price"] == "12.50" and entry.metadata["office_id"] == office.office_id


def test_a_price_change_applies_to_later_sales_only(priced):
    sell_tickets(event_id=priced.event_id, ticket_ids=[ticket(priced, "A-4").ticket_id])
    update_zone(event_id=priced.event_id, zone_id="A", price="50.00")
    sell_tickets(event_id=priced.event_id, ticket_ids=[ticket(priced, "A-5").ticket_id])
    assert (ticket(priced, "A-4").price, ticket(priced, "A-5").price) == (Decimal("45.00"), Decimal("50.00"))


def test_a_refused_sale_stores_no_price(priced):
    from core.errors import SeatsUnavailable

    a1, a2 = ticket(priced, "A-1"), ticket(priced, "A-2")
    sell_tickets(event_id=priced.event_id, ticket_ids=[a1.ticket_id])
    with pytest.raises(SeatsUnavailable):  # all or nothing: A-1 is sold already
        sell_tickets(event_id=priced.event_id, ticket_ids=[a2.ticket_id, a1.ticket_id])
    a2.refresh_from_db()
    assert (a2.status, a2.price, a2.channel) == (True, None, None)


# --------------------------------------------------------------------------- database guards

def test_the_database_refuses_a_negative_price(priced):
    sell_tickets(event_id=priced.event_id, ticket_ids=[ticket(priced, "A-1").ticket_id])
    with pytest.raises(IntegrityError, match="ticket_price_not_negative"):
        sql("UPDATE tickets_ticket SET price = -1 WHERE id = %s", [ticket(priced, "A-1").pk])


@pytest.mark.parametrize("assignment", ["price = 10", "channel = 'manual'"])
def test_the_database_refuses_a_sale_on_an_available_ticket(priced, assignment):
    with pytest.raises(IntegrityError, match="ticket_unsold_has_no_price"):
        sql(f"UPDATE tickets_ticket SET {assignment} WHERE id = %s", [ticket(priced, "A-1").pk])


def test_the_database_refuses_unselling_that_keeps_the_price(priced):
    sell_tickets(event_id=priced.event_id, ticket_ids=[ticket(priced, "A-1").ticket_id])
    with pytest.raises(IntegrityError, match="ticket_unsold_has_no_price"):
        sql("UPDATE tickets_ticket SET status = true WHERE id = %s", [ticket(priced, "A-1").pk])


def test_the_database_refuses_an_unknown_channel(priced):
    sell_tickets(event_id=priced.event_id, ticket_ids=[ticket(priced, "A-1").ticket_id])
    with pytest.raises(IntegrityError, match="ticket_channel_known"):
        sql("UPDATE tickets_ticket SET channel = 'phone' WHERE id = %s", [ticket(priced, "A-1").pk])
