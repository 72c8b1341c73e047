"""The JavaScript apps' catalogue (docs/adr/0029): /jsi18n/<lang>.json and .js serve the
djangojs catalogue of the language in the address, cacheable and revalidated by ETag; and
static/i18n/gettext.js, in a real Chromium, picks the language (cookie, then the browser's),
translates, pluralises, and starts in English when the catalogue cannot be had.

The repository's djangojs catalogue fills up as the apps' texts are marked; these tests use a
catalogue of their own (LOCALE_PATHS overridden) so they say something today."""
from __future__ import annotations

import gettext as gettext_module
import json
import os
import time

import pytest
from django.test import Client, override_settings

from core.i18n import catalogue_version
from ticketcore.management.commands.compile_catalogues import compile_all

PO = r'''msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Language: es\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

msgid "Already inside."
msgstr "Ya está dentro."

#, python-format
msgid "%(count)s scan waiting to upload"
msgid_plural "%(count)s scans waiting to upload"
msgstr[0] "%(count)s lectura pendiente de subir"
msgstr[1] "%(count)s lecturas pendientes de subir"

msgctxt "gate"
msgid "Open"
msgstr "Abierta"

msgid "Not translated yet"
msgstr ""
'''


@pytest.fixture
def js_catalogue(tmp_path):
    """A locale directory with one Spanish djangojs catalogue, compiled, and in LOCALE_PATHS."""
    po = tmp_path / "locale" / "es" / "LC_MESSAGES" / "djangojs.po"
    po.parent.mkdir(parents=True)
    po.write_text(PO)
    compile_all([tmp_path / "locale"])
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        yield po


def test_the_catalogue_is_the_one_named_in_the_address(js_catalogue):
    client = Client()
    for accept in ("en", "es"):  # the address decides, not Accept-Language
        r = client.get("/jsi18n/es.json", HTTP_ACCEPT_LANGUAGE=accept)
        assert r.status_code == 200 and r["Content-Language"] == "es"
        assert "Accept-Language" not in r.get("Vary", "")
        body = r.json()
        assert body["catalog"]["Already inside."] == "Ya está dentro."
        assert body["catalog"]["%(count)s scan waiting to upload"] == [
            "%(count)s lectura pendiente de subir", "%(count)s lecturas pendientes de subir"]
        assert body["catalog"]["gate\x04Open"] == "Abierta"
        assert "Not translated yet" not in body["catalog"]
        assert body["plural"] == "(n != 1)"
        # Only our catalogues: not the admin's djangojs (its calendar words, its plural rule).
        assert "Today" not in body["catalog"] and "Midnight" not in body["catalog"]
    english = client.get("/jsi18n/en.json", HTTP_ACCEPT_LANGUAGE="es").json()
    assert english["catalog"] == {} and english["plural"] is None
    script = client.get("/jsi18n/es.js")
    assert script.status_code == 200 and script["Content-Type"].startswith("text/javascript")
    assert "Ya est\\u00e1 dentro." in script.content.decode() and "django.gettext" in script.content.decode()
    for path in ("/jsi18n/fr.json", "/jsi18n/xx.js", "/jsi18n/es-ES.json"):
        assert client.get(path).status_code == 404


