"""Every reason code of the contract, through POST /api/v1/scan."""
import uuid
from datetime import timedelta

import pytest

from access.models import Scan
from tests.conftest import code_for, device_client, make_device, make_event, sell
from tests.events.test_api import assert_error
from tickets.models import LedgerEntry, Ticket
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db


def scan(client, code, direction="in", scan_id=None, **extra):
    r = client.post("/api/v1/scan", {"code": code, "direction": direction,
                                     "scan_id": str(scan_id or uuid.uuid4()), **extra}, format="json")
    assert r.status_code == 200, r.content
    return r.json()


def test_accepted_entry_then_already_inside_with_first_entry(scanner, generated_event):
    device, client = scanner
    sell(generated_event, "A-1")
    code = code_for(generated_event, "A-1")
    ok = scan(client, code)
    assert ok["result"] == "accepted" and ok["reason"] is None
    assert ok["ticket"] == {"ticket_id": ok["ticket"]["ticket_id"], "seat_id": "A-1", "zone": "Ringside", "zone_id": "A",
                            "color": "#C0392B", "seat_row": "por asignar"}
    again = scan(client, code)
    assert (again["result"], again["reason"]) == ("rejected", "already_inside")
    assert again["first_entry"]["checkpoint"] == device.checkpoint_id and again["first_entry"]["at"]
    t = Ticket.objects.get(event=generated_event, seat_id="A-1")
    assert t.access_status and t.access_entry
    assert list(LedgerEntry.objects.filter(ticket=t).values_list("action", flat=True)) == ["generated", "sold", "accessed"]


def test_exit_and_reentry_rules(scanner, generated_event):
    _, client = scanner
    sell(generated_event, "A-2", "B-1")
    no_reentry, reentry = code_for(generated_event, "A-2"), code_for(generated_event, "B-1")
    assert scan(client, no_reentry, "out")["reason"] == "not_inside"
    assert scan(client, no_reentry)["result"] == "accepted"
    assert scan(client, no_reentry, "out")["result"] == "accepted"
    used = scan(client, no_reentry)
    assert used["reason"] == "already_used" and "first_entry" in used
    assert scan(client, reentry)["result"] == "accepted"
    assert scan(client, reentry, "out")["result"] == "accepted"
    assert scan(client, reentry)["result"] == "accepted"  # zone B allows re-entry
    t = Ticket.objects.get(event=generated_event, seat_id="B-1")
    actions = list(LedgerEntry.objects.filter(ticket=t).values_list("action", flat=True))
    assert actions == ["generated", "sold", "accessed", "came-out", "accessed"]


def test_not_sold(scanner, generated_event):
    _, client = scanner
    assert scan(client, code_for(generated_event, "A-3"))["reason"] == "not_sold"
    assert not Ticket.objects.get(event=generated_event, seat_id="A-3").access_status


def test_invalid_signature_is_recorded_without_ticket_lookup(scanner, generated_event, django_assert_max_num_queries):
    device, client = scanner
    sell(generated_event, "A-1")
    forged = code_for(generated_event, "A-1")[:-3] + "AAA"
    body = scan(client, forged)
    assert (body["result"], body["reason"]) == ("rejected", "invalid_signature") and "ticket" not in body
    assert scan(client, "garbage")["reason"] == "invalid_signature"
    row = Scan.objects.filter(device=device, reason="invalid_signature").first()
    assert row.ticket_id is None and row.code.startswith("T.")


def test_wrong_event(generated_event):
    other = make_event(name="Other")
    generate_tickets(event_id=other.event_id)
    sell(other, "A-1")
    _, token = make_device(generated_event)
    assert scan(device_client(token), code_for(other, "A-1"))["reason"] == "wrong_event"


def test_unknown_ticket(scanner, generated_event):
    from events.codes import KIND_TICKET, active_key, sign

    _, client = scanner
    key = active_key(generated_event.event_id)
    ghost = sign(key_id=key.key_id, private_key=key.private_key, kind=KIND_TICKET,
                 object_id=f"{generated_event.event_id}-doesnotexist00000000")
    assert scan(client, ghost)["reason"] == "unknown_ticket"


def test_zone_not_allowed_and_direction_not_allowed(generated_event):
    sell(generated_event, "B-2")
    _, a_only = make_device(generated_event, zones=["A"], name="a-only")
    assert scan(device_client(a_only), code_for(generated_event, "B-2"))["reason"] == "zone_not_allowed"
    _, exit_only = make_device(generated_event, directions="out", name="exit")
    assert scan(device_client(exit_only), code_for(generated_event, "B-2"))["reason"] == "direction_not_allowed"


def test_event_closed_outside_the_doors_window(db):
    far = make_event(starts_in=timedelta(days=30), name="Later")
    generate_tickets(event_id=far.event_id)
    sell(far, "A-1")
    _, token = make_device(far)
    assert scan(device_client(token), code_for(far, "A-1"))["reason"] == "event_closed"
    assert not Ticket.objects.get(event=far, seat_id="A-1").access_status


