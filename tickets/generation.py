"""The rows of a ticket generation, written by one SQL statement (docs/adr/0034, 0036).

Python draws what must come from a CSPRNG (the Firestore-shaped doc ids and the references);
PostgreSQL builds everything else from the event's zones, read in the same statement under the
event row lock the service holds. One INSERT ... SELECT writes the tickets, and a data-modifying
CTE writes their `generated` ledger entries from its RETURNING, so the tickets are never read
back. The outbox rows come from the usual statement triggers (mirror/migrations/0002), and every
CHECK, unique index, foreign key and trigger runs exactly as for any other insert: nothing the
database guarantees is switched off or deferred further than its own definition says."""
from __future__ import annotations

from datetime import datetime

from django.db import connection

from core.ids import firestore_ids
from tickets.references import new_references

# Seat k (1-based, across zones in their display order) is seat number k - first of its zone;
# ids are assigned in k order, exactly the order of the former COPY. The drawn ids and references
# arrive as two comma-joined strings, not as text[] parameters: adapting and parsing two arrays
# of 100,000 strings cost ~0.2 s of client and server CPU, splitting a string ~0.02 s. Each seat
# finds its zone by range (a handful of zones), so no seat series is built, sorted and merged.
_GENERATE_SQL = """
WITH zone AS (
    SELECT z.id, z.zone_id, z.name, z.color, p.first, p.seats
    FROM unnest(%(zone_pks)s::bigint[], %(firsts)s::int[], %(seats)s::int[]) AS p(zone_pk, first, seats)
    JOIN events_zone z ON z.id = p.zone_pk AND z.event_id = %(event_id)s
), drawn AS (
    SELECT doc_id, reference, k
    FROM unnest(string_to_array(%(doc_ids)s, ','), string_to_array(%(references)s, ','))
         WITH ORDINALITY AS d(doc_id, reference, k)
), ticket AS (
    INSERT INTO tickets_ticket (ticket_id, doc_id, event_id, zone_ref_id, zone_id, zone, color, seat_id,
        seat_number, seat_row, status, status_offline, access_status, access_entry, date_start, date_end,
        event_name, updated_at, reference)
    SELECT %(event_id)s || '-' || drawn.doc_id, drawn.doc_id, %(event_id)s, zone.id, zone.zone_id, zone.name,
        zone.color, zone.zone_id || '-' || (drawn.k - zone.first), drawn.k - zone.first, 'por asignar', true, false,
        false, false, %(date_start)s, %(date_end)s, %(event_name)s, %(now)s, drawn.reference
    FROM drawn JOIN zone ON drawn.k > zone.first AND drawn.k <= zone.first + zone.seats
    ORDER BY drawn.k
    RETURNING id
)
INSERT INTO tickets_ledgerentry (ticket_id, date, action, metadata)
SELECT id, %(now)s, 'generated', '{}'::jsonb FROM ticket ORDER BY id
"""

# The statement's transition tables (the outbox triggers') and sorts hold ~100 bytes a seat;
# at the default 4 MB they spill to temporary files. Local to the generation transaction.
_WORK_MEM = "256MB"


def insert_generated(*, event, zones: list, now: datetime) -> int:
    """Insert one ticket per seat of `zones` (in order) and its `generated` ledger entry.
    The caller holds the event row lock inside its transaction; returns the number of seats."""
    total = sum(z.seats for z in zones)
    if total == 0:
        return 0
    firsts, first = [], 0
    for zone in zones:
        firsts.append(first)
        first += zone.seats
    with connection.cursor() as cur:
        cur.execute("SELECT current_setting('work_mem'), current_setting('jit')")
        saved = cur.fetchone()
        # jit off: a one-off plan, compiling it costs more than it saves.
        cur.execute("SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)", [_WORK_MEM])
        cur.execute(_GENERATE_SQL, {
            "zone_pks": [z.pk for z in zones], "firsts": firsts, "seats": [z.seats for z in zones],
            # [A-Za-z0-9] and the references' alphabet: no comma in either. Distinct; no tickets yet.
            "doc_ids": ",".join(firestore_ids(total)), "references": ",".join(new_references(total)),
            "event_id": event.event_id, "date_start": event.date_start, "date_end": event.date_end,
            "event_name": event.name, "now": now,
        })
        written = cur.rowcount
        cur.execute("SELECT set_config('work_mem', %s, true), set_config('jit', %s, true)", list(saved))
        if written != total:
            # A zone that vanished under us cannot happen under the event lock; refuse rather
            # than commit a partial event.
            raise RuntimeError(f"generation wrote {written} ledger entries for {total} seats")
    return total
