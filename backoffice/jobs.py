"""Background jobs for outputs too large to wait for in a request (docs/adr/0030): large XLSX
exports, which cannot be sent before they are complete, and, when asked for, a whole event's
printed tickets (they stream, but take a minute or two of a core better spent off the web hosts
during an event). The admin and the API start a job; a Celery worker
(backoffice/tasks.py, backoffice/jobs_run.py) writes the file under JOBS_DIR and reports its
progress; the admin shows it and links the file; files and records go after JOBS_KEEP_HOURS.

A job is two files in JOBS_DIR, no table: `<job_id>.json`, its record (replaced atomically at
each change: one writer at a time, the web process that creates it, then the worker), and the
output `<job_id>.<ext>` (written as `.part`, renamed when complete). Every process that serves
or runs jobs must see the same directory (one work host, or a shared mount in a cluster). Job ids
are 128 random bits: the file carries live entry codes, and only staff reach the views."""
from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone


class Kind:
    TICKETS_PDF = "tickets_pdf"
    EXPORT = "export"


class State:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


ACTIVE = (State.QUEUED, State.RUNNING)


def jobs_dir() -> Path:
    """JOBS_DIR from the settings or the environment; DATA_DIR/jobs by default (as bin/ticketcore)."""
    data_dir = Path(os.environ.get("DATA_DIR") or settings.BASE_DIR / ".data")
    path = Path(getattr(settings, "JOBS_DIR", "") or os.environ.get("JOBS_DIR") or data_dir / "jobs")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def keep_hours() -> float:
    return float(getattr(settings, "JOBS_KEEP_HOURS", None) or os.environ.get("JOBS_KEEP_HOURS") or 24)


def sync_limit() -> int:
    """An XLSX of more rows than this is produced by a job: a zip cannot be sent before its last row,
    and at the speeds in docs/benchmarks.md a larger one would not be ready within the proxy's 60 s
    on a busy machine. (Printed tickets and CSV stream at any size.)"""
    return int(getattr(settings, "JOBS_SYNC_MAX_ROWS", None) or os.environ.get("JOBS_SYNC_MAX_ROWS") or 20_000)


def queue() -> str | None:
    """The Celery queue jobs are sent to: JOBS_QUEUE, else the default queue. A worker of its own
    (`bin/ticketcore worker -Q <name>`) keeps long jobs apart from the mirror drain."""
    return getattr(settings, "JOBS_QUEUE", None) or os.environ.get("JOBS_QUEUE") or None


@dataclass
class Job:
    job_id: str
    kind: str
    event_id: str
    params: dict  # tickets_pdf: layout, zone, language; export: dataset, fmt
    filename: str  # what the download is called
    state: str = State.QUEUED
    done: int = 0
    total: int | None = None
    created_at: str = field(default_factory=lambda: timezone.now().isoformat())
    started_at: str | None = None
    finished_at: str | None = None
    size: int | None = None
    error: str | None = None
    requested_by: str = ""

    @property
    def extension(self) -> str:
        return "pdf" if self.kind == Kind.TICKETS_PDF else self.params["fmt"]

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at)

    @property
    def expires(self) -> datetime:
        return self.created + timedelta(hours=keep_hours())

    @property
    def percent(self) -> int | None:
        if self.state == State.DONE:
            return 100
        if not self.total:
            return None
        return min(99, int(100 * self.done / self.total))


def _record(job_id: str) -> Path:
    return jobs_dir() / f"{job_id}.json"


def output_path(job: Job) -> Path:
    return jobs_dir() / f"{job.job_id}.{job.extension}"


def save(job: Job) -> None:
    path = _record(job.job_id)
    tmp = path.with_suffix(".json.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(asdict(job), f)
    os.replace(tmp, path)


def _valid_id(job_id: str) -> bool:
    return len(job_id) == 32 and all(c in "0123456789abcdef" for c in job_id)


def get(job_id: str) -> Job | None:
    if not _valid_id(job_id):
        return None
    try:
        data = json.loads(_record(job_id).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return Job(**data)


def create(*, kind: str, event_id: str, params: dict, filename: str, total: int | None, requested_by: str = "") -> Job:
    job = Job(job_id=secrets.token_hex(16), kind=kind, event_id=event_id, params=params, filename=filename,
              total=total, requested_by=requested_by)
    save(job)
    return job


def for_event(event_id: str) -> list[Job]:
    """The event's jobs still kept, newest first."""
    jobs = []
    for path in jobs_dir().glob("*.json"):
        job = get(path.stem)
        if job is not None and job.event_id == event_id:
            jobs.append(job)
    return sorted(jobs, key=lambda j: j.created_at, reverse=True)


def find_active(*, kind: str, event_id: str, params: dict) -> Job | None:
    """A job for the same output still queued or running: asking twice does not render twice."""
    for job in for_event(event_id):
        if job.kind == kind and job.params == params and job.state in ACTIVE:
            return job
    return None


def cleanup(now: float | None = None) -> int:
    """Remove records and files older than JOBS_KEEP_HOURS, and pieces left by a killed run;
    returns how many files went."""
    now = now or time.time()
    limit = now - keep_hours() * 3600
    removed = 0
    for path in jobs_dir().iterdir():
        if path.name.startswith("."):  # the workers' slot locks (backoffice/jobs_run.py)
            continue
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
