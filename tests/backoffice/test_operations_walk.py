"""An operations lead's whole night in real Chromium, without the API or a shell (issue 17, "Done
when"): log in to the admin through its form; set up an event on the venue's clock (zones with
prices inline, activate, generate after the confirmation that counts the seats, gates with zones
ticked, a door phone per gate, a box office); sell a range of seats to a buyer and give a batch
to the box office; print the sold tickets and the pairing sheet from the admin and read both back
(text and QR codes); pair a door phone from the sheet's QR code and scan the printed tickets at
the door (accepted, then the same ticket again: already inside); watch the dashboard count them;
open the post-event report from the event page and check its figures against what happened.

One daphne process serves everything (tests/browser.py). The staff desktop and the phones are
separate browsers; the phone's camera is a video of the codes read off the printed PDF.
Selectors are ids, names and addresses (the words are being translated); the page's words are
checked only where a person needs them to go on. Screenshots: see tests/backoffice/walk_pages.py.
Every wait polls with a deadline; nothing sleeps."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from access.models import Scan
from backoffice.admin_guide import urls
from core.localtime import zone as time_zone
from devices.models import Device
from events.models import Checkpoint, Event
from offices.models import Office
from tests.backoffice.walk_pages import Admin, Shots, answer, door_video, pair
from tests.backoffice.walk_prints import read_pairing_sheet_back, read_tickets_back
from tests.browser import chromium, daphne, quit_all
from tests.scanner.pages import wedge
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

TZ, CURRENCY = "America/New_York", "USD"
SOLD = ["A-1", "A-2", "B-1", "B-2", "B-3"]  # 2 x 45 + 3 x 20 = 150.00


@pytest.fixture
def night(tmp_path, django_user_model):
    django_user_model.objects.create_superuser("lead", password="pw-lead-12345")
    drivers = []

    def browser(name, **kwargs):
        drivers.append(chromium(tmp_path / f"profile-{name}", **kwargs))
        return drivers[-1]

    with daphne() as base:
        try:
            yield base, browser, Shots(tmp_path / "shots"), tmp_path
        finally:
            quit_all(drivers)


def test_an_operations_lead_runs_the_night_from_the_admin(night):
    base, browser, shots, tmp = night
    p = Admin(browser("desk", downloads=tmp / "downloads"), base, tmp / "downloads")

    # The site root sends a stranger to the login form, then to the event list.
    p.go("/")
    p.wait_path(r"/admin/login/")
    shots.take(p.b, "login")
    p.type("#id_username", "lead")
    p.type("#id_password", "pw-lead-12345")
    p.submit("input[type=submit]")
    p.wait_path(r"/admin/events/event/$")
    shots.take(p.b, "event-list-empty")

    event = set_up_the_event(p, shots)
    gates, office = add_gates_phones_and_office(p, shots, event)
    sell_and_give_to_the_office(p, shots, event, office)
    tickets_pdf, pairing_pdf = print_from_the_admin(p, shots, event)
    codes = read_tickets_back(tickets_pdf, event, SOLD)
    pairing_urls = read_pairing_sheet_back(pairing_pdf, base, event, gates)
    run_the_doors(browser, shots, tmp, base, codes, pairing_urls)
    happened = what_happened(event, gates)
    watch_the_dashboard(p, shots, event, gates, happened)
    read_the_report(p, shots, event, gates, happened)
    assert not p.severe_console_errors()


def set_up_the_event(p: Admin, shots: Shots) -> Event:
    p.submit(".object-tools a.addlink")
    p.wait_path(r"/admin/events/event/add/")
    starts = (timezone.now().astimezone(time_zone(TZ)) + timedelta(hours=1)).replace(second=0, microsecond=0)
    ends = starts + timedelta(hours=4)
    p.type("#id_name", "Fight Night Walk")
    p.type("#id_venue", "Madison Hall")
    p.choose("#id_timezone", TZ)
    p.type("#id_date_start_0", starts.strftime("%Y-%m-%d"))
    p.type("#id_date_start_1", starts.strftime("%H:%M:%S"))
    p.type("#id_date_end_0", ends.strftime("%Y-%m-%d"))
    p.type("#id_date_end_1", ends.strftime("%H:%M:%S"))
    p.choose("#id_currency", CURRENCY)
    p.choose("#id_language", "en")
    for i, (code, name, colour, seats, reentry, price) in enumerate(
            [("A", "Ringside", "#c0392b", "10", False, "45.00"), ("B", "General", "#27ae60", "40", True, "20")]):
        if not p.all(f"#id_zones-{i}-zone_id"):
            p.click("#zones-group .add-row a")
            p.wait(lambda: p.all(f"#id_zones-{i}-zone_id"))
        p.type(f"#id_zones-{i}-zone_id", code)
        p.type(f"#id_zones-{i}-name", name)
        p.colour(f"#id_zones-{i}-color", colour)
        p.type(f"#id_zones-{i}-seats", seats)
        if reentry:
            p.click(f"#id_zones-{i}-reentry")
        p.type(f"#id_zones-{i}-price", price)
    shots.take(p.b, "event-add")
    p.submit("input[name=_save]")
    p.wait(lambda: p.all(".tc-guide"), "no set-up guide after saving the event")
    event = Event.objects.get(name="Fight Night Walk")
    assert (event.timezone, event.currency, event.language) == (TZ, CURRENCY, "en")
    assert event.date_start == starts  # typed on the venue's clock, stored as the instant it is
    assert [(z.zone_id, z.seats, z.price, z.reentry) for z in event.zones.order_by("position")] == [
        ("A", 10, Decimal("45.00"), False), ("B", 40, Decimal("20.00"), True)]
    assert p.step(3).get_attribute("data-done") == "no" and "next" in p.step(3).get_attribute("class")
    shots.take(p.b, "event-created")

    p.submit(f'#step-3 form[action="{urls(event.event_id)["activate"]}"] button[type=submit]')
    p.wait(lambda: p.step(3).get_attribute("data-done") == "yes", "not activated")
    p.follow_event_link(event.event_id, "generate")
    p.wait_path(r"/generate/$")
    assert p.text("#tc-seat-count") == "50"
    shots.take(p.b, "generate-confirm")
    p.submit("#tc-generate")
    p.wait(lambda: p.all("#step-4") and p.step(4).get_attribute("data-done") == "yes", "not generated")
    assert Ticket.objects.filter(event=event).count() == 50
    shots.take(p.b, "generated")
    return event


def add_gates_phones_and_office(p: Admin, shots: Shots, event: Event):
    """Two gates, each admitting one zone (ticked), a door phone at each, one box office."""
    gates = {}
    for gate_name, zone, phone_name in (("North gate", "B", "North 1"), ("VIP door", "A", "VIP 1")):
        p.follow_event_link(event.event_id, "add_gate")
        p.type("#id_name", gate_name)
        p.tick_value("zones", zone)
        if zone == "B":
            shots.take(p.b, "gate-add")
        p.submit("input[name=_save]")
        p.wait_path(r"/admin/events/checkpoint/")
        gate = Checkpoint.objects.get(event=event, name=gate_name)
        assert gate.zones == [zone]
        p.go(urls(event.event_id)["page"])
        p.follow_event_link(event.event_id, "add_device")
        p.type("#id_name", phone_name)
        p.choose("#id_checkpoint", gate.checkpoint_id)
        p.submit("input[name=_continue]")
        p.wait(lambda: p.all(".field-pairing svg"), "no pairing QR on the door phone's page")
        if zone == "B":
            shots.take(p.b, "door-phone-added")
        gates[zone] = (gate, Device.objects.get(event=event, name=phone_name))
        p.go(urls(event.event_id)["page"])
    p.follow_event_link(event.event_id, "add_office")
    p.type("#id_name", "Main box office")
    p.submit("input[name=_save]")
    p.wait_path(r"/admin/offices/office/")
    p.go(urls(event.event_id)["page"])
    assert p.step(5).get_attribute("data-done") == "yes"
    return gates, Office.objects.get(event=event)


def sell_and_give_to_the_office(p: Admin, shots: Shots, event: Event, office: Office):
    p.follow_event_link(event.event_id, "sell")
    p.type("#id_seats", "A-1..A-2, B-1..B-3")
    p.type("#id_name", "Ana García")
    p.type("#id_email", "ana@example.com")
    p.submit("#tc-continue")
    p.wait(lambda: p.all("#tc-total"), "no total before selling")
    assert p.text("#tc-total") == "150.00 USD"
    shots.take(p.b, "sell-confirm")
    p.submit("#tc-confirm")
    p.wait(lambda: p.all("#stock"), "no stock table after the sale")
    assert sorted(Ticket.objects.filter(event=event, status=False).values_list("seat_id", flat=True)) == SOLD

    p.follow_event_link(event.event_id, "assign")
    p.type("#id_seats", "B-11..B-20")
    p.choose("#id_office", str(office.pk))
    shots.take(p.b, "give-to-office")
    p.submit("#tc-assign")
    p.wait(lambda: p.all("#stock"), "no stock table after giving seats")
    assert (p.stock("A", "sold"), p.stock("B", "sold"), p.stock("B", "box_office")) == ("2", "3", "10")
    assert (p.stock("A", "available"), p.stock("B", "available")) == ("8", "27")
    assert p.stock("", "revenue") == "150.00 USD"
    shots.take(p.b, "stock")


def print_from_the_admin(p: Admin, shots: Shots, event: Event) -> tuple[bytes, bytes]:
    """The sold tickets: the event's ticket list, filtered to sold, all ticked, the A4 print
    action. The pairing sheet: the event page's link."""
    p.follow_event_link(event.event_id, "tickets")
    p.through('#changelist-filter a[href*="state=sold"]')
    p.wait(lambda: len(p.all("#result_list tbody tr")) == len(SOLD), "the sold filter does not list the sold seats")
    p.click("#action-toggle")
    p.choose("select[name=action]", "print_tickets_a4")
    shots.take(p.b, "print-sold-tickets")
    tickets_pdf = p.download(lambda: p.click("button[name=index]"), "tickets-*.pdf")
    p.go(urls(event.event_id)["page"])
    pairing_pdf = p.download(lambda: p.event_link(event.event_id, "pairing_pdf").click(), "pairing-sheet-*.pdf")
    shots.pdf(tickets_pdf, "tickets-pdf")
    shots.pdf(pairing_pdf, "pairing-sheet-pdf")
    return tickets_pdf, pairing_pdf


