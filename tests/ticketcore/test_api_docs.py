"""API docs without the internet (issue 13 item 16): Swagger UI is served from the project
(drf-spectacular-sidecar), the page names no other host, the main operations carry descriptions
and examples, and the schema points only at documents that are in the repository."""
from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
URL_RE = re.compile(r"""(?:https?:)?//[^\s"'<>()\\]+""", re.I)
ASSET_RE = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)\"""", re.I)

# (path, method, status of the success example)
DOCUMENTED = [
    ("/api/v1/scan", "post", "200"),
    ("/api/v1/scan/sync", "post", "200"),
    ("/api/v1/devices/pair", "post", "201"),
    ("/api/v1/devices/heartbeat", "post", "200"),
    ("/api/v1/events/{event_id}/holds", "post", "201"),
    ("/api/v1/offices/{office_id}/sync", "post", "200"),
]


def schema_json(client) -> dict:
    r = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert r.status_code == 200, r.content[:300]
    return r.json()


def test_docs_page_names_no_other_host(client):
    r = client.get("/api/docs/")
    assert r.status_code == 200
    html = r.content.decode()
    assert URL_RE.findall(html) == [], "the docs page must load nothing from another host"
    assets = ASSET_RE.findall(html)
    assert assets and all(a.startswith("/static/drf_spectacular_sidecar/swagger-ui-dist/") for a in assets), assets


@pytest.fixture(scope="module")
def docs_static_root(tmp_path_factory):
    """`make run` serves /static from the collected copy (scripts/run.py): collect it the same way."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root


@pytest.mark.django_db(transaction=True)
def test_docs_and_their_assets_are_served_by_the_app(docs_static_root):
    from tests.servers import server_process

    granian = str(Path(sys.executable).parent / "granian")
    with server_process(lambda port: [granian, "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
                                      "--workers", "1", "--static-path-route", "/static",
                                      "--static-path-mount", str(docs_static_root), "ticketcore.wsgi:application"],
                        name="granian") as url, httpx.Client(timeout=30) as http:
        # A stale device header, as a phone's browser might still send: the page needs no credentials.
        page = http.get(f"{url}/api/docs/", headers={"Authorization": "Device stale"})
        assert page.status_code == 200, page.text[:300]
        for found in URL_RE.findall(page.text):
            assert urlsplit(urljoin(url, found)).netloc == urlsplit(url).netloc, found
        assets = ASSET_RE.findall(page.text)
        kinds = set()
        for asset in assets:
            r = http.get(urljoin(f"{url}/api/docs/", asset))
            assert r.status_code == 200 and len(r.content) > 100, (asset, r.status_code)
            kinds.add(r.headers["content-type"].split(";")[0])
        assert {"text/css", "text/javascript"} <= kinds or {"text/css", "application/javascript"} <= kinds, kinds
        assert http.get(f"{url}/api/schema/", headers={"Accept": "application/json"}).json()["paths"]


@pytest.mark.django_db
def test_main_operations_have_descriptions_and_examples(client):
    paths = schema_json(client)["paths"]
    for path, method, ok in DOCUMENTED:
        op = paths[path][method]
        assert len(op.get("description", "")) > 150, (path, "description")
        assert op["requestBody"]["content"]["application/json"].get("examples"), (path, "request example")
        assert op["responses"][ok]["content"]["application/json"].get("examples"), (path, "response example")
        errors = [s for s in op["responses"] if s.startswith("4")]
        assert errors, (path, "documented errors")
        for status in errors:
            for example in op["responses"][status]["content"]["application/json"]["examples"].values():
                assert set(example["value"]["error"]) >= {"code", "message", "fields"}, (path, status)


def test_request_examples_pass_the_real_validation():
    """The examples are what a client would copy: they must be accepted by the hot-path parsers."""
    from access.api import scan_problems
    from access.offline_api import parse_sync
    from core import schema
    from events import codes

    assert codes._CODE_RE.match(schema.CODE)
    assert scan_problems({"code": schema.CODE, "direction": "in", "scan_id": schema.SCAN_ID},
                         require_scanned_at=False)[1] == {}
    assert len(parse_sync({"scans": [{"code": schema.CODE, "direction": "in", "scan_id": schema.SCAN_ID,
                                      "scanned_at": "2026-11-28T20:41:07.512+01:00"}]})) == 1


REFERENCE_RE = re.compile(r"(?:\.\./)?[\w./-]*?\b[\w-]+\.(?:md|py|js|html|txt|ya?ml)\b|docs/adr/\d{4}|\badr/\d{4}")


@pytest.mark.django_db
def test_schema_points_only_at_documents_in_the_repository(client):
    text = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "shared/API.md" not in text and "../shared" not in text
    refs = set(REFERENCE_RE.findall(text))
    assert refs, "the description names its design notes"
    for ref in refs:
        ref = ref.removeprefix("../")
        if re.fullmatch(r"(?:docs/)?adr/\d{4}", ref):
            assert list((ROOT / "docs" / "adr").glob(f"{ref[-4:]}-*.md")), ref
        else:
            assert (ROOT / ref).exists(), ref
    # Short ADR numbers ("errors and input: `0009`") must exist too.
    for number in re.findall(r"`(\d{4})`", text):
        assert list((ROOT / "docs" / "adr").glob(f"{number}-*.md")), number
