"""Offline box offices over HTTP: create and pair, assign, sync sales, unassign, reconciliation."""
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from alerts.models import Alert
from devices.models import Device
from devices.services import pair_device, revoke_device
from offices.models import Office, OfficeAssignment, OfficeSale
from tests.conftest import device_client, make_device, make_event, sell
from tests.events.test_api import assert_error
from tickets.models import LedgerEntry, Ticket
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db


def tid(event, seat):
    return Ticket.objects.get(event=event, seat_id=seat).ticket_id


def create_office(api, anon, event, name="Gate kiosk"):
    """Create through the API; pair through the service (the HTTP pairing is throttled per IP,
    and is exercised once in test_create_office_and_pair_its_terminal)."""
    r = api.post(f"/api/v1/events/{event.event_id}/offices", {"name": name}, format="json")
    assert r.status_code == 201, r.content
    created = r.json()
    paired = pair_device(pairing_code=created["pairing_code"])
    return created, {"device_id": paired.device.device_id, "token": paired.token}, device_client(paired.token)


@pytest.fixture
def office(api, anon, generated_event):
    created, paired, client = create_office(api, anon, generated_event)
    return created["office_id"], client


def assign(api, office_id, tickets, status=200):
    r = api.post(f"/api/v1/offices/{office_id}/assign", {"tickets": tickets}, format="json")
    assert r.status_code == status, r.content
    return r.json()


def sale(ticket_id, sold_at=None, sale_id=None, buyer=None):
    body = {"sale_id": str(sale_id or uuid.uuid4()), "ticket_id": ticket_id,
            "sold_at": (sold_at or timezone.now() - timedelta(minutes=5)).isoformat()}
    if buyer is not None:
        body["buyer"] = buyer
    return body


def sync(client, office_id, sales, status=200):
    r = client.post(f"/api/v1/offices/{office_id}/sync", {"sales": sales}, format="json")
    assert r.status_code == status, r.content
    return r.json()


def nothing_written():
    return (not OfficeAssignment.objects.exists() and not OfficeSale.objects.exists()
            and not LedgerEntry.objects.exclude(action="generated").exists()
            and not Ticket.objects.filter(status_offline=True).exists())


# --------------------------------------------------------------------------- create & pair

def test_create_office_and_pair_its_terminal(api, anon, generated_event):
    r = api.post(f"/api/v1/events/{generated_event.event_id}/offices", {"name": "Gate kiosk"}, format="json")
    assert r.status_code == 201, r.content
    created = r.json()
    r = anon.post("/api/v1/devices/pair", {"pairing_code": created["pairing_code"]}, format="json", REMOTE_ADDR="10.6.0.1")
    assert r.status_code == 201, r.content
    paired, client = r.json(), device_client(r.json()["token"])
    assert created["office_id"].startswith("of") and created["pairing_code"] and created["event_id"] == generated_event.event_id
    assert created["pairing_url"].endswith(f"/office/?pair={created['pairing_code']}")  # the box-office terminal
    assert paired["office"] == {"office_id": created["office_id"], "name": "Gate kiosk"}
    assert paired["role"] == "office" and paired["checkpoint"] is None
    device = Device.objects.get(pk=paired["device_id"])
    assert device.role == "office" and device.checkpoint_id is None and device.office.office_id == created["office_id"]
    r = client.get(f"/api/v1/offices/{created['office_id']}")
    assert r.status_code == 200 and r.json()["name"] == "Gate kiosk"
    listed = api.get(f"/api/v1/events/{generated_event.event_id}/offices").json()["results"]
    assert [o["office_id"] for o in listed] == [created["office_id"]] and listed[0]["paired"] is True


@pytest.mark.parametrize("payload", [{}, {"name": ""}, {"name": "  "}, {"name": 5}, {"name": "x" * 101}, ["x"]])
def test_create_office_bad_input_is_400(api, generated_event, payload):
    assert_error(api.post(f"/api/v1/events/{generated_event.event_id}/offices", payload, format="json"), 400, "invalid")
    assert not Office.objects.exists() and not Device.objects.exists()


