"""The offline manifest: everything a scanner needs to decide scans while the network is down,
without personal data, whole or as the tickets changed since a version (docs/adr/0012)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import OuterRef
from django.db.models.functions import JSONObject
from django.utils import timezone

from access.manifest_version import safe_ticket_version
from access.models import Credential
from access.offline_limits import late_upload_seconds
from events import codes
from events.models import Checkpoint, Event, SigningKey, Zone

_SAFE_TEXT = re.compile(r"^[A-Za-z0-9_\-]*$")
_BOOL = {True: "true", False: "false"}
_TICKET_SQL = ("SELECT ticket_id, zone_id, status, access_status, access_entry, seat_id, seat_row FROM tickets_ticket "
               "WHERE event_id = %s{since} ORDER BY id")


def _tickets_json(event_id: str, since: int | None) -> tuple[bytes, int]:
    """The `tickets` array as JSON bytes, built from one query without model instances."""
    with connection.cursor() as cur:
        if since is None:
            cur.execute(_TICKET_SQL.format(since=""), [event_id])
        else:
            cur.execute(_TICKET_SQL.format(since=" AND version > %s"), [event_id, since])
        rows = cur.fetchall()
    # Ticket and zone ids are [A-Za-z0-9_-] by construction; check once for the whole list and
    # format without per-field escaping, else fall back to json.dumps per row.
    # seat_id (and seat_row, free text set by staff) let an offline phone show the seat; neither is
    # personal data. seat_row always goes through json.dumps.
    if _SAFE_TEXT.match("".join(r[0] for r in rows)) and _SAFE_TEXT.match("".join(r[1] for r in rows)) \
            and _SAFE_TEXT.match("".join(r[5] for r in rows)):
        b, dumps = _BOOL, json.dumps
        parts = [f'{{"ticket_id":"{t}","zone_id":"{z}","status":{b[s]},"access_status":{b[a]},"access_entry":{b[e]},'
                 f'"seat_id":"{seat}","seat_row":{dumps(row)}}}'
                 for t, z, s, a, e, seat, row in rows]
    else:
        parts = [json.dumps({"ticket_id": t, "zone_id": z, "status": s, "access_status": a, "access_entry": e,
                             "seat_id": seat, "seat_row": row}, separators=(",", ":"))
                 for t, z, s, a, e, seat, row in rows]
    return ("[" + ",".join(parts) + "]").encode(), len(rows)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class Manifest:
    version: int
    tickets: int
    body: bytes  # the JSON document


def build_manifest(*, device, since: int | None = None) -> Manifest:
    """Everything a scanner needs to decide offline, without personal data: the event and its
    doors window, this checkpoint's rules, zones (re-entry), the public keys that verify codes,
    every ticket's state (or only those changed after `since`), credentials (ids and rules, no
    names) and the revoked credential ids. Credentials are few and always sent whole. Every gate
    of the event comes too, so a steward turned away at the wrong one is told which gates admit
    that zone (static/scanner/venue.js)."""
    version = safe_ticket_version(floor=since or 0)
    # The event's gates come with the event, in the same query (an array subquery).
    gates = (Checkpoint.objects.filter(event_id=OuterRef("pk")).order_by("name", "checkpoint_id")
             .values(json=JSONObject(checkpoint_id="checkpoint_id", name="name", zones="zones", directions="directions")))
    event = Event.objects.annotate(gates=ArraySubquery(gates)).get(pk=device.event_id)
    cp = device.checkpoint
    zones = [{"zone_id": z.zone_id, "name": z.name, "color": z.color, "reentry": z.reentry, "seats": z.seats}
             for z in Zone.objects.filter(event_id=event.event_id)]
    keys = [{"key_id": k, "public_key": codes.b64url(bytes(p)), "active": a}
            for k, p, a in SigningKey.objects.filter(event_id=event.event_id).values_list("key_id", "public_key", "active")]
    credentials, revoked = [], []
    for c in Credential.objects.filter(event_id=event.event_id).order_by("credential_id"):
        if c.revoked_at is not None:
            revoked.append(c.credential_id)
            continue
        credentials.append({"credential_id": c.credential_id, "kind": c.kind, "zones": c.zones,
                            "checkpoints": c.checkpoints, "valid_from": _iso(c.valid_from),
                            "valid_until": _iso(c.valid_until), "inside": c.inside})
    opens, closes = event.doors_open_at, event.doors_close_at
    tickets, count = _tickets_json(event.event_id, since)
    head = {
        "version": version,
        "since": since,
        "full": since is None,
        "generated_at": timezone.now().isoformat(),
        "event": {"event_id": event.event_id, "name": event.name, "venue": event.venue,
                  "date_start": event.date_start.isoformat(), "date_end": event.date_end.isoformat(),
                  "doors_open_minutes": event.doors_open_minutes, "doors_close_minutes": event.doors_close_minutes,
                  "doors_open_at": opens.isoformat(), "doors_close_at": closes.isoformat(),
                  "timezone": event.timezone},  # the phone shows the doors' times in it (static/scanner/venue.js)
        "checkpoint": {"checkpoint_id": cp.checkpoint_id, "name": cp.name, "zones": cp.zones,
                       "directions": cp.directions},
        "checkpoints": event.gates,
        "device": {"device_id": device.device_id, "role": device.role, "clock_offset_ms": device.clock_offset_ms},
        "zones": zones,
        "keys": keys,
        "credentials": credentials,
        "revoked_credentials": revoked,
        "late_upload_seconds": late_upload_seconds(),
        "ticket_count": count,
    }
    # The big array is spliced in as bytes: no second pass of json.dumps over 50,000 objects.
    body = json.dumps(head, separators=(",", ":")).encode()
    body = body[:-1] + b',"tickets":' + tickets + b"}"
    return Manifest(version=version, tickets=count, body=body)
