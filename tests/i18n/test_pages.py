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

from tests.conftest import make_event
from tests.i18n.completeness import browser_texts, english_left, html_texts, json_texts

pytestmark = pytest.mark.django_db

STAFF = ("i18n-manager", "pw-i18n-manager-1")
EVENT_DATA = ("Gala", "Arena")  # the test event's name and venue (tests/conftest.py make_event)
LANGUAGE_NAMES = ("Español", "English")  # the switch names each language in its own words


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


PAGES = [
    Page("admin login", "/admin/login/"),
    Page("admin login, refused", "/admin/login/", method="post"),  # a wrong password: the error text
    Page("page not found", "/no-such-page", status=404,
         pending="templates/404.html: Django's built-in 404 page is English-only ('Not Found', 'The requested "
                 "resource was not found on this server.')"),
    Page("CSRF refusal", "/i18n/setlang/", status=403, method="post-without-csrf",
         pending="templates/403_csrf.html: the title of Django's CSRF page is English-only ('403 Forbidden'); "
                 "its body is translated by Django"),
    Page("API 404", "/api/v1/no-such-endpoint", status=404, kind="json"),
    Page("API 401", "/api/v1/events", status=401, kind="json"),
    Page("API 405", "/api/v1/events/{event_id}/tickets/generate", status=405, kind="json", login=True),
    Page("bad request (unknown host)", "/admin/login/", status=400, extra={"HTTP_HOST": "evil.example"},
         pending="templates/400.html (and 403.html, 500.html): Django's built-in fallbacks for these are "
                 "English-only ('Bad Request (400)', '403 Forbidden', 'Server Error (500)')"),
    Page("admin index", "/admin/", login=True,
         pending="model and field verbose names (events/, tickets/, access/, devices/, offices/, alerts/ "
                 "models.py) and the admin's own texts (backoffice/admin.py, */admin.py)"),
    Page("admin events", "/admin/events/event/", login=True,
         pending="the event admin's columns, filters and actions (backoffice/admin.py, events/models.py)"),
    Page("dashboard events", "/dashboard/", login=True,
         pending="templates/dashboard/*.html and live/dashboard.py: mark the page texts"),
    Page("dashboard of an event", "/dashboard/events/{event_id}/", login=True,
         pending="templates/dashboard/event.html; its JS texts: static/dashboard/*.js through gettext.js"),
    # The desk shows who is signed in ("i18n-manager": its "i18n" counts as a code, "manager" is
    # data) and the language switch (each language in its own words).
    Page("sales desk events", "/desk/", login=True, data=(*LANGUAGE_NAMES, "manager")),
    Page("sales desk of an event", "/desk/events/{event_id}/", login=True, data=(*LANGUAGE_NAMES, "manager")),
    # Not here: /api/docs/ (its only server-rendered text is the title, "TicketCore API"; Swagger UI
    # writes the rest, in English only, for developers, like the schema's descriptions).
    Page("door scanner", "/scanner/",
         pending="templates/scanner/index.html: mark the page texts; the shell is cached by the service worker, "
                 "so texts that must follow a later language switch are better written by JS (gettext.js)"),
]

# Pages whose texts scripts write: read in a real Chromium speaking each language.
BROWSER_PAGES = [
    Page("admin login (browser)", "/admin/login/"),
    Page("door scanner (browser)", "/scanner/",
         pending="static/scanner/*.js (words.js, result.js, status.js, pairing.js, ...): every text through "
                 "gettext.js; templates/scanner/index.html"),
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


def _fetch(page: Page, language: str, event) -> tuple[int, str]:
    client = Client(enforce_csrf_checks=page.method == "post-without-csrf")
    if page.login:
        client.force_login(event.manager)
    path = page.path.format(event_id=event.event_id)
    headers = {"HTTP_ACCEPT_LANGUAGE": language, **page.extra}
    if page.method == "get":
        response = client.get(path, **headers)
    else:
        response = client.post(path, {"username": STAFF[0], "password": "wrong", "language": "es"}, **headers)
    return response.status_code, response.content.decode()


@pytest.mark.parametrize("page", _params(PAGES))
def test_no_english_left_on_the_spanish_page(page, gala, catalogue):
    status_es, spanish = _fetch(page, "es", gala)
    status_en, english = _fetch(page, "en", gala)
    expected = page.status if page.method != "post" else 200
    assert status_es == status_en == expected, (status_es, status_en, spanish[:500])
    texts = json_texts if page.kind == "json" else html_texts
    report = english_left(page.name, texts(spanish), texts(english), catalogue=catalogue,
                          data={*page.data, *EVENT_DATA, gala.event_id, STAFF[0]})
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
def test_no_english_left_on_the_spanish_page_in_a_browser(page, app_server, browser_in, catalogue):
    """After the page's scripts ran, in Chromium set to each language (its Accept-Language and
    navigator.languages). The texts scripts write count as much as the server's."""
    seen = {}
    for language in ("es", "en"):
        driver = browser_in(language)
        driver.get(f"{app_server}{page.path}")
        driver.execute_async_script(  # the page and its module scripts have run
            "const done = arguments[arguments.length - 1];"
            "if (document.readyState === 'complete') setTimeout(done, 300);"
            "else addEventListener('load', () => setTimeout(done, 300));")
        seen[language] = browser_texts(driver)
    report = english_left(page.name, seen["es"], seen["en"], catalogue=catalogue, data=page.data)
    assert not report, str(report)
    assert seen["es"] != seen["en"]
