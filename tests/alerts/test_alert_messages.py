"""Every alert reads as words a person can act on (../shared/STYLE.md, issue 16 items 4 and 6): it
names the device, its gate and the seat, says when on the event's own clock with the UTC offset,
and carries no internal id or reason code in its message, in English and in Spanish; `data` keeps
the ids for machines.

Each alert is raised by its real code path (offline sync, revoked phone, anomaly checks, box
office upload) for an event in Asia/Kolkata (UTC+05:30 all year, so the expected wall clock does
not depend on the date); the expected times are computed here with zoneinfo, not with the code
under test."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from access import services as access_services
from access.models import Scan
from access.sync import sync_scans
from access.vocabulary import Reason
from alerts.models import Alert
from alerts.services import revoked_device_attempt
from alerts.vocabulary import AlertKind
from devices.models import Device
from devices.services import record_heartbeat, revoke_device
from events import services as event_services
from live import anomalies
from offices import services as office_services
from offices.vocabulary import SaleReason
from tests.conftest import ZONES, code_for, make_device, sell
from tickets.models import Ticket
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db(transaction=True)

ZONE = "Asia/Kolkata"
OFFSET = "(UTC+05:30)"
CODES = {*Reason.values, *SaleReason.values, *AlertKind.values}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    anomalies.reset_rate_limits()


@pytest.fixture
def ev(transactional_db):
    now = timezone.now()
    event = event_services.create_event(name="Noche de Campeones", venue="Arena", timezone=ZONE,
                                        date_start=now + timedelta(hours=2), date_end=now + timedelta(hours=6))
    event_services.setup_zones(event_id=event.event_id, status=True, zones=list(ZONES))
    generate_tickets(event_id=event.event_id)
    return event


def clock(at, *, seconds=True) -> str:
    return at.astimezone(ZoneInfo(ZONE)).strftime("%H:%M:%S" if seconds else "%H:%M") + f" {OFFSET}"


def words(alert: Alert, language: str) -> str:
    """The alert as a reader in `language` gets it (the row read back, as the API and admin do)."""
    with translation.override(language):
        return Alert.objects.get(pk=alert.pk).words()


def assert_readable(alert: Alert, *ids: str) -> str:
    """No internal id, no reason or alert code, no ISO instant and no UTC clock in the words, in
    either language; the Spanish is not the English. Returns the English, which `message` keeps."""
    english, spanish = words(alert, "en"), words(alert, "es")
    assert english == alert.message and spanish != english, (english, spanish)
    for message in (english, spanish):
        for value in ids:
            assert value and value not in message, f"{value!r} in {message!r}"
        for code in CODES:
            assert not re.search(rf"\b{code}\b", message), f"code {code!r} in {message!r}"
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", message), message  # no ISO 8601
        assert "(UTC+00:00)" not in message
    return english


def only_alert(event, kind) -> Alert:
    [alert] = Alert.objects.filter(event_id=event.event_id, kind=kind)
    return alert


def test_offline_conflict_names_the_seat_both_phones_their_gates_and_the_local_times(ev):
    north, _ = make_device(ev, name="North 1")
    south, _ = make_device(ev, name="South 2")
    [ticket_id] = sell(ev, "A-1")
    assert access_services.scan(device=north, code=code_for(ev, "A-1"), direction="in",
                                scan_id=uuid.uuid4()).accepted
    scanned_at = timezone.now() - timedelta(seconds=30)
    outcome = sync_scans(device=south, scans=[
        {"code": code_for(ev, "A-1"), "direction": "in", "scan_id": uuid.uuid4(), "scanned_at": scanned_at}])
    assert outcome.summary["conflicts"] == 1

    alert = only_alert(ev, AlertKind.OFFLINE_CONFLICT)
    admitted = Scan.objects.get(device=north, result="accepted")
    refused = Scan.objects.get(device=south)
    message = assert_readable(alert, north.device_id, south.device_id, north.checkpoint_id, south.checkpoint_id,
                              ticket_id, str(admitted.scan_id), str(refused.scan_id))
    assert "Seat A-1 (Ringside)" in message
    assert "North 1 at Gate North 1 admitted it online at " + clock(admitted.server_time) in message
    assert "; South 2 at Gate South 2 scanned it offline at " + clock(refused.effective_at) in message
    assert "refused (already inside)" in message
    assert words(alert, "es") == (
        f"Puede que hayan entrado dos personas con el asiento A-1 (Ringside): North 1 en Gate North 1 la admitió "
        f"en línea a las {clock(admitted.server_time)}; South 2 en Gate South 2 la leyó sin conexión a las "
        f"{clock(refused.effective_at)} y fue rechazada (ya está dentro). La lectura rechazada se hizo antes: su "
        "teléfono la subió tarde. Compruebe quién ocupa ese asiento.")
    # Machines still get every id.
    assert alert.data["ticket_id"] == ticket_id and alert.data["accepted"]["device_id"] == north.device_id
    assert alert.data["rejected"]["reason"] == Reason.ALREADY_INSIDE


def test_late_upload_names_the_phone_its_gate_and_when_the_oldest_scan_was_made(ev):
    phone, _ = make_device(ev, name="East 3")
    sell(ev, "B-1", "B-2")
    oldest = timezone.now() - timedelta(minutes=47)
    sync_scans(device=phone, scans=[
        {"code": code_for(ev, "B-1"), "direction": "in", "scan_id": uuid.uuid4(), "scanned_at": oldest},
        {"code": code_for(ev, "B-2"), "direction": "in", "scan_id": uuid.uuid4(),
         "scanned_at": oldest + timedelta(minutes=5)}])

    alert = only_alert(ev, AlertKind.LATE_UPLOAD)
    message = assert_readable(alert, phone.device_id, phone.checkpoint_id)
    assert message.startswith("East 3 at Gate East 3 uploaded 2 scans made offline")
    effective = Scan.objects.filter(device=phone).order_by("effective_at").first().effective_at
    assert f"the oldest was made at {clock(effective)}, 47 min earlier" in message
    assert words(alert, "es").startswith("East 3 en Gate East 3 subió 2 lecturas hechas sin conexión más de ")
    assert f"la más antigua se hizo a las {clock(effective)}, 47 min antes." in words(alert, "es")
    assert alert.data["device_id"] == phone.device_id and alert.data["count"] == 2


def test_a_revoked_phones_upload_and_connection_attempts_name_it_and_its_gate(ev, settings):
    lost, token = make_device(ev, name="West 4")
    sell(ev, "A-2", "A-3", "A-4")
    revoke_device(device_id=lost.device_id)
    lost = Device.objects.select_related("checkpoint").get(pk=lost.pk)
    before = timezone.now()
    sync_scans(device=lost, scans=[
        {"code": code_for(ev, "A-2"), "direction": "in", "scan_id": uuid.uuid4(), "scanned_at": before}])
    settings.REVOKED_EVIDENCE_TOTAL = 2  # the next upload passes the cap
    sync_scans(device=lost, scans=[
        {"code": code_for(ev, s), "direction": "in", "scan_id": uuid.uuid4(), "scanned_at": before}
        for s in ("A-3", "A-4")])
    revoked_device_attempt(lost, path="/api/v1/scan")
    after = timezone.now()

    alerts = list(Alert.objects.filter(event_id=ev.event_id, kind=AlertKind.REVOKED_DEVICE).order_by("id"))
    # The second upload stores one more scan (its evidence alert is the first one's, same minute)
    # and drops the other: the cap alert.
    assert [("evidence_cap" in a.data, "path" in a.data) for a in alerts] == [
        (False, False), (True, False), (False, True)]
    quarantined, capped, attempt = alerts
    moments = {clock(before), clock(after)}  # the alert says when it happened; a second may tick over
    for alert in alerts:
        message = assert_readable(alert, lost.device_id, lost.checkpoint_id, token)
        assert "West 4 at Gate West 4" in message
        assert any(m in message for m in moments), (message, moments)
    assert "uploaded 1 offline scan at" in quarantined.message and "not applied" in quarantined.message
    assert "evidence is capped at its total of 2" in capped.message
    assert "las pruebas se limitan a un total de 2" in words(capped, "es")
    assert words(quarantined, "es").startswith("El dispositivo revocado West 4 en Gate West 4 subió 1 lectura sin "
                                               "conexión a las ")
    assert attempt.message.startswith("Revoked device West 4 at Gate West 4 tried to connect at ")
    assert attempt.data["device_id"] == lost.device_id


@pytest.mark.parametrize("forged", [False, True])
def test_bursts_at_a_gate_name_it_and_say_why_in_words(ev, settings, forged):
    settings.ANOMALY_REJECTED_BURST = 3
    settings.ANOMALY_INVALID_SIGNATURE_BURST = 3
    door, _ = make_device(ev, name="North 1")
    sell(ev, "A-1")
    access_services.scan(device=door, code=code_for(ev, "A-1"), direction="in", scan_id=uuid.uuid4())
    codes = ["forged-1", "forged-2", "forged-3"] if forged else [code_for(ev, "A-1")] * 2 + ["forged-1"]
    before = timezone.now()
    for code in codes:
        access_services.scan(device=door, code=code, direction="in", scan_id=uuid.uuid4())
    anomalies.check_checkpoint(ev.event_id, door.checkpoint_id)

    if forged:
        alert = only_alert(ev, AlertKind.INVALID_SIGNATURE_BURST)
        assert alert.message.startswith("3 codes with an invalid signature at Gate North 1 in the 60 s up to ")
    else:
        alert = only_alert(ev, AlertKind.REJECTED_BURST)
        assert alert.message.startswith("3 scans refused at Gate North 1 in the 60 s up to ")
        assert "most often: already inside (2), not a valid ticket (fake or damaged code) (1)." in alert.message
        assert "motivos más frecuentes: ya está dentro (2), entrada no válida (código falso o dañado) (1)." \
            in words(alert, "es")
        assert alert.data["reasons"] == {"already_inside": 2, "invalid_signature": 1}
    message = assert_readable(alert, door.checkpoint_id, door.device_id)
    assert clock(before)[:5] in message and OFFSET in message  # HH:MM of now, on the event's clock


def test_a_full_zone_and_a_silent_phone_are_named_with_local_times(ev, settings):
    settings.ANOMALY_DEVICE_SILENT_S = 120
    door, _ = make_device(ev, name="South 2")
    sell(ev, "A-1", "A-2", "A-3", "A-4", "A-5")
    for seat in ("A-1", "A-2", "A-3", "A-4", "A-5"):
        access_services.scan(device=door, code=code_for(ev, seat), direction="in", scan_id=uuid.uuid4())
    heard = timezone.now() - timedelta(minutes=20)
    record_heartbeat(device=door, device_time=timezone.now())
    Device.objects.filter(pk=door.pk).update(last_seen_at=heard)  # its last heartbeat, 20 minutes ago
    anomalies.check_zone_capacity(ev.event_id, "A")
    anomalies.check_devices(ev.event_id)

    full = only_alert(ev, AlertKind.ZONE_CAPACITY)
    assert full.message.startswith("Zone Ringside is at 100.0% of capacity at ")
    assert words(full, "es").startswith("La zona Ringside está al 100,0 % de su aforo a las ")  # a decimal comma
    assert "5 of 5 seats taken" in assert_readable(full) and OFFSET in full.message
    silent = only_alert(ev, AlertKind.DEVICE_SILENT)
    message = assert_readable(silent, door.device_id, door.checkpoint_id)
    assert message == f"Device South 2 at Gate South 2 is silent: last heard at {clock(heard)}, 20 min ago."
    assert words(silent, "es") == (f"El dispositivo South 2 en Gate South 2 no da señal: la última fue a las "
                                   f"{clock(heard)}, hace 20 min.")
    assert silent.data["device_id"] == door.device_id


def test_an_office_conflict_names_the_office_the_seat_and_the_local_sale_time(ev):
    office = office_services.create_office(event_id=ev.event_id, name="Taquilla Norte").office
    free = list(Ticket.objects.filter(event=ev, seat_id__in=["B-3", "B-4"]).order_by("seat_id")
                .values_list("ticket_id", flat=True))
    office_services.assign_tickets(office_id=office.office_id, ticket_ids=free[:1])
    sold_at = timezone.now() - timedelta(minutes=10)
    result = office_services.sync_sales(office=office, sales=[
        office_services.SaleIn(sale_id=uuid.uuid4(), ticket_id=free[1], sold_at=sold_at),  # not its seat
        office_services.SaleIn(sale_id=uuid.uuid4(), ticket_id="no-such-ticket", sold_at=sold_at)])
    assert [r["reason"] for r in result.results] == [SaleReason.NOT_ASSIGNED] * 2

    not_ours, unknown = Alert.objects.filter(event_id=ev.event_id, kind=AlertKind.OFFICE_CONFLICT).order_by("id")
    day = sold_at.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%d %H:%M")
    message = assert_readable(not_ours, office.office_id, free[1])
    assert message == (f"Box office Taquilla Norte sold seat B-4 on {day} {OFFSET}, but the sale was refused: "
                       "seat not assigned to this office. Money was taken without a valid ticket: "
                       "refund or re-seat the buyer.")
    assert words(not_ours, "es") == (f"La taquilla Taquilla Norte vendió el asiento B-4 el {day} {OFFSET}, pero la "
                                     "venta se rechazó: asiento no asignado a esta taquilla. Se cobró sin una entrada "
                                     "válida: devuelva el dinero o reubique al comprador.")
    message = assert_readable(unknown, office.office_id, "no-such-ticket")
    assert "sold a ticket on " in message and "this event has no such ticket" in message
    assert not_ours.data["ticket_id"] == free[1] and not_ours.data["reason"] == SaleReason.NOT_ASSIGNED


def test_every_reason_has_words_in_every_language():
    """An alert names a reason by its label (access.vocabulary), never by its code."""
    from access.sync_alerts import reason_words

    for language in ("en", "es"):
        with translation.override(language):
            said = {reason: str(reason_words(reason)) for reason in Reason.values}
        assert not set(said.values()) & set(Reason.values), said
        assert all(" " in text for text in said.values()), said
        assert len(set(said.values())) == len(said), said
    with translation.override("es"):
        assert str(reason_words(Reason.ALREADY_INSIDE)) == "ya está dentro"
        assert str(reason_words(None)) == "rechazado"

