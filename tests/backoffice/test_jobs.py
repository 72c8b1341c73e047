"""Background jobs for large outputs (backoffice/jobs*.py, backoffice/tasks.py; docs/adr/0030):
the API answers 202 with the job for an XLSX above JOBS_SYNC_MAX_ROWS and for a print or export
asked with `Prefer: respond-async` (a PDF of any size is otherwise streamed), the job's file is
read back (PDF text and every QR code; XLSX opened), the admin's files page starts jobs and links
their files, and files go after JOBS_KEEP_HOURS.

The Celery task runs in this process here (`task_always_eager`, the real task code);
tests/backoffice/test_jobs_servers.py runs the same through a real worker and the web server."""
from __future__ import annotations

import io
import os
import time

import pytest
from openpyxl import load_workbook

from backoffice import jobs, jobs_run, tasks
from events.codes import active_key, ticket_code
from tests.backoffice.test_print_readback import page_codes, page_texts, references_in
from ticketcore.celery import app as celery_app
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

TICKETS = 15  # tests/conftest.py ZONES: 5 + 10 seats


@pytest.fixture(autouse=True)
def job_settings(settings, tmp_path):
    settings.JOBS_DIR = str(tmp_path / "jobs")
    settings.JOBS_SYNC_MAX_ROWS = 10  # the 15-ticket event is "large"
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield tmp_path / "jobs"
    celery_app.conf.task_always_eager = eager


def _file(api, answer) -> bytes:
    status = api.get(answer["Location"])
    assert status.status_code == 200
    job = status.json()
    assert job["state"] == "done", job
    assert job["progress"] == {"done": job["progress"]["total"], "total": job["progress"]["total"], "percent": 100}
    download = api.get(job["download_url"])
    assert download.status_code == 200 and download["Cache-Control"] == "no-store"
    return b"".join(download.streaming_content)


def test_a_whole_event_print_asked_async_is_a_job_and_its_pdf_reads_back(api, generated_event):
    answer = api.get(f"/api/v1/events/{generated_event.event_id}/tickets.pdf?layout=a4", HTTP_PREFER="respond-async")
    assert answer.status_code == 202
    body = answer.json()
    assert answer["Location"] == body["status_url"] and answer["Retry-After"]
    assert body["kind"] == "tickets_pdf" and body["progress"]["total"] == TICKETS
    data = _file(api, answer)
    assert data.startswith(b"%PDF-")
    key = active_key(generated_event.event_id)
    tickets = list(Ticket.objects.filter(event=generated_event).order_by("zone_id", "seat_number"))
    printed = [ref for text in page_texts(data) for ref in references_in(text)]
    assert printed == [t.reference for t in tickets]
    decoded = [code.text for page in page_codes(data) for code in page]
    assert sorted(decoded) == sorted(ticket_code(t, key) for t in tickets)


def test_a_print_is_the_streamed_pdf_itself_unless_asked_async(api, generated_event):
    whole = api.get(f"/api/v1/events/{generated_event.event_id}/tickets.pdf")  # above JOBS_SYNC_MAX_ROWS
    assert whole.status_code == 200 and whole.streaming and whole["Content-Type"] == "application/pdf"
    assert len(page_codes(b"".join(whole.streaming_content))) == 2  # 15 tickets, 8 a sheet
    url = f"/api/v1/events/{generated_event.event_id}/tickets.pdf?zone=A&layout=thermal"
    direct = api.get(url)
    assert direct.status_code == 200 and direct["Content-Type"] == "application/pdf"
    asked = api.get(url, HTTP_PREFER="respond-async")
    assert asked.status_code == 202 and asked["Preference-Applied"] == "respond-async"
    assert asked.json()["params"] == {"layout": "thermal", "zone": "A", "language": None}
    assert len(page_codes(_file(api, asked))) == 5  # zone A's five thermal tickets, one a page


