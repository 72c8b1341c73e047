import pytest

from events.models import Event
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

EVENT = {"name": "Fight Night", "date_start": "2026-12-01T20:00:00+01:00", "date_end": "2026-12-02T01:00:00+01:00"}
ZONES = {"status": True, "zones": [
    {"zone_id": "A", "name": "Ringside", "color": "#C0392B", "seats": 3, "reentry": False},
    {"zone_id": "B", "name": "General", "color": "#27ae60", "seats": 4},
]}


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and isinstance(body["error"]["fields"], dict)
    return body


def create(api, **over):
    r = api.post("/api/v1/events", {**EVENT, **over}, format="json")
    assert r.status_code == 201, r.content
    return r.json()


def test_create_and_get_event(api):
    body = create(api, venue="Arena")
    assert len(body["event_id"]) == 20 and body["doors_open_minutes"] == 720 and body["doors_close_minutes"] == 360
    assert body["keys"] and "private" not in str(body).lower()
    got = api.get(f"/api/v1/events/{body['event_id']}").json()
    assert got["name"] == "Fight Night" and got["venue"] == "Arena"


def test_full_flow_setup_then_generate(api):
    event_id = create(api)["event_id"]
    closed = api.put(f"/api/v1/events/{event_id}/setup/zones", {**ZONES, "status": False}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] is False
    assert_error(api.post(f"/api/v1/events/{event_id}/tickets/generate"), 409, "setup_inactive")
    opened = api.put(f"/api/v1/events/{event_id}/setup/zones", ZONES, format="json")
    assert opened.json()["zones"][1]["color"] == "#27AE60"
    r = api.post(f"/api/v1/events/{event_id}/tickets/generate")
    assert r.status_code == 201 and r.json()["generated"] == 7
    assert_error(api.post(f"/api/v1/events/{event_id}/tickets/generate"), 409, "already_generated")
    changed = {**ZONES, "zones": [{**ZONES["zones"][0], "seats": 99}]}
    assert_error(api.put(f"/api/v1/events/{event_id}/setup/zones", changed, format="json"), 409, "zones_locked")
    # Re-sending the same zones (to toggle the gate) is allowed.
    assert api.put(f"/api/v1/events/{event_id}/setup/zones", {**ZONES, "status": False}, format="json").status_code == 200


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"zones": [{"zone_id": "A", "name": "x", "color": "red", "seats": 1}]}, "zones"),
        ({"zones": [{"zone_id": "A", "name": "x", "color": "#000000", "seats": 0}]}, "zones"),
        ({"zones": [{"zone_id": "A b", "name": "x", "color": "#000000", "seats": 1}]}, "zones"),
        ({"zones": "nope"}, "zones"),
        ({"status": "maybe"}, "status"),
    ],
)
def test_setup_validation(api, payload, field):
    event_id = create(api)["event_id"]
    body = assert_error(api.put(f"/api/v1/events/{event_id}/setup/zones", {"status": True, **payload}, format="json"),
                        400, "invalid")
    assert field in body["error"]["fields"]
    assert not Event.objects.get(pk=event_id).zones.exists()


def test_duplicate_zone_ids_refused(api):
    event_id = create(api)["event_id"]
    zones = [ZONES["zones"][0], ZONES["zones"][0]]
    assert_error(api.put(f"/api/v1/events/{event_id}/setup/zones", {"status": True, "zones": zones}, format="json"),
                 400, "invalid")


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"name": "x", "date_start": "yesterday", "date_end": "2026-12-02T01:00:00Z"},
        {**EVENT, "date_end": "2026-11-01T00:00:00Z"},
        {**EVENT, "name": "x" * 10_000},
        {**EVENT, "doors_open_minutes": -1},
        {**EVENT, "doors_open_minutes": 10**30},
        {**EVENT, "name": ["a list"]},
        {**EVENT, "name": "nul\x00byte"},
        [1, 2, 3],
        "a string",
    ],
)
def test_bad_event_input_is_400_and_writes_nothing(api, payload):
    assert_error(api.post("/api/v1/events", payload, format="json"), 400, "invalid")
    assert Event.objects.count() == 0


def test_malformed_json_is_400(api):
    r = api.generic("POST", "/api/v1/events", "{not json", content_type="application/json")
    assert_error(r, 400, "parse_error")


def test_deeply_nested_json_is_400(api):
    body = "[" * 100_000 + "]" * 100_000
    r = api.generic("POST", "/api/v1/events", body, content_type="application/json")
    assert_error(r, 400, "parse_error")


def test_wrong_media_type_is_415(api):
    r = api.generic("POST", "/api/v1/events", "name=x", content_type="application/x-www-form-urlencoded")
    assert_error(r, 415, "unsupported_media_type")


def test_unknown_paths_and_methods(api):
    assert_error(api.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(api.get("/api/v1/events/doesnotexist"), 404, "not_found")
    assert_error(api.delete("/api/v1/events"), 405, "method_not_allowed")
    # No trailing-slash redirects.
    assert api.get("/api/v1/events/").status_code == 404


def test_anonymous_is_401_and_non_staff_is_403(anon, django_user_model):
    assert_error(anon.get("/api/v1/events"), 401, "not_authenticated")
    user = django_user_model.objects.create_user("fan", password="pw-fan-1234")
    anon.force_authenticate(user)
    assert_error(anon.get("/api/v1/events"), 403, "permission_denied")


def test_generate_unknown_event_is_404(api):
    assert_error(api.post("/api/v1/events/nope/tickets/generate"), 404, "not_found")
    assert Ticket.objects.count() == 0
