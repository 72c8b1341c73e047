"""Printed outputs over HTTP (staff): tickets, credential badges and the pairing sheet as PDF.

Thin views: the selection and the one state change (pairing codes) are in backoffice/printing/,
errors are the contract's JSON body whatever the client accepts. The PDFs carry live entry codes,
so they are never cached."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.views import APIView

from access.models import Credential
from backoffice import jobs_api
from backoffice.printing.badges import render_badges
from backoffice.printing.pairing import render_pairing_sheet
from backoffice.printing.pdf_response import pdf_response, pdf_stream_response
from backoffice.printing.selection import (
    event_or_404,
    parse_ticket_ids,
    select_tickets,
)
from backoffice.printing.services import codes_for_pairing_sheet
from backoffice.printing.tickets import LAYOUTS, Layout, ticket_pdf_chunks
from core.schema import error
from devices.api import pairing_url
from events.models import Language


class PDFRenderer(BaseRenderer):
    """Lets `Accept: application/pdf` through content negotiation; the views answer PDF bytes
    themselves, and errors are rendered as JSON (core.api.exception_handler)."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


PDF = OpenApiResponse(OpenApiTypes.BINARY, description="A PDF document (`application/pdf`).")
NOT_FOUND = error("No such event.", ("unknown event", "not_found", "No such event.", {}))
EMPTY = ("nothing to print", "empty_selection", "Nothing to print: the selection is empty.", {})
BAD_LANGUAGE = ("bad language", "invalid", "Invalid input: language: Must be one of: es, en.",
                {"language": ["Must be one of: es, en."]})


LANGUAGE = OpenApiParameter(
    "language", str, enum=Language.values,
    description="The language of the printed words; by default the event's `language` (whoever prints, "
                "the attendees read them). Not Accept-Language: every browser sends one.")


class _PrintView(APIView):
    renderer_classes = (JSONRenderer, PDFRenderer)

    def language(self, request) -> str | None:
        language = request.query_params.get("language")
        if language is not None and language not in Language.values:
            raise ValidationError({"language": [f"Must be one of: {', '.join(Language.values)}."]})
        return language


class TicketsPDFView(_PrintView):
    @extend_schema(
        operation_id="v1_events_tickets_pdf",
        summary="Printed tickets (PDF): one, a selection, a zone or the whole event",
        description=(
            "Every ticket with the event, its date and time in the event's time zone (with the UTC offset), "
            "the venue, the zone's name and colour, seat and row, a large QR code of its signed `code` and its "
            "`reference` printed under it, in the event's `language`. `layout=a4` (default): eight tickets per "
            "A4 sheet with cut marks; `layout=thermal`: one ticket per page, 80 mm wide, for receipt printers. "
            "Without `zone` or `tickets` the whole event prints, zone by zone and seat by seat. Tickets print "
            "whatever their state (pre-printed stock for a box office prints unsold seats). The PDF is sent as "
            "its pages are made (chunked), whatever its size. With `Prefer: respond-async` a zone or the whole "
            "event is printed by a background job instead: 202 with the job, whose `download_url` gives the "
            "PDF once done (GET /api/v1/jobs/{job_id})."),
        parameters=[
            OpenApiParameter("layout", str, enum=LAYOUTS, description="a4 (default) or thermal"),
            OpenApiParameter("zone", str, description="only this zone's tickets (a zone_id)"),
            OpenApiParameter("tickets", str, description="comma-separated ticket_ids (at most 1,000) of this event"),
            LANGUAGE,
        ],
        responses={
            (200, "application/pdf"): PDF,
            202: jobs_api.ACCEPTED,
            400: error("Bad layout or zone, zone and tickets together, or nothing to print.",
                       ("bad layout", "invalid", "Invalid input: layout: Must be a4 or thermal.",
                        {"layout": ["Must be a4 or thermal."]}), EMPTY),
            404: error("No such event, or listed tickets that are not this event's (listed in `tickets`).",
                       ("unknown event", "not_found", "No such event.", {}),
                       ("other tickets", "unknown_tickets", "Not tickets of this event: X-1.",
                        {"tickets": ["Not tickets of this event."]}, {"tickets": ["X-1"]})),
        })
    def get(self, request, event_id: str):
        q = request.query_params
        layout = q.get("layout") or Layout.A4.value
        if layout not in LAYOUTS:
            raise ValidationError({"layout": ["Must be a4 or thermal."]})
        zone = q.get("zone") or None
        language = self.language(request)
        selection = select_tickets(event_id=event_id, zone=zone, ticket_ids=parse_ticket_ids(q.get("tickets")))
        if selection.name != "selection" and jobs_api.asks_async(request):
            return jobs_api.start_tickets_pdf(request, event=selection.event, layout=layout, zone=zone,
                                              language=language, name=selection.name, count=selection.count)
        return pdf_stream_response(
            ticket_pdf_chunks(event=selection.event, tickets=selection.rows(), zones=selection.zones,
                              layout=Layout(layout), language=language),
            filename=f"tickets-{selection.event.event_id}-{selection.name}-{layout}.pdf")


class BadgesPDFView(_PrintView):
    @extend_schema(
        operation_id="v1_events_badges_pdf",
        summary="Credential badges (PDF)",
        description=("One badge per credential of the event that is not revoked, four per A4 sheet with cut marks: "
                     "kind, name, allowed zones by name with their colours, gates, validity in the event's time, "
                     "and a large QR code of the credential's signed code. Without any, one page that says so "
                     "(the admin links this document from the start)."),
        parameters=[LANGUAGE],
        responses={(200, "application/pdf"): PDF, 400: error("Bad language.", BAD_LANGUAGE), 404: NOT_FOUND})
    def get(self, request, event_id: str):
        language = self.language(request)
        event = event_or_404(event_id)
        credentials = list(Credential.objects.filter(event=event, revoked_at__isnull=True).order_by("kind", "name"))
        return pdf_response(lambda out: render_badges(event=event, credentials=credentials, out=out, language=language),
                            filename=f"badges-{event.event_id}.pdf")


class PairingSheetPDFView(_PrintView):
    @extend_schema(
        operation_id="v1_events_pairing_sheet_pdf",
        summary="Pairing sheet for the event's unpaired devices (PDF); may issue fresh pairing codes",
        description=(
            "Every device of the event neither paired nor revoked: its name, role and gate, a QR code of its "
            "pairing URL (the phone's camera opens the scanner already paired) and the code to type, with its "
            "expiry in the event's time. Pairing codes are short-lived (DEVICE_PAIRING_MINUTES): a device whose "
            "code is missing, expired or past a third of its life gets a fresh one when the sheet is printed "
            "(the old code stops working); a fresher code is printed as it is, so printing twice in a row "
            "shows the same codes. With no device to pair, one page that says so."),
        parameters=[LANGUAGE],
        responses={(200, "application/pdf"): PDF, 400: error("Bad language.", BAD_LANGUAGE), 404: NOT_FOUND})
    def get(self, request, event_id: str):
        language = self.language(request)  # before any code is issued: a bad request changes nothing
        sheet = codes_for_pairing_sheet(event_id=event_id)
        return pdf_response(
            lambda out: render_pairing_sheet(sheet=sheet, url_for=lambda code: pairing_url(request, code), out=out,
                                             language=language),
            filename=f"pairing-sheet-{sheet.event.event_id}.pdf")
