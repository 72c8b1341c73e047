"""Printed tickets: one PDF of a whole 100,000-ticket event, A4 sheets and 80 mm thermal pages.

    .venv/bin/python bench/print_tickets.py [--seats 100000] [--layouts a4,thermal] [--qr-sample 300]

Generates an event of `--seats` tickets in four zones in a fresh benchmark database, then, for
each layout in its own process (so that each peak memory figure is that layout's alone), renders
every ticket of the event exactly as GET /api/v1/events/{id}/tickets.pdf and the background job
do (the same selection, the same streamed renderer, chunks counted and dropped) and reports
seconds, time to the first byte, MB, tickets per second and the process's peak resident memory.
It first times the QR encoders on `--qr-sample` real ticket codes: segno, reportlab's QR widget
and backoffice/printing/qr.py (docs/adr/0027)."""
from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import time
from datetime import timedelta

from common import machine, setup_django


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def render_child(event_id: str, layout: str) -> dict:
    setup_django(fresh=False)
    from backoffice.printing.selection import select_tickets
    from backoffice.printing.tickets import ticket_pdf_chunks

    before = peak_rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    selection = select_tickets(event_id=event_id)
    # As the API sends it (a streamed response) and a job writes it: chunk by chunk, none kept.
    first_byte, size, head, tail = None, 0, b"", b""
    for chunk in ticket_pdf_chunks(event=selection.event, tickets=selection.rows(), zones=selection.zones,
                                   layout=layout):
        if first_byte is None and chunk:
            first_byte, head = time.perf_counter() - started, chunk[:8]
        size += len(chunk)
        tail = (tail + chunk)[-16:]
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert head.startswith(b"%PDF-") and tail.rstrip().endswith(b"%%EOF")
    return {"layout": layout, "tickets": selection.count, "seconds": seconds, "cpu": cpu, "mb": size / 1e6,
            "first_byte_s": first_byte, "rss_before_mb": before, "peak_rss_mb": peak_rss_mb(),
            "load": os.getloadavg()[0]}


def breakdown_child(event_id: str, sample: int) -> dict:
    """CPU per ticket of each stage, on the first `sample` tickets in print order: reading the
    rows, signing the codes, encoding the QR codes; the rest of a render is drawing and writing."""
    setup_django(fresh=False)
    from backoffice.printing import qr
    from backoffice.printing.selection import select_tickets
    from events.codes import active_key, ticket_code

    selection = select_tickets(event_id=event_id)
    cpu = time.process_time()
    rows = []
    for row in selection.rows():
        rows.append(row)
        if len(rows) == sample:
            break
    read = time.process_time() - cpu
    key = active_key(event_id)
    cpu = time.process_time()
    codes = [ticket_code(row, key) for row in rows]
    sign = time.process_time() - cpu
    cpu = time.process_time()
    for code in codes:
        qr.encode(code).packed_rows()
    encode = time.process_time() - cpu
    return {"read_us": read / sample * 1e6, "sign_us": sign / sample * 1e6, "qr_us": encode / sample * 1e6}


def time_qr_encoders(codes: list[str]) -> list[tuple[str, float]]:
    import segno
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.pdfgen.canvas import Canvas

    from backoffice.printing import qr

    def ours(code):
        qr.encode(code).packed_rows()

    def with_segno(code):
        return segno.make_qr(code, error="m").matrix

    def reportlab_widget(code):  # the widget drawn on a canvas: what printing with it costs
        widget = QrCodeWidget(code, barLevel="M")
        drawing = Drawing(100, 100)
        drawing.add(widget)
        drawing.drawOn(Canvas(io.BytesIO()), 0, 0)

    results = []
    for name, fn, sample in (("backoffice/printing/qr.py", ours, codes), ("segno", with_segno, codes[:100]),
                             ("reportlab QrCodeWidget", reportlab_widget, codes[:30])):
        started = time.process_time()  # CPU time: the machine is shared, wall time says less
        for code in sample:
            fn(code)
        results.append((name, (time.process_time() - started) / len(sample) * 1e6))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seats", type=int, default=100_000)
    parser.add_argument("--layouts", default="a4,thermal")
    parser.add_argument("--qr-sample", type=int, default=300)
    parser.add_argument("--child", nargs=2, metavar=("EVENT_ID", "LAYOUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        event_id, layout = args.child
        result = breakdown_child(event_id, 20_000) if layout == "breakdown" else render_child(event_id, layout)
        print(json.dumps(result))
        return

    setup_django()
    from django.utils import timezone

    from events.codes import active_key, ticket_code
    from events.models import Event
    from events.services import ZoneSpec, create_event, setup_zones
    from tickets.models import Ticket
    from tickets.services import generate_tickets

    now = timezone.now()
    event = create_event(name="Bench night: printed tickets", venue="Palacio de los Deportes",
                         date_start=now + timedelta(days=30), date_end=now + timedelta(days=30, hours=4))
    Event.objects.filter(pk=event.pk).update(timezone="Europe/Madrid", language="es")
    per_zone = args.seats // 4
    setup_zones(event_id=event.event_id, status=True, zones=[
        ZoneSpec(zone_id=z, name=f"Zone {z}", color=color, seats=per_zone)
        for z, color in zip("ABCD", ("#C0392B", "#27AE60", "#2980B9", "#F1C40F"))])
    generate_tickets(event_id=event.event_id)

    key = active_key(event.event_id)
    sample = list(Ticket.objects.filter(event=event).order_by("?")[:args.qr_sample])
    started = time.process_time()
    codes = [ticket_code(t, key) for t in sample]
    sign_us = (time.process_time() - started) / len(codes) * 1e6
    print(f"machine: {machine()}")
    print(f"signing a ticket code: {sign_us:.0f} us CPU; code length {len(codes[0])} characters; "
          f"load average {os.getloadavg()[0]:.1f}")
    for name, us in time_qr_encoders(codes):
        print(f"QR code ({name}): {us:,.0f} us CPU per code = {us * per_zone * 4 / 1e6:,.0f} s for {per_zone * 4:,}")

    def child(layout: str) -> dict:
        done = subprocess.run([sys.executable, __file__, "--child", event.event_id, layout], check=True,
                              capture_output=True, text=True, env=dict(os.environ))
        return json.loads(done.stdout.strip().splitlines()[-1])

    b = child("breakdown")
    print(f"CPU per ticket, first 20,000 in print order: read {b['read_us']:.0f} us, sign {b['sign_us']:.0f} us, "
          f"QR {b['qr_us']:.0f} us")
    for layout in args.layouts.split(","):
        r = child(layout)
        print(f"{r['layout']:8s} {r['tickets']:,} tickets: {r['seconds']:.1f} s ({r['cpu']:.1f} s CPU, load "
              f"{r['load']:.1f}), {r['mb']:.1f} MB, {r['tickets'] / r['seconds']:,.0f} tickets/s "
              f"({r['tickets'] / r['cpu']:,.0f} per CPU second), first byte {r['first_byte_s']:.2f} s, "
              f"peak RSS {r['peak_rss_mb']:.0f} MB "
              f"({r['rss_before_mb']:.0f} MB before rendering)")


if __name__ == "__main__":
    main()
