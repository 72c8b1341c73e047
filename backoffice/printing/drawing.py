"""Drawing helpers shared by the printed outputs: the canvas, QR codes, fitted text, colour
swatches and cut marks (reportlab; docs/adr/0027)."""
from __future__ import annotations

from typing import BinaryIO

from reportlab import rl_config
from reportlab.lib.colors import HexColor, black
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from backoffice.printing.qr import Symbol
from core.localtime import format_local

# Binary (Flate only) streams. With ASCII85 on, reportlab's default, the streams are a quarter
# larger and, without its optional C accelerator, encoding them was most of the time of a
# 100,000-ticket file. Nothing else in the project draws with reportlab.
rl_config.useA85 = 0

QUIET_ZONE_MODULES = 4  # the white margin a QR code needs around it (ISO/IEC 18004)
REGULAR, BOLD, MONO = "Helvetica", "Helvetica-Bold", "Courier-Bold"
GREY = HexColor("#555555")
HAIRLINE = 0.3


def new_canvas(out: BinaryIO, *, page_size: tuple[float, float], title: str) -> Canvas:
    c = Canvas(out, pagesize=page_size, pageCompression=1)
    c.setTitle(title)
    c.setCreator("TicketCore")
    c.setAuthor("TicketCore")
    return c


def qr_ops(symbol: Symbol, x: float, y: float, box: float) -> str:
    """PDF operators drawing `symbol` centred in a white square of `box` points whose bottom-left
    corner is (x, y), the square including the quiet zone. The code is a 1-bit image mask
    (`/IM true`, one bit per module, 1 = ink): a few hundred bytes, and one operator for the
    printer instead of a rectangle per dark module."""
    n = symbol.size
    side = box * n / (n + 2 * QUIET_ZONE_MODULES)
    inset = (box - side) / 2
    return (f"q 0 g {side:.3f} 0 0 {side:.3f} {x + inset:.3f} {y + inset:.3f} cm "
            f"BI /W {n} /H {n} /IM true /D [1 0] /F /AHx ID {symbol.packed_rows().hex()}> EI Q")


def draw_qr(c: Canvas, symbol: Symbol, x: float, y: float, box: float) -> None:
    """`symbol` centred in a white square of `box` points at (x, y), quiet zone included."""
    c.addLiteral(qr_ops(symbol, x, y, box))


def text_width(text: str, font: str, size: float) -> float:
    if font == MONO:  # every Courier glyph is 600/1000 of the size wide
        return len(text) * 0.6 * size
    return stringWidth(text, font, size)


def fit(text: str, font: str, size: float, width: float, *, min_size: float | None = None) -> tuple[str, float]:
    """`text` at the largest size from `size` down to `min_size` that fits `width`; if it does
    not fit even then, cut with an ellipsis."""
    min_size = min_size or size
    text = " ".join(str(text).split())
    wide = text_width(text, font, size)
    if wide <= width:
        return text, size
    shrunk = max(min_size, size * width / wide * 0.995)
    if stringWidth(text, font, shrunk) <= width:
        return text, shrunk
    while text and stringWidth(text + "…", font, shrunk) > width:
        text = text[:-1]
    return text.rstrip() + "…", shrunk


def draw_fitted(c: Canvas, x: float, y: float, text: str, font: str, size: float, width: float, *,
                min_size: float | None = None, align: str = "left") -> float:
    """Draw `text` fitted to `width` with its baseline at y; returns the size used."""
    text, size = fit(text, font, size, width, min_size=min_size)
    c.setFont(font, size)
    if align == "center":
        c.drawCentredString(x + width / 2, y, text)
    elif align == "right":
        c.drawRightString(x + width, y, text)
    else:
        c.drawString(x, y, text)
    return size


