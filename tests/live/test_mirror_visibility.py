"""The Firestore mirror's lag is for administrators (issue 16 item 6): a manager (staff, not a
superuser, without the mirror permission) gets neither the snapshot's `mirror` nor the feed's
`mirror` messages, over HTTP (page and snapshot.json) or the WebSocket; a superuser, or staff
given `mirror.view_outboxentry`, gets both. Both kinds of user share one event feed in these
tests, as they would in one ASGI process."""
from __future__ import annotations

import json
import re
import time

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import Permission
from django.test import Client

from live.feed import for_socket
from tests.conftest import make_event
from tests.live.test_live_consumer import communicator, next_message, session_for
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ev(transactional_db):
    event = make_event()
    generate_tickets(event_id=event.event_id)  # outbox rows: the mirror has something pending
    return event


@pytest.fixture
def manager(django_user_model):
    return django_user_model.objects.create_user("manager", password="pw-manager-123", is_staff=True)


@pytest.fixture
def administrator(django_user_model):
    return django_user_model.objects.create_superuser("root", password="pw-root-12345")


@pytest.fixture
def mirror_keeper(django_user_model):
    user = django_user_model.objects.create_user("ops", password="pw-ops-123456", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_outboxentry", content_type__app_label="mirror"))
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def embedded_snapshot(page: str) -> dict:
    match = re.search(r'<script id="initial-snapshot" type="application/json">(.*?)</script>', page, re.DOTALL)
    return json.loads(match.group(1))


def test_http_snapshot_and_page_hide_the_mirror_from_a_manager(ev, manager, administrator, mirror_keeper):
    for user, sees in ((manager, False), (administrator, True), (mirror_keeper, True)):
        client = client_for(user)
        body = client.get(f"/dashboard/events/{ev.event_id}/snapshot.json").json()
        assert ("mirror" in body) is sees, user.username
        page = client.get(f"/dashboard/events/{ev.event_id}/").content.decode()
        assert ("mirror" in embedded_snapshot(page)) is sees, user.username
        if sees:
            assert body["mirror"]["pending"] > 0 and "oldest_age_s" in body["mirror"]


def test_the_websocket_sends_the_mirror_to_administrators_only(ev, manager, administrator, settings):
    settings.LIVE_REFRESH_S = 0.3  # the feed re-reads the mirror's state at this pace
    manager_session, admin_session = session_for(manager), session_for(administrator)

    async def body():
        mgr = communicator(ev.event_id, session=manager_session)
        adm = communicator(ev.event_id, session=admin_session)
        assert (await mgr.connect())[0] and (await adm.connect())[0]
        try:
            mgr_snapshot = await next_message(mgr, "snapshot")
            adm_snapshot = await next_message(adm, "snapshot")
            assert "mirror" not in mgr_snapshot
            assert adm_snapshot["mirror"]["pending"] > 0
            # The lag grows while rows wait, so the feed sends it again: to the administrator.
            await next_message(adm, "mirror", timeout=10)
            await next_message(adm, "mirror", timeout=10)
            # Everything the manager got meanwhile, up to the answer to a ping sent now: no mirror.
            await mgr.send_json_to({"type": "ping"})
            seen = []
            deadline = time.monotonic() + 5
            while not seen or seen[-1] != "pong":
                assert time.monotonic() < deadline, seen
                seen.append((await mgr.receive_json_from(timeout=5))["type"])
            assert "mirror" not in seen
            # A resync is a fresh snapshot: without the mirror for the manager, with it for the other.
            await mgr.send_json_to({"type": "resync"})
            await adm.send_json_to({"type": "resync"})
            assert "mirror" not in await next_message(mgr, "snapshot")
            assert "mirror" in await next_message(adm, "snapshot")
        finally:
            await mgr.disconnect()
            await adm.disconnect()

    async_to_sync(body)()


def test_for_socket_strips_the_mirror_for_a_manager():
    class Socket:
        def __init__(self, sees):
            self.sees_mirror = sees

    mirror = {"type": "mirror", "enabled": True, "pending": 3}
    snapshot = {"type": "snapshot", "event_id": "e", "mirror": {"pending": 3}, "live": {"redis": True}}
    scan = {"type": "scan", "device": "dv1"}
    assert for_socket(mirror, Socket(False)) is None
    assert for_socket(snapshot, Socket(False)) == {"type": "snapshot", "event_id": "e", "live": {"redis": True}}
    assert for_socket(scan, Socket(False)) is scan
    for message in (mirror, snapshot, scan):
        assert for_socket(message, Socket(True)) is message
    assert snapshot["mirror"] == {"pending": 3}  # the shared message itself is not changed
