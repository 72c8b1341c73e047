"""An event's time zone, currency and language, and the zones' prices (issue 17, docs/adr/0024):
API in and out, validation (400 with field errors, nothing written), the database CHECKs tried
with raw SQL, the people-facing time format, and zone settings that stay editable after
generation."""
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from core.errors import InvalidInput, NotFound
from core.localtime import format_local, is_time_zone
from events import services
from events.models import Event, Zone
from tests.events.test_api import EVENT, ZONES, assert_error, create
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def sql(statement, params=None):
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement, params or [])


# --------------------------------------------------------------------------- event locale (API)

def test_defaults_are_utc_eur_and_spanish(api):
    body = create(api)
    assert (body["timezone"], body["currency"], body["language"]) == ("UTC", "EUR", "es")


def test_locale_round_trips_through_create_detail_and_list(api):
    body = create(api, timezone="Europe/Madrid", currency="USD", language="en")
    assert (body["timezone"], body["currency"], body["language"]) == ("Europe/Madrid", "USD", "en")
    got = api.get(f"/api/v1/events/{body['event_id']}").json()
    assert (got["timezone"], got["currency"], got["language"]) == ("Europe/Madrid", "USD", "en")
    listed = next(e for e in api.get("/api/v1/events").json()["results"] if e["event_id"] == body["event_id"])
    assert (listed["timezone"], listed["currency"], listed["language"]) == ("Europe/Madrid", "USD", "en")
    event = Event.objects.get(pk=body["event_id"])
    assert (event.timezone, event.currency, event.language) == ("Europe/Madrid", "USD", "en")
    # API times stay instants with an offset, whatever the event's zone.
    assert datetime.fromisoformat(got["date_start"]) == datetime.fromisoformat(EVENT["date_start"])


@pytest.mark.parametrize("payload,field", [
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"timezone": "europe/madrid"}, "timezone"),
    ({"timezone": ""}, "timezone"),
    ({"timezone": "x" * 65}, "timezone"),
    ({"timezone": 5}, "timezone"),
    ({"currency": "EUE"}, "currency"),
    ({"currency": "eur"}, "currency"),
    ({"currency": "EURO"}, "currency"),
    ({"currency": "XXX"}, "currency"),  # ISO's "no currency": nobody sells a ticket in it
    ({"language": "fr"}, "language"),
    ({"language": ["es"]}, "language"),
])
def test_bad_locale_is_400_with_a_field_error_and_writes_nothing(api, payload, field):
    body = assert_error(api.post("/api/v1/events", {**EVENT, **payload}, format="json"), 400, "invalid")
    assert field in body["error"]["fields"], body
    assert not Event.objects.exists()


def test_the_service_checks_the_locale_too():
    now = datetime.now(dt_timezone.utc)
    for bad in ({"timezone": "Nowhere/City"}, {"currency": "ABC"}, {"language": "de"}):
        with pytest.raises(InvalidInput) as caught:
            services.create_event(name="x", date_start=now, date_end=now + timedelta(hours=1), **bad)
        assert set(caught.value.fields) == set(bad)
    assert not Event.objects.exists()


def test_currency_cannot_change_once_a_ticket_is_sold(generated_event):
    from tests.conftest import sell

    kept = dict(name=generated_event.name, venue=generated_event.venue, date_start=generated_event.date_start,
                date_end=generated_event.date_end, doors_open_minutes=720, doors_close_minutes=360)
    assert services.update_event(event_id=generated_event.event_id, currency="USD", **kept).currency == "USD"
    sell(generated_event, "A-1")
    with pytest.raises(InvalidInput) as caught:
        services.update_event(event_id=generated_event.event_id, currency="GBP", **kept)
    assert "currency" in caught.value.fields
    # The rest still changes, and re-sending the same currency is no change.
    event = services.update_event(event_id=generated_event.event_id, currency="USD", timezone="America/Bogota",
                                  language="en", **kept)
    assert (event.currency, event.timezone, event.language) == ("USD", "America/Bogota", "en")


# --------------------------------------------------------------------------- database guards

@pytest.mark.parametrize("column,value,constraint", [
    ("timezone", "", "event_timezone_format"),
    ("timezone", "Europe/Madrid; DROP", "event_timezone_format"),
    ("timezone", "/etc/passwd", "event_timezone_format"),
    ("currency", "eur", "event_currency_iso4217"),
    ("currency", "EU", "event_currency_iso4217"),
    ("language", "fr", "event_language_known"),
])
def test_event_checks_refuse_raw_sql(event, column, value, constraint):
    with pytest.raises(IntegrityError, match=constraint):
        sql(f"UPDATE events_event SET {column} = %s WHERE event_id = %s", [value, event.event_id])


