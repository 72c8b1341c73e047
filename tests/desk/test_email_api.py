"""POST /api/v1/events/{event_id}/emails: a buyer's sold tickets by email (the sales desk's
hand-over, docs/adr/0032). Django's locmem outbox holds what was sent; the SMTP path is proven
against a real SMTP server (tests/desk/smtp_sink.py), and a dead one answers 503."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from django.core import mail
from django.test import override_settings
from pypdf import PdfReader

from events.models import Event
from tests.conftest import device_client, make_device, make_event, sell
from tests.desk.smtp_sink import SMTPSink
from tests.events.test_api import assert_error
from tests.servers import free_port
from tickets.models import Ticket
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db
SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def sold_event(db):
    event = make_event(name="Gala")
    Event.objects.filter(pk=event.pk).update(timezone="Europe/Madrid", language="es",
                                             date_start=datetime(2026, 12, 5, 20, 30, tzinfo=timezone.utc),
                                             date_end=datetime(2026, 12, 6, 0, 30, tzinfo=timezone.utc))
    generate_tickets(event_id=event.event_id)
    event.sold = sell(event, "A-1", "A-2")
    return event


def url(event) -> str:
    return f"/api/v1/events/{event.event_id}/emails"


def pdf_text(data: bytes) -> str:
    import io

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_buyer_gets_one_email_with_the_tickets_in_the_events_language(api, sold_event):
    r = api.post(url(sold_event), {"to": "ada@example.com", "tickets": sold_event.sold, "name": "Ada"}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["to"] == "ada@example.com" and body["tickets"] == sold_event.sold and body["event_id"] == sold_event.event_id
    assert body["sent_at"]
    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    assert message.subject == "Tus entradas: Gala"  # the event's language, whoever asks
    tickets = {t.seat_id: t for t in Ticket.objects.filter(event=sold_event, seat_id__in=["A-1", "A-2"])}
    assert message.body.startswith("Hola, Ada:\n")
    assert "Gala" in message.body and "2026-12-05 21:30 (UTC+01:00)" in message.body  # Madrid's clock
    for seat in ("A-1", "A-2"):
        assert f"Ringside · asiento {tickets[seat].seat_number} · fila por asignar · referencia {tickets[seat].reference}" \
            in message.body
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == (f"tickets-{sold_event.event_id}.pdf", "application/pdf")
    text = pdf_text(content)
    assert all(t.reference in text for t in tickets.values()) and "ASIENTO" in text


def test_the_language_can_be_chosen(api, sold_event):
    r = api.post(url(sold_event), {"to": "ada@example.com", "tickets": sold_event.sold[:1], "language": "en"},
                 format="json")
    assert r.status_code == 200, r.content
    [message] = mail.outbox
    assert message.subject == "Your tickets: Gala" and message.body.startswith("Hello,\n")
    assert "SEAT" in pdf_text(message.attachments[0][1])


def test_an_event_name_with_a_line_break_still_makes_a_one_line_subject(api, sold_event):
    Event.objects.filter(pk=sold_event.pk).update(name="Gala\r\nBcc: everyone@example.com")
    r = api.post(url(sold_event), {"to": "ada@example.com", "tickets": sold_event.sold}, format="json")
    assert r.status_code == 200, r.content
    assert mail.outbox[0].subject == "Tus entradas: Gala Bcc: everyone@example.com"
    assert mail.outbox[0].recipients() == ["ada@example.com"]


def test_unsold_tickets_are_refused_and_nothing_is_sent(api, sold_event):
    free = Ticket.objects.get(event=sold_event, seat_id="B-1").ticket_id
    body = assert_error(api.post(url(sold_event), {"to": "ada@example.com", "tickets": [*sold_event.sold, free]},
                                 format="json"), 409, "not_sold")
    assert body["error"]["tickets"] == [free]
    assert mail.outbox == []


def test_other_events_tickets_and_unknown_events_are_404(api, sold_event):
    other = make_event(name="Other")
    generate_tickets(event_id=other.event_id)
    foreign = sell(other, "A-1")
    body = assert_error(api.post(url(sold_event), {"to": "ada@example.com", "tickets": [*sold_event.sold, *foreign]},
                                 format="json"), 404, "unknown_tickets")
    assert body["error"]["tickets"] == foreign
    assert_error(api.post("/api/v1/events/nope/emails", {"to": "ada@example.com", "tickets": foreign}, format="json"),
                 404, "not_found")
    assert mail.outbox == []


@pytest.mark.parametrize("payload,field", [
    ({"to": "not-an-address", "tickets": ["x"]}, "to"),
    ({"to": 12, "tickets": ["x"]}, "to"),
    ({"to": "a@b.example\r\nBcc: x@y.example", "tickets": ["x"]}, "to"),
    ({"tickets": ["x"]}, "to"),
    ({"to": "ada@example.com", "tickets": []}, "tickets"),
    ({"to": "ada@example.com", "tickets": "x"}, "tickets"),
    ({"to": "ada@example.com", "tickets": [1]}, "tickets"),
    ({"to": "ada@example.com", "tickets": ["x", "x"]}, "tickets"),
    ({"to": "ada@example.com", "tickets": [f"t{i}" for i in range(51)]}, "tickets"),
    ({"to": "ada@example.com", "tickets": ["x"], "language": "fr"}, "language"),
    ({"to": "ada@example.com", "tickets": ["x"], "name": "n" * 121}, "name"),
    ({"to": "ada@example.com", "tickets": ["x"], "name": "a\x00b"}, "name"),
])
def test_bad_input_is_400_and_sends_nothing(api, sold_event, payload, field):
    body = assert_error(api.post(url(sold_event), payload, format="json"), 400, "invalid")
    assert field in body["error"]["fields"], body
    assert mail.outbox == []


def test_not_json_objects_are_400(api, sold_event):
    for raw in ("[1, 2]", "\"text\"", "{", "null"):
        r = api.post(url(sold_event), raw, content_type="application/json")
        assert r.status_code == 400 and r.json()["error"]["code"] in ("invalid", "parse_error"), r.content


def test_staff_only(anon, sold_event, django_user_model):
    payload = {"to": "ada@example.com", "tickets": sold_event.sold}
    assert_error(anon.post(url(sold_event), payload, format="json"), 401, "not_authenticated")
    _, token = make_device(sold_event)
    assert device_client(token).post(url(sold_event), payload, format="json").status_code in (401, 403)
    assert mail.outbox == []


def test_a_real_smtp_server_gets_the_message(api, sold_event):
    with SMTPSink() as sink, override_settings(EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=sink.port,
                                               DEFAULT_FROM_EMAIL="Box office <tickets@arena.test>"):
        r = api.post(url(sold_event), {"to": "ada@example.com", "tickets": sold_event.sold}, format="json")
        assert r.status_code == 200, r.content
        [(sender, recipients, message)] = sink.wait_for(1)
    assert "tickets@arena.test" in sender and recipients == ["ada@example.com"]
    assert message["Subject"] == "Tus entradas: Gala" and message["To"] == "ada@example.com"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"tickets-{sold_event.event_id}.pdf"


def test_a_dead_mail_server_is_503_mail_unavailable(api, sold_event):
    with override_settings(EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=free_port(), EMAIL_TIMEOUT=2):
        body = assert_error(api.post(url(sold_event), {"to": "ada@example.com", "tickets": sold_event.sold},
                                     format="json"), 503, "mail_unavailable")
    assert "PDF" in body["error"]["message"]


def test_the_schema_documents_the_endpoint_and_the_seats_state(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/events/{event_id}/emails"]["post"]
    assert set(operation["responses"]) >= {"200", "400", "404", "409", "503"}
    body = schema["components"]["schemas"][
        operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert set(body["required"]) == {"to", "tickets"} and {"name", "language"} <= set(body["properties"])
    seat = schema["components"]["schemas"]["Seat"]["properties"]
    assert "state" in seat
