"""Cost of choosing each response's language on the scan path (docs/adr/0029).

    .venv/bin/python bench/i18n_cost.py

No database, no server: times Django's LocaleMiddleware and ours (core/i18n.py, in MIDDLEWARE)
around a view that does nothing, on a POST /api/v1/scan request with a phone's Accept-Language
header (and with none), against the same view called directly; then one whole request through
Django's handler (every middleware, URL resolution) for a trivial view, with ours, with Django's
and with neither in MIDDLEWARE. The scan's own Python cost per request is in
docs/benchmarks.md ("CPU per request", granian worker)."""
from __future__ import annotations

import os
import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ticketcore.settings")
os.environ.setdefault("DEBUG", "true")  # a development SECRET_KEY; nothing here is served

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware  # noqa: E402

from core.i18n import LocaleMiddleware  # noqa: E402

PHONE = "es-ES,es;q=0.9,en-US;q=0.8,en;q=0.7"  # Chrome on a Spanish Android phone
LOCALE = "core.i18n.LocaleMiddleware"
DJANGO_LOCALE = "django.middleware.locale.LocaleMiddleware"


def best(fn, number: int) -> float:
    # CPU time of this process, best of 9: the machine is shared, and wall time would count the
    # other processes' turns on the two cores.
    return min(timeit.repeat(fn, number=number, repeat=9, timer=time.process_time)) / number


def compare(fns: dict, number: int, rounds: int = 5) -> dict:
    """Best time of each function, measured in alternating rounds so load changes hit all alike."""
    results = {name: float("inf") for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            results[name] = min(results[name], best(fn, number))
    return results


def _view(request):
    return HttpResponse(b"{}", content_type="application/json")


def middleware_alone() -> None:
    factory = RequestFactory()
    django_mw, ours = DjangoLocaleMiddleware(_view), LocaleMiddleware(_view)
    for label, headers in (("Accept-Language: " + PHONE, {"HTTP_ACCEPT_LANGUAGE": PHONE}),
                           ("no Accept-Language", {})):
        request = factory.post("/api/v1/scan", data=b"{}", content_type="application/json", **headers)
        t = compare({"view": lambda: _view(request), "django": lambda: django_mw(request),
                     "ours": lambda: ours(request)}, 20_000)
        print(f"middleware alone, {label}: Django's LocaleMiddleware +{(t['django'] - t['view']) * 1e6:.2f} us, "
              f"core.i18n.LocaleMiddleware +{(t['ours'] - t['view']) * 1e6:.2f} us per request "
              f"(the view alone {t['view'] * 1e6:.2f} us)")


def whole_request() -> None:
    """One request through Django's WSGI handler: every middleware, URL resolution, the view."""
    factory = RequestFactory()
    environ = factory.get("/healthz", HTTP_ACCEPT_LANGUAGE=PHONE).environ

    def start_response(status, headers, exc_info=None):
        return None

    handlers = {}
    without = [m for m in settings.MIDDLEWARE if m != LOCALE]
    for label, middleware in (("ours", settings.MIDDLEWARE),
                              ("django", [DJANGO_LOCALE if m == LOCALE else m for m in settings.MIDDLEWARE]),
                              ("without", without)):
        with override_settings(MIDDLEWARE=middleware):
            handler = handlers[label] = WSGIHandler()  # loads MIDDLEWARE now
            handler(dict(environ), start_response)  # warm caches (URL resolver, language lookups)
    results = compare({label: (lambda h=h: h(dict(environ), start_response)) for label, h in handlers.items()}, 3_000)
    base = results["without"]
    print(f"whole request (GET /healthz through Django's handler, every middleware): {base * 1e6:.1f} us "
          f"without a locale middleware; with core.i18n's {results['ours'] * 1e6:.1f} us "
          f"(+{(results['ours'] - base) * 1e6:.2f}), with Django's {results['django'] * 1e6:.1f} us "
          f"(+{(results['django'] - base) * 1e6:.2f})")


def main() -> None:
    assert LOCALE in settings.MIDDLEWARE, "LocaleMiddleware is not in MIDDLEWARE"
    middleware_alone()
    whole_request()


if __name__ == "__main__":
    main()
