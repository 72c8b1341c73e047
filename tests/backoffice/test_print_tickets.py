"""GET /api/v1/events/{event_id}/tickets.pdf, read back: every QR code decodes to a code that
verifies for its ticket, and the ticket's reference, seat, row, zone and the event's local time
(with offset) are on the paper in the event's language; A4 sheets of eight and 80 mm thermal
pages; a zone or a list prints exactly those tickets; the contract's errors and permissions."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.localtime import format_local
from events import services as event_services
from events.codes import KIND_TICKET, verify
from tests.backoffice.test_print_readback import (
    body,
    page_codes,
    page_sizes_mm,
    page_texts,
    ticket_blocks,
)
from tests.conftest import device_client, make_device, make_event
from tickets.models import Ticket
from tickets.services import generate_tickets

SPANISH = ("Fecha y hora", "Lugar", "Zona", "Asiento", "Fila", "Referencia", "Válida para una persona",
           "Si el código no se lee, dé esta referencia en la puerta")
ENGLISH = ("Date and time", "Venue", "Zone", "Seat", "Row", "Reference", "Admits one person",
           "If the code does not scan, give this reference at the door")
ZONES = [
    event_services.ZoneSpec(zone_id="A", name="Pista Central", color="#C0392B", seats=5, reentry=False),
    event_services.ZoneSpec(zone_id="B", name="Grada Norte", color="#27AE60", seats=10, reentry=True),
]


def printed_event(*, language="es", tz="Europe/Madrid", zones=ZONES, name="Concierto de Año Nuevo",
                  start=datetime(2026, 12, 31, 21, 30)):
    """An event whose start is 21:30 on its own clock, with its tickets generated."""
    local_start = start.replace(tzinfo=ZoneInfo(tz))
    event = event_services.create_event(name=name, venue="Palacio de los Deportes", date_start=local_start,
                                        date_end=local_start + timedelta(hours=4), timezone=tz, language=language)
    event_services.setup_zones(event_id=event.event_id, status=True, zones=list(zones))
    generate_tickets(event_id=event.event_id)
    event.refresh_from_db()
    return event


def get_pdf(api, event, HTTP_ACCEPT_LANGUAGE=None, **params):
    headers = {"HTTP_ACCEPT_LANGUAGE": HTTP_ACCEPT_LANGUAGE} if HTTP_ACCEPT_LANGUAGE else {}
    r = api.get(f"/api/v1/events/{event.event_id}/tickets.pdf", params, **headers)
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    assert r["Cache-Control"] == "no-store"
    assert r.streaming  # sent as its pages are made (backoffice/printing/pdf_stream.py)
    return body(r)


def assert_error(response, status, code):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"]["code"] == code, body
    return body["error"]


def decoded_tickets(data: bytes, event) -> list[list[Ticket]]:
    """Per page, the tickets whose QR codes are printed there, in reading order; each code must
    verify (signature, key) as a ticket code of this event."""
    by_id = {t.ticket_id: t for t in Ticket.objects.filter(event=event)}
    pages = []
    for codes in page_codes(data):
        tickets = []
        for code in codes:
            verified = verify(code.text)
            assert verified.kind == KIND_TICKET and verified.event_id == event.event_id, code.text
            tickets.append(by_id[verified.object_id])
        pages.append(tickets)
    return pages


def assert_ticket_text(block: str, ticket: Ticket, event, words: tuple[str, ...], row: str) -> None:
    assert ticket.reference in block.splitlines()[-1] or ticket.reference in block
    assert ticket.zone in block
    assert str(ticket.seat_number) in block.split()
    assert row in block
    assert format_local(event.date_start, event.timezone) in block
    flat = " ".join(block.split())  # wrapped lines joined
    for word in words:
        assert word.upper() in flat or word in flat, (word, block)


@pytest.mark.django_db
def test_a4_sheets_every_code_verifies_for_its_ticket_and_the_text_is_spanish(api):
    event = printed_event()
    data = get_pdf(api, event)  # layout a4 by default
    assert format_local(event.date_start, event.timezone) == "2026-12-31 21:30 (UTC+01:00)"
    sizes = page_sizes_mm(data)
    assert len(sizes) == 2 and all(abs(w - 210) < 0.5 and abs(h - 297) < 0.5 for w, h in sizes)
    pages, texts = decoded_tickets(data, event), page_texts(data)
    printed = [t for page in pages for t in page]
    all_tickets = list(Ticket.objects.filter(event=event))
    assert sorted(t.ticket_id for t in printed) == sorted(t.ticket_id for t in all_tickets)  # each exactly once
    assert [len(p) for p in pages] == [8, 7]
    # Zone by zone, seat by seat, and each code sits with its own ticket's words.
    assert [(t.zone_id, t.seat_number) for t in printed] == [("A", n) for n in range(1, 6)] + [
        ("B", n) for n in range(1, 11)]
    for tickets, text in zip(pages, texts):
        blocks = ticket_blocks(text)
        assert len(blocks) == len(tickets)
        for ticket, block in zip(tickets, blocks):
            assert_ticket_text(block, ticket, event, SPANISH, row="por asignar")
            assert ("Puede salir y volver a entrar" if ticket.zone_id == "B" else "Si sale, no podrá volver a entrar") \
                in block
    assert not any(word in texts[0] for word in ("Seat", "Admits one person", "to be assigned"))


@pytest.mark.django_db
def test_thermal_pages_are_80_mm_wide_one_ticket_each_in_english(api):
    event = printed_event(language="en", tz="America/New_York", start=datetime(2026, 7, 4, 20, 0),
                          name="Independence Day Concert")
    Ticket.objects.filter(event=event, seat_id="B-3").update(seat_row="Row 7")
    data = get_pdf(api, event, layout="thermal")
    sizes = page_sizes_mm(data)
    assert len(sizes) == 15
    assert all(abs(w - 80) < 0.01 for w, _ in sizes), sizes
    assert all(100 < h < 250 for _, h in sizes)
    assert format_local(event.date_start, event.timezone) == "2026-07-04 20:00 (UTC-04:00)"
    texts = page_texts(data)
    for tickets, text in zip(decoded_tickets(data, event), texts):
        assert len(tickets) == 1
        ticket = tickets[0]
        assert_ticket_text(text, ticket, event, ENGLISH, row="Row 7" if ticket.seat_id == "B-3" else "to be assigned")
        assert "Asiento" not in text and "por asignar" not in text


@pytest.mark.django_db
def test_prints_follow_the_event_unless_the_request_chooses(api):
    """The attendees read the tickets: a Spanish event prints Spanish whatever the language of
    the browser that asks for it; `?language=` is the one way to choose another."""
    event = printed_event()  # Spanish
    spanish = " ".join(page_texts(get_pdf(api, event, zone="A", HTTP_ACCEPT_LANGUAGE="en")))
    assert "ASIENTO" in spanish and "SEAT" not in spanish
    english = " ".join(page_texts(get_pdf(api, event, zone="A", language="en")))
    assert "SEAT" in english and "to be assigned" in english and "ASIENTO" not in english
    error = assert_error(api.get(f"/api/v1/events/{event.event_id}/tickets.pdf", {"language": "fr"}), 400, "invalid")
    assert "language" in error["fields"]


@pytest.mark.django_db
def test_a_zone_prints_exactly_that_zones_tickets(api):
    event = printed_event(zones=[*ZONES, event_services.ZoneSpec(zone_id="C", name="Palco", color="#FFFFFF",
                                                                   seats=30)])
    data = get_pdf(api, event, zone="C")
    printed = [t.ticket_id for page in decoded_tickets(data, event) for t in page]
    expected = list(Ticket.objects.filter(event=event, zone_id="C").order_by("seat_number")
                    .values_list("ticket_id", flat=True))
    assert printed == expected and len(printed) == 30
    assert "Pista Central" not in "".join(page_texts(data))


@pytest.mark.django_db
def test_listed_tickets_print_alone_in_print_order(api):
    event = printed_event()
    chosen = list(Ticket.objects.filter(event=event, seat_id__in=["B-7", "A-2", "B-1"]))
    a2, b1, b7 = (next(t for t in chosen if t.seat_id == s) for s in ("A-2", "B-1", "B-7"))
    listed = f"{b7.ticket_id},{a2.ticket_id},{b1.ticket_id},{a2.ticket_id}"  # any order, a repeat
    data = get_pdf(api, event, tickets=listed, layout="thermal")
    printed = [t.seat_id for page in decoded_tickets(data, event) for t in page]
    assert printed == ["A-2", "B-1", "B-7"]


@pytest.mark.django_db
def test_a_renamed_zone_prints_its_new_name_and_colour(api):
    event = printed_event()
    event_services.update_zone(event_id=event.event_id, zone_id="A", name="Ringside VIP", color="#112233",
                               reentry=True, price=None)
    text = "".join(page_texts(get_pdf(api, event, zone="A")))
    assert "Ringside VIP" in text and "Pista Central" not in text and "Puede salir y volver a entrar" in text


@pytest.mark.django_db
def test_long_and_unusual_texts_still_print(api):
    event = printed_event(name="Gran Gala Benéfica «¡Sí, se puede!» — edición especial del vigésimo aniversario "
                               "con orquesta sinfónica, coro y artistas invitados (entrada general) 😀 中文",
                          zones=[event_services.ZoneSpec(zone_id="Z", name=("Zona (VIP) \\ con barra y paréntesis " * 3)[:100],
                                                         color="#000000", seats=2)])
    Ticket.objects.filter(event=event, seat_number=1).update(seat_row="Fila (14) \\ ñ")  # escaped, WinAnsi
    Ticket.objects.filter(event=event, seat_number=2).update(seat_row="Rząd 7 Łódź")  # beyond WinAnsi
    for layout in ("a4", "thermal"):
        data = get_pdf(api, event, layout=layout)
        assert len([t for page in decoded_tickets(data, event) for t in page]) == 2
        text = " ".join(page_texts(data))
        assert "Gran Gala" in text and "Fila (14) \\ ñ" in text and "Rz" in text


# --------------------------------------------------------------------------- errors

@pytest.mark.django_db
def test_errors_follow_the_contract(api):
    event = printed_event()
    other = printed_event(name="Otro evento")
    base = f"/api/v1/events/{event.event_id}/tickets.pdf"
    assert_error(api.get("/api/v1/events/nope/tickets.pdf"), 404, "not_found")
    error = assert_error(api.get(base, {"layout": "a5"}), 400, "invalid")
    assert "layout" in error["fields"]
    error = assert_error(api.get(base, {"zone": "Q"}), 400, "invalid")
    assert "zone" in error["fields"]
    foreign = list(Ticket.objects.filter(event=other).values_list("ticket_id", flat=True)[:2])
    mine = Ticket.objects.filter(event=event).first().ticket_id
    error = assert_error(api.get(base, {"tickets": ",".join([mine, *foreign, "no-such-ticket"])}), 404,
                         "unknown_tickets")
    assert error["tickets"] == sorted([*foreign, "no-such-ticket"]) and "tickets" in error["fields"]
    assert_error(api.get(base, {"tickets": " , ,"}), 400, "empty_selection")
    assert_error(api.get(base, {"tickets": mine, "zone": "A"}), 400, "invalid")
    assert_error(api.get(base, {"tickets": ",".join(f"x{i}" for i in range(1001))}), 400, "invalid")
    # Errors are JSON even for a client that only accepts PDF.
    assert_error(api.get(base, {"layout": "a5"}, HTTP_ACCEPT="application/pdf"), 400, "invalid")
    assert api.get(base, HTTP_ACCEPT="application/pdf").status_code == 200


@pytest.mark.django_db
def test_an_event_without_tickets_has_nothing_to_print(api):
    event = make_event()
    assert_error(api.get(f"/api/v1/events/{event.event_id}/tickets.pdf"), 400, "empty_selection")
    assert_error(api.get(f"/api/v1/events/{event.event_id}/tickets.pdf", {"zone": "A"}), 400, "empty_selection")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["tickets.pdf", "badges.pdf", "pairing-sheet.pdf"])
def test_only_staff_print(path, anon, django_user_model):
    event = printed_event()
    url = f"/api/v1/events/{event.event_id}/{path}"
    assert_error(anon.get(url), 401, "not_authenticated")
    _, token = make_device(event)
    assert_error(device_client(token).get(url), 403, "permission_denied")
    user = django_user_model.objects.create_user("fan", password="pw-fan-1234")
    anon.force_authenticate(user)
    assert_error(anon.get(url), 403, "permission_denied")
    assert_error(device_client("not-a-token").get(url), 401, "not_authenticated")


@pytest.mark.django_db
def test_staff_session_prints_from_the_browser(client, staff_user):
    event = printed_event()
    client.force_login(staff_user)
    r = client.get(f"/api/v1/events/{event.event_id}/tickets.pdf?zone=A")
    assert r.status_code == 200 and body(r).startswith(b"%PDF-")
    assert r["Content-Disposition"] == f'inline; filename="tickets-{event.event_id}-zone-A-a4.pdf"'


@pytest.mark.django_db
def test_the_schema_documents_the_printed_outputs(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    for path in ("tickets.pdf", "badges.pdf", "pairing-sheet.pdf"):
        operation = paths[f"/api/v1/events/{{event_id}}/{path}"]["get"]
        assert "application/pdf" in operation["responses"]["200"]["content"]
        assert operation["summary"]

