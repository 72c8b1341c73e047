"""Manual admission in a real browser (issue 16 item 2): a supervisor looks a damaged ticket up,
sees its state and lets it in by hand with a reason; the server records it as a manual scan of
the supervisor's phone and, as for any scan, a used ticket stays used. A steward cannot admit by
hand: "Can't scan?" opens a screen that says to wait and call a supervisor. Each screen in English
and in Spanish, with the words of the catalogue the phone reads (tests/scanner/language.py)."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.conftest import code_for, make_event, sell
from tests.scanner.conftest import requested_urls, screenshot
from tests.scanner.language import Speaker, english_left_on, in_both_languages
from tests.scanner.pages import body, dismiss, open_paired, pair_device, result_text, wait, wait_for_result, wedge
from tests.scanner.test_words import clock
from tests.scanner.video import blank_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def generated():
    from tickets.services import generate_tickets

    event = make_event()
    generate_tickets(event_id=event.event_id)
    return event


def look_up(driver, query):
    field = driver.find_element(By.ID, "manual-input")
    field.clear()
    field.send_keys(query + Keys.ENTER)


def choose_reason(driver, value):
    driver.find_element(By.CSS_SELECTOR, f'input[name="manual-reason"][value="{value}"]').click()


def no_english(driver, language):
    left = english_left_on(driver, language)
    assert not left, f"English on the {language} screen: {left}"


@in_both_languages
def test_supervisor_looks_up_and_admits_by_hand(browser, scanner_server, tmp_path, language):
    from access.models import Scan, ScanNote
    from tickets import references
    from tickets.models import Ticket

    say = Speaker(language)
    event = generated()
    event.timezone = "Europe/Madrid"
    event.save(update_fields=["timezone"])
    sell(event, "A-2", "B-3")
    device, code = pair_device(event, role="supervisor", name="Lead")
    driver = browser(blank_video(tmp_path / "blank.y4m"), language=language)
    open_paired(driver, scanner_server, code, result_ms=60000)
    wait(driver, lambda d: body(d, "manifest") == "ready", 30)
    assert driver.find_element(By.ID, "manual-open").is_displayed()
    assert driver.find_element(By.ID, "manual-open").text == say("By hand")
    assert not driver.find_element(By.ID, "call-open").is_displayed()

    driver.find_element(By.ID, "manual-open").click()
    assert driver.find_element(By.ID, "manual-title").text == say("Check a ticket by hand")
    look_up(driver, "a-2")  # as typed off a torn ticket
    wait(driver, lambda d: d.find_element(By.ID, "manual-admit").is_displayed())
    out = driver.find_element(By.ID, "manual-out").text
    assert "A-2" in out and "Ringside" in out and say("Sold, never entered.") in out
    assert all(say(label) in out for label in ("Seat", "Zone", "Row", "State", "Printed code")), out
    assert driver.find_element(By.ID, "manual-submit").text == say("Let in by hand")
    driver.find_element(By.ID, "manual-submit").click()  # no reason yet
    wait(driver, lambda d: d.find_element(By.ID, "manual-error").is_displayed())
    assert driver.find_element(By.ID, "manual-error").text == say("Choose why the code cannot be scanned.")
    assert not Scan.objects.exists()
    choose_reason(driver, "damaged")
    driver.find_element(By.ID, "manual-note").send_keys("torn in half")
    no_english(driver, language)
    screenshot(driver, f"{language}-manual-lookup")

    requested_urls(driver)
    driver.find_element(By.ID, "manual-submit").click()
    m = wait_for_result(driver, 1)
    assert (m["source"], m["result"]) == ("manual", "accepted"), m
    shown = result_text(driver)
    assert (shown["mode"], shown["title"], shown["foot"]) == ("manual", say("ACCEPTED"), say("Checked by hand by a supervisor.")), shown
    no_english(driver, language)
    screenshot(driver, f"{language}-manual-admitted")
    assert not driver.find_element(By.ID, "manual").is_displayed()
    assert [u for u in requested_urls(driver) if "/api/v1/scan" in u] == [f"{scanner_server.url}/api/v1/scan/manual"]

    ticket = Ticket.objects.get(event=event, seat_id="A-2")
    assert ticket.access_status and ticket.access_entry
    scan = Scan.objects.get(ticket=ticket)
    assert (scan.mode, scan.device_id, scan.checkpoint_id) == ("manual", device.device_id, device.checkpoint_id)
    note = ScanNote.objects.get(device=device, scan_id=scan.scan_id)
    # The reason in the words the supervisor chose it in, and their note.
    assert (note.query, note.note) == (ticket.ticket_id, f"{say('Code damaged')}: torn in half")

    # Looked up again: inside now, since when on the event's clock. Letting it in again is
    # refused: not an override.
    dismiss(driver)
    driver.find_element(By.ID, "manual-open").click()
    look_up(driver, references.grouped(ticket.reference).lower())  # the code printed under the QR, as typed
    wait(driver, lambda d: say("Inside now.") in d.find_element(By.ID, "manual-out").text)
    out = driver.find_element(By.ID, "manual-out").text
    hhmm, offset = clock(scan.server_time, "Europe/Madrid")  # a manual scan has no phone clock
    assert ticket.reference in out and say("First entry") in out and f"{hhmm} ({offset})" in out, out
    choose_reason(driver, "other")
    driver.find_element(By.ID, "manual-submit").click()
    m = wait_for_result(driver, 2)
    assert (m["result"], m["reason"]) == ("rejected", "already_inside"), m
    shown = result_text(driver)
    assert shown["sentence"] == say("Already inside: entered %(when)s through %(gate)s.", gate="Gate Lead",
                                    when=say("at %(time)s", time=f"{hhmm} ({offset})")), shown
    assert shown["foot"] == say("Checked by hand: refused.")
    no_english(driver, language)
    screenshot(driver, f"{language}-manual-refused")

    # A seat that does not exist, and a typed full code (scanned like a read one).
    dismiss(driver)
    driver.find_element(By.ID, "manual-open").click()
    look_up(driver, "Z-99")
    missing = say("No ticket in this event has that seat, number or code: “%(query)s”. Check it and try again.", query="Z-99")
    wait(driver, lambda d: d.find_element(By.ID, "manual-out").text == missing)
    assert not driver.find_element(By.ID, "manual-admit").is_displayed()
    look_up(driver, code_for(event, "B-3"))
    m = wait_for_result(driver, 3)
    assert (m["source"], m["result"]) == ("manual", "accepted"), m
    assert Scan.objects.get(ticket__seat_id="B-3", ticket__event=event).mode == "online"  # a scan of its code


@in_both_languages
def test_supervisor_retries_one_admission_never_twice(browser, scanner_server, tmp_path, language):
    """The network drops the answer: the retry is the same admission (same scan_id), recorded once."""
    from access.models import Scan

    say = Speaker(language)
    event = generated()
    sell(event, "B-1")
    _, code = pair_device(event, role="supervisor", name="Lead")
    driver = browser(blank_video(tmp_path / "blank.y4m"), language=language)
    open_paired(driver, scanner_server, code, result_ms=60000)
    driver.find_element(By.ID, "manual-open").click()
    look_up(driver, "B-1")
    wait(driver, lambda d: d.find_element(By.ID, "manual-admit").is_displayed())
    choose_reason(driver, "screen")
    # The request reaches the server, but its answer never reaches the phone.
    driver.execute_script("""
        const real = window.fetch;
        window.fetch = async (...args) => {
          const response = await real(...args);
          if (String(args[0]).endsWith('/scan/manual') && !window.__dropped) {
            window.__dropped = true;
            throw new TypeError('network');
          }
          return response;
        };""")
    driver.find_element(By.ID, "manual-submit").click()
    wait(driver, lambda d: d.find_element(By.ID, "manual-error").text == say(
        "No answer from the server. Try again: it is sent as the same admission, never twice."))
    assert Scan.objects.filter(ticket__seat_id="B-1", result="accepted").count() == 1
    driver.find_element(By.ID, "manual-submit").click()
    m = wait_for_result(driver, 1)
    assert (m["result"], m["reason"]) == ("accepted", None), m  # the first answer, replayed
    assert Scan.objects.filter(ticket__seat_id="B-1").count() == 1


@in_both_languages
def test_a_steward_is_told_to_call_a_supervisor(browser, scanner_server, tmp_path, language):
    from access.models import Scan

    say = Speaker(language)
    event = generated()
    sell(event, "A-1")
    _, code = pair_device(event, name="Side door")
    driver = browser(blank_video(tmp_path / "blank.y4m"), language=language)
    open_paired(driver, scanner_server, code, result_ms=60000)
    assert not driver.find_element(By.ID, "manual-open").is_displayed()
    assert driver.find_element(By.ID, "call-open").text == say("Can't scan?")

    # A damaged code: the answer itself points at the way out, with the button's own words.
    wedge(driver, code_for(event, "A-1")[:-4] + "AAAA")
    assert wait_for_result(driver, 1)["reason"] == "invalid_signature"
    assert result_text(driver)["foot"] == say("Damaged code? Tap “%(button)s” and call a supervisor.", button=say("Can't scan?"))
    dismiss(driver)

    driver.find_element(By.ID, "call-open").click()
    wait(driver, lambda d: d.find_element(By.ID, "call").is_displayed())
    screen = driver.find_element(By.ID, "call").text
    assert say("Call a supervisor") in screen and say("Do not let them in yet.") in screen
    assert say("Ask the guest to step aside and keep their ticket or phone.") in screen
    # The gate is named in bold, inside the sentence, where the language puts it.
    assert say("Call a supervisor to %(gate)s. They can check the ticket by its seat, its number or the code printed "
               "under the QR, and let it in.", gate="Gate Side door") in screen
    assert driver.find_element(By.CSS_SELECTOR, "#call-supervisor strong").text == "Gate Side door"
    no_english(driver, language)
    screenshot(driver, f"{language}-call-supervisor")
    driver.find_element(By.ID, "call-close").click()
    wait(driver, lambda d: not d.find_element(By.ID, "call").is_displayed())
    assert body(driver, "screen") == "scan"
    wedge(driver, code_for(event, "A-1"))
    assert wait_for_result(driver, 2)["result"] == "accepted"  # scanning goes on
    assert not Scan.objects.filter(mode="manual").exists()
