"""The live dashboard survives a restart of the ASGI server (issue 13, item 17).

Real daphne on a fixed port, real headless Chromium logged in as staff: kill daphne (SIGKILL, as
a crash or an OOM kill would), the page must say at once that its figures are stale, in words;
start daphne again on the same port, the page must go live by itself within seconds, resync from
the database snapshot and show a scan made meanwhile. Every wait polls with a deadline."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.live.test_dashboard_browser import _require_browser, api_scan
from tests.conftest import code_for, make_device, make_event, sell
from tests.servers import child_env, free_port, wait_until_refused
from tickets.services import generate_tickets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 "--window-size=1600,1500", "--force-device-scale-factor=1")


class Daphne:
    """daphne on one port for the whole test, killable and restartable on that same port."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = child_env(PYTHONUNBUFFERED="1")
        self.log_dir = log_dir
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout: float = 30) -> None:
        self.starts += 1
        log = open(self.log_dir / f"daphne-{self.starts}.log", "wb")
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(self.port),
             "ticketcore.asgi:application"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=1).read()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.proc.kill()
                    raise RuntimeError("daphne did not start: " + self.log().decode()[-2000:])
                time.sleep(0.05)  # polling the port until the deadline

    def log(self) -> bytes:
        return (self.log_dir / f"daphne-{self.starts}.log").read_bytes()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None
        # the port must refuse connections before we go on
        assert wait_until_refused(self.port), "the port still answers after daphne was killed"

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
            self.proc = None


