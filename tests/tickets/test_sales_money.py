"""GET /api/v1/events/{event_id}/sales: revenue and channels per zone and in totals, from the
same single aggregate query (issue 17, docs/adr/0024)."""
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.services import update_event, update_zone
from tickets import holds
from tickets.models import Ticket
from tickets.services import sell_tickets

pytestmark = pytest.mark.django_db

ZERO = {"sold": 0, "revenue": "0.00"}


def ids(event, *seats):
    return [Ticket.objects.get(event=event, seat_id=s).ticket_id for s in seats]


@pytest.fixture
def sales_night(generated_event):
    """Zone A at 45.00, zone B at 12.50: A sold online x2 and by staff x1; B sold at a box office
    x1, by staff x1 (then the price rises to 20.00) and by staff x1 again; one B seat held."""
    from offices.models import Office
    from offices.services import SaleIn, assign_tickets, create_office, sync_sales

    e = generated_event
    update_zone(event_id=e.event_id, zone_id="A", price="45.00")
    update_zone(event_id=e.event_id, zone_id="B", price="12.50")
    hold = holds.take_hold(event_id=e.event_id, ticket_ids=ids(e, "A-1", "A-2"))
    holds.checkout(hold_id=hold.hold_id, buyer={})
    sell_tickets(event_id=e.event_id, ticket_ids=ids(e, "A-3"), actor="ana")
    created = create_office(event_id=e.event_id, name="Box office")
    assign_tickets(office_id=created.office.office_id, ticket_ids=ids(e, "B-1", "B-2"))
    office = Office.objects.select_related("event").get(pk=created.office.office_id)
    sync_sales(office=office, sales=[SaleIn(sale_id=uuid.uuid4(), ticket_id=ids(e, "B-1")[0], sold_at=timezone.now())])
    sell_tickets(event_id=e.event_id, ticket_ids=ids(e, "B-3"))
    update_zone(event_id=e.event_id, zone_id="B", price="20.00")
    sell_tickets(event_id=e.event_id, ticket_ids=ids(e, "B-4"))
    holds.take_hold(event_id=e.event_id, ticket_ids=ids(e, "B-5"))
    return e


def test_revenue_and_channels_per_zone_and_in_totals(api, sales_night):
    with CaptureQueriesContext(connection) as ctx:
        r = api.get(f"/api/v1/events/{sales_night.event_id}/sales")
    assert r.status_code == 200
    assert len([q for q in ctx.captured_queries if "tickets_ticket" in q["sql"]]) == 1  # polled live: one query
    body = r.json()
    assert body["currency"] == "EUR"
    zone_a, zone_b = body["zones"]
    assert (zone_a["sold"], zone_a["revenue"]) == (3, "135.00")
    assert zone_a["channels"] == {"online": {"sold": 2, "revenue": "90.00"}, "box_office": ZERO,
                                  "manual": {"sold": 1, "revenue": "45.00"}}
    assert (zone_b["sold"], zone_b["offline"], zone_b["held"], zone_b["revenue"]) == (3, 1, 1, "45.00")
    assert zone_b["channels"] == {"online": ZERO, "box_office": {"sold": 1, "revenue": "12.50"},
                                  "manual": {"sold": 2, "revenue": "32.50"}}
    totals = body["totals"]
    assert (totals["seats"], totals["sold"], totals["revenue"]) == (15, 6, "180.00")
    assert totals["channels"] == {"online": {"sold": 2, "revenue": "90.00"}, "box_office": {"sold": 1, "revenue": "12.50"},
                                  "manual": {"sold": 3, "revenue": "77.50"}}
    for row in body["zones"] + [totals]:
        assert row["available"] + row["held"] + row["sold"] + row["offline"] == row["seats"]  # unchanged rule
        assert sum(c["sold"] for c in row["channels"].values()) == row["sold"]


def test_unselling_takes_the_revenue_back(api, sales_night):
    t = Ticket.objects.get(event=sales_night, seat_id="A-3")
    assert api.patch(f"/api/v1/events/{sales_night.event_id}/tickets/{t.ticket_id}", {"status": True},
                     format="json").status_code == 200
    body = api.get(f"/api/v1/events/{sales_night.event_id}/sales").json()
    assert body["zones"][0]["revenue"] == "90.00" and body["zones"][0]["channels"]["manual"] == ZERO


def test_no_sales_yet_and_before_generation(api, event):
    body = api.get(f"/api/v1/events/{event.event_id}/sales").json()
    assert body["totals"]["revenue"] == "0.00"
    assert body["totals"]["channels"] == {"online": ZERO, "box_office": ZERO, "manual": ZERO}
    assert [z["revenue"] for z in body["zones"]] == ["0.00", "0.00"]


def test_the_event_currency_labels_the_revenue(api, event):
    update_event(event_id=event.event_id, name=event.name, venue=event.venue, date_start=event.date_start,
                 date_end=event.date_end, doors_open_minutes=720, doors_close_minutes=360, currency="MXN")
    assert api.get(f"/api/v1/events/{event.event_id}/sales").json()["currency"] == "MXN"


def test_the_documented_schema_matches_the_body(api, sales_night):
    """tickets.api.SalesOut (served by the sales view's schema) names every field of the body."""
    from tickets.api import SalesOut

    body = api.get(f"/api/v1/events/{sales_night.event_id}/sales").json()
    fields = SalesOut.fields
    assert set(fields) == set(body)
    zone_fields = fields["zones"].child.fields
    assert set(zone_fields) == set(body["zones"][0])
    assert set(fields["totals"].fields) == set(body["totals"])
    assert set(zone_fields["channels"].fields) == set(body["zones"][0]["channels"])
    assert set(zone_fields["channels"].fields["online"].fields) == set(body["zones"][0]["channels"]["online"])
