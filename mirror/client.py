"""The Firestore client, one per process and target (Celery forks its workers, so a client is
never shared across a fork)."""
from __future__ import annotations

import os
import threading

from django.conf import settings

_lock = threading.Lock()
_clients: dict[tuple, object] = {}


class MirrorDisabled(RuntimeError):
    """Neither FIRESTORE_EMULATOR_HOST nor FIRESTORE_PROJECT_ID is set."""


def get_client():
    from mirror.outbox import enabled, project_id

    if not enabled():
        raise MirrorDisabled("The Firestore mirror is off (set FIRESTORE_EMULATOR_HOST or FIRESTORE_PROJECT_ID).")
    emulator = settings.FIRESTORE_EMULATOR_HOST or None
    key = (os.getpid(), emulator, project_id())
    client = _clients.get(key)
    if client is not None:
        return client
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = _new_client(emulator, project_id())
    return client


def _new_client(emulator: str | None, project: str):
    from google.cloud import firestore

    # The client library reads the emulator address from the environment when it is built; the
    # setting wins over whatever the process environment says (tests point at their own emulator).
    saved = os.environ.get("FIRESTORE_EMULATOR_HOST")
    try:
        if emulator:
            os.environ["FIRESTORE_EMULATOR_HOST"] = emulator
        else:
            os.environ.pop("FIRESTORE_EMULATOR_HOST", None)
        return firestore.Client(project=project)
    finally:
        if saved is None:
            os.environ.pop("FIRESTORE_EMULATOR_HOST", None)
        else:
            os.environ["FIRESTORE_EMULATOR_HOST"] = saved


def target_key() -> str:
    """Which Firestore the documents go to, as the drain's memory of its writes is keyed
    (ticketcore_mirror_doc.target): what it wrote to one emulator says nothing about another."""
    from mirror.outbox import project_id

    return f"{settings.FIRESTORE_EMULATOR_HOST or 'firestore.googleapis.com'}/{project_id()}"


def reset_clients() -> None:
    with _lock:
        _clients.clear()
