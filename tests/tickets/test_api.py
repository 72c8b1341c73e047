import pytest

from events import codes
from tests.events.test_api import assert_error
from tickets.models import LedgerEntry, Ticket

pytestmark = pytest.mark.django_db


def url(event, suffix=""):
    return f"/api/v1/events/{event.event_id}/tickets{suffix}"


def test_list_is_cursor_paginated_and_filtered(api, generated_event):
    r = api.get(url(generated_event), {"page_size": 4})
    body = r.json()
    assert r.status_code == 200 and len(body["results"]) == 4 and body["previous"] is None
    assert body["next"].startswith("http")
    seen = [t["ticket_id"] for t in body["results"]]
    while body["next"]:
        body = api.get(body["next"]).json()
        seen += [t["ticket_id"] for t in body["results"]]
    assert len(seen) == len(set(seen)) == 15
    zone_b = api.get(url(generated_event), {"zone": "B", "page_size": 500}).json()["results"]
    assert len(zone_b) == 10 and {t["zone_id"] for t in zone_b} == {"B"}
    first = zone_b[0]
    for field in ("ticket_id", "seat_id", "zone", "zone_id", "color", "status", "status_offline", "access_status",
                  "access_entry", "date_start", "date_end", "event_name", "event_id", "seat_row", "code"):
        assert field in first
    assert codes.verify(first["code"]).object_id == first["ticket_id"]
    assert api.get(url(generated_event), {"status": "false"}).json()["results"] == []
    assert len(api.get(url(generated_event), {"access_status": "false", "page_size": 500}).json()["results"]) == 15


@pytest.mark.parametrize("params,field", [({"page_size": 501}, "page_size"), ({"page_size": "x"}, "page_size"),
                                          ({"status": "perhaps"}, "status"), ({"cursor": "garbage"}, "cursor")])
def test_list_bad_params_are_400(api, generated_event, params, field):
    body = assert_error(api.get(url(generated_event), params), 400, "invalid")
    assert field in body["error"]["fields"]


def test_detail_has_the_full_ledger(api, generated_event):
    t = Ticket.objects.filter(event=generated_event).first()
    body = api.get(url(generated_event, f"/{t.ticket_id}")).json()
    assert body["ledger"] == [{"date": body["ledger"][0]["date"], "action": "generated", "metadata": {}}]


def test_detail_of_another_events_ticket_is_404(api, generated_event):
    from tests.conftest import make_event

    other = make_event(name="Other")
    t = Ticket.objects.filter(event=generated_event).first()
    assert_error(api.get(url(other, f"/{t.ticket_id}")), 404, "not_found")


def test_patch_sells_and_corrects_with_ledger(api, generated_event):
    """A sale by hand is ledger `sold` (who, channel manual, the zone's price); un-selling and
    corrections are `updated`, and un-selling clears the price and channel."""
    from events.services import update_zone

    t = Ticket.objects.filter(event=generated_event).first()
    update_zone(event_id=generated_event.event_id, zone_id=t.zone_id, price="45.00")
    r = api.patch(url(generated_event, f"/{t.ticket_id}"), {"status": False, "seat_row": "F"}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] is False and body["seat_row"] == "F"
    assert (body["state"], body["price"], body["channel"]) == ("sold", "45.00", "manual")
    assert body["ledger"][-1]["action"] == "sold"
    assert body["ledger"][-1]["metadata"] == {
        "channel": "manual", "by": "staff", "price": "45.00",
        "changes": {"status": [True, False], "seat_row": ["por asignar", "F"]}}
    # Back to available is allowed while never scanned.
    back = api.patch(url(generated_event, f"/{t.ticket_id}"), {"status": True}, format="json").json()
    assert (back["status"], back["state"], back["price"], back["channel"]) == (True, "available", None, None)
    assert back["ledger"][-1]["action"] == "updated"
    assert back["ledger"][-1]["metadata"] == {
        "by": "staff", "changes": {"status": [False, True], "price": ["45.00", None], "channel": ["manual", None]}}
    assert api.patch(url(generated_event, f"/{t.ticket_id}"), {"seat_row": "G"}, format="json").json()["ledger"][-1][
        "action"] == "updated"
    assert [e.action for e in LedgerEntry.objects.filter(ticket=t)] == ["generated", "sold", "updated", "updated"]


def test_patch_of_access_fields_is_irreversible(api, generated_event):
    t = Ticket.objects.filter(event=generated_event).first()
    for payload in ({"access_status": True}, {"access_entry": False}, {"status": False, "access_status": False}):
        assert_error(api.patch(url(generated_event, f"/{t.ticket_id}"), payload, format="json"), 409, "irreversible")
    assert LedgerEntry.objects.filter(ticket=t).count() == 1


def test_unselling_a_scanned_ticket_is_irreversible(api, generated_event):
    from django.db import connection

    t = Ticket.objects.filter(event=generated_event).first()
    with connection.cursor() as cur:  # stands in for a scan (the scan service lives in access)
        cur.execute("UPDATE tickets_ticket SET status=false, access_status=true, access_entry=true WHERE id=%s", [t.pk])
    assert_error(api.patch(url(generated_event, f"/{t.ticket_id}"), {"status": True}, format="json"), 409, "irreversible")


def test_offline_assigned_ticket_is_locked(api, generated_event):
    from offices.services import assign_tickets, create_office

    t = Ticket.objects.filter(event=generated_event).first()
    office = create_office(event_id=generated_event.event_id, name="Box office")
    assign_tickets(office_id=office.office.office_id, ticket_ids=[t.ticket_id])
    assert_error(api.patch(url(generated_event, f"/{t.ticket_id}"), {"status": False}, format="json"), 409, "ticket_locked")


@pytest.mark.parametrize("payload", [{"status": "sold"}, {"seat_row": "x" * 51}, {"seat_row": ""}, [], "x"])
def test_patch_bad_input_is_400(api, generated_event, payload):
    t = Ticket.objects.filter(event=generated_event).first()
    assert_error(api.patch(url(generated_event, f"/{t.ticket_id}"), payload, format="json"), 400, "invalid")
    assert LedgerEntry.objects.filter(ticket=t).count() == 1


def test_qr_image_svg_and_png(api, generated_event):
    t = Ticket.objects.filter(event=generated_event).first()
    svg = api.get(url(generated_event, f"/{t.ticket_id}/qr"), {"format": "svg"})
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    png = api.get(url(generated_event, f"/{t.ticket_id}/qr"), {"format": "png"})
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert_error(api.get(url(generated_event, f"/{t.ticket_id}/qr"), {"format": "gif"}), 400, "invalid")


def test_selling_a_held_ticket_is_refused_not_a_500(generated_event):
    from core.errors import SeatsUnavailable
    from tickets.holds import take_hold
    from tickets.services import sell_tickets

    t = Ticket.objects.filter(event=generated_event).first()
    take_hold(event_id=generated_event.event_id, ticket_ids=[t.ticket_id])
    with pytest.raises(SeatsUnavailable):
        sell_tickets(event_id=generated_event.event_id, ticket_ids=[t.ticket_id], channel="test")
    t.refresh_from_db()
    assert t.status is True and not LedgerEntry.objects.filter(ticket=t, action="sold").exists()
