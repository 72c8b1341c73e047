"""The manager dashboard in headless Chromium, against a real daphne process (HTTP + WebSocket)
serving the test database: log in, watch scans made through the API change the tiles,
acknowledge an alert, survive a dropped socket, revoke a device (after saying yes).

Every wait polls the DOM with a deadline (WebDriverWait); nothing sleeps."""
from __future__ import annotations

import json
import os
import shutil
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

from alerts.models import Alert
from alerts.services import raise_alert
from devices.models import Device
from tests.conftest import code_for, make_device, make_event, sell
from tests.servers import child_env, server_process
from tickets.services import generate_tickets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else shutil.which("chromedriver")


def _require_browser():
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip("Headless Chromium not found: install Debian's chromium and chromium-driver "
                    "(apt-get install chromium chromium-driver, or python scripts/ensure_browser.py).")


@pytest.fixture
def asgi_server(transactional_db):
    """daphne on a free port, using this test database: one process for the page, the API, the
    WebSocket and the static files (WhiteNoise, from the session's collected STATIC_ROOT).
    Not `runserver --insecure`: it serves static files from the source tree by their plain
    names, and the pages link the collected, content-hashed ones (ADR 0021)."""
    _require_browser()
    daphne = str(Path(sys.executable).parent / "daphne")
    with server_process(lambda port: [daphne, "-b", "127.0.0.1", "-p", str(port), "ticketcore.asgi:application"],
                        name="daphne", env=child_env(PYTHONUNBUFFERED="1")) as url:
        yield url


