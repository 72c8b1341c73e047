"""Printed tickets: A4 sheets of eight with cut marks, or one per 80 mm thermal-printer page.

What is the same on every ticket of an event (its name, date, venue, the captions) is drawn once
as a PDF form and placed on each ticket; what is the same for a zone (colour band, name,
re-entry) is one form per zone. Per ticket only the seat, the row, the reference and the QR code
are drawn, so a ticket costs a few hundred bytes and well under a millisecond, and a whole
event fits in one file (docs/adr/0027, figures in docs/benchmarks.md)."""
from __future__ import annotations

import enum
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from backoffice.printing import qr, words
from backoffice.printing.drawing import (
    BOLD,
    GREY,
    MONO,
    REGULAR,
    TextOps,
    cut_marks,
    draw_fitted,
    draw_lines,
    label,
    qr_ops,
    swatch,
)
from backoffice.printing.pdf_stream import PDFStream, captured
from core.localtime import format_local
from events.codes import active_key, ticket_code
from events.models import Event


class Layout(enum.StrEnum):
    A4 = "a4"
    THERMAL = "thermal"


LAYOUTS = [layout.value for layout in Layout]


class PrintedTicket(Protocol):
    """The fields a printed ticket shows (tickets.models.Ticket, or a row of values)."""

    ticket_id: str
    seat_number: int
    seat_row: str
    zone_id: str
    zone: str
    color: str
    reference: str


@dataclass(frozen=True)
class ZoneLook:
    zone_id: str
    name: str
    color: str
    reentry: bool


class _Sheet:
    """One layout: the page, where tickets go on it, and how each part is drawn."""

    page_size: tuple[float, float]
    cell: tuple[float, float]
    origins: list[tuple[float, float]]  # bottom-left corner of each ticket on a page

    def page_furniture(self, c: Canvas) -> None:
        pass

    def event_part(self, c: Canvas, event: Event) -> None:
        raise NotImplementedError

    def zone_part(self, c: Canvas, zone: ZoneLook) -> None:
        raise NotImplementedError

    def ticket_part(self, c: Canvas, text: TextOps, ticket: PrintedTicket, symbol: qr.Symbol) -> None:
        raise NotImplementedError


def _date(event: Event) -> str:
    return format_local(event.date_start, event.timezone)


class A4Sheet(_Sheet):
    """2 x 4 tickets of 95 x 69.25 mm on A4 portrait, 10 mm margins, cut marks on every cut."""

    page_size = A4
    margin = 10 * mm
    columns, rows = 2, 4

    def __init__(self):
        width, height = self.page_size
        self.cell = ((width - 2 * self.margin) / self.columns, (height - 2 * self.margin) / self.rows)
        cw, ch = self.cell
        # Left to right, top to bottom, as people read a sheet.
        self.origins = [(self.margin + col * cw, height - self.margin - (row + 1) * ch)
                        for row in range(self.rows) for col in range(self.columns)]
        self.xs = [self.margin + col * cw for col in range(self.columns + 1)]
        self.ys = [self.margin + row * ch for row in range(self.rows + 1)]
        self.text_x, self.text_w = 9 * mm, 38 * mm
        self.box = 44 * mm  # the QR code's white square, quiet zone included
        self.box_x, self.box_y = cw - 3 * mm - self.box, ch - 3 * mm - self.box

    def page_furniture(self, c: Canvas) -> None:
        cut_marks(c, self.page_size, self.xs, self.ys)

    def event_part(self, c: Canvas, event: Event) -> None:
        x, w = self.text_x, self.text_w
        h = self.cell[1]
        draw_lines(c, x, h - 3.5 * mm, event.name, BOLD, 11, w, 2, min_size=7)
        label(c, x, 53.5 * mm, words.DATE, width=w)
        draw_fitted(c, x, 50.3 * mm, _date(event), REGULAR, 8, w, min_size=6.5)
        label(c, x, 46.3 * mm, words.VENUE, width=w)
        draw_fitted(c, x, 43.1 * mm, event.venue or "—", REGULAR, 8, w, min_size=6.5)
        label(c, x, 39.1 * mm, words.ZONE, width=w)
        label(c, x, 29.5 * mm, words.SEAT, width=16 * mm)
        label(c, x + 17 * mm, 29.5 * mm, words.ROW, width=w - 17 * mm)
        draw_fitted(c, x, 9.5 * mm, str(words.ADMITS_ONE), BOLD, 7, w, min_size=5.5)
        bx, bw = self.box_x, self.box
        label(c, bx, 18.5 * mm, words.REFERENCE, width=bw, align="center")
        c.setFillColor(GREY)
        draw_lines(c, bx, 9.8 * mm, str(words.REFERENCE_HELP), REGULAR, 5.5, bw, 2, min_size=4.5, align="center")
        c.setFillColorRGB(0, 0, 0)

    def zone_part(self, c: Canvas, zone: ZoneLook) -> None:
        x, w = self.text_x, self.text_w
        swatch(c, 0, 0, 6 * mm, self.cell[1], zone.color)
        swatch(c, x, 34.2 * mm, 4 * mm, 4 * mm, zone.color)
        draw_fitted(c, x + 5.5 * mm, 35 * mm, zone.name, BOLD, 10, w - 5.5 * mm, min_size=7)
        text = words.REENTRY_ALLOWED if zone.reentry else words.NO_REENTRY
        draw_fitted(c, x, 6.2 * mm, str(text), REGULAR, 6, w, min_size=5)

    def ticket_part(self, c: Canvas, text: TextOps, ticket: PrintedTicket, symbol: qr.Symbol) -> None:
        x, w = self.text_x, self.text_w
        row = words.row_text(ticket.seat_row)
        # In reading order (seat, row, reference): text extraction and screen readers follow it.
        row_ops = text.fitted(x + 17 * mm, 22.5 * mm, row, BOLD, 11, w - 17 * mm, min_size=6)
        if row_ops is None:  # not plain ASCII: reportlab encodes it
            draw_fitted(c, x + 17 * mm, 22.5 * mm, row, BOLD, 11, w - 17 * mm, min_size=6)
        c.addLiteral("\n".join(filter(None, (
            text.fitted(x, 22 * mm, str(ticket.seat_number), BOLD, 18, 16 * mm, min_size=10), row_ops,
            text.fitted(self.box_x, 12.5 * mm, ticket.reference, MONO, 16, self.box, min_size=10, align="center"),
            qr_ops(symbol, self.box_x, self.box_y, self.box)))))


