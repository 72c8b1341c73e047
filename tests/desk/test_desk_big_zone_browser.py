"""A zone of 5,000 seats at the sales desk, in Chromium: the map shows it a part at a time (never
5,000 buttons), counts each part's free seats live, finds N seats side by side and a seat by its
number, and another sale's hold still shows at once, on the map and in the parts' counts."""
from __future__ import annotations

from decimal import Decimal

import pytest

from events.models import Event
from events.services import ZoneSpec
from tests.conftest import make_event
from tests.desk.conftest import screenshot
from tests.desk.pages import PASSWORD, Desk, tid
from tickets import holds
from tickets.services import generate_tickets, sell_tickets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FLOOR = 5000


def big_event():
    event = make_event(name="Concierto de Verano", zones=[
        ZoneSpec(zone_id="P", name="Pista", color="#16A085", seats=FLOOR, price=Decimal("30.00")),
        ZoneSpec(zone_id="V", name="VIP", color="#8E44AD", seats=12, price=Decimal("90.00")),
    ])
    Event.objects.filter(pk=event.pk).update(timezone="Europe/Madrid", currency="EUR")
    generate_tickets(event_id=event.event_id)  # the generation service, as the admin's button runs it
    return Event.objects.get(pk=event.pk)


def section_free(desk, key):
    return desk.el(f'#sections [data-section="{key}"] .section-free').text


