"""Pairing links and QR codes carry the configured public address (issue 16 item 7): the admin
browses the laptop at 127.0.0.1, the phones reach it at PUBLIC_URL. Checked on a real server
process configured only by its environment, through the API and the admin pages of devices and
offices; the QR codes are read back module by module."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import httpx
import pytest
from django.test import RequestFactory, override_settings

from core.urls import public_url
from events.services import create_checkpoint
from tests.conftest import make_event
from tests.servers import child_env, server_process
from tests.venue.qr import matrix_from_svg, matrix_of

PUBLIC = "https://192.168.1.20:8443"


def test_public_url_prefers_the_configured_address():
    request = RequestFactory().get("/admin/", HTTP_HOST="127.0.0.1:8000")
    with override_settings(PUBLIC_URL=PUBLIC):
        assert public_url("/scanner/?pair=K7QH2MX9RA", request) == f"{PUBLIC}/scanner/?pair=K7QH2MX9RA"
        assert public_url("/scanner/") == f"{PUBLIC}/scanner/"  # no request needed
    with override_settings(PUBLIC_URL=""):
        assert public_url("/scanner/?pair=X", request) == "http://127.0.0.1:8000/scanner/?pair=X"
        with pytest.raises(ValueError):
            public_url("/scanner/")  # no address to build on
    with pytest.raises(ValueError):
        public_url("scanner/", request)


def test_a_malformed_public_url_stops_the_server_from_starting():
    import subprocess

    for bad in ("192.168.1.20:8443", "https://192.168.1.20:8443/tickets", "ftp://192.168.1.20"):
        result = subprocess.run([sys.executable, "-c", "import django; django.setup()"],
                                env=child_env(PUBLIC_URL=bad, DJANGO_SETTINGS_MODULE="ticketcore.settings"),
                                capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode != 0 and "PUBLIC_URL must be" in result.stderr, (bad, result.stderr[-500:])


def admin_session(base: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=20)
    page = client.get("/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    r = client.post("/admin/login/?next=/admin/", data={
        "username": username, "password": password, "csrfmiddlewaretoken": token, "next": "/admin/"})
    assert r.status_code == 302 and r.headers["location"] == "/admin/", r.text[:500]
    return client


def qr_svg(page: str) -> str:
    match = re.search(r'<svg[^>]*class="segno".*?</svg>', page, re.DOTALL)
    assert match, "no QR code on the page"
    return match.group(0)


@pytest.mark.django_db(transaction=True)
def test_pairing_links_and_qr_codes_use_public_url_whatever_the_admin_browses(django_user_model):
    from accounts.services import create_staff_token

    event = make_event()
    gate = create_checkpoint(event_id=event.event_id, name="North")
    admin = django_user_model.objects.create_superuser("venue-admin", password="venue-admin-pw-1")
    token = create_staff_token(user=admin).token
    granian = str(Path(sys.executable).parent / "granian")
    env = child_env(PUBLIC_URL=PUBLIC + "/")  # a trailing slash is forgiven
    with server_process(lambda port: [granian, "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
                                      "--workers", "1", "ticketcore.wsgi:application"],
                        name="granian", env=env) as url:
        assert url.startswith("http://127.0.0.1:")  # what the admin browses: not what phones use
        api = httpx.Client(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=20)
        device = api.post("/api/v1/devices", json={"name": "North 1", "event_id": event.event_id,
                                                   "checkpoint_id": gate.checkpoint_id}).json()
        assert device["pairing_url"] == f"{PUBLIC}/scanner/?pair={device['pairing_code']}"
        office = api.post(f"/api/v1/events/{event.event_id}/offices", json={"name": "Kiosk"}).json()
        assert office["pairing_url"] == f"{PUBLIC}/office/?pair={office['pairing_code']}"  # the box-office terminal
        # A new code for a lost phone goes through the same helper.
        again = api.post(f"/api/v1/devices/{device['device_id']}/pairing-code").json()
        assert again["pairing_url"] == f"{PUBLIC}/scanner/?pair={again['pairing_code']}"

        browser = admin_session(url, "venue-admin", "venue-admin-pw-1")
        page = browser.get(f"/admin/devices/device/{device['device_id']}/change/").text
        expected = f"{PUBLIC}/scanner/?pair={again['pairing_code']}"
        assert f'href="{expected}"' in page and "127.0.0.1" not in qr_svg(page)
        assert matrix_from_svg(qr_svg(page)) == matrix_of(expected)
        page = browser.get(f"/admin/offices/office/{office['office_id']}/change/").text
        assert matrix_from_svg(qr_svg(page)) == matrix_of(f"{PUBLIC}/office/?pair={office['pairing_code']}")


def test_the_qr_reader_of_these_tests_tells_codes_apart():
    """The read-back is not vacuous: two URLs differing in one character give different matrices,
    and an SVG drawn by segno reads back as the matrix of its own text."""
    import io

    import segno

    buf = io.BytesIO()
    segno.make(f"{PUBLIC}/scanner/?pair=AAAA", error="m").save(buf, kind="svg", scale=5, xmldecl=False, svgns=True)
    assert matrix_from_svg(buf.getvalue().decode()) == matrix_of(f"{PUBLIC}/scanner/?pair=AAAA")
    assert matrix_from_svg(buf.getvalue().decode()) != matrix_of(f"{PUBLIC}/scanner/?pair=AAAB")