def test_the_catalogue_is_revalidated_and_changes_with_its_mo(js_catalogue):
    client = Client()
    first = client.get("/jsi18n/es.json")
    etag = first["ETag"]
    assert first["Cache-Control"] == "no-cache" and etag
    assert client.get("/jsi18n/es.json", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get("/jsi18n/en.json", HTTP_IF_NONE_MATCH=etag).status_code == 200  # per language
    version = catalogue_version()
    js_catalogue.write_text(PO.replace("Ya está dentro.", "Ya ha entrado."))
    compile_all([js_catalogue.parents[2]])
    mo = js_catalogue.with_suffix(".mo")
    os.utime(mo, ns=(time.time_ns(), time.time_ns() + 1_000_000))  # a later mtime even on a coarse clock
    assert catalogue_version() != version  # what a service worker's version follows
    # A running process keeps serving the catalogue it loaded (and says so with the same ETag);
    # a restarted one (here: Python's gettext cache emptied) serves the new one, with a new ETag.
    assert client.get("/jsi18n/es.json", HTTP_IF_NONE_MATCH=etag).status_code == 304
    gettext_module._translations.clear()
    again = client.get("/jsi18n/es.json", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and again.json()["catalog"]["Already inside."] == "Ya ha entrado."
    assert again["ETag"] != etag


def test_the_repository_catalogue_is_served():
    r = Client().get("/jsi18n/es.json")
    assert r.status_code == 200 and isinstance(r.json()["catalog"], dict)


# ------------------------------------------------------------------ gettext.js in Chromium

IMPORT = """
const done = arguments[arguments.length - 1];
import("/static/i18n/gettext.js").then((m) => done({
  language: m.language,
  inside: m.gettext("Already inside."),
  unknown: m.gettext("No such text"),
  untranslated: m.gettext("Not translated yet"),
  one: m.interpolate(m.ngettext("%(count)s scan waiting to upload", "%(count)s scans waiting to upload", 1), {count: 1}, true),
  three: m.interpolate(m.ngettext("%(count)s scan waiting to upload", "%(count)s scans waiting to upload", 3), {count: 3}, true),
  gate: m.pgettext("gate", "Open"),
  sheet: m.pgettext("sheet", "Open"),
  positional: m.interpolate("%s of %s", [2, 5]),
  browser: navigator.languages,
})).catch((error) => done({error: String(error)}));
"""


def _gettext_js(driver, url):
    driver.get(f"{url}/healthz")  # any page of the origin: the module is imported from it
    result = driver.execute_async_script(IMPORT)
    assert "error" not in result, result
    return result


@pytest.mark.browser
def test_gettext_js_speaks_the_browsers_language(js_catalogue, local_server, browser_in):
    spanish = _gettext_js(browser_in("es"), local_server)
    assert spanish["browser"][0].startswith("es")
    assert spanish == {**spanish, "language": "es", "inside": "Ya está dentro.", "unknown": "No such text",
                       "untranslated": "Not translated yet", "one": "1 lectura pendiente de subir",
                       "three": "3 lecturas pendientes de subir", "gate": "Abierta", "sheet": "Open",
                       "positional": "2 of 5"}
    english = _gettext_js(browser_in("en-GB"), local_server)
    assert english == {**english, "language": "en", "inside": "Already inside.", "one": "1 scan waiting to upload",
                       "three": "3 scans waiting to upload", "gate": "Open"}


@pytest.mark.browser
def test_the_switch_cookie_beats_the_browsers_language(js_catalogue, local_server, browser_in):
    driver = browser_in("en")
    driver.get(f"{local_server}/healthz")
    driver.add_cookie({"name": "django_language", "value": "es", "path": "/"})
    assert _gettext_js(driver, local_server)["inside"] == "Ya está dentro."


@pytest.mark.browser
def test_switching_without_the_server_writes_djangos_cookie(js_catalogue, local_server, browser_in):
    """switchLanguage() (the door scanner's switch, which must work offline): the cookie Django's
    set_language writes, then that language's texts; a language TicketCore does not speak is refused."""
    driver = browser_in("en")
    driver.get(f"{local_server}/healthz")
    result = driver.execute_async_script("""
      const done = arguments[arguments.length - 1];
      import("/static/i18n/gettext.js").then(async (m) => {
        const before = m.gettext("Already inside.");
        const switched = await m.switchLanguage("es");
        const refused = await m.switchLanguage("fr");
        done({before, switched, refused, language: m.language, inside: m.gettext("Already inside.")});
      }).catch((error) => done({error: String(error)}));""")
    assert result == {"before": "Already inside.", "switched": True, "refused": False, "language": "es",
                      "inside": "Ya está dentro."}, result
    cookie = driver.get_cookie("django_language")
    assert (cookie["value"], cookie["path"], cookie["sameSite"]) == ("es", "/", "Lax")
    assert cookie["expiry"] - time.time() > 364 * 24 * 3600


@pytest.mark.browser
def test_without_its_catalogue_the_app_starts_in_english(js_catalogue, local_server, browser_in):
    """Offline with nothing cached (or a server that does not answer): English, not a dead app."""
    driver = browser_in("es")
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/jsi18n/*"]})
    result = _gettext_js(driver, local_server)
    assert result["language"] == "en" and result["inside"] == "Already inside." and result["gate"] == "Open"
    warnings = [e["message"] for e in driver.get_log("browser") if "gettext.js" in e["message"]]
    assert warnings and "no es catalogue" in warnings[0]


@pytest.mark.browser
def test_djangos_catalogue_script_works_under_the_same_address(js_catalogue, local_server, browser_in):
    """/jsi18n/<lang>.js, for a page that prefers a classic <script> to the module."""
    driver = browser_in("es")
    driver.get(f"{local_server}/healthz")
    result = driver.execute_async_script("""
      const done = arguments[arguments.length - 1];
      const script = document.createElement("script");
      script.src = "/jsi18n/es.js";
      script.onload = () => done(JSON.stringify([django.gettext("Already inside."),
        django.interpolate(django.ngettext("%(count)s scan waiting to upload", "%(count)s scans waiting to upload", 2), {count: 2}, true)]));
      script.onerror = () => done("load failed");
      document.head.appendChild(script);
    """)
    assert json.loads(result) == ["Ya está dentro.", "2 lecturas pendientes de subir"]
