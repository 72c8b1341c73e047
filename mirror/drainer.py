"""Drain the outbox into Firestore: in order, in atomic batches, safe with any number of workers.

One batch = one PostgreSQL transaction:
1. lock up to FIRESTORE_BATCH_SIZE (<= 500) of the oldest outbox rows, FOR UPDATE SKIP LOCKED, so
   concurrent workers take disjoint rows;
2. take a transaction-scoped advisory lock per document (pg_try_advisory_xact_lock): rows of a
   document that another worker is mirroring right now are left for later. So at most one worker
   at a time reads-and-writes a given document, and it reads PostgreSQL only after the previous
   writer of that document committed: a later write always carries a later state. The
   documents' other queued rows are taken as well (one write per document per batch);
3. take `mirror_version` from ticketcore_mirror_version_seq (per document, it increases with
   every write, because of step 2), read the documents' state from PostgreSQL;
4. write them in one Firestore commit (what a WriteBatch sends, built in place: docs/adr/0039),
   guarded: a document whose rows are all inserts is `create`d (precondition: it does not
   exist); a document this mirror wrote before is replaced under a `last_update_time`
   precondition taken from `ticketcore_mirror_doc` (what the last acknowledged write returned,
   docs/adr/0034), with no read; any other is read first and
   written only with a `last_update_time` precondition and only if Firestore does not already
   hold a `mirror_version` >= ours. A writer that lost its PostgreSQL session mid-batch (a
   zombie) can therefore never overwrite a newer document: its stale precondition fails the
   whole batch. A failed precondition makes the batch read every document and try again;
5. delete the rows, remember the update_time of each write, and commit. Firestore failing (unavailable, timeout, precondition storm)
   rolls the transaction back: the rows stay queued and a later drain mirrors them. A worker
   killed between the Firestore commit and the PostgreSQL commit leaves its rows queued too; the
   next drain rewrites the same (or a newer) state, so nothing is lost and nothing duplicated.

See docs/adr/0011 for the alternatives (Firestore transactions, payloads in the outbox)."""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Callable

from django.conf import settings
from django.db import connection, transaction

from mirror.client import MirrorDisabled, get_client, reset_clients, target_key
from mirror.documents import DocKey, build_docs

log = logging.getLogger("ticketcore.mirror")

MAX_BATCH = 500  # Firestore's limit of writes per batch
MAX_REQUEST_BYTES = 8 * 1024 * 1024  # Firestore refuses commit requests over 10 MiB
ADVISORY_CLASS = 0x6D697272  # "mirr": the advisory-lock namespace of the mirror
CONFLICT_ATTEMPTS = 4

__all__ = ["drain", "drain_batch", "DrainResult", "BatchOutcome", "MirrorUnavailable", "MirrorConflict",
           "MirrorDisabled", "pending_count"]


class MirrorUnavailable(RuntimeError):
    """Firestore could not be written (unreachable, timeout, quota...). Nothing was acknowledged."""


class MirrorConflict(MirrorUnavailable):
    """Firestore preconditions kept failing (another writer kept changing the same documents)."""


@dataclass
class BatchOutcome:
    rows: int = 0  # outbox rows locked
    acked: int = 0  # outbox rows deleted (their documents are in Firestore)
    written: int = 0  # documents created, updated or deleted in Firestore
    stale: int = 0  # documents Firestore already held at a newer mirror_version
    contended: int = 0  # documents left for later: another worker is mirroring them
    version: int | None = None


@dataclass
class DrainResult:
    batches: int = 0
    acked: int = 0
    written: int = 0
    stale: int = 0
    contended: int = 0
    more: bool = False  # stopped by the time or batch budget with rows left
    seconds: float = 0.0
    outcomes: list = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("batches", "acked", "written", "stale", "contended", "more", "seconds")}


@dataclass
class _Doc:
    key: DocKey
    path: str
    ops: set
    ids: list
    data: dict | None = None
    known: tuple | None = None  # (mirror_version, update_ns) of this mirror's last acknowledged write

    @property
    def force(self) -> bool:
        return "R" in self.ops

    @property
    def fresh(self) -> bool:
        return self.ops == {"I"} and self.data is not None


