"""Times in the admin's lists and detail pages of alerts and scans read on the clock of each row's
own event, with the offset (core.localtime.LocalTimesAdminMixin): two events in different zones
on one page each show their own wall clock."""
from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from access import services as access_services
from access.models import Scan
from alerts.models import Alert
from alerts.services import acknowledge_alert, raise_alert
from alerts.vocabulary import AlertKind
from events.models import Event
from tests.conftest import make_device, make_event

pytestmark = pytest.mark.django_db


def local(at, zone: str, label: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S") + f" ({label})"


@pytest.fixture
def two_events(db):
    tokyo, lima = make_event(name="Tokyo night"), make_event(name="Lima night")
    Event.objects.filter(pk=tokyo.pk).update(timezone="Asia/Tokyo")  # UTC+09:00, no DST
    Event.objects.filter(pk=lima.pk).update(timezone="America/Lima")  # UTC-05:00, no DST
    return Event.objects.get(pk=tokyo.pk), Event.objects.get(pk=lima.pk)


def test_alert_list_and_detail(admin_client, two_events):
    tokyo, lima = two_events
    first = raise_alert(event_id=tokyo.event_id, kind="zone_capacity", message="Zone Ringside is full", dedupe_key="a")
    second = raise_alert(event_id=lima.event_id, kind="device_silent", message="Phone silent", dedupe_key="b")
    acknowledge_alert(alert_id=second, user="boss")
    a, b = Alert.objects.get(pk=first), Alert.objects.get(pk=second)

    listing = admin_client.get("/admin/alerts/alert/").content.decode()
    assert local(a.created_at, "Asia/Tokyo", "UTC+09:00") in listing
    assert local(b.created_at, "America/Lima", "UTC-05:00") in listing
    assert local(b.acknowledged_at, "America/Lima", "UTC-05:00") in listing
    # Kinds in the vocabulary's words (no code left: tests/backoffice/test_admin_words.py).
    assert str(AlertKind.ZONE_CAPACITY.label) in listing and str(AlertKind.DEVICE_SILENT.label) in listing
    detail = admin_client.get(f"/admin/alerts/alert/{b.pk}/change/").content.decode()
    assert local(b.created_at, "America/Lima", "UTC-05:00") in detail
    assert local(b.acknowledged_at, "America/Lima", "UTC-05:00") in detail
    # Sorting by the time column sorts by the instant.
    assert admin_client.get("/admin/alerts/alert/?o=1").status_code == 200


def test_scan_list_and_detail(admin_client, two_events):
    tokyo, _ = two_events
    door, _ = make_device(tokyo, name="North 1")
    access_services.scan(device=door, code="forged", direction="in", scan_id=uuid.uuid4())
    scan = Scan.objects.get(device=door)

    listing = admin_client.get("/admin/access/scan/").content.decode()
    assert local(scan.server_time, "Asia/Tokyo", "UTC+09:00") in listing
    detail = admin_client.get(f"/admin/access/scan/{scan.pk}/change/").content.decode()
    assert local(scan.server_time, "Asia/Tokyo", "UTC+09:00") in detail
    utc_clock = scan.server_time.astimezone(ZoneInfo("UTC")).strftime("%H:%M:%S")
    tokyo_clock = scan.server_time.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M:%S")
    assert tokyo_clock != utc_clock and utc_clock not in detail
    assert admin_client.get("/admin/access/scan/?o=1").status_code == 200
    assert scan.server_time > timezone.now() - timedelta(minutes=1)


def test_the_mixin_serves_inlines_too(rf, admin_user, two_events):
    """As tickets' ledger inline would use it (the lead's tickets/admin.py): the inline's own model,
    a zone reached through the ticket."""
    from django.contrib import admin as django_admin

    from core.localtime import LocalTimesAdminMixin
    from tickets.models import LedgerEntry, Ticket
    from tickets.services import generate_tickets

    tokyo, _ = two_events
    generate_tickets(event_id=tokyo.event_id)

    class LedgerInline(LocalTimesAdminMixin, django_admin.TabularInline):
        model = LedgerEntry
        fields = ("date", "action")
        readonly_fields = fields
        local_times = ("date",)
        local_time_zone = "ticket.event.timezone"

    inline = LedgerInline(Ticket, django_admin.site)
    request = rf.get("/")
    request.user = admin_user
    ticket = Ticket.objects.filter(event=tokyo).first()
    assert inline.get_fields(request, ticket) == ["date_local", "action"]
    assert "date_local" in inline.get_readonly_fields(request, ticket)
    entry = LedgerEntry.objects.filter(ticket=ticket).first()
    assert inline.date_local(entry) == local(entry.date, "Asia/Tokyo", "UTC+09:00")
    assert inline.date_local.short_description == "date" and inline.date_local.admin_order_field == "date"