def test_an_xlsx_export_job_opens_with_every_ticket(api, generated_event):
    answer = api.get(f"/api/v1/events/{generated_event.event_id}/exports/tickets.xlsx")
    assert answer.status_code == 202 and answer.json()["kind"] == "export"
    book = load_workbook(io.BytesIO(_file(api, answer)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Asiento", "Fila", "Zona") and len(rows) == 1 + TICKETS  # the event's language (es)
    assert {r[13] for r in rows[1:]} == set(Ticket.objects.filter(event=generated_event).values_list("ticket_id",
                                                                                                       flat=True))


def test_a_csv_streams_directly_whatever_its_size(api, generated_event):
    answer = api.get(f"/api/v1/events/{generated_event.event_id}/exports/tickets.csv")
    assert answer.status_code == 200 and answer.streaming


def test_asking_twice_while_queued_is_one_job(generated_event):
    celery_app.conf.task_always_eager = False  # nothing runs it: it stays queued
    queued = jobs.create(kind=jobs.Kind.TICKETS_PDF, event_id=generated_event.event_id,
                         params={"layout": "a4", "zone": None, "language": None}, filename="x.pdf", total=TICKETS)
    again = tasks.start(kind=jobs.Kind.TICKETS_PDF, event_id=generated_event.event_id,
                        params={"layout": "a4", "zone": None, "language": None}, filename="x.pdf", total=TICKETS)
    assert again.job_id == queued.job_id


def test_unknown_and_unfinished_jobs_are_the_contracts_errors(api, generated_event):
    missing = api.get("/api/v1/jobs/" + "0" * 32)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert api.get("/api/v1/jobs/../../etc/passwd").status_code == 404
    queued = jobs.create(kind=jobs.Kind.EXPORT, event_id=generated_event.event_id,
                         params={"dataset": "tickets", "fmt": "xlsx"}, filename="x.xlsx", total=None)
    early = api.get(f"/api/v1/jobs/{queued.job_id}/file", HTTP_ACCEPT="application/pdf")
    assert early.status_code == 409 and early.json()["error"]["code"] == "job_not_ready"
    assert api.get(f"/api/v1/jobs/{queued.job_id}").json()["download_url"] is None


def test_a_job_that_cannot_be_produced_fails_with_words(event):
    job = jobs.create(kind=jobs.Kind.TICKETS_PDF, event_id=event.event_id,
                      params={"layout": "a4", "zone": None, "language": None}, filename="x.pdf", total=None)
    done = jobs_run.run(job.job_id)  # the event has no tickets yet
    assert done.state == jobs.State.FAILED and "generate them first" in done.error
    assert not list(jobs.jobs_dir().glob(f"{job.job_id}.pdf*"))  # no half file left


def test_one_job_at_a_time_per_host(job_settings):
    with jobs_run.slot() as first:
        assert first == 0
        with jobs_run.slot() as second:
            assert second is None  # JOBS_MAX_RUNNING = 1: the task retries later
    with jobs_run.slot() as again:
        assert again == 0


def test_old_files_and_records_are_removed(generated_event):
    job = tasks.start(kind=jobs.Kind.EXPORT, event_id=generated_event.event_id,
                      params={"dataset": "tickets", "fmt": "csv"}, filename="x.csv", total=None)
    kept = jobs.get(job.job_id)
    assert kept.state == jobs.State.DONE and jobs.output_path(kept).exists()
    assert jobs.cleanup() == 0
    old = time.time() - 25 * 3600
    for path in jobs.jobs_dir().glob(f"{job.job_id}*"):
        os.utime(path, (old, old))
    assert jobs.cleanup() == 2
    assert jobs.get(job.job_id) is None and not jobs.output_path(kept).exists()


@pytest.fixture
def staff_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("lead", password="pw-lead-12345")
    client.force_login(admin)
    return client


def test_the_files_page_starts_a_job_and_links_its_file(staff_client, generated_event):
    page_url = f"/admin/events/event/{generated_event.event_id}/files/"
    page = staff_client.get(page_url)
    assert page.status_code == 200 and b"Nothing prepared yet" in page.content
    started = staff_client.post(page_url, {"output": "tickets-thermal"})
    assert started.status_code == 302 and started["Location"] == page_url
    page = staff_client.get(page_url).content.decode()
    assert "Tickets, 80 mm thermal printer (PDF)" in page and "Ready" in page
    job = jobs.for_event(generated_event.event_id)[0]
    assert f'href="/api/v1/jobs/{job.job_id}/file"' in page
    data = b"".join(staff_client.get(f"/api/v1/jobs/{job.job_id}/file").streaming_content)
    assert len(page_codes(data)) == TICKETS
    assert 'http-equiv="refresh"' not in page  # nothing running: the page stops reloading


def test_a_persons_browser_is_sent_to_the_files_page(staff_client, generated_event):
    answer = staff_client.get(f"/api/v1/events/{generated_event.event_id}/exports/tickets.xlsx",
                              HTTP_ACCEPT="text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    assert answer.status_code == 303
    assert answer["Location"].startswith(f"/admin/events/event/{generated_event.event_id}/files/#job-")


def test_the_events_list_links_the_files_page(staff_client, generated_event):
    page = staff_client.get("/admin/events/event/").content.decode()
    assert f'href="/admin/events/event/{generated_event.event_id}/files/"' in page


def test_printing_every_ticket_from_the_tickets_list_streams_the_pdf(staff_client, generated_event):
    ids = list(Ticket.objects.filter(event=generated_event).values_list("pk", flat=True))
    answer = staff_client.post("/admin/tickets/ticket/", {"action": "print_tickets_a4", "_selected_action": ids},
                               HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert answer.status_code == 200 and answer.streaming
    assert len([c for page in page_codes(b"".join(answer.streaming_content)) for c in page]) == TICKETS


def test_an_xlsx_action_on_a_large_event_opens_the_files_page(staff_client, generated_event):
    answer = staff_client.post("/admin/events/event/", {"action": "export_scans_xlsx",
                                                         "_selected_action": [generated_event.event_id]},
                               HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert answer.status_code == 200  # no scans: small, downloaded at once
    answer = staff_client.post("/admin/events/event/", {"action": "export_tickets_xlsx",
                                                         "_selected_action": [generated_event.event_id]},
                               HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert answer.status_code == 303 and "/files/#job-" in answer["Location"]
