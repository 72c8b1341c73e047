"""The mechanics of tests/backoffice/test_operations_walk.py: numbered screenshots, the admin
pages found by their addresses (backoffice/admin_guide.urls, the one list of the event page's
links) and ids rather than by their words, which are being translated, and the door phone.

Screenshots: WALK_SCREENSHOTS=docs/screenshots writes docs/screenshots/walk-NN-<name>.png (a
plain run writes them into the test's temporary folder, so the committed images stay as they
are). Every wait polls with a deadline; nothing sleeps."""
from __future__ import annotations

import os
from pathlib import Path

from selenium.webdriver.support.ui import Select

from backoffice.admin_guide import urls
from tests.backoffice.test_setup_browser import Page
from tests.browser import wait_for_download
from tests.scanner.pages import body, js, shown, wait, wait_for_result
from tests.scanner.video import blank_frame, qr_frame, write_y4m


class Shots:
    """walk-01-<name>.png, walk-02-<name>.png, ... in the order they are taken."""

    def __init__(self, fallback: Path):
        self.folder = Path(os.environ.get("WALK_SCREENSHOTS") or fallback)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.taken: list[Path] = []

    def take(self, driver, name: str, *, whole_page: bool = True) -> Path:
        path = self.folder / f"walk-{len(self.taken) + 1:02d}-{name}.png"
        if whole_page:  # the whole page, as a person scrolling it would see it
            size = driver.get_window_size()
            driver.execute_script("window.scrollTo(0, 0)")
            height, chrome = driver.execute_script(
                "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight]")
            driver.set_window_size(size["width"], max(size["height"], min(height + chrome, 4000)))
            driver.save_screenshot(str(path))
            driver.set_window_size(size["width"], size["height"])
        else:
            driver.save_screenshot(str(path))
        self.taken.append(path)
        return path

    def pdf(self, data: bytes, name: str) -> Path:
        """The first page of a PDF as the printer would put it on paper."""
        import pypdfium2

        path = self.folder / f"walk-{len(self.taken) + 1:02d}-{name}.png"
        document = pypdfium2.PdfDocument(data)
        try:
            document[0].render(scale=110 / 72).to_pil().save(path)
        finally:
            document.close()
        self.taken.append(path)
        return path


class Admin(Page):
    """The staff desktop: Page (tests/backoffice/test_setup_browser.py) plus links by address."""

    def __init__(self, browser, base, downloads: Path):
        super().__init__(browser, base)
        self.downloads = downloads

    def through(self, css: str):
        """Click the link or button `css` and wait for the page it leads to."""
        self._navigating(lambda: self.find(css).click())

    def event_link(self, event_id: str, name: str, within: str = ".tc-guide"):
        return self.find(f'{within} a[href="{urls(event_id)[name]}"]')

    def follow_event_link(self, event_id: str, name: str, within: str = ".tc-guide"):
        self._navigating(lambda: self.event_link(event_id, name, within).click())

    def choose(self, css: str, value: str):
        Select(self.find(css)).select_by_value(value)

    def tick_value(self, name: str, value: str):
        self.find(f'input[name="{name}"][value="{value}"]').click()

    def download(self, click, pattern: str) -> bytes:
        """Do `click` (which gives a file, perhaps in a new tab) and read the file the browser saved;
        come back to this tab."""
        known, here = set(self.downloads.glob(pattern)), self.b.current_window_handle
        click()
        saved = wait_for_download(self.downloads, pattern, known=known)
        for handle in self.b.window_handles:
            if handle != here:
                self.b.switch_to.window(handle)
                self.b.close()
        self.b.switch_to.window(here)
        return saved.read_bytes()

    def stock(self, zone: str, field: str) -> str:
        return self.find(f'#stock tr[data-zone="{zone}"] [data-field="{field}"]').text

    def severe_console_errors(self) -> list[str]:
        return [e["message"] for e in self.b.get_log("browser")
                if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]


# --------------------------------------------------------------------------- the door phone

def door_video(path: Path, codes: list[str], *, lead_s: float = 8, code_s: float = 1.5, gap_s: float = 0.6,
               fps: int = 5) -> Path:
    """The camera's view at a door: nothing for `lead_s` after the camera starts (Chromium plays
    the file from its start when the page opens the camera), time for the phone to load its
    offline list, then each ticket in turn. Few frames a second keep the file small."""
    blank = blank_frame()
    frames = [blank] * round(lead_s * fps)
    for code in codes:
        frames += [qr_frame(code)] * round(code_s * fps) + [blank] * round(gap_s * fps)
    return write_y4m(path, frames, fps=fps)


def pair(phone, base: str, pairing_url: str, *, result_ms: int = 4000):
    """Open the scanner app (its pairing screen), then the address a phone's camera app opens
    from the pairing sheet's QR code, as a steward does; wait until it scans and has its offline
    list (before that, a scan the server is slow to answer cannot be decided on the phone)."""
    phone.get(f"{base}/scanner/")
    wait(phone, lambda d: body(d, "screen") == "pairing", message="pairing screen not shown")
    # Each answer stays on screen long enough to be photographed (the steward taps it away).
    js(phone, "localStorage.setItem('tc.scanner.resultMs', arguments[0])", str(result_ms))
    phone.get(pairing_url)
    wait(phone, lambda d: body(d, "screen") == "scan", 30, "the phone did not pair")
    wait(phone, lambda d: body(d, "reader") == "ready", 30, "the QR reader did not load")
    wait(phone, lambda d: body(d, "manifest") == "ready", 30, "the offline list did not load")


def answer(phone, n: int) -> dict:
    """The n-th answer the phone gave (its metrics) with the seat it showed, once on screen."""
    result = wait_for_result(phone, n, timeout=30)
    wait(phone, lambda d: shown(d)["visible"] and shown(d)["result"] == result["result"],
         message=f"answer #{n} not on screen: {result}")
    return {**result, "seat": js(phone, "return document.getElementById('result-seat').textContent"),
            "screen": shown(phone)}
