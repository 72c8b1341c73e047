"""Headless Debian Chromium for tests that walk several apps at once: a staff desktop that
downloads the PDFs it is given (instead of showing them), and phones whose camera plays a video,
against one daphne process that serves everything (admin, API, scanner app, dashboard WebSocket,
static files).

The older browser tests (tests/scanner/conftest.py, tests/live/test_dashboard_browser.py,
tests/backoffice/test_setup_browser.py) keep their own fixtures; new ones use these.
Every wait polls with a deadline; nothing sleeps."""
from __future__ import annotations

import contextlib
import shutil
import sys
import time
from pathlib import Path

import pytest

from tests.servers import child_env, server_process

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMEDRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
PHONE = {"width": 390, "height": 844, "pixelRatio": 2}
_COMMON = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-default-apps", "--disable-extensions", "--mute-audio")


def require_browser() -> None:
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip("Headless Chromium not found: install Debian's chromium and chromium-driver "
                    "(apt-get install chromium chromium-driver, or python scripts/ensure_browser.py).")


@contextlib.contextmanager
def daphne():
    """One daphne process on this test database: HTTP, WebSocket and static files (WhiteNoise)."""
    require_browser()
    binary = str(Path(sys.executable).parent / "daphne")
    with server_process(lambda port: [binary, "-b", "127.0.0.1", "-p", str(port), "ticketcore.asgi:application"],
                        name="daphne", env=child_env(PYTHONUNBUFFERED="1")) as url:
        yield url


def chromium(profile: Path, *, language: str = "en", downloads: Path | None = None, camera: Path | None = None,
             phone: bool = False, window: tuple[int, int] = (1400, 1000)):
    """A Chrome driver. `language`: what the browser asks pages for (Accept-Language).
    `downloads`: files (PDFs included) are saved there without asking. `camera`: a .y4m the fake
    camera plays in a loop. `phone`: a phone-sized screen (mobile emulation)."""
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (*_COMMON, f"--user-data-dir={profile}", f"--lang={language}", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    if not phone:
        options.add_argument(f"--window-size={window[0]},{window[1]}")
    else:
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE})
    if camera is not None:
        for arg in ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-video-capture={camera}", "--autoplay-policy=no-user-gesture-required"):
            options.add_argument(arg)
    prefs = {"intl.accept_languages": language}
    if downloads is not None:
        downloads.mkdir(parents=True, exist_ok=True)
        prefs.update({"download.default_directory": str(downloads), "download.prompt_for_download": False,
                      "plugins.always_open_pdf_externally": True})
    options.add_experimental_option("prefs", prefs)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    if downloads is not None:  # headless Chromium saves downloads only when told where
        driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


def wait_for_download(folder: Path, pattern: str, *, known: set[Path] = frozenset(), timeout: float = 30) -> Path:
    """The first file in `folder` matching `pattern` that is not in `known` and is complete
    (Chromium writes `.crdownload` first and renames it when done)."""
    deadline = time.monotonic() + timeout
    while True:
        done = [p for p in folder.glob(pattern) if p not in known and not p.name.endswith(".crdownload")]
        if done and done[0].stat().st_size > 0:
            return done[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no {pattern} downloaded into {folder}: {sorted(p.name for p in folder.iterdir())}")
        time.sleep(0.05)  # polling the folder until the deadline


def quit_all(drivers) -> None:
    for driver in drivers:
        try:
            driver.quit()
        except Exception:  # a crashed browser must not hide the test's own failure
            pass
