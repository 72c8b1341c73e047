"""A person reads an alert in their own language (issue 16 item 4): the alerts API and the
dashboard's snapshot follow the request's language, the admin its page's, the live push the
event's; the kind, data and ids never change. Alerts stored before the words were kept as a key
and values read their English in every language, as does one whose words no longer render.

The alerts here are raised by their real code paths (a full zone, a revoked phone); the expected
Spanish is written out, so a catalogue that lost an entry fails too."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import Client
from django.utils import timezone, translation

from access import services as access_services
from alerts.models import Alert
from alerts.services import raise_alert, revoked_device_attempt
from alerts.texts import TEXTS, AlertText, message_of, sentences
from alerts.vocabulary import AlertKind
from core import live
from devices.models import Device
from devices.services import revoke_device
from events import services as event_services
from live import anomalies
from tests.conftest import ZONES, code_for, make_device, sell
from tests.live.test_live_consumer import communicator, next_message, session_for
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db(transaction=True)

ES = {"HTTP_ACCEPT_LANGUAGE": "es-ES,es;q=0.9"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    anomalies.reset_rate_limits()
    yield
    live.flush()


def make(language: str):
    now = timezone.now()
    event = event_services.create_event(name="Gala", venue="Arena", timezone="Europe/Madrid", language=language,
                                        date_start=now + timedelta(hours=2), date_end=now + timedelta(hours=6))
    event_services.setup_zones(event_id=event.event_id, status=True, zones=list(ZONES))
    generate_tickets(event_id=event.event_id)
    return event


@pytest.fixture
def ev(transactional_db):
    return make("es")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("jefa", password="pw-jefa-123", is_staff=True, is_superuser=True)


def full_zone(event) -> Alert:
    """Zone A (5 seats) full: a zone_capacity alert from the real check."""
    door, _ = make_device(event, name="Norte 1")
    seats = [f"A-{n}" for n in range(1, 6)]
    sell(event, *seats)
    for seat in seats:
        access_services.scan(device=door, code=code_for(event, seat), direction="in", scan_id=uuid.uuid4())
    assert anomalies.check_zone_capacity(event.event_id, "A")
    return Alert.objects.get(event_id=event.event_id, kind=AlertKind.ZONE_CAPACITY)


def test_the_alerts_api_answers_in_the_request_language(ev, api):
    alert = full_zone(ev)
    old = raise_alert(event_id=ev.event_id, kind=AlertKind.DEVICE_SILENT, message="Phone 7 is silent.",
                      dedupe_key="before-words")  # as raised before alerts kept their words
    url = f"/api/v1/events/{ev.event_id}/alerts"
    es, en = api.get(url, **ES), api.get(url, **EN)
    assert es.status_code == en.status_code == 200 and es["Content-Language"] == "es"
    by_id_es = {a["id"]: a for a in es.json()["results"]}
    by_id_en = {a["id"]: a for a in en.json()["results"]}
    assert by_id_en[alert.pk]["message"].startswith("Zone Ringside is at 100.0% of capacity at ")
    assert by_id_es[alert.pk]["message"].startswith("La zona Ringside está al 100,0 % de su aforo a las ")
    assert "5 de 5 asientos ocupados." in by_id_es[alert.pk]["message"]
    for field in ("kind", "data", "created_at", "acknowledged", "event_id"):
        assert by_id_es[alert.pk][field] == by_id_en[alert.pk][field]
    assert by_id_es[old]["message"] == by_id_en[old]["message"] == "Phone 7 is silent."

    ack_es = api.post(f"/api/v1/alerts/{alert.pk}/acknowledge", **ES)
    assert ack_es.status_code == 200 and ack_es.json()["message"] == by_id_es[alert.pk]["message"]
    again_en = api.post(f"/api/v1/alerts/{alert.pk}/acknowledge", **EN)
    assert again_en.json()["message"] == by_id_en[alert.pk]["message"]


def test_the_dashboard_snapshot_and_the_admin_show_the_readers_language(ev, staff):
    alert = full_zone(ev)
    client = Client()
    client.force_login(staff)
    snapshot = client.get(f"/dashboard/events/{ev.event_id}/snapshot.json", **ES).json()
    [shown] = [a for a in snapshot["alerts"] if a["id"] == alert.pk]
    assert shown["message"].startswith("La zona Ringside está al 100,0 %")
    snapshot = client.get(f"/dashboard/events/{ev.event_id}/snapshot.json", **EN).json()
    assert [a for a in snapshot["alerts"] if a["id"] == alert.pk][0]["message"].startswith("Zone Ringside is at")

    # The admin: the alert's name (title, breadcrumbs) is its kind and words, in the page's language.
    page = client.get(f"/admin/alerts/alert/{alert.pk}/change/", **ES).content.decode()
    assert "Aforo de zona: La zona Ringside está al 100,0 %" in page
    page = client.get(f"/admin/alerts/alert/{alert.pk}/change/", **EN).content.decode()
    assert "Zone capacity: Zone Ringside is at 100.0%" in page


@pytest.mark.parametrize("language, expected", [
    ("es", "El dispositivo revocado Perdido en Gate Perdido intentó conectarse a las "),
    ("en", "Revoked device Perdido at Gate Perdido tried to connect at "),
])
def test_the_live_push_is_in_the_events_language(transactional_db, staff, language, expected):
    """Made once for every dashboard, before anyone reads it: in the event's language (its staff's).
    A dashboard that loads its snapshot again gets the words in its own."""
    event = make(language)
    lost, _ = make_device(event, name="Perdido")
    revoke_device(device_id=lost.device_id)
    lost = Device.objects.select_related("checkpoint").get(pk=lost.pk)

    session = session_for(staff)

    async def body():
        comm = communicator(event.event_id, session=session)
        assert (await comm.connect())[0]
        try:
            await next_message(comm, "snapshot")
            with translation.override("es" if language == "en" else "en"):  # whatever the raiser's language
                await sync_to_async(revoked_device_attempt)(lost, path="/api/v1/scan")
            pushed = await next_message(comm, "alert")
            assert pushed["kind"] == AlertKind.REVOKED_DEVICE and pushed["message"].startswith(expected)
            assert pushed["data"]["device_id"] == lost.device_id and lost.device_id not in pushed["message"]
        finally:
            await comm.disconnect()
    async_to_sync(body)()


def test_words_that_no_longer_render_fall_back_to_the_stored_english(ev):
    alert_id = raise_alert(event_id=ev.event_id, kind=AlertKind.DEVICE_SILENT, dedupe_key="x",
                           message=AlertText("silent.heard", device="Norte 1", at="21:30:05 (UTC+01:00)", minutes=3))
    alert = Alert.objects.get(pk=alert_id)
    assert alert.message == "Device Norte 1 is silent: last heard at 21:30:05 (UTC+01:00), 3 min ago."
    assert alert.text == {"key": "silent.heard",
                          "params": {"device": "Norte 1", "at": "21:30:05 (UTC+01:00)", "minutes": 3}}
    with translation.override("es"):
        assert alert.words() == "El dispositivo Norte 1 no da señal: la última fue a las 21:30:05 (UTC+01:00), hace 3 min."
        # A key removed since, or a value it no longer gets: the English it was raised with.
        assert message_of({"key": "gone.since", "params": {}}, alert.message) == alert.message
        assert message_of({"key": "silent.heard", "params": {"device": "Norte 1"}}, alert.message) == alert.message
        assert message_of({}, "stored") == "stored"


def test_every_text_renders_in_every_language_with_plurals():
    """Each of TEXTS renders in both languages with made-up values (a missing or misspelt
    placeholder in a translation would raise), and counts choose the right form."""
    values = {"device": "Norte 1", "gate": "Puerta 3", "at": "21:30 (UTC+01:00)", "seat": "A-1", "zone": "Pista",
              "admitted": "x", "refused": "y", "count": 1, "limit": 10, "oldest": "21:00 (UTC+01:00)", "minutes": 4,
              "cap": "z", "total": 100, "per_minute": 10, "window": 60, "reasons": "r", "pct": 97.5, "inside": 5,
              "seats": 5, "office": "Taquilla Norte", "why": "w", "reason": "r"}
    for key, template in TEXTS.items():
        for language in ("en", "es"):
            with translation.override(language):
                for count in (1, 2):
                    assert str(template % {**values, "count": count}), key
    one = AlertText("burst.refused", count=1, gate="Puerta 3", window=60, at="21:30 (UTC+01:00)",
                    reasons=[AlertText("reason.count", reason="ya está dentro", count=1)])
    two = AlertText("burst.refused", count=2, gate=AlertText("gate.unknown"), window=60, at="21:30 (UTC+01:00)",
                    reasons=[AlertText("reason.count", reason="a", count=1), AlertText("reason.count", reason="b", count=1)])
    with translation.override("es"):
        assert message_of(one.stored(), "") == ("1 lectura rechazada en Puerta 3 en los 60 s hasta las 21:30 "
                                                "(UTC+01:00); motivo más frecuente: ya está dentro (1).")
        assert message_of(two.stored(), "").startswith("2 lecturas rechazadas en una puerta en los 60 s")
        assert message_of(two.stored(), "").endswith("motivos más frecuentes: a (1), b (1).")
    both = sentences(AlertText("conflict.refused_first"), AlertText("conflict.check_seat"))
    assert both.english() == "The refused scan was made first: its phone uploaded late. Check who is in that seat."
    with pytest.raises(KeyError):
        AlertText("no.such.text")