def test_zone_price_cannot_be_negative_in_the_database(event):
    with pytest.raises(IntegrityError, match="zone_price_not_negative"):
        sql("UPDATE events_zone SET price = -0.01 WHERE event_id = %s", [event.event_id])
    sql("UPDATE events_zone SET price = 0 WHERE event_id = %s", [event.event_id])  # free is a price


# --------------------------------------------------------------------------- times for people

@pytest.mark.parametrize("instant,zone,text", [
    ("2026-12-05T20:30:00+00:00", "Europe/Madrid", "2026-12-05 21:30 (UTC+01:00)"),
    ("2026-07-05T19:30:00+00:00", "Europe/Madrid", "2026-07-05 21:30 (UTC+02:00)"),  # summer time
    ("2026-12-05T20:30:00+00:00", "UTC", "2026-12-05 20:30 (UTC+00:00)"),
    ("2026-12-06T02:30:00+00:00", "America/Bogota", "2026-12-05 21:30 (UTC-05:00)"),
    ("2026-12-05T16:00:00+00:00", "Asia/Kolkata", "2026-12-05 21:30 (UTC+05:30)"),
    ("2026-12-05T21:30:00+01:00", "Europe/Madrid", "2026-12-05 21:30 (UTC+01:00)"),
])
def test_format_local_shows_the_events_wall_clock_and_offset(instant, zone, text):
    assert format_local(datetime.fromisoformat(instant), zone) == text


def test_format_local_edges():
    at = datetime(2026, 12, 5, 20, 30, tzinfo=dt_timezone.utc)
    assert format_local(at, "Europe/Madrid", offset=False) == "2026-12-05 21:30"
    assert format_local(at, "Europe/Madrid", fmt="%d/%m/%Y %H:%M") == "05/12/2026 21:30 (UTC+01:00)"
    assert format_local(None, "Europe/Madrid") == ""
    with pytest.raises(ValueError):
        format_local(datetime(2026, 12, 5, 20, 30), "Europe/Madrid")  # naive: which instant?
    with pytest.raises(ValueError):
        format_local(at, "Mars/Olympus_Mons")
    assert is_time_zone("Europe/Madrid") and is_time_zone("UTC") and not is_time_zone("Madrid")


# --------------------------------------------------------------------------- zone prices (API)

def zones_url(event_id):
    return f"/api/v1/events/{event_id}/setup/zones"


def test_zone_price_through_the_setup_put(api):
    event_id = create(api)["event_id"]
    priced = {**ZONES, "zones": [{**ZONES["zones"][0], "price": "45.00"}, {**ZONES["zones"][1], "price": 12.5}]}
    r = api.put(zones_url(event_id), priced, format="json")
    assert r.status_code == 200, r.content
    assert [z["price"] for z in r.json()["zones"]] == ["45.00", "12.50"]
    assert [z["price"] for z in api.get(f"/api/v1/events/{event_id}").json()["zones"]] == ["45.00", "12.50"]
    # A client that knows nothing of prices re-sends the zones to close the gate: prices stay.
    closed = api.put(zones_url(event_id), {**ZONES, "status": False}, format="json").json()
    assert [z["price"] for z in closed["zones"]] == ["45.00", "12.50"]
    # A zone without a price is free (0.00), as a decimal string.
    fresh = create(api)["event_id"]
    assert [z["price"] for z in api.put(zones_url(fresh), ZONES, format="json").json()["zones"]] == ["0.00", "0.00"]


@pytest.mark.parametrize("price", ["-1", "-0.01", "1.234", "abc", "NaN", "Infinity", "123456789.00", True, [], {}])
def test_bad_zone_price_is_400_and_writes_nothing(api, price):
    event_id = create(api)["event_id"]
    zones = {**ZONES, "zones": [{**ZONES["zones"][0], "price": price}]}
    body = assert_error(api.put(zones_url(event_id), zones, format="json"), 400, "invalid")
    assert "zones" in body["error"]["fields"]
    assert not Zone.objects.filter(event_id=event_id).exists()


