"""Exports (GET /api/v1/events/{id}/exports/{tickets|scans|sales|offices}.{csv|xlsx}) read back
with the csv module and openpyxl, row by row, for the hand-built night of report_scenario.py; and
proof that they stream: a 20,000-ticket event's CSV comes through a server-side cursor in one
query, without its rows ever being held together."""
from __future__ import annotations

import csv
import io
import tracemalloc

import pytest
from django.db import connection
from django.http import FileResponse, StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from backoffice import exports
from backoffice.exports_writers import XLSX_CONTENT_TYPE
from events import services as event_services
from tests.backoffice.report_scenario import at, build_night
from tickets.services import generate_tickets

pytestmark = pytest.mark.django_db

TICKET_HEADER = ["Seat", "Row", "Zone", "Zone code", "State", "Channel", "Price", "Currency", "Buyer", "Buyer email",
                 "Reference", "First entry", "First entry gate", "Ticket id"]
SCAN_HEADER = ["Time", "Gate", "Device", "Direction", "Result", "Reason", "Reason code", "Seat or credential",
               "Zone code", "Mode", "Late upload", "Quarantined", "Received", "Scan id"]
SALE_HEADER = ["Seat", "Row", "Zone", "Reference", "Channel", "Price", "Currency", "Buyer", "Buyer email", "Sold at",
               "Recorded at", "Sold by", "Ticket id"]
OFFICE_HEADER = ["Row type", "Name", "Id or code", "Device", "Assigned", "Sold", "Returned", "Outstanding", "Revenue",
                 "Refunds due", "Refunds due (amount)", "Currency"]


@pytest.fixture
def night(db):
    return build_night()


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="noche-de-prueba-2026-01-17-')
    return list(csv.reader(io.StringIO(_body(response).decode("utf-8-sig"))))


def read_xlsx(response) -> list[list]:
    assert response.status_code == 200 and isinstance(response, FileResponse)
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(_body(response)), read_only=True).worksheets[0]
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def local(hms: str) -> str:
    return f"2026-01-17 {hms} (UTC+01:00)"


def expected_tickets(night) -> list[list[str]]:
    ref = {t.seat_id: (t.reference, t.ticket_id) for t in night.event.tickets.all()}
    zoe, ada = ["Zoe Buyer", "zoe@example.com"], ["Ada Online", "ada@example.com"]
    none = ["", ""]

    def row(seat, zone, code, state, channel, price, buyer, entry="", gate=""):
        return [seat, "por asignar", zone, code, state, channel, price, "EUR" if price else "", *buyer, ref[seat][0],
                entry, gate, ref[seat][1]]

    a = lambda seat, *rest, **kw: row(seat, "Ringside", "A", *rest, **kw)
    b = lambda seat, *rest, **kw: row(seat, "General", "B", *rest, **kw)
    return [
        a("A-1", "Left after entering", "Sold by staff", "45.00", zoe, local("20:00:05"), "North"),
        a("A-2", "Inside", "Sold by staff", "45.00", zoe, local("20:00:20"), "North"),
        a("A-3", "Sold", "Sold by staff", "45.00", zoe),
        a("A-4", "Available", "", "", none),
        a("A-5", "Available", "", "", none),
        b("B-1", "Inside", "Online", "20.00", ada, local("20:00:40"), "North"),
        b("B-2", "Inside", "Online", "20.00", ada, local("20:01:30"), "South"),
        b("B-3", "Inside", "Online", "20.00", ada, local("20:02:30"), "North"),
        b("B-4", "Sold", "Online", "20.00", ada),
        b("B-5", "Sold", "Box office", "20.00", ["Box Buyer", ""]),
        *[b(f"B-{n}", "Available", "", "", none) for n in range(6, 11)],  # B-6 returned, B-7's office sale refused
    ]


def test_tickets_csv(api, night):
    rows = read_csv(api.get(f"/api/v1/events/{night.event.event_id}/exports/tickets.csv"))
    assert rows[0] == TICKET_HEADER
    assert rows[1:] == expected_tickets(night)


def test_tickets_xlsx(api, night):
    rows = read_xlsx(api.get(f"/api/v1/events/{night.event.event_id}/exports/tickets.xlsx"))
    assert rows[0] == TICKET_HEADER
    # The same rows, with money as numbers.
    expected = [[float(v) if i == 6 and v else v for i, v in enumerate(r)] for r in expected_tickets(night)]
    assert rows[1:] == expected
    sheet = load_workbook(io.BytesIO(_body(api.get(f"/api/v1/events/{night.event.event_id}/exports/tickets.xlsx"))))
    assert sheet.active["G2"].number_format == "#,##0.00" and sheet.active["A1"].font.bold
    assert sheet.active.freeze_panes == "A2"