def lines(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """`text` wrapped to `width`, at most `max_lines` lines, the last cut with an ellipsis."""
    wrapped = simpleSplit(" ".join(str(text).split()), font, size, width) or [""]
    if len(wrapped) > max_lines:
        last = " ".join(wrapped[max_lines - 1:])
        wrapped = wrapped[:max_lines - 1] + [fit(last + " …", font, size, width)[0]]
    return [fit(line, font, size, width)[0] for line in wrapped]


def draw_lines(c: Canvas, x: float, top: float, text: str, font: str, size: float, width: float, max_lines: int, *,
               min_size: float | None = None, align: str = "left") -> float:
    """Wrapped text whose first line's top is at `top`, at the largest size from `size` down to
    `min_size` at which it fits in `max_lines` (cut with an ellipsis if it never does). Returns
    the size used."""
    used = size
    while used > (min_size or size) and len(simpleSplit(" ".join(str(text).split()), font, used, width)) > max_lines:
        used -= 0.5
    leading = used * 1.15
    found = lines(text, font, used, width, max_lines)
    y = top - used * 0.85
    c.setFont(font, used)
    for line in found:
        if align == "center":
            c.drawCentredString(x + width / 2, y, line)
        else:
            c.drawString(x, y, line)
        y -= leading
    return used


def label(c: Canvas, x: float, y: float, text: str, *, size: float = 6, width: float | None = None,
          align: str = "left") -> None:
    """A small grey caption above a value (upper case reads as a label in any language)."""
    c.saveState()
    c.setFillColor(GREY)
    text = str(text).upper()
    if width is None:
        c.setFont(REGULAR, size)
        c.drawString(x, y, text)
    else:
        draw_fitted(c, x, y, text, REGULAR, size, width, min_size=size * 0.8, align=align)
    c.restoreState()


def swatch(c: Canvas, x: float, y: float, w: float, h: float, color: str) -> None:
    """A box filled with a zone's colour, outlined so that a white or pale colour still shows."""
    c.saveState()
    c.setFillColor(HexColor(color))
    c.setStrokeColor(black)
    c.setLineWidth(HAIRLINE)
    c.rect(x, y, w, h, stroke=1, fill=1)
    c.restoreState()


def cut_marks(c: Canvas, page_size: tuple[float, float], xs: list[float], ys: list[float], *,
              length: float = 4 * mm, gap: float = 1 * mm) -> None:
    """Marks in the margins on the line of every cut, and small crosses where inner cuts meet,
    for a guillotine or a paper cutter: cut along the marks, through the whole sheet."""
    width, height = page_size
    left, right, bottom, top = xs[0], xs[-1], ys[0], ys[-1]
    c.saveState()
    c.setLineWidth(HAIRLINE)
    c.setStrokeColor(black)
    for x in xs:
        c.line(x, bottom - gap, x, max(0, bottom - gap - length))
        c.line(x, top + gap, x, min(height, top + gap + length))
    for y in ys:
        c.line(left - gap, y, max(0, left - gap - length), y)
        c.line(right + gap, y, min(width, right + gap + length), y)
    arm = 1.5 * mm
    for x in xs[1:-1]:
        for y in ys[1:-1]:
            c.line(x - arm, y, x + arm, y)
            c.line(x, y - arm, x, y + arm)
    c.restoreState()


def notice(c: Canvas, page_size: tuple[float, float], event, title: str, text: str) -> None:
    """A page that says why there is nothing else in the document."""
    width, height = page_size
    inner = width - 40 * mm
    draw_fitted(c, 20 * mm, height - 30 * mm, title, BOLD, 16, inner, min_size=10)
    draw_fitted(c, 20 * mm, height - 37 * mm, f"{event.name} · {format_local(event.date_start, event.timezone)}",
                BOLD, 10, inner, min_size=7)
    draw_lines(c, 20 * mm, height - 45 * mm, text, REGULAR, 11, inner, 4, min_size=8)


class TextOps:
    """PDF text operators for the short texts drawn on every ticket (seat number, row, reference),
    written directly: about 1 us a text instead of reportlab's 20 us, which at 100,000 tickets is
    seconds. The text is encoded as reportlab encodes it for the standard fonts (WinAnsi, that is
    cp1252, bytes above 127 and `\\ ( )` escaped); a character outside it returns None and the
    caller draws that text with reportlab, which substitutes a glyph. The font resource names are
    reportlab's own, asked of its document (which also puts the fonts in every page's resources)."""

    CACHE_LIMIT = 4096

    def __init__(self, c: Canvas):
        self._names = {font: c._doc.getInternalFontName(font) for font in (REGULAR, BOLD, MONO)}
        # The same text at the same place recurs (every row reads "to be assigned" at first, seat
        # numbers repeat from zone to zone): measuring it again was most of this class's time.
        self._done: dict[tuple, str | None] = {}

    @staticmethod
    def pdf_string(text: str) -> str | None:
        if text.isascii() and text.isprintable():  # seat numbers, references, most rows
            return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        try:
            raw = text.encode("cp1252")
        except UnicodeEncodeError:
            return None
        return "".join(chr(b) if 32 <= b < 127 and b not in (40, 41, 92) else f"\\{b:03o}" for b in raw)

    def fitted(self, x: float, y: float, text: str, font: str, size: float, width: float, *,
               min_size: float | None = None, align: str = "left") -> str | None:
        key = (x, y, text, font, size, width, min_size, align)
        ops = self._done.get(key, False)
        if ops is False:
            if len(self._done) >= self.CACHE_LIMIT:
                self._done.clear()
            ops = self._done[key] = self._fitted(x, y, text, font, size, width, min_size=min_size, align=align)
        return ops

    def _fitted(self, x: float, y: float, text: str, font: str, size: float, width: float, *,
                min_size: float | None, align: str) -> str | None:
        text, size = fit(text, font, size, width, min_size=min_size)
        encoded = self.pdf_string(text)
        if encoded is None:
            return None
        if align != "left":
            spare = width - text_width(text, font, size)
            x += spare / 2 if align == "center" else spare
        return f"BT {self._names[font]} {size:.2f} Tf {x:.2f} {y:.2f} Td ({encoded}) Tj ET"
