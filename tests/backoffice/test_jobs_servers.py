"""The production shape for large outputs (docs/adr/0030): the real web server (granian with the
RSGI front) answers a whole-event print asked async with 202, a real Celery worker produces the
file, and the web server sends it from disk; the PDF is read back (every reference and QR code).
And the same PDF asked directly, and a CSV export, come through the web server streamed, complete."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import time
import urllib.request
import uuid

import pytest

from accounts.services import create_staff_token
from events.codes import active_key, ticket_code
from tests.backoffice.test_print_readback import page_codes, page_texts, references_in
from tests.conftest import make_event
from tests.servers import ROOT, child_env, server_process
from tickets.models import Ticket
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db(transaction=True)

BIN = str(ROOT / "bin" / "ticketcore")


def get(url: str, token: str, **headers) -> tuple[int, object, bytes]:
    req = urllib.request.Request(url, headers={"Authorization": f"Token {token}", **headers})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


@pytest.fixture(scope="module")
def servers(django_db_setup, tmp_path_factory):
    """web + worker on this module's own job queue and directory (other test runs share Redis)."""
    queue = f"jobs-test-{uuid.uuid4().hex[:8]}"
    env = child_env(JOBS_DIR=str(tmp_path_factory.mktemp("jobs")), JOBS_SYNC_MAX_ROWS="10", JOBS_QUEUE=queue,
                    WEB_KILL_TIMEOUT_S="3", LOG_LEVEL="WARNING")
    # A busy two-core machine takes a while to start both; the worker's messages wait in its queue.
    with server_process(lambda port: ["env", f"PORT={port}", BIN, "web"], name="bin/ticketcore web", env=env,
                        timeout=120) as url:
        worker = subprocess.Popen([BIN, "worker", "--concurrency", "1", "-Q", queue], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            yield url
        finally:
            worker.terminate()
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()


@pytest.fixture
def shape(servers, transactional_db, django_user_model):
    user = django_user_model.objects.create_user("lead", password="pw-lead-12345", is_staff=True)
    return servers, create_staff_token(user=user).token


def test_a_whole_event_print_through_web_and_worker(shape):
    url, token = shape
    event = make_event()
    generate_tickets(event_id=event.event_id)
    status, headers, body = get(f"{url}/api/v1/events/{event.event_id}/tickets.pdf?layout=a4", token,
                                Prefer="respond-async")
    assert status == 202, body
    location = headers["Location"]
    deadline = time.monotonic() + 180  # includes the worker's start
    while True:
        status, _, body = get(location, token)
        job = json.loads(body)
        if job["state"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.2)  # polling the job until the deadline, as a client does
    assert job["state"] == "done", job
    status, headers, data = get(job["download_url"], token)
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert int(headers["Content-Length"]) == len(data) == job["size"]
    tickets = list(Ticket.objects.filter(event=event).order_by("zone_id", "seat_number"))
    assert [r for text in page_texts(data) for r in references_in(text)] == [t.reference for t in tickets]
    key = active_key(event.event_id)
    assert sorted(c.text for page in page_codes(data) for c in page) == sorted(ticket_code(t, key) for t in tickets)


def test_a_csv_export_streams_through_the_web_server_complete(shape):
    url, token = shape
    event = make_event()
    generate_tickets(event_id=event.event_id)
    status, headers, body = get(f"{url}/api/v1/events/{event.event_id}/exports/tickets.csv", token)
    assert status == 200 and headers.get("Transfer-Encoding") == "chunked"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "Asiento" and len(rows) == 1 + 15  # the event's language (es by default)
    assert {r[13] for r in rows[1:]} == set(Ticket.objects.filter(event=event).values_list("ticket_id", flat=True))


@pytest.mark.browser
def test_a_lead_prepares_the_whole_event_in_chromium_and_downloads_it(servers, transactional_db, django_user_model):
    """In a real browser against web + worker: the events list links the files page, "Prepare"
    starts the job, the page reloads itself until the file is ready, and the link gives the PDF."""
    from selenium.webdriver.common.by import By

    from tests.backoffice.test_print_admin import _browser
    from tests.live.test_dashboard_browser import _require_browser

    _require_browser()
    event = make_event(name="Gala de Invierno")
    generate_tickets(event_id=event.event_id)
    django_user_model.objects.create_superuser("lead", password="pw-lead-12345")
    browser = _browser()
    try:
        browser.get(f"{servers}/admin/login/?next=/admin/events/event/")
        browser.find_element(By.ID, "id_username").send_keys("lead")
        browser.find_element(By.ID, "id_password").send_keys("pw-lead-12345")
        browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        browser.find_element(By.CSS_SELECTOR, f'a[href="/admin/events/event/{event.event_id}/files/"]').click()
        browser.find_element(By.CSS_SELECTOR, 'button[value="tickets-a4"]').click()
        deadline = time.monotonic() + 180
        while not browser.find_elements(By.CSS_SELECTOR, 'tr[data-state="done"] a.button'):
            assert time.monotonic() < deadline, browser.page_source[-2000:]
            assert not browser.find_elements(By.CSS_SELECTOR, 'tr[data-state="failed"]'), browser.page_source[-2000:]
            time.sleep(0.5)  # the page reloads itself every 3 s while the job runs
        browser.save_screenshot(str(ROOT / "docs" / "screenshots" / "admin-event-files.png"))
        link = browser.find_element(By.CSS_SELECTOR, 'tr[data-state="done"] a.button')
        fetched = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0]).then(async r => done([r.status, r.headers.get('content-type'),"
            " new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5))]));", link.get_attribute("href"))
        assert fetched == [200, "application/pdf", "%PDF-"]
    finally:
        browser.quit()


def test_a_whole_event_pdf_streams_through_the_web_server(shape):
    url, token = shape
    event = make_event()
    generate_tickets(event_id=event.event_id)
    status, headers, data = get(f"{url}/api/v1/events/{event.event_id}/tickets.pdf?layout=thermal", token)
    assert status == 200 and headers.get("Transfer-Encoding") == "chunked"
    assert headers["Content-Type"] == "application/pdf" and data.rstrip().endswith(b"%%EOF")
    assert len(page_codes(data)) == 15
