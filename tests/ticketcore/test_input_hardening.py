"""Input PostgreSQL cannot store (a NUL character, a lone UTF-16 surrogate) is refused once, where
JSON is parsed, with a 400 naming the field and nothing written (issue 13 item 4); every answer
under /api/ is JSON, and the docs need no credentials (item 5)."""
from __future__ import annotations

import json
import uuid

import httpx
import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from access.models import Scan
from offices.models import Office
from tests.conftest import code_for, device_client, make_device, sell
from tests.events.test_api import assert_error
from tickets.models import LedgerEntry, Ticket

pytestmark = pytest.mark.django_db

NUL = "\\u0000"  # as it appears in a JSON body
LONE_HIGH = "\\ud800"
LONE_LOW = "\\udc00"
BAD_ESCAPES = [NUL, LONE_HIGH, LONE_LOW, "\\uDBFF", "\\uDFFF\\uD800"]  # the last one: a reversed pair


def post_raw(client, path, text, method="POST"):
    return client.generic(method, path, text.encode(), content_type="application/json")


def scan_body(code_json: str) -> str:
    return f'{{"code": "{code_json}", "direction": "in", "scan_id": "{uuid.uuid4()}"}}'


def refused(response, field):
    body = assert_error(response, 400, "invalid")
    assert list(body["error"]["fields"]) == [field], body
    return body


@pytest.fixture
def ticket_code(generated_event):
    sell(generated_event, "A-1")
    return code_for(generated_event, "A-1")


# --------------------------------------------------------------------------- POST /api/v1/scan

@pytest.mark.parametrize("escape", BAD_ESCAPES)
@pytest.mark.parametrize("where", ["end", "start", "alone"])
def test_scan_code_with_nul_or_lone_surrogate_is_400_and_writes_nothing(scanner, ticket_code, escape, where):
    _, client = scanner
    code = {"end": ticket_code + escape, "start": escape + ticket_code, "alone": escape}[where]
    refused(post_raw(client, "/api/v1/scan", scan_body(code)), "code")
    assert Scan.objects.count() == 0
    assert not LedgerEntry.objects.filter(action="accessed").exists()


def test_scan_bad_character_in_another_field_or_a_key(scanner, ticket_code):
    _, client = scanner
    body = f'{{"code": "{ticket_code}", "direction": "in{NUL}", "scan_id": "{uuid.uuid4()}"}}'
    refused(post_raw(client, "/api/v1/scan", body), "direction")
    body = f'{{"code": "{ticket_code}", "direction": "in", "scan_id": "{uuid.uuid4()}", "x{LONE_HIGH}": 1}}'
    refused(post_raw(client, "/api/v1/scan", body), "x\N{REPLACEMENT CHARACTER}")
    assert Scan.objects.count() == 0


def test_valid_pairs_and_escaped_backslashes_are_ordinary_text(scanner, ticket_code):
    """Negative controls: an escaped emoji (a valid surrogate pair) and the six characters
    `\\u0000` (an escaped backslash) are legal text; the scan is answered, not refused."""
    _, client = scanner
    r = post_raw(client, "/api/v1/scan", scan_body(ticket_code + "\\ud83c\\udfab"))
    assert r.status_code == 200 and r.json()["reason"] == "invalid_signature", r.content
    r = post_raw(client, "/api/v1/scan", scan_body(ticket_code + "\\\\u0000"))
    assert r.status_code == 200 and r.json()["reason"] == "invalid_signature", r.content
    r = post_raw(client, "/api/v1/scan", scan_body(ticket_code))
    assert r.status_code == 200 and r.json()["result"] == "accepted", r.content


def test_raw_nul_byte_is_invalid_json_not_a_500(scanner, ticket_code):
    """Unescaped, a NUL is a control character JSON forbids in strings: a parse error."""
    _, client = scanner
    body = scan_body(ticket_code).replace(ticket_code, ticket_code + "\x00").encode()
    assert_error(client.generic("POST", "/api/v1/scan", body, content_type="application/json"), 400, "parse_error")
    assert Scan.objects.count() == 0


@pytest.mark.parametrize("charset", ["unicode_escape", "raw_unicode_escape"])
def test_raw_surrogates_from_an_odd_charset_are_refused_too(scanner, ticket_code, api, generated_event, charset):
    """Decoding with an escape codec turns `\\ud800` into the raw character before JSON sees it."""
    _, client = scanner
    body = scan_body(ticket_code + LONE_HIGH).encode()
    r = client.generic("POST", "/api/v1/scan", body, content_type=f"application/json; charset={charset}")
    refused(r, "code")
    r = api.generic("POST", f"/api/v1/events/{generated_event.event_id}/offices", b'{"name": "Box\\ud800"}',
                    content_type=f"application/json; charset={charset}")
    refused(r, "name")
    assert Scan.objects.count() == 0 and not Office.objects.exists()


def test_a_bare_string_body_is_named_body(api, generated_event):
    r = post_raw(api, f"/api/v1/events/{generated_event.event_id}/offices", f'"{NUL}"')
    refused(r, "body")


