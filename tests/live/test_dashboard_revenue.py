"""Revenue on the dashboard (issue 17 item 4): per zone and in total, by channel, in the event's
currency, from the very figures of GET /api/v1/events/{id}/sales; and a sale made while a
dashboard is connected reaches its socket as a fresh `sales` aggregate, through the feed's own
mechanism (a published sales change marks the figures dirty; live/figures.py re-reads them).

Sales are made by the real services of each channel: a checkout of a hold (online), a staff sale
(manual) and a box office's uploaded sale (box office). Real PostgreSQL and Redis, the real ASGI
stack; nothing is mocked."""
from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.utils import timezone

from events import services as event_services
from live import selectors
from offices import services as office_services
from tests.conftest import make_event, sell
from tests.live.test_live_consumer import communicator, next_message, staff_session  # noqa: F401 - fixture
from tickets import holds
from tickets.models import Ticket
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db(transaction=True)

ZONES = [
    event_services.ZoneSpec(zone_id="A", name="Ringside", color="#C0392B", seats=5, price=Decimal("120.50")),
    event_services.ZoneSpec(zone_id="B", name="General", color="#27AE60", seats=10, price=Decimal("35.00")),
]


@pytest.fixture
def ev(transactional_db):
    event = make_event(zones=ZONES)
    generate_tickets(event_id=event.event_id)
    return event


def ids(event, *seats) -> list[str]:
    return list(Ticket.objects.filter(event=event, seat_id__in=seats).order_by("seat_id")
                .values_list("ticket_id", flat=True))


def sell_online(event, *seats) -> None:
    hold = holds.take_hold(event_id=event.event_id, ticket_ids=ids(event, *seats))
    holds.checkout(hold_id=hold.hold_id, buyer={"name": "Ana"})


def sell_at_office(event, *seats) -> None:
    office = office_services.create_office(event_id=event.event_id, name="Taquilla Norte").office
    tickets = ids(event, *seats)
    office_services.assign_tickets(office_id=office.office_id, ticket_ids=tickets)
    office_services.sync_sales(office=office, sales=[
        office_services.SaleIn(sale_id=uuid.uuid4(), ticket_id=t, sold_at=timezone.now()) for t in tickets])


def test_the_dashboards_revenue_is_the_sales_endpoints(ev, api):
    sell_online(ev, "A-1", "B-1")
    sell(ev, "A-2", "B-2", "B-3")  # a staff sale
    sell_at_office(ev, "B-4")

    snapshot = selectors.snapshot(ev.event_id)
    body = api.get(f"/api/v1/events/{ev.event_id}/sales").json()
    # The same figures: the dashboard only adds the zones' colours (and the message's type).
    assert snapshot["sales"]["currency"] == body["currency"] == "EUR"
    assert snapshot["sales"]["totals"] == body["totals"]
    assert [{k: v for k, v in z.items() if k != "color"} for z in snapshot["sales"]["zones"]] == body["zones"]
    assert [z["color"] for z in snapshot["sales"]["zones"]] == ["#C0392B", "#27AE60"]

    zones = {z["zone_id"]: z for z in body["zones"]}
    assert zones["A"]["revenue"] == "241.00" and zones["B"]["revenue"] == "140.00"
    assert zones["A"]["channels"] == {"online": {"sold": 1, "revenue": "120.50"},
                                      "box_office": {"sold": 0, "revenue": "0.00"},
                                      "manual": {"sold": 1, "revenue": "120.50"}}
    assert zones["B"]["channels"] == {"online": {"sold": 1, "revenue": "35.00"},
                                      "box_office": {"sold": 1, "revenue": "35.00"},
                                      "manual": {"sold": 2, "revenue": "70.00"}}
    totals = body["totals"]
    assert totals["revenue"] == "381.00" and totals["sold"] == 6
    assert {c: v["revenue"] for c, v in totals["channels"].items()} == {
        "online": "155.50", "box_office": "35.00", "manual": "190.50"}


def test_the_price_a_ticket_was_sold_at_stays_its_revenue(ev):
    """A price change after a sale changes no sale: revenue is what each ticket was sold for."""
    sell(ev, "A-1")
    event_services.update_zone(event_id=ev.event_id, zone_id="A", price=Decimal("99.00"))
    sell(ev, "A-2")
    zone = {z["zone_id"]: z for z in selectors.sales(ev.event_id)["zones"]}["A"]
    assert zone["revenue"] == "219.50" and zone["channels"]["manual"] == {"sold": 2, "revenue": "219.50"}


def test_box_office_terminals_name_their_office_for_the_alerts_words(ev):
    office = office_services.create_office(event_id=ev.event_id, name="Taquilla Norte").office
    rows = {d["device_id"]: d for d in selectors.devices(ev.event_id)}
    terminal = rows[office.device_id]
    assert (terminal["office_id"], terminal["office_name"]) == (office.office_id, "Taquilla Norte")


@pytest.mark.parametrize("channel", ["online", "box_office"])
def test_a_sale_reaches_a_connected_dashboard_as_fresh_revenue(ev, staff_session, channel):  # noqa: F811
    make_sale = {"online": lambda: sell_online(ev, "A-3"), "box_office": lambda: sell_at_office(ev, "A-3")}[channel]

    async def body():
        comm = communicator(ev.event_id, session=staff_session)
        connected, _ = await comm.connect()
        assert connected
        try:
            snap = await next_message(comm, "snapshot")
            assert snap["sales"]["totals"]["revenue"] == "0.00"
            await sync_to_async(make_sale)()
            return await next_message(comm, "sales", where=lambda m: "totals" in m and m["totals"]["revenue"] != "0.00")
        finally:
            await comm.disconnect()

    message = async_to_sync(body)()
    assert message["currency"] == "EUR"
    assert message["totals"]["revenue"] == "120.50"
    assert message["totals"]["channels"][channel] == {"sold": 1, "revenue": "120.50"}
    zone_a = {z["zone_id"]: z for z in message["zones"]}["A"]
    assert zone_a["revenue"] == "120.50" and zone_a["channels"][channel]["sold"] == 1
