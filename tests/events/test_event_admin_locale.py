"""The event admin's new fields (issue 17, docs/adr/0024): time zone, currency and language;
dates typed and shown on the event's clock; zone prices; after generation, zone name, colour,
re-entry and price stay editable while zone code and seats are fixed and say why."""
import re
from datetime import datetime
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest

from events.models import Event, Zone
from tests.conftest import make_event
from tickets.models import Ticket
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db

ADD = "/admin/events/event/add/"


def event_form(**over):
    data = {
        "name": "Noche de boxeo", "venue": "Arena", "timezone": "Europe/Madrid",
        "date_start_0": "2026-12-05", "date_start_1": "21:30:00", "date_end_0": "2026-12-06", "date_end_1": "01:00:00",
        "doors_open_minutes": 720, "doors_close_minutes": 360, "currency": "EUR", "language": "es",
        "setup_status": "on",
        "zones-TOTAL_FORMS": 1, "zones-INITIAL_FORMS": 0, "zones-MIN_NUM_FORMS": 0, "zones-MAX_NUM_FORMS": 1000,
        "zones-0-zone_id": "A", "zones-0-name": "Pista", "zones-0-color": "#112233", "zones-0-seats": 4,
        "zones-0-price": "45.00",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def test_add_reads_the_typed_times_on_the_chosen_clock(admin_client):
    r = admin_client.post(ADD, event_form())
    assert r.status_code == 302, r.content.decode()[:3000]
    event = Event.objects.get(name="Noche de boxeo")
    assert (event.timezone, event.currency, event.language) == ("Europe/Madrid", "EUR", "es")
    assert event.date_start == datetime(2026, 12, 5, 20, 30, tzinfo=dt_timezone.utc)  # 21:30 in Madrid
    assert event.date_end == datetime(2026, 12, 6, 0, 0, tzinfo=dt_timezone.utc)
    assert [(z.zone_id, z.price) for z in event.zones.all()] == [("A", Decimal("45.00"))]


def test_add_without_the_new_fields_takes_the_defaults(admin_client):
    r = admin_client.post(ADD, event_form(timezone=None, currency=None, language=None, **{"zones-0-price": None}))
    assert r.status_code == 302, r.content.decode()[:3000]
    event = Event.objects.get(name="Noche de boxeo")
    assert (event.timezone, event.currency, event.language) == ("UTC", "EUR", "es")
    assert event.date_start == datetime(2026, 12, 5, 21, 30, tzinfo=dt_timezone.utc)
    assert event.zones.get().price == Decimal("0.00")


@pytest.mark.parametrize("field,value", [("timezone", "Mars/Base"), ("currency", "EUE"), ("language", "fr"),
                                         ("zones-0-price", "-5")])
def test_add_refuses_bad_values_in_plain_words(admin_client, field, value):
    r = admin_client.post(ADD, event_form(**{field: value}))
    assert r.status_code == 200 and not Event.objects.exists()
    assert "errorlist" in r.content.decode()


def test_the_change_page_shows_times_on_the_events_clock_and_saves_them_back(admin_client):
    admin_client.post(ADD, event_form())
    event = Event.objects.get(name="Noche de boxeo")
    page = admin_client.get(f"/admin/events/event/{event.pk}/change/").content.decode()
    assert 'value="21:30:00"' in page and 'value="2026-12-05"' in page
    # Saving the page unchanged keeps the instant; moving the event to Bogota keeps the wall clock.
    zone = event.zones.get()
    change = event_form(**{"zones-INITIAL_FORMS": 1, "zones-0-id": zone.pk, "zones-0-event": event.pk})
    assert admin_client.post(f"/admin/events/event/{event.pk}/change/", change).status_code == 302
    event.refresh_from_db()
    assert event.date_start == datetime(2026, 12, 5, 20, 30, tzinfo=dt_timezone.utc)
    change["timezone"] = "America/Bogota"
    assert admin_client.post(f"/admin/events/event/{event.pk}/change/", change).status_code == 302
    event.refresh_from_db()
    assert event.date_start == datetime(2026, 12, 6, 2, 30, tzinfo=dt_timezone.utc)  # 21:30 in Bogota


def test_the_event_list_shows_local_start_times(admin_client):
    admin_client.post(ADD, event_form())
    assert "2026-12-05 21:30 (UTC+01:00)" in admin_client.get("/admin/events/event/").content.decode()


def _change_after_generation(event, zones, **over):
    data = {
        "name": event.name, "venue": event.venue, "timezone": event.timezone,
        "date_start_0": event.date_start.strftime("%Y-%m-%d"), "date_start_1": event.date_start.strftime("%H:%M:%S"),
        "date_end_0": event.date_end.strftime("%Y-%m-%d"), "date_end_1": event.date_end.strftime("%H:%M:%S"),
        "doors_open_minutes": 720, "doors_close_minutes": 360, "currency": "EUR", "language": "es",
        "setup_status": "on",
        "zones-TOTAL_FORMS": len(zones), "zones-INITIAL_FORMS": len(zones), "zones-MIN_NUM_FORMS": 0,
        "zones-MAX_NUM_FORMS": 1000,
    }
    for i, z in enumerate(zones):
        data.update({f"zones-{i}-id": z.pk, f"zones-{i}-event": event.pk, f"zones-{i}-name": z.name,
                     f"zones-{i}-color": z.color, f"zones-{i}-price": f"{z.price:.2f}"})
        if z.reentry:
            data[f"zones-{i}-reentry"] = "on"
    data.update(over)
    return data


def test_after_generation_zone_settings_stay_editable_and_identity_is_fixed(admin_client):
    event = make_event()
    generate_tickets(event_id=event.event_id)
    url = f"/admin/events/event/{event.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "zone codes and seat counts are fixed" in page
    assert 'name="zones-0-name"' in page and 'name="zones-0-price"' in page and 'name="zones-0-color"' in page
    assert 'name="zones-0-zone_id"' not in page and 'name="zones-0-seats"' not in page
    assert "each ticket is named after its zone code and seat number" in page
    zones = list(event.zones.all())
    data = _change_after_generation(event, zones, **{"zones-0-name": "Pista", "zones-0-price": "45.00",
                                                     "zones-0-seats": 999, "zones-0-zone_id": "Q"})
    r = admin_client.post(url, data)
    assert r.status_code == 302, r.content.decode()[:3000]
    a = Zone.objects.get(pk=zones[0].pk)
    assert (a.zone_id, a.name, a.seats, a.price) == ("A", "Pista", 5, Decimal("45.00"))
    assert set(Ticket.objects.filter(event=event, zone_id="A").values_list("zone", flat=True)) == {"Pista"}
    assert Ticket.objects.filter(event=event).count() == 15
    follow = admin_client.get(url).content.decode()
    assert re.search(r'name="zones-0-price"[^>]*value="45.00"', follow)
