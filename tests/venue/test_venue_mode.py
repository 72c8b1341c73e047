"""`make run` at a venue, end to end (issue 16 item 7, docs/adr/0025): scripts/run.py itself, with
PUBLIC_HOST and a free PORT, on a database of its own; HTTPS from its proxy with the local CA;
a phone-sized headless Chromium that reaches the server by name on this machine's network
address (not localhost, so only HTTPS gives it the camera) pairs through the pairing URL and
scans a ticket with its camera.

The phone trusts the generated server key by its SPKI pin, as a phone that installed the CA
trusts the chain (the chain itself is checked by OpenSSL in test_tls.py and by httpx here)."""
from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from cryptography import x509
from django.conf import settings
from selenium.webdriver.common.by import By

from scripts import tls
from scripts.run import lan_address
from tests.scanner.conftest import screenshot
from tests.scanner.test_browser import body, js, shown, wait, wait_for_result
from tests.scanner.video import codes_video
from tests.servers import ROOT, free_port, wait_until_refused
from tests.venue.qr import matrix_from_terminal, matrix_of

HOST = "venue.test"  # a name of the local CA's own ("test" is reserved for testing, RFC 2606)
STARTUP_DEADLINE_S = 240  # a fresh database: every migration, then 2,000 demo tickets, on 2 cores
# Its own Redis database: the run's Celery worker never takes another suite's tasks.
REDIS_URL = "redis://127.0.0.1:6379/13"


@dataclass
class VenueRun:
    proc: subprocess.Popen
    port: int
    data_dir: Path
    lines: list[str] = field(default_factory=list)
    banner_done: threading.Event = field(default_factory=threading.Event)

    @property
    def public_url(self) -> str:
        return f"https://{HOST}:{self.port}"

    @property
    def local_url(self) -> str:
        """The laptop's own browser: localhost is one of the certificate's names."""
        return f"https://localhost:{self.port}"

    @property
    def ca(self) -> Path:
        return self.data_dir / "tls" / "ca.pem"

    def output(self) -> str:
        return "\n".join(self.lines)

    def banner_value(self, label: str) -> str:
        match = re.search(rf"^\s*{label}:\s+(\S+)", self.output(), re.MULTILINE)
        assert match, f"{label} not printed:\n{self.output()[-3000:]}"
        return match.group(1)

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.local_url, verify=ssl.create_default_context(cafile=str(self.ca)),
                            timeout=30, **kwargs)


def free_port_block(n: int = 3) -> int:
    """A port whose next n - 1 are free too (the proxy, web and ws of one run)."""
    for _ in range(50):
        port = free_port()
        try:
            for p in range(port, port + n):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
            return port
        except OSError:
            continue
    raise RuntimeError("no block of free ports")


def _admin_dsn(database: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database}"


def run_database() -> str:
    return f"{settings.DATABASES['default']['TEST']['NAME'] or 'test_ticketcore'}_venue_run"


def _drop(database: str) -> None:
    with psycopg.connect(_admin_dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(scope="module")
def venue_run(tmp_path_factory, collected_static):
    """scripts/run.py as `PUBLIC_HOST=venue.test PORT=<free> make run` starts it, stopped with
    Ctrl-C (SIGINT) at the end."""
    data_dir = tmp_path_factory.mktemp("venue-data")
    static = data_dir / "static"
    shutil.copytree(collected_static, static)  # collectstatic then finds every file up to date
    database = run_database()
    _drop(database)
    port = free_port_block()
    env = {k: v for k, v in os.environ.items() if k not in {
        "PUBLIC_URL", "TLS_CERT_FILE", "TLS_KEY_FILE", "SECURE_PROXY_SSL_HEADER", "TRUSTED_PROXIES", "DEBUG",
        "ALLOWED_HOSTS", "MIGRATE_DATABASE_URL", "DATABASE_APP_ROLE", "SECURE_SSL_REDIRECT"}}
    env.update(
        PORT=str(port), PUBLIC_HOST=HOST, DATA_DIR=str(data_dir), STATIC_ROOT=str(static),
        DATABASE_URL=_admin_dsn(database), REDIS_URL=REDIS_URL,
        CACHE_KEY_PREFIX=settings.CACHES["default"]["KEY_PREFIX"] + "-run",
        CHANNEL_PREFIX=settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] + "-run",
        WEB_WORKERS="1", WORKER_CONCURRENCY="1", PYTHONUNBUFFERED="1",
    )
    proc = subprocess.Popen([sys.executable, "scripts/run.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace",
                            start_new_session=True)
    run = VenueRun(proc=proc, port=port, data_dir=data_dir)

    def drain() -> None:  # the roles log to the same pipe: it must never fill up
        for line in proc.stdout:
            run.lines.append(line.rstrip("\n"))
            if line.startswith("Ctrl-C stops everything."):
                run.banner_done.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        while not run.banner_done.wait(0.2):
            assert proc.poll() is None, f"scripts/run.py exited:\n{run.output()[-4000:]}"
            assert time.monotonic() < deadline, f"no banner within {STARTUP_DEADLINE_S} s:\n{run.output()[-4000:]}"
        yield run
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGINT)  # Ctrl-C, as in a terminal
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        stopped_cleanly = proc.returncode == 0 and all(wait_until_refused(p) for p in (port, port + 1, port + 2))
        _drop(database)
        assert stopped_cleanly, f"run.py exit {proc.returncode}:\n{run.output()[-3000:]}"
        # Phones came and went, one refused the certificate: no role (the proxy above all)
        # lost a task or died with a traceback on the way.
        trouble = [line for line in run.lines if "Traceback" in line or "Task was destroyed" in line
                   or "Exception in callback" in line]
        assert not trouble, run.output()[-6000:]


