"""Answers that tell the steward what to do (issue 16 item 1), in a real browser against a real
server: the phone-sized page as a steward sees it, in English and in Spanish (issue 16 item 4),
with a screenshot of each screen in each language (scanner-en-*.png, scanner-es-*.png).

Each test walks one moment at the door: an exit where there is no way back; the wrong gate; the
doors not open yet, on the event's clock; a box office's code and other codes that are not
tickets; a ticket held in front of the camera; an offline conflict that must be read before
scanning goes on; and the sounds and buzzes that tell accepted, rejected and accepted-offline
apart. What the screen says is taken from the catalogue the phone reads (tests/scanner/
language.py): in Spanish, the Spanish words must be there, and no English the catalogue knows."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By

from tests.conftest import code_for, make_device, make_event, sell
from tests.scanner.conftest import requested_urls, screenshot
from tests.scanner.language import Speaker, english_left_on, in_both_languages
from tests.scanner.netcut import CuttableProxy
from tests.scanner.pages import (
    body,
    dismiss,
    js,
    metrics,
    open_paired,
    pair_device,
    result_text,
    scanner_state,
    wait,
    wait_for_result,
    wedge,
)
from tests.scanner.test_words import clock, same_day
from tests.scanner.video import blank_video, timeline_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def scans_sent(driver) -> list[str]:
    return [u for u in requested_urls(driver) if u.endswith("/api/v1/scan")]


def generated(**kwargs):
    from tickets.services import generate_tickets

    event = make_event(**kwargs)
    generate_tickets(event_id=event.event_id)
    return event


def in_time_zone(event, zone: str):
    event.timezone = zone
    event.save(update_fields=["timezone"])
    return event


def before(format_: str, placeholder: str) -> str:
    """The words of a translated sentence before its `placeholder` (what a test can know of a
    sentence whose rest the browser formats: a date in the language's own words)."""
    return format_.split(f"%({placeholder})s")[0]


def no_english(driver, language):
    left = english_left_on(driver, language)
    assert not left, f"English on the {language} screen: {left}"


@in_both_languages
def test_exit_without_reentry_wrong_gate_and_doors_not_open(browser, scanner_server, tmp_path, language):
    """North admits zone A (Ringside, no re-entry) both ways; East and West take zone B."""
    from events.services import create_checkpoint

    say = Speaker(language)
    event = generated()
    sell(event, "A-1", "B-1")
    create_checkpoint(event_id=event.event_id, name="East", zones=["B"])
    create_checkpoint(event_id=event.event_id, name="West", directions="in")
    create_checkpoint(event_id=event.event_id, name="Exit lane", zones=["B"], directions="out")
    _, code = pair_device(event, name="North", zones=["A"])
    driver = browser(blank_video(tmp_path / "blank.y4m"), language=language)
    open_paired(driver, scanner_server, code, result_ms=60000)
    wait(driver, lambda d: body(d, "manifest") == "ready", 30)
    assert body(driver, "language") == language
    screenshot(driver, f"{language}-ready")

    # Before: choosing OUT at a gate of a zone without re-entry says so, and stays said.
    assert not driver.find_element(By.ID, "reentry-warning").is_displayed()
    driver.find_element(By.CSS_SELECTOR, '#direction button[data-dir="out"]').click()
    wait(driver, lambda d: d.find_element(By.ID, "reentry-warning").is_displayed())
    warning = driver.find_element(By.ID, "reentry-warning").text
    assert say("No re-entry").upper() in warning.upper()
    assert say("%(zones)s: whoever goes out cannot come back in.", zones="Ringside") in warning
    no_english(driver, language)
    screenshot(driver, f"{language}-exit-no-reentry-warning")
    driver.find_element(By.CSS_SELECTOR, '#direction button[data-dir="in"]').click()
    wait(driver, lambda d: not d.find_element(By.ID, "reentry-warning").is_displayed())

    wedge(driver, code_for(event, "A-1"))
    assert wait_for_result(driver, 1)["result"] == "accepted"
    shown = result_text(driver)
    assert shown["warning"] is None  # entering: nothing to warn about
    assert (shown["title"], shown["sentence"]) == (say("ACCEPTED"), say("Welcome. Let them in.")), shown
    screenshot(driver, f"{language}-accepted")
    dismiss(driver)
    driver.find_element(By.CSS_SELECTOR, '#direction button[data-dir="out"]').click()
    wedge(driver, code_for(event, "A-1"))
    assert wait_for_result(driver, 2)["result"] == "accepted"
    shown = result_text(driver)
    # After: the exit is recorded, and the screen says there is no way back.
    assert shown["sentence"] == say("Exit recorded. They cannot come back in."), shown
    assert shown["warning"].upper() == say("No re-entry").upper()
    no_english(driver, language)
    screenshot(driver, f"{language}-exit-no-reentry-result")
    dismiss(driver)

    # The wrong gate names the right ones (East takes zone B both ways, West every zone in).
    driver.find_element(By.CSS_SELECTOR, '#direction button[data-dir="in"]').click()
    wedge(driver, code_for(event, "B-1"))
    assert wait_for_result(driver, 3)["reason"] == "zone_not_allowed"
    assert result_text(driver)["sentence"] == say("Wrong gate: %(zone)s enters at %(gates)s.", zone="General",
                                                  gates=say("%(names)s or %(last)s", names="East", last="West"))
    assert result_text(driver)["title"] == say("REJECTED")
    no_english(driver, language)
    screenshot(driver, f"{language}-wrong-gate")
    dismiss(driver)

    # Doors not open yet (another event, later tonight): when they open, on the event's clock
    # with its offset, whatever the phone's own zone.
    later = in_time_zone(generated(starts_in=timedelta(hours=15), name="Late show"), "America/Mexico_City")
    sell(later, "A-1")
    _, later_code = pair_device(later, name="Late door")
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Kolkata"})  # not the event's
    driver.get(f"{scanner_server.url}/scanner/?pair={later_code}")
    wait(driver, lambda d: body(d, "screen") == "scan" and body(d, "manifest") == "ready", 30)
    wedge(driver, code_for(later, "A-1"))
    assert wait_for_result(driver, 1)["reason"] == "event_closed"
    sentence = result_text(driver)["sentence"]
    hhmm, offset = clock(later.doors_open_at, "America/Mexico_City")
    opens = say("Doors not open yet. They open %(when)s.")
    if same_day(later.doors_open_at, "America/Mexico_City"):
        assert sentence == opens % {"when": say("at %(time)s", time=f"{hhmm} ({offset})")}, sentence
    else:  # tomorrow there: the date too, in the language's own words ("sáb, 28 nov"), then the time
        assert sentence.startswith(before(opens, "when") + before(say("on %(date)s"), "date")), sentence
        assert sentence.endswith(f"{hhmm} ({offset}).") and sentence != opens % {"when": f"{hhmm} ({offset})"}, sentence
    no_english(driver, language)
    screenshot(driver, f"{language}-doors-not-open")


@in_both_languages
def test_codes_that_are_not_tickets_get_their_own_words(browser, scanner_server, tmp_path, language):
    from devices.models import Device
    from offices.services import create_office

    say = Speaker(language)
    event = generated()
    office = create_office(event_id=event.event_id, name="Taquilla 1")
    office_link = f"{scanner_server.url}/office/?pair={office.pairing_code}"
    office_words = say("This is a box-office pairing code: it pairs the box-office terminal, not a door scanner. "
                       "Ask the admin for a scanner pairing code.")

    # The pairing camera reads a box office's link: refused before it is spent.
    driver = browser(timeline_video(tmp_path / "office.y4m", [(1.0, office_link)]), language=language)
    driver.get(f"{scanner_server.url}/scanner/")
    wait(driver, lambda d: body(d, "screen") == "pairing")
    no_english(driver, language)
    screenshot(driver, f"{language}-pairing")
    driver.find_element(By.ID, "pair-scan").click()
    wait(driver, lambda d: d.find_element(By.ID, "pair-error").is_displayed(), 30)
    pair_error = driver.find_element(By.ID, "pair-error").text
    assert pair_error.startswith(office_words), pair_error
    assert f"{scanner_server.url}/office/" in pair_error  # where it belongs
    assert Device.objects.get(pk=office.office.device_id).pairing_code == office.pairing_code  # not spent
    screenshot(driver, f"{language}-pairing-box-office-code")

    # Its bare code, typed, cannot be told apart: spent, so its pairing goes to the box-office
    # terminal of this device (which opens paired), and the door scanner stays unpaired.
    driver.find_element(By.ID, "pair-code").send_keys(office.pairing_code + "\n")
    handed_words = say("This was a box-office pairing code. This device is now paired as that box office: "
                       "open the box-office terminal at %s").replace("%s", f"{scanner_server.url}/office/")
    wait(driver, lambda d: d.find_element(By.ID, "pair-error").text == handed_words)
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
    assert result_text(driver)["sentence"] == say("This is a box-office code, not a ticket. Ask for the ticket's own QR code.")
    assert scans_sent(driver) == []

    driver = browser(blank_video(tmp_path / "blank.y4m"), language=language)
    _, code = pair_device(event, name="South")
    open_paired(driver, scanner_server, code, result_ms=60000)
    requested_urls(driver)
    for n, (value, reason, words) in enumerate([
        (f"{scanner_server.url}/office/?pair=K7QH2MX9RA", "box_office_code",
         say("This is a box-office code, not a ticket. Ask for the ticket's own QR code.")),
        ("X.crSomething.k7Qp2Rs9." + "A" * 86, "unknown_kind",
         say("Not a ticket or pass this scanner checks. Ask for the ticket's own QR code.")),
    ], start=1):
        wedge(driver, value)
        m = wait_for_result(driver, n)
        assert (m["result"], m["reason"]) == ("rejected", reason), m
        assert result_text(driver)["sentence"] == words
        no_english(driver, language)
        screenshot(driver, f"{language}-code-{reason}")
        dismiss(driver)
    assert scans_sent(driver) == []  # answered on the phone: nothing to record, nothing counted

    # Anything else is still sent (the server keeps forgeries as evidence), and named for what it is.
    wedge(driver, "https://example.com/menu")
    assert wait_for_result(driver, 3)["reason"] == "invalid_signature"
    assert result_text(driver)["sentence"] == say("This QR code is not a ticket. Ask for the ticket's own QR code.")
    wedge(driver, code_for(event, "A-1")[:-3] + "AAA")
    assert wait_for_result(driver, 4)["reason"] == "invalid_signature"
    assert result_text(driver)["sentence"] == say("Not a valid ticket: fake or damaged code.")
    # A steward cannot admit by hand: the way out is named, with the button's own words.
    assert result_text(driver)["foot"] == say("Damaged code? Tap “%(button)s” and call a supervisor.",
                                              button=say("Can't scan?"))
    assert len(scans_sent(driver)) == 2


@in_both_languages
def test_a_code_held_in_front_of_the_camera_is_scanned_once(browser, scanner_server, tmp_path, language):
    """The camera sees the ticket for 3 s, loses it for 1 s, sees it again (a repeat: the same
    answer, no request), then after 6.5 s without it, once more (a new scan: already inside)."""
    from access.models import Scan

    event = generated()
    sell(event, "B-2")
    code = code_for(event, "B-2")
    _, pairing_code = pair_device(event, name="Camera gate")
    video = timeline_video(tmp_path / "held.y4m", [(0.6, None), (3.0, code), (1.0, None), (1.0, code), (6.5, None),
                                                   (1.0, code)])
    say = Speaker(language)
    in_time_zone(event, "Europe/Madrid")
    driver = browser(video, language=language)
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "America/New_York"})  # not the event's
    open_paired(driver, scanner_server, pairing_code, result_ms=700)
    wait(driver, lambda d: body(d, "reader") == "ready", 30)
    first = wait_for_result(driver, 1, timeout=30)
    assert (first["source"], first["result"]) == ("camera", "accepted"), first
    # Held in view: read again and again, the answer kept on screen, nothing sent.
    wait(driver, lambda d: scanner_state(d, "ignored.repeat") >= 5, 10, "no repeated reads")
    # Out of view for a second, then back: the same answer shown again, still nothing sent.
    wait(driver, lambda d: scanner_state(d, "ignored.shownAgain") >= 1, 15, "the answer was not shown again")
    assert result_text(driver)["repeat"] == "1" and result_text(driver)["result"] == "accepted"
    assert result_text(driver)["foot"] == say("Same code again: the answer above, not scanned again.")
    no_english(driver, language)
    screenshot(driver, f"{language}-same-code-again")
    assert len(metrics(driver)) == 1
    assert Scan.objects.filter(ticket__event=event).count() == 1
    # Gone for longer than the window: a new scan, and the server says where and when (on the
    # event's clock, with its offset) it went in.
    second = wait_for_result(driver, 2, timeout=30)
    assert (second["result"], second["reason"]) == ("rejected", "already_inside"), second
    scans = list(Scan.objects.filter(ticket__event=event).select_related("checkpoint").order_by("scanned_at"))
    assert len(scans) == 2 and len(scans_sent(driver)) == 2
    hhmm, offset = clock(scans[0].scanned_at, "Europe/Madrid")
    assert result_text(driver)["sentence"] == say("Already inside: entered %(when)s through %(gate)s.",
                                                  when=say("at %(time)s", time=f"{hhmm} ({offset})"),
                                                  gate=scans[0].checkpoint.name)
    screenshot(driver, f"{language}-already-inside")


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


