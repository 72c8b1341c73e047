"""The office page's reconciliation in money (offices/selectors.py reconciliation_money beside the
counts that GET /api/v1/offices/{id} answers), and gates and credentials that pick zones and
gates by name with checkboxes (events/forms.py EventScopedForm)."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from access.models import Credential
from events.models import Checkpoint
from events.services import create_checkpoint, update_zone
from offices import selectors
from offices.vocabulary import SaleReason, SaleResult
from tests.conftest import make_event, sell
from tests.offices.test_offline_offices import assign, create_office, sale, sync, tid

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(db):
    event = make_event()
    update_zone(event_id=event.event_id, zone_id="A", price=Decimal("45.00"))
    update_zone(event_id=event.event_id, zone_id="B", price=Decimal("20.00"))
    return event


def test_the_office_page_shows_the_apis_counts_and_the_money(admin_client, api, anon, generated_event):
    event = generated_event
    created, _, client = create_office(api, anon, event, name="Taquilla")
    office_id = created["office_id"]
    tickets = [tid(event, s) for s in ("B-1", "B-2", "B-3", "B-4", "A-1", "A-2")]
    assign(api, office_id, tickets)
    api.post(f"/api/v1/offices/{office_id}/unassign", {"tickets": [tid(event, "B-4")]}, format="json")
    sell(event, "B-4")  # sold online after it came back; the office's late sale of it is refused
    update_zone(event_id=event.event_id, zone_id="B", price=Decimal("25.00"))  # after the sales below are made
    results = sync(client, office_id, [sale(tickets[0]), sale(tickets[4]), sale(tickets[3], timezone.now()
                                                                                  - timedelta(hours=2))])["results"]
    assert [r["result"] for r in results] == ["accepted", "accepted", "rejected"]

    body = api.get(f"/api/v1/offices/{office_id}").json()
    assert {k: body[k] for k in selectors.RECONCILIATION_COUNTS} == {
        "assigned": 6, "sold": 2, "returned": 1, "outstanding": 3, "rejected_sales": 1}
    money = selectors.reconciliation_money(office_id)
    # Sold: B-1 at 25.00 (the price when the upload was applied) + A-1 at 45.00. Still there: B-2, B-3 at
    # 25.00 and A-2 at 45.00. The refused sale of B-4 is valued at B's price today.
    assert money == {"currency": "EUR", "sold_amount": Decimal("70.00"), "outstanding_value": Decimal("95.00"),
                     "refunds_due_amount": Decimal("25.00"), "refunds_unvalued": 0}

    page = admin_client.get(f"/admin/offices/office/{office_id}/change/").content.decode()
    rows = {n: page.split(f'data-row="{n}">')[1].split("</tr>")[0] for n in range(5)}
    assert ">6<" in rows[0] and ">2<" in rows[1] and "70.00 EUR" in rows[1] and ">1<" in rows[2]
    assert ">3<" in rows[3] and "95.00 EUR" in rows[3] and ">1<" in rows[4] and "25.00 EUR" in rows[4]
    assert "refund" in page and "already_sold" not in re.sub(r"<[^>]+>", " ", page)
    sales = admin_client.get("/admin/offices/officesale/").content.decode()
    # The outcome in the vocabulary's words (offices.vocabulary labels), the seat by its number.
    assert f"{SaleResult.REJECTED.label}: {SaleReason.ALREADY_SOLD.label}" in sales and "B-4" in sales
    # That no code is left there: tests/backoffice/test_admin_words_and_times.py.


def test_an_office_without_sales_shows_zeros(admin_client, api, anon, generated_event):
    created, _, _ = create_office(api, anon, generated_event)
    money = selectors.reconciliation_money(created["office_id"])
    assert (money["sold_amount"], money["outstanding_value"], money["refunds_due_amount"]) == (0, 0, 0)
    assert selectors.reconciliation_money("of-nope") is None
    assert admin_client.get(f"/admin/offices/office/{created['office_id']}/change/").status_code == 200
    assert admin_client.get(f"/admin/offices/office/add/?event={generated_event.pk}").status_code == 200


def test_a_gate_picks_zones_by_name_with_checkboxes(admin_client, generated_event):
    event = generated_event
    add = admin_client.get(f"/admin/events/checkpoint/add/?event={event.pk}").content.decode()
    assert 'type="checkbox" name="zones" value="A"' in add and "Ringside (A)" in add and "General (B)" in add
    assert "None ticked = all zones." in add
    r = admin_client.post("/admin/events/checkpoint/add/", {"event": event.pk, "name": "North", "zones": ["B"],
                                                             "directions": "in"})
    assert r.status_code == 302
    north = Checkpoint.objects.get(name="North")
    assert (north.zones, north.directions) == (["B"], "in")
    r = admin_client.post("/admin/events/checkpoint/add/", {"event": event.pk, "name": "All", "directions": "both"})
    assert r.status_code == 302 and Checkpoint.objects.get(name="All").zones == []
    listing = admin_client.get("/admin/events/checkpoint/").content.decode()
    assert "All zones" in listing and "General" in listing
    r = admin_client.post("/admin/events/checkpoint/add/", {"event": event.pk, "name": "Bad", "zones": ["Q"],
                                                             "directions": "in"})
    assert "Unknown zone(s) in this event: Q." in r.content.decode()
    assert not Checkpoint.objects.filter(name="Bad").exists()
    without_event = admin_client.get("/admin/events/checkpoint/add/").content.decode()
    assert "Choose the event first" in without_event and 'name="zones" value=' not in without_event


def test_a_credential_picks_zones_and_gates_by_name(admin_client, generated_event):
    event = generated_event
    gate = create_checkpoint(event_id=event.event_id, name="Puerta Norte")
    add = admin_client.get(f"/admin/access/credential/add/?event={event.pk}").content.decode()
    assert "Puerta Norte" in add and "Ringside (A)" in add and "None ticked = every gate." in add
    assert "On the event's clock (UTC)" in add
    r = admin_client.post("/admin/access/credential/add/", {
        "event": event.pk, "name": "Árbitro", "kind": "staff", "zones": ["A"], "checkpoints": [gate.pk],
        "valid_from_0": "", "valid_from_1": "", "valid_until_0": "", "valid_until_1": ""})
    assert r.status_code == 302, r.content.decode()[:2000]
    credential = Credential.objects.get(name="Árbitro")
    assert (credential.zones, credential.checkpoints) == (["A"], [gate.pk])
    listing = admin_client.get("/admin/access/credential/").content.decode()
    assert "Ringside" in listing and "Puerta Norte" in listing and "Whole event" in listing
    r = admin_client.post("/admin/access/credential/add/", {
        "event": event.pk, "name": "Bad", "kind": "staff", "checkpoints": ["cpnope"],
        "valid_from_0": "", "valid_from_1": "", "valid_until_0": "", "valid_until_1": ""})
    assert "Unknown gate(s) in this event: cpnope." in r.content.decode()
    assert not Credential.objects.filter(name="Bad").exists()


def test_credential_times_are_typed_on_the_events_clock(admin_client):
    from datetime import datetime
    from datetime import timezone as dt_timezone

    from events.models import Event

    event = make_event()
    Event.objects.filter(pk=event.pk).update(timezone="Europe/Madrid")
    r = admin_client.post("/admin/access/credential/add/", {
        "event": event.pk, "name": "Prensa", "kind": "vip", "valid_from_0": "2026-12-05", "valid_from_1": "18:00:00",
        "valid_until_0": "", "valid_until_1": ""})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Credential.objects.get(name="Prensa").valid_from == datetime(2026, 12, 5, 17, tzinfo=dt_timezone.utc)
    assert "2026-12-05 18:00 (UTC+01:00)" in admin_client.get("/admin/access/credential/").content.decode()
