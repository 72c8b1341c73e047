"""Background jobs over HTTP (staff; docs/adr/0030).

An XLSX export of more than JOBS_SYNC_MAX_ROWS rows (it cannot be sent before it is complete, and
would not be ready within the proxy's timeout), or a print or export that asks for it with
`Prefer: respond-async` (RFC 7240), is answered `202 Accepted` with the job's status in JSON and
`Location:` its status URL, instead of the file:

    GET /api/v1/jobs/{job_id}        the job: state, progress, and `download_url` once done
    GET /api/v1/jobs/{job_id}/file   the file (409 `job_not_ready` until then)

A person in a browser (a staff session asking for HTML, e.g. a link on the event's admin page)
is sent to the event's files page instead (303), which shows the progress and the download."""
from __future__ import annotations

from django.http import FileResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.views import APIView

from access.models import Scan
from backoffice import jobs
from backoffice.exports_http import AnyAccept, filename
from backoffice.tasks import start
from core.errors import DomainError, NotFound
from core.schema import error
from events.models import Event
from tickets.models import Ticket

RETRY_AFTER_S = 5
CONTENT_TYPES = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class JobNotReady(DomainError):
    code = "job_not_ready"
    status = 409
    default_message = _("The file is not ready yet: its job is still running or has failed.")


def asks_async(request) -> bool:
    return "respond-async" in request.headers.get("Prefer", "").lower()


def needs_job(request, rows: int) -> bool:
    return asks_async(request) or rows > jobs.sync_limit()


def export_rows(event: Event, dataset: str) -> int:
    """About how many rows an export holds (what decides whether it runs as a job)."""
    if dataset == "tickets":
        return Ticket.objects.filter(event_id=event.event_id).count()
    if dataset == "sales":
        return Ticket.objects.filter(event_id=event.event_id, status=False).count()
    if dataset == "scans":
        return Scan.objects.filter(event_id=event.event_id).count()
    return 0


def files_page(event_id: str) -> str:
    return reverse("admin:events_event_files", args=[event_id])


def body(request, job: jobs.Job) -> dict:
    done = job.state == jobs.State.DONE
    return {
        "job_id": job.job_id, "kind": job.kind, "event_id": job.event_id, "params": job.params, "state": job.state,
        "progress": {"done": job.done, "total": job.total, "percent": job.percent},
        "created_at": job.created_at, "started_at": job.started_at, "finished_at": job.finished_at,
        "expires_at": job.expires.isoformat(), "filename": job.filename, "size": job.size, "error": job.error,
        "status_url": request.build_absolute_uri(reverse("job", args=[job.job_id])),
        "download_url": request.build_absolute_uri(reverse("job-file", args=[job.job_id])) if done else None,
    }


def accepted(request, job: jobs.Job):
    """202 with the job, or, for a person in a browser, the event's files page."""
    wants_html = "text/html" in request.headers.get("Accept", "")
    if wants_html and not request.headers.get("Authorization"):
        return HttpResponseRedirect(f"{files_page(job.event_id)}#job-{job.job_id}", status=303)
    data = body(request, job)
    answer = JsonResponse(data, status=202)
    answer["Location"] = data["status_url"]
    answer["Retry-After"] = str(RETRY_AFTER_S)
    answer["Preference-Applied"] = "respond-async"
    answer["Cache-Control"] = "no-store"
    return answer


def start_tickets_pdf(request, *, event: Event, layout: str, zone: str | None, language: str | None, name: str,
                      count: int):
    job = start(kind=jobs.Kind.TICKETS_PDF, event_id=event.event_id,
                params={"layout": layout, "zone": zone, "language": language},
                filename=f"tickets-{event.event_id}-{name}-{layout}.pdf", total=count,
                requested_by=getattr(request.user, "username", "") or "")
    return accepted(request, job)


def start_export(request, *, event: Event, dataset: str, fmt: str):
    job = start(kind=jobs.Kind.EXPORT, event_id=event.event_id, params={"dataset": dataset, "fmt": fmt},
                filename=filename(event, dataset, fmt), total=export_rows(event, dataset) or None,
                requested_by=getattr(request.user, "username", "") or "")
    return accepted(request, job)


JobOut = inline_serializer("BackgroundJob", {
    "job_id": serializers.CharField(), "kind": serializers.ChoiceField(["tickets_pdf", "export"]),
    "event_id": serializers.CharField(), "params": serializers.DictField(),
    "state": serializers.ChoiceField(["queued", "running", "done", "failed"]),
    "progress": serializers.DictField(help_text="done, total (rows or tickets) and percent"),
    "created_at": serializers.DateTimeField(), "started_at": serializers.DateTimeField(allow_null=True),
    "finished_at": serializers.DateTimeField(allow_null=True),
    "expires_at": serializers.DateTimeField(help_text="the file and this record are removed after it"),
    "filename": serializers.CharField(), "size": serializers.IntegerField(allow_null=True),
    "error": serializers.CharField(allow_null=True, help_text="in words, when the job failed"),
    "status_url": serializers.URLField(), "download_url": serializers.URLField(allow_null=True),
})
ACCEPTED = OpenApiResponse(JobOut, description=(
    "Produced in the background: the job (`Location` is its status URL). Sent when the request has "
    "`Prefer: respond-async`, and for an XLSX of more rows than the server builds within a request "
    "(JOBS_SYNC_MAX_ROWS). A browser with a staff session is sent (303) to the event's files page instead."))
NO_JOB = error("No such job, or it has expired.", ("unknown job", "not_found", "No such job.", {}))


def _job_or_404(job_id: str) -> jobs.Job:
    job = jobs.get(job_id)
    if job is None:
        raise NotFound(_("No such job, or its file has been removed."))
    return job


class JobView(APIView):
    @extend_schema(operation_id="v1_jobs_retrieve", summary="A background job: state, progress, download link",
                   responses={200: JobOut, 404: NO_JOB})
    def get(self, request, job_id: str):
        return JsonResponse(body(request, _job_or_404(job_id)))


class JobFileView(APIView):
    content_negotiation_class = AnyAccept

    @extend_schema(operation_id="v1_jobs_file", summary="A finished background job's file",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: NO_JOB,
                              409: error("Not ready.", ("running", "job_not_ready", str(JobNotReady.default_message),
                                                        {}))})
    def get(self, request, job_id: str):
        job = _job_or_404(job_id)
        path = jobs.output_path(job)
        if job.state != jobs.State.DONE or not path.exists():
            raise JobNotReady()
        response = FileResponse(path.open("rb"), as_attachment=True, filename=job.filename,
                                content_type=CONTENT_TYPES.get(job.extension, "application/octet-stream"))
        response["Cache-Control"] = "no-store"  # tickets admit people
        return response
