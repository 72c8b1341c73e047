"""Reading printed PDFs back as a person and a scanner would: the text of each page (pypdf), the
page sizes, and every QR code on each page, decoded from the page rendered to pixels (pypdfium2
renders, ZXing decodes). The other tests of printing use these helpers; the tests here show that
the reader itself fails where it should, so a passing print test means something."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pypdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from backoffice.printing import qr
from backoffice.printing.drawing import draw_qr
from tickets.references import REFERENCE_REGEX

MM = 72 / 25.4
RENDER_DPI = 150
REFERENCE_LINE = re.compile(REFERENCE_REGEX)


@dataclass(frozen=True)
class Code:
    text: str
    x: float  # top-left corner in pixels of the rendered page
    y: float


def body(response) -> bytes:
    """A response's bytes, streamed (printed tickets) or whole (badges, pairing sheets)."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def page_sizes_mm(data: bytes) -> list[tuple[float, float]]:
    return [(float(p.mediabox.width) / MM, float(p.mediabox.height) / MM)
            for p in pypdf.PdfReader(io.BytesIO(data)).pages]


def page_codes(data: bytes, *, dpi: int = RENDER_DPI) -> list[list[Code]]:
    """Every QR code of every page, in reading order (top to bottom, then left to right)."""
    pages = []
    document = pdfium.PdfDocument(data)
    try:
        for page in document:
            image = page.render(scale=dpi / 72, grayscale=True).to_pil()
            found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
            codes = [Code(r.text, r.position.top_left.x, r.position.top_left.y) for r in found if r.valid]
            row_height = 20 * mm * dpi / 72  # codes on one printed row start within this of each other
            pages.append(sorted(codes, key=lambda c: (round(c.y / row_height), c.x)))
            page.close()
    finally:
        document.close()
    return pages


def references_in(text: str) -> list[str]:
    """The ticket references printed on a page, in drawing order (each on its own line)."""
    return [line.strip() for line in text.splitlines() if REFERENCE_LINE.match(line.strip())]


def ticket_blocks(text: str) -> list[str]:
    """A page's text cut after each reference: on an A4 sheet each ticket's text ends with its
    reference (event, zone, seat, row, reference), so block i is the text of the i-th ticket."""
    blocks, current = [], []
    for line in text.splitlines():
        current.append(line)
        if REFERENCE_LINE.match(line.strip()):
            blocks.append("\n".join(current))
            current = []
    return blocks


# --------------------------------------------------------------------------- the reader's own tests

def _pdf_with(payloads: list[str], size_mm: float = 30) -> bytes:
    out = io.BytesIO()
    c = Canvas(out)
    for i, payload in enumerate(payloads):
        draw_qr(c, qr.encode(payload), 20 * mm + (i % 3) * 60 * mm, 200 * mm - (i // 3) * 60 * mm, size_mm * mm)
    c.drawString(20 * mm, 20 * mm, "K3TK T6MX")  # a reference split by a space is not a reference line
    c.drawString(20 * mm, 30 * mm, "K3TKT6MX")
    c.save()
    return out.getvalue()


def test_the_reader_finds_every_code_in_reading_order():
    payloads = [f"T.event-{i}.key.signature{i}" for i in range(6)]
    data = _pdf_with(payloads)
    assert [c.text for c in page_codes(data)[0]] == payloads
    assert references_in(page_texts(data)[0]) == ["K3TKT6MX"]


def test_the_reader_misses_a_code_printed_too_small_to_scan():
    """A negative control: at a fraction of a millimetre per module nothing decodes, so the print
    tests' "every code decodes" depends on how the codes are printed."""
    data = _pdf_with(["T.event-1.key.signature-that-is-long-enough-to-need-version-4-or-so-0123456789"],
                     size_mm=4)
    assert page_codes(data) == [[]]


@pytest.mark.parametrize("dpi", [100, 150])
def test_a_damaged_code_is_not_misread(dpi):
    """Ink over a third of the symbol: ZXing either fails or reads the right text, never another."""
    out = io.BytesIO()
    c = Canvas(out)
    draw_qr(c, qr.encode("T.some-ticket.key.sig"), 50 * mm, 150 * mm, 40 * mm)
    c.rect(50 * mm, 150 * mm, 40 * mm, 14 * mm, stroke=0, fill=1)
    c.save()
    texts = [code.text for code in page_codes(out.getvalue(), dpi=dpi)[0]]
    assert texts in ([], ["T.some-ticket.key.sig"])