def test_retry_with_same_scan_id_returns_first_answer_and_writes_nothing(scanner, generated_event):
    _, client = scanner
    sell(generated_event, "A-4")
    code, scan_id = code_for(generated_event, "A-4"), uuid.uuid4()
    first = scan(client, code, scan_id=scan_id)
    ledger_before, scans_before = LedgerEntry.objects.count(), Scan.objects.count()
    assert scan(client, code, scan_id=scan_id) == first
    assert scan(client, code, "out", scan_id=scan_id) == first  # even with a different body
    assert (LedgerEntry.objects.count(), Scan.objects.count()) == (ledger_before, scans_before)
    forged_id = uuid.uuid4()
    assert scan(client, "junk", scan_id=forged_id) == scan(client, "junk", scan_id=forged_id)


@pytest.mark.parametrize("payload,field", [
    ({"direction": "in", "scan_id": str(uuid.uuid4())}, "code"),
    ({"code": 123, "direction": "in", "scan_id": str(uuid.uuid4())}, "code"),
    ({"code": ["x"], "direction": "in", "scan_id": str(uuid.uuid4())}, "code"),
    ({"code": "x", "direction": "sideways", "scan_id": str(uuid.uuid4())}, "direction"),
    ({"code": "x", "direction": "in"}, "scan_id"),
    ({"code": "x", "direction": "in", "scan_id": "not-a-uuid"}, "scan_id"),
    ({"code": "x", "direction": "in", "scan_id": str(uuid.uuid4()), "scanned_at": "noon"}, "scanned_at"),
    ({"code": "x" * 100_000, "direction": "in", "scan_id": str(uuid.uuid4())}, "code"),
])
def test_malformed_scans_are_400_and_record_nothing(scanner, payload, field):
    _, client = scanner
    body = assert_error(client.post("/api/v1/scan", payload, format="json"), 400, "invalid")
    assert field in body["error"]["fields"]
    assert Scan.objects.count() == 0


def test_non_object_body_is_400(scanner):
    _, client = scanner
    assert_error(client.post("/api/v1/scan", [1, 2], format="json"), 400, "invalid")
    assert_error(client.generic("POST", "/api/v1/scan", "[[[[", content_type="application/json"), 400, "parse_error")


def test_scan_path_is_one_database_round_trip(scanner, generated_event, django_assert_num_queries):
    """The online scan authenticates the device and applies the scan in ONE query (the fast
    path, access/migrations/0005); forged codes too. If the fast path silently fell back to the
    DRF path this would count 2+ queries and fail."""
    _, client = scanner
    sell(generated_event, "B-5")
    code = code_for(generated_event, "B-5")
    scan(client, code)  # warm the public-key cache
    scan(client, code, "out")
    with django_assert_num_queries(1):
        assert scan(client, code)["result"] == "accepted"
    with django_assert_num_queries(1):
        assert scan(client, code)["reason"] == "already_inside"
    with django_assert_num_queries(1):
        assert scan(client, code[:-4] + "AAAA")["reason"] == "invalid_signature"


def test_scan_call_is_a_prepared_statement_with_server_side_binding(scanner, generated_event):
    """The fast path's one query is prepared once per connection and then only executed:
    PostgreSQL lists it among the session's prepared statements with its parameter types."""
    from django.db import connection

    _, client = scanner
    sell(generated_event, "B-6")
    code = code_for(generated_event, "B-6")
    for direction in ("in", "out", "in"):
        assert scan(client, code, direction)["result"] == "accepted"
    with connection.cursor() as cur:
        cur.execute("SELECT statement, parameter_types::text FROM pg_prepared_statements "
                    "WHERE statement LIKE 'SELECT access_scan_by_token%%'")
        rows = cur.fetchall()
    assert len(rows) == 1, rows
    assert rows[0][0].startswith("SELECT access_scan_by_token($1, $2, $3, $4, $5, $6, $7, $8)")


def test_scan_throttle_holds_on_the_fast_path(settings, scanner, generated_event):
    """The fast path (access/fastpath.py) counts scans under the same per-device limit as the DRF
    path: past it the answer is the contract's 429, and the refused scan writes nothing."""
    settings.TICKETCORE_THROTTLE_RATES = {**settings.TICKETCORE_THROTTLE_RATES, "scan": 3}
    settings.CACHES = {**settings.CACHES}
    settings.CACHES["default"] = {**settings.CACHES["default"], "KEY_PREFIX": f"t{uuid.uuid4().hex[:8]}"}
    _, client = scanner
    sell(generated_event, "B-7")
    code = code_for(generated_event, "B-7")
    for direction in ("in", "out", "in"):
        assert scan(client, code, direction)["result"] == "accepted"
    refused = client.post("/api/v1/scan", {"code": code, "direction": "out", "scan_id": str(uuid.uuid4())},
                          format="json")
    assert_error(refused, 429, "throttled")
    assert 0 < int(refused["Retry-After"]) <= 61
    assert Scan.objects.filter(ticket__seat_id="B-7", ticket__event=generated_event).count() == 3