@pytest.fixture
def browser():
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1600,1500", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def api_scan(url: str, token: str, code: str, direction: str = "in") -> dict:
    request = urllib.request.Request(
        f"{url}/api/v1/scan", method="POST",
        data=json.dumps({"code": code, "direction": direction, "scan_id": str(uuid.uuid4())}).encode(),
        headers={"Authorization": f"Device {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())


def test_dashboard_live_in_chromium(asgi_server, browser, django_user_model):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    event = make_event(name="Noche de Campeones")
    generate_tickets(event_id=event.event_id)
    sell(event, "A-1", "A-2", "A-3", "B-1", "B-2")
    north, north_token = make_device(event, name="North gate")
    south, south_token = make_device(event, name="South gate")
    django_user_model.objects.create_user("manager", password="pw-manager-123", is_staff=True)

    def wait(predicate, timeout=10, message=""):
        # The page re-renders its lists on every message: a found element may go stale, try again.
        return WebDriverWait(browser, timeout, poll_frequency=0.05,
                             ignored_exceptions=[StaleElementReferenceException]).until(lambda d: predicate(), message)

    def text(element_id):
        return browser.find_element(By.ID, element_id).text

    # Not logged in: the admin login, then back to the dashboard.
    browser.get(f"{asgi_server}/dashboard/events/{event.event_id}/")
    assert "/admin/login/" in browser.current_url
    browser.find_element(By.ID, "id_username").send_keys("manager")
    browser.find_element(By.ID, "id_password").send_keys("pw-manager-123")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait(lambda: browser.current_url.endswith(f"/dashboard/events/{event.event_id}/"), message="no redirect back")
    wait(lambda: browser.find_element(By.ID, "conn").get_attribute("data-state") == "live", message="socket not live")
    assert text("v-accepted") == "0" and text("v-inside") == "0"
    assert browser.execute_script("return typeof Chart") == "function"  # the vendored library loaded

    # Scans through the HTTP API show up on the tiles, the gate table and the zone bars.
    assert api_scan(asgi_server, north_token, code_for(event, "A-1"))["result"] == "accepted"
    assert api_scan(asgi_server, north_token, code_for(event, "A-2"))["result"] == "accepted"
    assert api_scan(asgi_server, south_token, code_for(event, "B-1"))["result"] == "accepted"
    assert api_scan(asgi_server, south_token, code_for(event, "A-1"))["reason"] == "already_inside"
    wait(lambda: text("v-accepted") == "3" and text("v-rejected") == "1", message="counts did not change")
    wait(lambda: text("v-inside") == "3")
    gate_cell = f'#gates tr[data-checkpoint="{north.checkpoint_id}"] [data-field="accepted"]'
    wait(lambda: browser.find_element(By.CSS_SELECTOR, gate_cell).text == "2")
    wait(lambda: browser.find_element(By.CSS_SELECTOR, '#zones [data-zone="A"] [data-field="inside"]').text == "2")
    wait(lambda: len(browser.find_elements(By.CSS_SELECTOR, "#feed li[data-result]")) >= 4)

    # An alert arrives live and is acknowledged with the button (session + CSRF).
    alert_id = raise_alert(event_id=event.event_id, kind="rejected_burst",
                           message="25 rejected scans in the last 60 s at South gate.",
                           data={"checkpoint": south.checkpoint_id}, dedupe_key="browser-test")
    selector = f'#alerts li[data-alert-id="{alert_id}"]'
    wait(lambda: browser.find_elements(By.CSS_SELECTOR, selector), message="alert did not arrive")
    assert text("v-alerts") == "1"
    wait(lambda: browser.find_element(By.CSS_SELECTOR, f'{selector} button[data-action="ack"]').click() or True)
    wait(lambda: "acked" in browser.find_element(By.CSS_SELECTOR, selector).get_attribute("class"))
    assert Alert.objects.get(pk=alert_id).acknowledged_by == "manager"
    wait(lambda: text("v-alerts") == "0")

    # The socket drops: the page reconnects on its own and catches up from the database.
    browser.execute_script("window.ticketcoreLive.socket().close()")
    wait(lambda: browser.find_element(By.ID, "conn").get_attribute("data-state") != "live")
    assert api_scan(asgi_server, south_token, code_for(event, "B-2"))["result"] == "accepted"
    wait(lambda: browser.find_element(By.ID, "conn").get_attribute("data-state") == "live", timeout=15,
         message="did not reconnect")
    wait(lambda: text("v-accepted") == "4" and text("v-inside") == "4", message="did not catch up")

    screenshot = os.environ.get("DASHBOARD_SCREENSHOT")
    if screenshot:
        browser.save_screenshot(screenshot)

    # Revoke asks first, naming the phone and its gate; then the token stops working at once.
    device_row = f'#devices tr[data-device-id="{south.device_id}"]'
    wait(lambda: browser.find_element(By.CSS_SELECTOR, f'{device_row} button[data-action="revoke"]').click() or True)
    question = wait(lambda: browser.find_element(By.CSS_SELECTOR, f"{device_row} .confirm-q").text)
    assert question == "Revoke South gate at Gate South gate? It stops scanning at once."
    assert Device.objects.get(pk=south.device_id).revoked_at is None  # nothing happens before "Yes"
    wait(lambda: browser.find_element(By.CSS_SELECTOR, f'{device_row} button[data-action="cancel-revoke"]').click()
         or True)
    wait(lambda: browser.find_elements(By.CSS_SELECTOR, f'{device_row} button[data-action="revoke"]'))
    wait(lambda: browser.find_element(By.CSS_SELECTOR, f'{device_row} button[data-action="revoke"]').click() or True)
    wait(lambda: browser.find_element(By.CSS_SELECTOR, f'{device_row} button[data-action="confirm-revoke"]').click()
         or True)
    wait(lambda: browser.find_element(By.CSS_SELECTOR, device_row).get_attribute("data-status") == "revoked")
    assert Device.objects.get(pk=south.device_id).revoked_at is not None
    with pytest.raises(urllib.error.HTTPError) as refused:
        api_scan(asgi_server, south_token, code_for(event, "B-2"), "out")
    assert refused.value.code == 401
    logs = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]
    assert not logs, logs
