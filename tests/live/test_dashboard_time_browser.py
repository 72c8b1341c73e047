"""The dashboard in headless Chromium shows every time on the event's clock with its offset, not
the browser's (the browser is set to New York here, the event is in Kolkata, UTC+05:30): latest
scans, alerts, devices' last contact and the chart's axis; the chart switches between the last
30 minutes and the whole night; the mirror tile is for administrators only.

Every wait polls the DOM with a deadline (WebDriverWait); nothing sleeps."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from access.models import Scan
from alerts.models import Alert
from alerts.services import raise_alert
from devices.models import Device
from devices.services import record_heartbeat
from events.models import Event
from tests.conftest import code_for, make_device, make_event, sell
from tests.live.test_dashboard_browser import api_scan, asgi_server, browser  # noqa: F401 - fixtures
from tests.live.test_series import db_now, insert_scan
from tickets.services import generate_tickets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZONE = ZoneInfo("Asia/Kolkata")
SHOTS = os.environ.get("DASHBOARD_SCREENSHOT_DIR")


def kolkata(at, fmt="%H:%M:%S") -> str:
    return at.astimezone(ZONE).strftime(fmt)


def shot(driver, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SHOTS) / f"{name}.png"))


def test_local_times_whole_night_and_mirror_in_chromium(asgi_server, browser, django_user_model):  # noqa: F811 - fixtures
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    event = make_event(name="Noche de Campeones", starts_in=timedelta(hours=2))
    Event.objects.filter(pk=event.pk).update(timezone="Asia/Kolkata")
    event = Event.objects.get(pk=event.pk)
    generate_tickets(event_id=event.event_id)
    sell(event, "A-1", "B-1")
    north, north_token = make_device(event, name="North 1")
    south, _ = make_device(event, name="South 2")
    record_heartbeat(device=south, device_time=db_now())
    now = db_now()
    first = now - timedelta(hours=4, minutes=7)
    for minutes_ago, device in ((4 * 60 + 7, north), (3 * 60, south), (2 * 60, north), (90, south), (45, north)):
        for _ in range(3):
            insert_scan(device, now - timedelta(minutes=minutes_ago))
    django_user_model.objects.create_user("manager", password="pw-manager-123", is_staff=True)
    django_user_model.objects.create_superuser("root", password="pw-root-12345")

    # The browser lives in New York: nothing on the page may follow its clock.
    browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "America/New_York"})

    def wait(predicate, timeout=10, message=""):
        return WebDriverWait(browser, timeout, poll_frequency=0.05,
                             ignored_exceptions=[StaleElementReferenceException]).until(lambda d: predicate(), message)

    def css(selector):
        return browser.find_element(By.CSS_SELECTOR, selector)

    def login(username, password):
        browser.delete_all_cookies()
        browser.get(f"{asgi_server}/admin/login/?next=/dashboard/events/{event.event_id}/")
        browser.find_element(By.ID, "id_username").send_keys(username)
        browser.find_element(By.ID, "id_password").send_keys(password)
        browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        wait(lambda: browser.current_url.endswith(f"/dashboard/events/{event.event_id}/"), message="no redirect")
        wait(lambda: css("#conn").get_attribute("data-state") == "live", message="socket not live")

    login("manager", "pw-manager-123")
    assert browser.execute_script("return Intl.DateTimeFormat().resolvedOptions().timeZone") == "America/New_York"
    assert "(UTC+05:30)" in css("#event-when").text
    assert kolkata(event.date_start, "%a %-d %b %Y, %H:%M") in css("#event-when").text  # "Mon 30 Nov 2026, 07:04"

    # A scan now: the latest scans list shows it on Kolkata's clock, with the offset.
    assert api_scan(asgi_server, north_token, code_for(event, "A-1"))["result"] == "accepted"
    scan = Scan.objects.filter(device=north, result="accepted").latest("id")
    row = "#feed li[data-result=accepted]"
    wait(lambda: browser.find_elements(By.CSS_SELECTOR, row), message="scan not shown")
    assert css(f"{row} .t").text.split() == [kolkata(scan.server_time), "UTC+05:30"]
    assert "entry · Gate North 1 · North 1" in css(f"{row} .why").text
    assert "Ringside" in css(f"{row} .zone-chip").text

    # An alert: its time is Kolkata's, with the offset.
    alert_id = raise_alert(event_id=event.event_id, kind="rejected_burst", message="3 scans refused at Gate North 1.",
                           data={}, dedupe_key="browser-time")
    alert = Alert.objects.get(pk=alert_id)
    when = f'#alerts li[data-alert-id="{alert_id}"] .when'
    wait(lambda: browser.find_elements(By.CSS_SELECTOR, when), message="alert not shown")
    assert css(when).text.startswith(f"{kolkata(alert.created_at)} (UTC+05:30) · ")

    # A device's last contact, on the same clock.
    seen = Device.objects.get(pk=south.pk).last_seen_at
    cell = f'#devices tr[data-device-id="{south.device_id}"] .when'
    assert css(cell).text == f"{kolkata(seen)} (UTC+05:30)"

    # The chart: 30 minutes on Kolkata's clock, the axis says so.
    chart = "return Chart.getChart('chart-rate')"
    def labels():
        return browser.execute_script(f"{chart}.data.labels")
    # The last minute is now's, or the next one if a minute ticked over since the scans went in.
    assert len(labels()) == 30 and labels()[-1] in {kolkata(now, "%H:%M"), kolkata(db_now(), "%H:%M")}
    assert browser.execute_script(f"{chart}.options.scales.x.title.text") == "Asia/Kolkata time (UTC+05:30)"
    assert css("#rate-note").text == ""  # the pressed button says it
    assert css("#tile-mirror").get_attribute("hidden") is not None  # a manager does not see the mirror
    shot(browser, "dashboard-30-minutes")

    # The whole night: from the first scan (4 h 7 min ago) to now, every minute.
    css('button[data-range="night"]').click()
    wait(lambda: len(labels()) > 200, message="whole night not drawn")
    late = labels()[-1] != kolkata(now, "%H:%M")  # a minute ticked over: the night is one minute longer
    assert labels()[0] == kolkata(first, "%H:%M") and labels()[-1] in {kolkata(now, "%H:%M"), kolkata(db_now(), "%H:%M")}
    assert len(labels()) == 4 * 60 + 8 + late
    assert css("#rate-note").text == f"since {kolkata(first, '%H:%M')} (UTC+05:30)"
    assert css('button[data-range="night"]').get_attribute("aria-pressed") == "true"
    # The axis ticks fall on round times of the event's clock (4 hours: every 30 minutes).
    ticks = browser.execute_script(f"{chart}.scales.x.ticks.map(t => t.label).filter(Boolean)")
    assert ticks and all(t.endswith((":00", ":30")) for t in ticks), ticks
    totals = browser.execute_script(f"{chart}.data.datasets.map(d => [d.label, d.data.reduce((a, b) => a + b, 0)])")
    assert dict(totals) == {"Gate North 1": 10, "Gate South 2": 6}  # 9 inserted + 1 live, and 6
    shot(browser, "dashboard-whole-night")
    # A new scan lands in the last minute of the whole night too.
    assert api_scan(asgi_server, north_token, code_for(event, "B-1"))["result"] == "accepted"
    wait(lambda: dict(browser.execute_script(
        f"{chart}.data.datasets.map(d => [d.label, d.data.reduce((a, b) => a + b, 0)])"))["Gate North 1"] == 11)
    css('button[data-range="recent"]').click()
    wait(lambda: len(labels()) == 30)
    assert css("#rate-note").text == ""

    # An administrator sees the mirror's lag.
    login("root", "pw-root-12345")
    wait(lambda: css("#tile-mirror").get_attribute("hidden") is None, message="mirror tile hidden for root")
    assert css("#v-mirror").text
    shot(browser, "dashboard-administrator")
    logs = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]
    assert not logs, logs
