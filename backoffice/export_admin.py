"""Exports and the post-event report from the admin, added to the ModelAdmins already registered
(the event set-up admin in backoffice/admin.py, the offices admin) without editing them:
`install()` runs from BackofficeConfig.ready(), after the admin's autodiscovery.

- On the events list: a "Report & exports" column with links (the report, the event's files page
  of backoffice/jobs_admin.py, the CSVs), and actions (one event selected) that download an export
  or open the report; an XLSX too large to build within a request is prepared as a background job
  and the action opens the files page.
- On the box offices list: an action downloading the reconciliation of the selected offices'
  event."""
from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from backoffice import jobs
from backoffice.exports import DATASETS
from backoffice.exports_http import export_response
from backoffice.jobs_api import export_rows, files_page, start_export
from events.models import Event
from offices.models import Office

FORMATS = ("csv", "xlsx")


def _one_event(modeladmin, request, events) -> Event | None:
    events = list(events[:2])
    if len(events) != 1:
        modeladmin.message_user(request, _("Select exactly one event for this action."), messages.WARNING)
        return None
    return events[0]


def _export_action(dataset: str, fmt: str):
    title = DATASETS[dataset][0]

    def action(modeladmin, request, queryset):
        event = _one_event(modeladmin, request, queryset)
        if event is None:
            return None
        if fmt == "xlsx" and export_rows(event, dataset) > jobs.sync_limit():  # prepared in the background
            return start_export(request, event=event, dataset=dataset, fmt=fmt)
        return export_response(event, dataset, fmt)

    action.__name__ = f"export_{dataset}_{fmt}"
    return admin.action(description=format_lazy(_("Download {what} ({fmt})"), what=title, fmt=fmt.upper()))(action)


@admin.action(description=_("Open the post-event report"))
def open_report(modeladmin, request, queryset):
    event = _one_event(modeladmin, request, queryset)
    if event:
        return HttpResponseRedirect(report_url(event.event_id))
    return None


def _offices_export(fmt: str):
    def action(modeladmin, request, queryset):
        event_ids = list(queryset.values_list("event_id", flat=True).distinct()[:2])
        if len(event_ids) != 1:
            modeladmin.message_user(request, _("Select offices of one event."), messages.WARNING)
            return None
        return export_response(Event.objects.get(pk=event_ids[0]), "offices", fmt)

    action.__name__ = f"export_office_reconciliation_{fmt}"
    return admin.action(description=format_lazy(_("Download the reconciliation of their event ({fmt})"),
                                                fmt=fmt.upper()))(action)


def report_url(event_id: str) -> str:
    return reverse("admin-event-report", args=[event_id])


def export_url(event_id: str, dataset: str, fmt: str) -> str:
    return reverse("event-export", kwargs={"event_id": event_id, "dataset": dataset, "fmt": fmt})


@admin.display(description=_("Report & exports"))
def report_links(event: Event):
    downloads = format_html_join(
        " · ", '<a href="{}" title="{}">{}</a>',
        ((export_url(event.event_id, dataset, "csv"), f"{title} CSV", title)
         for dataset, (title, _columns, _rows) in DATASETS.items()))
    return format_html('<a href="{}"><strong>{}</strong></a> · <a href="{}"><strong>{}</strong></a>'
                       '<br><span class="small">{}</span>',
                       report_url(event.event_id), _("Report"), files_page(event.event_id), _("Files (PDF, XLSX)"),
                       downloads)


EVENT_ACTIONS = [open_report] + [_export_action(d, f) for d in DATASETS for f in FORMATS]
OFFICE_ACTIONS = [_offices_export(f) for f in FORMATS]


def _add_actions(model_admin: admin.ModelAdmin, actions: list) -> None:
    current = list(model_admin.actions or [])
    names = {getattr(a, "__name__", a) for a in current}
    model_admin.actions = current + [a for a in actions if a.__name__ not in names]


def install(site: admin.AdminSite = admin.site) -> None:
    """Add the links and actions to the registered ModelAdmins (idempotent)."""
    event_admin = site._registry.get(Event)
    if event_admin is not None:
        _add_actions(event_admin, EVENT_ACTIONS)
        display = list(event_admin.list_display)
        if report_links not in display:
            event_admin.list_display = (*display, report_links)
    office_admin = site._registry.get(Office)
    if office_admin is not None:
        _add_actions(office_admin, OFFICE_ACTIONS)