def test_create_office_unknown_event_404_and_staff_only(api, anon, generated_event):
    assert_error(api.post("/api/v1/events/nope/offices", {"name": "X"}, format="json"), 404, "not_found")
    _, token = make_device(generated_event)
    assert_error(device_client(token).post(f"/api/v1/events/{generated_event.event_id}/offices", {"name": "X"},
                                           format="json"), 403, "permission_denied")
    assert_error(anon.post(f"/api/v1/events/{generated_event.event_id}/offices", {"name": "X"}, format="json"),
                 401, "not_authenticated")


# --------------------------------------------------------------------------- assign

def test_assign_marks_tickets_offline_with_ledger(api, office, generated_event):
    office_id, _ = office
    tickets = [tid(generated_event, s) for s in ("B-1", "B-2", "B-3")]
    body = assign(api, office_id, tickets)
    assert body["tickets"] == tickets and body["reconciliation"]["outstanding"] == 3
    for t in Ticket.objects.filter(ticket_id__in=tickets):
        assert t.status and t.status_offline
        entry = LedgerEntry.objects.filter(ticket=t).last()
        assert entry.action == "offline" and entry.metadata["office_id"] == office_id
    sales = api.get(f"/api/v1/events/{generated_event.event_id}/sales").json()
    assert sales["totals"]["offline"] == 3


def test_assign_conflicts_are_409_seats_unavailable_and_write_nothing(api, anon, office, generated_event):
    office_id, _ = office
    other_office, _, _ = create_office(api, anon, generated_event, name="Second")
    sell(generated_event, "B-1")
    hold = api.post(f"/api/v1/events/{generated_event.event_id}/holds", {"tickets": [tid(generated_event, "B-2")]},
                    format="json")
    assert hold.status_code == 201, hold.content
    assign(api, other_office["office_id"], [tid(generated_event, "B-3")])
    foreign = make_event(name="Other")
    generate_tickets(event_id=foreign.event_id)
    before = (LedgerEntry.objects.count(), OfficeAssignment.objects.count())
    wanted = [tid(generated_event, s) for s in ("B-1", "B-2", "B-3", "B-4")] + [tid(foreign, "A-1"), "nope"]
    body = assert_error(api.post(f"/api/v1/offices/{office_id}/assign", {"tickets": wanted}, format="json"),
                        409, "seats_unavailable")
    assert body["error"]["tickets"] == sorted(wanted[:3] + wanted[4:])
    assert (LedgerEntry.objects.count(), OfficeAssignment.objects.count()) == before
    assert not Ticket.objects.get(ticket_id=wanted[3]).status_offline


def test_assigned_tickets_cannot_be_held_or_sold_online(api, office, generated_event):
    office_id, _ = office
    t = tid(generated_event, "B-1")
    assign(api, office_id, [t])
    body = assert_error(api.post(f"/api/v1/events/{generated_event.event_id}/holds", {"tickets": [t]}, format="json"),
                        409, "seats_unavailable")
    assert body["error"]["tickets"] == [t]
    assert_error(api.patch(f"/api/v1/events/{generated_event.event_id}/tickets/{t}", {"status": False}, format="json"),
                 409, "ticket_locked")
    from core.errors import SeatsUnavailable
    from tickets.services import sell_tickets

    with pytest.raises(SeatsUnavailable):
        sell_tickets(event_id=generated_event.event_id, ticket_ids=[t], channel="test")
    assert Ticket.objects.get(ticket_id=t).status


@pytest.mark.parametrize("payload", [{}, {"tickets": []}, {"tickets": "B-1"}, {"tickets": [1]}, {"tickets": ["a", "a"]},
                                     {"tickets": ["x" * 49]}, {"tickets": ["a"] * 5001}, [], {"tickets": ["a\x00"]}])
def test_assign_bad_input_is_400(api, office, payload):
    office_id, _ = office
    assert_error(api.post(f"/api/v1/offices/{office_id}/assign", payload, format="json"), 400, "invalid")
    assert nothing_written()


