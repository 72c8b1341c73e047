"""The box-office terminal walked as a clerk walks it, in Spanish and English, on a phone and on a
desktop: pairing by typing the code, picking seats, selling cash and card, the ticket handed over
and printed (80 mm and A4), going offline, the refund after a conflict, the end-of-shift till and
revocation. Each step is a full-page screenshot (OFFICE_SCREENSHOTS_DIR=docs/screenshots writes
`office-<language>-<device>-<step>.png`); the asserts are what a person would trip over: the page
in the browser's language, no English left on a Spanish screen, nothing wider than the screen."""
from __future__ import annotations

import base64

import pytest
from selenium.webdriver.common.by import By

from tests.office_app.conftest import SCREENSHOTS
from tests.office_app.pages import body, js, pick, sell, wait
from tests.office_app.test_office_terminal import box_office, print_pdf, save_first_page
from tests.scanner.conftest import PHONE
from tests.scanner.video import blank_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = (1440, 900)
# Words that must not be left in English on the Spanish screens (the clerk's main words).
ENGLISH = ("Pair this box office", "This sale", "Sell", "Cash", "Card", "Next sale", "Refund",
           "Till", "Online", "Offline", "OFFLINE", "uploaded", "waiting", "revoked", "Download")


def full_page(driver, name: str) -> None:
    """The whole page, not only the screen's height (a phone scrolls)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics["cssContentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 4000), "scale": 1}})
    (SCREENSHOTS / f"office-{name}.png").write_bytes(base64.b64decode(shot["data"]))


def fits_the_screen(driver) -> bool:
    return js(driver, "return document.documentElement.scrollWidth <= window.innerWidth + 1")


def visible_text(driver) -> str:
    return js(driver, "return document.body.innerText")


@pytest.mark.parametrize("language, device", [("es", "phone"), ("en", "phone"), ("es", "desktop"), ("en", "desktop")])
def test_a_clerk_walks_the_terminal(browser, scanner_server, tmp_path, language, device):
    from devices.services import revoke_device
    from offices.services import unassign_tickets
    from tickets.holds import checkout, take_hold

    event, created, ids = box_office()
    if device == "phone":
        driver = browser(blank_video(tmp_path / "blank.y4m"), language=language, metrics=PHONE)
    else:
        driver = browser(blank_video(tmp_path / "blank.y4m"), f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
                         language=language, metrics=None)
        driver.set_window_size(*DESKTOP)
    shot = lambda step: full_page(driver, f"{language}-{device}-{step}")  # noqa: E731

    def spanish_complete():
        if language == "es":
            text = visible_text(driver)
            left = [w for w in ENGLISH if f" {w} " in f" {text} ".replace("\n", " ")]
            assert not left, (left, text)

    # Pairing by typing the code, as a clerk does from the admin's sheet.
    driver.get(f"{scanner_server.url}/office/")
    wait(driver, lambda d: body(d, "screen") == "pairing", 30)
    assert js(driver, "return document.documentElement.lang") == language
    driver.find_element(By.ID, "pair-code").send_keys(created.pairing_code.lower())
    shot("01-pairing")
    spanish_complete()
    driver.find_element(By.ID, "pair-submit").click()
    wait(driver, lambda d: body(d, "screen") == "sell" and body(d, "stock") == "ready", 30, "did not pair")
    shot("02-sell")
    spanish_complete()
    assert fits_the_screen(driver)

    # Two seats, cash.
    pick(driver, "A-1", "A-2")
    shot("03-basket")
    sell(driver, "cash")
    shot("04-handover-cash")
    spanish_complete()
    assert fits_the_screen(driver)
    driver.find_element(By.ID, "handover-done").click()
    wait(driver, lambda d: body(d, "pending") == "0", 20)

    # Offline; meanwhile A-3 is taken back and sold on the web. The clerk sells it anyway, by card.
    scanner_server.stop()
    wait(driver, lambda d: body(d, "mode") == "offline", 15)
    unassign_tickets(office_id=created.office.office_id, ticket_ids=[ids["A-3"]], actor="staff")
    hold = take_hold(event_id=event.event_id, ticket_ids=[ids["A-3"]])
    checkout(hold_id=hold.hold_id, buyer={"name": "Web buyer"})
    pick(driver, "A-3", "B-1")
    driver.find_element(By.CSS_SELECTOR, 'input[name="payment_method"][value="card"]').click()
    driver.find_element(By.CSS_SELECTOR, "details.buyer summary").click()
    driver.find_element(By.ID, "buyer-name").send_keys("Ana García")
    shot("05-offline-basket")
    spanish_complete()
    sell(driver, "card")
    shot("06-handover-card")
    if device == "phone":  # the printed pages do not depend on the screen
        for layout in ("thermal", "a4"):
            save_first_page(print_pdf(driver, layout), f"{language}-print-{layout}")
        js(driver, "delete document.body.dataset.layout")
    driver.find_element(By.ID, "handover-done").click()
    shot("07-offline")
    spanish_complete()

    # Back online: the queue uploads, A-3 comes back refused: a refund to give.
    scanner_server.start()
    wait(driver, lambda d: body(d, "pending") == "0" and body(d, "refunds") == "1", 40, "no refund shown")
    shot("08-refund")
    spanish_complete()
    assert fits_the_screen(driver)

    # End of shift.
    driver.find_element(By.ID, "till-open").click()
    wait(driver, lambda d: body(d, "reconciled") == "yes", 30, "till does not match the server")
    shot("09-till")
    spanish_complete()
    assert fits_the_screen(driver)
    driver.find_element(By.ID, "till-close").click()

    # One more sale offline, then the office is revoked: it stops and keeps that sale.
    scanner_server.stop()
    wait(driver, lambda d: body(d, "mode") == "offline", 15)
    pick(driver, "B-2")
    sell(driver, "cash")
    driver.find_element(By.ID, "handover-done").click()
    revoke_device(device_id=created.office.device_id)
    scanner_server.start()
    wait(driver, lambda d: body(d, "screen") == "revoked", 30, "revocation not noticed")
    assert body(driver, "kept") == "1"
    driver.find_element(By.ID, "revoked-export").click()  # the file, and a word that it was saved
    wait(driver, lambda d: d.find_element(By.ID, "revoked-saved").is_displayed(), 10, "no word after the download")
    shot("10-revoked")
    spanish_complete()
