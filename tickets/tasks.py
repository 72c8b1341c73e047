"""Celery tasks of the tickets app."""
from celery import shared_task

from tickets import holds


@shared_task(name="tickets_unlock", ignore_result=True)
def tickets_unlock() -> int:
    """The `tickets_unlock` sweep (Celery beat, every TICKETS_UNLOCK_INTERVAL seconds): deletes
    expired checkout holds, writes `released` and announces the seats on the live feed.

    Correctness never waits for it (an expired hold already counts as available and is taken
    over lazily); it keeps tickets_blocked small and tells the dashboards. Several workers may
    run it at once (SKIP LOCKED)."""
    return holds.sweep_expired_holds().released
