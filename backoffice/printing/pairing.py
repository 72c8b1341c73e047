"""The pairing sheet: every device of an event still to be paired, six to an A4 page, each with
its name, role and gate, a QR code of its pairing URL (a phone's camera opens the scanner app
already paired) and the code itself for typing, with when it expires in the event's time."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import BinaryIO

from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from backoffice.printing import qr, words
from backoffice.printing.drawing import (
    BOLD,
    GREY,
    MONO,
    REGULAR,
    cut_marks,
    draw_fitted,
    draw_lines,
    draw_qr,
    label,
    new_canvas,
    notice,
)
from backoffice.printing.services import PairingSheet, SheetEntry
from core.localtime import format_local

MARGIN = 10 * mm
HEADER = 38 * mm
COLUMNS, ROWS = 2, 3


def spaced(code: str) -> str:
    """K7QH2MX9RA -> K7QH-2MX9-RA: easier to read aloud and type (pairing ignores the dashes)."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def render_pairing_sheet(*, sheet: PairingSheet, url_for: Callable[[str], str], out: BinaryIO,
                         printed_at: datetime | None = None, language: str | None = None) -> int:
    event = sheet.event
    width, height = A4
    cw, ch = (width - 2 * MARGIN) / COLUMNS, (height - 2 * MARGIN - HEADER) / ROWS
    origins = [(MARGIN + col * cw, MARGIN + (ROWS - 1 - row) * ch) for row in range(ROWS) for col in range(COLUMNS)]
    xs = [MARGIN + col * cw for col in range(COLUMNS + 1)]
    ys = [MARGIN + row * ch for row in range(ROWS + 1)]
    printed_at = printed_at or timezone.now()
    pages = (len(sheet.entries) + len(origins) - 1) // len(origins)
    with words.in_print_language(event, language):
        c = new_canvas(out, page_size=A4, title=f"{event.name} — {words.PAIRING_TITLE}")
        if not sheet.entries:  # a page that says so: the set-up page links this sheet before any device exists
            notice(c, A4, event, str(words.PAIRING_TITLE), str(words.NOTHING_TO_PAIR))
        for page in range(pages):
            _header(c, sheet, printed_at, page + 1, pages)
            for slot, entry in enumerate(sheet.entries[page * len(origins):(page + 1) * len(origins)]):
                x, y = origins[slot]
                c.saveState()
                c.translate(x, y)
                _device(c, (cw, ch), entry, url_for(entry.pairing_code), event.timezone)
                c.restoreState()
            cut_marks(c, A4, xs, ys)
            c.showPage()
        c.save()
    return len(sheet.entries)


def _header(c, sheet: PairingSheet, printed_at: datetime, page: int, pages: int) -> None:
    event = sheet.event
    width, height = A4
    inner = width - 2 * MARGIN
    top = height - MARGIN
    draw_fitted(c, MARGIN, top - 6 * mm, str(words.PAIRING_TITLE), BOLD, 16, inner * 0.7, min_size=11)
    c.saveState()
    c.setFillColor(GREY)
    draw_fitted(c, MARGIN, top - 6 * mm, f"{words.PAGE} {page}/{pages}", REGULAR, 8, inner, align="right")
    c.restoreState()
    draw_fitted(c, MARGIN, top - 12.5 * mm, f"{event.name} · {format_local(event.date_start, event.timezone)}",
                BOLD, 10, inner, min_size=7)
    draw_lines(c, MARGIN, top - 15 * mm, f"{words.PAIRING_HOWTO} {words.PAIRING_ONCE}", REGULAR, 8.5, inner, 2,
               min_size=7)
    earliest = min(e.expires_at for e in sheet.entries)
    draw_fitted(c, MARGIN, top - 26.5 * mm, words.expires_text(format_local(earliest, event.timezone)), BOLD, 9,
                inner, min_size=7)
    c.saveState()
    c.setFillColor(GREY)
    draw_fitted(c, MARGIN, top - 31.5 * mm, f"{words.PRINTED_AT} {format_local(printed_at, event.timezone)}",
                REGULAR, 7.5, inner, min_size=6)
    c.restoreState()


def _device(c, cell, entry: SheetEntry, url: str, zone_name: str) -> None:
    w, h = cell
    pad = 4 * mm
    device = entry.device
    box = 54 * mm
    symbol = qr.encode(url)
    box_x, box_y = w - 2 * mm - box, (h - box) / 2
    draw_qr(c, symbol, box_x, box_y, box)
    col = box_x - pad
    y = h - pad - 4 * mm
    draw_lines(c, pad, h - pad, device.name, BOLD, 13, col, 2, min_size=8)
    y = h - pad - 14 * mm
    label(c, pad, y, words.ROLES.get(device.role, device.role), size=7, width=col)
    y -= 7 * mm
    if device.checkpoint is not None:
        label(c, pad, y, words.GATE, size=6.5, width=col)
        draw_fitted(c, pad, y - 4.5 * mm, device.checkpoint.name, BOLD, 11, col, min_size=7)
    else:
        draw_fitted(c, pad, y - 4.5 * mm, str(words.BOX_OFFICE), BOLD, 11, col, min_size=7)
    y -= 14 * mm
    label(c, pad, y, words.CODE, size=6.5, width=col)
    draw_fitted(c, pad, y - 5 * mm, spaced(entry.pairing_code), MONO, 12, col, min_size=8)
    y -= 13 * mm
    label(c, pad, y, words.EXPIRES_AT, size=6.5, width=col)
    draw_fitted(c, pad, y - 4 * mm, format_local(entry.expires_at, zone_name), REGULAR, 8, col, min_size=6)
