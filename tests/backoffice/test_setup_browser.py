"""A new operations lead sets up an event in the admin, in headless Chromium against a real daphne
process serving the test database: log in at the site root, create the event on the venue's
clock, add zones with colours and prices, activate, generate (the confirmation says how many),
add a gate by ticking zones, a door phone, a credential by name, a box office; sell a range of
seats to a buyer, give seats to the office from the ticket list, read the stock table and the
office's money, open the dashboard. Every assertion is on what the page shows.

Screenshots: ADMIN_SCREENSHOTS=docs/screenshots writes docs/screenshots/admin-*.png.
Every wait polls with a deadline (WebDriverWait); nothing sleeps."""
from __future__ import annotations

import os
import re
from decimal import Decimal

import pytest

from access.models import Credential
from events.models import Checkpoint, Event
from offices.models import Office
from tests.live.test_dashboard_browser import _require_browser
from tests.servers import child_env, server_process
from tickets.models import LedgerEntry, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("ADMIN_SCREENSHOTS")


@pytest.fixture
def server(transactional_db):
    import sys
    from pathlib import Path

    _require_browser()
    daphne = str(Path(sys.executable).parent / "daphne")
    with server_process(lambda port: [daphne, "-b", "127.0.0.1", "-p", str(port), "ticketcore.asgi:application"],
                        name="daphne", env=child_env(PYTHONUNBUFFERED="1")) as url:
        yield url


@pytest.fixture
def browser():
    from tests.live.test_dashboard_browser import CHROMEDRIVER, CHROMIUM

    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--force-device-scale-factor=1", "--lang=en-US"):
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


class Page:
    def __init__(self, browser, base):
        from selenium.webdriver.common.by import By

        self.b, self.base, self.By = browser, base, By

    def go(self, path):
        self.b.get(self.base + path)

    def find(self, css):
        return self.b.find_element(self.By.CSS_SELECTOR, css)

    def all(self, css):
        return self.b.find_elements(self.By.CSS_SELECTOR, css)

    def type(self, css, text, clear=True):
        field = self.find(css)
        if clear:
            field.clear()
        field.send_keys(text)

    def pick(self, css, value):
        from selenium.webdriver.support.ui import Select

        Select(self.find(css)).select_by_value(value)

    def select_text(self, css, text):
        from selenium.webdriver.support.ui import Select

        Select(self.find(css)).select_by_visible_text(text)

    def colour(self, css, value):
        self.b.execute_script("arguments[0].value = arguments[1];"
                              "arguments[0].dispatchEvent(new Event('input', {bubbles: true}))", self.find(css), value)

    def click(self, css):
        self.find(css).click()

    def link(self, text):
        """Click a link that runs script on this page (no navigation)."""
        self.b.find_element(self.By.LINK_TEXT, text).click()

    def follow(self, text):
        """Click a link to another page and wait until that page has replaced this one."""
        self._navigating(lambda: self.b.find_element(self.By.LINK_TEXT, text).click())

    def submit(self, css):
        """Press a button that posts the page's form, and wait for the answer to replace the page."""
        self._navigating(lambda: self.find(css).click())

    def _navigating(self, act):
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        old = self.find("html")
        act()
        WebDriverWait(self.b, 15, poll_frequency=0.05).until(expected_conditions.staleness_of(old))

    def tick(self, label_text):
        """Tick the checkbox whose label reads `label_text`."""
        label = self.b.find_element(self.By.XPATH, f"//label[normalize-space()='{label_text}']")
        label.click()

    def text(self, css="body"):
        return self.find(css).text

    def wait(self, predicate, message="", timeout=10):
        from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        # While a page loads, an element found a moment ago may be gone: look again until the deadline.
        return WebDriverWait(self.b, timeout, poll_frequency=0.05,
                             ignored_exceptions=[StaleElementReferenceException, NoSuchElementException]
                             ).until(lambda _: predicate(), message)

    def wait_path(self, pattern):
        self.wait(lambda: re.search(pattern, self.b.current_url), f"not at {pattern}: {self.b.current_url}")

    def step(self, n):
        return self.find(f"#step-{n}")

    def shot(self, name):
        if SHOTS:
            self.b.execute_script("window.scrollTo(0, 0)")
            self.b.set_window_size(1400, max(1000, self.b.execute_script("return document.body.scrollHeight")))
            self.b.save_screenshot(os.path.join(SHOTS, f"admin-{name}.png"))
            self.b.set_window_size(1400, 1000)