def test_assign_unassign_unknown_office_404_and_staff_only(api, office, generated_event):
    office_id, office_client = office
    t = tid(generated_event, "B-1")
    for path in ("assign", "unassign"):
        assert_error(api.post(f"/api/v1/offices/nope/{path}", {"tickets": [t]}, format="json"), 404, "not_found")
        assert_error(office_client.post(f"/api/v1/offices/{office_id}/{path}", {"tickets": [t]}, format="json"),
                     403, "permission_denied")
    assert nothing_written()


# --------------------------------------------------------------------------- sync

def test_sync_sells_assigned_tickets_and_is_idempotent(api, office, generated_event):
    office_id, client = office
    t1, t2 = tid(generated_event, "B-1"), tid(generated_event, "B-2")
    assign(api, office_id, [t1, t2])
    sold_at = timezone.now() - timedelta(minutes=7)
    sales = [sale(t1, sold_at, buyer={"name": "Lola", "paid": "cash"}), sale(t2, sold_at + timedelta(minutes=1))]
    body = sync(client, office_id, sales)
    assert body["results"] == [{"sale_id": s["sale_id"], "ticket_id": s["ticket_id"], "result": "accepted",
                                "reason": None} for s in sales]
    ticket = Ticket.objects.get(ticket_id=t1)
    assert not ticket.status and ticket.status_offline
    entry = LedgerEntry.objects.filter(ticket=ticket).last()
    assert entry.action == "sold"
    assert entry.metadata["office_id"] == office_id and entry.metadata["sale_id"] == sales[0]["sale_id"]
    assert entry.metadata["sold_at"] == sold_at.isoformat() and entry.metadata["buyer"] == {"name": "Lola", "paid": "cash"}
    counts = (OfficeSale.objects.count(), LedgerEntry.objects.count())
    assert sync(client, office_id, list(reversed(sales)))["results"] == list(reversed(body["results"]))
    assert (OfficeSale.objects.count(), LedgerEntry.objects.count()) == counts


def test_sync_rejects_what_the_office_does_not_hold(api, anon, office, generated_event):
    office_id, client = office
    other, _, _ = create_office(api, anon, generated_event, name="Other office")
    mine, theirs, free = tid(generated_event, "B-1"), tid(generated_event, "B-2"), tid(generated_event, "B-3")
    assign(api, office_id, [mine])
    assign(api, other["office_id"], [theirs])
    foreign = make_event(name="Foreign")
    generate_tickets(event_id=foreign.event_id)
    t0 = timezone.now() - timedelta(minutes=9)
    sales = [sale(mine, t0 + timedelta(seconds=20)), sale(mine, t0),  # sold twice: the earlier wins
             sale(theirs, t0), sale(free, t0), sale(tid(foreign, "A-1"), t0), sale("nope", t0)]
    results = sync(client, office_id, sales)["results"]
    assert [(r["sale_id"], r["result"], r["reason"]) for r in results] == [
        (sales[0]["sale_id"], "rejected", "already_sold"), (sales[1]["sale_id"], "accepted", None),
        (sales[2]["sale_id"], "rejected", "not_assigned"), (sales[3]["sale_id"], "rejected", "not_assigned"),
        (sales[4]["sale_id"], "rejected", "not_assigned"), (sales[5]["sale_id"], "rejected", "not_assigned")]
    assert Ticket.objects.get(ticket_id=theirs).status and Ticket.objects.get(ticket_id=free).status
    assert Ticket.objects.get(ticket_id=tid(foreign, "A-1")).status
    alerts = Alert.objects.filter(kind="office_conflict")
    assert alerts.count() == 5 and {a.data["sale_id"] for a in alerts} == {s["sale_id"] for s in sales if s != sales[1]}
    assert OfficeSale.objects.filter(result="rejected").count() == 5


