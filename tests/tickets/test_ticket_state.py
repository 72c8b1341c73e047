"""The ticket's derived state (issue 17, docs/adr/0024): one definition (tickets/selectors.py
STATE_RULES) evaluated in SQL (annotation, filter) and in Python (state_of); all six states
reached through the real services; the API's `state` field and filter; the admin's column and
filter."""
import itertools
import uuid

import pytest

from tests.conftest import code_for, make_device, sell
from tests.tickets.test_holds import expire
from tickets import holds, selectors
from tickets.models import Ticket, TicketState

pytestmark = pytest.mark.django_db

FLAGS = ("status", "status_offline", "access_status", "access_entry", "held")


def allowed(status, status_offline, access_status, access_entry, held) -> bool:
    """The combinations the database lets exist: the ticket CHECKs (inside implies scanned,
    scanned implies sold) and the hold triggers (a hold only on an unsold, unassigned ticket)."""
    return ((not access_entry or access_status) and (not access_status or not status)
            and (not held or (status and not status_offline)))


def test_exactly_one_rule_matches_every_possible_ticket():
    possible = [c for c in itertools.product((True, False), repeat=5) if allowed(*c)]
    assert len(possible) == 9
    for combo in possible:
        facts = dict(zip(FLAGS, combo))
        matches = [state for state, rule in selectors.STATE_RULES if all(facts[k] == v for k, v in rule.items())]
        assert len(matches) == 1, (facts, matches)
        ticket = Ticket(**{k: v for k, v in facts.items() if k != "held"})
        assert selectors.state_of(ticket, held=facts["held"]) == matches[0]
    assert {s for s, _ in selectors.STATE_RULES} == set(TicketState)


@pytest.fixture
def six_states(generated_event):
    """One ticket in each state, each put there by the service that does it for real."""
    from offices.services import assign_tickets, create_office

    event = generated_event
    seat = {s: Ticket.objects.get(event=event, seat_id=s) for s in ("B-1", "B-2", "B-3", "B-4", "B-5", "B-6", "B-7")}
    holds.take_hold(event_id=event.event_id, ticket_ids=[seat["B-2"].ticket_id])
    office = create_office(event_id=event.event_id, name="Box office").office
    assign_tickets(office_id=office.office_id, ticket_ids=[seat["B-3"].ticket_id])
    sell(event, "B-4", "B-5", "B-6")
    device, _ = make_device(event)
    from access.services import scan

    for seat_id, directions in (("B-5", ["in"]), ("B-6", ["in", "out"])):
        for direction in directions:
            outcome = scan(device=device, code=code_for(event, seat_id), direction=direction, scan_id=uuid.uuid4())
            assert outcome.response["result"] == "accepted", outcome.response
    expired = holds.take_hold(event_id=event.event_id, ticket_ids=[seat["B-7"].ticket_id])
    expire(expired.hold_id)  # an expired, unswept hold already counts as available
    return {"B-1": "available", "B-2": "held", "B-3": "box_office", "B-4": "sold", "B-5": "inside", "B-6": "out",
            "B-7": "available"}


def test_all_six_states_in_sql_python_and_the_api(api, generated_event, six_states):
    event_id = generated_event.event_id
    annotated = dict(selectors.with_state(Ticket.objects.filter(event_id=event_id)).values_list("seat_id", "state"))
    for seat_id, state in six_states.items():
        assert annotated[seat_id] == state, seat_id
        plain = Ticket.objects.get(event_id=event_id, seat_id=seat_id)  # no annotation: derived in Python
        assert selectors.state_of(plain) == state, seat_id
        body = api.get(f"/api/v1/events/{event_id}/tickets/{plain.ticket_id}").json()
        assert body["state"] == state, seat_id
    # The filter and the annotation are the same rule.
    for state in TicketState.values:
        filtered = Ticket.objects.filter(event_id=event_id).filter(selectors.state_condition(state))
        assert set(filtered.values_list("seat_id", flat=True)) == {s for s, st in annotated.items() if st == state}
    listed = api.get(f"/api/v1/events/{event_id}/tickets", {"page_size": 500}).json()["results"]
    assert {t["seat_id"]: t["state"] for t in listed if t["seat_id"] in six_states} == six_states
    # The seed's flags are unchanged by all this: `status` is still the boolean the contract names.
    assert {t["seat_id"]: t["status"] for t in listed if t["seat_id"] in ("B-1", "B-4")} == {"B-1": True, "B-4": False}