def run_the_doors(browser, shots: Shots, tmp, base: str, codes: dict[str, str], pairing_urls: dict[str, str]):
    """North (General): B-1 and B-2 through the camera, then B-1 again from the hardware
    scanner: already inside. VIP (Ringside): A-1 through the camera. Each phone is put away
    once it has shown its answers (its camera would read the looping video again)."""
    north = browser("north", phone=True, camera=door_video(tmp / "north.y4m", [codes["B-1"], codes["B-2"]]))
    pair(north, base, pairing_urls["B"])
    shots.take(north, "phone-paired", whole_page=False)
    first = answer(north, 1)
    assert (first["result"], first["source"], first["offline"]) == ("accepted", "camera", False), first
    shots.take(north, "phone-accepted", whole_page=False)
    second = answer(north, 2)
    assert (second["result"], second["source"], second["offline"]) == ("accepted", "camera", False), second
    assert {first["seat"], second["seat"]} == {"B-1", "B-2"}
    wedge(north, codes["B-1"])
    again = answer(north, 3)
    assert (again["result"], again["reason"], again["seat"]) == ("rejected", "already_inside", "B-1"), again
    assert again["source"] == "wedge" and "North gate" in again["screen"]["text"]
    shots.take(north, "phone-already-inside", whole_page=False)
    north.quit()

    vip = browser("vip", phone=True, camera=door_video(tmp / "vip.y4m", [codes["A-1"]]))
    pair(vip, base, pairing_urls["A"])
    only = answer(vip, 1)
    assert (only["result"], only["seat"]) == ("accepted", "A-1"), only
    vip.quit()


