"""The door scanner's language (issue 16 item 4, docs/adr/0029) in a real browser: it follows the
browser, and the switch in the phone's menu changes every text on screen at once, with no reload
and with no server (the service worker keeps both catalogues); the choice survives a reload
offline, and the server's own answers follow it too (the same cookie as Django's switch)."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.conftest import code_for, make_event, sell
from tests.scanner.conftest import screenshot
from tests.scanner.language import Speaker, english_left_on
from tests.scanner.pages import body, dismiss, js, open_paired, pair_device, result_text, wait, wait_for_result, wedge
from tests.scanner.video import blank_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "return document.querySelector('.aim').textContent"


def switch_to(driver, language):
    driver.find_element(By.ID, "menu-open").click()
    wait(driver, lambda d: d.find_element(By.ID, "menu").is_displayed())
    driver.find_element(By.CSS_SELECTOR, f'#menu .language-switch button[value="{language}"]').click()
    wait(driver, lambda d: body(d, "language") == language, 10, f"did not switch to {language}")
    return driver.find_element(By.ID, "menu")


def test_the_switch_changes_every_text_offline_and_is_kept(browser, scanner_server, tmp_path):
    from tickets.services import generate_tickets

    english, spanish = Speaker("en"), Speaker("es")
    event = make_event()
    generate_tickets(event_id=event.event_id)
    sell(event, "A-1", "A-2")
    _, code = pair_device(event, name="North")
    driver = browser(blank_video(tmp_path / "blank.y4m"), language="en")  # a phone set to English
    open_paired(driver, scanner_server, code, result_ms=60000)
    wait(driver, lambda d: body(d, "manifest") == "ready" and body(d, "offlineCheck") == "ready", 30)
    wait(driver, lambda d: js(d, "return !!navigator.serviceWorker.controller"), 30, "no service worker")
    assert body(driver, "language") == "en" and js(driver, TEXT) == english("Hold the ticket's QR code in the frame")

    # The server goes away; the steward switches to Spanish in the phone's menu.
    scanner_server.stop()
    wedge(driver, code_for(event, "A-1"))
    assert wait_for_result(driver, 1)["result"] == "queued"
    assert result_text(driver)["title"] == english("ACCEPTED OFFLINE")
    dismiss(driver)
    menu = switch_to(driver, "es")
    # Every text on screen, at once: the page's own, the bars, the line under the viewfinder.
    assert js(driver, "return document.documentElement.lang") == "es"
    assert js(driver, TEXT) == spanish("Hold the ticket's QR code in the frame")
    assert driver.find_element(By.ID, "menu-title").text == spanish("This phone")
    assert driver.find_element(By.ID, "unpair").text == spanish("Unpair this phone")
    assert js(driver, "return document.getElementById('net').textContent") == spanish.p("network", "Offline")
    assert js(driver, "return document.getElementById('queue').textContent") == spanish.n(
        "%(count)s queued", "%(count)s queued", 1)
    assert js(driver, "return document.getElementById('last-text').textContent") == f"A-1 · {spanish('accepted offline')}"
    assert menu.find_element(By.CSS_SELECTOR, 'button[value="es"]').get_attribute("aria-pressed") == "true"
    assert not english_left_on(driver, "es"), english_left_on(driver, "es")
    screenshot(driver, "es-menu-language")
    driver.find_element(By.ID, "menu-close").click()
    wait(driver, lambda d: not d.find_element(By.ID, "menu").is_displayed())
    assert js(driver, "return document.getElementById('last-time').textContent").endswith("(UTC+00:00)")  # the event's
    screenshot(driver, "es-offline-last-answer")

    # The next answer is in Spanish, still offline.
    wedge(driver, code_for(event, "A-2"))
    assert wait_for_result(driver, 2)["result"] == "queued"
    assert result_text(driver)["title"] == spanish("ACCEPTED OFFLINE")
    dismiss(driver)

    # A reload with no server: the service worker serves the page and the Spanish catalogue.
    driver.refresh()
    wait(driver, lambda d: body(d, "screen") == "scan" and body(d, "language") == "es", 30)
    assert js(driver, TEXT) == spanish("Hold the ticket's QR code in the frame")
    assert not english_left_on(driver, "es"), english_left_on(driver, "es")

    # Back to English, still offline.
    switch_to(driver, "en")
    assert js(driver, TEXT) == english("Hold the ticket's QR code in the frame")
    assert js(driver, "return document.getElementById('net').textContent") == english.p("network", "Offline")


def test_the_server_answers_in_the_language_chosen_on_the_phone(browser, scanner_server, tmp_path):
    """The switch writes Django's language cookie: the server's own messages follow the phone's
    choice, not the browser's language (English here)."""
    event = make_event()
    _, code = pair_device(event, name="North")
    driver = browser(blank_video(tmp_path / "blank.y4m"), language="en")
    open_paired(driver, scanner_server, code)
    ask = """const done = arguments[arguments.length - 1];
        fetch('/api/v1/no-such-endpoint').then((r) => r.json()).then((b) => done(b.error.message), (e) => done(String(e)));"""
    english = driver.execute_async_script(ask)
    switch_to(driver, "es")
    spanish = driver.execute_async_script(ask)
    assert (english, spanish) == ("No such endpoint.", "Esa dirección no existe en la API.")
    assert driver.get_cookie("django_language")["value"] == "es"


def test_the_app_follows_the_browsers_language(browser, scanner_server, tmp_path):
    """No choice made: a phone set to Spanish gets the Spanish app, from the first screen."""
    driver = browser(blank_video(tmp_path / "blank.y4m"), language="es-MX")
    driver.get(f"{scanner_server.url}/scanner/")
    wait(driver, lambda d: body(d, "screen") == "pairing")
    say = Speaker("es")
    assert body(driver, "language") == "es" and driver.title == f"{say('Door scanner')} · TicketCore"
    assert driver.find_element(By.CSS_SELECTOR, "#pairing h1").text == say("Pair this phone")
    assert driver.find_element(By.ID, "pair-submit").text == say("Pair")
    pressed = driver.find_element(By.CSS_SELECTOR, '#pairing .language-switch button[aria-pressed="true"]')
    assert (pressed.get_attribute("value"), pressed.text) == ("es", "Español")
