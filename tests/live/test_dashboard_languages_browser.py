"""The dashboard in Spanish and in English (issue 16 item 4) with its revenue (issue 17 item 4), in
headless Chromium against a real daphne process (HTTP + WebSocket) serving the test database.

A night is built through the real services: zones with prices, sales through every channel
(online checkout, staff sale, box office upload), scans at two gates, and one alert of every
kind raised by its real code path. Then, in a browser speaking each language:
- no English is left on the Spanish pages, and no Spanish on the English ones' texts the page
  writes itself (tests/i18n/completeness.py, over the texts after the scripts ran);
- money, numbers and times are written for the language, times on the event's clock with its
  offset; every alert is in the page's words, naming devices, gates, seats and the office;
- a sale made while the page is open shows in the revenue without a reload.
With DASHBOARD_SCREENSHOT_DIR set, full-page screenshots go there (docs/screenshots/).

Every wait polls with a deadline (WebDriverWait); nothing sleeps."""
from __future__ import annotations

import os
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum
from django.utils import timezone

from access import services as access_services
from access.sync import sync_scans
from alerts.models import Alert
from alerts.services import acknowledge_alert, revoked_device_attempt
from alerts.vocabulary import AlertKind
from core.localtime import utc_offset_label
from devices.models import Device
from devices.services import create_device, pair_device, record_heartbeat, revoke_device
from events import services as event_services
from events.models import Event
from live import anomalies
from offices import services as office_services
from tests.conftest import code_for
from tests.i18n.completeness import browser_texts, english_left, load_catalogue
from tests.live.test_dashboard_browser import CHROMEDRIVER, CHROMIUM, asgi_server  # noqa: F401 - fixture
from tickets import holds
from tickets.models import Ticket
from tickets.services import generate_tickets, sell_tickets
from ticketcore.management.commands.compile_catalogues import ROOT, compile_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

compile_all([ROOT / "locale"])  # the .mo files daphne reads are this checkout's .po files

MADRID = ZoneInfo("Europe/Madrid")
SHOTS = os.environ.get("DASHBOARD_SCREENSHOT_DIR")
MANAGER = ("gerente", "pw-gerente-123")
ZONES = [
    event_services.ZoneSpec(zone_id="A", name="Pista", color="#E4572E", seats=40, price=Decimal("85.50")),
    event_services.ZoneSpec(zone_id="B", name="Grada", color="#2E86AB", seats=120, price=Decimal("45.00"),
                            reentry=True),
    event_services.ZoneSpec(zone_id="C", name="Palco", color="#A23B72", seats=5, price=Decimal("150.00")),
]


def seats(zone: str, first: int, last: int) -> list[str]:
    return [f"{zone}-{n}" for n in range(first, last + 1)]


def ticket_ids(event, seat_ids) -> list[str]:
    return list(Ticket.objects.filter(event=event, seat_id__in=list(seat_ids)).values_list("ticket_id", flat=True))


def phone(event, name: str, gate: str):
    checkpoint = event_services.create_checkpoint(event_id=event.event_id, name=gate)
    created = create_device(event_id=event.event_id, name=name, role="steward", checkpoint_id=checkpoint.checkpoint_id)
    pair_device(pairing_code=created.pairing_code)
    return Device.objects.select_related("checkpoint").get(pk=created.device.pk)


def scan(device, event, seat, direction="in"):
    return access_services.scan(device=device, code=code_for(event, seat), direction=direction,
                                scan_id=uuid.uuid4()).response