@pytest.fixture
def daphne(transactional_db, tmp_path):
    _require_browser()
    server = Daphne(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def chromium():
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from tests.live.test_dashboard_browser import CHROMEDRIVER, CHROMIUM

    options = webdriver.ChromeOptions()
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _screenshot(browser, name: str) -> None:
    """docs/screenshots is refreshed only when asked (DASHBOARD_SCREENSHOTS_DIR=docs/screenshots),
    so a plain run leaves the committed images alone."""
    directory = os.environ.get("DASHBOARD_SCREENSHOTS_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(directory) / f"dashboard-{name}.png"))


def test_dashboard_goes_stale_when_daphne_dies_and_live_again_when_it_is_back(daphne, chromium):
    from django.core.management import call_command
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from access.services import scan
    from devices.models import Device

    browser = chromium
    event = make_event(name="Noche de Campeones")
    generate_tickets(event_id=event.event_id)
    sell(event, "A-1", "A-2", "B-1")
    device, token = make_device(event, name="North gate")
    # The manager account as `make run` makes it, with the command it runs on every start.
    call_command("ensure_admin", "manager", "pw-manager-123", stdout=open(os.devnull, "w"))

    def wait(predicate, timeout=10, message=""):
        return WebDriverWait(browser, timeout, poll_frequency=0.05,
                             ignored_exceptions=[StaleElementReferenceException]).until(lambda d: predicate(), message)

    def state():
        return browser.find_element(By.ID, "conn").get_attribute("data-state")

    def text(element_id):
        return browser.find_element(By.ID, element_id).text

    def stale() -> bool:
        return browser.find_element(By.TAG_NAME, "body").get_attribute("data-stale") == "true"

    browser.get(f"{daphne.url}/dashboard/events/{event.event_id}/")
    browser.find_element(By.ID, "id_username").send_keys("manager")
    browser.find_element(By.ID, "id_password").send_keys("pw-manager-123")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait(lambda: state() == "live", message="socket not live")
    assert not stale() and not browser.find_element(By.ID, "stale").is_displayed()
    assert api_scan(daphne.url, token, code_for(event, "A-1"))["result"] == "accepted"
    wait(lambda: text("v-accepted") == "1", message="first scan not shown")

    # The server dies. The page says so at once, in words, and keeps the last figures.
    daphne.kill()
    wait(lambda: state() == "down" and stale(), message="the page did not mark its figures stale")
    wait(lambda: browser.find_element(By.ID, "stale").is_displayed())
    assert "stale" in text("stale").lower() and "cannot be reached" in text("stale")
    assert text("v-accepted") == "1"
    # The outage lasts 8 s, long enough for the old backoff (1, 2, 4, 8, 16, 30 s) to be waiting
    # 8-16 s more: this loop is the outage itself, not a wait for something.
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        assert state() != "live" and stale()
        time.sleep(0.25)
    _screenshot(browser, "stale")

    # A scan while the server is down (another process of the cluster took it): the page can
    # only learn it from the snapshot it gets on reconnect.
    result = scan(device=Device.objects.get(pk=device.pk), code=code_for(event, "A-2"), direction="in",
                  scan_id=uuid.uuid4())
    assert result.accepted
    # `make run` runs ensure_admin on every start; it must not end the manager's session.
    call_command("ensure_admin", "manager", "pw-manager-123", stdout=open(os.devnull, "w"))

    daphne.start()
    back = time.monotonic()
    wait(lambda: state() == "live", timeout=10, message="the page did not go live again by itself")
    reconnect_s = time.monotonic() - back
    wait(lambda: not stale() and not browser.find_element(By.ID, "stale").is_displayed(),
         message="still marked stale while live")
    wait(lambda: text("v-accepted") == "2" and text("v-inside") == "2", message="did not resync from the snapshot")

    # And the live stream flows again: a new scan appears without a reload.
    assert api_scan(daphne.url, token, code_for(event, "B-1"))["result"] == "accepted"
    wait(lambda: text("v-accepted") == "3", message="a scan after the restart did not arrive")
    wait(lambda: len(browser.find_elements(By.CSS_SELECTOR, "#feed li[data-result]")) >= 2)
    _screenshot(browser, "live")
    print(f"dashboard live again {reconnect_s:.2f} s after daphne answered", file=sys.stderr)


def test_dashboard_says_signed_out_when_its_session_is_gone_and_recovers_after_sign_in(daphne, chromium):
    """A refused handshake looks like a network failure to the page (a 403 before accept has no
    close code). The page must tell the manager the session ended, link to the login, and come
    back by itself once the browser is signed in again (here: in a second tab)."""
    from django.contrib.sessions.models import Session
    from django.core.management import call_command
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser = chromium
    event = make_event(name="Noche de Campeones")
    call_command("ensure_admin", "manager", "pw-manager-123", stdout=open(os.devnull, "w"))

    def wait(predicate, timeout=10, message=""):
        return WebDriverWait(browser, timeout, poll_frequency=0.05,
                             ignored_exceptions=[StaleElementReferenceException]).until(lambda d: predicate(), message)

    def state():
        return browser.find_element(By.ID, "conn").get_attribute("data-state")

    def sign_in():
        browser.find_element(By.ID, "id_username").send_keys("manager")
        browser.find_element(By.ID, "id_password").send_keys("pw-manager-123")
        browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()

    page = f"{daphne.url}/dashboard/events/{event.event_id}/"
    browser.get(page)
    sign_in()
    wait(lambda: state() == "live", message="socket not live")
    dashboard_tab = browser.current_window_handle

    Session.objects.all().delete()  # the session ends (logged out elsewhere, expired, flushed)
    browser.execute_script("window.ticketcoreLive.socket().close()")
    wait(lambda: browser.find_element(By.ID, "stale").is_displayed()
         and "Signed out" in browser.find_element(By.ID, "stale").text, timeout=15,
         message="the page did not say the session ended")
    link = browser.find_element(By.ID, "stale-signin")
    assert link.is_displayed() and "/admin/login/?next=" in link.get_attribute("href")
    wait(lambda: "Signed out" in browser.find_element(By.ID, "conn").text)
    _screenshot(browser, "signed-out")

    browser.switch_to.new_window("tab")
    browser.get(f"{daphne.url}/admin/login/?next=/dashboard/")
    sign_in()
    browser.switch_to.window(dashboard_tab)
    wait(lambda: state() == "live", timeout=25, message="did not come back after signing in again")
    wait(lambda: not browser.find_element(By.ID, "stale").is_displayed())
