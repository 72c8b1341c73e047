"""The sales desk's pages: staff session only, the event on its own clock, what the script needs
to start, and never cached."""
from __future__ import annotations

import html
import re
from datetime import datetime, timezone

import pytest
from django.test import Client

from events.models import Event
from tests.conftest import make_device, make_event
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db


@pytest.fixture
def gala(db):
    event = make_event(name="Gala")
    Event.objects.filter(pk=event.pk).update(timezone="Europe/Madrid", currency="EUR",
                                             date_start=datetime(2026, 12, 5, 20, 30, tzinfo=timezone.utc),
                                             date_end=datetime(2026, 12, 5, 23, 0, tzinfo=timezone.utc))
    return Event.objects.get(pk=event.pk)


@pytest.fixture
def clerk(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_user("clerk", password="pw-clerk-1", is_staff=True))
    return client


def test_the_desk_is_for_signed_in_staff_only(gala, django_user_model):
    path = f"/desk/events/{gala.event_id}/"
    for client in (Client(), Client(HTTP_AUTHORIZATION="Token nope")):
        r = client.get(path)
        assert r.status_code == 302 and r["Location"].startswith("/admin/login/?next=/desk/events/")
    _, token = make_device(gala)
    r = Client(HTTP_AUTHORIZATION=f"Device {token}").get(path)
    assert r.status_code == 302 and "/admin/login/" in r["Location"]
    visitor = Client()
    visitor.force_login(django_user_model.objects.create_user("fan", password="pw-fan-1"))
    assert visitor.get(path).status_code == 302
    assert visitor.get("/desk/").status_code == 302


def test_the_page_carries_the_event_on_its_own_clock(clerk, gala):
    generate_tickets(event_id=gala.event_id)
    r = clerk.get(f"/desk/events/{gala.event_id}/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    assert "no-cache" in r["Cache-Control"] or "max-age=0" in r["Cache-Control"]
    page = r.content.decode()
    body = re.search(r"<body ([^>]*)>", page).group(1)
    attrs = {k: html.unescape(v) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', body)}
    assert attrs["event-id"] == gala.event_id and attrs["time-zone"] == "Europe/Madrid"
    assert attrs["currency"] == "EUR" and attrs["hold-seconds"] == "600" and attrs["generated"] == "true"
    assert attrs["ws-path"] == f"/ws/events/{gala.event_id}/sales/" and len(attrs["csrf-token"]) >= 32
    # 20:30 UTC is 21:30 in Madrid in December; the end on the same day shows its time only.
    assert "2026-12-05 21:30 (UTC+01:00) – 00:00" not in page  # 23:00 UTC is the next day in Madrid
    assert "2026-12-05 21:30 (UTC+01:00) – 2026-12-06 00:00" in page
    assert "Europe/Madrid" in page and "not-generated" not in page
    assert 'src="/static/desk/desk.' in page  # the collected, content-hashed module


def test_an_event_without_tickets_says_so(clerk, gala):
    page = clerk.get(f"/desk/events/{gala.event_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="not-generated"' in page and "generate them in the admin" in page
    spanish = clerk.get(f"/desk/events/{gala.event_id}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "genéralas en la administración" in spanish and '<html lang="es">' in spanish


def test_unknown_event_is_404(clerk):
    assert clerk.get("/desk/events/nope/").status_code == 404


def test_the_event_list_links_each_desk(clerk, gala):
    other = make_event(name="Matinée")
    page = clerk.get("/desk/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for event in (gala, other):
        assert f'href="/desk/events/{event.event_id}/"' in page
    assert "2026-12-05 21:30 (UTC+01:00)" in page


def _desk_links(page: str, event_id: str) -> list[str]:
    """The visible words of every link to the event's desk on a page."""
    return [html.unescape(re.sub(r"<[^>]+>", "", text)).strip()
            for text in re.findall(rf'<a [^>]*href="/desk/events/{event_id}/"[^>]*>(.*?)</a>', page, re.S)]


def test_the_admin_event_page_and_the_dashboard_link_the_desk_once_there_are_tickets(gala, django_user_model):
    lead = Client()
    lead.force_login(django_user_model.objects.create_superuser("lead", password="pw-lead-123"))
    admin_page = f"/admin/events/event/{gala.event_id}/change/"
    dashboard = f"/dashboard/events/{gala.event_id}/"
    # No tickets yet: nothing to sell, so no link that would open an empty desk.
    assert _desk_links(lead.get(admin_page).content.decode(), gala.event_id) == []
    assert _desk_links(lead.get(dashboard).content.decode(), gala.event_id) == []
    generate_tickets(event_id=gala.event_id)
    page = lead.get(admin_page).content.decode()
    # At the top next to History, and in step 6 of the set-up guide.
    assert _desk_links(page, gala.event_id) == ["Sales desk", "Sales desk"]
    assert re.search(rf'<ul class="object-tools">.*?href="/desk/events/{gala.event_id}/".*?</ul>', page, re.S)
    assert re.search(rf'id="step-6".*?href="/desk/events/{gala.event_id}/"', page, re.S)
    assert _desk_links(lead.get(dashboard).content.decode(), gala.event_id) == ["Sales desk"]
    # In Spanish too, and the link opens the desk.
    spanish = lead.get(admin_page, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert _desk_links(spanish, gala.event_id) == ["Punto de venta"] * 2
    assert lead.get(f"/desk/events/{gala.event_id}/").status_code == 200

