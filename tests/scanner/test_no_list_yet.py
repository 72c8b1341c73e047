"""A phone that has no ticket list yet and cannot reach the server decides nothing: it says "not
checked" in grey with its own sound, never a red refusal that would turn a valid ticket holder
away (static/scanner/queue.js decideOffline), and keeps nothing to upload. In both languages, in
a real browser: Chromium refuses the manifest and the scan requests (DevTools' blocked URLs), as a
venue network that lets the pairing through and then drops everything."""
from __future__ import annotations

import pytest

from tests.conftest import code_for, sell
from tests.scanner.conftest import screenshot
from tests.scanner.language import Speaker, english_left_on, in_both_languages
from tests.scanner.pages import body, js, open_paired, pair_device, result_text, scanner_state, wait, wait_for_result, wedge
from tests.scanner.test_answers import generated
from tests.scanner.video import blank_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@in_both_languages
def test_no_ticket_list_and_no_server_says_not_checked(browser, scanner_server, tmp_path, language):
    say = Speaker(language)
    event = generated()
    sell(event, "A-1")
    _, pairing_code = pair_device(event, name="North")
    driver = browser(blank_video(tmp_path / "blank.y4m"), language=language)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/api/v1/scan/manifest*", "*/api/v1/scan"]})
    open_paired(driver, scanner_server, pairing_code, result_ms=60000)
    assert body(driver, "manifest") != "ready"

    wedge(driver, code_for(event, "A-1"))  # a valid, sold ticket
    metric = wait_for_result(driver, 1)
    assert (metric["result"], metric["reason"], metric["offline"]) == ("unchecked", "no_manifest", True), metric
    shown = result_text(driver)
    assert shown["result"] == "unchecked" and shown["title"] == say("NOT CHECKED"), shown
    assert shown["title"] != say("REJECTED")
    assert shown["sentence"] == say("Offline, and no ticket list on this phone yet: cannot check."), shown
    assert shown["foot"] == say(
        "Nothing was decided: scan it again when the network is back, or call a supervisor."), shown
    background = js(driver, "return getComputedStyle(document.getElementById('result')).backgroundColor")
    red = js(driver, """const probe = document.createElement('div'); probe.className = 'result result--rejected';
        document.body.appendChild(probe); const c = getComputedStyle(probe).backgroundColor; probe.remove(); return c;""")
    assert background != red, background
    assert [p["kind"] for p in scanner_state(driver, "played")][-1:] == ["unchecked"]
    wait(driver, lambda d: body(d, "pending") in ("0", None, ""), 5, "a scan nothing decided was queued")
    assert not english_left_on(driver, language)
    screenshot(driver, f"{language}-not-checked")
