"""Printing from the admin: "Print selected tickets (A4 / thermal)" on the tickets list, and on
each event's page the links to print its tickets (all, or zone by zone), badges and pairing sheet.

The ticket and event admins belong to their own modules (tickets/admin.py, backoffice/admin.py),
so `install()` adds these to the registered ModelAdmins instead of those modules naming them (the
event page's row only on Django's plain change form: a custom set-up page links them itself);
backoffice/print_urls.py calls it when the URLconf loads, after the admin has registered
everything. The links point at the staff API (session authentication), so the admin and the API
print the same documents."""
from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from backoffice.printing.pdf_response import pdf_stream_response
from backoffice.printing.selection import select_tickets
from backoffice.printing.tickets import Layout, ticket_pdf_chunks
from core.errors import DomainError
from events.models import Event
from tickets.models import Ticket

PRINT_FIELD_LABEL = "Print"


def _print(modeladmin, request, queryset, layout: Layout):
    events = list(queryset.order_by().values_list("event_id", flat=True).distinct()[:2])
    if len(events) != 1:
        modeladmin.message_user(
            request, _("Select tickets of one event to print them (filter the list by event first)."), messages.ERROR)
        return None
    try:
        selection = select_tickets(event_id=events[0], queryset=queryset)
    except DomainError as exc:
        modeladmin.message_user(request, exc.message, messages.ERROR)
        return None
    return pdf_stream_response(
        ticket_pdf_chunks(event=selection.event, tickets=selection.rows(), zones=selection.zones, layout=layout),
        filename=f"tickets-{selection.event.event_id}-selection-{layout}.pdf")


@admin.action(description=_("Print selected tickets (A4 sheets, 8 per page)"))
def print_tickets_a4(modeladmin, request, queryset):
    return _print(modeladmin, request, queryset, Layout.A4)


@admin.action(description=_("Print selected tickets (thermal printer, 80 mm)"))
def print_tickets_thermal(modeladmin, request, queryset):
    return _print(modeladmin, request, queryset, Layout.THERMAL)


@admin.display(description=PRINT_FIELD_LABEL)
def print_links(event: Event) -> str:
    """Links to the event's printed outputs, opened in a new tab (each is a PDF)."""
    if event is None or not event.pk:
        return "Save the event first."
    kwargs = {"event_id": event.pk}
    tickets = reverse("event-tickets-pdf", kwargs=kwargs)

    def link(href: str, text: str) -> str:
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', href, text)

    parts = []
    if event.generated_at is not None:
        zones = format_html_join(" · ", "{}", ((link(f"{tickets}?zone={z.zone_id}", f"{z.zone_id} {z.name}"),)
                                               for z in event.zones.all()))
        parts.append(format_html("Tickets: {} · {} — by zone (A4): {}", link(f"{tickets}?layout=a4", "all, A4 sheets"),
                                 link(f"{tickets}?layout=thermal", "all, thermal 80 mm"), zones))
    else:
        parts.append("Tickets: generate them first.")
    parts.append(link(reverse("event-badges-pdf", kwargs=kwargs), "Credential badges"))
    parts.append(format_html("{} (issues fresh pairing codes to devices whose code is old or expired)",
                             link(reverse("event-pairing-sheet-pdf", kwargs=kwargs), "Pairing sheet")))
    return format_html_join(mark_safe("<br>"), "{}", ((p,) for p in parts))


def install(site: admin.AdminSite = admin.site) -> None:
    """Add the print actions to the tickets list and the print links to the event page (once)."""
    ticket_admin = site.get_model_admin(Ticket) if site.is_registered(Ticket) else None
    if ticket_admin is not None and print_tickets_a4 not in (ticket_admin.actions or ()):
        ticket_admin.actions = [*(ticket_admin.actions or ()), print_tickets_a4, print_tickets_thermal]
    event_admin = site.get_model_admin(Event) if site.is_registered(Event) else None
    if event_admin is None or print_links in (event_admin.readonly_fields or ()):
        return
    if event_admin.change_form_template:
        return  # a set-up page of its own (issue 17 item 1) links the printed outputs itself
    event_admin.readonly_fields = (*(event_admin.readonly_fields or ()), print_links)
    if event_admin.fieldsets:
        event_admin.fieldsets = (*event_admin.fieldsets, (PRINT_FIELD_LABEL, {"fields": (print_links,)}))
    elif event_admin.fields:
        event_admin.fields = (*event_admin.fields, print_links)
