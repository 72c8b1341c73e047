"""A revoked box office's kept sales (offices/evidence.py, docs/adr/0031): the file its terminal
offers is handed in by staff and stored as quarantined evidence, all or nothing, never applied;
each sale is shown with what it would mean now. The database refuses changes to the evidence and
evidence for an office whose terminal still works (offices/migrations/0005), proven with raw SQL."""
import json
import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from core.errors import InvalidInput
from devices.services import revoke_device
from offices import evidence, services
from offices.models import KeptOfficeSale, OfficeSale
from offices.selectors import kept_sales
from offices.vocabulary import KeptSaleState
from tickets.holds import checkout, take_hold
from tickets.models import LedgerEntry, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(generated_event):
    office = services.create_office(event_id=generated_event.event_id, name="Taquilla Sur").office
    tickets = {t.seat_id: t for t in Ticket.objects.filter(event=generated_event, seat_id__in=["A-1", "A-2", "B-1"])}
    services.assign_tickets(office_id=office.office_id, ticket_ids=[t.ticket_id for t in tickets.values()])
    office.tickets = tickets
    return office


def kept_file(office, *seats, **overrides) -> bytes:
    """The file as static/office/app.js (exportKept) writes it."""
    sales = [{"sale_id": str(uuid.uuid4()), "ticket_id": office.tickets[s].ticket_id if s in office.tickets else s,
              "seat_id": s, "price": "45.00", "currency": "EUR", "payment_method": "card",
              "buyer": {"name": "Ana García"}, "sold_at": "2026-11-30T20:15:00.000Z", "pending": 1,
              "code": "…", "zone": "Ringside"} for s in seats]
    document = {"kind": "ticketcore.office.kept_sales", "version": 1,
                "office": {"office_id": office.office_id, "name": office.name}, "device_id": office.device_id,
                "exported_at": "2026-11-30T21:00:00Z", "sales": sales, **overrides}
    return json.dumps(document).encode()


def hand_in(office, data, name="box-office-sales.json"):
    return evidence.record_kept_sales(office_id=office.office_id, data=data, file_name=name, uploaded_by="lead")


def untouched(office) -> tuple:
    """What an applied sale would change: the tickets, the ledger, the office's sales."""
    return (sorted(Ticket.objects.filter(pk__in=[t.pk for t in office.tickets.values()])
                   .values_list("seat_id", "status", "status_offline", "version")),
            LedgerEntry.objects.count(), OfficeSale.objects.count())


def test_kept_sales_are_stored_as_evidence_and_never_sell(office):
    revoke_device(device_id=office.device_id)
    before = untouched(office)
    result = hand_in(office, kept_file(office, "A-1", "B-1"))
    assert (result.recorded, result.already_recorded) == (2, 0)
    assert untouched(office) == before  # no ticket sold, no ledger entry, no office sale
    rows = {r["seat"]: r for r in kept_sales(office.office_id)}
    assert {s: r["state"] for s, r in rows.items()} == {"A-1": KeptSaleState.FREE_HERE, "B-1": KeptSaleState.FREE_HERE}
    sale = rows["A-1"]["sale"]
    assert (str(sale.price), sale.payment_method, sale.buyer, sale.uploaded_by) == ("45.00", "card", {"name": "Ana García"}, "lead")
    # The same file again writes nothing new.
    again = hand_in(office, kept_file(office, "A-1"))
    assert again.recorded == 1 and KeptOfficeSale.objects.count() == 3
    data = kept_file(office, "A-2")
    hand_in(office, data)
    assert hand_in(office, data).already_recorded == 1 and KeptOfficeSale.objects.count() == 4