@in_both_languages
def test_sounds_and_buzzes_and_the_conflict_sheet_pauses_scanning(browser, scanner_server, tmp_path, language):
    """Accepted, rejected and accepted offline sound and buzz differently (what the page really
    asked of navigator.vibrate and the audio oscillators). Then an offline admission comes back
    refused: while its sheet is open nothing is scanned, camera or hardware scanner; the sheet
    says when it was let in, on the event's clock."""
    from access.models import Scan
    from access.services import scan as server_scan

    say = Speaker(language)
    event = in_time_zone(generated(), "Asia/Kolkata")
    sell(event, "A-1", "A-2", "A-3", "B-1")
    _, pairing_code = pair_device(event, name="Sound gate")
    other, _ = make_device(event, name="Elsewhere")
    proxy = CuttableProxy(scanner_server.port)
    try:
        driver = browser(blank_video(tmp_path / "blank.y4m"), language=language)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": SPY})
        open_paired(driver, proxy, pairing_code, result_ms=400)
        wait(driver, lambda d: body(d, "manifest") == "ready" and body(d, "offlineCheck") == "ready", 30)
        js(driver, "document.body.dispatchEvent(new PointerEvent('pointerdown', {bubbles: true}))")  # a tap: audio on

        def signalled(kind_count):
            wait(driver, lambda d: len(js(d, "return window.__spy.vibrate")) >= kind_count, 10, "no buzz")
            return js(driver, "return window.__spy.vibrate")[kind_count - 1]

        wedge(driver, code_for(event, "A-1"))
        assert wait_for_result(driver, 1)["result"] == "accepted", wait_for_result(driver, 1)
        accepted = signalled(1)
        wedge(driver, code_for(event, "A-1"))
        assert wait_for_result(driver, 2)["result"] == "rejected"
        rejected = signalled(2)

        proxy.blackhole()
        wait(driver, lambda d: body(d, "mode") == "offline", 5)
        wedge(driver, code_for(event, "A-2"))
        assert wait_for_result(driver, 3)["result"] == "queued"
        queued = signalled(3)
        shown = result_text(driver)
        assert (shown["title"], shown["foot"]) == (say("ACCEPTED OFFLINE"), say(
            "Checked on this phone. Queued; uploads when the network is back.")), shown
        no_english(driver, language)
        screenshot(driver, f"{language}-accepted-offline")
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
        assert wait_for_result(driver, 4)["result"] == "queued", (wait_for_result(driver, 4), result_text(driver))
        proxy.heal()
        wait(driver, lambda d: body(d, "conflicts") == "1", 20, "conflict not shown")
        assert body(driver, "paused") == "conflict"
        sheet = driver.find_element(By.ID, "conflicts")
        assert say("Scanning is paused until you tap “%(button)s”.", button=say("Got it")) in sheet.text
        assert say.n("%(count)s offline admission was refused by the server",
                     "%(count)s offline admissions were refused by the server", 1) in sheet.text
        assert driver.find_element(By.ID, "conflicts-ok").text == say("Got it")
        # When it was let in here, on the event's clock (Kolkata, UTC+05:30), not the phone's.
        here = Scan.objects.get(ticket__seat_id="A-3", ticket__event=event, result="rejected")
        hhmm, offset = clock(here.scanned_at, "Asia/Kolkata")
        assert offset == "UTC+05:30"
        line = driver.find_element(By.CSS_SELECTOR, "#conflicts-list li span").text
        assert line.startswith(say("Let in here %(when)s. Server: %(answer)s", when=say("at %(time)s", time=f"{hhmm} ({offset})"),
                                   answer="")), line
        no_english(driver, language)
        requested_urls(driver)
        wedge(driver, code_for(event, "B-1"))  # a hardware scanner's read, ignored
        wait(driver, lambda d: scanner_state(d, "ignored.paused") >= 1, 5)
        screenshot(driver, f"{language}-conflict-paused")
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
