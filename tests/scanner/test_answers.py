"""Answers that tell the steward what to do (issue 16 item 1), in a real browser against a real
server: the phone-sized page as a steward sees it, with a screenshot of each screen.

Each test walks one moment at the door: an exit where there is no way back; the wrong gate; the
doors not open yet; a box office's code and other codes that are not tickets; a ticket held in
front of the camera; an offline conflict that must be read before scanning goes on; and the
sounds and buzzes that tell accepted, rejected and accepted-offline apart."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By

from tests.conftest import code_for, make_device, make_event, sell
from tests.scanner.conftest import requested_urls, screenshot
from tests.scanner.netcut import CuttableProxy
from tests.scanner.pages import (body, dismiss, js, metrics, open_paired, pair_device, result_text, scanner_state, wait,
                                 wait_for_result, wedge)
from tests.scanner.test_words import clock
from tests.scanner.video import blank_video, timeline_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def scans_sent(driver) -> list[str]:
    return [u for u in requested_urls(driver) if u.endswith("/api/v1/scan")]


def generated(**kwargs):
    from tickets.services import generate_tickets

    event = make_event(**kwargs)
    generate_tickets(event_id=event.event_id)
    return event


def test_exit_without_reentry_wrong_gate_and_doors_not_open(browser, scanner_server, tmp_path):
    """North admits zone A (Ringside, no re-entry) both ways; East and West take zone B."""
    from events.services import create_checkpoint

    event = generated()
    sell(event, "A-1", "B-1")
    create_checkpoint(event_id=event.event_id, name="East", zones=["B"])
    create_checkpoint(event_id=event.event_id, name="West", directions="in")
    create_checkpoint(event_id=event.event_id, name="Exit lane", zones=["B"], directions="out")
    _, code = pair_device(event, name="North", zones=["A"])
    driver = browser(blank_video(tmp_path / "blank.y4m"))
    open_paired(driver, scanner_server, code, result_ms=60000)
    wait(driver, lambda d: body(d, "manifest") == "ready", 30)

    # Before: choosing OUT at a gate of a zone without re-entry says so, and stays said.
    assert not driver.find_element(By.ID, "reentry-warning").is_displayed()
    driver.find_element(By.CSS_SELECTOR, '#direction button[data-dir="out"]').click()
    wait(driver, lambda d: d.find_element(By.ID, "reentry-warning").is_displayed())
    warning = driver.find_element(By.ID, "reentry-warning").text
    assert "NO RE-ENTRY" in warning.upper() and "Ringside" in warning and "cannot come back in" in warning
    screenshot(driver, "exit-no-reentry-warning")
    driver.find_element(By.CSS_SELECTOR, '#direction button[data-dir="in"]').click()
    wait(driver, lambda d: not d.find_element(By.ID, "reentry-warning").is_displayed())

    wedge(driver, code_for(event, "A-1"))
    assert wait_for_result(driver, 1)["result"] == "accepted"
    assert result_text(driver)["warning"] is None  # entering: nothing to warn about
    dismiss(driver)
    driver.find_element(By.CSS_SELECTOR, '#direction button[data-dir="out"]').click()
    wedge(driver, code_for(event, "A-1"))
    assert wait_for_result(driver, 2)["result"] == "accepted"
    shown = result_text(driver)
    # After: the exit is recorded, and the screen says there is no way back.
    assert shown["sentence"] == "Exit recorded. They cannot come back in.", shown
    assert shown["warning"].upper() == "NO RE-ENTRY"
    screenshot(driver, "exit-no-reentry-result")
    dismiss(driver)

    # The wrong gate names the right ones (East takes zone B both ways, West every zone in).
    driver.find_element(By.CSS_SELECTOR, '#direction button[data-dir="in"]').click()
    wedge(driver, code_for(event, "B-1"))
    assert wait_for_result(driver, 3)["reason"] == "zone_not_allowed"
    assert result_text(driver)["sentence"] == "Wrong gate: General enters at East or West."
    screenshot(driver, "wrong-gate")
    dismiss(driver)

    # Doors not open yet (another event, later tonight): when they open, in the event's time.
    later = generated(starts_in=timedelta(hours=15), name="Late show")
    sell(later, "A-1")
    if hasattr(later, "timezone"):  # the event's own time zone (issue 16 item 5), when it has one
        later.timezone = "America/Mexico_City"
        later.save(update_fields=["timezone"])
    _, later_code = pair_device(later, name="Late door")
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Kolkata"})  # not the event's
    driver.get(f"{scanner_server.url}/scanner/?pair={later_code}")
    wait(driver, lambda d: body(d, "screen") == "scan" and body(d, "manifest") == "ready", 30)
    manifest_zone = js(driver, "return window.__scanner.state.manifest.meta.event.timezone || null")
    wedge(driver, code_for(later, "A-1"))
    assert wait_for_result(driver, 1)["reason"] == "event_closed"
    sentence = result_text(driver)["sentence"]
    hhmm, offset = clock(later.doors_open_at, manifest_zone or "Asia/Kolkata")
    assert sentence.startswith("Doors not open yet. They open at ") and hhmm in sentence and offset in sentence, \
        (sentence, manifest_zone)
    screenshot(driver, "doors-not-open")


def test_codes_that_are_not_tickets_get_their_own_words(browser, scanner_server, tmp_path):
    from devices.models import Device
    from offices.services import create_office

    event = generated()
    office = create_office(event_id=event.event_id, name="Taquilla 1")
    office_link = f"{scanner_server.url}/office/?pair={office.pairing_code}"

    # The pairing camera reads a box office's link: refused before it is spent.
    driver = browser(timeline_video(tmp_path / "office.y4m", [(1.0, office_link)]))
    driver.get(f"{scanner_server.url}/scanner/")
    wait(driver, lambda d: body(d, "screen") == "pairing")
    driver.find_element(By.ID, "pair-scan").click()
    wait(driver, lambda d: d.find_element(By.ID, "pair-error").is_displayed(), 30)
    assert "box-office pairing code" in driver.find_element(By.ID, "pair-error").text
    assert f"{scanner_server.url}/office/" in driver.find_element(By.ID, "pair-error").text  # where it belongs
    assert Device.objects.get(pk=office.office.device_id).pairing_code == office.pairing_code  # not spent
    screenshot(driver, "pairing-box-office-code")

    # Its bare code, typed, cannot be told apart: spent, so its pairing goes to the box-office
    # terminal of this device (which opens paired), and the door scanner stays unpaired.
    driver.find_element(By.ID, "pair-code").send_keys(office.pairing_code + "\n")
    wait(driver, lambda d: "box-office terminal at" in d.find_element(By.ID, "pair-error").text)
    assert f"{scanner_server.url}/office/" in driver.find_element(By.ID, "pair-error").text
    assert body(driver, "screen") == "pairing" and js(driver, "return localStorage.getItem('tc.scanner.device')") is None
    handed = js(driver, "return JSON.parse(localStorage.getItem('tc.office.device'))")
    assert (handed["role"], handed["office"]["office_id"]) == ("office", office.office.office_id)
    driver.get(f"{scanner_server.url}/office/")  # the box-office terminal opens already paired
    wait(driver, lambda d: body(d, "screen") == "sell", 30, "the box-office terminal did not take the pairing")

    # Paired as a door scanner, the same link in front of the camera gets its own answer, unsent.
    _, code = pair_device(event, name="North")
    open_paired(driver, scanner_server, code, result_ms=1000)
    first = wait_for_result(driver, 1, timeout=30)
    assert (first["source"], first["reason"]) == ("camera", "box_office_code"), first
    assert "box-office code, not a ticket" in result_text(driver)["sentence"]
    assert scans_sent(driver) == []

    driver = browser(blank_video(tmp_path / "blank.y4m"))
    _, code = pair_device(event, name="South")
    open_paired(driver, scanner_server, code, result_ms=60000)
    requested_urls(driver)
    for n, (value, reason, words) in enumerate([
        (f"{scanner_server.url}/office/?pair=K7QH2MX9RA", "box_office_code", "box-office code, not a ticket"),
        ("X.crSomething.k7Qp2Rs9." + "A" * 86, "unknown_kind", "Not a ticket or pass this scanner checks"),
    ], start=1):
        wedge(driver, value)
        m = wait_for_result(driver, n)
        assert (m["result"], m["reason"]) == ("rejected", reason), m
        assert words in result_text(driver)["sentence"]
        screenshot(driver, f"code-{reason}")
        dismiss(driver)
    assert scans_sent(driver) == []  # answered on the phone: nothing to record, nothing counted

    # Anything else is still sent (the server keeps forgeries as evidence), and named for what it is.
    wedge(driver, "https://example.com/menu")
    assert wait_for_result(driver, 3)["reason"] == "invalid_signature"
    assert result_text(driver)["sentence"] == "This QR code is not a ticket. Ask for the ticket's own QR code."
    wedge(driver, code_for(event, "A-1")[:-3] + "AAA")
    assert wait_for_result(driver, 4)["reason"] == "invalid_signature"
    assert result_text(driver)["sentence"] == "Not a valid ticket: fake or damaged code."
    assert "call a supervisor" in result_text(driver)["foot"]  # a steward cannot admit by hand
    assert len(scans_sent(driver)) == 2


def test_a_code_held_in_front_of_the_camera_is_scanned_once(browser, scanner_server, tmp_path):
    """The camera sees the ticket for 3 s, loses it for 1 s, sees it again (a repeat: the same
    answer, no request), then after 6.5 s without it, once more (a new scan: already inside)."""
    from access.models import Scan

    event = generated()
    sell(event, "B-2")
    code = code_for(event, "B-2")
    _, pairing_code = pair_device(event, name="Camera gate")
    video = timeline_video(tmp_path / "held.y4m", [(0.6, None), (3.0, code), (1.0, None), (1.0, code), (6.5, None),
                                                   (1.0, code)])
    driver = browser(video)
    open_paired(driver, scanner_server, pairing_code, result_ms=700)
    wait(driver, lambda d: body(d, "reader") == "ready", 30)
    first = wait_for_result(driver, 1, timeout=30)
    assert (first["source"], first["result"]) == ("camera", "accepted"), first
    # Held in view: read again and again, the answer kept on screen, nothing sent.
    wait(driver, lambda d: scanner_state(d, "ignored.repeat") >= 5, 10, "no repeated reads")
    # Out of view for a second, then back: the same answer shown again, still nothing sent.
    wait(driver, lambda d: scanner_state(d, "ignored.shownAgain") >= 1, 15, "the answer was not shown again")
    assert result_text(driver)["repeat"] == "1" and result_text(driver)["result"] == "accepted"
    assert "not scanned again" in result_text(driver)["foot"]
    screenshot(driver, "same-code-again")
    assert len(metrics(driver)) == 1
    assert Scan.objects.filter(ticket__event=event).count() == 1
    # Gone for longer than the window: a new scan, and the server says where it is.
    second = wait_for_result(driver, 2, timeout=30)
    assert (second["result"], second["reason"]) == ("rejected", "already_inside"), second
    assert Scan.objects.filter(ticket__event=event).count() == 2
    assert len(scans_sent(driver)) == 2


SPY = """
window.__spy = {vibrate: [], tones: []};
const vibrate = navigator.vibrate ? navigator.vibrate.bind(navigator) : () => true;
navigator.vibrate = (pattern) => { window.__spy.vibrate.push(Array.from([].concat(pattern))); return vibrate(pattern); };
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (when) {
  window.__spy.tones.push({frequency: this.frequency.value, type: this.type, when});
  return start.call(this, when);
};
"""


def test_sounds_and_buzzes_and_the_conflict_sheet_pauses_scanning(browser, scanner_server, tmp_path):
    """Accepted, rejected and accepted offline sound and buzz differently (what the page really
    asked of navigator.vibrate and the audio oscillators). Then an offline admission comes back
    refused: while its sheet is open nothing is scanned, camera or hardware scanner."""
    from access.services import scan as server_scan

    event = generated()
    sell(event, "A-1", "A-2", "A-3", "B-1")
    _, pairing_code = pair_device(event, name="Sound gate")
    other, _ = make_device(event, name="Elsewhere")
    proxy = CuttableProxy(scanner_server.port)
    try:
        driver = browser(blank_video(tmp_path / "blank.y4m"))
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": SPY})
        open_paired(driver, proxy, pairing_code, result_ms=400)
        wait(driver, lambda d: body(d, "manifest") == "ready" and body(d, "offlineCheck") == "ready", 30)
        js(driver, "document.body.dispatchEvent(new PointerEvent('pointerdown', {bubbles: true}))")  # a tap: audio on

        def signalled(kind_count):
            wait(driver, lambda d: len(js(d, "return window.__spy.vibrate")) >= kind_count, 10, "no buzz")
            return js(driver, "return window.__spy.vibrate")[kind_count - 1]

        wedge(driver, code_for(event, "A-1"))
        assert wait_for_result(driver, 1)["result"] == "accepted"
        accepted = signalled(1)
        wedge(driver, code_for(event, "A-1"))
        assert wait_for_result(driver, 2)["result"] == "rejected"
        rejected = signalled(2)

        proxy.blackhole()
        wait(driver, lambda d: body(d, "mode") == "offline", 5)
        wedge(driver, code_for(event, "A-2"))
        assert wait_for_result(driver, 3)["result"] == "queued"
        queued = signalled(3)
        assert len({tuple(accepted), tuple(rejected), tuple(queued)}) == 3, (accepted, rejected, queued)
        played = scanner_state(driver, "played")
        tones = {p["kind"]: tuple(p["tones"]) for p in played}
        assert len(set(tones.values())) == 3, tones
        heard = [t["frequency"] for t in js(driver, "return window.__spy.tones")]
        if heard:  # the oscillators really ran with those tones (audio may stay locked in some builds)
            assert set(heard) == {f for ts in tones.values() for f in ts}, (heard, tones)

        # Meanwhile another gate, online, lets A-3 in; the phone, offline, lets it in too.
        server_scan(device=other, code=code_for(event, "A-3"), direction="in", scan_id=uuid.uuid4())
        wedge(driver, code_for(event, "A-3"))
        assert wait_for_result(driver, 4)["result"] == "queued"
        proxy.heal()
        wait(driver, lambda d: body(d, "conflicts") == "1", 20, "conflict not shown")
        assert body(driver, "paused") == "conflict"
        sheet = driver.find_element(By.ID, "conflicts")
        assert "Scanning is paused" in sheet.text
        requested_urls(driver)
        wedge(driver, code_for(event, "B-1"))  # a hardware scanner's read, ignored
        wait(driver, lambda d: scanner_state(d, "ignored.paused") >= 1, 5)
        screenshot(driver, "conflict-paused")
        assert len(metrics(driver)) == 4 and scans_sent(driver) == []
        driver.find_element(By.ID, "conflicts-ok").click()
        wait(driver, lambda d: body(d, "paused") is None and not d.find_element(By.ID, "conflicts").is_displayed())
        wedge(driver, code_for(event, "B-1"))
        m = wait_for_result(driver, 5)
        assert (m["result"], m["offline"]) == ("accepted", False), m
    finally:
        proxy.close()


def test_the_manifest_lists_the_events_gates():
    import json

    from access.manifest import build_manifest
    from events.services import create_checkpoint

    event = generated()
    device, _ = make_device(event, name="North", zones=["A"])
    create_checkpoint(event_id=event.event_id, name="East", zones=["B"], directions="out")
    gates = json.loads(build_manifest(device=device).body)["checkpoints"]
    assert gates == [{"checkpoint_id": gates[0]["checkpoint_id"], "name": "East", "zones": ["B"], "directions": "out"},
                     {"checkpoint_id": device.checkpoint_id, "name": "Gate North", "zones": ["A"],
                      "directions": "both"}]
