"""Admin edits go through the services (validation included), never straight to the ORM."""
import pytest

from access.models import Credential
from access.services import create_credential
from devices.models import Device
from events.models import Checkpoint
from tests.conftest import make_device

pytestmark = pytest.mark.django_db


def test_checkpoint_edit_is_validated_by_the_service(admin_client, generated_event):
    device, _ = make_device(generated_event)
    cp = device.checkpoint
    url = f"/admin/events/checkpoint/{cp.pk}/change/"
    ok = admin_client.post(url, {"name": "North", "zones": "A", "directions": "in"})
    assert ok.status_code == 302
    cp.refresh_from_db()
    assert (cp.name, cp.zones, cp.directions) == ("North", ["A"], "in")
    bad = admin_client.post(url, {"name": "North", "zones": "Q", "directions": "in"})
    assert bad.status_code == 200 and "Unknown zone(s) in this event: Q" in bad.content.decode()
    cp.refresh_from_db()
    assert cp.zones == ["A"]


def test_credential_and_device_edits(admin_client, generated_event):
    cred = create_credential(event_id=generated_event.event_id, name="Ref", kind="staff")
    r = admin_client.post(f"/admin/access/credential/{cred.pk}/change/", {
        "name": "Referee", "zones": "A", "checkpoints": "", "valid_from_0": "", "valid_from_1": "",
        "valid_until_0": "", "valid_until_1": ""})
    assert r.status_code == 302, r.content.decode()[:1000]
    assert Credential.objects.get(pk=cred.pk).name == "Referee"
    device, _ = make_device(generated_event)
    r = admin_client.post(f"/admin/devices/device/{device.pk}/change/", {"name": "Door 7"})
    assert r.status_code == 302
    assert Device.objects.get(pk=device.pk).name == "Door 7"
    assert Checkpoint.objects.filter(pk=device.checkpoint_id).exists()


def test_event_admin_refuses_end_before_start(admin_client):
    from events.models import Event

    r = admin_client.post("/admin/events/event/add/", {
        "name": "Backwards", "venue": "", "date_start_0": "2026-12-02", "date_start_1": "20:00:00",
        "date_end_0": "2026-12-01", "date_end_1": "01:00:00", "doors_open_minutes": 720, "doors_close_minutes": 360,
        "zones-TOTAL_FORMS": 0, "zones-INITIAL_FORMS": 0, "zones-MIN_NUM_FORMS": 0, "zones-MAX_NUM_FORMS": 1000})
    assert r.status_code == 200 and "Must be after the start." in r.content.decode()
    assert not Event.objects.filter(name="Backwards").exists()