SCANS = [  # the scenario's log in door-time order, without the server's receipt time and scan id
    ["20:00:05", "North", "North 1", "Entry", "Accepted", "", "", "A-1", "A", "Online", "no", "no"],
    ["20:00:20", "North", "North 1", "Entry", "Accepted", "", "", "A-2", "A", "Online", "no", "no"],
    ["20:00:40", "North", "North 1", "Entry", "Accepted", "", "", "B-1", "B", "Online", "no", "no"],
    ["20:00:50", "North", "North 1", "Entry", "Rejected", "Not a valid ticket (fake or damaged code)",
     "invalid_signature", "", "", "Online", "no", "no"],
    ["20:01:10", "North", "North 1", "Entry", "Rejected", "Already inside", "already_inside", "A-1", "A", "Online",
     "no", "no"],
    ["20:01:15", "North", "North 1", "Entry", "Rejected", "Already inside", "already_inside", "A-1", "A", "Online",
     "no", "no"],
    ["20:01:30", "South", "South 1", "Entry", "Accepted", "", "", "B-2", "B", "Online", "no", "no"],
    ["20:01:40", "South", "South 1", "Entry", "Rejected", "Ticket never sold", "not_sold", "A-4", "A", "Online", "no",
     "no"],
    ["20:02:10", "South", "South 1", "Exit", "Accepted", "", "", "B-1", "B", "Online", "no", "no"],
    ["20:02:30", "North", "North 2", "Entry", "Accepted", "", "", "B-3", "B", "Online", "no", "no"],
    ["20:02:45", "North", "North 2", "Entry", "Rejected", "Already inside", "already_inside", "B-2", "B",
     "Offline, uploaded later", "yes", "no"],
    ["20:03:00", "South", "South 1", "Entry", "Accepted", "", "", "Sam Staff (staff)", "", "Online", "no", "no"],
    ["20:04:00", "South", "South 1", "Entry", "Accepted", "", "", "B-1", "B", "Online", "no", "no"],
    ["20:04:20", "North", "North 1", "Exit", "Accepted", "", "", "A-1", "A", "Online", "no", "no"],
    ["20:05:05", "North", "North 1", "Entry", "Rejected", "Already used, no re-entry in this zone", "already_used",
     "A-1", "A", "Online", "no", "no"],
]


def test_scans_csv_and_xlsx(api, night):
    from access.models import Scan

    scan_ids = {str(s) for s in Scan.objects.filter(event=night.event).values_list("scan_id", flat=True)}
    for fmt, read in (("csv", read_csv), ("xlsx", read_xlsx)):
        rows = read(api.get(f"/api/v1/events/{night.event.event_id}/exports/scans.{fmt}"))
        assert rows[0] == SCAN_HEADER
        assert [r[:12] for r in rows[1:]] == [[local(r[0]), *r[1:]] for r in SCANS], fmt
        assert {r[13] for r in rows[1:]} == scan_ids
        assert all(r[12].startswith("20") and r[12].endswith(")") for r in rows[1:])  # received, local time


def test_sales_csv(api, night):
    rows = read_csv(api.get(f"/api/v1/events/{night.event.event_id}/exports/sales.csv"))
    assert rows[0] == SALE_HEADER
    refs = {t.seat_id: (t.reference, t.ticket_id) for t in night.event.tickets.all()}
    got = [[r[0], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[11], r[12]] for r in rows[1:]]
    expected = []
    for seat, zone, channel, price, buyer, email, by in [
        ("A-1", "Ringside", "Sold by staff", "45.00", "Zoe Buyer", "zoe@example.com", "ana"),
        ("A-2", "Ringside", "Sold by staff", "45.00", "Zoe Buyer", "zoe@example.com", "ana"),
        ("A-3", "Ringside", "Sold by staff", "45.00", "Zoe Buyer", "zoe@example.com", "ana"),
        *[(f"B-{n}", "General", "Online", "20.00", "Ada Online", "ada@example.com", "web") for n in range(1, 5)],
        ("B-5", "General", "Box office", "20.00", "Box Buyer", "", "Taquilla Norte"),
    ]:
        expected.append([seat, zone, refs[seat][0], channel, price, "EUR", buyer, email, by, refs[seat][1]])
    assert got == expected
    # A box-office sale happened at the office (its own clock, 18:00); the others when recorded.
    b5 = rows[-1]
    assert b5[9] == local("18:00:00") and b5[10] != b5[9] and b5[10].endswith("(UTC+01:00)")
    assert all(r[9] == r[10] for r in rows[1:-1])


def test_offices_csv_and_xlsx(api, night):
    office = night.office
    expected = [
        ["Office", "Taquilla Norte", office.office_id, "Taquilla Norte", "2", "1", "1", "0", "20.00", "1",
         "20.00", "EUR"],
        ["Sale channel", "Online", "online", "", "", "4", "", "", "80.00", "", "", "EUR"],
        ["Sale channel", "Box office", "box_office", "", "", "1", "", "", "20.00", "", "", "EUR"],
        ["Sale channel", "Sold by staff", "manual", "", "", "3", "", "", "135.00", "", "", "EUR"],
    ]
    rows = read_csv(api.get(f"/api/v1/events/{night.event.event_id}/exports/offices.csv"))
    assert rows == [OFFICE_HEADER, *expected]
    rows = read_xlsx(api.get(f"/api/v1/events/{night.event.event_id}/exports/offices.xlsx"))
    as_numbers = [[(float(v) if "." in v else int(v)) if v and v.replace(".", "").isdigit() else v for v in r]
                  for r in expected]
    assert rows == [OFFICE_HEADER, *as_numbers]


