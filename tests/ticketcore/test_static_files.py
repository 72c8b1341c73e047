"""Static files are served by the application itself under any WSGI server (issue 13, item 15;
docs/adr/0021-static-files-with-whitenoise.md).

gunicorn, not granian: no `--static-path-route`, so every file below comes through WhiteNoise.
The scanner page is followed the way a phone follows it: every script, stylesheet, icon,
preload, the wasm from the page's config, the service worker's precache list and every ES module
import inside the JS, recursively."""
from __future__ import annotations

import json
import re
import shutil
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

import pytest
from django.conf import settings
from django.core.management import call_command
from django.templatetags.static import static
from django.test import override_settings

from devices import scanner
from tests.servers import child_env, server_process

ROOT = Path(__file__).resolve().parents[2]
YEAR = 365 * 24 * 3600
HASHED = re.compile(r"\.[0-9a-f]{12}\.\w+$")
TYPES = {".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".png": "image/png",
         ".svg": "image/svg+xml"}


@pytest.fixture
def gunicorn(transactional_db):
    binary = str(Path(sys.executable).parent / "gunicorn")
    with server_process(lambda port: [binary, "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
                                      "ticketcore.wsgi:application"],
                        name="gunicorn", env=child_env()) as url:
        yield url


def get(url: str, **headers) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def check_static(url: str) -> tuple[dict, bytes]:
    status, headers, body = get(url)
    assert status == 200, f"{url}: {status}"
    suffix = Path(url.split("?")[0]).suffix
    assert headers["content-type"].split(";")[0] == TYPES[suffix], (url, headers["content-type"])
    if HASHED.search(url):
        max_age = int(re.search(r"max-age=(\d+)", headers["cache-control"]).group(1))
        assert max_age >= YEAR and "immutable" in headers["cache-control"], (url, headers["cache-control"])
    return headers, body


def test_scanner_page_and_everything_it_loads_under_a_plain_wsgi_server(gunicorn):
    status, headers, body = get(f"{gunicorn}/scanner/")
    assert status == 200
    html = body.decode()
    urls = {urljoin(f"{gunicorn}/scanner/", u) for u in re.findall(r'(?:src|href)="(/static/[^"]+)"', html)}
    config = json.loads(re.search(r'<script id="scanner-config" type="application/json">(.*?)</script>', html).group(1))
    urls.add(gunicorn + config["wasm"])
    sw_status, sw_headers, sw = get(f"{gunicorn}{config['sw']}")
    assert sw_status == 200 and sw_headers["content-type"].startswith("text/javascript")
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", sw.decode()).group(1))
    urls |= {gunicorn + u for u in precache if u.startswith("/static/")}

    seen: dict[str, bytes] = {}
    todo = sorted(urls)
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        headers, content = check_static(url)
        seen[url] = content
        if url.endswith(".js"):
            # Every module import names a hashed file, so a hashed app.js never loads a plain one.
            for target in re.findall(r'(?:from|import)\s*"(\.{1,2}/[^"]+)"', content.decode()):
                imported = urljoin(url, target)
                assert HASHED.search(imported), f"{url} imports the unhashed {target}"
                todo.append(imported)

    wasm = gunicorn + config["wasm"]
    assert HASHED.search(wasm) and seen[wasm][:4] == b"\0asm"
    names = {re.sub(r"\.[0-9a-f]{12}(\.\w+)$", r"\1", u.removeprefix(f"{gunicorn}/static/")) for u in seen}
    # The whole app was reached: the page, the modules through their imports, the reader.
    assert set(scanner.ASSETS) <= names, set(scanner.ASSETS) - names
    # Everything the page loads is in the worker's precache, under the very same URLs.
    assert {u.removeprefix(gunicorn) for u in seen} <= set(precache)
    # Compressed copies are served to browsers that take them (the wasm is 1 MB raw).
    status, headers, body = get(wasm, **{"Accept-Encoding": "br"})
    assert status == 200 and headers.get("content-encoding") == "br" and len(body) < len(seen[wasm]) / 2
    assert headers["content-type"] == "application/wasm"


def test_dashboard_and_admin_files_under_a_plain_wsgi_server(gunicorn):
    # The admin login page is public: follow its stylesheets as a browser would.
    status, _, body = get(f"{gunicorn}/admin/login/")
    assert status == 200
    css = re.findall(r'href="(/static/admin/css/[^"]+)"', body.decode())
    assert css and all(HASHED.search(u) for u in css), css
    for url in css:
        check_static(gunicorn + url)
    # The dashboard page needs a staff login; it links exactly these (tests/access covers the page).
    for name in ("dashboard/dashboard.js", "dashboard/dashboard.css", "vendor/chartjs/chart.umd.min.js"):
        assert HASHED.search(static(name)), name
        check_static(gunicorn + static(name))
    # Unhashed names still answer (granian's static route and old bookmarks), with a short cache.
    status, headers, _ = get(f"{gunicorn}/static/scanner/app.js")
    assert status == 200 and int(re.search(r"max-age=(\d+)", headers["cache-control"]).group(1)) < 3600
    assert get(f"{gunicorn}/static/scanner/nope.js")[0] == 404


def _collect(source: Path, target: Path) -> tuple[str, dict[str, str]]:
    # Only the project's own files, and no compression (seconds of brotli over the wasm): the
    # names and the version are what is under test here.
    with override_settings(STATIC_ROOT=str(target), STATICFILES_DIRS=[str(source)],
                           STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
                           WHITENOISE_SKIP_COMPRESS_EXTENSIONS=["js", "css", "wasm", "svg", "png", "md", "txt"]):
        call_command("collectstatic", interactive=False, verbosity=0)
        return scanner._compute_version(), {name: static(name) for name in scanner.ASSETS}


def test_service_worker_version_follows_the_collected_files(tmp_path):
    """A release that changes one module gives the worker a new version and new URLs for that
    module AND for every module importing it, so a phone never keeps a stale app.js."""
    source = tmp_path / "src"
    shutil.copytree(ROOT / "static", source)
    version_1, urls_1 = _collect(source, tmp_path / "release-1")
    again, urls_again = _collect(source, tmp_path / "release-1-again")
    assert (again, urls_again) == (version_1, urls_1)  # same files, same version: no needless reinstall

    camera = source / "scanner" / "camera.js"
    camera.write_text(camera.read_text() + "\n// release 2\n")
    version_2, urls_2 = _collect(source, tmp_path / "release-2")
    assert version_2 != version_1
    changed = {name for name in scanner.ASSETS if urls_1[name] != urls_2[name]}
    # camera.js changed; app.js imports it, so app.js's content (its import line) and name change.
    assert changed == {"scanner/camera.js", "scanner/app.js"}, changed
    app_2 = tmp_path / "release-2" / urls_2["scanner/app.js"].removeprefix("/static/")
    assert Path(urls_2["scanner/camera.js"]).name in app_2.read_text()
