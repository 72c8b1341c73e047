"""The virtual office's HTTP contract: seats, holds, checkout, release, sales status."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events import codes
from tests.events.test_api import assert_error
from tickets.models import LedgerEntry, Ticket, TicketHold

pytestmark = pytest.mark.django_db


def expire(hold_id, *, ago_ms=1):
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE tickets_blocked SET created_at = created_at - interval '2 hours', "
            "locked_up = clock_timestamp() - make_interval(secs => %s) WHERE hold_id = %s",
            [ago_ms / 1000, hold_id],
        )


def seat_ids(event, zone="B", n=None):
    qs = Ticket.objects.filter(event=event, zone_id=zone).order_by("id").values_list("ticket_id", flat=True)
    return list(qs[:n] if n else qs)


def hold(api, event, tickets, **extra):
    r = api.post(f"/api/v1/events/{event.event_id}/holds", {"tickets": tickets, **extra}, format="json")
    assert r.status_code == 201, r.content
    return r.json()


def assign_offline(event, ticket_ids):
    from offices.services import assign_tickets, create_office

    office = create_office(event_id=event.event_id, name="Box office").office
    assign_tickets(office_id=office.office_id, ticket_ids=ticket_ids)


def nothing_written():
    return not TicketHold.objects.exists() and not LedgerEntry.objects.exclude(action="generated").exists()


# --- seats ---

def test_seats_lists_availability(api, generated_event):
    url = f"/api/v1/events/{generated_event.event_id}/seats"
    a = seat_ids(generated_event, "A")
    Ticket.objects.filter(ticket_id=a[0]).update(status=False)
    assign_offline(generated_event, [a[1]])
    held = hold(api, generated_event, [a[2]])
    expired = hold(api, generated_event, [a[3]])
    expire(expired["hold_id"])
    body = api.get(url, {"zone": "A"}).json()
    assert [s["ticket_id"] for s in body["results"]] == a and body["next"] is None
    assert [s["available"] for s in body["results"]] == [False, False, False, True, True]
    assert [s["state"] for s in body["results"]] == ["sold", "box_office", "held", "available", "available"]
    first = body["results"][0]
    assert set(first) == {"ticket_id", "seat_id", "zone_id", "zone", "color", "seat_row", "available", "state"}
    assert (first["seat_id"], first["zone_id"], first["zone"], first["color"], first["seat_row"]) == (
        "A-1", "A", "Ringside", "#C0392B", "por asignar")
    only = api.get(url, {"zone": "A", "available": "true"}).json()["results"]
    assert [s["ticket_id"] for s in only] == a[3:] and all(s["available"] for s in only)
    taken = api.get(url, {"zone": "A", "available": "false"}).json()["results"]
    assert [s["ticket_id"] for s in taken] == a[:3]
    assert len(api.get(url, {"available": "true", "page_size": 500}).json()["results"]) == 12
    assert held["hold_id"]


def test_seats_are_cursor_paginated_with_one_query_per_page(api, generated_event):
    url = f"/api/v1/events/{generated_event.event_id}/seats"
    seen = []
    body = None
    with CaptureQueriesContext(connection) as ctx:
        r = api.get(url, {"page_size": 4, "available": "true"})
    body = r.json()
    assert len([q for q in ctx.captured_queries if "tickets_ticket" in q["sql"]]) == 1
    seen += [s["ticket_id"] for s in body["results"]]
    while body["next"]:
        with CaptureQueriesContext(connection) as ctx:
            body = api.get(body["next"]).json()
        assert len([q for q in ctx.captured_queries if "tickets_ticket" in q["sql"]]) == 1
        seen += [s["ticket_id"] for s in body["results"]]
    assert len(seen) == len(set(seen)) == 15


@pytest.mark.parametrize("params,field", [({"available": "perhaps"}, "available"), ({"page_size": 0}, "page_size"),
                                          ({"page_size": 501}, "page_size"), ({"cursor": "garbage"}, "cursor")])
def test_seats_bad_params_are_400(api, generated_event, params, field):
    body = assert_error(api.get(f"/api/v1/events/{generated_event.event_id}/seats", params), 400, "invalid")
    assert field in body["error"]["fields"]


def test_seats_of_unknown_event_is_404_and_unknown_zone_is_empty(api, generated_event):
    assert_error(api.get("/api/v1/events/nope/seats"), 404, "not_found")
    assert api.get(f"/api/v1/events/{generated_event.event_id}/seats", {"zone": "Z" * 300}).json()["results"] == []


# --- holds ---

def test_hold_created(api, generated_event):
    tickets = seat_ids(generated_event, n=3)
    body = hold(api, generated_event, tickets, hold_seconds=120)
    assert body["tickets"] == tickets and len(body["hold_id"]) == 20 and body["event_id"] == generated_event.event_id
    assert "T" in body["expires_at"] and body["expires_at"].endswith("+00:00")
    assert TicketHold.objects.filter(hold_id=body["hold_id"]).count() == 3


def test_hold_conflict_body_lists_unavailable_tickets(api, generated_event):
    tickets = seat_ids(generated_event, n=4)
    hold(api, generated_event, tickets[:2])
    r = api.post(f"/api/v1/events/{generated_event.event_id}/holds", {"tickets": tickets[1:]}, format="json")
    body = assert_error(r, 409, "seats_unavailable")
    assert body["error"]["tickets"] == [tickets[1]] and body["error"]["fields"] == {}
    assert TicketHold.objects.count() == 2


def test_hold_of_unknown_or_foreign_tickets_is_seats_unavailable(api, generated_event):
    from tests.conftest import make_event
    from tickets.services import generate_tickets

    other = make_event(name="Other")
    generate_tickets(event_id=other.event_id)
    foreign = seat_ids(other, n=1)[0]
    mine = seat_ids(generated_event, n=1)[0]
    r = api.post(f"/api/v1/events/{generated_event.event_id}/holds", {"tickets": [mine, foreign, "nope"]}, format="json")
    assert assert_error(r, 409, "seats_unavailable")["error"]["tickets"] == sorted([foreign, "nope"])
    assert nothing_written()


def test_hold_on_unknown_event_is_404(api, generated_event):
    assert_error(api.post("/api/v1/events/nope/holds", {"tickets": ["x"]}, format="json"), 404, "not_found")


@pytest.mark.parametrize("payload,field", [
    ({}, "tickets"),
    ({"tickets": []}, "tickets"),
    ({"tickets": "abc"}, "tickets"),
    ({"tickets": {"a": 1}}, "tickets"),
    ({"tickets": [1, 2]}, "tickets"),
    ({"tickets": [None]}, "tickets"),
    ({"tickets": [["x"]]}, "tickets"),
    ({"tickets": [""]}, "tickets"),
    ({"tickets": ["x" * 49]}, "tickets"),
    ({"tickets": [f"t{i}" for i in range(501)]}, "tickets"),
    ({"tickets": ["DUP", "DUP"]}, "tickets"),
    ({"tickets": ["SEAT"], "hold_seconds": 0}, "hold_seconds"),
    ({"tickets": ["SEAT"], "hold_seconds": 3601}, "hold_seconds"),
    ({"tickets": ["SEAT"], "hold_seconds": "60"}, "hold_seconds"),
    ({"tickets": ["SEAT"], "hold_seconds": 1.5}, "hold_seconds"),
    ({"tickets": ["SEAT"], "hold_seconds": True}, "hold_seconds"),
    ({"tickets": ["SEAT"], "hold_seconds": None}, "hold_seconds"),
    ({"tickets": ["SEAT"], "hold_seconds": 10**40}, "hold_seconds"),
])
def test_hold_bad_input_is_400_and_writes_nothing(api, generated_event, payload, field):
    seat = seat_ids(generated_event, n=1)[0]
    if "tickets" in payload and isinstance(payload["tickets"], list):
        payload = {**payload, "tickets": [seat if t == "SEAT" else (seat if t == "DUP" else t) for t in payload["tickets"]]}
    body = assert_error(api.post(f"/api/v1/events/{generated_event.event_id}/holds", payload, format="json"), 400,
                        "invalid")
    assert field in body["error"]["fields"], body
    assert nothing_written()


@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"null", b"{", b"\xff\xfe", b"[" * 5000 + b"]" * 5000])
def test_hold_malformed_body_is_400(api, generated_event, raw):
    r = api.generic("POST", f"/api/v1/events/{generated_event.event_id}/holds", raw, content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["code"] in ("invalid", "parse_error")
    assert nothing_written()


# --- checkout ---

def test_checkout_returns_sold_tickets_with_signed_codes(api, generated_event):
    tickets = seat_ids(generated_event, n=2)
    h = hold(api, generated_event, tickets)
    r = api.post(f"/api/v1/holds/{h['hold_id']}/checkout", {"buyer": {"name": "Ana"}}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["hold_id"] == h["hold_id"] and [t["ticket_id"] for t in body["tickets"]] == tickets
    for t in body["tickets"]:
        assert t["status"] is False and codes.verify(t["code"]).object_id == t["ticket_id"]
    sold = LedgerEntry.objects.filter(action="sold", ticket__ticket_id=tickets[0]).get()
    assert sold.metadata["hold_id"] == h["hold_id"] and sold.metadata["buyer"] == {"name": "Ana"}
    again = api.post(f"/api/v1/holds/{h['hold_id']}/checkout", {"buyer": {"name": "Ana"}}, format="json")
    assert_error(again, 409, "hold_expired")


def test_checkout_of_an_expired_hold_is_409(api, generated_event):
    h = hold(api, generated_event, seat_ids(generated_event, n=1))
    expire(h["hold_id"])
    assert_error(api.post(f"/api/v1/holds/{h['hold_id']}/checkout", {"buyer": {}}, format="json"), 409, "hold_expired")
    assert not LedgerEntry.objects.filter(action="sold").exists()


def test_checkout_of_a_released_or_swept_hold_is_409(api, generated_event):
    from tickets.holds import sweep_expired_holds

    a = hold(api, generated_event, seat_ids(generated_event, n=1))
    assert api.delete(f"/api/v1/holds/{a['hold_id']}").status_code == 204
    assert_error(api.post(f"/api/v1/holds/{a['hold_id']}/checkout", {"buyer": {}}, format="json"), 409, "hold_expired")
    b = hold(api, generated_event, seat_ids(generated_event, n=1))
    expire(b["hold_id"])
    assert sweep_expired_holds().released == 1
    assert_error(api.post(f"/api/v1/holds/{b['hold_id']}/checkout", {"buyer": {}}, format="json"), 409, "hold_expired")


def test_checkout_of_unknown_hold_is_404(api, generated_event):
    assert_error(api.post("/api/v1/holds/doesnotexist/checkout", {"buyer": {}}, format="json"), 404, "not_found")
    assert_error(api.post(f"/api/v1/holds/{'x' * 300}/checkout", {"buyer": {}}, format="json"), 404, "not_found")


@pytest.mark.parametrize("payload", [
    {}, {"buyer": None}, {"buyer": []}, {"buyer": "Ana"}, {"buyer": 3}, {"buyer": {"name": "A\u0000na"}},
    {"buyer": {"blob": "x" * 5000}}, {"buyer": {"a": {"b": {"c": {"d": {"e": {"f": {}}}}}}}}, [], "buyer",
])
def test_checkout_bad_buyer_is_400_and_keeps_the_hold(api, generated_event, payload):
    h = hold(api, generated_event, seat_ids(generated_event, n=1))
    body = assert_error(api.post(f"/api/v1/holds/{h['hold_id']}/checkout", payload, format="json"), 400, "invalid")
    if isinstance(payload, dict):
        # The parser names unstorable text by its exact path (buyer.name): docs/adr/0017.
        assert any(k == "buyer" or k.startswith("buyer.") for k in body["error"]["fields"]), body
    assert TicketHold.objects.filter(hold_id=h["hold_id"]).exists()
    assert not LedgerEntry.objects.filter(action="sold").exists()


def test_checkout_lone_surrogate_in_buyer_is_400(api, generated_event):
    h = hold(api, generated_event, seat_ids(generated_event, n=1))
    raw = b'{"buyer": {"name": "\\ud800"}}'
    r = api.generic("POST", f"/api/v1/holds/{h['hold_id']}/checkout", raw, content_type="application/json")
    assert_error(r, 400, "invalid")


# --- release ---

def test_release_then_second_release(api, generated_event):
    tickets = seat_ids(generated_event, n=2)
    h = hold(api, generated_event, tickets)
    r = api.delete(f"/api/v1/holds/{h['hold_id']}")
    assert r.status_code == 204 and r.content == b""
    assert not TicketHold.objects.exists()
    assert_error(api.delete(f"/api/v1/holds/{h['hold_id']}"), 409, "hold_expired")
    assert_error(api.delete("/api/v1/holds/doesnotexist"), 404, "not_found")
    hold(api, generated_event, tickets)  # available again


def test_release_of_an_expired_hold_is_409(api, generated_event):
    h = hold(api, generated_event, seat_ids(generated_event, n=1))
    expire(h["hold_id"])
    assert_error(api.delete(f"/api/v1/holds/{h['hold_id']}"), 409, "hold_expired")


# --- sales status ---

def test_sales_status_counts(api, generated_event):
    a = seat_ids(generated_event, "A")
    b = seat_ids(generated_event, "B")
    Ticket.objects.filter(ticket_id__in=a[:2]).update(status=False)
    assign_offline(generated_event, [a[2]])
    hold(api, generated_event, [a[3]] + b[:3])
    expired = hold(api, generated_event, b[3:5])
    expire(expired["hold_id"])
    sold = hold(api, generated_event, b[5:6])
    api.post(f"/api/v1/holds/{sold['hold_id']}/checkout", {"buyer": {}}, format="json")
    with CaptureQueriesContext(connection) as ctx:
        r = api.get(f"/api/v1/events/{generated_event.event_id}/sales")
    assert len([q for q in ctx.captured_queries if "tickets_ticket" in q["sql"]]) == 1
    body = r.json()
    assert body["event_id"] == generated_event.event_id
    counts = ("zone_id", "zone", "seats", "available", "held", "sold", "offline")  # money: tests/tickets/test_sales_money.py
    assert [{k: z[k] for k in counts} for z in body["zones"]] == [
        {"zone_id": "A", "zone": "Ringside", "seats": 5, "available": 1, "held": 1, "sold": 2, "offline": 1},
        {"zone_id": "B", "zone": "General", "seats": 10, "available": 6, "held": 3, "sold": 1, "offline": 0},
    ]
    assert {k: body["totals"][k] for k in counts[2:]} == {"seats": 15, "available": 7, "held": 4, "sold": 3, "offline": 1}
    for row in body["zones"] + [body["totals"]]:
        assert row["available"] + row["held"] + row["sold"] + row["offline"] == row["seats"]


def test_sales_status_before_generation_and_unknown_event(api, event):
    body = api.get(f"/api/v1/events/{event.event_id}/sales").json()
    assert [z["seats"] for z in body["zones"]] == [0, 0] and body["totals"]["seats"] == 0
    assert_error(api.get("/api/v1/events/nope/sales"), 404, "not_found")


# --- every endpoint: staff only, contract errors ---

ENDPOINTS = [
    ("get", "/api/v1/events/{e}/seats"),
    ("post", "/api/v1/events/{e}/holds"),
    ("delete", "/api/v1/holds/abc"),
    ("post", "/api/v1/holds/abc/checkout"),
    ("get", "/api/v1/events/{e}/sales"),
]


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_endpoints_are_staff_only(anon, django_user_model, generated_event, method, path):
    url = path.format(e=generated_event.event_id)
    assert_error(getattr(anon, method)(url, {}, format="json"), 401, "not_authenticated")
    from accounts.services import create_staff_token

    user = django_user_model.objects.create_user("fan", password="pw-fan-12345")
    anon.credentials(HTTP_AUTHORIZATION=f"Token {create_staff_token(user=user).token}")
    assert_error(getattr(anon, method)(url, {}, format="json"), 403, "permission_denied")
    assert nothing_written()


def test_wrong_methods_are_405_with_contract_body(api, generated_event):
    assert_error(api.get("/api/v1/holds/abc"), 405, "method_not_allowed")
    assert_error(api.get(f"/api/v1/events/{generated_event.event_id}/holds"), 405, "method_not_allowed")
    assert_error(api.delete(f"/api/v1/events/{generated_event.event_id}/sales"), 405, "method_not_allowed")


def test_openapi_schema_describes_the_virtual_office(api):
    text = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content.decode()
    for path in ("/api/v1/events/{event_id}/seats", "/api/v1/events/{event_id}/holds", "/api/v1/holds/{hold_id}",
                 "/api/v1/holds/{hold_id}/checkout", "/api/v1/events/{event_id}/sales"):
        assert path in text, path
