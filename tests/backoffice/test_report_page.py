"""The post-event report's admin page and the admin links and actions for exports (server side;
the charts are checked in real Chromium by test_report_browser.py)."""
from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from access.vocabulary import Reason
from tests.backoffice.report_scenario import build_night

pytestmark = pytest.mark.django_db


@pytest.fixture
def night(db):
    return build_night()


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("lead", password="pw-lead-12345", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_report_page_needs_a_staff_login(client, night):
    url = f"/admin/events/event/{night.event.event_id}/report/"
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_report_page_shows_the_night_in_words_and_local_time(staff_client, night):
    url = f"/admin/events/event/{night.event.event_id}/report/"
    assert url == reverse("admin-event-report", args=[night.event.event_id])
    response = staff_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    # The event's clock with its offset, never UTC: the peak (5 inside) at 20:03 Madrid time.
    assert "All times on the event's clock: Europe/Madrid (UTC+01:00)" in html
    assert "20:03 (UTC+01:00)" in html and "19:03" not in html
    # Reasons in the vocabulary's words (that no code is left: tests/backoffice/test_admin_words.py).
    assert f">{Reason.ALREADY_USED.label}<" in html and f">{Reason.NOT_SOLD.label}<" in html
    # The entry-flow table and the zones' no-shows.
    assert f'data-checkpoint="{night.checkpoints["North"].checkpoint_id}"' in html
    assert '<td class="num" data-field="no_shows">1</td>' in html  # zone A
    # Export links and the data for the charts.
    for dataset in ("tickets", "scans", "sales", "offices"):
        assert f"/api/v1/events/{night.event.event_id}/exports/{dataset}.xlsx" in html
    data = json.loads(html.split('<script id="report-data" type="application/json">')[1].split("</script>")[0])
    assert data["totals"]["peak_inside"] == 5
    assert "backoffice/report" in html and "vendor/chartjs/chart.umd" in html


def test_a_bad_target_wait_falls_back_to_the_default(staff_client, night):
    response = staff_client.get(f"/admin/events/event/{night.event.event_id}/report/?target_wait_s=abc")
    assert response.status_code == 200 and 'name="target_wait_s" id="target_wait_s" value="300"' in response.content.decode()


def test_unknown_event_is_404(staff_client):
    assert staff_client.get("/admin/events/event/nope/report/").status_code == 404


def test_event_list_links_and_export_actions(staff_client, night):
    changelist = reverse("admin:events_event_changelist")
    html = staff_client.get(changelist).content.decode()
    assert f'href="/admin/events/event/{night.event.event_id}/report/"' in html
    assert f'href="/api/v1/events/{night.event.event_id}/exports/tickets.csv"' in html
    assert 'value="export_scans_xlsx"' in html and 'value="open_report"' in html
    # An action on one selected event downloads the export.
    response = staff_client.post(changelist, {"action": "export_sales_csv", "_selected_action": [night.event.event_id]})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "Seat" and len(rows) == 1 + 8
    response = staff_client.post(changelist, {"action": "open_report", "_selected_action": [night.event.event_id]})
    assert response.status_code == 302 and response["Location"] == f"/admin/events/event/{night.event.event_id}/report/"


def test_office_list_action_downloads_the_reconciliation(staff_client, night):
    changelist = reverse("admin:offices_office_changelist")
    response = staff_client.post(changelist, {"action": "export_office_reconciliation_csv",
                                              "_selected_action": [night.office.office_id]})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[1][:2] == ["Office", "Taquilla Norte"]
