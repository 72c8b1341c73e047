"""Writing an export (backoffice/exports.py) as CSV or XLSX, without holding its rows.

- CSV is generated as the rows arrive: `csv_chunks` yields UTF-8 bytes every `CSV_ROWS_PER_CHUNK`
  rows, for a StreamingHttpResponse. Memory: one chunk of rows from the cursor plus one chunk of
  text. It starts with a byte-order mark, so Excel opens accents (Spanish names) correctly.
- XLSX is a zip whose directory comes last, so no byte of it can be sent before the last row is
  read. `xlsx_file` uses openpyxl's write-only workbook (each row is written to a temporary file
  as XML as it is appended, never kept as cell objects), then zips it into a second temporary
  file that the response streams in blocks. Memory stays at one chunk of rows; disk holds the
  sheet's XML and the zip for the length of the request; the first byte waits for the whole file.

Values: times on the event's clock with their UTC offset (`2026-12-05 21:30:12 (UTC+01:00)`, the
same text in both formats: an Excel date cannot carry an offset, and a night can cross a daylight
saving change); money as two-place decimals (numbers in XLSX, with the currency in its own
column); codes in words (backoffice/report_words.py), under the event's language."""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from backoffice import report_words as words
from backoffice.exports import Export, Kind
from core.localtime import utc_offset_label, zone
from events.models import Event
from tickets.models import SaleChannel, TicketState

CSV_ROWS_PER_CHUNK = 1000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
YES, NO = _("yes"), _("no")


def _time_formatter(zone_name: str):
    """`2026-12-05 21:30:12 (UTC+01:00)`, as core.localtime.format_local writes it, with the zone
    and the offset labels looked up once per export instead of once per value."""
    tz = zone(zone_name)
    labels: dict = {}

    def fmt(value) -> str:
        if value is None:
            return ""
        at = value.astimezone(tz)
        offset = at.utcoffset()
        label = labels.get(offset)
        if label is None:
            label = labels[offset] = utc_offset_label(at)
        return f"{at.strftime(TIME_FORMAT)} ({label})"

    return fmt


def _lookup(table: dict):
    """Words for codes, rendered once in the active language (a lazy string costs a catalogue
    lookup each time it is turned into text); an unknown code is shown as itself."""
    rendered = {code: str(text) for code, text in table.items()}
    return lambda code: "" if code is None or code == "" else rendered.get(code, code)


def _formatter(kind: str, zone_name: str):
    """A function turning one raw value of a column of `kind` into what a person reads."""
    if kind == Kind.TIME:
        return _time_formatter(zone_name)
    if kind == Kind.MONEY:
        return lambda v: v.quantize(Decimal("0.01")) if isinstance(v, Decimal) else ("" if v is None or v == "" else v)
    if kind == Kind.BOOL:
        yes, no = str(YES), str(NO)
        return lambda v: yes if v else no
    table = {Kind.STATE: dict(TicketState.choices), Kind.CHANNEL: dict(SaleChannel.choices),
             Kind.REASON: words.REASON_WORDS, Kind.DIRECTION: words.DIRECTION_WORDS,
             Kind.RESULT: words.RESULT_WORDS, Kind.MODE: words.MODE_WORDS}.get(kind)
    if table is not None:
        return _lookup(table)
    return lambda v: "" if v is None else v


def _formatted(export: Export, event: Event) -> Iterator[list]:
    formatters = [_formatter(c.kind, event.timezone) for c in export.columns]
    for row in export.rows:
        yield [f(v) for f, v in zip(formatters, row)]


def headers(export: Export) -> list[str]:
    return [str(c.header) for c in export.columns]


def csv_chunks(export: Export, event: Event, *, rows_per_chunk: int = CSV_ROWS_PER_CHUNK) -> Iterator[bytes]:
    """The CSV as a stream of byte chunks. Runs under the event's language while it is consumed
    (the response iterates it after the view has returned)."""
    with translation.override(event.language):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow(headers(export))
        pending = 0
        for row in _formatted(export, event):
            writer.writerow(["" if v is None else (f"{v:.2f}" if isinstance(v, Decimal) else v) for v in row])
            pending += 1
            if pending >= rows_per_chunk:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
                pending = 0
        yield buffer.getvalue().encode("utf-8")


def xlsx_file(export: Export, event: Event):
    """The workbook in a temporary file (rewound, deleted when closed): one sheet of rows with a
    bold header, money as numbers with two decimals."""
    with translation.override(event.language):
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=str(export.title)[:31])
        sheet.freeze_panes = "A2"  # before the first row: a write-only sheet writes its view with it
        bold = Font(bold=True)
        header_cells = []
        for text in headers(export):
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        money = [i for i, c in enumerate(export.columns) if c.kind == Kind.MONEY]
        for row in _formatted(export, event):
            for i in money:
                if isinstance(row[i], Decimal):
                    cell = WriteOnlyCell(sheet, value=row[i])
                    cell.number_format = "#,##0.00"
                    row[i] = cell
            sheet.append(row)
        # Not a context manager: the response streams the file and closes it when done.
        out = tempfile.TemporaryFile(prefix="ticketcore-export-", suffix=".xlsx")  # noqa: SIM115
        try:
            workbook.save(out)
        except BaseException:
            out.close()
            raise
    out.seek(0)
    return out
