"""Selling and stock in the admin with Django's test client: a typed range sold to a buyer after
a confirmation that shows the total (tickets.services.sell_tickets: channel manual, the admin
user in the ledger, the zone's price), seats given to a box office from the event page, the ticket
list and the office page (offices.services.assign_tickets), refusals in words with nothing
written, and the stock table from one query over the tickets."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.admin_guide import urls
from backoffice.selectors import stock
from events.services import update_zone
from offices.models import OfficeAssignment
from offices.services import create_office
from tests.conftest import make_event, sell
from tests.tickets.test_ticket_state import six_states  # noqa: F401  (fixture)
from tickets.models import LedgerEntry, SaleChannel, Ticket
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(db):
    """Priced zones (A 45.00, B 20.00); the tests take `generated_event`, which generates it."""
    event = make_event()
    update_zone(event_id=event.event_id, zone_id="A", price=Decimal("45.00"))
    update_zone(event_id=event.event_id, zone_id="B", price=Decimal("20.00"))
    return event


def written(event):
    return (LedgerEntry.objects.filter(ticket__event=event).exclude(action="generated").count(),
            Ticket.objects.filter(event=event, status=False).count(), OfficeAssignment.objects.count())


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def test_a_range_is_sold_to_a_buyer_after_its_total_is_shown(admin_client, generated_event):
    event = generated_event
    url = urls(event.event_id)["sell"]
    form = {"seats": "B-1..B-4, A-2", "name": "Ana García", "email": "ana@example.com", "note": "paid cash"}
    shown = admin_client.post(url, form).content.decode()
    assert "125.00 EUR" in shown and "Sell 5 seats for 125.00 EUR" in shown and "A-2, B-1..B-4" in shown
    assert written(event)[:2] == (0, 0)  # the confirmation page writes nothing
    r = admin_client.post(url, {**form, "confirm": "yes"}, follow=True)
    assert messages_of(r) == ["Sold 5 seats (A-2, B-1..B-4) to Ana García for 125.00 EUR."]
    sold = Ticket.objects.filter(event=event, status=False).order_by("seat_id")
    assert [(t.seat_id, t.price, t.channel) for t in sold] == [
        ("A-2", Decimal("45.00"), SaleChannel.MANUAL), *[(f"B-{n}", Decimal("20.00"), SaleChannel.MANUAL)
                                                          for n in range(1, 5)]]
    entry = LedgerEntry.objects.get(ticket__seat_id="A-2", ticket__event=event, action="sold")
    assert entry.metadata["by"] == "admin" and entry.metadata["price"] == "45.00"
    assert entry.metadata["buyer"] == {"name": "Ana García", "email": "ana@example.com", "note": "paid cash"}


@pytest.mark.parametrize("seats,words", [
    ("B-10..B-1", "the range runs backwards"),
    ("Q-1", "this event has no zone Q"),
    ("B-11", "zone B has seats B-1 to B-10"),
    ("", "This field is required."),
])
def test_a_bad_range_is_refused_in_words_and_nothing_is_written(admin_client, generated_event, seats, words):
    event = generated_event
    before = written(event)
    for confirm in ({}, {"confirm": "yes"}):
        r = admin_client.post(urls(event.event_id)["sell"], {"seats": seats, "name": "X", **confirm})
        assert r.status_code == 200 and words in r.content.decode()
    assert written(event) == before


def test_seats_that_are_not_available_are_named_with_their_state(admin_client, generated_event):
    event = generated_event
    sell(event, "B-2")
    office = create_office(event_id=event.event_id, name="Kiosk").office
    admin_client.post(urls(event.event_id)["assign"], {"office": office.pk, "seats": "B-3"})
    before = written(event)
    r = admin_client.post(urls(event.event_id)["sell"], {"seats": "B-1..B-3", "name": "X", "confirm": "yes"})
    text = r.content.decode()
    assert "Not available: B-2 (sold), B-3 (at a box office). Nothing was changed." in text
    assert "seats_unavailable" not in text and written(event) == before


def test_a_buyer_name_is_needed(admin_client, generated_event):
    event = generated_event
    r = admin_client.post(urls(event.event_id)["sell"], {"seats": "B-1", "confirm": "yes"})
    assert "This field is required." in r.content.decode() and written(event)[1] == 0


def test_before_generation_the_pages_say_what_to_do_first(admin_client):
    event = make_event()
    for name in ("sell", "assign"):
        r = admin_client.get(urls(event.event_id)[name], follow=True)
        assert messages_of(r) == ["Generate the tickets first (step 4)."]


def test_seats_go_to_a_box_office_and_back_to_where_the_lead_came_from(admin_client, generated_event):
    event = generated_event
    office = create_office(event_id=event.event_id, name="Kiosk Norte").office
    office_page = f"/admin/offices/office/{office.pk}/change/"
    assert f'{urls(event.event_id)["assign"]}?office={office.pk}' in admin_client.get(office_page).content.decode()
    form = admin_client.get(urls(event.event_id)["assign"], {"office": office.pk, "next": office_page}).content.decode()
    assert f'value="{office_page}"' in form and f'<option value="{office.pk}" selected>Kiosk Norte</option>' in form
    r = admin_client.post(urls(event.event_id)["assign"], {"office": office.pk, "seats": "A-1..A-3",
                                                           "next": office_page})
    assert r.status_code == 302 and r["Location"] == office_page
    assert set(OfficeAssignment.objects.values_list("ticket__seat_id", flat=True)) == {"A-1", "A-2", "A-3"}
    page = admin_client.get(office_page).content.decode()
    assert "135.00 EUR" in page  # three Ringside seats at the office, at today's price
    # A foreign `next` is not followed.
    r = admin_client.post(urls(event.event_id)["assign"], {"office": office.pk, "seats": "A-4",
                                                           "next": "https://elsewhere.example/"})
    assert r["Location"] == urls(event.event_id)["page"] + "#stock"


def test_a_seat_already_taken_is_not_given_and_nothing_is_written(admin_client, generated_event):
    event = generated_event
    office = create_office(event_id=event.event_id, name="Kiosk").office
    sell(event, "A-2")
    before = written(event)
    r = admin_client.post(urls(event.event_id)["assign"], {"office": office.pk, "seats": "A-1..A-3"})
    assert "Not available: A-2 (sold). Nothing was changed." in r.content.decode()
    assert written(event) == before


def test_the_ticket_list_sells_or_gives_the_ticked_seats(admin_client, generated_event):
    event = generated_event
    office = create_office(event_id=event.event_id, name="Kiosk").office
    ticked = list(Ticket.objects.filter(event=event, seat_id__in=["B-5", "B-6", "B-7", "B-9"]).values_list("pk",
                                                                                                         flat=True))
    r = admin_client.post("/admin/tickets/ticket/", {"action": "assign_action", "_selected_action": ticked})
    text = r.content.decode()
    assert r.status_code == 200 and "B-5..B-7, B-9</textarea>" in text and f'action="{urls(event.event_id)["assign"]}"' in text
    assert written(event)[2] == 0  # the action only opens the form
    r = admin_client.post("/admin/tickets/ticket/", {"action": "sell_action", "_selected_action": ticked})
    assert "B-5..B-7, B-9</textarea>" in r.content.decode() and 'id="tc-sell-form"' in r.content.decode()
    other = make_event(name="Other")
    generate_tickets(event_id=other.event_id)
    mixed = [*ticked, Ticket.objects.filter(event=other).first().pk]
    r = admin_client.post("/admin/tickets/ticket/", {"action": "sell_action", "_selected_action": mixed}, follow=True)
    assert messages_of(r) == ["Tick seats of one event at a time (filter the list by event)."]
    assert office.assignments.count() == 0


def test_stock_counts_every_state_and_the_money_in_one_query(admin_client, generated_event, six_states):  # noqa: F811
    event = generated_event
    sell(event, "A-1")
    with CaptureQueriesContext(connection) as ctx:
        table = stock(event)
    assert len([q for q in ctx.captured_queries if "tickets_ticket" in q["sql"]]) == 1
    b = {row.zone_id: row for row in table.zones}["B"]
    # six_states: B-1 and B-7 available (B-7's hold expired), B-2 held, B-3 box office, B-4 sold, B-5 inside,
    # B-6 out; B-8..B-10 untouched.
    assert (b.seats, b.available, b.held, b.box_office, b.sold, b.inside) == (10, 5, 1, 1, 3, 1)
    assert b.available + b.held + b.box_office + b.sold == b.seats
    assert b.revenue == Decimal("60.00") and table.total.revenue == Decimal("105.00")
    assert table.total.channels[SaleChannel.MANUAL] == Decimal("105.00")
    html = admin_client.get(urls(event.event_id)["page"]).content.decode()
    assert '<td class="num" data-field="revenue"><strong>105.00 EUR</strong></td>' in html
    assert 'data-field="held">1</td>' in html


def test_stock_revenue_matches_the_sales_api(admin_client, api, generated_event):
    event = generated_event
    sell(event, "A-1", "B-1", "B-2")
    update_zone(event_id=event.event_id, zone_id="B", price=Decimal("99.00"))  # later sales only
    sales = api.get(f"/api/v1/events/{event.event_id}/sales").json()
    table = stock(event)
    assert f"{table.total.revenue:.2f}" == sales["totals"]["revenue"] == "85.00"
    assert [(r.zone_id, r.sold, f"{r.revenue:.2f}") for r in table.zones] == [
        (z["zone_id"], z["sold"], z["revenue"]) for z in sales["zones"]]
