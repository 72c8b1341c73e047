"""The devices admin: revoking asks first on a page that names each device and its gate;
"Replace lost phone" asks first, then ends on the new device's pairing page (its QR code for the
configured public URL); the device's times read on the event's clock with the offset."""
from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from devices.models import Device
from devices.services import record_heartbeat
from events.models import Event
from offices import services as office_services
from tests.conftest import device_client, make_device
from tests.events.test_api import assert_error

CHANGELIST = "/admin/devices/device/"


@pytest.fixture
def madrid(generated_event):
    Event.objects.filter(pk=generated_event.pk).update(timezone="Europe/Madrid")
    return Event.objects.get(pk=generated_event.pk)


def action(client, name, devices, **extra):
    return client.post(CHANGELIST, {"action": name, "_selected_action": [d.pk for d in devices], **extra})


def local(at, zone="Europe/Madrid", fmt="%Y-%m-%d %H:%M:%S") -> str:
    here = at.astimezone(ZoneInfo(zone))
    offset = here.utcoffset().total_seconds() // 60
    sign = "+" if offset >= 0 else "-"
    return f"{here.strftime(fmt)} (UTC{sign}{int(abs(offset)) // 60:02d}:{int(abs(offset)) % 60:02d})"


def test_revoke_asks_first_naming_the_device_and_its_gate(admin_client, madrid):
    north, north_token = make_device(madrid, name="North 1")
    south, _ = make_device(madrid, name="South 2")

    page = action(admin_client, "revoke_devices", [north, south])
    assert page.status_code == 200
    text = page.content.decode()
    assert "Revoke these 2 devices?" in text
    for device in (north, south):
        assert device.name in text and device.checkpoint.name in text
        assert f'name="_selected_action" value="{device.pk}"' in text
    assert 'name="confirm" value="yes"' in text and "Yes, revoke" in text
    assert not Device.objects.filter(pk__in=[north.pk, south.pk], revoked_at__isnull=False).exists()

    done = action(admin_client, "revoke_devices", [north], confirm="yes")
    assert done.status_code == 302
    assert Device.objects.get(pk=north.pk).revoked_at is not None
    assert Device.objects.get(pk=south.pk).revoked_at is None
    assert_error(device_client(north_token).get("/api/v1/devices/me"), 401, "device_revoked")
    messages = admin_client.get(CHANGELIST).content.decode()
    assert "Revoked North 1 (Gate North 1)" in messages


def test_replace_lost_phone_asks_then_shows_the_new_pairing_qr(admin_client, madrid, settings):
    settings.PUBLIC_URL = "https://venue.example:8443"
    lost, lost_token = make_device(madrid, name="North 1")

    confirm = action(admin_client, "replace_lost_phone", [lost])
    text = confirm.content.decode()
    assert confirm.status_code == 200 and "Replace this phone" in text
    assert "North 1" in text and "Gate North 1" in text and "North 1 (2)" in text
    assert Device.objects.get(pk=lost.pk).revoked_at is None

    done = action(admin_client, "replace_lost_phone", [lost], confirm="yes")
    assert done.status_code == 302
    new = Device.objects.get(event=madrid, name="North 1 (2)")
    assert done["Location"] == f"/admin/devices/device/{new.pk}/pairing/?replaces={lost.pk}"
    lost.refresh_from_db()
    assert lost.revoked_at is not None and new.checkpoint_id == lost.checkpoint_id
    assert_error(device_client(lost_token).get("/api/v1/devices/me"), 401, "device_revoked")

    page = admin_client.get(done["Location"]).content.decode()
    assert re.search(r'<div id="pairing-qr"[^>]*><svg', page)
    assert f'<code id="pairing-code" style="font-size:1.6em;letter-spacing:.08em">{new.pairing_code}</code>' in page
    assert f"https://venue.example:8443/scanner/?pair={new.pairing_code}" in page
    assert f"expires {local(new.pairing_expires_at, fmt='%Y-%m-%d %H:%M')}" in page
    assert f"North 1 was revoked at {local(lost.revoked_at, fmt='%Y-%m-%d %H:%M')}" in page
    assert "Gate North 1" in page
    # Reloading the page shows the code again; it replaces nothing.
    assert admin_client.get(done["Location"]).status_code == 200
    assert Device.objects.filter(event=madrid).count() == 2


