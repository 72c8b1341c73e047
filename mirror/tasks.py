"""Celery tasks of the platform: the Firestore mirror's drain (docs/adr/0011)."""
from __future__ import annotations

import logging

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from mirror import outbox

log = logging.getLogger("ticketcore.mirror")


@shared_task(bind=True, name="mirror.drain_outbox", ignore_result=True, max_retries=None)
def drain_outbox(self, periodic: bool = False) -> dict:
    """Drain the outbox into Firestore. Kicked on commit (`outbox.kick`) and run by beat every
    FIRESTORE_DRAIN_INTERVAL_S as the safety net. Any number may run at once (SKIP LOCKED and
    per-document locks, see mirror/drainer.py).

    While Firestore is unavailable a kicked task retries with exponential backoff (jittered, at
    most a minute apart, FIRESTORE_DRAIN_MAX_RETRIES times); the periodic one does not retry,
    the next tick is its retry. Nothing is lost meanwhile: unacknowledged rows stay queued."""
    if not outbox.enabled():
        return {"enabled": False}
    from mirror.drainer import MirrorUnavailable, drain

    try:
        result = drain(time_budget=settings.FIRESTORE_DRAIN_TIME_BUDGET_S)
    except MirrorUnavailable as exc:
        outbox.note_error(exc)
        log.warning("mirror drain failed: %s", exc)
        if periodic or self.request.retries >= settings.FIRESTORE_DRAIN_MAX_RETRIES:
            return {"enabled": True, "error": str(exc)}
        countdown = get_exponential_backoff_interval(factor=1, retries=self.request.retries, maximum=60,
                                                     full_jitter=True)
        raise self.retry(exc=exc, countdown=max(1, countdown))
    outbox.note_error(None)
    if result.more:
        drain_outbox.apply_async(retry=False)  # budget spent with rows left: hand over, don't hog the worker
    return {"enabled": True, **result.as_dict()}


@shared_task(name="mirror.compact_outbox", ignore_result=True)
def compact_outbox() -> dict:
    """While the mirror is off, keep one outbox row per document (see outbox.compact)."""
    if outbox.enabled():
        return {"enabled": True, "deleted": 0}
    return {"enabled": False, "deleted": outbox.compact()}
