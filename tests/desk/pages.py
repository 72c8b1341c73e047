"""The sales desk in a browser, for the tests: an event to sell, and one clerk's page driven
through Selenium (every wait polls the page with a deadline; nothing sleeps)."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from decimal import Decimal

from events.models import Event
from events.services import ZoneSpec
from tests.conftest import make_event
from tickets.models import Ticket
from tickets.services import generate_tickets

ZONES = [
    ZoneSpec(zone_id="A", name="Ringside", color="#C0392B", seats=12, price=Decimal("45.00")),
    ZoneSpec(zone_id="B", name="Tribune", color="#2E86C1", seats=24, reentry=True, price=Decimal("20.00")),
]
PASSWORD = "pw-desk-clerk-1"


def desk_event(name="Noche de Campeones", time_zone="America/Mexico_City"):
    event = make_event(zones=ZONES, name=name)
    Event.objects.filter(pk=event.pk).update(timezone=time_zone, currency="EUR")
    generate_tickets(event_id=event.event_id)
    return Event.objects.get(pk=event.pk)


def tid(event, seat_id) -> str:
    return Ticket.objects.get(event=event, seat_id=seat_id).ticket_id


def http(url, *, method="GET", body=None, headers=None):
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class Desk:
    """One clerk's browser on the desk page."""

    def __init__(self, driver, base, event):
        self.d, self.base, self.event = driver, base, event

    def wait(self, predicate, timeout=10, message=""):
        from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.d, timeout, poll_frequency=0.05,
                             ignored_exceptions=[StaleElementReferenceException, NoSuchElementException]
                             ).until(lambda d: predicate(), message)

    def el(self, css):
        from selenium.webdriver.common.by import By

        return self.d.find_element(By.CSS_SELECTOR, css)

    def els(self, css):
        from selenium.webdriver.common.by import By

        return self.d.find_elements(By.CSS_SELECTOR, css)

    def text(self, css):
        return self.el(css).text

    def login_and_open(self, username):
        self.d.get(f"{self.base}/desk/events/{self.event.event_id}/")
        assert "/admin/login/" in self.d.current_url  # a staff page: sign in first
        self.el("#id_username").send_keys(username)
        self.el("#id_password").send_keys(PASSWORD)
        self.el("input[type=submit]").click()
        self.wait(lambda: self.d.current_url.endswith(f"/desk/events/{self.event.event_id}/"), message="not back")
        self.wait(lambda: self.el("#conn").get_attribute("data-state") == "live", timeout=15, message="not live")

    def seat(self, seat_id):
        return self.el(f'#seats button[data-seat="{seat_id}"]')

    def look(self, seat_id):
        return self.seat(seat_id).get_attribute("data-look")

    def click(self, css, message=""):
        """Click what `css` finds now. The desk redraws its zone list and map as live updates
        arrive: an element replaced between finding and clicking (stale, so never clicked) is
        found again and clicked, until `wait`'s timeout."""
        self.wait(lambda: self.el(css).click() is None, message=message or f"could not click {css}")

    def zone(self, zone_id):
        self.click(f'#zones [data-zone="{zone_id}"]')
        self.wait(lambda: self.els(f'#seats button[data-seat="{zone_id}-1"]'), message=f"zone {zone_id} not shown")

    def pick(self, *seat_ids):
        for seat_id in seat_ids:
            self.wait(lambda: self.look(seat_id) == "available", message=f"{seat_id} not free")
            self.click(f'#seats button[data-seat="{seat_id}"]')
            self.wait(lambda: self.look(seat_id) == "selected", message=f"{seat_id} not selected")

    def order_lines(self):
        return [li.get_attribute("data-ticket") for li in self.els("#pick-list li")]