class ThermalSheet(_Sheet):
    """One ticket per page, 80 mm wide (a 72 mm printable line centred on 80 mm paper)."""

    width = 80 * mm
    side = 4 * mm
    box = 60 * mm

    def __init__(self):
        w = self.width - 2 * self.side
        # Top-down positions (mm from the top) of each element; the page is as tall as they need.
        at, y = {}, 5
        for name, height in (("event", 17), ("date_label", 3.5), ("date", 5), ("venue_label", 3.5), ("venue", 5.5),
                             ("band", 5), ("zone_label", 3.5), ("zone", 6), ("reentry", 5), ("seat_label", 3.5), ("seat", 10),
                             ("box", 62), ("ref_label", 3.5), ("reference", 9), ("help", 5), ("admits", 5)):
            at[name] = y
            y += height
        height = (y + 4) * mm
        self.page_size = (self.width, height)
        self.cell = self.page_size
        self.origins = [(0, 0)]
        self.w = w
        self.top = lambda name: height - at[name] * mm

    def event_part(self, c: Canvas, event: Event) -> None:
        x, w, top = self.side, self.w, self.top
        draw_lines(c, x, top("event"), event.name, BOLD, 13, w, 3, min_size=9, align="center")
        label(c, x, top("date_label") - 2.5 * mm, words.DATE, size=7, width=w, align="center")
        draw_fitted(c, x, top("date") - 3.5 * mm, _date(event), REGULAR, 10, w, min_size=7, align="center")
        label(c, x, top("venue_label") - 2.5 * mm, words.VENUE, size=7, width=w, align="center")
        draw_fitted(c, x, top("venue") - 3.5 * mm, event.venue or "—", REGULAR, 10, w, min_size=7, align="center")
        label(c, x, top("zone_label") - 2.5 * mm, words.ZONE, size=7, width=w, align="center")
        half = w / 2
        label(c, x, top("seat_label") - 2.5 * mm, words.SEAT, size=7, width=half, align="center")
        label(c, x + half, top("seat_label") - 2.5 * mm, words.ROW, size=7, width=half, align="center")
        label(c, x, top("ref_label") - 2.5 * mm, words.REFERENCE, size=7, width=w, align="center")
        c.setFillColor(GREY)
        draw_fitted(c, x, top("help") - 3 * mm, str(words.REFERENCE_HELP), REGULAR, 7, w, min_size=5.5,
                    align="center")
        c.setFillColorRGB(0, 0, 0)
        draw_fitted(c, x, top("admits") - 3.5 * mm, str(words.ADMITS_ONE), BOLD, 9, w, min_size=6, align="center")

    def zone_part(self, c: Canvas, zone: ZoneLook) -> None:
        x, w, top = self.side, self.w, self.top
        swatch(c, x, top("band") - 4 * mm, w, 4 * mm, zone.color)
        draw_fitted(c, x, top("zone") - 4.5 * mm, zone.name, BOLD, 14, w, min_size=8, align="center")
        text = words.REENTRY_ALLOWED if zone.reentry else words.NO_REENTRY
        draw_fitted(c, x, top("reentry") - 3.2 * mm, str(text), REGULAR, 8, w, min_size=6, align="center")

    def ticket_part(self, c: Canvas, text: TextOps, ticket: PrintedTicket, symbol: qr.Symbol) -> None:
        x, w, top = self.side, self.w, self.top
        half = w / 2
        row = words.row_text(ticket.seat_row)
        box_x, box_y = (self.width - self.box) / 2, top("box") - self.box
        row_ops = text.fitted(x + half, top("seat") - 7.5 * mm, row, BOLD, 14, half, min_size=7, align="center")
        if row_ops is None:  # not plain ASCII: reportlab encodes it
            draw_fitted(c, x + half, top("seat") - 7.5 * mm, row, BOLD, 14, half, min_size=7, align="center")
        c.addLiteral("\n".join(filter(None, (
            text.fitted(x, top("seat") - 8 * mm, str(ticket.seat_number), BOLD, 22, half, min_size=12,
                        align="center"), row_ops,
            text.fitted(x, top("reference") - 7 * mm, ticket.reference, MONO, 22, w, min_size=12, align="center"),
            qr_ops(symbol, box_x, box_y, self.box)))))


