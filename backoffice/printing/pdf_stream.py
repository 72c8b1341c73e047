"""A PDF written front to back as its pages are drawn, for printed tickets (docs/adr/0030).

reportlab's canvas keeps every page until `save()` formats the whole document: for 100,000
tickets that was a third of the time (its object formatting) and up to 900 MB, and nothing could
be sent before the end. The tickets' drawing never needed the canvas's document: what is the same
on every ticket is a few PDF forms, and each ticket is a few direct operators (tickets.py). So
here the canvas only *draws* (its operators are taken from it as text: `captured`), and this
writer lays the objects out itself: the fonts, each form when it is first needed, then each page
(its content stream, Flate-compressed, and its page object) as soon as it is complete; the page
tree, the catalogue and the cross-reference table at the end. Memory is one page and the list of
object offsets; `take()` hands over the bytes written so far, so a response or a job's file
receives the document while it is being made.

The text operators are reportlab's own (the standard fonts with WinAnsi encoding, named as the
drawing canvas names them), so the fonts are declared here exactly as reportlab declares them."""
from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import UTC, datetime

from reportlab.pdfgen.canvas import Canvas

from backoffice.printing.drawing import BOLD, MONO, REGULAR

_CATALOG, _PAGES, _INFO = 1, 2, 3


def captured(c: Canvas, draw: Callable[[], object]) -> str:
    """The PDF operators `draw()` adds to the canvas's current page, taken off the page."""
    start = len(c._code)
    draw()
    ops = "\n".join(c._code[start:])
    del c._code[start:]
    return ops


def _text_string(text: str) -> str:
    """A PDF text string for the document information (UTF-16BE with its byte order mark)."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


class PDFStream:
    def __init__(self, canvas: Canvas, *, title: str):
        self._out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        self._written = 0  # bytes already handed over by take()
        self._offsets: dict[int, int] = {}
        self._next = _INFO + 1
        self._pages: list[int] = []
        self._resources: int | None = None
        self._xobjects: dict[str, int] = {}
        self._title = title
        fonts = []
        for font in (REGULAR, BOLD, MONO):
            name = canvas._doc.getInternalFontName(font)  # "/F1": the name the canvas writes in Tf
            number = self._object(f"<< /Type /Font /Subtype /Type1 /BaseFont /{font} /Encoding /WinAnsiEncoding >>")
            fonts.append(f"{name} {number} 0 R")
        self._fonts = " ".join(fonts)

    # ------------------------------------------------------------------ objects
    def _object(self, body: str | bytes, number: int | None = None) -> int:
        if number is None:
            number, self._next = self._next, self._next + 1
        self._offsets[number] = self._written + len(self._out)
        data = body.encode("latin-1") if isinstance(body, str) else body
        self._out += b"%d 0 obj\n%s\nendobj\n" % (number, data)
        return number

    def _stream(self, head: str, ops: str) -> int:
        data = zlib.compress(ops.encode("latin-1"))
        return self._object(b"<< %s /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
                            % (head.encode("latin-1"), len(data), data))

    def _resource_dict(self) -> str:
        xobjects = " ".join(f"/{name} {number} 0 R" for name, number in self._xobjects.items())
        return f"<< /Font << {self._fonts} >> /XObject << {xobjects} >> /ProcSet [/PDF /Text /ImageB] >>"

    # ------------------------------------------------------------------ drawing
    def form(self, name: str, width: float, height: float, ops: str) -> str:
        """A form XObject (drawn once, placed with `/<name> Do`); returns the operator to place it."""
        self._xobjects[name] = self._stream(
            f"/Type /XObject /Subtype /Form /BBox [0 0 {width:.3f} {height:.3f}] /Resources "
            f"{self._resource_dict()}", ops)
        self._resources = None  # pages from now on name it too
        return f"/{name} Do"

    def page(self, width: float, height: float, ops: str) -> None:
        if self._resources is None:
            self._resources = self._object(self._resource_dict())
        content = self._stream("", ops)
        self._pages.append(self._object(f"<< /Type /Page /Parent {_PAGES} 0 R /MediaBox [0 0 {width:.3f} {height:.3f}] "
                                        f"/Resources {self._resources} 0 R /Contents {content} 0 R >>"))

    # ------------------------------------------------------------------ output
    def take(self) -> bytes:
        """The bytes written since the last call."""
        data = bytes(self._out)
        self._written += len(data)
        self._out.clear()
        return data

    def finish(self) -> bytes:
        """The page tree, catalogue, information and cross-reference table; the last bytes."""
        kids = " ".join(f"{n} 0 R" for n in self._pages)
        self._object(f"<< /Type /Pages /Kids [{kids}] /Count {len(self._pages)} >>", _PAGES)
        self._object(f"<< /Type /Catalog /Pages {_PAGES} 0 R >>", _CATALOG)
        now = datetime.now(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")
        self._object(f"<< /Title {_text_string(self._title)} /Creator (TicketCore) /Author (TicketCore) "
                     f"/Producer (TicketCore) /CreationDate ({now}) >>", _INFO)
        start = self._written + len(self._out)
        count = self._next
        rows = ["0000000000 65535 f \n"] + [f"{self._offsets[n]:010d} 00000 n \n" for n in range(1, count)]
        self._out += (f"xref\n0 {count}\n{''.join(rows)}trailer\n<< /Size {count} /Root {_CATALOG} 0 R "
                      f"/Info {_INFO} 0 R >>\nstartxref\n{start}\n%%EOF\n").encode("ascii")
        return self.take()
