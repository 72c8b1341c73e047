"""Emailing sold tickets to their buyer (the sales desk's hand-over, docs/adr/0032).

One message per request through Django's mail framework (EMAIL_BACKEND and the SMTP settings come
from the environment): a plain-text body listing each ticket (zone, seat, row, reference, the
event's local date and time) and the printed tickets as an A4 PDF attachment, the same document
`GET /api/v1/events/{id}/tickets.pdf` gives (backoffice/printing). The words are the buyer's, so
they are in the event's language, like every printed output (docs/adr/0029), unless the request
names one.

Only sold tickets are sent: an unsold ticket's code admits nobody, and a mail with one would
invite a buyer to a door that refuses them. Nothing is written: sending changes no ticket, so
this is not a service; a failed send is reported to the clerk (503 `mail_unavailable`), who can
try again or hand over the PDF instead."""
from __future__ import annotations

import io
import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime

from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from access.vocabulary import Reason
from backoffice.printing import words
from backoffice.printing.selection import select_tickets
from backoffice.printing.tickets import Layout, render_tickets
from core.errors import DomainError
from core.localtime import format_local
from events.models import Event
from tickets.models import Ticket

log = logging.getLogger(__name__)

MAX_TICKETS_PER_EMAIL = 50  # a family or a group; a larger order is printed, not mailed


class NotSold(DomainError):
    code = Reason.NOT_SOLD.value  # the scan's word for it: such a ticket admits nobody
    status = 409
    default_message = _("Only sold tickets can be sent: some of these tickets are not sold.")

    def __init__(self, tickets: list[str]):
        super().__init__(extra={"tickets": sorted(tickets)})


class MailUnavailable(DomainError):
    code = "mail_unavailable"
    status = 503
    default_message = _("The email could not be sent: the mail server did not accept it. Try again, or hand "
                        "over the PDF.")


@dataclass(frozen=True)
class SentEmail:
    event_id: str
    to: str
    tickets: list[str]
    sent_at: datetime


def _ticket_line(ticket: Ticket) -> str:
    return pgettext("email", "%(zone)s · seat %(seat)s · row %(row)s · reference %(reference)s") % {
        "zone": ticket.zone, "seat": ticket.seat_number, "row": words.row_text(ticket.seat_row),
        "reference": ticket.reference}


def _body(event: Event, tickets: list[Ticket], name: str) -> str:
    when = format_local(event.date_start, event.timezone)
    lines = [pgettext("email", "Hello %(name)s,") % {"name": name} if name else pgettext("email", "Hello,"), ""]
    lines.append(pgettext("email", "Here are your tickets for %(event)s.") % {"event": event.name})
    lines.append(f"{event.venue} · {when}" if event.venue else when)
    lines.append("")
    lines += [f"- {_ticket_line(t)}" for t in tickets]
    lines += ["", pgettext("email", "The tickets are in the attached PDF. Show each ticket's QR code at the door, "
                                    "printed or on your phone: each ticket admits one person once. If a code does "
                                    "not scan, give its reference."), ""]
    return "\n".join(lines)


def send_tickets(*, event_id: str, ticket_ids: list[str], to: str, name: str = "", language: str | None = None,
                 actor: str = "") -> SentEmail:
    """Email the listed sold tickets of one event to `to`, as one message with the PDF attached.
    Raises NotFound (unknown event), UnknownTickets (not this event's), NotSold, MailUnavailable."""
    selection = select_tickets(event_id=event_id, ticket_ids=ticket_ids)
    event = selection.event
    tickets = list(Ticket.objects.filter(event=event, ticket_id__in=ticket_ids).order_by("zone_id", "seat_number"))
    unsold = [t.ticket_id for t in tickets if t.status]
    if unsold:
        raise NotSold(unsold)
    with words.in_print_language(event, language):
        pdf = io.BytesIO()
        render_tickets(event=event, tickets=selection.rows(), zones=selection.zones, layout=Layout.A4, out=pdf,
                       language=language)
        # One line whatever the event's name holds: a header with a line break is refused.
        subject = " ".join((pgettext("email", "Your tickets: %(event)s") % {"event": event.name}).split())
        message = EmailMessage(subject=subject, body=_body(event, tickets, name), to=[to])
        message.attach(f"tickets-{event.event_id}.pdf", pdf.getvalue(), "application/pdf")
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("tickets of event %s not emailed (%s: %s)", event_id, exc.__class__.__name__, exc)
        raise MailUnavailable() from exc
    log.info("emailed %d ticket(s) of event %s for %s", len(tickets), event_id, actor or "?")
    return SentEmail(event_id=event.event_id, to=to, tickets=[t.ticket_id for t in tickets], sent_at=timezone.now())

