"""What the browser tests do on the box-office terminal: wait for its state (document.body.dataset
and window.__office, static/office/app.js), pick seats, sell, read what it shows."""
from __future__ import annotations

from selenium.webdriver.common.by import By

from tests.scanner.pages import body, js, wait


def open_paired(driver, server, code):
    driver.get(f"{server.url}/office/?pair={code}")
    wait(driver, lambda d: body(d, "screen") == "sell", 30, "did not pair")
    assert js(driver, "return location.search") == ""  # the used code is gone from the address bar
    wait(driver, lambda d: body(d, "stock") == "ready", 30, "stock not downloaded")


def pick(driver, *seat_ids):
    for seat_id in seat_ids:
        zone = seat_id.split("-")[0]
        driver.find_element(By.CSS_SELECTOR, f'.zone-tab[data-zone="{zone}"]').click()
        driver.find_element(By.CSS_SELECTOR, f'.seat[data-seat="{seat_id}"]').click()


def sell(driver, method="cash", buyer=None):
    driver.find_element(By.CSS_SELECTOR, f'input[name="payment_method"][value="{method}"]').click()
    if buyer:
        driver.find_element(By.CSS_SELECTOR, "details.buyer summary").click()
        for field, value in buyer.items():
            driver.find_element(By.ID, f"buyer-{field}").send_keys(value)
    driver.find_element(By.ID, "sell-button").click()
    wait(driver, lambda d: body(d, "screen") == "handover", 10, "no handover")


def seat_state(driver, seat_id):
    """"free", "sold", or None when the terminal does not offer the seat at all (its zone's tab
    is opened first)."""
    # One script: the terminal redraws its tabs when its stock changes, so a tab found by one
    # WebDriver call can be gone by the next (a stale element failed a fresh-clone run).
    zone = seat_id.split("-")[0]
    return js(driver, f"""const tab = document.querySelector('.zone-tab[data-zone="{zone}"]');
        if (tab) tab.click();
        const b = document.querySelector('.seat[data-seat="{seat_id}"]');
        return b ? b.dataset.state : null;""")


def local_sales(driver) -> list[dict]:
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1]; window.__office.allSales().then(done, (e) => done(String(e)));")


__all__ = ["body", "js", "wait", "open_paired", "pick", "sell", "seat_state", "local_sales"]
