import os
import signal

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ticketcore.settings")

app = Celery("ticketcore")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

JOBS_CLEANUP_INTERVAL_S = 3600.0


@app.on_after_configure.connect
def _periodic_tasks(sender, **kwargs):
    # Background jobs' files go after JOBS_KEEP_HOURS (backoffice/tasks.py; starting a job also
    # cleans up, so this only matters for a quiet system). By name: the apps are not loaded yet.
    sender.add_periodic_task(JOBS_CLEANUP_INTERVAL_S, sender.signature("backoffice.jobs_cleanup"),
                             name="backoffice_jobs_cleanup", expires=JOBS_CLEANUP_INTERVAL_S)


def _stop_beat(signum, frame):
    raise SystemExit(0)


@signals.beat_init.connect
def _beat_stops_outside_the_signal_handler(sender, **kwargs):
    """Beat's own SIGTERM/SIGINT handler (celery.apps.beat.install_sync_handler) writes the
    schedule file and releases the broker connection inside the handler, i.e. at whatever line
    the main thread was on; landing inside the connection pool or the scheduler's own sync, that
    can wait forever on a lock the interrupted code holds. This one only raises SystemExit: the
    stack unwinds (releasing every lock it holds) and Service.start's `finally` syncs the schedule
    and releases the connection from ordinary code. beat_init is sent at the start of
    Service.start, just after celery installed its handler."""
    signal.signal(signal.SIGTERM, _stop_beat)
    signal.signal(signal.SIGINT, _stop_beat)