def pending_count(event_id: str | None = None) -> int:
    with connection.cursor() as cur:
        if event_id is None:
            cur.execute("SELECT count(*) FROM ticketcore_outbox")
        else:
            cur.execute("SELECT count(*) FROM ticketcore_outbox WHERE event_id = %s", [event_id])
        return cur.fetchone()[0]


def _transient_errors() -> tuple:
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc

    return (gexc.GoogleAPIError, auth_exc.GoogleAuthError, ConnectionError, TimeoutError, OSError)


# One batch is four statements. Lists travel as one JSON text each: psycopg quotes a Python list
# element by element in Python, which cost a tenth of the drainer's CPU.
#
# 1. Take the oldest rows, and an advisory lock per document among them (try: a document another
#    worker is mirroring right now is left for later; calling it twice is harmless, a held lock is
#    re-entrant). `mine` says which documents are ours.
_TAKE_SQL = """
WITH picked AS MATERIALIZED (
    SELECT id, kind, event_id, key, path, op FROM ticketcore_outbox ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED),
locks AS MATERIALIZED (
    SELECT path, pg_try_advisory_xact_lock(%s, hashtext(path)) AS mine FROM (SELECT DISTINCT path FROM picked) d)
SELECT p.id, p.kind, p.event_id, p.key, p.path, p.op, l.mine FROM picked p JOIN locks l USING (path) ORDER BY p.id"""

# 2. After the locks, so in a snapshot that sees the previous writer of each document committed:
#    the version, the documents' other queued rows (a later change, a savepoint-split ticket
#    update + ledger row, a repair: committed, so the state read next includes them, and one
#    write acknowledges them all), and what this mirror last wrote of each (docs/adr/0034).
#    Rows: (0, version), (1, id, path, op), (2, mirror_version, path, update_ns).
_PREPARE_SQL = """
WITH held AS MATERIALIZED (SELECT (json_array_elements_text(%s::json))::bigint AS id),
mine AS MATERIALIZED (SELECT DISTINCT o.path FROM ticketcore_outbox o JOIN held USING (id)),
more AS MATERIALIZED (
    SELECT o.id, o.path, o.op FROM ticketcore_outbox o JOIN mine USING (path)
    WHERE o.id NOT IN (SELECT id FROM held) FOR UPDATE OF o SKIP LOCKED)
SELECT 0, nextval('ticketcore_mirror_version_seq'), NULL::text, NULL::text, NULL::bigint
UNION ALL SELECT 1, id, path, op, NULL FROM more
UNION ALL SELECT 2, m.mirror_version, m.path, NULL, m.update_ns FROM ticketcore_mirror_doc m JOIN mine USING (path)
    WHERE m.target = %s"""

# 4. (3 is the documents' state: mirror/documents.py.) Acknowledge: delete the rows, remember the
#    update_time of each write (the next write of the document is guarded by it without a read;
#    one lock order: sorted by path), forget documents deleted or settled without a write of ours
#    (Firestore holds something we did not write: read it next time).
_ACK_SQL = """
WITH acked AS (
    DELETE FROM ticketcore_outbox WHERE id IN (SELECT (json_array_elements_text(%s::json))::bigint) RETURNING 1),
remembered AS (
    INSERT INTO ticketcore_mirror_doc (path, target, mirror_version, update_ns)
    SELECT w->>0, %s, %s, (w->>1)::bigint FROM json_array_elements(%s::json) w
    ON CONFLICT (path) DO UPDATE SET target = EXCLUDED.target, mirror_version = EXCLUDED.mirror_version,
        update_ns = EXCLUDED.update_ns
    RETURNING 1),
forgotten AS (
    DELETE FROM ticketcore_mirror_doc WHERE path IN (SELECT json_array_elements_text(%s::json)) RETURNING 1)
SELECT (SELECT count(*) FROM acked), (SELECT count(*) FROM remembered), (SELECT count(*) FROM forgotten)"""


