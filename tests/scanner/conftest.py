"""Browser fixtures for the door scanner: a real server process and headless Debian Chromium.

The server is granian serving the test database (as tests/conftest.py's app_server does) plus
the session's collected static files through granian's static route (as `make run` does; the
root conftest.py collects them, and tests/ticketcore/test_static_files.py covers a server
without that route), and
it can be stopped and started again on the same port: that is how the offline tests take the
network away from the phone."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.servers import log_tail, start_server, stop_server, wait_until_refused
from ticketcore.management.commands.compile_catalogues import ROOT as CATALOGUE_ROOT
from ticketcore.management.commands.compile_catalogues import compile_all

# The server these tests start serves /jsi18n/<lang>.json from the compiled catalogues: compile the
# .po files of this checkout first (as `make test` and bin/ticketcore migrate do).
compile_all([CATALOGUE_ROOT / "locale"])

ROOT = Path(__file__).resolve().parents[2]
# Screenshots refresh docs/screenshots only when asked (SCANNER_SCREENSHOTS_DIR=docs/screenshots);
# otherwise a plain test run would leave the committed images modified.
SCREENSHOTS = Path(os.environ.get("SCANNER_SCREENSHOTS_DIR") or tempfile.mkdtemp(prefix="scanner-shots-"))
PHONE = {"width": 390, "height": 844, "pixelRatio": 2}
NO_BROWSER = ("Browser tests need Debian's chromium and chromium-driver "
              "(apt-get install chromium chromium-driver; `make test` installs them in CI).")


def browser_paths() -> tuple[str, str] | None:
    chromium = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    return (chromium, driver) if chromium and driver else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ScannerServer:
    """granian on a fixed port for the whole test, stoppable and restartable."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        db = connection.settings_dict
        self.env = dict(
            os.environ,
            DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            CACHE_KEY_PREFIX=settings.CACHES["default"]["KEY_PREFIX"], PYTEST_XDIST_WORKER="", DEBUG="false",
        )

    def start(self) -> None:
        granian = Path(sys.executable).parent / "granian"
        self.log = tempfile.TemporaryFile()
        self.proc = start_server(
            [str(granian), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", "1", "--blocking-threads", "4",
             "--static-path-route", "/static", "--static-path-mount", str(settings.STATIC_ROOT),
             "ticketcore.wsgi:application"],
            env=self.env, log=self.log,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=1).read()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    tail = log_tail(self.log)
                    self.stop()
                    raise RuntimeError(f"granian did not start: {tail}") from None
                time.sleep(0.05)
        self.warm_up()

    def warm_up(self) -> None:
        """Give every worker thread its database connection (CONN_MAX_AGE keeps it), as on a
        server that has been up for a while: the timings measure scanning, not connecting."""
        from concurrent.futures import ThreadPoolExecutor

        def ready(_):
            return urllib.request.urlopen(f"{self.url}/readyz", timeout=10).read()

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(ready, range(16)))

    def stop(self) -> None:
        if self.proc is None:
            return
        stop_server(self.proc)
        self.proc = None
        self.log.close()
        wait_until_refused(self.port)  # the port must refuse connections before we go on


@pytest.fixture
def scanner_server(transactional_db):
    server = ScannerServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def browser(tmp_path):
    """browser(video, language="es") -> a Chrome driver whose camera plays `video` (a .y4m) in a
    loop, sized like a phone, speaking `language` (its Accept-Language and navigator.languages;
    English unless told). Every browser opened is closed at the end of the test."""
    paths = browser_paths()
    if paths is None:
        pytest.skip(NO_BROWSER)
    chromium, chromedriver = paths
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers = []

    def open_browser(video: Path, *extra_args: str, language: str = "en", metrics: dict | None = PHONE):
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for arg in [
            "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--mute-audio",
            "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-sync",
            "--disable-component-update", "--disable-default-apps",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
            "--autoplay-policy=no-user-gesture-required",
            f"--user-data-dir={tmp_path / f'profile{len(drivers)}'}", f"--lang={language}",
            *extra_args,
        ]:
            options.add_argument(arg)
        if metrics:  # None: a desktop window (the box-office terminal's tests size it themselves)
            options.add_experimental_option("mobileEmulation", {"deviceMetrics": metrics})
        options.add_experimental_option("prefs", {"intl.accept_languages": language})
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
        driver.set_script_timeout(30)
        drivers.append(driver)
        return driver

    yield open_browser
    for driver in drivers:
        try:
            driver.quit()
        except Exception:  # a crashed browser must not hide the test's own failure
            pass


def requested_urls(driver) -> list[str]:
    """Every URL the page asked for since the last call (Chrome performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def screenshot(driver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"scanner-{name}.png"
    driver.save_screenshot(str(path))
    return path
