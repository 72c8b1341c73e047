"""A ticket's zone is a zone of the ticket's event, checked once per statement instead of a foreign
key checked per row (0012's `ticket_zone_of_its_event`: 100,000 checks, ~0.4 s of a 100,000-seat
generation). docs/adr/0036 ("The ticket's zone, checked per statement"). Same name in every message,
guarantee for guarantee:

- tickets side, `ticket_zone_of_its_event` (AFTER INSERT, statement, transition table): every
  (event_id, zone_ref_id) pair the statement's tickets carry is a zone of that event, and those
  zones are locked FOR KEY SHARE, the lock the key took (a handful of rows for a generation).
  `ticket_zone_changed_of_its_event` (AFTER UPDATE OF event_id, zone_ref_id, row, only when one
  really changes; a scan never fires it) does the same for one ticket. SQLSTATE 23503.
- zones side, `zone_keeps_its_tickets` (BEFORE DELETE, row) and `zone_key_keeps_its_tickets`
  (BEFORE UPDATE OF id, event_id, row, only when one changes): a zone with tickets is neither
  deleted nor moved to another event; `zone_refuse_truncate_with_tickets` refuses TRUNCATE of the
  zones while any ticket exists. The guard runs after the row lock is taken, so a generation that
  locked the zone first has committed (and its tickets are seen: READ COMMITTED reads with a new
  snapshot per statement) or rolled back. Under REPEATABLE READ or SERIALIZABLE a PL/pgSQL guard
  would read with the transaction's older snapshot and miss those tickets (PostgreSQL's own keys
  use a cross-check snapshot there, which PL/pgSQL cannot): the guard refuses to delete or move a
  zone outside READ COMMITTED (as `scan_counted` refuses scans, counters/migrations/0002).

Checked when the statement ends instead of at commit. The triggers are created before the key is
dropped, so the table is never unguarded. The ORM's fields were already db_constraint=False (0012)."""
from django.db import migrations

CHECK_NEW = r"""
CREATE FUNCTION tickets_ticket_zone_of_its_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_named bigint;
    v_found bigint;
    v_event text;
    v_zone bigint;
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        PERFORM FROM events_zone z WHERE z.event_id = NEW.event_id AND z.id = NEW.zone_ref_id FOR KEY SHARE OF z;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'ticket_zone_of_its_event: zone % is not a zone of event %', NEW.zone_ref_id, NEW.event_id
                USING ERRCODE = '23503';
        END IF;
        RETURN NULL;
    END IF;
    WITH named AS (SELECT DISTINCT n.event_id, n.zone_ref_id FROM ticket_zone_new n),
    locked AS (SELECT z.id FROM events_zone z JOIN named ON z.event_id = named.event_id AND z.id = named.zone_ref_id
               FOR KEY SHARE OF z)
    SELECT (SELECT count(*) FROM named), (SELECT count(*) FROM locked) INTO v_named, v_found;
    IF v_named <> v_found THEN
        SELECT n.event_id, n.zone_ref_id INTO v_event, v_zone FROM ticket_zone_new n
         WHERE NOT EXISTS (SELECT 1 FROM events_zone z WHERE z.event_id = n.event_id AND z.id = n.zone_ref_id) LIMIT 1;
        RAISE EXCEPTION 'ticket_zone_of_its_event: zone % is not a zone of event %', v_zone, v_event
            USING ERRCODE = '23503';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ticket_zone_of_its_event
AFTER INSERT ON tickets_ticket
REFERENCING NEW TABLE AS ticket_zone_new
FOR EACH STATEMENT EXECUTE FUNCTION tickets_ticket_zone_of_its_event();

CREATE TRIGGER ticket_zone_changed_of_its_event
AFTER UPDATE OF event_id, zone_ref_id ON tickets_ticket
FOR EACH ROW WHEN (OLD.event_id IS DISTINCT FROM NEW.event_id OR OLD.zone_ref_id IS DISTINCT FROM NEW.zone_ref_id)
EXECUTE FUNCTION tickets_ticket_zone_of_its_event();

CREATE FUNCTION tickets_zone_keeps_its_tickets() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'STATEMENT' THEN
        IF EXISTS (SELECT 1 FROM tickets_ticket) THEN
            RAISE EXCEPTION 'ticket_zone_of_its_event: TRUNCATE of zones while tickets exist is not allowed'
                USING ERRCODE = '23514';
        END IF;
        RETURN NULL;
    END IF;
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'ticket_zone_of_its_event: a zone is deleted or moved only in READ COMMITTED (here %)',
            current_setting('transaction_isolation') USING ERRCODE = '25001';
    END IF;
    IF EXISTS (SELECT 1 FROM tickets_ticket t WHERE t.event_id = OLD.event_id AND t.zone_ref_id = OLD.id) THEN
        RAISE EXCEPTION 'ticket_zone_of_its_event: zone % of event % has tickets', OLD.id, OLD.event_id
            USING ERRCODE = '23503';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER zone_keeps_its_tickets
BEFORE DELETE ON events_zone
FOR EACH ROW EXECUTE FUNCTION tickets_zone_keeps_its_tickets();

CREATE TRIGGER zone_key_keeps_its_tickets
BEFORE UPDATE OF id, event_id ON events_zone
FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.event_id IS DISTINCT FROM NEW.event_id)
EXECUTE FUNCTION tickets_zone_keeps_its_tickets();

CREATE TRIGGER zone_refuse_truncate_with_tickets
BEFORE TRUNCATE ON events_zone
FOR EACH STATEMENT EXECUTE FUNCTION tickets_zone_keeps_its_tickets();

ALTER TABLE tickets_ticket DROP CONSTRAINT ticket_zone_of_its_event;
"""

BACKWARD = r"""
ALTER TABLE tickets_ticket ADD CONSTRAINT ticket_zone_of_its_event
    FOREIGN KEY (event_id, zone_ref_id) REFERENCES events_zone (event_id, id) DEFERRABLE INITIALLY DEFERRED;
DROP TRIGGER IF EXISTS ticket_zone_of_its_event ON tickets_ticket;
DROP TRIGGER IF EXISTS ticket_zone_changed_of_its_event ON tickets_ticket;
DROP TRIGGER IF EXISTS zone_keeps_its_tickets ON events_zone;
DROP TRIGGER IF EXISTS zone_key_keeps_its_tickets ON events_zone;
DROP TRIGGER IF EXISTS zone_refuse_truncate_with_tickets ON events_zone;
DROP FUNCTION IF EXISTS tickets_ticket_zone_of_its_event();
DROP FUNCTION IF EXISTS tickets_zone_keeps_its_tickets();
"""


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0013_ledger_names_a_ticket"),
    ]

    operations = [migrations.RunSQL(CHECK_NEW, BACKWARD)]
