"""The phone's offline rules (static/scanner/offline.js) give the server's answer.

For each case the browser decides from the real manifest (access.manifest.build_manifest) with
WebCrypto, then the server scans the same code: the results and reason codes must match. The
one deliberate difference is a code signed for another event: without that event's keys the
phone can only say `invalid_signature` (the server says `wrong_event`); both refuse."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.conftest import ZONES, code_for, make_device, make_event, sell
from tests.scanner.video import blank_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DECIDE = """
const [manifestJson, code, direction, local, done] = arguments;
import('/static/scanner/offline.js').then(async (m) => {
  const manifest = new m.Manifest();
  manifest.apply(JSON.parse(manifestJson));
  const keys = new m.KeyRing();
  keys.setKeys(manifest.meta.keys);
  const scans = new m.LocalScans();
  scans.replay(local);
  const parsed = m.parseCode(code);
  const verified = await keys.verify(parsed);
  const d = m.decide({parsed, verified, direction, manifest, local: scans, at: Date.now()});
  done({result: d.result, reason: d.reason, verified});
}).catch((e) => done({error: String(e)}));
"""


def manifest_json(device) -> str:
    from access.manifest import build_manifest
    from devices.models import Device

    return build_manifest(device=Device.objects.select_related("checkpoint").get(pk=device.pk)).body.decode()


B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def respelled(code: str, spare: int) -> str:
    """The same signature spelled non-canonically: the last character's four spare bits set to
    `spare` (1..15). atob() and Python's base64 decode it to the very same bytes."""
    value = B64URL.index(code[-1])
    assert value & 0b1111 == 0, "codes are issued canonical"
    return code[:-1] + B64URL[value | spare]


def server(device, code, direction="in"):
    from access.services import scan

    response = scan(device=device, code=code, direction=direction, scan_id=uuid.uuid4()).response
    return response["result"], response["reason"]


