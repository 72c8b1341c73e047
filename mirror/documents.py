"""Firestore documents as PostgreSQL holds them now: the TMT data model (seed 001).

events/{event_id}                        the event
events/{event_id}/setup/zones            {status, zones: [...]}: the activation gate and the zones
events/{event_id}/security/qr-pin        the public verification keys (never a private key)
events/{event_id}/tickets/{doc_id}       every field of the ticket anatomy, ledger included
events/{event_id}/credentials/{id}       staff and VIP credentials

Each document is read with ONE SQL statement (one snapshot), so a ticket and its ledger are never
mixed from two moments. `build_docs` returns None for a document whose source row is gone: the
drain deletes it. Every document also carries `mirror_version`, added by the drain."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Iterator

from django.db import connection
from psycopg.types.datetime import TimestamptzLoader

from events.codes import b64url

KINDS = ("event", "zones", "keys", "ticket", "credential")
CREDENTIAL_FIELDS = ("credential_id", "event_id", "name", "kind", "zones", "checkpoints", "valid_from",
                     "valid_until", "revoked_at", "inside", "created_at")


def doc_path(kind: str, event_id: str, key: str = "") -> str:
    if kind == "event":
        return f"events/{event_id}"
    if kind == "zones":
        return f"events/{event_id}/setup/zones"
    if kind == "keys":
        return f"events/{event_id}/security/qr-pin"
    if kind == "ticket":
        return f"events/{event_id}/tickets/{key}"
    if kind == "credential":
        return f"events/{event_id}/credentials/{key}"
    raise ValueError(f"unknown document kind {kind!r}")


@dataclass(frozen=True)
class DocKey:
    kind: str
    event_id: str
    key: str = ""

    @property
    def path(self) -> str:
        return doc_path(self.kind, self.event_id, self.key)


_LEDGER_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def ledger_metadata(value) -> str:
    """The TMT ledger stores metadata as a JSON string ("{}"); compact, keys sorted, stable."""
    if value == "{}" or value is None:
        return "{}"
    if isinstance(value, (str, bytes)):
        value = json.loads(value)
    return _LEDGER_JSON.encode(value)


def ledger_date(value: datetime) -> str:
    return value.isoformat()  # same text as the API's ledger


def build_docs(keys: Iterable[DocKey]) -> dict[str, dict | None]:
    by_kind: dict[str, set] = {k: set() for k in KINDS}
    paths: dict[str, DocKey] = {}
    for key in keys:
        by_kind[key.kind].add(key.event_id if key.kind in ("event", "zones", "keys") else key.key)
        paths[key.path] = key
    docs: dict[str, dict | None] = {}
    if by_kind["event"]:
        docs.update(_events(sorted(by_kind["event"])))
    if by_kind["zones"]:
        docs.update(_zones(sorted(by_kind["zones"])))
    if by_kind["keys"]:
        docs.update(_keys(sorted(by_kind["keys"])))
    tickets = [k for k in paths.values() if k.kind == "ticket"]
    if tickets:
        docs.update(_tickets([f"{k.event_id}-{k.key}" for k in tickets]))
    credentials = [k.key for k in paths.values() if k.kind == "credential"]
    if credentials:
        docs.update(_credentials(credentials))
    return {path: docs.get(path) for path in paths}


def _rows(sql: str, params) -> Iterator[dict]:
    with connection.cursor() as cur:
        # psycopg's own timestamptz loader (in C), in the session's time zone as Django's is:
        # Django's Python subclass of it was a fifth of the drain's CPU.
        cur.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cur.execute(sql, params)
        names = [c.name for c in cur.description]
        for row in cur.fetchall():
            yield dict(zip(names, row))


def _events(event_ids: list[str]) -> dict[str, dict]:
    out = {}
    for r in _rows(
        "SELECT event_id, name, venue, date_start, date_end, doors_open_minutes, doors_close_minutes, "
        "generated_at, created_at FROM events_event WHERE event_id = ANY(%s)",
        [event_ids],
    ):
        out[doc_path("event", r["event_id"])] = r
    return out


def _zones(event_ids: list[str]) -> dict[str, dict]:
    out = {}
    for r in _rows(
        """SELECT e.event_id, e.setup_status, z.ids, z.names, z.colors, z.seats, z.reentry
           FROM events_event e
           LEFT JOIN LATERAL (
               SELECT array_agg(zone_id ORDER BY position, id) AS ids, array_agg(name ORDER BY position, id) AS names,
                      array_agg(color ORDER BY position, id) AS colors, array_agg(seats ORDER BY position, id) AS seats,
                      array_agg(reentry ORDER BY position, id) AS reentry
               FROM events_zone WHERE event_id = e.event_id) z ON true
           WHERE e.event_id = ANY(%s)""",
        [event_ids],
    ):
        zones = [
            {"zone_id": i, "name": n, "color": c, "seats": s, "reentry": re}
            for i, n, c, s, re in zip(r["ids"] or [], r["names"] or [], r["colors"] or [], r["seats"] or [], r["reentry"] or [])
        ]
        out[doc_path("zones", r["event_id"])] = {"event_id": r["event_id"], "status": r["setup_status"], "zones": zones}
    return out


def _keys(event_ids: list[str]) -> dict[str, dict]:
    # Only the public half is selected: the private key never leaves PostgreSQL.
    out = {}
    for r in _rows(
        """SELECT e.event_id, k.ids, k.publics, k.actives, k.created
           FROM events_event e
           LEFT JOIN LATERAL (
               SELECT array_agg(key_id ORDER BY created_at, key_id) AS ids,
                      array_agg(public_key ORDER BY created_at, key_id) AS publics,
                      array_agg(active ORDER BY created_at, key_id) AS actives,
                      array_agg(created_at ORDER BY created_at, key_id) AS created
               FROM events_signingkey WHERE event_id = e.event_id) k ON true
           WHERE e.event_id = ANY(%s)""",
        [event_ids],
    ):
        keys = [
            {"key_id": i, "public_key": b64url(bytes(p)), "active": a, "created_at": c}
            for i, p, a, c in zip(r["ids"] or [], r["publics"] or [], r["actives"] or [], r["created"] or [])
        ]
        active = next((k for k in reversed(keys) if k["active"]), None)
        out[doc_path("keys", r["event_id"])] = {
            "event_id": r["event_id"],
            "algorithm": "Ed25519",
            "key_id": active["key_id"] if active else None,
            "public_key": active["public_key"] if active else None,
            "keys": keys,
        }
    return out


TICKET_FIELDS = ("ticket_id", "seat_id", "zone", "zone_id", "color", "status", "status_offline", "access_status",
                 "access_entry", "date_start", "date_end", "event_name", "event_id", "seat_row", "version")


def _tickets(ticket_ids: list[str]) -> dict[str, dict]:
    out = {}
    for r in _rows(
        f"""SELECT t.doc_id, {", ".join("t." + f for f in TICKET_FIELDS)}, l.dates, l.actions, l.metas
            FROM tickets_ticket t
            LEFT JOIN LATERAL (
                SELECT array_agg(date ORDER BY id) AS dates, array_agg(action ORDER BY id) AS actions,
                       array_agg(metadata::text ORDER BY id) AS metas
                FROM tickets_ledgerentry WHERE ticket_id = t.id) l ON true
            WHERE t.ticket_id IN (SELECT json_array_elements_text(%s::json))""",
        [json.dumps(ticket_ids)],
    ):
        doc = {f: r[f] for f in TICKET_FIELDS}
        doc["ledger"] = [
            {"date": ledger_date(d), "action": a, "metadata": ledger_metadata(m)}
            for d, a, m in zip(r["dates"] or [], r["actions"] or [], r["metas"] or [])
        ]
        out[doc_path("ticket", r["event_id"], r["doc_id"])] = doc
    return out


def _credentials(credential_ids: list[str]) -> dict[str, dict]:
    # SELECT *: the access app owns the table; only the fields of the contract are mirrored.
    out = {}
    for r in _rows("SELECT * FROM access_credential WHERE credential_id = ANY(%s)", [credential_ids]):
        doc = {f: r.get(f) for f in CREDENTIAL_FIELDS if f in r}
        for f in ("zones", "checkpoints"):
            if f in doc:
                doc[f] = list(doc[f] or [])
        doc["revoked"] = r.get("revoked_at") is not None
        out[doc_path("credential", r["event_id"], r["credential_id"])] = doc
    return out


# ----------------------------------------------------------------------------- whole events

def event_keys(event_id: str) -> Iterator[DocKey]:
    """Every document PostgreSQL says the event has (for repair and diff), tickets in seat order."""
    yield DocKey("event", event_id)
    yield DocKey("zones", event_id)
    yield DocKey("keys", event_id)
    with connection.cursor() as cur:
        cur.execute("SELECT doc_id FROM tickets_ticket WHERE event_id = %s ORDER BY id", [event_id])
        for (doc_id,) in cur.fetchall():
            yield DocKey("ticket", event_id, doc_id)
        if _has_credentials():
            cur.execute("SELECT credential_id FROM access_credential WHERE event_id = %s ORDER BY credential_id",
                        [event_id])
            for (credential_id,) in cur.fetchall():
                yield DocKey("credential", event_id, credential_id)


def _has_credentials() -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('access_credential') IS NOT NULL")
        return cur.fetchone()[0]
