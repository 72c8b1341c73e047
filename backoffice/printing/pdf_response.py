"""A rendered PDF as an HTTP response: whole (badges, pairing sheets: a few pages drawn by
reportlab), or streamed as its pages are made (printed tickets: backoffice/printing/pdf_stream.py;
the web role sends each chunk as it comes, ticketcore/web_stream.py)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse


class _Collect:
    """The file reportlab writes to: it writes the whole document in one call, kept as it is
    (a BytesIO would copy it once more on the way out)."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)


def _headers(response, filename: str):
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # Tickets, badges and pairing codes admit people: no copy in a browser's or a proxy's cache.
    response["Cache-Control"] = "no-store"
    return response


def pdf_response(render: Callable[[Any], Any], *, filename: str) -> HttpResponse:
    out = _Collect()
    render(out)
    body = out.chunks[0] if len(out.chunks) == 1 else b"".join(out.chunks)
    return _headers(HttpResponse(body, content_type="application/pdf"), filename)


def pdf_stream_response(chunks: Iterator[bytes], *, filename: str) -> StreamingHttpResponse:
    return _headers(StreamingHttpResponse(chunks, content_type="application/pdf"), filename)
