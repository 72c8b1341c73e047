"""The box-office terminal web app: the page at /office/, its web app manifest and its service
worker, built like the door scanner (devices/scanner.py, docs/adr/0015) and sharing its service
worker template and build version. The app is static (templates/office, static/office,
static/common, static/vendor/qr) and talks only to the device API with the office's `Device`
token: /api/v1/devices/*, /api/v1/offices/{id}, its /stock and /sync. Design:
docs/adr/0031-box-office-terminal.md."""
from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from devices import app_shell
from devices.app_shell import SW_TEMPLATE
from devices.scanner import app_build_version

APP_VERSION = "office/1.0"
SCOPE = "/office/"
# Everything the page loads; the service worker precaches exactly this list
# (tests/office_app/test_pages.py checks it against the files and the modules' imports).
ASSETS = [
    "i18n/gettext.js",
    "common/connection.js",
    "common/device_store.js",
    "common/http.js",
    "common/idb.js",
    "common/pairing_code.js",
    "office/api.js",
    "office/app.css",
    "office/app.js",
    "office/checkout.js",
    "office/conflicts.js",
    "office/connection.js",
    "office/format.js",
    "office/page.js",
    "office/picker.js",
    "office/print.css",
    "office/sales.js",
    "office/state.js",
    "office/stock.js",
    "office/store.js",
    "office/tickets.js",
    "office/till.js",
    "office/icon.svg",
    "office/icon-192.png",
    "office/icon-512.png",
    "vendor/qr/index.js",
]
MODULES = [name for name in ASSETS if name.endswith(".js") and name != "office/app.js"]

# Same origin only, no inline script or style: the QR is drawn as SVG elements by script.
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
])


def _compute_version() -> str:
    return app_build_version(APP_VERSION, ("office/index.html", SW_TEMPLATE), ASSETS)


@lru_cache(maxsize=1)
def _cached_version() -> str:
    return _compute_version()


def build_version() -> str:
    """Changes whenever the page or any asset changes (cached per process except under DEBUG)."""
    return _compute_version() if settings.DEBUG else _cached_version()


def _config() -> dict:
    return {
        "api": "/api/v1",
        "health": reverse("healthz"),
        "scope": SCOPE,
        "sw": f"{SCOPE}sw.js",
        "scanner": reverse("scanner"),
        "app_version": f"{APP_VERSION}+{build_version()}",
    }


def _manifest() -> dict:
    return {
        "id": SCOPE,
        "name": _("TicketCore Box Office"),
        "short_name": _("Box office"),
        "description": _("Sell the box office's seats and hand over tickets, online or offline."),
        "lang": get_language(),
        "start_url": SCOPE,
        "scope": SCOPE,
        "display": "standalone",
        "background_color": "#0f172a",
        "theme_color": "#0f172a",
        "icons": [
            *app_shell.png_icons(("office/icon-192.png", 192), ("office/icon-512.png", 512)),
            {"src": static("office/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }


app, service_worker, webmanifest = app_shell.views(
    template="office/index.html", context=lambda: {"config": _config(), "modules": MODULES}, csp=CSP,
    permissions="camera=(), microphone=()", scope=SCOPE, assets=ASSETS, version=build_version,
    cache_prefix="tc-office-", manifest=_manifest)
