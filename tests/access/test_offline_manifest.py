"""GET /api/v1/scan/manifest: what a scanner validates with offline, and its version deltas."""
import base64
import gzip
import json
import uuid

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection

from access.manifest import build_manifest
from access.manifest_version import safe_ticket_version
from access.services import create_credential, revoke_credential
from devices.services import revoke_device
from tests.conftest import code_for, device_client, make_device, make_event, sell
from tests.events.test_api import assert_error
from tickets.models import Ticket
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db

TICKET_FIELDS = {"ticket_id", "zone_id", "status", "access_status", "access_entry", "seat_id", "seat_row"}


def manifest(client, since=None, **headers):
    r = client.get("/api/v1/scan/manifest" + (f"?since={since}" if since is not None else ""), **headers)
    assert r.status_code == 200, r.content
    assert r["Content-Type"] == "application/json"
    return json.loads(r.content)


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_full_manifest_has_what_an_offline_scanner_needs(scanner, generated_event):
    device, client = scanner
    sell(generated_event, "A-1")
    staff = create_credential(event_id=generated_event.event_id, name="Ana Pérez", kind="staff", zones=["A"])
    gone = create_credential(event_id=generated_event.event_id, name="Old Pass", kind="vip")
    revoke_credential(credential_id=gone.credential_id)
    body = manifest(client)
    assert isinstance(body["version"], int) and body["full"] is True and body["since"] is None
    assert body["event"]["event_id"] == generated_event.event_id
    assert {"date_start", "date_end", "doors_open_at", "doors_close_at"} <= set(body["event"])
    assert body["checkpoint"] == {"checkpoint_id": device.checkpoint_id, "name": device.checkpoint.name,
                                  "zones": [], "directions": "both"}
    assert [(z["zone_id"], z["reentry"]) for z in body["zones"]] == [("A", False), ("B", True)]
    assert len(body["tickets"]) == 15 and all(set(t) == TICKET_FIELDS for t in body["tickets"])
    sold = [t for t in body["tickets"] if not t["status"]]
    assert [t["ticket_id"] for t in sold] == [Ticket.objects.get(event=generated_event, seat_id="A-1").ticket_id]
    assert body["credentials"] == [{"credential_id": staff.credential_id, "kind": "staff", "zones": ["A"],
                                    "checkpoints": [], "valid_from": None, "valid_until": None, "inside": False}]
    assert body["revoked_credentials"] == [gone.credential_id]
    # The keys verify a ticket's code offline.
    code = code_for(generated_event, "A-1")
    kind, object_id, key_id, signature = code.split(".")
    key = next(k for k in body["keys"] if k["key_id"] == key_id)
    Ed25519PublicKey.from_public_bytes(unb64(key["public_key"])).verify(unb64(signature),
                                                                          f"{kind}.{object_id}.{key_id}".encode())


def test_manifest_carries_no_personal_data(scanner, generated_event):
    _, client = scanner
    from tickets.services import sell_tickets

    ticket = Ticket.objects.get(event=generated_event, seat_id="B-2")
    sell_tickets(event_id=generated_event.event_id, ticket_ids=[ticket.ticket_id], channel="test",
                 metadata={"buyer": {"name": "Zoe Buyer", "email": "zoe@example.com"}})
    create_credential(event_id=generated_event.event_id, name="Carla Secret", kind="vip")
    raw = client.get("/api/v1/scan/manifest").content.decode()
    for personal in ("Zoe Buyer", "zoe@example.com", "Carla Secret", "private"):
        assert personal not in raw


def test_since_returns_only_tickets_changed_after_that_version(scanner, generated_event):
    _, client = scanner
    v0 = manifest(client)["version"]
    assert manifest(client, since=v0)["tickets"] == []
    sell(generated_event, "A-1", "B-1")
    client.post("/api/v1/scan", {"code": code_for(generated_event, "A-1"), "direction": "in",
                                 "scan_id": str(uuid.uuid4())}, format="json")
    delta = manifest(client, since=v0)
    assert delta["full"] is False and delta["since"] == v0 and delta["version"] > v0
    changed = {t["ticket_id"]: t for t in delta["tickets"]}
    a1 = Ticket.objects.get(event=generated_event, seat_id="A-1")
    b1 = Ticket.objects.get(event=generated_event, seat_id="B-1")
    assert set(changed) == {a1.ticket_id, b1.ticket_id}
    assert changed[a1.ticket_id] == {"ticket_id": a1.ticket_id, "zone_id": "A", "status": False,
                                     "access_status": True, "access_entry": True, "seat_id": "A-1",
                                     "seat_row": "por asignar"}
    v1 = delta["version"]
    assert manifest(client, since=v1)["tickets"] == []  # exclusive
    assert [t["ticket_id"] for t in manifest(client, since=v1 - 1)["tickets"]] == [a1.ticket_id]


def test_a_device_only_sees_its_own_event(scanner, generated_event):
    _, client = scanner
    other = make_event(name="Other")
    generate_tickets(event_id=other.event_id)
    body = manifest(client)
    mine = set(Ticket.objects.filter(event=generated_event).values_list("ticket_id", flat=True))
    assert {t["ticket_id"] for t in body["tickets"]} == mine
    assert all(k["key_id"] in {k.key_id for k in generated_event.signing_keys.all()} for k in body["keys"])
    assert manifest(client, since=0)["tickets"] and all(t["ticket_id"] in mine for t in manifest(client, since=0)["tickets"])


@pytest.mark.parametrize("since", ["abc", "-1", "1.5", "", "1e3", "99999999999999999999", "%C2%B2", "0x10"])
def test_bad_since_is_400(scanner, since):
    _, client = scanner
    body = assert_error(client.get(f"/api/v1/scan/manifest?since={since}"), 400, "invalid")
    assert "since" in body["error"]["fields"]


