"""The OpenAPI schema describes the fields issue 17 added (the contract's "Additions" section)."""
import pytest

pytestmark = pytest.mark.django_db


def _components(client) -> dict:
    r = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert r.status_code == 200
    return r.json()["components"]["schemas"]


def _resolve(schemas, schema):
    if "allOf" in schema:  # a reference with its own description
        schema = schema["allOf"][0]
    return schemas[schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema


def test_event_zone_and_ticket_fields_are_documented(client):
    schemas = _components(client)
    for name in ("EventDetail", "EventInRequest"):
        assert {"timezone", "currency", "language"} <= set(schemas[name]["properties"]), name
    language = _resolve(schemas, schemas["EventDetail"]["properties"]["language"])
    assert set(language["enum"]) == {"es", "en"}
    assert "price" in schemas["EventZone"]["properties"] and "price" in schemas["ZoneRequest"]["properties"]
    page = schemas["TicketPage"]["properties"]["results"]["items"]
    ticket = _resolve(schemas, page)["properties"]
    assert {"reference", "state", "price", "channel", "status"} <= set(ticket)
    state = _resolve(schemas, ticket["state"])
    assert set(state["enum"]) == {"available", "held", "box_office", "sold", "inside", "out"}
    assert {"reference", "state", "price", "ledger"} <= set(schemas["TicketWithLedger"]["properties"])