def test_export_errors_and_access(api, anon, night):
    base = f"/api/v1/events/{night.event.event_id}/exports"
    assert api.get("/api/v1/events/nope/exports/tickets.csv").json()["error"]["code"] == "not_found"
    for bad in ("ledger.csv", "tickets.pdf", "tickets"):
        r = api.get(f"{base}/{bad}")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", bad
    assert anon.get(f"{base}/tickets.csv").status_code in (401, 403)
    # A client that asks for CSV by its Accept header gets it (no 406).
    assert api.get(f"{base}/tickets.csv", HTTP_ACCEPT="text/csv").status_code == 200


def test_headers_follow_the_event_language(api, night):
    night.event.language = "es"
    night.event.save(update_fields=["language"])
    rows = read_csv(api.get(f"/api/v1/events/{night.event.event_id}/exports/tickets.csv"))
    # In the event's language, whoever asks (the request here speaks English).
    with translation.override("es"):
        spanish = [gettext(h) for h in TICKET_HEADER]
    assert rows[0] == spanish and rows[0] != TICKET_HEADER and "Asiento" in rows[0]


# --------------------------------------------------------------------------- streaming

@pytest.fixture
def big_event(db):
    event = event_services.create_event(name="Big Night", date_start=at(60), date_end=at(300))
    event_services.setup_zones(event_id=event.event_id, status=True, zones=[
        event_services.ZoneSpec(zone_id="F", name="Floor", color="#2980B9", seats=12_000),
        event_services.ZoneSpec(zone_id="S", name="Stands", color="#8E44AD", seats=8_000)])
    generate_tickets(event_id=event.event_id)
    return event


def test_a_20000_ticket_export_streams_from_a_server_side_cursor(api, big_event):
    response = api.get(f"/api/v1/events/{big_event.event_id}/exports/tickets.csv")
    assert isinstance(response, StreamingHttpResponse) and response.streaming
    chunks = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as queries:
        first = next(chunks)
        # The query runs behind a named (server-side) cursor, open while the rows are being sent.
        with connection.cursor() as cur:
            cur.execute("SELECT name, statement FROM pg_cursors WHERE statement LIKE %s", ["%tickets_ticket%"])
            open_cursors = cur.fetchall()
        rest = b"".join(chunks)
    assert len(open_cursors) == 1 and open_cursors[0][0].startswith("_django_curs_"), open_cursors
    reads = [q["sql"] for q in queries.captured_queries if "tickets_ticket" in q["sql"] and "pg_cursors" not in q["sql"]]
    assert len(reads) == 1, "one query of the tickets for the whole export, not one per row or per chunk"
    assert reads[0].startswith('DECLARE "_django_curs_') and " CURSOR FOR SELECT " in reads[0]
    lines = (first + rest).decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 20_000 and lines[1].startswith("F-1,") and lines[-1].startswith("S-8000,")
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_cursors WHERE statement LIKE %s", ["%tickets_ticket%"])
        assert cur.fetchone()[0] == 0, "the cursor is closed once the export has been sent"


def test_streaming_holds_a_chunk_not_the_event(api, big_event):
    """Python's peak allocation while the whole 20,000-ticket CSV is produced stays a fraction of
    what holding the same rows at once takes (the negative control: list() of the same export)."""
    def peak(fn) -> int:
        tracemalloc.start()
        try:
            fn()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    def stream():
        response = api.get(f"/api/v1/events/{big_event.event_id}/exports/tickets.csv")
        total = 0
        for chunk in response.streaming_content:
            total += len(chunk)
        assert total > 1_000_000

    def hold_everything():
        rows = list(exports.ticket_rows(big_event))
        assert len(rows) == 20_000

    stream()  # warm: first-use imports and caches are not the export's memory
    streamed, held = peak(stream), peak(hold_everything)
    print(f"peak Python allocation: streamed {streamed / 1e6:.1f} MB, held {held / 1e6:.1f} MB")
    assert streamed < held / 3, (streamed, held)


def test_xlsx_is_built_on_disk_and_streamed_from_there(api, big_event):
    response = api.get(f"/api/v1/events/{big_event.event_id}/exports/tickets.xlsx")
    assert isinstance(response, FileResponse) and response.streaming
    body = _body(response)
    rows = list(load_workbook(io.BytesIO(body), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 20_001 and rows[1][0] == "F-1" and rows[-1][0] == "S-8000"