def test_unknown_device_token_still_gets_401_before_the_body_matters(generated_event):
    r = post_raw(device_client("nope"), "/api/v1/scan", scan_body(NUL))
    assert_error(r, 401, "not_authenticated")


# --------------------------------------------------------------------------- POST /api/v1/scan/sync

@pytest.mark.parametrize("escape", [NUL, LONE_HIGH, LONE_LOW])
def test_sync_names_the_scan_and_applies_none(scanner, ticket_code, escape):
    _, client = scanner
    scans = [{"code": ticket_code, "direction": "in", "scan_id": str(uuid.uuid4()),
              "scanned_at": "2030-01-01T20:00:00+00:00"} for _ in range(5)]
    items = [json.dumps(s) for s in scans]
    items[3] = items[3].replace(ticket_code, ticket_code + escape)
    text = '{"scans": [' + ", ".join(items) + "]}"
    refused(post_raw(client, "/api/v1/scan/sync", text), "scans[3].code")
    assert Scan.objects.count() == 0
    assert Ticket.objects.get(seat_id="A-1").access_status is False


def test_sync_reports_each_bad_scan(scanner, ticket_code):
    _, client = scanner
    items = [json.dumps({"code": f"{ticket_code}", "direction": "in", "scan_id": str(uuid.uuid4()),
                         "scanned_at": "2030-01-01T20:00:00+00:00"}) for _ in range(4)]
    items[0] = items[0].replace('"in"', f'"in{LONE_HIGH}"')
    items[2] = items[2].replace(ticket_code, NUL)
    body = assert_error(post_raw(client, "/api/v1/scan/sync", '{"scans": [' + ",".join(items) + "]}"), 400, "invalid")
    assert set(body["error"]["fields"]) == {"scans[0].direction", "scans[2].code"}
    assert Scan.objects.count() == 0


# --------------------------------------------------------------------------- offices

@pytest.mark.parametrize("escape", [NUL, LONE_HIGH, LONE_LOW])
def test_create_office_with_bad_name_is_400(api, generated_event, escape):
    r = post_raw(api, f"/api/v1/events/{generated_event.event_id}/offices", f'{{"name": "Box{escape}"}}')
    refused(r, "name")
    assert not Office.objects.exists()


def test_create_office_with_an_escaped_emoji_works(api, generated_event):
    r = post_raw(api, f"/api/v1/events/{generated_event.event_id}/offices", '{"name": "Box \\ud83c\\udfab"}')
    assert r.status_code == 201, r.content
    assert Office.objects.get().name == "Box \N{TICKET}"


@pytest.mark.parametrize("escape", [NUL, LONE_HIGH, LONE_LOW])
def test_assign_with_bad_ticket_id_is_400_and_assigns_nothing(api, generated_event, escape):
    office = api.post(f"/api/v1/events/{generated_event.event_id}/offices", {"name": "Box"}, format="json").json()
    good = list(Ticket.objects.filter(event=generated_event).values_list("ticket_id", flat=True)[:3])
    text = json.dumps({"tickets": good[:2]})[:-2] + f', "{good[2]}{escape}"]}}'
    refused(post_raw(api, f"/api/v1/offices/{office['office_id']}/assign", text), "tickets[2]")
    assert not Ticket.objects.filter(status_offline=True).exists()


# --------------------------------------------------------------------------- every endpoint

def _api_routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _api_routes(p, route)
        elif isinstance(p, URLPattern) and route.startswith("api/v1/") and hasattr(p.callback, "view_class"):
            yield route, p.callback.view_class


def test_every_endpoint_refuses_bad_characters_before_any_write(api, generated_event, django_user_model):
    """The parser is the single place: every view, as staff, answers a body full of unstorable
    text with a JSON 4xx (400 naming fields when it reads the body), never a 5xx."""
    seen = 0
    for route, view in _api_routes():
        path = "/" + route.replace("<str:event_id>", generated_event.event_id).replace("<str:", "x").replace(">", "")
        for method in ("post", "put", "patch"):
            if not hasattr(view, method):
                continue
            seen += 1
            r = post_raw(api, path, '{"name": "a\\u0000", "tickets": ["\\ud800"], "scans": []}', method.upper())
            assert 400 <= r.status_code < 500, (route, method, r.status_code, r.content[:300])
            assert r["Content-Type"].startswith("application/json"), (route, method)
            if r.status_code == 400:
                assert r.json()["error"]["fields"], (route, method, r.content)
    assert seen >= 15


# --------------------------------------------------------------------------- against granian

