"""Repair (`manage.py mirror_event`) and audit (`manage.py mirror_diff`) of one event's documents.

Repair writes nothing itself: it queues every document of the event with op `R` (rewrite
whatever Firestore holds, whatever its mirror_version) plus every Firestore document that
PostgreSQL no longer has, then lets the ordinary drain do the writing, with all its guarantees
(per-document order, preconditions, acknowledgement). So a repair racing live traffic or a
running worker cannot regress a document either."""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice

from django.db import connection, transaction

from mirror.client import get_client
from mirror.documents import DocKey, build_docs, doc_path, event_keys

IGNORED_FIELDS = {"mirror_version"}  # bookkeeping of the drain, not PostgreSQL data
CHUNK = 500


def _chunks(iterable, size):
    it = iter(iterable)
    while chunk := list(islice(it, size)):
        yield chunk


def _firestore_ids(client, event_id: str, collection: str) -> list[str]:
    col = client.collection(f"events/{event_id}/{collection}")
    return [ref.id for ref in col.list_documents(page_size=1000)]


def enqueue_event(event_id: str) -> dict:
    """Queue the event's documents for a forced rewrite; returns counts."""
    client = get_client()
    keys = list(event_keys(event_id))
    known = {k.path for k in keys}
    orphans = [DocKey(kind, event_id, doc_id)
               for kind, collection in (("ticket", "tickets"), ("credential", "credentials"))
               for doc_id in _firestore_ids(client, event_id, collection)
               if doc_path(kind, event_id, doc_id) not in known]
    rows = keys + orphans
    with transaction.atomic(), connection.cursor() as cur:
        for chunk in _chunks(rows, 5000):
            cur.execute(
                "INSERT INTO ticketcore_outbox (kind, event_id, key, path, op) "
                "SELECT k, e, d, p, 'R' FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) AS u(k, e, d, p)",
                [[r.kind for r in chunk], [r.event_id for r in chunk], [r.key for r in chunk], [r.path for r in chunk]],
            )
    return {"documents": len(keys), "orphans": len(orphans)}


@dataclass
class Diff:
    event_id: str
    compared: int = 0
    missing: list = field(default_factory=list)  # in PostgreSQL, not in Firestore
    extra: list = field(default_factory=list)  # in Firestore, not in PostgreSQL
    differ: dict = field(default_factory=dict)  # path -> names of the fields that differ
    pending: int = 0  # outbox rows of the event not yet mirrored (lag explains differences)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.differ)


def _comparable(doc: dict | None) -> dict | None:
    if doc is None:
        return None
    return {k: v for k, v in doc.items() if k not in IGNORED_FIELDS}


def diff_event(event_id: str) -> Diff:
    """Compare every document of the event, field by field, PostgreSQL against Firestore."""
    client = get_client()
    diff = Diff(event_id)
    keys = list(event_keys(event_id))
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM ticketcore_outbox WHERE event_id = %s", [event_id])
        diff.pending = cur.fetchone()[0]
    if not _event_exists(event_id):
        keys = []  # every document Firestore still has for it is extra
    known = set()
    for chunk in _chunks(keys, CHUNK):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL jit = off")  # see drainer.drain_batch
            expected = build_docs(chunk)
        snaps = {s.reference.path: s for s in client.get_all([client.document(k.path) for k in chunk])}
        for key in chunk:
            known.add(key.path)
            diff.compared += 1
            want, snap = _comparable(expected.get(key.path)), snaps.get(key.path)
            have = _comparable(snap.to_dict()) if snap is not None and snap.exists else None
            if want is None and have is None:
                continue
            if have is None:
                diff.missing.append(key.path)
            elif want is None:
                diff.extra.append(key.path)
            elif want != have:
                diff.differ[key.path] = sorted(f for f in set(want) | set(have) if want.get(f) != have.get(f)
                                               or (f in want) != (f in have))
    singles = [doc_path(kind, event_id) for kind in ("event", "zones", "keys")]
    for snap in client.get_all([client.document(p) for p in singles]):
        if snap.exists and snap.reference.path not in known:
            diff.extra.append(snap.reference.path)
    for kind, collection in (("ticket", "tickets"), ("credential", "credentials")):
        for doc_id in _firestore_ids(client, event_id, collection):
            path = doc_path(kind, event_id, doc_id)
            if path not in known and client.document(path).get().exists:
                diff.extra.append(path)
    return diff


def _event_exists(event_id: str) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM events_event WHERE event_id = %s", [event_id])
        return cur.fetchone() is not None