@pytest.fixture(scope="module")
def staff_token(venue_run) -> str:
    env = {**os.environ, "DATABASE_URL": _admin_dsn(run_database()), "DEBUG": "true"}
    out = subprocess.run([sys.executable, "manage.py", "drf_create_token", "admin"], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout
    return re.search(r"Generated token (\S+)", out).group(1)


# ---------------------------------------------------------------------------------------------


def test_make_run_prints_the_scanner_address_and_a_qr_code_of_it(venue_run):
    scanner = venue_run.banner_value("Scanner")
    assert scanner == f"{venue_run.public_url}/scanner/"
    assert f"TicketCore is running at {venue_run.public_url}/\n" in venue_run.output()
    lines = venue_run.lines
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("Scanner:")) + 1
    qr_lines = []
    for line in lines[start:]:
        if not line.startswith("\x1b["):
            break
        qr_lines.append(line)
    printed = matrix_from_terminal(qr_lines)
    expected = matrix_of(scanner)
    assert printed[:len(expected)] == expected, "the printed QR code is not the scanner's address"
    assert all(not any(row) for row in printed[len(expected):])  # only quiet zone below
    # The certificate it serves: the local CA's, for the public name, the one printed.
    made = tls.ensure(venue_run.data_dir / "tls", [HOST])
    assert not made.ca_created and not made.cert_created  # the run's own, reused
    assert HOST in tls._sans(x509.load_pem_x509_certificate(made.cert_path.read_bytes()))
    assert made.ca_fingerprint() in venue_run.output()
    assert f"{venue_run.public_url}/ticketcore-ca.crt" in venue_run.output()