def test_every_attempt_is_recorded_with_device_checkpoint_and_times(scanner, generated_event):
    device, client = scanner
    sell(generated_event, "A-5")
    scan(client, code_for(generated_event, "A-5"), scanned_at="2026-11-21T10:00:00+01:00")
    scan(client, code_for(generated_event, "A-5"))
    scan(client, "forged")
    rows = list(Scan.objects.filter(device=device).order_by("id"))
    assert [(r.result, r.reason) for r in rows] == [("accepted", None), ("rejected", "already_inside"),
                                                   ("rejected", "invalid_signature")]
    assert all(r.checkpoint_id == device.checkpoint_id and r.server_time for r in rows)
    assert rows[0].scanned_at.isoformat() == "2026-11-21T09:00:00+00:00" and rows[0].first_entry


# --------------------------------------------------------------------------- credentials

def test_credentials_end_to_end(api, generated_event):
    device, token = make_device(generated_event, zones=["A"], name="vip gate")
    client = device_client(token)
    r = api.post(f"/api/v1/events/{generated_event.event_id}/credentials",
                 {"name": "Referee", "kind": "staff", "zones": ["A"]}, format="json")
    assert r.status_code == 201, r.content
    cred = r.json()
    assert cred["code"].startswith("C.") and cred["kind"] == "staff"
    first = scan(client, cred["code"])
    assert first["result"] == "accepted" and first["credential"]["name"] == "Referee"
    assert scan(client, cred["code"])["reason"] == "already_inside"
    assert scan(client, cred["code"], "out")["result"] == "accepted"
    assert scan(client, cred["code"], "out")["reason"] == "not_inside"
    assert scan(client, cred["code"])["result"] == "accepted"  # multi-use
    assert api.post(f"/api/v1/credentials/{cred['credential_id']}/revoke").json()["revoked"] is True
    assert scan(client, cred["code"], "out")["reason"] == "credential_revoked"
    assert Scan.objects.filter(credential_id=cred["credential_id"]).count() == 6  # history via the scan table
    assert api.get(f"/api/v1/credentials/{cred['credential_id']}/qr").status_code == 200


def test_credential_zone_checkpoint_and_window(api, generated_event):
    from django.utils import timezone

    _, b_gate = make_device(generated_event, zones=["B"], name="b gate")
    other_cp = api.post(f"/api/v1/events/{generated_event.event_id}/checkpoints", {"name": "Back"}, format="json").json()
    a_only = api.post(f"/api/v1/events/{generated_event.event_id}/credentials",
                      {"name": "A", "kind": "vip", "zones": ["A"]}, format="json").json()
    assert scan(device_client(b_gate), a_only["code"])["reason"] == "zone_not_allowed"
    cp_only = api.post(f"/api/v1/events/{generated_event.event_id}/credentials",
                       {"name": "C", "kind": "staff", "checkpoints": [other_cp["checkpoint_id"]]}, format="json").json()
    assert scan(device_client(b_gate), cp_only["code"])["reason"] == "zone_not_allowed"
    expired = api.post(f"/api/v1/events/{generated_event.event_id}/credentials",
                       {"name": "E", "kind": "staff", "valid_from": (timezone.now() - timedelta(hours=3)).isoformat(),
                        "valid_until": (timezone.now() - timedelta(hours=1)).isoformat()}, format="json").json()
    assert scan(device_client(b_gate), expired["code"])["reason"] == "event_closed"


@pytest.mark.parametrize("payload", [{"name": "x", "kind": "king"}, {"name": "x", "kind": "vip", "zones": ["Q"]},
                                     {"name": "x", "kind": "vip", "checkpoints": ["nope"]}, {"kind": "vip"},
                                     {"name": "x", "kind": "vip", "valid_from": "2026-12-02T00:00:00Z",
                                      "valid_until": "2026-12-01T00:00:00Z"}])
def test_credential_validation(api, generated_event, payload):
    from access.models import Credential

    assert_error(api.post(f"/api/v1/events/{generated_event.event_id}/credentials", payload, format="json"),
                 400, "invalid")
    assert not Credential.objects.exists()


def test_revoke_unknown_credential_is_404(api):
    assert_error(api.post("/api/v1/credentials/nope/revoke"), 404, "not_found")


def test_admin_creates_prints_and_revokes_credentials(admin_client, generated_event):
    from access.models import Credential

    r = admin_client.post("/admin/access/credential/add/", {
        "event": generated_event.pk, "name": "Cutman", "kind": "staff", "zones": "", "checkpoints": "",
        "valid_from_0": "", "valid_from_1": "", "valid_until_0": "", "valid_until_1": ""})
    assert r.status_code == 302, r.content.decode()[:1500]
    cred = Credential.objects.get(name="Cutman")
    page = admin_client.get(f"/admin/access/credential/{cred.pk}/change/").content.decode()
    assert "<svg" in page and "PNG to print" in page
    admin_client.post("/admin/access/credential/", {"action": "revoke_credentials", "_selected_action": [cred.pk]})
    cred.refresh_from_db()
    assert cred.revoked_at is not None