def test_a_zone_of_five_thousand_seats_is_shown_a_part_at_a_time(desk_server, open_browser, django_user_model):
    event = big_event()
    django_user_model.objects.create_user("clerk", password=PASSWORD, is_staff=True)
    # Seats 1-3 sold by staff and 5 held by someone else: the first 4 together start at 6.
    sell_tickets(event_id=event.event_id, ticket_ids=[tid(event, f"P-{n}") for n in (1, 2, 3)], actor="test")
    holds.take_hold(event_id=event.event_id, ticket_ids=[tid(event, "P-5")], hold_seconds=600)

    desk = Desk(open_browser("en", width=1366, height=900), desk_server, event)
    desk.login_and_open("clerk")
    desk.click('#zones [data-zone="P"]')
    desk.wait(lambda: len(desk.els("#sections .section")) == FLOOR // 100, timeout=30, message="no sections")
    # Only one part of the zone has buttons: the first with free seats, 1-100.
    desk.wait(lambda: desk.els('#seats button[data-seat="P-100"]'), message="part 1-100 not shown")
    # The strip and the map are redrawn as live updates arrive: each check reads them afresh
    # (desk.wait retries an element replaced between its lookup and its read).
    desk.wait(lambda: len(desk.els("#seats button")) == 100, message="not 100 seats")
    assert not desk.els('#seats button[data-seat="P-101"]')
    desk.wait(lambda: desk.el("#sections .section.on").get_attribute("data-section") == "por asignar|1",
              message="part 1-100 not the one shown")
    desk.wait(lambda: section_free(desk, "por asignar|1") == "96 free", message="free count of 1-100")
    desk.wait(lambda: desk.look("P-1") == "sold" and desk.look("P-5") == "held", message="sold and held seats")

    # Best available, 4 side by side: 6-9 (not 4, alone between a sold seat and a held one).
    best = desk.el("#best-count")
    best.clear()
    best.send_keys("4")
    desk.el("#best-go").click()
    desk.wait(lambda: len(desk.order_lines()) == 4, message="best available added nothing")
    assert desk.order_lines() == [tid(event, f"P-{n}") for n in (6, 7, 8, 9)]
    assert desk.text("#tool-result") == "Added to the order: Pista · seat 6 to 9."
    assert desk.text("#pick-total") == "€120.00" and [desk.look(f"P-{n}") for n in (6, 9)] == ["selected"] * 2

    # Find a seat by its number: its part comes up, the seat points itself out.
    desk.el("#find-q").send_keys("3456")
    desk.el("#find-go").click()
    desk.wait(lambda: desk.els('#seats button[data-seat="P-3456"]'), message="seat 3456 not shown")
    desk.wait(lambda: desk.el("#sections .section.on").get_attribute("data-section") == "por asignar|3401",
              message="part 3401-3500 not the one shown")
    assert desk.d.execute_script(  # and its button is in sight in the strip
        "const s = document.getElementById('sections'), b = s.querySelector('.section.on');"
        "const a = s.getBoundingClientRect(), r = b.getBoundingClientRect();"
        "return r.top >= a.top && r.bottom <= a.bottom")
    assert len(desk.els("#seats button")) == 100 and "found" in desk.seat("P-3456").get_attribute("class")
    assert desk.text("#tool-result") == "Pista · seat 3456: free."
    # A redraw while it is pointed out (here: another part shown and this one again, in one go)
    # points at it again; a live update that reads the zone again redraws the same way.
    assert desk.d.execute_script(
        "const on = document.querySelector('#sections .section.on');"
        "document.querySelector('#sections .section[data-section=\"por asignar|1\"]').click();"
        "on.click();"
        "return document.querySelector('#seats button[data-seat=\"P-3456\"]').className") == "seat seat-available found"
    screenshot(desk.d, "big-zone")

    # Another sale holds seat 3457 (shown) and 4,321 (in a part not shown): both show at once,
    # the first on the map, both in their part's count; nothing was reloaded.
    desk.d.execute_script("window.__same_page = true")
    holds.take_hold(event_id=event.event_id, ticket_ids=[tid(event, "P-3457"), tid(event, "P-4321")], hold_seconds=600)
    desk.wait(lambda: desk.look("P-3457") == "held", message="the hold did not show on the map")
    desk.wait(lambda: section_free(desk, "por asignar|3401") == "99 free")
    desk.wait(lambda: section_free(desk, "por asignar|4301") == "99 free")
    assert desk.d.execute_script("return window.__same_page") is True

    # Not found, in words.
    desk.el("#find-q").clear()
    desk.el("#find-q").send_keys("9999")
    desk.el("#find-go").click()
    desk.wait(lambda: desk.text("#tool-result") == "No seat or row “9999” in Pista.")

    # The order's seats are held from another part of the zone, and the hold shows as this order's.
    desk.el("#hold").click()
    desk.wait(lambda: desk.el("body").get_attribute("data-phase") == "held", message="not held")
    desk.click('#sections [data-section="por asignar|1"]')
    desk.wait(lambda: desk.els('#seats button[data-seat="P-6"]'))
    desk.wait(lambda: [desk.look(f"P-{n}") for n in (6, 7, 8, 9)] == ["mine"] * 4, message="the order's seats")
    desk.wait(lambda: section_free(desk, "por asignar|1") == "92 free", message="free count after the hold")

    # A small zone is still drawn whole, without parts.
    desk.zone("V")
    assert len(desk.els("#seats button")) == 12 and desk.el("#sections").get_attribute("hidden") is not None


def test_a_big_zone_with_rows_is_shown_a_row_at_a_time(desk_server, open_browser, django_user_model):
    from django.db import connection

    event = make_event(name="Gran Teatro", zones=[
        ZoneSpec(zone_id="S", name="Stalls", color="#C0392B", seats=3000, price=Decimal("25.00"))])
    generate_tickets(event_id=event.event_id)
    with connection.cursor() as cur:  # rows of 60 seats, named 1 to 50, as a venue plan would assign them
        cur.execute("UPDATE tickets_ticket SET seat_row = ((seat_number - 1) / 60 + 1)::text WHERE event_id = %s",
                    [event.event_id])
    holds.take_hold(event_id=event.event_id, ticket_ids=[tid(event, "S-30"), tid(event, "S-31")], hold_seconds=600)
    django_user_model.objects.create_user("clerk", password=PASSWORD, is_staff=True)
    desk = Desk(open_browser("es", width=1366, height=768), desk_server, event)
    desk.login_and_open("clerk")
    desk.wait(lambda: len(desk.els("#sections .section")) == 50, timeout=30, message="no rows")
    desk.wait(lambda: [b.text.split("\n")[0] for b in desk.els("#sections .section")[:2]] == ["Fila 1", "Fila 2"],
              message="rows not named in the strip")
    desk.wait(lambda: len(desk.els("#seats button")) == 60 and desk.text("#seats .row-label") == "Fila 1",
              message="row 1 not drawn")

    # Best available 4 in the front row, as near its middle as they fit around the held pair.
    best = desk.el("#best-count")
    best.clear()
    best.send_keys("4")
    desk.el("#best-go").click()
    desk.wait(lambda: len(desk.order_lines()) == 4)
    assert desk.order_lines() == [tid(event, f"S-{n}") for n in (26, 27, 28, 29)]
    assert desk.text("#tool-result") == "Añadidos al pedido: Stalls · fila 1 · asiento 26 a 29."

    # A row by its name.
    desk.el("#find-q").send_keys("fila 7")
    desk.el("#find-go").click()
    desk.wait(lambda: desk.text("#seats .row-label") == "Fila 7", message="row 7 not shown")
    assert desk.text("#tool-result") == "La fila 7 está en el mapa."
    desk.wait(lambda: len(desk.els("#seats button")) == 60 and desk.els('#seats button[data-seat="S-361"]'),
              message="row 7's seats not drawn")
    screenshot(desk.d, "es-big-zone-rows")
