"""The web role's RSGI front (ticketcore/web.py) hands Django the same request granian's WSGI mode
did: query strings, encoded paths, cookies, form bodies and CSRF, client address, HEAD. One real
`bin/ticketcore web` serves every case."""
from __future__ import annotations

import http.client
import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.servers import ROOT, child_env, server_process

pytestmark = pytest.mark.django_db(transaction=True)

BIN = str(ROOT / "bin" / "ticketcore")


@pytest.fixture
def web(transactional_db):
    with server_process(lambda port: ["env", f"PORT={port}", BIN, "web"], name="bin/ticketcore web",
                        env=child_env()) as url:
        yield url


def fetch(opener, url, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with opener.open(req, timeout=20) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def test_admin_login_round_trip_with_cookies_form_body_and_csrf(web, django_user_model):
    django_user_model.objects.create_user("boss", password="pw-boss-12345", is_staff=True, is_superuser=True)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, _, page = fetch(opener, f"{web}/admin/login/?next=/admin/")
    assert status == 200
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "boss", "password": "pw-boss-12345",
                                   "next": "/admin/"}).encode()
    status, _, page = fetch(opener, f"{web}/admin/login/?next=/admin/", data=form,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and b"Site administration" in page, page[:500]  # redirected to the index
    assert {c.name for c in jar} >= {"csrftoken", "sessionid"}
    # a forged form (no CSRF token) is refused: the body and cookies reached the CSRF check
    status, _, _ = fetch(urllib.request.build_opener(), f"{web}/admin/login/", data=b"username=boss&password=x",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403


def test_query_string_encoded_path_head_and_chunked_body(web, api, event):
    token = api._credentials["HTTP_AUTHORIZATION"]
    opener = urllib.request.build_opener()
    tickets = f"{web}/api/v1/events/{event.event_id}/tickets"
    status, _, body = fetch(opener, f"{tickets}?status=perhaps", headers={"Authorization": token})
    assert status == 400 and "status" in json.loads(body)["error"]["fields"]
    status, _, body = fetch(opener, f"{tickets}?status=true&page_size=2", headers={"Authorization": token})
    assert status == 200
    status, _, body = fetch(opener, f"{web}/api/v1/caf%C3%A9/%2e%2e", headers={"Authorization": token})
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"
    status, headers, body = fetch(opener, f"{web}/healthz", method="HEAD")
    assert status == 200 and body == b""
    conn = http.client.HTTPConnection(web.split("//")[1], timeout=20)  # chunked body, no Content-Length
    conn.putrequest("POST", "/api/v1/devices/pair")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    payload = json.dumps({"pairing_code": "NOPE1234"}).encode()
    conn.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload))
    answer = conn.getresponse()  # refused: a truncated chunked body would look complete here
    assert answer.status == 411 and json.loads(answer.read())["error"]["code"] == "length_required"
    status, _, body = fetch(opener, f"{web}/api/v1/devices/pair", data=payload,
                            headers={"Content-Type": "application/json"})
    assert status == 400 and json.loads(body)["error"]["code"] == "pairing_invalid"
