"""What the box-office terminal calls (issue 18 items 1 and 3, docs/adr/0031): its stock, whole and
by delta, with signed codes that verify; sales with a payment method; the reconciliation's money
by payment method; pairing links that open the terminal."""
import json
import uuid

import pytest
from django.test import RequestFactory

from devices.models import Device
from devices.pairing_links import pairing_url
from devices.services import revoke_device
from events.codes import verify
from offices.models import OfficeSale
from tests.conftest import device_client, make_device, sell
from tests.events.test_api import assert_error
from tests.offices.test_offline_offices import assign, create_office, sale, sync, tid
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(api, anon, generated_event):
    created, paired, client = create_office(api, anon, generated_event, name="Taquilla Norte")
    return created, client


def stock(client, office_id, since=None, status=200):
    r = client.get(f"/api/v1/offices/{office_id}/stock" + (f"?since={since}" if since is not None else ""))
    assert r.status_code == status, r.content
    return r.json()


def test_full_stock_is_the_office_tickets_with_codes_prices_and_colours(api, generated_event, office):
    created, client = office
    office_id = created["office_id"]
    mine = [tid(generated_event, s) for s in ("A-1", "A-2", "B-3")]
    assign(api, office_id, mine)
    sync(client, office_id, [sale(mine[2], buyer={"name": "Ana García", "email": "ana@example.com"})])

    body = stock(client, office_id)
    assert body["full"] is True and body["since"] is None and body["returned"] == []
    assert body["office"] == {"office_id": office_id, "name": "Taquilla Norte"}
    assert body["event"]["event_id"] == generated_event.event_id and body["event"]["currency"] == "EUR"
    assert {z["zone_id"]: (z["color"], z["price"]) for z in body["zones"]} == {"A": ("#C0392B", "0.00"),
                                                                              "B": ("#27AE60", "0.00")}
    tickets = {t["ticket_id"]: t for t in body["tickets"]}
    assert set(tickets) == set(mine)  # only this office's: unsold, or sold by it
    assert {t["seat_id"]: t["state"] for t in tickets.values()} == {"A-1": "box_office", "A-2": "box_office",
                                                                    "B-3": "sold"}
    for ticket in tickets.values():
        assert verify(ticket["code"]).object_id == ticket["ticket_id"]  # the terminal draws the QR from it
        row = Ticket.objects.get(ticket_id=ticket["ticket_id"])
        assert (ticket["reference"], ticket["seat_row"], ticket["seat_number"]) == (row.reference, row.seat_row,
                                                                                    row.seat_number)
    assert "Ana" not in json.dumps(body) and "buyer" not in json.dumps(body)  # no personal data


def test_delta_has_only_what_changed_and_what_left_the_office(api, generated_event, office):
    created, client = office
    office_id = created["office_id"]
    a1, a2, a3, b1 = (tid(generated_event, s) for s in ("A-1", "A-2", "A-3", "B-1"))
    assign(api, office_id, [a1, a2, a3])
    v1 = stock(client, office_id)["version"]
    assert stock(client, office_id, since=v1)["tickets"] == []  # nothing changed

    sync(client, office_id, [sale(a1)])
    r = api.post(f"/api/v1/offices/{office_id}/unassign", {"tickets": [a2]}, format="json")
    assert r.status_code == 200, r.content
    assign(api, office_id, [b1])
    delta = stock(client, office_id, since=v1)
    assert delta["full"] is False and delta["since"] == v1 and delta["version"] > v1
    assert {t["ticket_id"]: t["state"] for t in delta["tickets"]} == {a1: "sold", b1: "box_office"}
    assert delta["returned"] == [a2]  # gone from the office: not for sale here any more
    assert stock(client, office_id, since=delta["version"])["tickets"] == []


def test_stock_belongs_to_the_office_alone(api, anon, generated_event, office):
    created, client = office
    office_id = created["office_id"]
    other, _, other_client = create_office(api, anon, generated_event, name="Taquilla Sur")
    assert_error(other_client.get(f"/api/v1/offices/{office_id}/stock"), 404, "not_found")
    _, scanner_token = make_device(generated_event)
    assert device_client(scanner_token).get(f"/api/v1/offices/{office_id}/stock").status_code == 403
    assert api.get(f"/api/v1/offices/{office_id}/stock").status_code in (401, 403)  # staff use the admin
    assert anon.get(f"/api/v1/offices/{office_id}/stock").status_code == 401
    body = assert_error(client.get(f"/api/v1/offices/{office_id}/stock?since=-1"), 400, "invalid")
    assert "since" in body["error"]["fields"]
    revoke_device(device_id=created["device_id"])
    assert_error(client.get(f"/api/v1/offices/{office_id}/stock"), 401, "device_revoked")


