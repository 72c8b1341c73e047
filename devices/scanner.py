"""The door scanner web app: the page at /scanner/, its web app manifest and its service worker.

The app is static (templates/scanner, static/scanner, static/vendor/barcode-detector) and talks
only to the device API (/api/v1/devices/*, /api/v1/scan*) with its `Device` token; these views
hold no state and need no login. See docs/adr/0015-scanner-app.md.

The service worker precaches the page and every asset, so an installed phone opens the app with
no network. Its cache name is a hash of the page templates and the assets' content-hashed names
(docs/adr/0021): any change to them changes sw.js, the browser installs the new worker, and the
old cache is dropped."""
from __future__ import annotations

import hashlib
import mimetypes
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language, get_language_info, gettext

from core import i18n
from devices import app_shell
from devices.app_shell import SW_TEMPLATE

# WebAssembly.instantiateStreaming refuses any other type; Python only knows .wasm when the OS
# mime.types does (Debian does, a bare macOS/Windows Python may not). Granian and nginx know it.
mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("application/manifest+json", ".webmanifest")

APP_VERSION = "scanner/1.0"
SCOPE = "/scanner/"
WASM = "vendor/barcode-detector/zxing_reader.wasm"
# Everything the page loads. The service worker precaches exactly this list, so a file missing
# here would be missing offline (tests/scanner/test_pages.py checks the list is complete).
ASSETS = [
    "i18n/gettext.js",
    "i18n/language_switch.css",
    "common/connection.js",
    "common/device_store.js",
    "common/http.js",  # shared with the box-office terminal (static/office/)
    "common/idb.js",
    "common/pairing_code.js",
    "scanner/app.css",
    "scanner/api.js",
    "scanner/app.js",
    "scanner/camera.js",
    "scanner/conflicts.js",
    "scanner/connection.js",
    "scanner/feedback.js",
    "scanner/kinds.js",
    "scanner/language.js",
    "scanner/local.js",
    "scanner/manifest.js",
    "scanner/manual.js",
    "scanner/offline.js",
    "scanner/page.js",
    "scanner/pairing.js",
    "scanner/queue.js",
    "scanner/result.js",
    "scanner/scanning.js",
    "scanner/state.js",
    "scanner/status.js",
    "scanner/store.js",
    "scanner/texts.js",
    "scanner/venue.js",
    "scanner/words.js",
    "scanner/icon.svg",
    "scanner/icon-192.png",
    "scanner/icon-512.png",
    "vendor/barcode-detector/ponyfill.js",
    "vendor/barcode-detector/zxing-exported.js",
    WASM,
]

# The app talks to this origin only; the QR reader's wasm needs 'wasm-unsafe-eval' and nothing
# more. This is also what guarantees that the ponyfill can never fall back to its CDN default.
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob: mediastream:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
])


def _asset_path(name: str) -> Path:
    found = finders.find(name)
    if not found:
        raise FileNotFoundError(f"scanner asset {name} is missing from the static files")
    return Path(found)


def _compute_version() -> str:
    return app_build_version(APP_VERSION, ("scanner/index.html", SW_TEMPLATE), ASSETS)


def app_build_version(app_version: str, templates, assets) -> str:
    """A hash of an installable app's templates and assets as served (the box-office terminal's
    too: offices/terminal.py)."""
    digest = hashlib.sha256(app_version.encode())
    for template in templates:
        digest.update(Path(get_template(template).origin.name).read_bytes())
    for name in assets:
        # In production the URL is the collected file's content-hashed name (the manifest entry
        # the worker precaches), so the version follows what is SERVED, not the source tree,
        # and imports are rewritten to hashed names, so a changed module changes app.js's name
        # too (ADR 0021). Under DEBUG the names are plain and files change under the server.
        digest.update(static(name).encode())
        if settings.DEBUG:
            digest.update(_asset_path(name).read_bytes())
    digest.update(i18n.catalogue_version().encode())  # the translations the phone caches
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def _cached_version() -> str:
    return _compute_version()


def build_version() -> str:
    """Changes whenever the page or any asset changes. Cached per process except under DEBUG,
    where files change while the server runs."""
    return _compute_version() if settings.DEBUG else _cached_version()


def _config() -> dict:
    # The same in every language: the service worker keeps one copy of the page for all of them.
    return {
        "api": "/api/v1",
        "health": reverse("healthz"),  # asked every second while the door is quiet (connection.js)
        "scope": SCOPE,
        "sw": f"{SCOPE}sw.js",
        "wasm": static(WASM),
        "app_version": f"{APP_VERSION}+{build_version()}",
        # The language switch names each language in its own words (static/scanner/language.js).
        "languages": [{"code": code, "name": get_language_info(code)["name_local"].capitalize()}
                      for code in i18n.language_codes()],
    }


def _manifest() -> dict:
    return {
        "id": SCOPE,
        # In the language of whoever installs the app (what the phone's home screen shows).
        "name": "TicketCore · " + gettext("Door scanner"),
        "short_name": gettext("Scanner"),
        "description": gettext("Scan tickets and credentials at the door, online or offline."),
        "lang": get_language(),
        "start_url": SCOPE,
        "scope": SCOPE,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#0f172a",
        "theme_color": "#0f172a",
        "icons": [
            *app_shell.png_icons(("scanner/icon-192.png", 192), ("scanner/icon-512.png", 512)),
            {"src": static("scanner/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }


app, service_worker, webmanifest = app_shell.views(
    template="scanner/index.html", context=lambda: {"config": _config()}, csp=CSP,
    permissions="camera=(self), microphone=()", scope=SCOPE, assets=ASSETS, version=build_version,
    cache_prefix="tc-scanner-", manifest=_manifest)
