"""The box-office terminal in real Chromium (issue 18 item 1): it sells while offline, hands the
tickets over with a QR drawn on the device and prints them (the print layout rendered to a PDF
by Chromium, its QR codes decoded back to valid ticket codes), comes back online, syncs by
itself, shows the conflict a concurrent online sale caused as a refund to give, and reconciles to
the server's figures. A revoked office stops selling at once and keeps its queued sales."""
from __future__ import annotations

import base64
import io
from decimal import Decimal

import pytest
import zxingcpp
from PIL import Image
from selenium.webdriver.common.by import By

from tests.backoffice.test_print_readback import page_codes, page_sizes_mm
from tests.conftest import make_event
from tests.office_app.conftest import SCREENSHOTS, screenshot
from tests.office_app.pages import body, js, local_sales, open_paired, pick, seat_state, sell, wait
from tests.browser import wait_for_download
from tests.scanner.conftest import requested_urls
from tests.scanner.pages import off_origin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PRICES = {"A": Decimal("45.00"), "B": Decimal("20.00")}


def box_office(seats=("A-1", "A-2", "A-3", "A-4", "B-1", "B-2", "B-3", "B-4")):
    """An event in Madrid time with priced zones, and an office holding `seats`."""
    from events.models import Zone
    from offices.services import assign_tickets, create_office
    from tickets.models import Ticket
    from tickets.services import generate_tickets

    event = make_event(name="Gala de Boxeo")
    event.timezone = "Europe/Madrid"
    event.save(update_fields=["timezone"])
    for zone_id, price in PRICES.items():
        Zone.objects.filter(event=event, zone_id=zone_id).update(price=price)
    generate_tickets(event_id=event.event_id)
    created = create_office(event_id=event.event_id, name="Taquilla Norte")
    ids = {t.seat_id: t.ticket_id for t in Ticket.objects.filter(event=event, seat_id__in=seats)}
    assign_tickets(office_id=created.office.office_id, ticket_ids=list(ids.values()), actor="test")
    return event, created, ids


def print_pdf(driver, layout: str) -> bytes:
    """What the print dialog would print, in `layout`: the terminal's own print button pressed
    (window.print stubbed: no dialog in a test), then Chromium's own PDF of the page with its
    print CSS and @page sizes."""
    js(driver, "window.print = () => { window.printed = (window.printed || 0) + 1; }; window.printed = 0")
    driver.find_element(By.ID, f"print-{layout}").click()
    assert js(driver, "return [document.body.dataset.layout, window.printed]") == [layout, 1]
    out = driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})
    return base64.b64decode(out["data"])


def blank_bottom_mm(data: bytes, page: int) -> float:
    """How much paper is left blank under the last printed line of `page`."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        image = document[page].render(scale=4).to_pil().convert("L")  # 4 px per point
    finally:
        document.close()
    ink = image.point(lambda v: 255 if v < 200 else 0).getbbox()  # (left, top, right, bottom) of what is printed
    last = ink[3] if ink else 0
    return (image.height - last) / 4 * 25.4 / 72


def save_first_page(data: bytes, name: str) -> None:
    """The printed page as a picture, beside the screenshots (docs/screenshots/office-print-*.png)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        document[0].render(scale=150 / 72).to_pil().save(SCREENSHOTS / f"office-{name}.png")
    finally:
        document.close()


