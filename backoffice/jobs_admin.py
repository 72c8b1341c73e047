"""The event's files page in the admin (`/admin/events/event/<id>/files/`; docs/adr/0030): start
a background job for a whole event's printed tickets or an XLSX export, watch its progress, and
download the file when it is ready. The page reloads itself while a job runs (no script needed).

`install()` adds the page to the registered event admin's URLs (backoffice/print_urls.py calls it
when the URLconf loads), so backoffice/admin.py is not edited; the events list links it from its
"Report & exports" column (backoffice/export_admin.py)."""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import localize
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from backoffice import jobs
from backoffice.exports import DATASETS
from backoffice.jobs_api import files_page, start_export, start_tickets_pdf
from backoffice.printing.tickets import Layout
from core.localtime import format_local
from events.models import Event
from tickets.models import Ticket

LAYOUT_WORDS = {Layout.A4.value: _("Tickets, A4 sheets of 8 (PDF)"),
                Layout.THERMAL.value: _("Tickets, 80 mm thermal printer (PDF)")}
STATE_WORDS = {jobs.State.QUEUED: _("Waiting for the background worker"), jobs.State.RUNNING: _("Being produced"),
               jobs.State.DONE: pgettext_lazy("files page", "Ready"),
               jobs.State.FAILED: pgettext_lazy("files page", "Failed")}


@dataclass(frozen=True)
class Output:
    key: str
    label: str


def outputs() -> list[Output]:
    found = [Output(f"tickets-{layout}", label) for layout, label in LAYOUT_WORDS.items()]
    found += [Output(f"export-{dataset}-xlsx", format_lazy(_("{what} (XLSX)"), what=title))
              for dataset, (title, _columns, _rows) in DATASETS.items()]
    return found


def describe(job: jobs.Job) -> str:
    if job.kind == jobs.Kind.TICKETS_PDF:
        text = str(LAYOUT_WORDS.get(job.params.get("layout"), job.filename))
        zone = job.params.get("zone")
        return f"{text} · {pgettext('files page', 'zone')} {zone}" if zone else text
    title = DATASETS.get(job.params.get("dataset"), (job.filename,))[0]
    return f"{title} ({job.params.get('fmt', '').upper()})"


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{max(1, round(size / 1e3))} kB"


def _row(job: jobs.Job, event: Event) -> dict:
    return {"job": job, "what": describe(job), "state": STATE_WORDS.get(job.state, job.state),
            "created": format_local(job.created, event.timezone), "expires": format_local(job.expires, event.timezone),
            "size": _size(job.size) if job.size else "",
            "done": localize(job.done), "total": localize(job.total) if job.total else "",
            "download": reverse("job-file", args=[job.job_id]) if job.state == jobs.State.DONE else ""}


def _start(request, event: Event, key: str):
    if key.startswith("tickets-") and key[8:] in LAYOUT_WORDS:
        count = Ticket.objects.filter(event_id=event.event_id).count()
        if not count:
            return None
        return start_tickets_pdf(request, event=event, layout=key[8:], zone=None, language=None, name="all",
                                 count=count)
    parts = key.split("-")
    if len(parts) == 3 and parts[0] == "export" and parts[1] in DATASETS and parts[2] == "xlsx":
        return start_export(request, event=event, dataset=parts[1], fmt="xlsx")
    return None


def files_view(request, event_id: str):
    event = get_object_or_404(Event, pk=event_id)
    if request.method == "POST":
        if _start(request, event, request.POST.get("output", "")) is None:
            messages.error(request, _("Nothing to produce: generate the event's tickets first."))
        return HttpResponseRedirect(files_page(event.event_id))
    rows = [_row(job, event) for job in jobs.for_event(event.event_id)]
    return TemplateResponse(request, "admin/backoffice/jobs.html", {
        **admin.site.each_context(request), "opts": Event._meta, "event": event,
        "title": pgettext("files page", "Files"),
        "urls": {"page": reverse("admin:events_event_change", args=[event.event_id])},
        "outputs": outputs(), "rows": rows, "active": any(r["job"].state in jobs.ACTIVE for r in rows),
        "keep_hours": int(jobs.keep_hours()),
        "csv_links": [(title, reverse("event-export", kwargs={"event_id": event.event_id, "dataset": d, "fmt": "csv"}))
                      for d, (title, _columns, _rows) in DATASETS.items()],
    })


def install(site: admin.AdminSite = admin.site) -> None:
    """Put the files page in front of the event admin's own URLs (once)."""
    event_admin = site._registry.get(Event)
    if event_admin is None or getattr(event_admin, "files_page_installed", False):
        return
    own_urls = event_admin.get_urls

    def get_urls():
        return [path("<str:event_id>/files/", site.admin_view(files_view), name="events_event_files"), *own_urls()]

    event_admin.get_urls = get_urls
    event_admin.files_page_installed = True
