"""The dashboard pages (staff session), the alerts API and the alert admin."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from alerts.models import Alert
from alerts.services import raise_alert
from devices.services import revoke_device
from events import services as event_services
from tests.conftest import device_client, make_device
from tests.events.test_api import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


def alert(event, kind="rejected_burst", key="k1", message="12 rejected scans at North"):
    return raise_alert(event_id=event.event_id, kind=kind, message=message, data={"checkpoint": "cp1"},
                       dedupe_key=key)


# --------------------------------------------------------------------------- pages

def test_dashboard_requires_a_staff_login(client, django_user_model, event):
    url = f"/dashboard/events/{event.event_id}/"
    r = client.get(url)
    assert r.status_code == 302 and r["Location"].startswith("/admin/login/") and "next=" in r["Location"]
    fan = django_user_model.objects.create_user("fan", password="pw-fan-1234")
    client.force_login(fan)
    assert client.get(url).status_code == 302
    assert client.get(f"/dashboard/events/{event.event_id}/snapshot.json").status_code == 302
    assert client.get("/dashboard/").status_code == 302


def test_dashboard_page_renders_the_database_snapshot_and_works_offline(staff_client, generated_event):
    device, _ = make_device(generated_event, name="North door")
    alert(generated_event)
    r = staff_client.get(f"/dashboard/events/{generated_event.event_id}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert generated_event.name in html
    assert f'data-ws-path="/ws/events/{generated_event.event_id}/live/"' in html
    assert 'id="initial-snapshot"' in html and "North door" in html and "12 rejected scans at North" in html
    # Content-hashed names from the manifest (ADR 0021), so a release never runs a cached old script.
    assert re.search(r'src="/static/vendor/chartjs/chart\.umd\.min\.[0-9a-f]{12}\.js"', html)
    assert re.search(r'src="/static/dashboard/dashboard\.[0-9a-f]{12}\.js"', html)
    # A venue network may have no internet: nothing is loaded from another host.
    assert not re.search(r'(src|href)="(https?:)?//', html)
    # The buttons post with the page's token (data-csrf-token); the one form is the language switch.
    assert "data-csrf-token=" in html and html.count("<form") == html.count('name="csrfmiddlewaretoken"') == 1
    assert 'action="/i18n/setlang/"' in html
    assert staff_client.get("/dashboard/events/nope/").status_code == 404


def test_snapshot_json_fallback(staff_client, generated_event):
    r = staff_client.get(f"/dashboard/events/{generated_event.event_id}/snapshot.json")
    assert r.status_code == 200
    body = r.json()
    assert body["type"] == "snapshot" and body["totals"]["seats"] == 15
    assert [z["zone_id"] for z in body["zones"]] == ["A", "B"]
    assert staff_client.get("/dashboard/events/nope/snapshot.json").status_code == 404


def test_event_index_lists_events(staff_client, event):
    r = staff_client.get("/dashboard/")
    assert r.status_code == 200 and f"/dashboard/events/{event.event_id}/" in r.content.decode()


def test_event_index_puts_tonight_first_and_says_when_doors_open_in_the_chosen_language(staff_client):
    now = timezone.now()

    def make(name, starts_in):
        return event_services.create_event(name=name, venue="Arena", timezone="Europe/Madrid",
                                           date_start=now + starts_in, date_end=now + starts_in + timedelta(hours=3))

    past, later, tonight = make("Past", -timedelta(days=3)), make("Later", timedelta(days=40)), make("Tonight", timedelta(hours=1))
    for language, opens, day in (("en", "Open from ", "%a"), ("es", "Abren el ", None)):
        html = staff_client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert html.index("Tonight") < html.index("Later") < html.index("Past")  # soonest first, the past last
        when = later.doors_open_at.astimezone(ZoneInfo("Europe/Madrid"))
        words = f"{opens}{when.strftime(day) if day else ES_DAYS[when.weekday()]} {when.day} "
        assert words in html, words
        assert ("Closed" if language == "en" else "Cerradas") in html  # the past event's doors
        assert f"{when:%H:%M}" in html and f"{tonight.date_start.astimezone(ZoneInfo('Europe/Madrid')):%H:%M} (UTC+0" in html
    assert past.event_id in html


ES_DAYS = ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"]  # Django's Spanish day abbreviations


def test_vendored_chart_library_is_committed_with_its_license():
    root = Path(settings.BASE_DIR) / "static" / "vendor" / "chartjs"
    assert (root / "chart.umd.min.js").read_text()[:200].find("Chart.js v4") > 0
    assert "MIT License" in (root / "LICENSE.md").read_text()


# --------------------------------------------------------------------------- alerts API

def test_acknowledge_api(api, generated_event, staff_user):
    alert_id = alert(generated_event)
    r = api.post(f"/api/v1/alerts/{alert_id}/acknowledge")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["id"] == alert_id and body["acknowledged"] is True and body["acknowledged_by"] == "staff"
    assert body["event_id"] == generated_event.event_id and body["kind"] == "rejected_burst"
    again = api.post(f"/api/v1/alerts/{alert_id}/acknowledge")
    assert again.status_code == 200 and again.json()["acknowledged_at"] == body["acknowledged_at"]
    assert_error(api.post("/api/v1/alerts/999999/acknowledge"), 404, "not_found")
    assert_error(api.post("/api/v1/alerts/abc/acknowledge"), 404, "not_found")
    assert_error(api.get(f"/api/v1/alerts/{alert_id}/acknowledge"), 405, "method_not_allowed")


def test_acknowledge_is_staff_only(anon, generated_event, django_user_model):
    alert_id = alert(generated_event)
    url = f"/api/v1/alerts/{alert_id}/acknowledge"
    assert anon.post(url).status_code in (401, 403)
    _, token = make_device(generated_event)
    r = device_client(token).post(url)
    assert r.status_code in (401, 403) and "error" in r.json()
    revoked, revoked_token = make_device(generated_event, name="Lost")
    revoke_device(device_id=revoked.device_id)
    assert_error(device_client(revoked_token).post(url), 401, "device_revoked")
    fan = django_user_model.objects.create_user("fan", password="pw-fan-1234")
    client = APIClient()
    client.force_authenticate(fan)
    assert client.post(url).status_code == 403
    assert Alert.objects.get(pk=alert_id).acknowledged_at is None


def test_acknowledge_with_the_dashboard_session_needs_the_csrf_token(staff_user, generated_event):
    alert_id = alert(generated_event)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    page = client.get(f"/dashboard/events/{generated_event.event_id}/").content.decode()
    token = re.search(r'data-csrf-token="([^"]+)"', page).group(1)
    url = f"/api/v1/alerts/{alert_id}/acknowledge"
    assert client.post(url, content_type="application/json").status_code == 403
    r = client.post(url, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert r.status_code == 200 and r.json()["acknowledged"] is True


def test_alert_list_api(api, generated_event):
    first = alert(generated_event, key="a")
    second = alert(generated_event, kind="device_silent", key="b", message="Phone silent")
    api.post(f"/api/v1/alerts/{first}/acknowledge")
    r = api.get(f"/api/v1/events/{generated_event.event_id}/alerts")
    assert r.status_code == 200
    assert [a["id"] for a in r.json()["results"]] == [second, first]
    assert [a["id"] for a in api.get(f"/api/v1/events/{generated_event.event_id}/alerts?acknowledged=false")
            .json()["results"]] == [second]
    assert [a["id"] for a in api.get(f"/api/v1/events/{generated_event.event_id}/alerts?kind=rejected_burst")
            .json()["results"]] == [first]
    assert_error(api.get(f"/api/v1/events/{generated_event.event_id}/alerts?acknowledged=maybe"), 400, "invalid")
    assert_error(api.get("/api/v1/events/nope/alerts"), 404, "not_found")


def test_alert_endpoints_are_in_the_openapi_schema(api):
    r = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    text = r.content.decode()
    assert "/api/v1/alerts/{alert_id}/acknowledge" in text and "/api/v1/events/{event_id}/alerts" in text


# --------------------------------------------------------------------------- admin

def test_alert_admin_lists_and_acknowledges(admin_client, generated_event):
    open_id = alert(generated_event, key="x")
    r = admin_client.get("/admin/alerts/alert/")
    assert r.status_code == 200 and "12 rejected scans at North" in r.content.decode()
    assert admin_client.get(f"/admin/alerts/alert/{open_id}/change/").status_code == 200
    r = admin_client.post("/admin/alerts/alert/", {"action": "acknowledge_alerts", "_selected_action": [open_id]})
    assert r.status_code == 302
    acked = Alert.objects.get(pk=open_id)
    assert acked.acknowledged_at is not None and acked.acknowledged_by == "admin"
    assert admin_client.get("/admin/alerts/alert/add/").status_code == 403
