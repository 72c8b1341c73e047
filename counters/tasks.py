"""Celery tasks of the counters app."""
from celery import shared_task

from counters.folding import fold_queued


@shared_task(name="counters_fold_queued", ignore_result=True)
def counters_fold_queued() -> int:
    """Count the queued scans of every event (Celery beat, every COUNTERS_FOLD_INTERVAL_S seconds).
    Correctness never waits for it: every reader folds its event first. It bounds how much a
    reader's fold has to count when no dashboard is open."""
    return fold_queued()