def what_happened(event: Event, gates) -> dict:
    """The scan log, once the phones are put away: entries per gate (by zone admitted there) and
    the refusals (a phone's camera may have read a code again as its video looped)."""
    scans = Scan.objects.filter(event=event)
    happened = {"entries": {zone: scans.filter(checkpoint=gate, result="accepted").count()
                            for zone, (gate, _) in gates.items()},
                "rejected": scans.filter(result="rejected").count(),
                "already_inside": scans.filter(result="rejected", reason="already_inside").count()}
    assert happened["entries"] == {"B": 2, "A": 1} and happened["already_inside"] >= 1, happened
    assert happened["rejected"] == happened["already_inside"], list(scans.values("code", "result", "reason"))
    return happened


def watch_the_dashboard(p: Admin, shots: Shots, event: Event, gates, happened: dict):
    p.go(urls(event.event_id)["page"])
    p.follow_event_link(event.event_id, "dashboard")
    p.wait(lambda: p.find("#conn").get_attribute("data-state") == "live", "dashboard not live", timeout=20)
    p.wait(lambda: (p.text("#v-accepted"), p.text("#v-rejected"), p.text("#v-inside"))
           == ("3", str(happened["rejected"]), "3"), "the dashboard's tiles do not count the night", timeout=20)
    for zone, entries in happened["entries"].items():
        cell = f'#gates tr[data-checkpoint="{gates[zone][0].checkpoint_id}"] [data-field="accepted"]'
        p.wait(lambda: p.find(cell).text == str(entries), f"gate {zone} entries on the dashboard")
    shots.take(p.b, "dashboard")


def read_the_report(p: Admin, shots: Shots, event: Event, gates, happened: dict):
    p.go(urls(event.event_id)["page"])
    report = p.event_link(event.event_id, "report").get_attribute("href")
    p.follow_event_link(event.event_id, "report")
    assert p.all("#report"), f"the event page's Report link ({report}) does not open the report: {p.text()[:300]}"
    p.wait(lambda: p.find("body").get_attribute("data-charts") not in (None, ""), "charts not drawn", timeout=20)
    assert p.text("#t-entries") == "3" and p.text("#t-rejected") == str(happened["rejected"])
    for zone, entries in happened["entries"].items():
        row = f'#flow-table tr[data-checkpoint="{gates[zone][0].checkpoint_id}"]'
        assert p.find(f'{row} [data-field="entries"]').text == str(entries), zone
    assert p.find('#rejections-table tr[data-reason="already_inside"] [data-field="count"]').text == str(
        happened["already_inside"])
    manual = p.find('#sales-table tr[data-channel="manual"]').find_elements("css selector", "td.num")
    assert [c.text for c in manual] == ["5", "150.00"]  # the sale: 2 x 45 + 3 x 20, by staff
    assert p.text("#t-revenue").split()[0] == "150.00"
    assert p.find('#zones-table tr[data-zone="B"] [data-field="no_shows"]').text == "1"  # B-3 never came
    shots.take(p.b, "report")