def test_sales_record_their_payment_method_and_the_reconciliation_counts_money_by_it(api, generated_event, office):
    created, client = office
    office_id = created["office_id"]
    zone_a = generated_event.zones.get(zone_id="A")
    zone_a.price = "45.00"
    zone_a.save(update_fields=["price"])
    a1, a2, a3, a4 = (tid(generated_event, s) for s in ("A-1", "A-2", "A-3", "A-4"))
    assign(api, office_id, [a1, a2, a3, a4])
    sell(generated_event, "A-5")  # not the office's

    # A bad payment method is a 400 naming it, and nothing is applied.
    bad = client.post(f"/api/v1/offices/{office_id}/sync",
                      {"sales": [{**sale(a1), "payment_method": "cash"}, {**sale(a2), "payment_method": "cheque"}]},
                      format="json")
    assert "sales[1].payment_method" in assert_error(bad, 400, "invalid")["error"]["fields"]
    assert not OfficeSale.objects.exists()

    a5 = tid(generated_event, "A-5")
    results = sync(client, office_id, [
        {**sale(a1), "payment_method": "cash"}, {**sale(a2), "payment_method": "cash"},
        {**sale(a3), "payment_method": "card"}, {**sale(a5), "payment_method": "card"},  # refused: a refund
        sale(a4),  # an older client: no method
    ])["results"]
    assert [r["result"] for r in results] == ["accepted"] * 3 + ["rejected", "accepted"]
    assert dict(OfficeSale.objects.values_list("ticket__seat_id", "payment_method")) == {
        "A-1": "cash", "A-2": "cash", "A-3": "card", "A-5": "card", "A-4": None}

    office_body = client.get(f"/api/v1/offices/{office_id}").json()
    assert (office_body["sold"], office_body["outstanding"], office_body["rejected_sales"]) == (4, 0, 1)
    money = office_body["money"]
    assert (money["currency"], money["sold_amount"], money["refunds_due_amount"]) == ("EUR", "180.00", "45.00")
    assert money["payment_methods"] == [
        {"payment_method": "card", "sold": 1, "sold_amount": "45.00", "refunds_due": 1, "refunds_due_amount": "45.00"},
        {"payment_method": "cash", "sold": 2, "sold_amount": "90.00", "refunds_due": 0, "refunds_due_amount": "0.00"},
        {"payment_method": None, "sold": 1, "sold_amount": "45.00", "refunds_due": 0, "refunds_due_amount": "0.00"},
    ]


def test_the_database_refuses_an_unknown_payment_method(api, generated_event, office):
    from django.db import IntegrityError, connection, transaction

    created, client = office
    a1 = tid(generated_event, "A-1")
    assign(api, created["office_id"], [a1])
    sync(client, created["office_id"], [{**sale(a1), "payment_method": "card"}])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("""INSERT INTO offices_officesale (sale_id, office_id, event_id, ticket_id, ticket_ref, result, reason,
                       sold_at, received_at, response, payment_method)
                       SELECT %s, office_id, event_id, NULL, 'x', 'rejected', 'not_assigned', now(), now(), '{}', 'cheque'
                         FROM offices_officesale LIMIT 1""", [str(uuid.uuid4())])


def test_pairing_links_of_a_box_office_open_the_terminal(api, generated_event, office):
    created, _ = office
    assert "/office/?pair=" in created["pairing_url"] and created["pairing_code"] in created["pairing_url"]
    r = api.post(f"/api/v1/devices/{created['device_id']}/pairing-code")
    assert r.status_code == 201, r.content
    assert "/office/?pair=" in r.json()["pairing_url"]
    scanner, _ = make_device(generated_event)
    r = api.post(f"/api/v1/devices/{scanner.device_id}/pairing-code")
    assert "/scanner/?pair=" in r.json()["pairing_url"]
    # The printed pairing sheet passes only the code: the device holding it decides.
    office_code = Device.objects.get(pk=created["device_id"]).pairing_code
    request = RequestFactory().get("/")
    assert pairing_url(request, office_code).endswith(f"/office/?pair={office_code}")
    assert pairing_url(request, r.json()["pairing_code"]).endswith(f"/scanner/?pair={r.json()['pairing_code']}")


def test_openapi_schema_describes_the_stock_and_the_payment_method(api):
    schema = json.loads(api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    assert "/api/v1/offices/{office_id}/stock" in schema["paths"]
    components = schema["components"]["schemas"]
    assert {"version", "event", "zones", "tickets", "returned"} <= set(components["OfficeStock"]["properties"])
    assert {"ticket_id", "seat_id", "zone_id", "seat_row", "code", "reference", "state"} <= set(
        components["OfficeStockTicket"]["properties"])
    sale_in = components.get("OfficeSaleInRequest") or components["OfficeSaleIn"]
    assert "payment_method" in sale_in["properties"]
    assert "payment_methods" in components["OfficeMoney"]["properties"]