def test_sells_offline_prints_syncs_shows_the_conflict_and_reconciles(terminal, scanner_server):
    from events.codes import verify
    from offices.models import OfficeSale
    from offices.selectors import office_money, reconciliation_counts
    from offices.services import unassign_tickets
    from tickets.holds import checkout, take_hold
    from tickets.models import Ticket

    event, created, ids = box_office()
    office_id = created.office.office_id
    driver = terminal()
    driver.get(f"{scanner_server.url}/office/")
    wait(driver, lambda d: body(d, "screen") == "pairing")
    screenshot(driver, "pairing")
    open_paired(driver, scanner_server, created.pairing_code)
    wait(driver, lambda d: js(d, "return !!navigator.serviceWorker.controller"), 30, "no service worker")
    assert seat_state(driver, "A-1") == "free" and seat_state(driver, "B-4") == "free"

    # 1. Online: one seat, cash. Uploaded at once.
    pick(driver, "A-1")
    sell(driver, "cash")
    wait(driver, lambda d: body(d, "pending") == "0", 20, "online sale not uploaded")
    sale = OfficeSale.objects.get(ticket__seat_id="A-1")
    assert (sale.result, sale.payment_method) == ("accepted", "cash")
    assert Ticket.objects.get(pk=sale.ticket_id).price == PRICES["A"]
    driver.find_element(By.ID, "handover-done").click()

    # 2. The server goes away. Meanwhile staff take A-3 back online and a web buyer checks it out.
    scanner_server.stop()
    wait(driver, lambda d: body(d, "mode") == "offline", 15, "did not notice the server was gone")
    unassign_tickets(office_id=office_id, ticket_ids=[ids["A-3"]], actor="staff")
    hold = take_hold(event_id=event.event_id, ticket_ids=[ids["A-3"]])
    checkout(hold_id=hold.hold_id, buyer={"name": "Web buyer"})

    # 3. Offline, the terminal sells A-2, A-3 (it cannot know) and B-1, by card, to a named buyer.
    assert driver.find_element(By.ID, "offline-banner").is_displayed()
    pick(driver, "A-2", "A-3", "B-1")
    assert "110" in driver.find_element(By.ID, "basket-total").text  # 45 + 45 + 20
    screenshot(driver, "offline-basket")
    sell(driver, "card", buyer={"name": "Ana García", "email": "ana@example.com"})
    assert body(driver, "pending") == "3"
    cards = driver.find_elements(By.CSS_SELECTOR, "#print-area .ticket")
    assert [c.get_attribute("data-ticket") for c in cards] == [ids["A-2"], ids["A-3"], ids["B-1"]]
    assert "Gala de Boxeo" in cards[0].text and "Ringside" in cards[0].text and "A-2" in cards[0].text
    reference = Ticket.objects.get(ticket_id=ids["A-2"]).reference
    assert reference[:4] in cards[0].find_element(By.CLASS_NAME, "ticket-reference").text
    screenshot(driver, "handover")

    # 4. Printed with no connection: the thermal and A4 layouts, their QR codes read back.
    thermal = print_pdf(driver, "thermal")
    sizes = page_sizes_mm(thermal)
    assert len(sizes) == 3 and all(abs(w - 80) < 1 for w, _ in sizes), sizes  # one ticket a page, 80 mm wide
    assert all(blank_bottom_mm(thermal, page) < 8 for page in range(3))  # the roll is cut after the ticket
    a4 = print_pdf(driver, "a4")
    assert [(round(w), round(h)) for w, h in page_sizes_mm(a4)] == [(210, 297)] * 3
    for layout, data in (("thermal", thermal), ("a4", a4)):
        save_first_page(data, f"print-{layout}")
        read = [c.text for page in page_codes(data) for c in page]
        assert [verify(code).object_id for code in read] == [ids["A-2"], ids["A-3"], ids["B-1"]]
    # The print view as the screen would show it, decoded from a Chromium screenshot.
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    shot = driver.get_screenshot_as_png()
    screenshot_path = screenshot(driver, "print-view")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)), formats=zxingcpp.BarcodeFormat.QRCode)
    assert found and verify(found[0].text).object_id == ids["A-2"], screenshot_path
    driver.find_element(By.ID, "handover-done").click()
    assert seat_state(driver, "A-2") == "sold" and seat_state(driver, "A-3") == "sold"  # taken here, at once

    # A reload with no server: the service worker serves the app, IndexedDB keeps stock and queue.
    driver.refresh()
    wait(driver, lambda d: body(d, "screen") == "sell" and body(d, "pending") == "3", 30)
    wait(driver, lambda d: body(d, "mode") == "offline", 15)
    assert seat_state(driver, "B-1") == "sold" and seat_state(driver, "B-2") == "free"
    screenshot(driver, "offline")

    # 5. The server is back: the queue uploads by itself; A-3 comes back refused, as a refund.
    requested_urls(driver)
    scanner_server.start()
    wait(driver, lambda d: body(d, "mode") == "online" and body(d, "pending") == "0", 30, "queue not synced")
    wait(driver, lambda d: body(d, "refunds") == "1", 10, "refund not shown")
    refunds = driver.find_element(By.ID, "refunds")
    assert "Ana García" in refunds.text and "45" in refunds.text and "A-3" in refunds.text, refunds.text
    results = dict(OfficeSale.objects.filter(office_id=office_id).values_list("ticket__seat_id", "result"))
    assert results == {"A-1": "accepted", "A-2": "accepted", "A-3": "rejected", "B-1": "accepted"}
    assert OfficeSale.objects.get(ticket__seat_id="A-3").reason == "already_sold"
    assert OfficeSale.objects.get(ticket__seat_id="B-1").buyer == {"name": "Ana García", "email": "ana@example.com"}
    wait(driver, lambda d: any("/stock?since=" in u for u in requested_urls(d)), 20, "no delta refresh")
    wait(driver, lambda d: seat_state(d, "A-3") is None, 20, "A-3 still shown after it left the office")
    screenshot(driver, "refund")

    # 6. End of shift: the till matches the server's figures.
    driver.find_element(By.ID, "till-open").click()
    wait(driver, lambda d: body(d, "reconciled") == "yes", 20, "till does not match the server")
    rows = {r.get_attribute("data-method"): (r.get_attribute("data-expected"), r.get_attribute("data-server"))
            for r in driver.find_elements(By.CSS_SELECTOR, ".till-table tbody tr")}
    assert rows == {"cash": ("4500", "4500"), "card": ("6500", "6500")}  # card: A-2 + B-1; A-3 is refunded
    # The server's own figures, as the admin and GET /api/v1/offices/{id} report them.
    counts = reconciliation_counts(office_id)
    assert (counts["sold"], counts["returned"], counts["outstanding"], counts["rejected_sales"]) == (3, 1, 4, 1)
    money = {m["payment_method"]: m for m in office_money(office_id)["payment_methods"]}
    assert (money["cash"]["sold_amount"], money["card"]["sold_amount"], money["card"]["refunds_due_amount"]) == \
        ("45.00", "65.00", "45.00")
    screenshot(driver, "till")

    # The refund stays until the clerk marks it given, across reloads.
    driver.find_element(By.ID, "till-close").click()
    driver.refresh()
    wait(driver, lambda d: body(d, "refunds") == "1", 20)
    driver.find_element(By.CSS_SELECTOR, "#refunds-list button").click()
    wait(driver, lambda d: body(d, "refunds") == "0")
    assert not driver.find_element(By.ID, "refunds").is_displayed()
    assert [s["acknowledged_at"] is not None for s in local_sales(driver) if s["conflict"]] == [True]
    assert off_origin(requested_urls(driver), scanner_server) == []  # no CDN, ever