def test_after_generation_the_put_still_refuses_a_new_price(api):
    event_id = create(api)["event_id"]
    api.put(zones_url(event_id), ZONES, format="json")
    assert api.post(f"/api/v1/events/{event_id}/tickets/generate").status_code == 201
    changed = {**ZONES, "zones": [{**z, "price": "10.00"} for z in ZONES["zones"]]}
    assert_error(api.put(zones_url(event_id), changed, format="json"), 409, "zones_locked")
    same = {**ZONES, "zones": [{**z, "price": "0.00"} for z in ZONES["zones"]]}
    assert api.put(zones_url(event_id), same, format="json").status_code == 200


# --------------------------------------------------------------------------- update_zone

def test_update_zone_after_generation_changes_what_does_not_touch_seat_identity(generated_event):
    from tests.conftest import sell

    event_id = generated_event.event_id
    sell(generated_event, "A-1")
    before = dict(Ticket.objects.filter(event=generated_event, zone_id="A").values_list("seat_id", "version"))
    result = services.update_zone(event_id=event_id, zone_id="A", name="Pista", color="#1a2b3c", reentry=True,
                                  price=Decimal("60"))
    assert result.changes == {"name": ["Ringside", "Pista"], "color": ["#C0392B", "#1A2B3C"],
                              "reentry": [False, True], "price": [Decimal("0.00"), Decimal("60.00")]}
    assert result.tickets_updated == 5
    zone = Zone.objects.get(event=generated_event, zone_id="A")
    assert (zone.name, zone.color, zone.reentry, zone.price, zone.seats) == ("Pista", "#1A2B3C", True, Decimal("60.00"), 5)
    tickets = list(Ticket.objects.filter(event=generated_event, zone_id="A"))
    assert {(t.zone, t.color) for t in tickets} == {("Pista", "#1A2B3C")}
    assert all(t.version > before[t.seat_id] for t in tickets)  # new versions: the mirror and phones follow
    # The sold ticket keeps the price it was sold at; zone B is untouched.
    assert Ticket.objects.get(event=generated_event, seat_id="A-1").price == Decimal("0.00")
    assert set(Ticket.objects.filter(event=generated_event, zone_id="B").values_list("zone", flat=True)) == {"General"}
    # A price-only change rewrites no ticket.
    assert services.update_zone(event_id=event_id, zone_id="A", price="61.00").tickets_updated == 0
    assert services.update_zone(event_id=event_id, zone_id="A", price="61.00").changes == {}


def test_update_zone_refuses_bad_values_and_unknown_zones(event):
    for bad in ({"name": ""}, {"name": "x" * 101}, {"color": "red"}, {"reentry": "yes"}, {"price": "-1"},
                {"price": "0.001"}, {"price": 1.5}):
        with pytest.raises(InvalidInput):
            services.update_zone(event_id=event.event_id, zone_id="A", **bad)
    with pytest.raises(NotFound):
        services.update_zone(event_id=event.event_id, zone_id="Z", price="1.00")
    with pytest.raises(NotFound):
        services.update_zone(event_id="nope", zone_id="A", price="1.00")
    assert Zone.objects.get(event=event, zone_id="A").name == "Ringside"


@pytest.mark.django_db(transaction=True)
def test_a_failing_ticket_copy_rolls_the_zone_change_back(generated_event):
    """The zone row and the tickets' copies change together or not at all: another transaction
    holds one of the zone's tickets, the copy gives up waiting (lock_timeout), and the zone's
    name is unchanged too."""
    import threading

    from django.db import OperationalError

    locked, release = threading.Event(), threading.Event()

    def hold_one_ticket():
        try:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("SELECT id FROM tickets_ticket WHERE event_id = %s AND zone_id = 'A' ORDER BY id DESC "
                            "LIMIT 1 FOR UPDATE", [generated_event.event_id])
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_one_ticket)
    holder.start()
    try:
        assert locked.wait(30)
        with connection.cursor() as cur:
            cur.execute("SET lock_timeout = '300ms'")
        with pytest.raises(OperationalError, match="lock timeout"):
            services.update_zone(event_id=generated_event.event_id, zone_id="A", name="Pista")
    finally:
        with connection.cursor() as cur:
            cur.execute("RESET lock_timeout")
        release.set()
        holder.join(30)
    assert Zone.objects.get(event=generated_event, zone_id="A").name == "Ringside"
    assert set(Ticket.objects.filter(event=generated_event, zone_id="A").values_list("zone", flat=True)) == {"Ringside"}
