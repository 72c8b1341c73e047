"""The box-office terminal's pages: what a device needs to install it and run it offline
(offices/terminal.py; built like the door scanner's, tests/scanner/test_pages.py)."""
import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client

from offices import terminal

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"


@pytest.fixture
def client():
    return Client()


def test_app_page_is_the_installable_shell_and_loads_nothing_from_elsewhere(client):
    r = client.get("/office/")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/html")
    html = r.content.decode()
    assert '<link rel="manifest" href="/office/manifest.webmanifest">' in html
    config = json.loads(re.search(r'<script id="office-config" type="application/json">(.*?)</script>', html).group(1))
    assert (config["sw"], config["scope"], config["scanner"]) == ("/office/sw.js", "/office/", "/scanner/")
    assert len(config["app_version"]) <= 40  # the heartbeat's app_version limit
    csp = r["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert r["Cache-Control"] == "no-cache" and r["Referrer-Policy"] == "no-referrer"
    for module in terminal.MODULES:  # every module fetched at once, not one import level at a time
        assert f'<link rel="modulepreload" href="{static(module)}">' in html, module


def test_pairing_url_serves_the_same_page_without_using_the_code(client, generated_event):
    from devices.models import Device
    from offices.services import create_office

    created = create_office(event_id=generated_event.event_id, name="Taquilla")
    assert client.get(f"/office/?pair={created.pairing_code}").status_code == 200
    assert Device.objects.get(pk=created.office.device_id).pairing_code == created.pairing_code  # not burnt


def test_service_worker_precaches_every_asset_under_its_hashed_name_in_its_own_cache(client):
    r = client.get("/office/sw.js")
    assert r.status_code == 200 and r["Service-Worker-Allowed"] == "/office/" and r["Cache-Control"] == "no-cache"
    body = r.content.decode()
    assert re.search(r'const VERSION = "([0-9a-f]{16})";', body).group(1) == terminal.build_version()
    assert 'const PREFIX = "tc-office-";' in body  # not the scanner's: each app drops only its own old caches
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", body).group(1))
    assert {"/office/", "/office/manifest.webmanifest", "/jsi18n/es.json", "/jsi18n/en.json"} <= set(precache)
    assets = [url for url in precache if url.startswith("/static/")]
    assert len(assets) == len(terminal.ASSETS)
    assert all(re.search(r"\.[0-9a-f]{12}\.\w+$", url) for url in assets), assets
    assert "tc-scanner-" in Client().get("/scanner/sw.js").content.decode()


def test_precache_lists_every_file_of_the_app_and_every_module_it_imports():
    """A file the page loads but the worker does not precache would be missing offline."""
    shipped = {f"office/{p.name}" for p in (STATIC / "office").iterdir() if p.is_file()}
    assert shipped <= set(terminal.ASSETS)
    for name in terminal.ASSETS:
        assert finders.find(name), name
    for js in [*(STATIC / "office").glob("*.js"), *(STATIC / "common").glob("*.js")]:
        for target in re.findall(r'from "(\.[^"]+)"', js.read_text()):
            resolved = (js.parent / target).resolve().relative_to(STATIC).as_posix()
            assert resolved in terminal.ASSETS, f"{js.name} imports {target}, not precached"


def test_the_vendored_qr_generator_is_the_npm_file_with_its_licence():
    vendor = STATIC / "vendor" / "qr"
    assert (vendor / "LICENSE").is_file() and (vendor / "LICENSE-MIT").is_file()
    recorded = re.search(r"index\.js sha256 ([0-9a-f]{64})", (vendor / "VERSION").read_text()).group(1)
    import hashlib

    assert hashlib.sha256((vendor / "index.js").read_bytes()).hexdigest() == recorded  # unmodified since vendoring
    assert not re.search(r"^\s*import\s", (vendor / "index.js").read_text(), re.M)  # no further files needed


def test_web_app_manifest(client):
    r = client.get("/office/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="es")
    assert r.status_code == 200 and r["Content-Type"] == "application/manifest+json"
    manifest = r.json()
    assert manifest["start_url"] == "/office/" and manifest["scope"] == "/office/" and manifest["display"] == "standalone"
    assert manifest["name"] == "Taquilla TicketCore"  # in the device's language
    assert manifest["lang"] == "es"
    # Installable: PNG icons of 192 and 512 px (what Android and desktop Chromium install from), really that size.
    from PIL import Image

    pngs = {icon["sizes"]: icon for icon in manifest["icons"] if icon["type"] == "image/png"}
    assert set(pngs) == {"192x192", "512x512"}
    for sizes, icon in pngs.items():
        assert icon["src"] == static(f"office/icon-{sizes.split('x')[0]}.png")
        with Image.open(finders.find(f"office/icon-{sizes.split('x')[0]}.png")) as image:
            assert f"{image.width}x{image.height}" == sizes and image.mode == "RGBA"
    assert static("office/icon.svg") in [icon["src"] for icon in manifest["icons"]]


def test_every_module_the_terminal_loads_imports_hashed_names():
    """collectstatic rewrites the imports of the office's and the shared modules (ticketcore/
    staticfiles.py ES_MODULES): a hashed app.js never loads a plain, possibly older, module."""
    from django.contrib.staticfiles.storage import staticfiles_storage

    checked = 0
    for name in terminal.ASSETS:
        if not name.endswith(".js") or name.startswith("vendor/"):
            continue
        text = Path(staticfiles_storage.path(staticfiles_storage.stored_name(name))).read_text()
        for target in re.findall(r'(?:from|import)\s*"(\.{1,2}/[^"]+)"', text):
            assert re.search(r"\.[0-9a-f]{12}\.js$", target), f"{name} imports the unhashed {target}"
            checked += 1
    assert checked > 20