def test_each_kept_sale_says_whether_it_conflicts_with_the_seats_now(office, generated_event):
    revoke_device(device_id=office.device_id)
    a1, a2, b1 = (office.tickets[s] for s in ("A-1", "A-2", "B-1"))
    synced = services.sync_sales(office=office, sales=[services.SaleIn(
        sale_id=uuid.uuid4(), ticket_id=a2.ticket_id, sold_at=timezone.now())])  # uploaded before the revocation, say
    assert synced.accepted == 1
    services.unassign_tickets(office_id=office.office_id, ticket_ids=[b1.ticket_id])
    hold = take_hold(event_id=generated_event.event_id, ticket_ids=[b1.ticket_id])
    checkout(hold_id=hold.hold_id, buyer={"name": "Web"})
    data = json.loads(kept_file(office, "A-1", "A-2", "B-1", "Z-99"))
    recorded = dict(data["sales"][1], sale_id=str(synced.results[0]["sale_id"]))
    data["sales"].append(recorded)
    hand_in(office, json.dumps(data).encode())
    states = [(r["seat"], r["state"], r["conflict"]) for r in kept_sales(office.office_id)]
    assert sorted(states) == sorted([
        ("A-1", KeptSaleState.FREE_HERE, False), ("A-2", KeptSaleState.SOLD_HERE, True),
        ("B-1", KeptSaleState.SOLD_ELSEWHERE, True), ("Z-99", KeptSaleState.UNKNOWN, True),
        ("A-2", KeptSaleState.RECORDED, False)])
    assert Ticket.objects.get(pk=a1.pk).status  # still for sale: evidence sold nothing


@pytest.mark.parametrize("mutate, message", [
    (lambda office, f: b"\xff\xfe not json", "not JSON"),
    (lambda office, f: b"[]", "not the kept sales file"),
    (lambda office, f: json.dumps({**json.loads(f), "kind": "something.else"}).encode(), "not the kept sales file"),
    (lambda office, f: json.dumps({**json.loads(f), "sales": []}).encode(), "no sale"),
    (lambda office, f: json.dumps({**json.loads(f), "office": {"office_id": "ofOTHER", "name": "Taquilla Este"}}).encode(),
     "another box office (Taquilla Este)"),
    (lambda office, f: json.dumps({**json.loads(f), "device_id": "dvOTHER"}).encode(), "another terminal"),
    (lambda office, f: _sale(f, 2, sale_id="nope"), "Sale 2 of the file has no valid sale id"),
    (lambda office, f: _sale(f, 1, sold_at="yesterday"), "Sale 1 of the file has no valid time of sale"),
    (lambda office, f: _sale(f, 1, sold_at="2026-11-30T20:15:00"), "no valid time of sale"),  # no offset
    (lambda office, f: _sale(f, 1, sold_at="2026-13-45T20:15:00Z"), "no valid time of sale"),  # not a real date
    (lambda office, f: _sale(f, 2, buyer={"name": "Ana\u0000"}), "Sale 2 of the file is not a sale"),  # NUL
    (lambda office, f: _sale(f, 1, seat_id="A\u0000"), "Sale 1 of the file is not a sale"),
    (lambda office, f: _sale(f, 2, payment_method="bitcoin"), "unknown payment method"),
    (lambda office, f: _sale(f, 1, price="-3"), "amount that is not a price"),
    (lambda office, f: _sale(f, 1, price="NaN"), "amount that is not a price"),
    (lambda office, f: _sale(f, 1, ticket_id=""), "no valid ticket id"),
    (lambda office, f: _sale(f, 1, buyer={"password": "x"}), "buyer details"),
    (lambda office, f: _sale(f, 2, sale_id=json.loads(f)["sales"][0]["sale_id"]), "same sale twice"),
    (lambda office, f: b" " * (evidence.MAX_FILE_BYTES + 1), "larger than"),
])
def test_a_bad_file_is_refused_with_what_is_wrong_and_writes_nothing(office, mutate, message):
    revoke_device(device_id=office.device_id)
    good = kept_file(office, "A-1", "B-1")
    # The messages are read in English whatever language an earlier test on this worker left active.
    with translation.override("en"):
        with pytest.raises(InvalidInput) as refused:
            hand_in(office, mutate(office, good))
        assert message in str(refused.value.message)
    assert not KeptOfficeSale.objects.exists()


