"""Celery tasks of the backoffice: background jobs for large outputs (docs/adr/0030)."""
from __future__ import annotations

import logging

from celery import shared_task
from django.utils.translation import gettext as _

from backoffice import jobs, jobs_run

log = logging.getLogger(__name__)

RETRY_S = 10  # while every job slot is taken


@shared_task(name="backoffice.run_job", bind=True, ignore_result=True, max_retries=None)
def run_job(self, job_id: str) -> None:
    with jobs_run.slot() as got:
        if got is None:
            raise self.retry(countdown=RETRY_S)
        jobs_run.run(job_id)


@shared_task(name="backoffice.jobs_cleanup", ignore_result=True)
def jobs_cleanup() -> int:
    """Files and records older than JOBS_KEEP_HOURS (Celery beat, hourly; also on each start)."""
    return jobs.cleanup()


def start(*, kind: str, event_id: str, params: dict, filename: str, total: int | None,
          requested_by: str = "") -> jobs.Job:
    """The job producing this output: one already queued or running for the same output, or a new
    one handed to the worker. If the broker cannot be reached the job is recorded as failed, with
    words saying so."""
    jobs.cleanup()
    job = jobs.find_active(kind=kind, event_id=event_id, params=params)
    if job is not None:
        return job
    job = jobs.create(kind=kind, event_id=event_id, params=params, filename=filename, total=total,
                      requested_by=requested_by)
    try:
        run_job.apply_async((job.job_id,), queue=jobs.queue())
    except Exception:  # Redis down or unreachable: say so on the page instead of a 500
        log.exception("job %s could not be queued", job.job_id)
        job.state = jobs.State.FAILED
        job.error = _("The background worker cannot be reached right now; try again in a minute.")
        jobs.save(job)
    return job