def build_night(settings) -> dict:
    """An event in Madrid with sales in every channel, scans at two gates and every alert kind."""
    settings.ANOMALY_REJECTED_BURST = 3
    settings.ANOMALY_DEVICE_SILENT_S = 120
    now = timezone.now()
    event = event_services.create_event(name="Noche de Campeones", venue="Palacio Vistalegre",
                                        timezone="Europe/Madrid", currency="EUR",
                                        date_start=now + timedelta(hours=2), date_end=now + timedelta(hours=6))
    event_services.setup_zones(event_id=event.event_id, status=True, zones=list(ZONES))
    generate_tickets(event_id=event.event_id)

    # Sales: online (two checkouts), by staff, and a box office's upload.
    for batch in (seats("A", 1, 12), seats("B", 1, 30)):
        hold = holds.take_hold(event_id=event.event_id, ticket_ids=ticket_ids(event, batch))
        holds.checkout(hold_id=hold.hold_id, buyer={"name": "Lucía"})
    sell_tickets(event_id=event.event_id, ticket_ids=ticket_ids(event, seats("A", 13, 18) + seats("B", 31, 50)
                                                                 + seats("C", 1, 5)), actor="gerente")
    office = office_services.create_office(event_id=event.event_id, name="Taquilla Norte").office
    office_seats = ticket_ids(event, seats("B", 51, 60))
    office_services.assign_tickets(office_id=office.office_id, ticket_ids=office_seats)
    office_services.sync_sales(office=office, sales=[
        office_services.SaleIn(sale_id=uuid.uuid4(), ticket_id=t, sold_at=now - timedelta(minutes=20))
        for t in office_seats[:8]])

    # The doors: two gates, a phone each; a third phone that went quiet, a fourth that was lost.
    north, south = phone(event, "Norte 1", "Puerta Norte"), phone(event, "Sur 2", "Puerta Sur")
    east, west = phone(event, "Este 3", "Puerta Este"), phone(event, "Oeste 4", "Puerta Oeste")
    for seat in seats("A", 1, 8) + seats("C", 1, 5):
        assert scan(north, event, seat)["result"] == "accepted"
    for seat in seats("B", 1, 20):
        assert scan(south, event, seat)["result"] == "accepted"
    assert scan(south, event, "B-3", "out")["result"] == "accepted"

    # One alert of every kind, each by its real code path.
    sync_scans(device=south, scans=[  # A-1 was admitted at the north gate: an offline conflict
        {"code": code_for(event, "A-1"), "direction": "in", "scan_id": uuid.uuid4(),
         "scanned_at": timezone.now() - timedelta(seconds=30)}])
    late = timezone.now() - timedelta(minutes=47)
    sync_scans(device=east, scans=[
        {"code": code_for(event, s), "direction": "in", "scan_id": uuid.uuid4(), "scanned_at": late + timedelta(minutes=i)}
        for i, s in enumerate(seats("B", 21, 22))])
    for code in ("forged-1", "forged-2", code_for(event, "A-2")):
        access_services.scan(device=north, code=code, direction="in", scan_id=uuid.uuid4())
    anomalies.check_checkpoint(event.event_id, north.checkpoint_id)
    anomalies.check_zone_capacity(event.event_id, "C")
    for device in (north, south):
        record_heartbeat(device=device, device_time=timezone.now() - timedelta(milliseconds=350))
    Device.objects.filter(pk=east.pk).update(last_seen_at=timezone.now() - timedelta(minutes=20))
    anomalies.check_devices(event.event_id)
    office_services.sync_sales(office=office, sales=[  # a seat the office does not hold
        office_services.SaleIn(sale_id=uuid.uuid4(), ticket_id=ticket_ids(event, ["B-70"])[0],
                               sold_at=now - timedelta(minutes=12))])
    revoke_device(device_id=west.device_id)
    revoked_device_attempt(Device.objects.select_related("checkpoint").get(pk=west.pk), path="/api/v1/scan")
    kinds = set(Alert.objects.filter(event_id=event.event_id).values_list("kind", flat=True))
    assert kinds == set(AlertKind.values) - {AlertKind.INVALID_SIGNATURE_BURST}, kinds
    acknowledge_alert(alert_id=Alert.objects.get(event_id=event.event_id, kind=AlertKind.LATE_UPLOAD).id, user="gerente")

    event_services.create_event(name="Gala de Año Nuevo", venue="Teatro Real", timezone="Europe/Madrid",
                                date_start=now + timedelta(days=33), date_end=now + timedelta(days=33, hours=3))
    return {"event": Event.objects.get(pk=event.pk), "office": office,
            "data": {"Noche de Campeones", "Palacio Vistalegre", "Gala de Año Nuevo", "Teatro Real",
                     "Pista", "Grada", "Palco", "Puerta Norte", "Puerta Sur", "Puerta Este", "Puerta Oeste",
                     "Norte 1", "Sur 2", "Este 3", "Oeste 4", "Taquilla Norte",
                     "Español", "English", MANAGER[0], "Europe/Madrid"}}


def revenue(event) -> Decimal:
    return Ticket.objects.filter(event=event, status=False).aggregate(total=Sum("price"))["total"]


def money(amount: Decimal, language: str) -> str:
    """As the browser's Intl writes euros: es-ES "12.345,50 €" (no separator under 10.000),
    en-GB "€12,345.50"."""
    whole, cents = f"{amount:.2f}".split(".")
    grouped = f"{int(whole):,}"
    if language == "en":
        return f"€{grouped}.{cents}"
    return f"{grouped.replace(',', '.') if int(whole) >= 10000 else whole},{cents} €"


