"""The scanner app's pages: what a phone needs to install it and run it without a network."""
import hashlib
import json
import mimetypes
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client

from devices import scanner

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "static" / "vendor" / "barcode-detector"


@pytest.fixture
def client():
    return Client()


def test_app_page_is_the_installable_shell(client):
    r = client.get("/scanner/")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/html")
    html = r.content.decode()
    assert '<link rel="manifest" href="/scanner/manifest.webmanifest">' in html
    config = json.loads(re.search(r'<script id="scanner-config" type="application/json">(.*?)</script>', html).group(1))
    assert config["sw"] == "/scanner/sw.js" and config["scope"] == "/scanner/"
    # The collected, content-hashed name (ADR 0021): a release never loads a cached old reader.
    assert re.fullmatch(r"/static/vendor/barcode-detector/zxing_reader\.[0-9a-f]{12}\.wasm", config["wasm"])
    assert len(config["app_version"]) <= 40  # the heartbeat's app_version limit
    # No CDN, by policy: the browser itself refuses any other origin.
    csp = r["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp and "script-src 'self' 'wasm-unsafe-eval'" in csp
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert r["Cache-Control"] == "no-cache"


def test_pairing_url_serves_the_same_page_without_using_the_code(client, generated_event):
    from devices.models import Device
    from devices.services import create_device
    from tests.conftest import make_device

    device, _ = make_device(generated_event)
    created = create_device(event_id=generated_event.event_id, name="Phone 2", checkpoint_id=device.checkpoint_id)
    r = client.get(f"/scanner/?pair={created.pairing_code}")
    assert r.status_code == 200
    # The page pairs from the phone (POST /api/v1/devices/pair); a link preview must not burn the code.
    assert Device.objects.get(pk=created.device.pk).pairing_code == created.pairing_code
    assert r["Referrer-Policy"] == "no-referrer"


def test_service_worker_is_served_at_the_scope_with_a_script_type(client):
    r = client.get("/scanner/sw.js")
    assert r.status_code == 200
    assert r["Content-Type"].split(";")[0] in ("text/javascript", "application/javascript")
    assert r["Service-Worker-Allowed"] == "/scanner/"
    assert r["Cache-Control"] == "no-cache"
    body = r.content.decode()
    version = re.search(r'const VERSION = "([0-9a-f]{16})";', body).group(1)
    assert version == scanner.build_version()
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", body).group(1))
    assert "/scanner/" in precache and "/scanner/manifest.webmanifest" in precache
    assert static(scanner.WASM) in precache
    # Every asset under its content-hashed name, the one the page and the imports use.
    assets = [url for url in precache if url.startswith("/static/")]
    assert len(assets) == len(scanner.ASSETS)
    assert all(re.search(r"\.[0-9a-f]{12}\.\w+$", url) for url in assets), assets


def test_precache_lists_every_asset_of_the_app():
    """A file the page loads but the worker does not precache would be missing offline."""
    shipped = {f"scanner/{p.name}" for p in (ROOT / "static" / "scanner").iterdir() if p.is_file()}
    shipped |= {f"vendor/barcode-detector/{p.name}" for p in VENDOR.iterdir() if p.suffix in (".js", ".wasm")}
    shipped |= {"i18n/gettext.js", "i18n/language_switch.css"}  # the translations reader, the switch's look
    shipped |= {"common/http.js", "common/idb.js", "common/pairing_code.js", "common/connection.js",
                "common/device_store.js"}  # shared with the box office
    assert shipped == set(scanner.ASSETS)
    for name in scanner.ASSETS:
        assert finders.find(name), name
    # Every module the app imports is in the list.
    for js in (ROOT / "static" / "scanner").glob("*.js"):
        for target in re.findall(r'from "(\.[^"]+)"', js.read_text()):
            resolved = (js.parent / target).resolve().relative_to(ROOT / "static").as_posix()
            assert resolved in scanner.ASSETS, f"{js.name} imports {target}, not precached"


def test_version_changes_when_an_asset_changes_under_debug(monkeypatch, settings):
    """Under DEBUG the names are not hashed and files change under the running server, so the
    bytes count. In production the hashed names do: tests/ticketcore/test_static_files.py
    collects twice with a changed file."""
    settings.DEBUG = True
    before = scanner._compute_version()
    real_read = Path.read_bytes

    def altered(self):
        data = real_read(self)
        return data + b"//changed" if self.name == "app.js" else data

    monkeypatch.setattr(Path, "read_bytes", altered)
    assert scanner._compute_version() != before


def test_web_app_manifest(client):
    r = client.get("/scanner/manifest.webmanifest")
    assert r.status_code == 200 and r["Content-Type"] == "application/manifest+json"
    manifest = r.json()
    assert manifest["start_url"] == "/scanner/" and manifest["scope"] == "/scanner/"
    assert manifest["display"] == "standalone" and manifest["name"]
    sizes = {icon["sizes"] for icon in manifest["icons"] if icon["type"] == "image/png"}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        path = Path(django_settings.STATIC_ROOT) / icon["src"].removeprefix("/static/")
        assert path.is_file(), icon["src"]
        if icon["type"] == "image/png":
            width, height = int.from_bytes(Path(path).read_bytes()[16:20], "big"), int.from_bytes(Path(path).read_bytes()[20:24], "big")
            assert f"{width}x{height}" == icon["sizes"]


def test_wasm_is_served_as_application_wasm():
    assert mimetypes.guess_type("zxing_reader.wasm")[0] == "application/wasm"


def test_vendored_reader_is_the_build_its_glue_expects():
    """scripts/vendor_scanner.sh copies the files unmodified; the wasm must match the hash that
    the ponyfill was built against, or ZXing fails at runtime on the phone."""
    glue = (VENDOR / "zxing-exported.js").read_text()
    expected = re.search(r'"([0-9a-f]{64})"', glue).group(1)
    assert hashlib.sha256((VENDOR / "zxing_reader.wasm").read_bytes()).hexdigest() == expected
    assert (VENDOR / "LICENSE").read_text().startswith("MIT License")
    assert 'from "./zxing-exported.js"' in (VENDOR / "ponyfill.js").read_text()


def test_every_reason_code_has_words():
    """The contract's reason codes, each mapped to a sentence a steward can act on."""
    contract = ["invalid_signature", "unknown_ticket", "wrong_event", "not_sold", "already_inside", "already_used",
                "not_inside", "zone_not_allowed", "direction_not_allowed", "credential_revoked", "event_closed",
                "device_revoked"]
    app = (ROOT / "static" / "scanner" / "words.js").read_text()
    block = re.search(r"const REASONS = \{(.*?)\n\};", app, re.S).group(1)
    mapped = dict(re.findall(r"^\s+(\w+): \(\) => gettext\(\"([^\"]+)\"\),$", block, re.M))
    for code in contract:
        assert code in mapped and len(mapped[code]) > 10, code
