"""Printing from the admin: the tickets list's "Print selected tickets" actions give a PDF of
exactly the selected tickets, and each event's page links to its printed outputs."""
from __future__ import annotations

import html
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from events.codes import verify
from events.models import Event
from tests.backoffice.test_print_readback import body, page_codes, page_sizes_mm
from tests.backoffice.test_print_tickets import printed_event
from tickets.models import Ticket

TICKETS = "/admin/tickets/ticket/"


@pytest.fixture
def staff_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("lead", password="pw-lead-12345")
    client.force_login(admin)
    return client


def run_action(client, action, tickets, **query):
    url = TICKETS + (f"?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else "")
    return client.post(url, {"action": action, ACTION_CHECKBOX_NAME: [t.pk for t in tickets]})


@pytest.mark.django_db
def test_the_tickets_list_offers_both_print_actions(staff_client):
    printed_event()
    page = staff_client.get(TICKETS).content.decode()
    assert "Print selected tickets (A4 sheets, 8 per page)" in page
    assert "Print selected tickets (thermal printer, 80 mm)" in page


@pytest.mark.django_db
@pytest.mark.parametrize("action,width", [("print_tickets_a4", 210), ("print_tickets_thermal", 80)])
def test_printing_selected_tickets_prints_exactly_those(staff_client, action, width):
    event = printed_event()
    chosen = list(Ticket.objects.filter(event=event, seat_id__in=["A-3", "B-2", "B-9"]))
    r = run_action(staff_client, action, chosen, event__event_id__exact=event.event_id)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    data = body(r)
    printed = [verify(code.text).object_id for page in page_codes(data) for code in page]
    assert sorted(printed) == sorted(t.ticket_id for t in chosen)
    assert all(abs(w - width) < 0.5 for w, _ in page_sizes_mm(data))


@pytest.mark.django_db
def test_select_all_across_pages_prints_the_whole_filtered_list(staff_client):
    event = printed_event()
    r = staff_client.post(f"{TICKETS}?event__event_id__exact={event.event_id}&zone_id=B",
                          {"action": "print_tickets_a4", "select_across": "1",
                           ACTION_CHECKBOX_NAME: [Ticket.objects.filter(event=event, zone_id="B").first().pk]})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    printed = sorted(verify(code.text).object_id for page in page_codes(body(r)) for code in page)
    assert printed == sorted(Ticket.objects.filter(event=event, zone_id="B").values_list("ticket_id", flat=True))


@pytest.mark.django_db
def test_tickets_of_two_events_are_refused_with_a_message(staff_client):
    one, two = printed_event(), printed_event(name="Otro")
    chosen = [Ticket.objects.filter(event=one).first(), Ticket.objects.filter(event=two).first()]
    r = run_action(staff_client, "print_tickets_a4", chosen)
    assert r.status_code == 302
    page = staff_client.get(r["Location"]).content.decode()
    assert "Select tickets of one event to print them" in page


def links_on(page: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'href="([^"]+)"', page)]


@pytest.mark.django_db
def test_the_event_page_links_to_every_printed_output_and_each_link_prints(staff_client):
    """The event page links every printed output: all tickets (A4 and thermal), each zone's,
    badges and the pairing sheet; each link gives a PDF with the admin's session alone."""
    event = printed_event()
    page = staff_client.get(f"/admin/events/event/{event.event_id}/change/").content.decode()
    base = f"/api/v1/events/{event.event_id}"
    links = [link for link in links_on(page) if link.startswith(base)]
    wanted = {"all A4": lambda u: u.startswith(f"{base}/tickets.pdf") and "layout=a4" in u and "zone=" not in u,
              "all thermal": lambda u: u.startswith(f"{base}/tickets.pdf") and "layout=thermal" in u,
              "zone A": lambda u: u.startswith(f"{base}/tickets.pdf") and u.endswith("zone=A"),
              "zone B": lambda u: u.startswith(f"{base}/tickets.pdf") and u.endswith("zone=B"),
              "badges": lambda u: u == f"{base}/badges.pdf", "pairing": lambda u: u == f"{base}/pairing-sheet.pdf"}
    for name, matches in wanted.items():
        assert any(matches(u) for u in links), (name, links)
    for url in {u for u in links if u.startswith(f"{base}/tickets.pdf")}:
        r = staff_client.get(url)
        assert r.status_code == 200 and r["Content-Type"] == "application/pdf", url


@pytest.mark.django_db
def test_the_event_pages_before_generation_and_when_adding_still_work(staff_client):
    from tests.conftest import make_event

    event = make_event()
    page = staff_client.get(f"/admin/events/event/{event.event_id}/change/")
    assert page.status_code == 200 and f"/api/v1/events/{event.event_id}/badges.pdf" in page.content.decode()
    assert staff_client.get("/admin/events/event/add/").status_code == 200
    assert Event.objects.count() == 1


@pytest.mark.browser
def test_printing_from_the_admin_in_chromium(transactional_db, django_user_model, tmp_path):
    """A lead in a real browser: the event page shows the print links, and following one with the
    admin's session gives the PDF; the tickets list prints a selection with the action."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from tests.live.test_dashboard_browser import _require_browser
    from tests.servers import child_env, server_process

    _require_browser()
    import sys
    from pathlib import Path

    event = printed_event()
    django_user_model.objects.create_superuser("lead", password="pw-lead-12345")
    daphne = str(Path(sys.executable).parent / "daphne")
    with server_process(lambda port: [daphne, "-b", "127.0.0.1", "-p", str(port), "ticketcore.asgi:application"],
                        name="daphne", env=child_env(PYTHONUNBUFFERED="1")) as url:
        browser = _browser()
        try:
            browser.get(f"{url}/admin/login/?next=/admin/events/event/{event.event_id}/change/")
            browser.find_element(By.ID, "id_username").send_keys("lead")
            browser.find_element(By.ID, "id_password").send_keys("pw-lead-12345")
            browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
            link = browser.find_element(By.CSS_SELECTOR, 'a[href*="/tickets.pdf"][href*="layout=a4"]')
            browser.execute_script("arguments[0].scrollIntoView()", link)
            browser.save_screenshot(str(tmp_path / "event-print-links.png"))
            fetched = browser.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "fetch(arguments[0]).then(async r => done([r.status, r.headers.get('content-type'),"
                " new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5))]));", link.get_attribute("href"))
            assert fetched == [200, "application/pdf", "%PDF-"]
            assert link.get_attribute("target") == "_blank"

            browser.get(f"{url}/admin/tickets/ticket/?event__event_id__exact={event.event_id}&zone_id=A")
            Select(browser.find_element(By.NAME, "action")).select_by_value("print_tickets_thermal")
            assert len(browser.find_elements(By.NAME, "_selected_action")) == 5
        finally:
            browser.quit()


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from tests.live.test_dashboard_browser import CHROMEDRIVER, CHROMIUM

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--window-size=1400,1200"):
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


def test_the_print_actions_speak_spanish():
    from django.utils import translation

    from backoffice.print_admin import print_tickets_a4, print_tickets_thermal

    with translation.override("es"):
        assert str(print_tickets_a4.short_description) == "Imprimir las entradas seleccionadas (hojas A4, 8 por hoja)"
        assert str(print_tickets_thermal.short_description).startswith("Imprimir las entradas seleccionadas")