def test_offline_decisions_match_the_server(browser, scanner_server, tmp_path):
    from access.services import create_credential, credential_code, revoke_credential
    from events import codes
    from tickets.services import generate_tickets

    event = make_event()
    generate_tickets(event_id=event.event_id)
    sell(event, "A-1", "A-2", "A-3", "A-4", "B-1", "B-2")
    anywhere, _ = make_device(event, name="Main")
    a_in_only, _ = make_device(event, name="Ringside in", zones=["A"], directions="in")
    later = make_event(starts_in=timedelta(days=3), name="Next week")
    generate_tickets(event_id=later.event_id)
    sell(later, "A-1")
    early, _ = make_device(later, name="Early")

    key = codes.active_key(event.event_id)
    unknown = codes.sign(key_id=key.key_id, private_key=key.private_key, kind="T", object_id=f"{event.event_id}-nosuch")
    forged = code_for(event, "A-4")[:-6] + "AAAAAA"
    staff = create_credential(event_id=event.event_id, name="Crew", kind="staff")
    vip_b = create_credential(event_id=event.event_id, name="Guest", kind="vip", zones=["B"])
    gone = create_credential(event_id=event.event_id, name="Fired", kind="staff")
    revoke_credential(credential_id=gone.credential_id)

    driver = browser(blank_video(tmp_path / "blank.y4m"))
    driver.get(f"{scanner_server.url}/scanner/")

    def both(device, code, direction="in", prepare=()):
        for step_code, step_direction in prepare:
            assert server(device, step_code, step_direction)[0] == "accepted"
        phone = driver.execute_async_script(DECIDE, manifest_json(device), code, direction, [])
        assert "error" not in phone, phone
        return (phone["result"], phone["reason"]), server(device, code, direction)

    cases = {
        "accepted": (anywhere, code_for(event, "A-4"), "in", ()),
        "not_sold": (anywhere, code_for(event, "A-5"), "in", ()),
        "zone_not_allowed": (a_in_only, code_for(event, "B-1"), "in", ()),
        "direction_not_allowed": (a_in_only, code_for(event, "A-1"), "out", ()),
        "not_inside": (anywhere, code_for(event, "A-1"), "out", ()),
        "already_inside": (anywhere, code_for(event, "A-2"), "in", [(code_for(event, "A-2"), "in")]),
        "already_used": (anywhere, code_for(event, "A-3"), "in",
                         [(code_for(event, "A-3"), "in"), (code_for(event, "A-3"), "out")]),
        "re-entry": (anywhere, code_for(event, "B-2"), "in",
                     [(code_for(event, "B-2"), "in"), (code_for(event, "B-2"), "out")]),
        "invalid_signature": (anywhere, forged, "in", ()),
        "unknown_ticket": (anywhere, unknown, "in", ()),
        "event_closed": (early, code_for(later, "A-1"), "in", ()),
        "credential": (anywhere, credential_code(staff), "in", ()),
        "credential_inside": (anywhere, credential_code(staff), "in", ()),  # after the case above
        "credential_zone": (a_in_only, credential_code(vip_b), "in", ()),
        "credential_revoked": (anywhere, credential_code(gone), "in", ()),
        # One valid spelling per code (issue 13 item 6): a sold ticket, never admitted, and a
        # valid credential, each with non-zero spare bits, are refused by phone and server alike.
        "non_canonical_ticket_1": (anywhere, respelled(code_for(event, "A-1"), 1), "in", ()),
        "non_canonical_ticket_15": (anywhere, respelled(code_for(event, "A-1"), 15), "in", ()),
        "non_canonical_credential": (anywhere, respelled(credential_code(vip_b), 8), "in", ()),
    }
    expected = {"re-entry": ("accepted", None), "credential": ("accepted", None),
                "credential_inside": ("rejected", "already_inside"), "credential_zone": ("rejected", "zone_not_allowed"),
                "accepted": ("accepted", None), "non_canonical_ticket_1": ("rejected", "invalid_signature"),
                "non_canonical_ticket_15": ("rejected", "invalid_signature"),
                "non_canonical_credential": ("rejected", "invalid_signature")}
    for name, (device, code, direction, prepare) in cases.items():
        phone, srv = both(device, code, direction, prepare)
        assert phone == srv, f"{name}: phone {phone} != server {srv}"
        assert srv == expected.get(name, ("rejected", name)), f"{name}: server said {srv}"

    # The deliberate difference: another event's code.
    phone, srv = both(anywhere, code_for(later, "A-1"))
    assert phone == ("rejected", "invalid_signature") and srv == ("rejected", "wrong_event")


def test_the_phone_remembers_its_own_offline_admissions(browser, scanner_server, tmp_path):
    """Two offline scans of one ticket on one phone: the second is `already_inside`, and after an
    offline exit a no-re-entry zone says `already_used` (LocalScans over a stale manifest)."""
    from tickets.services import generate_tickets

    event = make_event(zones=ZONES)
    generate_tickets(event_id=event.event_id)
    sell(event, "A-1", "B-1")
    device, _ = make_device(event)
    driver = browser(blank_video(tmp_path / "blank.y4m"))
    driver.get(f"{scanner_server.url}/scanner/")
    manifest = manifest_json(device)
    ticket_a, ticket_b = code_for(event, "A-1").split(".")[1], code_for(event, "B-1").split(".")[1]

    def phone(code, direction, local):
        answer = driver.execute_async_script(DECIDE, manifest, code, direction, local)
        return answer["result"], answer["reason"]

    went_in = {"kind": "T", "object_id": ticket_a, "direction": "in", "local_result": "accepted",
               "scanned_at": "2030-01-01T20:00:00Z"}
    went_out = {**went_in, "direction": "out", "scanned_at": "2030-01-01T20:10:00Z"}
    assert phone(code_for(event, "A-1"), "in", []) == ("accepted", None)
    assert phone(code_for(event, "A-1"), "in", [went_in]) == ("rejected", "already_inside")
    assert phone(code_for(event, "A-1"), "out", [went_in]) == ("accepted", None)
    assert phone(code_for(event, "A-1"), "in", [went_in, went_out]) == ("rejected", "already_used")
    b_in = {**went_in, "object_id": ticket_b}
    b_out = {**went_out, "object_id": ticket_b}
    assert phone(code_for(event, "B-1"), "in", [b_in, b_out]) == ("accepted", None)  # B allows re-entry