def test_gzip_when_asked(scanner, generated_event):
    _, client = scanner
    plain = client.get("/api/v1/scan/manifest")
    packed = client.get("/api/v1/scan/manifest", HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert "Content-Encoding" not in plain and packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    a, b = json.loads(plain.content), json.loads(gzip.decompress(packed.content))
    a.pop("generated_at"), b.pop("generated_at")
    assert a == b
    refused = client.get("/api/v1/scan/manifest", HTTP_ACCEPT_ENCODING="gzip;q=0")
    assert "Content-Encoding" not in refused


def test_only_paired_scanners_get_the_manifest(api, anon, generated_event):
    device, token = make_device(generated_event)
    _, office_token = make_device(generated_event, role="office", name="Box office")
    assert_error(anon.get("/api/v1/scan/manifest"), 401, "not_authenticated")
    assert_error(api.get("/api/v1/scan/manifest"), 403, "permission_denied")
    assert_error(device_client(office_token).get("/api/v1/scan/manifest"), 403, "permission_denied")
    revoke_device(device_id=device.device_id)
    assert_error(device_client(token).get("/api/v1/scan/manifest"), 401, "device_revoked")


def test_manifest_is_a_handful_of_queries(scanner, generated_event, django_assert_max_num_queries):
    device, _ = scanner
    with django_assert_max_num_queries(8):
        build_manifest(device=device)


# --------------------------------------------------------------------------- the watermark

def _second_connection():
    s = connection.settings_dict
    return psycopg.connect(host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"],
                           dbname=s["NAME"], autocommit=False)


@pytest.mark.django_db(transaction=True)
def test_watermark_never_skips_a_change_that_commits_late(generated_event):
    """Versions are drawn when an UPDATE runs but seen when it commits. A transaction holding
    version N open while N+1 commits must not let the watermark pass N: the client would then
    ask for `version > N+1` and never learn about N. Negative control: the plain sequence value
    (guard off) does skip it."""
    device, _ = make_device(generated_event)
    base = build_manifest(device=device).version
    slow_ticket, fast_ticket = Ticket.objects.filter(event=generated_event).order_by("id")[:2]
    with _second_connection() as slow:
        with slow.cursor() as cur:
            cur.execute("UPDATE tickets_ticket SET status = false WHERE id = %s RETURNING version", [slow_ticket.pk])
            slow_version = cur.fetchone()[0]
        Ticket.objects.filter(pk=fast_ticket.pk).update(status=False)  # commits at once, a higher version
        fast_version = Ticket.objects.get(pk=fast_ticket.pk).version
        assert fast_version > slow_version > base

        guarded = safe_ticket_version(floor=base, wait_seconds=0.05)
        with connection.cursor() as cur:  # the negative control: the sequence, without the wait
            cur.execute("SELECT last_value FROM tickets_ticket_version_seq")
            unguarded = max(cur.fetchone()[0], base)
        assert guarded == base  # the slow transaction outlived the wait: fall back to the floor
        assert unguarded >= fast_version
        slow.commit()

    def delta(since):
        return {t["ticket_id"] for t in json.loads(build_manifest(device=device, since=since).body)["tickets"]}

    assert slow_ticket.ticket_id in delta(guarded)
    assert slow_ticket.ticket_id not in delta(unguarded)  # the race is real without the guard
    # With nothing in flight the watermark is the sequence itself.
    assert safe_ticket_version(floor=0) >= fast_version


@pytest.mark.django_db(transaction=True)
def test_watermark_waits_for_a_short_transaction_instead_of_falling_back(generated_event):
    """An open transaction that has not touched tickets is waited for, then the full version is
    answered. The wait is observed, not slept: the other session commits once it sees the
    manifest's session waiting on it."""
    import threading

    device, _ = make_device(generated_event)
    with _second_connection() as other:
        with other.cursor() as cur:
            cur.execute("SELECT pg_backend_pid(), txid_current()")  # now inside a transaction
        result = {}

        def build():
            try:
                result["version"] = safe_ticket_version(floor=0, wait_seconds=30)
            finally:
                connection.close()

        t = threading.Thread(target=build)
        t.start()
        # Commit once the builder has read its in-flight list (it then polls pg_stat_activity).
        with _second_connection() as probe, probe.cursor() as cur:
            import time

            deadline, polling = time.monotonic() + 20, 0
            while not polling and time.monotonic() < deadline and "version" not in result:
                cur.execute("SELECT pg_stat_clear_snapshot()")
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE %s",
                            ["%FROM pg_stat_activity a%JOIN unnest(%"])
                polling = cur.fetchone()[0]
                probe.commit()
        assert polling and "version" not in result  # it is waiting for `other`
        other.commit()
        t.join(30)
    with connection.cursor() as cur:
        cur.execute("SELECT last_value FROM tickets_ticket_version_seq")
        assert result["version"] == cur.fetchone()[0]


def test_manifest_tickets_carry_the_seat_for_offline_results(scanner, generated_event, api):
    """An offline phone shows seat and row; a free-text row is JSON-escaped, never breaking the body."""
    device, client = scanner
    t = Ticket.objects.get(event=generated_event, seat_id="B-3")
    api.patch(f"/api/v1/events/{generated_event.event_id}/tickets/{t.ticket_id}", {"seat_row": 'Fila "7" \\ norte'},
              format="json")
    row = next(x for x in manifest(client)["tickets"] if x["ticket_id"] == t.ticket_id)
    assert (row["seat_id"], row["seat_row"]) == ("B-3", 'Fila "7" \\ norte')