def test_a_revoked_office_stops_selling_keeps_its_queue_and_staff_hand_it_in_as_evidence(
        terminal, scanner_server, tmp_path, django_user_model):
    from devices.services import revoke_device
    from offices.models import KeptOfficeSale, OfficeSale
    from offices.selectors import kept_sales
    from tickets.models import LedgerEntry, Ticket

    event, created, ids = box_office(seats=("A-1", "A-2", "B-1"))
    office_id = created.office.office_id
    driver = terminal()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    open_paired(driver, scanner_server, created.pairing_code)
    scanner_server.stop()
    wait(driver, lambda d: body(d, "mode") == "offline", 15)
    pick(driver, "A-1", "B-1")
    sell(driver, "cash", buyer={"name": "Luis Pérez"})
    driver.find_element(By.ID, "handover-done").click()
    revoke_device(device_id=created.office.device_id)
    scanner_server.start()
    wait(driver, lambda d: body(d, "screen") == "revoked", 30, "revocation not noticed")
    assert body(driver, "kept") == "2" and "2 sales" in driver.find_element(By.ID, "revoked-queue").text
    assert not OfficeSale.objects.exists()  # the API refuses a revoked token: kept on the device
    screenshot(driver, "revoked")
    driver.refresh()  # it survives a reload, and sells nothing
    wait(driver, lambda d: body(d, "screen") == "revoked", 20)
    kept = local_sales(driver)
    assert [s["pending"] for s in kept] == [1, 1]

    # The clerk downloads the kept sales; a supervisor hands the file in on the office's admin page.
    driver.find_element(By.ID, "revoked-export").click()
    file = wait_for_download(downloads, "box-office-sales-*.json")
    tickets_before = sorted(Ticket.objects.filter(event=event).values_list("seat_id", "status", "version"))
    ledger_before = LedgerEntry.objects.count()
    django_user_model.objects.create_superuser("lead", password="pw-lead-12345")
    driver.get(f"{scanner_server.url}/admin/offices/office/{office_id}/change/")
    driver.find_element(By.ID, "id_username").send_keys("lead")
    driver.find_element(By.ID, "id_password").send_keys("pw-lead-12345")
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait(driver, lambda d: d.find_elements(By.ID, "tc-kept-upload"), 20, "no hand-in button on the office page")
    driver.find_element(By.ID, "tc-kept-upload").click()
    # A wrong file first: said plainly, nothing kept.
    wrong = tmp_path / "notes.json"
    wrong.write_text('{"hello": "world"}')
    wait(driver, lambda d: d.find_elements(By.ID, "id_file"), 20)
    driver.find_element(By.ID, "id_file").send_keys(str(wrong))
    driver.find_element(By.ID, "tc-kept-submit").click()
    wait(driver, lambda d: d.find_elements(By.ID, "tc-kept-error"), 20)
    assert "not the kept sales file" in driver.find_element(By.ID, "tc-kept-error").text
    assert not KeptOfficeSale.objects.exists()
    screenshot(driver, "admin-kept-sales-refused")
    driver.find_element(By.ID, "id_file").send_keys(str(file))
    driver.find_element(By.ID, "tc-kept-submit").click()
    wait(driver, lambda d: d.find_elements(By.ID, "kept-sales"), 20, "evidence not shown on the office page")
    rows = {r.get_attribute("data-sale"): r.text for r in driver.find_elements(By.CSS_SELECTOR, "#kept-sales tbody tr")}
    assert set(rows) == {s["sale_id"] for s in kept}
    assert any("A-1" in t and "45.00" in t and "Cash" in t and "Luis Pérez" in t for t in rows.values()), rows
    assert all("No conflict" in t for t in rows.values()), rows
    driver.execute_script("document.getElementById('kept-sales').scrollIntoView({block: 'center'})")
    screenshot(driver, "admin-kept-sales")

    # Evidence, never applied: the rows are there, nothing was sold and the ledger did not move.
    evidence = {str(r["sale"].sale_id): r for r in kept_sales(office_id)}
    assert {(r["seat"], str(r["sale"].price), r["sale"].payment_method, r["sale"].uploaded_by)
            for r in evidence.values()} == {("A-1", "45.00", "cash", "lead"), ("B-1", "20.00", "cash", "lead")}
    assert sorted(Ticket.objects.filter(event=event).values_list("seat_id", "status", "version")) == tickets_before
    assert LedgerEntry.objects.count() == ledger_before and not OfficeSale.objects.exists()