def test_sale_after_unassign_and_resale_is_already_sold_with_alert(api, office, generated_event):
    """The office sold B-1 offline, but before it synced, staff returned B-1 online and it sold
    there. The office's sale is refused (already_sold), kept as evidence, and alerted."""
    office_id, client = office
    t = tid(generated_event, "B-1")
    assign(api, office_id, [t])
    unassigned = api.post(f"/api/v1/offices/{office_id}/unassign", {"tickets": [t]}, format="json").json()
    assert unassigned["returned_tickets"] == [t]
    sell(generated_event, "B-1")
    s = sale(t, timezone.now() - timedelta(hours=1), buyer={"name": "Early bird"})
    result = sync(client, office_id, [s])["results"][0]
    assert (result["result"], result["reason"]) == ("rejected", "already_sold")
    alert = Alert.objects.get(kind="office_conflict")
    assert alert.data["ticket_id"] == t and alert.data["previously_assigned"] is True
    row = OfficeSale.objects.get(sale_id=s["sale_id"])
    assert row.result == "rejected" and row.buyer == {"name": "Early bird"}
    assert LedgerEntry.objects.filter(ticket__ticket_id=t, action="sold").count() == 1  # only the online sale
    assert api.get(f"/api/v1/offices/{office_id}").json()["rejected_sales"] == 1


def test_sale_after_unassign_without_resale_is_not_assigned_with_alert(api, office, generated_event):
    office_id, client = office
    t = tid(generated_event, "B-1")
    assign(api, office_id, [t])
    api.post(f"/api/v1/offices/{office_id}/unassign", {"tickets": [t]}, format="json")
    result = sync(client, office_id, [sale(t)])["results"][0]
    assert (result["result"], result["reason"]) == ("rejected", "not_assigned")
    assert Alert.objects.get(kind="office_conflict").data["previously_assigned"] is True
    assert Ticket.objects.get(ticket_id=t).status


def test_sync_needs_the_offices_own_token(api, anon, office, generated_event):
    office_id, client = office
    other, _, other_client = create_office(api, anon, generated_event, name="Other")
    t = tid(generated_event, "B-1")
    assign(api, office_id, [t])
    assert_error(other_client.post(f"/api/v1/offices/{office_id}/sync", {"sales": [sale(t)]}, format="json"),
                 404, "not_found")
    assert_error(api.post(f"/api/v1/offices/{office_id}/sync", {"sales": [sale(t)]}, format="json"),
                 403, "permission_denied")
    _, steward = make_device(generated_event)
    assert_error(device_client(steward).post(f"/api/v1/offices/{office_id}/sync", {"sales": [sale(t)]}, format="json"),
                 403, "permission_denied")
    foreign = make_event(name="Foreign")
    _, _, foreign_client = create_office(api, anon, foreign, name="Foreign office")
    assert_error(foreign_client.get(f"/api/v1/offices/{office_id}"), 404, "not_found")
    revoke_device(device_id=Office.objects.get(pk=office_id).device_id)
    assert_error(client.post(f"/api/v1/offices/{office_id}/sync", {"sales": [sale(t)]}, format="json"),
                 401, "device_revoked")
    assert not OfficeSale.objects.exists() and Ticket.objects.get(ticket_id=t).status