def spaces(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.fixture
def browser_in(tmp_path):
    """browser_in("es") -> a headless Chromium speaking only that language (Accept-Language and
    navigator.languages), 1440 px wide, like a control-room laptop."""
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip("Headless Chromium not found: apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers = []

    def open_browser(language: str):
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--lang={language}", "--window-size=1440,1000", "--force-device-scale-factor=1",
                    f"--user-data-dir={tmp_path / f'profile-{len(drivers)}'}"):
            options.add_argument(arg)
        options.add_experimental_option("prefs", {"intl.accept_languages": language})
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        driver.set_page_load_timeout(30)
        drivers.append(driver)
        return driver

    yield open_browser
    for driver in drivers:
        try:
            driver.quit()
        except Exception:  # a crashed browser must not hide the test's own failure
            pass


class Page:
    """The dashboard in one browser: waits that poll the DOM, and full-page screenshots."""

    def __init__(self, driver, url: str):
        self.driver, self.url = driver, url

    def wait(self, predicate, timeout=15, message=""):
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        from selenium.common.exceptions import TimeoutException

        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.05,
                                 ignored_exceptions=[StaleElementReferenceException]).until(lambda d: predicate(), message)
        except TimeoutException as exc:  # say what the page's console said
            raise AssertionError(f"{message}; console: {self.driver.get_log('browser')}") from exc

    def css(self, selector):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def all(self, selector):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def text(self, selector) -> str:
        """The element's text as rendered, read in one script call: the page redraws its lists on
        every live message, so an element found first and read after could be gone by then."""
        text = self.driver.execute_script(
            "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;", selector)
        assert text is not None, f"nothing matches {selector}"
        return spaces(text).strip()

    def login(self, next_path: str):
        self.driver.get(f"{self.url}/admin/login/?next={next_path}")
        self.css("#id_username").send_keys(MANAGER[0])
        self.css("#id_password").send_keys(MANAGER[1])
        self.css("input[type=submit]").click()
        self.wait(lambda: "/login/" not in self.driver.current_url and self.driver.current_url.endswith(next_path),
                  message="no redirect after login")

    def open_event(self, event):
        self.driver.get(f"{self.url}/dashboard/events/{event.event_id}/")
        self.wait(lambda: self.css("#conn").get_attribute("data-state") == "live", message="socket not live")
        self.wait(lambda: self.text("#v-revenue") != "–", message="no revenue")
        self.wait(lambda: len(self.all("#alerts li[data-alert-id]")) == 7, message="alerts not shown")

    def texts(self) -> list[str]:
        return browser_texts(self.driver)

    def shot(self, name: str):
        if not SHOTS:
            return
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1440, height + 20)
        self.driver.execute_async_script(  # two frames: the charts redraw at the new size
            "const done = arguments[arguments.length - 1];"
            "requestAnimationFrame(() => requestAnimationFrame(() => done()));")
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(Path(SHOTS) / f"{name}.png"))
        self.driver.set_window_size(1440, 1000)

    def no_errors(self):
        logs = [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]
        assert not logs, logs


def alert_text(page: Page, kind: str) -> str:
    return page.text(f'#alerts li[data-kind="{kind}"] .text')


