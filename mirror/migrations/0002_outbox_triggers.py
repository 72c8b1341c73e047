"""Every change of a mirrored row queues its Firestore document in the same transaction.

PostgreSQL writes the outbox, not the services: a service (present or future), an admin action, a
management command or a raw SQL repair cannot forget it, and a rolled-back transaction leaves no
outbox row. The triggers are STATEMENT-level with transition tables, so the 100,000-row COPY of
ticket generation queues its documents in one set operation (docs/adr/0011).

Document paths follow the TMT data model: events/{event_id}, events/{event_id}/setup/zones,
events/{event_id}/security/qr-pin, events/{event_id}/tickets/{doc_id}.

`ticketcore_mirror_version_seq` numbers the drain's writes; see mirror/drain.py."""
from django.db import migrations

TICKET_PATH = "'events/' || {t}.event_id || '/tickets/' || {t}.doc_id"

FORWARD = r"""
CREATE SEQUENCE ticketcore_mirror_version_seq;

-- tickets_ticket: one document per row.
CREATE FUNCTION ticketcore_outbox_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO ticketcore_outbox (kind, event_id, key, path, op)
        SELECT 'ticket', o.event_id, o.doc_id, %(old_path)s, 'D' FROM outbox_old o ORDER BY o.id;
    ELSE
        INSERT INTO ticketcore_outbox (kind, event_id, key, path, op)
        SELECT 'ticket', n.event_id, n.doc_id, %(new_path)s, left(TG_OP, 1) FROM outbox_new n ORDER BY n.id;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER ticketcore_outbox_ins AFTER INSERT ON tickets_ticket
    REFERENCING NEW TABLE AS outbox_new FOR EACH STATEMENT EXECUTE FUNCTION ticketcore_outbox_ticket();
CREATE TRIGGER ticketcore_outbox_upd AFTER UPDATE ON tickets_ticket
    REFERENCING NEW TABLE AS outbox_new FOR EACH STATEMENT EXECUTE FUNCTION ticketcore_outbox_ticket();
CREATE TRIGGER ticketcore_outbox_del AFTER DELETE ON tickets_ticket
    REFERENCING OLD TABLE AS outbox_old FOR EACH STATEMENT EXECUTE FUNCTION ticketcore_outbox_ticket();

-- tickets_ledgerentry: a new ledger row changes its ticket's document (the `ledger` array).
-- A ticket row written by this same (sub)transaction has already queued its document, and both
-- rows commit or roll back together: skip it, so generation queues 100,000 documents, not 200,000.
CREATE FUNCTION ticketcore_outbox_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_here xid;
BEGIN
    -- The xid of the (sub)transaction running this statement: the xmin of the rows it inserted.
    SELECT l.xmin INTO v_here FROM tickets_ledgerentry l WHERE l.id = (SELECT min(n.id) FROM outbox_new n);
    INSERT INTO ticketcore_outbox (kind, event_id, key, path, op)
    SELECT 'ticket', t.event_id, t.doc_id, %(t_path)s, 'U'
    FROM tickets_ticket t
    WHERE t.id IN (SELECT n.ticket_id FROM outbox_new n)
      AND t.xmin <> pg_current_xact_id()::xid
      AND t.xmin IS DISTINCT FROM v_here
    ORDER BY t.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER ticketcore_outbox_ins AFTER INSERT ON tickets_ledgerentry
    REFERENCING NEW TABLE AS outbox_new FOR EACH STATEMENT EXECUTE FUNCTION ticketcore_outbox_ledger();

-- events_event: the event document, and setup/zones (the activation gate `status` lives on the row).
CREATE FUNCTION ticketcore_outbox_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO ticketcore_outbox (kind, event_id, key, path, op)
        SELECT d.kind, o.event_id, '', d.prefix || o.event_id || d.suffix, 'D'
        FROM outbox_old o,
             (VALUES (1, 'event', 'events/', ''), (2, 'zones', 'events/', '/setup/zones'),
                     (3, 'keys', 'events/', '/security/qr-pin')) AS d(n, kind, prefix, suffix)
        ORDER BY o.event_id, d.n;
    ELSE
        INSERT INTO ticketcore_outbox (kind, event_id, key, path, op)
        SELECT d.kind, n.event_id, '', d.prefix || n.event_id || d.suffix, left(TG_OP, 1)
        FROM outbox_new n,
             (VALUES (1, 'event', 'events/', ''), (2, 'zones', 'events/', '/setup/zones')) AS d(n, kind, prefix, suffix)
        ORDER BY n.event_id, d.n;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER ticketcore_outbox_ins AFTER INSERT ON events_event
    REFERENCING NEW TABLE AS outbox_new FOR EACH STATEMENT EXECUTE FUNCTION ticketcore_outbox_event();
CREATE TRIGGER ticketcore_outbox_upd AFTER UPDATE ON events_event
    REFERENCING NEW TABLE AS outbox_new FOR EACH STATEMENT EXECUTE FUNCTION ticketcore_outbox_event();
CREATE TRIGGER ticketcore_outbox_del AFTER DELETE ON events_event
    REFERENCING OLD TABLE AS outbox_old FOR EACH STATEMENT EXECUTE FUNCTION ticketcore_outbox_event();

-- events_zone and events_signingkey: one document per event (setup/zones, security/qr-pin).
-- TG_ARGV[0] is the outbox kind, TG_ARGV[1] the path suffix.
CREATE FUNCTION ticketcore_outbox_per_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO ticketcore_outbox (kind, event_id, key, path, op)
        SELECT TG_ARGV[0], e.event_id, '', 'events/' || e.event_id || TG_ARGV[1], 'U'
        FROM (SELECT DISTINCT o.event_id FROM outbox_old o) e ORDER BY e.event_id;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO ticketcore_outbox (kind, event_id, key, path, op)
        SELECT TG_ARGV[0], e.event_id, '', 'events/' || e.event_id || TG_ARGV[1], 'U'
        FROM (SELECT DISTINCT n.event_id FROM outbox_new n) e ORDER BY e.event_id;
    ELSE  -- UPDATE: a row moved to another event changes both documents
        INSERT INTO ticketcore_outbox (kind, event_id, key, path, op)
        SELECT TG_ARGV[0], e.event_id, '', 'events/' || e.event_id || TG_ARGV[1], 'U'
        FROM (SELECT n.event_id FROM outbox_new n UNION SELECT o.event_id FROM outbox_old o) e ORDER BY e.event_id;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER ticketcore_outbox_ins AFTER INSERT ON events_zone
    REFERENCING NEW TABLE AS outbox_new FOR EACH STATEMENT
    EXECUTE FUNCTION ticketcore_outbox_per_event('zones', '/setup/zones');
CREATE TRIGGER ticketcore_outbox_upd AFTER UPDATE ON events_zone
    REFERENCING OLD TABLE AS outbox_old NEW TABLE AS outbox_new FOR EACH STATEMENT
    EXECUTE FUNCTION ticketcore_outbox_per_event('zones', '/setup/zones');
CREATE TRIGGER ticketcore_outbox_del AFTER DELETE ON events_zone
    REFERENCING OLD TABLE AS outbox_old FOR EACH STATEMENT
    EXECUTE FUNCTION ticketcore_outbox_per_event('zones', '/setup/zones');
CREATE TRIGGER ticketcore_outbox_ins AFTER INSERT ON events_signingkey
    REFERENCING NEW TABLE AS outbox_new FOR EACH STATEMENT
    EXECUTE FUNCTION ticketcore_outbox_per_event('keys', '/security/qr-pin');
CREATE TRIGGER ticketcore_outbox_upd AFTER UPDATE ON events_signingkey
    REFERENCING OLD TABLE AS outbox_old NEW TABLE AS outbox_new FOR EACH STATEMENT
    EXECUTE FUNCTION ticketcore_outbox_per_event('keys', '/security/qr-pin');
CREATE TRIGGER ticketcore_outbox_del AFTER DELETE ON events_signingkey
    REFERENCING OLD TABLE AS outbox_old FOR EACH STATEMENT
    EXECUTE FUNCTION ticketcore_outbox_per_event('keys', '/security/qr-pin');
""" % {
    "old_path": TICKET_PATH.format(t="o"),
    "new_path": TICKET_PATH.format(t="n"),
    "t_path": TICKET_PATH.format(t="t"),
}

