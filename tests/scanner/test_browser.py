"""The door scanner in a real browser: headless Debian Chromium whose camera is a video of real
ticket QR codes, talking to a real server process on the test database.

Screenshots of each screen land in docs/screenshots/scanner-*.png; the frame-to-green time is
printed, and with SCANNER_RECORD_BENCH=1 written to docs/benchmarks.md ("## Door scanner app")."""
from __future__ import annotations

import os
import re
import statistics
import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.conftest import code_for, make_device, make_event, sell
from tests.scanner.conftest import ROOT, requested_urls, screenshot
from tests.scanner.pages import (
    FORGED,
    body,
    dismiss,
    js,
    off_origin,
    open_paired,
    pair_device,
    shown,
    wait,
    wait_for_result,
    wedge,
)
from tests.scanner.video import blank_video, codes_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def record_benchmark(samples: list[dict]) -> None:
    """Rewrites only this app's section of docs/benchmarks.md (others own the other sections)."""
    frame_to_green = [s["paintedAt"] - s["frameAt"] for s in samples]
    decode = [s["decodeMs"] for s in samples]
    network = [s["respondedAt"] - s["startedAt"] for s in samples]
    lines = [
        "## Door scanner app",
        "",
        "Time from the camera frame in which a ticket's QR code first appears (the frame's",
        f"`{samples[0].get('frameClock', 'presentation')}Time` from `requestVideoFrameCallback`) to the full-screen green",
        "result painted, online: QR decode + `POST /api/v1/scan` + render. Measured by",
        "`tests/scanner/test_browser.py::test_camera_reads_real_ticket_codes` in headless Debian",
        "Chromium with a fake camera (640x480 y4m at 10 fps, each code after blank frames; only reads",
        "where the previous frame was examined and blank count), against granian + PostgreSQL on the",
        "same machine (2 cores shared with other work). `SCANNER_RECORD_BENCH=1` rewrites this section.",
        "",
        "| | median | max |",
        "|---|---|---|",
        f"| frame to green screen | {statistics.median(frame_to_green):.0f} ms | {max(frame_to_green):.0f} ms |",
        f"| QR decode (ZXing wasm) | {statistics.median(decode):.0f} ms | {max(decode):.0f} ms |",
        f"| POST /api/v1/scan round trip | {statistics.median(network):.0f} ms | {max(network):.0f} ms |",
        "",
        f"Samples: {len(samples)} first sightings of a code. Target: under 300 ms.",
        "",
    ]
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    section = "\n".join(lines)
    pattern = re.compile(r"^## Door scanner app\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(lambda m: section + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


# ---------------------------------------------------------------------------------------------


def test_camera_reads_real_ticket_codes(browser, scanner_server, tmp_path):
    """Pair by URL, read three real tickets from the camera (green), then the first again
    (red: already inside, with where and when it entered). No request leaves the server's origin."""
    event = make_event()
    from tickets.services import generate_tickets

    generate_tickets(event_id=event.event_id)
    seats = ["A-1", "A-2", "A-3", "B-1", "B-2"]
    sell(event, *seats)
    codes = [code_for(event, seat) for seat in seats]
    device, pairing_code = pair_device(event, name="North")
    # The camera first sees the admin's device QR (the absolute pairing URL), then the tickets.
    pairing_url = f"{scanner_server.url}/scanner/?pair={pairing_code}"
    video = codes_video(tmp_path / "tickets.y4m", [pairing_url, *codes])

    driver = browser(video)
    driver.get(f"{scanner_server.url}/scanner/")
    wait(driver, lambda d: body(d, "screen") == "pairing")
    js(driver, "localStorage.setItem('tc.scanner.resultMs', '1800')")  # long enough to screenshot
    screenshot(driver, "pairing")
    driver.find_element(By.ID, "pair-scan").click()
    wait(driver, lambda d: body(d, "screen") == "scan", 30, "did not pair from the camera")
    assert driver.find_element(By.ID, "checkpoint-name").text == "Gate North"
    wait(driver, lambda d: body(d, "reader") == "ready", 30, "ZXing wasm did not load")

    first = wait_for_result(driver, 1, timeout=30)
    assert (first["result"], first["source"], first["offline"]) == ("accepted", "camera", False), first
    wait(driver, lambda d: shown(d)["visible"] and shown(d)["result"] == "accepted")
    screenshot(driver, "accepted")
    state = shown(driver)
    assert state["title"] == "ACCEPTED" and "Ringside" in state["text"] and "A-1" in state["text"]

    greens = [first] + [wait_for_result(driver, n) for n in range(2, len(seats) + 1)]
    assert [g["result"] for g in greens] == ["accepted"] * len(seats), greens
    assert all(g["reason"] is None for g in greens)

    again = wait_for_result(driver, len(seats) + 1, timeout=30)
    assert (again["result"], again["reason"]) == ("rejected", "already_inside"), again
    wait(driver, lambda d: shown(d)["reason"] == "already_inside")
    state = shown(driver)
    screenshot(driver, "rejected")
    assert state["title"] == "REJECTED" and "Already inside" in state["text"] and "North" in state["text"]

    from tickets.models import Ticket

    assert Ticket.objects.filter(event=event, seat_id__in=seats, access_entry=True).count() == len(seats)
    # The pairing QR, still in front of the camera in each loop, is never taken for a ticket.
    from access.models import Scan

    assert not Scan.objects.filter(device=device, code__contains="pair=").exists()

    # Every camera read that followed a blank frame measures the code's first appearance.
    clean = [g for g in greens if g.get("afterBlank") and g.get("skipped") in (0, None)] or greens
    frame_to_green = [g["paintedAt"] - g["frameAt"] for g in clean]
    print(f"\nscanner frame-to-green ms: {[round(x) for x in frame_to_green]}; "
          f"decode ms: {[round(g['decodeMs']) for g in clean]}; "
          f"scan round trip ms: {[round(g['respondedAt'] - g['startedAt']) for g in clean]}")
    assert max(frame_to_green) < 1500, frame_to_green  # generous: a loaded CI box, not the target
    if os.environ.get("SCANNER_RECORD_BENCH") == "1":
        record_benchmark(clean)

    assert off_origin(requested_urls(driver), scanner_server) == []
    problems = [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert problems == [], problems  # no CSP violation, no failed asset, no script error


def test_keyboard_wedge_manual_lookup_direction_and_revocation(browser, scanner_server, tmp_path):
    event = make_event()
    from tickets.services import generate_tickets

    generate_tickets(event_id=event.event_id)
    sell(event, "B-1", "B-2")
    device, pairing_code = pair_device(event, role="supervisor", name="East")
    driver = browser(blank_video(tmp_path / "blank.y4m"))
    driver.get(f"{scanner_server.url}/scanner/")
    wait(driver, lambda d: body(d, "screen") == "pairing")
    js(driver, "localStorage.setItem('tc.scanner.resultMs', '1500')")
    field = driver.find_element(By.ID, "pair-code")
    field.send_keys("WRONGCODE2" + Keys.ENTER)
    wait(driver, lambda d: d.find_element(By.ID, "pair-error").is_displayed())
    assert "unknown, already used or expired" in driver.find_element(By.ID, "pair-error").text
    field.clear()
    field.send_keys(pairing_code.lower() + Keys.ENTER)  # typed by hand: case does not matter
    wait(driver, lambda d: body(d, "screen") == "scan", message="did not pair with the typed code")
    wait(driver, lambda d: d.find_element(By.ID, "checkpoint-name").text == "Gate East")
    assert driver.find_element(By.ID, "direction").is_displayed()  # the checkpoint allows both
    assert body(driver, "direction") == "in"
    wait(driver, lambda d: body(d, "sw") == "ready")
    # Chrome's own verdict: manifest, icons, service worker -> the app can be installed.
    errors = driver.execute_cdp_cmd("Page.getInstallabilityErrors", {})["installabilityErrors"]
    assert errors == [], errors
    manifest = driver.execute_cdp_cmd("Page.getAppManifest", {})
    assert manifest["url"].endswith("/scanner/manifest.webmanifest") and not manifest.get("errors"), manifest
    wait(driver, lambda d: body(d, "manifest") == "ready")
    wait(driver, lambda d: js(d, "const v = document.getElementById('video'); return v.readyState >= 2 && v.currentTime > 0"))
    screenshot(driver, "ready")

    from devices.models import Device

    beat = Device.objects.get(pk=device.pk)  # the heartbeat went out at start-up
    assert beat.last_seen_at is not None and beat.app_version.startswith("scanner/")
    assert beat.clock_offset_ms is not None and abs(beat.clock_offset_ms) < 5000

    wedge(driver, code_for(event, "B-1"))
    m = wait_for_result(driver, 1)
    assert (m["source"], m["result"]) == ("wedge", "accepted"), m
    assert "General" in shown(driver)["text"] and "B-1" in shown(driver)["text"]

    wedge(driver, FORGED)
    assert (wait_for_result(driver, 2)["reason"]) == "invalid_signature"
    assert "fake or damaged" in shown(driver)["text"]

    wedge(driver, code_for(event, "A-3"))  # never sold
    assert wait_for_result(driver, 3)["reason"] == "not_sold"

    # Supervisor: manual lookup of a damaged ticket by its seat.
    dismiss(driver)
    driver.find_element(By.ID, "manual-open").click()
    field = driver.find_element(By.ID, "manual-input")
    field.send_keys("B-1" + Keys.ENTER)
    wait(driver, lambda d: "Inside now." in d.find_element(By.ID, "manual-out").text)
    driver.find_element(By.ID, "manual-close").click()

    # Out, then the exit shows the same ticket leaving.
    dismiss(driver)
    driver.find_element(By.CSS_SELECTOR, '#direction button[data-dir="out"]').click()
    wait(driver, lambda d: body(d, "direction") == "out")
    wedge(driver, code_for(event, "B-1"))
    m = wait_for_result(driver, 4)
    assert (m["result"], m["reason"]) == ("accepted", None), m
    assert "EXIT" in shown(driver)["text"]
    from tickets.models import Ticket

    assert Ticket.objects.get(event=event, seat_id="B-1").access_entry is False

    # Revoked in the admin: the very next scan stops the phone, clearly.
    from devices.services import revoke_device

    revoke_device(device_id=device.device_id)
    wedge(driver, code_for(event, "B-2"))
    wait(driver, lambda d: body(d, "screen") == "revoked", message="revoked screen not shown")
    assert "revoked" in driver.find_element(By.ID, "revoked").text
    screenshot(driver, "revoked")
    driver.refresh()  # and it stays stopped
    wait(driver, lambda d: body(d, "screen") == "revoked")
    assert Ticket.objects.get(event=event, seat_id="B-2").access_entry is False


def test_offline_queue_sync_and_conflict(browser, scanner_server, tmp_path):
    """Slow network -> decided on the phone; server gone -> still scanning, even after a reload
    (service worker + IndexedDB); server back -> the queue uploads and the conflict is shown."""
    from access.services import scan as server_scan
    from tickets.models import Ticket
    from tickets.services import generate_tickets

    event = make_event()
    generate_tickets(event_id=event.event_id)
    sell(event, "A-1", "A-2", "A-3", "A-4")
    device, pairing_code = pair_device(event, name="South")
    other, _ = make_device(event, name="West")
    driver = browser(blank_video(tmp_path / "blank.y4m"))
    open_paired(driver, scanner_server, pairing_code, result_ms=2500)
    wait(driver, lambda d: body(d, "manifest") == "ready", 30, "manifest not downloaded")
    wait(driver, lambda d: body(d, "offlineCheck") == "ready", 10, "Ed25519 keys not imported")
    wait(driver, lambda d: js(d, "return !!navigator.serviceWorker.controller"), 30, "no service worker")

    wedge(driver, code_for(event, "A-1"))
    assert wait_for_result(driver, 1)["offline"] is False

    # 1. The network is slow: after ~2 s the phone decides alone and queues.
    driver.set_network_conditions(offline=False, latency=3000, download_throughput=-1, upload_throughput=-1)
    wedge(driver, code_for(event, "A-2"))
    m = wait_for_result(driver, 2)
    assert (m["result"], m["offline"]) == ("queued", True), m
    assert 1900 < m["respondedAt"] - m["startedAt"] < 3000
    assert body(driver, "mode") == "offline" and driver.find_element(By.ID, "offline-banner").is_displayed()
    screenshot(driver, "offline-queued")
    driver.delete_network_conditions()
    wait(driver, lambda d: body(d, "mode") == "online" and body(d, "pending") == "0", 30, "did not sync")
    assert Ticket.objects.get(event=event, seat_id="A-2").access_entry is True

    # 2. The server is gone. Meanwhile another gate, still online, admits A-3.
    scanner_server.stop()
    server_scan(device=other, code=code_for(event, "A-3"), direction="in", scan_id=uuid.uuid4())
    wedge(driver, code_for(event, "A-3"))
    assert wait_for_result(driver, 3)["result"] == "queued"  # the phone could not know
    wedge(driver, code_for(event, "A-3"))
    m = wait_for_result(driver, 4)
    assert (m["result"], m["reason"], m["offline"]) == ("rejected", "already_inside", True)  # its own duplicate
    wedge(driver, FORGED)
    assert wait_for_result(driver, 5)["reason"] == "invalid_signature"  # WebCrypto Ed25519, offline
    wedge(driver, code_for(event, "A-4"))
    assert wait_for_result(driver, 6)["result"] == "queued"
    assert body(driver, "pending") == "3"  # and the forged code (evidence)

    # A reload with no server: the service worker serves the app, IndexedDB keeps the queue.
    driver.refresh()
    wait(driver, lambda d: body(d, "screen") == "scan" and body(d, "pending") == "3", 30)
    wait(driver, lambda d: body(d, "mode") == "offline", 10)
    assert driver.find_element(By.ID, "offline-banner").is_displayed()
    assert "3 scans waiting" in driver.find_element(By.ID, "offline-banner").text
    wait(driver, lambda d: js(d, "const v = document.getElementById('video'); return v.readyState >= 2 && v.currentTime > 0"))
    screenshot(driver, "offline")
    wedge(driver, code_for(event, "A-4"))
    m = wait_for_result(driver, 1)
    assert (m["result"], m["reason"]) == ("rejected", "already_inside"), m

    # 3. The server is back: the queue uploads by itself; A-3 comes back as a conflict.
    scanner_server.start()
    wait(driver, lambda d: body(d, "mode") == "online" and body(d, "pending") == "0", 30, "queue not synced")
    wait(driver, lambda d: body(d, "conflicts") == "1", 10, "conflict not shown")
    sheet = driver.find_element(By.ID, "conflicts")
    assert sheet.is_displayed() and "A-3" in sheet.text and "Already inside" in sheet.text
    wait(driver, lambda d: not d.find_element(By.ID, "result").is_displayed(), 10)
    screenshot(driver, "conflict")
    driver.find_element(By.ID, "conflicts-ok").click()
    wait(driver, lambda d: not d.find_element(By.ID, "conflicts").is_displayed())

    assert Ticket.objects.get(event=event, seat_id="A-4").access_entry is True
    manifests = [u for u in requested_urls(driver) if "/api/v1/scan/manifest" in u]
    assert any("?since=" in u for u in manifests), manifests  # back online: a delta, not the whole list
    from access.models import Scan

    mine = Scan.objects.filter(device=device)
    assert mine.filter(ticket__seat_id="A-3", result="rejected", reason="already_inside").exists()
    assert mine.filter(reason="invalid_signature").exists()
    assert Scan.objects.filter(ticket__seat_id="A-3", first_entry=True, device=other).count() == 1


def test_plain_http_on_a_lan_name_says_so_and_still_scans_online(browser, scanner_server, tmp_path):
    """`make run` opened from a phone as http://<laptop>:8000/scanner/ is not a secure context:
    no camera, no service worker, no WebCrypto. The app must say so and keep scanning online
    with a keyboard-wedge scanner instead of breaking."""
    from tickets.services import generate_tickets

    scanner_server.stop()
    scanner_server.env["ALLOWED_HOSTS"] = "127.0.0.1,scanner.test"
    scanner_server.start()
    event = make_event()
    generate_tickets(event_id=event.event_id)
    sell(event, "B-1")
    device, pairing_code = pair_device(event)
    driver = browser(blank_video(tmp_path / "blank.y4m"), "--host-resolver-rules=MAP scanner.test 127.0.0.1")
    url = f"http://scanner.test:{scanner_server.port}"
    driver.get(f"{url}/scanner/?pair={pairing_code}")
    wait(driver, lambda d: body(d, "screen") == "scan", message="did not pair over plain HTTP")
    assert js(driver, "return window.isSecureContext") is False
    assert "HTTPS" in driver.find_element(By.ID, "camera-msg").text
    wedge(driver, code_for(event, "B-1"))
    m = wait_for_result(driver, 1)
    assert (m["result"], m["offline"]) == ("accepted", False), m
