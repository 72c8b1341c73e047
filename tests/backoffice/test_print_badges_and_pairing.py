"""GET /api/v1/events/{event_id}/badges.pdf and /pairing-sheet.pdf, read back: every badge's QR
code is its credential's valid signed code, with the holder, the kind and the allowed zones in
words; every pairing QR is the device's pairing URL with a code that pairs, and printing issues
fresh codes only where the old one is too old, through the devices service, under a lock."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from access.services import create_credential, credential_code, revoke_credential
from backoffice.printing.services import codes_for_pairing_sheet
from core.localtime import format_local
from devices.models import Device
from devices.services import create_device, pair_device
from events import services as event_services
from events.codes import KIND_CREDENTIAL, verify
from tests.backoffice.test_print_readback import page_codes, page_texts
from tests.backoffice.test_print_tickets import assert_error, printed_event
from tests.conftest import run_concurrently

PUBLIC = "https://192.168.1.20:8443"


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf(api, event, path, **params):
    r = api.get(f"/api/v1/events/{event.event_id}/{path}", params)
    assert r.status_code == 200, r.content[:500]
    assert r["Content-Type"] == "application/pdf" and r["Cache-Control"] == "no-store"
    return r.content


# --------------------------------------------------------------------------- badges

@pytest.mark.django_db
def test_badges_carry_valid_credential_codes_names_kinds_and_zones(api):
    event = printed_event()  # Spanish, Europe/Madrid, zones A "Pista Central" and B "Grada Norte"
    north = event_services.create_checkpoint(event_id=event.event_id, name="Puerta Norte")
    madrid = ZoneInfo("Europe/Madrid")
    crew = create_credential(event_id=event.event_id, name="Lucía Fernández", kind="staff", zones=["A"],
                             checkpoints=[north.checkpoint_id],
                             valid_from=datetime(2026, 12, 31, 18, 0, tzinfo=madrid),
                             valid_until=datetime(2027, 1, 1, 4, 0, tzinfo=madrid))
    guest = create_credential(event_id=event.event_id, name="Invitado de Honor", kind="vip")
    gone = create_credential(event_id=event.event_id, name="Revocada", kind="staff")
    revoke_credential(credential_id=gone.credential_id)
    extra = [create_credential(event_id=event.event_id, name=f"Acomodador {i}", kind="staff") for i in range(4)]

    data = pdf(api, event, "badges.pdf")
    texts = page_texts(data)
    codes = [c.text for page in page_codes(data) for c in page]
    assert len(texts) == 2  # six badges, four to a sheet
    expected = {c.credential_id: c for c in [crew, guest, *extra]}
    decoded = [verify(code) for code in codes]
    assert all(v.kind == KIND_CREDENTIAL and v.event_id == event.event_id for v in decoded)
    assert sorted(v.object_id for v in decoded) == sorted(expected)
    assert sorted(codes) == sorted(credential_code(c) for c in expected.values())
    everything = flat(" ".join(texts))
    assert "Revocada" not in everything
    assert "Lucía Fernández" in everything and "Invitado de Honor" in everything
    assert "PERSONAL" in everything and "VIP" in everything
    assert "ZONAS PERMITIDAS" in everything and "Pista Central" in everything
    assert "Todas las zonas" in everything and "Puerta Norte" in everything and "Todas las puertas" in everything
    assert format_local(crew.valid_from, event.timezone) == "2026-12-31 18:00 (UTC+01:00)"
    assert format_local(crew.valid_from, event.timezone) in everything
    assert format_local(crew.valid_until, event.timezone) in everything
    # Lucía's badge names only zone A of the zones.
    lucia = next(t for t in texts if "Lucía Fernández" in t)
    before_gates = flat(lucia).split("Lucía Fernández")[1].split("PUERTAS")[0]
    assert "Pista Central" in before_gates and "Grada Norte" not in before_gates


@pytest.mark.django_db
def test_no_badges_to_print_is_one_page_that_says_so_and_unknown_event_404(api):
    """The set-up page links the badges before anyone has one: a person clicking it reads why
    the document is empty instead of a JSON error."""
    event = printed_event()
    revoke_credential(credential_id=create_credential(event_id=event.event_id, name="X", kind="vip").credential_id)
    data = pdf(api, event, "badges.pdf")
    assert page_codes(data) == [[]]
    assert "No hay acreditaciones que imprimir" in flat(page_texts(data)[0])
    assert_error(api.get("/api/v1/events/nope/badges.pdf"), 404, "not_found")
    assert_error(api.get(f"/api/v1/events/{event.event_id}/badges.pdf", {"language": "de"}), 400, "invalid")


# --------------------------------------------------------------------------- pairing sheet

def device_setup(event):
    """Gate devices in every pairing state, and a box office terminal."""
    north = event_services.create_checkpoint(event_id=event.event_id, name="Puerta Norte")
    south = event_services.create_checkpoint(event_id=event.event_id, name="Puerta Sur")
    fresh = create_device(event_id=event.event_id, name="Móvil fresco", checkpoint_id=north.checkpoint_id)
    stale = create_device(event_id=event.event_id, name="Móvil viejo", checkpoint_id=south.checkpoint_id,
                          role="supervisor")
    expired = create_device(event_id=event.event_id, name="Móvil caducado", checkpoint_id=south.checkpoint_id)
    paired = create_device(event_id=event.event_id, name="Móvil emparejado", checkpoint_id=north.checkpoint_id)
    pair_device(pairing_code=paired.pairing_code)
    revoked = create_device(event_id=event.event_id, name="Móvil revocado", checkpoint_id=north.checkpoint_id)
    Device.objects.filter(pk=revoked.device.pk).update(revoked_at=timezone.now())
    office = create_device(event_id=event.event_id, name="Taquilla 1", checkpoint_id=None, role="office")
    life = timedelta(minutes=settings.DEVICE_PAIRING_MINUTES)
    now = timezone.now()
    Device.objects.filter(pk=stale.device.pk).update(pairing_expires_at=now + life / 2)  # half its life gone
    Device.objects.filter(pk=expired.device.pk).update(pairing_expires_at=now - timedelta(seconds=1))
    return {"fresh": fresh, "stale": stale, "expired": expired, "office": office, "paired": paired, "revoked": revoked}


@pytest.mark.django_db
@override_settings(PUBLIC_URL=PUBLIC)
def test_pairing_sheet_codes_pair_the_unpaired_devices_and_old_codes_are_renewed(api):
    event = printed_event()
    devices = device_setup(event)
    data = pdf(api, event, "pairing-sheet.pdf")
    urls = [c.text for page in page_codes(data) for c in page]
    text = flat(" ".join(page_texts(data)))
    rows = {d.name: d for d in Device.objects.filter(event=event)}
    printed = {name for name in rows if name in text}
    assert printed == {"Móvil fresco", "Móvil viejo", "Móvil caducado", "Taquilla 1"}
    # Each QR is that device's pairing URL with its current code (the database's, after printing).
    current = {d.pairing_code: d for d in rows.values() if d.name in printed}
    assert sorted(urls) == sorted(f"{PUBLIC}/{'office' if d.role == 'office' else 'scanner'}/?pair={code}"
                                  for code, d in current.items())  # a box office's opens its terminal
    assert rows["Móvil fresco"].pairing_code == devices["fresh"].pairing_code  # fresh enough: printed as it was
    assert rows["Móvil viejo"].pairing_code != devices["stale"].pairing_code  # renewed
    assert rows["Móvil caducado"].pairing_code != devices["expired"].pairing_code  # renewed
    now = timezone.now()
    life = timedelta(minutes=settings.DEVICE_PAIRING_MINUTES)
    assert all(rows[n].pairing_expires_at - now > life * 2 / 3 - timedelta(seconds=30) for n in printed)
    # Words and times: gate names, the box office, the expiry in the event's time, Spanish.
    assert "Puerta Norte" in text and "Puerta Sur" in text and "Taquilla" in text
    assert "HOJA DE VINCULACIÓN" in text.upper() and "CADUCA" in text and "Cada código sirve una sola vez." in text
    for name in printed:
        assert format_local(rows[name].pairing_expires_at, event.timezone) in text
    # The printed codes work: the phone that opens the renewed URL is paired.
    code = urls[0].split("pair=")[1]
    assert pair_device(pairing_code=code).device.name == current[code].name


@pytest.mark.django_db
@override_settings(PUBLIC_URL=PUBLIC)
def test_printing_twice_shows_the_same_codes(api):
    event = printed_event()
    device_setup(event)
    first = sorted(c.text for page in page_codes(pdf(api, event, "pairing-sheet.pdf")) for c in page)
    second = sorted(c.text for page in page_codes(pdf(api, event, "pairing-sheet.pdf")) for c in page)
    assert first == second and len(first) == 4


@pytest.mark.django_db
def test_pairing_sheet_without_public_url_uses_the_request_address(api):
    event = printed_event()
    cp = event_services.create_checkpoint(event_id=event.event_id, name="Puerta")
    create_device(event_id=event.event_id, name="Móvil", checkpoint_id=cp.checkpoint_id)
    urls = [c.text for page in page_codes(pdf(api, event, "pairing-sheet.pdf")) for c in page]
    code = Device.objects.get(event=event).pairing_code
    assert urls == [f"http://testserver/scanner/?pair={code}"]


@pytest.mark.django_db
def test_a_sheet_of_many_devices_runs_over_pages(api):
    event = printed_event()
    cp = event_services.create_checkpoint(event_id=event.event_id, name="Puerta")
    for i in range(8):
        create_device(event_id=event.event_id, name=f"Móvil {i}", checkpoint_id=cp.checkpoint_id)
    data = pdf(api, event, "pairing-sheet.pdf")
    assert [len(page) for page in page_codes(data)] == [6, 2]
    assert "Página 2/2" in page_texts(data)[1]


@pytest.mark.django_db
def test_a_bad_request_issues_no_code_and_the_language_can_be_chosen(api):
    event = printed_event()
    devices = device_setup(event)
    before = dict(Device.objects.filter(event=event).values_list("device_id", "pairing_code"))
    assert_error(api.get(f"/api/v1/events/{event.event_id}/pairing-sheet.pdf", {"language": "fr"}), 400, "invalid")
    assert dict(Device.objects.filter(event=event).values_list("device_id", "pairing_code")) == before
    r = api.get(f"/api/v1/events/{event.event_id}/pairing-sheet.pdf", {"language": "en"})
    text = flat(" ".join(page_texts(r.content)))
    assert "Device pairing sheet" in text and "Box office" in text and devices["fresh"].device.name in text


@pytest.mark.django_db
def test_nothing_to_pair_is_one_page_that_says_so(api):
    event = printed_event()
    data = pdf(api, event, "pairing-sheet.pdf")  # no device at all yet
    assert page_codes(data) == [[]] and "Ningún dispositivo espera vincularse" in flat(page_texts(data)[0])
    cp = event_services.create_checkpoint(event_id=event.event_id, name="Puerta")
    pair_device(pairing_code=create_device(event_id=event.event_id, name="Móvil",
                                           checkpoint_id=cp.checkpoint_id).pairing_code)
    data = pdf(api, event, "pairing-sheet.pdf", language="en")  # every device paired
    assert page_codes(data) == [[]] and "No device is waiting to be paired" in flat(page_texts(data)[0])
    assert_error(api.get("/api/v1/events/nope/pairing-sheet.pdf"), 404, "not_found")


@pytest.mark.django_db(transaction=True)
def test_sheets_printed_at_once_agree_on_each_code():
    """Two sheets at once, each device's code expired: both sheets print the same new codes (the
    device rows are locked, and the second sees the first's codes as fresh), and the database
    holds those codes."""
    event = printed_event()
    cp = event_services.create_checkpoint(event_id=event.event_id, name="Puerta")
    for i in range(5):
        create_device(event_id=event.event_id, name=f"Móvil {i}", checkpoint_id=cp.checkpoint_id)
    for attempt in range(3):
        Device.objects.filter(event=event).update(pairing_expires_at=timezone.now() - timedelta(seconds=1))
        results = run_concurrently(lambda: codes_for_pairing_sheet(event_id=event.event_id), [(), (), ()])
        assert not [r for r in results if isinstance(r, BaseException)], results
        sheets = [{e.device.device_id: e.pairing_code for e in r.entries} for r in results]
        assert sheets[0] == sheets[1] == sheets[2]
        assert sheets[0] == dict(Device.objects.filter(event=event).values_list("device_id", "pairing_code"))
        assert sum(e.issued for r in results for e in r.entries) == 5  # each device renewed once
