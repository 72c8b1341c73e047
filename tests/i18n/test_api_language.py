"""API answers in the request's language (API.md "Languages"): error `message`s follow
Accept-Language (or the switch's cookie); codes, field names and reason codes never change; the
scan answer carries no texts at all, so it is the same in every language (docs/adr/0029)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Callable

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from access.services import create_credential, credential_code
from tests.conftest import code_for, device_client, make_device, sell
from tests.i18n.completeness import english_left, json_texts

pytestmark = pytest.mark.django_db


def in_both(send: Callable[[dict], object]):
    """The same request in Spanish and in English: (spanish_response, english_response)."""
    return send({"HTTP_ACCEPT_LANGUAGE": "es-ES,es;q=0.9"}), send({"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"})


def assert_translated(es, en, *, status: int, code: str, catalogue):
    assert es.status_code == en.status_code == status, (es.content, en.content)
    body_es, body_en = es.json()["error"], en.json()["error"]
    assert body_es["code"] == body_en["code"] == code
    assert set(body_es) == set(body_en) and set(body_es["fields"]) == set(body_en["fields"])
    assert es["Content-Language"] == "es" and en["Content-Language"] == "en"
    report = english_left(f"{code} ({status})", json_texts(es.json()), json_texts(en.json()), catalogue=catalogue)
    assert not report, str(report)
    assert body_es["message"] != body_en["message"]
    return body_es, body_en


# ------------------------------------------------------------------ every domain error, through the API

@dataclass(frozen=True)
class ErrorCase:
    code: str
    status: int
    send: Callable  # (api, event_id, headers) -> response; the world set up by `setup`
    setup: Callable = lambda api, event: None
    pending: str | None = None  # the work left, for a message written outside this branch's files


def _generate(api, event, headers):
    return api.post(f"/api/v1/events/{event.event_id}/tickets/generate", format="json", **headers)


def _generated(api, event):
    assert _generate(api, event, {}).status_code == 201


def _sold_one(api, event):
    _generated(api, event)
    return sell(event, "A-1")


def _hold_released(api, event):
    _generated(api, event)
    r = api.post(f"/api/v1/events/{event.event_id}/holds", {"tickets": [_ticket_id(event, "B-1")]}, format="json")
    assert r.status_code == 201, r.content
    hold_id = r.json()["hold_id"]
    assert api.delete(f"/api/v1/holds/{hold_id}").status_code == 204
    return hold_id


def _held_ticket(api, event):
    _generated(api, event)
    ticket_id = _ticket_id(event, "B-2")
    assert api.post(f"/api/v1/events/{event.event_id}/holds", {"tickets": [ticket_id]}, format="json").status_code == 201
    return ticket_id


def _ticket_id(event, seat):
    from tickets.models import Ticket

    return Ticket.objects.filter(event=event, seat_id=seat).values_list("ticket_id", flat=True).get()


ERROR_CASES = [
    ErrorCase("setup_inactive", 409, _generate, setup=lambda api, event: event.__class__.objects.filter(
        pk=event.pk).update(setup_status=False)),
    ErrorCase("already_generated", 409, _generate, setup=_generated),
    ErrorCase("zones_locked", 409, lambda api, event, h: api.put(
        f"/api/v1/events/{event.event_id}/setup/zones",
        {"status": True, "zones": [{"zone_id": "A", "name": "Pista", "color": "#C0392B", "seats": 5}]}, format="json", **h),
        setup=_generated),
    ErrorCase("seats_unavailable", 409, lambda api, event, h: api.post(
        f"/api/v1/events/{event.event_id}/holds", {"tickets": [_ticket_id(event, "A-1")]}, format="json", **h),
        setup=_sold_one),
    ErrorCase("hold_expired", 409, lambda api, event, h: api.post(
        f"/api/v1/holds/{api.hold_id}/checkout", {"buyer": {"name": "Ana"}}, format="json", **h),
        setup=lambda api, event: setattr(api, "hold_id", _hold_released(api, event))),
    ErrorCase("ticket_locked", 409, lambda api, event, h: api.patch(
        f"/api/v1/events/{event.event_id}/tickets/{api.held}", {"status": False}, format="json", **h),
        setup=lambda api, event: setattr(api, "held", _held_ticket(api, event))),
    ErrorCase("irreversible", 409, lambda api, event, h: api.patch(
        f"/api/v1/events/{event.event_id}/tickets/{_ticket_id(event, 'A-1')}", {"access_status": True}, format="json", **h),
        setup=_generated),
    ErrorCase("not_found", 404, lambda api, event, h: api.get("/api/v1/events/no-such-event", **h)),
    ErrorCase("not_found", 404, lambda api, event, h: api.patch(
        f"/api/v1/events/{event.event_id}/tickets/{event.event_id}-nope", {"seat_row": "3"}, format="json", **h),
        setup=_generated),
    ErrorCase("invalid", 400, lambda api, event, h: api.post("/api/v1/events", {"name": ""}, format="json", **h)),
    ErrorCase("invalid", 400, lambda api, event, h: api.post(
        "/api/v1/events", {"name": "Gala", "date_start": "2031-01-02T20:00:00+01:00",
                           "date_end": "2031-01-01T20:00:00+01:00"}, format="json", **h)),
    # Messages of the services and views beyond the contract's own codes (issue 16 item 4).
    ErrorCase("invalid", 400, lambda api, event, h: api.post(
        "/api/v1/events", {"name": "Gala", "date_start": "2031-01-01T20:00:00+01:00",
                           "date_end": "2031-01-02T20:00:00+01:00", "timezone": "Mars/Olympus"}, format="json", **h)),
    ErrorCase("invalid", 400, lambda api, event, h: api.post(
        f"/api/v1/events/{event.event_id}/holds", {"tickets": ["x", "x"]}, format="json", **h)),
    ErrorCase("invalid", 400, lambda api, event, h: api.get(f"/api/v1/events/{event.event_id}/tickets?state=gone", **h)),
    ErrorCase("invalid", 400, lambda api, event, h: api.post(
        "/api/v1/devices", {"name": "Puerta 9", "event_id": event.event_id, "checkpoint_id": "cpnope"},
        format="json", **h)),
    ErrorCase("not_found", 404, lambda api, event, h: api.delete("/api/v1/holds/no-such-hold", **h)),
    ErrorCase("not_found", 404, lambda api, event, h: api.post("/api/v1/alerts/987654321/acknowledge", **h)),
    ErrorCase("not_found", 404, lambda api, event, h: api.post("/api/v1/devices/dvnope/revoke", **h)),
    ErrorCase("not_found", 404, lambda api, event, h: api.post("/api/v1/credentials/crnope/revoke", **h)),
    ErrorCase("invalid", 400, lambda api, event, h: api.post(
        f"/api/v1/events/{event.event_id}/credentials", {"name": "Seguridad", "kind": "staff", "zones": ["Z"]},
        format="json", **h)),
    ErrorCase("invalid", 400, lambda api, event, h: api.client_of_device.post(
        "/api/v1/scan", {"code": "", "direction": "sideways", "scan_id": "nope"}, format="json", **h),
        setup=lambda api, event: setattr(api, "client_of_device", device_client(make_device(event)[1]))),
    ErrorCase("parse_error", 400, lambda api, event, h: api.generic(
        "POST", "/api/v1/events", "{not json", content_type="application/json", **h)),
    ErrorCase("method_not_allowed", 405, lambda api, event, h: api.delete("/api/v1/events", **h)),
    ErrorCase("unsupported_media_type", 415, lambda api, event, h: api.generic(
        "POST", "/api/v1/events", "name=x", content_type="text/plain", **h)),
    ErrorCase("not_authenticated", 401, lambda api, event, h: Client().get("/api/v1/events", **h)),
    ErrorCase("not_found", 404, lambda api, event, h: api.get("/api/v1/no-such-endpoint", **h)),
]


def _case_id(case: ErrorCase) -> str:
    return f"{case.code}-{ERROR_CASES.index(case)}"


@pytest.mark.parametrize("case", [
    pytest.param(c, marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=c.pending)) if c.pending else c
    for c in ERROR_CASES], ids=_case_id)
def test_every_error_speaks_the_request_language_and_keeps_its_code(case, api, event, catalogue):
    case.setup(api, event)
    es, en = in_both(lambda headers: case.send(api, event, headers))
    assert_translated(es, en, status=case.status, code=case.code, catalogue=catalogue)


def test_seats_unavailable_keeps_its_ticket_list_in_every_language(api, event, catalogue):
    _sold_one(api, event)
    ticket = _ticket_id(event, "A-1")
    es, en = in_both(lambda h: api.post(f"/api/v1/events/{event.event_id}/holds", {"tickets": [ticket]},
                                        format="json", **h))
    body_es, body_en = assert_translated(es, en, status=409, code="seats_unavailable", catalogue=catalogue)
    assert body_es["tickets"] == body_en["tickets"] == [ticket]
    assert body_es["message"] == "Algunas de las entradas pedidas no están disponibles."


def test_validation_fields_keep_their_names_and_explain_in_spanish(api, catalogue):
    es, en = in_both(lambda h: api.post("/api/v1/events", {}, format="json", **h))
    body_es, body_en = assert_translated(es, en, status=400, code="invalid", catalogue=catalogue)
    assert set(body_es["fields"]) == set(body_en["fields"]) >= {"name", "date_start", "date_end"}
    assert body_es["message"].startswith("Datos no válidos: ") and body_en["message"].startswith("Invalid input: ")
    assert body_es["fields"]["name"] == ["Este campo es requerido."]  # DRF's own Spanish


def test_every_domain_error_class_has_a_translated_default(catalogue):
    """Each error class of core/errors.py, new ones included, says its default in Spanish."""
    import core.errors as errors

    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.DomainError)]
    assert len(classes) >= 10
    left = []
    for cls in classes:
        with translation.override("en"):
            english = str(cls.default_message)
        with translation.override("es"):
            spanish = str(cls.default_message)
        if spanish == english or english in catalogue.untranslated:
            left.append(f"{cls.__name__} ({cls.code}): {english!r}")
    assert not left, "domain errors without Spanish:\n" + "\n".join(left)


# ------------------------------------------------------------------ choosing the language

def test_the_language_comes_from_accept_language_then_the_default(client):
    for header, expected in [("es", "es"), ("es-MX,es;q=0.9", "es"), ("en-US", "en"), ("fr-FR,fr;q=0.9", "en"),
                             ("de, es;q=0.5", "es"), ("", settings.LANGUAGE_CODE), ("*", settings.LANGUAGE_CODE),
                             ("x" * 2000, settings.LANGUAGE_CODE)]:
        r = client.get("/api/v1/no-such-endpoint", HTTP_ACCEPT_LANGUAGE=header)
        assert r["Content-Language"] == expected, header
        assert "Accept-Language" in r["Vary"]


def test_the_switch_sets_a_cookie_that_beats_accept_language(client):
    r = client.post("/i18n/setlang/", {"language": "es", "next": "/admin/login/"}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 302 and r["Location"] == "/admin/login/"
    cookie = r.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "es" and int(cookie["max-age"]) >= 30 * 24 * 3600
    page = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "es" and "Nombre de usuario" in page.content.decode()
    api = client.get("/api/v1/no-such-endpoint", HTTP_ACCEPT_LANGUAGE="en")
    assert api.json()["error"]["message"] == "Esa dirección no existe en la API."
    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/login/"})
    assert client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="es")["Content-Language"] == "en"


def test_the_switch_refuses_other_sites_and_unknown_languages(client):
    r = client.post("/i18n/setlang/", {"language": "es", "next": "https://evil.example/"})
    assert r.status_code == 302 and r["Location"] == "/"
    r = client.post("/i18n/setlang/", {"language": "xx", "next": "/admin/login/"})
    assert settings.LANGUAGE_COOKIE_NAME not in r.cookies
    assert Client(enforce_csrf_checks=True).post("/i18n/setlang/", {"language": "es"}).status_code == 403


def test_a_bogus_language_cookie_falls_back_to_accept_language(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "klingon"
    assert client.get("/api/v1/no-such-endpoint", HTTP_ACCEPT_LANGUAGE="es")["Content-Language"] == "es"


# ------------------------------------------------------------------ the door

def test_scan_answers_carry_no_texts_and_are_the_same_in_every_language(generated_event):
    """API.md: a scan answer is codes and data (ticket fields, first entry), no sentences: the
    scanner app words them (static/scanner/words.js). The same scan in Spanish and English gets
    the same answer, on the fast path and on the ordinary one (credentials)."""
    device, token = make_device(generated_event)
    client = device_client(token)
    sell(generated_event, "A-1")
    code = code_for(generated_event, "A-1")

    def scan(headers, code=code):
        r = client.post("/api/v1/scan", {"code": code, "direction": "in", "scan_id": str(uuid.uuid4())},
                        format="json", **headers)
        assert r.status_code == 200, r.content
        body = r.json()
        body.pop("scan_id")
        return body

    first = scan({"HTTP_ACCEPT_LANGUAGE": "es"})
    assert first["result"] == "accepted" and first["reason"] is None
    es, en = in_both(scan)
    assert es == en and es["reason"] == "already_inside" and "first_entry" in es
    forged = code[:-4] + ("AAAA" if not code.endswith("AAAA") else "BBBB")
    es, en = in_both(lambda h: scan(h, code=forged))
    assert es == en and es["reason"] == "invalid_signature"
    staff = create_credential(event_id=generated_event.event_id, name="Seguridad", kind="staff")
    es, en = in_both(lambda h: scan(h, code=credential_code(staff)))
    assert es["result"] == "accepted" and es["credential"] == en["credential"]
    es, en = in_both(lambda h: scan(h, code=credential_code(staff)))
    assert es == en and es["reason"] == "already_inside"


def test_the_scan_endpoints_errors_follow_the_language(generated_event, catalogue):
    """A malformed scan falls back from the fast path to DRF: its 400 is in the request's language."""
    _, token = make_device(generated_event)
    client = device_client(token)
    es, en = in_both(lambda h: client.post("/api/v1/scan", {"code": "x", "direction": "sideways",
                                                           "scan_id": str(uuid.uuid4())}, format="json", **h))
    assert es.status_code == en.status_code == 400
    assert es.json()["error"]["code"] == en.json()["error"]["code"] == "invalid"
    assert es.json()["error"]["message"].startswith("Datos no válidos: direction: ")
    es, en = in_both(lambda h: Client().post("/api/v1/scan", {}, content_type="application/json", **h))
    assert_translated(es, en, status=401, code="not_authenticated", catalogue=catalogue)


def test_scan_fast_path_still_answers_in_one_round_trip_in_spanish(generated_event, django_assert_num_queries):
    """The language costs the door no query (tests/access/test_scan_api.py pins the round trip)."""
    _, token = make_device(generated_event)
    client = device_client(token)
    sell(generated_event, "B-1")
    code = code_for(generated_event, "B-1")
    client.post("/api/v1/scan", {"code": code, "direction": "in", "scan_id": str(uuid.uuid4())}, format="json")
    with django_assert_num_queries(1):
        r = client.post("/api/v1/scan", {"code": code, "direction": "out", "scan_id": str(uuid.uuid4())},
                        format="json", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    assert r.status_code == 200 and r.json()["result"] == "accepted"
