"""No English left on the Spanish screens (issue 16 item 4): each page of PAGES is rendered in
English and in Spanish, and every text a person can read on the Spanish one is checked against
the catalogue and the English rendering (tests/i18n/completeness.py says how).

Adding a page is one line in PAGES. A page whose texts are still being written elsewhere is
listed with `pending=` (what is left to do): it is expected to fail, and the day it passes the
run fails until the `pending=` goes (strict xfail), so the list is always true."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.template import engines
from django.test import Client, RequestFactory
from django.utils import translation
from selenium.webdriver.support.ui import WebDriverWait

from core.localtime import time_zone_names
from devices.models import Device
from events.models import Checkpoint
from offices.models import Office
from events.currencies import CURRENCIES
from tests.backoffice.report_scenario import build_night
from tests.conftest import make_event
from tests.i18n.completeness import browser_texts, english_left, html_texts, json_texts
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

STAFF = ("event-lead", "pw-event-lead-1")
EVENT_DATA = ("Gala", "Arena")  # the test event's name and venue (tests/conftest.py make_event)
LANGUAGE_NAMES = ("Español", "English")  # the switch names each language in its own words
# The names in the night of tests/backoffice/report_scenario.py: event, zones, gates, phones, office,
# buyers, staff, credential.
NIGHT_DATA = ("Noche de Prueba", "Arena", "Ringside", "General", "A", "B", "North", "South", "North 1", "North 2",
              "South 1", "Taquilla Norte", "Zoe Buyer", "Ada Online", "Box Buyer", "ana", "web", "Sam Staff", "EUR",
              "Europe/Madrid", "por asignar", *LANGUAGE_NAMES)
# The event form's choices: time zones (IANA names) and currencies (ISO 4217 codes).
CLOCKS_AND_MONEY = (*time_zone_names(), "Etc", *CURRENCIES)
# Symbols and file formats, the same in every language (the report's durations and downloads).
SYMBOLS = ("s", "min", "h", "CSV", "XLSX", "JSON", "PDF")
# What the admin pages below still need from helper srvmodels (the lead removes it after the merge).

@dataclass(frozen=True)
class Page:
    name: str
    path: str  # may use {event_id}
    status: int = 200
    kind: str = "html"  # or "json": the error body's texts
    login: bool = False  # as a staff user (session)
    method: str = "get"
    extra: dict = field(default_factory=dict)  # request headers (WSGI names)
    data: tuple[str, ...] = ()  # the page's data, the same in every language
    pending: str | None = None  # the work left before this page passes
    night: bool = False  # on the busy night of tests/backoffice/report_scenario.py (scans, sales, alerts)
    ready: str | None = None  # browser pages: a script expression, true once the page's scripts ran


PAGES = [
    Page("admin login", "/admin/login/"),
    Page("admin login, refused", "/admin/login/", method="post"),  # a wrong password: the error text
    Page("page not found", "/no-such-page", status=404),
    Page("CSRF refusal", "/i18n/setlang/", status=403, method="post-without-csrf"),
    Page("API 404", "/api/v1/no-such-endpoint", status=404, kind="json"),
    Page("API 401", "/api/v1/events", status=401, kind="json"),
    Page("API 405", "/api/v1/events/{event_id}/tickets/generate", status=405, kind="json", login=True),
    Page("bad request (unknown host)", "/admin/login/", status=400, extra={"HTTP_HOST": "evil.example"}),
    Page("admin index", "/admin/", login=True),
    Page("admin events", "/admin/events/event/", login=True),
    # The pages an operations lead uses, on a night with scans, sales, a box office and alerts.
    Page("admin event set-up", "/admin/events/event/{event_id}/change/", login=True, night=True,
         data=(*NIGHT_DATA, *CLOCKS_AND_MONEY, *SYMBOLS)),
    Page("admin ticket list", "/admin/tickets/ticket/?event__event_id__exact={event_id}", login=True, night=True,
         data=NIGHT_DATA),
    Page("admin scan list", "/admin/access/scan/", login=True, night=True, data=NIGHT_DATA),
    Page("admin device list", "/admin/devices/device/", login=True, night=True, data=NIGHT_DATA),
    Page("admin box office list", "/admin/offices/office/", login=True, night=True, data=NIGHT_DATA),
    Page("admin alert list", "/admin/alerts/alert/", login=True, night=True, data=NIGHT_DATA),
    Page("admin ledger list", "/admin/tickets/ledgerentry/", login=True, night=True, data=NIGHT_DATA),
    Page("post-event report", "/admin/events/event/{event_id}/report/", login=True, night=True,
         data=(*NIGHT_DATA, *SYMBOLS)),
    Page("dashboard events", "/dashboard/", login=True, data=LANGUAGE_NAMES),
    Page("dashboard of an event", "/dashboard/events/{event_id}/", login=True, data=LANGUAGE_NAMES),
    # The desk shows who is signed in ("i18n-manager": its "i18n" counts as a code, "manager" is
    # data) and the language switch (each language in its own words).
    Page("sales desk events", "/desk/", login=True, data=(*LANGUAGE_NAMES, "manager")),
    Page("sales desk of an event", "/desk/events/{event_id}/", login=True, data=(*LANGUAGE_NAMES, "manager")),
    # Not here: /api/docs/ (its only server-rendered text is the title, "TicketCore API"; Swagger UI
    # writes the rest, in English only, for developers, like the schema's descriptions).
    Page("box-office terminal", "/office/"),
    # Its texts are written by its script (static/scanner/texts.js): here, the title; the rest below.
    Page("door scanner", "/scanner/"),
]

# Pages whose texts scripts write: read in a real Chromium speaking each language.
BROWSER_PAGES = [
    Page("admin login (browser)", "/admin/login/"),
    # Served by granian (no WebSocket): the page's "not live" words are read too. Its live texts,
    # alerts and revenue in both languages: tests/live/test_dashboard_languages_browser.py.
    Page("dashboard of an event (browser)", "/dashboard/events/{event_id}/", login=True,
         data=(*LANGUAGE_NAMES, "Ringside", "General"), ready="window.ticketcoreLive !== undefined"),
    # Unpaired: the pairing screen, and every other screen's own texts (hidden, but written). What
    # the answers say, in both languages, is in tests/scanner (test_answers.py, test_manual_flow.py).
    Page("door scanner (browser)", "/scanner/", data=LANGUAGE_NAMES),
    Page("box-office terminal (browser)", "/office/"),
]


def _params(pages):
    return [pytest.param(p, id=p.name, marks=[pytest.mark.xfail(strict=True, raises=AssertionError, reason=p.pending)]
                         if p.pending else []) for p in pages]


@pytest.fixture
def gala(django_user_model):
    event = make_event(name="Gala")
    event.manager = django_user_model.objects.create_user(STAFF[0], password=STAFF[1], is_staff=True,
                                                          is_superuser=True)
    return event


def _fetch(page: Page, language: str, event, manager) -> tuple[int, str]:
    client = Client(enforce_csrf_checks=page.method == "post-without-csrf")
    if page.login:
        client.force_login(manager)
    path = page.path.format(event_id=event.event_id)
    headers = {"HTTP_ACCEPT_LANGUAGE": language, **page.extra}
    if page.method == "get":
        response = client.get(path, **headers)
    else:
        response = client.post(path, {"username": STAFF[0], "password": "wrong", "language": "es"}, **headers)
    return response.status_code, response.content.decode()


@pytest.mark.parametrize("page", _params(PAGES))
def test_no_english_left_on_the_spanish_page(page, gala, catalogue):
    event = build_night().event if page.night else gala
    # Ticket references are data too: short codes of letters only (tickets/references.py).
    references = Ticket.objects.filter(event=event).values_list("reference", flat=True) if page.night else ()
    # So are pairing codes (random letters: one without a digit reads like a word).
    pairing_codes = Device.objects.exclude(pairing_code=None).values_list("pairing_code", flat=True)
    # And the random ids lists show (an office's id without a digit reads like a word too).
    ids = [*Device.objects.values_list("device_id", flat=True), *Office.objects.values_list("office_id", flat=True),
           *Checkpoint.objects.values_list("checkpoint_id", flat=True)]
    status_es, spanish = _fetch(page, "es", event, gala.manager)
    status_en, english = _fetch(page, "en", event, gala.manager)
    expected = page.status if page.method != "post" else 200
    assert status_es == status_en == expected, (status_es, status_en, spanish[:500])
    texts = json_texts if page.kind == "json" else html_texts
    report = english_left(page.name, texts(spanish), texts(english), catalogue=catalogue,
                          data={*page.data, *EVENT_DATA, *references, *pairing_codes, *ids, gala.event_id, event.event_id,
                                STAFF[0]})
    assert not report, str(report)
    assert texts(spanish) != texts(english)  # not vacuous: the page has texts, and they changed


def test_the_language_switch_speaks_each_language(catalogue):
    template = engines["django"].from_string('{% include "includes/language_switch.html" %}')
    rendered = {}
    for language in ("es", "en"):
        request = RequestFactory().get("/scanner/?pair=K7QH2MX9RA")
        with translation.override(language):
            rendered[language] = template.render({"next": None}, request)
    report = english_left("language switch", html_texts(rendered["es"]), html_texts(rendered["en"]),
                          catalogue=catalogue, data=LANGUAGE_NAMES)
    assert not report, str(report)
    assert "Idioma" in html_texts(rendered["es"]) and "Language" in html_texts(rendered["en"])
    assert 'value="/scanner/?pair=K7QH2MX9RA"' in rendered["es"] and 'action="/i18n/setlang/"' in rendered["es"]
    assert 'value="es" lang="es"\n            aria-pressed="true"' in rendered["es"]
    assert 'value="en" lang="en"\n            aria-pressed="true"' in rendered["en"]


@pytest.mark.browser
@pytest.mark.parametrize("page", _params(BROWSER_PAGES))
def test_no_english_left_on_the_spanish_page_in_a_browser(page, app_server, browser_in, catalogue, gala):
    """After the page's scripts ran, in Chromium set to each language (its Accept-Language and
    navigator.languages). The texts scripts write count as much as the server's."""
    seen = {}
    path = page.path.format(event_id=gala.event_id)
    for language in ("es", "en"):
        driver = browser_in(language)
        if page.login:  # through the admin's login form, which sends the browser back to the page
            driver.get(f"{app_server}/admin/login/?next={path}")
            driver.find_element("id", "id_username").send_keys(STAFF[0])
            driver.find_element("id", "id_password").send_keys(STAFF[1])
            driver.find_element("css selector", "input[type=submit]").click()
            WebDriverWait(driver, 15).until(lambda d: d.current_url.endswith(path), "no redirect after login")
        else:
            driver.get(f"{app_server}{path}")
        if page.ready:
            WebDriverWait(driver, 15).until(lambda d: d.execute_script(f"return {page.ready}"), "scripts did not run")
        driver.execute_async_script(  # the page and its module scripts have run
            "const done = arguments[arguments.length - 1];"
            "if (document.readyState === 'complete') setTimeout(done, 300);"
            "else addEventListener('load', () => setTimeout(done, 300));")
        seen[language] = browser_texts(driver)
    report = english_left(page.name, seen["es"], seen["en"], catalogue=catalogue,
                          data={*page.data, *EVENT_DATA, STAFF[0]})
    assert not report, str(report)
    assert seen["es"] != seen["en"]
