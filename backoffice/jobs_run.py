"""Producing a job's file in the Celery worker (backoffice/jobs.py says what a job is).

The same code as the requests (the ticket selection and renderer of backoffice/printing, the
export queries and writers), writing to `<job_id>.<ext>.part` and renamed when complete, so a
half-written file is never offered. Progress is the rows read so far, saved every
PROGRESS_EVERY rows. At most JOBS_MAX_RUNNING jobs run at once on a host (a lock file per slot):
the worker's other processes keep draining the mirror and checking anomalies meanwhile."""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import logging
import os
import shutil
from collections.abc import Iterator
from typing import BinaryIO

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice import exports, jobs
from backoffice.exports_writers import csv_chunks, xlsx_file
from backoffice.printing.selection import select_tickets
from backoffice.printing.tickets import Layout, render_tickets
from core.errors import DomainError
from events.models import Event

log = logging.getLogger(__name__)

PROGRESS_EVERY = 2000


def max_running() -> int:
    return int(getattr(settings, "JOBS_MAX_RUNNING", None) or os.environ.get("JOBS_MAX_RUNNING") or 1)


@contextlib.contextmanager
def slot():
    """One of JOBS_MAX_RUNNING slots on this host, or None when all are taken (the caller retries
    later). The lock is the kernel's: a killed worker frees its slot."""
    for i in range(max_running()):
        fd = os.open(jobs.jobs_dir() / f".slot-{i}", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield i
        finally:
            os.close(fd)  # releases the lock
        return
    yield None


class _Progress:
    """Counts the rows a renderer or writer takes, saving the job's progress as it goes."""

    def __init__(self, rows, job: jobs.Job):
        self.rows, self.job = rows, job

    def __iter__(self) -> Iterator:
        job = self.job
        for row in self.rows:
            job.done += 1
            if job.done % PROGRESS_EVERY == 0:
                jobs.save(job)
            yield row


def _tickets_pdf(job: jobs.Job, out: BinaryIO) -> None:
    p = job.params
    selection = select_tickets(event_id=job.event_id, zone=p.get("zone"))
    job.total = selection.count
    render_tickets(event=selection.event, tickets=_Progress(selection.rows(), job), zones=selection.zones,
                   layout=Layout(p["layout"]), out=out, language=p.get("language"))


def _export(job: jobs.Job, out: BinaryIO) -> None:
    event = Event.objects.get(pk=job.event_id)
    export = exports.build(job.params["dataset"], event)
    export = dataclasses.replace(export, rows=iter(_Progress(export.rows, job)))
    if job.params["fmt"] == "csv":
        for chunk in csv_chunks(export, event):
            out.write(chunk)
        return
    with xlsx_file(export, event) as built:
        shutil.copyfileobj(built, out, 1 << 20)


def run(job_id: str) -> jobs.Job | None:
    """Produce the job's file (once: a finished job is left as it is)."""
    job = jobs.get(job_id)
    if job is None or job.state == jobs.State.DONE:
        return job
    job.state, job.started_at, job.done, job.error = jobs.State.RUNNING, timezone.now().isoformat(), 0, None
    jobs.save(job)
    final = jobs.output_path(job)
    part = final.with_name(final.name + ".part")
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            (_tickets_pdf if job.kind == jobs.Kind.TICKETS_PDF else _export)(job, out)
        os.replace(part, final)
    except Exception as exc:
        part.unlink(missing_ok=True)
        log.exception("job %s (%s of event %s) failed", job.job_id, job.kind, job.event_id)
        job.state, job.finished_at = jobs.State.FAILED, timezone.now().isoformat()
        job.error = str(exc.message) if isinstance(exc, DomainError) else _(
            "The file could not be produced; the worker's log says why.")
        jobs.save(job)
        return job
    job.state, job.finished_at, job.size = jobs.State.DONE, timezone.now().isoformat(), final.stat().st_size
    job.total = job.total if job.total is not None else job.done
    jobs.save(job)
    return job
