"""Languages (issue 16 item 4, docs/adr/0029): which one a response is in, which one an event's
printed outputs are in, and the translation catalogue for the JavaScript apps.

- A request's language: the language cookie (set by the switch, /i18n/setlang/), else the
  browser's Accept-Language, else settings.LANGUAGE_CODE. `LocaleMiddleware` activates it for the
  request; every text the server writes (pages, API error messages) follows it, codes never do.
- An event's printed outputs (tickets, badges, pairing sheets, exports, the report) are in the
  event's own language, whoever asks: `with for_event(event): ...`.
- The JavaScript apps read the same catalogues (domain `djangojs`) from /jsi18n/<lang>.json
  through static/i18n/gettext.js; the URL names its language so a service worker can keep each
  one offline, and `catalogue_version()` changes whenever a compiled catalogue does.

Imports Django only (core is below every app, docs/adr/0023)."""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator

from django.conf import settings
from django.core.signals import setting_changed
from django.http import Http404
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_vary_headers, set_response_etag
from django.views.i18n import JavaScriptCatalog, JSONCatalog

JS_DOMAIN = "djangojs"
# Longer headers are answered but not remembered, so odd clients cannot grow the cache.
_CACHEABLE_HEADER = 500


def language_codes() -> tuple[str, ...]:
    """The languages TicketCore speaks (settings.LANGUAGES), e.g. ("es", "en")."""
    return tuple(code for code, _name in settings.LANGUAGES)


@lru_cache(maxsize=256)
def _negotiated(cookie: str | None, accept: str) -> str:
    # Django's own rule, without a language prefix in URLs (TicketCore has none): the cookie if
    # it names a supported language, else the best match in Accept-Language, else LANGUAGE_CODE.
    request = SimpleNamespace(COOKIES={} if cookie is None else {settings.LANGUAGE_COOKIE_NAME: cookie},
                              META={"HTTP_ACCEPT_LANGUAGE": accept}, path_info="/")
    return translation.get_language_from_request(request, check_path=False)


def language_of(request) -> str:
    """The language a request's answer is written in."""
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    accept = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    if len(accept) + len(cookie or "") > _CACHEABLE_HEADER:
        return _negotiated.__wrapped__(cookie, accept)
    return _negotiated(cookie, accept)


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's LocaleMiddleware for a site without language prefixes in its URLs, cheap enough
    for the door's hot path. Django's spends most of its time looking for a language in the path
    (twice per request, uncached for a path like /api/v1/scan); this one remembers the answer per
    (cookie, Accept-Language) pair. bench/i18n_cost.py measures both (docs/adr/0029)."""

    def process_request(self, request):
        language = language_of(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language

    def process_response(self, request, response):
        if "Content-Language" in response.headers:
            return response  # the view chose the language itself (the catalogues below): no Vary
        if "Vary" in response.headers:
            patch_vary_headers(response, ("Accept-Language",))
        else:
            response.headers["Vary"] = "Accept-Language"
        response.headers["Content-Language"] = getattr(request, "LANGUAGE_CODE", None) or translation.get_language()
        return response


def event_language(event) -> str:
    """The language of an event's printed outputs (Event.language, docs/adr/0024); the site's
    default for a value TicketCore does not speak."""
    language = getattr(event, "language", None)
    return language if language in language_codes() else settings.LANGUAGE_CODE


@contextmanager
def for_event(event, language: str | None = None) -> Iterator[str]:
    """Texts made inside are in the event's language (printed tickets, badges, pairing sheets,
    exports, the report), whatever the request's language; yields that language's code.
    `language`, when it is one TicketCore speaks, is an explicit choice that wins (a `?language=`
    of a print request, say); anything else is ignored."""
    chosen = language if language in language_codes() else event_language(event)
    with translation.override(chosen):
        yield chosen


@contextmanager
def in_language(language: str) -> Iterator[str]:
    """Texts made inside are in `language` if TicketCore speaks it, else in the default."""
    language = language if language in language_codes() else settings.LANGUAGE_CODE
    with translation.override(language):
        yield language


# ------------------------------------------------------------------ the JavaScript catalogue

def _compiled(domain: str) -> list[Path]:
    return sorted(Path(root) / code / "LC_MESSAGES" / f"{domain}.mo"
                  for root in settings.LOCALE_PATHS for code in language_codes())


@lru_cache(maxsize=8)
def _digest(stamp: tuple) -> str:
    digest = hashlib.sha256(f"{settings.LANGUAGES}".encode())
    for path, _mtime, _size in stamp:
        digest.update(str(path).encode() + b"\0")
        if Path(path).exists():
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


def catalogue_version(domain: str = JS_DOMAIN) -> str:
    """Changes whenever a compiled catalogue of `domain` changes (content hash, re-read only when
    a file's size or time changes). A service worker that keeps the catalogues offline puts it in
    its version, so new translations reach installed phones."""
    stamp = []
    for path in _compiled(domain):
        try:
            info = path.stat()
            stamp.append((str(path), info.st_mtime_ns, info.st_size))
        except FileNotFoundError:
            stamp.append((str(path), 0, -1))
    return _digest(tuple(stamp))


class _OneLanguage:
    """The catalogue of the language named in the URL (not the request's): the address says what
    it holds, so caches and service workers can keep one per language. Our catalogues only
    (LOCALE_PATHS): naming the project's own app, which has no locale directory, keeps the
    admin's djangojs catalogue and its plural rules out."""

    domain = JS_DOMAIN
    packages = ["ticketcore"]

    def get(self, request, *args, language: str = "", **kwargs):
        if language not in language_codes():
            raise Http404("No such language.")
        with translation.override(language):
            response = super().get(request, *args, **kwargs)
        response["Content-Language"] = language
        # Revalidated every time, a 304 while unchanged. The ETag is the body's own hash: a server
        # process keeps the catalogues it loaded first (Python's gettext caches each .mo), so only
        # what it actually serves can say whether a client's copy is current.
        response["Cache-Control"] = "no-cache"
        set_response_etag(response)
        return get_conditional_response(request, etag=response["ETag"], response=response)


class JavaScriptCatalogue(_OneLanguage, JavaScriptCatalog):
    """/jsi18n/<lang>.js: Django's catalogue script (defines globalThis.django.gettext...)."""


class JSONCatalogue(_OneLanguage, JSONCatalog):
    """/jsi18n/<lang>.json: the same catalogue as data, what static/i18n/gettext.js loads."""


def _settings_changed(*, setting: str, **kwargs) -> None:
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LANGUAGE_COOKIE_NAME", "LOCALE_PATHS"):
        _negotiated.cache_clear()
        _digest.cache_clear()


setting_changed.connect(_settings_changed)
