"""tickets/migrations/0010 on a database that already has tickets and sales: every ticket gets a
valid reference unique in its event, every sold ticket the channel its ledger shows, prices stay
unknown, and the backfill counts as no change of the tickets (no new version, no Firestore
document re-queued).

The database is the pre-issue-15 snapshot of tests/migrations_forward (30 tickets, 12 sold by
staff, 5 at a box office, 2 held), plus sales written here the way each channel wrote them
before this issue, then migrated forward by `manage.py migrate` in a child process."""
from __future__ import annotations

import json
import re
import uuid

import psycopg
import pytest

from tests.migrations_forward.test_migrate_forward import _manage, old_database  # noqa: F401 (fixture)

REFERENCE = re.compile(r"^[34679CDFHJKMNPRTVWXY]{8}$")


def _ledger(conn, pk: int, action: str, metadata: dict) -> None:
    conn.execute("INSERT INTO tickets_ledgerentry (ticket_id, date, action, metadata) VALUES (%s, now(), %s, %s)",
                 [pk, action, json.dumps(metadata)])


def _status(conn, pk: int, status: bool) -> None:
    conn.execute("UPDATE tickets_ticket SET status = %s WHERE id = %s", [status, pk])


def test_backfill_gives_references_and_channels_and_changes_nothing_else(old_database):  # noqa: F811
    with psycopg.connect(old_database, autocommit=True) as conn:
        rows = conn.execute("SELECT id, ticket_id, status FROM tickets_ticket ORDER BY ticket_id").fetchall()
        assigned = {r[0] for r in conn.execute("SELECT ticket_id FROM offices_officeassignment "
                                               "WHERE returned_at IS NULL")}
        held = {r[0] for r in conn.execute("SELECT ticket_id FROM tickets_blocked")}
        free = [pk for pk, _, status in rows if status and pk not in assigned and pk not in held]
        online, patched, resold, raw_sql, unsold = free[:5]
        staff_sold = [pk for pk, _, status in rows if not status]
        assert len(staff_sold) == 12

        # A checkout (before this issue: ledger `sold`, channel online, no price).
        _ledger(conn, online, "sold", {"hold_id": "Hd5Rk2Wm9Qx3Tz7Pb1Nc", "channel": "online", "buyer": {}})
        _status(conn, online, False)
        # A staff PATCH (before this issue: ledger `updated`).
        _ledger(conn, patched, "updated", {"changes": {"status": [True, False]}, "by": "ana"})
        _status(conn, patched, False)
        # Sold online, un-sold by staff, sold again by staff: the latest sale decides.
        _ledger(conn, resold, "sold", {"hold_id": "x", "channel": "online"})
        _status(conn, resold, False)
        _ledger(conn, resold, "updated", {"changes": {"status": [False, True]}, "by": "ana"})
        _status(conn, resold, True)
        _ledger(conn, resold, "updated", {"changes": {"status": [True, False]}, "by": "ana"})
        _status(conn, resold, False)
        # Sold with no trace in the ledger (a repair by hand): counted as a staff sale.
        _status(conn, raw_sql, False)
        # A box office's accepted upload.
        office_ticket = sorted(assigned)[0]
        office_id, event_id = conn.execute("SELECT office_id, event_id FROM offices_officeassignment "
                                           "WHERE ticket_id = %s", [office_ticket]).fetchone()
        conn.execute("""INSERT INTO offices_officesale (sale_id, ticket_ref, result, reason, sold_at, buyer, response,
                                                        event_id, office_id, ticket_id)
                        SELECT %s, ticket_id, 'accepted', NULL, now(), NULL, '{}', event_id, %s, id
                        FROM tickets_ticket WHERE id = %s""", [uuid.uuid4(), office_id, office_ticket])
        _status(conn, office_ticket, False)
        _ledger(conn, office_ticket, "sold", {"channel": "office", "office_id": office_id})

        versions = dict(conn.execute("SELECT id, version FROM tickets_ticket").fetchall())
        outbox = conn.execute("SELECT count(*) FROM ticketcore_outbox").fetchone()[0]
        ledger = conn.execute("SELECT count(*) FROM tickets_ledgerentry").fetchone()[0]

    _manage(old_database, "migrate", "--no-input")

    with psycopg.connect(old_database, autocommit=True) as conn:
        after = {r[0]: r[1:] for r in conn.execute(
            "SELECT id, reference, channel, price, status, version, event_id FROM tickets_ticket")}
        assert len(after) == 30
        refs = [a[0] for a in after.values()]
        assert all(REFERENCE.match(r) for r in refs) and len(set(refs)) == 30
        channels = {pk: a[1] for pk, a in after.items()}
        assert channels[online] == "online"
        assert channels[office_ticket] == "box_office"
        assert channels[patched] == channels[resold] == channels[raw_sql] == "manual"
        assert {channels[pk] for pk in staff_sold} == {"manual"}  # sell_tickets("snapshot")
        assert channels[unsold] is None
        assert {pk for pk, a in after.items() if a[3]} == {pk for pk, c in channels.items() if c is None}
        assert all(a[2] is None for a in after.values())  # the price was never recorded: unknown
        # Not a change of the tickets: same versions, nothing queued for Firestore, no ledger entry.
        assert {pk: a[4] for pk, a in after.items()} == versions
        assert conn.execute("SELECT count(*) FROM ticketcore_outbox").fetchone()[0] == outbox
        assert conn.execute("SELECT count(*) FROM tickets_ledgerentry").fetchone()[0] == ledger
        # ... and the triggers it paused are back.
        enabled = dict(conn.execute("SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'tickets_ticket'::regclass "
                                    "AND NOT tgisinternal").fetchall())
        assert enabled["ticket_irreversible"] == enabled["ticketcore_outbox_upd"] == "O"
        before = conn.execute("SELECT version FROM tickets_ticket WHERE id = %s", [unsold]).fetchone()[0]
        conn.execute("UPDATE tickets_ticket SET seat_row = 'F1' WHERE id = %s", [unsold])
        assert conn.execute("SELECT version FROM tickets_ticket WHERE id = %s", [unsold]).fetchone()[0] > before
        assert conn.execute("SELECT count(*) FROM ticketcore_outbox").fetchone()[0] == outbox + 1
        # The new guarantees hold on the migrated data.
        with pytest.raises(psycopg.errors.IntegrityError, match="ticket_reference_unique_per_event"):
            conn.execute("UPDATE tickets_ticket SET reference = %s WHERE id = %s", [after[online][0], unsold])
        with pytest.raises(psycopg.errors.NotNullViolation):
            conn.execute("UPDATE tickets_ticket SET reference = NULL WHERE id = %s", [unsold])
        event = conn.execute("SELECT timezone, currency, language FROM events_event WHERE event_id = %s",
                             [event_id]).fetchone()
        assert event == ("UTC", "EUR", "es")
        assert {p for (p,) in conn.execute("SELECT price FROM events_zone")} == {0}
