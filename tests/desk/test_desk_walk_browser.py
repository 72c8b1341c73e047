"""A clerk's shift at the sales desk, walked in headless Chromium at a desktop's and a laptop's
size, in English and Spanish side by side: open the desk from the admin's event page, pick a
zone and seats, lose a seat to another clerk, hold with the countdown,
check out with the buyer's details, the QR on screen, the PDF, the email, the next sale released
by hand, and a hold that runs out. At every step the Spanish desk has no English left, and with
DESK_SCREENSHOTS=1 each step is a picture in docs/screenshots/desk-walk-*.png (docs/testing.md)."""
from __future__ import annotations

import json

import pytest
from django.db import connection

from accounts.services import create_staff_token
from tests.desk.conftest import screenshot
from tests.desk.pages import PASSWORD, Desk, desk_event, http, tid
from tickets.models import Ticket, TicketHold

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": (1920, 1080), "laptop": (1366, 768)}
# Each clerk sells its own seats of the Tribune (24 seats), so both walk the same steps at once.
SEATS = {"en": (3, 4, 5, 9, 10), "es": (15, 16, 17, 21, 22)}


@pytest.mark.parametrize("size", list(SIZES))
def test_a_clerks_shift_in_both_languages(size, desk_server, open_browser, smtp_sink, django_user_model, catalogue):
    from tests.i18n.completeness import browser_texts, english_left

    event = desk_event(name="Velada de Boxeo")
    django_user_model.objects.create_superuser("lead", password=PASSWORD)
    rival = django_user_model.objects.create_user("rival", password=PASSWORD, is_staff=True)
    rival_token = create_staff_token(user=rival).token
    width, height = SIZES[size]
    desks = {lang: Desk(open_browser(lang, width=width, height=height), desk_server, event) for lang in ("en", "es")}
    en, es = desks["en"], desks["es"]
    data = {"Velada de Boxeo", "Arena", "Ringside", "Tribune", "America/Mexico_City", "Ada Lovelace", "Grace Hopper",
            "Español", "English", "lead", "ada@example.com", "grace@example.com"}

    def shot(step):
        # Pictures: both languages at the laptop's size, English at the desktop's (the Spanish
        # desktop is desk-es-*.png, from the two clerks' test); both are checked at every step.
        for lang, desk in desks.items():
            if size == "laptop" or lang == "en":
                screenshot(desk.d, f"walk-{size}-{lang}-{step}")

    def no_english_left(step):
        report = english_left(f"sales desk ({size}), {step}", browser_texts(es.d), browser_texts(en.d),
                              catalogue=catalogue, data=data)
        assert not report, str(report)

    def each(step):
        for lang, desk in desks.items():
            step(lang, desk, SEATS[lang])

    # Open from the admin: the event page's "Sales desk" at the top.
    def from_admin(lang, desk, seats):
        desk.d.get(f"{desk_server}/admin/login/?next=/admin/events/event/{event.event_id}/change/")
        desk.el("#id_username").send_keys("lead")
        desk.el("#id_password").send_keys(PASSWORD)
        desk.el("input[type=submit]").click()
        desk.wait(lambda: desk.els('a[data-tool="desk"]'), message="no desk link on the event page")
        if size == "laptop" or lang == "en":
            screenshot(desk.d, f"walk-{size}-{lang}-0-admin")
        desk.el('a[data-tool="desk"]').click()
        desk.wait(lambda: desk.d.current_url.endswith(f"/desk/events/{event.event_id}/"))
        desk.wait(lambda: desk.el("#conn").get_attribute("data-state") == "live", timeout=15, message="not live")
    each(from_admin)
    assert en.text('a[href="/dashboard/events/%s/"]' % event.event_id) == "Live dashboard"

    # A zone, and three seats by hand (a zone this small is all on the map: no search box).
    def pick(lang, desk, seats):
        desk.zone("B")
        assert not desk.el("#find").is_displayed() and desk.el("#best").is_displayed()
        desk.pick(*(f"B-{n}" for n in seats[:3]))
    each(pick)
    assert en.text("#hold") == "Hold 3 seats" and es.text("#hold") == "Reservar 3 asientos"
    assert es.text("#pick-total") == "60,00 €"
    no_english_left("picking")
    shot("1-pick")

    # Another clerk holds each one's middle seat: gone from the order at once, with its name.
    status, rival_hold = http(f"{desk_server}/api/v1/events/{event.event_id}/holds", method="POST",
                              body={"tickets": [tid(event, f"B-{SEATS[lang][1]}") for lang in desks]},
                              headers={"Authorization": f"Token {rival_token}"})
    assert status == 201, rival_hold

    def lost(lang, desk, seats):
        desk.wait(lambda: desk.look(f"B-{seats[1]}") == "held", message="the rival's hold did not show")
        desk.wait(lambda: len(desk.order_lines()) == 2)
        # The figures follow within a second (the sales aggregate after the change).
        desk.wait(lambda: desk.text('#status tr[data-zone="B"] [data-field="held"]') == "2", message="figures stale")
    each(lost)
    assert "Taken by another sale just now: Tribune · seat 4" in en.text("#notice")
    assert "Tribune · asiento 16" in es.text("#notice")
    no_english_left("a seat lost")
    shot("2-lost")

    # The hold, with its countdown.
    def hold(lang, desk, seats):
        desk.el("#hold").click()
        desk.wait(lambda: desk.el("body").get_attribute("data-phase") == "held", message="no hold")
        desk.wait(lambda: desk.text("#countdown") not in ("", "–", "10:00"), message="no countdown")
    each(hold)
    no_english_left("holding")
    shot("3-held")

    # The checkout with the buyer's details; the tickets on screen, as PDF, by email.
    buyers = {"en": ("Ada Lovelace", "ada@example.com"), "es": ("Grace Hopper", "grace@example.com")}

    def checkout(lang, desk, seats):
        name, email = buyers[lang]
        desk.el("#buyer-name").send_keys(name)
        desk.el("#buyer-email").send_keys(email)
        desk.el("#checkout").click()
        desk.wait(lambda: desk.el("body").get_attribute("data-phase") == "sold", message="no sale")
        desk.wait(lambda: all(desk.d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", i)
                              for i in desk.els("#sold-tickets img.qr")), message="no QR")
        assert len(desk.els("#sold-tickets img.qr")) == 2
        pdf = desk.d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0], {credentials: 'same-origin'}).then(r => done([r.status, r.headers.get('content-type')]));",
            desk.el("#pdf-a4").get_attribute("href"))
        assert pdf == [200, "application/pdf"]
        desk.el("#email-send").click()
        desk.wait(lambda: "@example.com" in desk.text("#email-result"), message="not sent")
    each(checkout)
    assert en.text("#sold-summary") == "2 tickets sold to Ada Lovelace · €40.00"
    assert es.text("#sold-summary") == "2 entradas vendidas a Grace Hopper · 40,00 €"
    assert sorted(r for _, recipients, _ in smtp_sink.wait_for(2) for r in recipients) == \
        ["ada@example.com", "grace@example.com"]
    assert Ticket.objects.filter(event=event, status=False).count() == 4
    no_english_left("handing over")
    shot("4-sold")

    # The next sale: held, then released by hand.
    def release(lang, desk, seats):
        desk.el("#next-sale").click()
        desk.wait(lambda: desk.el("body").get_attribute("data-phase") == "pick")
        desk.pick(f"B-{seats[3]}")
        desk.el("#hold").click()
        desk.wait(lambda: desk.el("body").get_attribute("data-phase") == "held")
        desk.el("#release").click()
        desk.wait(lambda: desk.el("body").get_attribute("data-phase") == "pick")
        desk.wait(lambda: desk.look(f"B-{seats[3]}") == "available")
    each(release)
    for desk in desks.values():  # only the rival's two are held now, once the figures follow
        desk.wait(lambda: desk.text('#status tr[data-zone="B"] [data-field="held"]') == "2", message="figures stale")
    assert not TicketHold.objects.filter(ticket__seat_id__in=[f"B-{SEATS[lang][3]}" for lang in desks]).exists()
    no_english_left("released")
    shot("5-released")

    # A hold that runs out while the buyer hesitates: the countdown reaches zero, the seat is
    # free again and back in the order. Time is moved, not waited for: the database's hold
    # and the tab's deadline both end now.
    def expiry(lang, desk, seats):
        desk.pick(f"B-{seats[4]}")
        desk.el("#hold").click()
        desk.wait(lambda: desk.el("body").get_attribute("data-phase") == "held")
        with connection.cursor() as cur:
            cur.execute("UPDATE tickets_blocked SET created_at = created_at - interval '2 hours', "
                        "locked_up = clock_timestamp() - interval '1 second' WHERE ticket_id = "
                        "(SELECT id FROM tickets_ticket WHERE event_id = %s AND seat_id = %s)",
                        [event.event_id, f"B-{seats[4]}"])
        key = f"desk:{event.event_id}"
        kept = json.loads(desk.d.execute_script("return sessionStorage.getItem(arguments[0])", key))
        kept["hold"]["deadline"] = desk.d.execute_script("return Date.now()") + 1500
        desk.d.execute_script("sessionStorage.setItem(arguments[0], arguments[1])", key, json.dumps(kept))
        desk.d.refresh()
        desk.wait(lambda: desk.el("body").get_attribute("data-phase") == "pick", timeout=15, message="did not run out")
        desk.wait(lambda: desk.order_lines() == [tid(event, f"B-{seats[4]}")], timeout=30,
                  message="the seat is not back in the order after the hold ran out")
    each(expiry)
    assert "The hold ran out" in en.text("#notice")
    no_english_left("a hold ran out")
    shot("6-expired")
    # The live dashboard, one click away, links back to the desk in its header.
    for lang, desk in desks.items():
        desk.el(f'a[href="/dashboard/events/{event.event_id}/"]').click()
        desk.wait(lambda: desk.els("#desk-link"), message="no desk link on the dashboard")
        if size == "laptop" or lang == "en":
            screenshot(desk.d, f"walk-{size}-{lang}-7-dashboard")
        # Every row of tiles reaches the right edge: no tile left alone on a row of its own.
        rows = desk.d.execute_script(
            "const box = document.querySelector('.tiles').getBoundingClientRect(); const rows = {};"
            "for (const t of document.querySelectorAll('.tiles > .tile:not([hidden])')) {"
            "  const r = t.getBoundingClientRect(); rows[Math.round(r.top)] = Math.max(rows[Math.round(r.top)] || 0, r.right); }"
            "return Object.values(rows).map((right) => Math.round(box.right - right));")
        assert rows and all(gap <= 1 for gap in rows), (size, lang, rows)
        desk.el("#desk-link").click()
        desk.wait(lambda: desk.el("#conn").get_attribute("data-state") == "live", timeout=15, message="not back")
    for desk in desks.values():
        errors = [e for e in desk.d.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]
                  and "409" not in e["message"]]
        assert not errors, errors
