"""The admin in a Spanish-speaking Chromium (issue 16 items 4-6): a lead whose browser asks for
Spanish logs in and reads the event's set-up page, the ticket list and the scan list in Spanish,
with times on the event's clock and its offset, against a real daphne process serving the test
database (the night of tests/backoffice/report_scenario.py).

Screenshots: ADMIN_SCREENSHOTS=docs/screenshots writes docs/screenshots/admin-es-*.png.
Every wait polls with a deadline; nothing sleeps."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.backoffice.report_scenario import build_night
from tests.live.test_dashboard_browser import _require_browser
from tests.servers import child_env, server_process

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("ADMIN_SCREENSHOTS")
PASSWORD = "pw-jefa-de-sala-1"


@pytest.fixture
def server(transactional_db):
    _require_browser()
    daphne = str(Path(sys.executable).parent / "daphne")
    with server_process(lambda port: [daphne, "-b", "127.0.0.1", "-p", str(port), "ticketcore.asgi:application"],
                        name="daphne", env=child_env(PYTHONUNBUFFERED="1")) as url:
        yield url


@pytest.fixture
def spanish_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from tests.live.test_dashboard_browser import CHROMEDRIVER, CHROMIUM

    _require_browser()
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--force-device-scale-factor=1", "--lang=es"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": "es"})
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _wait(driver, predicate, message):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 15).until(lambda d: predicate(d), message)


def _shot(driver, name: str) -> None:
    if SHOTS:
        driver.execute_script("window.scrollTo(0, 0)")
        height = min(4000, driver.execute_script("return document.body.scrollHeight"))
        driver.set_window_size(1400, max(1000, height))
        driver.save_screenshot(os.path.join(SHOTS, f"admin-es-{name}.png"))
        driver.set_window_size(1400, 1000)


def _open(driver, url: str, ready_css: str):
    from selenium.webdriver.common.by import By

    driver.get(url)
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ready_css), f"{url}: {ready_css} never appeared")
    return driver.find_element(By.TAG_NAME, "body").text


def test_a_spanish_speaking_lead_reads_the_admin_in_spanish(server, spanish_browser, django_user_model):
    from selenium.webdriver.common.by import By

    night = build_night()
    django_user_model.objects.create_user("jefa", password=PASSWORD, is_staff=True, is_superuser=True)
    b = spanish_browser
    b.get(f"{server}/admin/login/")
    b.find_element(By.ID, "id_username").send_keys("jefa")
    b.find_element(By.ID, "id_password").send_keys(PASSWORD)
    b.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    _wait(b, lambda d: "/admin/login/" not in d.current_url, "the login did not go through")
    assert b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "es"

    event_id = night.event.event_id
    setup = _open(b, f"{server}/admin/events/event/{event_id}/change/", "#stock")
    for words in ("Preparación, paso a paso", "Datos del evento", "Existencias e ingresos (EUR)", "Zona horaria",
                  "Las puertas abren el", "(UTC+01:00)"):
        assert words in setup, words
    _shot(b, "event-setup")

    tickets = _open(b, f"{server}/admin/tickets/ticket/?event__event_id__exact={event_id}", "#result_list")
    assert "Vender los asientos marcados" in b.page_source  # the batch actions
    assert "Disponible" in tickets and "Available" not in tickets  # the states, in the list and its filter
    assert "Vendida por el personal" in tickets and "Sold by staff" not in tickets  # the sales channel
    _shot(b, "tickets")

    scans = _open(b, f"{server}/admin/access/scan/?event__event_id__exact={event_id}", "#result_list")
    assert "North 1" in scans and "(UTC+01:00)" in scans and "Buscar" in b.page_source
    assert "alt=\"False\"" not in b.page_source
    _shot(b, "scans")