def test_https_for_staff_csrf_websocket_and_pairing_links(venue_run, staff_token):
    """The laptop's browser at https://localhost: Django knows the request came over HTTPS (an
    admin login checks the https Origin; cookies are Secure), the live WebSocket works through
    the proxy's TLS, and a device's pairing link names the phones' address."""
    with venue_run.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        page = client.get("/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        form = {"username": "admin", "password": "ticketcore-admin", "csrfmiddlewaretoken": token, "next": "/admin/"}
        # Control: the same form from a plain-HTTP origin is refused; had the proxy not said
        # "https", Django would have expected exactly that origin and refused the next one.
        refused = client.post("/admin/login/?next=/admin/", data=form,
                              headers={"Origin": f"http://localhost:{venue_run.port}"})
        assert refused.status_code == 403
        r = client.post("/admin/login/?next=/admin/", data=form, headers={"Origin": venue_run.local_url})
        assert r.status_code == 302 and r.headers["location"] == "/admin/", r.text[:300]
        assert "; secure" in r.headers.get("set-cookie", "").lower()
        session = client.cookies["sessionid"]
        event_id = venue_run.banner_value("Dashboard").rstrip("/").rsplit("/", 1)[1]

        async def live_snapshot():
            import websockets

            ctx = ssl.create_default_context(cafile=str(venue_run.ca))
            async with websockets.connect(
                    f"wss://localhost:{venue_run.port}/ws/events/{event_id}/live/", ssl=ctx,
                    additional_headers={"Cookie": f"sessionid={session}", "Origin": venue_run.local_url}) as ws:
                return json.loads(await asyncio.wait_for(ws.recv(), 20))

        assert asyncio.run(live_snapshot())["type"] == "snapshot"

        api = {"Authorization": f"Token {staff_token}"}
        gate = client.post(f"/api/v1/events/{event_id}/checkpoints", json={"name": "South"}, headers=api).json()
        device = client.post("/api/v1/devices", json={"name": "South 1", "event_id": event_id,
                                                      "checkpoint_id": gate["checkpoint_id"]}, headers=api).json()
        assert device["pairing_url"] == f"{venue_run.public_url}/scanner/?pair={device['pairing_code']}"


def test_plain_http_on_the_https_port_is_sent_to_https_and_the_ca_can_be_downloaded(venue_run):
    with httpx.Client(base_url=f"http://127.0.0.1:{venue_run.port}", timeout=20) as plain:
        r = plain.get("/scanner/?x=1")
        assert r.status_code == 307 and r.headers["location"] == f"{venue_run.public_url}/scanner/?x=1"
        ca = plain.get("/ticketcore-ca.crt")
        assert ca.status_code == 200 and ca.headers["content-type"] == "application/x-x509-ca-cert"
        assert ca.content == venue_run.ca.read_bytes()
    with venue_run.client() as client:
        client.get("/healthz")  # the same kept-alive connection then asks for the CA
        assert client.get("/ticketcore-ca.crt").content == venue_run.ca.read_bytes()
        assert client.get("/readyz").status_code == 200


def network_address() -> str:
    """This machine's own address on its network when it has one (the proxy must listen there),
    else loopback."""
    try:
        address = lan_address()
    except SystemExit:
        return "127.0.0.1"
    return address if ipaddress.ip_address(address).version == 4 else "127.0.0.1"


@pytest.mark.browser
def test_a_phone_pairs_through_the_pairing_url_over_https_and_scans(venue_run, staff_token, browser, tmp_path):
    api = {"Authorization": f"Token {staff_token}"}
    event_id = venue_run.banner_value("Dashboard").rstrip("/").rsplit("/", 1)[1]
    with venue_run.client(headers=api) as client:
        gate = client.post(f"/api/v1/events/{event_id}/checkpoints", json={"name": "North"}).json()
        device = client.post("/api/v1/devices", json={"name": "North 1", "event_id": event_id,
                                                      "checkpoint_id": gate["checkpoint_id"]}).json()
        sold = client.get(f"/api/v1/events/{event_id}/tickets",
                          params={"status": "false", "access_status": "false", "page_size": 1}).json()["results"][0]
    pairing_url = device["pairing_url"]
    assert pairing_url.startswith(f"{venue_run.public_url}/scanner/?pair=")

    made = tls.ensure(venue_run.data_dir / "tls", [HOST])
    address = network_address()
    # The phone finds venue.test at this machine's network address, and trusts the server's key.
    driver = browser(codes_video(tmp_path / "ticket.y4m", [sold["code"]]),
                     f"--host-resolver-rules=MAP {HOST} {address}",
                     f"--ignore-certificate-errors-spki-list={made.spki_sha256()}")
    driver.get(f"{venue_run.public_url}/scanner/")
    wait(driver, lambda d: body(d, "screen") == "pairing", 60, "pairing screen not shown over HTTPS")
    assert js(driver, "return [location.protocol, location.host, window.isSecureContext]") == [
        "https:", f"{HOST}:{venue_run.port}", True]
    js(driver, "localStorage.setItem('tc.scanner.resultMs', '4000')")  # long enough to screenshot
    screenshot(driver, "venue-https-pairing")

    driver.get(pairing_url)
    wait(driver, lambda d: body(d, "screen") == "scan", 60, "the phone did not pair through the pairing URL")
    assert driver.find_element(By.ID, "checkpoint-name").text == "North"
    wait(driver, lambda d: body(d, "reader") == "ready", 60, "QR reader did not load")
    result = wait_for_result(driver, 1, timeout=60)
    assert (result["result"], result["source"], result["offline"]) == ("accepted", "camera", False), result
    wait(driver, lambda d: shown(d)["visible"] and shown(d)["result"] == "accepted")
    screenshot(driver, "venue-https-accepted")
    wait(driver, lambda d: body(d, "sw") == "ready", 60, "service worker not ready over HTTPS")

    with venue_run.client(headers=api) as client:
        ticket = client.get(f"/api/v1/events/{event_id}/tickets/{sold['ticket_id']}").json()
    assert ticket["access_status"] is True and ticket["ledger"][-1]["action"] == "accessed"
    # Chrome's user-activation rule blocks vibration until the first tap (a phone paired by its
    # camera app has not been tapped yet): an intervention notice, not an error of the app.
    problems = [e["message"] for e in driver.get_log("browser")
                if e["level"] == "SEVERE" and "Blocked call to navigator.vibrate" not in e["message"]]
    assert problems == [], problems


@pytest.mark.browser
def test_a_phone_that_only_accepts_the_warning_gets_the_camera_but_no_service_worker(venue_run, browser, tmp_path):
    """What the README tells the operations lead: clicking through the certificate warning is a
    try-out, not a night at the doors (the app could not reopen offline)."""
    from tests.scanner.video import blank_video

    driver = browser(blank_video(tmp_path / "blank.y4m"), f"--host-resolver-rules=MAP {HOST} {network_address()}")
    driver.get(f"{venue_run.public_url}/scanner/")
    wait(driver, lambda d: d.find_elements(By.ID, "details-button"), 30, "no certificate warning")
    screenshot(driver, "venue-untrusted-warning")
    driver.find_element(By.ID, "details-button").click()
    driver.find_element(By.ID, "proceed-link").click()
    wait(driver, lambda d: body(d, "screen") == "pairing", 60, "scanner not shown after accepting the warning")
    assert js(driver, "return window.isSecureContext") is True
    camera = driver.execute_async_script("""const done = arguments[arguments.length - 1];
        navigator.mediaDevices.getUserMedia({video: true}).then(
          (s) => { s.getTracks().forEach((t) => t.stop()); done('ok'); }, (e) => done(String(e)));""")
    assert camera == "ok"
    worker = driver.execute_async_script("""const done = arguments[arguments.length - 1];
        navigator.serviceWorker.register('/scanner/sw.js', {scope: '/scanner/'}).then(
          () => done('registered'), (e) => done(String(e)));""")
    assert "SSL certificate error" in worker, worker
