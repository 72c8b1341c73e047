"""A revoked device's queued scans are kept as quarantined evidence, never applied."""
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone

from access.models import Scan
from access.services import create_credential, credential_code
from alerts.models import Alert
from devices.services import revoke_device
from tests.conftest import code_for, device_client, make_device, sell
from tests.events.test_api import assert_error
from tickets.models import LedgerEntry, Ticket

pytestmark = pytest.mark.django_db


def item(code, direction="in", at=None, scan_id=None):
    return {"code": code, "direction": direction, "scan_id": str(scan_id or uuid.uuid4()),
            "scanned_at": (at or timezone.now() - timedelta(minutes=1)).isoformat()}


@pytest.fixture
def revoked(generated_event):
    device, token = make_device(generated_event, name="Lost phone")
    sell(generated_event, "A-1", "B-1")
    return device, device_client(token)


def test_revoked_device_upload_is_quarantined_not_applied(revoked, generated_event):
    device, client = revoked
    cred = create_credential(event_id=generated_event.event_id, name="Staff", kind="staff")
    # One scan made before the revocation and already uploaded: its answer stands.
    before = item(code_for(generated_event, "B-1"))
    assert client.post("/api/v1/scan/sync", {"scans": [before]}, format="json").json()["results"][0]["result"] == "accepted"
    revoke_device(device_id=device.device_id)
    scans = [item(code_for(generated_event, "A-1")), item(credential_code(cred)), item("forged"), before]
    r = client.post("/api/v1/scan/sync", {"scans": scans}, format="json")
    assert r.status_code == 200, r.content
    results = r.json()["results"]
    assert [x["scan_id"] for x in results] == [s["scan_id"] for s in scans]
    assert results[:3] == [{"scan_id": s["scan_id"], "result": "rejected", "reason": "device_revoked"} for s in scans[:3]]
    assert results[3]["result"] == "accepted"  # idempotent: the pre-revocation answer
    rows = Scan.objects.filter(device=device, quarantined=True).order_by("id")
    assert rows.count() == 3
    assert all(s.result == "rejected" and s.reason == "device_revoked" and s.mode == "sync" for s in rows)
    a1 = Ticket.objects.get(event=generated_event, seat_id="A-1")
    assert rows.filter(ticket=a1).count() == 1 and rows.filter(credential=cred).count() == 1  # linked evidence
    assert not a1.access_status and not LedgerEntry.objects.filter(ticket=a1, action="accessed").exists()
    cred.refresh_from_db()
    assert not cred.inside
    alert = Alert.objects.get(kind="revoked_device", data__quarantined=3)
    assert alert.data["device_id"] == device.device_id
    # Re-uploading changes nothing.
    counts = (Scan.objects.count(), Alert.objects.count())
    again = client.post("/api/v1/scan/sync", {"scans": scans}, format="json").json()["results"]
    assert again == results and (Scan.objects.count(), Alert.objects.count()) == counts


def test_quarantined_admission_does_not_block_an_honest_scan(revoked, generated_event):
    device, client = revoked
    revoke_device(device_id=device.device_id)
    client.post("/api/v1/scan/sync", {"scans": [item(code_for(generated_event, "A-1"))]}, format="json")
    _, honest = make_device(generated_event, name="Honest")
    r = device_client(honest).post("/api/v1/scan", {"code": code_for(generated_event, "A-1"), "direction": "in",
                                                    "scan_id": str(uuid.uuid4())}, format="json").json()
    assert r["result"] == "accepted" and "first_entry" not in r


def test_every_other_endpoint_still_answers_401(revoked, generated_event):
    device, client = revoked
    revoke_device(device_id=device.device_id)
    for response in (client.get("/api/v1/scan/manifest"),
                     client.post("/api/v1/scan", item(code_for(generated_event, "A-1")), format="json"),
                     client.post("/api/v1/devices/heartbeat", {"device_time": timezone.now().isoformat()}, format="json"),
                     client.get("/api/v1/devices/me")):
        assert_error(response, 401, "device_revoked")


def test_quarantined_evidence_is_listed_for_managers_and_immutable(revoked, generated_event):
    device, client = revoked
    revoke_device(device_id=device.device_id)
    s = item(code_for(generated_event, "A-1"))
    client.post("/api/v1/scan/sync", {"scans": [s]}, format="json")
    manager = get_user_model().objects.create_superuser("manager", password="pw-manager-123")
    web = Client()
    web.force_login(manager)
    row = Scan.objects.get(scan_id=s["scan_id"])
    page = web.get("/admin/access/scan/?quarantined__exact=1")
    assert page.status_code == 200 and f"/admin/access/scan/{row.pk}/" in page.content.decode()
    assert f"/admin/access/scan/{row.pk}/" not in web.get("/admin/access/scan/?quarantined__exact=0").content.decode()
    with pytest.raises(IntegrityError, match="scan_append_only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE access_scan SET quarantined = false WHERE id = %s", [row.pk])


def test_revoked_device_bad_upload_is_still_400(revoked):
    device, client = revoked
    revoke_device(device_id=device.device_id)
    assert_error(client.post("/api/v1/scan/sync", {"scans": [{"code": "x"}]}, format="json"), 400, "invalid")
    assert not Scan.objects.exists()
