"""Fixtures for the sales desk's browser tests: a real SMTP server, daphne serving the test
database (HTTP, WebSocket, static files) with its mail settings pointed at that server, and
headless Chromium windows speaking a chosen language."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.desk.smtp_sink import SMTPSink
from tests.i18n.conftest import NO_BROWSER, _browser_paths, catalogue  # noqa: F401 (the fixture, and the .mo compiled)
from tests.servers import child_env, server_process

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def smtp_sink():
    with SMTPSink() as sink:
        yield sink


@pytest.fixture
def desk_server(transactional_db, smtp_sink):
    """daphne on a free port: the desk page, the API, the live feed and the static files, sending
    mail over SMTP to `smtp_sink`."""
    if _browser_paths() is None:
        pytest.skip(NO_BROWSER)
    daphne = str(Path(sys.executable).parent / "daphne")
    env = child_env(PYTHONUNBUFFERED="1", EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                    EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_sink.port), EMAIL_TIMEOUT="5",
                    DEFAULT_FROM_EMAIL="Box office <tickets@arena.test>")
    with server_process(lambda port: [daphne, "-b", "127.0.0.1", "-p", str(port), "ticketcore.asgi:application"],
                        name="daphne", env=env) as url:
        yield url


@pytest.fixture
def open_browser(tmp_path):
    """open_browser(language="en", width=1440, height=1000) -> a headless Chromium speaking that
    language only; every one is closed at the end of the test."""
    paths = _browser_paths()
    if paths is None:
        pytest.skip(NO_BROWSER)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers = []

    def open_(language: str = "en", *, width: int = 1440, height: int = 1000):
        options = webdriver.ChromeOptions()
        options.binary_location = paths[0]
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                    "--disable-extensions", "--disable-background-networking", "--disable-sync",
                    "--disable-component-update", "--disable-default-apps", "--force-device-scale-factor=1",
                    f"--lang={language}", f"--window-size={width},{height}",
                    f"--user-data-dir={tmp_path / f'desk-profile-{len(drivers)}'}"):
            options.add_argument(arg)
        options.add_experimental_option("prefs", {"intl.accept_languages": language})
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(executable_path=paths[1]), options=options)
        driver.set_page_load_timeout(30)
        driver.set_script_timeout(20)
        drivers.append(driver)
        return driver

    yield open_
    for driver in drivers:
        try:
            driver.quit()
        except Exception:  # a crashed browser must not hide the test's own failure
            pass


def screenshot(driver, name: str) -> None:
    """docs/screenshots/desk-<name>.png when DESK_SCREENSHOTS is set (a run that refreshes them)."""
    if os.environ.get("DESK_SCREENSHOTS"):
        target = ROOT / "docs" / "screenshots" / f"desk-{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(target))