BACKWARD = r"""
DROP TRIGGER IF EXISTS ticketcore_outbox_ins ON tickets_ticket;
DROP TRIGGER IF EXISTS ticketcore_outbox_upd ON tickets_ticket;
DROP TRIGGER IF EXISTS ticketcore_outbox_del ON tickets_ticket;
DROP TRIGGER IF EXISTS ticketcore_outbox_ins ON tickets_ledgerentry;
DROP TRIGGER IF EXISTS ticketcore_outbox_ins ON events_event;
DROP TRIGGER IF EXISTS ticketcore_outbox_upd ON events_event;
DROP TRIGGER IF EXISTS ticketcore_outbox_del ON events_event;
DROP TRIGGER IF EXISTS ticketcore_outbox_ins ON events_zone;
DROP TRIGGER IF EXISTS ticketcore_outbox_upd ON events_zone;
DROP TRIGGER IF EXISTS ticketcore_outbox_del ON events_zone;
DROP TRIGGER IF EXISTS ticketcore_outbox_ins ON events_signingkey;
DROP TRIGGER IF EXISTS ticketcore_outbox_upd ON events_signingkey;
DROP TRIGGER IF EXISTS ticketcore_outbox_del ON events_signingkey;
DROP FUNCTION IF EXISTS ticketcore_outbox_ticket();
DROP FUNCTION IF EXISTS ticketcore_outbox_ledger();
DROP FUNCTION IF EXISTS ticketcore_outbox_event();
DROP FUNCTION IF EXISTS ticketcore_outbox_per_event();
DROP SEQUENCE IF EXISTS ticketcore_mirror_version_seq;
"""


class Migration(migrations.Migration):
    # Moved from the old `ticketcore` app (issue 15): a database migrated before the move has
    # this recorded as ticketcore.0002_outbox_triggers; Django then treats it as applied.
    replaces = [("ticketcore", "0002_outbox_triggers")]

    dependencies = [
        ("mirror", "0001_outbox"),
        ("events", "0001_initial"),
        ("tickets", "0003_ledger_append_only_trigger"),
    ]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
