"""Fixtures for the language tests: catalogues compiled from the .po files in the repository,
headless Chromium speaking a given language, and an in-process HTTP server for what needs no
database (the catalogue views and static files, under overridden settings)."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from django.core.signals import setting_changed

from tests.i18n.completeness import load_catalogue
from ticketcore.management.commands.compile_catalogues import ROOT, compile_all

# At import, before any test asks Django for a translation: the .mo files Django reads are the
# ones the .po files in this checkout compile to. `make test` compiles them too (the `catalogues`
# target), and bin/ticketcore migrate on every deployment.
if any(result.written for result in compile_all([ROOT / "locale"])):
    # Django caches loaded catalogues per process; this is its own reset for a locale change.
    setting_changed.send(sender=None, setting="LOCALE_PATHS", value=None, enter=False)

NO_BROWSER = "Browser tests need Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)."


@pytest.fixture(scope="session")
def catalogue():
    """The Spanish catalogues as the .po files say (tests/i18n/completeness.py)."""
    return load_catalogue()


def _browser_paths() -> tuple[str, str] | None:
    chromium = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    return (chromium, driver) if chromium and driver else None


@pytest.fixture
def browser_in(tmp_path):
    """browser_in("es") -> a headless Chromium whose languages (Accept-Language and
    navigator.languages) are that language only. Closed at the end of the test."""
    paths = _browser_paths()
    if paths is None:
        pytest.skip(NO_BROWSER)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers = []

    def open_browser(language: str, *, width: int = 390, height: int = 844):
        options = webdriver.ChromeOptions()
        options.binary_location = paths[0]
        for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                    "--disable-extensions", "--disable-background-networking", "--disable-sync",
                    "--disable-component-update", "--disable-default-apps", f"--lang={language}",
                    f"--window-size={width},{height}", f"--user-data-dir={tmp_path / f'profile-{len(drivers)}'}"]:
            options.add_argument(arg)
        options.add_experimental_option("prefs", {"intl.accept_languages": language})
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(executable_path=paths[1]), options=options)
        driver.set_script_timeout(20)
        drivers.append(driver)
        return driver

    yield open_browser
    for driver in drivers:
        try:
            driver.quit()
        except Exception:  # a crashed browser must not hide the test's own failure
            pass


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    """The whole Django application (every middleware, WhiteNoise serving the collected static
    files) on a thread of this process, so settings overridden by the test apply to it. No
    database connection of its own: for the catalogue views and static files only."""
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    server = make_server("127.0.0.1", 0, application, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