def test_replace_takes_one_scanner_at_a_time(admin_client, madrid):
    north, _ = make_device(madrid, name="North 1")
    south, _ = make_device(madrid, name="South 2")
    office = office_services.create_office(event_id=madrid.event_id, name="Kiosk").office
    for selection in ([north, south], [Device.objects.get(pk=office.device_id)]):
        answer = action(admin_client, "replace_lost_phone", selection, confirm="yes")
        assert answer.status_code == 302 and answer["Location"] == CHANGELIST
    assert not Device.objects.filter(revoked_at__isnull=False).exists()
    assert Device.objects.count() == 3


def test_device_times_are_on_the_events_clock(admin_client, madrid):
    device, _ = make_device(madrid, name="North 1")
    record_heartbeat(device=device, device_time=timezone.now())
    device.refresh_from_db()
    listing = admin_client.get(f"{CHANGELIST}?event__event_id__exact={madrid.event_id}").content.decode()
    assert local(device.last_seen_at) in listing
    detail = admin_client.get(f"{CHANGELIST}{device.pk}/change/").content.decode()
    assert local(device.paired_at) in detail and local(device.last_seen_at) in detail
    # Names, not ids, and no "None" for a device never revoked.
    assert "Gate North 1" in detail and device.checkpoint_id not in detail
    table = re.search(r'<table id="result_list">.*?</table>', listing, re.DOTALL).group(0)
    results = re.sub(r"<[^>]+>", " ", table)  # the words a person reads
    assert madrid.name in results
    assert madrid.event_id not in results and device.checkpoint_id not in results and device.device_id not in results
    assert not re.search(r"<div class=\"readonly\">None</div>", detail)
    # Summer and winter: the offset follows the date (Madrid is UTC+02:00 in July).
    july = timezone.now().replace(month=7, day=15)
    Device.objects.filter(pk=device.pk).update(last_seen_at=july)
    assert re.search(r"\(UTC\+02:00\)", admin_client.get(f"{CHANGELIST}{device.pk}/change/").content.decode())


def test_the_pairing_page_of_a_paired_device_says_so(admin_client, madrid):
    device, _ = make_device(madrid, name="North 1")
    page = admin_client.get(f"{CHANGELIST}{device.pk}/pairing/").content.decode()
    assert "This device is paired and has no valid pairing code." in page and 'id="pairing-qr"' not in page
    # Sorting by a local-time column (the 5th: last seen) sorts by the stored instant.
    other, _ = make_device(madrid, name="South 2")
    Device.objects.filter(pk=device.pk).update(last_seen_at=timezone.now() - timedelta(hours=1))
    Device.objects.filter(pk=other.pk).update(last_seen_at=timezone.now())
    for order, first in (("5", device), ("-5", other)):
        page = admin_client.get(f"{CHANGELIST}?o={order}").content.decode()
        names = re.findall(r'<th class="field-name"><a href="[^"]*">([^<]+)</a>', page)
        assert names[0] == first.name, (order, names)


def test_staff_without_device_rights_cannot_use_the_actions(client, django_user_model, madrid):
    from django.contrib.auth.models import Permission

    device, _ = make_device(madrid, name="North 1")
    viewer = django_user_model.objects.create_user("viewer", password="pw-viewer-123", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_device"))
    client.force_login(viewer)
    for name in ("revoke_devices", "replace_lost_phone"):
        action(client, name, [device], confirm="yes")
    assert Device.objects.get(pk=device.pk).revoked_at is None and Device.objects.count() == 1
