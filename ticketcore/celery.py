import os

from celery import Celery

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