@pytest.mark.parametrize("bad, field", [
    ({"sale_id": "nope"}, "sale_id"), ({"sale_id": None}, "sale_id"), ({"ticket_id": 7}, "ticket_id"),
    ({"ticket_id": ""}, "ticket_id"), ({"ticket_id": "B\x001"}, "ticket_id"), ({"ticket_id": "x" * 49}, "ticket_id"),
    ({"sold_at": "yesterday"}, "sold_at"),
    ({"sold_at": "2026-01-01T10:00:00"}, "sold_at"), ({"sold_at": None}, "sold_at"), ({"buyer": "Lola"}, "buyer"),
    ({"sold_at": "0001-01-01T00:00:00+14:00"}, "sold_at"), ({"sold_at": "9999-12-31T23:59:59+00:00"}, "sold_at"),
    ({"buyer": {"n": "\x00"}}, "buyer"), ({"buyer": {"n": "x" * 5000}}, "buyer"),
])
def test_sync_bad_sale_is_400_and_writes_nothing(api, office, generated_event, bad, field):
    office_id, client = office
    t = tid(generated_event, "B-1")
    assign(api, office_id, [t])
    good = sale(t)
    body = assert_error(client.post(f"/api/v1/offices/{office_id}/sync", {"sales": [good, {**sale(t), **bad}]},
                                    format="json"), 400, "invalid")
    # The parser names unstorable text by its exact path (sales[1].buyer.name): docs/adr/0017.
    assert any(k == f"sales[1].{field}" or k.startswith(f"sales[1].{field}.") for k in body["error"]["fields"]), body
    assert not OfficeSale.objects.exists() and Ticket.objects.get(ticket_id=t).status


@pytest.mark.parametrize("payload", [{}, {"sales": "x"}, {"sales": ["x"]}, [], {"sales": [{}] * 5001}])
def test_sync_malformed_body_is_400(office, payload):
    office_id, client = office
    assert_error(client.post(f"/api/v1/offices/{office_id}/sync", payload, format="json"), 400, "invalid")
    assert not OfficeSale.objects.exists()


def test_sale_id_of_another_office_is_not_replayed(api, anon, office, generated_event):
    office_id, client = office
    other, _, other_client = create_office(api, anon, generated_event, name="Other")
    t1, t2 = tid(generated_event, "B-1"), tid(generated_event, "B-2")
    assign(api, office_id, [t1])
    assign(api, other["office_id"], [t2])
    s = sale(t1)
    assert sync(client, office_id, [s])["results"][0]["result"] == "accepted"
    theirs = sync(other_client, other["office_id"], [{**s, "ticket_id": t2}])["results"][0]
    assert (theirs["result"], theirs["reason"]) == ("rejected", "not_assigned") and theirs["ticket_id"] == t2
    assert Ticket.objects.get(ticket_id=t2).status and OfficeSale.objects.count() == 1


# --------------------------------------------------------------------------- unassign & reconciliation

