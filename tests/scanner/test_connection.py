"""The scanner's online/offline switch in a real browser (issue 16 item 3): offline within 3 s of
the server going silent, online again within 3 s of it answering, without a reload.

The phone reaches the server through a TCP proxy the test can cut (tests/scanner/netcut.py): a
partition that answers nothing (the hard case: no error, only silence) and a server process that
is killed (connections refused) and started again. Each switch is measured from the instant of
the cut, the kill or the first answer, against a 3 s deadline."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.conftest import code_for, make_event, sell
from tests.scanner.conftest import requested_urls
from tests.scanner.netcut import CuttableProxy
from tests.scanner.pages import body, js, open_paired, pair_device, wait, wait_for_result, wedge
from tests.scanner.video import blank_video
from tests.servers import wait_until_refused

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SWITCH_S = 3.0


def switch_time(driver, mode: str, since: float) -> float:
    """Seconds from `since` (monotonic) until the page shows `mode`; fails past SWITCH_S."""
    wait(driver, lambda d: body(d, "mode") == mode, max(0.1, SWITCH_S - (time.monotonic() - since)),
         f"not {mode} within {SWITCH_S} s")
    elapsed = time.monotonic() - since
    assert elapsed <= SWITCH_S, f"{mode} after {elapsed:.2f} s"
    return elapsed


def _descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *_descendants(int(child))]
    return found


def kill(server) -> float:
    """SIGKILL to granian and its worker processes, as a crash: the instant it was sent; returns
    once the port refuses connections."""
    victims = [*_descendants(server.proc.pid), server.proc.pid]
    at = time.monotonic()
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    server.proc.wait(10)
    server.proc = None
    assert wait_until_refused(server.port)
    return at


def test_offline_and_back_within_three_seconds_without_a_reload(browser, scanner_server, tmp_path):
    from tickets.models import Ticket
    from tickets.services import generate_tickets

    event = make_event()
    generate_tickets(event_id=event.event_id)
    sell(event, "A-1", "A-2", "B-1")
    _, pairing_code = pair_device(event, name="Proxy gate")
    proxy = CuttableProxy(scanner_server.port)
    try:
        driver = browser(blank_video(tmp_path / "blank.y4m"))
        open_paired(driver, proxy, pairing_code, result_ms=800)
        wait(driver, lambda d: body(d, "manifest") == "ready", 30, "manifest not downloaded")
        wait(driver, lambda d: body(d, "offlineCheck") == "ready", 10)
        js(driver, "window.__sameDocument = 'yes'")  # gone if the page reloads
        requested_urls(driver)  # from here on, count the probes
        quiet_since = time.monotonic()
        timings = {}

        # 1. A partition: the server's answers stop, with no error at all. Twice, to see it repeat.
        for n in (1, 2):
            proxy.blackhole()
            timings[f"silent->offline #{n}"] = switch_time(driver, "offline", proxy.cut_at)
            assert driver.find_element("id", "offline-banner").is_displayed()
            proxy.heal()
            timings[f"healed->online #{n}"] = switch_time(driver, "online", proxy.healed_at)
        wedge(driver, code_for(event, "A-1"))
        m = wait_for_result(driver, 1)
        assert (m["result"], m["offline"]) == ("accepted", False), m

        # 2. The server process dies (connections refused), then starts again.
        killed_at = kill(scanner_server)
        timings["killed->offline"] = switch_time(driver, "offline", killed_at)
        wedge(driver, code_for(event, "A-2"))
        m = wait_for_result(driver, 2)
        assert (m["result"], m["offline"]) == ("queued", True), m  # decided on the phone meanwhile
        scanner_server.warm_up = lambda: None  # start() returns at the first answer of /healthz
        scanner_server.start()
        answering_at = time.monotonic()
        timings["answering->online"] = switch_time(driver, "online", answering_at)
        wait(driver, lambda d: body(d, "pending") == "0", 10, "the queue did not upload")
        assert Ticket.objects.get(event=event, seat_id="A-2").access_entry is True
        wedge(driver, code_for(event, "B-1"))
        m = wait_for_result(driver, 3)
        assert (m["result"], m["offline"]) == ("accepted", False), m

        assert js(driver, "return window.__sameDocument") == "yes", "the page was reloaded"
        print("\nscanner online/offline switch, s: " + ", ".join(f"{k} {v:.2f}" for k, v in timings.items()))

        # The price of knowing: about one health check a second while the door is quiet, no more.
        seconds = time.monotonic() - quiet_since
        probes = [u for u in requested_urls(driver) if u.endswith("/healthz")]
        assert len(probes) <= 1.5 * seconds + 2, (len(probes), seconds)
    finally:
        proxy.close()