def _sale(file: bytes, n: int, **changes) -> bytes:
    document = json.loads(file)
    document["sales"][n - 1].update(changes)
    return json.dumps(document).encode()


def test_an_office_whose_terminal_works_hands_in_nothing(office):
    with pytest.raises(evidence.OfficeNotRevoked):
        hand_in(office, kept_file(office, "A-1"))
    assert not KeptOfficeSale.objects.exists()


def sql(statement, params=None):
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement, params or [])


def insert(office, ticket_pk=None, *, event_id=None, device_id=None):
    sql("""INSERT INTO offices_keptofficesale (sale_id, office_id, event_id, ticket_id, ticket_ref, seat_ref, currency,
                                               sold_at, device_id, file_name, file_sha256, uploaded_at, uploaded_by)
           VALUES (%s, %s, %s, %s, 'x', '', '', now(), %s, 'f.json', '', now(), 'sql')""",
        [uuid.uuid4(), office.office_id, event_id or office.event_id, ticket_pk, device_id or office.device_id])


def test_the_database_keeps_the_evidence_only_for_a_revoked_office_and_never_changes_it(office, generated_event):
    from tests.conftest import make_event

    with pytest.raises(IntegrityError, match="kept_sale_office_not_revoked"):
        insert(office)
    revoke_device(device_id=office.device_id)
    other = make_event(name="Other night")
    with pytest.raises(IntegrityError, match="kept_sale_office_mismatch"):
        insert(office, event_id=other.event_id)
    with pytest.raises(IntegrityError, match="kept_sale_office_mismatch"):
        insert(office, device_id="dvSOMEONEELSE")
    insert(office, office.tickets["A-1"].pk)
    for statement in ("UPDATE offices_keptofficesale SET price = 0", "DELETE FROM offices_keptofficesale",
                      # no pending foreign-key checks first, or TRUNCATE would refuse for that reason
                      "SET CONSTRAINTS ALL IMMEDIATE; TRUNCATE offices_keptofficesale"):
        with pytest.raises(IntegrityError, match="kept_sale_append_only"):
            sql(statement)
    assert KeptOfficeSale.objects.count() == 1


def test_staff_hand_in_the_file_on_the_office_page_with_csrf(office, django_user_model):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    revoke_device(device_id=office.device_id)
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(django_user_model.objects.create_superuser("lead", password="pw-lead-12345"))
    url = reverse("admin:offices_office_kept_sales", args=[office.office_id])
    page = staff.get(url)
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.content.decode()
    data = kept_file(office, "A-1")
    refused = staff.post(url, {"file": SimpleUploadedFile("k.json", data)})
    assert refused.status_code == 403 and not KeptOfficeSale.objects.exists()  # no CSRF token
    token = page.cookies["csrftoken"].value
    bad = staff.post(url, {"file": SimpleUploadedFile("k.json", b"{"), "csrfmiddlewaretoken": token})
    assert bad.status_code == 200 and "not JSON" in bad.content.decode() and "Nothing was kept" in bad.content.decode()
    assert not KeptOfficeSale.objects.exists()
    ok = staff.post(url, {"file": SimpleUploadedFile("k.json", data), "csrfmiddlewaretoken": token})
    assert ok.status_code == 302 and KeptOfficeSale.objects.count() == 1
    change = staff.get(reverse("admin:offices_office_change", args=[office.office_id])).content.decode()
    assert 'id="kept-sales"' in change and "A-1" in change and "45.00" in change and "No conflict" in change
    spanish = staff.get(reverse("admin:offices_office_change", args=[office.office_id]),
                        HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Sin conflicto" in spanish and "Solo prueba" in spanish and "Tarjeta" in spanish, spanish