def test_unassign_returns_unsold_tickets_online(api, office, generated_event):
    office_id, client = office
    tickets = [tid(generated_event, s) for s in ("B-1", "B-2", "B-3")]
    assign(api, office_id, tickets)
    sync(client, office_id, [sale(tickets[0])])
    r = api.post(f"/api/v1/offices/{office_id}/unassign", {"tickets": tickets}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["returned_tickets"] == tickets[1:] and body["sold_tickets"] == [tickets[0]]
    assert body["reconciliation"] == {"assigned": 3, "sold": 1, "returned": 2, "outstanding": 0, "rejected_sales": 0}
    for t in Ticket.objects.filter(ticket_id__in=tickets[1:]):
        assert t.status and not t.status_offline
        assert LedgerEntry.objects.filter(ticket=t).last().action == "unassign"
    assert Ticket.objects.get(ticket_id=tickets[0]).status_offline  # sold by the office: stays with it
    hold = api.post(f"/api/v1/events/{generated_event.event_id}/holds", {"tickets": tickets[1:]}, format="json")
    assert hold.status_code == 201, hold.content  # back online
    assign(api, office_id, [tid(generated_event, "B-4")])  # the office can be given more later


def test_unassign_of_tickets_not_assigned_to_this_office_is_409(api, anon, office, generated_event):
    office_id, _ = office
    other, _, _ = create_office(api, anon, generated_event, name="Other")
    mine, theirs, free = tid(generated_event, "B-1"), tid(generated_event, "B-2"), tid(generated_event, "B-3")
    assign(api, office_id, [mine])
    assign(api, other["office_id"], [theirs])
    body = assert_error(api.post(f"/api/v1/offices/{office_id}/unassign", {"tickets": [mine, theirs, free, "nope"]},
                                 format="json"), 409, "not_assigned")
    assert body["error"]["tickets"] == sorted([theirs, free, "nope"])
    assert Ticket.objects.get(ticket_id=mine).status_offline  # all or nothing


def test_reconciliation_numbers(api, anon, office, generated_event):
    office_id, client = office
    tickets = [tid(generated_event, f"B-{n}") for n in range(1, 7)]
    assign(api, office_id, tickets)
    sync(client, office_id, [sale(tickets[0]), sale(tickets[1]), sale(tid(generated_event, "A-1"))])
    api.post(f"/api/v1/offices/{office_id}/unassign", {"tickets": tickets[2:4]}, format="json")
    expected = {"assigned": 6, "sold": 2, "returned": 2, "outstanding": 2, "rejected_sales": 1}
    for who in (api, client):
        body = who.get(f"/api/v1/offices/{office_id}").json()
        assert {k: body[k] for k in expected} == expected
        assert body["office_id"] == office_id and body["name"] == "Gate kiosk"
    # Re-assigning a returned ticket counts as a new assignment.
    assign(api, office_id, [tickets[2]])
    body = api.get(f"/api/v1/offices/{office_id}").json()
    assert (body["assigned"], body["returned"], body["outstanding"]) == (7, 2, 3)
    assert body["assigned"] == body["sold"] + body["returned"] + body["outstanding"]
    _, steward = make_device(generated_event)
    assert_error(device_client(steward).get(f"/api/v1/offices/{office_id}"), 403, "permission_denied")
    assert_error(api.get("/api/v1/offices/nope"), 404, "not_found")
    assert_error(anon.get(f"/api/v1/offices/{office_id}"), 401, "not_authenticated")


def test_office_lists_its_tickets_with_codes(api, anon, office, generated_event):
    office_id, client = office
    other, _, other_client = create_office(api, anon, generated_event, name="Other")
    tickets = [tid(generated_event, s) for s in ("B-1", "B-2")]
    assign(api, office_id, tickets)
    assign(api, other["office_id"], [tid(generated_event, "B-3")])
    body = client.get(f"/api/v1/offices/{office_id}/tickets").json()
    assert [t["ticket_id"] for t in body["results"]] == tickets and body["next"] is None
    from events.codes import verify

    assert verify(body["results"][0]["code"]).object_id == tickets[0]
    assert_error(other_client.get(f"/api/v1/offices/{office_id}/tickets"), 404, "not_found")


def test_admin_shows_reconciliation_and_pairing(api, anon, generated_event):
    r = api.post(f"/api/v1/events/{generated_event.event_id}/offices", {"name": "Kiosk"}, format="json").json()
    assign(api, r["office_id"], [tid(generated_event, "B-1"), tid(generated_event, "B-2")])
    manager = get_user_model().objects.create_superuser("manager", password="pw-manager-123")
    web = Client()
    web.force_login(manager)
    listing = web.get("/admin/offices/office/")
    assert listing.status_code == 200 and "Kiosk" in listing.content.decode()
    detail = web.get(f"/admin/offices/office/{r['office_id']}/change/").content.decode()
    assert r["pairing_code"] in detail and "<svg" in detail and "still at the office" in detail
    assert web.get("/admin/offices/officesale/").status_code == 200
    assert web.get("/admin/offices/officeassignment/").status_code == 200
    added = web.post("/admin/offices/office/add/", {"event": generated_event.event_id, "name": "From admin"})
    assert added.status_code == 302, added.content.decode()[:2000]
    created = Office.objects.get(name="From admin")
    assert created.device.role == "office" and created.device.pairing_code


def test_openapi_schema_describes_offline_endpoints(api):
    r = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert r.status_code == 200
    text = r.content.decode()
    for path in ("/api/v1/events/{event_id}/offices", "/api/v1/offices/{office_id}", "/api/v1/offices/{office_id}/assign",
                 "/api/v1/offices/{office_id}/unassign", "/api/v1/offices/{office_id}/sync", "/api/v1/scan/manifest",
                 "/api/v1/scan/sync"):
        assert path in text, path
