"""What the browser tests do on the scanner page: wait for its state, read what it shows, type
like a hardware scanner, pair it. The page reports its state in `document.body.dataset` and
`window.__scanner` (static/scanner/app.js)."""
from __future__ import annotations

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import make_device

FORGED = "T.E0000000000-0000000.k1." + "A" * 86


def wait(driver, condition, timeout=20, message=""):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition, message)
    except TimeoutException:
        state = js(driver, "return JSON.stringify({data: {...document.body.dataset}, "
                           "metrics: window.__scanner && window.__scanner.metrics})")
        logs = [entry["message"] for entry in driver.get_log("browser")]
        sw = driver.execute_async_script("""const done = arguments[arguments.length - 1];
            navigator.serviceWorker.getRegistration().then((r) => done(r ? JSON.stringify({
              installing: r.installing && r.installing.state, waiting: r.waiting && r.waiting.state,
              active: r.active && r.active.state, controller: !!navigator.serviceWorker.controller}) : 'none'),
              (e) => done(String(e)));""")
        logs.append(f"service worker: {sw}")
        raise AssertionError(f"{message or 'timed out'}\npage: {state}\nconsole: {logs[-20:]}") from None


def js(driver, script, *args):
    return driver.execute_script(script, *args)


def body(driver, key):
    return js(driver, f"return document.body.dataset[{key!r}] ?? null")


def metrics(driver) -> list[dict]:
    return js(driver, "return window.__scanner ? window.__scanner.metrics : []")


def wait_for_result(driver, count, timeout=20):
    """The `count`-th scan result the app showed (metrics are appended once it is painted)."""
    wait(driver, lambda d: len(metrics(d)) >= count, timeout, f"no result #{count}: {metrics(driver)}")
    return metrics(driver)[count - 1]


def shown(driver) -> dict:
    return js(driver, """
        const el = document.getElementById('result');
        return {visible: !el.hidden, result: el.dataset.result, reason: el.dataset.reason,
                title: document.getElementById('result-title').textContent,
                text: el.innerText};""")


def dismiss(driver):
    """Tap the result away, as a steward does to get at the buttons underneath."""
    result = driver.find_element(By.ID, "result")
    if result.is_displayed():
        result.click()
    wait(driver, lambda d: not d.find_element(By.ID, "result").is_displayed())


def wedge(driver, code):
    """A hardware scanner: the code typed at the page within milliseconds, then Enter. The keys
    are dispatched in the page in one go, as a scanner types them: WebDriver's own typing sends one
    key per round trip, and on a loaded machine a pause between two of them grew past the app's
    300 ms wedge gap (static/scanner/scanning.js), splitting one code into two reads."""
    js(driver, """const at = document.activeElement || document.body;  // where the keys would land
    for (const key of [...arguments[0], 'Enter']) {
        at.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true, cancelable: true}));
    }""", code)


def pair_device(event, *, role="steward", directions="both", name="Door phone", zones=None):
    """A device as the admin creates it, with a fresh one-time pairing code for the phone."""
    from devices.services import issue_pairing_code

    device, _ = make_device(event, role=role, directions=directions, name=name, zones=zones)
    return device, issue_pairing_code(device_id=device.device_id).pairing_code


def open_paired(driver, server, code, *, result_ms=None):
    driver.get(f"{server.url}/scanner/")
    wait(driver, lambda d: body(d, "screen") == "pairing", message="pairing screen not shown")
    if result_ms:
        js(driver, "localStorage.setItem('tc.scanner.resultMs', arguments[0])", str(result_ms))
    driver.get(f"{server.url}/scanner/?pair={code}")
    wait(driver, lambda d: body(d, "screen") == "scan", message="did not pair")
    assert js(driver, "return location.search") == ""  # the used code is gone from the address bar


def off_origin(urls, server) -> list[str]:
    """Network requests to anywhere but the server (chrome:// pages of the new tab are not network)."""
    return [u for u in urls if u.startswith(("http:", "https:", "ws:", "wss:")) and not u.startswith(server.url + "/")]


def result_text(driver) -> dict:
    """The answer on screen, part by part."""
    return js(driver, """
        const t = (id) => document.getElementById(id);
        return {visible: !t('result').hidden, result: t('result').dataset.result, reason: t('result').dataset.reason,
                repeat: t('result').dataset.repeat, mode: t('result').dataset.mode,
                title: t('result-title').textContent, sentence: t('result-reason').textContent,
                warning: t('result-warning').hidden ? null : t('result-warning').textContent,
                foot: t('result-foot').textContent};""")


def scanner_state(driver, key):
    return js(driver, f"return window.__scanner.{key}")
