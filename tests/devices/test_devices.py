import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from devices.models import Device, hash_token
from tests.conftest import device_client, make_device, make_event, run_concurrently
from tests.events.test_api import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkpoint(event, api):
    r = api.post(f"/api/v1/events/{event.event_id}/checkpoints", {"name": "North", "zones": ["A"]}, format="json")
    assert r.status_code == 201, r.content
    return r.json()


def create(api, event, checkpoint, **extra):
    r = api.post("/api/v1/devices", {"name": "Phone 1", "event_id": event.event_id,
                                     "checkpoint_id": checkpoint["checkpoint_id"], **extra}, format="json")
    assert r.status_code == 201, r.content
    return r.json()


def test_checkpoint_validation(api, event):
    assert_error(api.post(f"/api/v1/events/{event.event_id}/checkpoints", {"name": "X", "zones": ["Z"]}, format="json"),
                 400, "invalid")
    assert_error(api.post(f"/api/v1/events/{event.event_id}/checkpoints", {"name": "X", "directions": "up"},
                          format="json"), 400, "invalid")
    r = api.post(f"/api/v1/events/{event.event_id}/checkpoints", {"name": "Any"}, format="json").json()
    assert r["zones"] == [] and r["directions"] == "both"


def test_pair_once_and_token_stored_only_as_hash(api, anon, event, checkpoint):
    created = create(api, event, checkpoint)
    assert created["pairing_url"].endswith(f"/scanner/?pair={created['pairing_code']}")
    r = anon.post("/api/v1/devices/pair", {"pairing_code": created["pairing_code"]}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["device_id"] == created["device_id"] and body["event"]["event_id"] == event.event_id
    assert body["checkpoint"]["checkpoint_id"] == checkpoint["checkpoint_id"]
    device = Device.objects.get(pk=body["device_id"])
    assert device.token_hash == hash_token(body["token"]) and body["token"] not in str(device.__dict__)
    assert_error(anon.post("/api/v1/devices/pair", {"pairing_code": created["pairing_code"]}, format="json"),
                 400, "pairing_invalid")


def test_pairing_code_expires(api, anon, event, checkpoint):
    created = create(api, event, checkpoint)
    Device.objects.filter(pk=created["device_id"]).update(pairing_expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(anon.post("/api/v1/devices/pair", {"pairing_code": created["pairing_code"]}, format="json"),
                 400, "pairing_invalid")


@pytest.mark.django_db(transaction=True)
def test_racing_pair_requests_one_winner():
    from events.services import create_checkpoint
    from devices.services import PairingInvalid, create_device, pair_device

    event = make_event()
    cp = create_checkpoint(event_id=event.event_id, name="G")
    code = create_device(event_id=event.event_id, name="P", checkpoint_id=cp.checkpoint_id).pairing_code
    results = run_concurrently(lambda: pair_device(pairing_code=code), [()] * 10)
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1 and all(isinstance(r, PairingInvalid) for r in results if r not in winners)
    assert Device.objects.get(pk=winners[0].device.pk).token_hash == hash_token(winners[0].token)


def test_repairing_kills_the_old_token(api, generated_event):
    device, old_token = make_device(generated_event)
    new_code = api.post(f"/api/v1/devices/{device.device_id}/pairing-code").json()["pairing_code"]
    assert device_client(old_token).post("/api/v1/devices/heartbeat", {"device_time": timezone.now().isoformat()},
                                         format="json").status_code == 200
    new_token = device_client(None).post("/api/v1/devices/pair", {"pairing_code": new_code}, format="json").json()["token"]
    assert_error(device_client(old_token).post("/api/v1/devices/heartbeat", {"device_time": timezone.now().isoformat()},
                                               format="json"), 401, "not_authenticated")
    assert device_client(new_token).post("/api/v1/devices/heartbeat", {"device_time": timezone.now().isoformat()},
                                         format="json").status_code == 200


def test_heartbeat_records_clock_offset(generated_event):
    device, token = make_device(generated_event)
    ahead = timezone.now() + timedelta(seconds=30)  # the phone's clock runs 30 s fast
    r = device_client(token).post("/api/v1/devices/heartbeat", {"device_time": ahead.isoformat(), "app_version": "1.2"},
                                  format="json")
    assert r.status_code == 200
    assert -31_000 < r.json()["clock_offset_ms"] < -29_000
    device.refresh_from_db()
    assert device.app_version == "1.2" and device.last_seen_at is not None and -31_000 < device.clock_offset_ms < -29_000
    assert_error(device_client(token).post("/api/v1/devices/heartbeat", {"device_time": "soon"}, format="json"),
                 400, "invalid")


def test_revoked_device_gets_401_device_revoked_on_next_request(api, generated_event):
    device, token = make_device(generated_event)
    client = device_client(token)
    assert client.get("/api/v1/devices/me").status_code == 200
    assert api.post(f"/api/v1/devices/{device.device_id}/revoke").status_code == 200
    assert_error(client.get("/api/v1/devices/me"), 401, "device_revoked")
    assert_error(client.post("/api/v1/scan", {"code": "x", "direction": "in", "scan_id": str(uuid.uuid4())},
                             format="json"), 401, "device_revoked")
    from alerts.models import Alert

    assert Alert.objects.filter(event=generated_event, kind="revoked_device").count() == 1


def test_unknown_token_is_401_not_authenticated(anon):
    assert_error(device_client("nope").get("/api/v1/devices/me"), 401, "not_authenticated")
    assert_error(device_client("a b").get("/api/v1/devices/me"), 401, "not_authenticated")


@pytest.mark.django_db(transaction=True)
def test_revocation_seen_by_a_second_server_process(app_server):
    """Revoke in this process; a separate multi-worker server process must refuse the token on
    its very next request (no cache between them)."""
    import json
    import urllib.request

    event = make_event()
    from tickets.services import generate_tickets

    generate_tickets(event_id=event.event_id)
    device, token = make_device(event)
    script = (
        "import json,sys,urllib.request,urllib.error\n"
        "req=urllib.request.Request(sys.argv[1]+'/api/v1/devices/me',headers={'Authorization':'Device '+sys.argv[2]})\n"
        "try:\n  r=urllib.request.urlopen(req); print(r.status)\n"
        "except urllib.error.HTTPError as e: print(e.code, json.loads(e.read())['error']['code'])\n"
    )
    first = subprocess.run([sys.executable, "-c", script, app_server, token], capture_output=True, text=True)
    assert first.stdout.strip() == "200", first.stderr
    from devices.services import revoke_device

    revoke_device(device_id=device.device_id)
    second = subprocess.run([sys.executable, "-c", script, app_server, token], capture_output=True, text=True)
    assert second.stdout.strip() == "401 device_revoked", second.stderr
    del json, urllib


def test_cross_event_objects_are_404_for_devices(generated_event):
    from tickets.models import Ticket

    other = make_event(name="Other")
    from tickets.services import generate_tickets

    generate_tickets(event_id=other.event_id)
    device, token = make_device(generated_event, role="supervisor")
    foreign = Ticket.objects.filter(event=other).first()
    assert_error(device_client(token).get("/api/v1/scan/lookup", {"q": foreign.ticket_id}), 404, "not_found")
    # The same seat_id exists in both events: a device only ever sees its own event's ticket.
    body = device_client(token).get("/api/v1/scan/lookup", {"q": foreign.seat_id}).json()
    assert body["ticket_id"] != foreign.ticket_id and body["ticket_id"].startswith(generated_event.event_id)


def test_device_tokens_refused_on_staff_endpoints_and_staff_on_device_ones(api, generated_event):
    device, token = make_device(generated_event)
    client = device_client(token)
    assert_error(client.get(f"/api/v1/events/{generated_event.event_id}"), 403, "permission_denied")
    assert_error(client.post("/api/v1/events", {}, format="json"), 403, "permission_denied")
    assert_error(client.post(f"/api/v1/devices/{device.device_id}/revoke"), 403, "permission_denied")
    assert_error(api.post("/api/v1/scan", {"code": "x", "direction": "in", "scan_id": str(uuid.uuid4())}, format="json"),
                 403, "permission_denied")
    assert_error(api.post("/api/v1/devices/heartbeat", {"device_time": timezone.now().isoformat()}, format="json"),
                 403, "permission_denied")


def test_role_enforcement_lookup_is_supervisor_only(generated_event):
    from tickets.models import Ticket

    t = Ticket.objects.filter(event=generated_event).first()
    _, steward = make_device(generated_event, role="steward", name="s")
    _, supervisor = make_device(generated_event, role="supervisor", name="v")
    assert_error(device_client(steward).get("/api/v1/scan/lookup", {"q": t.seat_id}), 403, "permission_denied")
    body = device_client(supervisor).get("/api/v1/scan/lookup", {"q": t.seat_id}).json()
    assert body["ticket_id"] == t.ticket_id and body["access_status"] is False and body["first_entry"] is None


def test_throttling_returns_429_with_retry_after(settings, generated_event, anon):
    settings.TICKETCORE_THROTTLE_RATES = {**settings.TICKETCORE_THROTTLE_RATES, "device": 3, "pair": 2}
    settings.CACHES = {**settings.CACHES}
    settings.CACHES["default"] = {**settings.CACHES["default"], "KEY_PREFIX": f"t{uuid.uuid4().hex[:8]}"}
    _, token = make_device(generated_event)
    client = device_client(token)
    codes = [client.get("/api/v1/devices/me").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    r = client.get("/api/v1/devices/me")
    assert_error(r, 429, "throttled")
    assert 0 < int(r["Retry-After"]) <= 61
    pair = [anon.post("/api/v1/devices/pair", {"pairing_code": "WRONGCODE"}, format="json").status_code for _ in range(4)]
    assert pair == [400, 400, 429, 429]


def test_admin_action_revokes_a_device(admin_client, generated_event):
    device, token = make_device(generated_event)
    selected = {"action": "revoke_devices", "_selected_action": [device.pk]}
    r = admin_client.post("/admin/devices/device/", selected)
    assert r.status_code == 200 and device.name in r.content.decode()  # revoking asks first, naming the phone
    device.refresh_from_db()
    assert device.revoked_at is None
    r = admin_client.post("/admin/devices/device/", {**selected, "confirm": "yes"}, follow=True)
    assert r.status_code == 200
    device.refresh_from_db()
    assert device.revoked_at is not None
    assert_error(device_client(token).get("/api/v1/devices/me"), 401, "device_revoked")
    page = admin_client.get("/admin/devices/device/").content.decode()
    assert "revoked" in page.lower()


def test_admin_shows_pairing_qr(admin_client, generated_event):
    from events.services import create_checkpoint
    from devices.services import create_device

    cp = create_checkpoint(event_id=generated_event.event_id, name="G")
    created = create_device(event_id=generated_event.event_id, name="P", checkpoint_id=cp.checkpoint_id)
    page = admin_client.get(f"/admin/devices/device/{created.device.pk}/change/").content.decode()
    assert created.pairing_code in page and "<svg" in page and "/scanner/?pair=" in page


def test_throttle_fails_open_when_redis_is_unreachable(generated_event, monkeypatch):
    import redis

    from devices import throttling

    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    monkeypatch.setattr(throttling, "_client", dead)
    _, token = make_device(generated_event)
    assert device_client(token).get("/api/v1/devices/me").status_code == 200


def test_generous_limits_sync_with_redis_in_batches_and_are_shared_across_processes(settings):
    """A generous limit is counted locally and synced to Redis every 1% of the limit: the
    overshoot is bounded by one batch, and another process (fresh local state) sees the shared
    count in Redis and refuses at once."""
    from devices import throttling

    settings.TICKETCORE_THROTTLE_RATES = {**settings.TICKETCORE_THROTTLE_RATES, "scan": 500}  # batch of 5
    settings.CACHES = {**settings.CACHES}
    settings.CACHES["default"] = {**settings.CACHES["default"], "KEY_PREFIX": f"t{uuid.uuid4().hex[:8]}"}
    token = "batch-" + uuid.uuid4().hex
    throttling._counts.clear()
    allowed = sum(throttling.ScanThrottle().allow_token(token) for _ in range(600))
    assert 500 <= allowed <= 505
    throttling._counts.clear()  # another worker process: no local state, only Redis
    assert not throttling.ScanThrottle().allow_token(token)
