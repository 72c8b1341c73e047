"""The shell of an installable device app, the same for the door scanner (devices/scanner.py)
and the box-office terminal (offices/terminal.py): the page with its security headers, the
service worker that precaches the page and every asset (one cache prefix per app: both share
the origin's Cache Storage), and the web app manifest. None of these holds state or needs a
login; the version that names the worker's cache is each app's (devices.scanner.app_build_version)."""
from __future__ import annotations

import json

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.template.loader import get_template
from django.urls import reverse
from django.views.decorators.http import require_safe

from core import i18n

SW_TEMPLATE = "includes/service_worker.js"


def page(request, template: str, context: dict, *, csp: str, permissions: str) -> HttpResponse:
    response = render(request, template, context)
    response["Cache-Control"] = "no-cache"
    response["Content-Security-Policy"] = csp
    response["Permissions-Policy"] = permissions
    response["Referrer-Policy"] = "no-referrer"  # a pairing code can be in the page's URL
    return response


def service_worker(*, scope: str, assets: list[str], version: str, cache_prefix: str) -> HttpResponse:
    """sw.js: precaches the page, its manifest, every asset under its hashed name and the
    translations of every language, so an installed device opens the app with no network."""
    precache = [scope, f"{scope}manifest.webmanifest", *[static(name) for name in assets],
                *[reverse("jsi18n-json", kwargs={"language": code}) for code in i18n.language_codes()]]
    body = get_template(SW_TEMPLATE).render({
        "version": version, "scope": scope, "precache_json": json.dumps(precache), "health": reverse("healthz"),
        "cache_prefix": cache_prefix,
    })
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    # Browsers check for a new worker on each navigation; never let an HTTP cache hide it.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = scope
    return response


def png_icons(*names_and_sizes: tuple[str, int]) -> list[dict]:
    """The manifest's PNG icons (what Android and desktop Chromium install from)."""
    return [{"src": static(name), "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"}
            for name, size in names_and_sizes]


def webmanifest(manifest: dict) -> JsonResponse:
    response = JsonResponse(manifest, content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response


def views(*, template: str, context, csp: str, permissions: str, scope: str, assets: list[str], version,
          cache_prefix: str, manifest):
    """The app's three views (page, sw.js, manifest.webmanifest): `context()`, `version()` and
    `manifest()` are called on each request (a version is cached per process; the manifest is in
    the language of whoever installs the app)."""

    @require_safe
    def app(request):
        return page(request, template, context(), csp=csp, permissions=permissions)

    @require_safe
    def sw(request):
        return service_worker(scope=scope, assets=assets, version=version(), cache_prefix=cache_prefix)

    @require_safe
    def app_manifest(request):
        return webmanifest(manifest())

    return app, sw, app_manifest