SHEETS = {Layout.A4: A4Sheet, Layout.THERMAL: ThermalSheet}


PAGES_PER_CHUNK = 8  # pages written before the bytes are handed on (a streamed response's chunk)


def ticket_pdf_chunks(*, event: Event, tickets: Iterable[PrintedTicket], zones: dict[str, ZoneLook], layout: Layout,
                      language: str | None = None, counter: list[int] | None = None) -> Iterator[bytes]:
    """The PDF of `tickets` (in the order given), as bytes produced page by page
    (backoffice/printing/pdf_stream.py). `zones` gives each zone's re-entry rule by zone_id (the
    ticket carries its own name and colour); the words are in `language` if given (es, en), else
    in the event's language. `counter[0]`, if given, is the number of tickets printed so far."""
    sheet = SHEETS[Layout(layout)]()
    key = active_key(event.event_id)
    counter = counter if counter is not None else [0]
    with words.in_print_language(event, language):
        c = Canvas(io.BytesIO(), pagesize=sheet.page_size)  # draws only: its operators go to `pdf`
        text = TextOps(c)
        pdf = PDFStream(c, title=f"{event.name} — {words.TICKETS_TITLE}")
        event_form = pdf.form("Fe", *sheet.cell, captured(c, lambda: sheet.event_part(c, event)))
        furniture = None
        if type(sheet).page_furniture is not _Sheet.page_furniture:
            furniture = pdf.form("Fp", *sheet.page_size, captured(c, lambda: sheet.page_furniture(c)))
        yield pdf.take()
        zone_forms: dict[tuple[str, str, str], str] = {}
        per_page = len(sheet.origins)
        ops: list[str] = []
        pages = 0
        for ticket in tickets:
            slot = counter[0] % per_page
            if slot == 0 and ops:
                pages = _end_page(pdf, sheet, ops, furniture, pages)
                if pages % PAGES_PER_CHUNK == 0:
                    yield pdf.take()
            look = (ticket.zone_id, ticket.zone, ticket.color)
            form = zone_forms.get(look)
            if form is None:
                rule = zones.get(ticket.zone_id)
                zone = ZoneLook(zone_id=ticket.zone_id, name=ticket.zone, color=ticket.color,
                                reentry=bool(rule and rule.reentry))
                form = zone_forms[look] = pdf.form(f"Fz{len(zone_forms)}", *sheet.cell,
                                                   captured(c, lambda z=zone: sheet.zone_part(c, z)))
            x, y = sheet.origins[slot]
            symbol = qr.encode(ticket_code(ticket, key))
            ops.append(f"q 1 0 0 1 {x:.3f} {y:.3f} cm\n{event_form}\n{form}\n"
                       f"{captured(c, lambda t=ticket, s=symbol: sheet.ticket_part(c, text, t, s))}\nQ")
            counter[0] += 1
        if ops:
            _end_page(pdf, sheet, ops, furniture, pages)
        yield pdf.finish()


def _end_page(pdf: PDFStream, sheet: _Sheet, ops: list[str], furniture: str | None, pages: int) -> int:
    if furniture:  # last, so that the crosses show over the tickets' colour bands
        ops.append(furniture)
    pdf.page(*sheet.page_size, "\n".join(ops))
    ops.clear()
    return pages + 1


def render_tickets(*, event: Event, tickets: Iterable[PrintedTicket], zones: dict[str, ZoneLook], layout: Layout,
                   out: BinaryIO, language: str | None = None) -> int:
    """Write the PDF of `tickets` to `out` (see ticket_pdf_chunks); returns how many were printed."""
    counter = [0]
    for chunk in ticket_pdf_chunks(event=event, tickets=tickets, zones=zones, layout=layout, language=language,
                                   counter=counter):
        out.write(chunk)
    return counter[0]