def test_the_dashboard_speaks_spanish_and_english(asgi_server, browser_in, django_user_model, settings):  # noqa: F811
    night = build_night(settings)
    event, data = night["event"], night["data"]
    django_user_model.objects.create_user(MANAGER[0], password=MANAGER[1], is_staff=True)
    catalogue = load_catalogue()
    offset = f"({utc_offset_label(timezone.now().astimezone(MADRID))})"
    total = revenue(event)
    seen: dict[str, dict[str, list[str]]] = {}
    stored = {a.kind: a.message for a in Alert.objects.filter(event_id=event.event_id)}

    for language in ("es", "en"):
        page = Page(browser_in(language), asgi_server)
        page.login("/dashboard/")
        assert page.css("html").get_attribute("lang") == language
        page.shot(f"dashboard-{language}-events")
        events_texts = page.texts()
        page.open_event(event)
        # Revenue in the event's currency, written for the language; the table adds up to it.
        assert page.text("#v-revenue") == money(total, language)
        assert page.text('#revenue tr[data-row="total"] [data-field="revenue"] .money') == money(total, language)
        assert page.text('#revenue tr[data-zone="C"] [data-channel="manual"] .money') == money(Decimal("750.00"), language)
        office_cell = page.text('#revenue tr[data-zone="B"] [data-channel="box_office"]')
        assert money(Decimal("360.00"), language) in office_cell and "8" in office_cell
        # Times on Madrid's clock with the offset, whatever the browser's zone.
        assert offset in page.text("#event-when") and offset in page.text("#alerts .when")
        # Every alert in the page's words, never the stored English message in Spanish.
        for kind in stored:
            words = alert_text(page, kind)
            assert words and ("_" not in words), (kind, words)
            if language == "es":
                assert words != stored[kind], (kind, words)
        page.shot(f"dashboard-{language}-event")
        seen[language] = {"events": events_texts, "event": page.texts()}
        if language == "es":
            assert page.text("#tile-revenue .tile-label") == "INGRESOS"
            assert alert_text(page, "offline_conflict").startswith("Puede que con el asiento A-1 hayan entrado dos personas.")
            assert "Sur 2 en Puerta Sur la leyó sin conexión" in alert_text(page, "offline_conflict")
            assert "(ya está dentro)" in alert_text(page, "offline_conflict")
            assert alert_text(page, "zone_capacity") == ("La zona Palco está al 100 % de su aforo: "
                                                         "5 de 5 asientos ocupados.")
            assert alert_text(page, "device_silent").startswith("Este 3 en Puerta Este no da señales: último contacto a las ")
            assert alert_text(page, "office_conflict").startswith("Taquilla Norte vendió el asiento B-70 el ")
            assert page.text('#alerts li[data-kind="rejected_burst"] .kind') == "MUCHOS RECHAZOS"
            assert page.text('#devices tr[data-status="online"] [data-field="status"]') == "conectado"
        else:
            assert page.text("#tile-revenue .tile-label") == "REVENUE"
            assert alert_text(page, "offline_conflict").startswith("Seat A-1 may have let two people in.")
            assert alert_text(page, "zone_capacity") == "Zone Palco is at 100% of capacity: 5 of 5 seats taken."
            assert alert_text(page, "revoked_device") == ("Revoked device Oeste 4 at Puerta Oeste tried to connect: "
                                                          "its token is refused. Find the phone.")
        page.no_errors()

    for name in ("events", "event"):
        report = english_left(f"dashboard {name} (live, browser)", seen["es"][name], seen["en"][name],
                              catalogue=catalogue, data=data)
        assert not report, str(report)
        assert seen["es"][name] != seen["en"][name]


def test_a_sale_shows_in_the_revenue_without_reloading(asgi_server, browser_in, django_user_model, settings):  # noqa: F811
    night = build_night(settings)
    event = night["event"]
    django_user_model.objects.create_user(MANAGER[0], password=MANAGER[1], is_staff=True)
    page = Page(browser_in("es"), asgi_server)
    page.login(f"/dashboard/events/{event.event_id}/")
    page.open_event(event)
    before = revenue(event)
    assert page.text("#v-revenue") == money(before, "es")
    page.driver.execute_script("window.notReloaded = true")
    online_cell = '#revenue tr[data-zone="A"] [data-channel="online"] .money'
    assert page.text(online_cell) == money(Decimal("85.50") * 12, "es")

    # An online checkout while the page is open: the tile, the zone's row and the total follow.
    hold = holds.take_hold(event_id=event.event_id, ticket_ids=ticket_ids(event, ["A-30", "A-31"]))
    holds.checkout(hold_id=hold.hold_id, buyer={"name": "Marta"})
    after = before + Decimal("171.00")
    page.wait(lambda: page.text("#v-revenue") == money(after, "es"), message="revenue did not follow the sale")
    assert page.text(online_cell) == money(Decimal("85.50") * 14, "es")
    assert page.text('#revenue tr[data-row="total"] [data-field="revenue"] .money') == money(after, "es")

    # A staff sale too (the feed re-reads the sales every LIVE_REFRESH_S at the latest).
    sell_tickets(event_id=event.event_id, ticket_ids=ticket_ids(event, ["B-100"]), actor="gerente")
    after += Decimal("45.00")
    page.wait(lambda: page.text("#v-revenue") == money(after, "es"), timeout=20, message="staff sale not shown")
    assert page.driver.execute_script("return window.notReloaded") is True
    page.no_errors()