def test_the_sold_at_box_office_ticket_is_sold_and_box_office_inside_is_inside(api, generated_event):
    """A box office's sale keeps its assignment open (status_offline stays true): sold, not
    box_office; and once scanned in, inside."""
    from django.utils import timezone

    from offices.models import Office
    from offices.services import SaleIn, assign_tickets, create_office, sync_sales

    event = generated_event
    t = Ticket.objects.get(event=event, seat_id="A-1")
    created = create_office(event_id=event.event_id, name="Box office")
    assign_tickets(office_id=created.office.office_id, ticket_ids=[t.ticket_id])
    office = Office.objects.select_related("event").get(pk=created.office.office_id)
    sync_sales(office=office, sales=[SaleIn(sale_id=uuid.uuid4(), ticket_id=t.ticket_id, sold_at=timezone.now())])
    t.refresh_from_db()
    assert (t.status, t.status_offline) == (False, True)
    assert selectors.state_of(t) == TicketState.SOLD
    device, _ = make_device(event)
    from access.services import scan

    assert scan(device=device, code=code_for(event, "A-1"), direction="in",
                scan_id=uuid.uuid4()).response["result"] == "accepted"
    body = api.get(f"/api/v1/events/{event.event_id}/tickets/{t.ticket_id}").json()
    assert body["state"] == "inside"


def test_the_list_filters_by_state(api, generated_event, six_states):
    url = f"/api/v1/events/{generated_event.event_id}/tickets"
    for state in TicketState.values:
        got = {t["seat_id"] for t in api.get(url, {"state": state, "page_size": 500}).json()["results"]}
        assert {s for s, st in six_states.items() if st == state} <= got, state
        assert all(t["state"] == state for t in api.get(url, {"state": state, "page_size": 500}).json()["results"])
    # A-zone tickets are all available: 5 + B-1, B-7 + the untouched B-8..B-10.
    assert len(api.get(url, {"state": "available", "page_size": 500}).json()["results"]) == 10
    from tests.events.test_api import assert_error

    body = assert_error(api.get(url, {"state": "gone"}), 400, "invalid")
    assert "state" in body["error"]["fields"]


def test_the_list_derives_state_in_its_one_query(api, generated_event, six_states):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        r = api.get(f"/api/v1/events/{generated_event.event_id}/tickets", {"page_size": 500})
    assert r.status_code == 200
    assert len([q for q in ctx.captured_queries if "tickets_blocked" in q["sql"]]) == 1  # no query per ticket


def test_admin_list_shows_and_filters_the_state(admin_client, generated_event, six_states):
    def seats_listed(**params):
        text = admin_client.get("/admin/tickets/ticket/", params).content.decode()
        return text, {s for s in [f"{z}-{n}" for z in "AB" for n in range(1, 11)] if f">{s}</a>" in text}

    text, seats = seats_listed(state="out")
    assert seats == {"B-6"} and '<td class="field-state">Left after entering</td>' in text
    text, seats = seats_listed(state="held")
    assert seats == {"B-2"} and '<td class="field-state">Held in a checkout</td>' in text
    text, seats = seats_listed()
    assert len(seats) == 15
    for label in ("Available", "At a box office", "Sold", "Inside"):
        assert f'<td class="field-state">{label}</td>' in text, label
    # A reference typed the way people do finds its ticket.
    t = Ticket.objects.get(event=generated_event, seat_id="B-4")
    _, seats = seats_listed(q=f"{t.reference[:4].lower()} {t.reference[4:]}")
    assert seats == {"B-4"}
