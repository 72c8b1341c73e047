"""Venue mode (issue 16 item 7, docs/adr/0025): the phone-sized headless Chromium of the scanner
tests (camera from a video file) is reused here."""
from tests.scanner.conftest import browser  # noqa: F401  (the fixture)
