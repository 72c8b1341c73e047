"""A code has exactly one valid spelling (issue 13 item 6). The signature's last base64url
character carries four spare bits that base64 decoders ignore: 15 of the 63 other characters
decode to the same signature. Only the canonical one (spare bits zero) may verify."""
from __future__ import annotations

import base64
import uuid

import pytest

from access.models import Scan
from events import codes
from tests.conftest import code_for, device_client, make_device, sell
from tickets.models import LedgerEntry

pytestmark = pytest.mark.django_db

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def altered_last_characters(code: str) -> list[str]:
    return [code[:-1] + c for c in ALPHABET if c != code[-1]]


def decodes_to_the_same_signature(a: str, b: str) -> bool:
    def raw(code):
        sig = code.rsplit(".", 1)[1]
        return base64.urlsafe_b64decode(sig + "==")

    return raw(a) == raw(b)


def test_fifteen_altered_spellings_decode_to_the_same_signature(generated_event):
    """The premise, so the API test below cannot pass for a wrong reason."""
    code = code_for(generated_event, "A-1")
    same = [c for c in altered_last_characters(code) if decodes_to_the_same_signature(c, code)]
    assert len(same) == 15


def test_every_altered_last_character_is_refused_through_the_api(generated_event):
    sell(generated_event, "A-1")
    code = code_for(generated_event, "A-1")
    _, token = make_device(generated_event)
    client = device_client(token)
    for altered in altered_last_characters(code):
        r = client.post("/api/v1/scan", {"code": altered, "direction": "in", "scan_id": str(uuid.uuid4())},
                        format="json")
        assert r.status_code == 200, r.content
        assert (r.json()["result"], r.json()["reason"]) == ("rejected", "invalid_signature"), (altered[-1], r.json())
    assert not LedgerEntry.objects.filter(action="accessed").exists()
    assert Scan.objects.filter(result="rejected", reason="invalid_signature").count() == 63
    r = client.post("/api/v1/scan", {"code": code, "direction": "in", "scan_id": str(uuid.uuid4())}, format="json")
    assert r.json()["result"] == "accepted", r.json()


def test_every_altered_last_character_of_a_credential_is_refused(generated_event):
    from access.services import create_credential, credential_code

    credential = create_credential(event_id=generated_event.event_id, name="Crew", kind="staff")
    code = credential_code(credential)
    assert codes.verify(code).object_id == credential.credential_id
    for altered in altered_last_characters(code):
        with pytest.raises(codes.CodeInvalid):
            codes.verify(altered)


def test_every_altered_last_character_is_refused_in_offline_sync(generated_event):
    sell(generated_event, "A-2")
    code = code_for(generated_event, "A-2")
    _, token = make_device(generated_event)
    scans = [{"code": altered, "direction": "in", "scan_id": str(uuid.uuid4()),
              "scanned_at": "2030-01-01T20:00:00+00:00"} for altered in altered_last_characters(code)]
    r = device_client(token).post("/api/v1/scan/sync", {"scans": scans}, format="json")
    assert r.status_code == 200, r.content
    assert {(x["result"], x["reason"]) for x in r.json()["results"]} == {("rejected", "invalid_signature")}
    assert not LedgerEntry.objects.filter(action="accessed").exists()
