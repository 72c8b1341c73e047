"""No insecure defaults in production (docs/adr/0018): a real SECRET_KEY is required outside
DEBUG, the documented production environment passes `check --deploy` without a warning, and
WebSocket origins are checked even with ALLOWED_HOSTS=*."""
from __future__ import annotations

import asyncio
import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import websockets
from django.test import Client

from tests.conftest import make_event
from tests.servers import ROOT, child_env, server_process

SECURITY_DOC = ROOT / "docs" / "security.md"


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


IMPORT_SETTINGS = "import ticketcore.settings as s; print('DEBUG', s.DEBUG)"


@pytest.mark.parametrize("secret", [None, "", "change-me", "dev-insecure-change-me-" + "x" * 32,
                                    "django-insecure-" + "k" * 60, "aaaaabbbbb" * 6])
def test_production_refuses_to_start_without_a_real_secret_key(secret):
    env = {"DEBUG": "false"} if secret is None else {"DEBUG": "false", "SECRET_KEY": secret}
    done = run_python(IMPORT_SETTINGS, **env)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and "SECRET_KEY must be set to a long random value" in done.stderr


def test_debug_keeps_a_development_key_and_a_real_key_starts():
    assert run_python(IMPORT_SETTINGS, DEBUG="true").stdout.strip() == "DEBUG True"
    real = run_python(IMPORT_SETTINGS, DEBUG="false", SECRET_KEY="q8Zr" + "x7Lm-2Pw_kT9" * 5)
    assert real.returncode == 0, real.stderr


def documented_production_env() -> dict[str, str]:
    """The block under `<!-- production-env -->` in docs/security.md: the test checks what the
    docs tell an operator to set, not a copy of it."""
    text = SECURITY_DOC.read_text()
    block = re.search(r"<!-- production-env -->\s*```[a-z]*\n(.*?)```", text, re.S)
    assert block, "docs/security.md lost its production-env block"
    env = {}
    for line in block.group(1).splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def test_check_deploy_is_clean_with_the_documented_production_env():
    env = documented_production_env()
    assert env["DEBUG"] == "false" and "SECURE_PROXY_SSL_HEADER" in env
    env["SECRET_KEY"] = "Yc3" + "t0pS3cr3t-Qw7_Zx9" * 4  # the block holds placeholders
    env["SIGNING_KEYS_KEK"] = base64.urlsafe_b64encode(os.urandom(32)).decode()
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout
    assert "WARNING" not in done.stdout + done.stderr.replace("INFO", "")


def test_the_production_env_keeps_health_checks_on_plain_http_and_serves_hsts_on_https(settings):
    """What the proxy sees with SECURE_SSL_REDIRECT on: /healthz over plain HTTP is not
    redirected (load balancer checks), other plain requests are, HTTPS answers carry HSTS and
    the session cookie is Secure."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31_536_000
    client = Client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/events").status_code == 301
    secure = client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")


# --------------------------------------------------------------------------- WebSocket origins

@pytest.fixture
def daphne_any_host(transactional_db):
    """A real daphne process with ALLOWED_HOSTS=* and no WS_ALLOWED_ORIGINS."""
    daphne = str(Path(sys.executable).parent / "daphne")
    env = child_env(ALLOWED_HOSTS="*")
    env.pop("WS_ALLOWED_ORIGINS", None)
    with server_process(lambda port: [daphne, "-b", "127.0.0.1", "-p", str(port), "ticketcore.asgi:application"],
                        name="daphne", env=env) as url:
        yield url


def handshake(url: str, path: str, *, origin: str, cookie: str) -> tuple[bool, str]:
    async def go():
        ws_url = url.replace("http://", "ws://") + path
        try:
            async with websockets.connect(ws_url, origin=origin, additional_headers={"Cookie": cookie},
                                          open_timeout=10) as ws:
                first = await asyncio.wait_for(ws.recv(), timeout=10)
                return True, first
        except websockets.exceptions.InvalidStatus as exc:
            return False, str(exc.response.status_code)
    return asyncio.run(go())


def test_websocket_origin_is_checked_with_allowed_hosts_star(daphne_any_host, django_user_model):
    event = make_event()
    staff = django_user_model.objects.create_user("boss", password="pw-boss-123", is_staff=True)
    web = Client()
    web.force_login(staff)
    cookie = f"sessionid={web.cookies['sessionid'].value}"
    path = f"/ws/events/{event.event_id}/live/"
    host = daphne_any_host.removeprefix("http://")

    accepted, detail = handshake(daphne_any_host, path, origin="http://evil.example", cookie=cookie)
    assert not accepted and detail == "403"
    hostname, port = host.split(":")
    accepted, detail = handshake(daphne_any_host, path, origin=f"http://{hostname}.evil.example:{port}", cookie=cookie)
    assert not accepted and detail == "403"
    accepted, first = handshake(daphne_any_host, path, origin=f"http://{host}", cookie=cookie)
    assert accepted and '"snapshot"' in first


@pytest.mark.parametrize("origin, host, ok", [
    (b"http://tickets.example", b"tickets.example", True),
    (b"https://tickets.example", b"tickets.example", True),
    (b"https://tickets.example", b"tickets.example:443", True),
    (b"http://tickets.example:8000", b"tickets.example:8000", True),
    (b"http://[::1]:8000", b"[::1]:8000", True),
    (b"http://tickets.example:8001", b"tickets.example:8000", False),
    (b"http://evil.example", b"tickets.example", False),
    (b"http://tickets.example.evil.example", b"tickets.example", False),
    (b"null", b"tickets.example", False),
    (None, b"tickets.example", False),
])
def test_same_origin_rule(origin, host, ok):
    from ticketcore.origin import SameOriginValidator

    assert SameOriginValidator.same_origin(origin, host) is ok
