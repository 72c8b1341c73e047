"""Browser fixtures for the box-office terminal: the door scanner's (tests/scanner/conftest.py: a
granian server that can be stopped and started on the same port, headless Debian Chromium), and
where the screenshots go (OFFICE_SCREENSHOTS_DIR=docs/screenshots refreshes the committed ones)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.scanner.conftest import browser, scanner_server  # noqa: F401  (fixtures)
from tests.scanner.video import blank_video

SCREENSHOTS = Path(os.environ.get("OFFICE_SCREENSHOTS_DIR") or tempfile.mkdtemp(prefix="office-shots-"))
TABLET = (1180, 820)  # a counter tablet, landscape


@pytest.fixture
def terminal(browser, tmp_path):
    """terminal() -> a Chromium sized like a counter tablet (no camera needed)."""
    video = blank_video(tmp_path / "blank.y4m")

    def open_terminal():
        driver = browser(video, f"--window-size={TABLET[0]},{TABLET[1]}", metrics=None)
        driver.set_window_size(*TABLET)
        return driver

    return open_terminal


def screenshot(driver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"office-{name}.png"
    driver.save_screenshot(str(path))
    return path