def test_scan_over_http_through_granian(app_server, transactional_db):
    from events.models import Event
    from tests.conftest import make_event
    from tickets.services import generate_tickets

    event = make_event()
    generate_tickets(event_id=event.event_id)
    sell(event, "A-1")
    _, token = make_device(event)
    code = code_for(event, "A-1")
    headers = {"Content-Type": "application/json", "Authorization": f"Device {token}"}
    with httpx.Client(base_url=app_server, headers=headers, timeout=30) as http:
        for bad in (code + NUL, NUL, code + LONE_HIGH, LONE_LOW + code):
            r = http.post("/api/v1/scan", content=scan_body(bad).encode())
            assert r.status_code == 400, (bad, r.status_code, r.text[:300])
            assert r.json()["error"]["fields"].keys() == {"code"}
        items = [json.dumps({"code": code, "direction": "in", "scan_id": str(uuid.uuid4()),
                             "scanned_at": "2030-01-01T20:00:00+00:00"}) for _ in range(3)]
        items[1] = items[1].replace(code, code + LONE_HIGH)
        r = http.post("/api/v1/scan/sync", content=('{"scans": [' + ",".join(items) + "]}").encode())
        assert r.status_code == 400 and r.json()["error"]["fields"].keys() == {"scans[1].code"}, r.text[:300]
        assert Scan.objects.count() == 0
        r = http.post("/api/v1/scan", content=scan_body(code).encode())
        assert r.status_code == 200 and r.json()["result"] == "accepted", r.text
    assert Event.objects.count() == 1


# --------------------------------------------------------------------------- item 5: JSON under /api/

def is_json_error(response, status, code):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), (response["Content-Type"], response.content[:300])
    return assert_error(response, status, code)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", ["/api/nope", "/api/v1/nope/deeper", "/api/v2/scan", "/api", "/api/"])
def test_unknown_api_paths_are_a_json_404_for_any_method(staff_user, method, path):
    """A session user (the dashboard's) with CSRF enforced, as a browser would be: Django's
    CSRF middleware must not answer first with its HTML 403 page."""
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff_user)
    is_json_error(client.generic(method, path, b'{"a": 1}', content_type="application/json"), 404, "not_found")
    anonymous = APIClient(enforce_csrf_checks=True)
    is_json_error(anonymous.generic(method, path, b"x=1", content_type="application/x-www-form-urlencoded"),
                  404, "not_found")


def test_head_of_an_unknown_api_path_is_404(anon):
    assert anon.head("/api/nope").status_code == 404


@pytest.mark.parametrize("header", ["Device stale-token", "Token stale-token", "Bearer x", "Basic eDp5", "Device"])
def test_docs_and_schema_need_no_credentials_and_ignore_auth_headers(anon, header):
    r = anon.get("/api/docs/", HTTP_AUTHORIZATION=header)
    assert r.status_code == 200 and r["Content-Type"].startswith("text/html"), (r.status_code, r.content[:200])
    r = anon.get("/api/schema/", HTTP_AUTHORIZATION=header, HTTP_ACCEPT="application/json")
    assert r.status_code == 200 and "/api/v1/scan" in r.json()["paths"], r.content[:200]


def test_docs_ignore_a_revoked_device_token(scanner):
    from devices.services import revoke_device

    device, client = scanner
    revoke_device(device_id=device.device_id)
    assert_error(client.get("/api/v1/devices/me"), 401, "device_revoked")  # the token really is revoked
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/schema/").status_code == 200


def test_the_schema_is_json_unless_yaml_is_asked_for(anon):
    r = anon.get("/api/schema/")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/json") and r.json()["openapi"]
    r = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert r.status_code == 200 and r.content.startswith(b"openapi:"), r.content[:50]


def test_errors_of_the_docs_and_schema_views_are_json(anon):
    is_json_error(anon.post("/api/docs/", {}, format="json"), 405, "method_not_allowed")
    is_json_error(anon.put("/api/schema/", {}, format="json"), 405, "method_not_allowed")


def test_other_drf_and_django_errors_under_api_are_json(api, anon):
    is_json_error(api.delete("/api/v1/events"), 405, "method_not_allowed")
    is_json_error(api.post("/api/v1/events", b"name=x", content_type="text/plain"), 415, "unsupported_media_type")
    is_json_error(api.get("/api/v1/events", HTTP_ACCEPT="text/html"), 406, "not_acceptable")
    is_json_error(anon.get("/api/v1/events"), 401, "not_authenticated")
    # Refused by Django before any view: a Host header not in ALLOWED_HOSTS.
    is_json_error(anon.get("/api/v1/events", HTTP_HOST="evil.example"), 400, "bad_request")
    # Outside /api/ Django's own pages stay.
    r = anon.get("/nope")
    assert r.status_code == 404 and r["Content-Type"].startswith("text/html")


def test_api_errors_are_json_over_http_through_granian(app_server, transactional_db):
    with httpx.Client(base_url=app_server, timeout=30) as http:
        http.cookies.set("sessionid", "stale-session")
        r = http.post("/api/nope", content=b'{"a": 1}', headers={"Content-Type": "application/json"})
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", r.text[:300]
        r = http.get("/api/docs/", headers={"Authorization": "Device stale-token"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), r.text[:300]
        r = http.post("/api/docs/", headers={"Authorization": "Device stale-token"})
        assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed", r.text[:300]