def drain_batch(*, client=None, batch_size: int | None = None, before_commit: Callable | None = None,
                _guard: bool = True) -> BatchOutcome:
    """Mirror one batch. `before_commit(paths)` runs just before the Firestore commit (tests use
    it to hold a worker mid-batch). `_guard=False` drops the version/precondition guard; only the
    negative-control test uses it, to show the race it prevents is real."""
    client = client or get_client()
    size = min(batch_size or settings.FIRESTORE_BATCH_SIZE, MAX_BATCH)
    out = BatchOutcome()
    try:
        with transaction.atomic():
            with connection.cursor() as cur:
                # The document queries are cheap index lookups that the planner overestimates;
                # JIT-compiling them cost ~0.2 s per batch.
                cur.execute("SET LOCAL jit = off")
                cur.execute(_TAKE_SQL, [size, ADVISORY_CLASS])
                rows = cur.fetchall()
                out.rows = len(rows)
                docs: dict[str, _Doc] = {}
                contended = set()
                for row_id, kind, event_id, key, path, op, mine in rows:
                    if not mine:
                        contended.add(path)
                        continue
                    doc = docs.get(path)
                    if doc is None:
                        doc = docs[path] = _Doc(DocKey(kind, event_id, key), path, set(), [])
                    doc.ops.add(op)
                    doc.ids.append(row_id)
                out.contended = len(contended)
                if not docs:
                    return out
                cur.execute(_PREPARE_SQL, [json.dumps([i for d in docs.values() for i in d.ids]), target_key()])
                for tag, number, path, op, update_ns in cur.fetchall():
                    if tag == 0:
                        out.version = version = number
                    elif tag == 1:
                        docs[path].ids.append(number)
                        docs[path].ops.add(op)
                    else:
                        docs[path].known = (number, update_ns)
            state = build_docs(d.key for d in docs.values())
            for path, doc in docs.items():
                data = state.get(path)
                doc.data = None if data is None else {**data, "mirror_version": version}
            done, written = _write(client, list(docs.values()), version, out, before_commit=before_commit,
                                   guard=_guard)
            with connection.cursor() as cur:
                cur.execute(_ACK_SQL, [
                    json.dumps([i for d in docs.values() if d.path in done for i in d.ids]),
                    target_key(), version,
                    json.dumps(sorted((p, ns) for p, ns in written.items() if ns is not None)),
                    json.dumps(sorted(p for p in done if written.get(p) is None)),
                ])
                out.acked = cur.fetchone()[0]
    except MirrorUnavailable:
        reset_clients()  # a fresh channel next time, not one sitting in gRPC's reconnect backoff
        raise
    except _transient_errors() as exc:
        reset_clients()
        raise MirrorUnavailable(f"{exc.__class__.__name__}: {exc}") from exc
    return out