def test_an_operations_lead_sets_up_sells_and_opens_the_dashboard(server, browser, django_user_model):
    django_user_model.objects.create_superuser("lead", password="pw-lead-12345")
    p = Page(browser, server)

    # The site root: log in, then the event list.
    p.go("/")
    p.wait_path(r"/admin/login/")
    p.type("#id_username", "lead")
    p.type("#id_password", "pw-lead-12345")
    p.submit("input[type=submit]")
    p.wait_path(r"/admin/events/event/$")
    assert "Select event to change" in p.text()

    # 1-2: the event on the venue's clock, zones with colours and prices.
    p.submit(".object-tools a.addlink")
    p.wait_path(r"/admin/events/event/add/")
    p.type("#id_name", "Noche de Campeones")
    p.type("#id_venue", "Palacio de los Deportes")
    p.pick("#id_timezone", "Europe/Madrid")
    p.type("#id_date_start_0", "2026-12-05")
    p.type("#id_date_start_1", "21:30:00")
    p.type("#id_date_end_0", "2026-12-06")
    p.type("#id_date_end_1", "01:00:00")
    assert p.find("#zones-group th.column-price").get_attribute("textContent").strip() == "Price (EUR)"  # the server's word
    p.type("#id_zones-0-zone_id", "A")
    p.type("#id_zones-0-name", "Ringside")
    p.colour("#id_zones-0-color", "#c0392b")
    assert p.find("#zones-0 .tc-color-hex").text == "#C0392B"
    p.type("#id_zones-0-seats", "10")
    p.type("#id_zones-0-price", "45.00")
    p.link("Add another Zone")
    p.wait(lambda: p.all("#id_zones-1-zone_id"))
    p.type("#id_zones-1-zone_id", "B")
    p.type("#id_zones-1-name", "General")
    p.colour("#id_zones-1-color", "#27ae60")
    p.type("#id_zones-1-seats", "40")
    p.click("#id_zones-1-reentry")
    p.type("#id_zones-1-price", "20")
    p.shot("event-add")
    p.submit("input[name=_save]")
    p.wait(lambda: p.all(".tc-guide"), "no set-up guide after saving")
    event = Event.objects.get(name="Noche de Campeones")
    assert "2026-12-05 21:30 (UTC+01:00)" in p.text("#step-1")
    assert "2 zones, 50 seats" in p.text("#step-2")
    assert p.step(3).get_attribute("data-done") == "no" and "next" in p.step(3).get_attribute("class")
    p.shot("event-created")

    # 3: activate, with what it means.
    assert "tickets can be generated" in p.text("#step-3")
    p.submit("#step-3 button[data-link=Activate]")
    p.wait(lambda: p.step(3).get_attribute("data-done") == "yes", "not activated")
    assert "Activated" in p.text(".messagelist")

    # 4: generate, after a confirmation page that says how many.
    p.follow("Generate 50 tickets…")
    p.wait_path(r"/generate/$")
    assert p.text("#tc-seat-count") == "50" and "Ringside (A)" in p.text("#content")
    p.shot("generate-confirm")
    p.submit("#tc-generate")
    p.wait(lambda: p.all("#step-4") and p.step(4).get_attribute("data-done") == "yes", "not generated")
    assert "Generated 50 tickets" in p.text(".messagelist")
    assert Ticket.objects.filter(event=event).count() == 50

    # 5: a gate that admits General only, ticked by name; a door phone at it; a credential by name.
    p.follow("+ gate")
    p.wait_path(r"/admin/events/checkpoint/add/")
    p.type("#id_name", "Puerta Norte")
    assert "None ticked = all zones" in p.text(".field-zones")
    p.tick("General (B)")
    p.shot("gate-add")
    p.submit("input[name=_save]")
    p.wait_path(r"/admin/events/checkpoint/$")
    gate = Checkpoint.objects.get(name="Puerta Norte")
    assert gate.zones == ["B"] and "General" in p.text("#result_list")

    p.go(f"/admin/events/event/{event.pk}/change/")
    p.follow("+ door phone")
    p.wait_path(r"/admin/devices/device/add/")
    p.type("#id_name", "Norte 1")
    p.select_text("#id_checkpoint", str(gate))
    p.submit("input[name=_continue]")
    p.wait(lambda: "pairing" in p.text().lower() and p.all("svg"), "no pairing QR")

    p.go(f"/admin/events/event/{event.pk}/change/")
    p.follow("+ credential")
    p.wait_path(r"/admin/access/credential/add/")
    p.type("#id_name", "Árbitro principal")
    p.pick("#id_kind", "staff")
    p.tick("Ringside (A)")
    p.tick("Puerta Norte")
    p.shot("credential-add")
    p.submit("input[name=_save]")
    p.wait_path(r"/admin/access/credential/$")
    credential = Credential.objects.get(name="Árbitro principal")
    assert (credential.zones, credential.checkpoints) == (["A"], [gate.pk])
    assert "Ringside" in p.text("#result_list") and "Puerta Norte" in p.text("#result_list")

    p.go(f"/admin/events/event/{event.pk}/change/")
    p.follow("+ box office")
    p.wait_path(r"/admin/offices/office/add/")
    p.type("#id_name", "Taquilla Centro")
    p.submit("input[name=_save]")
    p.wait_path(r"/admin/offices/office/$")
    office = Office.objects.get(name="Taquilla Centro")

    # 6: sell a range of seats to a buyer: the total first, then the sale.
    p.go(f"/admin/events/event/{event.pk}/change/")
    assert "1 gate · 1 door phone · 1 credential · 1 box office" in p.text("#step-5")
    assert p.step(5).get_attribute("data-done") == "yes"
    p.follow("Sell seats…")
    p.type("#id_seats", "B-1..B-10, A-1")
    p.type("#id_name", "Ana García")
    p.type("#id_email", "ana@example.com")
    p.submit("#tc-continue")
    p.wait(lambda: p.all("#tc-total"))
    assert p.text("#tc-total") == "245.00 EUR" and "11 seats" in p.text(".tc-lead")
    p.shot("sell-confirm")
    p.submit("#tc-confirm")
    p.wait(lambda: p.all("#stock"), "no stock table after the sale")
    assert "Sold 11 seats (A-1, B-1..B-10) to Ana García for 245.00 EUR" in p.text(".messagelist")
    sold = LedgerEntry.objects.filter(ticket__event=event, action="sold")
    assert sold.count() == 11 and {e.metadata["by"] for e in sold} == {"lead"}
    assert {e.metadata["buyer"]["name"] for e in sold} == {"Ana García"}

    # A bad range is refused in words, nothing sold.
    p.follow("Sell seats…")
    p.type("#id_seats", "B-40..B-30, Z-1")
    p.type("#id_name", "Nadie")
    p.submit("#tc-continue")
    p.wait(lambda: p.all(".errorlist"))
    assert "runs backwards" in p.text(".errorlist") and "no zone Z" in p.text(".errorlist")
    p.shot("sell-refused")
    assert LedgerEntry.objects.filter(ticket__event=event, action="sold").count() == 11

    # Give seats to the box office from the ticket list (tick, action), then from its page.
    p.go(f"/admin/tickets/ticket/?event__event_id__exact={event.pk}&zone__exact=General&state=available")
    for seat in ("B-11", "B-12", "B-13"):
        row = p.b.find_element(p.By.XPATH, f"//tr[.//a[normalize-space()='{seat}']]")
        row.find_element(p.By.CSS_SELECTOR, "input.action-select").click()
    p.select_text("select[name=action]", "Give the ticked seats to a box office…")
    p.shot("tickets")
    p.submit("button[name=index]")
    p.wait(lambda: p.all("#tc-assign-form"))
    assert p.find("#id_seats").get_attribute("value") == "B-11..B-13"
    p.shot("assign")
    p.submit("#tc-assign")
    p.wait(lambda: p.all("#stock"))
    assert "Taquilla Centro now has 3 more seats to sell" in p.text(".messagelist")
    p.go(f"/admin/offices/office/{office.pk}/change/")
    p.follow("Give seats to this office…")
    p.type("#id_seats", "A-9..A-10")
    p.submit("#tc-assign")
    p.wait_path(rf"/admin/offices/office/{office.pk}/change/")
    money = p.text(".tc-money")
    assert "Seats given to the office 5" in money and "Still at the office, unsold 5" in money
    assert "150.00 EUR" in money  # 3 x 20 + 2 x 45 at today's prices
    p.shot("office")

    # The stock table: what is left, at the box office, sold, and the money.
    p.go(f"/admin/events/event/{event.pk}/change/")
    cell = lambda zone, field: p.find(f'#stock tr[data-zone="{zone}"] [data-field="{field}"]').text  # noqa: E731
    assert (cell("B", "available"), cell("B", "box_office"), cell("B", "sold")) == ("27", "3", "10")
    assert (cell("A", "available"), cell("A", "box_office"), cell("A", "sold")) == ("7", "2", "1")
    assert cell("", "revenue") == "245.00 EUR" and cell("B", "revenue") == "200.00"
    assert Decimal(cell("", "revenue").split()[0]) == sum(t.price for t in Ticket.objects.filter(status=False))
    p.shot("event-setup")

    # 7: the dashboard link opens the event's live dashboard.
    p.go("/admin/events/event/")
    assert "tickets generated" in p.text("#result_list") and "Noche de Campeones" in p.text("#result_list")
    p.shot("event-list")
    p.go(f"/admin/events/event/{event.pk}/change/")
    p.follow("Live dashboard")
    p.wait_path(rf"/dashboard/events/{event.pk}/$")
    p.wait(lambda: "Noche de Campeones" in p.text())
    logs = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]
    assert not logs, logs
