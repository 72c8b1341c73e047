"""Exports as HTTP downloads (shared by the API's export view in backoffice/report_api.py, the
admin's actions in backoffice/export_admin.py and the background jobs of backoffice/jobs_api.py)."""
from __future__ import annotations

import re

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from rest_framework.negotiation import BaseContentNegotiation

from backoffice import exports
from backoffice.exports_writers import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    csv_chunks,
    xlsx_file,
)
from core.localtime import local
from events.models import Event


class AnyAccept(BaseContentNegotiation):
    """A download is a file whatever the client says it accepts; errors are still JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def filename(event: Event, dataset: str, fmt: str) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "-", event.name).strip("-").lower()[:40] or event.event_id
    day = local(event.date_start, event.timezone).strftime("%Y-%m-%d")
    return f"{name}-{day}-{dataset}.{fmt}"


def export_response(event: Event, dataset: str, fmt: str):
    """The export as a download: CSV streamed as it is read, XLSX built in a temporary file and
    streamed from it (backoffice/exports_writers.py says what each holds in memory)."""
    export = exports.build(dataset, event)
    if fmt == "csv":
        response = StreamingHttpResponse(csv_chunks(export, event), content_type=CSV_CONTENT_TYPE)
    else:
        response = FileResponse(xlsx_file(export, event), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename(event, dataset, fmt)}"'
    response["Cache-Control"] = "no-store"
    response["X-Generated-At"] = timezone.now().isoformat()
    return response