def _write(client, docs: list[_Doc], version: int, out: BatchOutcome, *, before_commit=None,
           guard=True) -> tuple[set, dict]:
    """Write the batch; returns the paths it settled (written, or already current in Firestore)
    and {path: update_ns of our write, None for a delete} for the documents it wrote.
    Documents past MAX_REQUEST_BYTES wait for the next batch (a commit request is capped at 10 MiB)."""
    from google.api_core import exceptions as gexc
    from google.cloud.firestore_v1.types import firestore as firestore_types

    from mirror import encode

    timeout = settings.FIRESTORE_TIMEOUT_S
    database = client._database_string
    prefix = f"{database}/documents/"
    read_all = False
    for _attempt in range(CONFLICT_ATTEMPTS):
        # One CommitRequest, every write built in its place (mirror/encode.py): what a WriteBatch
        # sends, without the batch's copy of each write into a request of its own.
        request = encode.commit_request(database)
        writes = request.writes
        paths, stale, size, done = [], 0, 0, set()
        # Documents that only saw inserts are new to Firestore: `create` them without a read
        # (generation's fast path). Documents we wrote before are guarded by the update_time our
        # last write returned (no read either). Everything else, repairs, and every document
        # after a failed precondition, is read first.
        to_read = {d.path for d in docs
                   if guard and (read_all or d.force or (not d.fresh and d.known is None))}
        snaps = {}
        if to_read:
            refs = [client.document(p) for p in to_read]
            snaps = {s.reference.path: s for s in client.get_all(refs, retry=None, timeout=timeout)}
        for d in docs:
            name = prefix + d.path
            write = None
            if not guard:
                write = (encode.delete(name, into=writes.add()) if d.data is None
                         else encode.set_unguarded(name, d.data, into=writes.add()))
            elif d.path not in to_read:
                if d.fresh:
                    write = encode.create(name, d.data, into=writes.add())
                elif d.known[0] >= version:
                    stale += 1  # cannot happen (versions grow per document under its lock); be safe
                elif d.data is None:
                    write = encode.delete(name, update_ns=d.known[1], into=writes.add())
                else:
                    write = encode.overwrite(name, d.data, update_ns=d.known[1], into=writes.add())
            else:
                snap = snaps.get(d.path)
                if snap is None or not snap.exists:
                    if d.data is not None:
                        write = encode.create(name, d.data, into=writes.add())
                else:
                    stored = snap.to_dict() or {}
                    held = stored.get("mirror_version")
                    if not d.force and isinstance(held, int) and held >= version:
                        stale += 1  # Firestore already holds this state or a newer one
                    elif d.data is None:
                        write = encode.delete(name, update_time=snap.update_time, into=writes.add())
                    else:
                        gone = [k for k in stored if k not in d.data]
                        write = encode.replace(name, d.data, gone=gone, update_time=snap.update_time,
                                               into=writes.add())
            if write is not None:
                size += write.ByteSize()
                if paths and size > MAX_REQUEST_BYTES:
                    del writes[-1]
                    break  # the rest stays queued for the next batch
                paths.append(d.path)
            done.add(d.path)
        if before_commit is not None:
            before_commit([d.path for d in docs])
        results = []
        if paths:
            try:
                # What WriteBatch.commit() calls, given the request it would have built.
                response = client._firestore_api.commit(
                    request=firestore_types.CommitRequest.wrap(request), metadata=client._rpc_metadata,
                    retry=None, timeout=timeout)
            except (gexc.AlreadyExists, gexc.FailedPrecondition, gexc.Aborted, gexc.NotFound) as exc:
                # Someone wrote one of these documents since we looked (a repair, a zombie worker,
                # an earlier attempt of this very batch that did commit): look again.
                log.info("mirror batch v%s conflicted (%s); rereading", version, exc.__class__.__name__)
                read_all = True
                continue
            results = type(response).pb(response).write_results
        out.written, out.stale = len(paths), stale
        return done, {p: _update_ns(r) for p, r in zip(paths, results)}
    raise MirrorConflict(f"batch v{version}: Firestore preconditions failed {CONFLICT_ATTEMPTS} times")


def _update_ns(result) -> int | None:
    """The update_time of one raw WriteResult in nanoseconds; None for a delete."""
    if not result.HasField("update_time"):
        return None
    return result.update_time.seconds * 1_000_000_000 + result.update_time.nanos


def drain(*, client=None, batch_size: int | None = None, time_budget: float | None = None,
          max_batches: int | None = None, until_empty: bool = False, deadline: float | None = None,
          before_commit: Callable | None = None, after_batch: Callable | None = None) -> DrainResult:
    """Drain batches until the outbox is empty (as far as this worker can see), the time budget
    or the batch budget runs out. `until_empty=True` also waits for rows other workers hold,
    up to `deadline` seconds (tests, management commands)."""
    client = client or get_client()
    result = DrainResult()
    start = time.monotonic()
    while True:
        outcome = drain_batch(client=client, batch_size=batch_size, before_commit=before_commit)
        if outcome.rows:
            result.batches += 1
            result.acked += outcome.acked
            result.written += outcome.written
            result.stale += outcome.stale
            result.contended += outcome.contended
            if after_batch is not None:
                after_batch(outcome)
        elapsed = time.monotonic() - start
        result.seconds = round(elapsed, 3)
        if until_empty:
            if outcome.acked:
                continue
            if pending_count() == 0:
                return result
            if deadline is not None and elapsed > deadline:
                raise TimeoutError(f"outbox not empty after {deadline}s ({pending_count()} rows left)")
            time.sleep(0.05)  # rows are held by another worker: poll again shortly
            continue
        if not outcome.acked:
            return result  # empty, or everything left is another worker's
        if (time_budget is not None and elapsed >= time_budget) or (max_batches and result.batches >= max_batches):
            result.more = pending_count() > 0
            return result
